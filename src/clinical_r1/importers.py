"""Importers: public datasets and user files -> `ClinicalRecord` (and `MCQItem` for MedQA).

Every importer converts one raw row at a time, so files of any size stream. A row with problems
becomes a `Rejected` (file, line, every problem found in it) instead of stopping the import:
`scan` yields both, `import_file` writes records and rejects and counts them, `validate_file` lists
all problems of a file in one pass. The convenience functions (`import_dxbench`, `import_medqa`,
`load_records`) are strict: the first rejected row raises its `RecordError`.

Formats ("fmt"): dxbench, medqa, medfound, huatuo, records (the native schema), table (any CSV /
JSONL with a field map). `detect_format` guesses it from the first row.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from clinical_r1 import fieldmap, icd10
from clinical_r1.config import StrictModel
from clinical_r1.departments import DepartmentMap, age_in_years, department_for
from clinical_r1.records import (
    ClinicalRecord,
    Language,
    MCQItem,
    RecordError,
    detect_language,
    iter_rows,
    validation_errors,
)
from clinical_r1.safe_io import atomic_open
from clinical_r1.textfiles import check_encoding, detect_encoding

Format = Literal["dxbench", "medqa", "medfound", "huatuo", "records", "table", "mimic-iv", "fhir"]
FORMATS: tuple[str, ...] = ("dxbench", "medqa", "medfound", "huatuo", "records", "table", "mimic-iv", "fhir")
# Whole exports (a folder, several joined files), each read by its own module: import_mimic, import_fhir.
EXPORT_FORMATS = {"mimic-iv": "clinical_r1.import_mimic", "fhir": "clinical_r1.import_fhir"}
SCHEMA_FIELDS = ("id", "language", "department", "case", "diagnosis", "icd10", "source")


class ImportConfig(StrictModel):
    """How to read a file. Unset fields are guessed (format from the first row, language per row)."""

    fmt: Format | None = None
    field_map: dict[str, str] = Field(default_factory=dict)  # schema field -> column (format "table")
    language: Language | None = None  # None: the row's own language field or detection (CJK share)
    source: str | None = None  # None: a per-format default ("dxbench", "medqa-usmle", ...)
    assign_department: bool = False  # records without a department get one from their ICD-10 code
    departments: DepartmentMap = Field(default_factory=DepartmentMap)  # the one map (departments.py)
    code_diagnoses: bool = False  # records without a code get one when the name maps exactly
    diagnoses: Path | None = None  # mimic-iv: hosp/diagnoses_icd.csv(.gz) when the path is discharge.csv

    encoding: str | None = None  # None: detected per file (textfiles.detect_encoding); e.g. "gb18030"

    @field_validator("field_map")
    @classmethod
    def _maps_schema_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SCHEMA_FIELDS))
        if unknown:
            raise ValueError(f"{', '.join(unknown)} not in the record schema ({', '.join(SCHEMA_FIELDS)})")
        for name, spec in value.items():  # paths, joins and extraction patterns: see clinical_r1.fieldmap
            try:
                fieldmap.parse_spec(spec)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from exc
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        return check_encoding(value) if value else None


Item = ClinicalRecord | MCQItem


@dataclass
class Rejected:
    """One input row that could not be imported, with every problem found in it."""

    file: str
    line: int
    errors: list[RecordError]
    raw: dict[str, Any] | str | None = None  # the row, or its text when it did not parse

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
            "raw": self.raw,
        }


# Several codes in one field: "I20.9, I10", "K29.701；K21.0" (the first is the record's code).
_CODE_LIST = re.compile(r"[,;，；、\s]+")


@dataclass
class RowWarning:
    """Something worth a look in a row that was imported all the same (an unknown ICD-10 code, ...)."""

    file: str
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{f' field {self.field!r}:' if self.field else ''} {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class _Row:
    """Field access that collects problems instead of raising on the first, so one pass finds all."""

    def __init__(self, obj: dict[str, Any], file: str, line: int, index: int):
        self.obj, self.file, self.line = obj, file, line
        self.index = index  # 0-based position among the file's rows: a stable id for rows without one
        self.problems: list[RecordError] = []
        self.warnings: list[RowWarning] = []  # the row is imported; these are counted and written beside it

    def problem(self, name: str | None, message: str) -> None:
        self.problems.append(RecordError(self.file, self.line, name, message))

    def warn(self, name: str | None, message: str) -> None:
        self.warnings.append(RowWarning(self.file, self.line, name, message))

    def text(self, name: str, required: bool = True, is_id: bool = False) -> str:
        """The field as stripped text; ids may also be integers (MedQA realidx, numeric qids)."""
        value = self.obj.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(name, "missing" if value is None else "empty")
            return ""
        if not isinstance(value, str) and not (
            is_id and isinstance(value, int) and not isinstance(value, bool)
        ):
            # nested data: say how to reach into it (a path spec, see fieldmap) rather than only what failed
            hint = {
                dict: f" (map a path into it, e.g. {name}.KEY)",
                list: f" (map an element, e.g. {name}[0])",
            }
            self.problem(name, f"expected text, got {type(value).__name__}{hint.get(type(value), '')}")
            return ""
        return str(value).strip()

    def language(self, text: str, given: str | None, name: str = "language") -> Language:
        value = given or self.obj.get(name)
        if value in (None, ""):
            detected = detect_language(text)
            if detected is None:
                if not self.problems:  # no text because of another problem: that one is the news
                    self.problem(name, "unknown language (none given and no letters to detect it from)")
                return "en"
            return detected
        if isinstance(value, str) and value.strip().lower() in ("en", "zh"):
            return value.strip().lower()  # type: ignore[return-value]
        self.problem(name, f"unknown language {value!r} (expected en or zh)")
        return "en"

    def code(self, name: str, value: Any) -> tuple[str | None, str | None]:
        """(first normalised code, raw text); several codes may be given as a list or 'A, B'."""
        if value is None or value == "" or value == []:
            return None, None
        if not isinstance(value, str | list):
            self.problem(name, f"expected a code or a list of codes, got {type(value).__name__}")
            return None, None
        parts = value if isinstance(value, list) else _CODE_LIST.split(value.strip())
        codes = []
        for part in parts:
            if not isinstance(part, str):
                self.problem(name, f"expected a code, got {type(part).__name__} {part!r}")
                continue
            if not part.strip():
                continue
            norm = icd10.normalize(part)
            if norm is not None:
                codes.append(norm)
            elif icd10.is_code_shaped(part):
                # Shaped like a code but in no WHO edition or national table we know: a code set we do not
                # map (ICD-10-CM only, a newer national extension). The record is kept without a code.
                message = "is not a WHO ICD-10 code (nor a known earlier or national one): kept without code"
                self.warn(name, f"'{part.strip()}' {message}")
            else:
                self.problem(name, f"'{part}' is not a valid ICD-10 code")
        return (codes[0] if codes else None), (value if isinstance(value, str) else ",".join(map(str, value)))


Converter = Callable[[_Row, ImportConfig], list[Item]]


# --- DxBench -----------------------------------------------------------------------------------

_DX_HEADINGS = {
    "en": ("Presenting symptoms: ", "On further questioning: ", "Denies: "),
    "zh": ("主诉症状：", "进一步询问：", "否认："),
}
_DX_PUNCTUATION = {"en": (", ", ".", " "), "zh": ("、", "。", "")}  # list separator, full stop, joiner


def dxbench_case(explicit: list[tuple[str, bool]], implicit: list[tuple[str, bool]], language: str) -> str:
    """'Presenting symptoms: a, b. On further questioning: c. Denies: d.' (or the Chinese equivalent)."""
    separator, stop, joiner = _DX_PUNCTUATION[language]
    groups = (
        [s for s, present in explicit if present],
        [s for s, present in implicit if present],
        [s for s, present in explicit + implicit if not present],
    )
    return joiner.join(
        heading + separator.join(items) + stop
        for heading, items in zip(_DX_HEADINGS[language], groups, strict=True)
        if items
    )


def _symptoms(row: _Row, name: str) -> list[tuple[str, bool]]:
    value = row.obj.get(name)
    if value is None:
        row.problem(name, "missing")
        return []
    if not isinstance(value, list):
        row.problem(name, f"expected a list of [symptom, 'True'/'False'], got {type(value).__name__}")
        return []
    out = []
    for i, pair in enumerate(value):
        symptom, flag = pair if isinstance(pair, list) and len(pair) == 2 else (None, None)
        present = flag if isinstance(flag, bool) else {"true": True, "false": False}.get(str(flag).lower())
        if not isinstance(symptom, str) or not symptom.strip() or present is None:
            row.problem(f"{name}[{i}]", f"expected [symptom, 'True'/'False'], got {pair!r}")
            continue
        out.append((symptom.strip(), present))
    return out


def _convert_dxbench(row: _Row, cfg: ImportConfig) -> list[Item]:
    pair_id = row.text("id", is_id=True)
    department = row.text("department", required=False) or None
    disease = row.text("disease")
    explicit, implicit = _symptoms(row, "explicit_symptoms"), _symptoms(row, "implicit_symptoms")
    if not explicit and not implicit and not row.problems:
        row.problem("explicit_symptoms", "no symptoms at all")
    candidates = row.obj.get("candidate_diseases", [])
    if not isinstance(candidates, list) or not all(isinstance(c, str) for c in candidates):
        row.problem("candidate_diseases", "expected a list of disease names")
        candidates = []
    language = row.language(disease + "".join(s for s, _ in explicit + implicit), cfg.language)
    if row.problems:
        return []
    return [
        _finish(
            ClinicalRecord(
                id=f"{pair_id}-{language}",
                language=language,
                department=department,
                case=dxbench_case(explicit, implicit, language),
                diagnosis=disease,
                source=cfg.source or "dxbench",
                meta={"pair_id": pair_id, "candidate_diseases": candidates},
            ),
            cfg,
        )
    ]


# --- MedQA -------------------------------------------------------------------------------------

_OPTION_LINE = re.compile(r"^\s*\(([A-Z])\)\s*(.*?)\s*$")
_ANSWER_LETTER = re.compile(r"^\s*\(?([A-Z])\)?\s*$")
_EN_DIAGNOSIS_ASK = re.compile(
    r"(most (likely|probable)|what is the|which of the following is the|which is the|likely|probable)"
    r"\s+(underlying\s+|clinical\s+|primary\s+|correct\s+)?diagnosis"
    r"|diagnosis (is|was) most likely|which of the following diagnos[ie]s|consistent with which diagnosis",
    re.IGNORECASE,
)
# Questions *about* the diagnosis (its tests, features, treatment) are not asking for it.
_EN_NOT_ASK = re.compile(
    r"\b(not|except|least)\b|next step|confirm|establish|diagnostic"
    r"|\b(of|for|with|to) the (most likely )?diagnosis",
    re.IGNORECASE,
)
_ZH_DIAGNOSIS_ASK = re.compile(
    r"最可能的?诊断|可能的诊断|初步诊断|诊断(应)?(为|是)|应诊断|考虑诊断|诊断考虑|最可能是"
)
_ZH_NOT_ASK = re.compile(r"不|除外|依据|鉴别|错误|检查|方法|手段|标准|治疗|病史|询问")


def parse_options(text: str) -> dict[str, str]:
    """'(A) x.\\n(B) y.' -> {'A': 'x', 'B': 'y'} (the MCMLE layout; one trailing full stop dropped)."""
    options: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        match = _OPTION_LINE.match(line)
        if match:
            last = match.group(1)
            options[last] = match.group(2)
        elif last and line.strip():
            options[last] += " " + line.strip()  # an option that runs over two lines
    return {k: re.sub(r"[.。]$", "", v).strip() for k, v in options.items()}


def asks_for_diagnosis(question: str, language: str) -> bool:
    """Does the stem's last sentence ask for the diagnosis ("most likely diagnosis", "最可能的诊断")?"""
    sentences = [s for s in re.split(r"(?<=[.?!。？！])\s*", question.strip()) if s.strip()]
    last = sentences[-1] if sentences else ""
    if language == "zh":
        return bool(_ZH_DIAGNOSIS_ASK.search(last)) and not _ZH_NOT_ASK.search(last)
    return bool(_EN_DIAGNOSIS_ASK.search(last)) and not _EN_NOT_ASK.search(last)


