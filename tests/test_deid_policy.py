"""The de-identification policy in build_llm: raw text never goes to an endpoint off this machine."""

from __future__ import annotations

import asyncio
import socket

import pytest

from clinical_r1.llm import ChatRequest, ModelSpec, build_llm, generate_sync
from clinical_r1.llm.deid_guard import ALLOW_RAW_REMOTE_ENV, DeidentifyingLLM, DeidPolicyError
from clinical_r1.testing.fake_openai_server import running_server

REMOTE = "http://10.255.255.1:9/v1"  # not loopback; nothing may ever be sent there
IDENTIFIERS = [
    "Ingrid",
    "Lindqvist",
    "(617) 555-0134",
    "11010519491231002X",
    "Mercy Hospital",
    "03/14/2021",
    "ingrid.l@example.com",
    "王建国",
    "138 1234 5678",
]
NOTE = (
    "Patient: Ingrid Lindqvist, seen 03/14/2021 at Mercy Hospital, phone (617) 555-0134, "
    "e-mail ingrid.l@example.com. 患者王建国，男，67岁，身份证号11010519491231002X，手机138 1234 5678。"
    "Known Parkinson disease, BP 120/80."
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Record (and block) every outgoing connection attempt."""
    attempts: list[tuple] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(None, address))
    return attempts


def test_remote_endpoint_with_deid_off_is_refused_before_any_request(monkeypatch, no_network) -> None:
    monkeypatch.delenv(ALLOW_RAW_REMOTE_ENV, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    spec = ModelSpec(backend="openai", model="gpt-4o-mini", base_url=REMOTE, deid="off")
    with pytest.raises(DeidPolicyError, match="refusing to send raw record text") as caught:
        build_llm(spec)
    assert ALLOW_RAW_REMOTE_ENV in str(caught.value)
    assert no_network == []


def test_raw_remote_only_when_the_user_says_so(monkeypatch, no_network) -> None:
    monkeypatch.setenv(ALLOW_RAW_REMOTE_ENV, "1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    llm = build_llm(ModelSpec(backend="openai", model="gpt-4o-mini", base_url=REMOTE, deid="off"))
    assert not isinstance(llm, DeidentifyingLLM)
    assert no_network == []


def test_remote_endpoints_are_deidentified_by_default(monkeypatch, no_network) -> None:
    monkeypatch.delenv(ALLOW_RAW_REMOTE_ENV, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    for spec in (
        ModelSpec(backend="openai", model="gpt-4o-mini", base_url=REMOTE),
        ModelSpec.parse("deepseek:deepseek-chat"),
        ModelSpec.parse("openai:gpt-4o-mini"),
    ):
        llm = build_llm(spec)
        assert isinstance(llm, DeidentifyingLLM), spec
        assert llm.is_local is False and llm.spec is spec
    assert no_network == []


def test_local_endpoints_skip_it_unless_required() -> None:
    loopback = ModelSpec(backend="openai", model="m", base_url="http://127.0.0.1:8000/v1")
    assert not isinstance(build_llm(loopback), DeidentifyingLLM)
    forced = loopback.model_copy(update={"deid": "required"})
    assert isinstance(build_llm(forced), DeidentifyingLLM)


def test_wrapped_client_sends_and_caches_only_deidentified_text(tmp_path) -> None:
    replies: list[str] = []

    def script(request: dict) -> str:
        text = "\n".join(m["content"] for m in request["messages"])
        replies.append(f"Seen: {text[:40]} Diagnosis: Parkinson disease")
        return replies[-1]

    with running_server(script) as server:
        spec = ModelSpec(backend="openai", model="fake-model", base_url=server.base_url, deid="required")
        llm = build_llm(spec, cache_path=tmp_path / "cache.sqlite")
        requests = [
            ChatRequest(
                messages=[
                    {"role": "system", "content": "You are a physician. The patient is Ingrid."},
                    {"role": "user", "content": NOTE},
                ]
            ),
            ChatRequest(messages=[{"role": "user", "content": NOTE.replace("Ingrid", "Beatriz")}]),
        ]
        answers = generate_sync(llm, requests)

        async def stream_all() -> str:
            return "".join([d async for d in llm.stream(requests[1])])

        streamed = asyncio.run(stream_all())
        assert len(server.requests) == 3
        for received in server.requests:
            body = str(received.body)
            for identifier in IDENTIFIERS + ["Beatriz"]:
                assert identifier not in body, identifier
            assert "Parkinson disease" in body and "BP 120/80" in body  # clinical content kept
        first = next(r.body["messages"] for r in server.requests if len(r.body["messages"]) == 2)
        assert "[NAME-1]" in first[0]["content"] and "[NAME-1]" in first[1]["content"]  # one session
        # answers are returned as the model wrote them
        assert sorted(a.text for a in answers) == sorted(replies[:2]) and streamed in replies
        # the cache holds the de-identified request: a second patient's identical note is a cache hit
        again = generate_sync(
            llm, [ChatRequest(messages=[{"role": "user", "content": NOTE.replace("Ingrid", "Tobias")}])]
        )
        assert again[0].cached and len(server.requests) == 3
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("cache.sqlite*"))  # with the WAL file
    assert raw and b"Lindqvist" not in raw and b"555-0134" not in raw
