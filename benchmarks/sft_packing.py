"""Packed vs padded SFT batches on the tiny model: real-token fraction and trained tokens/s.

    .venv/bin/python benchmarks/sft_packing.py [--examples 140] [--max-length 4096] [--padded-batch 4]

The examples are the bundled records (src/clinical_r1/data/samples/records.jsonl): the case is the
question, the reference diagnosis the response. The thinking is SYNTHETIC: clinical-reasoning
sentences drawn at random until a length drawn from a log-normal distribution (median ~350 words
or ~700 Chinese characters, like the reasoning in HuatuoGPT-o1-style SFT data). Its text is
meaningless; only its length matters for a throughput measurement.

All runs train on the same fitted examples with the same SFT code (TRL SFTTrainer):
- packed: best-fit-decreasing rows of `max-length` tokens, one row per step, padding-free, with
  attention either `sdpa_packed` (causal sdpa per sample, the default; the CPU counterpart of
  flash-attention varlen) or plain `sdpa` with the block-diagonal mask transformers builds;
- padded: `padded-batch` examples per step, padded to the longest in the batch (the HuatuoGPT-o1
  way, without packing), sdpa with the padding mask.
"Real tokens" = non-pad tokens / (rows in the batch x row length); for packed rows the row length
is `max-length` (the capacity a GPU run must plan for), so unused room in a row counts as waste.
Trained tokens/s = real tokens processed in the timed steps / their wall time (forward, backward,
optimiser). One run each, CPU, float32, 1 torch thread (so other processes on a shared machine
disturb it less).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import torch

from clinical_r1.records import SAMPLE_RECORDS, read_records
from clinical_r1.tiny import build_tiny_model, ensure_tiny_model
from clinical_r1.train.sft import SFTStageConfig, build_trainer
from clinical_r1.training_example import TrainingExample

EN_SENTENCES = [
    "The presenting complaint and its time course narrow the differential considerably.",
    "I should weigh the vital signs first, since instability changes what must be excluded.",
    "The laboratory results support an inflammatory process but are not specific on their own.",
    "Imaging findings need to be matched against the clinical picture rather than read in isolation.",
    "A common condition with an atypical presentation is still more likely than a rare one.",
    "Let me check whether any finding argues against the leading hypothesis.",
    "The patient's age and risk factors shift the pre-test probability noticeably.",
    "Wait, the absence of an expected sign deserves an explanation before I commit.",
    "Medication history could explain part of the picture, so it should be reviewed.",
    "Putting the history, examination and tests together, one diagnosis accounts for everything.",
]
ZH_SENTENCES = [
    "首先根据主诉和病程特点缩小鉴别诊断的范围。",
    "生命体征是否稳定决定了需要优先排除哪些疾病。",
    "实验室检查提示炎症反应，但单独看并不具有特异性。",
    "影像学表现需要结合临床表现综合判断。",
    "常见病的不典型表现仍比罕见病更有可能。",
    "再核对一下是否有不支持当前诊断的证据。",
    "患者的年龄和危险因素明显改变了验前概率。",
    "等等，缺少某个预期体征需要先给出解释。",
    "用药史可能解释部分表现，需要仔细回顾。",
    "综合病史、查体和检查，一个诊断可以解释全部表现。",
]


def synthetic_thinking(language: str, rng: random.Random) -> str:
    """Random reasoning sentences up to a log-normal length (words for en, characters for zh)."""
    target = min(1500, max(60, rng.lognormvariate(5.86, 0.5)))  # median e^5.86 ~ 350
    pool, measure = (ZH_SENTENCES, len) if language == "zh" else (EN_SENTENCES, lambda s: len(s.split()))
    if language == "zh":
        target *= 2  # ~2 characters per English word
    parts: list[str] = []
    while sum(measure(p) for p in parts) < target:
        parts.append(rng.choice(pool))
    return ("" if language == "zh" else " ").join(parts)


def make_examples(n: int, seed: int = 0) -> list[TrainingExample]:
    rng = random.Random(seed)
    records = list(read_records(SAMPLE_RECORDS))
    examples = []
    for i in range(n):
        record = records[i % len(records)]
        answer = "诊断：" if record.language == "zh" else "Diagnosis: "
        examples.append(
            TrainingExample(
                id=f"{record.id}-{i}",
                question=record.case,
                thinking=synthetic_thinking(record.language, rng),
                response=answer + record.diagnosis,
                reference=record.diagnosis,
                language=record.language,
            )
        )
    return examples


def measure(config: SFTStageConfig, examples, model: Path) -> dict:
    """Real-token fraction over the whole epoch's batches; tokens/s over `config.max_steps` steps."""
    with tempfile.TemporaryDirectory() as tmp:
        trainer, stats = build_trainer(config, examples, model, Path(tmp))
        real = capacity = 0
        for batch in trainer.get_train_dataloader():
            if "attention_mask" in batch:  # padded rows
                real += int(batch["attention_mask"].sum())
                capacity += batch["input_ids"].numel()
            else:  # padding-free: no pad tokens; capacity is rows x max_length (below)
                real += batch["input_ids"].shape[1]
        if config.packing:
            capacity = len(trainer.train_dataset) * config.max_length
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
        # TRL logs the cumulative number of real (non-pad) input tokens the model has processed.
        tokens = max(h.get("num_tokens", 0) for h in trainer.state.log_history)
    return {
        "steps": trainer.state.global_step,
        "real_fraction": real / capacity,
        "tokens": int(tokens),
        "seconds": seconds,
        "tokens_per_s": tokens / seconds,
        "stats": stats,
    }