def _convert_medqa(row: _Row, cfg: ImportConfig) -> list[Item]:
    question = row.text("question")
    raw_options = row.obj.get("options")
    options: dict[str, str] = {}
    if raw_options is None:
        row.problem("options", "missing")
    elif isinstance(raw_options, dict):
        options = {str(k).strip(): str(v).strip() for k, v in raw_options.items()}
    elif isinstance(raw_options, str):
        options = parse_options(raw_options)
        if not options:
            row.problem("options", "no '(A) ...' lines found")
    else:
        row.problem("options", f"expected a dict or '(A) ..' text, got {type(raw_options).__name__}")
    letter = row.obj.get("answer_idx")
    if letter is None:  # MCMLE layout: answer "(D)"; USMLE layout: answer is the option text
        answer = row.text("answer")
        match = _ANSWER_LETTER.match(answer)
        letter = match.group(1) if match else None
        if letter is None and answer:
            letter = next((k for k, v in options.items() if v == answer), None)
            if letter is None:
                row.problem("answer", f"{answer!r} is neither a letter nor the text of an option")
    elif not isinstance(letter, str):
        row.problem("answer_idx", f"expected a letter, got {type(letter).__name__}")
        letter = None
    if letter is not None and options and letter not in options:
        row.problem("answer", f"answer '{letter}' is not one of the options {sorted(options)}")
    elif letter in options and "answer_idx" in row.obj:
        text = row.obj.get("answer")
        if isinstance(text, str) and not _ANSWER_LETTER.match(text) and text.strip() != options[letter]:
            row.problem("answer", f"answer text does not match option {letter} given by answer_idx")
    # Options count too: some stems are just an abbreviation ("1．LDL") with Chinese options.
    language = row.language(question + " ".join(options.values()), cfg.language)
    if row.problems:
        return []
    source = cfg.source or str(
        row.obj.get("source") or ("medqa-mcmle" if language == "zh" else "medqa-usmle")
    )
    native_id = row.obj.get("id", row.obj.get("realidx"))
    item_id = f"{source}-{native_id if native_id is not None else row.index}"
    meta = {k: row.obj[k] for k in ("meta_info",) if k in row.obj}
    items: list[Item] = [MCQItem(id=item_id, language=language, question=question, options=options,
                                 answer=letter, source=source, meta=meta)]  # fmt: skip
    if asks_for_diagnosis(question, language):
        record = ClinicalRecord(
            id=item_id, language=language, department=None, case=question, diagnosis=options[letter],
            source=source, meta={**meta, "from_mcq": True, "mcq_answer": letter},
        )  # fmt: skip
        items.append(_finish(record, cfg))
    return items


