"""The one resumable async map: bounded concurrency, resume by skipping journaled items, journal before
progress, batches, and a failure that keeps what was journaled."""

from __future__ import annotations

import asyncio

import pytest

from clinical_r1.async_map import map_resumable


def run(coro):
    return asyncio.run(coro)


def test_bounded_concurrency_journal_then_progress_and_resume():
    in_flight = peak = 0
    journal: dict[int, int] = {}
    events: list[str] = []

    async def square(batch: list[int]) -> list[int]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001 * (batch[0] % 3))
        in_flight -= 1
        return [x * x for x in batch]

    def record(item: int, result: int) -> None:
        journal[item] = result
        events.append(f"record {item}")

    def progress(item: int, _result: int) -> None:
        assert item in journal  # journaled before it is reported
        events.append(f"progress {item}")

    report = run(map_resumable(square, range(20), record=record, progress=progress, concurrency=3,
                               finished=lambda x: x < 5))  # fmt: skip
    assert (report.total, report.skipped, report.done) == (20, 5, 15)
    assert journal == {x: x * x for x in range(5, 20)}
    assert peak == 3
    assert len(events) == 30
    again = run(map_resumable(square, range(20), record=record, concurrency=3, finished=journal.__contains__))
    assert (again.skipped, again.done) == (15, 5)  # 0..4 were never journaled


def test_batches_keep_item_order_and_sizes():
    batches: list[list[str]] = []

    async def upper(batch: list[str]) -> list[str]:
        batches.append(batch)
        return [b.upper() for b in batch]

    out: dict[str, str] = {}
    run(map_resumable(upper, list("abcdefg"), record=out.__setitem__, concurrency=1, batch_size=3))
    assert batches == [["a", "b", "c"], ["d", "e", "f"], ["g"]]
    assert out == {c: c.upper() for c in "abcdefg"}


def test_a_failure_stops_the_map_and_keeps_the_journaled_results():
    journal: dict[int, int] = {}

    async def fragile(batch: list[int]) -> list[int]:
        if batch[0] == 4:
            raise OSError("disk full")
        await asyncio.sleep(0)
        return batch

    with pytest.raises(OSError, match="disk full"):
        run(map_resumable(fragile, range(10), record=journal.__setitem__, concurrency=1))
    assert journal == {0: 0, 1: 1, 2: 2, 3: 3}

    async def short(batch: list[int]) -> list[int]:
        return []

    with pytest.raises(RuntimeError, match="0 results for 2 items"):
        run(map_resumable(short, range(2), record=journal.__setitem__, concurrency=1, batch_size=2))
    with pytest.raises(ValueError, match="concurrency"):
        run(map_resumable(short, range(2), record=journal.__setitem__, concurrency=0))
