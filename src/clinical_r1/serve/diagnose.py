"""Diagnose one case with any model: the prompt it was trained on, the reasoning as it streams, the
parsed final response, the extracted diagnosis and its ICD-10 candidates.

Shared by `clinical-r1 diagnose` and the HTTP API, so both ask the model the same way and report
the same fields. The final answer is always `formatting.parse` of the whole output in the trained
style (the model folder's prompting contract, clinical_r1.json, unless `DiagnoseSettings` sets it; as
evaluation parses it), so an answer is valid when served exactly
when it is valid in evaluation. The live split into reasoning and response (`SectionSplitter`) is
only for display while the text arrives.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from clinical_r1 import icd10
from clinical_r1.chat import prompt_messages
from clinical_r1.formatting import MD_RESPONSE_RE, MD_THINKING_RE, THINK_CLOSE, THINK_OPEN, parse
from clinical_r1.llm import LLM, ChatRequest, LLMError
from clinical_r1.prompt_contract import PromptOverrides, model_folder, resolve_prompting
from clinical_r1.records import detect_language

Section = Literal["thinking", "response"]


class DiagnoseSettings(PromptOverrides):
    """How a case is put to the model (the same prompt and chat format as in training)."""

    max_tokens: int = Field(1024, ge=1)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    icd10_candidates: int = Field(5, ge=0, le=20)
    # style (parsed strictly, as evaluation does), system_prompts, force_prompts: PromptOverrides, i.e. the
    # model folder's clinical_r1.json unless set here.


class ICD10Candidate(BaseModel):
    code: str
    description: str
    block: str
    chapter: str


class Timings(BaseModel):
    queue_s: float = 0.0  # waiting for a free slot (API only)
    first_token_s: float | None = None  # streaming only
    generation_s: float = 0.0
    total_s: float = 0.0


class DiagnoseResult(BaseModel):
    """What a diagnosis run gives back (the API's response body and `diagnose --json`)."""

    language: str
    thinking: str
    response: str
    diagnosis: str | None
    valid: bool  # the output has reasoning, a final response and parses cleanly
    error: str | None  # why it is not valid
    icd10: list[ICD10Candidate]
    finish_reason: str | None = None  # "length" = cut off by max_tokens (not known when streamed)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    model: str
    timings: Timings


@dataclass
class Delta:
    """A piece of streamed text and the section it belongs to."""

    section: Section
    text: str


class CaseError(ValueError):
    """A case that cannot be diagnosed (empty, or not valid text)."""


def check_case(case: str) -> None:
    """Raise CaseError for an empty case or one that is not valid Unicode text: a lone surrogate
    (JSON allows `"\\ud800"`) cannot be encoded as UTF-8, so no model could be sent it. The message
    gives the position, never the text."""
    if not case.strip():
        raise CaseError("the case is empty")
    try:
        case.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(case[exc.start])
        raise CaseError(
            f"character {exc.start + 1} is U+{code:04X}, a lone surrogate (half of a UTF-16 pair), "
            "which is not text; send the case as valid UTF-8 / complete surrogate pairs"
        ) from None


async def warm_up(llm: LLM) -> None:
    """Load a local model (one 1-token answer) and the ICD-10 name index, so the first real request
    is not charged for them. A remote model is left alone."""
    await asyncio.to_thread(icd10.candidates, "pneumonia", "en")
    if llm.spec.backend == "local":
        await llm.generate([ChatRequest(messages=[{"role": "user", "content": "ping"}], max_tokens=1)])


def resolve_language(case: str, language: str | None) -> str:
    """The given language, else the detected one, else English."""
    return language or detect_language(case) or "en"


def icd10_candidates(diagnosis: str | None, language: str, limit: int = 5) -> list[ICD10Candidate]:
    if not diagnosis or limit <= 0:
        return []
    return [
        ICD10Candidate(code=c.code, description=c.description, block=c.block, chapter=c.chapter)
        for c in icd10.candidates(diagnosis, language, limit=limit)
    ]


class Diagnoser:
    """One model, one way of asking it. `diagnose` waits for the whole answer; `stream` yields
    `Delta`s while the model writes and a `DiagnoseResult` last."""

    def __init__(self, llm: LLM, settings: DiagnoseSettings | None = None) -> None:
        self.llm = llm
        self.settings = settings or DiagnoseSettings()
        s = self.settings
        self.prompting = resolve_prompting(
            model_folder(getattr(llm, "spec", None)),
            s.style,
            s.system_prompts,
            s.force_prompts,
            where="the diagnose settings (--style / --system-prompt)",
        )

    def request_for(
        self, case: str, language: str, max_tokens: int | None = None, temperature: float | None = None
    ) -> ChatRequest:
        check_case(case)
        s = self.settings
        messages = prompt_messages(case.strip(), self.prompting.system_prompt(language))
        return ChatRequest(
            messages=messages,
            max_tokens=max_tokens or s.max_tokens,
            temperature=s.temperature if temperature is None else temperature,
            tags={"stage": "serve"},
        )

    def _result(self, text: str, language: str, truncated: bool, **fields) -> DiagnoseResult:
        parsed = parse(text, style=self.prompting.style, truncated=truncated)
        return DiagnoseResult(
            language=language,
            thinking=parsed.thinking,
            response=parsed.response,
            diagnosis=parsed.diagnosis,
            valid=parsed.valid,
            error=parsed.error,
            icd10=icd10_candidates(parsed.diagnosis, language, self.settings.icd10_candidates),
            model=self.llm.spec.label,
            **fields,
        )

    async def diagnose(
        self,
        case: str,
        language: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> DiagnoseResult:
        """Raises LLMError when the model fails (the message says why)."""
        language = resolve_language(case, language)
        request = self.request_for(case, language, max_tokens, temperature)
        start = time.perf_counter()
        (answer,) = await self.llm.generate([request])
        if not answer.ok:
            raise LLMError(answer.error or "the model gave no answer")
        elapsed = time.perf_counter() - start
        return self._result(
            answer.text,
            language,
            truncated=answer.finish_reason == "length",
            finish_reason=answer.finish_reason,
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
            timings=Timings(generation_s=round(elapsed, 4), total_s=round(elapsed, 4)),
        )

    async def stream(
        self,
        case: str,
        language: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> AsyncIterator[Delta | DiagnoseResult]:
        """Deltas while the model writes, then the result. Raises LLMError when the model fails."""
        language = resolve_language(case, language)
        request = self.request_for(case, language, max_tokens, temperature)
        splitter = SectionSplitter()
        pieces: list[str] = []
        start = time.perf_counter()
        first: float | None = None
        async for piece in self.llm.stream(request):
            if first is None:
                first = time.perf_counter() - start
            pieces.append(piece)
            for delta in splitter.feed(piece):
                yield delta
        for delta in splitter.flush():
            yield delta
        elapsed = time.perf_counter() - start
        yield self._result(
            "".join(pieces),
            language,
            truncated=False,
            timings=Timings(
                first_token_s=None if first is None else round(first, 4),
                generation_s=round(elapsed, 4),
                total_s=round(elapsed, 4),
            ),
        )


class SectionSplitter:
    """Splits streamed text into reasoning and response for display, without showing the markers
    (`<think>`, `</think>`, `## Thinking`, `## Final Response`). A tail that could still become a
    marker is held back until the next piece decides it. Each piece is scanned once (no rescans of
    the whole text), so long outputs stay cheap."""

    def __init__(self) -> None:
        self.text = ""
        self.head: int | None = None  # where the reasoning starts, once known
        self.end: int | None = None  # where the reasoning ends, once the response began
        self.body: int | None = None  # where the response starts
        self.scan = 0  # the closing marker is searched for from here
        self.sent_thinking: int | None = None  # positions in self.text sent so far
        self.sent_response: int | None = None

    def feed(self, piece: str) -> list[Delta]:
        self.text += piece
        return self._emit(final=False)

    def flush(self) -> list[Delta]:
        return self._emit(final=True)

    def _emit(self, final: bool) -> list[Delta]:
        text = self.text
        if self.head is None:
            self.head = _reasoning_start(text, final)
            if self.head is None:
                return []
        if self.end is None:
            self._find_response(final)
        out = []
        stop = self.end if self.end is not None else len(text) - (0 if final else _held_back(text, self.head))
        piece, self.sent_thinking = _take(text, self.sent_thinking, self.head, stop, "\n")
        if piece:
            out.append(Delta("thinking", piece))
        if self.body is not None:
            piece, self.sent_response = _take(text, self.sent_response, self.body, len(text), None)
            if piece:
                out.append(Delta("response", piece))
        return out

    def _find_response(self, final: bool) -> None:
        text = self.text
        close = text.find(THINK_CLOSE, self.scan)
        line_start = text.rfind("\n", 0, self.scan) + 1
        heading = MD_RESPONSE_RE.search(text, max(line_start, self.head or 0))
        if heading is not None and heading.end() == len(text) and not final:
            heading = None  # its line may still go on ("## Final Response of ...")
        if close >= 0 and (heading is None or close < heading.start()):
            self.end, self.body = close, close + len(THINK_CLOSE)
        elif heading is not None:
            self.end, self.body = heading.start(), heading.end()
        else:
            self.scan = max(self.head or 0, len(text) - len(THINK_CLOSE) + 1)


def _take(text: str, sent: int | None, start: int, stop: int, lead: str | None) -> tuple[str, int | None]:
    """The unsent part of text[start:stop] (leading `lead` characters, or whitespace, skipped until
    something is sent) and the new sent position."""
    if sent is None:
        begin = start
        while begin < stop and (text[begin] in lead if lead else text[begin].isspace()):
            begin += 1
        if begin >= stop:
            return "", None
        return text[begin:stop], stop
    return (text[sent:stop], stop) if stop > sent else ("", sent)


def _reasoning_start(text: str, final: bool) -> int | None:
    """Where the reasoning starts (after an opening marker), or None while it cannot be told yet."""
    stripped = text.lstrip()
    if stripped.startswith(THINK_OPEN):
        return len(text) - len(stripped) + len(THINK_OPEN)
    match = MD_THINKING_RE.search(text)
    if match is not None and not text[: match.start()].strip():
        if match.end() == len(text) and not final:
            return None  # its line may still go on
        return match.end()
    if not final and (
        not stripped or THINK_OPEN.startswith(stripped) or (stripped.startswith("#") and "\n" not in stripped)
    ):
        return None  # may still become an opening marker (a heading line in progress)
    return 0


def _held_back(text: str, head: int) -> int:
    """Length of the tail that may be the start of the closing marker or of a response heading."""
    hold = max((k for k in range(1, len(THINK_CLOSE)) if text.endswith(THINK_CLOSE[:k])), default=0)
    line_start = max(text.rfind("\n") + 1, head)
    if text[line_start:].lstrip().startswith("#"):  # a heading in progress: wait for its end of line
        hold = max(hold, len(text) - line_start)
    return hold
