"""Every route of the search, against a real OpenAI-compatible server playing a scripted teacher."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from clinical_r1.records import write_jsonl
from clinical_r1.synth.config import SynthConfig
from clinical_r1.synth.fake_teacher import SCENARIOS, FakeTeacher, make_records
from clinical_r1.synth.runner import run_synthesis
from clinical_r1.testing.fake_openai_server import Faults, running_server
from clinical_r1.training_example import read_examples

# refine2 records pick their strategies at random (seeded by record id): enough of them reach every
# strategy at the second step, where backtracking is allowed.
EN = [*SCENARIOS, *["refine2"] * 16]
ZH = ["initial", "refine1", "restart", "guided", "mismatch"]


def _records(path: Path) -> Path:
    write_jsonl(path, make_records(EN) + make_records(ZH, "zh", "zh"))
    return path


def _read(out: Path) -> tuple[dict, dict, dict]:
    examples = {e.id: e for e in read_examples(out / "examples.jsonl")}
    rejects = {r["id"]: r for r in map(json.loads, (out / "rejects.jsonl").read_text("utf-8").splitlines())}
    return examples, rejects, json.loads((out / "stats.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("synth-routes")
    records = _records(tmp / "records.jsonl")
    with running_server(FakeTeacher()) as server:
        config = SynthConfig(teacher=f"openai:fake-teacher@{server.base_url}", concurrency=8, export_hf=True)
        stats = run_synthesis(config, records, tmp / "out", progress=False)
        yield tmp, stats, list(server.requests), server


def test_every_route_ends_where_it_should(run) -> None:
    tmp, stats, _, _ = run
    examples, rejects, _ = _read(tmp / "out")
    by_scenario = {}
    for rid, item in [*examples.items(), *rejects.items()]:
        by_scenario.setdefault(rid, item)
    en, zh = make_records(EN), make_records(ZH, "zh", "zh")
    expected = {
        "initial": ("example", "initial"),
        "refine1": ("example", "strategy:"),
        "refine2": ("example", "strategy:"),
        "restart": ("example", ""),
        "guided": ("example", "guided"),
        "guided_fail": ("reject", "guided_mismatch"),
        "leak": ("reject", "guided_leak"),
        "mismatch": ("reject", "response_mismatch"),
        "malformed_once": ("example", "initial"),
        "malformed_always": ("reject", "malformed_json:initial"),
        "bad_rewrite": ("reject", "malformed_json:rewrite"),
    }
    for record in en + zh:
        scenario = record.case.split("scenario: ")[1].split("\n")[0]
        kind, what = expected[scenario]
        if kind == "example":
            assert record.id in examples, (scenario, rejects.get(record.id))
            assert examples[record.id].route.startswith(what), scenario
        else:
            assert rejects[record.id]["reason"] == what, (scenario, rejects[record.id])
            assert rejects[record.id]["detail"]


def test_refinements_follow_the_rules(run) -> None:
    tmp, _, _, _ = run
    examples, _, _ = _read(tmp / "out")
    seen = Counter()
    for example in examples.values():
        for attempt in example.trace["attempts"]:
            if attempt["strategies"]:
                assert attempt["strategies"][0] != "backtracking"  # never the first refinement
            assert len(attempt["strategies"]) <= 2  # max_depth
            seen.update(attempt["strategies"])
        if example.route.startswith("strategy:"):
            # the route names the strategy of the refinement that was verified
            assert example.route == f"strategy:{example.trace['attempts'][-1]['strategies'][-1]}"
            assert example.trace["attempts"][-1]["verdicts"][-1]["label"] == "match"
    assert set(seen) == {"exploring_new_paths", "backtracking", "verification", "correction"}
    routes = {e.route for e in examples.values()}
    assert {f"strategy:{name}" for name in seen} <= routes  # each strategy has verified a path


def test_restart_and_guided_paths(run) -> None:
    tmp, stats, _, _ = run
    examples, _, _ = _read(tmp / "out")
    restarted = [e for e in examples.values() if "scenario: restart" in e.question]
    assert len(restarted) == 2
    for example in restarted:
        assert example.trace["attempt"] == 2 and example.route == "initial"
        first = example.trace["attempts"][0]
        assert len(first["strategies"]) == 2 and all(v["label"] != "match" for v in first["verdicts"])
    guided = [e for e in examples.values() if e.route == "guided"]
    assert len(guided) == 2
    for example in guided:
        assert [a["attempt"] for a in example.trace["attempts"]] == [1, 2, 3, "guided"]
    assert stats.after_restart == 2


def test_malformed_reply_is_asked_again_with_the_reason(run) -> None:
    tmp, _, requests, _ = run
    examples, rejects, _ = _read(tmp / "out")
    once = next(e for e in examples.values() if "scenario: malformed_once" in e.question)
    assert once.trace["malformed"][0]["stage"] == "initial"
    always = [r for r in requests if "scenario: malformed_always" in r.body["messages"][0]["content"]]
    assert len(always) == 3  # the first ask + max_reasks (2)
    assert len(always[-1].body["messages"]) == 5  # ask, bad reply, re-ask, bad reply, re-ask
    assert "no JSON object" in always[-1].body["messages"][-1]["content"]
    reject = next(r for r in rejects.values() if r["reason"] == "malformed_json:initial")
    assert reject["usage"]["calls"] == 3


def test_examples_carry_natural_reasoning_and_a_verified_response(run) -> None:
    tmp, _, _, _ = run
    examples, _, _ = _read(tmp / "out")
    zh = examples["zh-0000"]
    assert zh.language == "zh" and "嗯" in zh.thinking and zh.response.startswith("最终诊断：大叶性肺炎")
    en = examples["rec-0000"]
    assert en.thinking.startswith("Hmm") and "\n" in en.thinking
    assert en.trace["response_verdict"]["label"] == "match"
    assert en.question.endswith("consolidation.") and en.reference == "Lobar pneumonia"
    assert en.usage["calls"] == 3 and en.usage["prompt_tokens"] > 0


def test_stats_add_up_and_exports_exist(run) -> None:
    tmp, stats, requests, _ = run
    examples, rejects, saved = _read(tmp / "out")
    total = len(EN) + len(ZH)
    assert saved["records"] == total == stats.records
    assert saved["examples"] + saved["rejected"] == total
    assert sum(saved["routes"].values()) == saved["examples"] == len(examples)
    assert sum(saved["dropped"].values()) == saved["rejected"] == len(rejects)
    assert saved["calls"] == len(requests)  # every call is counted once (no cache hits in one run)
    public = json.loads((tmp / "out" / "examples_public.json").read_text("utf-8"))
    assert len(public) == len(examples) and set(public[0]) == {"Question", "Complex_CoT", "Response"}
    from datasets import load_from_disk

    dataset = load_from_disk(str(tmp / "out" / "hf"))
    assert dataset.num_rows == len(examples) and "thinking" in dataset.column_names
    assert json.loads((tmp / "out" / "ledger.json").read_text())["total"]["calls"] == len(requests)


def test_guided_examples_can_be_left_out(run, tmp_path: Path) -> None:
    tmp, stats, requests, server = run
    shutil.copytree(tmp / "out", tmp_path / "out")
    config = SynthConfig(teacher=f"openai:fake-teacher@{server.base_url}", keep_guided=False)
    again = run_synthesis(config, tmp / "records.jsonl", tmp_path / "out", progress=False)
    assert len(server.requests) == len(requests)  # the journal answers: not one call
    assert "guided" not in again.routes and again.dropped["guided_excluded"] == stats.routes["guided"]
    assert again.examples + again.rejected == again.records


def test_teacher_faults_are_absorbed_by_the_model_layer(tmp_path: Path, run) -> None:
    """429s, 500s and dropped connections: retried below synthesis; the output is unchanged."""
    tmp, _, _, _ = run
    faults = Faults(rate_429=0.15, rate_500=0.15, rate_drop=0.05, seed=7)
    with running_server(FakeTeacher(), faults=faults) as server:
        # 35% of requests fault: with 8 retries a call gives up with probability 0.35**9 (~1% per run
        # over ~180 calls, seen in CI); 20 retries make that 0.35**21, about 3e-10.
        spec = {
            "model": "fake-teacher",
            "base_url": server.base_url,
            "backoff_s": 0.01,
            "backoff_max_s": 0.05,
            "max_retries": 20,
        }
        config = SynthConfig(teacher=spec, concurrency=8)
        stats = run_synthesis(config, tmp / "records.jsonl", tmp_path / "out", progress=False)
        faulted = sum(r.fault != "ok" for r in server.requests)
    assert faulted > 10 and stats.errors == 0
    for name in ("examples.jsonl", "rejects.jsonl"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp / "out" / name).read_bytes()


def test_persistent_teacher_failure_is_reported_and_retried_next_run(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial", "initial"]))
    with running_server(FakeTeacher(), faults=Faults(rate_500=1.0)) as server:
        spec = {"model": "fake-teacher", "base_url": server.base_url, "backoff_s": 0.0, "max_retries": 1}
        stats = run_synthesis(SynthConfig(teacher=spec), records, tmp_path / "out", progress=False)
        assert stats.errors == 2 and stats.dropped == {"teacher_error:initial": 2}
        assert len(server.requests) == 4  # two records, each tried twice by the model layer
        server.faults.rate_500 = 0.0  # the outage ends; the same command picks the errors up again
        stats = run_synthesis(SynthConfig(teacher=spec), records, tmp_path / "out", progress=False)
    assert stats.errors == 0 and stats.examples == 2


def test_teacher_behind_the_deid_policy_never_sees_identifiers(tmp_path: Path) -> None:
    """Records reach the teacher through build_llm, so `deid: required` (the default for remote
    endpoints) applies to every synthesis call."""
    record = make_records(["refine1"])[0]
    record.case += "\nPatient John Smith, phone 555-123-4567."
    write_jsonl(tmp_path / "records.jsonl", [record])
    with running_server(FakeTeacher()) as server:
        spec = {"model": "fake-teacher", "base_url": server.base_url, "deid": "required"}
        stats = run_synthesis(SynthConfig(teacher=spec), tmp_path / "records.jsonl", tmp_path / "out")
        sent = [m["content"] for r in server.requests for m in r.body["messages"]]
    assert stats.examples == 1 and stats.routes != {"initial": 1}  # the refinement ran, de-identified too
    assert len(sent) >= 4 and not any("555-123-4567" in text or "John Smith" in text for text in sent)


def test_a_response_without_a_stated_diagnosis_is_not_kept(tmp_path: Path) -> None:
    """Evaluation and the RL reward read only the diagnosis the response states (extract_diagnosis);
    a response with none must not become a training example, even when its whole text would match."""
    teacher = FakeTeacher()

    def script(request: dict) -> str:
        if request.get("response_format"):  # the judge: agrees with whatever it is shown
            return '{"match": true, "reason": "same disease"}'
        reply = teacher(request)
        if "<internal thinking>" in request["messages"][0]["content"]:  # names it, states none
            return reply.replace("Final diagnosis: ", "")
        return reply

    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial"]))
    with running_server(script) as server:
        judge = {"judge": True, "judge_model": f"openai:judge@{server.base_url}"}
        config = SynthConfig(teacher=f"openai:fake-teacher@{server.base_url}", verifier=judge)
        stats = run_synthesis(config, records, tmp_path / "out", progress=False)
        judged = [r for r in server.requests if r.body.get("response_format")]
    assert stats.examples == 0 and stats.dropped == {"response_mismatch": 1}
    assert judged == []  # nothing was left for the judge: the response states no diagnosis
