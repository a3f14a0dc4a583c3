"""Bounded concurrency under load: a real uvicorn server on loopback in front of a slow scripted model.

Every request up to the limit (running + queued) succeeds; beyond it the server answers 503 with
Retry-After at once, never an error or a crash, and every slot is given back afterwards.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from clinical_r1.llm import build_llm
from clinical_r1.serve.app import ServeSettings, create_app
from clinical_r1.serve.server import running_app
from clinical_r1.testing.fake_openai_server import Faults, running_server

REPLY = "<think>\nProductive cough, fever, lobar consolidation.\n</think>\n\nFinal diagnosis: Lobar pneumonia"
CASE = "A 67-year-old man with 3 days of fever, rust-coloured sputum and right lower lobe consolidation."
DELAY_S = 1.5  # every model answer takes this long, so requests pile up


async def fire(base_url: str, count: int) -> list[httpx.Response]:
    """`count` requests at once, alternating the plain and the streaming endpoint."""
    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:

        async def one(i: int) -> httpx.Response:
            path = "/v1/diagnose" if i % 2 == 0 else "/v1/diagnose/stream"
            response = await client.post(path, json={"case": CASE})
            await response.aread()
            return response

        return await asyncio.gather(*(one(i) for i in range(count)))


def wait_idle(base_url: str) -> dict:
    deadline = time.monotonic() + 10
    while True:
        health = httpx.get(f"{base_url}/health").json()
        if health["running"] == 0 and health["waiting"] == 0 or time.monotonic() > deadline:
            return health
        time.sleep(0.05)


@pytest.fixture(scope="module")
def slow_model():
    with running_server(REPLY, faults=Faults(delay_s=DELAY_S)) as server:
        yield server


def test_at_the_limit_all_succeed_beyond_it_503(slow_model) -> None:
    llm = build_llm(f"openai:fake-model@{slow_model.base_url}")
    settings = ServeSettings(max_concurrency=4, max_queue=4, warmup=False)
    with running_app(create_app(llm, settings)) as base_url:
        # At the limit: 4 running + 4 queued. Nothing fails, and the model never sees more than 4.
        at_limit = asyncio.run(fire(base_url, 8))
        assert [r.status_code for r in at_limit] == [200] * 8
        for response in at_limit[1::2]:  # streamed ones end with a result event
            assert "event: result" in response.text and "Lobar pneumonia" in response.text
        assert all(r.json()["diagnosis"] == "Lobar pneumonia" for r in at_limit[::2])
        assert slow_model.max_in_flight <= 4

        # Beyond it: 20 at once -> 8 served, 12 turned away with 503 + Retry-After, no other status.
        started = time.perf_counter()
        beyond = asyncio.run(fire(base_url, 20))
        statuses = [r.status_code for r in beyond]
        assert set(statuses) <= {200, 503}
        assert statuses.count(200) == 8 and statuses.count(503) == 12
        for response in beyond:
            if response.status_code == 503:
                assert response.headers["retry-after"] == "1"
                assert "server busy" in response.json()["detail"]
        assert time.perf_counter() - started < 4 * DELAY_S  # the 503s did not wait for the queue
        assert slow_model.max_in_flight <= 4

        health = wait_idle(base_url)
        assert health["running"] == 0 and health["waiting"] == 0 and health["rejected"] == 12
        # Still serving after the overload.
        assert httpx.post(f"{base_url}/v1/diagnose", json={"case": CASE}, timeout=30).status_code == 200


def test_queue_timeout_is_503(slow_model) -> None:
    llm = build_llm(f"openai:fake-model@{slow_model.base_url}")
    settings = ServeSettings(max_concurrency=1, max_queue=4, queue_timeout_s=0.3, warmup=False)
    with running_app(create_app(llm, settings)) as base_url:
        statuses = sorted(r.status_code for r in asyncio.run(fire(base_url, 3)))
        assert statuses == [200, 503, 503]
        assert wait_idle(base_url)["waiting"] == 0


def test_client_leaving_a_stream_frees_its_slot() -> None:
    with running_server(REPLY, faults=Faults(delay_s=6.0)) as very_slow:
        llm = build_llm(f"openai:fake-model@{very_slow.base_url}")
        settings = ServeSettings(max_concurrency=1, max_queue=0, warmup=False)
        with running_app(create_app(llm, settings)) as base_url:

            async def leave_early() -> int:
                async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
                    async with client.stream("POST", "/v1/diagnose/stream", json={"case": CASE}) as response:
                        return response.status_code  # leave before any event arrives

            left = time.perf_counter()
            assert asyncio.run(leave_early()) == 200
            assert wait_idle(base_url)["running"] == 0
            # Freed when the client left, not when the model would have finished.
            assert time.perf_counter() - left < 4.0
