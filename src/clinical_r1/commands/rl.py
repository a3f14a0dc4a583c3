"""`clinical-r1 rl`: RL after SFT (thin: parse, call, print).

    clinical-r1 rl --algo ppo|grpo|rloo --data DATA --model SFT_MODEL --out OUT [--config rl.yaml]
    clinical-r1 rl export-verl --data DATA --model SFT_MODEL --out FOLDER [--config rl.yaml]

`rl_app` is a typer group that also runs on its own (invoke_without_command), so training needs no
sub-command name and the verl export sits beside it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from rich.console import Console

console = Console()

rl_app = typer.Typer(
    help="RL after SFT: PPO with the verifier reward (paper), GRPO or RLOO; or export a verl run.",
    invoke_without_command=True,
)

DATA_HELP = "Records JSONL (case, diagnosis) or training examples JSONL (question, reference)."


@rl_app.callback()
def rl(
    ctx: typer.Context,
    algo: str | None = typer.Option(None, "--algo", help="ppo (paper, default), grpo or rloo."),
    data: Path | None = typer.Option(None, "--data", help=DATA_HELP),
    model: str | None = typer.Option(None, "--model", help="The SFT model: HF folder or hub id."),
    out: Path | None = typer.Option(None, "--out", help="Output folder: final model, metrics.json, rl.png."),
    config: Path | None = typer.Option(
        None, "--config", help="YAML with RLConfig fields (configs/rl_paper.yaml)."
    ),
    steps: int | None = typer.Option(None, help="Override: training steps."),
    batch_size: int | None = typer.Option(None, help="Override: prompts per step."),
    max_new_tokens: int | None = typer.Option(None, help="Override: response token limit."),
    learning_rate: float | None = typer.Option(None, help="Override: learning rate."),
    use_vllm: bool | None = typer.Option(None, help="Override (GRPO/RLOO): generate with vLLM (GPU)."),
) -> None:
    """Train MODEL with RL on DATA (rerun the same command to resume from the last checkpoint)."""
    if ctx.invoked_subcommand is not None:
        return
    missing = [
        name for name, value in (("--data", data), ("--model", model), ("--out", out)) if value is None
    ]
    if missing:
        raise typer.BadParameter(f"missing {', '.join(missing)}", param_hint="clinical-r1 rl")
    from clinical_r1.config import load_config
    from clinical_r1.train.rl import RLConfig, run_rl

    overrides = {
        "algo": algo,
        "steps": steps,
        "batch_size": batch_size,
        "max_new_tokens": max_new_tokens,
        "learning_rate": learning_rate,
    }
    cfg = load_config(config, RLConfig, overrides)
    if use_vllm is not None:
        cfg = cfg.model_copy(update={"grpo": cfg.grpo.model_copy(update={"use_vllm": use_vllm})})
    folder = run_rl(cfg, data, model, out)
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
) -> None:
    """Write verl's parquet prompts, a reward file wrapping our reward, and a multi-node PPO script."""
    from clinical_r1.config import load_config
    from clinical_r1.train.rl import RLConfig
    from clinical_r1.train.verl_export import export_verl

    cfg = load_config(config, RLConfig)
    result = export_verl(cfg, data, model, out, val_data)
    console.print(f"[green]{result.rows} prompts[/green] -> {result.train}")
    console.print(f"reward function: {result.reward_file} (compute_score)")
    console.print(f"launch: NNODES=2 NGPUS_PER_NODE=8 bash {result.launch_script}")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def register(app: typer.Typer) -> None:
    app.add_typer(rl_app, name="rl")
