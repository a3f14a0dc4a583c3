"""Accuracy with percentile bootstrap intervals, paired comparisons (McNemar exact), pass@k.

Every function takes per-item numbers: a score in [0, 1] per item (1/0 with one sample, the share of
correct samples with several), so every item of the benchmark is in every denominator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import comb

import numpy as np
from scipy.stats import binomtest

_CHUNK = 250  # bootstrap replicates drawn at a time (bounds memory for large benchmarks)


@dataclass
class Interval:
    estimate: float
    low: float
    high: float


def accuracy(scores: Sequence[float]) -> float:
    return float(np.mean(scores)) if len(scores) else float("nan")


def _replicate_means(values: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Means of `values` (items x columns) over n_boot resamples of the items, seeded."""
    rng = np.random.default_rng(seed)
    n = values.shape[0]
    out = []
    for start in range(0, n_boot, _CHUNK):
        size = min(_CHUNK, n_boot - start)
        index = rng.integers(0, n, size=(size, n))
        out.append(values[index].mean(axis=1))
    return np.concatenate(out)


def bootstrap_ci(
    scores: Sequence[float], n_boot: int = 2000, confidence: float = 0.95, seed: int = 0
) -> Interval:
    """Mean with a percentile bootstrap interval (items resampled with replacement)."""
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        return Interval(float("nan"), float("nan"), float("nan"))
    means = _replicate_means(values[:, None], n_boot, seed)[:, 0]
    alpha = (1 - confidence) / 2
    low, high = np.percentile(means, [100 * alpha, 100 * (1 - alpha)])
    return Interval(float(values.mean()), float(low), float(high))


def paired_difference(
    a: Sequence[float], b: Sequence[float], n_boot: int = 2000, confidence: float = 0.95, seed: int = 0
) -> Interval:
    """mean(a) - mean(b) on the same items, with a paired percentile bootstrap interval."""
    values = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return bootstrap_ci(values, n_boot, confidence, seed)


@dataclass
class McNemar:
    a_only: int  # items model A got right and B wrong
    b_only: int
    p_value: float


def mcnemar_exact(a_correct: Sequence[bool], b_correct: Sequence[bool]) -> McNemar:
    """Exact (binomial) McNemar test on paired right/wrong outcomes; p = 1 when nothing is discordant."""
    if len(a_correct) != len(b_correct):
        raise ValueError("paired outcomes must have the same length")
    a_only = sum(1 for x, y in zip(a_correct, b_correct, strict=True) if x and not y)
    b_only = sum(1 for x, y in zip(a_correct, b_correct, strict=True) if y and not x)
    discordant = a_only + b_only
    p = 1.0 if discordant == 0 else float(binomtest(a_only, discordant, 0.5).pvalue)
    return McNemar(a_only, b_only, min(p, 1.0))


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct: 1 - C(n-c, k) / C(n, k) (Chen et al. 2021)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def k_values(n: int) -> list[int]:
    """The k reported for n samples: 1, powers of two below n, and n."""
    ks = {1, n}
    k = 2
    while k < n:
        ks.add(k)
        k *= 2
    return sorted(ks)


# --- ranked differentials: top-k, reciprocal rank, calibration -------------------------------------


def ranked_hits(correct: Sequence[bool], ks: Sequence[int]) -> tuple[dict[int, bool], float]:
    """Whether a right diagnosis is among the first k candidates, for each k; and 1 / rank of the first
    right one (0 when none is right: the reciprocal rank that the mean reciprocal rank averages)."""
    first = next((rank for rank, ok in enumerate(correct, 1) if ok), None)
    return {k: first is not None and first <= k for k in ks}, (1.0 / first if first else 0.0)


@dataclass
class Candidate:
    answer: str
    share: float  # votes / samples: the agreement across samples, used as the confidence
    correct: bool


def vote_ranking(answers: Sequence[str | None], correct: Sequence[bool]) -> list[Candidate]:
    """Candidates from k samples' final answers, most votes first (ties: the first answered first).

    Answers are the same candidate when equal after case folding and dropping punctuation. The share is
    votes over ALL samples, answered or not, so a model that mostly fails to answer is not confident.
    A candidate is right when its sample was graded right (equal texts get equal verdicts).
    """
    n = len(answers)
    groups: dict[str, list[int]] = {}
    for index, answer in enumerate(answers):
        if answer:
            groups.setdefault(_vote_key(answer), []).append(index)
    ranked = sorted(groups.values(), key=lambda members: (-len(members), members[0]))
    return [Candidate(answers[m[0]] or "", len(m) / n, any(correct[i] for i in m)) for m in ranked]


