"""SFT end to end on the tiny model: labels, learning, saved model, resume after SIGKILL, LoRA, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from clinical_r1.chat import example_to_messages, prompt_messages, tokenize_conversation
from clinical_r1.config import ConfigError, load_config
from clinical_r1.formatting import render
from clinical_r1.records import RecordError, write_jsonl
from clinical_r1.train.sft import SFTStageConfig, run_sft
from clinical_r1.training_example import TrainingExample

pytestmark = pytest.mark.usefixtures("one_torch_thread")


FAST = {"max_length": 256, "learning_rate": 3e-3, "lr_scheduler": "constant", "logging_steps": 1}


def examples(n: int = 6) -> list[TrainingExample]:
    cases = [
        ("en", "A 67-year-old man: fever, rusty sputum, right lower lobe consolidation.", "Lobar pneumonia"),
        ("zh", "男，45岁。上腹痛向背部放射，血淀粉酶升高。", "急性胰腺炎"),
        (
            "en",
            "A 23-year-old woman: polyuria, polydipsia, weight loss, glucose 24 mmol/L.",
            "Type 1 diabetes",
        ),
    ]
    out = []
    for i in range(n):
        language, question, diagnosis = cases[i % len(cases)]
        out.append(
            TrainingExample(
                id=f"ex-{i}",
                question=question,
                thinking=f"The key findings point to {diagnosis}. " * (1 + i % 3),
                response=f"Diagnosis: {diagnosis}",
                reference=diagnosis,
                language=language,
            )
        )
    return out


@pytest.fixture()
def data_file(tmp_path) -> Path:
    path = tmp_path / "sft.jsonl"
    write_jsonl(path, examples())
    return path


def test_labels_are_the_assistant_turn_only(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    for example in examples(2):
        messages = example_to_messages(example, system_prompt="You are a careful clinician.")
        input_ids, labels = tokenize_conversation(tokenizer, messages)
        trained = tokenizer.decode([t for t, label in zip(input_ids, labels, strict=True) if label != -100])
        assert trained == render(example.thinking, example.response) + "<|im_end|>"
        # Everything before the assistant turn is context only: the prompt the model gets at inference.
        first = next(i for i, label in enumerate(labels) if label != -100)
        prompt = tokenizer.apply_chat_template(
            prompt_messages(example.question, "You are a careful clinician."),
            add_generation_prompt=True,
            tokenize=False,
        )
        assert tokenizer.decode(input_ids[:first]) == prompt


def test_sft_memorises_a_small_set_and_saves_a_working_model(tiny_model_dir, data_file, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = run_sft(
        SFTStageConfig(**FAST, max_steps=20, save_steps=100), data_file, tiny_model_dir, tmp_path / "m"
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["global_step"] == 20 and metrics["examples"]["kept"] == 6
    assert metrics["loss_last"] < 0.5 * metrics["loss_first"], metrics["loss_history"]
    assert (out / "loss.png").read_bytes()[:4] == b"\x89PNG"

    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out)
    assert tokenizer.chat_template and "<think>" in tokenizer.get_vocab()
    ids = tokenizer.apply_chat_template(
        prompt_messages(examples(1)[0].question),
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    generated = model.generate(**ids, max_new_tokens=8, do_sample=False)
    assert generated.shape[1] > ids["input_ids"].shape[1]
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert not torch.equal(base.model.norm.weight, model.model.norm.weight)  # it is the trained model


def _cli(data: Path, model: Path, out: Path, config: Path) -> list[str]:
    return [sys.executable, "-m", "clinical_r1.cli", "sft", "--data", str(data), "--model", str(model),
            "--out", str(out), "--config", str(config)]  # fmt: skip


def test_resume_after_sigkill_continues_from_the_checkpoint(tiny_model_dir, data_file, tmp_path):
    settings = {**FAST, "lr_scheduler": "cosine", "max_steps": 12, "save_steps": 3}
    config_file = tmp_path / "sft.yaml"
    config_file.write_text(yaml.safe_dump(settings))
    out = tmp_path / "killed"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        _cli(data_file, tiny_model_dir, out, config_file),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    first = out / "checkpoints" / "checkpoint-3" / "trainer_state.json"
    deadline = time.time() + 120
    while not first.exists():
        if proc.poll() is not None:
            pytest.fail(f"training exited before its first checkpoint: {proc.stderr.read().decode()[-2000:]}")
        assert time.time() < deadline, "no checkpoint within 120 s"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "metrics.json").exists()  # it really died mid-run
    steps = sorted(int(p.name.split("-")[1]) for p in (out / "checkpoints").glob("checkpoint-*"))
    assert steps and steps[-1] < 12

    config = load_config(config_file, SFTStageConfig)
    run_sft(config, data_file, tiny_model_dir, out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from_step"] == steps[-1] > 0
    assert metrics["global_step"] == 12
    assert [h["step"] for h in metrics["loss_history"]] == list(range(1, 13))  # whole curve, no restart

    # Resuming is exact: the same weights as a run that was never interrupted.
    reference = run_sft(config, data_file, tiny_model_dir, tmp_path / "uninterrupted")
    from safetensors.torch import load_file

    resumed, straight = load_file(out / "model.safetensors"), load_file(reference / "model.safetensors")
    assert max((resumed[k] - straight[k]).abs().max().item() for k in straight) < 1e-6


def test_lora_option_saves_a_merged_plain_model(tiny_model_dir, data_file, tmp_path):
    from transformers import AutoModelForCausalLM

    config = SFTStageConfig(**FAST, max_steps=3, save_steps=100, lora={"r": 4, "alpha": 8, "dropout": 0.0})
    out = run_sft(config, data_file, tiny_model_dir, tmp_path / "lora")
    assert (out / "adapter" / "adapter_config.json").exists()
    merged = AutoModelForCausalLM.from_pretrained(out)  # a plain model: no peft needed to load it
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    layer, base_layer = merged.model.layers[0].self_attn.q_proj, base.model.layers[0].self_attn.q_proj
    assert not torch.allclose(layer.weight, base_layer.weight)


def test_bad_inputs_name_file_line_and_field(tiny_model_dir, tmp_path):
    config_file = tmp_path / "bad.yaml"
    config_file.write_text("max_lenght: 512\n")
    with pytest.raises(ConfigError, match="max_lenght"):
        load_config(config_file, SFTStageConfig)

    data = tmp_path / "bad.jsonl"
    good = examples(1)[0].model_dump()
    data.write_text(json.dumps(good) + "\n" + json.dumps({**good, "response": ""}) + "\n")
    with pytest.raises(RecordError, match=r"bad.jsonl:2: field 'response'"):
        run_sft(SFTStageConfig(**FAST, max_steps=1), data, tiny_model_dir, tmp_path / "out")


def test_paper_config_loads():
    config = load_config(Path(__file__).parents[1] / "configs" / "sft_paper.yaml", SFTStageConfig)
    assert (config.epochs, config.learning_rate, config.lr_scheduler) == (3, 5e-6, "cosine")
    assert config.packing and config.bf16 and config.gradient_checkpointing


def test_keep_last_names_sft_checkpoint_retention_as_in_rl_and_reads_the_old_name():
    from clinical_r1.train.sft import _trl_args

    assert SFTStageConfig().keep_last == 2
    assert SFTStageConfig(save_total_limit=3).keep_last == 3  # configs written before the rename
    assert _trl_args(SFTStageConfig(keep_last=1), Path("/tmp/x")).save_total_limit == 1
    with pytest.raises(ValueError, match="keep_last only"):
        SFTStageConfig(save_total_limit=3, keep_last=1)


def test_accelerate_configs_are_valid_for_accelerate(monkeypatch):
    from accelerate.commands.config.config_args import load_config_from_file

    from clinical_r1.train.sft import _trl_args

    folder = Path(__file__).parents[1] / "configs" / "accelerate"
    zero3 = load_config_from_file(str(folder / "deepspeed_zero3.yaml"))
    assert (zero3.distributed_type, zero3.deepspeed_config["zero_stage"], zero3.num_processes) == (
        "DEEPSPEED",
        3,
        8,
    )
    assert zero3.deepspeed_config["zero3_save_16bit_model"]  # the final save gathers a loadable model
    fsdp = load_config_from_file(str(folder / "fsdp.yaml"))
    assert fsdp.distributed_type == "FSDP" and fsdp.fsdp_config["fsdp_state_dict_type"] == "FULL_STATE_DICT"

    # accelerate launch exports the FSDP settings; the trainer must then leave checkpointing to FSDP.
    config = SFTStageConfig(gradient_checkpointing=True)
    assert _trl_args(config, Path("/tmp/x")).activation_checkpointing
    monkeypatch.setenv("FSDP_ACTIVATION_CHECKPOINTING", "true")
    assert not _trl_args(config, Path("/tmp/x")).activation_checkpointing
