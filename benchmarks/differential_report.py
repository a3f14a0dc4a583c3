"""Cost of the report's differential section: top-k, MRR, ECE and Brier with 2,000 bootstrap resamples
for every cell (overall, language, department) of one model, on a DxBench-sized benchmark.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/differential_report.py [--items 1148] [--departments 20]

Synthetic journal rows (seeded): each item has a stated two-entry differential. Prints CPU seconds and
peak memory of `differential_metrics` alone (no model, no verifier).
"""

from __future__ import annotations

import argparse
import random
import resource
import time

from clinical_r1.evaluate.differential_report import differential_metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1148)
    parser.add_argument("--departments", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(0)
    rows = []
    for i in range(args.items):
        p = rng.choice([0.3, 0.5, 0.7, 0.9])
        entries = [
            {"diagnosis": "a", "probability": p, "correct": rng.random() < p},
            {"diagnosis": "b", "probability": round((1 - p) / 2, 2), "correct": rng.random() < 0.2},
        ]
        differential = {"entries": entries, "error": None}
        sample = {"answer": "a", "correct": entries[0]["correct"], "differential": differential}
        rows.append({"language": "en" if i % 2 else "zh", "department": f"d{i % args.departments}",
                     "status": "answered", "entry": {"samples": [sample]}})  # fmt: skip
    start = time.process_time()
    result = differential_metrics(rows, k=5, bins=10, n_boot=2000, confidence=0.95, seed=0)
    cpu = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ece = result["overall"]["ece"]
    print(f"{args.items} items, {args.departments} departments x 2 languages: {cpu:.2f} CPU s, "
          f"peak RSS {peak:.0f} MB; overall ECE {100 * ece['estimate']:.1f}% "
          f"[{100 * ece['ci_low']:.1f}, {100 * ece['ci_high']:.1f}]")  # fmt: skip


if __name__ == "__main__":
    main()
