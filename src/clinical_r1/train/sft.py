"""Supervised fine-tuning on training examples (paper 2.2.1 / 3.2), built on TRL's SFTTrainer.

Our part is the recipe: each example becomes a chat (case as the user turn, thinking + final response
as the assistant turn) through the model's own chat template; the loss covers the assistant turn
only; overlong samples lose the middle of their thinking, never the case or the answer (packing.py);
samples are packed best-fit-decreasing into `max_length` rows with attention isolated per sample.
TRL and transformers do the training, checkpointing, mixed precision and distribution (accelerate
with DeepSpeed ZeRO-3 or FSDP: see configs/accelerate/ and docs/sft.md).

Output folder: the final model as an ordinary HF folder (weights, tokenizer, chat template), with
`metrics.json`, `loss.png` and `checkpoints/` beside it. A rerun resumes from the last checkpoint.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from clinical_r1.config import StrictModel, renamed_field
from clinical_r1.prompt_contract import Prompting, write_contract
from clinical_r1.train.packing import (
    PACKED_SDPA,
    FitStats,
    OverlongRule,
    fill_ratio,
    fit_examples,
    register_packed_sdpa,
)
from clinical_r1.training_example import TrainingExample, read_examples

CHECKPOINTS = "checkpoints"


class LoraSettings(StrictModel):
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    # Merge the adapter into the base weights for the final folder (a plain model that loads anywhere).
    merge: bool = True


class SFTStageConfig(Prompting):
    # style and system_prompts (Prompting: the one definition) are what the model is trained with, and
    # written to its clinical_r1.json
    # Data -> tokens
    max_length: int = Field(2048, gt=0, description="Tokens per packed row (per sample when not packing).")
    packing: bool = True
    overlong: OverlongRule = "truncate_thinking"
    min_thinking_tokens: int = Field(16, ge=1)
    # Optimisation (paper: 3 epochs, cosine from 5e-6)
    epochs: float = 3.0
    max_steps: int = -1
    learning_rate: float = 5e-6
    lr_scheduler: str = "cosine"
    warmup: float = Field(0.0, ge=0, description="Warm-up steps (int) or a fraction of all steps (< 1).")
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    per_device_batch_size: int = Field(1, ge=1, description="Packed rows per device per step.")
    gradient_accumulation_steps: int = Field(1, ge=1)
    gradient_checkpointing: bool = False
    bf16: bool | None = None  # None: on when a bf16-capable GPU is present
    # None: flash_attention_2 when a GPU and flash-attn are present; else sdpa_packed (per-sample sdpa,
    # packing.py) when packing, plain sdpa when not.
    attn_implementation: (
        Literal["flash_attention_2", "flash_attention_3", "sdpa_packed", "sdpa", "eager", "flex_attention"]
        | None
    ) = None
    lora: LoraSettings | None = None
    # Checkpoints and logs
    save_steps: int = Field(200, ge=1)
    keep_last: int | None = Field(
        2, ge=1, description="Checkpoints kept (the newest); None keeps all. Old name: save_total_limit."
    )
    logging_steps: int = Field(1, ge=1)
    seed: int = 0

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        return renamed_field(data, "save_total_limit", "keep_last")


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def resolve_attn_implementation(config: SFTStageConfig) -> str:
    if config.attn_implementation:
        return config.attn_implementation
    if _cuda():
        import importlib.util

        if importlib.util.find_spec("flash_attn") is not None:
            return "flash_attention_2"
    return PACKED_SDPA if config.packing else "sdpa"


def _trl_args(config: SFTStageConfig, out_dir: Path):
    import torch
    from trl import SFTConfig

    cuda = _cuda()
    bf16 = config.bf16 if config.bf16 is not None else cuda and torch.cuda.is_bf16_supported()
    # Under FSDP with its own activation checkpointing (configs/accelerate/fsdp.yaml) the trainer must not
    # checkpoint as well (transformers refuses both at once).
    fsdp_checkpoints = os.environ.get("FSDP_ACTIVATION_CHECKPOINTING", "false").lower() == "true"
    checkpointing = config.gradient_checkpointing and not fsdp_checkpoints
    return SFTConfig(
        output_dir=str(out_dir / CHECKPOINTS),
        max_length=config.max_length,
        packing=config.packing,
        packing_strategy="bfd",
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup,
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        per_device_train_batch_size=config.per_device_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        activation_checkpointing=checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if checkpointing else None,
        bf16=bf16,
        use_cpu=not cuda,
        model_init_kwargs={"attn_implementation": resolve_attn_implementation(config)},
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.keep_last,
        logging_steps=config.logging_steps,
        logging_first_step=True,
        report_to="none",
        seed=config.seed,
        data_seed=config.seed,
    )


def build_trainer(config: SFTStageConfig, examples: list[TrainingExample], model: str | Path, out_dir: Path):
    """The SFTTrainer for these examples, plus what the overlong rule did (FitStats)."""
    from transformers import AutoTokenizer
    from trl import SFTTrainer

    if config.attn_implementation == PACKED_SDPA and not config.packing:
        raise ValueError(
            f"attn_implementation '{PACKED_SDPA}' needs packing: true (padded batches use 'sdpa')"
        )
    register_packed_sdpa()
    tokenizer = AutoTokenizer.from_pretrained(str(model))
    if not tokenizer.chat_template:
        raise ValueError(f"{model}: the tokenizer has no chat template; SFT formats examples through it")
    dataset, stats = fit_examples(
        tokenizer,
        examples,
        config.max_length,
        config.system_prompts,
        config.style,
        config.overlong,
        config.min_thinking_tokens,
    )
    if stats.kept == 0:
        raise ValueError(
            f"all {stats.total} examples are longer than max_length={config.max_length} under the "
            f"'{config.overlong}' rule; raise max_length"
        )
    peft_config = None
    if config.lora is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=config.lora.r,
            lora_alpha=config.lora.alpha,
            lora_dropout=config.lora.dropout,
            target_modules=config.lora.target_modules,
            task_type="CAUSAL_LM",
        )
    trainer = SFTTrainer(
        model=str(model),
        args=_trl_args(config, out_dir),
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    return trainer, stats


def last_checkpoint(out_dir: Path) -> Path | None:
    from transformers.trainer_utils import get_last_checkpoint

    folder = out_dir / CHECKPOINTS
    if not folder.is_dir():
        return None
    found = get_last_checkpoint(str(folder))
    return Path(found) if found else None


def run_sft(
    config: SFTStageConfig,
    data_path: str | Path,
    model: str | Path,
    out_dir: str | Path,
    resume: bool = True,
) -> Path:
    """Fine-tune `model` on the examples in `data_path`; return the folder holding the final model.

    With `resume` (default) a rerun continues from the last checkpoint in `out_dir/checkpoints`.
    """
    data_path, out_dir = Path(data_path), Path(out_dir)
    if not data_path.exists():
        raise FileNotFoundError(f"{data_path}: training examples not found")
    examples = list(read_examples(data_path))
    if not examples:
        raise ValueError(f"{data_path}: no training examples")
    out_dir.mkdir(parents=True, exist_ok=True)

    trainer, stats = build_trainer(config, examples, model, out_dir)
    checkpoint = last_checkpoint(out_dir) if resume else None
    resumed_step = int(checkpoint.name.rsplit("-", 1)[1]) if checkpoint else 0
    started = time.time()
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    elapsed = time.time() - started

    _save_final_model(trainer, config, model, out_dir)
    if trainer.is_world_process_zero():
        merged = config.lora is not None and config.lora.merge
        write_contract(
            out_dir,
            Prompting(style=config.style, system_prompts=config.system_prompts),
            stage="sft-lora-merged" if merged else "sft",
            parent_model=model,
            data_path=data_path,
        )
        metrics = _metrics(config, trainer, result, stats, data_path, model, resumed_step, elapsed)
        (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
        plot_loss(metrics["loss_history"], out_dir / "loss.png")
    return out_dir


def _save_final_model(trainer, config: SFTStageConfig, model: str | Path, out_dir: Path) -> None:
    tokenizer = trainer.processing_class
    if config.lora is None or not config.lora.merge:
        trainer.save_model(str(out_dir))  # gathers ZeRO-3 / FSDP shards; writes the tokenizer too
        return
    adapter_dir = out_dir / "adapter"
    trainer.save_model(str(adapter_dir))
    trainer.accelerator.wait_for_everyone()
    if trainer.is_world_process_zero():
        import torch
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        dtype = torch.bfloat16 if trainer.args.bf16 else torch.float32
        base = AutoModelForCausalLM.from_pretrained(str(model), dtype=dtype)
        merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
        merged.save_pretrained(str(out_dir))
        tokenizer.save_pretrained(str(out_dir))


def _metrics(
    config: SFTStageConfig,
    trainer,
    result,
    stats: FitStats,
    data_path: Path,
    model: str | Path,
    resumed_step: int,
    elapsed: float,
) -> dict[str, Any]:
    import torch
    import transformers
    import trl

    history = [
        {"step": h["step"], "loss": h["loss"], "learning_rate": h.get("learning_rate")}
        for h in trainer.state.log_history
        if "loss" in h
    ]
    rows = trainer.train_dataset
    return {
        "model": str(model),
        "data": str(data_path),
        "global_step": trainer.state.global_step,
        "resumed_from_step": resumed_step,
        "epochs": trainer.state.epoch,
        "train_loss": result.training_loss,
        "loss_first": history[0]["loss"] if history else None,
        "loss_last": history[-1]["loss"] if history else None,
        "runtime_s": round(elapsed, 2),
        "examples": stats.as_dict(),
        "rows": len(rows),
        "packing": {
            "enabled": config.packing,
            "max_length": config.max_length,
            "fill_ratio": round(fill_ratio(rows, config.max_length), 4) if config.packing else None,
        },
        "attn_implementation": trainer.model.config._attn_implementation,
        "loss_history": history,
        "config": config.model_dump(mode="json"),
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "trl": trl.__version__,
        },
        "world_size": int(os.environ.get("WORLD_SIZE", "1")),
    }


def plot_loss(history: list[dict[str, Any]], path: Path) -> None:
    """Training loss per optimiser step as a PNG."""
    from clinical_r1.plotting import pyplot

    plt = pyplot()

    fig, ax = plt.subplots(figsize=(7, 4))
    if history:
        ax.plot([h["step"] for h in history], [h["loss"] for h in history], marker=".", linewidth=1)
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("training loss (assistant tokens)")
    ax.set_title("SFT loss")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
