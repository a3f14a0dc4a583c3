"""Throughput of the OpenAI-compatible backend against the fake server with a fixed latency.

    .venv/bin/python benchmarks/llm_concurrency.py [--latency 0.1] [--rounds 8] [--subprocess]

For each concurrency C, sends C * rounds requests through `LLM.generate` (no cache) and reports
requests/s and the ratio to the ideal C / latency. Target: >= 0.8 of ideal at C = 32.
By default the server runs in this process (a background thread, sharing the GIL with the client);
`--subprocess` runs it in its own process, as a real server would be.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from contextlib import contextmanager

from rich.console import Console
from rich.table import Table

from clinical_r1.llm import ChatRequest, ModelSpec, build_llm, generate_sync
from clinical_r1.testing.fake_openai_server import Faults, running_server


@contextmanager
def server_url(latency: float, in_subprocess: bool):
    if not in_subprocess:
        with running_server(faults=Faults(delay_s=latency)) as server:
            yield server.base_url
        return
    command = [sys.executable, "-m", "clinical_r1.testing.fake_openai_server", "--delay", str(latency)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure(base_url: str, concurrency: int, rounds: int) -> tuple[int, float]:
    spec = ModelSpec(backend="openai", model="fake-model", base_url=base_url, concurrency=concurrency)
    llm = build_llm(spec)
    generate_sync(llm, [ChatRequest(messages=[{"role": "user", "content": "warm up"}])] * 1)
    requests = [
        ChatRequest(messages=[{"role": "user", "content": f"case {concurrency}-{i}"}], max_tokens=64)
        for i in range(concurrency * rounds)
    ]
    start = time.perf_counter()
    responses = generate_sync(llm, requests)
    elapsed = time.perf_counter() - start
    failed = sum(not r.ok for r in responses)
    if failed:
        raise SystemExit(f"{failed} requests failed at concurrency {concurrency}: {responses[0].error}")
    return len(requests), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=8, help="requests per concurrency slot")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--subprocess", action="store_true", help="run the server in its own process")
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-benchmark-not-a-real-key")

    table = Table(title=f"LLM concurrency vs fake server, latency {args.latency * 1000:.0f} ms")
    for column in ("concurrency", "requests", "seconds", "requests/s", "ideal/s", "ratio"):
        table.add_column(column, justify="right")
    with server_url(args.latency, args.subprocess) as url:
        for concurrency in args.concurrency:
            count, elapsed = measure(url, concurrency, args.rounds)
            rate, ideal = count / elapsed, concurrency / args.latency
            table.add_row(
                str(concurrency),
                str(count),
                f"{elapsed:.2f}",
                f"{rate:.1f}",
                f"{ideal:.0f}",
                f"{rate / ideal:.2f}",
            )
    Console().print(table)


if __name__ == "__main__":
    main()
