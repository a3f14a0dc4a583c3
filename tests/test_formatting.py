"""The output parser: one format for every stage, malformed outputs become 'no valid answer'."""

from __future__ import annotations

import pytest

from clinical_r1.formatting import ParsedOutput, extract_diagnosis, parse, render


@pytest.mark.parametrize("style", ["r1", "markdown"])
def test_render_then_parse_round_trips(style: str) -> None:
    text = render("Fever and consolidation suggest infection.", "Final diagnosis: Lobar pneumonia", style)
    parsed = parse(text)
    assert parsed.valid and parsed.error is None
    assert parsed.has_reasoning
    assert parsed.thinking == "Fever and consolidation suggest infection."
    assert parsed.response == "Final diagnosis: Lobar pneumonia"
    assert parsed.diagnosis == "Lobar pneumonia"
    assert parse(text, style=style).diagnosis == "Lobar pneumonia"


def test_render_rejects_unknown_style() -> None:
    with pytest.raises(ValueError, match="unknown output style"):
        render("a", "b", "xml")  # type: ignore[arg-type]


def test_missing_opening_tag_is_accepted_when_closing_tag_present() -> None:
    # Chat templates often put <think> in the prompt, so the completion starts inside the reasoning.
    parsed = parse("The troponin is high.\n</think>\n\nDiagnosis: Acute myocardial infarction")
    assert parsed.valid and parsed.has_reasoning
    assert parsed.thinking == "The troponin is high."
    assert parsed.diagnosis == "Acute myocardial infarction"


def test_markdown_headers_are_tolerant_of_level_and_case() -> None:
    parsed = parse("### thinking\nreasoning here\n### FINAL RESPONSE\n最终诊断：2型糖尿病。")
    assert parsed.valid and parsed.diagnosis == "2型糖尿病"


@pytest.mark.parametrize(
    ("text", "truncated", "error_part"),
    [
        ("<think>reasoning that never ends", False, "no closing </think>"),
        ("<think>a</think>Diagnosis: X</think>Diagnosis: Y", False, "two answers"),
        ("<think>a</think>Diagnosis: X<think>b</think>Diagnosis: Y", False, "two answers"),
        ("<think>a</think>## Final Response\nX\n## Final Response\nY", False, "two answers"),
        ("## Thinking\na\n## Final Response\nX\n## Final Response\nY", False, "two answers"),
        ("<think>   </think>Diagnosis: pneumonia", False, "empty reasoning"),
        ("## Thinking\n\n## Final Response\nDiagnosis: pneumonia", False, "empty reasoning"),
        ("<think>reasoning</think>   ", False, "empty final response"),
        ("<think>reasoning</think>Diagnosis: pneumonia", True, "truncated"),
        ("Diagnosis: pneumonia<think>reasoning</think>", False, "before <think>"),
        ("Diagnosis: pneumonia", False, "no reasoning section"),
        ("## Thinking\nreasoning only", False, "Final Response"),
        ("", False, "no reasoning section"),
    ],
)
def test_malformed_outputs_are_invalid_with_a_reason(text: str, truncated: bool, error_part: str) -> None:
    parsed = parse(text, truncated=truncated)
    assert isinstance(parsed, ParsedOutput)
    assert parsed.valid is False
    assert parsed.diagnosis is None
    assert parsed.error is not None and error_part in parsed.error


def test_invalid_output_has_no_reasoning_credit() -> None:
    assert parse("Diagnosis: X<think>late reasoning</think>").has_reasoning is False
    assert parse("<think>cut off", truncated=True).has_reasoning is False
    assert parse("<think>a</think>X", truncated=True).has_reasoning is False


def test_parse_never_raises_on_odd_input() -> None:
    for text in [None, "</think>", "<think>", "\x00\ufeff</think>\x00", "## Final Response", "<think>" * 5]:
        parsed = parse(text)  # type: ignore[arg-type]
        assert parsed.valid is False


def test_explicit_style_is_respected() -> None:
    text = render("r", "Diagnosis: gout", "markdown")
    assert parse(text, style="r1").valid is False
    assert parse(text, style="markdown").diagnosis == "gout"


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Final diagnosis: Acute MI.", "Acute MI"),
        ("**Final Diagnosis:** Type 2 diabetes mellitus", "Type 2 diabetes mellitus"),
        (
            "**Diagnosis**: Community-acquired pneumonia (right lower lobe).",
            "Community-acquired pneumonia (right lower lobe)",
        ),
        ("Summary of findings.\n\nDiagnosis:\nAcute cholecystitis\n\nPlan: surgery.", "Acute cholecystitis"),
        ("Diagnosis: possible gastritis\nFinal diagnosis: Peptic ulcer disease", "Peptic ulcer disease"),
        ("Putting it together, the final diagnosis: gout. Start colchicine.", "gout"),
        ("The most likely diagnosis is acute appendicitis, given the RLQ pain.", "acute appendicitis"),
        ("The patient most likely has iron deficiency anemia. Check ferritin.", "iron deficiency anemia"),
        ("These findings are most consistent with hypothyroidism.", "hypothyroidism"),
        ("Acute pancreatitis.", "Acute pancreatitis"),
        ("诊断：社区获得性肺炎。", "社区获得性肺炎"),
        ("最终诊断：慢性阻塞性肺疾病急性加重期。", "慢性阻塞性肺疾病急性加重期"),
        ("最可能的诊断是急性阑尾炎。建议手术。", "急性阑尾炎"),
        ("结合病史，考虑为社区获得性肺炎，建议抗感染治疗。", "社区获得性肺炎"),
        ("患者诊断为2型糖尿病，需控制血糖。", "2型糖尿病"),
        ("１．诊断：痛风", "痛风"),  # full-width numbering
        ("急性胰腺炎", "急性胰腺炎"),
        ("诊断：\n1. 社区获得性肺炎\n2. 2型糖尿病", "社区获得性肺炎"),  # primary diagnosis listed first
        ("Diagnosis: 2. Type 2 diabetes mellitus", "Type 2 diabetes mellitus"),
        # issue 18: a base model's prose answer
        (
            "the most likely diagnosis in this case is bronchopulmonary dysplasia (BPD)",
            "bronchopulmonary dysplasia",
        ),
        ("诊断考虑急性肾盂肾炎。", "急性肾盂肾炎"),
        ("Pneumonia is unlikely. Findings are consistent with pulmonary oedema.", "pulmonary oedema"),
    ],
)
def test_extract_diagnosis(response: str, expected: str) -> None:
    assert extract_diagnosis(response) == expected


@pytest.mark.parametrize(
    "response",
    [
        "",
        "Final diagnosis: Pneumonia\nFinal diagnosis: Pulmonary embolism",  # two answers, no commitment
        "诊断：肺炎\n诊断：肺栓塞",
        "Differential diagnosis: A, B, C. We need more tests.",
        "鉴别诊断：肺炎、肺结核",
        "The differential diagnosis is broad and includes sepsis and pneumonia. More tests are needed first.",
        "Several conditions could explain this picture. We should order further tests before concluding.",
        # issue 18: a negated mention is not the answer
        "This diagnosis is highly unlikely and should not be considered",
        "Pulmonary embolism: this diagnosis is highly unlikely and should not be considered.",
        "不考虑肺栓塞。",
    ],
)
def test_no_committed_diagnosis_gives_none(response: str) -> None:
    assert extract_diagnosis(response) is None
