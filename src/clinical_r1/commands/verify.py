"""`clinical-r1 verify PRED REF`: ask the verifier whether a diagnosis is the reference one.
`clinical-r1 verify audit --judge SPEC`: measure an LLM judge alone on labelled pairs (judge_audit.py)."""

from __future__ import annotations

from pathlib import Path

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

console = Console()


class _DefaultCheckGroup(TyperGroup):
    """`verify PRED REF` runs `verify check PRED REF`; `verify audit ...` runs the audit. A prediction
    that is literally "audit" or "check" needs the explicit form: `verify check audit REF`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["check", *args]
        return super().parse_args(ctx, args)


def register(app: typer.Typer) -> None:
    verify_app = typer.Typer(
        cls=_DefaultCheckGroup,
        no_args_is_help=True,
        help="Is a predicted diagnosis the reference one? `verify PRED REF` (the same as "
        "`verify check PRED REF`; its options: `verify check --help`), or `verify audit --judge SPEC` to "
        "measure an LLM judge alone.",
    )
    app.add_typer(verify_app, name="verify")
    _register_audit(verify_app)

    @verify_app.command("check")
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


def _register_audit(verify_app: typer.Typer) -> None:
    @verify_app.command("audit")
    def audit(
        judge: str | None = typer.Option(
            None,
            "--judge",
            help="Judge model spec: openai:MODEL@http://127.0.0.1:8000/v1, openai:MODEL, tiny, or a local HF "
            "folder (default: judge_model of --config).",
        ),
        pairs: list[Path] | None = typer.Option(
            None,
            "--pairs",
            help="Labelled pair JSONL (prediction, reference, match, language; repeat for several files). "
            "Default: tests/data/verifier_labelled.jsonl, verifier_heldout.jsonl and verifier_pairs*.jsonl "
            "of the source checkout clinical-r1 is installed from (pip install -e); an installed wheel has "
            "no tests/, so pass --pairs there.",
        ),
        out: Path | None = typer.Option(
            None,
            "--out",
            help="Audit file to write. Default: <judge_cache>.audit.json beside the judge cache "
            "(--judge-cache or judge_cache in --config), else ~/.cache/clinical-r1/judge.audit.json. "
            "Stages look only there.",
        ),
        config: Path | None = typer.Option(
            None,
            "--config",
            help="VerifierConfig YAML (judge_model, judge_cache, judge_retries, judge_max_tokens).",
        ),
        judge_cache: Path | None = typer.Option(
            None, "--judge-cache", help="SQLite cache of judge requests (the audit file goes beside it)."
        ),
        thresholds: Path | None = typer.Option(None, "--thresholds", help="AuditThresholds YAML."),
        max_false_match: float | None = typer.Option(
            None, help="Highest false-match rate that passes (default 0.02, at the 95% upper bound)."
        ),
        max_undecided: float | None = typer.Option(None, help="Highest undecided rate (default 0.05)."),
        min_agreement: float | None = typer.Option(None, help="Lowest agreement (default 0.80)."),
        point_estimate: bool = typer.Option(
            False,
            "--point-estimate",
            help="Judge the thresholds on point estimates, not the pessimistic end of the 95% interval.",
        ),
        sample: int | None = typer.Option(None, help="Audit a seeded random sample of N pairs."),
        seed: int = typer.Option(0, help="Seed of --sample."),
        threads: int | None = typer.Option(None, help="torch CPU threads of a local judge (1: busy CPU)."),
    ) -> None:
        """Measure an LLM judge alone on labelled pairs and record the audit the stages check.

        Every pair is put to the judge (rules and codes off). Prints agreement, false-match rate and
        undecided rate with 95% Wilson intervals, and writes them, the judge, the judge prompt hash, the
        pair-file digest, the thresholds and pass/fail to the audit file that synthesis, RL and
        evaluation check. Exit 0 when the audit passes, 1 when it fails, 2 on bad input."""
        from rich.progress import Progress
        from rich.table import Table

        from clinical_r1 import judge_audit
        from clinical_r1.config import ConfigError, load_config
        from clinical_r1.llm import LLMError, ModelSpec
        from clinical_r1.records import RecordError
        from clinical_r1.verify import VerifierConfig

        try:
            cfg = load_config(config, VerifierConfig, overrides={"judge_cache": judge_cache})
            spec = ModelSpec.parse(judge) if judge else cfg.judge_model
            if spec is None:
                raise ConfigError("no judge: pass --judge SPEC or set judge_model in --config")
            if threads is not None:
                if spec.backend != "local":
                    raise ConfigError("--threads applies to a local judge (an HF folder or tiny) only")
                spec = spec.model_copy(update={"threads": threads})
            cfg = cfg.model_copy(update={"judge": True, "judge_model": spec})
            limits = load_config(
                thresholds,
                judge_audit.AuditThresholds,
                overrides={
                    "max_false_match_rate": max_false_match,
                    "max_undecided_rate": max_undecided,
                    "min_agreement": min_agreement,
                    "bound": "point" if point_estimate else None,
                },
            )
            files = list(pairs) if pairs else judge_audit.default_pair_files()
            pair_set = judge_audit.load_pairs(files, sample=sample, seed=seed)
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task(f"judge {spec.label}", total=len(pair_set.pairs))
                result = judge_audit.run_audit(
                    cfg, pair_set, limits, out=out, on_progress=lambda n: progress.advance(task, n)
                )
        except (ConfigError, RecordError, LLMError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc

        record = result.record
        counts = record["counts"]
        table = Table(title=f"judge alone: {spec.label} on {counts['pairs']} pairs")
        for column in ("figure", "value", "95% CI", "counts", "threshold"):
            table.add_column(column, justify="left" if column == "figure" else "right")
        bound = "upper" if limits.bound == "upper" else "point"
        rows = [
            ("agreement", "agreement", limits.min_agreement, ">="),
            ("false-match rate", "false_match_rate", limits.max_false_match_rate, "<="),
            ("undecided rate", "undecided_rate", limits.max_undecided_rate, "<="),
        ]
        for title, key, limit, sign in rows:
            fig = record["figures"][key]
            low, high = fig["ci"]
            value = "-" if fig["value"] is None else f"{fig['value']:.1%}"
            interval = "-" if low is None else f"{low:.1%} - {high:.1%}"
            which = ("lower" if sign == ">=" else "upper") if bound == "upper" else "point"
            limit_text = "-" if limit is None else f"{which} {sign} {limit:.0%}"
            table.add_row(title, value, interval, f"{fig['k']}/{fig['n']}", limit_text)
        console.print(table)
        console.print(
            f"pairs {counts['pairs']} (matches {counts['matches']}, non-matches {counts['non_matches']}); "
            f"judge said match {counts['judge_match']}, mismatch {counts['judge_mismatch']}, "
            f"undecided {counts['undecided']} (failed calls {counts['failed_calls']}); "
            f"false matches {counts['false_matches']}, missed matches {counts['missed_matches']}; "
            f"{record['seconds']:.0f} s"
        )
        if record["passed"]:
            console.print(f"[green]PASSED[/green]; audit written to {result.path}")
            return
        console.print(f"[red]FAILED[/red]: {'; '.join(record['failures'])}; audit written to {result.path}")
        needed = judge_audit.min_negatives_to_pass(limits.max_false_match_rate, limits.confidence)
        if limits.bound == "upper" and counts["non_matches"] < needed:
            console.print(
                f"note: with {counts['non_matches']} non-matches even zero false matches cannot pass: "
                f"the upper bound needs at least {needed} (more pairs, or --point-estimate)"
            )
        raise typer.Exit(1)