# --- medfound-style hospital records, HuatuoGPT-o1 problems, native records, tables ------------


def _text_or_list(row: _Row, name: str) -> str:
    value = row.obj.get(name)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return "; ".join(v.strip() for v in value)  # several diagnoses of one admission
    return row.text(name)


def _convert_medfound(row: _Row, cfg: ImportConfig) -> list[Item]:
    qid, case = row.text("qid", is_id=True), row.text("context")
    diagnosis = _text_or_list(row, "diagnosis")
    code, raw_code = row.code("diagnosis_code", row.obj.get("diagnosis_code"))
    language = row.language(case, cfg.language)
    if row.problems:
        return []
    meta = {"icd10_raw": raw_code} if raw_code else {}
    record = ClinicalRecord(
        id=qid, language=language, department=row.text("department", required=False) or None, case=case,
        diagnosis=diagnosis, icd10=code, source=cfg.source or "medfound", meta=meta,
    )  # fmt: skip
    return [_finish(record, cfg)]


def _convert_huatuo(row: _Row, cfg: ImportConfig) -> list[Item]:
    question = row.text("Open-ended Verifiable Question")
    answer = row.text("Ground-True Answer")
    language = row.language(question, cfg.language)
    if row.problems:
        return []
    native_id = row.obj.get("id")
    record = ClinicalRecord(
        id=str(native_id) if native_id not in (None, "") else f"huatuo-{row.index}",
        language=language, case=question, diagnosis=answer, source=cfg.source or "huatuogpt-o1",
    )  # fmt: skip
    return [_finish(record, cfg)]


