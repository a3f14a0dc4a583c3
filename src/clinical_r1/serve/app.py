"""The HTTP API and web page: `create_app(llm, settings)` -> a FastAPI app.

- `POST /v1/diagnose`: a case in; reasoning, response, diagnosis, ICD-10 candidates and timings out.
- `POST /v1/diagnose/stream`: the same as server-sent events (`thinking` / `response` deltas, then
  `result`, or `error`).
- `GET /health`, `GET /v1/examples` (the bundled sample cases), `GET /` (the web page),
  `/openapi.json` (FastAPI's schema).

At most `max_concurrency` requests run at once and `max_queue` more wait for a slot; beyond that a
request gets 503 with Retry-After at once. An API key, when `api_key_env` holds one, is required as
`Authorization: Bearer KEY` on /v1/diagnose*, checked before the body is read. Requests whose Host is
not in `allowed_hosts` get 400 (DNS rebinding). Every answer says `Cache-Control: no-store`; the page
and /docs have a Content-Security-Policy (`serve.security`). A client that goes away stops its
request: the generation is cancelled and a line is logged. Case text is patient data: it is never
logged unless `log_cases` is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.types import Receive, Scope, Send

from clinical_r1.config import StrictModel
from clinical_r1.llm import LLM
from clinical_r1.llm.redact import strip_echo
from clinical_r1.records import SAMPLE_RECORDS, read_records
from clinical_r1.serve.diagnose import (
    CaseError,
    Delta,
    Diagnoser,
    DiagnoseResult,
    DiagnoseSettings,
    check_case,
    warm_up,
)
from clinical_r1.serve.security import (
    LOOPBACK_HOSTS,
    HostAllowList,
    RequireKey,
    SecurityHeaders,
    page_csp,
    parse_allowed_hosts,
)

log = logging.getLogger("clinical_r1.serve")
T = TypeVar("T")

STATIC_DIR = Path(__file__).parent / "static"
# The page loads nothing from anywhere but this server.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class ServeSettings(StrictModel):
    """Limits and policy of the API (the model itself is chosen by the caller of create_app)."""

    max_concurrency: int = Field(4, ge=1)  # requests generating at once
    max_queue: int = Field(16, ge=0)  # requests waiting for a slot; more get 503
    queue_timeout_s: float = Field(120.0, gt=0)  # a request that waited this long gets 503
    max_body_bytes: int = Field(65536, ge=1024)  # larger request bodies get 413
    max_case_chars: int = Field(20000, ge=1)
    max_tokens_limit: int = Field(4096, ge=1)  # the most a request may ask for
    api_key_env: str = "CLINICAL_R1_API_KEY"  # unset or empty: no key required
    # Host header values answered (name, [IPv6], *.domain, name:port; "*" = any); others get 400.
    allowed_hosts: list[str] = Field(default_factory=lambda: list(LOOPBACK_HOSTS))
    read_timeout_s: float = Field(10.0, gt=0)  # a request must arrive whole within this (else 408, closed)
    keep_alive_s: int = Field(5, ge=1)  # an idle kept-alive connection is closed after this
    docs: bool = True  # /docs (Swagger UI, its script from a CDN) and /openapi.json

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts_parse(cls, hosts: list[str]) -> list[str]:
        parse_allowed_hosts(hosts)  # a malformed entry is an error now, not at the first request
        return hosts

    log_cases: bool = False  # write case text and diagnosis to the log (patient data!)
    warmup: bool = True  # load a local model and the ICD-10 index before the first request
    diagnose: DiagnoseSettings = Field(default_factory=DiagnoseSettings)


class DiagnoseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case: str = Field(description="The whole case text (history, examination, results).")
    language: Literal["en", "zh"] | None = Field(None, description="None: detected from the case.")
    max_tokens: int | None = Field(None, ge=1, description="Most tokens to generate (server default).")
    temperature: float | None = Field(None, ge=0.0, le=2.0, description="0 = greedy (server default).")


class Example(BaseModel):
    id: str
    language: str
    department: str | None
    diagnosis: str
    icd10: str | None
    case: str


class Gate:
    """Bounded concurrency: `active` slots, `waiting` places in the queue, and no more."""

    def __init__(self, active: int, waiting: int) -> None:
        self.active = active
        self.capacity = active + waiting
        self.admitted = 0  # running + waiting
        self.running = 0
        self.rejected = 0
        self._semaphore = asyncio.Semaphore(active)

    def admit(self) -> Slot | None:
        """A place in the queue, or None when the queue is full."""
        if self.admitted >= self.capacity:
            self.rejected += 1
            return None
        self.admitted += 1
        return Slot(self)

    @property
    def waiting(self) -> int:
        return self.admitted - self.running


class Slot:
    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.holding = False
        self.released = False

    async def acquire(self, timeout_s: float) -> bool:
        """Wait for a free slot; False after `timeout_s` (the place in the queue is given up)."""
        try:
            await asyncio.wait_for(self.gate._semaphore.acquire(), timeout_s)
        except TimeoutError:
            self.release()
            return False
        except asyncio.CancelledError:  # the client left while waiting
            self.release()
            raise
        self.holding = True
        self.gate.running += 1
        return True

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        self.gate.admitted -= 1
        if self.holding:
            self.gate.running -= 1
            self.gate._semaphore.release()


class _SlotStreamingResponse(StreamingResponse):
    """Frees its slot when the response ends, however it ends (finished, failed, client gone)."""

    def __init__(self, content: AsyncIterator[str], slot: Slot) -> None:
        super().__init__(content, media_type="text/event-stream", headers={"Cache-Control": "no-store"})
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()


class _PageFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope):
        response = await super().get_response(path, scope)
        response.headers.update(PAGE_HEADERS)
        return response


async def _disconnected(request: Request) -> None:
    """Returns when the client has gone (the body was read already, so the next message is that)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _unless_client_leaves(request: Request, work: Awaitable[T]) -> tuple[bool, T | None]:
    """(False, the result of `work`), or (True, None) when the client disconnected first: `work` is
    then cancelled (and awaited, so its clean-up such as giving back a slot has run)."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, gone):
            pending.cancel()  # no-op when done; also when the handler itself is cancelled
    if not task.done() or task.cancelled():
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return True, None
    return False, task.result()  # raises what `work` raised


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(llm: LLM, settings: ServeSettings | None = None) -> FastAPI:
    settings = settings or ServeSettings()
    diagnoser = Diagnoser(llm, settings.diagnose)
    api_key = os.environ.get(settings.api_key_env) or None  # read once; never logged
    gate = Gate(settings.max_concurrency, settings.max_queue)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.warmup:
            await warm_up(llm)
        log.info(
            "serving %s: %d at once, %d queued, API key %s, case logging %s",
            llm.spec.label,
            settings.max_concurrency,
            settings.max_queue,
            f"required ({settings.api_key_env})" if api_key else "off",
            "ON" if settings.log_cases else "off",
        )
        yield
        await llm.aclose()

    app = FastAPI(
        title="clinical-r1",
        summary="Diagnose a clinical case with a reasoning model.",
        version="1",
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,
        docs_url=None,  # served below, with a CSP
        redoc_url=None,  # a second docs page with fonts from Google: one is enough
        openapi_url="/openapi.json" if settings.docs else None,
    )
    app.state.gate = gate
    app.state.settings = settings
    # No favicon from fastapi.tiangolo.com: Swagger UI's CDN is the only other origin /docs uses.
    docs_page = get_swagger_ui_html(
        openapi_url="/openapi.json", title="clinical-r1 API", swagger_favicon_url="data:,"
    )
    docs_csp = page_csp(docs_page.body.decode(), "https://cdn.jsdelivr.net")
    # Outermost last: headers on every answer (refusals too), then the Host check, then the key.
    app.add_middleware(RequireKey, api_key=api_key, prefixes=("/v1/diagnose",))
    app.add_middleware(HostAllowList, allowed=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders, csp={"/docs": docs_csp, "/": PAGE_HEADERS["Content-Security-Policy"]})
    bearer = HTTPBearer(auto_error=False, description=f"Required when {settings.api_key_env} is set.")

    async def require_key(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        # RequireKey has refused a wrong key before the body was read; this is a second check and
        # what puts the bearer scheme into the OpenAPI schema.
        if api_key is None:
            return
        given = credentials.credentials if credentials is not None else ""
        if not secrets.compare_digest(given.encode(), api_key.encode()):
            raise HTTPException(
                401,
                "missing or wrong API key: send 'Authorization: Bearer KEY'",
                {"WWW-Authenticate": "Bearer"},
            )

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the offending input back; leave the case text out of it.
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    def check(body: DiagnoseRequest) -> None:
        try:
            check_case(body.case)
        except CaseError as exc:
            raise HTTPException(422, f"case: {exc}") from None
        if len(body.case) > settings.max_case_chars:
            raise HTTPException(
                422,
                f"case: {len(body.case)} characters; this server accepts at most {settings.max_case_chars}",
            )
        if body.max_tokens is not None and body.max_tokens > settings.max_tokens_limit:
            raise HTTPException(
                422,
                f"max_tokens: {body.max_tokens} is above this server's limit of {settings.max_tokens_limit}",
            )

    async def take_slot() -> tuple[Slot, float]:
        slot = gate.admit()
        busy = HTTPException(
            503,
            f"server busy: {gate.running} requests running and {gate.waiting} queued; retry later",
            {"Retry-After": "1"},
        )
        if slot is None:
            raise busy
        start = time.perf_counter()
        if not await slot.acquire(settings.queue_timeout_s):
            raise busy
        return slot, time.perf_counter() - start

    def log_request(rid: str, endpoint: str, body: DiagnoseRequest, outcome: str, result=None) -> None:
        fields = (
            f"id={rid} {endpoint} case_chars={len(body.case)} language={body.language or 'auto'} {outcome}"
        )
        if result is not None:
            t = result.timings
            fields += f" valid={result.valid} queue_s={t.queue_s:.3f} total_s={t.total_s:.3f}"
        if settings.log_cases:
            diagnosis = result.diagnosis if result is not None else None
            fields += f" diagnosis={diagnosis!r} case={body.case!r}"
        log.info("%s", fields)

    def log_failure(rid: str, body: DiagnoseRequest, exc: Exception) -> None:
        # A remote server may quote the prompt in its error: the log gets it without the case text
        # (the client, who sent the case, gets the whole message).
        reason = str(exc) if settings.log_cases else strip_echo(str(exc), [body.case])
        log.warning("id=%s model failed: %s", rid, reason)

    def log_disconnect(rid: str, endpoint: str, body: DiagnoseRequest, after_s: float) -> None:
        log_request(rid, endpoint, body, f"client disconnected after {after_s:.2f} s: generation cancelled")

    @app.get("/health")
    async def health() -> dict:
        """Liveness and load: no key needed, no patient data."""
        return {
            "status": "ok",
            "model": llm.spec.label,
            "auth_required": api_key is not None,
            "running": gate.running,
            "waiting": gate.waiting,
            "max_concurrency": settings.max_concurrency,
            "max_queue": settings.max_queue,
            "rejected": gate.rejected,
        }

    @app.get("/v1/examples", response_model=list[Example])
    async def examples() -> list[Example]:
        """The bundled synthetic sample cases (not patient data), for trying the model."""
        return [
            Example(
                id=r.id,
                language=r.language,
                department=r.department,
                diagnosis=r.diagnosis,
                icd10=r.icd10,
                case=r.case,
            )
            for r in read_records(SAMPLE_RECORDS)
        ]

    @app.post(
        "/v1/diagnose",
        response_model=DiagnoseResult,
        dependencies=[Depends(require_key)],
        responses={401: {}, 413: {}, 422: {}, 502: {}, 503: {}},
    )
    async def diagnose(body: DiagnoseRequest, request: Request) -> DiagnoseResult:
        """Diagnose one case and answer when the model has finished."""
        check(body)
        rid = uuid.uuid4().hex[:12]
        arrived = time.perf_counter()

        async def work() -> DiagnoseResult:
            slot, waited = await take_slot()
            try:
                start = time.perf_counter()
                result = await diagnoser.diagnose(body.case, body.language, body.max_tokens, body.temperature)
            except CaseError as exc:
                raise HTTPException(422, f"case: {exc}") from None
            except Exception as exc:
                log_request(rid, "diagnose", body, f"failed={type(exc).__name__}")
                log_failure(rid, body, exc)
                raise HTTPException(502, f"the model failed: {exc}") from None
            finally:
                slot.release()
            elapsed = time.perf_counter() - start
            result.timings.queue_s = round(waited, 4)
            result.timings.total_s = round(waited + elapsed, 4)
            return result

        # Starlette does not stop a plain endpoint when its client leaves: the queue wait or the
        # generation is cancelled here (a remote model's HTTP request is closed).
        left, result = await _unless_client_leaves(request, work())
        if left:
            log_disconnect(rid, "diagnose", body, time.perf_counter() - arrived)
            return Response(status_code=499)  # nobody is left to read it
        log_request(rid, "diagnose", body, "ok", result)
        return result

    @app.post(
        "/v1/diagnose/stream",
        dependencies=[Depends(require_key)],
        response_class=StreamingResponse,
        responses={
            200: {
                "content": {"text/event-stream": {}},
                "description": "Events `thinking` and `response` ({text}), then `result` (the same "
                "body as /v1/diagnose) or `error` ({detail}).",
            },
            401: {},
            413: {},
            422: {},
            503: {},
        },
    )
    async def diagnose_stream(body: DiagnoseRequest, request: Request) -> Response:
        """Diagnose one case, sending the reasoning and response as they are written."""
        check(body)
        rid = uuid.uuid4().hex[:12]
        arrived = time.perf_counter()
        # Once streaming, Starlette cancels the stream when the client leaves; before, in the queue,
        # this does.
        left, taken = await _unless_client_leaves(request, take_slot())
        if left:
            log_disconnect(rid, "diagnose/stream", body, time.perf_counter() - arrived)
            return Response(status_code=499)
        slot, waited = taken

        async def events() -> AsyncIterator[str]:
            try:
                start = time.perf_counter()
                async for item in diagnoser.stream(
                    body.case, body.language, body.max_tokens, body.temperature
                ):
                    if isinstance(item, Delta):
                        yield _sse(item.section, {"text": item.text})
                    else:
                        item.timings.queue_s = round(waited, 4)
                        item.timings.total_s = round(waited + time.perf_counter() - start, 4)
                        log_request(rid, "diagnose/stream", body, "ok", item)
                        yield _sse("result", item.model_dump())
            except (asyncio.CancelledError, GeneratorExit):
                # Starlette cancels the stream when the client disconnects (the web page's Stop).
                log_disconnect(rid, "diagnose/stream", body, time.perf_counter() - arrived)
                raise
            except Exception as exc:
                log_request(rid, "diagnose/stream", body, f"failed={type(exc).__name__}")
                log_failure(rid, body, exc)
                yield _sse("error", {"detail": f"the model failed: {exc}"})
            finally:
                slot.release()

        return _SlotStreamingResponse(events(), slot)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)

    if settings.docs:

        @app.get("/docs", include_in_schema=False)
        async def docs() -> HTMLResponse:
            """Swagger UI (FastAPI's page); its CSP allows only its CDN and its own inline script."""
            return docs_page

    app.mount("/static", _PageFiles(directory=STATIC_DIR), name="static")
    return app
