"""Load on the clinical-r1 API: concurrent clients against `clinical-r1 serve` on 127.0.0.1.

The API runs as its own process (`clinical-r1 serve`), as in production, and so does the model
behind it: by default the fake OpenAI-compatible server with a fixed latency (so the numbers measure
the API layer: admission, queueing, SSE, parsing, ICD-10 lookup), or pass --model to put any model
spec behind it (a local folder is loaded inside the API process). For each client count the table
shows how many requests succeeded, how many were turned away with 503, any other outcome (should
be 0), latency percentiles and throughput.

    .venv/bin/python benchmarks/serve_load.py
    .venv/bin/python benchmarks/serve_load.py --delay 0.2 --concurrency 8 --queue 8 --clients 8 16 32 64
    .venv/bin/python benchmarks/serve_load.py --model openai:MODEL@http://127.0.0.1:8000/v1 --clients 4 16
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from clinical_r1.records import SAMPLE_RECORDS, read_records

REPLY = (
    "<think>\n"
    + "\n".join(f"Step {i}: weigh the history, the examination and the results." for i in range(40))
    + "\n</think>\n\nFinal diagnosis: Lobar pneumonia"
)


async def burst(base_url: str, clients: int, cases: list[str], stream: bool) -> dict:
    """`clients` requests at the same moment; returns counts and latencies."""
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    path = "/v1/diagnose/stream" if stream else "/v1/diagnose"
    async with httpx.AsyncClient(base_url=base_url, timeout=600, limits=limits) as client:

        async def one(i: int) -> tuple[str, float]:
            start = time.perf_counter()
            try:
                response = await client.post(path, json={"case": cases[i % len(cases)]})
                body = await response.aread()
            except httpx.HTTPError as exc:
                return f"error:{type(exc).__name__}", time.perf_counter() - start
            elapsed = time.perf_counter() - start
            if response.status_code == 200 and stream and b"event: result" not in body:
                return "error:stream", elapsed
            return str(response.status_code), elapsed

        start = time.perf_counter()
        outcomes = await asyncio.gather(*(one(i) for i in range(clients)))
        wall = time.perf_counter() - start
    ok = sorted(t for status, t in outcomes if status == "200")
    return {
        "ok": len(ok),
        "busy": sum(status == "503" for status, _ in outcomes),
        "other": sorted({status for status, _ in outcomes if status not in ("200", "503")}),
        "p50": statistics.median(ok) if ok else float("nan"),
        "p95": ok[max(0, int(round(0.95 * len(ok))) - 1)] if ok else float("nan"),
        "wall": wall,
        "throughput": len(ok) / wall,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(stack: ExitStack, command: list[str], health_url: str) -> None:
    """Start a process (stopped when the stack closes) and wait until `health_url` answers."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(process.wait, 30)
    stack.callback(process.terminate)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command[0]} exited with {process.returncode}: {' '.join(command)}")
        try:
            if httpx.get(health_url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {health_url}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="model spec behind the API (default: a fake server with --delay)")
    parser.add_argument("--delay", type=float, default=0.5, help="fake model latency per answer, seconds")
    parser.add_argument("--concurrency", type=int, default=4, help="API max_concurrency")
    parser.add_argument("--queue", type=int, default=4, help="API max_queue")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 8, 16, 32])
    parser.add_argument("--max-tokens", type=int, default=1024)
    parser.add_argument("--threads", type=int, help="torch CPU threads of a local model")
    args = parser.parse_args()

    cases = [r.case for r in read_records(SAMPLE_RECORDS)]
    console = Console()
    with ExitStack() as stack:
        if args.model:
            spec = args.model
        else:
            port = free_port()
            fake = [sys.executable, "-m", "clinical_r1.testing.fake_openai_server", "--port", str(port)]
            start(
                stack,
                [*fake, "--delay", str(args.delay), "--reply", REPLY],
                f"http://127.0.0.1:{port}/health",
            )
            spec = f"openai:fake-model@http://127.0.0.1:{port}/v1"
        port = free_port()
        serve = [
            str(Path(sys.executable).with_name("clinical-r1")),
            "serve",
            "--model",
            spec,
            "--port",
            str(port),
        ]
        serve += ["--max-concurrency", str(args.concurrency), "--max-queue", str(args.queue)]
        serve += ["--max-tokens", str(args.max_tokens)] + (
            ["--threads", str(args.threads)] if args.threads else []
        )
        start(stack, serve, f"http://127.0.0.1:{port}/health")
        base_url = f"http://127.0.0.1:{port}"
        limit = args.concurrency + args.queue
        table = Table(
            title=f"{spec}: max_concurrency={args.concurrency}, max_queue={args.queue} (limit {limit})"
            + ("" if args.model else f", model latency {args.delay}s")
        )
        for column in ("clients", "endpoint", "200", "503", "other", "p50 s", "p95 s", "wall s", "ok/s"):
            table.add_column(column, justify="right")
        for clients in args.clients:
            for stream in (False, True):
                r = asyncio.run(burst(base_url, clients, cases, stream))
                table.add_row(
                    str(clients),
                    "stream" if stream else "plain",
                    str(r["ok"]),
                    str(r["busy"]),
                    ",".join(r["other"]) or "0",
                    f"{r['p50']:.3f}",
                    f"{r['p95']:.3f}",
                    f"{r['wall']:.2f}",
                    f"{r['throughput']:.1f}",
                )
        console.print(table)


if __name__ == "__main__":
    main()
