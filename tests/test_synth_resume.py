"""Kill the synthesis process at a random moment, rerun it: same output, nothing paid twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.records import RecordError, write_jsonl
from clinical_r1.synth.config import SynthConfig
from clinical_r1.synth.fake_teacher import FakeTeacher, make_records
from clinical_r1.synth.journal import Journal
from clinical_r1.synth.runner import run_synthesis
from clinical_r1.testing.fake_openai_server import Faults, running_server

MIX = ["initial", "refine1", "refine2", "restart", "guided", "mismatch", "malformed_once", "guided_fail"]
OUTPUTS = ("examples.jsonl", "rejects.jsonl", "examples_public.json", "stats.json")
RECORDS_IN_FLIGHT = 4


def _key(request) -> str:
    return json.dumps([request.body["messages"], request.body.get("seed")], ensure_ascii=False)


def _command(records: Path, out: Path, base_url: str) -> list[str]:
    return [
        sys.executable, "-m", "clinical_r1.cli", "synthesize", "--records", str(records), "--out", str(out),
        "--teacher", f"openai:fake-teacher@{base_url}", "--concurrency", str(RECORDS_IN_FLIGHT),
        "--no-progress",
    ]  # fmt: skip


def test_sigkill_mid_run_then_rerun_gives_the_uninterrupted_output(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(MIX * 3))
    with running_server(FakeTeacher(), faults=Faults(delay_s=0.03)) as server:
        config = SynthConfig(teacher=f"openai:fake-teacher@{server.base_url}", concurrency=RECORDS_IN_FLIGHT)
        run_synthesis(config, records, tmp_path / "reference", progress=False)
        reference = list(server.requests)

        start = len(server.requests)
        process = subprocess.Popen(_command(records, tmp_path / "out", server.base_url))
        while len(server.requests) - start < len(reference) // 2:
            assert process.poll() is None, "the run finished before it could be killed"
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        first = server.requests[start:]
        with Journal(tmp_path / "out" / "journal.sqlite") as journal:
            finished = len(journal.all())
        assert 0 < finished < 24  # killed mid-run, with some records journalled

        resumed_from = len(server.requests)
        done = subprocess.run(_command(records, tmp_path / "out", server.base_url), capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
        second = server.requests[resumed_from:]

    for name in OUTPUTS:
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name
    # Every request the reference run made was made once in the killed + resumed pair, and no other.
    assert {_key(r) for r in first} | {_key(r) for r in second} == {_key(r) for r in reference}
    # Repeated: only requests that were still in flight when the process died (each record in flight
    # has at most one call open); everything answered before the kill came from the cache.
    repeated = {_key(r) for r in first if r.succeeded} & {_key(r) for r in second}
    assert len(repeated) <= RECORDS_IN_FLIGHT
    assert len(first) + len(second) <= len(reference) + RECORDS_IN_FLIGHT


def test_rerun_after_completion_makes_no_call_and_changed_prompts_only_pay_for_what_changed(
    tmp_path: Path,
) -> None:
    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial", "refine1", "guided"]))
    with running_server(FakeTeacher()) as server:
        config = SynthConfig(teacher=f"openai:fake-teacher@{server.base_url}")
        first = run_synthesis(config, records, tmp_path / "out", progress=False)
        calls = len(server.requests)
        again = run_synthesis(config, records, tmp_path / "out", progress=False)
        assert len(server.requests) == calls and again == first

        prompts = tmp_path / "prompts" / "en"
        prompts.mkdir(parents=True)
        original = (Path(__file__).parents[1] / "src/clinical_r1/synth/prompts/en/response.txt").read_text()
        (prompts / "response.txt").write_text(original + "\nBe brief.\n", encoding="utf-8")
        changed = config.model_copy(update={"prompts_dir": tmp_path / "prompts"})
        run_synthesis(changed, records, tmp_path / "out", progress=False)
        fresh = server.requests[calls:]
    # only the final-response stage changed: one new call per record, everything else from the cache
    assert len(fresh) == 3 and all("Be brief." in r.body["messages"][0]["content"] for r in fresh)


def test_cli_reports_bad_config_and_bad_records(tmp_path: Path) -> None:
    runner = CliRunner()
    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial"]))
    config = tmp_path / "synth.yaml"
    config.write_text("teacher: openai:m@http://127.0.0.1:9/v1\nmax_depht: 3\n", encoding="utf-8")
    result = runner.invoke(app, ["synthesize", "--records", str(records), "--out", str(tmp_path / "o"),
                                 "--config", str(config)])  # fmt: skip
    assert result.exit_code == 2 and "max_depht" in result.output

    lines = records.read_text().splitlines()
    records.write_text("\n".join([lines[0], lines[0]]) + "\n", encoding="utf-8")
    with pytest.raises(RecordError, match=r"records.jsonl:2: field 'id': duplicate id"):
        run_synthesis(SynthConfig(teacher="openai:m@http://127.0.0.1:9/v1"), records, tmp_path / "o")

    teacher = "openai:m@http://127.0.0.1:9/v1"
    missing = runner.invoke(app, ["synthesize", "--records", str(tmp_path / "nope.jsonl"),
                                  "--out", str(tmp_path / "o2"), "--teacher", teacher])  # fmt: skip
    assert missing.exit_code == 2 and "nope.jsonl: records file not found" in " ".join(missing.output.split())
    assert not (tmp_path / "o2").exists()


def test_cli_runs_a_small_job(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial", "mismatch"]))
    with running_server(FakeTeacher()) as server:
        result = CliRunner().invoke(
            app,
            ["synthesize", "--records", str(records), "--out", str(tmp_path / "out"),
             "--teacher", f"openai:fake-teacher@{server.base_url}", "--no-progress"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "response_mismatch" in result.output and "total" in result.output
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["routes"] == {"initial": 1} and stats["dropped"] == {"response_mismatch": 1}
