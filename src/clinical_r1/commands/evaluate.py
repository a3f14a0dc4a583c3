"""`clinical-r1 eval` (models x benchmark -> run folder) and `clinical-r1 report` (rebuild / compare)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from clinical_r1.threads import THREADS_HELP, use_threads_option

console = Console()


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def evaluate(
        bench: Path = typer.Option(
            ..., "--bench", help="bench.jsonl, record/MCQ JSONL, DxBench or MedQA file."
        ),
        model: list[str] = typer.Option(
            ...,
            "--model",
            help="NAME=SPEC#MODE (NAME= and #MODE optional; MODE trained|cot|direct, default cot). "
            "Repeatable. E.g. 'sft=local:runs/x/sft#trained', 'gpt4o=openai:gpt-4o#cot'.",
        ),
        out: Path = typer.Option(..., "--out", help="Run folder (results journal, metrics, report, plots)."),
        config: Path = typer.Option(
            None, "--config", help="EvalConfig YAML (verifier, sampling, bootstrap)."
        ),
        samples: int = typer.Option(None, "--samples", help="Completions per item (mean accuracy, pass@k)."),
        temperature: float = typer.Option(None, "--temperature"),
        max_tokens: int = typer.Option(None, "--max-tokens"),
        repetition_penalty: float = typer.Option(
            None, "--repetition-penalty", help="Sent to every model alike; > 1 discourages repeats."
        ),
        concurrency: int = typer.Option(None, "--concurrency", help="Requests in flight per model."),
        limit: int = typer.Option(None, "--limit", help="Only the first N items."),
        task: str = typer.Option(None, "--task", help="auto | diagnosis | mcq (default auto)."),
        differential: int = typer.Option(
            None, "--differential", min=1, max=10,
            help="Ask for a ranked differential of up to K entries and grade each: top-k, MRR, calibration.",
        ),
        judge: str = typer.Option(
            None, "--judge", help="Judge model spec: turns the verifier's LLM tier on."
        ),
        perturb: bool = typer.Option(
            False, "--perturb", help="Also evaluate perturbed cases (robustness; config 'perturb' for kinds)."
        ),
        progress: bool = typer.Option(True, "--progress/--no-progress"),
        threads: int | None = typer.Option(None, min=1, help=THREADS_HELP),
    ) -> None:
        """Evaluate models on a benchmark; rerun the same command to resume an interrupted run."""
        from clinical_r1.cli_errors import user_errors
        from clinical_r1.config import load_config
        from clinical_r1.evaluate.config import EvalConfig, ModelUnderTest
        from clinical_r1.evaluate.runner import run_eval
        from clinical_r1.verify import VerifierConfig

        use_threads_option(threads)
        overrides = {
            "samples": samples,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "repetition_penalty": repetition_penalty,
            "concurrency": concurrency,
            "limit": limit,
            "task": task,
            "differential": {"enabled": True, "k": differential} if differential else None,
        }
        # bad config or benchmark, full disk, read-only or busy --out: one message and exit 2
        with user_errors(console):
            cfg = load_config(config, EvalConfig, overrides=overrides)
            if judge:  # the LLM tier on, with this judge model; other verifier settings kept
                verifier = {**cfg.verifier.model_dump(), "judge": True, "judge_model": judge}
                cfg = cfg.model_copy(update={"verifier": VerifierConfig.model_validate(verifier)})
            if perturb and cfg.perturb is None:
                from clinical_r1.perturb import PerturbConfig

                cfg = cfg.model_copy(update={"perturb": PerturbConfig()})
            models = [ModelUnderTest.parse(text) for text in model]
            report = run_eval(cfg, bench, models, out, progress=progress)
        _print_summary(out)
        console.print(f"report: {report}")

    @app.command("report")
    def report(
        runs: list[Path] = typer.Argument(..., help="Run folders of `clinical-r1 eval`."),
        out: Path = typer.Option(None, "--out", help="Where to write (default: the first run folder)."),
    ) -> None:
        """Rebuild metrics.json, report.md and plots from run journals; several runs are compared."""
        from clinical_r1.config import ConfigError
        from clinical_r1.evaluate.report import write_report

        try:
            path = write_report(runs[0], runs[1:], out)
        except (FileNotFoundError, ConfigError) as exc:  # ConfigError: a damaged results journal
            console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
            raise typer.Exit(2) from exc
        _print_summary(path.parent)
        console.print(f"report: {path}")


def _print_summary(folder: Path) -> None:
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    table = Table(title=f"accuracy ({folder})")
    for column in ("model", "mode", "items", "accuracy %", "95% CI", "no valid answer", "errors"):
        table.add_column(column)
    for name, m in metrics["models"].items():
        o = m["overall"]
        table.add_row(
            name,
            str(m.get("mode", "")),
            str(o["items"]),
            f"{100 * o['accuracy']:.1f}",
            f"[{100 * o['ci_low']:.1f}, {100 * o['ci_high']:.1f}]",
            str(o["no_valid_answer"]),
            str(o["errors"] + o["missing"]),
        )
    console.print(table)
