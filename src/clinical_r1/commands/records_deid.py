"""`clinical-r1 records deid | reid`: remove patient identifiers from JSONL files (and put them back)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def deid(
    src: Path = typer.Argument(
        ..., help="JSONL input (records, training examples, or any objects with text)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="De-identified JSONL to write."),
    mapping: Path = typer.Option(
        None,
        "--mapping",
        help="Write replacement -> original per record here (owner-only file; never send it).",
    ),
    style: str = typer.Option(None, "--style", help="placeholder ([NAME-1], [DATE+3d]) or surrogate."),
    field: list[str] = typer.Option(
        None,
        "--field",
        help="Text field to clean (repeatable; default: case, question, text, context, thinking, response).",
    ),
    config: Path = typer.Option(None, "--config", help="YAML with DeidConfig fields."),
) -> None:
    """Replace names, dates, ages over 89, phones, e-mails, places, ID numbers, hospitals, URLs and IPs."""
    from clinical_r1.config import ConfigError, load_config
    from clinical_r1.deid import DeidConfig, deidentify_file
    from clinical_r1.records import RecordError

    try:
        cfg = load_config(config, DeidConfig, overrides={"style": style, "fields": field or None})
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if not src.exists():
        console.print(f"[red]error:[/red] {src}: file not found")
        raise typer.Exit(2)
    with Progress(
        TextColumn("de-identifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("deid", total=_count_lines(src))
        try:
            stats = deidentify_file(
                src, out, cfg, mapping_path=mapping, on_record=lambda: progress.advance(task)
            )
        except RecordError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
    table = Table(title=f"{stats.records} records, {stats.fields} fields -> {out}")
    table.add_column("category")
    table.add_column("replaced", justify="right")
    for category, count in stats.found.items():
        table.add_row(category, str(count))
    table.add_row("[bold]total[/bold]", f"[bold]{stats.total}[/bold]")
    console.print(table)
    if mapping:
        console.print(f"re-identification mapping: {mapping} (keep it on this machine)")


def reid(
    src: Path = typer.Argument(..., help="JSONL whose text holds replacements (e.g. model outputs)."),
    out: Path = typer.Option(..., "--out", "-o", help="JSONL to write with the originals put back."),
    mapping: Path = typer.Option(..., "--mapping", help="The mapping file written by `records deid`."),
    field: list[str] = typer.Option(None, "--field", help="Text field to restore (repeatable)."),
) -> None:
    """Put the original identifiers back, matching lines to records by id (only where governance allows)."""
    from clinical_r1.deid import reidentify_file
    from clinical_r1.records import RecordError

    try:
        changed = reidentify_file(src, out, mapping, fields=field or None)
    except (RecordError, OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{changed} records re-identified -> {out}")


def register(app: typer.Typer) -> None:
    from clinical_r1.commands.records import records_app

    records_app.command("deid")(deid)
    records_app.command("reid")(reid)
