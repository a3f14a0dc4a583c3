"""End-to-end evaluation runs: a scripted server model (accuracy known exactly), the tiny model, a
resume after SIGKILL, the MedQA files in multiple-choice mode, and report rebuilding."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from statsmodels.stats.contingency_tables import mcnemar
from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.config import ConfigError
from clinical_r1.evaluate.config import EvalConfig, ModelUnderTest
from clinical_r1.evaluate.journal import Journal, read_journal
from clinical_r1.evaluate.runner import run_eval
from clinical_r1.importers import import_medqa
from clinical_r1.records import SAMPLE_RECORDS
from clinical_r1.testing.fake_openai_server import Faults, Reply, running_server

DEPARTMENTS = ["Respiratory", "Cardiology", "Neurology", "Urology"]
# Items (by position 0..2 in their language x department) model "alpha" answers right.
ALPHA_RIGHT = {
    ("en", "Respiratory"): {0, 1, 2},
    ("en", "Cardiology"): {0, 1},
    ("en", "Neurology"): {2},
    ("en", "Urology"): set(),
    ("zh", "Respiratory"): {1},
    ("zh", "Cardiology"): {0, 1, 2},
    ("zh", "Neurology"): set(),
    ("zh", "Urology"): {0, 2},
}
ID_RE = re.compile(r"\[(sample-[^\]]+)\]")


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    """24 bench items (3 per language x department), each case tagged with its id for the script."""
    rows = [json.loads(line) for line in SAMPLE_RECORDS.read_text(encoding="utf-8").splitlines()]
    chosen: dict[str, dict] = {}
    for language in ("en", "zh"):
        for department in DEPARTMENTS:
            group = [r for r in rows if r["language"] == language and r["department"] == department][:3]
            for position, row in enumerate(group):
                item = {
                    **row,
                    "case": f"[{row['id']}] {row['case']}",
                    "stratum": "category:X",
                    "split": "test",
                }
                chosen[row["id"]] = {**item, "position": position}
    path = tmp_path_factory.mktemp("bench") / "bench.jsonl"
    path.write_text(
        "".join(json.dumps({k: v for k, v in r.items() if k != "position"}, ensure_ascii=False) + "\n"
                for r in chosen.values()),
        encoding="utf-8",
    )  # fmt: skip
    return path, chosen


def _alpha_right(item: dict) -> bool:
    return item["position"] in ALPHA_RIGHT[(item["language"], item["department"])]


def _script(items: dict[str, dict]):
    def answer(request: dict) -> str | Reply:
        item = items[ID_RE.search(request["messages"][-1]["content"]).group(1)]
        zh = item["language"] == "zh"
        label = "最终诊断：" if zh else "Final diagnosis: "
        if request["model"] == "beta":  # the trained format; right only on the first item of a group
            diagnosis = item["diagnosis"] if item["position"] == 0 else ("痛风" if zh else "Gout")
            return f"<think>\nreasoning about the case\n</think>\n\n{label}{diagnosis}"
        if _alpha_right(item):
            return f"Step 1: history.\nStep 2: findings.\n{label}{item['diagnosis']}"
        if item["id"].endswith("-002") or item["id"].endswith("002"):
            return Reply(f"Step 1: history.\nStep 2: {label}", finish_reason="length")
        return f"Step 1: history.\nStep 2: findings.\n{label}{'痛风' if zh else 'Gout'}"

    return answer


def test_scripted_server_accuracy_is_exact(bench: tuple[Path, dict[str, dict]], tmp_path: Path) -> None:
    path, items = bench
    with running_server(_script(items)) as server:
        alpha = ModelUnderTest(name="alpha", spec=f"openai:alpha@{server.base_url}", mode="cot")
        beta = ModelUnderTest(name="beta", spec=f"openai:beta@{server.base_url}", mode="trained")
        report = run_eval(EvalConfig(concurrency=4), path, [alpha, beta], tmp_path / "run", progress=False)
        assert len(server.requests) == 48
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    a, b = metrics["models"]["alpha"], metrics["models"]["beta"]
    right = {i for i, item in items.items() if _alpha_right(item)}
    assert a["overall"]["items"] == 24 and a["overall"]["correct"] == len(right) == 12
    assert a["overall"]["accuracy"] == pytest.approx(12 / 24)
    for (language, department), positions in ALPHA_RIGHT.items():
        cell = a["by_language"][language]["by_department"][department]
        assert (cell["items"], cell["correct"]) == (3, len(positions)), (language, department)
        assert cell["ci_low"] <= cell["accuracy"] <= cell["ci_high"]
    assert a["by_language"]["en"]["overall"]["accuracy"] == pytest.approx(6 / 12)
    assert a["by_department"]["Cardiology"]["accuracy"] == pytest.approx(5 / 6)
    # Truncated outputs are wrong and counted apart; every item stays in the denominator.
    truncated = [i for i, item in items.items() if not _alpha_right(item) and i.endswith("002")]
    assert a["overall"]["no_valid_answer"] == len(truncated) > 0
    assert a["no_valid_answer_reasons"] == {"truncated generation (finish_reason 'length')": len(truncated)}
    assert sum(a["verdict_sources"].values()) == 24
    assert b["overall"]["correct"] == 8 and b["verdict_sources"].get("rule", 0) >= 8
    assert a["tokens"]["completion_per_item"] > 0 and a["latency_s"]["mean"] > 0

    comparison = metrics["comparisons"][0]["overall"]
    beta_right = {i for i, item in items.items() if item["position"] == 0}
    a_only, b_only = len(right - beta_right), len(beta_right - right)
    assert (comparison["a_only_correct"], comparison["b_only_correct"]) == (a_only, b_only)
    assert comparison["difference"] == pytest.approx((12 - 8) / 24)
    both = len(right & beta_right)
    table = [[both, a_only], [b_only, 24 - both - a_only - b_only]]
    assert comparison["mcnemar_p"] == pytest.approx(mcnemar(table, exact=True).pvalue)

    text = report.read_text()
    assert "| alpha | cot | 24 | 50.0 [" in text and "plots/accuracy_zh.png" in text
    for language in ("en", "zh"):
        png = tmp_path / "run" / "plots" / f"accuracy_{language}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    lines = (tmp_path / "run" / "results" / "alpha.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert {"output", "thinking", "response", "answer", "verdict", "correct"} <= first["samples"][0].keys()

    # A finished run is not asked again; results made under other settings are never mixed in.
    with running_server(_script(items)) as server:
        run_eval(EvalConfig(concurrency=2), path, [alpha, beta], tmp_path / "run", progress=False)
        assert server.requests == []  # (this server was never named in a spec: nothing may reach it)
        moved = alpha.model_copy(update={"spec": f"openai:alpha@{server.base_url}"})
        with pytest.raises(ConfigError, match="spec changed"):
            run_eval(EvalConfig(if_changed="error"), path, [moved], tmp_path / "run", progress=False)
        with pytest.raises(ConfigError, match="max_tokens"):
            run_eval(
                EvalConfig(max_tokens=7, if_changed="error"), path, [alpha], tmp_path / "run", progress=False
            )
        run_eval(EvalConfig(), path, [moved], tmp_path / "run", progress=False)  # default: redo alpha only
        assert len(server.requests) == 24
    assert len(list((tmp_path / "run" / "results" / "stale").glob("alpha.*.jsonl"))) == 1
    assert (
        json.loads((tmp_path / "run" / "metrics.json").read_text())["models"]["alpha"]["overall"]["correct"]
        == 12
    )

    # `clinical-r1 report` rebuilds the same numbers from the journals alone.
    (tmp_path / "run" / "metrics.json").unlink()
    result = CliRunner().invoke(app, ["report", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    rebuilt = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert rebuilt["models"]["beta"] == metrics["models"]["beta"]
    assert rebuilt["comparisons"][0]["overall"] == metrics["comparisons"][0]["overall"]


def test_several_samples_give_mean_accuracy_and_pass_at_k(
    bench: tuple[Path, dict[str, dict]], tmp_path: Path
) -> None:
    path, items = bench
    counter = {"n": 0}

    def every_third_sample_right(request: dict) -> str:
        item = items[ID_RE.search(request["messages"][-1]["content"]).group(1)]
        counter["n"] += 1
        label = "最终诊断：" if item["language"] == "zh" else "Final diagnosis: "
        right = counter["n"] % 3 == 0 and item["department"] == "Respiratory"
        return label + (item["diagnosis"] if right else "Gout")

    config = EvalConfig(samples=3, temperature=0.8, concurrency=1)
    with running_server(every_third_sample_right) as server:
        model = ModelUnderTest(name="s", spec=f"openai:s@{server.base_url}", mode="direct")
        run_eval(config, path, [model], tmp_path / "k", progress=False)
    overall = json.loads((tmp_path / "k" / "metrics.json").read_text())["models"]["s"]["overall"]
    # Requests go one at a time with n=3: exactly one of the three samples is right on Respiratory items.
    assert overall["accuracy"] == pytest.approx((6 * 1 / 3) / 24)
    assert overall["pass_at_k"]["1"] == pytest.approx(overall["accuracy"])
    assert overall["pass_at_k"]["3"] == pytest.approx(6 / 24)
    assert overall["pass_at_k"]["2"] == pytest.approx(6 * (1 - 1 / 3) / 24)


def test_tiny_model_evaluates_end_to_end(
    tiny_model_dir: Path, bench: tuple[Path, dict], tmp_path: Path
) -> None:
    path, _ = bench
    models = [
        ModelUnderTest(name="tiny", spec=f"local:{tiny_model_dir}", mode="trained"),
        ModelUnderTest(name="tiny-cot", spec=f"local:{tiny_model_dir}", mode="cot"),
    ]
    config = EvalConfig(max_tokens=12, limit=6)
    report = run_eval(config, path, models, tmp_path / "tiny", progress=False)
    metrics = json.loads((tmp_path / "tiny" / "metrics.json").read_text())
    for name in ("tiny", "tiny-cot"):
        overall = metrics["models"][name]["overall"]
        assert overall["items"] == 6 and overall["errors"] == overall["missing"] == 0
        entries = read_journal(tmp_path / "tiny" / "results" / f"{name}.jsonl")
        assert len(entries) == 6 and all(e["completion_tokens"] > 0 for e in entries.values())
        # Whatever the untrained model says, each item is graded: answered or counted as no valid answer.
        answered = sum(1 for e in entries.values() if e["samples"][0]["answer"] is not None)
        assert answered + overall["no_valid_answer"] == 6
    assert (tmp_path / "tiny" / "plots" / "accuracy_en.png").exists() and report.exists()


def test_journal_drops_a_line_cut_by_a_kill(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text('{"id": "a", "error": null}\n{"id": "b", "error": "HTTP 500"}\n{"id": "c", "err')
    journal = Journal(path)
    assert journal.finished() == {"a"}  # b failed: it is tried again; c was never completed
    journal.append({"id": "c", "error": None})
    journal.close()
    assert set(read_journal(path)) == {"a", "b", "c"}
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_resume_after_sigkill_asks_only_the_missing_items(
    bench: tuple[Path, dict[str, dict]], tmp_path: Path
) -> None:
    path, items = bench
    out = tmp_path / "killed"
    config_file = tmp_path / "eval.yaml"
    config_file.write_text("use_cache: false\nconcurrency: 2\n")

    def asked(server) -> list[str]:
        return [ID_RE.search(r.user_text).group(1) for r in server.requests]

    with running_server(_script(items), faults=Faults(delay_s=0.25)) as server:
        spec = f"alpha=openai:alpha@{server.base_url}#cot"
        command = [sys.executable, "-m", "clinical_r1.cli", "eval", "--bench", str(path), "--model", spec,
                   "--out", str(out), "--config", str(config_file), "--no-progress"]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ)
        journal = out / "results" / "alpha.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if journal.exists() and journal.read_bytes().count(b"\n") >= 6:  # complete lines only
                break
            time.sleep(0.05)
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        process.send_signal(signal.SIGKILL)
        process.wait()
        time.sleep(0.6)  # let the requests it had in flight finish at the server
        before = len(server.requests)
        finished = set(read_journal(journal))
        assert 6 <= len(finished) < 24

        run_eval(
            EvalConfig(use_cache=False, concurrency=2),
            path,
            [ModelUnderTest.parse(spec)],
            out,
            progress=False,
        )
        again = asked(server)[before:]
    assert sorted(again) == sorted(set(items) - finished)  # each missing item once, nothing finished
    metrics = json.loads((out / "metrics.json").read_text())["models"]["alpha"]["overall"]
    assert (metrics["items"], metrics["correct"], metrics["missing"]) == (24, 12, 0)


@pytest.mark.parametrize("file", ["medqa_usmle/test.jsonl", "medqa_mcmle/test.json"])
def test_medqa_multiple_choice_accuracy_is_exact(shared_data: Path, tmp_path: Path, file: str) -> None:
    mcqs, _ = import_medqa(shared_data / file)
    subset = {item.question.strip()[:200]: (index, item) for index, item in enumerate(mcqs[:50])}

    def answer(request: dict) -> str:
        text = request["messages"][-1]["content"]
        index, item = next(v for k, v in subset.items() if text.startswith(k))
        label = "答案：" if item.language == "zh" else "Answer: "
        letters = sorted(item.options)
        if index % 5 < 3:  # 30 of 50 right
            return f"{label}{item.answer}"
        if index % 5 == 3:  # 10 wrong
            return f"{label}{letters[(letters.index(item.answer) + 1) % len(letters)]}"
        return (
            f"{label}{letters[0]} or {letters[1]}" if item.language == "en" else f"{label}A或B"
        )  # 10 ambiguous

    with running_server(answer) as server:
        result = CliRunner().invoke(
            app,
            ["eval", "--bench", str(shared_data / file), "--model", f"m=openai:m@{server.base_url}#direct",
             "--out", str(tmp_path / "mcq"), "--limit", "50", "--no-progress"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert len(server.requests) == 50
    m = json.loads((tmp_path / "mcq" / "metrics.json").read_text())["models"]["m"]
    assert m["overall"]["items"] == 50
    assert m["overall"]["correct"] == 30 and m["overall"]["accuracy"] == pytest.approx(0.6)
    assert m["overall"]["no_valid_answer"] == 10
    assert m["verdict_sources"] == {"letter": 40, "no valid answer": 10}
    prompt = server.requests[0].body["messages"][-1]["content"]
    assert "A. " in prompt and ("Answer: <letter>" in prompt or "答案：<字母>" in prompt)


def test_runs_compare_across_folders(bench: tuple[Path, dict[str, dict]], tmp_path: Path) -> None:
    path, items = bench
    with running_server(_script(items)) as server:
        for name in ("alpha", "beta"):
            model = ModelUnderTest(name=name, spec=f"openai:{name}@{server.base_url}", mode="cot")
            run_eval(EvalConfig(), path, [model], tmp_path / name, progress=False)
    result = CliRunner().invoke(
        app, ["report", str(tmp_path / "alpha"), str(tmp_path / "beta"), "--out", str(tmp_path / "both")]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "both" / "metrics.json").read_text())
    assert list(metrics["models"]) == ["alpha/alpha", "beta/beta"]
    comparison = metrics["comparisons"][0]["overall"]
    assert comparison["items"] == 24 and comparison["difference"] == pytest.approx((12 - 8) / 24)
    assert (tmp_path / "both" / "report.md").exists() and (
        tmp_path / "both" / "plots" / "accuracy_en.png"
    ).exists()


def test_judge_tier_from_the_cli_and_ledger_beside(
    bench: tuple[Path, dict[str, dict]], tmp_path: Path
) -> None:
    path, items = bench

    def script(request: dict) -> str:
        if request["model"] == "judge":  # strict JSON, as the verifier asks
            return '{"match": true, "reason": "same disease"}'
        item = items[ID_RE.search(request["messages"][-1]["content"]).group(1)]
        if item["position"] == 2:
            return "Step 1: history.\nStep 2: findings.\nHard to say."  # no stated diagnosis
        return ("最终诊断：" if item["language"] == "zh" else "Final diagnosis: ") + item["diagnosis"]

    config = tmp_path / "eval.yaml"
    config.write_text("verifier:\n  rules: false\n  codes: false\n")
    with running_server(script) as server:
        result = CliRunner().invoke(
            app,
            ["eval", "--bench", str(path), "--model", f"m=openai:m@{server.base_url}#direct", "--config",
             str(config), "--judge", f"openai:judge@{server.base_url}", "--out", str(tmp_path / "j"),
             "--no-progress"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        judged = [r for r in server.requests if r.body["model"] == "judge"]
    m = json.loads((tmp_path / "j" / "metrics.json").read_text())["models"]["m"]
    assert m["verdict_sources"] == {"judge": 16, "no valid answer": 8}
    assert m["overall"]["correct"] == 16 and len(judged) == 16
    ledger = json.loads((tmp_path / "j" / "ledger.json").read_text())
    assert {"openai:m", "openai:judge"} <= set(ledger["models"])
    saved = json.loads((tmp_path / "j" / "eval_config.json").read_text())
    assert (
        saved["config"]["verifier"]["judge"] is True
        and "judge" in saved["config"]["verifier"]["judge_model"]["model"]
    )


def test_failed_requests_count_as_wrong_and_are_retried(
    bench: tuple[Path, dict[str, dict]], tmp_path: Path
) -> None:
    path, items = bench
    config = EvalConfig(concurrency=1, use_cache=False)
    with running_server(_script(items), faults=Faults(plan=["400", "ok", "400"])) as server:
        model = ModelUnderTest(name="alpha", spec=f"openai:alpha@{server.base_url}", mode="cot")
        run_eval(config, path, [model], tmp_path / "e", progress=False)
        failed = {ID_RE.search(r.user_text).group(1) for r in server.requests if not r.succeeded}
        overall = json.loads((tmp_path / "e" / "metrics.json").read_text())["models"]["alpha"]["overall"]
        assert len(failed) == 2 and (overall["items"], overall["errors"]) == (24, 2)
        assert overall["correct"] == 12 - sum(_alpha_right(items[i]) for i in failed)
        before = len(server.requests)
        run_eval(config, path, [model], tmp_path / "e", progress=False)
        assert {ID_RE.search(r.user_text).group(1) for r in server.requests[before:]} == failed
    overall = json.loads((tmp_path / "e" / "metrics.json").read_text())["models"]["alpha"]["overall"]
    assert (overall["errors"], overall["correct"]) == (0, 12)
