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


# --- CSV read record by record: a broken quote loses one row, not the rest of the file ------------


def rows_of(path: Path) -> list[tuple[int, object]]:
    return [(line, row if isinstance(row, dict) else str(row)) for line, row in iter_rows(path)]


def test_csv_unterminated_quote_rejects_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "id,case,dx\n"
        "a,Cough for 3 days,Bronchitis\n"
        'b,"Fever and chills,Pneumonia\n'  # the quote never closes
        "c,Chest pain,Angina\n"
        'd,"Headache, worse\nin the morning",Migraine\n'  # a real multi-line field (lines 5-6)
        "e,Dysuria,Cystitis\n",
        encoding="utf-8",
    )
    rows = rows_of(path)
    assert [line for line, _ in rows] == [2, 3, 4, 5, 7]
    assert rows[1][1] == (
        f"{path}:3: unterminated quote: the field opened here would swallow lines 4-5; "
        "this row is rejected and those lines are read as rows"
    )  # before: rows c, d and e vanished into row b's case text
    assert [row["id"] for _, row in rows if isinstance(row, dict)] == ["a", "c", "d", "e"]
    assert rows[3][1]["case"] == "Headache, worse\nin the morning"


def test_csv_stray_quote_that_closes_later(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    # Row b's quote is closed by the quote that opens row d's field: the parser would make one row of b..d
    path.write_text(
        'id,case,dx\na,x,y\nb,"Fever,Flu\nc,Cough,Cold\nd,"Rash",Eczema\ne,Itch,Scabies\n', encoding="utf-8"
    )
    rows = rows_of(path)
    assert [line for line, _ in rows] == [2, 3, 4, 5, 6]
    assert "unterminated quote" in rows[1][1]
    assert [row["id"] for _, row in rows if isinstance(row, dict)] == ["a", "c", "d", "e"]


def test_csv_quoting_error_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('id,case,dx\na,"Fever"x,Flu\nb,Cough,Cold\n', encoding="utf-8")
    rows = rows_of(path)
    assert rows[0] == (2, f"{path}:2: CSV quoting error (',' expected after '\"')")
    assert rows[1] == (3, {"id": "b", "case": "Cough", "dx": "Cold"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, "empty file: no header and no rows")]),
        ("id,case,diagnosis\n", [(1, "header only: no rows after it")]),
        ("\n\nid,case,diagnosis\n\n", [(3, "header only: no rows after it")]),
        (
            "id,case,dx,case\n1,a,b,c\n",
            [(1, "field 'case': duplicate column 'case' (columns 2 and 4): rename one of them")],
        ),
    ],
)
def test_csv_file_level_problems(tmp_path: Path, text: str, expected: list[tuple[int, str]]) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    assert rows_of(path) == [(line, f"{path}:{line}: {message}") for line, message in expected]


def test_json_array_trailing_data(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('[{"x": 1},\n {"x": 2}]\n[{"x": 3}]\n', encoding="utf-8")
    rows = rows_of(path)
    assert rows[:2] == [(1, {"x": 1}), (2, {"x": 2})]
    assert rows[2] == (3, f"{path}:3: trailing data after the JSON array's closing ']': '[{{\"x\": 3}}]\\n'")
    path.write_text('[{"x": 1}]\n\n', encoding="utf-8")
    assert rows_of(path) == [(1, {"x": 1})]  # whitespace after the array is fine


def test_jsonl_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"x": 1}\n{"x": 2}\n')
    assert rows_of(path) == [(1, {"x": 1}), (2, {"x": 2})]  # before: line 1 was "not valid JSON"
    assert [obj for _, obj in iter_rows(path, encoding="utf-8")] == [{"x": 1}, {"x": 2}]  # forced, too
    table = tmp_path / "bom.csv"
    table.write_bytes(b"\xef\xbb\xbfid,case\n1,x\n")
    assert rows_of(table) == [(2, {"id": "1", "case": "x"})]
    assert [obj for _, obj in iter_rows(table, encoding="utf-8")] == [{"id": "1", "case": "x"}]
