"""How well the department map agrees with the departments a hospital gave DxBench's cases.

DxBench (1,148 cases, en and zh files of the same cases) labels each case with one of 15 hospital
departments but gives its disease no code. Cases are coded with `icd10.code_for` (the exact mapping:
synonym tables or a WHO title; the English name first, then the Chinese one), mapped with
`departments.department_for`, and compared through the reviewable correspondence
`data/departments/dxbench.tsv` (our department -> the DxBench labels that agree with it). "Other" is
left out; "Pediatrics" cases are mapped with a child's age (DxBench gives none; the label says child).

    .venv/bin/python benchmarks/departments.py                 # the table
    .venv/bin/python benchmarks/departments.py --disagreements # and every disagreement
    .venv/bin/python benchmarks/departments.py --markdown      # the same, as markdown (docs/records.md)
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clinical_r1 import departments as D
from clinical_r1 import icd10

DXBENCH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dxbench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=DXBENCH, help="folder with DxBench_en.json, DxBench_zh.json"
    )
    parser.add_argument("--disagreements", action="store_true", help="list every case that disagrees")
    parser.add_argument("--markdown", action="store_true", help="print markdown tables instead")
    args = parser.parse_args()

    cases = D.read_dxbench(args.data / "DxBench_en.json", args.data / "DxBench_zh.json")
    result = D.agreement(cases)
    sources = Counter(c.code_from for c in cases)
    other = sum(1 for c in cases if c.code and c.label in D.DXBENCH_EXCLUDED)
    summary = (
        f"DxBench: {len(cases)} cases; coded exactly {len(cases) - sources['']} "
        f"(English name {sources['en']}, Chinese name {sources['zh']}), not coded {sources['']}; "
        f"'Other' left out: {other}; compared: {result.n}"
    )
    rows = [(label, n, agree) for label, (n, agree) in sorted(result.by_label.items())]
    rows.append(("overall", result.n, result.agree))
    if args.markdown:
        print(summary + "\n")
        print("| DxBench department | n | agree | % |\n|---|---:|---:|---:|")
        for label, n, agree in rows:
            bold = "**" if label == "overall" else ""
            print(f"| {bold}{label}{bold} | {n} | {agree} | {agree / n:.1%} |")
    else:
        console = Console()
        console.print(summary)
        table = Table(title="agreement with DxBench's hospital departments")
        for column, justify in (
            ("DxBench department", "left"),
            ("n", "right"),
            ("agree", "right"),
            ("%", "right"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for label, n, agree in rows:
            table.add_row(label, str(n), str(agree), f"{agree / n:.1%}", end_section=label == rows[-2][0])
        console.print(table)
    if args.disagreements:
        grouped: Counter[tuple[str, str, str, str, str]] = Counter()
        for case in result.disagreements():
            rule = D.rule_for(case.code)
            title = icd10.lookup(case.code).description
            grouped[
                (
                    case.label,
                    case.disease,
                    f"{case.code} {title}",
                    str(case.department),
                    rule.text if rule else "-",
                )
            ] += 1
        print()
        print(
            "| DxBench department | disease | code | our department (range) | cases |\n|---|---|---|---|---:|"
        )
        for (label, disease, code, department, text), n in sorted(grouped.items()):
            print(f"| {label} | {disease} | {code} | {department} ({text}) | {n} |")


if __name__ == "__main__":
    main()
