"""The fake OpenAI-compatible server other tests rely on: scripts, faults, streaming, recording."""

from __future__ import annotations

import json

import httpx
import pytest

from clinical_r1.testing.fake_openai_server import Faults, Reply, running_server


def _chat(client: httpx.Client, url: str, content: str, **extra) -> httpx.Response:
    body = {"model": "m", "messages": [{"role": "user", "content": content}], **extra}
    return client.post(f"{url}/chat/completions", json=body)


def test_scripted_replies_tokens_stop_and_length() -> None:
    script = [Reply("alpha beta gamma", prompt_tokens=7), "one two STOP three", "a b c d e"]
    with running_server(script) as server, httpx.Client() as client:
        first = _chat(client, server.base_url, "q1").json()
        assert first["choices"][0]["message"]["content"] == "alpha beta gamma"
        assert first["usage"] == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
        second = _chat(client, server.base_url, "q2", stop=["STOP"]).json()["choices"][0]
        assert second["message"]["content"] == "one two " and second["finish_reason"] == "stop"
        third = _chat(client, server.base_url, "q3", max_tokens=2).json()["choices"][0]
        assert third["message"]["content"] == "a b" and third["finish_reason"] == "length"
        exhausted = _chat(client, server.base_url, "q4")
        assert exhausted.status_code == 400 and "exhausted" in exhausted.text
    assert [r.user_text for r in server.requests] == ["q1", "q2", "q3", "q4"]
    assert [r.succeeded for r in server.requests] == [True, True, True, False]


def test_callable_script_and_n_choices() -> None:
    with running_server(lambda req: f"len={len(req['messages'])}") as server, httpx.Client() as client:
        body = _chat(client, server.base_url, "x", n=3).json()
    assert [c["message"]["content"] for c in body["choices"]] == ["len=1"] * 3
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]


def test_injected_faults_in_plan_order() -> None:
    faults = Faults(plan=["429", "500", "malformed", "drop", "ok"], retry_after_s=2)
    with running_server(faults=faults) as server, httpx.Client() as client:
        r429 = _chat(client, server.base_url, "a")
        assert r429.status_code == 429 and r429.headers["retry-after"] == "2"
        assert _chat(client, server.base_url, "b").status_code == 500
        malformed = _chat(client, server.base_url, "c")
        assert malformed.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            malformed.json()
        with pytest.raises(httpx.RemoteProtocolError):  # socket closed, no response at all
            _chat(client, server.base_url, "d")
        assert _chat(client, server.base_url, "e").json()["choices"][0]["message"]["content"] == "echo: e"
    assert [r.fault for r in server.requests] == ["429", "500", "malformed", "drop", "ok"]
    assert [r.user_text for r in server.succeeded()] == ["e"]


def test_streaming_sse_reassembles_text_and_usage() -> None:
    with running_server("the quick brown fox") as server, httpx.Client() as client:
        body = {
            "model": "m",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        with client.stream("POST", f"{server.base_url}/chat/completions", json=body) as response:
            lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "the quick brown fox"
    assert chunks[-1]["usage"]["completion_tokens"] == 4
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
