"""Differentials in evaluation: a scripted server model whose ranked differentials and stated
probabilities are known gives exact top-k, MRR, ECE and Brier figures; a model without differentials
gets them from votes over samples; the report shows the section and a reliability diagram per model.
Also the metric functions against brute force."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.differential import render_differential
from clinical_r1.evaluate import metrics as M
from clinical_r1.evaluate.config import DifferentialSettings, EvalConfig, ModelUnderTest
from clinical_r1.evaluate.runner import run_eval
from clinical_r1.formatting import render
from clinical_r1.records import SAMPLE_RECORDS
from clinical_r1.testing.fake_openai_server import Reply, running_server
from clinical_r1.train.reward import RewardConfig, Rewarder

DEPARTMENTS = ["Respiratory", "Cardiology"]
WRONG = {
    "en": ["Gout", "Cataract", "Migraine", "Psoriasis", "Otitis media", "Hypothyroidism"],
    "zh": ["痛风", "白内障", "偏头痛", "银屑病", "中耳炎", "甲状腺功能减退症"],
}
R = "R"  # stands for the item's reference diagnosis in the tables below
# The "ddx" model's differential per (language, department, position): (name or wrong index, probability).
# None = no differential, only the final answer (right). Figures per item, worked out by hand:
#   top-1/3/5 hit, reciprocal rank, forecast (confidence, top right)
DDX: dict[tuple[str, str, int], list[tuple[str | int, float]] | None] = {
    ("en", "Respiratory", 0): [(R, 0.8), (0, 0.1)],  # 1 1 1, 1, (.8, 1)
    ("en", "Respiratory", 1): [(0, 0.5), (R, 0.3), (1, 0.1)],  # 0 1 1, 1/2, (.5, 0)
    ("en", "Respiratory", 2): [(0, 0.6), (1, 0.2)],  # 0 0 0, 0, (.6, 0)
    ("en", "Cardiology", 0): [(R, 0.9)],  # 1 1 1, 1, (.9, 1)
    ("en", "Cardiology", 1): [(0, 0.4), (1, 0.2), (2, 0.1), (R, 0.1), (3, 0.05)],  # 0 0 1, 1/4, (.4, 0)
    ("en", "Cardiology", 2): [(R, 0.7), (0, 0.6)],  # sums to 1.3: 1 1 1, 1, no forecast
    ("zh", "Respiratory", 0): [(R, 0.75), (0, 0.2)],  # 1 1 1, 1, (.75, 1)
    ("zh", "Respiratory", 1): [(R, 0.75)],  # 1 1 1, 1, (.75, 1)
    ("zh", "Respiratory", 2): [(0, 0.5), (1, 0.2), (R, 0.2)],  # 0 1 1, 1/3, (.5, 0)
    ("zh", "Cardiology", 0): [(0, 0.3), (1, 0.2), (2, 0.2), (3, 0.1), (R, 0.1)],  # 0 0 1, 1/5, (.3, 0)
    ("zh", "Cardiology", 1): [(0, 0.3), (1, 0.2), (2, 0.1), (3, 0.1), (4, 0.1), (R, 0.1)],  # 6th: 0 0 0, 0
    ("zh", "Cardiology", 2): None,  # "answer": 1 1 1, 1, no forecast
}
# The "voter" model states no differential; 4 samples per item, answers by position (None: truncated).
VOTES: dict[int, list[str | int | None]] = {
    0: [R, R, R, 0],  # R 3/4 first: top-1 right, confidence .75
    1: [0, R, 0, None],  # wrong 2/4 first, R second: top-3 right, RR 1/2, confidence .5
    2: [0, 1, 2, 3],  # four wrong answers, 1/4 each: confidence .25
}
ID_RE = re.compile(r"\[(sample-[^\]]+)\]")


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    rows = [json.loads(line) for line in SAMPLE_RECORDS.read_text(encoding="utf-8").splitlines()]
    chosen: dict[str, dict] = {}
    for language in ("en", "zh"):
        for department in DEPARTMENTS:
            group = [r for r in rows if r["language"] == language and r["department"] == department][:3]
            for position, row in enumerate(group):
                chosen[row["id"]] = {**row, "case": f"[{row['id']}] {row['case']}", "position": position}
    path = tmp_path_factory.mktemp("bench") / "bench.jsonl"
    path.write_text(
        "".join(json.dumps({k: v for k, v in r.items() if k != "position"}, ensure_ascii=False) + "\n"
                for r in chosen.values()),
        encoding="utf-8",
    )  # fmt: skip
    return path, chosen


def _name(item: dict, which: str | int) -> str:
    return item["diagnosis"] if which == R else WRONG[item["language"]][int(which)]


def _script(items: dict[str, dict]):
    turns: dict[str, int] = {}
    lock = threading.Lock()

    def answer(request: dict) -> str | Reply:
        prompt = request["messages"][-1]["content"]
        item = items[ID_RE.search(prompt).group(1)]
        zh = item["language"] == "zh"
        label = "最终诊断：" if zh else "Final diagnosis: "
        if request["model"] == "voter":
            with lock:
                turn = turns.get(item["id"], 0)
                turns[item["id"]] = turn + 1
            which = VOTES[item["position"]][turn % 4]
            if which is None:
                return Reply(f"Step 1: history.\n{label}", finish_reason="length")
            return f"Step 1: history.\n{label}{_name(item, which)}"
        if request["model"] == "trained":  # the trained (r1) format, prompted as in SFT: nothing asked
            entries = [(item["diagnosis"], 0.9)] if item["position"] == 0 else [
                (WRONG[item["language"]][0], 0.6), (item["diagnosis"], 0.3)
            ]  # fmt: skip
            response = f"{label}{item['diagnosis']}\n\n" + render_differential(entries, item["language"])
            return render("reasoning about the case", response)
        assert ("鉴别诊断" if zh else "Differential diagnosis:") in prompt  # the prompt asked for one
        ddx = DDX[(item["language"], item["department"], item["position"])]
        text = f"Step 1: history.\nStep 2: findings.\n{label}{item['diagnosis']}\n"
        if ddx is None:
            return text
        if zh:  # the zh answers write it inline, as Chinese models often do
            entries = "；".join(
                f"{i}. {_name(item, w)}（{round(p * 100)}%）" for i, (w, p) in enumerate(ddx, 1)
            )
            return text + f"\n鉴别诊断：{entries}"
        entries = "\n".join(f"{i}. {_name(item, w)} - {p}" for i, (w, p) in enumerate(ddx, 1))
        return text + f"\n**Differential diagnosis:**\n{entries}\n\nNext steps: confirm."

    return answer


def _box(cell: dict, name: str) -> float:
    return cell[name]["estimate"]


def test_stated_differentials_give_exact_figures(bench: tuple[Path, dict[str, dict]], tmp_path: Path) -> None:
    path, items = bench
    config = EvalConfig(concurrency=4, differential=DifferentialSettings(enabled=True, k=5))
    with running_server(_script(items)) as server:
        model = ModelUnderTest(name="ddx", spec=f"openai:ddx@{server.base_url}", mode="cot")
        trained = ModelUnderTest(name="trained", spec=f"openai:trained@{server.base_url}", mode="trained")
        report = run_eval(config, path, [model, trained], tmp_path / "run", progress=False)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    m = metrics["models"]["ddx"]
    ddx = m["differential"]
    o = ddx["overall"]
    assert ddx["ks"] == [1, 3, 5] and o["items"] == 12
    assert o["methods"] == {"stated": 11, "votes": 0, "answer": 1, "none": 0}
    assert (_box(o["top_k"], "1"), _box(o["top_k"], "3"), _box(o["top_k"], "5")) == pytest.approx(
        (6 / 12, 8 / 12, 10 / 12)
    )
    assert _box(o, "mrr") == pytest.approx((6.95 + 1 / 3) / 12)
    assert o["forecasts"] == 10 and o["invalid_probabilities"] == 1
    # Brier: (.2² + .5² + .6² + .1² + .4² + .25² + .25² + .5² + .3² + .3²) / 10
    assert _box(o, "brier") == pytest.approx(1.375 / 10)
    # ECE, bins of width .1, |right - confidence| summed per bin: (.2,.3] .6 | (.3,.4] .4 | (.4,.5] 1.0
    # | (.5,.6] .6 | (.7,.8] |3 - 2.3| | (.8,.9] .1
    assert _box(o, "ece") == pytest.approx(3.4 / 10)
    assert o["ece"]["ci_low"] <= o["ece"]["estimate"] <= o["ece"]["ci_high"]
    assert m["overall"]["accuracy"] == pytest.approx(1.0)  # the final diagnoses are all right

    en_resp = ddx["by_language"]["en"]["by_department"]["Respiratory"]
    assert (_box(en_resp["top_k"], "1"), _box(en_resp["top_k"], "3")) == pytest.approx((1 / 3, 2 / 3))
    assert _box(en_resp, "mrr") == pytest.approx(0.5)
    assert _box(en_resp, "brier") == pytest.approx((0.04 + 0.25 + 0.36) / 3)
    assert _box(en_resp, "ece") == pytest.approx((0.2 + 0.5 + 0.6) / 3)
    zh = ddx["by_language"]["zh"]["overall"]
    assert _box(zh["top_k"], "5") == pytest.approx(5 / 6) and zh["forecasts"] == 5
    assert _box(zh, "mrr") == pytest.approx((3 + 1 / 3 + 0.2) / 6)
    zh_card = ddx["by_language"]["zh"]["by_department"]["Cardiology"]
    assert zh_card["methods"]["answer"] == 1 and _box(zh_card["top_k"], "1") == pytest.approx(1 / 3)

    bins = {round(b["low"], 1): b for b in ddx["reliability"] if b["forecasts"]}
    assert {k: b["forecasts"] for k, b in bins.items()} == {0.2: 2, 0.3: 1, 0.4: 2, 0.5: 1, 0.7: 3, 0.8: 1}
    assert bins[0.7]["accuracy"] == 1.0 and bins[0.7]["mean_confidence"] == pytest.approx(2.3 / 3)
    assert 0 < bins[0.7]["ci_low"] < 1 == bins[0.7]["ci_high"]  # Wilson: below 1 with 3/3

    # Every entry was graded by the verifier; the journal keeps each entry's verdict.
    lines = (tmp_path / "run" / "results" / "ddx.jsonl").read_text().splitlines()
    second = next(i for i, it in items.items() if (it["language"], it["department"], it["position"])
                  == ("en", "Respiratory", 1))  # fmt: skip
    entry = next(e for e in map(json.loads, lines) if e["id"] == second)
    stated = entry["samples"][0]["differential"]
    assert [e["correct"] for e in stated["entries"]] == [False, True, False]
    assert all(e["verdict"]["label"] in ("match", "mismatch") for e in stated["entries"])

    text = report.read_text()
    assert "## Differential: top-k accuracy, mean reciprocal rank, calibration" in text
    assert "| ddx | stated 11, answer 1 | 12 | 50.0 [" in text
    assert "### zh: per department" in text and "Wilson" in text
    png = tmp_path / "run" / "plots" / "reliability_ddx.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "plots/reliability_ddx.png" in text

    # The trained model states its differential in the r1 format without being asked: right first on
    # position 0 (p .9), else second behind a wrong entry stated at .6.
    t = metrics["models"]["trained"]["differential"]["overall"]
    assert t["methods"]["stated"] == 12 and t["forecasts"] == 12
    assert [_box(t["top_k"], k) for k in ("1", "3")] == pytest.approx([4 / 12, 12 / 12])
    assert _box(t, "mrr") == pytest.approx((4 + 8 * 0.5) / 12)
    assert _box(t, "brier") == pytest.approx((4 * 0.01 + 8 * 0.36) / 12)
    assert _box(t, "ece") == pytest.approx((abs(4 - 3.6) + abs(0 - 4.8)) / 12)


def test_votes_over_samples_give_top_k_and_agreement_confidence(
    bench: tuple[Path, dict[str, dict]], tmp_path: Path
) -> None:
    path, items = bench
    # No differential asked for: several samples alone bring the section (pass@k style).
    config = EvalConfig(concurrency=4, samples=4, temperature=0.7)
    with running_server(_script(items)) as server:
        model = ModelUnderTest(name="voter", spec=f"openai:voter@{server.base_url}", mode="cot")
        report = run_eval(config, path, [model], tmp_path / "run", progress=False)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    o = metrics["models"]["voter"]["differential"]["overall"]
    assert o["methods"] == {"stated": 0, "votes": 12, "answer": 0, "none": 0}
    assert [_box(o["top_k"], k) for k in ("1", "3", "5")] == pytest.approx([4 / 12, 8 / 12, 8 / 12])
    assert _box(o, "mrr") == pytest.approx(0.5)
    assert o["forecasts"] == 12
    assert _box(o, "brier") == pytest.approx((4 * 0.0625 + 4 * 0.25 + 4 * 0.0625) / 12)
    assert _box(o, "ece") == pytest.approx((1 + 2 + 1) / 12)  # |4 - 3|, |0 - 2|, |0 - 1| over 12
    assert "| voter | votes 12 | 12 | 33.3 [" in report.read_text()


def test_quiet_run_has_no_differential_section(bench: tuple[Path, dict[str, dict]], tmp_path: Path) -> None:
    path, items = bench
    with running_server(_script(items)) as server:
        model = ModelUnderTest(name="voter", spec=f"openai:voter@{server.base_url}", mode="cot")
        report = run_eval(EvalConfig(limit=2), path, [model], tmp_path / "run", progress=False)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert "differential" not in metrics["models"]["voter"]
    assert "## Differential" not in report.read_text()


# --- the metric functions -----------------------------------------------------------------------


def test_ece_and_brier_against_brute_force() -> None:
    rng = np.random.default_rng(3)
    conf = rng.random(500)
    right = rng.random(500) < conf**1.5
    brute = 0.0
    for b in range(10):
        members = [i for i in range(500) if b / 10 < conf[i] <= (b + 1) / 10 or (b == 0 and conf[i] == 0)]
        if members:
            brute += len(members) / 500 * abs(np.mean(right[members]) - np.mean(conf[members]))
    assert M.expected_calibration_error(conf, right, 10) == pytest.approx(brute)
    assert M.brier_score(conf, right) == pytest.approx(np.mean((conf - right) ** 2))


def test_bin_edges_are_right_closed_despite_floating_point() -> None:
    assert M.bin_index(np.array([0.0, 0.1, 0.6, 0.7, 0.61, 1.0]), 10).tolist() == [0, 0, 5, 6, 6, 9]


def test_vote_ranking_and_hits() -> None:
    ranked = M.vote_ranking(["Gout", "gout.", None, "Asthma", "Asthma"], [False, False, False, True, True])
    assert [(c.answer, c.share, c.correct) for c in ranked] == [("Gout", 0.4, False), ("Asthma", 0.4, True)]
    assert M.ranked_hits([False, True], [1, 3]) == ({1: False, 3: True}, 0.5)
    assert M.ranked_hits([], [1]) == ({1: False}, 0.0)


def test_bootstrap_statistics_match_bootstrap_ci_for_a_mean() -> None:
    scores = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 1], dtype=float)
    plain = M.bootstrap_ci(scores, 500, 0.9, seed=4)
    statistics = {"mean": lambda s: s[..., 0] / 10}
    via = M.bootstrap_statistics(scores[:, None], statistics, 500, 0.9, seed=4)["mean"]
    assert (via.estimate, via.low, via.high) == pytest.approx((plain.estimate, plain.low, plain.high))


def test_reliability_bins_use_wilson_intervals() -> None:
    sums = M.calibration_columns([0.95, 0.95, 0.95, 0.95, None], [True, True, True, False, False], 10).sum(0)
    last = M.reliability_bins(sums, 10)[-1]
    assert (last.forecasts, last.accuracy) == (4, 0.75)
    # Wilson 95% for 3/4 (statsmodels proportion_confint(3, 4, method="wilson") gives the same)
    assert (last.ci_low, last.ci_high) == pytest.approx((0.3006418, 0.9544127), abs=1e-6)


# --- the optional calibration term of the RL reward -------------------------------------------------


def _with_ddx(final: str, entries: list[tuple[str, float]]) -> str:
    return render("Fever, cough and a lobar consolidation.",
                  f"Final diagnosis: {final}\n\n" + render_differential(entries))  # fmt: skip


def test_reward_calibration_term_is_off_by_default_and_a_brier_bonus_when_on() -> None:
    outputs = [
        _with_ddx("pneumonia", [("pneumonia", 0.8), ("asthma", 0.1)]),  # right, first entry right, p .8
        _with_ddx("pneumonia", [("asthma", 0.6), ("pneumonia", 0.3)]),  # right answer, first entry wrong
        _with_ddx("gout", [("gout", 0.9)]),  # wrong and confident
        # probabilities summing to 1.3: no bonus
        render("r", "Final diagnosis: gout\n\nDifferential diagnosis:\n1. gout (70%)\n2. asthma (60%)"),
        render("Fever and cough.", "Final diagnosis: pneumonia"),  # no differential: no bonus
        "Final diagnosis: pneumonia\n\nDifferential diagnosis:\n1. pneumonia (90%)",  # no reasoning
    ]
    refs = ["pneumonia"] * len(outputs)
    assert Rewarder().score_many(outputs, refs) == [1.0, 1.0, 0.1, 0.1, 1.0, 0.0]  # the paper's reward
    details = Rewarder(RewardConfig(calibration=0.2)).score_details(outputs, refs)
    assert [d.score for d in details] == pytest.approx(
        [1.0 + 0.2 * (1 - 0.2**2), 1.0 + 0.2 * (1 - 0.6**2), 0.1 + 0.2 * (1 - 0.9**2), 0.1, 1.0, 0.0]
    )
    assert [d.calibration is None for d in details] == [False, False, False, True, True, True]
    with pytest.raises(ValueError, match="must be below correct - wrong"):
        RewardConfig(calibration=0.9)


def test_cli_differential_option(bench: tuple[Path, dict[str, dict]], tmp_path: Path) -> None:
    path, items = bench
    with running_server(_script(items)) as server:  # the ddx script asserts the prompt asks for one
        result = CliRunner().invoke(app, [
            "eval", "--bench", str(path), "--model", f"ddx=openai:ddx@{server.base_url}#cot",
            "--out", str(tmp_path / "run"), "--differential", "3", "--limit", "3", "--no-progress",
        ])  # fmt: skip
    assert result.exit_code == 0, result.output
    ddx = json.loads((tmp_path / "run" / "metrics.json").read_text())["models"]["ddx"]["differential"]
    assert ddx["k"] == 3 and ddx["ks"] == [1, 3] and ddx["overall"]["methods"]["stated"] == 3
    assert _box(ddx["overall"]["top_k"], "1") == pytest.approx(1 / 3)