def _mapped(row: _Row, spec_text: str, required: bool = True, is_id: bool = False) -> str:
    """A field from its spec: a column (as `_Row.text`), a path into nested JSON, a labelled join of
    several, or the diagnosis a pattern extracts from one (syntax: `clinical_r1.fieldmap`)."""
    spec = fieldmap.parse_spec(spec_text)
    if spec.simple or spec_text in row.obj:  # a column whose own name is the whole spec wins
        return row.text(spec_text, required=required, is_id=is_id)
    candidates: list[str] = []  # texts to take the value (or extract the diagnosis) from, in order
    found: list[tuple[str, str]] = []  # (label, text) of the parts of a join
    for label, part in zip(spec.labels(), spec.parts, strict=True):
        try:
            texts = [t for t in (fieldmap.as_text(v) for v in fieldmap.resolve(row.obj, part)) if t]
        except fieldmap.PathError as exc:
            texts, why = [], str(exc)
        else:
            why = "empty"
        if len(spec.parts) == 1:
            candidates, missing = texts, why
        elif texts:
            found.append((label, "; ".join(texts)))
        else:  # a join goes on without this part, but says so
            row.warn(spec_text, f"part '{part.text}' {why}: left out")
    if len(spec.parts) > 1:
        candidates = ["\n".join(f"{label}: {text}" for label, text in found)] if found else []
        missing = "missing (no part has a value)"
    if not candidates:
        if required:
            row.problem(spec_text, missing)
        return ""
    if spec.extract is None:
        return candidates[0]
    for text in candidates:
        if value := fieldmap.extract(spec.extract, text):
            return value
    if required:
        preview = candidates[0][:40].replace("'", "’")
        row.problem(spec_text, f"the {spec.extract.name} pattern finds no diagnosis in '{preview}'")
    return ""


