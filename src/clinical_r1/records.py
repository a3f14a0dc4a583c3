"""Clinical records: the schema, JSONL read/write with line-numbered errors.

A record is one case the model must diagnose: `case` is the whole text the model sees,
`diagnosis` the reference answer, `icd10` its code when known.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

Language = Literal["en", "zh"]

PACKAGE_DATA = Path(__file__).parent / "data"
SAMPLE_RECORDS = PACKAGE_DATA / "samples" / "records.jsonl"


class RecordError(ValueError):
    """A problem with one input line; names the file, the line (1-based) and the field."""

    def __init__(self, file: str | Path, line: int | None, field: str | None, message: str):
        self.file, self.line, self.field, self.message = str(file), line, field, message
        where = f"{self.file}:{line}" if line is not None else self.file
        what = f" field '{field}':" if field else ""
        super().__init__(f"{where}:{what} {message}")


class ClinicalRecord(BaseModel):
    id: str
    language: Language
    department: str | None = None
    case: str
    diagnosis: str
    icd10: str | None = None
    source: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id", "case", "diagnosis")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value or not value.strip():
            raise ValueError("must not be empty")
        return value


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line_number, object) for each non-blank line; a bad line raises RecordError."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RecordError(path, number, None, f"not valid JSON ({exc.msg})") from exc
            if not isinstance(obj, dict):
                raise RecordError(path, number, None, f"expected a JSON object, got {type(obj).__name__}")
            yield number, obj


def record_from_dict(
    obj: dict[str, Any], file: str | Path = "<input>", line: int | None = None
) -> ClinicalRecord:
    try:
        return ClinicalRecord.model_validate(obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise RecordError(file, line, field, err["msg"]) from exc


def read_records(path: str | Path) -> Iterator[ClinicalRecord]:
    """Stream records from a JSONL file in the record schema; the first bad line raises RecordError."""
    for number, obj in iter_jsonl(path):
        yield record_from_dict(obj, path, number)


def write_jsonl(path: str | Path, items: Iterable[BaseModel | dict[str, Any]]) -> int:
    """Write items as JSON Lines (UTF-8, non-ASCII kept readable); returns the count written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for item in items:
            obj = item.model_dump(mode="json") if isinstance(item, BaseModel) else item
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
            count += 1
    return count
