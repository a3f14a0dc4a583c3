"""The evaluation's repetition penalty: absent unless set (old cache keys and request bodies unchanged),
applied by the local backend per request, sent to OpenAI-compatible servers, shown in the report."""

from __future__ import annotations

import json

import pytest

from clinical_r1.evaluate.config import EvalConfig, ModelUnderTest
from clinical_r1.evaluate.runner import run_eval
from clinical_r1.llm import ChatRequest, ModelSpec, build_llm, generate_sync
from clinical_r1.llm.cache import request_key
from clinical_r1.records import SAMPLE_RECORDS
from clinical_r1.testing.fake_openai_server import running_server

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _ask(content: str, **params) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": content}], max_tokens=24, **params)


def test_unset_penalty_keeps_the_cache_key_of_requests_made_before_the_field_existed() -> None:
    request = ChatRequest(messages=[{"role": "user", "content": "A 30-year-old with fever."}], max_tokens=64)
    identity = {"backend": "local", "model": "m"}
    # the key this request had before repetition_penalty existed (computed from the earlier code)
    before = "083649a6b0f3815dc884ba96bd37938bce039bd9c5b18305f74aacd7dd950bcc"
    assert request_key(identity, request) == before
    keys = {
        request_key(identity, request.model_copy(update={"repetition_penalty": value}))
        for value in (None, 1.0, 1.2)
    }
    assert len(keys) == 3  # 1.0 is sent explicitly, so it is its own key


def test_penalty_must_be_positive() -> None:
    with pytest.raises(ValueError):
        EvalConfig(repetition_penalty=0)
    with pytest.raises(ValueError):
        _ask("x", repetition_penalty=-1.0)


def test_local_backend_applies_the_penalty_per_request_even_in_one_batch(tiny_model_dir) -> None:
    spec = ModelSpec(backend="local", model=str(tiny_model_dir), batch_size=8)
    plain, penalised = _ask("Cough and fever."), _ask("Cough and fever.", repetition_penalty=1e4)
    llm = build_llm(spec)
    _, model = llm._load()
    generated: dict[float | None, list[int]] = {}
    real_generate = model.generate

    def recording_generate(**kwargs):
        output = real_generate(**kwargs)
        prompt_length = kwargs["input_ids"].shape[1]
        for row in output[:, prompt_length:].tolist():
            generated[kwargs.get("repetition_penalty")] = row
        return output

    model.generate = recording_generate
    together = generate_sync(llm, [plain, penalised])
    alone = [generate_sync(build_llm(spec), [request])[0] for request in (plain, penalised)]
    assert [r.text for r in together] == [r.text for r in alone]  # not batched across penalties
    assert together[0].text != together[1].text  # the penalty changed the greedy answer
    assert set(generated) == {None, 1e4}
    assert len(set(generated[None])) < len(generated[None]), "the tiny model repeats itself unpenalised"
    # a huge penalty makes a token already in the prompt or output (nearly) unpickable: no repeats
    assert len(set(generated[1e4])) == len(generated[1e4])


def test_openai_compatible_body_carries_the_penalty_only_when_set() -> None:
    with running_server() as server:
        llm = build_llm(ModelSpec(backend="openai", model="fake", base_url=server.base_url), cache_path=None)
        generate_sync(llm, [_ask("plain"), _ask("penalised", repetition_penalty=1.15)])
    bodies = {record.user_text: record.body for record in server.requests}
    assert "repetition_penalty" not in bodies["plain"]
    assert bodies["penalised"]["repetition_penalty"] == 1.15


def test_eval_sends_the_configured_penalty_and_a_change_redoes_the_results(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    rows = [json.loads(line) for line in SAMPLE_RECORDS.read_text(encoding="utf-8").splitlines()]
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps(r) + "\n" for r in rows if r["language"] == "en"))
    with running_server() as server:
        model = ModelUnderTest(spec=f"openai:fake@{server.base_url}", mode="cot", name="fake")
        config = EvalConfig(limit=2, max_tokens=32, repetition_penalty=1.1)
        report = run_eval(config, bench, [model], tmp_path / "run", progress=False)
        sent = [record.body.get("repetition_penalty") for record in server.requests]
        assert sent == [1.1, 1.1]
        assert "repetition penalty 1.1." in report.read_text(encoding="utf-8")
        run_eval(config.model_copy(update={"repetition_penalty": None}), bench, [model], tmp_path / "run",
                 progress=False)  # fmt: skip
        assert [record.body.get("repetition_penalty") for record in server.requests[2:]] == [None, None]
    assert list((tmp_path / "run" / "results" / "stale").glob("*"))  # the penalised answers set aside
