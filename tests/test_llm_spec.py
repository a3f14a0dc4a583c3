"""ModelSpec: parsing from strings and YAML dicts, locality, and the API key staying in the environment."""

from __future__ import annotations

import pytest

from clinical_r1.config import ConfigError
from clinical_r1.llm import ModelSpec


def test_parse_openai_with_and_without_url() -> None:
    spec = ModelSpec.parse("openai:gpt-4o-mini@https://api.openai.com/v1")
    assert (spec.backend, spec.model, spec.base_url) == ("openai", "gpt-4o-mini", "https://api.openai.com/v1")
    assert not spec.is_local
    bare = ModelSpec.parse("openai:gpt-4o-mini")
    assert bare.base_url is None and not bare.is_local
    served = ModelSpec.parse("openai:Qwen/Qwen2.5-7B-Instruct@http://127.0.0.1:8000/v1")
    assert served.model == "Qwen/Qwen2.5-7B-Instruct" and served.is_local


def test_provider_prefixes() -> None:
    deepseek = ModelSpec.parse("deepseek:deepseek-chat")
    assert deepseek.base_url == "https://api.deepseek.com/v1" and deepseek.api_key_env == "DEEPSEEK_API_KEY"
    ollama = ModelSpec.parse("ollama:llama3.1:8b")
    assert ollama.model == "llama3.1:8b" and ollama.is_local


def test_parse_local_forms(tmp_path) -> None:
    assert ModelSpec.parse(f"local:{tmp_path}").backend == "local"
    folder = ModelSpec.parse(str(tmp_path))
    assert (folder.backend, folder.model, folder.is_local) == ("local", str(tmp_path), True)
    hub = ModelSpec.parse("Qwen/Qwen2.5-0.5B-Instruct")
    assert (hub.backend, hub.model) == ("local", "Qwen/Qwen2.5-0.5B-Instruct")


def test_parse_dict_and_spec() -> None:
    spec = ModelSpec.parse(
        {"backend": "openai", "model": "m", "base_url": "http://localhost:9/v1", "deid": "off"}
    )
    assert spec.is_local and spec.deid == "off"
    assert ModelSpec.parse(spec) is spec
    with pytest.raises(ConfigError, match="concurency"):
        ModelSpec.parse({"model": "m", "concurency": 3})  # a typo is an error, named


@pytest.mark.parametrize(
    "url, local",
    [
        ("http://127.0.0.1:8000/v1", True),
        ("http://127.1.2.3/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://10.0.0.5:8000/v1", False),
        ("https://api.deepseek.com/v1", False),
        ("http://localhost.evil.com/v1", False),
    ],
)
def test_is_local_means_loopback(url: str, local: bool) -> None:
    assert ModelSpec(model="m", base_url=url).is_local is local


@pytest.mark.parametrize("text", ["", "nonsense", "openai:m@ftp://x", "local:"])
def test_bad_specs_are_clear_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        ModelSpec.parse(text)


def test_api_key_is_read_at_call_time_and_never_dumped(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ModelSpec(model="gpt-4o-mini", api_key_env="MY_TEST_KEY")
    monkeypatch.delenv("MY_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="MY_TEST_KEY"):
        spec.api_key()
    monkeypatch.setenv("MY_TEST_KEY", "sk-later-set-987654")
    assert spec.api_key() == "sk-later-set-987654"
    assert "sk-later" not in spec.model_dump_json()
    # A loopback server (vLLM, Ollama) needs no key.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert ModelSpec(model="m", base_url="http://127.0.0.1:1/v1").api_key() == "EMPTY"
