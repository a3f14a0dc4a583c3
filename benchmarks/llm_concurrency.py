"""Throughput of the OpenAI-compatible backend against the fake server with a fixed latency.

    .venv/bin/python benchmarks/llm_concurrency.py [--latency 0.1] [--rounds 8] [--in-process]

For each concurrency C, sends C * rounds requests through `LLM.generate` (no cache) and reports
requests/s and the ratio to the ideal C / latency (target: >= 0.8 at C = 32). It also reports the CPU
each request costs the client and the server, which does not depend on how busy the machine is:
1000 / (client + server CPU ms) is the most requests/s one free core could carry.
By default the server runs in its own process, as a real server would; `--in-process` runs it in a
background thread of this one (sharing the GIL with the client, as the tests do).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.table import Table

from clinical_r1.llm import ChatRequest, ModelSpec, build_llm, generate_sync
from clinical_r1.testing.fake_openai_server import Faults, running_server


@contextmanager
def server_url(latency: float, in_subprocess: bool) -> Iterator[tuple[str, int | None]]:
    """(base_url, server pid or None when the server is a thread of this process)."""
    if not in_subprocess:
        with running_server(faults=Faults(delay_s=latency)) as server:
            yield server.base_url, None
        return
    command = [sys.executable, "-m", "clinical_r1.testing.fake_openai_server", "--delay", str(latency)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        yield process.stdout.readline().strip(), process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def process_cpu_s(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def measure(base_url: str, server_pid: int | None, concurrency: int, rounds: int) -> dict:
    spec = ModelSpec(backend="openai", model="fake-model", base_url=base_url, concurrency=concurrency)
    llm = build_llm(spec)
    requests = [
        ChatRequest(messages=[{"role": "user", "content": f"case {concurrency}-{i}"}], max_tokens=64)
        for i in range(concurrency * rounds)
    ]
    server_cpu = process_cpu_s(server_pid) if server_pid else 0.0
    client_cpu, start = time.process_time(), time.perf_counter()
    responses = generate_sync(llm, requests)
    elapsed = time.perf_counter() - start
    client_cpu = time.process_time() - client_cpu
    server_cpu = process_cpu_s(server_pid) - server_cpu if server_pid else 0.0
    failed = [r.error for r in responses if not r.ok]
    if failed:
        raise SystemExit(f"{len(failed)} requests failed at concurrency {concurrency}: {failed[0]}")
    n = len(requests)
    return {
        "n": n,
        "seconds": elapsed,
        "client_ms": client_cpu / n * 1000,
        "server_ms": server_cpu / n * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=8, help="requests per concurrency slot")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument(
        "--in-process", action="store_true", help="run the server in a thread of this process"
    )
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-benchmark-not-a-real-key")

    load = os.getloadavg()[0]
    where = "in-process" if args.in_process else "own process"
    table = Table(
        title=f"LLM concurrency: fake server ({where}), latency {args.latency * 1000:.0f} ms, "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at start"
    )
    columns = ["concurrency", "requests", "seconds", "requests/s", "ideal/s", "ratio", "client CPU ms/req"]
    for column in columns + ([] if args.in_process else ["server CPU ms/req"]):
        table.add_column(column, justify="right")
    with server_url(args.latency, in_subprocess=not args.in_process) as (url, pid):
        generate_sync(
            build_llm(f"openai:fake-model@{url}"), [ChatRequest(messages=[{"role": "user", "content": "hi"}])]
        )
        for concurrency in args.concurrency:
            m = measure(url, pid, concurrency, args.rounds)
            rate, ideal = m["n"] / m["seconds"], concurrency / args.latency
            row = [
                concurrency,
                m["n"],
                f"{m['seconds']:.2f}",
                f"{rate:.1f}",
                f"{ideal:.0f}",
                f"{rate / ideal:.2f}",
            ]
            row.append(f"{m['client_ms']:.2f}")
            if not args.in_process:
                row.append(f"{m['server_ms']:.2f}")
            table.add_row(*map(str, row))
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
