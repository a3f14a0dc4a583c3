"""`clinical-r1 curate`: keep the records worth training on (benchmark duplicates, answer leaks, solved)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def register(app: typer.Typer) -> None:
    @app.command("curate")
    def curate(
        records: Path = typer.Option(..., "--records", help="Records JSONL (the record schema)."),
        out: Path = typer.Option(
            ..., "--out", help="Folder: records.jsonl, rejects.jsonl, flagged.jsonl, curation.json, plot."
        ),
        config: Path = typer.Option(None, "--config", help="CurateConfig YAML."),
        model: str = typer.Option(
            None, "--model", help="Model spec for the difficulty filter (e.g. local:runs/x/sft, tiny)."
        ),
        mode: str = typer.Option(None, "--mode", help="How the model is prompted: trained | cot | direct."),
        samples: int = typer.Option(None, "--samples", help="Answers per record (difficulty)."),
        temperature: float = typer.Option(None, "--temperature"),
        max_tokens: int = typer.Option(None, "--max-tokens"),
        threshold: float = typer.Option(
            None, "--threshold", help="Solved when this share of the samples is right (default 1.0)."
        ),
        action: str = typer.Option(
            None, "--action", help="What to do with solved records: drop | downweight."
        ),
        against: list[Path] = typer.Option(
            [], "--against", help="Benchmark file or folder to decontaminate against; repeatable."
        ),
        answer_leak: str = typer.Option(None, "--answer-leak", help="flag | drop | off (default flag)."),
        concurrency: int = typer.Option(None, "--concurrency"),
        limit: int = typer.Option(None, "--limit", help="Only the first N records."),
        progress: bool = typer.Option(True, "--progress/--no-progress"),
    ) -> None:
        """Filter records before training; rerun the same command to resume the model sampling."""
        from clinical_r1.config import ConfigError, load_config
        from clinical_r1.curate import CurateConfig, SamplingIncomplete, run_curation
        from clinical_r1.llm import LLMError
        from clinical_r1.records import RecordError

        overrides = {
            "model": model,
            "mode": mode,
            "samples": samples,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "solved_threshold": threshold,
            "solved_action": action,
            "answer_leak": answer_leak,
            "concurrency": concurrency,
            "limit": limit,
        }
        try:
            cfg = load_config(config, CurateConfig, overrides=overrides)
            if against:
                cfg = cfg.model_copy(update={"benchmarks": [*cfg.benchmarks, *against]})
            stats = run_curation(cfg, records, out, progress=progress)
        except (ConfigError, RecordError, LLMError, SamplingIncomplete) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        table = Table(title=f"curation of {records}")
        table.add_column("")
        table.add_column("records", justify="right")
        table.add_row("input", str(stats.records))
        for reason, n in sorted(stats.reasons.items()):
            table.add_row(f"dropped: {reason}", str(n))
        table.add_row("kept", str(stats.kept))
        table.add_row("  of which down-weighted", str(stats.down_weighted))
        table.add_row("  of which flagged (answer leak)", str(stats.flagged))
        console.print(table)
        for source, counts in stats.benchmark_matches.items():
            console.print(
                f"{source}: {stats.benchmark_items[source]} cases, "
                f"{counts['exact']} exact + {counts['near']} near duplicates removed"
            )
        console.print(f"kept: {stats.files['records']}  rejects: {stats.files['rejects']}")
