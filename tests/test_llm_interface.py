"""One interface, two backends: the same tests run on the OpenAI-compatible backend (against the fake
server, scripted) and on the local transformers backend (the tiny model)."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from clinical_r1.llm import LLM, ChatRequest, ModelSpec, build_llm, generate_sync, run_sync
from clinical_r1.testing.fake_openai_server import running_server

MakeLLM = Callable[..., LLM]


def _script() -> Callable[[dict], str]:
    """Greedy requests get a fixed answer; sampled ones a fresh one each call (like a real model)."""
    counter = itertools.count()

    def reply(request: dict) -> str:
        user = request["messages"][-1]["content"]
        text = f"Thinking about {user}: fever and cough. Diagnosis: pneumonia"
        return f"{text} #{next(counter)}" if request.get("temperature", 0) > 0 else text

    return reply


@pytest.fixture(params=["openai", "local"])
def make_llm(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> Iterator[MakeLLM]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-interface-test-key")
    with ExitStack() as stack:
        if request.param == "openai":
            server = stack.enter_context(running_server(_script()))
            base = {
                "backend": "openai",
                "model": "fake-model",
                "base_url": server.base_url,
                "backoff_s": 0.01,
            }
        else:
            base = {"backend": "local", "model": str(request.getfixturevalue("tiny_model_dir"))}

        def make(cache: bool = True, **overrides) -> LLM:
            spec = ModelSpec(**{**base, **overrides})
            return build_llm(spec, cache_path=tmp_path / "cache.sqlite" if cache else None)

        make.server = server if request.param == "openai" else None  # type: ignore[attr-defined]
        yield make


def _ask(content: str, **params) -> ChatRequest:
    return ChatRequest(
        messages=[{"role": "user", "content": content}], max_tokens=params.pop("max_tokens", 12), **params
    )


def test_generate_keeps_order_and_reports_tokens(make_llm: MakeLLM) -> None:
    llm = make_llm()
    requests = [_ask(f"case {i}") for i in range(5)]
    responses = generate_sync(llm, requests)
    assert len(responses) == 5
    for response in responses:
        assert response.ok, response.error
        assert not response.cached
        assert len(response.texts) == 1 and response.finish_reason in ("stop", "length")
        assert response.prompt_tokens > 0
        assert 0 < response.completion_tokens <= 12
        assert response.latency_s > 0
        assert response.model
    # Order kept: identical requests give identical texts, so compare with one-by-one answers.
    alone = [generate_sync(make_llm(cache=False), [r])[0].text for r in requests]
    assert [r.text for r in responses] == alone
    assert generate_sync(llm, []) == []


def test_n_samples_and_length_limit(make_llm: MakeLLM) -> None:
    llm = make_llm()
    (response,) = generate_sync(llm, [_ask("sampled", n=3, temperature=1.0, max_tokens=3)])
    assert response.ok and len(response.texts) == 3 and len(response.finish_reasons) == 3
    assert response.completion_tokens <= 9
    assert llm.cache is not None and len(llm.cache) == 3  # n samples are n cache entries


def test_stop_strings_cut_the_text(make_llm: MakeLLM) -> None:
    llm = make_llm(cache=False)
    (full,) = generate_sync(llm, [_ask("stop test", max_tokens=16)])
    assert len(full.text) >= 4, full.text
    stop = full.text[2:4]
    expected = full.text[: full.text.find(stop)]
    (cut,) = generate_sync(llm, [_ask("stop test", max_tokens=16, stop=[stop])])
    assert cut.text == expected and cut.finish_reason == "stop"


def test_seeded_sampling_is_reproducible_without_cache(make_llm: MakeLLM) -> None:
    first = generate_sync(make_llm(cache=False), [_ask("seeded", temperature=0.9, seed=7)])[0]
    again = generate_sync(make_llm(cache=False), [_ask("seeded", temperature=0.9, seed=7)])[0]
    server = make_llm.server  # type: ignore[attr-defined]
    if server is None:
        assert first.text == again.text
    else:  # a server's sampling is its own business: the seed must reach it
        assert [(r.body["seed"], r.body["temperature"]) for r in server.requests] == [(7, 0.9)] * 2


def test_second_run_is_served_entirely_from_cache(make_llm: MakeLLM) -> None:
    requests = [_ask(f"cached {i}", temperature=0.8, n=1 + i % 2) for i in range(6)]  # no seed: per sample
    first_llm = make_llm()
    first = generate_sync(first_llm, requests)
    assert all(r.ok for r in first)
    second_llm = make_llm()  # a new process would see the same: a fresh LLM on the same cache file
    second = generate_sync(second_llm, requests)
    assert all(r.cached for r in second)
    assert [r.texts for r in second] == [r.texts for r in first]
    assert second_llm.ledger.total().calls == 0
    assert second_llm.ledger.total().cache_hits == len(requests)


def test_same_request_twice_in_one_call_is_generated_once(make_llm: MakeLLM) -> None:
    llm = make_llm()
    responses = generate_sync(llm, [_ask("twice"), _ask("other"), _ask("twice")])
    assert responses[0].texts == responses[2].texts and responses[2].cached
    assert llm.ledger.total().calls == 2


def test_generate_from_a_running_loop_and_stream(make_llm: MakeLLM) -> None:
    llm = make_llm(cache=False)
    request = _ask("stream me", max_tokens=10)

    async def both() -> tuple[str, str]:
        (answer,) = await llm.generate([request])
        pieces = [piece async for piece in llm.stream(request)]
        await llm.aclose()
        return answer.text, "".join(pieces)

    generated, streamed = asyncio.run(both())
    assert streamed == generated
    assert llm.ledger.total().calls == 2


def test_run_sync_runs_a_coroutine_with_and_without_a_running_loop() -> None:
    async def thread_and_value(value: int) -> tuple[int, int]:
        await asyncio.sleep(0)
        return threading.get_ident(), value

    assert run_sync(thread_and_value(1)) == (threading.get_ident(), 1)  # no loop: here, on asyncio.run

    async def from_async_code() -> tuple[int, int]:
        return run_sync(thread_and_value(2))  # asyncio.run would refuse: a loop is running

    thread, value = asyncio.run(from_async_code())
    assert value == 2 and thread != threading.get_ident()
