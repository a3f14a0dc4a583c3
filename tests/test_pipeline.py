"""`clinical-r1 run`: the whole recipe end to end on a smaller twin of the quick start, resume after a
kill, and config errors caught before any stage starts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from clinical_r1.config import ConfigError
from clinical_r1.manifest import fingerprint
from clinical_r1.pipeline import Pipeline, load_pipeline_config, split_heldout

ROOT = Path(__file__).resolve().parents[1]


def twin_config(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """The quick start, shrunk: same stages and wiring, a few records and steps each."""
    config = yaml.safe_load((ROOT / "configs" / "quickstart.yaml").read_text())
    config["name"] = "twin"
    config["runs_dir"] = str(tmp_path / "runs")
    config["model"] = str(tiny_model_dir)
    config["synthesize"].update(teacher=f"local:{tiny_model_dir}", max_tokens=12, limit=4)
    config["sft"]["extra_data"] = [str(ROOT / p) for p in config["sft"]["extra_data"]]
    config["sft"]["config"].update(max_steps=3, save_steps=2, max_length=512)
    config["rl"]["config"].update(steps=2, batch_size=2, max_new_tokens=8, save_steps=1)
    config["bench"]["per_department"] = 1
    config["eval"]["config"]["max_tokens"] = 12
    path = tmp_path / "twin.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def run_cli(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.Popen(
        [sys.executable, "-m", "clinical_r1.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def stage_status(manifest: Path) -> dict[str, str]:
    if not manifest.exists():
        return {}
    try:
        data = json.loads(manifest.read_text())
    except json.JSONDecodeError:  # caught mid-replace
        return {}
    return {name: entry.get("status") for name, entry in data.get("stages", {}).items()}


def test_quickstart_twin_runs_end_to_end_and_resumes_after_a_kill(tmp_path, tiny_model_dir):
    config = twin_config(tmp_path, tiny_model_dir)
    run_dir = tmp_path / "runs" / "twin"
    manifest = run_dir / "manifest.json"

    # First run: killed with SIGKILL as soon as SFT has finished.
    first = run_cli("run", str(config))
    deadline = time.time() + 600
    while stage_status(manifest).get("sft") != "done":
        assert first.poll() is None, first.stdout.read()
        assert time.time() < deadline, "SFT never finished"
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = {s for s, status in stage_status(manifest).items() if status == "done"}
    assert {"records", "synthesize", "sft"} <= done_before
    assert stage_status(manifest).get("eval") != "done"

    # Rerun: finished stages are skipped, the rest completes.
    second = run_cli("run", str(config))
    out, _ = second.communicate(timeout=600)
    assert second.returncode == 0, out
    for stage in done_before:
        assert f"{stage}: unchanged, skipped" in out
    statuses = stage_status(manifest)
    assert statuses == {s: "done" for s in ("records", "synthesize", "sft", "rl", "bench", "eval")}

    data = json.loads(manifest.read_text())
    assert data["versions"]["torch"].startswith("2.13.0")
    assert all(len(entry["fingerprint"]) == 64 for entry in data["stages"].values())

    # What each stage wrote is really there and consistent.
    stats = json.loads((run_dir / "synthesize" / "stats.json").read_text())
    assert stats["examples"] + stats["rejected"] == stats["records"] == 4
    sft_lines = (run_dir / "sft" / "train_examples.jsonl").read_text().splitlines()
    assert len(sft_lines) == 28 + stats["examples"]  # the bundled seed examples + what verified
    for stage in ("sft", "rl"):
        assert (run_dir / stage / "model.safetensors").exists()
        assert (run_dir / stage / "tokenizer.json").exists()
    bench = [json.loads(line) for line in (run_dir / "bench" / "bench.jsonl").read_text().splitlines()]
    heldout_ids = {json.loads(line)["id"] for line in (run_dir / "records" / "heldout.jsonl").open()}
    assert bench and {item["id"] for item in bench} <= heldout_ids  # never a training case
    metrics = json.loads((run_dir / "eval" / "metrics.json").read_text())
    assert set(metrics["models"]) == {"base-cot", "sft-trained", "rl-trained"}
    report = (run_dir / "eval" / "report.md").read_text()
    assert "sft-trained" in report and list((run_dir / "eval" / "plots").glob("*.png"))

    # A third run changes nothing; `--only eval` redoes just that stage.
    third = run_cli("run", str(config), "--only", "eval")
    out, _ = third.communicate(timeout=600)
    assert third.returncode == 0, out
    assert "skipped" not in out  # --only runs eval (even unchanged) and touches no other stage
    assert stage_status(manifest)["eval"] == "done"


def test_bad_config_is_refused_before_any_stage(tmp_path):
    config = yaml.safe_load((ROOT / "configs" / "quickstart.yaml").read_text())
    config["runs_dir"] = str(tmp_path / "runs")
    config["sft"]["config"]["learning_rat"] = 1e-5  # typo
    config["bench"]["per_department"] = 0
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError) as info:
        load_pipeline_config(path)
    message = str(info.value)
    assert "sft.config.learning_rat" in message and "bench.per_department" in message
    proc = run_cli("run", str(path))
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "learning_rat" in out
    assert not (tmp_path / "runs").exists()  # nothing started


def test_eval_without_bench_is_a_config_error(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "eval": {"models": [{"spec": "base"}]}}))
    with pytest.raises(ConfigError, match="eval needs a bench stage"):
        load_pipeline_config(path)


def test_heldout_split_keeps_translations_together_and_is_stable():
    rows = [
        {"id": f"{lang}-{i}", "meta": {"pair_id": f"p{i}"}, "language": lang}
        for i in range(200)
        for lang in ("en", "zh")
    ]
    train, heldout = split_heldout(rows, 0.5)
    assert len(train) + len(heldout) == 400
    assert 150 < len(heldout) < 250
    held_pairs = {r["meta"]["pair_id"] for r in heldout}
    assert not held_pairs & {r["meta"]["pair_id"] for r in train}
    assert split_heldout(rows, 0.5) == (train, heldout)


def test_seed_examples_state_their_reference_diagnosis():
    from clinical_r1.formatting import parse, render
    from clinical_r1.training_example import read_examples
    from clinical_r1.verify import Verifier

    verifier = Verifier()
    examples = list(read_examples(ROOT / "src" / "clinical_r1" / "data" / "samples" / "sft_seed.jsonl"))
    assert len(examples) == 28
    for example in examples:
        parsed = parse(render(example.thinking, example.response))
        assert parsed.valid and parsed.has_reasoning
        verdict = verifier.verify(parsed.diagnosis, example.reference, None, example.language)
        assert verdict.is_match, (example.id, parsed.diagnosis, example.reference)


def test_rl_and_eval_prompt_the_model_as_sft_trained_it(tmp_path):
    config = yaml.safe_load((ROOT / "configs" / "quickstart.yaml").read_text())
    prompts = {"en": "You are a careful diagnostician.", "zh": "你是一名严谨的诊断医生。"}
    config["sft"]["config"].update(system_prompts=prompts, style="markdown")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    loaded = load_pipeline_config(path)
    assert loaded.rl.config.system_prompts == prompts
    assert loaded.eval.config.system_prompts == prompts
    assert loaded.eval.config.style == "markdown"
    assert loaded.rl.config.reward.style == "markdown"


@pytest.mark.parametrize(("reward_style", "parsed"), [("r1", "r1"), (None, None)])
def test_a_reward_style_the_rl_config_sets_is_kept(tmp_path, reward_style, parsed):
    config = yaml.safe_load((ROOT / "configs" / "quickstart.yaml").read_text())
    config["sft"]["config"]["style"] = "markdown"
    config["rl"]["config"]["reward"] = {"style": reward_style}  # None: detect either style
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    assert load_pipeline_config(path).rl.config.reward.style == parsed


def test_paper_rl_config_leaves_the_reward_style_to_sft(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the stage config files are named relative to the repository
    config = yaml.safe_load((ROOT / "configs" / "paper.yaml").read_text())
    sft = yaml.safe_load((ROOT / config["sft"]["config"]).read_text())
    config["sft"]["config"] = {**sft, "style": "markdown"}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    loaded = load_pipeline_config(path)
    assert loaded.rl.config.reward.style == loaded.eval.config.style == "markdown"


def test_launched_stage_runs_the_cli_under_the_launcher(tmp_path, tiny_model_dir):
    """`launch:` runs a stage as `<launcher> -m clinical_r1.cli <stage> ...` (accelerate on GPUs);
    here the launcher is plain python, which is what `accelerate launch` runs per process."""
    from clinical_r1.pipeline import launch_stage
    from clinical_r1.train.sft import SFTStageConfig

    config = SFTStageConfig(max_steps=1, max_length=1024, save_steps=1)
    data = ROOT / "src" / "clinical_r1" / "data" / "samples" / "sft_seed.jsonl"
    out = launch_stage(sys.executable, "sft", config, data, str(tiny_model_dir), tmp_path / "sft")
    assert (out / "model.safetensors").exists()
    assert yaml.safe_load((out / "sft_config.yaml").read_text())["max_steps"] == 1
    with pytest.raises(RuntimeError, match="sft stage failed"):
        launch_stage(
            sys.executable, "sft", config, tmp_path / "missing.jsonl", str(tiny_model_dir), tmp_path / "x"
        )


def test_retrained_weights_in_the_same_folder_change_the_eval_fingerprint(tmp_path, tiny_model_dir):
    pipeline = Pipeline(load_pipeline_config(twin_config(tmp_path, tiny_model_dir)))
    sft = tmp_path / "sft"
    sft.mkdir()
    (sft / "model.safetensors").write_bytes(b"first weights")
    bench = tmp_path / "bench.jsonl"
    bench.write_text('{"id": "x"}\n')
    pipeline.outputs = {"bench": {"bench": str(bench)}, "sft": {"model": str(sft)}}
    before = fingerprint(*pipeline._plan("eval"))
    (sft / "model.safetensors").write_bytes(b"retrained weights")
    assert fingerprint(*pipeline._plan("eval")) != before


def test_sft_trains_afresh_when_its_config_changed_and_resumes_when_only_interrupted(
    tmp_path, tiny_model_dir
):
    path = tmp_path / "c.yaml"
    runs = tmp_path / "runs"
    path.write_text(
        yaml.safe_dump({"name": "x", "runs_dir": str(runs), "model": str(tiny_model_dir), "sft": {}})
    )
    pipeline = Pipeline(load_pipeline_config(path))
    found: list[list[str]] = []  # the checkpoints the (stand-in) trainer finds when it starts

    def train(out_dir: Path):
        checkpoints = out_dir / "checkpoints"
        found.append(sorted(p.name for p in checkpoints.glob("*")))
        (checkpoints / f"checkpoint-{len(found)}").mkdir(parents=True)
        return {"model": out_dir}, {}

    pipeline._stage_sft = train
    pipeline._run_stage("sft", force=False)
    pipeline.manifest.fail("sft", "killed")  # interrupted: same config, so it resumes
    pipeline._run_stage("sft", force=False)
    pipeline.config.sft.config.learning_rate = 1e-4  # changed: the old checkpoints must not be resumed
    pipeline._run_stage("sft", force=False)
    assert found == [[], ["checkpoint-1"], []]
    assert sorted(p.name for p in (runs / "x" / "sft" / "checkpoints.stale").iterdir()) == [
        "checkpoint-1",
        "checkpoint-2",
    ]
    pipeline._run_stage("sft", force=True)  # --from sft / --only sft: redo means train anew
    assert found[-1] == []
    assert sorted(p.name for p in (runs / "x" / "sft" / "checkpoints.stale").iterdir()) == ["checkpoint-3"]
