"""Benchmark files -> evaluation items (open-ended diagnosis or multiple choice)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from clinical_r1.importers import ImportConfig, Rejected, RowWarning, scan_lines
from clinical_r1.records import ClinicalRecord, MCQItem, RecordError, iter_rows, model_from_dict

NO_DEPARTMENT = "(no department)"


@dataclass
class EvalItem:
    id: str
    language: str
    department: str
    task: Literal["diagnosis", "mcq"]
    question: str
    reference: str  # the diagnosis, or the right option's letter
    reference_icd10: str | None = None
    options: dict[str, str] | None = None
    stratum: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def from_record(record: ClinicalRecord, stratum: str | None = None) -> EvalItem:
    return EvalItem(
        id=record.id,
        language=record.language,
        department=record.department or NO_DEPARTMENT,
        task="diagnosis",
        question=record.case,
        reference=record.diagnosis,
        reference_icd10=record.icd10,
        stratum=stratum,
    )


def from_mcq(item: MCQItem) -> EvalItem:
    return EvalItem(
        id=item.id,
        language=item.language,
        department=str(item.meta.get("department") or NO_DEPARTMENT),
        task="mcq",
        question=item.question,
        reference=item.answer,
        options=dict(item.options),
    )


def load_items(path: str | Path, task: str = "auto", limit: int | None = None) -> list[EvalItem]:
    """Items of a benchmark: bench.jsonl (records + stratum/split), record or MCQ JSONL, or any file the
    importers read (DxBench, both MedQA layouts). A bad row raises its RecordError (file, line, field).

    task "auto": multiple choice when the file holds MCQ items, else diagnosis. A MedQA file also yields
    open-ended records for its diagnosis stems; task "diagnosis" evaluates those instead.
    """
    path = Path(path)
    if not path.exists():
        raise RecordError(path, None, None, "benchmark file not found")
    records, mcqs = _read(path)
    if task == "auto":
        task = "mcq" if mcqs else "diagnosis"
    numbered = mcqs if task == "mcq" else records
    if not numbered:
        raise RecordError(path, None, None, f"no {task} items in the benchmark")
    first_line: dict[str, int] = {}
    for line, item in numbered:
        if item.id in first_line:
            first = first_line[item.id]
            message = f"duplicate item id {item.id!r} (first on line {first}): results are keyed by id"
            raise RecordError(path, line, "id", message)
        first_line[item.id] = line
    items = [item for _, item in numbered]
    return items[:limit] if limit else items


def _read(path: Path) -> tuple[list[tuple[int, EvalItem]], list[tuple[int, EvalItem]]]:
    """(line, item) pairs of the file's diagnosis items and of its multiple-choice items."""
    rows = iter_rows(path)
    first = next(iter(rows), None)
    if first is None:
        raise RecordError(path, None, None, "benchmark file is empty")
    _, obj = first
    # Our own JSONL layouts are read directly, so a bench item keeps its stratum.
    if isinstance(obj, dict) and {"id", "language", "case", "diagnosis"} <= obj.keys():
        return [(line, _own(path, line, row, ClinicalRecord)) for line, row in iter_rows(path)], []
    if isinstance(obj, dict) and {"id", "language", "question", "options", "answer"} <= obj.keys():
        return [], [(line, _own(path, line, row, MCQItem)) for line, row in iter_rows(path)]
    records, mcqs = [], []
    for line, item in scan_lines(path, ImportConfig()):
        if isinstance(item, Rejected):
            raise item.errors[0]
        if isinstance(item, RowWarning):  # imported all the same (e.g. an unknown code, kept without it)
            continue
        if isinstance(item, MCQItem):
            mcqs.append((line, from_mcq(item)))
        else:
            records.append((line, from_record(item)))
    return records, mcqs


def _own(path: Path, line: int, row: Any, cls: type) -> EvalItem:
    if isinstance(row, RecordError):
        raise row
    parsed = model_from_dict(cls, row, path, line)
    if isinstance(parsed, MCQItem):
        return from_mcq(parsed)
    return from_record(parsed, stratum=row.get("stratum"))


def file_digest(path: str | Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
