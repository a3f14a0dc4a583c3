"""RL prompts: a case to diagnose and the reference diagnosis the reward checks the answer against.

Read from either clinical records (`case`, `diagnosis`, optional `icd10`) or synthesis training
examples (`question`, `reference`); the kind is told by the first line's fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clinical_r1.records import RecordError, iter_jsonl, read_records
from clinical_r1.synth.example import read_examples
from clinical_r1.train.chat import prompt_messages, system_prompt_for


@dataclass(frozen=True)
class PromptItem:
    id: str
    question: str
    reference: str
    language: str = "en"
    reference_icd10: str | None = None


def load_prompts(path: str | Path) -> list[PromptItem]:
    """Prompts from records JSONL or training examples JSONL; RecordError names file, line and field."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: RL data not found")
    first = next(iter_jsonl(path), None)
    if first is None:
        raise RecordError(path, None, None, "no prompts (empty file)")
    line, row = first
    if "case" in row or "diagnosis" in row:
        return [
            PromptItem(r.id, r.case, r.diagnosis, r.language, r.icd10 if r.icd10 else None)
            for r in read_records(path)
        ]
    if "question" in row or "reference" in row:
        items = []
        for number, example in enumerate(read_examples(path), start=1):
            if not example.reference.strip():
                raise RecordError(path, number, "reference", "must not be empty (the reward needs it)")
            items.append(PromptItem(example.id, example.question, example.reference, example.language))
        return items
    raise RecordError(
        path, line, None, "neither a record (case, diagnosis) nor a training example (question, reference)"
    )


def chat_prompt(item: PromptItem, system_prompts: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The conversation the policy answers: the same system prompt and user turn as SFT trained on."""
    return prompt_messages(item.question, system_prompt_for(item.language, system_prompts))


def tokenize_prompts(
    tokenizer, items: list[PromptItem], system_prompts: dict[str, str] | None, max_tokens: int
) -> tuple[list[PromptItem], list[list[int]], int]:
    """Chat-template token ids of each prompt; prompts over `max_tokens` are left out (and counted)."""
    if not tokenizer.chat_template:
        raise ValueError("the tokenizer has no chat template; RL prompts go through it")
    kept, ids = [], []
    for item in items:
        encoded = tokenizer.apply_chat_template(
            chat_prompt(item, system_prompts), add_generation_prompt=True, tokenize=True, return_dict=True
        )["input_ids"]
        if len(encoded) <= max_tokens:
            kept.append(item)
            ids.append(list(encoded))
    if not kept:
        raise ValueError(f"every prompt is longer than max_prompt_tokens={max_tokens}")
    return kept, ids, len(items) - len(kept)
