"""RL after SFT (paper 2.2.2 / 3.2): PPO with the verifier reward, or critic-free GRPO / RLOO via TRL.

`run_rl(config, data_path, model, out_dir)` is the stage: it reads prompts (records with case /
diagnosis, or synthesis examples with question / reference), scores completions with the one reward
module (1 right / 0.1 wrong / 0 without reasoning, see train/reward.py), trains, and writes the final
policy as an ordinary HF folder in `out_dir`, with `metrics.json` (per-step log) and `rl.png` beside
it and `checkpoints/` to resume from. For a multi-node run, see train/verl_export.py and docs/rl.md.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from clinical_r1.config import StrictModel, renamed_field
from clinical_r1.prompt_contract import Prompting, model_folder, resolve_prompting, write_contract
from clinical_r1.train.grpo import GRPOSettings, run_trl
from clinical_r1.train.ppo import PPOSettings, RewardFn, run_ppo
from clinical_r1.train.reward import RewardConfig, Rewarder
from clinical_r1.train.rl_data import PromptItem, load_prompts
from clinical_r1.verify import VerifierConfig

Algo = Literal["ppo", "grpo", "rloo"]


class RLConfig(StrictModel):
    algo: Algo = "ppo"
    # Shared by all algorithms; defaults are the paper's (3.2) where it gives them.
    learning_rate: float = Field(5e-7, gt=0)
    batch_size: int = Field(
        16, ge=1, description="Prompts per step (GRPO/RLOO: x num_generations completions)."
    )
    kl_coef: float = Field(0.03, ge=0, description="KL penalty against the frozen reference model.")
    clip_range: float = Field(0.2, gt=0, description="PPO ratio clip (GRPO/RLOO: epsilon).")
    epochs: float = Field(1.0, gt=0, description="Passes over the prompts when steps is -1.")
    steps: int = Field(-1, description="Training steps; -1 = epochs x prompts / batch_size.")
    max_new_tokens: int = Field(1024, ge=1)
    max_prompt_tokens: int = Field(2048, ge=1, description="Longer prompts are left out (and counted).")
    temperature: float = Field(1.0, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_grad_norm: float = Field(1.0, ge=0)
    weight_decay: float = Field(0.0, ge=0)
    bf16: bool | None = None  # None: on when a bf16-capable GPU is present
    gradient_checkpointing: bool = False
    # Per language; None = the model folder's prompting contract (clinical_r1.json, written by SFT),
    # else clinical_r1.chat.DEFAULT_SYSTEM_PROMPTS. A value contradicting the contract is an error
    # unless force_prompts (prompt_contract.py).
    system_prompts: dict[str, str] | None = None
    force_prompts: bool = False
    reward: RewardConfig = Field(default_factory=RewardConfig)
    verifier: VerifierConfig = Field(default_factory=VerifierConfig)
    ppo: PPOSettings = Field(default_factory=PPOSettings)
    grpo: GRPOSettings = Field(default_factory=GRPOSettings)
    save_steps: int = Field(50, ge=1)
    keep_last: int | None = Field(
        2, ge=1, description="Checkpoints kept (the newest); None keeps all. Old name: save_total_limit."
    )
    seed: int = 0

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        return renamed_field(data, "save_total_limit", "keep_last")

    def total_steps(self, prompts: int) -> int:
        if self.steps > 0:
            return self.steps
        return max(1, math.ceil(self.epochs * prompts / self.batch_size))


def verifier_reward(config: RLConfig) -> tuple[RewardFn, Rewarder]:
    """The paper's reward as the trainers call it: (completions, prompt items, truncated) -> results."""
    rewarder = Rewarder(config.reward, verifier_config=config.verifier)

    def reward_fn(texts: list[str], items: list[PromptItem], truncated: list[bool]):
        return rewarder.score_details(
            texts,
            [i.reference for i in items],
            [i.reference_icd10 for i in items],
            [i.language for i in items],
            truncated,
        )

    return reward_fn, rewarder


