"""The search for a verified reasoning path, for one record (HuatuoGPT-o1 style).

1. The teacher writes a chain of thought as JSON steps; the verifier checks its conclusion.
2. While wrong, up to `max_depth` refinements, each with a strategy (backtracking never first),
   continuing from the previous reasoning; each is verified again.
3. Still wrong: a fresh attempt, up to `max_attempts` in all.
4. Still wrong: a guided attempt that is told the reference and must reason to it (route "guided").
5. The verified chain is rewritten as a natural monologue, then the teacher writes the final
   response from it, whose diagnosis is verified again.

Every choice (strategy, sampling seed) derives from the config seed and the record id, so a rerun
sends byte-identical requests and the model layer's cache answers the ones already paid for.
Every way a record can fail ends as an `Outcome` with a reason; nothing is silently dropped.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from clinical_r1.differential import differential_instruction, parse_differential
from clinical_r1.formatting import extract_diagnosis
from clinical_r1.llm.base import LLM
from clinical_r1.llm.types import ChatRequest, ChatResponse
from clinical_r1.records import ClinicalRecord
from clinical_r1.synth.config import SynthConfig
from clinical_r1.synth.cot import (
    MalformedReply,
    Step,
    conclusion,
    parse_chain,
    parse_natural,
    steps_json,
    steps_text,
)
from clinical_r1.synth.templates import PromptSet
from clinical_r1.training_example import TrainingExample
from clinical_r1.verify import Verdict, Verifier, VerifyItem

T = TypeVar("T")
Status = Literal["example", "rejected", "error"]


def derive_seed(*parts: object) -> int:
    """A stable 31-bit seed from any parts (Python's hash() is salted per process)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


class Dropped(Exception):
    """The record ends without an example, for a reason that another run would give again."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class TeacherFailed(Exception):
    """The model layer gave up on a call (after its retries); a rerun tries the record again."""

    def __init__(self, stage: str, error: str):
        super().__init__(f"{stage}: {error}")
        self.stage, self.error = stage, error


@dataclass
class Outcome:
    """What became of one record: an example, a rejection with its reason, or a transient error."""

    record_id: str
    status: Status
    payload: dict[str, Any]  # the example, or the reject line

    @property
    def reason(self) -> str | None:
        return self.payload.get("reason")


@dataclass
class _Usage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, response: ChatResponse) -> None:
        self.calls += 1
        self.prompt_tokens += response.prompt_tokens
        self.completion_tokens += response.completion_tokens

    def as_dict(self) -> dict[str, int]:
        return {
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }


@dataclass
class RecordSearch:
    record: ClinicalRecord
    config: SynthConfig
    prompts: PromptSet
    llm: LLM
    verifier: Verifier
    usage: _Usage = field(default_factory=_Usage)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    malformed: list[dict[str, str]] = field(default_factory=list)

    async def run(self) -> Outcome:
        trace: dict[str, Any] = {"teacher": self.config.teacher.model, "attempts": self.attempts}
        route = None
        try:
            steps, route, attempt = await self._search()
            trace.update(route=route, attempt=attempt, steps=[s.model_dump(exclude_none=True) for s in steps])
            thinking = await self._ask(
                "rewrite", self._render("rewrite", reasoning=steps_text(steps)), parse_natural
            )
            prompt = self._render("response", thinking=thinking)
            if self.config.differential:  # ask for the ranked differential too (clinical_r1.differential)
                k = self.config.differential_k
                prompt += "\n\n" + differential_instruction(self.record.language, k)
            response = await self._ask("response", prompt, _plain_text)
            # Only the diagnosis the response states counts, as in evaluation and the RL reward: a
            # response stating none (None -> mismatch) would teach an answer nobody can grade.
            diagnosis = extract_diagnosis(response)
            verdict = await self._verify(diagnosis)
            trace["response_verdict"] = {"prediction": diagnosis, **verdict.model_dump(mode="json")}
            if not verdict.is_match:
                raise Dropped("response_mismatch", f"response diagnosis {diagnosis!r}: {verdict.reason}")
            if self.config.differential:  # asked for: an example without a usable one would teach none
                stated = parse_differential(response)
                if stated is None or not stated.probabilities_valid:
                    why = "none stated" if stated is None else stated.error
                    raise Dropped("differential_invalid", f"ranked differential: {why}")
            if route == "guided":
                self._check_leak(thinking + "\n" + response)
        except Dropped as drop:
            return self._reject(drop.reason, drop.detail, route, trace)
        except TeacherFailed as failure:
            outcome = self._reject(f"teacher_error:{failure.stage}", failure.error, route, trace)
            return Outcome(self.record.id, "error", outcome.payload)
        example = TrainingExample(
            id=self.record.id,
            question=self.record.case,
            thinking=thinking,
            response=response,
            reference=self.record.diagnosis,
            language=self.record.language,
            department=self.record.department,
            route=route,
            trace={**trace, "malformed": self.malformed},
            usage=self.usage.as_dict(),
        )
        return Outcome(self.record.id, "example", example.model_dump(mode="json"))

    # --- the search proper ---------------------------------------------------------------------

    async def _search(self) -> tuple[list[Step], str, int]:
        """The verified chain, its route and the attempt that found it; `Dropped` if none."""
        steps: list[Step] = []
        for attempt in range(1, self.config.max_attempts + 1):
            rng = random.Random(derive_seed(self.config.seed, self.record.id, "strategies", attempt))
            log: dict[str, Any] = {"attempt": attempt, "strategies": [], "verdicts": []}
            self.attempts.append(log)
            steps = await self._ask("initial", self._render("initial"), parse_chain, attempt=attempt)
            route = "initial"
            verdict = await self._verify_chain(steps, log)
            for depth in range(1, self.config.max_depth + 1):
                if verdict.is_match:
                    break
                choices = [s for s in self.config.strategies if depth > 1 or s != "backtracking"]
                name = rng.choice(choices)
                log["strategies"].append(name)
                prompt = self._render(f"strategy_{name}", reasoning=steps_json(steps[:-1]))
                more = await self._ask(
                    f"strategy:{name}", prompt, _continuation, attempt=attempt, depth=depth
                )
                steps = steps[:-1] + more
                route = f"strategy:{name}"
                verdict = await self._verify_chain(steps, log)
            if verdict.is_match:
                return steps, route, attempt
        if not self.config.guided_attempt:
            raise Dropped("no_verified_path", f"{self.config.max_attempts} attempts, none verified")
        log = {"attempt": "guided", "strategies": [], "verdicts": []}
        self.attempts.append(log)
        prompt = self._render("guided", reasoning=steps_json(steps[:-1]), reference=self.record.diagnosis)
        steps = steps[:-1] + await self._ask("guided", prompt, _continuation)
        verdict = await self._verify_chain(steps, log)
        if not verdict.is_match:
            raise Dropped("guided_mismatch", verdict.reason)
        self._check_leak("\n".join(s.content for s in steps))
        return steps, "guided", self.config.max_attempts

    async def _verify_chain(self, steps: list[Step], log: dict[str, Any]) -> Verdict:
        text = conclusion(steps)
        prediction = extract_diagnosis(text) or text
        verdict = await self._verify(prediction)
        log["verdicts"].append({"prediction": prediction, **verdict.model_dump(mode="json")})
        return verdict

    async def _verify(self, prediction: str | None) -> Verdict:
        item = VerifyItem(
            prediction=prediction,
            reference=self.record.diagnosis,
            reference_icd10=self.record.icd10,
            language=self.record.language,
        )
        return (await self.verifier.verify_many([item]))[0]

    def _check_leak(self, text: str) -> None:
        lowered = text.lower()
        for phrase in self.config.leak_phrases.get(self.record.language, []):
            if phrase.lower() in lowered:
                raise Dropped("guided_leak", f"the guided reasoning cites the answer ({phrase!r})")

    # --- talking to the teacher ----------------------------------------------------------------

    def _render(self, template: str, **values: str) -> str:
        return self.prompts.render(template, question=self.record.case, **values)

    async def _ask(
        self, stage: str, prompt: str, parse: Callable[[str], T], attempt: int = 1, depth: int = 0
    ) -> T:
        """One teacher turn; a malformed reply is shown back with the reason, up to max_reasks times."""
        messages = [{"role": "user", "content": prompt}]
        json_stage = parse is not _plain_text
        error = ""
        for reask in range(self.config.max_reasks + 1):
            request = ChatRequest(
                messages=messages,
                temperature=self.config.temperature,
                top_p=self.config.top_p,
                max_tokens=self.config.max_tokens,
                seed=derive_seed(self.config.seed, self.record.id, stage, attempt, depth, reask),
                json_mode=self.config.json_mode and json_stage,
                tags={"stage": stage, "record": self.record.id},
            )
            response = (await self.llm.generate([request]))[0]
            self.usage.add(response)
            if not response.ok:
                raise TeacherFailed(stage, response.error or "unknown error")
            try:
                if response.finish_reason == "length":
                    raise MalformedReply(
                        f"the reply was cut off at the token limit ({self.config.max_tokens})"
                    )
                return parse(response.text)
            except MalformedReply as exc:
                error = str(exc)
                self.malformed.append({"stage": stage, "attempt": str(attempt), "error": error})
                reask_text = self.prompts.render("reask", error=error)
                messages = [*messages, {"role": "assistant", "content": response.text}]
                messages.append({"role": "user", "content": reask_text})
        kind = "malformed_json" if json_stage else "bad_reply"
        raise Dropped(f"{kind}:{stage.split(':')[0]}", f"{self.config.max_reasks + 1} replies, last: {error}")

    def _reject(self, reason: str, detail: str, route: str | None, trace: dict[str, Any]) -> Outcome:
        payload = {
            "id": self.record.id,
            "reason": reason,
            "detail": detail,
            "language": self.record.language,
            "department": self.record.department,
            "reference": self.record.diagnosis,
            "route": route,
            "trace": {**trace, "malformed": self.malformed},
            "usage": self.usage.as_dict(),
        }
        return Outcome(self.record.id, "rejected", payload)


def _continuation(text: str) -> list[Step]:
    return parse_chain(text, continuation=True)


def _plain_text(text: str) -> str:
    if not text.strip():
        raise MalformedReply("the reply is empty")
    return text.strip()
