"""Run the app on a real uvicorn server in a background thread (tests, benchmarks, notebooks)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


@contextmanager
def running_app(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` for the duration of a `with` block; yields its base URL ("http://127.0.0.1:PORT").
    Port 0 picks a free one."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, backlog=2048)
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
