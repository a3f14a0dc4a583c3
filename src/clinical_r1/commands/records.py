"""`clinical-r1 records import | validate | stats`: bring data into the record schema and check it.

`records_app` is module level so other modules (e.g. `records deid`) can add commands to it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()

records_app = typer.Typer(
    help="Import clinical records (DxBench, MedQA, medfound, HuatuoGPT-o1, any CSV/JSONL), validate, count.",
    no_args_is_help=True,
)

FORMAT_HELP = (
    "dxbench, medqa, medfound, huatuo, records, table, mimic-iv or fhir (default: guessed from the first row;"
    " never mimic-iv or fhir)."
)
MAP_HELP = (
    "Schema field = column or spec, comma-separated (implies table): 'case=text,diagnosis=dx,icd10=code'; "
    "nested paths 'case=history.present', joins 'case=history.present+exam', extraction "
    "'diagnosis=qa[?question].answer|zh' (docs/records.md)."
)
# The record filter options (record_filters.filter_from_options), shared with `synthesize` and `rl`.
LANGUAGE_HELP = "Keep only these languages (en, zh); repeat or comma-separate."
DEPARTMENT_HELP = "Keep only these departments (case-insensitive; '(none)' = rows without one); repeat."
INCLUDE_HELP = "Keep only these ids (repeat or comma-separate), or @FILE: ids one a line, or JSONL with 'id'."
EXCLUDE_HELP = "Leave out these ids (repeat or comma-separate), or @FILE as for --include-ids."
# ...declared once as options (typer builds a fresh click option from them for each command).
LANGUAGE_OPTION = typer.Option([], "--language", help=LANGUAGE_HELP)
DEPARTMENT_OPTION = typer.Option([], "--department", help=DEPARTMENT_HELP)
INCLUDE_IDS_OPTION = typer.Option([], "--include-ids", help=INCLUDE_HELP)
EXCLUDE_IDS_OPTION = typer.Option([], "--exclude-ids", help=EXCLUDE_HELP)
ENCODING_HELP = "Force the input's encoding (utf-8, utf-8-sig, gb18030, gbk, utf-16); default: detected."


def parse_field_map(text: str | None) -> dict[str, str]:
    """'case=text,diagnosis=dx' -> {'case': 'text', 'diagnosis': 'dx'}; BadParameter on a malformed pair.

    Commas inside brackets or a regex's braces do not split ('diagnosis=dx|re:(.{2,40})')."""
    from clinical_r1.fieldmap import parse_spec, split_top
    from clinical_r1.importers import SCHEMA_FIELDS

    mapping: dict[str, str] = {}
    for pair in split_top(text or "", ","):
        if not pair.strip():
            continue
        field, sep, column = pair.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise typer.BadParameter(f"'{pair}' is not 'field=column'", param_hint="--map")
        if field not in SCHEMA_FIELDS:
            raise typer.BadParameter(
                f"'{field}' is not one of {', '.join(SCHEMA_FIELDS)}", param_hint="--map"
            )
        try:
            parse_spec(column)
        except ValueError as exc:
            raise typer.BadParameter(f"{field}: {exc}", param_hint="--map") from exc
        mapping[field] = column
    return mapping


def _config(config: Path | None, **overrides: object):
    from clinical_r1.config import ConfigError, load_config
    from clinical_r1.importers import FORMATS, ImportConfig

    fmt, language = overrides.get("fmt"), overrides.get("language")
    if fmt is not None and fmt not in FORMATS:
        raise typer.BadParameter(f"'{fmt}' is not one of {', '.join(FORMATS)}", param_hint="--format")
    if language is not None and language not in ("en", "zh"):
        raise typer.BadParameter(f"'{language}' is not en or zh", param_hint="--language")

    try:
        return load_config(config, ImportConfig, overrides=overrides)
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


