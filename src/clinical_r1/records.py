"""Clinical records: the schema, reading rows with line-numbered errors, writing JSONL, stats.

A record is one case the model must diagnose: `case` is the whole text the model sees,
`diagnosis` the reference answer, `icd10` its code when known. An `MCQItem` is a multiple-choice
question (MedQA), kept to check that training does not erase knowledge. Turning other formats into
records is `clinical_r1.importers`' job; this module reads rows (JSONL, JSON arrays, CSV) and never
stops at a bad one: it yields a `RecordError` naming file, line and field instead.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator, model_validator

Language = Literal["en", "zh"]

PACKAGE_DATA = Path(__file__).parent / "data"
SAMPLE_RECORDS = PACKAGE_DATA / "samples" / "records.jsonl"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


NonEmptyStr = Annotated[str, AfterValidator(_not_blank)]  # text that is more than whitespace
M = TypeVar("M", bound=BaseModel)


class RecordError(ValueError):
    """A problem with one input line; names the file, the line (1-based) and the field."""

    def __init__(
        self, file: str | Path, line: int | None, field: str | None, message: str, raw: str | None = None
    ):
        self.file, self.line, self.field, self.message = str(file), line, field, message
        self.raw = raw  # the offending text when it could not be parsed (kept for reject files)
        where = f"{self.file}:{line}" if line is not None else self.file
        what = f" field '{field}':" if field else ""
        super().__init__(f"{where}:{what} {message}")


class ClinicalRecord(BaseModel):
    id: NonEmptyStr
    language: Language
    department: str | None = None
    case: NonEmptyStr
    diagnosis: NonEmptyStr
    icd10: str | None = None
    source: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)


class MCQItem(BaseModel):
    """A multiple-choice question (MedQA): kept to check that training does not erase knowledge."""

    id: NonEmptyStr
    language: Language
    question: NonEmptyStr
    options: dict[str, str]
    answer: str  # the letter of the right option
    source: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("options")
    @classmethod
    def _has_options(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) < 2:
            raise ValueError("needs at least two options")
        return value

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> MCQItem:
        if self.answer not in self.options:
            raise ValueError(f"answer '{self.answer}' is not one of the options {sorted(self.options)}")
        return self


# --- reading rows: every problem is reported with its line, none stops the reader ---------------

Row = tuple[int, "dict[str, Any] | RecordError"]


def iter_jsonl_rows(path: str | Path) -> Iterator[Row]:
    """(line, object) per non-blank line; a bad line yields (line, RecordError) and reading goes on."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    number,
                    RecordError(path, number, None, f"not valid JSON ({exc.msg})", raw=line.rstrip("\n")),
                )
                continue
            if not isinstance(obj, dict):
                yield (
                    number,
                    RecordError(path, number, None, f"expected a JSON object, got {type(obj).__name__}"),
                )
                continue
            yield number, obj


def iter_json_array_rows(path: str | Path, chunk_size: int = 1 << 16) -> Iterator[Row]:
    """(line where it starts, object) for each element of a top-level JSON array, read in chunks.

    Streams like JSONL, so a large array file needs no more memory than its largest element. After
    a syntax error the rest of the array cannot be resynchronised: one error is yielded and reading stops.
    """
    path = Path(path)
    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8") as fh:
        buf, pos, line, eof = "", 0, 1, False

        def skip(chars: str) -> None:
            nonlocal pos, line
            while pos < len(buf) and buf[pos] in chars:
                line += buf[pos] == "\n"
                pos += 1

        def fill() -> bool:
            nonlocal buf, pos, eof
            more = fh.read(chunk_size)
            eof = not more
            buf, pos = buf[pos:] + more, 0
            return bool(more)

        fill()
        skip(" \t\r\n\ufeff")
        if buf[pos : pos + 1] != "[":
            yield line, RecordError(path, line, None, "expected a JSON array ('[' ... ']')")
            return
        pos += 1
        while True:
            skip(" \t\r\n,")
            while pos >= len(buf) and not eof:
                fill()
                skip(" \t\r\n,")
            if pos >= len(buf):
                yield line, RecordError(path, line, None, "the JSON array is not closed with ']'")
                return
            if buf[pos] == "]":
                return
            try:
                obj, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                bad_line = line + buf.count("\n", pos, exc.pos)
                if fill():
                    continue  # the element may just be cut by the chunk boundary
                yield bad_line, RecordError(path, bad_line, None, f"not valid JSON ({exc.msg})")
                return
            start = line
            line += buf.count("\n", pos, end)
            pos = end
            if isinstance(obj, dict):
                yield start, obj
            else:
                yield (
                    start,
                    RecordError(path, start, None, f"expected a JSON object, got {type(obj).__name__}"),
                )


