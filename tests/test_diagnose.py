"""`clinical-r1 diagnose` and the live reasoning/response split shared with the API."""

from __future__ import annotations

import asyncio
import io
import json
import random
import sys

import pytest
from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.commands.diagnose import read_case
from clinical_r1.evaluate.grading import extract
from clinical_r1.formatting import parse
from clinical_r1.llm import build_llm
from clinical_r1.records import SAMPLE_RECORDS, read_records
from clinical_r1.serve.diagnose import Diagnoser, DiagnoseSettings, SectionSplitter
from clinical_r1.testing.fake_openai_server import running_server

runner = CliRunner()
RECORDS = {r.id: r for r in read_records(SAMPLE_RECORDS)}
EN = RECORDS["sample-en-resp-001"]
ZH = RECORDS["sample-zh-resp-001"]

OUTPUTS = [
    "<think>\nFever and cough.\nConsolidation on the right.\n</think>\n\nFinal diagnosis: Lobar pneumonia",
    "Reasoning with the opening tag in the prompt.\n</think>\nDiagnosis: Asthma",
    "## Thinking\n\nHmm, # is not a heading here.\nWheeze.\n\n## Final Response\n\nDiagnosis: Asthma",
    "  ### thinking:\nWheeze at night.\n# Final response of the team\n# final response :\nDiagnosis: Asthma",
    "<think>\n患者发热、咳嗽。\n</think>\n\n最终诊断：大叶性肺炎",
    "noise with no markers at all <thi",
    "<think>\nunfinished reasoning cut off by the token lim",
]


def split_in_pieces(text: str, rng: random.Random) -> dict[str, str]:
    splitter = SectionSplitter()
    out = {"thinking": "", "response": ""}
    i = 0
    while i < len(text):
        step = rng.randint(1, 5)
        for delta in splitter.feed(text[i : i + step]):
            out[delta.section] += delta.text
        i += step
    for delta in splitter.flush():
        out[delta.section] += delta.text
    return out


@pytest.mark.parametrize("text", OUTPUTS)
def test_live_split_does_not_depend_on_chunking_and_agrees_with_parse(text: str) -> None:
    rng = random.Random(0)
    splitter = SectionSplitter()
    deltas = splitter.feed(text) + splitter.flush()
    whole = {s: "".join(d.text for d in deltas if d.section == s) for s in ("thinking", "response")}
    for _ in range(30):
        assert split_in_pieces(text, rng) == whole
    for marker in ("<think>", "</think>", "## Thinking", "## Final Response"):
        assert marker not in whole["thinking"] + whole["response"]
    parsed = parse(text)
    if parsed.valid:
        assert whole["thinking"].strip() == parsed.thinking
        assert whole["response"].strip() == parsed.response


MARKDOWN_REPLY = "## Thinking\n\nWheeze and nocturnal cough.\n\n## Final Response\n\nFinal diagnosis: Asthma"


@pytest.mark.parametrize(("style", "valid"), [("markdown", True), ("r1", False)])
def test_output_is_parsed_in_the_trained_style_as_evaluation_does(style: str, valid: bool) -> None:
    async def ask(server_url: str) -> object:
        diagnoser = Diagnoser(build_llm(f"openai:fake-model@{server_url}"), DiagnoseSettings(style=style))
        try:
            return await diagnoser.diagnose(EN.case)
        finally:
            await diagnoser.llm.aclose()

    with running_server(MARKDOWN_REPLY) as server:
        result = asyncio.run(ask(server.base_url))
    evaluated = extract(MARKDOWN_REPLY, "stop", "trained", "diagnosis", style=style)
    assert result.valid is valid
    assert result.diagnosis == ("Asthma" if valid else None) == evaluated.answer
    if not valid:
        assert result.error == evaluated.no_answer_reason == "no closing </think> tag"


def test_cli_style_option_sets_the_parsed_style() -> None:
    with running_server(MARKDOWN_REPLY) as server:
        for style, valid in (("markdown", True), ("r1", False)):
            args = ["diagnose", "--model", f"openai:fake-model@{server.base_url}", "--json", "-"]
            result = runner.invoke(app, [*args, "--style", style], input=EN.case)
            assert result.exit_code == 0, result.output
            assert json.loads(result.stdout)["valid"] is valid


def test_read_case_from_an_interactive_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("Fever for 3 days.\nCough.\n\nnot part of the case\n"))
    assert read_case(None) == ("Fever for 3 days.\nCough.\n", None)


def test_read_case_from_a_record_line(tmp_path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(ZH.model_dump(), ensure_ascii=False), encoding="utf-8")
    assert read_case(str(path)) == (ZH.case, "zh")
    plain = tmp_path / "case.txt"
    plain.write_text("A 30-year-old woman with {braces} in her history.", encoding="utf-8")
    assert read_case(str(plain)) == ("A 30-year-old woman with {braces} in her history.", None)


def test_cli_streams_reasoning_then_prints_diagnosis_and_codes(tmp_path) -> None:
    reply = (
        "<think>\nRust-coloured sputum and lobar consolidation.\n</think>\n\nFinal diagnosis: Lobar pneumonia"
    )
    case_file = tmp_path / "case.txt"
    case_file.write_text(EN.case, encoding="utf-8")
    with running_server(reply) as server:
        result = runner.invoke(
            app, ["diagnose", "--model", f"openai:fake-model@{server.base_url}", str(case_file)]
        )
        sent = server.requests[-1].body
    assert result.exit_code == 0, result.output
    assert sent["stream"] is True and sent["messages"][-1]["content"] == EN.case
    out = result.output
    assert out.index("Reasoning") < out.index("Rust-coloured sputum") < out.index("Final response")
    assert "</think>" not in out
    assert "Diagnosis" in out and "Lobar pneumonia" in out and "J18.1" in out


def test_cli_json_from_stdin_with_the_tiny_model(tiny_model_dir) -> None:
    line = json.dumps(ZH.model_dump(), ensure_ascii=False)
    result = runner.invoke(
        app,
        ["diagnose", "--model", str(tiny_model_dir), "--max-tokens", "12", "--threads", "1", "--json", "-"],
        input=line,
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["language"] == "zh"
    assert body["model"] == f"local:{tiny_model_dir}"
    assert body["finish_reason"] == "length" and body["completion_tokens"] == 12
    assert body["valid"] is False and body["diagnosis"] is None and body["icd10"] == []


def test_cli_streams_with_the_tiny_model(tiny_model_dir, tmp_path) -> None:
    case_file = tmp_path / "case.txt"
    case_file.write_text(EN.case, encoding="utf-8")
    args = ["diagnose", "--model", f"local:{tiny_model_dir}", "--max-tokens", "12", "--threads", "1"]
    result = runner.invoke(app, [*args, str(case_file)])
    assert result.exit_code == 0, result.output
    assert "No diagnosis extracted" in result.output and "language en" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["missing-case.txt"], None, "no such file: missing-case.txt"),
        (["-"], "   \n", "the case is empty"),
        (["--language", "fr", "-"], "A case.", "'fr': use en or zh"),
    ],
)
def test_cli_bad_input(args: list[str], stdin: str | None, message: str) -> None:
    result = runner.invoke(app, ["diagnose", "--model", "openai:m@http://127.0.0.1:9/v1", *args], input=stdin)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
