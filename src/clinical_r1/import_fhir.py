"""FHIR R4 exports (Bundles, bulk-export NDJSON) -> one `ClinicalRecord` per Encounter.

Resources are validated with `fhir.resources` (8.x ships R5 as its default package and R4B under
`fhir.resources.R4B`; there is no plain-R4 package. R4B is the R4 structure for every resource read
here: Encounter.period, Encounter.diagnosis.condition as a Reference, DocumentReference.context.encounter,
Composition.encounter, Observation.encounter, so R4 exports validate as R4B).

Read: Patient (birthDate, gender), Encounter, Condition, Observation, DocumentReference, Composition;
other resource types are skipped unread. The case is the age at the encounter, the sex, the notes
(DocumentReference text/plain attachments, Composition sections; both through `note_sections`, so
discharge-diagnosis or hospital-course sections never reach the case) and the observations (name,
value, unit). The diagnosis is the encounter's principal Condition: the Encounter.diagnosis entry with
rank 1 (or use 'billing'/'principal', or the only entry), else the one Condition whose `encounter` is
this encounter. Its ICD-10 (WHO) coding gives `icd10`; an ICD-10-CM coding is mapped by
`icd10_cm.to_who`; a SNOMED CT code is kept in `meta.snomed_ct` (no SNOMED -> ICD-10 map is used).

Every resource that fails validation is a located reject: file and line for NDJSON, file and
`entry[i]` for Bundles, and the field, never a traceback.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from clinical_r1 import icd10, icd10_cm, note_sections
from clinical_r1.importers import ImportConfig, Item, Rejected, RowWarning, _finish
from clinical_r1.records import ClinicalRecord, RecordError, detect_language

ICD10_WHO = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED_CT = "http://snomed.info/sct"
READ = ("Patient", "Encounter", "Condition", "Observation", "DocumentReference", "Composition")
SOURCE = "fhir"
_PRINCIPAL_USES = {"billing", "principal"}
# LOINC codes of sections that state or follow from the diagnosis, for sections coded but untitled:
# discharge diagnosis, diagnosis, hospital course, discharge medications, discharge instructions, plan of
# care, problem list, procedures, evaluation (assessment), medication history, discharge diet.
_ANSWER_LOINC = frozenset({"11535-2", "29548-5", "8648-8", "10183-2", "8653-8", "18776-5", "11450-4",
                           "47519-4", "51848-0", "10160-0", "42344-2"})  # fmt: skip
_DISCHARGE_SUMMARY_LOINC = "18842-5"


@dataclass
class _Where:
    """Where a resource came from: NDJSON line, or Bundle entry index."""

    file: str
    line: int | None = None
    entry: int | None = None

    def error(self, field: str | None, message: str) -> RecordError:
        prefix = f"entry[{self.entry}] " if self.entry is not None else ""
        where = f"{prefix}{field}" if field else prefix.strip() or None
        return RecordError(self.file, self.line, where, message)

    def rejected(self, field: str | None, message: str, raw: Any = None) -> Rejected:
        # No line in a Bundle (the entry index is in the field): the rejects file says null, not 0.
        return Rejected(self.file, self.line, [self.error(field, message)], raw)  # type: ignore[arg-type]


@dataclass
class _Encounter:
    key: str
    where: _Where
    subject: str | None  # reference as written
    start: datetime | date | None
    diagnoses: list[tuple[str | None, int | None, set[str]]]  # (Condition reference, rank, use codes)


@dataclass
class _Condition:
    where: _Where
    text: str | None
    codings: list[tuple[str, str, str | None]]  # (system, code, display)


@dataclass
class _Export:
    """What the importer keeps of an export: small extracts, not the resources (they are dropped once
    read). References are kept as written and resolved through `alias` (Bundle fullUrl -> "Type/id")
    only when records are built, because a reference may point to a resource further on."""

    alias: dict[str, str] = field(default_factory=dict)
    patients: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # birthDate, gender
    encounters: list[_Encounter] = field(default_factory=list)
    conditions: dict[str, _Condition] = field(default_factory=dict)
    conditions_by_encounter: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    observations: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def canonical(self, ref: str | None) -> str | None:
        return self.alias.get(ref, ref) if ref else None


def _model(resource_type: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class  # 0.3 s to import: only when FHIR is read

    return get_fhir_model_class(resource_type)


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise RecordError(path, None, None, "file not found")
    if path.is_file():
        return [path]
    found = sorted(p for p in path.rglob("*") if p.is_file() and _kind(p))
    if not found:
        raise RecordError(path, None, None, "no .json, .ndjson or .ndjson.gz files in the folder")
    return found


def _kind(path: Path) -> str | None:
    name = path.name.lower().removesuffix(".gz")
    return "ndjson" if name.endswith((".ndjson", ".jsonl")) else "json" if name.endswith(".json") else None


def _open(path: Path) -> IO[str]:
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def _resources(path: Path) -> Iterator[tuple[_Where, dict[str, Any] | None, str | None]]:
    """(where, resource object, fullUrl) for every resource of a file; object None after a bad line."""
    file = str(path)
    if _kind(path) == "ndjson" or path.suffix == ".gz":
        with _open(path) as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    yield _Where(file, number), _json(line, _Where(file, number)), None
        return
    with _open(path) as fh:
        text = fh.read()
    obj = _json(text, _Where(file, 1))
    if isinstance(obj, dict) and obj.get("resourceType") == "Bundle":
        entries = obj.get("entry") or []
        if not isinstance(entries, list):
            yield _Where(file, None, None), {"__error__": ("Bundle.entry", "expected a list")}, None
            return
        for i, entry in enumerate(entries):
            where = _Where(file, None, i)
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                yield where, {"__error__": ("resource", "entry without a resource object")}, None
                continue
            yield where, resource, entry.get("fullUrl")
    else:
        yield _Where(file, 1), obj, None


def _json(text: str, where: _Where) -> dict[str, Any] | None:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        line = (where.line or 1) + exc.lineno - 1
        return {"__error__": (None, f"not valid JSON at line {line} ({exc.msg})")}
    if not isinstance(obj, dict):
        return {"__error__": (None, f"expected a JSON object, got {type(obj).__name__}")}
    return obj


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _key(resource_type: str, resource_id: str | None) -> str | None:
    return f"{resource_type}/{resource_id}" if resource_id else None


def _ref(reference: Any) -> str | None:
    """'Patient/1', 'https://host/fhir/Patient/1/_history/2' -> 'Patient/1'; 'urn:uuid:..' (fullUrl) as is."""
    ref = getattr(reference, "reference", None)
    if not ref or ref.startswith("urn:"):
        return ref or None
    parts = ref.split("/_history/")[0].rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else ref


def _read(paths: list[Path]) -> Iterator[_Export | Rejected]:
    """Validate and index every resource; yields rejects as found, then the index."""
    export = _Export()
    for path in paths:
        for where, obj, full_url in _resources(path):
            if obj is None:
                continue
            if "__error__" in obj:
                field_name, message = obj["__error__"]
                yield where.rejected(field_name, message)
                continue
            resource_type = obj.get("resourceType")
            if not isinstance(resource_type, str) or not resource_type:
                yield where.rejected("resourceType", "missing", obj)
                continue
            if resource_type not in READ:
                continue
            try:
                model = _model(resource_type).model_validate(obj)
            except ValidationError as exc:
                err = exc.errors()[0]
                yield where.rejected(f"{resource_type}.{_loc(err['loc'])}", err["msg"], obj)
                continue
            key = _key(resource_type, model.id) or full_url or f"{resource_type}@{where.file}:{where.line}"
            if full_url:
                export.alias[full_url] = key
            try:
                _index(export, resource_type, key, model, where)
            except RecordError as exc:
                yield Rejected(where.file, where.line, [exc], None)  # type: ignore[arg-type]
    if export.alias:  # Bundle references by fullUrl: file everything under "Type/id" keys once
        for table in (export.conditions_by_encounter, export.observations, export.notes):
            merged: dict[str, list[str]] = defaultdict(list)
            for ref, items in table.items():
                merged[export.canonical(ref) or ref] += items
            table.clear()
            table.update(merged)
    yield export


def _index(export: _Export, resource_type: str, key: str, model: Any, where: _Where) -> None:
    if resource_type == "Patient":
        birth = model.birthDate
        export.patients[key] = (birth.isoformat() if isinstance(birth, date) else birth, model.gender)
    elif resource_type == "Encounter":
        diagnoses = [
            (_ref(d.condition), d.rank, {c.code for c in ((d.use.coding if d.use else None) or []) if c.code})
            for d in model.diagnosis or []
        ]
        start = model.period.start if model.period else None
        export.encounters.append(_Encounter(key, where, _ref(model.subject), start, diagnoses))
    elif resource_type == "Condition":
        code = model.code
        codings = [((c.system or "").rstrip("/"), (c.code or "").strip(), c.display)
                   for c in (code.coding or [] if code else [])]  # fmt: skip
        export.conditions[key] = _Condition(where, code.text if code else None, codings)
        encounter = _ref(model.encounter)
        if encounter:
            export.conditions_by_encounter[encounter].append(key)
    elif resource_type == "Observation":
        encounter = _ref(model.encounter)
        line = _observation_line(model)
        if encounter and line:
            export.observations[encounter].append(line)
    elif resource_type == "DocumentReference":
        encounters = [_ref(e) for e in ((model.context.encounter or []) if model.context else [])]
        for i, content in enumerate(model.content or []):
            attachment = content.attachment
            kind = (attachment.contentType or "").split(";")[0].strip().lower()
            if kind != "text/plain" or attachment.data is None:
                continue  # a PDF or a URL: nothing to read offline
            try:
                text = attachment.data.decode("utf-8")
            except UnicodeDecodeError as exc:
                name = f"DocumentReference.content[{i}].attachment.data"
                raise where.error(name, "not UTF-8 text") from exc
            # Free text without headings is kept whole, unless the document is a discharge summary:
            # then only recognised presentation sections may reach the case.
            note = note_sections.presentation(text, keep_unheaded=not _is_discharge_summary(model.type))
            for encounter in filter(None, encounters):
                if note:
                    export.notes[encounter].append(note)
    elif resource_type == "Composition":
        encounter = _ref(model.encounter)
        note = _composition_text(model.section or [])
        if encounter and note:
            export.notes[encounter].append(note)


class _Text(HTMLParser):
    """The text of an XHTML narrative (Composition.section.text.div), one line per block element."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "br", "li", "tr", "div", "h1", "h2", "h3", "h4"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def text(self) -> str:
        return "\n".join(" ".join(line.split()) for line in "".join(self.parts).splitlines() if line.strip())