def run_rl(
    config: RLConfig,
    data_path: str | Path,
    model: str | Path,
    out_dir: str | Path,
    reward_fn: RewardFn | None = None,
    progress: bool = True,
) -> Path:
    """Train `model` with RL on the prompts in `data_path`; return the folder with the final model.

    `reward_fn` replaces the verifier reward (toy tasks, tests). A rerun resumes from the last
    checkpoint in `out_dir/checkpoints`; a rerun with more `steps` continues training.
    """
    config, prompting = with_contract(config, model)
    prompts = load_prompts(data_path)
    out_dir = Path(out_dir)
    rewarder = None
    if reward_fn is None:
        reward_fn, rewarder = verifier_reward(config)
    if config.algo == "ppo":
        folder, summary = run_ppo(config, prompts, model, out_dir, reward_fn, progress=progress)
    else:
        folder, summary = run_trl(config, prompts, model, out_dir, reward_fn, progress=progress)
    if int(os.environ.get("RANK", "0")) == 0:
        write_contract(folder, prompting, stage="rl", parent_model=model, data_path=data_path)
        metrics = _metrics(config, summary, data_path, model, rewarder)
        (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
        plot_history(metrics["history"], out_dir / "rl.png", config.algo)
    return folder


def with_contract(config: RLConfig, model: str | Path) -> tuple[RLConfig, Prompting]:
    """The policy is prompted as it was trained: system prompts and reward style from the model folder's
    prompting contract unless the config sets them (a contradiction is an error unless force_prompts).
    A reward style the config sets is kept (None: detect either style)."""
    reward_style_set = "style" in config.reward.model_fields_set
    given_style = config.reward.style if reward_style_set else None
    prompting = resolve_prompting(
        model_folder(Path(model)),
        given_style,
        config.system_prompts,
        config.force_prompts,
        where="the RL config (system_prompts / reward.style)",
    )
    reward = config.reward
    if not reward_style_set:
        reward = reward.model_copy(update={"style": prompting.style})
    config = config.model_copy(update={"system_prompts": prompting.system_prompts, "reward": reward})
    return config, prompting


def _metrics(config: RLConfig, summary: dict[str, Any], data_path, model, rewarder: Rewarder | None) -> dict:
    import torch
    import transformers
    import trl

    history = summary["history"]
    metrics = {
        "model": str(model),
        "data": str(data_path),
        **summary,
        "reward_first": history[0]["reward_mean"] if history else None,
        "reward_last": history[-1]["reward_mean"] if history else None,
        "config": config.model_dump(mode="json"),
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "trl": trl.__version__,
        },
    }
    metrics["reward_calls"] = run_totals(history)  # all steps of the run (resumed ones too), all processes
    if rewarder is not None:  # the verifier's own work: this process, since this (re)start
        metrics["reward_calls"]["this_process_since_start"] = {
            "distinct_pairs_verified": rewarder.verifier_calls,
            "judge_calls": rewarder.verifier.judge_calls,
        }
    return metrics


def run_totals(history: list[dict[str, Any]]) -> dict[str, Any]:
    """Completions, outcomes, verdict sources and tokens summed over the logged steps (all processes)."""
    outcomes: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    totals = {"completions": 0, "response_tokens": 0, "truncated": 0}
    for row in history:
        outcomes.update(row.get("outcomes") or {})
        sources.update(row.get("sources") or {})
        for key in totals:
            totals[key] += row.get(key) or 0
    return {
        **totals,
        "outcomes": dict(sorted(outcomes.items())),
        "verdict_sources": dict(sorted(sources.items())),
    }


SHARES = [("correct", "right (1)"), ("wrong", "wrong (0.1)"), ("no_reasoning", "no reasoning (0)")]
PLOTS = [
    ("reward_mean", "mean reward"),
    ("shares", "share of 1 / 0.1 / 0"),
    ("kl", "KL to reference (per token)"),
    ("pg_loss", "policy loss"),
    ("vf_loss", "value loss"),
    ("response_length", "response length (tokens)"),
]


def plot_history(history: list[dict[str, Any]], path: Path, algo: str) -> None:
    """Per-step reward, outcome shares, KL, losses and response length as one PNG."""
    from clinical_r1.plotting import pyplot

    plt = pyplot()

    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5))
    steps = [h["step"] for h in history]
    for ax, (key, title) in zip(axes.flat, PLOTS, strict=True):
        series = (
            {label: [h.get(f"share_{o}") for h in history] for o, label in SHARES}
            if key == "shares"
            else {None: [h.get(key) for h in history]}
        )
        series = {label: values for label, values in series.items() if any(v is not None for v in values)}
        for label, values in series.items():
            ax.plot(steps, values, marker=".", linewidth=1, label=label)
        if not series:
            ax.text(0.5, 0.5, f"not logged by {algo}", ha="center", va="center", transform=ax.transAxes)
        elif key == "shares":
            ax.legend(fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"RL ({algo})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
