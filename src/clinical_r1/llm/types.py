"""The request and response types every backend speaks. One interface for all model access."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": "..."}


class ChatRequest(BaseModel):
    """One chat completion request. Sampling parameters are per request."""

    messages: list[Message]
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    # > 1 discourages tokens already in the prompt or output (the transformers / vLLM definition: a
    # seen token's logit is divided by it when positive, multiplied when negative). None = not sent.
    repetition_penalty: float | None = Field(None, gt=0)
    seed: int | None = None
    stop: list[str] | None = None
    n: int = 1
    json_mode: bool = False
    # Free-form tags for logging / ledgers; NOT part of the cache key.
    tags: dict[str, str] = Field(default_factory=dict)


class ChatResponse(BaseModel):
    """The answer to one ChatRequest: `texts` has n entries (text == texts[0]).

    A request that failed for good (after retries, or a non-retryable error) has `error` set and
    empty texts; callers decide what a failure means for them.
    """

    texts: list[str] = Field(default_factory=list)
    finish_reasons: list[str] = Field(default_factory=list)  # "stop" | "length" | ...
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cached: bool = False
    error: str | None = None
    model: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""

    @property
    def finish_reason(self) -> str | None:
        return self.finish_reasons[0] if self.finish_reasons else None


Backend = Literal["openai", "local"]