def _narrative(div: str | None) -> str:
    parser = _Text()
    parser.feed(div or "")
    return parser.text()


def _composition_text(sections: list[Any]) -> str:
    """Sections as "Title:\\ntext", answer sections (discharge diagnosis, hospital course) left out."""
    blocks = []
    for section in sections:
        code = section.code
        displays = [c.display for c in (code.coding or [] if code else []) if c.display]
        title = section.title or (code.text if code else None) or next(iter(displays), "")
        if note_sections.is_answer_heading(title) or _codes(code) & _ANSWER_LOINC:
            continue
        body = _narrative(section.text.div if section.text else None)
        nested = _composition_text(section.section or [])
        text = "\n".join(t for t in (body, nested) if t)
        if text:
            blocks.append(f"{title}:\n{text}" if title else text)
    return "\n\n".join(blocks)


def _codes(concept: Any) -> set[str]:
    return {c.code for c in (concept.coding or [] if concept else []) if c.code}


def _is_discharge_summary(concept: Any) -> bool:
    text = " ".join(filter(None, [concept.text if concept else None, _concept_text(concept)]))
    return _DISCHARGE_SUMMARY_LOINC in _codes(concept) or "discharge" in text.lower()


def _concept_text(concept: Any) -> str | None:
    if concept is None:
        return None
    if concept.text:
        return concept.text
    return next((c.display or c.code for c in concept.coding or [] if c.display or c.code), None)


