"""The API probed as an attacker would (issue 17, "API"): each probe here failed before the fix.

- a non-loopback bind without a (long enough) key is refused at start (exit 2), the key never printed;
- a Host header outside the allow-list gets 400 (DNS rebinding), on every path;
- no key + a bad or huge body is 401, not 422 / 413 (the key is checked before the body is read);
- half-sent requests on a real server are answered 408 and closed within the read timeout;
- a lone surrogate in the case is 422 naming it, not 502;
- every answer says `Cache-Control: no-store`; /docs has a CSP that still runs its own script;
- a client that leaves logs a line and its generation is cancelled (plain and streaming).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clinical_r1.cli import app as cli
from clinical_r1.llm import LLMError, ModelSpec, build_llm
from clinical_r1.llm.cache import Ledger
from clinical_r1.llm.types import ChatRequest, ChatResponse
from clinical_r1.serve.app import ServeSettings, create_app
from clinical_r1.serve.security import check_bind, split_host
from clinical_r1.serve.server import running_app
from clinical_r1.testing.fake_openai_server import running_server

LOCAL = "http://localhost"
CASE = "A 67-year-old man with 3 days of fever, rust-coloured sputum and right lower lobe consolidation."
REPLY = "<think>\nFever and a lobar consolidation.\n</think>\n\nFinal diagnosis: Lobar pneumonia"
KEY = "k3y-" + "x7Q" * 10  # 34 characters
KEY_ENV = "TEST_ADVERSARIAL_KEY"


@pytest.fixture(scope="module")
def model() -> Iterator[object]:
    with running_server(REPLY) as server:
        yield server


@pytest.fixture(scope="module")
def client(model) -> Iterator[TestClient]:
    llm = build_llm(f"openai:fake-model@{model.base_url}")
    with TestClient(create_app(llm, ServeSettings(warmup=False)), base_url=LOCAL) as client:
        yield client


@pytest.fixture
def keyed(model, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv(KEY_ENV, KEY)
    llm = build_llm(f"openai:fake-model@{model.base_url}")
    app = create_app(llm, ServeSettings(api_key_env=KEY_ENV, warmup=False))
    with TestClient(app, base_url=LOCAL) as client:
        yield client


# -- binding beyond loopback --------------------------------------------------------------------------


class _Served(Exception):
    """Raised instead of serving, so a CLI test never blocks on a real server."""


@pytest.fixture
def no_serving(monkeypatch: pytest.MonkeyPatch) -> list[uvicorn.Config]:
    started: list[uvicorn.Config] = []

    def run(self, sockets=None) -> None:
        started.append(self.config)
        raise _Served

    monkeypatch.setattr(uvicorn.Server, "run", run)
    return started


def serve_cli(*args: str) -> object:
    spec = "openai:fake-model@http://127.0.0.1:9/v1"  # never called: serving is stopped first
    return CliRunner().invoke(cli, ["serve", "--model", spec, "--api-key-env", KEY_ENV, *args])


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "myhost.example"])
def test_non_loopback_bind_without_key_is_refused(
    host: str, no_serving, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    result = serve_cli("--host", host)
    assert result.exit_code == 2, result.output
    assert KEY_ENV in result.output and "without a key" in result.output
    assert no_serving == []


def test_short_key_is_refused_and_never_printed(no_serving, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "short-k3y-9")
    result = serve_cli("--host", "0.0.0.0")
    assert result.exit_code == 2 and "at least 16" in result.output
    assert "short-k3y-9" not in result.output and no_serving == []


def test_keyed_non_loopback_and_keyless_loopback_start(
    no_serving, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    with caplog.at_level(logging.DEBUG):
        result = serve_cli("--host", "0.0.0.0", "--allowed-host", "api.example.org", "--read-timeout", "3")
    assert isinstance(result.exception, _Served), result.output
    assert KEY not in result.output and KEY not in caplog.text  # the key is never printed or logged
    config = no_serving[0]
    assert config.host == "0.0.0.0" and config.http.read_timeout_s == 3.0
    monkeypatch.delenv(KEY_ENV)
    assert isinstance(serve_cli().exception, _Served)  # 127.0.0.1 needs no key
    assert serve_cli("--allowed-host", "bad host!").exit_code == 2


def test_bind_policy() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        check_bind(host, None, KEY_ENV)
    with pytest.raises(ValueError, match=KEY_ENV):
        check_bind("10.0.0.1", "", KEY_ENV)
    check_bind("10.0.0.1", KEY, KEY_ENV)


# -- Host header (DNS rebinding) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8080",
        "localhost.evil.example",
        "127.0.0.1.nip.io:8080",
        "localhost:99999",
        "localhost:80:80",
        "[::1",
        "",
    ],
)
@pytest.mark.parametrize("path", ["/", "/health", "/v1/examples", "/openapi.json"])
def test_foreign_host_is_400(client: TestClient, host: str, path: str) -> None:
    response = client.get(path, headers={"host": host})
    assert response.status_code == 400, response.text[:200]
    assert "--allowed-host" in response.json()["detail"]


def test_foreign_host_cannot_diagnose(client: TestClient, model) -> None:
    before = len(model.requests)
    response = client.post("/v1/diagnose", json={"case": CASE}, headers={"host": "rebind.evil.example:8080"})
    assert response.status_code == 400
    assert len(model.requests) == before  # the model was never asked


@pytest.mark.parametrize("host", ["localhost:8080", "127.0.0.1:8080", "[::1]:8080", "LOCALHOST", "127.0.0.1"])
def test_loopback_hosts_are_answered(client: TestClient, host: str) -> None:
    assert client.get("/health", headers={"host": host}).status_code == 200


def test_allow_list_is_configurable(model) -> None:
    llm = build_llm(f"openai:fake-model@{model.base_url}")
    settings = ServeSettings(
        warmup=False, allowed_hosts=["api.example.org", "*.corp.example", "10.0.0.5:443"]
    )
    with TestClient(create_app(llm, settings), base_url=LOCAL) as client:
        for host, status in [
            ("api.example.org", 200),
            ("api.example.org:8443", 200),
            ("a.b.corp.example", 200),
            ("corp.example", 400),
            ("10.0.0.5:443", 200),
            ("10.0.0.5:80", 400),
            ("localhost", 400),
        ]:
            assert client.get("/health", headers={"host": host}).status_code == status, host
    assert split_host("[::1]:8080") == ("[::1]", 8080) and split_host("a b") is None
    for bad in ("bad host", "localhost:0", "[::1", ""):
        with pytest.raises(ValueError, match="allowed host"):
            ServeSettings(allowed_hosts=[bad])


def test_request_without_host_is_400(model) -> None:
    llm = build_llm(f"openai:fake-model@{model.base_url}")
    with running_app(create_app(llm, ServeSettings(warmup=False))) as base_url:
        address = urlsplit(base_url)
        with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
            sock.sendall(b"GET /health HTTP/1.0\r\n\r\n")  # HTTP/1.0 allows no Host header
            answer = read_all(sock, 5)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:100]


# -- the key before the body --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/diagnose", "/v1/diagnose/stream"])
@pytest.mark.parametrize(
    "body",
    [b"{case:", b"not json at all", b'{"case": 5}', b'{"nothing": true}', b"", b"\xff\xfe\x00"],
)
def test_no_key_and_bad_body_is_401(keyed: TestClient, path: str, body: bytes) -> None:
    for headers in ({}, {"authorization": "Bearer wrong-key"}, {"authorization": f"Basic {KEY}"}):
        response = keyed.post(path, content=body, headers={"content-type": "application/json", **headers})
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
        assert "case" not in response.text  # nothing about what the body should be


def test_with_the_key_bad_body_is_still_422(keyed: TestClient) -> None:
    auth = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    assert keyed.post("/v1/diagnose", content=b"{case:", headers=auth).status_code == 422
    response = keyed.post("/v1/diagnose", json={"case": CASE}, headers={"authorization": f"Bearer {KEY}"})
    assert response.status_code == 200 and response.json()["diagnosis"] == "Lobar pneumonia", response.json()


def test_key_never_in_logs_or_answers(keyed: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        right = keyed.post("/v1/diagnose", json={"case": CASE}, headers={"authorization": f"Bearer {KEY}"})
        wrong = keyed.post("/v1/diagnose", json={"case": CASE}, headers={"authorization": "Bearer guess-1"})
        health = keyed.get("/health")
    assert right.status_code == 200 and wrong.status_code == 401
    for text in (caplog.text, right.text, wrong.text, health.text, keyed.get("/openapi.json").text):
        assert KEY not in text and "guess-1" not in text


# -- slow clients -------------------------------------------------------------------------------------


def read_all(sock: socket.socket, timeout_s: float) -> bytes:
    """Everything the server sends until it closes the connection; raises TimeoutError if it does not
    close within timeout_s."""
    sock.settimeout(timeout_s)
    deadline = time.monotonic() + timeout_s
    data = b""
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return data
        except TimeoutError:
            raise TimeoutError(f"still open after {timeout_s} s; got {data[:80]!r}") from None
        if not chunk:
            return data
        data += chunk


def test_half_sent_requests_are_closed_within_the_read_timeout(model) -> None:
    timeout_s = 1.0
    llm = build_llm(f"openai:fake-model@{model.base_url}")
    settings = ServeSettings(warmup=False, read_timeout_s=timeout_s)
    body = json.dumps({"case": CASE}).encode()
    half_requests = [
        b"",  # connects and says nothing
        b"POST /v1/diagnose HTTP/1.1\r\n",  # a request line only
        b"POST /v1/diagnose HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n",
        # headers complete, body short of its Content-Length
        b"POST /v1/diagnose HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:10],
    ]
    with running_app(create_app(llm, settings)) as base_url:
        address = urlsplit(base_url)
        sockets = []
        for i in range(48):  # 12 of each kind, all at once
            sock = socket.create_connection((address.hostname, address.port), timeout=5)
            sock.sendall(half_requests[i % 4])
            sockets.append((i % 4, sock))
        # A keep-alive connection: one whole request, then half of the next.
        kept = socket.create_connection((address.hostname, address.port), timeout=5)
        kept.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        kept.settimeout(5)
        assert kept.recv(65536).startswith(b"HTTP/1.1 200")
        kept.sendall(b"GET /health HTTP/1.1\r\nHo")
        sockets.append((1, kept))

        started = time.monotonic()
        answers = [(kind, read_all(sock, timeout_s + 4)) for kind, sock in sockets]
        closed_after = time.monotonic() - started
        for _, sock in sockets:
            sock.close()
        assert closed_after < timeout_s + 4
        for kind, answer in answers:
            assert answer.startswith(b"HTTP/1.1 408"), (kind, answer[:80])

        # A client that sends its request whole, if slowly, within the timeout is served.
        with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
            head = (
                b"POST /v1/diagnose HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            )
            sock.sendall(head)
            time.sleep(timeout_s / 3)
            sock.sendall(body)
            answer = read_all(sock, 10)
        assert answer.startswith(b"HTTP/1.1 200") and b"Lobar pneumonia" in answer
        assert httpx.get(f"{base_url}/health").json()["running"] == 0


# -- bad text, caching, docs --------------------------------------------------------------------------


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\udc00\\ud800"])
def test_lone_surrogate_is_422_not_502(client: TestClient, model, escape: str) -> None:
    raw = ('{"case": "Fever and cough ' + escape + ' for 3 days."}').encode()
    before = len(model.requests)
    for path in ("/v1/diagnose", "/v1/diagnose/stream"):
        response = client.post(path, content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 422, response.text
        assert "lone surrogate" in response.json()["detail"] and "character 17" in response.json()["detail"]
    assert len(model.requests) == before
    paired = b'{"case": "Fever \\ud83d\\ude00 and cough for 3 days."}'  # a valid pair is fine
    assert client.post(
        "/v1/diagnose", content=paired, headers={"content-type": "application/json"}
    ).is_success


def test_every_answer_is_no_store(client: TestClient, keyed: TestClient) -> None:
    answers = [
        client.post("/v1/diagnose", json={"case": CASE}),
        client.post("/v1/diagnose", json={"case": ""}),
        client.post("/v1/diagnose", content=b"{", headers={"content-type": "application/json"}),
        client.get("/health"),
        client.get("/v1/examples"),
        client.get("/health", headers={"host": "evil.example"}),
        keyed.post("/v1/diagnose", json={"case": CASE}),
    ]
    with client.stream("POST", "/v1/diagnose/stream", json={"case": CASE}) as stream:
        stream.read()
        answers.append(stream)
    for answer in answers:
        assert answer.headers.get("cache-control") == "no-store", (answer.request.url, answer.status_code)
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert [a.status_code for a in answers] == [200, 422, 422, 200, 200, 400, 401, 200]


def test_docs_has_a_csp_that_allows_only_its_own_script(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    csp = docs.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    (inline,) = re.findall(r"<script>(.*?)</script>", docs.text, re.S)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert client.get("/redoc").status_code == 404  # the second docs page (Google fonts) is off
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_docs_page_runs_under_its_csp_in_a_browser(model) -> None:
    """Swagger UI's CDN is replaced (no internet here) by a stand-in script, or by the real Swagger UI
    files when SWAGGER_UI_DIST names an unpacked `npm pack swagger-ui-dist@5`: the page's inline script
    must run (the real UI: render the operations and answer "Try it out"), the browser must report no
    CSP violation, and an injected inline script must be refused."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("SKIPPED LOUDLY: no /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="SKIPPED LOUDLY: pip install playwright")
    dist = os.environ.get("SWAGGER_UI_DIST")
    stand_in = (
        "window.SwaggerUIBundle = function (config) { document.body.dataset.spec = config.url; };"
        "window.SwaggerUIBundle.presets = {apis: {}}; window.SwaggerUIBundle.SwaggerUIStandalonePreset = {};"
    )

    def cdn(route) -> None:
        name = route.request.url.rsplit("/", 1)[-1]
        if dist:
            body = (Path(dist) / name).read_bytes()
        else:
            body = stand_in.encode() if name.endswith(".js") else b""
        route.fulfill(
            status=200, body=body, content_type="text/css" if name.endswith(".css") else "text/javascript"
        )

    llm = build_llm(f"openai:fake-model@{model.base_url}")
    with (
        running_app(create_app(llm, ServeSettings(warmup=False))) as base_url,
        sync_api.sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page()
            messages: list[str] = []
            page.on("console", lambda m: messages.append(m.text))
            page.route("https://cdn.jsdelivr.net/**", cdn)
            page.goto(base_url.replace("127.0.0.1", "localhost") + "/docs")
            if dist:
                page.wait_for_selector(".opblock-summary", timeout=20_000)
                paths = page.locator(".opblock-summary-path").all_text_contents()
                assert {"/health", "/v1/diagnose", "/v1/diagnose/stream"} <= set(paths)
                page.locator(".opblock-summary").first.click()  # GET /health
                page.get_by_text("Try it out").first.click()
                page.locator("button.execute").first.click()
                status = page.locator(".live-responses-table tr.response .response-col_status").first
                assert status.text_content(timeout=10_000).strip() == "200"
            else:
                page.wait_for_function("document.body.dataset.spec !== undefined", timeout=10_000)
                assert page.evaluate("document.body.dataset.spec") == "/openapi.json"
            assert not [m for m in messages if "Content Security Policy" in m], messages
            # An inline script that is not the page's own is refused by the same policy.
            page.evaluate(
                "() => { const s = document.createElement('script');"
                " s.textContent = 'document.body.dataset.injected = 1'; document.body.appendChild(s); }"
            )
            assert page.evaluate("document.body.dataset.injected") is None
            assert [m for m in messages if "Content Security Policy" in m]
        finally:
            browser.close()


# -- clients that leave -------------------------------------------------------------------------------


class SlowModel:
    """A scripted model that never finishes on its own: it says when it started and when it was
    cancelled (threading events: the server runs in another thread)."""

    is_local = True

    def __init__(self) -> None:
        self.spec = ModelSpec(model="slow-model", base_url="http://127.0.0.1:9/v1")
        self.ledger = Ledger()
        self.started = threading.Event()
        self.cancelled = threading.Event()

    async def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        self.started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return [ChatResponse(texts=[REPLY]) for _ in requests]

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        self.started.set()
        try:
            yield "<think>\nFever"
            await asyncio.sleep(60)
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled.set()
            raise
        yield REPLY

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize("path", ["/v1/diagnose", "/v1/diagnose/stream"])
def test_client_that_leaves_cancels_generation_and_is_logged(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    slow = SlowModel()
    app = create_app(slow, ServeSettings(warmup=False, max_concurrency=1, max_queue=0))
    body = json.dumps({"case": CASE}).encode()
    with caplog.at_level(logging.INFO, logger="clinical_r1.serve"), running_app(app) as base_url:
        address = urlsplit(base_url)
        with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n".encode()
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            assert slow.started.wait(10)
            left = time.monotonic()
        assert slow.cancelled.wait(5), "the generation went on after the client left"
        assert time.monotonic() - left < 5
        deadline = time.monotonic() + 5
        while httpx.get(f"{base_url}/health").json()["running"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert httpx.get(f"{base_url}/health").json()["running"] == 0  # the slot is free again
        deadline = time.monotonic() + 5
        while "client disconnected" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    line = next(r.getMessage() for r in caplog.records if "client disconnected" in r.getMessage())
    assert f"{path.removeprefix('/v1/')} " in line and "generation cancelled" in line
    assert "Fever" not in caplog.text and "rust-coloured" not in caplog.text  # no case text


def send_request(base_url: str, path: str) -> socket.socket:
    address = urlsplit(base_url)
    body = json.dumps({"case": CASE}).encode()
    sock = socket.create_connection((address.hostname, address.port), timeout=5)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return sock


def wait_for(condition, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("path", ["/v1/diagnose", "/v1/diagnose/stream"])
def test_client_that_leaves_the_queue_gives_its_place_back(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    slow = SlowModel()
    app = create_app(slow, ServeSettings(warmup=False, max_concurrency=1, max_queue=1))
    with caplog.at_level(logging.INFO, logger="clinical_r1.serve"), running_app(app) as base_url:

        def health() -> dict:
            return httpx.get(f"{base_url}/health").json()

        running = send_request(base_url, "/v1/diagnose")
        assert slow.started.wait(10)
        queued = send_request(base_url, path)
        assert wait_for(lambda: health()["waiting"] == 1)
        queued.close()
        assert wait_for(lambda: health()["waiting"] == 0), "the request that left still holds its place"
        assert wait_for(lambda: "client disconnected" in caplog.text)
        assert health()["running"] == 1 and not slow.cancelled.is_set()  # the other one goes on
        running.close()
        assert slow.cancelled.wait(5)


def test_local_model_skips_a_queued_request_whose_caller_left(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain request to a local model waits in the backend's batch queue; when its client leaves
    (the API cancels the call) it must be dropped there, not generated after the running batch."""
    llm = build_llm(ModelSpec(backend="local", model=str(tiny_model_dir), threads=1))
    generated: list[int] = []
    backend = type(llm)
    original = backend._generate_batch

    def counting(self, requests: list[ChatRequest]) -> list[ChatResponse]:
        generated.extend(r.max_tokens for r in requests)
        return original(self, requests)

    monkeypatch.setattr(backend, "_generate_batch", counting)

    def ask(max_tokens: int) -> Sequence[ChatRequest]:
        return [ChatRequest(messages=[{"role": "user", "content": CASE}], max_tokens=max_tokens)]

    async def run() -> None:
        await llm.generate(ask(1))  # loads the model
        first = asyncio.ensure_future(llm.generate(ask(8)))
        second = asyncio.ensure_future(llm.generate(ask(9)))  # another batch key: waits for the first
        await asyncio.sleep(0.01)
        second.cancel()
        (answer,) = await first
        assert answer.ok
        await asyncio.sleep(0.2)  # the dispatcher would have started the second batch by now

    asyncio.run(run())
    assert generated == [1, 8]


class EchoingModel(SlowModel):
    """A model whose server fails and quotes the prompt in its error, as some servers do."""

    async def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        prompt = requests[0].messages[-1]["content"]
        return [ChatResponse(error=f"HTTP 400: invalid prompt {prompt!r}") for _ in requests]

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        raise LLMError(f"stream broke: HTTP 400 {json.dumps(request.messages)}")
        yield ""


def test_model_error_quoting_the_case_is_logged_without_it(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.DEBUG),
        TestClient(create_app(EchoingModel(), ServeSettings(warmup=False)), base_url=LOCAL) as client,
    ):
        plain = client.post("/v1/diagnose", json={"case": CASE})
        with client.stream("POST", "/v1/diagnose/stream", json={"case": CASE}) as stream:
            events = stream.read().decode()
    assert plain.status_code == 502 and "rust-coloured sputum" in plain.text  # the caller sent it
    assert "event: error" in events
    failures = [r.getMessage() for r in caplog.records if "model failed" in r.getMessage()]
    assert len(failures) == 2 and all("[case text removed]" in line for line in failures)
    assert "rust-coloured" not in caplog.text and "67-year-old" not in caplog.text
