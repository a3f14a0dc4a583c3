"""The training example: what synthesis writes and supervised fine-tuning reads.

One example is a case (`question`), the reasoning that reached the diagnosis (`thinking`), the final
answer shown to the user (`response`) and the reference diagnosis it was verified against. `route`
says how the search got there; `trace` and `usage` keep the search's steps and token counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from clinical_r1.records import Language, NonEmptyStr, iter_jsonl, model_from_dict


class TrainingExample(BaseModel):
    id: NonEmptyStr
    question: NonEmptyStr
    thinking: NonEmptyStr
    response: NonEmptyStr
    reference: str
    language: Language
    department: str | None = None
    # "initial" | "strategy:<name>" | "guided" (found by the synthesis search) | "curated" (hand-written)
    route: str = "initial"
    trace: dict[str, Any] = Field(default_factory=dict)
    usage: dict[str, Any] = Field(default_factory=dict)

    @field_validator("route")
    @classmethod
    def _known_route(cls, value: str) -> str:
        if value in ("initial", "guided", "curated") or (value.startswith("strategy:") and len(value) > 9):
            return value
        raise ValueError(f"must be 'initial', 'guided', 'curated' or 'strategy:<name>', got {value!r}")


def example_from_dict(
    obj: dict[str, Any], file: str | Path = "<input>", line: int | None = None
) -> TrainingExample:
    return model_from_dict(TrainingExample, obj, file, line)


def read_examples(path: str | Path) -> Iterator[TrainingExample]:
    """Stream training examples from JSONL; the first bad line raises RecordError (file, line, field)."""
    for number, obj in iter_jsonl(path):
        yield example_from_dict(obj, path, number)


def to_public(example: TrainingExample) -> dict[str, str]:
    """The public HuatuoGPT-o1 / ClinicalGPT-R1 release format."""
    return {"Question": example.question, "Complex_CoT": example.thinking, "Response": example.response}
