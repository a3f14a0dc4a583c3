"""The prompting contract: a model trained with its own prompts outside the pipeline is evaluated,
served and further trained with them; contradicting settings are errors unless forced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clinical_r1.chat import DEFAULT_SYSTEM_PROMPTS
from clinical_r1.cli import app as cli_app
from clinical_r1.evaluate import runner as eval_runner
from clinical_r1.evaluate.config import EvalConfig, ModelUnderTest
from clinical_r1.evaluate.runner import run_eval
from clinical_r1.formatting import render
from clinical_r1.llm import ModelSpec, build_llm
from clinical_r1.llm.local import LocalLLM
from clinical_r1.prompt_contract import (
    CONTRACT_FILE,
    PromptContractError,
    Prompting,
    chat_template_sha256,
    file_sha256,
    read_contract,
    resolve_prompting,
    system_prompt_options,
    write_contract,
)
from clinical_r1.records import SAMPLE_RECORDS, read_records, write_jsonl
from clinical_r1.serve.app import ServeSettings, create_app
from clinical_r1.serve.diagnose import Diagnoser, DiagnoseSettings
from clinical_r1.train.rl import RLConfig, run_rl
from clinical_r1.train.sft import SFTStageConfig, run_sft
from clinical_r1.training_example import TrainingExample

pytestmark = pytest.mark.usefixtures("one_torch_thread")

PROMPTS = {"en": "You are Dr. Contract; think in headings.", "zh": "你是契约医生，请分节思考。"}
STYLE = "markdown"


@pytest.fixture(scope="module")
def trained(tiny_model_dir, tmp_path_factory) -> tuple[Path, Path]:
    """The tiny model after one SFT step with non-default prompts and style, run directly (no pipeline)."""
    root = tmp_path_factory.mktemp("contract")
    data = root / "sft.jsonl"
    write_jsonl(
        data,
        [
            TrainingExample(
                id="a",
                question="Fever and a productive cough.",
                thinking="Lobar signs.",
                response="Diagnosis: pneumonia",
                reference="pneumonia",
                language="en",
            ),
            TrainingExample(
                id="b",
                question="上腹痛，淀粉酶升高。",
                thinking="胰腺炎表现。",
                response="诊断：急性胰腺炎",
                reference="急性胰腺炎",
                language="zh",
            ),
        ],  # fmt: skip
    )
    config = SFTStageConfig(max_length=128, max_steps=1, save_steps=100, style=STYLE, system_prompts=PROMPTS)
    return run_sft(config, data, tiny_model_dir, root / "sft"), data


@pytest.fixture()
def seen_prompts(monkeypatch) -> list[list[dict]]:
    """Every conversation a local model is given (spied where LocalLLM applies the chat template)."""
    seen: list[list[dict]] = []
    original = LocalLLM._encode

    def spy(self, requests):
        seen.extend(request.messages for request in requests)
        return original(self, requests)

    monkeypatch.setattr(LocalLLM, "_encode", spy)
    return seen


def test_sft_writes_the_contract(trained, tiny_model_dir):
    folder, data = trained
    contract = read_contract(folder)
    assert contract is not None and contract.stage == "sft"
    assert (contract.style, contract.system_prompts) == (STYLE, PROMPTS)
    assert contract.base_model == contract.parent_model == str(tiny_model_dir)
    assert contract.training_data_sha256 == file_sha256(data)
    assert contract.chat_template_sha256 == chat_template_sha256(folder) is not None
    assert read_contract(tiny_model_dir) is None  # any HF folder: no contract, today's defaults


def test_evaluation_prompts_and_reads_the_model_with_its_own_contract(
    trained, tmp_path, seen_prompts, monkeypatch
):
    folder, _ = trained
    records = [
        r for r in read_records(SAMPLE_RECORDS) if r.id in ("sample-en-resp-001", "sample-zh-resp-001")
    ]
    bench = tmp_path / "bench.jsonl"
    write_jsonl(bench, records)
    styles: list[str] = []
    original = eval_runner.extract

    def extract_spy(*args):
        styles.append(args[-1])
        return original(*args)

    monkeypatch.setattr(eval_runner, "extract", extract_spy)
    model = ModelUnderTest(name="sft", spec=f"local:{folder}?threads=1", mode="trained")
    run_eval(EvalConfig(max_tokens=4, use_cache=False), bench, [model], tmp_path / "run", progress=False)
    systems = {m[-1]["content"]: m[0]["content"] for m in seen_prompts if m[0]["role"] == "system"}
    assert systems == {r.case: PROMPTS[r.language] for r in records}
    assert styles and set(styles) == {STYLE}
    saved = json.loads((tmp_path / "run" / "eval_config.json").read_text())
    assert saved["models"]["sft"]["prompting"] == {"style": STYLE, "system_prompts": PROMPTS}
    # a config contradicting the contract stops before any model is asked, unless forced
    with pytest.raises(PromptContractError, match="style 'r1'"):
        run_eval(EvalConfig(style="r1"), bench, [model], tmp_path / "other", progress=False)
    forced = EvalConfig(style="r1", force_prompts=True, max_tokens=2, use_cache=False, limit=1)
    run_eval(forced, bench, [model], tmp_path / "forced", progress=False)
    assert styles[-1] == "r1"


def test_serving_prompts_and_reads_the_model_with_its_own_contract(trained, seen_prompts):
    folder, _ = trained
    llm = build_llm(ModelSpec(backend="local", model=str(folder), threads=1))
    settings = ServeSettings(warmup=False, diagnose=DiagnoseSettings(max_tokens=4))
    with TestClient(create_app(llm, settings), base_url="http://localhost") as client:
        reply = client.post("/v1/diagnose", json={"case": "男，45岁，上腹痛。"})
    assert reply.status_code == 200, reply.text
    assert seen_prompts[-1][0] == {"role": "system", "content": PROMPTS["zh"]}
    assert Diagnoser(llm).prompting.style == STYLE
    with pytest.raises(PromptContractError, match="system_prompts"):
        Diagnoser(llm, DiagnoseSettings(system_prompts={"en": "Other."}))
    forced = Diagnoser(llm, DiagnoseSettings(style="r1", force_prompts=True))
    assert forced.prompting.style == "r1" and forced.prompting.system_prompts == PROMPTS


def test_diagnose_command_refuses_a_contradicting_flag_before_loading(trained, tmp_path):
    folder, _ = trained
    case = tmp_path / "case.txt"
    case.write_text("A 67-year-old man with fever and rusty sputum.")
    result = CliRunner().invoke(cli_app, ["diagnose", str(case), "--model", str(folder), "--style", "r1"])
    assert result.exit_code == 2
    assert CONTRACT_FILE in result.output and "--force-prompts" in result.output


def test_rl_trains_with_the_contract_and_passes_it_on(trained, tmp_path, tiny_model_dir):
    folder, _ = trained
    data = tmp_path / "rl.jsonl"
    write_jsonl(data, [r for r in read_records(SAMPLE_RECORDS) if r.language == "en"][:2])
    seen_items = []

    def reward(texts, items, truncated):
        seen_items.extend(items)
        return [0.0] * len(texts)

    with pytest.raises(PromptContractError, match="system_prompts"):
        run_rl(RLConfig(steps=1, system_prompts={"en": ""}), data, folder, tmp_path / "bad", reward)
    config = RLConfig(steps=1, batch_size=2, max_new_tokens=2, max_prompt_tokens=512)
    out = run_rl(config, data, folder, tmp_path / "rl", reward, progress=False)
    contract = read_contract(out)
    assert contract is not None and contract.stage == "rl"
    assert (contract.style, contract.system_prompts) == (STYLE, PROMPTS)
    assert contract.parent_model == str(folder) and contract.base_model == str(tiny_model_dir)
    assert seen_items


def test_rl_command_refuses_a_contradicting_config_before_training(trained, tmp_path):
    folder, _ = trained
    data = tmp_path / "rl.jsonl"
    write_jsonl(data, [r for r in read_records(SAMPLE_RECORDS) if r.language == "en"][:2])
    config = tmp_path / "rl.yaml"
    config.write_text("steps: 1\nsystem_prompts: {en: ''}\n")
    args = ["rl", "--data", str(data), "--model", str(folder), "--out", str(tmp_path / "out"),
            "--config", str(config), "--keep-benchmark-cases"]  # fmt: skip
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 2, result.output
    assert CONTRACT_FILE in result.output and not (tmp_path / "out" / "checkpoints").exists()


# --- the rules, without a model -------------------------------------------------------------------


def _folder_with_contract(tmp_path: Path, tiny_model_dir: Path) -> Path:
    folder = tmp_path / "m"
    folder.mkdir()
    for name in ("tokenizer_config.json", "chat_template.jinja"):
        if (tiny_model_dir / name).exists():
            (folder / name).write_text((tiny_model_dir / name).read_text())
    write_contract(folder, Prompting(style=STYLE, system_prompts=PROMPTS), stage="sft",
                   parent_model="base", data_path=None)  # fmt: skip
    return folder


def test_no_contract_keeps_the_defaults_or_the_given_values(tmp_path):
    assert resolve_prompting(None) == Prompting()
    assert resolve_prompting(tmp_path).prompt_table() == DEFAULT_SYSTEM_PROMPTS
    given = resolve_prompting(tmp_path, "markdown", {"en": "X"})
    assert (given.style, given.system_prompt("en"), given.system_prompt("zh")) == ("markdown", "X", None)


def test_agreeing_values_pass_and_a_changed_chat_template_is_caught(tmp_path, tiny_model_dir):
    folder = _folder_with_contract(tmp_path, tiny_model_dir)
    assert resolve_prompting(folder, STYLE, dict(PROMPTS)).system_prompts == PROMPTS
    template = folder / "chat_template.jinja"
    if template.exists():
        template.write_text(template.read_text() + "{# edited #}")
    else:
        config = json.loads((folder / "tokenizer_config.json").read_text())
        config["chat_template"] += "{# edited #}"
        (folder / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(PromptContractError, match="chat template"):
        resolve_prompting(folder)
    assert resolve_prompting(folder, force=True).style == STYLE


def test_a_damaged_contract_names_file_and_field(tmp_path):
    (tmp_path / CONTRACT_FILE).write_text(json.dumps({"stage": "sft", "style": "yaml"}))
    with pytest.raises(PromptContractError, match=r"clinical_r1\.json: field 'style'"):
        read_contract(tmp_path)
    (tmp_path / CONTRACT_FILE).write_text("{not json")
    with pytest.raises(PromptContractError, match="not a readable JSON"):
        read_contract(tmp_path)


def test_system_prompt_options():
    assert system_prompt_options(None) is None
    assert system_prompt_options(["Be brief."]) == {"en": "Be brief.", "zh": "Be brief."}
    assert system_prompt_options(["en=A = B", "zh="]) == {"en": "A = B", "zh": ""}
    assert render("t", "r", STYLE).startswith("## Thinking")  # the style the contract test trains
