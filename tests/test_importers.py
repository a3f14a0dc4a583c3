"""Importers: the real shared files, each format, and every kind of bad input reported with its line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.importers import (
    ImportConfig,
    asks_for_diagnosis,
    import_dxbench,
    import_file,
    import_huatuo,
    import_medfound,
    import_medqa,
    load_records,
    parse_options,
    validate_file,
)
from clinical_r1.records import ClinicalRecord, MCQItem, RecordError, read_records


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


# --- the shared public files -------------------------------------------------------------------


def test_dxbench_both_languages(shared_data: Path) -> None:
    en = import_dxbench(shared_data / "dxbench" / "DxBench_en.json")
    zh = import_dxbench(shared_data / "dxbench" / "DxBench_zh.json")
    assert len(en) == len(zh) == 1148
    assert len({r.id for r in en + zh}) == 2296  # unique even when both files are pooled
    # Parallel translations: the pair id joins them, row by row.
    assert [r.meta["pair_id"] for r in en] == [r.meta["pair_id"] for r in zh]
    first_en, first_zh = en[0], zh[0]
    assert (first_en.id, first_zh.id, first_en.meta["pair_id"]) == (
        "DxBench_1-en",
        "DxBench_1-zh",
        "DxBench_1",
    )
    assert first_en.case == (
        "Presenting symptoms: Dizziness, Headache. "
        "On further questioning: unsteady vision, Numbness in the left hand."
    )
    assert first_zh.case == "主诉症状：头晕、头痛。进一步询问：看东西不稳、左手麻。"
    assert (first_en.diagnosis, first_zh.diagnosis) == ("Lacunar Stroke", "腔隙性脑梗塞")
    assert (first_en.department, first_zh.department) == ("Surgery", "外科")  # kept as given
    assert first_zh.meta["candidate_diseases"] == ["交感神经型颈椎病", "脑供血不足", "腔隙性脑梗塞"]
    assert {r.language for r in en} == {"en"} and {r.language for r in zh} == {"zh"}
    # Denied symptoms (23 pairs marked "False" in the en file) end up under "Denies:".
    denied = [r for r in en if "Denies: " in r.case]
    assert denied and all(r.case.endswith(".") for r in denied)
    assert sum("否认：" in r.case for r in zh) == len(denied)


def test_medqa_usmle_and_mcmle(shared_data: Path) -> None:
    usmle_mcq, usmle_open = import_medqa(shared_data / "medqa_usmle" / "test.jsonl")
    mcmle_mcq, mcmle_open = import_medqa(shared_data / "medqa_mcmle" / "test.json")
    assert len(usmle_mcq) == 1273 and len(mcmle_mcq) == 3426
    print(f"diagnosis stems kept as open-ended records: USMLE {len(usmle_open)}, MCMLE {len(mcmle_open)}")
    assert (len(usmle_open), len(mcmle_open)) == (124, 275)

    first = usmle_mcq[0]
    assert first.id == "medqa-usmle-0" and first.answer == "B" and set(first.options) == set("ABCD")
    assert first.options["B"] == "Tell the attending that he cannot fail to disclose this mistake"
    assert first.language == "en" and first.meta == {"meta_info": "step1"}
    assert all(item.language == "zh" and item.source == "medqa-mcmle" for item in mcmle_mcq)
    second = mcmle_mcq[1]
    assert second.options == {
        "A": "主要静脉损伤",
        "B": "肱动脉损伤",
        "C": "肌肉断裂伤",
        "D": "正中、尺、桡神经损伤",
    }
    assert second.answer == "B"
    assert len({m.id for m in mcmle_mcq}) == 3426

    # Open-ended records: the stem as the case, the right option's text as the reference.
    by_id = {m.id: m for m in usmle_mcq + mcmle_mcq}
    for record in usmle_open + mcmle_open:
        item = by_id[record.id]
        assert record.case == item.question
        assert record.diagnosis == item.options[item.answer]
        assert record.meta["from_mcq"] is True
        assert asks_for_diagnosis(record.case, record.language)


def test_shared_files_validate_clean(shared_data: Path) -> None:
    for path in [
        shared_data / "dxbench" / "DxBench_zh.json",
        shared_data / "medqa_usmle" / "test.jsonl",
        shared_data / "medqa_mcmle" / "test.json",
    ]:
        assert validate_file(path) == []  # format guessed from the first row


# --- MedQA details ----------------------------------------------------------------------------


def test_medqa_answer_problems(tmp_path: Path) -> None:
    base = {"question": "Q?", "options": {"A": "x", "B": "y"}}
    path = write_jsonl(
        tmp_path / "bad_mcq.jsonl",
        [
            {**base, "answer": "(E)"},
            {**base, "answer": "z"},
            {**base, "answer": "x", "answer_idx": "B"},
            {**base, "options": "no options here", "answer": "(A)"},
        ],
    )
    problems = [(p.line, p.field, p.message) for p in validate_file(path, ImportConfig(fmt="medqa"))]
    assert problems == [
        (1, "answer", "answer 'E' is not one of the options ['A', 'B']"),
        (2, "answer", "'z' is neither a letter nor the text of an option"),
        (3, "answer", "answer text does not match option B given by answer_idx"),
        (4, "options", "no '(A) ...' lines found"),
    ]


def test_parse_options_mcmle_layout() -> None:
    text = "(A) 2小时.\n(B) 4小时内.\n(C) a long option\ncontinued here.\n(D) 24小时内."
    assert parse_options(text) == {
        "A": "2小时",
        "B": "4小时内",
        "C": "a long option continued here",
        "D": "24小时内",
    }


@pytest.mark.parametrize(
    ("question", "language", "expected"),
    [
        (
            "A 45-year-old man has chest pain. Which of the following is the most likely diagnosis?",
            "en",
            True,
        ),
        ("A woman has a rash. What is the most likely diagnosis in this patient?", "en", True),
        ("The findings are most consistent with which diagnosis?", "en", True),
        ("A man has a cough. Which of the following is most likely to confirm the diagnosis?", "en", False),
        (
            "A child has a fever. Which of the following is characteristic of the most likely diagnosis?",
            "en",
            False,
        ),
        ("Which of the following is the most appropriate next step in diagnosis?", "en", False),
        (
            "Diagnosis was made last year. Which drug is best?",
            "en",
            False,
        ),  # ask is in the last sentence only
        ("男，65岁。胸痛3小时。最可能的诊断是", "zh", True),
        ("患者发热、咳嗽。应诊断为", "zh", True),
        ("女，30岁，心悸。1．初步诊断为哪种贫血？", "zh", True),
        ("患者曾诊断为高血压。治疗应首选", "zh", False),
        ("下列哪项不是肺炎的诊断依据", "zh", False),
        ("为明确诊断，首选的检查是", "zh", False),
    ],
)
def test_asks_for_diagnosis(question: str, language: str, expected: bool) -> None:
    assert asks_for_diagnosis(question, language) is expected


def test_medqa_both_layouts_and_answers(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            {
                "question": "A man has crushing chest pain. What is the most likely diagnosis?",
                "options": {"A": "Pneumonia", "B": "Acute myocardial infarction"},
                "answer": "Acute myocardial infarction",
            },
            {
                "question": "胸痛3小时，心电图ST段抬高。最可能的诊断是",
                "options": "(A) 心绞痛.\n(B) 急性心肌梗死.",
                "answer": "(B)",
                "source": "medqa-mcmle",
            },
            {
                "question": "Which drug lowers LDL?",
                "options": {"A": "Statin", "B": "Insulin"},
                "answer_idx": "A",
                "answer": "Statin",
            },
        ],
    )
    mcq, records = import_medqa(path)
    assert [m.answer for m in mcq] == ["B", "B", "A"]
    assert [m.language for m in mcq] == ["en", "zh", "en"]
    assert [(r.diagnosis, r.language) for r in records] == [
        ("Acute myocardial infarction", "en"),
        ("急性心肌梗死", "zh"),
    ]
    assert [r.id for r in records] == ["medqa-usmle-0", "medqa-mcmle-1"]  # row position when there is no id


# --- other formats ----------------------------------------------------------------------------


def test_medfound_records(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "medfound.jsonl",
        [
            {
                "qid": "mf-1",
                "context": "男，56岁，反复上腹痛2年，胃镜示胃窦黏膜充血水肿。",
                "diagnosis": "慢性胃炎",
                "diagnosis_code": "K29.701",
            },
            {
                "qid": "mf-2",
                "context": "Woman, 60, polyuria and polydipsia; HbA1c 9.1%.",
                "diagnosis": ["Type 2 diabetes", "Hypertension"],
                "diagnosis_code": "E11.9, I10",
            },
            {"qid": "mf-3", "context": "头痛伴呕吐。", "diagnosis": "偏头痛", "diagnosis_code": ""},
        ],
    )
    records = import_medfound(path, assign_department=True)
    assert [r.icd10 for r in records] == ["K29.7", "E11.9", None]
    assert records[0].meta["icd10_raw"] == "K29.701" and records[0].language == "zh"
    assert records[1].diagnosis == "Type 2 diabetes; Hypertension" and records[1].language == "en"
    assert [r.department for r in records] == ["Gastroenterology", "Endocrinology", None]
    assert records[0].meta["department_from"] == "icd10"
    assert records[0].source == "medfound"


def test_medfound_bad_codes(tmp_path: Path) -> None:
    row = {"qid": "q", "context": "Chest pain.", "diagnosis": "Angina"}
    path = write_jsonl(
        tmp_path / "mf.jsonl",
        [
            {**row, "diagnosis_code": 120},
            {**row, "diagnosis_code": ["I20.9", 5]},
            {**row, "diagnosis_code": "I20.9;XX"},
        ],
    )
    problems = [(p.line, p.field, p.message) for p in validate_file(path, ImportConfig(fmt="medfound"))]
    assert problems == [
        (1, "diagnosis_code", "expected a code or a list of codes, got int"),
        (2, "diagnosis_code", "expected a code, got int 5"),
        (3, "diagnosis_code", "'XX' is not a valid ICD-10 code"),
    ]


def test_huatuo_verifiable_problems(tmp_path: Path) -> None:
    path = tmp_path / "huatuo.json"
    path.write_text(
        json.dumps(
            [
                {
                    "Open-ended Verifiable Question": "Wheeze relieved by salbutamol. Diagnosis?",
                    "Ground-True Answer": "Asthma",
                },
                {
                    "Open-ended Verifiable Question": "患者，女，25岁，尿频尿急尿痛1天。诊断？",
                    "Ground-True Answer": "急性膀胱炎",
                },
            ],
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    records = import_huatuo(path, code_diagnoses=True)
    assert [(r.id, r.language, r.diagnosis, r.icd10) for r in records] == [
        ("huatuo-0", "en", "Asthma", "J45.9"),
        ("huatuo-1", "zh", "急性膀胱炎", "N30.0"),
    ]
    assert records[0].meta == {"icd10_from": "diagnosis name"}


def test_csv_with_a_field_map(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["case_id", "text", "dx", "code", "dept"])
        writer.writerow(
            ["c1", "Fever, productive cough, consolidation\non chest X-ray.", "Lobar pneumonia", "j181", ""]
        )
        writer.writerow(["c2", "多饮多尿，空腹血糖11 mmol/L。", "2型糖尿病", "E11.9", "Endocrinology"])
    field_map = {"id": "case_id", "case": "text", "diagnosis": "dx", "icd10": "code", "department": "dept"}
    records = list(load_records(path, field_map=field_map, assign_department=True, source="clinic"))
    assert [(r.id, r.language, r.icd10, r.department, r.source) for r in records] == [
        ("c1", "en", "J18.1", "Respiratory", "clinic"),
        ("c2", "zh", "E11.9", "Endocrinology", "clinic"),
    ]
    assert records[0].case.endswith("consolidation\non chest X-ray.")  # a quoted newline stays in the field
    # The language can be forced for every row.
    forced = list(load_records(path, field_map=field_map, language="en"))
    assert {r.language for r in forced} == {"en"}


def test_field_map_names_schema_fields() -> None:
    with pytest.raises(ValidationError, match="dx not in the record schema"):
        ImportConfig(field_map={"dx": "diagnosis"})


def test_native_records_round_trip(tmp_path: Path) -> None:
    record = ClinicalRecord(id="r1", language="en", case="Chest pain.", diagnosis="Angina", icd10="I20.9")
    path = write_jsonl(tmp_path / "r.jsonl", [record.model_dump(mode="json")])
    assert list(load_records(path)) == [record]
    assert list(read_records(path)) == [record]


# --- bad input --------------------------------------------------------------------------------

# One row per kind of bad input; the comment gives the line the row lands on.
PLANTED = [
    {"id": "ok-1", "language": "en", "case": "Chest pain.", "diagnosis": "Angina", "icd10": "I20.9"},
    '{"id": "broken", "language": "en", "case": ',  # 2: malformed JSON
    {"id": "m-1", "language": "en", "case": "Cough."},  # 3: diagnosis missing
    {"id": "e-1", "language": "en", "case": "   ", "diagnosis": "Asthma"},  # 4: empty case
    {"id": "t-1", "language": "en", "case": "Fever.", "diagnosis": 42.5},  # 5: wrong type
    {"id": "t-2", "language": "en", "case": ["not", "text"], "diagnosis": "Flu"},  # 6: wrong type
    {"id": "l-1", "language": "fr", "case": "Toux.", "diagnosis": "Grippe"},  # 7: unknown language
    {
        "id": "c-1",
        "language": "zh",
        "case": "胸痛。",
        "diagnosis": "心绞痛",
        "icd10": "I2O.9",
    },  # 8: bad code (letter O)
    {"id": "x-1", "language": "xx", "case": "", "diagnosis": "Flu", "icd10": "nonsense"},  # 9: three problems
    {"id": "ok-2", "language": "zh", "case": "咳嗽。", "diagnosis": "支气管炎", "icd10": "J40"},
    {"id": "u-1", "case": "Rash.", "diagnosis": "Eczema", "dx_note": "typo field"},  # 11: unknown field
    "[1, 2]",  # 12: not an object
]


def test_validate_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "planted.jsonl", PLANTED)
    problems = validate_file(path, ImportConfig(fmt="records"))
    found = {(p.line, p.field) for p in problems}
    assert found == {
        (2, None),
        (3, "diagnosis"),
        (4, "case"),
        (5, "diagnosis"),
        (6, "case"),
        (7, "language"),
        (8, "icd10"),
        (9, "case"),
        (9, "language"),
        (9, "icd10"),
        (11, "dx_note"),
        (12, None),
    }
    assert all(p.file == str(path) for p in problems)
    messages = {(p.line, p.field): p.message for p in problems}
    assert "not valid JSON" in messages[(2, None)]
    assert messages[(3, "diagnosis")] == "missing" and messages[(4, "case")] == "empty"
    assert "expected text, got float" in messages[(5, "diagnosis")]
    assert "unknown language 'fr'" in messages[(7, "language")]
    assert "'I2O.9' is not a valid ICD-10 code" in messages[(8, "icd10")]
    assert str(problems[0]).startswith(f"{path}:2:")


def test_import_writes_rejects_and_counts_them(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "planted.jsonl", PLANTED)
    report = import_file(path, tmp_path / "out.jsonl", ImportConfig(fmt="records"))
    assert (report.records, report.rejected) == (2, 10)  # 12 rows: nothing skipped silently
    assert [r.id for r in read_records(tmp_path / "out.jsonl")] == ["ok-1", "ok-2"]
    rejects = [
        json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [r["line"] for r in rejects] == [2, 3, 4, 5, 6, 7, 8, 9, 11, 12]
    assert rejects[0]["raw"] == PLANTED[1]  # the text of a line that is not JSON
    assert rejects[1]["raw"] == PLANTED[2] and rejects[1]["errors"] == [
        {"field": "diagnosis", "message": "missing"}
    ]
    assert report.reasons["icd10: … is not a valid ICD-10 code"] == 2  # values stripped so reasons group
    assert not (tmp_path / "out.mcq.jsonl").exists()


def test_strict_helpers_raise_the_first_problem(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "planted.jsonl", PLANTED)
    with pytest.raises(RecordError) as info:
        list(load_records(path, fmt="records"))
    assert (info.value.line, info.value.field) == (2, None)
    with pytest.raises(RecordError, match="file not found"):
        list(load_records(tmp_path / "missing.jsonl"))


def test_dxbench_bad_rows(tmp_path: Path) -> None:
    good = {
        "id": "D1",
        "department": "内科",
        "explicit_symptoms": [["咳嗽", "True"]],
        "implicit_symptoms": [],
        "candidate_diseases": ["肺炎"],
        "disease": "肺炎",
    }
    path = tmp_path / "dx.json"
    text = json.dumps(
        [
            good,
            {**good, "id": "D2", "explicit_symptoms": [["咳嗽", "maybe"]], "disease": ""},
            {**good, "id": "D3", "implicit_symptoms": "发热"},
        ],
        ensure_ascii=False,
        indent=2,
    )
    path.write_text(text, encoding="utf-8")
    starts = [number for number, line in enumerate(text.splitlines(), start=1) if line == "  {"]
    problems = validate_file(path)
    assert [(p.line, p.field) for p in problems] == [
        (starts[1], "disease"),
        (starts[1], "explicit_symptoms[0]"),
        (starts[2], "implicit_symptoms"),
    ]
    report = import_file(path, tmp_path / "out.jsonl")
    assert (report.records, report.rejected) == (1, 2)


def test_json_array_errors_and_chunk_boundaries(tmp_path: Path) -> None:
    from clinical_r1.records import iter_json_array_rows

    rows = [{"id": f"r{i}", "text": "病例" * (i % 7) + "x" * i} for i in range(60)]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    for chunk in (7, 64, 1 << 16):  # elements cut by chunk boundaries anywhere
        assert [obj for _, obj in iter_json_array_rows(path, chunk_size=chunk)] == rows
    path.write_text('[\n {"a": 1},\n {"b": 2,,}\n]\n', encoding="utf-8")
    result = list(iter_json_array_rows(path, chunk_size=4))
    assert result[0] == (2, {"a": 1})
    assert result[1][0] == 3 and isinstance(result[1][1], RecordError)
    path.write_text('[\n {"a": 1}\n', encoding="utf-8")
    assert "not closed" in str(list(iter_json_array_rows(path))[-1][1])


def test_csv_row_with_wrong_number_of_values(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,dx\nCough.,Bronchitis\nFever.,Flu,extra\nRash.\n", encoding="utf-8")
    problems = validate_file(path, ImportConfig(field_map={"case": "text", "diagnosis": "dx"}))
    assert [(p.line, p.field) for p in problems] == [(3, None), (4, "dx")]


# --- CLI --------------------------------------------------------------------------------------


def test_cli_validate_lists_every_planted_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "planted.jsonl", PLANTED)
    result = CliRunner().invoke(app, ["records", "validate", str(path), "--format", "records"])
    assert result.exit_code == 1
    for line in (2, 3, 4, 5, 6, 7, 8, 9, 11, 12):
        assert f"planted.jsonl:{line}:" in result.output
    assert "12 problems on 10 lines" in result.output


def test_cli_import_with_map_and_stats(tmp_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"text": "Crushing chest pain, ST elevation.", "dx": "STEMI", "code": "I21.3"},
            {"text": "咳嗽咳痰，右下肺实变。", "dx": "大叶性肺炎", "code": "J18.1"},
            {"text": "Headache.", "dx": "Migraine", "code": "BAD"},
        ],
    )
    out = tmp_path / "out.jsonl"
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "records",
            "import",
            str(source),
            "-o",
            str(out),
            "--map",
            "case=text,diagnosis=dx,icd10=code",
            "--assign-departments",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 records" in result.output and "1 rows rejected" in result.output
    assert [r.department for r in read_records(out)] == ["Cardiology", "Respiratory"]
    stats = runner.invoke(app, ["records", "stats", str(out)])
    assert stats.exit_code == 0, stats.output
    assert "2 records" in stats.output and "100.0%" in stats.output and "circulatory" in stats.output
    bad_map = runner.invoke(app, ["records", "import", str(source), "-o", str(out), "--map", "case"])
    assert bad_map.exit_code == 2


def test_records_app_is_importable_for_other_modules() -> None:
    import typer

    from clinical_r1.commands.records import records_app

    assert isinstance(records_app, typer.Typer)
    assert {c.name for c in records_app.registered_commands} >= {"import", "validate", "stats"}


def test_mcq_items_go_to_their_own_file(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "usmle.jsonl"
    report = import_file(shared_data / "medqa_usmle" / "test.jsonl", out)
    assert (report.mcq_items, report.records, report.rejected) == (1273, 124, 0)
    first = json.loads((tmp_path / "usmle.mcq.jsonl").open(encoding="utf-8").readline())
    assert MCQItem.model_validate(first).id == "medqa-usmle-0"


# --- codes of earlier WHO editions and national code sets ------------------------------------------


def test_legacy_and_national_codes_keep_the_record(tmp_path: Path) -> None:
    """Haemorrhoids coded I84.x (WHO before 2010, still in national sets) used to reject the record."""
    rows = [
        {"id": "h-1", "language": "zh", "case": "便血。", "diagnosis": "混合痔", "icd10": "I84.201"},
        {"id": "h-2", "language": "en", "case": "Anal pain.", "diagnosis": "Haemorrhoids", "icd10": "I84.9"},
        {"id": "u-1", "language": "en", "case": "Cough.", "diagnosis": "Vaping injury", "icd10": "U99.9"},
        {"id": "k-1", "language": "zh", "case": "胃痛。", "diagnosis": "慢性胃炎", "icd10": "K29.501"},
    ]
    path = write_jsonl(tmp_path / "national.jsonl", rows)
    report = import_file(path, tmp_path / "out.jsonl", ImportConfig(fmt="records"))
    assert (report.records, report.rejected, report.warned) == (4, 0, 1)
    records = {r.id: r for r in read_records(tmp_path / "out.jsonl")}
    assert records["h-1"].icd10 == "K64.8" and records["h-2"].icd10 == "K64.9"
    assert records["h-1"].meta["icd10_raw"] == "I84.201"
    assert records["h-1"].meta["icd10_legacy"].startswith("I84.2 -> K64.8 (WHO 2010")
    assert records["k-1"].icd10 == "K29.5" and "icd10_legacy" not in records["k-1"].meta  # an extension
    # A code-shaped value nobody defines: the record stays, without a code, the raw value in meta.
    assert records["u-1"].icd10 is None and records["u-1"].meta["icd10_raw"] == "U99.9"
    assert report.warnings == {
        "icd10: … is not a WHO ICD-10 code (nor a known earlier or national one): kept without code": 1
    }
    warnings = [json.loads(line) for line in report.warnings_out.read_text(encoding="utf-8").splitlines()]
    assert [(w["line"], w["field"]) for w in warnings] == [(3, "icd10")]
    assert validate_file(path, ImportConfig(fmt="records")) == []  # nothing a later stage would refuse


def test_medfound_national_code_list(tmp_path: Path) -> None:
    row = {
        "qid": "q",
        "context": "Bleeding per rectum.",
        "diagnosis": "Haemorrhoids",
        "diagnosis_code": "I84.201, K62.5",
    }
    records = import_medfound(write_jsonl(tmp_path / "mf.jsonl", [row]))
    assert records[0].icd10 == "K64.8" and records[0].meta["icd10_legacy"].startswith("I84.2 -> K64.8")


def test_import_command_prints_warnings(tmp_path: Path) -> None:
    rows = [{"id": "u-1", "language": "en", "case": "Cough.", "diagnosis": "Vaping injury", "icd10": "U99.9"}]
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    result = CliRunner().invoke(app, ["records", "import", str(path), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    assert "1 records" in result.output and "1 warnings" in result.output
    assert "not a WHO ICD-10 code" in result.output


# --- nothing lost: outputs never overwrite inputs, interrupted imports keep old outputs ------------


def test_output_that_is_the_input_is_refused(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "x.jsonl", [{"id": "a", "case": "Cough.", "diagnosis": "Cold"}])
    before = src.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(src)
    hard = tmp_path / "hard.jsonl"
    hard.hardlink_to(src)
    runner = CliRunner()
    for args in (
        ["-o", str(src)],  # before: emptied the input and exited 0
        ["-o", str(tmp_path / "." / "x.jsonl")],
        ["-o", str(link)],
        ["-o", str(hard)],
        ["-o", str(tmp_path / "out.jsonl"), "--rejects", str(src)],
    ):
        result = runner.invoke(app, ["records", "import", str(src), *args])
        assert result.exit_code == 2, (args, result.output)
        assert "refusing to write the" in result.output and "over the input" in result.output
        assert src.read_bytes() == before
    config = tmp_path / "import.yaml"
    config.write_text("code_diagnoses: true\n", encoding="utf-8")
    result = runner.invoke(app, ["records", "import", str(src), "-o", str(config), "--config", str(config)])
    assert result.exit_code == 2 and config.read_text(encoding="utf-8") == "code_diagnoses: true\n"
    with pytest.raises(RecordError, match="the rejects and the output are the same file"):
        import_file(src, tmp_path / "o.jsonl", rejects=tmp_path / "o.jsonl")
    # Any file the config names is an input of the run too (MIMIC-IV's diagnoses table, say).
    table = tmp_path / "diagnoses_icd.csv"
    table.write_text("subject_id,hadm_id,seq_num,icd_code,icd_version\n", encoding="utf-8")
    with pytest.raises(RecordError, match="refusing to write the rejects over the input"):
        import_file(src, tmp_path / "o.jsonl", ImportConfig(diagnoses=table), rejects=table)
    assert table.read_text(encoding="utf-8").startswith("subject_id")


def test_interrupted_import_leaves_the_old_output(tmp_path: Path) -> None:
    rows = [{"id": f"r{i}", "case": "Cough.", "diagnosis": "Cold"} for i in range(2500)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    out.write_text("previous output\n", encoding="utf-8")

    def stop(n: int) -> None:
        if n >= 2000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(src, out, progress=stop)
    assert out.read_text(encoding="utf-8") == "previous output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]  # no temporary left
    assert import_file(src, out).records == 2500 and len(out.read_text().splitlines()) == 2500


def test_validate_reports_what_later_stages_refuse(tmp_path: Path) -> None:
    ok = {"case": "Cough.", "diagnosis": "Cold"}
    src = write_jsonl(
        tmp_path / "x.jsonl",
        [{"id": "a", **ok}, {"id": "b", **ok}, {"id": "a", **ok}, {"id": "c\td", **ok}, {"id": "a", **ok}],
    )
    problems = [str(p) for p in validate_file(src)]
    assert problems == [
        f"{src}:3: field 'id': duplicate item id 'a' (first on line 1)",
        f"{src}:4: field 'id': control character U+0009 in id 'c\\td'",
        f"{src}:5: field 'id': duplicate item id 'a' (first on line 1)",
    ]
    report = import_file(src, tmp_path / "out.jsonl")
    assert (report.records, report.rejected) == (2, 3)
    assert report.reasons == {
        "id: duplicate item id … (first on line …)": 2,
        "id: control character U+0009 in id …": 1,
    }
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    assert [str(p) for p in validate_file(empty)] == [f"{empty}:1: empty file: no rows"]
    array = tmp_path / "a.json"
    array.write_text(json.dumps([{"id": "a", **ok}]) + "\n{}\n", encoding="utf-8")
    assert [str(p) for p in validate_file(array)] == [
        f"{array}:2: trailing data after the JSON array's closing ']': '{{}}\\n'"
    ]


def test_cli_validate_file_level_problems(tmp_path: Path) -> None:
    header_only = tmp_path / "h.csv"
    header_only.write_text("case,diagnosis\n", encoding="utf-8")
    dup_columns = tmp_path / "d.csv"
    dup_columns.write_text("case,diagnosis,case\nx,y,z\n", encoding="utf-8")
    runner = CliRunner()
    for path, message in [
        (header_only, "h.csv:1: header only: no rows after it"),
        (dup_columns, "d.csv:1: field 'case': duplicate column 'case' (columns 1 and 3)"),
    ]:
        result = runner.invoke(app, ["records", "validate", str(path)])
        assert result.exit_code == 1 and message in result.output, result.output  # before: "no problems"


def test_seen_ids_table_grows_and_keeps_first_lines() -> None:
    from clinical_r1.importers import SeenIds

    seen = SeenIds(capacity=8)  # grows by doubling while it fills: every entry must survive each move
    for i in range(5000):
        key, first = seen.find("ClinicalRecord", f"r{i}")
        assert first is None
        seen.add(key, i + 1)
    assert seen.count == 5000
    assert [seen.find("ClinicalRecord", f"r{i}")[1] for i in (0, 7, 4999)] == [1, 8, 5000]
    assert seen.find("MCQItem", "r7")[1] is None and seen.find("ClinicalRecord", "r5000")[1] is None
