"""Record schema, JSONL reading/writing, language detection, stats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from clinical_r1.records import (
    SAMPLE_RECORDS,
    ClinicalRecord,
    MCQItem,
    RecordError,
    compute_stats,
    detect_language,
    iter_jsonl,
    iter_rows,
    read_records,
    validation_errors,
    write_jsonl,
)


def test_record_error_names_file_line_and_field() -> None:
    error = RecordError("data/x.jsonl", 7, "icd10", "'Q' is not a valid ICD-10 code")
    assert str(error) == "data/x.jsonl:7: field 'icd10': 'Q' is not a valid ICD-10 code"
    assert (error.file, error.line, error.field) == ("data/x.jsonl", 7, "icd10")
    assert str(RecordError("x.json", None, None, "file not found")) == "x.json: file not found"


def test_write_and_read_round_trip_keeps_chinese_readable(tmp_path: Path) -> None:
    records = [
        ClinicalRecord(id="a", language="zh", case="胸痛3小时。", diagnosis="急性心肌梗死", icd10="I21.9"),
        ClinicalRecord(id="b", language="en", case="Cough.", diagnosis="Bronchitis", meta={"k": [1, 2]}),
    ]
    path = tmp_path / "sub" / "r.jsonl"
    assert write_jsonl(path, records) == 2
    assert "急性心肌梗死" in path.read_text(encoding="utf-8")
    assert list(read_records(path)) == records


def test_iter_jsonl_raises_on_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"a": 1}\n\n{"a": \n', encoding="utf-8")
    rows = iter_jsonl(path)
    assert next(rows) == (1, {"a": 1})
    with pytest.raises(RecordError) as info:
        next(rows)
    assert info.value.line == 3


def test_iter_rows_chooses_the_reader(tmp_path: Path) -> None:
    array = tmp_path / "a.json"
    array.write_text('[{"x": 1},\n {"x": 2}]', encoding="utf-8")
    lines = tmp_path / "l.json"  # .json holding JSON Lines
    lines.write_text('{"x": 1}\n{"x": 2}\n', encoding="utf-8")
    table = tmp_path / "t.tsv"
    table.write_text("x\ty\n1\t2\n", encoding="utf-8")
    assert list(iter_rows(array)) == [(1, {"x": 1}), (2, {"x": 2})]
    assert list(iter_rows(lines)) == [(1, {"x": 1}), (2, {"x": 2})]
    assert list(iter_rows(table)) == [(2, {"x": "1", "y": "2"})]


def test_mcq_item_rules() -> None:
    item = MCQItem(id="q1", language="en", question="Q?", options={"A": "a", "B": "b"}, answer="B")
    assert item.answer == "B"
    with pytest.raises(ValidationError, match="not one of the options"):
        MCQItem(id="q1", language="en", question="Q?", options={"A": "a", "B": "b"}, answer="E")
    with pytest.raises(ValidationError, match="at least two options"):
        MCQItem(id="q1", language="en", question="Q?", options={"A": "a"}, answer="A")


def test_validation_errors_lists_every_field() -> None:
    with pytest.raises(ValidationError) as info:
        ClinicalRecord.model_validate({"id": "", "language": "fr", "case": "x"})
    errors = validation_errors(info.value, "f.jsonl", 4)
    assert {e.field for e in errors} == {"id", "language", "diagnosis"}
    assert all(e.line == 4 and e.file == "f.jsonl" for e in errors)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("A 67-year-old man with fever and productive cough.", "en"),
        ("男，67岁。发热3天，咳嗽咳痰。", "zh"),
        ("男，50岁。血常规：WBC 16.2×10^9/L，CRP 180 mg/L。", "zh"),  # Latin units and abbreviations
        ("小儿肺活量为 70～90ml/kg", "zh"),
        ("The patient, a tea farmer, called it 'qi xu (气虚)' and had weight loss and night sweats.", "en"),
        ("12345 ---", None),
    ],
)
def test_detect_language(text: str, language: str | None) -> None:
    assert detect_language(text) == language


def test_compute_stats() -> None:
    records = [
        ClinicalRecord(
            id="1", language="en", case="c", diagnosis="d", department="Cardiology", icd10="I21.9"
        ),
        ClinicalRecord(id="2", language="zh", case="c", diagnosis="d", department="Cardiology", icd10="I10"),
        ClinicalRecord(id="3", language="zh", case="c", diagnosis="d", icd10="J18.1", source="s"),
        ClinicalRecord(id="4", language="zh", case="c", diagnosis="d"),
    ]
    stats = compute_stats(iter(records))
    assert stats.records == 4 and stats.with_icd10 == 3 and stats.icd10_coverage == 0.75
    assert stats.by_language == {"zh": 3, "en": 1}
    assert stats.by_department == {"Cardiology": 2, "(none)": 2}
    assert stats.by_chapter == {"IX": 2, "X": 1}
    assert stats.by_source == {"(none)": 3, "s": 1}


def test_bundled_samples_are_valid_records() -> None:
    from clinical_r1 import icd10
    from clinical_r1.importers import validate_file

    assert validate_file(SAMPLE_RECORDS) == []
    samples = list(read_records(SAMPLE_RECORDS))
    assert {r.language for r in samples} == {"en", "zh"}
    for record in samples:
        if record.icd10:
            assert icd10.normalize(record.icd10) == record.icd10, record.id


def test_json_dump_of_record_has_the_design_fields() -> None:
    record = ClinicalRecord(id="a", language="en", case="c", diagnosis="d")
    assert list(json.loads(record.model_dump_json())) == [
        "id", "language", "department", "case", "diagnosis", "icd10", "source", "meta",
    ]  # fmt: skip
