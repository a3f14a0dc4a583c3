"""Run the app on uvicorn: `uvicorn_config` (the CLI and tests share it) and `running_app` (a real
server in a background thread for tests, benchmarks, notebooks).

uvicorn has a keep-alive timeout (idle between requests) but none for a request that is being sent:
a client that sends half its headers, or a Content-Length and then only part of the body, holds its
connection forever, and a few hundred such clients hold the server (slowloris). `ReadTimeoutProtocol`
is uvicorn's own httptools protocol with one addition: every request must have arrived whole (headers
and body) within `read_timeout_s` of its first byte (of the connection, for the first request); if not,
the client gets `408 Request Timeout` and the connection is closed. The deadline is for the whole
request, not between reads, so trickling a byte at a time does not extend it; bodies are at most
`max_body_bytes` (64 KiB), so an honest client needs far less than the default 10 s.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("clinical_r1.serve")

_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 45\r\nconnection: close\r\n\r\nthe request did not arrive within the timeout"
)


class ReadTimeoutProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a deadline for receiving each whole request (`read_timeout_s`, set on a
    subclass by `read_timeout_protocol`)."""

    read_timeout_s: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._read_deadline: asyncio.TimerHandle | None = None
        self._arm_read_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._read_deadline is None:  # a later request on a kept-alive connection
            self._arm_read_deadline()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm_read_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_deadline()
        super().connection_lost(exc)

    def _arm_read_deadline(self) -> None:
        self._read_deadline = self.loop.call_later(self.read_timeout_s, self._read_timed_out)

    def _disarm_read_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _read_timed_out(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing():
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.info(
            "closed the connection of %s: its request was not complete after %.0f s (read timeout)",
            client,
            self.read_timeout_s,
        )
        cycle = self.cycle  # the request being received, or the previous one (kept-alive connection)
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


def read_timeout_protocol(read_timeout_s: float) -> type[ReadTimeoutProtocol]:
    """A protocol class for uvicorn's `http=` with this read timeout."""
    return type("ReadTimeoutProtocol", (ReadTimeoutProtocol,), {"read_timeout_s": read_timeout_s})


def uvicorn_config(app: FastAPI, host: str, port: int, **options) -> uvicorn.Config:
    """uvicorn's config for this app: the read timeout of its `ServeSettings` (`app.state.settings`),
    no server/date headers that tell the software version, and `options` passed on."""
    settings = app.state.settings
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=read_timeout_protocol(settings.read_timeout_s),
        timeout_keep_alive=settings.keep_alive_s,
        server_header=False,
        **options,
    )


@contextmanager
def running_app(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` for the duration of a `with` block; yields its base URL ("http://127.0.0.1:PORT").
    Port 0 picks a free one."""
    config = uvicorn_config(app, host, port, log_level="warning", access_log=False, backlog=2048)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="clinical-r1-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a local model is loaded before the server starts
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the clinical-r1 server did not start")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
