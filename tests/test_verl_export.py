"""verl export: parquet in verl's RL layout, a reward file callable with verl's signature, a launch script."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import warnings
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from clinical_r1.config import load_config
from clinical_r1.formatting import render
from clinical_r1.records import SAMPLE_RECORDS, read_records
from clinical_r1.train.rl import RLConfig
from clinical_r1.train.verl_export import VERL_RELEASE, check_against_verl, export_verl, launch_overrides


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("verl")
    config = RLConfig(reward={"wrong": 0.2}, max_new_tokens=2048)
    return export_verl(config, SAMPLE_RECORDS, "/models/sft model", out, val_data=SAMPLE_RECORDS)


def test_parquet_has_verls_rl_layout(exported) -> None:
    table = pq.read_table(exported.train)
    assert table.column_names == ["data_source", "prompt", "ability", "reward_model", "extra_info"]
    rows = table.to_pylist()
    records = list(read_records(SAMPLE_RECORDS))
    assert len(rows) == len(records) == exported.rows
    first, record = rows[0], records[0]
    assert first["data_source"] == "clinical_r1" and first["ability"] == "clinical_diagnosis"
    assert first["reward_model"] == {"style": "rule", "ground_truth": record.diagnosis}
    assert [m["role"] for m in first["prompt"]] == ["system", "user"]
    assert first["prompt"][1]["content"] == record.case
    info = first["extra_info"]
    assert info["split"] == "train" and info["index"] == 0 and info["id"] == record.id
    assert info["language"] == record.language and info["reference_icd10"] == (record.icd10 or "")
    zh = next(r for r in rows if r["extra_info"]["language"] == "zh")
    assert "诊断" in zh["prompt"][0]["content"]  # the Chinese system prompt SFT used
    assert pq.read_table(exported.val).to_pylist()[0]["extra_info"]["split"] == "val"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location("verl_custom_reward", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reward_file_is_callable_with_verls_signature(exported) -> None:
    module = _load(exported.reward_file)
    right = render("Fever and a lobar consolidation.", "Final diagnosis: pneumonia")
    wrong = render("Fever and a lobar consolidation.", "Final diagnosis: asthma")
    info = {"language": "en", "reference_icd10": "J18.9", "split": "train", "index": 0}
    assert module.compute_score("clinical_r1", right, "pneumonia", info) == 1.0
    assert module.compute_score("clinical_r1", wrong, "pneumonia", info) == 0.2  # value from the config
    assert module.compute_score("clinical_r1", "Final diagnosis: pneumonia", "pneumonia", None) == 0.0
    scores = module.compute_score_batch(["clinical_r1"] * 2, [right, wrong], ["pneumonia"] * 2, [info, {}])
    assert scores == [1.0, 0.2]
    assert json.loads(exported.reward_config.read_text())["reward"]["wrong"] == 0.2


def test_launch_script_has_the_papers_ppo_settings(exported) -> None:
    script = exported.launch_script.read_text()
    subprocess.run(["bash", "-n", str(exported.launch_script)], check=True)
    for setting in [
        "algorithm.adv_estimator=gae",
        "algorithm.gamma=1.0",
        "algorithm.use_kl_in_reward=True",
        "algorithm.kl_ctrl.kl_coef=0.03",
        "data.train_batch_size=${TRAIN_BATCH_SIZE:-16}",
        "data.max_response_length=2048",
        "actor_rollout_ref.actor.optim.lr=5e-07",
        "actor_rollout_ref.actor.ppo_epochs=3",
        "actor_rollout_ref.actor.clip_ratio=0.2",
        "critic.cliprange_value=0.2",
        '"reward.custom_reward_function.path=$HERE/reward_fn.py"',
        "reward.custom_reward_function.name=compute_score",
        "trainer.nnodes=$NNODES",
        '"data.val_files=${VAL_FILE:-$HERE/val.parquet}"',
    ]:
        assert setting in script, setting
    assert "MODEL_PATH=${MODEL_PATH:-'/models/sft model'}" in script  # quoted for the shell


# --- against verl itself (its own environment: benchmarks/verl_check.py --install makes one) ---------

VERL_PYTHON = Path(os.environ.get("CLINICAL_R1_VERL_PYTHON", "/tmp/verl-venv/bin/python"))


def _verl_python() -> Path:
    if not VERL_PYTHON.exists():
        reason = (f"VERL CHECK NOT RUN: no verl environment at {VERL_PYTHON} (create it with "
                  "`.venv/bin/python benchmarks/verl_check.py --install`, or point CLINICAL_R1_VERL_PYTHON "
                  "at a python with verl)")  # fmt: skip
        warnings.warn(reason, stacklevel=2)
        pytest.skip(reason)
    probe = subprocess.run([str(VERL_PYTHON), "-c", "import verl; print(verl.__version__)"],
                           capture_output=True, text=True)  # fmt: skip
    if probe.returncode != 0:
        reason = f"VERL CHECK NOT RUN: verl does not import in {VERL_PYTHON}: {probe.stderr.strip()[-500:]}"
        warnings.warn(reason, stacklevel=2)
        pytest.skip(reason)
    return VERL_PYTHON


def test_launch_overrides_and_reward_file_pass_verls_own_config_and_loader(tmp_path: Path) -> None:
    python = _verl_python()
    config = load_config(Path(__file__).parents[1] / "configs" / "rl_paper.yaml", RLConfig)
    export = export_verl(config, SAMPLE_RECORDS, "/models/sft", tmp_path / "verl")
    check = check_against_verl(export, python, config)
    assert check.verl == VERL_RELEASE  # the release docs/rl.md names
    assert check.problems == []
    keys = {row["key"] for row in check.keys}
    assert {"algorithm.adv_estimator", "critic.cliprange_value", "reward.custom_reward_function.path"} <= keys
    assert len(check.keys) == len(launch_overrides(export.launch_script))
    assert check.reward["scores"] == [1.0, 0.1, 0.0]

    # the check can fail: an unknown key and a wrong type are reported
    script = export.launch_script.read_text()
    export.launch_script.write_text(script.replace('"$@"', 'algorithm.no_such_key=1 trainer.nnodes=two "$@"'))
    broken = check_against_verl(export, python, config)
    problems = "\n".join(broken.problems)
    assert "algorithm.no_such_key=1: no such key" in problems and "trainer.nnodes=two: a str" in problems
