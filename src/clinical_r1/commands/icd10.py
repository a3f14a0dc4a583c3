"""`clinical-r1 icd10 lookup | coverage`: codes, their place in WHO ICD-10, and codes for names."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()

icd10_app = typer.Typer(help="WHO ICD-10 (2019): normalise and look up codes, find codes for names.",
                        no_args_is_help=True)  # fmt: skip


@icd10_app.command("lookup")
def lookup(
    queries: list[str] = typer.Argument(..., help="Codes (I21.9, i219, K29.701) or diagnosis names."),
    language: str = typer.Option("en", help="Language of names: en or zh."),
    limit: int = typer.Option(5, help="Candidates to show for a name."),
    age: float | None = typer.Option(
        None, help="The patient's age in years: children go to Paediatrics unless the department keeps them."
    ),
    why: bool = typer.Option(
        False, "--why", help="Show the department's ICD-10 range and the reason for it."
    ),
) -> None:
    """A code: its WHO description, category, block, chapter and department. A name: candidate codes."""
    from clinical_r1 import departments, icd10

    table = Table()
    columns = ["query", "code", "description", "category", "block", "chapter", "department"]
    for column in columns + (["range", "why"] if why else []):
        table.add_column(column)
    for query in queries:
        info = icd10.lookup(query)
        found = [info] if info else icd10.candidates(query, language=language, limit=limit)
        if not found:
            table.add_row(query, "-", "[yellow]no code found[/yellow]", *[""] * (len(table.columns) - 3))
        for rank, item in enumerate(found):
            department = departments.department_for(item.code, age=age)
            zh = departments.chinese_name(department) if department else None
            cells = [
                query if rank == 0 else "", item.code, item.description, item.category, item.block,
                item.chapter, f"{department} {zh}" if zh else department or "",
            ]  # fmt: skip
            if why:
                rule = departments.rule_for(item.code)
                cells += [rule.text, rule.reason] if rule else ["", "in no range: no department"]
            table.add_row(*cells)
    console.print(table)


@icd10_app.command("coverage")
def coverage(
    path: Path = typer.Argument(..., help="A records file (any importable format, e.g. DxBench_zh.json)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Importer format (default: guessed)."),
    show_unmapped: bool = typer.Option(False, help="List the names that do not map."),
) -> None:
    """How many distinct diagnosis names of a file map to a code: exactly (code_for) or to any candidate."""
    from clinical_r1 import icd10
    from clinical_r1.importers import load_records

    names: dict[tuple[str, str], int] = {}
    for record in load_records(path, fmt=fmt):
        key = (record.language, record.diagnosis)
        names[key] = names.get(key, 0) + 1
    exact = {k for k in names if icd10.code_for(k[1], k[0])}
    fuzzy = {k for k in names if icd10.candidates(k[1], k[0], limit=1)}
    total_records = sum(names.values())
    table = Table(title=f"ICD-10 coverage of {path.name}")
    for column in ("", "distinct names", "share", "records", "share "):
        table.add_column(column, justify="right")
    for label, keys in (("exact (synonym table / WHO title)", exact), ("any candidate", fuzzy)):
        covered = sum(names[k] for k in keys)
        table.add_row(label, f"{len(keys)}/{len(names)}", f"{len(keys) / len(names):.1%}",
                      f"{covered}/{total_records}", f"{covered / total_records:.1%}")  # fmt: skip
    console.print(table)
    if show_unmapped:
        console.print("not mapped exactly: " + ", ".join(sorted(k[1] for k in names if k not in exact)))


def register(app: typer.Typer) -> None:
    app.add_typer(icd10_app, name="icd10")
