"""Field specs: nested paths, labelled joins, diagnosis extraction, QA lists, implausible diagnoses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from clinical_r1 import fieldmap
from clinical_r1.cli import app
from clinical_r1.importers import ImportConfig, import_file, validate_file
from clinical_r1.records import read_records


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def nested_collection(path: Path) -> Path:
    """A case collection with history, exam and results in one object and the diagnosis in another."""
    rows = []
    for i in range(1, 7):
        rows.append(
            {
                "case_id": f"C{i:03d}",
                "record": {
                    "history": {
                        "present": f"Chest pain for {i} hours, radiating to the left arm.",
                        "past": "HTN",
                    },
                    "exam": {"bp": "150/90", "heart": "S4 gallop"},
                    "results": [f"Troponin {i}.2 ng/mL", "ECG: ST elevation II, III, aVF"],
                },
                "answer": {"diagnosis": "Acute inferior myocardial infarction", "icd10": "I21.1"},
            }
        )
    rows[3]["record"].pop("results")  # a case without results still imports (the part is left out)
    rows[5]["answer"] = {"icd10": "I21.1"}  # no diagnosis at all: rejected, with the path that is missing
    return write_jsonl(path, rows)


QA_ANSWERS = [
    (
        "腹外疝",
        "诊断：嵌顿性腹股沟斜疝合并肠梗阻。诊断依据：右侧腹股沟区可复性肿物3年，不能回纳伴腹痛6小时。",
    ),
    ("急腹症", "诊断：急性化脓性阑尾炎。诊断依据：转移性右下腹痛，麦氏点压痛。"),
    ("胆道疾病", "初步诊断为急性结石性胆囊炎；诊断依据：右上腹痛，Murphy征阳性。"),
    ("消化道出血", "诊断为十二指肠球部溃疡并出血。依据：黑便，胃镜所见。"),
]


def qa_collection(path: Path) -> Path:
    """A zh case + question/answer collection: the diagnosis sits inside one answer among several."""
    rows = []
    for i, (topic, answer) in enumerate(QA_ANSWERS, start=1):
        rows.append(
            {
                "id": f"qa-{i}",
                "title": f"案例分析-{topic}",
                "case": f"患者男，{40 + i}岁，因腹痛{i}天入院。查体：腹部压痛。",
                "qa": [
                    {"question": "本病例需要与哪些疾病进行鉴别诊断？", "answer": "胃穿孔、胰腺炎。"},
                    {"question": "该患者的诊断及诊断依据是什么？", "answer": answer},
                    {"question": "治疗原则是什么？", "answer": "手术治疗。"},
                ],
            }
        )
    rows.append(
        {
            "id": "qa-5",
            "title": "案例分析-护理",
            "case": "患者女，50岁，术后第一天。",
            "qa": [{"question": "护理措施有哪些？", "answer": "监测生命体征。"}],
        }
    )
    return write_jsonl(path, rows)


# --- the spec language ----------------------------------------------------------------------------


def test_paths_joins_and_labels() -> None:
    spec = fieldmap.parse_spec("history.present+exam+results")
    assert spec.labels() == ["History", "Exam", "Results"] and not spec.simple
    assert fieldmap.parse_spec("history.present+history.past").labels() == ["Present", "Past"]
    assert fieldmap.parse_spec("a.x.v+b.x.w").labels() == ["A", "B"]
    assert fieldmap.parse_spec("r.x.v+r.x.w+r.y").labels() == ["X v", "X w", "Y"]
    assert fieldmap.parse_spec("现病史:病史.现病史+查体").labels() == ["现病史", "查体"]
    assert fieldmap.parse_spec("Ground-True Answer").simple  # plain columns read exactly as before
    row = {"qa": [{"a": "x"}, {"a": "y"}], "k": {"a.b": 1}}
    assert fieldmap.resolve(row, fieldmap.parse_spec("qa[-1].a").parts[0]) == ["y"]
    assert fieldmap.resolve(row, fieldmap.parse_spec("qa[*].a").parts[0]) == ["x", "y"]
    assert fieldmap.resolve(row, fieldmap.parse_spec('k["a.b"]').parts[0]) == [1]
    assert fieldmap.as_text({"bp": "150/90", "hr": 88, "x": None}) == "bp: 150/90; hr: 88"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("a[", "'[' without ']'"),
        ("a..b", "empty key after '.'"),
        ("a[x]", "is not an index"),
        ("a|nope", "unknown extraction 'nope'"),
        ("a|re:(", "bad regex"),
        ("a+", "empty part"),
    ],
)
def test_malformed_specs_say_why(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        fieldmap.parse_spec(spec)
    with pytest.raises(ValidationError, match="diagnosis: "):  # and the config names the field
        ImportConfig(field_map={"diagnosis": spec})


def test_missing_paths_name_the_step() -> None:
    row = {"history": {"present": "x"}, "title": "t", "qa": [{"question": "治疗原则？", "answer": "手术"}]}
    for spec, message in [
        ("history.now", "missing (history has no 'now')"),
        ("title.x", "title is text, not an object with 'x'"),
        ("nope", "missing"),
        (
            "qa[?question].answer",
            "no element of qa has a 'question' asking for the diagnosis (questions: '治疗原则？')",
        ),
    ]:
        with pytest.raises(fieldmap.PathError) as caught:
            fieldmap.resolve(row, fieldmap.parse_spec(spec).parts[0])
        assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("preset", "text", "expected"),
    [
        ("zh", "诊断：嵌顿性腹股沟斜疝合并肠梗阻。诊断依据：…", "嵌顿性腹股沟斜疝合并肠梗阻"),
        ("zh", "鉴别诊断：胆囊炎。诊断：急性阑尾炎", "急性阑尾炎"),  # not the differential
        ("zh", "本例诊断为急性胰腺炎，依据：血淀粉酶升高", "急性胰腺炎"),
        ("zh", "初步诊断：胃炎", None),  # the initial diagnosis has its own preset
        ("zh-initial", "初步诊断：1.急性阑尾炎；2.高血压。处理：手术", "1.急性阑尾炎；2.高血压"),
        ("en", "Diagnosis: Acute appendicitis. Rationale: RLQ pain.", "Acute appendicitis"),
        ("en", "The most likely diagnosis is acute cholecystitis; treat with", "acute cholecystitis"),
        ("en", "Differential diagnosis: GERD. Diagnosis: angina", "angina"),
        ("en", "Diagnosis: 1. Acute MI; 2. Hypertension. Plan: PCI", "1. Acute MI; 2. Hypertension"),
        (
            "en-final",
            "Final diagnosis: Type 2 diabetes mellitus\nPlan: metformin",
            "Type 2 diabetes mellitus",
        ),
        ("re:主要诊断[:：](?P<dx>[^，。]+)", "主要诊断：肺炎，次要诊断：高血压", "肺炎"),
    ],
)
def test_extraction_presets_cut_at_the_clause(preset: str, text: str, expected: str | None) -> None:
    assert fieldmap.extract(fieldmap.parse_spec(f"x|{preset}").extract, text) == expected


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("该患者的诊断及诊断依据是什么？", True),
        ("最可能是什么病？", True),
        ("本病例需要与哪些疾病进行鉴别诊断？", False),
        ("为明确诊断应做哪些检查？", False),
        ("治疗原则是什么？", False),
        ("What is the most likely diagnosis?", True),
        ("What is the differential diagnosis?", False),
        ("Which test would confirm the diagnosis?", False),
    ],
)
def test_which_question_asks_for_the_diagnosis(question: str, asks: bool) -> None:
    assert fieldmap.asks_for_diagnosis_qa(question) is asks


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("案例分析-腹外疝", "title"),
        ("Case 3: abdominal pain", "title"),
        ("该患者的诊断是什么？", "question"),
        (
            "诊断：嵌顿性腹股沟斜疝合并肠梗阻。诊断依据：右侧腹股沟区可复性肿物3年，不能回纳伴腹痛6小时。",
            "paragraph",
        ),
        ("嵌顿性腹股沟斜疝合并肠梗阻", None),
        ("1.冠心病 不稳定型心绞痛 2.高血压3级 极高危 3.2型糖尿病", None),
        ("Acute inferior myocardial infarction", None),
    ],
)
def test_implausible_diagnoses(text: str, why: str | None) -> None:
    reason = fieldmap.implausible_diagnosis(text)
    assert (reason is None) if why is None else (why in reason)


# --- whole imports --------------------------------------------------------------------------------


def test_nested_collection_imports_with_paths_and_joins(tmp_path: Path) -> None:
    src = nested_collection(tmp_path / "nested.jsonl")
    plain = import_file(
        src, tmp_path / "before.jsonl", ImportConfig(field_map={"case": "record.history.present"})
    )
    assert (plain.records, plain.rejected) == (0, 6)  # the diagnosis sits under answer: no column of its name
    whole = validate_file(src, ImportConfig(field_map={"case": "record", "diagnosis": "answer"}))
    assert (
        str(whole[0])
        == f"{src}:1: field 'record': expected text, got dict (map a path into it, e.g. record.KEY)"
    )
    cfg = ImportConfig(
        field_map={
            "id": "case_id",
            "case": "record.history.present+record.exam+record.results",
            "diagnosis": "answer.diagnosis",
            "icd10": "answer.icd10",
        }
    )
    report = import_file(src, tmp_path / "out.jsonl", cfg)
    assert (report.records, report.rejected, report.warned) == (5, 1, 1)
    records = {r.id: r for r in read_records(tmp_path / "out.jsonl")}
    assert records["C001"].case == (
        "History: Chest pain for 1 hours, radiating to the left arm.\n"
        "Exam: bp: 150/90; heart: S4 gallop\n"
        "Results: Troponin 1.2 ng/mL; ECG: ST elevation II, III, aVF"
    )
    assert records["C001"].diagnosis == "Acute inferior myocardial infarction"
    assert records["C001"].icd10 == "I21.1" and records["C001"].language == "en"
    assert "Results:" not in records["C004"].case  # left out, with a warning on its line
    warning = json.loads((tmp_path / "out.warnings.jsonl").read_text(encoding="utf-8"))
    assert (warning["line"], warning["field"]) == (4, cfg.field_map["case"])
    assert warning["message"] == "part 'record.results' missing (record has no 'results'): left out"
    reject = json.loads((tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8"))
    assert reject["line"] == 6
    assert reject["errors"] == [
        {"field": "answer.diagnosis", "message": "missing (answer has no 'diagnosis')"}
    ]


def test_qa_collection_title_as_diagnosis_warns_on_every_row(tmp_path: Path) -> None:
    src = qa_collection(tmp_path / "qa.jsonl")
    report = import_file(src, tmp_path / "title.jsonl", ImportConfig(field_map={"diagnosis": "title"}))
    # The mapping the users fell back on: every "diagnosis" is a title, and now each says so.
    assert (report.records, report.rejected, report.warned) == (5, 0, 5)
    assert report.warnings == {"title: … looks like a title, not a diagnosis": 5}
    lines = (tmp_path / "title.warnings.jsonl").read_text(encoding="utf-8").splitlines()
    message = "'案例分析-腹外疝' looks like a title, not a diagnosis"
    assert json.loads(lines[0]) == {"file": str(src), "line": 1, "field": "title", "message": message}


def test_qa_collection_picks_the_diagnosis_answer_and_extracts_it(tmp_path: Path) -> None:
    src = qa_collection(tmp_path / "qa.jsonl")
    cfg = ImportConfig(field_map={"diagnosis": "qa[?question].answer|zh"})
    report = import_file(src, tmp_path / "out.jsonl", cfg)
    assert (report.records, report.rejected, report.warned) == (3, 2, 0)
    got = {r.id: r.diagnosis for r in read_records(tmp_path / "out.jsonl")}
    assert got == {
        "qa-1": "嵌顿性腹股沟斜疝合并肠梗阻",
        "qa-2": "急性化脓性阑尾炎",
        "qa-4": "十二指肠球部溃疡并出血",
    }
    assert all(r.language == "zh" for r in read_records(tmp_path / "out.jsonl"))
    problems = {(p.line, p.field): p.message for p in validate_file(src, cfg)}
    # qa-3 gives only an initial diagnosis (the zh-initial preset reads it); qa-5 asks nothing diagnostic
    assert problems[(3, "qa[?question].answer|zh")].startswith(
        "the zh pattern finds no diagnosis in '初步诊断为"
    )
    assert problems[(5, "qa[?question].answer|zh")].startswith("no element of qa has a 'question' asking")
    either = ImportConfig(field_map={"diagnosis": r"qa[?question].answer|re:诊断为?[:：]?(?P<dx>[^。；]+)"})
    assert import_file(src, tmp_path / "either.jsonl", either).records == 4
    # Without extraction the whole answer is the "diagnosis": imported, but each one flagged as prose.
    whole = import_file(
        src, tmp_path / "whole.jsonl", ImportConfig(field_map={"diagnosis": "qa[?question].answer"})
    )
    assert (whole.records, whole.rejected, whole.warned) == (4, 1, 4)
    assert set(whole.warnings) == {
        "qa[?question].answer: … looks like a paragraph (an answer with its reasoning), not a diagnosis"
    }


def test_cli_map_with_paths_and_extraction(tmp_path: Path) -> None:
    src = qa_collection(tmp_path / "qa.jsonl")
    out = tmp_path / "out.jsonl"
    spec = "case=case+病例:title,diagnosis=qa[?question].answer|re:诊断为?[:：]?(?P<dx>[^。；]{2,40})"
    result = CliRunner().invoke(app, ["records", "import", str(src), "-o", str(out), "--map", spec])
    assert result.exit_code == 0, result.output
    assert "4 records" in result.output and "1 rows rejected" in result.output
    first = next(read_records(out))
    assert first.case == "Case: 患者男，41岁，因腹痛1天入院。查体：腹部压痛。\n病例: 案例分析-腹外疝"
    assert first.diagnosis == "嵌顿性腹股沟斜疝合并肠梗阻"
    bad = CliRunner().invoke(app, ["records", "import", str(src), "-o", str(out), "--map", "diagnosis=qa[x]"])
    assert bad.exit_code == 2 and "is not an index" in bad.output


def test_cli_validate_lists_warnings_without_failing(tmp_path: Path) -> None:
    src = qa_collection(tmp_path / "qa.jsonl")
    result = CliRunner().invoke(app, ["records", "validate", str(src), "--map", "diagnosis=title"])
    assert result.exit_code == 0, result.output  # before: "no problems" and nothing else
    assert (
        f"warning: {src}:1: field 'title': '案例分析-腹外疝' looks like a title, not a diagnosis"
        in result.output
    )
    assert "5 warnings" in result.output and "no problems" in result.output
