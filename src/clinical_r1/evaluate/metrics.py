"""Accuracy with percentile bootstrap intervals, paired comparisons (McNemar exact), pass@k.

Every function takes per-item numbers: a score in [0, 1] per item (1/0 with one sample, the share of
correct samples with several), so every item of the benchmark is in every denominator.
"""

from __future__ import annotations

from collections.abc import Sequence
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
