"""MIMIC-IV importer on a synthetic export in the exact MIMIC-IV layout (the real data is credentialed)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinical_r1 import note_sections
from clinical_r1.cli import app
from clinical_r1.importers import ImportConfig, Rejected, RowWarning, import_file, load_records, scan
from clinical_r1.records import ClinicalRecord, RecordError

DISCHARGE_COLUMNS = [
    "note_id", "subject_id", "hadm_id", "note_type", "note_seq", "charttime", "storetime", "text",
]  # fmt: skip
DIAGNOSES_COLUMNS = ["subject_id", "hadm_id", "seq_num", "icd_code", "icd_version"]

# Every section that gives the answer away carries its own planted word; none may reach a case.
PLANTS = {
    "Major Surgical or Invasive Procedure": "PLANTPROCEDURE",
    "Brief Hospital Course": "PLANTCOURSE",
    "Medications on Admission": "PLANTADMITMEDS",
    "Discharge Medications": "PLANTDISCHMEDS",
    "Discharge Disposition": "PLANTDISPOSITION",
    "Discharge Diagnosis": "PLANTDIAGNOSIS",
    "Discharge Condition": "PLANTCONDITION",
    "Discharge Instructions": "PLANTINSTRUCTIONS",
    "Followup Instructions": "PLANTFOLLOWUP",
    "Transitional Issues": "PLANTTRANSITIONAL",  # a heading the template does not always have
}


def discharge_note(complaint: str, sex: str = "F", diagnosis: str = "Acute appendicitis") -> str:
    """A discharge summary laid out as MIMIC-IV-Note's are (de-identified with ___)."""
    return f""" 
Name:  ___                     Unit No:   ___
 
Admission Date:  ___              Discharge Date:   ___
 
Date of Birth:  ___             Sex:   {sex}
 
Service: SURGERY
 
Allergies: 
No Known Allergies / Adverse Drug Reactions
 
Attending: ___.
 
Chief Complaint:
{complaint}
 
Major Surgical or Invasive Procedure:
Laparoscopic PLANTPROCEDURE

 
History of Present Illness:
Ms. ___ is a ___ year old woman who presents with 1 day of {complaint},
anorexia and nausea. Discharged from ___ clinic last year without issues.
 
Past Medical History:
Hypertension, hyperlipidemia
 
Social History:
___
Family History:
Non-contributory
 
Review of Systems:
(+) nausea, (-) dysuria
 
Physical Exam:
ADMISSION PHYSICAL EXAM:
VS: 99.1 88 128/76 16 98%RA
GEN: uncomfortable, lying still
ABD: tender in the right lower quadrant, + rebound
 
DISCHARGE PHYSICAL EXAM:
ABD: PLANTDISCHARGEEXAM incisions clean
 
Pertinent Results:
ADMISSION LABS:
___ 07:20AM BLOOD WBC-14.2* RBC-4.51 Hgb-13.1 Hct-39.8
IMAGING:
CT abdomen: dilated tubular structure in the right lower quadrant with fat stranding.
 
DISCHARGE LABS:
___ 06:10AM BLOOD WBC-PLANTDISCHARGELABS
 
Brief Hospital Course:
Ms. ___ was admitted with PLANTCOURSE {diagnosis}.
 
Transitional Issues:
- PLANTTRANSITIONAL
 
Medications on Admission:
1. PLANTADMITMEDS 10 mg PO DAILY
 
Discharge Medications:
1. PLANTDISCHMEDS 500 mg PO Q6H
 
Discharge Disposition:
Home PLANTDISPOSITION
 
Discharge Diagnosis:
Primary: {diagnosis} PLANTDIAGNOSIS
 
Discharge Condition:
Mental Status: Clear and coherent. PLANTCONDITION
 
Discharge Instructions:
You were admitted for PLANTINSTRUCTIONS {diagnosis}.
 
Followup Instructions:
___ PLANTFOLLOWUP
"""


# (note_id, subject_id, hadm_id, text); the principal codes are in DIAGNOSES below.
NOTES = [
    ("10000001-DS-1", "10000001", "20000001", discharge_note("right lower quadrant pain")),  # K35.80
    ("10000002-DS-1", "10000002", "20000002", discharge_note("chest pain", "M", "NSTEMI")),  # I21.4
    ("10000003-DS-1", "10000003", "20000003", discharge_note("chest pain", "M", "MI")),  # ICD-9 410.71
    ("10000004-DS-1", "10000004", "20000004", discharge_note("polyuria", "F", "DM")),  # E08.65, CM only
    ("10000005-DS-1", "10000005", "20000005", discharge_note("fever")),  # no diagnoses at all
    ("10000006-DS-1", "10000006", "20000006", discharge_note("fever, hypotension", "M", "sepsis")),  # R65.20
    ("10000007-DS-1", "10000007", "20000007", ""),  # empty text
    ("10000008-DS-1", "10000008", "20000008", "Addendum: patient seen, PLANTDIAGNOSIS.\n"),  # no sections
]
DIAGNOSES = [
    ("10000001", "20000001", "1", "K3580", "10"),
    ("10000001", "20000001", "2", "I10", "10"),
    ("10000002", "20000002", "2", "E785", "10"),  # order in the file is not seq_num order
    ("10000002", "20000002", "1", "I214", "10"),
    ("10000003", "20000003", "1", "41071", "9"),
    ("10000004", "20000004", "1", "E0865", "10"),
    ("10000006", "20000006", "1", "R6520", "10"),
    ("10000006", "20000006", "2", "A419", "10"),
    ("10000007", "20000007", "1", "K3580", "10"),
    ("10000008", "20000008", "1", "K3580", "10"),
    ("10000009", "20000009", "1", "J189", "X"),  # bad version: rejected from the diagnoses file
    ("10000001", "20000001", "1", "K359", "10"),  # a second principal diagnosis: rejected
]


