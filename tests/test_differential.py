"""The ranked differential section: render in both styles and languages, parse what real models write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinical_r1.differential import (
    DifferentialEntry,
    differential_instruction,
    parse_differential,
    render_differential,
)
from clinical_r1.evaluate.grading import extract
from clinical_r1.formatting import parse, render
from clinical_r1.records import write_jsonl
from clinical_r1.synth.config import SynthConfig
from clinical_r1.synth.fake_teacher import FakeTeacher, make_records
from clinical_r1.synth.runner import run_synthesis
from clinical_r1.testing.fake_openai_server import running_server
from clinical_r1.training_example import read_examples

ENTRIES = [("Community-acquired pneumonia (lobar)", 0.6), ("Acute bronchitis", 0.125), ("Type 2 MI", 0.05)]
ZH_ENTRIES = [("社区获得性肺炎", 0.6), ("急性支气管炎", 0.25), ("肺栓塞", 0.1)]


@pytest.mark.parametrize("style", ["r1", "markdown"])
@pytest.mark.parametrize(("language", "entries"), [("en", ENTRIES), ("zh", ZH_ENTRIES)])
def test_render_then_parse_round_trips(style: str, language: str, entries: list) -> None:
    label = "最终诊断：" if language == "zh" else "Final diagnosis: "
    section = render_differential(entries, language, style)  # type: ignore[arg-type]
    response = f"{label}{entries[0][0]}\n\n{section}\n"
    text = render("The findings point to an infection.", response, style)  # type: ignore[arg-type]
    parsed = parse(text, style=style)  # type: ignore[arg-type]
    assert parsed.valid and parsed.diagnosis == entries[0][0]
    assert parsed.differential is not None and parsed.differential.error is None
    assert [(e.diagnosis, e.probability) for e in parsed.differential.entries] == entries


def test_rendered_forms() -> None:
    assert render_differential(ENTRIES[:2]) == (
        "Differential diagnosis:\n1. Community-acquired pneumonia (lobar) (60%)\n2. Acute bronchitis (12.5%)"
    )
    assert render_differential(ZH_ENTRIES[:1], "zh") == "鉴别诊断：\n1. 社区获得性肺炎（60%）"
    assert render_differential(ENTRIES[:1], "en", "markdown") == (
        "### Differential diagnosis\n\n1. **Community-acquired pneumonia (lobar)** (60%)"
    )


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "at least one"),
        ([("X", 0.7), ("Y", 0.5)], "sum to 1.200"),
        ([("X", 1.5)], "not in [0, 1]"),
        ([(" ", 0.5)], "empty diagnosis"),
    ],
)
def test_render_refuses_bad_differentials(entries: list, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        render_differential(entries)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # the forms real models write, in both languages
        ("Final diagnosis: Pneumonia\n\nDifferential diagnosis:\n1. Pneumonia (60%)\n"
         "2. Acute bronchitis (25%)\n3. Pulmonary embolism (10%)\n\nNext steps: chest X-ray.",
         [("Pneumonia", 0.6), ("Acute bronchitis", 0.25), ("Pulmonary embolism", 0.1)]),
        ("鉴别诊断：1. 社区获得性肺炎（60%）；2. 急性支气管炎（30%）",
         [("社区获得性肺炎", 0.6), ("急性支气管炎", 0.3)]),
        ("**Differential Diagnoses:**\n- Pneumonia - 0.6\n- Bronchitis - 0.3\n\nPlan: antibiotics",
         [("Pneumonia", 0.6), ("Bronchitis", 0.3)]),
        ("## Differential diagnosis (ranked)\n1. **Pneumonia**: 60% — fever and consolidation\n"
         "   - supports: crackles\n2. **Bronchitis**: 30%\nManagement:\n- amoxicillin",
         [("Pneumonia", 0.6), ("Bronchitis", 0.3)]),
        ("Differential: Pneumonia (60%), Bronchitis (30%), PE (5%)",
         [("Pneumonia", 0.6), ("Bronchitis", 0.3), ("PE", 0.05)]),
        ("Differential diagnosis:\n1. Type 2 diabetes mellitus (p=0.5)\n2) Type 1 diabetes mellitus "
         "(probability 0.3)\n(3) MODY (0.1)",
         [("Type 2 diabetes mellitus", 0.5), ("Type 1 diabetes mellitus", 0.3), ("MODY", 0.1)]),
        ("鉴别诊断（按可能性排序）：\n1、肺炎，概率约60%\n2、支气管炎，可能性30%\n\n下一步：胸片",
         [("肺炎", 0.6), ("支气管炎", 0.3)]),
        ("鉴别诊断:\nPneumonia 0.6\nBronchitis 0.2\n", [("Pneumonia", 0.6), ("Bronchitis", 0.2)]),
        # full-width digits and percent signs (NFKC)
        ("鉴别诊断：\n１．肺炎（６０％）\n２．哮喘（２０％）", [("肺炎", 0.6), ("哮喘", 0.2)]),
        # a repeated entry is dropped
        ("Differential diagnosis:\n1. Asthma (50%)\n2. asthma (20%)\n3. COPD (20%)",
         [("Asthma", 0.5), ("COPD", 0.2)]),
    ],
)  # fmt: skip
def test_parse_tolerates_real_model_output(response: str, expected: list) -> None:
    differential = parse_differential(response)
    assert differential is not None and differential.error is None
    assert [(e.diagnosis, e.probability) for e in differential.entries] == expected


@pytest.mark.parametrize(
    ("response", "error"),
    [
        ("Differential diagnosis:\n1. X (70%)\n2. Y (50%)", "probabilities sum to 1.20, more than 1"),
        ("Differential diagnosis:\n1. X\n2. Y", "no probabilities stated"),
        ("Differential diagnosis:\n1. X (60%)\n2. Y", "no probability for entry [2]"),
        ("Differential diagnosis:\n1. X (160%)", "a probability is more than 100%"),
    ],
)
def test_unusable_probabilities_keep_the_ranking_with_a_reason(response: str, error: str) -> None:
    differential = parse_differential(response)
    assert differential is not None
    assert differential.error == error and not differential.probabilities_valid
    assert [e.diagnosis for e in differential.entries][:1] == ["X"]


def test_rounding_up_to_one_percent_over_is_accepted() -> None:
    differential = parse_differential("Differential diagnosis:\n1. A (34%)\n2. B (34%)\n3. C (33%)")
    assert differential is not None and differential.probabilities_valid


@pytest.mark.parametrize(
    "response",
    [
        "Final diagnosis: Pneumonia",
        "The differential diagnosis includes pneumonia and bronchitis.",
        "Differential diagnosis:\n\nFinal diagnosis: Pneumonia",
        # prose about the alternatives on the heading's line is not a ranking
        "最终诊断：大叶性肺炎\n鉴别诊断：需与肺栓塞、肺结核鉴别。",
        "Differential diagnosis: pulmonary embolism and tuberculosis should be excluded.",
        "",
    ],
)
def test_no_stated_differential(response: str) -> None:
    assert parse_differential(response) is None


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # lists without probabilities: a ranking without confidence; explanations are not part of a name
        ("Top differentials:\n1) Hypertrophic cardiomyopathy (HCM)\n2) Aortic stenosis\n3) Athlete's heart\n"
         "The murmur increasing with Valsalva makes HCM the leading diagnosis.",
         ["Hypertrophic cardiomyopathy (HCM)", "Aortic stenosis", "Athlete's heart"]),
        ("Differential diagnosis:\n1. Community-acquired pneumonia - most likely given fever and crackles\n"
         "2. Acute bronchitis\n3. Lung abscess",
         ["Community-acquired pneumonia", "Acute bronchitis", "Lung abscess"]),
        ("鉴别诊断：\n1. 急性胆管炎（最可能，存在Charcot三联征）\n2. 急性胆囊炎\n3. 病毒性肝炎",
         ["急性胆管炎", "急性胆囊炎", "病毒性肝炎"]),
        ("## 鉴别诊断\n- **肺炎**\n- **心力衰竭**\n- **肺栓塞**\n\n需进一步完善病史。",
         ["肺炎", "心力衰竭", "肺栓塞"]),
    ],
)  # fmt: skip
def test_rankings_without_probabilities(response: str, expected: list[str]) -> None:
    differential = parse_differential(response)
    assert differential is not None and differential.error == "no probabilities stated"
    assert [e.diagnosis for e in differential.entries] == expected


def test_the_one_extractor_decides_the_diagnosis_of_a_response_with_a_differential() -> None:
    # parse(), evaluation and synthesis give the response to formatting.extract_diagnosis as it is: an
    # entry marked "most likely" may be the committed diagnosis, as the labelled free-form answers say.
    response = "Differential diagnosis:\n1. Pneumonia (60%)\n2. Asthma (20%)\n\nFinal diagnosis: Pneumonia"
    parsed = parse(f"<think>r</think>\n{response}")
    assert parsed.valid and parsed.diagnosis == "Pneumonia" and parsed.differential is not None
    assert extract(response, "stop", "cot", "diagnosis").answer == "Pneumonia"


def test_instruction_names_k_and_the_form() -> None:
    assert "up to 3 diagnoses" in differential_instruction("en", 3)
    assert "Differential diagnosis:" in differential_instruction("en", 3)
    zh = differential_instruction("zh", 5)
    assert "最多5个" in zh and "鉴别诊断：" in zh
    with pytest.raises(ValueError, match="language"):
        differential_instruction("fr", 3)


def test_entry_type_is_accepted_by_render() -> None:
    assert render_differential([DifferentialEntry("Gout", 0.9)]) == "Differential diagnosis:\n1. Gout (90%)"


# --- synthesis asks the teacher for it ------------------------------------------------------------


def test_synthesis_asks_the_teacher_for_a_differential_when_configured(tmp_path: Path) -> None:
    teacher = FakeTeacher()
    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial"]) + make_records(["initial"], "zh", "zh"))
    with running_server(teacher) as server:
        spec = f"openai:fake-teacher@{server.base_url}"
        stats = run_synthesis(SynthConfig(teacher=spec, differential=True, differential_k=3), records,
                              tmp_path / "on", progress=False)  # fmt: skip
        asked = [r.user_text for r in server.requests if "<internal thinking>" in r.user_text
                 or "<内部思考>" in r.user_text]  # fmt: skip
        plain = run_synthesis(SynthConfig(teacher=spec), records, tmp_path / "off", progress=False)
    assert stats.examples == 2 and plain.examples == 2
    assert len(asked) == 2 and all("up to 3 diagnoses" in t or "最多3个" in t for t in asked)
    examples = {e.language: e for e in read_examples(tmp_path / "on" / "examples.jsonl")}
    assert parse_differential(examples["en"].response).entries[0] == DifferentialEntry("Lobar pneumonia", 0.7)
    assert parse_differential(examples["zh"].response).entries[1] == DifferentialEntry("肺栓塞", 0.2)
    plain_examples = list(read_examples(tmp_path / "off" / "examples.jsonl"))
    assert all(parse_differential(e.response) is None for e in plain_examples)
    # The option changes what the search produces; off, the fingerprint is that of earlier configs.
    assert SynthConfig(teacher=spec).search_fingerprint() != SynthConfig(
        teacher=spec, differential=True
    ).search_fingerprint()


def test_synthesis_drops_a_response_without_the_differential_asked_for(tmp_path: Path) -> None:
    teacher = FakeTeacher()

    def script(request: dict) -> str:
        reply = teacher(request)
        return reply.split("\n\nDifferential diagnosis:")[0]  # the teacher ignores the request

    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial"]))
    with running_server(script) as server:
        config = SynthConfig(teacher=f"openai:fake-teacher@{server.base_url}", differential=True)
        stats = run_synthesis(config, records, tmp_path / "out", progress=False)
    assert stats.examples == 0 and stats.dropped == {"differential_invalid": 1}
    reject = json.loads((tmp_path / "out" / "rejects.jsonl").read_text("utf-8"))
    assert "none stated" in json.dumps(reject)
