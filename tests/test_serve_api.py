"""The HTTP API: the tiny model in-process, a scripted OpenAI-compatible server, bad input, auth, logs."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clinical_r1.chat import prompt_messages, system_prompt_for
from clinical_r1.llm import ModelSpec, build_llm
from clinical_r1.records import SAMPLE_RECORDS, read_records
from clinical_r1.serve.app import STATIC_DIR, ServeSettings, create_app
from clinical_r1.serve.diagnose import DiagnoseSettings
from clinical_r1.testing.fake_openai_server import Faults, running_server

SAMPLES = {r.id: r for r in read_records(SAMPLE_RECORDS)}
LOCAL = "http://localhost"  # TestClient's default Host, "testserver", is not in the allow-list
EN = SAMPLES["sample-en-resp-001"]  # Lobar pneumonia, J18.1
ZH = SAMPLES["sample-zh-resp-001"]


def answer_for(request: dict) -> str:
    """A model that reasons briefly and names the sample's reference diagnosis."""
    case = request["messages"][-1]["content"]
    record = next(r for r in SAMPLES.values() if r.case == case)
    label = "最终诊断：" if record.language == "zh" else "Final diagnosis: "
    thinking = "Fever, cough and a lobar consolidation.\nWait, check the X-ray."
    return f"<think>\n{thinking}\n</think>\n\n{label}{record.diagnosis}"


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        event = re.search(r"^event: (.*)$", block, re.M).group(1)
        data = re.search(r"^data: (.*)$", block, re.M).group(1)
        events.append((event, json.loads(data)))
    return events


@pytest.fixture(scope="module")
def tiny_client(tiny_model_dir) -> Iterator[TestClient]:
    llm = build_llm(ModelSpec(backend="local", model=str(tiny_model_dir), threads=1))
    settings = ServeSettings(
        max_case_chars=5000, max_tokens_limit=64, diagnose=DiagnoseSettings(max_tokens=16)
    )
    with TestClient(create_app(llm, settings), base_url=LOCAL) as client:
        yield client


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[TestClient, object]]:
    with running_server(answer_for) as server:
        llm = build_llm(f"openai:fake-model@{server.base_url}")
        with TestClient(create_app(llm, ServeSettings(warmup=False)), base_url=LOCAL) as client:
            yield client, server


def test_tiny_model_diagnose(tiny_client: TestClient) -> None:
    response = tiny_client.post("/v1/diagnose", json={"case": EN.case})
    assert response.status_code == 200
    body = response.json()
    assert body["model"].startswith("local:")
    assert body["language"] == "en"
    # The tiny model writes noise: cut off at max_tokens, so no valid answer and no diagnosis.
    assert body["finish_reason"] == "length" and body["completion_tokens"] == 16
    assert body["valid"] is False and body["diagnosis"] is None and "truncated" in body["error"]
    assert body["prompt_tokens"] > 50
    assert body["timings"]["total_s"] >= body["timings"]["generation_s"] > 0


def test_tiny_model_stream(tiny_client: TestClient) -> None:
    with tiny_client.stream(
        "POST", "/v1/diagnose/stream", json={"case": ZH.case, "max_tokens": 8}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.read().decode())
    assert [name for name, _ in events][-1] == "result"
    result = events[-1][1]
    assert result["language"] == "zh"  # detected from the case
    assert result["model"].startswith("local:") and result["valid"] is False and result["diagnosis"] is None
    assert tiny_client.get("/health").json()["running"] == 0


def test_prompt_is_the_training_prompt_and_diagnosis_is_coded(scripted) -> None:
    client, server = scripted
    response = client.post("/v1/diagnose", json={"case": ZH.case})
    assert response.status_code == 200
    body = response.json()
    sent = server.requests[-1].body
    assert sent["messages"] == prompt_messages(ZH.case, system_prompt_for("zh"))
    assert body["language"] == "zh"
    assert body["valid"] is True
    assert body["diagnosis"] == ZH.diagnosis == "大叶性肺炎"
    assert body["thinking"].startswith("Fever, cough")
    assert body["icd10"][0]["code"] == "J18.1"


