"""The one prompt-template loader: override folders, one-pass filling, checked placeholders, and the
judge prompts a verifier config can replace."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinical_r1 import judge_audit
from clinical_r1.config import ConfigError
from clinical_r1.differential import differential_instruction
from clinical_r1.evaluate.items import EvalItem
from clinical_r1.evaluate.prompts import user_text
from clinical_r1.prompt_templates import PromptTemplate, fill, find_template, load_template
from clinical_r1.synth.templates import load_prompts
from clinical_r1.verify import JUDGE_PROMPTS, VerifierConfig, judge_messages, judge_template


def test_a_value_is_never_filled_again():
    names = ("question", "options")
    template = PromptTemplate("Case: {question}\nOptions:\n{options}", None, "braces", names)
    text = template.render(question="sugar {options} 30% {k}", options="A. x")
    assert text == "Case: sugar {options} 30% {k}\nOptions:\nA. x"
    dollar = PromptTemplate("Q: ${question} R: ${reasoning}", None, "dollar", ("question", "reasoning"))
    assert dollar.render(question="${reasoning}", reasoning="r") == "Q: ${reasoning} R: r"


def test_braces_outside_the_declared_names_are_text():
    assert fill('Reply {"match": true} with up to {k}', k=3) == 'Reply {"match": true} with up to 3'
    assert "up to 4 diagnoses" in differential_instruction("en", 4)


def test_override_folder_wins_and_a_missing_placeholder_names_the_file(tmp_path):
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    (bundled / "a.txt").write_text("bundled {x}")
    override = tmp_path / "mine"
    override.mkdir()
    assert find_template("a.txt", bundled, override) == bundled / "a.txt"
    (override / "a.txt").write_text("mine without it")
    with pytest.raises(ConfigError, match=r"mine/a\.txt: prompt template: missing \{x\}"):
        load_template("a.txt", bundled, override, required=("x",))
    with pytest.raises(FileNotFoundError, match="no prompt template b.txt"):
        find_template("b.txt", bundled, override)


def test_evaluation_templates_fill_a_case_with_braces_verbatim(tmp_path):
    case = "Glucose {options} {k} high."
    item = EvalItem(id="1", language="en", department="", task="diagnosis", question=case, reference="x")
    text = user_text(item, "cot", differential_k=3)
    assert "Glucose {options} {k} high." in text and "up to 3 diagnoses" in text
    (tmp_path / "cot_en.txt").write_text("MINE: {question}")
    assert user_text(item, "cot", tmp_path) == "MINE: Glucose {options} {k} high."


def test_synthesis_templates_keep_their_dollar_checks(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "initial.txt").write_text("Case ${question} costs $5 ${extra}")
    with pytest.raises(ConfigError) as caught:
        load_prompts("en", tmp_path)
    message = str(caught.value)
    assert "initial.txt: prompt template" in message
    assert "unknown ${extra}" in message and "bad '$'" in message


def test_judge_prompts_can_be_replaced(tmp_path):
    bundled = judge_messages("lobar pneumonia", "pneumonia", "en")[0]["content"]
    assert bundled.startswith(JUDGE_PROMPTS["en"].read_text(encoding="utf-8")[:40])
    (tmp_path / "judge_en.txt").write_text('Same? {reference} vs {prediction}. Reply {"match": true}')
    mine = judge_messages("lobar pneumonia", "pneumonia", "en", tmp_path)[0]["content"]
    assert mine == 'Same? pneumonia vs lobar pneumonia. Reply {"match": true}'
    zh = judge_messages("大叶性肺炎", "肺炎", "zh", tmp_path)[0]["content"]  # no judge_zh.txt: bundled
    assert zh == judge_messages("大叶性肺炎", "肺炎", "zh")[0]["content"]
    # an audit is per prompt: the replaced prompt has its own hash
    assert judge_audit.prompt_hash(tmp_path) != judge_audit.prompt_hash()
    assert VerifierConfig(judge_prompts_dir=tmp_path).judge_prompts_dir == tmp_path
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "judge_zh.txt").write_text("只有 {prediction}")
    with pytest.raises(ConfigError, match=r"judge_zh\.txt: prompt template: missing \{reference\}"):
        judge_template("zh", Path(bad))
