"""`clinical-r1 synthesize`: records -> verified long chain-of-thought training examples."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from clinical_r1.commands.records import (
    DEPARTMENT_OPTION,
    EXCLUDE_IDS_OPTION,
    INCLUDE_IDS_OPTION,
    LANGUAGE_OPTION,
)

console = Console()


def _filtered_records(
    records: Path, out: Path, language: list[str], department: list[str], include: list[str],
    exclude: list[str],
) -> Path:
    """RECORDS itself, or OUT/records.filtered.jsonl holding the records the filter options keep."""
    from clinical_r1.record_filters import filter_file, filter_from_options
    from clinical_r1.records import RecordError

    try:
        record_filter = filter_from_options(language, department, include, exclude)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if record_filter is None:
        return records
    filtered = out / "records.filtered.jsonl"
    try:
        report = filter_file(records, filtered, record_filter)
    except (RecordError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"record filter: {report.describe()} -> {filtered}")
    return filtered


def register(app: typer.Typer) -> None:
    @app.command("synthesize")
    def synthesize(
        records: Path = typer.Option(..., "--records", help="Records JSONL (the record schema)."),
        out: Path = typer.Option(..., "--out", help="Output folder (also holds the resume journal)."),
        config: Path = typer.Option(None, "--config", help="Synthesis config YAML (SynthConfig)."),
        teacher: str = typer.Option(
            None, "--teacher", help="Teacher model spec, e.g. 'openai:gpt-4o' (overrides the config)."
        ),
        concurrency: int = typer.Option(None, "--concurrency", help="Records in flight."),
        limit: int = typer.Option(None, "--limit", help="Only the first N records."),
        hf: bool = typer.Option(None, "--hf/--no-hf", help="Also write a datasets folder OUT/hf."),
        progress: bool = typer.Option(True, "--progress/--no-progress"),
        language: list[str] = LANGUAGE_OPTION,
        department: list[str] = DEPARTMENT_OPTION,
        include_ids: list[str] = INCLUDE_IDS_OPTION,
        exclude_ids: list[str] = EXCLUDE_IDS_OPTION,
    ) -> None:
        """Search a verified reasoning path per record; rerun the same command to resume."""
        from clinical_r1.cli_errors import user_errors
        from clinical_r1.config import load_config
        from clinical_r1.synth.config import SynthConfig
        from clinical_r1.synth.runner import run_synthesis

        records = _filtered_records(records, out, language, department, include_ids, exclude_ids)
        overrides = {"teacher": teacher, "concurrency": concurrency, "limit": limit, "export_hf": hf}
        # bad config or records, full disk, read-only or busy --out: one message and exit 2
        with user_errors(console):
            cfg = load_config(config, SynthConfig, overrides=overrides)
            if concurrency:  # records in flight and the teacher's open requests go up together
                cfg.teacher = cfg.teacher.model_copy(update={"concurrency": concurrency})
            stats = run_synthesis(cfg, records, out, progress=progress)
        table = Table(title=f"synthesis: {stats.records} records -> {out}")
        table.add_column("outcome")
        table.add_column("records", justify="right")
        for route, count in stats.routes.items():
            table.add_row(f"example ({route})", str(count))
        for reason, count in stats.dropped.items():
            table.add_row(f"dropped ({reason})", str(count))
        table.add_row("[bold]total", f"[bold]{stats.examples + stats.rejected}")
        console.print(table)
        run = json.loads((out / "ledger.json").read_text(encoding="utf-8"))["total"]
        console.print(
            f"dataset: {stats.calls} teacher calls, {stats.prompt_tokens + stats.completion_tokens} tokens, "
            f"${stats.cost_usd:.4f} at list price; verified after a restart: {stats.after_restart}\n"
            f"this run: {run['calls']} calls made, {run['cache_hits']} answered by the cache, "
            f"${run['cost_usd']:.4f} spent (ledger.json)"
        )
        if stats.errors:
            console.print(
                f"[yellow]{stats.errors} records hit teacher errors: rerun the command to retry them"
            )
