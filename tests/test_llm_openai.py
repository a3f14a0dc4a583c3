"""The OpenAI-compatible backend under faults: retries, fail-fast errors, Retry-After, timeouts,
bounded concurrency, and an API key that never reaches logs, the cache or the ledger."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest

from clinical_r1.llm import ChatRequest, LLMError, ModelSpec, build_llm, generate_sync
from clinical_r1.testing.fake_openai_server import Faults, running_server

KEY = "sk-proj-VERYSECRET-0123456789abcdef"


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def _spec(base_url: str, **overrides) -> ModelSpec:
    fields = {"backend": "openai", "model": "fake-model", "base_url": base_url, "backoff_s": 0.005}
    return ModelSpec(**{**fields, **overrides})


def _ask(content: str, **params) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": content}], max_tokens=20, **params)


def test_under_faults_every_request_resolves_and_none_is_sent_again_after_success(tmp_path) -> None:
    faults = Faults(rate_500=0.2, rate_429=0.1, rate_drop=0.05, retry_after_s=0.01, seed=3)
    requests = [_ask(f"case {i}") for i in range(120)]
    with running_server(faults=faults) as server:
        llm = build_llm(_spec(server.base_url, max_retries=10), cache_path=tmp_path / "c.sqlite")
        responses = generate_sync(llm, requests)
    faulted = Counter(r.fault for r in server.requests)
    assert faulted["500"] and faulted["429"] and faulted["drop"]  # the faults really happened
    for request, response in zip(requests, responses, strict=True):
        user = request.messages[0]["content"]
        assert response.ok or response.error, "every request succeeds or says why it failed"
        if response.ok:
            assert response.text == f"echo: {user}"
    by_user: dict[str, list] = {}
    for record in server.requests:
        by_user.setdefault(record.user_text, []).append(record)
    for user, records in by_user.items():
        successes = [i for i, r in enumerate(records) if r.succeeded]
        assert len(successes) <= 1, f"{user} answered twice"
        if successes:
            assert successes[0] == len(records) - 1, f"{user} was sent again after it succeeded"
    usage = llm.ledger.total()
    assert usage.calls == sum(r.ok for r in responses) == len(server.succeeded())
    assert usage.retries == len(server.requests) - len(requests)  # exact: the client's own retries are off
    assert usage.failures == sum(not r.ok for r in responses)


def test_gives_up_after_max_retries_with_the_reason() -> None:
    with running_server(faults=Faults(rate_500=1.0)) as server:
        (response,) = generate_sync(build_llm(_spec(server.base_url, max_retries=2)), [_ask("doomed")])
    assert not response.ok and "gave up after 3 attempts" in response.error and "HTTP 500" in response.error
    assert len(server.requests) == 3


def test_bad_request_fails_fast_and_alone() -> None:
    with running_server(faults=Faults(plan=["400"])) as server:
        llm = build_llm(_spec(server.base_url, concurrency=1))
        bad, good = generate_sync(llm, [_ask("bad"), _ask("good")])
    assert bad.error is not None and bad.error.startswith("HTTP 400") and good.ok
    assert [r.user_text for r in server.requests] == ["bad", "good"]  # no retry of the 400


def test_authentication_failure_stops_everything_without_sending_more() -> None:
    with running_server(faults=Faults(plan=["401"])) as server:
        llm = build_llm(_spec(server.base_url, concurrency=1))
        responses = generate_sync(llm, [_ask(f"q{i}") for i in range(5)])
    assert len(server.requests) == 1
    assert all("authentication failed" in r.error and "OPENAI_API_KEY" in r.error for r in responses)
    assert KEY not in "".join(r.error for r in responses)


def test_retry_after_is_honoured() -> None:
    with running_server(faults=Faults(plan=["429"], retry_after_s=0.6)) as server:
        (response,) = generate_sync(build_llm(_spec(server.base_url)), [_ask("wait")])
    assert response.ok
    first, second = server.requests
    assert second.received_at - first.received_at >= 0.55  # the backoff alone would be ~5 ms


def test_timeouts_and_malformed_bodies_are_retried() -> None:
    faults = Faults(plan=["slow", "malformed", "ok"], slow_s=1.0)
    with running_server(faults=faults) as server:
        (response,) = generate_sync(build_llm(_spec(server.base_url, timeout_s=0.3)), [_ask("x")])
    assert response.ok and [r.fault for r in server.requests] == ["slow", "malformed", "ok"]


def test_concurrency_is_bounded_and_reached() -> None:
    with running_server(faults=Faults(delay_s=0.05)) as server:
        generate_sync(build_llm(_spec(server.base_url, concurrency=4)), [_ask(f"c{i}") for i in range(24)])
    assert server.max_in_flight == 4


def test_request_body_carries_sampling_parameters_and_json_mode() -> None:
    request = _ask("json please", temperature=0.7, top_p=0.9, seed=11, stop=["END"], n=2, json_mode=True)
    with running_server('{"diagnosis": "asthma"}') as server:
        (response,) = generate_sync(build_llm(_spec(server.base_url)), [request])
    body = server.requests[0].body
    assert body["model"] == "fake-model" and body["messages"] == request.messages
    assert (body["temperature"], body["top_p"], body["seed"], body["stop"], body["n"]) == (
        0.7,
        0.9,
        11,
        ["END"],
        2,
    )
    assert body["max_tokens"] == 20 and body["response_format"] == {"type": "json_object"}
    assert response.texts == ['{"diagnosis": "asthma"}'] * 2


def test_api_key_never_reaches_logs_cache_or_ledger(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, the openai client's and httpx's included
    cache_path, ledger_path = tmp_path / "cache.sqlite", tmp_path / "usage.json"
    faults = Faults(plan=["500", "429", "drop", "400"])
    with running_server(faults=faults) as server:
        llm = build_llm(_spec(server.base_url), cache_path=cache_path)
        responses = generate_sync(llm, [_ask(f"k{i}") for i in range(6)])
        llm.ledger.save(ledger_path)
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was really used
    assert caplog.records, "logging was captured"
    written = [p for p in tmp_path.iterdir() if p.is_file()]  # cache, its WAL files, the ledger
    assert any(p.name.startswith("cache.sqlite") for p in written)
    for path in written:
        assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in caplog.text
    assert KEY not in llm.ledger.summary() and KEY not in llm.spec.model_dump_json()
    assert all(KEY not in (r.error or "") for r in responses)


def test_stream_retries_before_the_first_delta_and_fails_clearly() -> None:
    async def collect(llm) -> str:
        try:
            return "".join([piece async for piece in llm.stream(_ask("s"))])
        finally:
            await llm.aclose()

    with running_server("one two three", faults=Faults(plan=["429", "drop", "ok", "400"])) as server:
        llm = build_llm(_spec(server.base_url))
        assert asyncio.run(collect(llm)) == "one two three"
        with pytest.raises(LLMError, match="HTTP 400"):
            asyncio.run(collect(llm))
    assert [r.fault for r in server.requests] == ["429", "drop", "ok", "400"]
    assert all(r.body["stream"] is True for r in server.requests)
    usage = llm.ledger.total()
    assert (usage.calls, usage.retries, usage.failures) == (1, 2, 1)
    assert usage.completion_tokens == 3  # from the usage chunk (stream_options.include_usage)


def test_a_server_that_ignores_n_is_asked_again_for_the_rest(tmp_path) -> None:
    with running_server(max_n=1) as server:
        llm = build_llm(_spec(server.base_url), cache_path=tmp_path / "c.sqlite")
        (response,) = generate_sync(llm, [_ask("three please", n=3, temperature=1.0)])
    assert response.ok and len(response.texts) == 3 and len(response.finish_reasons) == 3
    assert [r.body.get("n", 1) for r in server.requests] == [3, 2, 1]
    assert llm.ledger.total().calls == 3 and len(llm.cache) == 3


def test_a_base_url_without_v1_fails_fast_with_a_hint() -> None:
    with running_server() as server:
        root = server.base_url.removesuffix("/v1")
        (response,) = generate_sync(build_llm(_spec(root)), [_ask("x")])
    assert response.error.startswith("HTTP 404") and "/v1" in response.error
    assert server.requests == []  # /chat/completions does not exist there: nothing reached the handler


def test_generate_sync_works_inside_a_running_event_loop() -> None:
    async def caller(llm) -> str:
        return generate_sync(llm, [_ask("from async code")])[0].text  # e.g. a sync helper called by a server

    with running_server() as server:
        assert asyncio.run(caller(build_llm(_spec(server.base_url)))) == "echo: from async code"
