"""ModelSpec: how to reach a model (backend, name, endpoint, limits, prices). Never holds a secret."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import Field, model_validator

from clinical_r1.config import ConfigError, StrictModel, validate_config
from clinical_r1.llm.gguf import is_gguf_path
from clinical_r1.llm.types import Backend
from clinical_r1.tiny import DEFAULT_TINY_DIR

# Short provider prefixes for ModelSpec.parse: "deepseek:deepseek-chat" reaches DeepSeek's API.
PROVIDERS: dict[str, dict[str, str]] = {
    "openai": {},
    "deepseek": {"base_url": "https://api.deepseek.com/v1", "api_key_env": "DEEPSEEK_API_KEY"},
    "ollama": {"base_url": "http://127.0.0.1:11434/v1"},
}


class ModelSpec(StrictModel):
    """How to reach one model. The API key is read from `api_key_env` at call time, never stored."""

    backend: Backend = "openai"
    model: str = Field(min_length=1)  # API model name, or an HF folder / hub id for "local"
    base_url: str | None = None  # None: the openai client's default (OPENAI_BASE_URL or api.openai.com)
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = Field(16, ge=1)
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(6, ge=0)
    backoff_s: float = Field(0.5, ge=0)  # first retry waits about this long, doubling each time
    backoff_max_s: float = Field(30.0, ge=0)
    price_in_per_mtok: float = Field(0.0, ge=0)  # USD per million prompt tokens
    price_out_per_mtok: float = Field(0.0, ge=0)  # USD per million completion tokens
    deid: Literal["required", "off"] | None = None  # None: auto (required unless is_local)
    # Local backend only.
    device: str = "auto"  # "auto" (cuda if available), "cpu", "cuda", "cuda:1", ...
    dtype: str = "auto"  # "auto", "float32", "bfloat16", "float16"
    batch_size: int = Field(8, ge=1)
    # torch CPU threads (process-wide). None: CLINICAL_R1_THREADS, else OMP_NUM_THREADS, else the idle
    # cores (clinical_r1.threads). On a busy 2-core machine 1 thread is several times faster than 2,
    # whose OpenMP threads spin-wait against other processes (docs/models.md).
    threads: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _resolve_tiny(self) -> ModelSpec:
        """`tiny` names the project's tiny offline model's folder (~/.cache/clinical-r1); parsing builds
        nothing: build_llm builds the model on first use."""
        if self.backend == "local" and self.model == "tiny":
            self.model = str(DEFAULT_TINY_DIR)
        return self

    @property
    def is_local(self) -> bool:
        """True when no text leaves this machine: the local backend, or a server on a loopback host."""
        if self.backend == "local":
            return True
        return self.base_url is not None and is_loopback_url(self.base_url)

    @property
    def label(self) -> str:
        """A short human name, e.g. for ledger rows: "openai:gpt-4o-mini"."""
        return f"{self.backend}:{self.model}"

    def api_key(self) -> str:
        """Read the key now from the environment. Loopback servers (vLLM, Ollama) need none."""
        key = os.environ.get(self.api_key_env)
        if key:
            return key
        if self.is_local:
            return "EMPTY"
        raise ConfigError(
            f"environment variable {self.api_key_env} is not set: it must hold the API key for "
            f"{self.model} at {self.base_url or 'the default OpenAI endpoint'} (api_key_env in the spec)"
        )

    @classmethod
    def parse(cls, value: ModelSpec | str | dict[str, Any]) -> ModelSpec:
        """Accept a spec, a dict (from YAML) or a string:

        - "openai:MODEL" / "openai:MODEL@http://host:port/v1" (also "deepseek:", "ollama:" prefixes)
        - "local:/path/to/hf_folder", "local:org/hub-id" or "local:/path/model.gguf" (de-quantised on load)
        - a bare existing folder or .gguf file, or a hub id ("Qwen/Qwen2.5-7B-Instruct") -> local
        - "tiny" (or "local:tiny"): the project's tiny offline model
        - any of these + "?field=value&field=value" sets spec fields: "local:/models/x?threads=1&batch_size=4"
          (for an OpenAI-compatible URL only when every key is a spec field: a URL's own query stays)
        """
        if isinstance(value, ModelSpec):
            return value
        if isinstance(value, dict):
            return validate_config(value, cls, source="<model spec>")
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"model spec must be a non-empty string or mapping, got {value!r}")
        text = value.strip()
        body, extra = _split_options(text)
        source = f"model spec {text!r}"
        if body in ("tiny", "local:tiny"):
            return validate_config({"backend": "local", "model": "tiny", **extra}, cls, source=source)
        prefix, sep, rest = body.partition(":")
        if sep and prefix == "local":
            return validate_config({"backend": "local", "model": rest, **extra}, cls, source=source)
        if sep and prefix in PROVIDERS:
            model, at, url = rest.partition("@")
            fields: dict[str, Any] = {"backend": "openai", "model": model, **PROVIDERS[prefix], **extra}
            if at:
                if not url.startswith(("http://", "https://")):
                    raise ConfigError(f"model spec {text!r}: the part after '@' must be an http(s) URL")
                fields["base_url"] = url
            return validate_config(fields, cls, source=source)
        path = Path(body).expanduser()
        if path.is_dir() or (path.is_file() and is_gguf_path(path)):
            return validate_config({"backend": "local", "model": str(path), **extra}, cls, source=source)
        if _looks_like_hub_id(body):
            return validate_config({"backend": "local", "model": body, **extra}, cls, source=source)
        raise ConfigError(
            f"model spec {text!r}: not understood. Use 'openai:MODEL[@URL]', 'local:PATH_OR_HUB_ID', "
            f"an existing model folder, or a hub id like 'org/name'"
        )


_OPTIONS = re.compile(r"^[a-z_]+=[^&=]*(?:&[a-z_]+=[^&=]*)*$")
# Fields a "?key=value" suffix may not set: they are the spec's identity, given by the text before it.
_NOT_OPTIONS = {"backend", "model", "base_url"}


def _split_options(text: str) -> tuple[str, dict[str, str]]:
    """'local:/m?threads=1&batch_size=4' -> ('local:/m', {'threads': '1', 'batch_size': '4'}).

    Text with no such suffix is returned whole. A suffix naming a key that is no spec field is an error
    for a local model (a typo must not pass silently) but stays part of an OpenAI-compatible URL."""
    body, mark, query = text.rpartition("?")
    if not mark or not _OPTIONS.match(query):
        return text, {}
    pairs = [item.split("=", 1) for item in query.split("&")]
    options = {key: value for key, value in pairs}
    unknown = sorted(set(options) - (set(ModelSpec.model_fields) - _NOT_OPTIONS))
    if unknown:
        if "@" in body:  # e.g. "openai:m@https://host/v1?api-version=1": the URL's own query
            return text, {}
        allowed = ", ".join(sorted(set(ModelSpec.model_fields) - _NOT_OPTIONS))
        raise ConfigError(
            f"model spec {text!r}: unknown option(s) {', '.join(unknown)} (spec fields: {allowed})"
        )
    if len(options) != len(pairs):
        raise ConfigError(f"model spec {text!r}: an option is given twice")
    return body, options


def _looks_like_hub_id(text: str) -> bool:
    parts = text.split("/")
    return len(parts) == 2 and all(parts) and not text.startswith((".", "~")) and ":" not in text


def is_loopback_url(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback  # 127.0.0.0/8 and ::1
    except ValueError:
        return False