def _mapped_raw(row: _Row, spec_text: str) -> Any:
    """The raw value of a spec (for ICD-10 codes, which may be lists); None when the path is missing."""
    spec = fieldmap.parse_spec(spec_text)
    if spec.simple or spec_text in row.obj:
        return row.obj.get(spec_text)
    return _mapped(row, spec_text, required=False) or None


def _convert_mapped(
    row: _Row,
    cfg: ImportConfig,
    field_map: dict[str, str],
    default_source: str,
    check_diagnosis: bool = False,
) -> list[Item]:
    """Schema fields from `field_map` specs (columns, nested paths, joins, extraction; or columns with the
    schema's own names). `check_diagnosis`: warn about a mapped diagnosis that looks like a title, a
    question or a paragraph (a wrong mapping imports hundreds of such "diagnoses" otherwise unseen)."""
    column = {name: field_map.get(name, name) for name in SCHEMA_FIELDS}
    case, diagnosis = _mapped(row, column["case"]), _mapped(row, column["diagnosis"])
    record_id = _mapped(row, column["id"], required=False, is_id=True) or f"{Path(row.file).stem}-{row.index}"
    department = _mapped(row, column["department"], required=False) or None
    code, raw_code = row.code(column["icd10"], _mapped_raw(row, column["icd10"]))
    given_language = (
        None if fieldmap.parse_spec(column["language"]).simple else _mapped_raw(row, column["language"])
    )
    language = row.language(case, cfg.language or given_language, name=column["language"])
    if check_diagnosis and diagnosis and (why := fieldmap.implausible_diagnosis(diagnosis)):
        row.warn(column["diagnosis"], f"'{diagnosis[:40]}' {why}")
    meta = dict(row.obj["meta"]) if isinstance(row.obj.get("meta"), dict) else {}
    if row.problems:
        return []
    if raw_code and raw_code != code:
        meta = {**meta, "icd10_raw": raw_code}
    source = cfg.source or _mapped(row, column["source"], required=False) or default_source
    try:
        record = ClinicalRecord(id=record_id, language=language, department=department, case=case,
                                diagnosis=diagnosis, icd10=code, source=source, meta=meta)  # fmt: skip
    except ValidationError as exc:
        row.problems += validation_errors(exc, row.file, row.line)
        return []
    return [_finish(record, cfg)]


def _convert_records(row: _Row, cfg: ImportConfig) -> list[Item]:
    unknown = set(row.obj) - set(SCHEMA_FIELDS) - {"meta"}
    for name in sorted(unknown):
        row.problem(name, "not a field of the record schema (use format 'table' with a field map)")
    if row.obj.get("meta") is not None and not isinstance(row.obj.get("meta"), dict):
        row.problem("meta", f"expected an object, got {type(row.obj['meta']).__name__}")
    return _convert_mapped(row, cfg, {}, default_source="")


def _convert_table(row: _Row, cfg: ImportConfig) -> list[Item]:
    return _convert_mapped(row, cfg, cfg.field_map, default_source=Path(row.file).stem, check_diagnosis=True)


CONVERTERS: dict[str, Converter] = {
    "dxbench": _convert_dxbench,
    "medqa": _convert_medqa,
    "medfound": _convert_medfound,
    "huatuo": _convert_huatuo,
    "records": _convert_records,
    "table": _convert_table,
}


