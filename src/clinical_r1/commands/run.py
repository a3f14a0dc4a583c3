"""`clinical-r1 run CONFIG.yaml`: the whole recipe from one config, resumable."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from clinical_r1.threads import THREADS_HELP, pin_threads

console = Console()


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        config: Path = typer.Argument(..., help="Pipeline config (YAML), e.g. configs/quickstart.yaml."),
        start_from: str = typer.Option(
            None,
            "--from",
            help="Redo this stage and every stage after it (SFT and RL train anew; synthesis and "
            "evaluation reuse their response cache, so unchanged work costs nothing).",
        ),
        only: str = typer.Option(None, "--only", help="Redo only this stage (earlier outputs are reused)."),
        threads: int | None = typer.Option(None, min=1, help=THREADS_HELP),
    ) -> None:
        """Run records -> synthesize -> sft -> rl -> bench -> eval; unchanged stages are skipped."""
        from clinical_r1.cli_errors import user_errors
        from clinical_r1.pipeline import Pipeline, check_paths, load_pipeline_config, print_summary

        if start_from and only:
            console.print("[red]--from and --only exclude each other[/red]")
            raise typer.Exit(2)
        pin_threads(threads)  # every stage, and any stage launched under accelerate, uses this number
        # The whole config (paths, types, encodings, run name) is checked here, before any stage starts.
        with user_errors(console, "config error\n"):
            cfg = load_pipeline_config(config)
            check_paths(cfg, str(config))  # inputs, seed files, runs_dir, model folders
            pipeline = Pipeline(cfg, config_path=config)  # reads the run's manifest.json
        try:
            # bad input line or model, full disk, folder in use: one message, no traceback
            with user_errors(console):
                outputs = pipeline.run(only=only, start_from=start_from)
        finally:
            print_summary(pipeline)
        report = outputs.get("eval", {}).get("report")
        if report:
            console.print(f"[green]report:[/green] {report}")
