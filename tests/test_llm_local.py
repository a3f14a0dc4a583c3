"""Local backend specifics: batching by sampling parameters, failure isolation, load errors."""

from __future__ import annotations

import pytest

from clinical_r1.llm import ChatRequest, LLMError, ModelSpec, build_llm, generate_sync
from clinical_r1.llm.local import LocalLLM


def _ask(content: str, **params) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": content}], max_tokens=4, **params)


def _spy(llm: LocalLLM, poison: str | None = None) -> list[int]:
    """Record the size of every batch generated; fail any batch holding the poison text."""
    sizes: list[int] = []
    real = llm._generate_batch

    def spy(requests: list[ChatRequest]):
        sizes.append(len(requests))
        if poison and any(r.messages[-1]["content"] == poison for r in requests):
            raise RuntimeError("poisoned request")
        return real(requests)

    llm._generate_batch = spy  # type: ignore[method-assign]
    return sizes


def test_requests_sharing_parameters_are_batched(tiny_model_dir) -> None:
    llm = build_llm(ModelSpec(backend="local", model=str(tiny_model_dir), batch_size=4))
    sizes = _spy(llm)
    requests = [_ask(f"a{i}") for i in range(6)] + [_ask(f"b{i}", temperature=0.7, seed=1) for i in range(2)]
    responses = generate_sync(llm, requests)
    assert all(r.ok for r in responses)
    assert sorted(sizes) == [2, 2, 4]  # six greedy in batches of 4 + 2, two sampled together
    # Batched (left-padded) answers equal answers generated alone.
    alone = generate_sync(build_llm(ModelSpec(backend="local", model=str(tiny_model_dir))), requests[:1])
    assert responses[0].text == alone[0].text


def test_a_failing_request_fails_alone(tiny_model_dir) -> None:
    llm = build_llm(ModelSpec(backend="local", model=str(tiny_model_dir)))
    _spy(llm, poison="bad")
    responses = generate_sync(llm, [_ask("good 1"), _ask("bad"), _ask("good 2")])
    assert [r.ok for r in responses] == [True, False, True]
    assert "poisoned request" in responses[1].error


def test_a_model_that_will_not_load_is_one_clear_error(tmp_path) -> None:
    llm = build_llm(ModelSpec(backend="local", model=str(tmp_path / "missing-model")))
    with pytest.raises(LLMError, match="missing-model"):
        generate_sync(llm, [_ask("x")])
