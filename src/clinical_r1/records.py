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
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator, model_validator

from clinical_r1.textfiles import clean, detect_encoding, open_text, undecodable

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


def iter_jsonl_rows(path: str | Path, encoding: str | None = None) -> Iterator[Row]:
    """(line, object) per non-blank line; a bad line yields (line, RecordError) and reading goes on.

    The encoding is detected from the file's head unless given; a line with undecodable bytes is a bad
    line like any other (the lines after it are still read)."""
    path = Path(path)
    encoding = encoding or detect_encoding(path).name
    with open_text(path, encoding) as fh:
        for number, line in enumerate(fh, start=1):
            if number == 1:
                line = line.removeprefix("\ufeff")  # a BOM under a forced --encoding utf-8
            if not line.strip():
                continue
            if (message := undecodable(line, encoding)) is not None:
                yield number, RecordError(path, number, None, message, raw=clean(line.rstrip("\n")))
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    number,
                    RecordError(path, number, None, f"not valid JSON ({exc.msg})", raw=line.rstrip("\n")),
                )
                continue
            except RecursionError:
                yield number, RecordError(path, number, None, _TOO_DEEP, raw=line[:200])
                continue
            if (message := lone_surrogate(line, obj)) is not None:
                yield number, RecordError(path, number, None, message, raw=line.rstrip("\n"))
                continue
            if not isinstance(obj, dict):
                yield (
                    number,
                    RecordError(path, number, None, f"expected a JSON object, got {type(obj).__name__}"),
                )
                continue
            yield number, obj


_TOO_DEEP = "JSON nested too deeply to read (thousands of brackets): not a record"
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def lone_surrogate(raw: str, obj: Any) -> str | None:
    """A message when the parsed JSON holds half of a UTF-16 pair ("\\ud800" alone): it is not text,
    and writing it as UTF-8 would fail later. Only rows whose raw text has such an escape are checked."""
    if "\\u" not in raw or not _ESCAPED_SURROGATE.search(raw):
        return None
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start]
        return f"lone surrogate \\u{ord(bad):04x} (half of a UTF-16 pair) in a string: not valid text"
    return None


def iter_json_array_rows(
    path: str | Path, chunk_size: int = 1 << 16, encoding: str | None = None
) -> Iterator[Row]:
    """(line where it starts, object) for each element of a top-level JSON array, read in chunks.

    Streams like JSONL, so a large array file needs no more memory than its largest element. After
    a syntax error the rest of the array cannot be resynchronised: one error is yielded and reading stops.
    An element with undecodable bytes is one bad row; anything but whitespace after the closing ']' is an
    error (a second array pasted after the first would otherwise be dropped unseen).
    """
    path = Path(path)
    decoder = json.JSONDecoder()
    encoding = encoding or detect_encoding(path).name
    with open_text(path, encoding) as fh:
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
                pos += 1
                skip(" \t\r\n")
                while pos >= len(buf) and not eof:
                    fill()
                    skip(" \t\r\n")
                if pos < len(buf):
                    extra = clean(buf[pos : pos + 30])
                    yield (
                        line,
                        RecordError(
                            path, line, None, f"trailing data after the JSON array's closing ']': {extra!r}"
                        ),
                    )
                return
            try:
                obj, end = decoder.raw_decode(buf, pos)
            except RecursionError:
                yield line, RecordError(path, line, None, _TOO_DEEP)
                return
            except json.JSONDecodeError as exc:
                bad_line = line + buf.count("\n", pos, exc.pos)
                if fill():
                    continue  # the element may just be cut by the chunk boundary
                yield bad_line, RecordError(path, bad_line, None, f"not valid JSON ({exc.msg})")
                return
            start = line
            line += buf.count("\n", pos, end)
            message = undecodable(buf[pos:end], encoding) or lone_surrogate(buf[pos:end], obj)
            pos = end
            if message is not None:
                yield start, RecordError(path, start, None, message)
            elif isinstance(obj, dict):
                yield start, obj
            else:
                yield (
                    start,
                    RecordError(path, start, None, f"expected a JSON object, got {type(obj).__name__}"),
                )


MAX_QUOTED_LINES = 1000  # a quoted CSV field longer than this is taken for an unterminated quote
MAX_QUOTED_CHARS = 1 << 20


def iter_csv_rows(
    path: str | Path, delimiter: str | None = None, encoding: str | None = None
) -> Iterator[Row]:
    """(line where the row starts, {column: value}) for a CSV/TSV file with a header line.

    Problems are rows of their own, located: a row with the wrong number of values, a quoting error, an
    unterminated quote (only that row is rejected; see `_csv_records`), undecodable bytes. A duplicated
    column name stops the file at its header (which value would a mapping get?), and a file with no
    header or no rows after it says so, instead of importing nothing in silence.
    """
    path = Path(path)
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
    encoding = encoding or detect_encoding(path).name
    columns = [0]  # the header's width once read: what tells a swallowed line from a multi-line field
    header: list[str] | None = None
    header_line = rows = 0
    with open_text(path, encoding, newline="") as fh:
        for start, fields in _csv_records(path, fh, delimiter, encoding, columns):
            if isinstance(fields, RecordError):
                yield start, fields
                if header is None:
                    return  # without a header no row can be read
                continue
            if header is None:
                # strip "\ufeff" too: a BOM read under a forced --encoding utf-8 would rename column 1
                header = [h.strip().lstrip("\ufeff") for h in fields]
                header_line, columns[0] = start, len(fields)
                seen: dict[str, int] = {}
                for i, name in enumerate(header, start=1):
                    if name in seen:
                        message = (
                            f"duplicate column '{name}' (columns {seen[name]} and {i}): rename one of them"
                        )
                        yield start, RecordError(path, start, name, message)
                        return
                    seen[name] = i
                continue
            rows += 1
            if len(fields) > len(header):
                yield start, RecordError(path, start, None, f"{len(fields)} values for {len(header)} columns")
            elif len(fields) < len(header):
                missing = header[len(fields)]
                message = f"missing (only {len(fields)} values for {len(header)} columns)"
                yield start, RecordError(path, start, missing, message)
            else:
                yield start, dict(zip(header, fields, strict=True))
    if header is None:
        yield 1, RecordError(path, 1, None, "empty file: no header and no rows")
    elif rows == 0:
        yield header_line, RecordError(path, header_line, None, "header only: no rows after it")


