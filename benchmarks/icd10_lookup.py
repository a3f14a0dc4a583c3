"""Precision and coverage of `icd10.name_to_code` on the labelled diagnosis names, and its load time.

    .venv/bin/python benchmarks/icd10_lookup.py              # tune split only (what the rules were tuned on)
    .venv/bin/python benchmarks/icd10_lookup.py --heldout    # also the held-out split, totals only

Definitions (tests/data/LABELLED_SETS.md for the sets):
- precision: share of returned codes that are right: the gold code, or its WHO ancestor within the same
  category (less specific but true); for a name labelled at category level, any code of that category.
  A code returned for a gold-null name is wrong.
- exact precision: share of returned codes equal to the gold code.
- coverage: share of names with a gold code for which a code is returned.

Then precision by source on the tune split (what `icd10_names.SOURCE_SCORES` is calibrated from:
(correct + 1) / (returned + 2)), the precision/coverage-by-threshold table, and the wall time of
`import clinical_r1.icd10` and of the first lookup with a cold and a warm index cache (each in a fresh
process; the cold one with an empty cache folder, so it parses ICD-10-CM).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clinical_r1 import icd10_names
from clinical_r1.icd10_names import is_correct, measure, read_labelled

ROOT = Path(__file__).resolve().parents[1]
TUNE = ROOT / "tests" / "data" / "icd10_names.jsonl"
HELDOUT = ROOT / "tests" / "data" / "icd10_names_heldout.jsonl"
THRESHOLDS = (0.0, 0.90, 0.95, 0.96, 0.97, 0.98, 0.99)

console = Console(width=150)


def _timed(code: str, cache: str | None) -> float:
    env = dict(os.environ)
    if cache is not None:
        env["XDG_CACHE_HOME"] = cache
    script = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--heldout", action="store_true", help="also score the held-out split (totals only)")
    parser.add_argument("--no-timing", action="store_true", help="skip the load-time measurements")
    args = parser.parse_args()

    splits = {"tune": read_labelled(TUNE)}
    if args.heldout:
        splits["held-out"] = read_labelled(HELDOUT)
    answers = {
        split: [icd10_names.lookup(r.name, r.language) for r in rows] for split, rows in splits.items()
    }

    table = Table(title=f"icd10.name_to_code at threshold {icd10_names.THRESHOLD}")
    for column in ("split", "language", "n", "with gold code", "returned", "precision", "exact precision",
                   "coverage"):  # fmt: skip
        table.add_column(column, justify="right")
    for split, rows in splits.items():
        for language in ("en", "zh", "all"):
            pick = [i for i, r in enumerate(rows) if language in ("all", r.language)]
            f = measure([rows[i] for i in pick], [answers[split][i] for i in pick], icd10_names.THRESHOLD)
            table.add_row(split, language, str(f.n), str(f.n_coded), str(f.returned),
                          f"{f.precision:.1%} ({f.correct}/{f.returned})",
                          f"{f.exact_precision:.1%} ({f.exact}/{f.returned})",
                          f"{f.coverage:.1%} ({f.covered}/{f.n_coded})")  # fmt: skip
    console.print(table)

    rows, found = splits["tune"], answers["tune"]
    by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row, answer in zip(rows, found, strict=True):
        if answer is not None:
            by_source[answer.source][0] += 1
            by_source[answer.source][1] += is_correct(answer.code, row.code, row.level)
    sources = Table(title="tune split by source (score = (correct + 1) / (returned + 2))")
    for column in ("source", "returned", "correct", "precision", "calibrated score", "score in code"):
        sources.add_column(column, justify="right")
    for source, (returned, correct) in sorted(by_source.items(), key=lambda kv: -kv[1][0]):
        sources.add_row(source, str(returned), str(correct), f"{correct / returned:.1%}",
                        f"{(correct + 1) / (returned + 2):.3f}",
                        f"{icd10_names.SOURCE_SCORES.get(source, float('nan')):.3f}")  # fmt: skip
    console.print(sources)

    thresholds = Table(title="tune split: precision / coverage by threshold (raw lookup scores)")
    for column in ("threshold", "returned", "precision", "exact precision", "coverage"):
        thresholds.add_column(column, justify="right")
    for threshold in THRESHOLDS:
        f = measure(rows, found, threshold)
        mark = " <- chosen" if threshold == icd10_names.THRESHOLD else ""
        thresholds.add_row(f"{threshold:.2f}{mark}", str(f.returned), f"{f.precision:.1%}",
                           f"{f.exact_precision:.1%}", f"{f.coverage:.1%}")  # fmt: skip
    console.print(thresholds)

    if not args.no_timing:
        timing = Table(title="load time (fresh process each, seconds)")
        timing.add_column("what")
        timing.add_column("seconds", justify="right")
        timing.add_row("import clinical_r1.icd10", f"{_timed('import clinical_r1.icd10', None):.2f}")
        first = "from clinical_r1 import icd10; icd10.name_to_code('enlarged tonsils')"
        with tempfile.TemporaryDirectory() as empty:
            timing.add_row("import + first lookup, cold (no index cache)", f"{_timed(first, empty):.2f}")
            timing.add_row("import + first lookup, warm (index cache on disk)", f"{_timed(first, empty):.2f}")
        distinct = "from clinical_r1 import icd10; icd10.distinct_entities('J42', 'J44')"
        timing.add_row("import + first distinct_entities (parses ICD-10-CM)", f"{_timed(distinct, None):.2f}")
        console.print(timing)


if __name__ == "__main__":
    main()
