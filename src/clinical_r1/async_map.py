"""Map an async function over many items with bounded concurrency, a journal, resume and progress.

The one loop behind every stage that calls a model once per item (synthesis: one teacher search per
record; evaluation: one request per item or per batch of a local model). The caller keeps its own
journal format (synthesis: SQLite, evaluation: JSONL) and says three things:

- `finished(item)`: already journaled by an earlier run, so skipped (resume);
- `fn(batch)`: the work, one result per item of the batch, in order;
- `record(item, result)`: journal one result as soon as it exists (a killed run loses at most the
  batches in flight), called before `progress(item, result)`.

At most `concurrency` batches are in flight; `batch_size` items make a batch (local models answer a
batch at a time; servers and teacher searches take one item). Batches start in item order. An exception
from `fn` or `record` stops the map and propagates (the items journaled so far stay journaled); the
batches already in flight are cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class MapReport:
    total: int  # items given
    skipped: int  # finished by an earlier run (not run again)
    done: int  # results recorded by this run


async def map_resumable(
    fn: Callable[[list[T]], Awaitable[Sequence[R]]],
    items: Sequence[T],
    *,
    record: Callable[[T, R], None],
    concurrency: int,
    finished: Callable[[T], bool] = lambda _: False,
    batch_size: int = 1,
    progress: Callable[[T, R], None] | None = None,
) -> MapReport:
    """Run `fn` over the unfinished items, journaling (`record`) and reporting (`progress`) each result."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    todo = [item for item in items if not finished(item)]
    size = max(1, batch_size)
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]
    queue = iter(batches)
    done = 0

    async def worker() -> None:
        nonlocal done
        for batch in queue:
            results = await fn(batch)
            if len(results) != len(batch):
                raise RuntimeError(f"map function gave {len(results)} results for {len(batch)} items")
            for item, result in zip(batch, results, strict=True):
                record(item, result)
                done += 1
                if progress is not None:
                    progress(item, result)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(batches)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return MapReport(total=len(items), skipped=len(items) - len(todo), done=done)
