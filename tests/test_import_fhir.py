"""FHIR R4 importer: hand-made Bundles and bulk-export NDJSON, with exact counts and located rejects."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.importers import ImportConfig, Rejected, RowWarning, import_file, scan
from clinical_r1.records import ClinicalRecord, RecordError

ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
DOCS_EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "fhir_bundle.json"


def patient(pid: str, gender: str, birth: str) -> dict:
    return {"resourceType": "Patient", "id": pid, "gender": gender, "birthDate": birth}


def encounter(eid: str, pid: str, start: str, diagnosis: list | None = None) -> dict:
    enc = {"resourceType": "Encounter", "id": eid, "status": "finished",
           "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
           "subject": {"reference": f"Patient/{pid}"}, "period": {"start": start}}  # fmt: skip
    if diagnosis:
        enc["diagnosis"] = diagnosis
    return enc


def diagnosis(cid: str, rank: int | None = None, use: str | None = None) -> dict:
    entry: dict = {"condition": {"reference": f"Condition/{cid}"}}
    if rank is not None:
        entry["rank"] = rank
    if use:
        entry["use"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/diagnosis-role", "code": use}]
        }
    return entry


def condition(cid: str, eid: str, codings: list[tuple[str, str, str]], text: str | None = None) -> dict:
    code: dict = {"coding": [{"system": s, "code": c, "display": d} for s, c, d in codings]}
    if text:
        code["text"] = text
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p1"},
            "encounter": {"reference": f"Encounter/{eid}"}, "code": code}  # fmt: skip


def observation(oid: str, eid: str, name: str, value: float | None = None, unit: str = "", **extra) -> dict:
    obs = {"resourceType": "Observation", "id": oid, "status": "final", "code": {"text": name},
           "encounter": {"reference": f"Encounter/{eid}"}, **extra}  # fmt: skip
    if value is not None:
        obs["valueQuantity"] = {"value": value, "unit": unit}
    return obs


NOTE = (
    "Chief Complaint:\nright lower quadrant pain\n\nHistory of Present Illness:\n"
    "One day of periumbilical pain moving to the right lower quadrant.\n\n"
    "Brief Hospital Course:\nPLANTCOURSE appendectomy\n\nDischarge Diagnosis:\nPLANTDIAGNOSIS\n"
)


def document(did: str, eid: str, text: str, content_type: str = "text/plain; charset=utf-8") -> dict:
    data = base64.b64encode(text.encode()).decode()
    return {"resourceType": "DocumentReference", "id": did, "status": "current",
            "content": [{"attachment": {"contentType": content_type, "data": data}},
                        {"attachment": {"contentType": "application/pdf", "url": "http://x/y.pdf"}}],
            "context": {"encounter": [{"reference": f"Encounter/{eid}"}]}}  # fmt: skip


def composition(eid: str) -> dict:
    def section(title: str, text: str) -> dict:
        div = f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{text}</p></div>'
        return {"title": title, "text": {"status": "generated", "div": div}}

    def coded(loinc: str, display: str | None, text: str) -> dict:
        untitled = section("", text)
        del untitled["title"]
        return {**untitled, "code": {"coding": [{"system": LOINC, "code": loinc, "display": display}]}}

    return {"resourceType": "Composition", "id": f"comp-{eid}", "status": "final",
            "type": {"coding": [{"system": LOINC, "code": "18842-5"}]}, "date": "2024-05-12",
            "author": [{"display": "Dr ___"}], "title": "Discharge summary",
            "encounter": {"reference": f"Encounter/{eid}"},
            "section": [
                section("Physical examination", "Tender at McBurney&apos;s point, guarding."),
                section("Hospital course", "PLANTCOMPCOURSE"),
                section("Discharge diagnosis", "PLANTCOMPDIAGNOSIS"),
                section("Plan of care", "PLANTCOMPPLAN"),
                coded("11535-2", None, "PLANTCOMPCODEDDX"),  # untitled, LOINC discharge diagnosis
                coded("8648-8", "Hospital course Narrative", "PLANTCOMPCODEDCOURSE"),
                coded("10154-3", "Chief complaint Narrative", "Abdominal pain since yesterday"),
            ]}  # fmt: skip


BP = {"component": [
    {"code": {"text": "Systolic blood pressure"}, "valueQuantity": {"value": 128, "unit": "mmHg"}},
    {"code": {"text": "Diastolic blood pressure"}, "valueQuantity": {"value": 76, "unit": "mmHg"}},
]}  # fmt: skip


def bundle_resources() -> list[dict]:
    return [
        patient("p1", "female", "1958-03-02"),  # 0
        encounter("e1", "p1", "2024-05-10T08:00:00Z", [diagnosis("c1", 2, "CM"), diagnosis("c2", 1)]),  # 1
        condition("c1", "e1", [(ICD10, "I10", "Essential (primary) hypertension")]),  # 2
        condition(
            "c2",
            "e1",
            [(ICD10_CM, "K35.80", "Unspecified acute appendicitis"), (SNOMED, "74400008", "Appendicitis")],
            text="Acute appendicitis",
        ),  # 3  # fmt: skip
        observation("o1", "e1", "Heart rate", 88, "/min"),  # 4
        observation("o2", "e1", "Blood pressure", **BP),  # 5
        document("d1", "e1", NOTE),  # 6
        composition("e1"),  # 7
        encounter("e2", "p2", "2024-06-01"),  # 8: no Encounter.diagnosis, one Condition points at it
        patient("p2", "male", "1980-07-01"),  # 9 (after its encounter: linking waits for the whole file)
        condition("c3", "e2", [(SNOMED, "385093006", "Community acquired pneumonia")]),  # 10
        observation("o3", "e2", "Body temperature", 38.9, "Cel"),  # 11
        patient("p3", "female", "1980-13-01"),  # 12: invalid birthDate -> rejected entry
        encounter("e3", "p1", "2024-07-01"),  # 13: two Conditions point at it, none ranked
        condition("c4", "e3", [(ICD10, "J18.9", "Pneumonia, unspecified")]),  # 14
        condition("c5", "e3", [(ICD10, "J44.1", "COPD with acute exacerbation")]),  # 15
        observation("o4", "e3", "Respiratory rate", 24, "/min"),  # 16
        encounter("e4", "p1", "2024-08-01", [diagnosis("missing", 1)]),  # 17: principal not in the export
        encounter("e5", "p1", "2024-09-01", [diagnosis("c6", 1)]),  # 18
        condition("c6", "e5", [(ICD10, "XYZ", "nonsense")]),  # 19: not an ICD-10 code
        observation("o5", "e5", "Heart rate", 70, "/min"),  # 20
        {"resourceType": "MedicationRequest", "id": "m1", "status": "active"},  # 21: not read
    ]


@pytest.fixture
def bundle_file(tmp_path: Path) -> Path:
    entries = [{"fullUrl": f"urn:uuid:{i:08d}", "resource": r} for i, r in enumerate(bundle_resources())]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}, indent=1))
    return path


def test_docs_example_is_this_bundle(bundle_file: Path):
    """docs/records.md shows the import of docs/examples/fhir_bundle.json: it must be the one tested here."""
    assert json.loads(DOCS_EXAMPLE.read_text()) == json.loads(bundle_file.read_text())


def split(items: list) -> tuple[dict[str, ClinicalRecord], list[Rejected], list[RowWarning]]:
    records = {i.id: i for i in items if isinstance(i, ClinicalRecord)}
    return (
        records,
        [i for i in items if isinstance(i, Rejected)],
        [i for i in items if isinstance(i, RowWarning)],
    )


def test_bundle_records_rejects_and_warnings(bundle_file: Path):
    records, rejected, warnings = split(list(scan(bundle_file, ImportConfig(fmt="fhir"))))
    assert sorted(records) == ["e1", "e2"] and len(rejected) == 4 and len(warnings) == 1

    e1 = records["e1"]
    # principal = rank 1 (c2), not the first listed (c1, rank 2); CM code mapped to WHO, SNOMED kept
    assert (e1.diagnosis, e1.icd10) == ("Acute appendicitis", "K35.8")
    assert e1.meta["icd10_cm"] == "K35.80" and e1.meta["snomed_ct"] == "74400008"
    assert e1.meta["condition"] == "Condition/c2" and e1.meta["patient"] == "Patient/p1"
    assert e1.case.startswith("Patient: 66-year-old, female.")
    parts = (
        "Chief Complaint:\nright lower quadrant pain", "History of Present Illness:",
        "Physical examination:\nTender at McBurney's point, guarding.", "- Heart rate: 88 /min",
        "Chief complaint Narrative:\nAbdominal pain since yesterday",
        "- Blood pressure: Systolic blood pressure 128 mmHg, Diastolic blood pressure 76 mmHg",
    )  # fmt: skip
    for part in parts:
        assert part in e1.case, part
    assert "PLANT" not in e1.case  # hospital course, discharge diagnosis, plan: never in the case

    e2 = records["e2"]  # the one Condition that references the encounter; SNOMED only
    assert (e2.diagnosis, e2.icd10, e2.meta["snomed_ct"]) == (
        "Community acquired pneumonia",
        None,
        "385093006",
    )
    assert e2.case == "Patient: 43-year-old, male.\n\nObservations:\n- Body temperature: 38.9 Cel"
    assert warnings[0].field == "entry[8] Condition.code" and "SNOMED CT code only" in warnings[0].message

    where = [(r.errors[0].field, r.errors[0].message) for r in rejected]
    assert where[0] == (
        "entry[12] Patient.birthDate",
        "Value error, Date value string does not match spec regex.",
    )
    assert where[1] == ("entry[13] Encounter.diagnosis", "2 Conditions reference this encounter and none is "
                        "ranked 1 (principal)")  # fmt: skip
    assert where[2] == ("entry[17] Encounter.diagnosis",
                        "principal diagnosis 'Condition/missing' is not in the export")  # fmt: skip
    assert where[3] == ("entry[19] Condition.code.coding[0].code", "'XYZ' is not a valid ICD-10 code")
    assert all(r.file == str(bundle_file) and r.line is None for r in rejected)  # entry index, not a line


def test_bundle_with_urn_uuid_references(tmp_path: Path):
    """Synthea-style transaction Bundles refer to entries by fullUrl (urn:uuid), also before they appear."""
    pat, enc, cond = (
        f"urn:uuid:{n}-0000-4000-8000-000000000000" for n in ("aaaaaaaa", "bbbbbbbb", "cccccccc")
    )
    obs = observation("o1", "ignored", "Heart rate", 120, "/min")
    obs["encounter"] = {"reference": enc}
    condition_resource = condition("c1", "ignored", [(ICD10, "I21.9", "Acute myocardial infarction")])
    condition_resource["encounter"] = {"reference": enc}
    encounter_resource = encounter("e-uuid", "ignored", "2024-01-15", [diagnosis("ignored", 1)])
    encounter_resource["subject"] = {"reference": pat}
    encounter_resource["diagnosis"][0]["condition"] = {"reference": cond}
    entries = [(enc.replace("b", "d"), obs), (cond, condition_resource), (enc, encounter_resource),
               (pat, patient("p-uuid", "male", "1960-01-20"))]  # fmt: skip
    path = tmp_path / "transaction.json"
    posts = [{"fullUrl": url, "resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
             for url, r in entries]  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": posts}
    path.write_text(json.dumps(bundle))
    records, rejected, _ = split(list(scan(path, ImportConfig(fmt="fhir"))))
    assert not rejected and list(records) == ["e-uuid"]
    record = records["e-uuid"]
    assert record.case == "Patient: 63-year-old, male.\n\nObservations:\n- Heart rate: 120 /min"
    assert (record.icd10, record.meta["condition"], record.meta["patient"]) == (
        "I21.9",
        "Condition/c1",
        "Patient/p-uuid",
    )


def ndjson(path: Path, lines: list) -> None:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))


@pytest.fixture
def bulk_export(tmp_path: Path) -> Path:
    root = tmp_path / "export"
    root.mkdir()
    ndjson(
        root / "Patient.ndjson",
        [patient("p1", "female", "1950"), "{not json", patient("p2", "male", "1990-01-31")],
    )
    bad_period = encounter("e3", "p1", "2024-01-01")
    bad_period["period"]["start"] = "yesterday"
    ndjson(root / "Encounter.ndjson", [
        encounter("e1", "p1", "2024-02-01", [diagnosis("c1", use="billing")]),
        encounter("e2", "p2", "2024-02-01"),
        bad_period,
    ])  # fmt: skip
    ndjson(root / "Condition.ndjson", [
        condition("c1", "e1", [(ICD10, "J18.9", "Pneumonia, unspecified")], text="Lobar pneumonia"),
        condition("c2", "e2", [(ICD10_CM, "E08.65", "Diabetes due to underlying condition w hyperglycemia")]),
    ])  # fmt: skip
    ndjson(root / "Observation.ndjson", [
        observation("o1", "e1", "SpO2", 91, "%"),
        {**observation("o2", "e1", "Heart rate"), "valueQuantity": {"value": "fast"}},
        observation("o3", "e2", "Glucose", 412, "mg/dL"),
    ])  # fmt: skip
    summary = document("d2", "e1", "Admitted for PLANTUNHEADED pneumonia, treated and discharged home.")
    summary["type"] = {"coding": [{"system": LOINC, "code": "18842-5", "display": "Discharge summary"}]}
    ndjson(
        root / "DocumentReference.ndjson",
        [document("d1", "e1", "Cough and fever for 3 days, rigors."), summary],
    )
    return root


def test_bulk_ndjson_folder(bulk_export: Path):
    records, rejected, warnings = split(list(scan(bulk_export, ImportConfig(fmt="fhir"))))
    assert sorted(records) == ["e1", "e2"] and len(rejected) == 3 and len(warnings) == 1
    e1 = records["e1"]  # use 'billing' marks the principal; a year-only birthDate still gives an age
    assert (e1.diagnosis, e1.icd10) == ("Lobar pneumonia", "J18.9")
    assert e1.case == ("Patient: 73-year-old, female.\n\nCough and fever for 3 days, rigors.\n\n"
                       "Observations:\n- SpO2: 91 %")  # fmt: skip
    e2 = records["e2"]  # a CM-only category: icd10 empty, CM code kept, counted as a warning
    assert e2.icd10 is None and e2.meta["icd10_cm"] == "E08.65"
    assert e2.diagnosis == "Diabetes due to underlying condition w hyperglycemia"
    assert (Path(warnings[0].file).name, warnings[0].line) == ("Encounter.ndjson", 2)
    located = sorted((Path(r.file).name, r.line, r.errors[0].field) for r in rejected)
    assert located == [
        ("Encounter.ndjson", 3, "Encounter.period.start"),
        ("Observation.ndjson", 2, "Observation.valueQuantity.value"),
        ("Patient.ndjson", 2, None),
    ]


def test_bad_files_are_errors_not_tracebacks(tmp_path: Path):
    with pytest.raises(RecordError, match="file not found"):
        list(scan(tmp_path / "none", ImportConfig(fmt="fhir")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(RecordError, match="no .json, .ndjson"):
        list(scan(tmp_path / "empty", ImportConfig(fmt="fhir")))
    broken = tmp_path / "broken.json"
    broken.write_text('{"resourceType": "Bundle",\n "entry": [\n')
    _, rejected, _ = split(list(scan(broken, ImportConfig(fmt="fhir"))))
    assert len(rejected) == 1 and "not valid JSON at line 3" in rejected[0].errors[0].message


def test_cli_import_summary(bulk_export: Path, bundle_file: Path, tmp_path: Path):
    out = tmp_path / "fhir.jsonl"
    report = import_file(bundle_file, out, ImportConfig(fmt="fhir"))
    assert (report.records, report.rejected, report.warned) == (2, 4, 1)
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["e1", "e2"]
    result = CliRunner().invoke(
        app, ["records", "import", str(bulk_export), "--format", "fhir", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "2 records" in text and "3 rows rejected" in text and "1 warnings" in text
