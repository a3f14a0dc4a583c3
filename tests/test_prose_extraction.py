"""The committed diagnosis in free-form answers (issue 18 item 3): the labelled set, its figures, and
the styles base models write (examples here are written for these tests, not taken from the set)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from clinical_r1.formatting import extract_diagnosis

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def _benchmark():
    path = ROOT / "benchmarks" / "prose_extraction.py"
    spec = importlib.util.spec_from_file_location("prose_extraction", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _benchmark()


def _rows(name: str) -> list[dict]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


# --- the labelled set ------------------------------------------------------------------------------


def test_labelled_set_is_well_formed(bench) -> None:
    tune, heldout = _rows("freeform_answers_tune.jsonl"), _rows("freeform_answers_heldout.jsonl")
    rows = tune + heldout
    assert len(rows) >= 300 and len(heldout) >= 100
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == len(ids)
    assert {row["answer"] for row in tune}.isdisjoint(row["answer"] for row in heldout)
    assert {row["language"] for row in tune} == {row["language"] for row in heldout} == {"en", "zh"}
    for row in rows:
        assert set(row) == {"id", "language", "style", "answer", "diagnosis", "accept"}, row["id"]
        assert row["answer"].strip(), row["id"]
        if row["diagnosis"] is None:
            assert row["accept"] == [], row["id"]
        else:  # the label (or an accepted form) is written in the answer
            forms = [row["diagnosis"], *row["accept"]]
            assert any(bench.normalise(form) in bench.normalise(row["answer"]) for form in forms), row["id"]
    styles = {row["style"] for row in rows}
    assert {"negation", "hedge", "none", "truncated", "markdown", "abbreviation", "list"} <= styles
    assert {"kaolv", "zuikeneng", "chubu", "most_likely", "consistent_with", "suspected"} <= styles
    assert sum(row["diagnosis"] is None for row in rows) >= 80


def test_same_name_rule(bench) -> None:
    row = {"diagnosis": "Graves' disease", "accept": ["Graves disease (GD)"]}
    assert bench.same_name("graves disease", row)
    assert bench.same_name("the Graves’ disease", row)
    assert bench.same_name("Graves disease (GD)", row)
    assert not bench.same_name("Graves", row)
    assert not bench.same_name("Graves' disease with ophthalmopathy", row)


# Figures printed by `.venv/bin/python benchmarks/prose_extraction.py --heldout --quiet` (README of the set:
# tests/data/LABELLED_SETS.md). A change in the parser that moves any of them must update them here and in
# docs/verifier.md, with the reason.
PINNED = {
    # reader, split: (right, labelled, missed, wrong on labelled, null right, null rows, wrong on null)
    ("extract_diagnosis", "tune"): (136, 140, 2, 2, 62, 62, 0),
    ("grading", "tune"): (136, 140, 2, 2, 62, 62, 0),  # 134, 4 missed while grading hid differentials
    # scored once, after tuning (commit 86226ff); its rows were not looked at
    ("extract_diagnosis", "heldout"): (86, 93, 3, 4, 30, 35, 5),
    ("grading", "heldout"): (86, 93, 3, 4, 30, 35, 5),
}


@pytest.mark.parametrize(("reader", "split"), sorted(PINNED))
def test_figures_on_the_labelled_set(bench, reader: str, split: str) -> None:
    rows = _rows(f"freeform_answers_{'tune' if split == 'tune' else 'heldout'}.jsonl")
    s = bench.score(rows, bench.READERS[reader])
    got = (s.right, s.labelled, s.missed, s.wrong_on_labelled, s.null_right, s.null_rows, s.wrong_on_null)
    assert got == PINNED[(reader, split)], bench.summary(f"{reader}, {split}", s)


# --- styles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # the two answers of issue 18
        ("The infant was born at 26 weeks and still needs oxygen. The most likely diagnosis in this case "
         "is bronchopulmonary dysplasia (BPD).", "bronchopulmonary dysplasia"),
        ("Widespread wheeze after a peanut snack, with lip swelling and hypotension. The picture is most "
         "consistent with anaphylaxis.", "anaphylaxis"),
        ("Renal colic is suspected, so a CT KUB is planned.", "Renal colic"),
        ("Right iliac fossa mass with weight loss in a 70-year-old: I suspect caecal carcinoma.",
         "caecal carcinoma"),
        ("Migraine is unlikely given the sudden onset. The most probable diagnosis is subarachnoid "
         "haemorrhage.", "subarachnoid haemorrhage"),
        ("Heart failure was ruled out by a normal BNP. The patient most likely has a pleural effusion "
         "from the known lung cancer.", "pleural effusion from the known lung cancer"),
        ("Sarcoidosis is the most likely diagnosis here.", "Sarcoidosis"),
        ("Answer: the most likely diagnosis is giant cell arteritis. Start steroids today.",
         "giant cell arteritis"),
        ("### Most likely diagnosis\n**Acute pericarditis (AP)**", "Acute pericarditis (AP)"),
        ("**Impression:** lateral epicondylitis", "lateral epicondylitis"),
        ("Likely scarlet fever.", "scarlet fever"),
        ("患者反复上腹痛，胃镜见胃角溃疡。诊断考虑胃溃疡。", "胃溃疡"),
        ("综合病史及检查，最可能的诊断是急性肾小球肾炎，建议完善补体检查。", "急性肾小球肾炎"),
        ("初步诊断：1. 慢性肾脏病5期\n2. 肾性贫血", "慢性肾脏病5期"),
        ("【初步诊断】腰椎管狭窄症", "腰椎管狭窄症"),
        ("不考虑肺癌。结合痰培养结果，考虑肺脓肿可能性大。", "肺脓肿"),
        ("阵发性心悸，心电图示预激波，考虑预激综合征可能。", "预激综合征"),
        ("该患儿得的是麻疹。", "麻疹"),
        ("## Diagnosis\nAcute gout", "Acute gout"),
        ("诊断：社区获得性肺炎，建议抗感染治疗", "社区获得性肺炎"),
        ("Diagnosis: Pneumonia (right lower lobe is involved)", "Pneumonia (right lower lobe is involved)"),
    ],
)
def test_committed_diagnosis_is_found(answer: str, expected: str) -> None:
    assert extract_diagnosis(answer) == expected


@pytest.mark.parametrize(
    "answer",
    [
        # negated mentions
        "This diagnosis is highly unlikely and should not be considered: pneumothorax.",
        "Sepsis has been ruled out. Pneumonia is unlikely with a clear film.",
        "The most likely diagnosis is not gout, as no crystals were seen.",
        "Lupus should not be considered in this patient.",
        "不考虑急性胰腺炎，血淀粉酶正常。",
        "CT已排除主动脉夹层，胸痛原因待查。",
        "肺结核可能性小，暂不支持。",
        # hedges and alternatives
        "It could be gout or it could be septic arthritis; aspiration is needed.",
        "Cannot rule out appendicitis.",
        "Diagnosis: cholecystitis vs. cholangitis",
        "诊断：胆囊炎？胆管炎？",
        "可能是偏头痛，也可能是紧张性头痛。",
        "不除外颅内感染，需腰穿。",
        # no diagnosis, questions, descriptions, option letters
        "What is the most likely diagnosis?",
        "最可能的诊断是什么？",
        "The diagnosis is unclear; more tests are needed.",
        "This is a 52-year-old woman with fatigue.",
        "The patient has a history of asthma and smokes.",
        "The final answer is B.",
        "需要综合考虑患者的年龄、病史和检查结果。",
        "鉴别诊断考虑：1. 胃炎；2. 胃溃疡。",
        "Please give more information.",
        "## Diagnosis\n\nThe diagnosis is uncertain.",
        "Diagnosis: I would need more information",
        "## Differential Diagnosis\n- gout\n- pseudogout",
    ],
)
def test_no_commitment_gives_none(answer: str) -> None:
    assert extract_diagnosis(answer) is None


def test_weak_cues_count_only_where_the_answer_concludes() -> None:
    # "this is X" early in the reasoning is a description; the last sentence is the conclusion.
    assert extract_diagnosis("This is an elderly smoker. The cough is chronic. This is COPD.") == "COPD"
    assert extract_diagnosis("This is an emergency presentation. We should act fast.") is None
    # a strong statement beats a weak one wherever it stands
    text = "The most likely diagnosis is acute glaucoma. This is an eye emergency."
    assert extract_diagnosis(text) == "acute glaucoma"


LOOPS = ["考虑" * 2000, "最可能的诊断是" * 500, "is suspected " * 500, "This is " * 500]


@pytest.mark.parametrize("text", LOOPS)
def test_a_looping_output_states_nothing(text: str) -> None:
    """A small model caught in a loop repeats a cue; no name comes out of it (the time it takes is
    measured by `benchmarks/prose_extraction.py --speed`, linear in the length)."""
    assert extract_diagnosis(text) is None
