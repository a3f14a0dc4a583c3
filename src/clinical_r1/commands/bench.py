"""`clinical-r1 bench build`: a stratified, bilingual, leak-checked benchmark from a record pool."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()

bench_app = typer.Typer(help="Build benchmarks from a pool of records.", no_args_is_help=True)


@bench_app.command("build")
def build(
    records: Path = typer.Option(..., "--records", help="Record pool (JSONL in the record schema)."),
    out: Path = typer.Option(..., "--out", help="Folder for bench.jsonl, datasheet.md/.json, spread.png."),
    per_department: int | None = typer.Option(None, "--per-department", help="Cases per department."),
    config: Path | None = typer.Option(None, "--config", help="YAML with BenchConfig fields."),
    train: list[Path] = typer.Option(
        [], "--train", help="Training file (records or synthesis examples); repeat for several."
    ),
    seed: int | None = typer.Option(None, help="Sampling seed."),
    mode: str | None = typer.Option(None, help="'paired' (same cases in every language) or 'per_language'."),
    language: list[str] = typer.Option(
        [], "--language", help="Language to include; repeat (default en, zh)."
    ),
    department: list[str] = typer.Option([], "--department", help="Department to include; repeat."),
    code_names: str | None = typer.Option(
        None, help="Codes for records without one: 'exact' (default), 'candidates' or 'off'."
    ),
) -> None:
    """Sample N cases per department, spread over ICD-10 categories, and write a datasheet."""
    from clinical_r1.bench import BenchConfig, build_benchmark
    from clinical_r1.config import ConfigError, load_config
    from clinical_r1.records import RecordError

    overrides = {
        "per_department": per_department,
        "seed": seed,
        "mode": mode,
        "languages": language or None,
        "departments": department or None,
        "code_names": code_names,
    }
    try:
        cfg = load_config(config, BenchConfig, overrides=overrides)
        sheet = build_benchmark(cfg, records, out, train_files=train)
    except (ConfigError, RecordError) as exc:  # bad config or input: a usage error, as in the other stages
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc

    table = Table(title=f"{sheet.total_items} items ({sheet.total_cases} cases) in {out}")
    for column in ("department", "lang", "items", "asked", "categories", "blocks", "largest share"):
        table.add_column(column)
    for d in sheet.departments:
        table.add_row(
            d.department,
            d.language,
            str(d.items),
            str(d.asked),
            str(d.categories),
            str(d.blocks),
            f"{d.largest_group_share:.0%}",
        )
    console.print(table)
    pool, leak = sheet.pool, sheet.leakage
    console.print(
        f"pool: {pool.lines} lines, {pool.in_scope} in scope, {pool.out_of_scope} out of scope, "
        f"{pool.unmapped} without an ICD-10 code; leakage: {leak.removed_cases} cases removed "
        f"({leak.exact} exact, {leak.near} near duplicates of {leak.checked} checked)"
    )
    for warning in sheet.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"datasheet: {out / 'datasheet.md'}")


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
