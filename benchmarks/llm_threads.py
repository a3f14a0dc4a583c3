"""Generation speed of a local model by torch thread count, with the machine's load at the time.

    .venv/bin/python benchmarks/llm_threads.py --model runs/models/SmolLM2-135M-Instruct [--threads 1 2]
        [--requests 4] [--max-tokens 48] [--batch-size 1]

Each thread count runs in a fresh process (torch's thread pool is process-wide and is best set once),
on the same greedy requests (the bundled English cases). The table gives completion tokens/s over
the generate time (prompt processing included; loading not) and the 1-minute load average before
and after, since on a shared machine the answer depends on what else is running.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table


def measure(model: str, threads: int, requests: int, max_tokens: int, batch_size: int) -> dict:
    from clinical_r1.llm import ChatRequest, ModelSpec, build_llm, generate_sync
    from clinical_r1.records import SAMPLE_RECORDS, read_records

    cases = [r.case for r in read_records(SAMPLE_RECORDS) if r.language == "en"]
    asks = [
        ChatRequest(messages=[{"role": "user", "content": cases[i % len(cases)]}], max_tokens=max_tokens)
        for i in range(requests)
    ]
    llm = build_llm(
        ModelSpec(backend="local", model=model, device="cpu", threads=threads, batch_size=batch_size)
    )
    llm._load()  # timed apart from generation
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    answers = generate_sync(llm, asks)
    seconds = time.perf_counter() - start
    assert all(a.ok for a in answers), [a.error for a in answers if not a.ok][:1]
    tokens = sum(a.completion_tokens for a in answers)
    return {
        "threads": threads,
        "tokens": tokens,
        "seconds": seconds,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="HF folder or .gguf file")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--requests", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.model, args.one, args.requests, args.max_tokens, args.batch_size)))
        return
    table = Table(
        title=f"{args.model}: {args.requests} requests x {args.max_tokens} new tokens, batch size "
        f"{args.batch_size}, {os.cpu_count()} CPUs"
    )
    for column in ("threads", "tokens", "generate s", "tokens/s", "load avg before", "load avg after"):
        table.add_column(column, justify="right")
    for threads in args.threads:
        argv = [sys.executable, __file__, "--model", args.model, "--one", str(threads)]
        argv += ["--requests", str(args.requests), "--max-tokens", str(args.max_tokens)]
        argv += ["--batch-size", str(args.batch_size)]
        env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "CLINICAL_R1_THREADS")}
        out = subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout
        row = json.loads(out.strip().splitlines()[-1])
        table.add_row(
            str(threads),
            str(row["tokens"]),
            f"{row['seconds']:.1f}",
            f"{row['tokens'] / row['seconds']:.1f}",
            f"{row['load_before']:.1f}",
            f"{row['load_after']:.1f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
