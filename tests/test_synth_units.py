"""Synthesis building blocks: the teacher's JSON, the prompt templates, the config."""

from __future__ import annotations

import json

import pytest

from clinical_r1.config import ConfigError, validate_config
from clinical_r1.synth.config import SynthConfig
from clinical_r1.synth.cot import MalformedReply, conclusion, parse_chain, parse_natural, steps_json
from clinical_r1.synth.search import derive_seed
from clinical_r1.synth.templates import STRATEGIES, TEMPLATE_FIELDS, load_prompts

CHAIN = {
    "CoT": [
        {"action": "Inner Thinking", "title": "Findings", "content": "Fever and consolidation."},
        {"action": "Final Conclusion", "content": "Lobar pneumonia"},
        {"action": "Verification", "content": "Fits."},
    ]
}


def test_chain_is_read_from_plain_fenced_and_chatty_replies() -> None:
    plain = json.dumps(CHAIN)
    for reply in (plain, f"```json\n{plain}\n```", f"Here you go:\n{plain}\nHope it helps."):
        steps = parse_chain(reply)
        assert [s.action for s in steps] == ["Inner Thinking", "Final Conclusion", "Verification"]
        assert conclusion(steps) == "Lobar pneumonia"
    # raw newlines inside strings (common in teacher output) are accepted
    assert parse_chain(plain.replace("Fever and", "Fever\nand"))[0].content == "Fever\nand consolidation."


def test_chinese_action_names_are_understood() -> None:
    chain = {
        "CoT": [
            {"action": "内部思考", "title": "a", "content": "x"},
            {"action": "最终结论", "content": "大叶性肺炎"},
            {"action": "验证", "content": "y"},
        ]
    }
    assert conclusion(parse_chain(json.dumps(chain, ensure_ascii=False))) == "大叶性肺炎"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("no json here", "no JSON object"),
        ('{"CoT": [', "not valid JSON"),
        ('{"steps": []}', '"CoT" list'),
        (json.dumps({"CoT": CHAIN["CoT"][:2]}), "must end with"),
        (json.dumps({"CoT": [{"action": "Thinking", "content": "x"}]}), "has action"),
        (
            json.dumps({"CoT": [*CHAIN["CoT"][:1], {"action": "Final Conclusion"}, CHAIN["CoT"][2]]}),
            "content",
        ),
    ],
)
def test_malformed_chains_say_why(reply: str, reason: str) -> None:
    with pytest.raises(MalformedReply, match=reason):
        parse_chain(reply)


def test_continuation_must_start_with_verification() -> None:
    with pytest.raises(MalformedReply, match="start with"):
        parse_chain(json.dumps(CHAIN), continuation=True)
    more = {"CoT": [{"action": "Verification", "content": "wrong"}, *CHAIN["CoT"]]}
    assert len(parse_chain(json.dumps(more), continuation=True)) == 4


def test_natural_reasoning_needs_lines() -> None:
    assert parse_natural(json.dumps({"NaturalReasoning": "Hmm.\nWait."})) == "Hmm.\nWait."
    with pytest.raises(MalformedReply, match="own line"):
        parse_natural(json.dumps({"NaturalReasoning": "one line only"}))


def test_steps_json_round_trips_through_the_parser() -> None:
    steps = parse_chain(json.dumps(CHAIN))
    assert parse_chain(json.dumps({"CoT": json.loads(steps_json(steps))})) == steps


@pytest.mark.parametrize("language", ["en", "zh"])
def test_bundled_prompts_render_every_template(language: str) -> None:
    prompts = load_prompts(language)
    assert set(prompts.templates) == set(TEMPLATE_FIELDS)
    values = {"question": "CASE {x} $y", "reasoning": "R", "reference": "REF", "thinking": "T", "error": "E"}
    for name, fields in TEMPLATE_FIELDS.items():
        text = prompts.render(name, **{f: values[f] for f in fields})
        for field in fields:
            assert values[field] in text
    marker = {"en": "hmm", "zh": "嗯"}[language]
    assert marker in prompts.render("rewrite", question="q", reasoning="r")


def test_prompt_override_replaces_one_file_and_is_checked(tmp_path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "initial.txt").write_text("Diagnose: ${question}", encoding="utf-8")
    prompts = load_prompts("en", tmp_path)
    assert prompts.render("initial", question="Q") == "Diagnose: Q"
    assert prompts.sources["rewrite"].parent.parent.name == "prompts"  # the rest stay bundled
    assert prompts.fingerprint() != load_prompts("en").fingerprint()
    (tmp_path / "en" / "initial.txt").write_text("Diagnose: ${case}", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"initial.txt.*missing \$\{question\}.*unknown \$\{case\}"):
        load_prompts("en", tmp_path)


def test_config_checks_strategies_and_parses_teacher() -> None:
    config = validate_config({"teacher": "openai:m@http://127.0.0.1:9/v1"}, SynthConfig)
    assert config.teacher.model == "m" and config.strategies == list(STRATEGIES)
    with pytest.raises(ConfigError, match="strategies"):
        validate_config({"teacher": "openai:m", "strategies": ["backtracking"]}, SynthConfig)
    with pytest.raises(ConfigError, match="max_depth"):
        validate_config({"teacher": "openai:m", "max_depth": -1}, SynthConfig)
    fast = config.model_copy(update={"concurrency": 99})
    assert fast.search_fingerprint() == config.search_fingerprint()
    assert config.model_copy(update={"seed": 1}).search_fingerprint() != config.search_fingerprint()


def test_derived_seeds_are_stable_and_distinct() -> None:
    assert derive_seed(0, "r1", "initial", 1) == derive_seed(0, "r1", "initial", 1)
    assert len({derive_seed(0, "r1", "initial", a) for a in range(1, 4)}) == 3
    assert 0 <= derive_seed("x") < 2**31
