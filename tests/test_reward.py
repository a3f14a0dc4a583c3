"""The 1 / 0.1 / 0 reward through the shared parser and verifier; the judge sees each pair once."""

from __future__ import annotations

import pytest

from clinical_r1.formatting import render
from clinical_r1.llm import ModelSpec, build_llm
from clinical_r1.testing.fake_openai_server import running_server
from clinical_r1.train.reward import RewardConfig, Rewarder, outcome_shares
from clinical_r1.verify import Verifier, VerifierConfig

REASONED_RIGHT = render("Fever, cough and a lobar consolidation.", "Final diagnosis: pneumonia")
REASONED_WRONG = render("Chest pain radiating to the back.", "Final diagnosis: aortic dissection")
MARKDOWN_RIGHT = render("Fever and crackles.", "Diagnosis: pneumonia", style="markdown")


def test_right_wrong_no_reasoning_and_malformed_outputs() -> None:
    rewarder = Rewarder()
    outputs = [
        REASONED_RIGHT,
        REASONED_WRONG,
        "Final diagnosis: pneumonia",  # right answer, but no reasoning before it
        "<think>\n\n</think>\n\nFinal diagnosis: pneumonia",  # empty reasoning
        "<think>fever and cough... Final diagnosis: pneumonia",  # never closes the reasoning
        "<think>a</think>Diagnosis: pneumonia</think>Diagnosis: asthma",  # two answers
        MARKDOWN_RIGHT,  # the other style: invalid for an r1-trained model, as in evaluation
    ]
    details = rewarder.score_details(outputs, ["pneumonia"] * len(outputs))
    assert [d.score for d in details] == [1.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert [d.outcome for d in details][:3] == ["correct", "wrong", "no_reasoning"]
    assert details[0].source == "rule" and details[2].source == "parser"
    assert details[1].diagnosis == "aortic dissection"
    assert details[6].source == "parser" and details[6].reason == "no closing </think> tag"
    assert rewarder.outcomes == {"correct": 1, "wrong": 1, "no_reasoning": 5}
    assert outcome_shares(details)["no_reasoning"] == 5 / 7


@pytest.mark.parametrize(
    ("style", "scores"), [("r1", [1.0, 0.0]), ("markdown", [0.0, 1.0]), (None, [1.0, 1.0])]
)
def test_the_trained_style_is_parsed_strictly_and_none_detects(
    style: str | None, scores: list[float]
) -> None:
    assert RewardConfig().style == "r1"  # SFT's default style
    rewarder = Rewarder(RewardConfig(style=style))
    assert rewarder.score_many([REASONED_RIGHT, MARKDOWN_RIGHT], ["pneumonia"] * 2) == scores


def test_truncated_generation_scores_zero_even_when_it_parses() -> None:
    rewarder = Rewarder()
    assert rewarder.score_many([REASONED_RIGHT] * 2, ["pneumonia"] * 2, truncated=[False, True]) == [1.0, 0.0]


def test_values_are_configurable_and_undecided_counts_as_wrong() -> None:
    rewarder = Rewarder(
        RewardConfig(correct=2.0, wrong=-0.5, no_reasoning=-1.0),
        verifier_config=VerifierConfig(rules=False, codes=False),  # nothing can decide -> undecided
    )
    details = rewarder.score_details([REASONED_RIGHT, "no reasoning at all"], ["pneumonia", "pneumonia"])
    assert [d.score for d in details] == [-0.5, -1.0]
    assert details[0].source == "none" and details[0].reason.startswith("undecided")


def test_reasoned_answer_without_a_diagnosis_is_wrong() -> None:
    text = render("Several possibilities here.", "It could be many things; more tests are needed?")
    assert Rewarder().score_many([text], ["pneumonia"]) == [0.1]


def test_chinese_output_and_reference() -> None:
    text = render("发热、咳嗽，右下肺实变。", "最终诊断：社区获得性肺炎")
    assert Rewarder().score_many([text], ["肺炎"], languages=["zh"]) == [1.0]


def test_judge_is_called_once_per_distinct_pair_across_batches() -> None:
    # Pairs neither rules nor codes can decide (issue 15 made angina / MI and aspiration pneumonia /
    # pneumonia decidable offline, so they no longer reach the judge).
    unclear = render("Cold intolerance, weight gain.", "Final diagnosis: underactive thyroid")
    other = render("Crackles, orthopnoea.", "Final diagnosis: water on the lungs")
    with running_server('{"match": true, "reason": "same disease"}') as server:
        llm = build_llm(ModelSpec.parse(f"openai:judge@{server.base_url}"))
        rewarder = Rewarder(verifier=Verifier(VerifierConfig(judge=True), llm=llm))
        refs = ["hypothyroidism", "pulmonary edema", "hypothyroidism", "pneumonia"]
        first = rewarder.score_details([unclear, other, unclear, REASONED_RIGHT], refs)
        second = rewarder.score_details([other, unclear], ["pulmonary edema", "hypothyroidism"])
        requests = len(server.requests)
    assert requests == 2  # two distinct unclear pairs; the clear one is decided by the rules
    assert [d.score for d in first + second] == [1.0] * 6
    assert [d.source for d in first] == ["judge", "judge", "judge", "rule"]
    assert rewarder.verifier_calls == 3 and rewarder.sources["judge"] == 5
