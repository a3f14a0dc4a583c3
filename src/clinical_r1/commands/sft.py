"""`clinical-r1 sft`: supervised fine-tuning on training examples (thin: parse, call, print)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from rich.console import Console

from clinical_r1.threads import THREADS_HELP, pin_threads

console = Console()


def register(app: typer.Typer) -> None:
    @app.command("sft")
    def sft(
        data: Path = typer.Option(..., "--data", help="Training examples (JSONL, TrainingExample schema)."),
        model: str = typer.Option(..., "--model", help="Base model: HF folder, hub id or 'tiny'."),
        out: Path = typer.Option(..., "--out", help="Output folder: final model, metrics.json, loss.png."),
        config: Path | None = typer.Option(None, "--config", help="YAML with SFTStageConfig fields."),
        max_steps: int | None = typer.Option(None, help="Override: stop after this many optimiser steps."),
        max_length: int | None = typer.Option(None, help="Override: tokens per packed row."),
        resume: bool = typer.Option(True, help="Continue from the last checkpoint in OUT/checkpoints."),
        threads: int | None = typer.Option(None, min=1, help=THREADS_HELP),
    ) -> None:
        """Fine-tune MODEL on EXAMPLES (assistant-only loss, packed samples, isolated attention)."""
        from clinical_r1.config import ConfigError, load_config
        from clinical_r1.records import RecordError
        from clinical_r1.tiny import resolve_model
        from clinical_r1.train.sft import SFTStageConfig, run_sft

        try:
            pin_threads(threads)
            cfg = load_config(config, SFTStageConfig, {"max_steps": max_steps, "max_length": max_length})
            folder = run_sft(cfg, data, resolve_model(model), out, resume=resume)
        except (ConfigError, RecordError, FileNotFoundError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        metrics_path = folder / "metrics.json"
        if int(os.environ.get("RANK", "0")) == 0 and metrics_path.exists():  # one summary per launch
            m = json.loads(metrics_path.read_text())
            ex = m["examples"]
            console.print(
                f"[green]model saved to[/green] {folder}  steps {m['global_step']} "
                f"(resumed from {m['resumed_from_step']})  loss {m['loss_first']:.4f} -> {m['loss_last']:.4f}"
            )
            console.print(
                f"examples: {ex['kept']} used ({ex['truncated']} with thinking shortened), "
                f"{ex['dropped']} dropped as too long; rows {m['rows']}, fill {m['packing']['fill_ratio']}"
            )
            console.print(f"loss curve: {folder / 'loss.png'}")