def _vote_key(answer: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in answer.casefold()).split())


def bin_index(confidence: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width bins (0, 1/B], (1/B, 2/B], ..., with 0 in the first; rounding first, so 0.6 is in
    (0.5, 0.6] and not pushed up by 0.6 * 10 = 6.000000000000001."""
    scaled = np.round(np.asarray(confidence, dtype=float) * bins, 9)
    return np.clip(np.ceil(scaled).astype(int) - 1, 0, bins - 1)


def calibration_columns(confidence: Sequence[float | None], correct: Sequence[bool], bins: int) -> np.ndarray:
    """Per item (one row each; None = no forecast): forecasts, confidence and right answers per bin,
    then the squared error. Sums of rows give every calibration figure, so a bootstrap over items is a
    resample of rows."""
    rows = np.zeros((len(confidence), 3 * bins + 1))
    for row, (p, ok) in enumerate(zip(confidence, correct, strict=True)):
        if p is None:
            continue
        b = int(bin_index(np.array([p]), bins)[0])
        rows[row, b] = 1.0
        rows[row, bins + b] = p
        rows[row, 2 * bins + b] = float(ok)
        rows[row, -1] = (p - float(ok)) ** 2
    return rows


def ece_from_sums(sums: np.ndarray, bins: int) -> np.ndarray:
    """Expected calibration error sum_b (n_b / N) |accuracy_b - confidence_b| from column sums
    (last axis as in calibration_columns); nan where there is no forecast."""
    counts, conf, right = sums[..., :bins], sums[..., bins : 2 * bins], sums[..., 2 * bins : 3 * bins]
    total = counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(right - conf).sum(axis=-1) / np.where(total > 0, total, np.nan)


def brier_from_sums(sums: np.ndarray, bins: int) -> np.ndarray:
    """Brier score mean (confidence - right)^2 from column sums; nan where there is no forecast."""
    total = sums[..., :bins].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums[..., -1] / np.where(total > 0, total, np.nan)


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    return float(ece_from_sums(calibration_columns(confidence, correct, bins).sum(axis=0), bins))


def brier_score(confidence: Sequence[float], correct: Sequence[bool]) -> float:
    return float(brier_from_sums(calibration_columns(confidence, correct, 1).sum(axis=0), 1))


def bootstrap_statistics(
    rows: np.ndarray,
    statistics: dict[str, Callable[[np.ndarray], np.ndarray]],
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Each statistic of the column sums, with a percentile bootstrap interval over rows (items).

    A statistic maps sums of shape (..., columns) to (...); all of them are computed on the same
    resamples (seeded as bootstrap_ci, so the same items are drawn). Replicates where a statistic is
    nan (e.g. no forecast drawn) are left out of its interval.
    """
    nan = Interval(float("nan"), float("nan"), float("nan"))
    if rows.shape[0] == 0:
        return {name: nan for name in statistics}
    sums = _replicate_means(rows, n_boot, seed) * rows.shape[0]
    alpha = (1 - confidence) / 2
    out = {}
    for name, statistic in statistics.items():
        estimate = float(statistic(rows.sum(axis=0)))
        replicates = statistic(sums)
        replicates = replicates[~np.isnan(replicates)]
        if np.isnan(estimate) or replicates.size == 0:
            out[name] = Interval(estimate, float("nan"), float("nan"))
            continue
        low, high = np.percentile(replicates, [100 * alpha, 100 * (1 - alpha)])
        out[name] = Interval(estimate, float(low), float(high))
    return out


@dataclass
class ReliabilityBin:
    low: float
    high: float
    forecasts: int
    mean_confidence: float | None
    accuracy: float | None
    ci_low: float | None  # Wilson score interval of the accuracy
    ci_high: float | None


def reliability_bins(sums: np.ndarray, bins: int, confidence: float = 0.95) -> list[ReliabilityBin]:
    """The reliability diagram's bins from column sums: accuracy with a Wilson interval (scipy)."""
    out = []
    for b in range(bins):
        n = int(round(sums[b]))
        if n == 0:
            out.append(ReliabilityBin(b / bins, (b + 1) / bins, 0, None, None, None, None))
            continue
        right = int(round(sums[2 * bins + b]))
        interval = binomtest(right, n).proportion_ci(confidence_level=confidence, method="wilson")
        out.append(
            ReliabilityBin(
                b / bins, (b + 1) / bins, n, sums[bins + b] / n, right / n, interval.low, interval.high
            )
        )
    return out