def _csv_records(
    path: Path, fh: Iterable[str], delimiter: str, encoding: str, columns: list[int]
) -> Iterator[tuple[int, list[str] | RecordError]]:
    """(first line, values) per logical CSV record, read physical line by physical line.

    A quoted field may span lines, so a record is parsed (strictly, by the csv module) from as many lines
    as it takes to close its quotes. An unterminated quote would swallow every row after it; it shows as
    a record that spans lines and then does not parse or has the wrong number of values, or one still
    open at the end of the file (or after MAX_QUOTED_LINES). Then only the line that opened it is
    rejected and the lines after it are read again as records of their own.
    """
    lines = enumerate(fh, start=1)
    again: deque[tuple[int, str]] = deque()  # lines to read again after an unterminated quote
    buf: list[tuple[int, str]] = []
    chars = 0

    def unterminated() -> tuple[int, RecordError]:
        first, last = buf[0][0], buf[-1][0]
        text = clean(buf[0][1].rstrip("\r\n"))
        message = (
            f"unterminated quote: the field opened here would swallow lines {first + 1}-{last}; "
            "this row is rejected and those lines are read as rows"
        )
        return first, RecordError(path, first, None, message, raw=text)

    while True:
        item = again.popleft() if again else next(lines, None)
        if item is None:
            if not buf:
                return
            yield unterminated()
            again.extend(buf[1:])
            buf, chars = [], 0
            continue
        if not buf and not item[1].strip():
            continue  # a blank line between rows
        if not buf and '"' not in item[1]:  # no quotes: what the csv module would read, without its cost
            if (message := undecodable(item[1], encoding)) is not None:
                yield item[0], RecordError(path, item[0], None, message, raw=clean(item[1].rstrip("\r\n")))
            else:
                yield item[0], item[1].rstrip("\r\n").split(delimiter)
            continue
        buf.append(item)
        chars += len(item[1])
        if len(buf) > 1 and '"' not in item[1] and len(buf) <= MAX_QUOTED_LINES and chars <= MAX_QUOTED_CHARS:
            continue  # a line without a quote cannot close the open field: no need to parse again
        try:
            parsed = list(csv.reader([text for _, text in buf], delimiter=delimiter, strict=True))
        except csv.Error as exc:
            still_open = "unexpected end of data" in str(exc)
            if still_open and len(buf) <= MAX_QUOTED_LINES and chars <= MAX_QUOTED_CHARS:
                continue
            if len(buf) > 1:  # the quote opened on the first line ran into the rows after it
                yield unterminated()
                again.extendleft(reversed(buf[1:]))
            else:
                text = clean(buf[0][1].rstrip("\r\n"))
                yield buf[0][0], RecordError(path, buf[0][0], None, f"CSV quoting error ({exc})", raw=text)
            buf, chars = [], 0
            continue
        fields = parsed[0] if parsed else []
        if len(buf) > 1 and columns[0] and len(fields) != columns[0]:
            yield unterminated()
            again.extendleft(reversed(buf[1:]))
        elif (message := undecodable("".join(text for _, text in buf), encoding)) is not None:
            yield buf[0][0], RecordError(path, buf[0][0], None, message, raw=clean(buf[0][1].rstrip("\r\n")))
        else:
            yield buf[0][0], fields
        buf, chars = [], 0


def iter_rows(path: str | Path, encoding: str | None = None) -> Iterator[Row]:
    """Rows of a JSONL, JSON-array or CSV/TSV file, chosen by extension and first character.

    `encoding` None: detected from the file's head (`textfiles.detect_encoding`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    encoding = encoding or detect_encoding(path).name
    if suffix in {".csv", ".tsv", ".tab"}:
        return iter_csv_rows(path, encoding=encoding)
    if suffix == ".json" and _first_char(path, encoding) == "[":
        return iter_json_array_rows(path, encoding=encoding)
    return iter_jsonl_rows(path, encoding=encoding)


def _first_char(path: Path, encoding: str = "utf-8") -> str:
    with open_text(path, encoding) as fh:
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
    """Write items as JSON Lines (UTF-8, non-ASCII kept readable); returns the count written.

    Atomic and private (`safe_io.atomic_write_jsonl`): a kill or a full disk leaves the old file."""
    from clinical_r1.safe_io import atomic_write_jsonl

    return atomic_write_jsonl(path, items)


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
