"""GPU memory and time for the paper's setup (Qwen2.5-7B-Instruct, 8 GPUs), estimated, not measured.

How: parameter count from the architecture (Qwen2.5-7B's public config); memory from the standard
mixed-precision AdamW accounting (bf16 weights + bf16 grads + fp32 master + two fp32 Adam moments =
16 bytes/parameter) sharded by ZeRO-3 over the GPUs, plus activations with gradient checkpointing
(one bf16 hidden state per layer per token, plus one layer's working set); time from the usual
6 x params x tokens training FLOPs (x 4/3 for checkpointing recompute) at an assumed model FLOPs
utilisation; RL generation is memory-bound, so a decode step costs one read of the bf16 weights from
GPU memory (replicated weights, as with DDP or vLLM; under ZeRO-3 every step all-gathers them instead,
several times slower: use vLLM or verl for rollouts at this size).
Token counts: pass your synthesized examples (--examples) to count them with a real tokenizer-free
proxy (characters / 3.5 for English, / 1.5 for Chinese), or use the defaults below.

    python benchmarks/paper_estimate.py [--examples runs/paper/synthesize/examples.jsonl]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

# Qwen2.5-7B-Instruct config.json (public): hidden 3584, 28 layers, MLP 18944, 28 heads, 4 KV heads,
# head dim 128, vocab 152064, untied embeddings.
HIDDEN, LAYERS, MLP, HEADS, KV_HEADS, VOCAB = 3584, 28, 18944, 28, 4, 152064
HEAD_DIM = HIDDEN // HEADS


def qwen_params() -> int:
    attn = HIDDEN * HIDDEN * 2 + HIDDEN * KV_HEADS * HEAD_DIM * 2 + HIDDEN * 2 + KV_HEADS * HEAD_DIM * 2
    mlp = 3 * HIDDEN * MLP
    norms = 2 * HIDDEN
    return LAYERS * (attn + mlp + norms) + 2 * VOCAB * HIDDEN + HIDDEN


def tokens_of(path: Path) -> tuple[int, int]:
    """(examples, tokens) of a synthesized examples file, with a characters-per-token proxy."""
    n = tokens = 0
    for line in path.open(encoding="utf-8"):
        row = json.loads(line)
        text = row["question"] + row["thinking"] + row["response"]
        per_token = 1.5 if row.get("language") == "zh" else 3.5
        tokens += int(len(text) / per_token)
        n += 1
    return n, tokens


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=Path, help="synthesized examples.jsonl to count tokens from")
    ap.add_argument("--n-examples", type=int, default=20_000, help="SFT examples (paper: 20,000 records)")
    ap.add_argument("--tokens-per-example", type=int, default=2_000, help="question + thinking + response")
    ap.add_argument("--epochs", type=float, default=3.0)
    ap.add_argument("--gpus", type=int, default=8)
    ap.add_argument("--gpu-tflops", type=float, default=312.0, help="bf16 dense peak (A100: 312, H100: 989)")
    ap.add_argument("--mfu", type=float, default=0.35, help="assumed training FLOPs utilisation")
    ap.add_argument("--seq", type=int, default=8192, help="packed sequence length")
    ap.add_argument("--rl-prompts", type=int, default=4_000, help="prompts seen in RL (one pass)")
    ap.add_argument("--rl-response-tokens", type=int, default=1_500)
    ap.add_argument("--rl-batch", type=int, default=16, help="prompts per PPO step (paper: 16)")
    ap.add_argument("--hbm-gbps", type=float, default=2000.0, help="GPU memory bandwidth (A100 80GB: ~2000)")
    args = ap.parse_args()

    n, tokens_per = args.n_examples, args.tokens_per_example
    if args.examples:
        n, total = tokens_of(args.examples)
        tokens_per = total // max(n, 1)
    params = qwen_params()
    gb = 1e9

    # Memory per GPU.
    states = 16 * params / args.gpus  # ZeRO-3 shards weights, grads and optimizer states
    ckpt_acts = LAYERS * args.seq * HIDDEN * 2  # one bf16 hidden state per layer (checkpointing)
    layer_work = args.seq * (HIDDEN * 12 + MLP * 4) * 2  # one layer recomputed at a time, bf16
    logits = args.seq * VOCAB * 4  # fp32 logits of one packed row
    sft_mem = states + ckpt_acts + layer_work + logits
    # PPO: policy (trained) + critic of the same size (trained) + frozen reference (bf16, sharded).
    ppo_mem = 2 * states + 2 * params / args.gpus + 2 * (ckpt_acts + layer_work) + logits

    # Time.
    sft_tokens = n * tokens_per * args.epochs
    flops = 6 * params * sft_tokens * 4 / 3
    cluster = args.gpus * args.gpu_tflops * 1e12
    sft_hours = flops / (cluster * args.mfu) / 3600
    decode_step_s = 2 * params / (args.hbm_gbps * 1e9)  # the GPUs decode their share of a batch in parallel
    gen_hours = (args.rl_prompts / args.rl_batch) * args.rl_response_tokens * decode_step_s / 3600
    # Each PPO step trains policy and critic 3 epochs over prompt + response tokens.
    rl_train_tokens = args.rl_prompts * (args.rl_response_tokens + 500) * 3
    rl_hours = gen_hours + 2 * 6 * params * rl_train_tokens * 4 / 3 / (cluster * args.mfu) / 3600

    rows = [
        ("parameters", f"{params / 1e9:.2f} B"),
        ("SFT examples x tokens", f"{n:,} x {tokens_per:,} ({'counted' if args.examples else 'assumed'})"),
        ("SFT memory per GPU (ZeRO-3, ckpt)", f"{sft_mem / gb:.1f} GB"),
        ("  of which weights+grads+Adam", f"{states / gb:.1f} GB"),
        ("PPO memory per GPU (policy+critic+ref)", f"{ppo_mem / gb:.1f} GB (+ KV cache for generation)"),
        (f"SFT time, {args.epochs:g} epochs", f"{sft_hours:.1f} h on {args.gpus} GPUs at {args.mfu:.0%} MFU"),
        (f"PPO time, {args.rl_prompts:,} prompts", f"{rl_hours:.1f} h (generation {gen_hours:.1f} h)"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'quantity'.ljust(width)} | estimate")
    print(f"{'-' * width}-|-{'-' * 40}")
    for key, value in rows:
        print(f"{key.ljust(width)} | {value}")


if __name__ == "__main__":
    main()
