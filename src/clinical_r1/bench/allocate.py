"""Spread a department's quota over its strata so that rare ones get in and none dominates."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Literal

import numpy as np

Strategy = Literal["round_robin", "proportional"]


def seeded_rng(seed: int, *labels: str) -> np.random.Generator:
    """A generator that depends only on the seed and the labels (not on Python's salted `hash`)."""
    digest = hashlib.blake2b("\x00".join([str(seed), *labels]).encode("utf-8"), digest_size=8).digest()
    return np.random.default_rng([seed & 0xFFFFFFFF, int.from_bytes(digest, "little")])


def allocate(
    quota: int,
    sizes: Mapping[str, int],
    rng: np.random.Generator,
    strategy: Strategy = "round_robin",
    cap: int | None = None,
) -> dict[str, int]:
    """How many cases to draw from each stratum (never more than it holds, nor more than `cap`).

    Every stratum first gets one case (a random subset of strata when the quota is smaller than
    their number), so single-record strata are included. The rest goes out in rounds:
    `round_robin` gives every open stratum the same share (water-filling: the allocation is
    min(size, level), which also makes the largest stratum as small as possible); `proportional`
    shares it by stratum size. Remainders smaller than one case per stratum go to a random subset
    (round_robin) or the largest strata (proportional). The sum is min(quota, sum of limits).
    """
    names = sorted(k for k, n in sizes.items() if n > 0)
    order = [names[i] for i in rng.permutation(len(names))]  # random tie-breaking, fixed by the seed
    limit = {k: min(sizes[k], cap) if cap is not None else sizes[k] for k in order}
    alloc = dict.fromkeys(order, 0)
    remaining = quota
    for name in order[:remaining]:
        alloc[name] = 1
    remaining -= min(remaining, len(order))
    while remaining > 0:
        open_ = [k for k in order if alloc[k] < limit[k]]
        if not open_:
            break
        weight = {k: (sizes[k] if strategy == "proportional" else 1) for k in open_}
        total = sum(weight.values())
        grants = {k: min(limit[k] - alloc[k], remaining * weight[k] // total) for k in open_}
        if not any(grants.values()):
            # Less than one case per open stratum is left: one each to the first `remaining` of them.
            ranked = sorted(open_, key=lambda k: -weight[k]) if strategy == "proportional" else open_
            grants = {k: 1 for k in ranked[:remaining]}
        for k, n in grants.items():
            alloc[k] += n
            remaining -= n
    return {k: n for k, n in alloc.items() if n}