def _finish(record: ClinicalRecord, cfg: ImportConfig) -> ClinicalRecord:
    """Optional enrichment: a code from an exactly mapped diagnosis name, a department from the code.

    A code of an earlier WHO edition (haemorrhoids I84.x, still in national code sets) was mapped to WHO
    2019 by `icd10.normalize`; the row it came from is written to meta so the change can be reviewed."""
    raw = record.meta.get("icd10_raw")
    if record.icd10 and isinstance(raw, str):
        legacy = icd10.legacy_source(_CODE_LIST.split(raw.strip())[0])  # the field's first code
        if legacy is not None:
            record.meta["icd10_legacy"] = f"{legacy.old} -> {legacy.code} ({legacy.edition}: {legacy.reason})"
    if cfg.code_diagnoses and record.icd10 is None:
        record.icd10 = icd10.code_for(record.diagnosis, record.language)
        if record.icd10:
            record.meta["icd10_from"] = "diagnosis name"  # derived, not given by the source
    if cfg.assign_department and record.department is None and record.icd10:
        age = age_in_years(record.case, record.meta)  # a child goes to Paediatrics (departments.py)
        record.department = department_for(record.icd10, cfg.departments, age=age)
        if record.department:
            record.meta["department_from"] = "icd10"
    return record


def detect_format(obj: dict[str, Any]) -> str:
    """The importer for a row, from its keys (rows in the record schema are 'records')."""
    keys = set(obj)
    if {"explicit_symptoms", "disease"} <= keys:
        return "dxbench"
    if {"question", "options", "answer"} <= keys:
        return "medqa"
    if {"qid", "context", "diagnosis"} <= keys:
        return "medfound"
    if "Open-ended Verifiable Question" in keys:
        return "huatuo"
    if {"case", "diagnosis"} <= keys:
        return "records"
    return "table"


# --- driving an import -------------------------------------------------------------------------


def scan(path: str | Path, config: ImportConfig | None = None) -> Iterator[Item | Rejected | RowWarning]:
    """Every item of a file, a `Rejected` for every row that could not be imported, and a `RowWarning`
    (after the row's items) for what was imported but deserves a look, in order."""
    for _, item in scan_lines(path, config):
        yield item


def scan_lines(
    path: str | Path, config: ImportConfig | None = None
) -> Iterator[tuple[int, Item | Rejected | RowWarning]]:
    """`scan`, with the line (1-based) each item or rejected row came from."""
    cfg = config or ImportConfig()
    path = Path(path)
    if cfg.fmt in EXPORT_FORMATS:  # imported late: those modules import this one
        yield from importlib.import_module(EXPORT_FORMATS[cfg.fmt]).scan_lines(path, cfg)
        return
    if not path.exists():
        raise RecordError(path, None, None, "file not found")
    if path.is_dir():  # only whole exports are folders
        raise RecordError(path, None, None, f"is a folder: give its format ({' or '.join(EXPORT_FORMATS)})")
    converter: Converter | None = CONVERTERS[cfg.fmt] if cfg.fmt else None
    seen = SeenIds()  # (kind, id) -> first line: ~24 bytes an id
    index = -1
    for index, (line, obj) in enumerate(iter_rows(path, cfg.encoding)):
        if isinstance(obj, RecordError):
            yield line, Rejected(str(path), line, [obj], obj.raw)
            continue
        if converter is None:
            converter = CONVERTERS[detect_format(obj) if not cfg.field_map else "table"]
        row = _Row(obj, str(path), line, index)
        try:
            items = converter(row, cfg)
        except ValidationError as exc:  # a schema rule the converter did not check itself
            row.problems += validation_errors(exc, path, line)
            items = []
        _check_ids(row, items, seen)
        if row.problems:
            yield line, Rejected(str(path), line, row.problems, obj)
        else:
            for item in items:
                yield line, item
            for warning in row.warnings:
                yield line, warning
    if index < 0:  # later stages refuse an empty pool: say so here rather than import nothing in silence
        yield 1, Rejected(str(path), 1, [RecordError(path, 1, None, "empty file: no rows")], None)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class SeenIds:
    """(kind, id) -> the line it was first seen on, in about 24 bytes an id instead of ~120 for a dict of
    strings: an open-addressing table of 64-bit hashes (array module), so a file of millions of rows
    stays small. Two different ids share a 64-bit hash with odds ~n²/2**65 (3e-8 for a million rows);
    such a pair would be reported as a duplicate, naming both lines, never silently merged."""

    def __init__(self, capacity: int = 1 << 16):
        self._keys, self._lines, self.count = (
            array("Q", [0]) * capacity,
            array("I", [0]) * capacity,
            0,
        )

    def find(self, kind: str, item_id: str) -> tuple[int, int | None]:
        """(the id's hash, the line it was first seen on or None); the hash is what `add` takes."""
        key = (hash((kind, item_id)) & 0xFFFFFFFFFFFFFFFF) or 1  # 0 marks an empty slot
        keys, mask = self._keys, len(self._keys) - 1
        slot = key & mask
        while (found := keys[slot]) != key:
            if found == 0:
                return key, None
            slot = (slot + 1) & mask  # linear probing; the table is at most half full
        return key, self._lines[slot]

    def add(self, key: int, line: int) -> None:
        """Remember a hash from `find` (that was not found) with its line."""
        if 2 * (self.count + 1) > len(self._keys):
            old_keys, old_lines = self._keys, self._lines
            self._keys, self._lines = (
                array("Q", [0]) * (2 * len(old_keys)),
                array("I", [0]) * (2 * len(old_keys)),
            )
            for k, n in zip(old_keys, old_lines, strict=True):
                if k:
                    self._put(k, n)
        self._put(key, line)
        self.count += 1

    def _put(self, key: int, line: int) -> None:
        keys, mask = self._keys, len(self._keys) - 1
        slot = key & mask
        while keys[slot]:
            slot = (slot + 1) & mask
        keys[slot], self._lines[slot] = key, line


