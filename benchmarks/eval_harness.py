"""Evaluation harness throughput: DxBench (en, 1148 items) against the fake OpenAI-compatible server.

The server runs in its own process with a fixed delay per reply (standing in for model latency), so
the numbers are the harness's own cost: prompting, journaling, parsing, verification, report.

    .venv/bin/python benchmarks/eval_harness.py [--bench FILE] [--delay 0.05] [--concurrency 4 16 64]

Columns: wall time, items per second, CPU ms per item of this process (harness + verifier + report,
server excluded), peak RSS, and a resume row (rerun of a finished folder: journal read + report).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clinical_r1.evaluate.config import EvalConfig, ModelUnderTest
from clinical_r1.evaluate.runner import run_eval

DEFAULT_BENCH = Path(__file__).resolve().parents[2] / "shared" / "data" / "dxbench" / "DxBench_en.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--delay", type=float, default=0.05, help="server seconds per reply")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16, 64])
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-m", "clinical_r1.testing.fake_openai_server", "--delay", str(args.delay),
         "--reply", "Step 1: history.\nStep 2: findings.\nFinal diagnosis: Lacunar stroke"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = server.stdout.readline().strip()
        table = Table(
            title=f"eval harness on {args.bench.name}, server delay {args.delay}s, load {os.getloadavg()}"
        )
        for column in ("run", "items", "wall s", "items/s", "CPU ms/item", "peak RSS MB"):
            table.add_column(column, justify="right")
        with tempfile.TemporaryDirectory() as tmp:
            for concurrency in args.concurrency:
                out = Path(tmp) / f"c{concurrency}"
                model = ModelUnderTest(name="fixed", spec=f"openai:fixed@{url}", mode="cot")
                config = EvalConfig(concurrency=concurrency, use_cache=False)
                for label in (f"concurrency {concurrency}", f"resume, c={concurrency}"):
                    wall, cpu = time.perf_counter(), time.process_time()
                    run_eval(config, args.bench, [model], out, progress=False)
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    items = sum(1 for _ in (out / "items.jsonl").open())
                    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                    table.add_row(label, str(items), f"{wall:.1f}", f"{items / wall:.0f}",
                                  f"{1000 * cpu / items:.2f}", f"{rss:.0f}")  # fmt: skip
        Console().print(table)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
