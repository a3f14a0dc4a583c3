"""The local backend on the tiny model (CPU): load time and generation speed by batch size.

    .venv/bin/python benchmarks/llm_local.py [--model PATH] [--requests 16] [--max-tokens 64]

Builds the tiny model in a temporary folder unless --model is given.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from rich.console import Console
from rich.table import Table

from clinical_r1.llm import ChatRequest, ModelSpec, build_llm, generate_sync
from clinical_r1.records import SAMPLE_RECORDS, read_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="HF folder (default: build the tiny model)")
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()

    model = args.model
    if model is None:
        from clinical_r1.tiny import build_tiny_model

        model = str(build_tiny_model(tempfile.mkdtemp(prefix="tiny-")))
    cases = [r.case for r in read_records(SAMPLE_RECORDS)]
    requests = [
        ChatRequest(
            messages=[{"role": "user", "content": cases[i % len(cases)]}],
            max_tokens=args.max_tokens,
            temperature=0.7,
            seed=i // 4,  # groups of four share sampling parameters, so they can be batched
        )
        for i in range(args.requests)
    ]
    table = Table(title=f"Local backend on CPU, {args.requests} requests x {args.max_tokens} new tokens, "
                  f"threads {args.threads or 'default'}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    for column in ("batch size", "load s", "generate s", "tokens out", "tokens/s", "requests/s"):
        table.add_column(column, justify="right")
    for batch_size in args.batch_sizes:
        llm = build_llm(
            ModelSpec(backend="local", model=model, device="cpu", batch_size=batch_size, threads=args.threads)
        )
        start = time.perf_counter()
        llm._load()  # timed apart from generation
        loaded = time.perf_counter()
        responses = generate_sync(llm, requests)
        done = time.perf_counter()
        assert all(r.ok for r in responses), [r.error for r in responses if not r.ok][:1]
        tokens = sum(r.completion_tokens for r in responses)
        seconds = done - loaded
        table.add_row(
            str(batch_size),
            f"{loaded - start:.2f}",
            f"{seconds:.2f}",
            str(tokens),
            f"{tokens / seconds:.0f}",
            f"{len(requests) / seconds:.1f}",
        )
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
