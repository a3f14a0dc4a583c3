"""The teacher's structured chain of thought: JSON steps in, checked steps out.

A chain is a list of steps, each "Inner Thinking" (with a title), "Final Conclusion" or
"Verification"; a usable chain ends with Inner Thinking, Final Conclusion, Verification (the
shape the search needs: the conclusion is what gets verified, the last verification is where the
next refinement continues). Anything else raises `MalformedReply` with a reason the teacher is
shown when it is asked again.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel

Action = Literal["Inner Thinking", "Final Conclusion", "Verification"]

# Teachers answering in Chinese sometimes translate the action names.
_ACTION_ALIASES = {
    "inner thinking": "Inner Thinking",
    "内部思考": "Inner Thinking",
    "final conclusion": "Final Conclusion",
    "最终结论": "Final Conclusion",
    "verification": "Verification",
    "验证": "Verification",
}
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class MalformedReply(ValueError):
    """A teacher reply that cannot be used; the message says why (and is shown to the teacher)."""


class Step(BaseModel):
    action: Action
    title: str | None = None
    content: str


def _json_object(text: str) -> dict:
    """The JSON object in a reply: the whole text, a fenced block, or first '{' to last '}'."""
    if "{" not in text:
        raise MalformedReply("the reply holds no JSON object")
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    error = "the reply holds no JSON object"
    for candidate in candidates:
        try:
            # strict=False: teachers often put raw newlines inside JSON strings
            value = json.loads(candidate, strict=False)
        except json.JSONDecodeError as exc:
            error = f"the reply is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
            continue
        if isinstance(value, dict):
            return value
        error = f"the reply's JSON is a {type(value).__name__}, not an object"
    raise MalformedReply(error)


def parse_chain(text: str, continuation: bool = False) -> list[Step]:
    """Steps of a CoT reply; `continuation` replies must start with a Verification step."""
    obj = _json_object(text)
    raw = obj.get("CoT")
    if not isinstance(raw, list) or not raw:
        raise MalformedReply('the JSON has no non-empty "CoT" list')
    steps: list[Step] = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise MalformedReply(f"CoT step {number} is not an object")
        action = _ACTION_ALIASES.get(str(item.get("action", "")).strip().lower())
        content = item.get("content")
        if action is None:
            raise MalformedReply(
                f'CoT step {number} has action {item.get("action")!r}; expected "Inner Thinking", '
                '"Final Conclusion" or "Verification"'
            )
        if not isinstance(content, str) or not content.strip():
            raise MalformedReply(f'CoT step {number} has no "content" text')
        title = item.get("title")
        steps.append(Step(action=action, title=str(title) if title else None, content=content.strip()))
    tail = [s.action for s in steps[-3:]]
    if tail != ["Inner Thinking", "Final Conclusion", "Verification"]:
        raise MalformedReply(
            'the CoT must end with "Inner Thinking", "Final Conclusion", "Verification" steps '
            f"(it ends with {', '.join(tail)})"
        )
    if continuation and steps[0].action != "Verification":
        raise MalformedReply('the CoT must start with a "Verification" step')
    return steps


def parse_natural(text: str) -> str:
    """The "NaturalReasoning" text of a rewrite reply (a multi-line monologue)."""
    value = _json_object(text).get("NaturalReasoning")
    if not isinstance(value, str) or not value.strip():
        raise MalformedReply('the JSON has no "NaturalReasoning" text')
    if "\n" not in value.strip():
        raise MalformedReply('"NaturalReasoning" must put each thought on its own line')
    return value.strip()


def conclusion(steps: list[Step]) -> str:
    """The last Final Conclusion: what the verifier checks."""
    return next(s.content for s in reversed(steps) if s.action == "Final Conclusion")


def steps_json(steps: list[Step]) -> str:
    """The reasoning as the teacher sees it in a follow-up prompt (readable JSON)."""
    return json.dumps([s.model_dump(exclude_none=True) for s in steps], ensure_ascii=False, indent=2)


def steps_text(steps: list[Step]) -> str:
    """The reasoning as a titled outline, the input of the natural-language rewrite."""
    blocks = []
    for step in steps:
        heading = step.title or ("Conclusion" if step.action == "Final Conclusion" else step.action)
        blocks.append(f"### {heading}\n{step.content}")
    return "\n\n".join(blocks)
