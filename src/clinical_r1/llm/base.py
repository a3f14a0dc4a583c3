"""The LLM protocol and the part every backend shares: cache look-up, de-duplication, ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from clinical_r1.llm.cache import CachedSample, Ledger, ResponseCache, request_key
from clinical_r1.llm.redact import strip_echo, user_texts
from clinical_r1.llm.spec import ModelSpec
from clinical_r1.llm.types import ChatRequest, ChatResponse


class LLMError(RuntimeError):
    """A failure that is not about one request (e.g. a stream that broke, a model that will not load)."""


@runtime_checkable
class LLM(Protocol):
    spec: ModelSpec
    is_local: bool  # True when no text leaves this machine
    ledger: Ledger

    async def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        """Answers in request order; one bad request gives a response with `error`, never an exception."""
        ...

    def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        """Text deltas of one completion (n is ignored; not cached)."""
        ...

    async def aclose(self) -> None:
        """Release connections bound to the running event loop (generate_sync calls it)."""
        ...


# A backend calls this once per job, as soon as that job's answer is known (so it is cached at once).
OnDone = Callable[[int, ChatResponse], None]


@dataclass
class _Job:
    index: int
    request: ChatRequest
    keys: list[str]  # one cache key per sample index
    hits: dict[str, CachedSample]
    duplicates: list[int] = field(default_factory=list)  # identical requests in the same call

    @property
    def missing(self) -> list[int]:
        return [i for i, key in enumerate(self.keys) if key not in self.hits]


class CachedBackend:
    """Base class of the backends: `generate` answers what it can from the cache, sends the rest to
    `_run` (with n reduced to the samples still missing) and stores each answer as it arrives."""

    backend_name = ""

    def __init__(self, spec: ModelSpec, cache: ResponseCache | None = None, ledger: Ledger | None = None):
        self.spec = spec
        self.is_local = spec.is_local
        self.cache = cache
        self.ledger = ledger if ledger is not None else Ledger()

    def cache_identity(self) -> dict:
        """What, besides the request, decides the answer."""
        return {"backend": self.backend_name, "model": self.spec.model, "endpoint": self.spec.base_url or ""}

    async def _run(self, jobs: list[tuple[int, ChatRequest]], on_done: OnDone) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None

    async def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        requests = list(requests)
        results: list[ChatResponse | None] = [None] * len(requests)
        identity = self.cache_identity()
        jobs: list[_Job] = []
        by_key: dict[str, _Job] = {}
        for index, request in enumerate(requests):
            key = request_key(identity, request)
            if key in by_key:  # the same request twice in one call is sent once
                by_key[key].duplicates.append(index)
                continue
            keys = [f"{key}:{i}" for i in range(request.n)]
            hits = self.cache.get_many(keys) if self.cache is not None else {}
            if len(hits) == request.n:
                results[index] = _merge(keys, hits, None, self.spec.model)
                self.ledger.add_request(self.spec.label, cached=True, failed=False)
                continue
            job = _Job(index, request, keys, hits)
            by_key[key] = job
            jobs.append(job)

        def on_done(position: int, fresh: ChatResponse) -> None:
            job = jobs[position]
            missing = job.missing
            if fresh.ok and len(fresh.texts) != len(missing):
                fresh = ChatResponse(
                    error=f"backend returned {len(fresh.texts)} choices, expected {len(missing)}",
                    model=self.spec.model,
                    latency_s=fresh.latency_s,
                )
            if not fresh.ok and fresh.error:  # a server may quote the case back in its error
                fresh = fresh.model_copy(update={"error": strip_echo(fresh.error, user_texts(job.request))})
            if fresh.ok and self.cache is not None:
                self.cache.put_many(_samples(fresh, [job.keys[i] for i in missing]))
            response = _merge(job.keys, job.hits, fresh, self.spec.model)
            results[job.index] = response
            self.ledger.add_request(self.spec.label, cached=False, failed=not response.ok)
            for duplicate in job.duplicates:
                results[duplicate] = response.model_copy(update={"cached": response.ok})
                self.ledger.add_request(self.spec.label, cached=response.ok, failed=not response.ok)

        if jobs:
            work = [(i, job.request.model_copy(update={"n": len(job.missing)})) for i, job in enumerate(jobs)]
            await self._run(work, on_done)
        missing_answers = [i for i, r in enumerate(results) if r is None]
        if missing_answers:
            raise LLMError(f"backend {self.backend_name} left requests {missing_answers[:5]} unanswered")
        return results  # type: ignore[return-value]


def _samples(fresh: ChatResponse, keys: list[str]) -> dict[str, CachedSample]:
    """Split a fresh answer into per-sample cache entries (completion tokens shared out evenly)."""
    share, extra = divmod(fresh.completion_tokens, max(len(keys), 1))
    return {
        key: CachedSample(
            text=text,
            finish_reason=fresh.finish_reasons[i] if i < len(fresh.finish_reasons) else "stop",
            prompt_tokens=fresh.prompt_tokens,
            completion_tokens=share + (extra if i == 0 else 0),
            latency_s=fresh.latency_s,
            model=fresh.model,
        )
        for i, (key, text) in enumerate(zip(keys, fresh.texts, strict=True))
    }


def _merge(
    keys: list[str],
    hits: dict[str, CachedSample],
    fresh: ChatResponse | None,
    model: str,
) -> ChatResponse:
    """Cached samples plus freshly generated ones, in sample order."""
    if fresh is not None and not fresh.ok:
        return fresh
    fresh_texts = iter(fresh.texts if fresh else [])
    fresh_reasons = iter(fresh.finish_reasons if fresh else [])
    texts, reasons = [], []
    for key in keys:
        if key in hits:
            texts.append(hits[key].text)
            reasons.append(hits[key].finish_reason)
        else:
            texts.append(next(fresh_texts))
            reasons.append(next(fresh_reasons, "stop"))
    cached = [hits[k] for k in keys if k in hits]
    completion = sum(s.completion_tokens for s in cached) + (fresh.completion_tokens if fresh else 0)
    prompt = fresh.prompt_tokens if fresh else max((s.prompt_tokens for s in cached), default=0)
    latency = fresh.latency_s if fresh else max((s.latency_s for s in cached), default=0.0)
    return ChatResponse(
        texts=texts,
        finish_reasons=reasons,
        prompt_tokens=prompt,
        completion_tokens=completion,
        latency_s=latency,
        cached=fresh is None,
        model=(fresh.model if fresh else (cached[0].model if cached else "")) or model,
    )
