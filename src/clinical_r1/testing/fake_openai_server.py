"""A real OpenAI-compatible HTTP server for tests and benchmarks, on 127.0.0.1.

It answers `POST /v1/chat/completions` (plain and `stream: true` SSE) from a *script* and can inject
faults (slow replies, 429 with Retry-After, 500, dropped connections, malformed JSON). Every request it
receives is recorded, so tests can count calls and check that nothing was sent twice.

    from clinical_r1.testing.fake_openai_server import Faults, Reply, running_server

    with running_server(lambda req: "Diagnosis: asthma", faults=Faults(rate_500=0.2)) as server:
        llm = build_llm(f"openai:fake-model@{server.base_url}")
        ...
        assert len(server.requests) >= 1

Scripts: a callable `(request_json) -> str | Reply`, a list of replies consumed in order (thread
safe; an exhausted list answers 400), a fixed string, or None (echo the last user message).
With `n > 1` the script is asked once per choice. The reply honours `max_tokens` (counted in
whitespace words; finish_reason "length") and `stop` (cut before the first stop string).

Run it by hand: `python -m clinical_r1.testing.fake_openai_server --delay 0.1` prints its base URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

FaultKind = Literal["ok", "429", "500", "drop", "malformed", "slow", "400", "401"]


@dataclass
class Reply:
    """One scripted answer. Token counts default to whitespace word counts."""

    text: str
    finish_reason: str = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


Script = Callable[[dict], "str | Reply"] | Sequence["str | Reply"] | str | None


@dataclass
class Faults:
    """What goes wrong, and how often. `plan` fixes the fault of the first requests, in arrival order
    (e.g. ["429", "drop", "ok"]); after it, each request draws a fault from the rates (seeded RNG).
    "400" and "401" (bad request, bad key) exist only in `plan`."""

    delay_s: float = 0.0  # every reply waits this long (fixed latency)
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_drop: float = 0.0  # close the socket without any response
    rate_malformed: float = 0.0  # 200 with a body that is not JSON
    rate_slow: float = 0.0  # wait `slow_s` before answering (client timeouts)
    slow_s: float = 5.0
    retry_after_s: float | None = 0.0  # Retry-After header on 429s (None: no header)
    plan: list[FaultKind] = field(default_factory=list)
    seed: int = 0


@dataclass
class RecordedRequest:
    """One request as the server saw it, and what it did about it."""

    index: int
    path: str
    body: dict
    headers: dict[str, str]
    fault: FaultKind
    texts: list[str] = field(default_factory=list)  # what was answered (empty unless fault ok/slow)
    received_at: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.fault in ("ok", "slow") and bool(self.texts)

    @property
    def user_text(self) -> str:
        """The last user message: a handy identity for "was this request sent twice?"."""
        for message in reversed(self.body.get("messages", [])):
            if message.get("role") == "user":
                return str(message.get("content", ""))
        return ""


def _words(text: str) -> int:
    return len(text.split())


def _echo(request: dict) -> str:
    for message in reversed(request.get("messages", [])):
        if message.get("role") == "user":
            return f"echo: {message.get('content', '')}"
    return "echo:"


class _ScriptRunner:
    def __init__(self, script: Script) -> None:
        self._lock = threading.Lock()
        self._fn: Callable[[dict], str | Reply] | None = None
        self._queue: list[str | Reply] | None = None
        if script is None:
            self._fn = _echo
        elif isinstance(script, str):
            fixed = script
            self._fn = lambda _request: fixed
        elif callable(script):
            self._fn = script
        else:
            self._queue = list(script)

    def next(self, request: dict) -> Reply | None:
        if self._fn is not None:
            answer = self._fn(request)
        else:
            with self._lock:
                if not self._queue:
                    return None
                answer = self._queue.pop(0)
        return answer if isinstance(answer, Reply) else Reply(text=str(answer))


def _shape(reply: Reply, request: dict) -> tuple[str, str, int]:
    """Apply the request's stop strings and max_tokens to a reply: (text, finish_reason, tokens)."""
    text, finish = reply.text, reply.finish_reason
    stops = request.get("stop") or []
    if isinstance(stops, str):
        stops = [stops]
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    if cut >= 0:
        text, finish = text[:cut], "stop"
    max_tokens = request.get("max_tokens") or request.get("max_completion_tokens")
    if max_tokens is not None and _words(text) > int(max_tokens):
        text, finish = " ".join(text.split()[: int(max_tokens)]), "length"
    tokens = reply.completion_tokens if reply.completion_tokens is not None else _words(text)
    return text, finish, tokens


# Transports by client address, so a handler can drop its own connection without any response.
_TRANSPORTS: dict[tuple[str, int], asyncio.Transport] = {}


class _DroppableProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.client:
            _TRANSPORTS[tuple(self.client)] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.client:
            _TRANSPORTS.pop(tuple(self.client), None)
        super().connection_lost(exc)