def test_stream_sends_reasoning_then_response_then_result(scripted) -> None:
    client, _ = scripted
    with client.stream("POST", "/v1/diagnose/stream", json={"case": EN.case, "language": "en"}) as response:
        assert response.status_code == 200
        events = sse_events(response.read().decode())
    names = [name for name, _ in events]
    assert names[-1] == "result"
    assert names.index("response") > max(i for i, n in enumerate(names) if n == "thinking")
    thinking = "".join(d["text"] for n, d in events if n == "thinking")
    answer = "".join(d["text"] for n, d in events if n == "response")
    assert "<think>" not in thinking and "</think>" not in thinking + answer
    result = events[-1][1]
    assert thinking.strip() == result["thinking"]
    assert answer.strip() == result["response"] == "Final diagnosis: Lobar pneumonia"
    assert result["diagnosis"] == "Lobar pneumonia"
    assert [c["code"] for c in result["icd10"]][0] == "J18.1"
    assert result["timings"]["first_token_s"] is not None


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        ({"case": ""}, 422, "empty"),
        ({"case": "   \n "}, 422, "empty"),
        ({}, 422, "case"),
        ({"case": 5}, 422, "case"),
        ({"case": "x", "lang": "en"}, 422, "lang"),
        ({"case": "x", "language": "fr"}, 422, "language"),
        ({"case": "x", "max_tokens": 0}, 422, "max_tokens"),
        ({"case": "x", "max_tokens": 65}, 422, "max_tokens"),
        ({"case": "x", "temperature": 3}, 422, "temperature"),
        ({"case": "y" * 5001}, 422, "at most 5000"),
    ],
)
def test_bad_input_is_a_clear_4xx(tiny_client: TestClient, payload: dict, status: int, needle: str) -> None:
    for path in ("/v1/diagnose", "/v1/diagnose/stream"):
        response = tiny_client.post(path, json=payload)
        assert response.status_code == status, response.text
        assert needle in response.text
        assert "yyyyyyyy" not in response.text  # the case is not echoed back


def test_body_not_json_and_too_large(tiny_client: TestClient) -> None:
    response = tiny_client.post(
        "/v1/diagnose", content=b"{case:", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and "JSON" in response.text
    big = json.dumps({"case": "z" * 70000}).encode()
    response = tiny_client.post("/v1/diagnose", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert tiny_client.get("/health").json()["running"] == 0


def test_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SERVE_KEY", "s3cret-key")
    with running_server(answer_for) as server:
        llm = build_llm(f"openai:fake-model@{server.base_url}")
        app = create_app(llm, ServeSettings(api_key_env="TEST_SERVE_KEY", warmup=False))
        with TestClient(app, base_url=LOCAL) as client:
            payload = {"case": EN.case}
            for path in ("/v1/diagnose", "/v1/diagnose/stream"):
                missing = client.post(path, json=payload)
                assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
                wrong = client.post(path, json=payload, headers={"Authorization": "Bearer s3cret-kez"})
                assert wrong.status_code == 401
            assert len(server.requests) == 0  # refused before the model was asked
            right = client.post("/v1/diagnose", json=payload, headers={"Authorization": "Bearer s3cret-key"})
            assert right.status_code == 200 and right.json()["diagnosis"] == "Lobar pneumonia"
            health = client.get("/health")
            assert health.status_code == 200 and health.json()["auth_required"] is True
            assert "s3cret" not in health.text
            assert "HTTPBearer" in json.dumps(client.get("/openapi.json").json()["components"])


@pytest.mark.parametrize("log_cases", [False, True])
def test_case_text_is_logged_only_when_asked(log_cases: bool, caplog: pytest.LogCaptureFixture) -> None:
    case = "Unique-marker-QX17 patient, 40 years, fever and productive cough for 3 days."
    with running_server("<think>\nhmm\n</think>\n\nDiagnosis: Marker-pneumonia") as server:
        llm = build_llm(f"openai:fake-model@{server.base_url}")
        app = create_app(llm, ServeSettings(log_cases=log_cases, warmup=False))
        with caplog.at_level(logging.DEBUG), TestClient(app, base_url=LOCAL) as client:
            assert client.post("/v1/diagnose", json={"case": case}).status_code == 200
            with client.stream("POST", "/v1/diagnose/stream", json={"case": case}) as response:
                response.read()
    assert "case_chars=" in caplog.text  # the request itself is logged
    assert ("Unique-marker-QX17" in caplog.text) is log_cases
    assert ("Marker-pneumonia" in caplog.text) is log_cases


def test_model_failure_is_502_or_error_event() -> None:
    with running_server(answer_for, faults=Faults(plan=["400", "400"])) as server:
        llm = build_llm(ModelSpec(model="fake-model", base_url=server.base_url, max_retries=0))
        with TestClient(create_app(llm, ServeSettings(warmup=False)), base_url=LOCAL) as client:
            response = client.post("/v1/diagnose", json={"case": EN.case})
            assert response.status_code == 502 and "HTTP 400" in response.json()["detail"]
            with client.stream("POST", "/v1/diagnose/stream", json={"case": EN.case}) as stream:
                events = sse_events(stream.read().decode())
            assert events[-1][0] == "error" and "HTTP 400" in events[-1][1]["detail"]
            assert client.get("/health").json()["running"] == 0


def test_examples_page_and_schema(tiny_client: TestClient) -> None:
    examples = tiny_client.get("/v1/examples").json()
    assert len(examples) == len(SAMPLES)
    assert {e["language"] for e in examples} == {"en", "zh"}
    page = tiny_client.get("/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in ("app.js", "style.css"):
        asset = tiny_client.get(f"/static/{name}")
        assert asset.status_code == 200 and asset.headers["content-security-policy"]
    paths = tiny_client.get("/openapi.json").json()["paths"]
    assert {"/v1/diagnose", "/v1/diagnose/stream", "/health"} <= set(paths)


def test_page_loads_nothing_from_the_internet() -> None:
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://|//cdn|@import|url\(", text), path.name