def _check_ids(row: _Row, items: list[Item], seen: SeenIds) -> None:
    """Ids unique per kind (a MedQA record shares its MCQ item's id) and free of control characters:
    every later stage refuses a duplicate id, and a tab or newline in an id breaks tables and logs."""
    keys = []
    for item in items:
        if bad := _CONTROL.search(item.id):
            row.problem("id", f"control character U+{ord(bad.group()):04X} in id {item.id!r}")
        key, first = seen.find(type(item).__name__, item.id)
        if first is not None:
            row.problem("id", f"duplicate item id '{item.id}' (first on line {first})")
        keys.append(key)
    if not row.problems:
        for key in keys:
            seen.add(key, row.line)


def _strict(path: str | Path, config: ImportConfig | None) -> Iterator[Item]:
    for item in scan(path, config):
        if isinstance(item, Rejected):
            raise item.errors[0]
        if not isinstance(item, RowWarning):
            yield item


def load_records(
    path: str | Path, fmt: str | None = None, field_map: dict[str, str] | None = None, **options: Any
) -> Iterator[ClinicalRecord]:
    """Stream the open-ended records of any supported file (strict: the first bad row raises)."""
    config = ImportConfig(fmt=fmt, field_map=field_map or {}, **options)
    return (item for item in _strict(path, config) if isinstance(item, ClinicalRecord))


def import_dxbench(path: str | Path, **options: Any) -> list[ClinicalRecord]:
    """DxBench_en.json / DxBench_zh.json -> records (ids '<DxBench id>-<lang>', meta.pair_id shared)."""
    return list(load_records(path, fmt="dxbench", **options))


def import_medqa(path: str | Path, **options: Any) -> tuple[list[MCQItem], list[ClinicalRecord]]:
    """MedQA (USMLE or MCMLE layout) -> (every MCQ item, open-ended records of diagnosis stems)."""
    items = list(_strict(path, ImportConfig(fmt="medqa", **options)))
    return [i for i in items if isinstance(i, MCQItem)], [i for i in items if isinstance(i, ClinicalRecord)]


def import_medfound(path: str | Path, **options: Any) -> list[ClinicalRecord]:
    """medfound-style hospital records (qid, context, diagnosis, diagnosis_code) -> records."""
    return list(load_records(path, fmt="medfound", **options))


def import_huatuo(path: str | Path, **options: Any) -> list[ClinicalRecord]:
    """HuatuoGPT-o1 verifiable problems (Open-ended Verifiable Question, Ground-True Answer) -> records."""
    return list(load_records(path, fmt="huatuo", **options))


def validate_file(path: str | Path, config: ImportConfig | None = None) -> list[RecordError]:
    """Every problem of a file, in line order (not just the first)."""
    return [e for item in scan(path, config) if isinstance(item, Rejected) for e in item.errors]


@dataclass
class ImportReport:
    out: Path
    rejects: Path
    mcq_out: Path | None = None  # only when the file had MCQ items
    warnings_out: Path | None = None  # only when some row was imported with a warning
    records: int = 0
    mcq_items: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)  # "field: message" -> rows
    warned: int = 0  # warnings written (a row may have several)
    warnings: Counter[str] = field(default_factory=Counter)  # "field: message" -> warnings
    encoding: str = ""  # how the input was decoded, e.g. "gb18030 (charset-normalizer)"


