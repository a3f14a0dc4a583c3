"""Critic-free RL through TRL: GRPO (group-normalised advantages) and RLOO (leave-one-out baseline).

Cheaper than PPO (no value model; one model plus the reference), and TRL brings vLLM generation
(`grpo.use_vllm`, colocated or a `trl vllm-serve` server), DeepSpeed/FSDP and checkpoints. The reward is
the same function PPO uses (`clinical_r1.train.reward`), wrapped in TRL's reward-function signature:
TRL passes every dataset column, so `reference`, `reference_icd10` and `language` reach it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from clinical_r1.config import ConfigError, StrictModel
from clinical_r1.train.ppo import RewardFn, eos_token_ids, step_console, step_line
from clinical_r1.train.reward import OUTCOMES, RewardResult
from clinical_r1.train.rl_data import PromptItem, chat_prompt, tokenize_prompts

if TYPE_CHECKING:
    from clinical_r1.train.rl import RLConfig

CHECKPOINTS = "checkpoints"
SOURCES = ("rule", "code", "judge", "none", "parser")


class GRPOSettings(StrictModel):
    num_generations: int = Field(8, ge=2, description="Completions per prompt (the group).")
    num_iterations: int = Field(1, ge=1, description="Updates per generated batch (TRL's mu).")
    # Completions per device per micro-step; None = one group (num_generations).
    per_device_batch_size: int | None = Field(None, ge=1)
    loss_type: str | None = None  # None = TRL's default ("dapo" in TRL 1.16)
    mask_truncated_completions: bool = False
    use_vllm: bool = False
    vllm_mode: Literal["colocate", "server"] = "colocate"
    vllm_server_base_url: str | None = None
    vllm_gpu_memory_utilization: float = Field(0.3, gt=0, le=1)
    vllm_tensor_parallel_size: int = Field(1, ge=1)


class TRLReward:
    """Our reward function in TRL's form: (prompts, completions, completion_ids, <columns>) -> scores."""

    def __init__(self, reward_fn: RewardFn, eos_ids: list[int]) -> None:
        self.__name__ = "clinical_r1_reward"  # TRL names its logged reward columns after this
        self.reward_fn = reward_fn
        self.eos_ids = set(eos_ids)

    def __call__(self, prompts, completions, completion_ids, id, question, reference, language,
                 reference_icd10=None, log_metric=None, **_: Any) -> list[float]:  # fmt: skip
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        truncated = [not ids or ids[-1] not in self.eos_ids for ids in completion_ids]
        codes = reference_icd10 or [None] * len(texts)
        items = [
            PromptItem(i, q, r, lang, c or None)
            for i, q, r, lang, c in zip(id, question, reference, language, codes, strict=True)
        ]
        results = [RewardResult.of(r) for r in self.reward_fn(texts, items, truncated)]
        if log_metric is not None and any(r.outcome in OUTCOMES for r in results):
            for outcome in OUTCOMES:
                log_metric(f"share_{outcome}", sum(r.outcome == outcome for r in results) / len(results))
            for source in SOURCES:  # which verifier tier decided (parser = no reasoning, none = undecided)
                log_metric(f"source_{source}", sum(r.source == source for r in results) / len(results))
        return [r.score for r in results]


def _trl_args(config: RLConfig, out_dir: Path, total_steps: int):
    import torch
    from trl import GRPOConfig, RLOOConfig

    s = config.grpo
    cuda = torch.cuda.is_available()
    bf16 = config.bf16 if config.bf16 is not None else cuda and torch.cuda.is_bf16_supported()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    per_device = s.per_device_batch_size or s.num_generations
    completions = config.batch_size * s.num_generations
    if completions % (per_device * world):
        raise ConfigError(
            f"batch_size x num_generations = {completions} completions per step must be divisible by "
            f"per_device_batch_size ({per_device}) x processes ({world})"
        )
    extra: dict[str, Any] = {}
    if config.algo == "grpo" and s.loss_type:
        extra["loss_type"] = s.loss_type
    if s.use_vllm:
        extra.update(
            vllm_mode=s.vllm_mode,
            vllm_gpu_memory_utilization=s.vllm_gpu_memory_utilization,
            vllm_tensor_parallel_size=s.vllm_tensor_parallel_size,
        )
        if s.vllm_server_base_url:
            extra["vllm_server_base_url"] = s.vllm_server_base_url
    cls = GRPOConfig if config.algo == "grpo" else RLOOConfig
    return cls(
        output_dir=str(out_dir / CHECKPOINTS),
        max_steps=total_steps,
        learning_rate=config.learning_rate,
        lr_scheduler_type="constant",
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        per_device_train_batch_size=per_device,
        gradient_accumulation_steps=completions // (per_device * world),
        num_generations=s.num_generations,
        num_iterations=s.num_iterations,
        max_completion_length=config.max_new_tokens,
        temperature=config.temperature,
        top_p=config.top_p,
        beta=config.kl_coef,
        epsilon=config.clip_range,
        mask_truncated_completions=s.mask_truncated_completions,
        use_vllm=s.use_vllm,
        disable_dropout=True,
        activation_checkpointing=config.gradient_checkpointing,
        bf16=bf16,
        use_cpu=not cuda,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.keep_last,
        logging_steps=1,
        report_to="none",
        seed=config.seed,
        data_seed=config.seed,
        **extra,
    )


