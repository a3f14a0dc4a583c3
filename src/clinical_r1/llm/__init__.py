"""One async interface to every model: `build_llm(spec).generate(requests)`. See docs/models.md."""

from clinical_r1.llm.base import LLM, LLMError
from clinical_r1.llm.build import build_llm, generate_sync, run_sync
from clinical_r1.llm.cache import Ledger, ModelUsage, ResponseCache
from clinical_r1.llm.spec import ModelSpec
from clinical_r1.llm.types import ChatRequest, ChatResponse, Message

__all__ = [
    "LLM",
    "ChatRequest",
    "ChatResponse",
    "LLMError",
    "Ledger",
    "Message",
    "ModelSpec",
    "ModelUsage",
    "ResponseCache",
    "build_llm",
    "generate_sync",
    "run_sync",
]
