"""`clinical-r1 verify PRED REF`: ask the verifier whether a diagnosis is the reference one."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    @app.command("verify")
    def verify(
        prediction: str = typer.Argument(
            ..., help="Predicted diagnosis (or a whole model output with --output)."
        ),
        reference: str = typer.Argument(..., help="Reference diagnosis."),
        icd10: str | None = typer.Option(None, "--icd10", help="ICD-10 code of the reference, if known."),
        language: str = typer.Option("en", help="Language of the record: en or zh."),
        config: Path | None = typer.Option(None, "--config", help="VerifierConfig YAML."),
        judge_model: str | None = typer.Option(
            None,
            help="Enable the LLM judge with this model, e.g. openai:gpt-4o-mini or openai:m@http://127.0.0.1:8000/v1",
        ),
        rules: bool = typer.Option(True, help="Use the rules tier."),
        codes: bool = typer.Option(True, help="Use the ICD-10 tier."),
        output: bool = typer.Option(False, "--output", help="PREDICTION is a model output: parse it first."),
    ) -> None:
        """Match, mismatch or undecided, and which tier decided (rule, code, judge, none)."""
        from clinical_r1.config import ConfigError, load_config
        from clinical_r1.formatting import parse
        from clinical_r1.llm import LLMError
        from clinical_r1.verify import Verifier, VerifierConfig

        if language not in ("en", "zh"):
            raise typer.BadParameter(f"'{language}' is not en or zh", param_hint="--language")
        overrides = {"rules": rules, "codes": codes}
        if judge_model:
            overrides |= {"judge": True, "judge_model": judge_model}
        try:
            cfg = load_config(config, VerifierConfig, overrides=overrides)
            verifier = Verifier(cfg)
        except ConfigError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        if output:
            parsed = parse(prediction)
            state = "valid" if parsed.valid else f"[red]invalid: {parsed.error}[/red]"
            console.print(f"output: {state}; diagnosis: {parsed.diagnosis!r}")
            prediction = parsed.diagnosis if parsed.valid else None
        try:  # the judge's API key is read, and a local judge loaded, on the first call
            verdict = verifier.verify(prediction, reference, reference_icd10=icd10, language=language)
        except (ConfigError, LLMError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        colour = {"match": "green", "mismatch": "red", "undecided": "yellow"}[verdict.label]
        console.print(f"[{colour}]{verdict.label}[/{colour}] (source: {verdict.source}) {verdict.reason}")
