"""`clinical-r1 run CONFIG.yaml`: the whole recipe from one config, resumable."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

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
        from clinical_r1.config import ConfigError
        from clinical_r1.llm import LLMError
        from clinical_r1.pipeline import Pipeline, load_pipeline_config, print_summary
        from clinical_r1.records import RecordError

        if start_from and only:
            console.print("[red]--from and --only exclude each other[/red]")
            raise typer.Exit(2)
        pin_threads(threads)  # every stage, and any stage launched under accelerate, uses this number
        try:
            cfg = load_pipeline_config(config)
            pipeline = Pipeline(cfg, config_path=config)  # reads the run's manifest.json
        except ConfigError as exc:
            console.print(f"[red]config error[/red]\n{escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from exc
        try:
            outputs = pipeline.run(only=only, start_from=start_from)
        except (ConfigError, RecordError, LLMError) as exc:  # bad config, input line or model: no traceback
            console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from exc
        finally:
            print_summary(pipeline)
        report = outputs.get("eval", {}).get("report")
        if report:
            console.print(f"[green]report:[/green] {report}")