def _quantity(q: Any) -> str:
    value = q.value.normalize() if q.value is not None else None
    number = f"{value:f}" if value is not None else "?"
    unit = q.unit or q.code or ""
    return f"{number} {unit}".strip()


def _value(obj: Any) -> str | None:
    if obj.valueQuantity is not None:
        return _quantity(obj.valueQuantity)
    if obj.valueCodeableConcept is not None:
        return _concept_text(obj.valueCodeableConcept)
    for name in ("valueString", "valueInteger", "valueBoolean", "valueDateTime"):
        value = getattr(obj, name, None)
        if value is not None:
            return str(value).lower() if isinstance(value, bool) else str(value)
    return None


def _observation_line(model: Any) -> str | None:
    name = _concept_text(model.code)
    value = _value(model)
    if value is None and model.component:
        parts = [f"{_concept_text(c.code)} {v}" for c in model.component if (v := _value(c)) is not None]
        value = ", ".join(parts) or None
    return f"{name}: {value}" if name and value else None


def _age(birth: str | None, start: datetime | date | None) -> int | None:
    if not birth or start is None:
        return None
    try:
        year, month, day = ([int(p) for p in birth.split("-")] + [6, 15])[:3]  # partial dates: mid-year
    except ValueError:
        return None
    when = start.date() if isinstance(start, datetime) else start
    return when.year - year - ((when.month, when.day) < (month, day))


