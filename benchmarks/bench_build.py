"""Benchmark builder at scale: records/s and peak memory on a synthetic pool of up to 1,000,000 lines.

    .venv/bin/python benchmarks/bench_build.py                  # 100k and 1M lines, 4 scenarios
    .venv/bin/python benchmarks/bench_build.py --sizes 200000   # quicker

The pool (`clinical_r1.bench.synthetic`: valid WHO ICD-10 codes, Zipf-distributed categories per
department, en + zh translations sharing meta.pair_id, 10% out of scope, 5% uncoded) is generated
once per size into --workdir. Each scenario runs in a fresh Python process, which reports its own
wall time, CPU time and peak resident memory (VmHWM), so the numbers do not mix. Records/s is
computed from CPU time, which does not depend on what else the machine is running.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
from pathlib import Path
from clinical_r1.bench import BenchConfig, build_benchmark

args = json.loads(sys.argv[1])
start, cpu_start = time.perf_counter(), time.process_time()
sheet = build_benchmark(
    BenchConfig(**args["config"]), args["pool"], args["out"], train_files=args["train"], show_progress=False
)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
status = Path("/proc/self/status").read_text()
peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "peak_mb": peak_kb / 1024,
                  "items": sheet.total_items, "lines": sheet.pool.lines,
                  "removed": sheet.leakage.removed_cases, "checked": sheet.leakage.checked}))
"""

IMPORTS_ONLY = r"""
from pathlib import Path
import clinical_r1.bench, matplotlib.pyplot, datasketch  # what every build loads
status = Path("/proc/self/status").read_text()
print(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024)
"""


def ensure_pool(workdir: Path, lines: int) -> Path:
    from clinical_r1.bench.synthetic import write_synthetic_pool

    path = workdir / f"pool-{lines}.jsonl"
    if not path.exists():
        start = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        write_synthetic_pool(tmp, lines // 2, seed=0)
        tmp.rename(path)
        print(f"generated {path} ({lines} lines) in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return path


def ensure_training_file(workdir: Path, pool: Path, texts: int) -> Path:
    """Training texts: half copied from the pool (planted leaks), half unrelated."""
    path = workdir / f"train-{pool.stem}-{texts}.jsonl"
    if path.exists():
        return path
    rng = random.Random(0)
    with pool.open(encoding="utf-8") as fh:
        cases = [json.loads(line)["case"] for _, line in zip(range(200_000), fh, strict=False)]
    with path.open("w", encoding="utf-8") as out:
        for n in range(texts):
            if n % 2 == 0:
                question = rng.choice(cases)
            else:
                question = " ".join(
                    rng.choice(("cough", "rash", "pain", "fever", "nausea")) for _ in range(40)
                )
            out.write(json.dumps({"id": f"t{n}", "question": question}) + "\n")
    return path


def run(pool: Path, out: Path, config: dict, train: list[str]) -> dict:
    args = {"pool": str(pool), "out": str(out), "config": config, "train": train}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="pool lines")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/clinical-r1-bench-build"))
    parser.add_argument("--train-texts", type=int, default=20_000)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    base = subprocess.run([sys.executable, "-c", IMPORTS_ONLY], capture_output=True, text=True, check=True)
    print(f"peak RSS of a process that only imports the builder: {float(base.stdout):.0f} MB\n")
    scenarios = [
        ("paired, 500/department", {"per_department": 500}, False),
        ("per_language, 500/department", {"per_department": 500, "mode": "per_language"}, False),
        ("paired, proportional, cap 5%", {"allocation": "proportional", "max_stratum_share": 0.05}, False),
        (f"paired + leakage ({args.train_texts} train texts)", {"per_department": 500}, True),
    ]
    columns = [
        "pool lines",
        "scenario".ljust(38),
        "wall s",
        "CPU s",
        "records/CPU s",
        "peak RSS MB",
        "items",
        "leaked removed",
    ]
    header = "| " + " | ".join(columns) + " |"
    print(header)
    print("|" + "|".join("-" * (len(c) + 2) for c in columns) + "|")
    for size in args.sizes:
        pool = ensure_pool(args.workdir, size)
        for name, config, with_train in scenarios:
            train = [str(ensure_training_file(args.workdir, pool, args.train_texts))] if with_train else []
            r = run(pool, args.workdir / f"out-{size}", config, train)
            leaked = f"{r['removed']} of {r['checked']}" if with_train else "-"
            cells = [
                r["lines"],
                name,
                f"{r['seconds']:.1f}",
                f"{r['cpu_seconds']:.1f}",
                f"{r['lines'] / r['cpu_seconds']:.0f}",
                f"{r['peak_mb']:.0f}",
                r["items"],
                leaked,
            ]
            row = [
                str(cell).rjust(len(col)) if i != 1 else str(cell).ljust(len(col))
                for i, (cell, col) in enumerate(zip(cells, columns, strict=True))
            ]
            print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
