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
    limit: int = typer.Option(5, help="Fuzzy suggestions to show for a name."),
    age: float | None = typer.Option(
        None, help="The patient's age in years: children go to Paediatrics unless the department keeps them."
    ),
    why: bool = typer.Option(
        False, "--why", help="Show the department's ICD-10 range and the reason for it."
    ),
) -> None:
    """A code: its WHO description, category, block, chapter and department. A name: its one code or none
    (`icd10.name_to_code`, with score and source: what record import and benchmark building label with),
    then fuzzy suggestions (`icd10.candidates`: often wrong, never used as a label)."""
    from clinical_r1 import departments, icd10

    table = Table()
    columns = ["query", "rank", "code", "score", "source", "description", "category", "block", "chapter",
               "department"]  # fmt: skip
    for column in columns + (["range", "why"] if why else []):
        table.add_column(column)
    for query in queries:
        info = icd10.lookup(query) if icd10.is_code_shaped(query) else None
        named = None if info else icd10.name_to_code(query, language=language)
        found: list[tuple[str, icd10.CodeInfo, str, str]] = []  # (rank, code, score, source)
        if info:
            found.append(("code", info, "", ""))
        elif named:
            source = f"{named.source}: {named.matched}"
            found.append(("1", icd10.lookup(named.code), f"{named.score:.2f}", source))
        else:
            table.add_row(query, "1", "-", "", "", "[yellow]no code: no source names it surely[/yellow]",
                          *[""] * (len(table.columns) - 6))  # fmt: skip
        if not info:
            shown = {named.code} if named else set()
            suggestions = icd10.candidates(query, language=language, limit=limit)
            found += [("suggestion", c, "", "fuzzy") for c in suggestions if c.code not in shown]
        for number, (rank, item, score, source) in enumerate(found):
            department = departments.department_for(item.code, age=age)
            zh = departments.chinese_name(department) if department else None
            cells = [
                query if number == 0 and (info or named) else "", rank, item.code, score, source,
                item.description, item.category, item.block, item.chapter,
                f"{department} {zh}" if zh else department or "",
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
    """How many distinct diagnosis names of a file get a code: name_to_code (labels) or a fuzzy candidate."""
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
    for label, keys in (("name_to_code (used for labels)", exact), ("any fuzzy candidate", fuzzy)):
        covered = sum(names[k] for k in keys)
        table.add_row(label, f"{len(keys)}/{len(names)}", f"{len(keys) / len(names):.1%}",
                      f"{covered}/{total_records}", f"{covered / total_records:.1%}")  # fmt: skip
    console.print(table)
    if show_unmapped:
        console.print("no code (name_to_code): " + ", ".join(sorted(k[1] for k in names if k not in exact)))


def register(app: typer.Typer) -> None:
    app.add_typer(icd10_app, name="icd10")