@records_app.command("import")
def import_(
    path: Path = typer.Argument(
        ..., help="Input file: JSONL, JSON array or CSV/TSV; a MIMIC-IV root or FHIR export folder."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Records JSONL to write."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
    field_map: str | None = typer.Option(None, "--map", help=MAP_HELP),
    language: str | None = typer.Option(None, help="en or zh for every row (default: per row, detected)."),
    encoding: str | None = typer.Option(None, help=ENCODING_HELP),
    source: str | None = typer.Option(None, help="Value of the records' `source` field."),
    assign_departments: bool = typer.Option(
        False, "--assign-departments", help="Give records without a department one from their ICD-10 code."
    ),
    code_diagnoses: bool = typer.Option(
        False,
        "--code-diagnoses",
        help="Give records without a code one when the diagnosis name maps exactly.",
    ),
    rejects: Path | None = typer.Option(
        None, help="Rejected rows with reasons (default <out>.rejects.jsonl)."
    ),
    mcq_out: Path | None = typer.Option(None, help="MCQ items of MedQA files (default <out>.mcq.jsonl)."),
    diagnoses: Path | None = typer.Option(
        None, help="mimic-iv: hosp/diagnoses_icd.csv(.gz), when PATH is note/discharge.csv(.gz)."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="YAML with ImportConfig fields (department map)."
    ),
) -> None:
    """Stream a file into the record schema; rejected rows are written with their reasons, never dropped."""
    from clinical_r1.cli_errors import user_errors
    from clinical_r1.importers import import_file

    mapping = parse_field_map(field_map)
    cfg = _config(
        config,
        fmt=fmt if fmt else ("table" if mapping else None),
        field_map=mapping or None,
        language=language,
        source=source,
        assign_department=assign_departments or None,
        code_diagnoses=code_diagnoses or None,
        encoding=encoding,
        diagnoses=diagnoses,
    )
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task(f"importing {path.name}", total=None)
        with user_errors(console):  # a bad file, a full disk or a read-only folder: one message, exit 2
            report = import_file(
                path, out, cfg, rejects=rejects, mcq_out=mcq_out, inputs=[config] if config else (),
                progress=lambda n: bar.update(task, description=f"importing {path.name}: {n:,} rows"),
            )  # fmt: skip
    console.print(f"[green]{report.records:,} records[/green] -> {out}")
    if report.encoding.split(" ")[0] not in ("", "utf-8"):  # say how a file that is not UTF-8 was read
        console.print(f"read as {report.encoding}")
    if report.mcq_items:
        console.print(f"[green]{report.mcq_items:,} multiple-choice items[/green] -> {report.mcq_out}")
    if report.rejected:
        _print_reasons(f"{report.rejected:,} rows rejected -> {report.rejects}", "problem", report.reasons)
    else:
        console.print("0 rows rejected")
    if report.warned:  # imported all the same, but worth a look (e.g. a code kept only in meta)
        _print_reasons(f"{report.warned:,} warnings -> {report.warnings_out}", "warning", report.warnings)


def _print_reasons(title: str, what: str, reasons: Counter[str]) -> None:
    """A table of reasons and how many rows each, most frequent first."""
    table = Table(title=title)
    table.add_column(what)
    table.add_column("rows", justify="right")
    for reason, count in reasons.most_common():
        table.add_row(reason, f"{count:,}")
    console.print(table)


@records_app.command("validate")
def validate(
    path: Path = typer.Argument(..., help="File to check (any importable format)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
    field_map: str | None = typer.Option(None, "--map", help=MAP_HELP),
    language: str | None = typer.Option(None, help="en or zh for every row."),
    encoding: str | None = typer.Option(None, help=ENCODING_HELP),
    config: Path | None = typer.Option(None, "--config", help="YAML with ImportConfig fields."),
) -> None:
    """List EVERY problem of a file (file:line: field: message); exit 1 if any, 2 if unreadable.

    Warnings (rows that would import, but deserve a look) are listed after them and do not fail."""
    from clinical_r1.importers import Rejected, RowWarning, scan
    from clinical_r1.records import RecordError

    mapping = parse_field_map(field_map)
    cfg = _config(config, fmt=fmt if fmt else ("table" if mapping else None), field_map=mapping or None,
                  language=language, encoding=encoding)  # fmt: skip
    problems, warnings = [], []
    try:
        for item in scan(path, cfg):  # validate_file's pass, keeping the warnings too
            if isinstance(item, Rejected):
                problems += item.errors
            elif isinstance(item, RowWarning):
                warnings.append(item)
    except RecordError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    for problem in problems:
        console.print(str(problem), markup=False, highlight=False, soft_wrap=True)
    for warning in warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    if warnings:
        console.print(f"[yellow]{len(warnings)} warnings[/yellow] (rows that import, but look wrong)")
    if problems:
        lines = len({p.line for p in problems})
        console.print(f"[red]{len(problems)} problems on {lines} lines[/red] in {path}")
        raise typer.Exit(1)
    console.print(f"[green]no problems[/green] in {path}")


@records_app.command("stats")
def stats(
    path: Path = typer.Argument(..., help="Records file (or any importable format)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
    field_map: str | None = typer.Option(None, "--map", help=MAP_HELP),
    encoding: str | None = typer.Option(None, help=ENCODING_HELP),
) -> None:
    """Counts by language, department and source; ICD-10 coverage and chapters."""
    from clinical_r1 import icd10
    from clinical_r1.importers import Rejected, scan
    from clinical_r1.records import ClinicalRecord, RecordError, compute_stats

    mapping = parse_field_map(field_map)
    cfg = _config(
        None, fmt=fmt if fmt else ("table" if mapping else None), field_map=mapping or None, encoding=encoding
    )
    rejected = 0

    def records():
        nonlocal rejected
        for item in scan(path, cfg):
            if isinstance(item, ClinicalRecord):
                yield item
            elif isinstance(item, Rejected):  # counted; MCQ items are not records and are not counted
                rejected += 1

    try:
        result = compute_stats(records())
    except RecordError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(
        f"{result.records:,} records in {path}; ICD-10 code on {result.with_icd10:,} "
        f"({result.icd10_coverage:.1%})"
        + (f"; {rejected:,} rows rejected (see `records validate`)" if rejected else "")
    )
    for title, counts in (
        ("language", result.by_language),
        ("department", result.by_department),
        ("source", result.by_source),
    ):
        _print_counts(title, counts, result.records)
    chapters = {f"{ch}  {icd10.chapter_title(ch)}": n for ch, n in result.by_chapter.items()}
    if chapters:
        _print_counts("ICD-10 chapter", chapters, result.with_icd10)


def _print_counts(title: str, counts: dict[str, int], total: int) -> None:
    table = Table(title=f"by {title}")
    table.add_column(title)
    table.add_column("records", justify="right")
    table.add_column("share", justify="right")
    for key, count in counts.items():
        table.add_row(key, f"{count:,}", f"{count / total:.1%}" if total else "")
    console.print(table)


@records_app.command("filter")
def filter_(
    path: Path = typer.Argument(..., help="Records or training examples JSONL."),
    out: Path = typer.Option(..., "--out", "-o", help="Where the kept rows go (JSONL)."),
    language: list[str] = LANGUAGE_OPTION,
    department: list[str] = DEPARTMENT_OPTION,
    include_ids: list[str] = INCLUDE_IDS_OPTION,
    exclude_ids: list[str] = EXCLUDE_IDS_OPTION,
) -> None:
    """Keep the rows of PATH that match every filter given; the others are counted with their reason."""
    from clinical_r1.record_filters import filter_file, filter_from_options
    from clinical_r1.records import RecordError

    try:
        record_filter = filter_from_options(language, department, include_ids, exclude_ids)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if record_filter is None:
        raise typer.BadParameter("give one of --language, --department, --include-ids, --exclude-ids")
    try:
        report = filter_file(path, out, record_filter)
    except (RecordError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"[green]{report.kept:,} of {report.read:,} rows kept[/green] -> {out}")
    if report.dropped:
        _print_reasons(f"{report.read - report.kept:,} rows left out", "reason", report.dropped)


def register(app: typer.Typer) -> None:
    app.add_typer(records_app, name="records")