class Server:
    """A running fake server: `.base_url` ("http://127.0.0.1:PORT/v1"), `.requests` (every request
    received, in arrival order). Start with `running_server(...)` or `.start()` / `.stop()`."""

    def __init__(
        self,
        script: Script = None,
        faults: Faults | None = None,
        model: str = "fake-model",
        max_n: int | None = None,
    ) -> None:
        self.model = model
        self.max_n = max_n  # answer at most this many choices whatever `n` asks (as DeepSeek does)
        self.faults = faults or Faults()
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most chat requests being answered at once
        self._script = _ScriptRunner(script)
        self._rng = random.Random(self.faults.seed)
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.app = self._build_app()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def succeeded(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.succeeded]

    # -- fault choice and recording ---------------------------------------------------------------
    def _record(self, path: str, body: dict, headers: dict[str, str]) -> RecordedRequest:
        with self._lock:
            index = len(self.requests)
            f = self.faults
            if index < len(f.plan):
                fault: FaultKind = f.plan[index]
            else:
                roll, fault = self._rng.random(), "ok"
                for kind, rate in (
                    ("429", f.rate_429),
                    ("500", f.rate_500),
                    ("drop", f.rate_drop),
                    ("malformed", f.rate_malformed),
                    ("slow", f.rate_slow),
                ):
                    if roll < rate:
                        fault = kind  # type: ignore[assignment]
                        break
                    roll -= rate
            record = RecordedRequest(index, path, body, headers, fault, received_at=time.time())
            self.requests.append(record)
            return record

    # -- the app ------------------------------------------------------------------------------------
    def _build_app(self) -> FastAPI:
        app = FastAPI(title="fake OpenAI-compatible server")

        @app.get("/v1/models")
        async def models() -> dict:
            return {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "fake"}]}

        @app.get("/health")
        async def health() -> dict:
            return {"status": "ok"}

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            try:
                body = await request.json()
            except ValueError:
                return _error(400, "request body is not valid JSON", "invalid_request_error")
            record = self._record("/v1/chat/completions", body, dict(request.headers))
            self.in_flight += 1  # the server's event loop is one thread: no lock needed
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                return await self._answer(request, body, record)
            finally:
                self.in_flight -= 1

        return app

    async def _answer(self, request: Request, body: dict, record: RecordedRequest) -> Response:
        f = self.faults
        if f.delay_s:
            await asyncio.sleep(f.delay_s)
        if record.fault == "slow":
            await asyncio.sleep(f.slow_s)
        if record.fault == "429":
            headers = {} if f.retry_after_s is None else {"retry-after": f"{f.retry_after_s:g}"}
            return _error(429, "rate limited (injected)", "rate_limit_exceeded", headers)
        if record.fault == "400":
            return _error(400, "bad request (injected)", "invalid_request_error")
        if record.fault == "401":
            return _error(401, "invalid API key (injected)", "invalid_api_key")
        if record.fault == "500":
            return _error(500, "internal error (injected)", "server_error")
        if record.fault == "drop":
            transport = _TRANSPORTS.get(tuple(request.client)) if request.client else None
            if transport is not None:
                transport.abort()
                await asyncio.sleep(0.01)  # let uvicorn see the disconnect before we return
            return Response(status_code=500)  # only reached if the socket was already gone
        if record.fault == "malformed":
            return Response('{"id": "chatcmpl-broken", "choices": [', media_type="application/json")

        n = int(body.get("n") or 1)
        if self.max_n is not None:
            n = min(n, self.max_n)
        choices, completion_tokens, prompt_tokens = [], 0, None
        for i in range(n):
            reply = self._script.next(body)
            if reply is None:
                return _error(400, "fake server script exhausted", "invalid_request_error")
            text, finish, tokens = _shape(reply, body)
            choices.append(
                {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
            )
            completion_tokens += tokens
            if reply.prompt_tokens is not None:
                prompt_tokens = reply.prompt_tokens
        if prompt_tokens is None:
            prompt_tokens = sum(_words(str(m.get("content", ""))) for m in body.get("messages", []))
        record.texts = [c["message"]["content"] for c in choices]
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        ident, created, model = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time()), body.get("model", "")
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(
                _sse(ident, created, model, choices, usage if include_usage else None),
                media_type="text/event-stream",
            )
        return JSONResponse(
            {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": choices,
                "usage": usage,
            }
        )

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> Server:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            http=_DroppableProtocol,
            log_level="warning",
            access_log=False,
            lifespan="off",
            backlog=1024,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-openai-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake OpenAI server did not start")
            time.sleep(0.005)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server, self._thread = None, None

    def serve_forever(self) -> None:
        """Run until Ctrl-C (a server started by hand from the command line), then stop."""
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stop()


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": kind, "code": kind}}, status_code=status, headers=headers
    )


async def _sse(ident: str, created: int, model: str, choices: list[dict], usage: dict | None):
    def event(choice_list: list[dict], **extra: Any) -> str:
        chunk = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model}
        chunk.update(choices=choice_list, **extra)
        return f"data: {json.dumps(chunk)}\n\n"

    for choice in choices:
        index, text = choice["index"], choice["message"]["content"]
        yield event([{"index": index, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
        # Word-sized deltas that keep their spaces, so joining them gives the text back exactly.
        pieces = [p for p in _split_keep_spaces(text) if p]
        for piece in pieces:
            yield event([{"index": index, "delta": {"content": piece}, "finish_reason": None}])
            await asyncio.sleep(0)
        yield event([{"index": index, "delta": {}, "finish_reason": choice["finish_reason"]}])
    if usage is not None:
        yield event([], usage=usage)
    yield "data: [DONE]\n\n"


def _split_keep_spaces(text: str) -> list[str]:
    pieces, current = [], ""
    for ch in text:
        current += ch
        if ch.isspace():
            pieces.append(current)
            current = ""
    pieces.append(current)
    return pieces


@contextmanager
def running_server(
    script: Script = None, faults: Faults | None = None, model: str = "fake-model", max_n: int | None = None
) -> Iterator[Server]:
    """Start a fake server on a free 127.0.0.1 port for the duration of a `with` block."""
    server = Server(script, faults=faults, model=model, max_n=max_n).start()
    try:
        yield server
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Fake OpenAI-compatible server (echoes the last user message)"
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="fixed latency per reply, seconds")
    parser.add_argument("--reply", default=None, help="fixed reply text (default: echo)")
    args = parser.parse_args()
    server = Server(args.reply, faults=Faults(delay_s=args.delay))
    server.port = args.port
    server.start()
    print(server.base_url, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
