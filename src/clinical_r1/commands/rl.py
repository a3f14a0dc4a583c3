"""`clinical-r1 rl`: RL after SFT (thin: parse, call, print).

    clinical-r1 rl --algo ppo|grpo|rloo --data DATA --model SFT_MODEL --out OUT [--config rl.yaml]
        [--language en] [--department X] [--include-ids/--exclude-ids IDS|@FILE]
        [--exclude-cases BENCH.jsonl ...] [--keep-benchmark-cases]
    clinical-r1 rl export-verl --data DATA --model SFT_MODEL --out FOLDER [--config rl.yaml]

The prompts trained on are OUT/rl_data.jsonl: DATA after the record filter, without the benchmark
cases (exact or near duplicates, leakage.py): those of --exclude-cases, and by default the
benchmark a pipeline run keeps next to DATA (records/heldout.jsonl beside records/train.jsonl, and
bench/bench.jsonl). What was left out is printed and saved in OUT/rl_data_report.json.

`rl_app` is a typer group that also runs on its own (invoke_without_command), so training needs no
sub-command name and the verl export sits beside it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from rich.console import Console

from clinical_r1.commands.records import (
    DEPARTMENT_OPTION,
    EXCLUDE_IDS_OPTION,
    INCLUDE_IDS_OPTION,
    LANGUAGE_OPTION,
)
from clinical_r1.threads import THREADS_HELP, pin_threads

console = Console()

rl_app = typer.Typer(
    help="RL after SFT: PPO with the verifier reward (paper), GRPO or RLOO; or export a verl run.",
    invoke_without_command=True,
)

DATA_HELP = "Records JSONL (case, diagnosis) or training examples JSONL (question, reference)."
# The prompt choice `rl` and `rl export-verl` share (with the record filter options of commands/records.py).
EXCLUDE_CASES_OPTION = typer.Option(
    [], "--exclude-cases", help="Benchmark JSONL (case/question) whose cases RL must not see; repeat."
)
KEEP_BENCHMARK_OPTION = typer.Option(
    False, "--keep-benchmark-cases", help="Skip the benchmark found next to DATA (records/heldout.jsonl)."
)


@rl_app.callback()
def rl(
    ctx: typer.Context,
    algo: str | None = typer.Option(None, "--algo", help="ppo (paper, default), grpo or rloo."),
    data: Path | None = typer.Option(None, "--data", help=DATA_HELP),
    model: str | None = typer.Option(None, "--model", help="The SFT model: HF folder, hub id or 'tiny'."),
    out: Path | None = typer.Option(None, "--out", help="Output folder: final model, metrics.json, rl.png."),
    config: Path | None = typer.Option(
        None, "--config", help="YAML with RLConfig fields (configs/rl_paper.yaml)."
    ),
    steps: int | None = typer.Option(None, help="Override: training steps."),
    batch_size: int | None = typer.Option(None, help="Override: prompts per step."),
    max_new_tokens: int | None = typer.Option(None, help="Override: response token limit."),
    learning_rate: float | None = typer.Option(None, help="Override: learning rate."),
    use_vllm: bool | None = typer.Option(None, help="Override (GRPO/RLOO): generate with vLLM (GPU)."),
    threads: int | None = typer.Option(None, min=1, help=THREADS_HELP),
    language: list[str] = LANGUAGE_OPTION,
    department: list[str] = DEPARTMENT_OPTION,
    include_ids: list[str] = INCLUDE_IDS_OPTION,
    exclude_ids: list[str] = EXCLUDE_IDS_OPTION,
    exclude_cases: list[Path] = EXCLUDE_CASES_OPTION,
    keep_benchmark_cases: bool = KEEP_BENCHMARK_OPTION,
    force_prompts: bool = typer.Option(
        False,
        "--force-prompts",
        help="Use the config's system_prompts / reward.style even where they contradict the model's "
        "clinical_r1.json (else that is an error).",
    ),
) -> None:
    """Train MODEL with RL on DATA (rerun the same command to resume from the last checkpoint)."""
    if ctx.invoked_subcommand is not None:
        return
    missing = [
        name for name, value in (("--data", data), ("--model", model), ("--out", out)) if value is None
    ]
    if missing:
        raise typer.BadParameter(f"missing {', '.join(missing)}", param_hint="clinical-r1 rl")
    from clinical_r1.cli_errors import fail
    from clinical_r1.config import load_config
    from clinical_r1.prompt_contract import PromptContractError
    from clinical_r1.tiny import resolve_model
    from clinical_r1.train.rl import RLConfig, run_rl

    pin_threads(threads)
    overrides = {
        "algo": algo,
        "steps": steps,
        "batch_size": batch_size,
        "max_new_tokens": max_new_tokens,
        "learning_rate": learning_rate,
        "force_prompts": True if force_prompts else None,
    }
    cfg = load_config(config, RLConfig, overrides)
    if use_vllm is not None:
        cfg = cfg.model_copy(update={"grpo": cfg.grpo.model_copy(update={"use_vllm": use_vllm})})
    filters = (language, department, include_ids, exclude_ids)
    benchmark = [*exclude_cases, *([] if keep_benchmark_cases else _benchmark_next_to(data))]
    prompts = _prepared_data(data, out, filters, benchmark)
    try:
        folder = run_rl(cfg, prompts, resolve_model(model), out)
    except PromptContractError as exc:  # a setting contradicting the model's clinical_r1.json
        raise fail(console, str(exc)) from exc
    if int(os.environ.get("RANK", "0")) != 0:  # under accelerate/torchrun only the main process reports
        return
    metrics = json.loads((folder / "metrics.json").read_text())
    console.print(
        f"[green]model saved to[/green] {folder}  {metrics['algo']} steps {metrics['global_step']} "
        f"(resumed from {metrics['resumed_from_step']})  reward {_fmt(metrics['reward_first'])} -> "
        f"{_fmt(metrics['reward_last'])}"
    )
    calls = metrics.get("reward_calls")
    if calls:
        console.print(f"outcomes {calls['outcomes']}  verdict sources {calls['verdict_sources']}")
    console.print(f"per-step log: {folder / 'metrics.json'}  plot: {folder / 'rl.png'}")


@rl_app.command("export-verl")
def export_verl_command(
    data: Path = typer.Option(..., "--data", help=DATA_HELP),
    model: str = typer.Option(..., "--model", help="The SFT model path as the verl nodes see it."),
    out: Path = typer.Option(..., "--out", help="Folder for train.parquet, reward_fn.py, run_ppo.sh."),
    config: Path | None = typer.Option(None, "--config", help="YAML with RLConfig fields."),
    val_data: Path | None = typer.Option(None, "--val-data", help="Optional validation prompts."),
    language: list[str] = LANGUAGE_OPTION,
    department: list[str] = DEPARTMENT_OPTION,
    include_ids: list[str] = INCLUDE_IDS_OPTION,
    exclude_ids: list[str] = EXCLUDE_IDS_OPTION,
    exclude_cases: list[Path] = EXCLUDE_CASES_OPTION,
    keep_benchmark_cases: bool = KEEP_BENCHMARK_OPTION,
) -> None:
    """Write verl's parquet prompts, a reward file wrapping our reward, and a multi-node PPO script.

    The prompts are chosen as for training here: DATA filtered, benchmark cases left out (OUT/rl_data.jsonl).
    """
    from clinical_r1.config import load_config
    from clinical_r1.train.rl import RLConfig
    from clinical_r1.train.verl_export import export_verl

    cfg = load_config(config, RLConfig)
    filters = (language, department, include_ids, exclude_ids)
    benchmark = [*exclude_cases, *([] if keep_benchmark_cases else _benchmark_next_to(data))]
    prompts = _prepared_data(data, out, filters, benchmark)
    result = export_verl(cfg, prompts, model, out, val_data)
    console.print(f"[green]{result.rows} prompts[/green] -> {result.train}")
    console.print(f"reward function: {result.reward_file} (compute_score)")
    console.print(f"launch: NNODES=2 NGPUS_PER_NODE=8 bash {result.launch_script}")


def _benchmark_next_to(data: Path) -> list[Path]:
    """The benchmark a pipeline run keeps beside its training records (runs/NAME/records/train.jsonl):
    records/heldout.jsonl, the pool the benchmark is built from, and bench/bench.jsonl."""
    candidates = [data.parent / "heldout.jsonl", data.parent.parent / "bench" / "bench.jsonl"]
    return [p for p in candidates if p.is_file() and p.resolve() != data.resolve()]


def _prepared_data(data: Path, out: Path, filters: tuple[list[str], ...], benchmark: list[Path]) -> Path:
    """OUT/rl_data.jsonl: DATA filtered and without benchmark cases (train.rl_data.prepare_rl_data)."""
    from clinical_r1.record_filters import filter_from_options, write_report
    from clinical_r1.records import RecordError
    from clinical_r1.train.rl_data import prepare_rl_data

    try:
        record_filter = filter_from_options(*filters)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    prepared = out / "rl_data.jsonl"
    if data.resolve() == prepared.resolve():  # the pipeline's launcher passes the file it prepared
        return data
    rank = int(os.environ.get("RANK", "0"))
    if rank:  # under accelerate/torchrun every process prepares its own copy, outside OUT (rank 0's)
        import atexit
        import shutil
        import tempfile

        own = Path(tempfile.mkdtemp(prefix=f"clinical-r1-rl-data-rank{rank}-"))
        atexit.register(shutil.rmtree, own, True)
        prepared = own / "rl_data.jsonl"
    try:
        report = prepare_rl_data(data, prepared, record_filter, benchmark)
    except (RecordError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if not rank:
        console.print(report.describe())
        if not benchmark:
            console.print(f"no benchmark found next to {data}: --exclude-cases BENCH.jsonl leaves one out")
        write_report(out / "rl_data_report.json", report.as_dict())
    return prepared


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def register(app: typer.Typer) -> None:
    app.add_typer(rl_app, name="rl")
