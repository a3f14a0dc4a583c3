"""`clinical-r1 synthesize`: records -> verified long chain-of-thought training examples."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from clinical_r1.commands.records import (
    DEPARTMENT_OPTION,
    EXCLUDE_IDS_OPTION,
    INCLUDE_IDS_OPTION,
    LANGUAGE_OPTION,
)
from clinical_r1.runlock import RunLock

if TYPE_CHECKING:
    from clinical_r1.record_filters import RecordFilter

console = Console()


def _record_filter(
    language: list[str], department: list[str], include: list[str], exclude: list[str]
) -> RecordFilter | None:
    from clinical_r1.record_filters import filter_from_options

    try:
        return filter_from_options(language, department, include, exclude)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _filtered_records(records: Path, out: Path, record_filter: RecordFilter | None) -> Path:
    """RECORDS itself, or OUT/records.filtered.jsonl holding the records the filter keeps. Called with
    OUT's run lock held, so a second run on OUT cannot overwrite the file this run reads."""
    from clinical_r1.record_filters import filter_file
    from clinical_r1.records import RecordError

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

        record_filter = _record_filter(language, department, include_ids, exclude_ids)
        overrides = {"teacher": teacher, "concurrency": concurrency, "limit": limit, "export_hf": hf}
        # bad config or records, full disk, read-only or busy --out: one message and exit 2
        with user_errors(console):
            cfg = load_config(config, SynthConfig, overrides=overrides)
            if concurrency:  # records in flight and the teacher's open requests go up together
                cfg.teacher = cfg.teacher.model_copy(update={"concurrency": concurrency})
            # with a filter, OUT's lock comes before records.filtered.jsonl is written into OUT and is held
            # through the run; without one, the run takes it (after checking the records: a bad file
            # leaves no OUT behind)
            with RunLock(out) if record_filter is not None else nullcontext() as lock:
                records = _filtered_records(records, out, record_filter)
                stats = run_synthesis(cfg, records, out, progress=progress, lock=lock)
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
