"""Any OpenAI-compatible chat server: OpenAI, DeepSeek, vLLM, SGLang, Ollama, `transformers serve`.

The official client with its own retries off (max_retries=0): retries happen here, so the ledger's
counts are exact. Retried: 408, 409, 429 (honouring Retry-After), 5xx, timeouts, dropped connections
and malformed bodies. Not retried: other 4xx. 401/403 stop every later request of this LLM at once.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import openai
from pydantic import ValidationError

from clinical_r1.llm.base import CachedBackend, LLMError, OnDone
from clinical_r1.llm.types import ChatRequest, ChatResponse

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {408, 409, 429}  # plus every 5xx
AUTH_STATUS = {401, 403}
_KEY_LIKE = re.compile(r"\b(sk|key|api)[-_][A-Za-z0-9*_\-.]{6,}", re.IGNORECASE)


@dataclass
class _LoopState:
    """The client and semaphore belong to one event loop (generate_sync makes a new loop per call)."""

    loop: asyncio.AbstractEventLoop
    client: openai.AsyncOpenAI
    semaphore: asyncio.Semaphore


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class OpenAICompatLLM(CachedBackend):
    backend_name = "openai"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._state: _LoopState | None = None
        self._fatal: str | None = None  # set after an authentication failure

    # -- connection ---------------------------------------------------------------------------------
    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop:
            spec = self.spec
            limits = httpx.Limits(
                max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
            )
            timeout = httpx.Timeout(spec.timeout_s, connect=min(10.0, spec.timeout_s))
            client = openai.AsyncOpenAI(
                api_key=spec.api_key(),  # read from the environment now; never stored on self.spec
                base_url=spec.base_url,
                max_retries=0,
                timeout=timeout,
                http_client=openai.DefaultAsyncHttpxClient(limits=limits, timeout=timeout),
            )
            self._state = _LoopState(loop, client, asyncio.Semaphore(spec.concurrency))
        return self._state

    async def aclose(self) -> None:
        state, self._state = self._state, None
        if state is not None and state.loop is asyncio.get_running_loop():
            await state.client.close()

    # -- generate -----------------------------------------------------------------------------------
    async def _run(self, jobs: list[tuple[int, ChatRequest]], on_done: OnDone) -> None:
        state = self._loop_state()

        async def one(position: int, request: ChatRequest) -> None:
            on_done(position, await self._complete(state, request))

        await asyncio.gather(*(one(position, request) for position, request in jobs))

    def _params(self, request: ChatRequest) -> dict:
        params: dict = {
            "model": self.spec.model,
            "messages": request.messages,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_tokens,
        }
        if request.n != 1:
            params["n"] = request.n
        if request.seed is not None:
            params["seed"] = request.seed
        if request.stop:
            params["stop"] = request.stop
        if request.json_mode:
            params["response_format"] = {"type": "json_object"}
        return params

    async def _complete(self, state: _LoopState, request: ChatRequest) -> ChatResponse:
        params = self._params(request)
        reason = ""
        for attempt in range(self.spec.max_retries + 1):
            try:
                async with state.semaphore:
                    if self._fatal:  # checked after the wait: the key may have failed meanwhile
                        return self._failure(self._fatal)
                    start = time.perf_counter()
                    async with asyncio.timeout(self.spec.timeout_s):
                        completion = await state.client.chat.completions.create(**params)
                    latency = time.perf_counter() - start
                return self._to_response(completion, latency)
            except _Retryable as exc:  # a 200 whose body made no sense
                reason, retry_after = exc.reason, exc.retry_after
            except openai.APIStatusError as exc:
                status = exc.status_code
                if status in AUTH_STATUS:
                    self._fatal = (
                        f"HTTP {status}: authentication failed for {self.spec.model} at "
                        f"{self.spec.base_url or 'the default endpoint'}; check ${self.spec.api_key_env}"
                    )
                    log.error(self._fatal)
                    return self._failure(self._fatal)
                message = f"HTTP {status}: {self._redact(_error_message(exc))}"
                if status not in RETRYABLE_STATUS and status < 500:
                    return self._failure(message)
                reason, retry_after = message, _retry_after(exc.response.headers)
            except (openai.APITimeoutError, TimeoutError):
                reason, retry_after = f"timeout after {self.spec.timeout_s:g} s", None
            except openai.APIConnectionError as exc:
                cause = exc.__cause__ or exc
                reason, retry_after = f"connection error: {type(cause).__name__}", None
            except (json.JSONDecodeError, openai.APIResponseValidationError, ValidationError) as exc:
                reason, retry_after = f"malformed response body: {type(exc).__name__}", None
            if attempt == self.spec.max_retries:
                break
            self.ledger.add_retry(self.spec.label)
            delay = self._backoff(attempt, retry_after)
            log.info("%s: retry %d in %.2f s after %s", self.spec.label, attempt + 1, delay, reason)
            await asyncio.sleep(delay)
        return self._failure(f"gave up after {self.spec.max_retries + 1} attempts: {reason}")

    def _to_response(self, completion, latency: float) -> ChatResponse:
        try:
            choices = sorted(completion.choices, key=lambda c: c.index or 0)
            texts = [(c.message.content or "") for c in choices]
            reasons = [c.finish_reason or "stop" for c in choices]
        except (AttributeError, TypeError) as exc:
            raise _Retryable(f"malformed response body: {type(exc).__name__}") from exc
        usage = completion.usage
        prompt = getattr(usage, "prompt_tokens", 0) or 0
        completion_tokens = getattr(usage, "completion_tokens", 0) or 0
        self.ledger.add_call(
            self.spec.label,
            prompt,
            completion_tokens,
            latency,
            self.spec.price_in_per_mtok,
            self.spec.price_out_per_mtok,
        )
        return ChatResponse(
            texts=texts,
            finish_reasons=reasons,
            prompt_tokens=prompt,
            completion_tokens=completion_tokens,
            latency_s=latency,
            model=completion.model or self.spec.model,
        )

    def _failure(self, reason: str) -> ChatResponse:
        return ChatResponse(error=reason, model=self.spec.model)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter; a server's Retry-After wins when it asks for longer."""
        spec = self.spec
        base = min(spec.backoff_max_s, spec.backoff_s * 2**attempt)
        delay = base * random.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, min(retry_after, spec.backoff_max_s * 4) + random.uniform(0, 0.1))
        return delay

    def _redact(self, text: str) -> str:
        """Error texts come from the server; some quote (part of) the key back. Remove it."""
        try:
            key = self.spec.api_key()
        except Exception:
            key = ""
        if key and key != "EMPTY":
            text = text.replace(key, "[redacted]")
        return _KEY_LIKE.sub("[redacted]", text)

    # -- stream -------------------------------------------------------------------------------------
    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        """Text deltas of one completion. Retries only before the first delta; after that a broken
        stream raises LLMError. Not cached; counted in the ledger."""
        state = self._loop_state()
        params = self._params(request.model_copy(update={"n": 1}))
        params.update(stream=True, stream_options={"include_usage": True})
        reason = ""
        for attempt in range(self.spec.max_retries + 1):
            sent_any = False
            try:
                async with state.semaphore:
                    if self._fatal:
                        raise LLMError(self._fatal)
                    start = time.perf_counter()
                    stream = await state.client.chat.completions.create(**params)
                    usage = None
                    async for chunk in stream:
                        if chunk.usage is not None:
                            usage = chunk.usage
                        for choice in chunk.choices or []:
                            if choice.delta and choice.delta.content:
                                sent_any = True
                                yield choice.delta.content
                    latency = time.perf_counter() - start
                self.ledger.add_call(
                    self.spec.label,
                    getattr(usage, "prompt_tokens", 0) or 0,
                    getattr(usage, "completion_tokens", 0) or 0,
                    latency,
                    self.spec.price_in_per_mtok,
                    self.spec.price_out_per_mtok,
                )
                self.ledger.add_request(self.spec.label, cached=False, failed=False)
                return
            except openai.APIStatusError as exc:
                if exc.status_code in AUTH_STATUS:
                    self._fatal = (
                        f"HTTP {exc.status_code}: authentication failed; check ${self.spec.api_key_env}"
                    )
                    raise LLMError(self._fatal) from None
                reason = f"HTTP {exc.status_code}: {self._redact(_error_message(exc))}"
                if exc.status_code not in RETRYABLE_STATUS and exc.status_code < 500:
                    raise LLMError(reason) from None
                retry_after = _retry_after(exc.response.headers)
            except (openai.APIConnectionError, json.JSONDecodeError, httpx.HTTPError) as exc:
                reason, retry_after = f"stream error: {type(exc).__name__}", None
            if sent_any or attempt == self.spec.max_retries:
                self.ledger.add_request(self.spec.label, cached=False, failed=True)
                raise LLMError(reason)
            self.ledger.add_retry(self.spec.label)
            await asyncio.sleep(self._backoff(attempt, retry_after))


def _error_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return exc.message


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from Retry-After (seconds or an HTTP date) or retry-after-ms."""
    if value := headers.get("retry-after-ms"):
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