def run_trl(
    config: RLConfig,
    prompts: list[PromptItem],
    model: str | Path,
    out_dir: str | Path,
    reward_fn: RewardFn,
    progress: bool = True,
) -> tuple[Path, dict[str, Any]]:
    """GRPO or RLOO (config.algo) for `config.steps` steps; resumes from the last TRL checkpoint.

    TRL reduces the logged figures over processes (the reward function's shares through `log_metric`);
    rank 0 prints a line per step and writes the model, checkpoints and logs.
    """
    from datasets import Dataset
    from transformers import AutoTokenizer, GenerationConfig
    from transformers.trainer_utils import get_last_checkpoint
    from trl import GRPOTrainer, RLOOTrainer

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(str(model))
    kept, _, skipped = tokenize_prompts(tokenizer, prompts, config.system_prompts, config.max_prompt_tokens)
    dataset = Dataset.from_list(
        [
            {
                "prompt": chat_prompt(item, config.system_prompts),
                "id": item.id,
                "question": item.question,
                "reference": item.reference,
                "language": item.language,
                "reference_icd10": item.reference_icd10 or "",
            }
            for item in kept
        ]
    )
    total = config.total_steps(len(kept))
    try:
        generation_config = GenerationConfig.from_pretrained(str(model))
    except OSError:
        generation_config = None
    reward = TRLReward(reward_fn, eos_token_ids(tokenizer, generation_config))
    trainer_cls = GRPOTrainer if config.algo == "grpo" else RLOOTrainer
    per_round = config.batch_size * config.grpo.num_generations  # completions a generation round, all ranks
    trainer = trainer_cls(
        model=str(model),
        reward_funcs=reward,
        args=_trl_args(config, out_dir, total),
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[step_lines_callback(config.algo, total, per_round)] if progress else None,
    )
    folder = out_dir / CHECKPOINTS
    checkpoint = get_last_checkpoint(str(folder)) if folder.is_dir() else None
    resumed = int(checkpoint.rsplit("-", 1)[1]) if checkpoint else 0
    started = time.time()
    trainer.train(resume_from_checkpoint=checkpoint)
    trainer.save_model(str(out_dir))
    summary = {
        "algo": config.algo,
        "global_step": trainer.state.global_step,
        "resumed_from_step": resumed,
        "runtime_s": round(time.time() - started, 2),
        "prompts": len(kept),
        "prompts_skipped_too_long": skipped,
        "world_size": int(os.environ.get("WORLD_SIZE", "1")),
        # log_history comes back from the checkpoint on a resume: the whole run's steps
        "history": [_history_row(h, per_round) for h in trainer.state.log_history if "reward" in h],
    }
    return out_dir, summary


def _history_row(log: dict[str, Any], completions: int) -> dict[str, Any]:
    """TRL's log keys under the names PPO logs, so both plot and compare the same way.

    A row with a reward is one generation round of `completions` completions over all processes; TRL
    logs shares averaged over processes (equal-sized batches), so share x completions is the count.
    """
    row: dict[str, Any] = {
        "step": log["step"],
        "reward_mean": log["reward"],
        "kl": log.get("kl"),
        "pg_loss": log.get("loss"),
        "response_length": log.get("completions/mean_length"),
        "reward_std": log.get("reward_std"),
        "completions": completions,
    }
    if log.get("completions/mean_length") is not None:
        row["response_tokens"] = round(log["completions/mean_length"] * completions)
    if log.get("completions/clipped_ratio") is not None:
        row["truncated"] = round(log["completions/clipped_ratio"] * completions)
    for outcome in OUTCOMES:
        row[f"share_{outcome}"] = log.get(f"share_{outcome}")
    outcomes = {o: round(log[f"share_{o}"] * completions) for o in OUTCOMES if log.get(f"share_{o}")}
    if outcomes:
        row["outcomes"] = outcomes
    sources = {s: round(log[f"source_{s}"] * completions) for s in SOURCES if log.get(f"source_{s}")}
    if sources:
        row["sources"] = sources  # counts over the round's completions, as PPO logs them
    return row


def step_lines_callback(algo: str, total: int, completions: int):
    """A TRL callback printing one line per logged step on rank 0 (reward, KL, shares, seconds)."""
    from transformers import TrainerCallback

    class StepLines(TrainerCallback):
        def __init__(self) -> None:
            self.last = time.perf_counter()

        def on_train_begin(self, args, state, control, **kwargs) -> None:
            self.last = time.perf_counter()  # the first step's seconds without loading the model

        def on_log(self, args, state, control, logs=None, **kwargs) -> None:
            if not state.is_world_process_zero or not logs or "reward" not in logs:
                return
            now = time.perf_counter()
            row = _history_row({**logs, "step": state.global_step}, completions)
            row["seconds"] = now - self.last
            self.last = now
            world = int(os.environ.get("WORLD_SIZE", "1"))
            line = f"[rank 0/{world}] {step_line(algo, row, total)}"
            step_console().print(line, highlight=False, markup=False)

    return StepLines()