def model_for(hidden_size: int, workdir: Path) -> Path:
    """The tiny model (hidden 64) or the same architecture and tokenizer made wider."""
    if hidden_size == 64:
        return ensure_tiny_model()
    return build_tiny_model(workdir / f"tiny-h{hidden_size}", hidden_size=hidden_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=140)
    parser.add_argument("--max-length", type=int, default=4096)
    parser.add_argument("--padded-batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=12, help="optimiser steps timed per mode")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--hidden-sizes",
        default="64",
        help="tiny-model widths to run, e.g. 64,512 (64 = the tiny model itself)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    examples = make_examples(args.examples)
    common = {"max_length": args.max_length, "max_steps": args.steps, "save_steps": 10**6, "logging_steps": 1,
              "learning_rate": 1e-4}  # fmt: skip
    modes = {
        "packed, sdpa per sample (default)": {"packing": True, "attn_implementation": "sdpa_packed"},
        "packed, sdpa with block mask": {"packing": True, "attn_implementation": "sdpa"},
        f"padded, {args.padded_batch}/step, sdpa": {
            "packing": False,
            "per_device_batch_size": args.padded_batch,
            "attn_implementation": "sdpa",
        },
    }
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for hidden in (int(h) for h in args.hidden_sizes.split(",")):
            model = model_for(hidden, Path(workdir))
            for mode, settings in modes.items():
                results.append((hidden, mode, measure(SFTStageConfig(**common, **settings), examples, model)))

    stats = results[0][2]["stats"]
    print(
        f"\n{stats.total} examples ({stats.kept} kept, {stats.truncated} with thinking shortened, "
        f"{stats.dropped} dropped), {stats.tokens:,} tokens, "
        f"mean {stats.tokens / max(stats.kept, 1):,.0f} per example; max_length {args.max_length}; "
        f"CPU, float32, {args.threads} thread(s), {args.steps} timed steps per mode\n"
    )
    print("| model | batches, attention | real tokens | trained tokens/s | vs padded |")
    print("|---|---|---:|---:|---:|")
    padded_speed = {hidden: m["tokens_per_s"] for hidden, mode, m in results if mode.startswith("padded")}
    for hidden, mode, m in results:
        name = "tiny (hidden 64)" if hidden == 64 else f"tiny widened (hidden {hidden})"
        ratio = m["tokens_per_s"] / padded_speed[hidden]
        print(f"| {name} | {mode} | {m['real_fraction']:.1%} | {m['tokens_per_s']:,.0f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
