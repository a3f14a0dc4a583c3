"""torch CPU threads: the resolution order (flag/spec, CLINICAL_R1_THREADS, OMP_NUM_THREADS, idle cores),
the spec suffix, and that every model-running command's --threads reaches torch.set_num_threads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from clinical_r1 import threads as T
from clinical_r1.cli import app
from clinical_r1.config import ConfigError
from clinical_r1.llm import ChatRequest, ModelSpec, build_llm, generate_sync


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every torch.set_num_threads call, recorded instead of made; no thread variable set to start."""
    recorded: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", recorded.append)
    for name in (T.ENV_VAR, "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)  # also restores them after the test, whatever it set
    return recorded


def test_resolution_order(calls: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(T, "available_cores", lambda: 8)
    monkeypatch.setattr(T, "busy_cores", lambda: (5.4, "busy now"))
    assert T.resolve_threads() == (3, "8 cores, busy now 5.4")  # the idle cores, rounded
    monkeypatch.setattr(T, "busy_cores", lambda: (11.0, "load average"))
    assert T.resolve_threads()[0] == 1  # never below one
    monkeypatch.setattr(T, "busy_cores", lambda: (0.0, "busy now"))
    assert T.resolve_threads()[0] == 8  # an idle machine: every core, as torch would
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert T.resolve_threads() == (2, "from OMP_NUM_THREADS")
    monkeypatch.setenv(T.ENV_VAR, "5")
    assert T.resolve_threads() == (5, f"from {T.ENV_VAR}")
    assert T.resolve_threads(1) == (1, "set explicitly")
    assert T.apply_threads() == 5 and calls == [5]


def test_busy_cores_are_sampled_now_not_taken_from_the_trailing_load_average(
    calls: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right after our own heavy stage the 1-minute load average is still high while the cores are idle:
    the sample from /proc/stat decides, and the load average is used only where that cannot be read."""
    monkeypatch.setattr(T.os, "getloadavg", lambda: (1.9, 0.0, 0.0))  # the stage that just ended
    monkeypatch.setattr(T.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(T.time, "sleep", lambda s: None)
    samples = iter([(1_000, 10_000), (1_010, 10_200)])  # 10 of 200 jiffies busy: 5% of 2 cores
    monkeypatch.setattr(T, "_cpu_times", lambda: next(samples))
    busy, source = T.busy_cores()
    assert source == "busy now" and busy == pytest.approx(0.1)
    monkeypatch.setattr(T, "available_cores", lambda: 2)
    samples = iter([(1_000, 10_000), (1_010, 10_200)])
    assert T.resolve_threads()[0] == 2  # the load average alone would have given 1
    samples = iter([(1_000, 10_000), (1_190, 10_200)])  # 95% of both cores busy: other work
    assert T.resolve_threads()[0] == 1
    monkeypatch.setattr(T, "_cpu_times", lambda: None)  # no /proc/stat
    assert T.busy_cores() == (1.9, "load average")
    assert T.resolve_threads()[0] == 1


def test_cpu_times_reads_this_machine() -> None:
    times = T._cpu_times()
    assert times is not None and 0 <= times[0] <= times[1]


def test_a_bad_environment_value_is_a_clear_error(calls: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(T.ENV_VAR, "two")
    with pytest.raises(ConfigError, match="CLINICAL_R1_THREADS='two': must be a whole number"):
        T.apply_threads()
    monkeypatch.setenv(T.ENV_VAR, "0")
    with pytest.raises(ConfigError, match="CLINICAL_R1_THREADS='0'"):
        T.apply_threads()
    assert calls == []


def test_the_spec_suffix_sets_fields(tiny_model_dir: Path) -> None:
    spec = ModelSpec.parse(f"local:{tiny_model_dir}?threads=1&batch_size=4")
    assert (spec.model, spec.threads, spec.batch_size) == (str(tiny_model_dir), 1, 4)
    assert ModelSpec.parse(f"{tiny_model_dir}?threads=2").threads == 2  # a bare folder
    assert ModelSpec.parse("Qwen/Qwen2.5-0.5B-Instruct?threads=3").threads == 3  # a hub id
    served = ModelSpec.parse("openai:m@http://127.0.0.1:8000/v1?concurrency=4")
    assert (served.base_url, served.concurrency) == ("http://127.0.0.1:8000/v1", 4)
    # A URL's own query string is not taken for spec options.
    azure = ModelSpec.parse("openai:m@https://example.org/v1?api-version=2024")
    assert azure.base_url == "https://example.org/v1?api-version=2024"
    with pytest.raises(ConfigError, match="unknown option.*thread"):
        ModelSpec.parse(f"local:{tiny_model_dir}?thread=1")
    with pytest.raises(ConfigError, match="field 'threads'"):
        ModelSpec.parse(f"local:{tiny_model_dir}?threads=0")
    with pytest.raises(ConfigError, match="unknown option.*model"):
        ModelSpec.parse(f"local:{tiny_model_dir}?model=other")


def _ask() -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": "cough"}], max_tokens=2)


def test_a_local_model_applies_its_spec_or_the_environment(
    calls: list[int], tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (answer,) = generate_sync(build_llm(f"local:{tiny_model_dir}?threads=1"), [_ask()])
    assert answer.ok and calls == [1]
    monkeypatch.setenv(T.ENV_VAR, "2")
    generate_sync(build_llm(f"local:{tiny_model_dir}"), [_ask()])
    assert calls == [1, 2]


def test_every_model_command_passes_threads_to_torch(
    calls: list[int], tiny_model_dir: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    model = f"local:{tiny_model_dir}"
    case = tmp_path / "case.txt"
    case.write_text("A 60-year-old man with fever and cough for three days.", encoding="utf-8")
    bench = tmp_path / "bench.jsonl"
    record = {"id": "r1", "language": "en", "department": "Respiratory", "case": case.read_text(),
              "diagnosis": "Pneumonia", "source": "test"}  # fmt: skip
    bench.write_text(json.dumps(record) + "\n", encoding="utf-8")
    missing = str(tmp_path / "missing.jsonl")
    commands = {
        "ask": ["ask", model, "hello", "--max-tokens", "2", "--threads", "1"],
        "diagnose": ["diagnose", "--model", model, str(case), "--max-tokens", "2", "--json",
                     "--threads", "1"],  # fmt: skip
        "eval": ["eval", "--bench", str(bench), "--model", model, "--out", str(tmp_path / "eval"),
                 "--max-tokens", "2", "--no-progress", "--threads", "1"],  # fmt: skip
        # Training commands pin the number before reading anything (here the data file is missing).
        "sft": ["sft", "--data", missing, "--model", model, "--out", str(tmp_path / "sft"), "--threads", "1"],
        "rl": ["rl", "--data", missing, "--model", model, "--out", str(tmp_path / "rl"), "--threads", "1"],
        "run": ["run", str(tmp_path / "missing.yaml"), "--threads", "1"],
    }
    for name, argv in commands.items():
        calls.clear()
        result = runner.invoke(app, argv)
        assert calls and set(calls) == {1}, (name, calls, result.output)
        if name in ("ask", "diagnose", "eval"):
            assert result.exit_code == 0, (name, result.output)