def write_csv(path: Path, columns: list[str], rows: list[tuple[str, ...]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)  # MIMIC's CSVs: comma separated, quoted where needed
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def make_mimic(root: Path, gz: bool = True) -> Path:
    ext = ".csv.gz" if gz else ".csv"
    notes = [(nid, sid, hadm, "DS", "1", "2180-05-07 00:00:00", "2180-05-09 15:26:00", text)
             for nid, sid, hadm, text in NOTES]  # fmt: skip
    write_csv(root / "note" / f"discharge{ext}", DISCHARGE_COLUMNS, notes)
    write_csv(root / "hosp" / f"diagnoses_icd{ext}", DIAGNOSES_COLUMNS, DIAGNOSES)
    return root


@pytest.fixture
def mimic_root(tmp_path: Path) -> Path:
    return make_mimic(tmp_path / "mimic")


def records_of(items: list) -> dict[str, ClinicalRecord]:
    return {i.id: i for i in items if isinstance(i, ClinicalRecord)}


def test_imports_principal_diagnosis_and_counts_every_skip(mimic_root: Path):
    items = list(scan(mimic_root, ImportConfig(fmt="mimic-iv")))
    records = records_of(items)
    rejected = [i for i in items if isinstance(i, Rejected)]
    warnings = [i for i in items if isinstance(i, RowWarning)]
    assert sorted(records) == ["10000001-DS-1", "10000002-DS-1", "10000004-DS-1", "10000006-DS-1"]
    assert len(rejected) == 6 and len(warnings) == 1

    appendicitis = records["10000001-DS-1"]
    assert (appendicitis.icd10, appendicitis.diagnosis) == ("K35.8", "Unspecified acute appendicitis")
    assert appendicitis.meta["icd10_cm"] == "K35.80" and appendicitis.meta["hadm_id"] == "20000001"
    assert appendicitis.meta["discharge_diagnosis"] == "Acute appendicitis PLANTDIAGNOSIS"
    assert appendicitis.source == "mimic-iv" and appendicitis.language == "en"
    # seq_num 1 wins even when it is not the admission's first row
    assert records["10000002-DS-1"].icd10 == "I21.4"
    assert records["10000002-DS-1"].diagnosis == "Non-ST elevation (NSTEMI) myocardial infarction"
    # a CM-only category: the CM code is kept, the WHO code is empty, and a warning counts it
    dm = records["10000004-DS-1"]
    assert dm.icd10 is None and dm.meta["icd10_cm"] == "E08.65"
    assert warnings[0].field == "icd_code" and "E0865" in warnings[0].message
    # CM R65.2 is "severe sepsis", WHO R65.2 a non-infectious SIRS: only the category is kept
    assert records["10000006-DS-1"].icd10 == "R65"

    where = sorted((Path(r.file).name, r.errors[0].field, r.errors[0].message[:30]) for r in rejected)
    assert where == [
        ("diagnoses_icd.csv.gz", "icd_version", "expected 9 or 10, got 'X'"),
        ("diagnoses_icd.csv.gz", "seq_num", "a second principal diagnosis f"),
        ("discharge.csv.gz", "hadm_id", "no principal diagnosis (seq_nu"),
        ("discharge.csv.gz", "icd_version", "principal diagnosis coded in I"),
        ("discharge.csv.gz", "text", "empty"),
        ("discharge.csv.gz", "text", "no presentation section (Chief"),
    ]
    # rejects name the line the CSV row starts on: header is line 1, each note spans many lines
    lines = sorted(r.line for r in rejected if r.file.endswith("discharge.csv.gz"))
    assert lines[0] > 100 and len(set(lines)) == 4
    by_line = {r.line: r for r in rejected}
    assert all("text" not in (r.raw or {}) for r in rejected if r.file.endswith("discharge.csv.gz"))
    assert by_line[12].raw["icd_version"] == "X"  # diagnoses_icd.csv.gz line 12: header + 10 rows + 1


def test_no_planted_answer_reaches_a_case(mimic_root: Path):
    records = records_of(list(scan(mimic_root, ImportConfig(fmt="mimic-iv"))))
    assert records
    for record in records.values():
        for plant in [*PLANTS.values(), "PLANTDISCHARGEEXAM", "PLANTDISCHARGELABS"]:
            assert plant not in record.case, (record.id, plant)
        # the presentation is all there, in note order, with the sex from the header
        assert record.case.startswith("Sex: ")
        kept_parts = (
            "Chief Complaint:", "History of Present Illness:", "Past Medical History:", "Physical Exam:",
            "ABD: tender in the right lower quadrant", "Pertinent Results:", "BLOOD WBC-14.2*",
            "CT abdomen: dilated tubular structure", "Discharged from ___ clinic",
            "Review of Systems:\n(+) nausea",
        )  # fmt: skip
        for kept in kept_parts:
            assert kept in record.case, (record.id, kept)
    assert "Sex: M" in records["10000002-DS-1"].case


def test_sections_whitelist_drops_unknown_headings_after_the_presentation():
    text = (
        "Chief Complaint:\ncough\nHistory of Present Illness:\nthree days of cough\n"
        "Hospital Course by Problem:\nPLANT1\nNew Heading Nobody Uses:\nPLANT2\n"
        "Discharge Diagnoses:\nPLANT3\nAssessment and Plan:\nPLANT4\n"
    )
    case = note_sections.presentation(text)
    assert case == "Chief Complaint:\ncough\n\nHistory of Present Illness:\nthree days of cough"
    # a free-text note without any heading is kept whole only when asked (FHIR notes), never for MIMIC
    assert note_sections.presentation("Cough for three days.") == ""
    assert note_sections.presentation("Cough for three days.", keep_unheaded=True) == "Cough for three days."


def test_root_folder_two_files_and_plain_csv(tmp_path: Path):
    plain = make_mimic(tmp_path / "plain", gz=False)
    with pytest.raises(RecordError, match="diagnoses_icd.csv:12: field 'icd_version'"):
        list(load_records(plain, fmt="mimic-iv"))  # strict: the first rejected row raises
    # the two files named directly (separate downloads of MIMIC-IV and MIMIC-IV-Note)
    discharge, diagnoses = plain / "note" / "discharge.csv", plain / "hosp" / "diagnoses_icd.csv"
    items = list(scan(discharge, ImportConfig(fmt="mimic-iv", diagnoses=diagnoses)))
    assert len(records_of(items)) == 4
    # the discharge file alone finds ../hosp/diagnoses_icd.csv
    assert len(records_of(list(scan(discharge, ImportConfig(fmt="mimic-iv"))))) == 4
    # two copies under one folder are ambiguous: a clear error, not a guess
    make_mimic(tmp_path / "plain" / "copy")
    with pytest.raises(RecordError, match="found 2 times"):
        list(scan(tmp_path / "plain", ImportConfig(fmt="mimic-iv")))


def test_missing_column_and_missing_file_are_clear_errors(tmp_path: Path):
    root = make_mimic(tmp_path / "m")
    no_seq_num = ["subject_id", "hadm_id", "icd_code", "icd_version"]
    write_csv(root / "hosp" / "diagnoses_icd.csv.gz", no_seq_num, [])
    with pytest.raises(RecordError, match="seq_num.*column missing"):
        list(scan(root, ImportConfig(fmt="mimic-iv")))
    (root / "hosp" / "diagnoses_icd.csv.gz").unlink()
    with pytest.raises(RecordError, match="diagnoses_icd.csv\\(.gz\\) not found"):
        list(scan(root, ImportConfig(fmt="mimic-iv")))


def test_import_file_and_cli_summary(mimic_root: Path, tmp_path: Path):
    out = tmp_path / "out" / "mimic.jsonl"
    report = import_file(mimic_root, out, ImportConfig(fmt="mimic-iv", assign_department=True))
    assert (report.records, report.rejected, report.warned) == (4, 6, 1)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["id"]: r["department"] for r in lines}["10000002-DS-1"] == "Cardiology"
    assert len(report.rejects.read_text().splitlines()) == 6

    result = CliRunner().invoke(
        app, ["records", "import", str(mimic_root), "--format", "mimic-iv", "-o", str(tmp_path / "cli.jsonl")]
    )
    assert result.exit_code == 0, result.output
    assert "4 records" in result.output and "6 rows rejected" in result.output
    assert "1 warnings" in result.output
    missing = CliRunner().invoke(
        app, ["records", "import", str(tmp_path / "nope"), "--format", "mimic-iv", "-o", str(out)]
    )
    assert missing.exit_code == 2 and "nope: file not found" in " ".join(missing.output.split())
    # a folder without --format is a usage error naming the formats that read folders, not a traceback
    folder = CliRunner().invoke(app, ["records", "import", str(mimic_root), "-o", str(out)])
    assert folder.exit_code == 2 and "is a folder: give its format (mimic-iv or fhir)" in " ".join(
        folder.output.split()
    )
