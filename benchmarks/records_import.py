"""Records import: throughput and peak memory (RSS) against file size.

The importer streams (one row in, one record out), so peak memory must stay flat whether a file has
ten thousand rows or a million. This script generates record files of several sizes and formats
(JSONL in the record schema, CSV with a field map, one JSON array), imports each in a fresh Python
process and prints a table: rows, file size, time, rows/s, rejected rows, peak RSS, and peak RSS
above a process that only imported the package (the importer's own share).

    .venv/bin/python benchmarks/records_import.py                       # 10k, 100k, 1M rows
    .venv/bin/python benchmarks/records_import.py --sizes 10000 100000 --formats jsonl
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
from pathlib import Path

from import_measure import baseline_rss, measure_import
from rich.console import Console
from rich.table import Table

CASES = [
    ("en", "A {age}-year-old man with crushing chest pain for {h} hours; ST elevation in II, III, aVF.",
     "Acute inferior myocardial infarction", "I21.1"),
    ("en", "A {age}-year-old woman with fever, rusty sputum and right lower lobe consolidation for {h} days.",
     "Lobar pneumonia", "J18.1"),
    ("zh", "男，{age}岁。反复上腹痛{h}年，胃镜示胃窦黏膜充血水肿。", "慢性胃炎", "K29.701"),
    ("zh", "女，{age}岁。多饮多尿{h}月，空腹血糖11.2 mmol/L，HbA1c 9.1%。", "2型糖尿病", "E11.9"),
    ("en", "A {age}-year-old with flank pain radiating to the groin for {h} hours; haematuria.",
     "Ureteric calculus", "N20.1"),
]  # fmt: skip
PLANTED_EVERY = 1000  # one bad row per thousand, so the reject path is part of the measurement


def rows(n: int, seed: int = 0):
    rng = random.Random(seed)
    for i in range(n):
        language, template, diagnosis, code = CASES[i % len(CASES)]
        row = {
            "id": f"bench-{i}",
            "language": language,
            "case": template.format(age=rng.randint(18, 90), h=rng.randint(1, 12)),
            "diagnosis": diagnosis,
            "icd10": code,
            "source": "benchmark",
        }
        if i % PLANTED_EVERY == PLANTED_EVERY - 1:
            row["diagnosis"] = ""  # no diagnosis: must be rejected, counted, written to rejects
        yield row


def generate(fmt: str, n: int, folder: Path) -> Path:
    path = folder / f"records_{n}.{fmt}"
    with path.open("w", encoding="utf-8", newline="") as fh:
        if fmt == "jsonl":
            for row in rows(n):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif fmt == "csv":
            writer = csv.writer(fh)
            writer.writerow(["case_id", "lang", "text", "dx", "code", "origin"])
            for r in rows(n):
                writer.writerow([r["id"], r["language"], r["case"], r["diagnosis"], r["icd10"], r["source"]])
        else:  # one JSON array, one element per line
            fh.write("[\n")
            for i, row in enumerate(rows(n)):
                fh.write(("," if i else "") + json.dumps(row, ensure_ascii=False) + "\n")
            fh.write("]\n")
    return path


CSV_MAP = {
    "id": "case_id",
    "language": "lang",
    "case": "text",
    "diagnosis": "dx",
    "icd10": "code",
    "source": "origin",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--formats", nargs="+", default=["jsonl", "csv", "json"], choices=["jsonl", "csv", "json"]
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="Keep generated files here (default: temp)."
    )
    args = parser.parse_args()

    console = Console(width=120)
    baseline = baseline_rss("import clinical_r1.importers")
    table = Table(
        title=f"records import (Python {sys.version.split()[0]}; baseline RSS after import {baseline:.0f} MB)"
    )
    for column in (
        "format",
        "rows",
        "file MB",
        "wall s",  # includes waiting for a busy machine
        "CPU s",  # what the import itself costs
        "rows / CPU s",
        "rejected",
        "peak RSS MB",
        "above baseline MB",
    ):
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for fmt in args.formats:
            for n in args.sizes:
                with console.status(f"{fmt}: generating {n:,} rows"):
                    path = generate(fmt, n, folder)
                with console.status(f"{fmt}: importing {n:,} rows"):
                    importer = "table" if fmt == "csv" else "records"
                    config = {"fmt": importer, "field_map": CSV_MAP if fmt == "csv" else {}}
                    result = measure_import(str(path), str(path.with_suffix(".out.jsonl")), config)
                assert result["records"] + result["rejected"] == n, result  # nothing skipped silently
                peak = result["peak_rss_mb"]
                table.add_row(
                    fmt, f"{n:,}", f"{path.stat().st_size / 1e6:.0f}", f"{result['seconds']:.1f}",
                    f"{result['cpu_seconds']:.1f}", f"{n / result['cpu_seconds']:,.0f}",
                    f"{result['rejected']:,}", f"{peak:.0f}", f"{peak - baseline:.0f}",
                )  # fmt: skip
                console.print(f"{fmt} {n:,} rows: {result['cpu_seconds']:.1f} CPU s, peak RSS {peak:.0f} MB")
                for produced in (
                    path,
                    path.with_suffix(".out.jsonl"),
                    path.with_name(path.stem + ".out.rejects.jsonl"),
                ):
                    if args.workdir is None:
                        produced.unlink(missing_ok=True)
    console.print(table)


if __name__ == "__main__":
    main()
