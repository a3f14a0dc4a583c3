"""Answer extraction (diagnosis and option letter), model arguments, config and benchmark loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinical_r1.chat import DEFAULT_SYSTEM_PROMPTS
from clinical_r1.config import ConfigError
from clinical_r1.evaluate.config import EvalConfig, ModelUnderTest
from clinical_r1.evaluate.grading import extract, extract_choice
from clinical_r1.evaluate.items import load_items
from clinical_r1.evaluate.prompts import build_messages
from clinical_r1.records import RecordError

OPTIONS = {letter: f"option {letter}" for letter in "ABCDE"}


@pytest.mark.parametrize(
    "text,letter",
    [
        ("Answer: B", "B"),
        ("The answer is (C).", "C"),
        ("Reasoning... The correct answer is option D because of X.", "D"),
        ("答案：Ｄ", "D"),  # full-width letter and colon
        ("综合分析，答案是C。", "C"),
        ("正确选项为E", "E"),
        ("B", "B"),
        ("(B)", "B"),
        ("B. option B", "B"),
        ("First I thought Answer: A, but on reflection\nAnswer: **E**", "E"),  # the last statement counts
    ],
)
def test_choice_extracted(text: str, letter: str) -> None:
    assert extract_choice(text, OPTIONS) == (letter, None)


@pytest.mark.parametrize(
    "text,reason",
    [
        ("Answer: A or B", "ambiguous"),
        ("答案：A或B", "ambiguous"),
        ("A patient with fever most likely has option A.", "no answer statement"),
        ("the answer is a stroke", "no answer statement"),  # a lower-case article is not a letter
        ("Final answer: b", "no answer statement"),
        ("选项A正确", "no answer statement"),  # not a stated answer form: never guessed
        ("Answer: F", "not one of the options"),
        ("A\nB", "no answer statement"),
    ],
)
def test_choice_refused(text: str, reason: str) -> None:
    letter, why = extract_choice(text, OPTIONS)
    assert letter is None and reason in why


def test_trained_mode_requires_the_trained_format() -> None:
    good = "<think>\nfever, cough, consolidation\n</think>\n\nFinal diagnosis: Lobar pneumonia"
    assert extract(good, "stop", "trained", "diagnosis").answer == "Lobar pneumonia"
    unclosed = extract("<think>\nfever... Final diagnosis: Lobar pneumonia", "stop", "trained", "diagnosis")
    assert unclosed.answer is None and "</think>" in unclosed.no_answer_reason
    plain = extract("Final diagnosis: Lobar pneumonia", "stop", "trained", "diagnosis")
    assert plain.answer is None  # the trained model must answer in its own format
    truncated = extract(good, "length", "trained", "diagnosis")
    assert truncated.answer is None and "truncated" in truncated.no_answer_reason


def test_cot_and_direct_modes_read_the_stated_answer() -> None:
    text = "Step 1: fever.\nStep 2: rust sputum.\nFinal diagnosis: Lobar pneumonia"
    assert extract(text, "stop", "cot", "diagnosis").answer == "Lobar pneumonia"
    assert extract(text, "length", "cot", "diagnosis").answer is None
    # A reasoning model's <think> block is parsed; only its final response counts.
    r1 = "<think>maybe asthma</think>\n最终诊断：大叶性肺炎"
    assert extract(r1, "stop", "cot", "diagnosis").answer == "大叶性肺炎"
    assert extract("Step 1: fever. Step 2: cough. Hard to say.", "stop", "direct", "diagnosis").answer is None
    mcq = extract("<think>A is wrong</think>\nAnswer: C", "stop", "trained", "mcq", OPTIONS)
    assert mcq.answer == "C" and mcq.thinking == "A is wrong"


def test_base_model_prose_is_graded_by_what_it_commits_to() -> None:
    """Issue 18: a base model answering in prose (cot mode, no reasoning markers)."""
    bpd = "Oxygen at 36 weeks. The most likely diagnosis in this case is bronchopulmonary dysplasia (BPD)"
    assert extract(bpd, "stop", "cot", "diagnosis").answer == "bronchopulmonary dysplasia"
    refused = extract(
        "Pulmonary embolism? This diagnosis is highly unlikely and should not be considered.",
        "stop",
        "cot",
        "diagnosis",
    )
    assert refused.answer is None and refused.no_answer_reason == "no diagnosis stated"
    zh = extract("患者发热咳嗽，诊断考虑社区获得性肺炎，不考虑肺结核。", "stop", "direct", "diagnosis")
    assert zh.answer == "社区获得性肺炎"
    cut_text = "The most likely diagnosis is infective endocarditis. Treatment"
    cut = extract(cut_text, "length", "cot", "diagnosis")
    assert cut.answer is None and "truncated" in cut.no_answer_reason


def test_model_argument_syntax() -> None:
    m = ModelUnderTest.parse("gpt=openai:gpt-4o@http://127.0.0.1:9/v1#direct")
    assert (m.name, m.spec, m.mode) == ("gpt", "openai:gpt-4o@http://127.0.0.1:9/v1", "direct")
    assert ModelUnderTest.parse("openai:gpt-4o").name == "gpt-4o-cot"
    assert ModelUnderTest(spec="/models/qwen7b", mode="trained").name == "qwen7b-trained"
    with pytest.raises(ConfigError, match="mode"):
        ModelUnderTest.parse("openai:gpt-4o#think")
    with pytest.raises(ConfigError):
        ModelUnderTest.parse("not a spec at all")


def test_sampling_several_needs_temperature() -> None:
    with pytest.raises(ValueError, match="temperature"):
        EvalConfig(samples=4)
    assert EvalConfig(samples=4, temperature=0.7).samples == 4


def test_trained_prompt_is_the_sft_prompt() -> None:
    item = load_items(Path(__file__).parents[1] / "src/clinical_r1/data/samples/records.jsonl", limit=1)[0]
    messages = build_messages(item, "trained", EvalConfig())
    assert messages == [
        {"role": "system", "content": DEFAULT_SYSTEM_PROMPTS[item.language]},
        {"role": "user", "content": item.question},
    ]
    cot = build_messages(item, "cot", EvalConfig())
    assert len(cot) == 1 and cot[0]["content"].startswith(item.question.strip())
    assert "Final diagnosis:" in cot[0]["content"]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_bench_layout_keeps_stratum_and_errors_name_the_line(tmp_path: Path) -> None:
    row = {"id": "b1", "language": "en", "department": "Cardiology", "case": "chest pain", "diagnosis": "MI"}
    row |= {"icd10": "I21.9", "source": "s", "meta": {}, "stratum": "category:I21", "split": "test"}
    items = load_items(_write(tmp_path / "bench.jsonl", [row, {**row, "id": "b2", "department": None}]))
    assert [(i.id, i.stratum, i.department) for i in items] == [
        ("b1", "category:I21", "Cardiology"),
        ("b2", "category:I21", "(no department)"),
    ]
    with pytest.raises(RecordError, match=r"bad\.jsonl:2.*diagnosis"):
        load_items(_write(tmp_path / "bad.jsonl", [row, {**row, "id": "b3", "diagnosis": ""}]))
    with pytest.raises(
        RecordError, match=r"dup\.jsonl:3: field 'id': duplicate item id 'b1' \(first on line 1\)"
    ):
        load_items(_write(tmp_path / "dup.jsonl", [row, {**row, "id": "b2"}, row]))


def test_a_duplicate_id_in_an_imported_file_names_both_lines(tmp_path: Path) -> None:
    question = {"question": "Which drug first?", "options": {"A": "aspirin", "B": "heparin"}}
    rows = [{**question, "realidx": n, "answer": "aspirin", "answer_idx": "A"} for n in (7, 8, 7)]
    with pytest.raises(
        RecordError, match=r"medqa\.jsonl:3: field 'id': duplicate item id '.*-7' \(first on line 1\)"
    ):
        load_items(_write(tmp_path / "medqa.jsonl", rows))


def test_medqa_files_load_as_multiple_choice(shared_data: Path) -> None:
    usmle = load_items(shared_data / "medqa_usmle/test.jsonl", limit=50)
    mcmle = load_items(shared_data / "medqa_mcmle/test.json", limit=50)
    assert len(usmle) == len(mcmle) == 50
    assert {i.task for i in usmle + mcmle} == {"mcq"}
    assert {i.language for i in usmle} == {"en"} and {i.language for i in mcmle} == {"zh"}
    assert all(i.reference in (i.options or {}) for i in usmle + mcmle)
    # The same file read for its diagnosis stems gives open-ended records instead.
    stems = load_items(shared_data / "medqa_usmle/test.jsonl", task="diagnosis")
    assert stems and {i.task for i in stems} == {"diagnosis"}
