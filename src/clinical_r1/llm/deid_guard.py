"""The de-identification policy of the model layer: no raw record text to an endpoint off this machine.

`build_llm` passes every model through `apply_deid_policy`:
- `spec.deid` is "required", or None (auto) for an endpoint that is not local: the model is wrapped
  so every outgoing message is de-identified (one session per request, so placeholders are
  consistent across its messages) before it is sent and before it is cached. Answers come back as
  the model wrote them.
- `spec.deid` is "off" for a remote endpoint: refused at build time, before any request, unless the
  user said so explicitly (CLINICAL_R1_ALLOW_RAW_REMOTE=1, or `allow_raw_remote: true` in the spec
  where the spec has that field).
- local backends and loopback servers (spec.is_local) skip it unless `deid: required`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from clinical_r1.config import ConfigError
from clinical_r1.deid.stage import Deidentifier

if TYPE_CHECKING:
    from clinical_r1.llm.base import LLM
    from clinical_r1.llm.spec import ModelSpec
    from clinical_r1.llm.types import ChatRequest, ChatResponse

ALLOW_RAW_REMOTE_ENV = "CLINICAL_R1_ALLOW_RAW_REMOTE"


class DeidPolicyError(ConfigError):
    """A model spec that would send raw record text off this machine."""


def raw_remote_allowed(spec: ModelSpec) -> bool:
    return bool(getattr(spec, "allow_raw_remote", False)) or os.environ.get(ALLOW_RAW_REMOTE_ENV) == "1"


def deid_mode(spec: ModelSpec, is_local: bool) -> str:
    """'required' or 'off' after resolving auto (None): required exactly when text would leave."""
    return spec.deid or ("off" if is_local else "required")


def apply_deid_policy(llm: LLM, deidentifier: Deidentifier | None = None) -> LLM:
    """The model to use under the policy: `llm` itself, `llm` wrapped, or DeidPolicyError."""
    if deid_mode(llm.spec, llm.is_local) == "required":
        return DeidentifyingLLM(llm, deidentifier)
    if not llm.is_local and not raw_remote_allowed(llm.spec):
        where = llm.spec.base_url or "the default OpenAI endpoint"
        raise DeidPolicyError(
            f"model spec {llm.spec.label} at {where}: refusing to send raw record text to an endpoint that "
            f"is not on this machine with deid: off. Use deid: required (the default for remote "
            f"endpoints), or, only if your privacy office allows raw records to leave, set "
            f"{ALLOW_RAW_REMOTE_ENV}=1."
        )
    return llm


class DeidentifyingLLM:
    """An LLM whose requests are de-identified before they reach the wrapped model (and its cache)."""

    def __init__(self, inner: LLM, deidentifier: Deidentifier | None = None) -> None:
        self.inner = inner
        self.deidentifier = deidentifier or Deidentifier()
        self.spec = inner.spec
        self.is_local = inner.is_local
        self.ledger = inner.ledger

    def clean(self, request: ChatRequest) -> ChatRequest:
        """The request with every message's content de-identified, consistently within the request."""
        session = self.deidentifier.session()
        contents = session.deidentify_many([str(m.get("content", "")) for m in request.messages])
        messages = [{**m, "content": c} for m, c in zip(request.messages, contents, strict=True)]
        return request.model_copy(update={"messages": messages})

    async def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        return await self.inner.generate([self.clean(r) for r in requests])

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        async for delta in self.inner.stream(self.clean(request)):
            yield delta

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __getattr__(self, name: str) -> Any:  # anything else (cache, backend_name...) is the model's
        return getattr(self.inner, name)
