"""Metric arithmetic: hand-checked cases, and the bootstrap / McNemar against scipy / statsmodels."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from clinical_r1.evaluate import metrics as M


def test_accuracy_and_degenerate_interval() -> None:
    assert M.accuracy([1, 0, 1, 1]) == 0.75
    ci = M.bootstrap_ci([1, 1, 1, 1, 1])
    assert (ci.estimate, ci.low, ci.high) == (1.0, 1.0, 1.0)


def test_bootstrap_matches_scipy_percentile_interval() -> None:
    rng = np.random.default_rng(7)
    scores = (rng.random(300) < 0.62).astype(float)
    ours = M.bootstrap_ci(scores, n_boot=6000, confidence=0.95, seed=1)
    ref = stats.bootstrap(
        (scores,), np.mean, n_resamples=6000, confidence_level=0.95, method="percentile", random_state=2
    ).confidence_interval
    assert ours.estimate == pytest.approx(scores.mean())
    # Two independent Monte Carlo runs of the same interval: they agree to well under a point.
    assert ours.low == pytest.approx(ref.low, abs=0.01)
    assert ours.high == pytest.approx(ref.high, abs=0.01)
    # Normal approximation of the same interval, as a second, analytic check.
    se = scores.std(ddof=0) / np.sqrt(len(scores))
    assert ours.low == pytest.approx(scores.mean() - 1.96 * se, abs=0.012)


def test_bootstrap_is_seeded() -> None:
    scores = np.random.default_rng(0).random(37)  # continuous scores: the percentiles move with the seed
    assert M.bootstrap_ci(scores, seed=3) == M.bootstrap_ci(scores, seed=3)
    assert M.bootstrap_ci(scores, seed=3) != M.bootstrap_ci(scores, seed=4)


def test_paired_difference_uses_the_same_items() -> None:
    a = [1, 1, 0, 0, 1, 1]
    b = [0, 1, 0, 0, 0, 1]
    diff = M.paired_difference(a, b, seed=0)
    assert diff.estimate == pytest.approx(2 / 6)
    # Per-item differences are 1,0,0,0,1,0: a resample mean lies in [0, 1] and the interval is not
    # the (wider) interval of two independent samples.
    assert 0.0 <= diff.low < diff.estimate < diff.high <= 1.0
    same = M.paired_difference(a, a)
    assert (same.estimate, same.low, same.high) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    "a_only,b_only,both,neither", [(0, 5, 10, 3), (7, 2, 40, 11), (12, 12, 0, 0), (1, 0, 5, 5)]
)
def test_mcnemar_exact_matches_statsmodels(a_only: int, b_only: int, both: int, neither: int) -> None:
    a = [True] * both + [True] * a_only + [False] * b_only + [False] * neither
    b = [True] * both + [False] * a_only + [True] * b_only + [False] * neither
    ours = M.mcnemar_exact(a, b)
    table = [[both, a_only], [b_only, neither]]
    assert (ours.a_only, ours.b_only) == (a_only, b_only)
    assert ours.p_value == pytest.approx(mcnemar(table, exact=True).pvalue)


def test_mcnemar_hand_checked() -> None:
    # 5 discordant pairs all one way: p = 2 * 0.5**5
    assert M.mcnemar_exact([False] * 5, [True] * 5).p_value == pytest.approx(0.0625)
    assert M.mcnemar_exact([True, False], [True, False]).p_value == 1.0


def test_pass_at_k_hand_checked() -> None:
    assert M.pass_at_k(5, 2, 1) == pytest.approx(0.4)
    assert M.pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)
    assert M.pass_at_k(5, 0, 3) == 0.0
    assert M.pass_at_k(5, 5, 1) == 1.0
    assert M.pass_at_k(4, 2, 3) == 1.0  # any 3 of 4 include a correct one
    with pytest.raises(ValueError):
        M.pass_at_k(3, 1, 4)


@pytest.mark.parametrize("n,c", [(6, 0), (6, 1), (6, 3), (7, 2)])
def test_pass_at_k_equals_the_share_of_k_subsets_with_a_correct_sample(n: int, c: int) -> None:
    outcomes = [True] * c + [False] * (n - c)
    for k in range(1, n + 1):
        subsets = list(combinations(outcomes, k))
        assert M.pass_at_k(n, c, k) == pytest.approx(sum(any(s) for s in subsets) / len(subsets))


def test_k_values() -> None:
    assert M.k_values(1) == [1]
    assert M.k_values(5) == [1, 2, 4, 5]
    assert M.k_values(8) == [1, 2, 4, 8]


def test_valid_answer_rate_has_a_wilson_interval() -> None:
    from statsmodels.stats.proportion import proportion_confint

    from clinical_r1.evaluate.report import _summary

    # 10 items: 6 answered with a readable answer, 2 answered without one, 1 failed request, 1 not run.
    rows = [{"n": 1, "c": 0, "no_answer": 0, "status": "answered"} for _ in range(6)]
    rows += [{"n": 1, "c": 0, "no_answer": 1, "status": "answered"} for _ in range(2)]
    rows += [{"n": 1, "c": 0, "no_answer": 0, "status": s} for s in ("error", "missing")]
    out = _summary(rows, n_boot=200, confidence=0.95, seed=0, k=1)
    assert (out["valid_answers"], out["valid_answer_rate"]) == (6, 0.6)
    low, high = proportion_confint(6, 10, alpha=0.05, method="wilson")
    assert out["valid_ci_low"] == pytest.approx(low) and out["valid_ci_high"] == pytest.approx(high)
