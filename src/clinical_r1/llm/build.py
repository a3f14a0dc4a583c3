"""build_llm: a spec (or its string form) -> a ready LLM; run_sync and generate_sync for synchronous
callers."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from clinical_r1.llm.base import LLM
from clinical_r1.llm.cache import Ledger, ResponseCache
from clinical_r1.llm.local import LocalLLM
from clinical_r1.llm.openai_compat import OpenAICompatLLM
from clinical_r1.llm.spec import ModelSpec
from clinical_r1.llm.types import ChatRequest, ChatResponse
from clinical_r1.tiny import DEFAULT_TINY_DIR, ensure_tiny_model

T = TypeVar("T")


def build_llm(
    spec: ModelSpec | str | dict,
    cache_path: str | Path | None = None,
    ledger: Ledger | None = None,
) -> LLM:
    """The one way to get a model. `cache_path`: a SQLite file shared by any number of LLMs and
    processes (None: no cache). `ledger`: share one between several LLMs to get one usage table."""
    spec = ModelSpec.parse(spec)
    if spec.backend == "local" and Path(spec.model) == DEFAULT_TINY_DIR:
        ensure_tiny_model()  # "tiny": the project's tiny offline model, built on first use
    cache = ResponseCache(cache_path) if cache_path is not None else None
    backend = LocalLLM if spec.backend == "local" else OpenAICompatLLM
    llm: LLM = backend(spec, cache=cache, ledger=ledger)
    # Every model passes through here: wrappers that apply to all of them (de-identification,
    # driven by spec.deid and llm.is_local) wrap `llm` at this point.
    # De-identification policy (clinical_r1.llm.deid_guard, docs/deid.md): text bound for an endpoint off
    # this machine is de-identified before it is sent or cached; deid "off" for such an endpoint is
    # refused here, before any request, unless CLINICAL_R1_ALLOW_RAW_REMOTE=1.
    from clinical_r1.llm.deid_guard import apply_deid_policy

    return apply_deid_policy(llm)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)` for synchronous code, also when called inside a running event loop (then
    the coroutine runs on a loop of its own in a worker thread, as asyncio.run refuses a nested loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def generate_sync(llm: LLM, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
    """`await llm.generate(requests)` for synchronous code (works inside a running loop too)."""

    async def run() -> list[ChatResponse]:
        try:
            return await llm.generate(requests)
        finally:
            close = getattr(llm, "aclose", None)
            if close is not None:
                await close()

    return run_sync(run())
