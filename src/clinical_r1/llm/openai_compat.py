"""Any OpenAI-compatible chat server: OpenAI, DeepSeek, vLLM, SGLang, Ollama, `transformers serve`.

Spoken over plain httpx2 (one pooled HTTP/1.1 client per event loop) rather than the `openai` client,
whose request transformation and response models cost about 3 ms more CPU per request: on a busy
2-core machine that is throughput (see docs/models.md). Retries are
ours, so the ledger's counts are exact. Retried: 408, 409, 429 (honouring Retry-After), 5xx, timeouts,
dropped connections and malformed bodies. Not retried: other 4xx. A 401/403 stops every later request
of this LLM at once (a bad key will not get better).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import random
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2 as httpx  # pydantic's maintained httpx (the openai client uses it): a pool that scales

from clinical_r1.llm.base import CachedBackend, LLMError, OnDone
from clinical_r1.llm.types import ChatRequest, ChatResponse

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
RETRYABLE_STATUS = {408, 409, 429}  # plus every 5xx
AUTH_STATUS = {401, 403}
_KEY_LIKE = re.compile(r"\b(sk|key|api)[-_][A-Za-z0-9*_\-.]{6,}", re.IGNORECASE)


@dataclass
class _LoopState:
    """The client and semaphore belong to one event loop (generate_sync makes a new loop per call)."""

    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    semaphore: asyncio.Semaphore


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


class _Failed(Exception):
    """Not worth retrying (e.g. 400: the request itself is wrong)."""


class OpenAICompatLLM(CachedBackend):
    backend_name = "openai"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._state: _LoopState | None = None
        self._fatal: str | None = None  # set after an authentication failure

    @property
    def base_url(self) -> str:
        return (self.spec.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")

    # -- connection ---------------------------------------------------------------------------------
    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop:
            spec = self.spec
            client = httpx.AsyncClient(
                base_url=self.base_url + "/",
                # The key is read from the environment now and lives only in this client's headers.
                headers={"Authorization": f"Bearer {spec.api_key()}"},
                limits=httpx.Limits(
                    max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
                ),
                timeout=httpx.Timeout(spec.timeout_s, connect=min(10.0, spec.timeout_s)),
            )
            self._state = _LoopState(loop, client, asyncio.Semaphore(spec.concurrency))
        return self._state

    async def aclose(self) -> None:
        state, self._state = self._state, None
        if state is not None and state.loop is asyncio.get_running_loop():
            await state.client.aclose()

    # -- generate -----------------------------------------------------------------------------------
    async def _run(self, jobs: list[tuple[int, ChatRequest]], on_done: OnDone) -> None:
        state = self._loop_state()

        async def one(position: int, request: ChatRequest) -> None:
            try:
                response = await self._complete_n(state, request)
            except Exception as exc:  # a bug or an odd request must not sink the other requests
                log.exception("%s: request failed unexpectedly", self.spec.label)
                response = self._failure(f"unexpected error: {type(exc).__name__}: {self._redact(str(exc))}")
            on_done(position, response)

        await asyncio.gather(*(one(position, request) for position, request in jobs))

    def _body(self, request: ChatRequest) -> dict:
        body: dict = {
            "model": self.spec.model,
            "messages": request.messages,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_tokens,
        }
        if request.n != 1:
            body["n"] = request.n
        if request.seed is not None:
            body["seed"] = request.seed
        if request.stop:
            body["stop"] = request.stop
        if request.json_mode:
            body["response_format"] = {"type": "json_object"}
        if request.repetition_penalty is not None:
            # not an OpenAI API field: vLLM, llama.cpp's server and SGLang accept it as an extra body
            # field; the OpenAI API itself refuses the request (a clear error, not a silent no-op)
            body["repetition_penalty"] = request.repetition_penalty
        return body

    async def _complete_n(self, state: _LoopState, request: ChatRequest) -> ChatResponse:
        """All n choices, asking again for the rest when a server returns fewer (DeepSeek ignores n)."""
        response = await self._complete(state, request)
        while response.ok and 0 < len(response.texts) < request.n:
            more = await self._complete(
                state, request.model_copy(update={"n": request.n - len(response.texts)})
            )
            if not more.ok or not more.texts:
                return more if not more.ok else self._failure("server returned no choices")
            response = ChatResponse(
                texts=response.texts + more.texts,
                finish_reasons=response.finish_reasons + more.finish_reasons,
                prompt_tokens=response.prompt_tokens,
                completion_tokens=response.completion_tokens + more.completion_tokens,
                latency_s=response.latency_s + more.latency_s,
                model=response.model,
            )
        return response

    async def _complete(self, state: _LoopState, request: ChatRequest) -> ChatResponse:
        body = self._body(request)
        reason = ""
        for attempt in range(self.spec.max_retries + 1):
            try:
                async with state.semaphore:
                    if self._fatal:  # checked after the wait: the key may have failed meanwhile
                        return self._failure(self._fatal)
                    start = time.perf_counter()
                    async with asyncio.timeout(self.spec.timeout_s):
                        response = await state.client.post("chat/completions", json=body)
                        self._check_status(response.status_code, response.headers, response.content)
                        payload = _json(response.content)
                    latency = time.perf_counter() - start
                return self._to_response(payload, latency)
            except _Failed as exc:
                return self._failure(str(exc))
            except _Retryable as exc:
                reason, retry_after = exc.reason, exc.retry_after
            except (httpx.TimeoutException, TimeoutError):
                reason, retry_after = f"timeout after {self.spec.timeout_s:g} s", None
            except httpx.TransportError as exc:  # refused, reset, closed without a response, ...
                reason, retry_after = f"connection error: {type(exc).__name__}", None
            if attempt == self.spec.max_retries:
                break
            self.ledger.add_retry(self.spec.label)
            delay = self._backoff(attempt, retry_after)
            log.info("%s: retry %d in %.2f s after %s", self.spec.label, attempt + 1, delay, reason)
            await asyncio.sleep(delay)
        return self._failure(f"gave up after {self.spec.max_retries + 1} attempts: {reason}")

    def _check_status(self, status: int, headers: httpx.Headers, content: bytes) -> None:
        if status < 300:
            return
        if status in AUTH_STATUS:
            self._fatal = (
                f"HTTP {status}: authentication failed for {self.spec.model} at {self.base_url}; "
                f"check ${self.spec.api_key_env}"
            )
            log.error(self._fatal)
            raise _Failed(self._fatal)
        message = f"HTTP {status}: {self._redact(_error_message(content))}"
        if status == 404:
            message += (
                f" ({self.base_url}/chat/completions: does base_url end with /v1, and is the model served?)"
            )
        if status in RETRYABLE_STATUS or status >= 500:
            raise _Retryable(message, _retry_after(headers))
        raise _Failed(message)

    def _to_response(self, payload: dict, latency: float) -> ChatResponse:
        try:
            choices = sorted(payload["choices"], key=lambda c: c.get("index") or 0)
            texts = [(c["message"].get("content") or "") for c in choices]
            reasons = [c.get("finish_reason") or "stop" for c in choices]
        except (KeyError, TypeError, AttributeError) as exc:
            raise _Retryable(f"malformed response body: no {exc}") from exc
        usage = payload.get("usage") or {}
        prompt, completion = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        self._record_call(prompt, completion, latency)
        return ChatResponse(
            texts=texts,
            finish_reasons=reasons,
            prompt_tokens=prompt,
            completion_tokens=completion,
            latency_s=latency,
            model=payload.get("model") or self.spec.model,
        )

    def _record_call(self, prompt: int, completion: int, latency: float) -> None:
        spec = self.spec
        self.ledger.add_call(
            spec.label, prompt, completion, latency, spec.price_in_per_mtok, spec.price_out_per_mtok
        )

    def _failure(self, reason: str) -> ChatResponse:
        return ChatResponse(error=reason, model=self.spec.model)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter; a server's Retry-After wins when it asks for longer."""
        spec = self.spec
        delay = min(spec.backoff_max_s, spec.backoff_s * 2**attempt) * random.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, min(retry_after, spec.backoff_max_s * 4) + random.uniform(0, 0.1))
        return delay

    def _redact(self, text: str) -> str:
        """Error texts come from the server; some quote (part of) the key back. Remove it."""
        key = os.environ.get(self.spec.api_key_env, "")
        if key:
            text = text.replace(key, "[redacted]")
        return _KEY_LIKE.sub("[redacted]", text)

    # -- stream -------------------------------------------------------------------------------------
    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        """Text deltas of one completion (server-sent events). Retries only before the first delta;
        after that a broken stream raises LLMError. Not cached; counted in the ledger."""
        state = self._loop_state()
        body = self._body(request.model_copy(update={"n": 1}))
        body.update(stream=True, stream_options={"include_usage": True})
        reason, retry_after = "", None
        for attempt in range(self.spec.max_retries + 1):
            sent_any = False
            try:
                async with state.semaphore:
                    if self._fatal:
                        raise LLMError(self._fatal)
                    start = time.perf_counter()
                    usage: dict = {}
                    async with state.client.stream("POST", "chat/completions", json=body) as response:
                        if response.status_code >= 300:
                            self._check_status(response.status_code, response.headers, await response.aread())
                        async for line in response.aiter_lines():
                            data = line[5:].strip() if line.startswith("data:") else ""
                            if not data:
                                continue
                            if data == "[DONE]":
                                break
                            chunk = _json(data.encode())
                            usage = chunk.get("usage") or usage
                            for choice in chunk.get("choices") or []:
                                content = (choice.get("delta") or {}).get("content")
                                if content:
                                    sent_any = True
                                    yield content
                    latency = time.perf_counter() - start
                self._record_call(
                    int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0), latency
                )
                self.ledger.add_request(self.spec.label, cached=False, failed=False)
                return
            except _Failed as exc:
                self.ledger.add_request(self.spec.label, cached=False, failed=True)
                raise LLMError(str(exc)) from None
            except _Retryable as exc:
                reason, retry_after = exc.reason, exc.retry_after
            except httpx.TransportError as exc:
                reason, retry_after = f"stream error: {type(exc).__name__}", None
            if sent_any or attempt == self.spec.max_retries:
                self.ledger.add_request(self.spec.label, cached=False, failed=True)
                raise LLMError(reason)
            self.ledger.add_retry(self.spec.label)
            await asyncio.sleep(self._backoff(attempt, retry_after))


def _json(content: bytes) -> dict:
    try:
        payload = json.loads(content)
    except ValueError as exc:
        raise _Retryable(f"malformed response body: {exc}") from exc
    if not isinstance(payload, dict):
        raise _Retryable("malformed response body: not a JSON object")
    return payload


def _error_message(content: bytes) -> str:
    """The server's own words: OpenAI-style {"error": {"message": ...}}, or the first 300 bytes."""
    try:
        body = json.loads(content)
    except ValueError:
        return content[:300].decode("utf-8", "replace").strip() or "(empty body)"
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(body)[:300]


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