def iter_csv_rows(path: str | Path, delimiter: str | None = None) -> Iterator[Row]:
    """(line where the row starts, {column: value}) for a CSV/TSV file with a header line."""
    path = Path(path)
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        header = reader.fieldnames
        if not header:
            return
        start = reader.line_num + 1
        for row in reader:
            if None in row:
                yield (
                    start,
                    RecordError(
                        path, start, None, f"{len(header) + len(row[None])} values for {len(header)} columns"
                    ),
                )
            elif any(value is None for value in row.values()):
                missing = [k for k, v in row.items() if v is None]
                yield (
                    start,
                    RecordError(
                        path,
                        start,
                        missing[0],
                        f"missing (only {len(header) - len(missing)} values for {len(header)} columns)",
                    ),
                )
            else:
                yield start, dict(row)
            start = reader.line_num + 1


def iter_rows(path: str | Path) -> Iterator[Row]:
    """Rows of a JSONL, JSON-array or CSV/TSV file, chosen by extension and first character."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv", ".tab"}:
        return iter_csv_rows(path)
    if suffix == ".json" and _first_char(path) == "[":
        return iter_json_array_rows(path)
    return iter_jsonl_rows(path)


def _first_char(path: Path) -> str:
    with path.open(encoding="utf-8") as fh:
        while chunk := fh.read(4096):
            stripped = chunk.lstrip(" \t\r\n\ufeff")
            if stripped:
                return stripped[0]
    return ""


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line_number, object) for each non-blank line; a bad line raises RecordError."""
    for number, obj in iter_jsonl_rows(path):
        if isinstance(obj, RecordError):
            raise obj
        yield number, obj


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def detect_language(text: str) -> Language | None:
    """'zh' when Chinese characters hold their own against Latin words (2 x characters >= words), else 'en'.

    Characters are weighed against whole Latin words because Chinese clinical text is full of Latin
    abbreviations and units (CRP, WBC, mg/L, MCV) while an English text may quote a Chinese term.
    None when the text has neither.
    """
    cjk, words = len(_CJK.findall(text)), len(_LATIN_WORD.findall(text))
    if cjk + words == 0:
        return None
    return "zh" if 2 * cjk >= words else "en"


def validation_errors(exc: ValidationError, file: str | Path, line: int | None) -> list[RecordError]:
    """Every problem pydantic found, each as a RecordError naming its field."""
    return [
        RecordError(file, line, ".".join(str(p) for p in err["loc"]) or None, err["msg"])
        for err in exc.errors()
    ]


def model_from_dict(cls: type[M], obj: Any, file: str | Path = "<input>", line: int | None = None) -> M:
    """`cls.model_validate(obj)`; the first problem raises as a RecordError naming file, line, field."""
    try:
        return cls.model_validate(obj)
    except ValidationError as exc:
        raise validation_errors(exc, file, line)[0] from exc


def record_from_dict(
    obj: dict[str, Any], file: str | Path = "<input>", line: int | None = None
) -> ClinicalRecord:
    return model_from_dict(ClinicalRecord, obj, file, line)


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


class RecordStats(BaseModel):
    """Counts over records: what a pool holds before it is used (`clinical-r1 records stats`)."""

    records: int = 0
    by_language: dict[str, int] = Field(default_factory=dict)
    by_department: dict[str, int] = Field(default_factory=dict)
    by_source: dict[str, int] = Field(default_factory=dict)
    with_icd10: int = 0
    by_chapter: dict[str, int] = Field(default_factory=dict)  # WHO chapter (Roman numeral) -> records

    @property
    def icd10_coverage(self) -> float:
        return self.with_icd10 / self.records if self.records else 0.0


def compute_stats(records: Iterable[ClinicalRecord]) -> RecordStats:
    """Stream over records once; memory grows with the number of distinct values, not of records."""
    from collections import Counter

    from clinical_r1 import icd10

    stats = RecordStats()
    language, department, source, chapter = Counter(), Counter(), Counter(), Counter()
    for record in records:
        stats.records += 1
        language[record.language] += 1
        department[record.department or "(none)"] += 1
        source[record.source or "(none)"] += 1
        info = icd10.lookup(record.icd10) if record.icd10 else None
        if info is not None:
            stats.with_icd10 += 1
            chapter[info.chapter] += 1
    stats.by_language = dict(language.most_common())
    stats.by_department = dict(department.most_common())
    stats.by_source = dict(source.most_common())
    stats.by_chapter = dict(chapter.most_common())
    return stats