def _principal(export: _Export, encounter: _Encounter) -> tuple[str | None, str | None]:
    """(Condition key, problem): the encounter's principal Condition, or why there is none."""
    diagnoses = encounter.diagnoses
    ranked = [d for d in diagnoses if d[1] == 1]
    used = [d for d in diagnoses if d[2] & _PRINCIPAL_USES]
    chosen = ranked or used or (diagnoses if len(diagnoses) == 1 else [])
    if len(chosen) > 1:
        return None, f"{len(chosen)} diagnoses are marked principal"
    if chosen:
        condition = export.canonical(chosen[0][0])
        if condition not in export.conditions:
            return None, f"principal diagnosis {chosen[0][0]!r} is not in the export"
        return condition, None
    linked = export.conditions_by_encounter.get(encounter.key, [])
    if len(linked) == 1:
        return linked[0], None
    if linked:
        return None, f"{len(linked)} Conditions reference this encounter and none is ranked 1 (principal)"
    return None, "no principal diagnosis: no Encounter.diagnosis and no Condition references this encounter"


def _code(condition: _Condition, meta: dict[str, Any]) -> tuple[str | None, str | None, list[str]]:
    """(WHO code, display, warnings) from a Condition's codings; RecordError on a bad ICD-10 code."""
    who, display, warnings, where = None, None, [], condition.where
    for i, (system, code, coding_display) in enumerate(condition.codings):
        if not code:
            continue
        if system == ICD10_WHO and who is None:
            who = icd10.normalize(code)
            if who is None:
                raise where.error(f"Condition.code.coding[{i}].code", f"'{code}' is not a valid ICD-10 code")
            meta["icd10_raw"], display = code, display or coding_display
        elif system == ICD10_CM and who is None:
            cm = code.replace(".", "").upper()
            meta["icd10_cm"] = code
            who = icd10_cm.to_who(cm)
            display = display or coding_display or _cm_title(cm)
            if who is None:
                warnings.append(f"ICD-10-CM '{code}' has no WHO ICD-10 counterpart: kept in meta.icd10_cm")
        elif system == SNOMED_CT:
            meta["snomed_ct"] = code
            display = display or coding_display
    if who is None and "snomed_ct" in meta and "icd10_cm" not in meta:
        warnings.append("SNOMED CT code only: kept in meta.snomed_ct, icd10 empty")
    return who, display, warnings


def _cm_title(code: str) -> str | None:
    import simple_icd_10_cm as cm

    return cm.get_description(code) if cm.is_valid_item(code) else None


def _record(export: _Export, encounter: _Encounter, cfg: ImportConfig) -> tuple[Item | Rejected, list[str]]:
    """The encounter's record (or why not) and the warnings about it."""
    key, where = encounter.key, encounter.where
    condition_key, problem = _principal(export, encounter)
    if condition_key is None:
        return where.rejected("Encounter.diagnosis", problem or "no principal diagnosis"), []
    condition = export.conditions[condition_key]
    meta: dict[str, Any] = {"encounter": key, "condition": condition_key}
    try:
        who, display, warnings = _code(condition, meta)
    except RecordError as exc:
        return Rejected(exc.file, exc.line, [exc], None), []  # type: ignore[arg-type]
    diagnosis = condition.text or display
    if who and not diagnosis:
        info = icd10.lookup(who)
        diagnosis = info.description if info else None
    if not diagnosis:
        message = "no text, display or known code to name the diagnosis"
        return condition.where.rejected("Condition.code", message), []
    patient = export.canonical(encounter.subject)
    birth, gender = export.patients.get(patient or "", (None, None))
    meta["patient"] = patient
    age = _age(birth, encounter.start)
    header = ", ".join(p for p in (f"{age}-year-old" if age is not None else "", gender or "") if p)
    notes = export.notes.get(key, [])
    observations = export.observations.get(key, [])
    if not notes and not observations:
        message = "no notes or observations for this encounter: nothing to diagnose from"
        return where.rejected("Encounter", message), []
    parts = [f"Patient: {header}." if header else ""]
    parts += notes
    if observations:
        parts.append("Observations:\n" + "\n".join(f"- {o}" for o in observations))
    case = "\n\n".join(p for p in parts if p)
    language = cfg.language or detect_language(case) or "en"
    record = ClinicalRecord(
        id=key.split("/", 1)[-1], language=language, case=case, diagnosis=diagnosis, icd10=who,
        source=cfg.source or SOURCE, meta=meta,
    )  # fmt: skip
    return _finish(record, cfg), warnings


def scan_lines(path: str | Path, cfg: ImportConfig) -> Iterator[tuple[int, Item | Rejected | RowWarning]]:
    """Records (one per Encounter, in export order), rejects and warnings of a FHIR file or folder."""
    export: _Export | None = None
    for item in _read(_files(Path(path))):
        if isinstance(item, _Export):
            export = item
        else:
            yield item.line, item
    assert export is not None
    for encounter in export.encounters:
        item, warnings = _record(export, encounter, cfg)
        where = encounter.where
        yield where.line or 0, item
        for message in warnings:
            error = where.error("Condition.code", message)
            yield where.line or 0, RowWarning(error.file, where.line, error.field, message)  # type: ignore[arg-type]
