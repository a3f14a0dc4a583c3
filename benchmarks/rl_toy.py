"""RL on CPU: does each algorithm learn the toy task, how fast per step, and what a tiny-model step costs.

    .venv/bin/python benchmarks/rl_toy.py                # PPO, GRPO, RLOO on the toy task + tiny model
    .venv/bin/python benchmarks/rl_toy.py --steps 40 --seeds 0 1 2

Toy task (clinical_r1.testing.toy_rl): a character-level model over the letters a-h, reward = share of
"a" in the response; a random policy earns ~0.1. Tiny-model rows: the project's tiny model on the
bundled records with the real verifier reward (it never reasons in the format, so the reward stays 0:
they measure cost, not learning). Times are CPU seconds per step of this process (independent of
other load on the machine); one torch thread.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch


def run(algo: str, data: Path, model: Path, out: Path, steps: int, seed: int, reward_fn, **overrides) -> dict:
    from clinical_r1.train.rl import RLConfig, run_rl

    config = RLConfig(algo=algo, steps=steps, seed=seed, save_steps=10_000, **overrides)
    cpu = time.process_time()
    run_rl(config, data, model, out, reward_fn=reward_fn, progress=False)
    cpu = time.process_time() - cpu
    history = json.loads((out / "metrics.json").read_text())["history"]
    rewards = [h["reward_mean"] for h in history]
    k = min(5, len(rewards))
    return {"first": sum(rewards[:k]) / k, "last": sum(rewards[-k:]) / k, "cpu_s_per_step": cpu / steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    torch.set_num_threads(1)

    from clinical_r1.records import SAMPLE_RECORDS
    from clinical_r1.testing.toy_rl import build_letter_model, letter_share_reward, write_letter_prompts
    from clinical_r1.tiny import build_tiny_model

    work = Path(tempfile.mkdtemp(prefix="rl_bench_"))
    letters = build_letter_model(work / "letters")
    prompts = write_letter_prompts(work / "prompts.jsonl")
    tiny = build_tiny_model(work / "tiny")
    toy = dict(learning_rate=1e-2, batch_size=8, max_new_tokens=8, system_prompts={"en": ""})
    rows = []
    for algo in ("ppo", "grpo", "rloo"):
        for seed in args.seeds:
            out = work / f"{algo}-{seed}"
            result = run(algo, prompts, letters, out, args.steps, seed, letter_share_reward, **toy,
                         grpo={"num_generations": 4})  # fmt: skip
            rows.append(("toy letters", algo, seed, args.steps, result))
    tiny_cfg = dict(batch_size=4, max_new_tokens=64, max_prompt_tokens=4096)
    for algo in ("ppo", "grpo"):
        result = run(algo, SAMPLE_RECORDS, tiny, work / f"tiny-{algo}", 3, 0, None, **tiny_cfg,
                     grpo={"num_generations": 4})  # fmt: skip
        rows.append(("tiny model, records", algo, 0, 3, result))

    header = ("task", "algo", "seed", "steps", "reward first 5", "last 5", "CPU s/step")
    print("{:<20} {:<5} {:>4} {:>5} {:>15} {:>7} {:>11}".format(*header))
    for task, algo, seed, steps, r in rows:
        print(
            f"{task:<20} {algo:<5} {seed:>4} {steps:>5} {r['first']:>15.3f} {r['last']:>7.3f} "
            f"{r['cpu_s_per_step']:>11.2f}"
        )
    print(f"(outputs in {work})")


if __name__ == "__main__":
    main()