def import_file(
    path: str | Path,
    out: str | Path,
    config: ImportConfig | None = None,
    rejects: str | Path | None = None,
    mcq_out: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    inputs: Sequence[str | Path] = (),
) -> ImportReport:
    """Stream `path` into `out` (records) and `mcq_out` (MCQ items); rejected rows go to `rejects`.

    Nothing is skipped silently: every rejected row is written with its problems and counted by reason.
    Nothing is overwritten by mistake: an output that is the input (or one of `inputs`, e.g. the config)
    is refused, and outputs are written to temporary files renamed only when the import completes, so an
    interrupted import leaves the previous outputs as they were.
    """
    out, rejects = Path(out), Path(rejects) if rejects else None
    rejects = rejects or out.with_name(out.stem + ".rejects.jsonl")
    mcq_out = Path(mcq_out) if mcq_out else out.with_name(out.stem + ".mcq.jsonl")
    warnings_out = out.with_name(out.stem + ".warnings.jsonl")
    report = ImportReport(out=out, rejects=rejects)
    config = config or ImportConfig()
    inputs = [Path(path), *(v for v in config.model_dump().values() if isinstance(v, Path)), *inputs]
    check_outputs(
        inputs, {"output": out, "rejects": rejects, "MCQ output": mcq_out, "warnings": warnings_out}
    )
    if Path(path).is_file() and (config.fmt is None or config.fmt in CONVERTERS):  # not whole exports
        encoding = detect_encoding(path, config.encoding)
        report.encoding = f"{encoding.name} ({encoding.how})"
        config = config.model_copy(update={"encoding": encoding.name})
    with (
        JsonlWriter(out) as records,
        JsonlWriter(rejects) as rejected,
        JsonlWriter(mcq_out, lazy=True) as mcq,
        JsonlWriter(warnings_out, lazy=True) as warned,
    ):
        for n, item in enumerate(scan(path, config), start=1):
            if progress and n % 1000 == 0:
                progress(n)
            if isinstance(item, ClinicalRecord):
                report.records += 1
                records.write(item.model_dump(mode="json"))
            elif isinstance(item, MCQItem):
                report.mcq_items += 1
                report.mcq_out = mcq_out
                mcq.write(item.model_dump(mode="json"))
            elif isinstance(item, RowWarning):
                report.warned += 1
                report.warnings[f"{item.field or 'line'}: {_reason(item.message)}"] += 1
                report.warnings_out = warnings_out
                warned.write(item.to_json())
            else:
                report.rejected += 1
                for error in item.errors:
                    report.reasons[f"{error.field or 'line'}: {_reason(error.message)}"] += 1
                rejected.write(item.to_json())
    return report


def check_outputs(inputs: Sequence[str | Path], outputs: dict[str, Path]) -> None:
    """RecordError when an output would overwrite an input of the run (paths resolved, symlinks and hard
    links followed) or two outputs are one file."""
    resolved = [(Path(p), Path(p).resolve()) for p in inputs]
    taken: dict[Path, str] = {}
    for label, out in outputs.items():
        target = Path(out).resolve()
        for given, source in resolved:
            if target == source or (target.exists() and source.exists() and os.path.samefile(target, source)):
                raise RecordError(out, None, None, f"refusing to write the {label} over the input {given}")
        if target in taken:
            raise RecordError(out, None, None, f"the {label} and the {taken[target]} are the same file")
        taken[target] = label


class JsonlWriter:
    """JSON lines to a file opened on enter (or on the first write when `lazy`).

    Written through `safe_io.atomic_open` (a private temporary file beside the target, fsync'ed and
    renamed over it only when the block ends without an exception): an interrupted write, or a disk that
    fills up (a StorageError), leaves the previous file intact and no temporary file."""

    def __init__(self, path: Path, lazy: bool = False):
        self.path, self.lazy, self.fh = path, lazy, None
        self._file: Any = None

    def __enter__(self) -> JsonlWriter:
        if not self.lazy:
            self._open()
        return self

    def _open(self) -> None:
        self._file = atomic_open(self.path)
        self.fh = self._file.__enter__()

    def write(self, obj: dict[str, Any]) -> None:
        if self.fh is None:
            self._open()
        self.fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if self._file is None:
            return
        self._file.__exit__(exc_type, exc, tb)


def _reason(message: str) -> str:
    """A message without the quoted value, so reasons group ("'X99' is not a valid code" -> one reason)."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|(?<=line )\d+|(?<=lines )\d+-\d+|(?<=column )\d+", "…", message)
