"""Training example -> chat messages: the one place that decides what the model sees.

SFT trains on `example_to_messages`; RL and evaluation prompt with `prompt_messages`, so the model
is asked at inference exactly the way it was taught. The chat template itself always comes from
the model's tokenizer.
"""

from __future__ import annotations

from clinical_r1.formatting import Style, render
from clinical_r1.records import Language
from clinical_r1.training_example import TrainingExample

Message = dict[str, str]

DEFAULT_SYSTEM_PROMPTS: dict[str, str] = {
    "en": (
        "You are a clinical diagnostic assistant. Reason through the case step by step, "
        "then give the final diagnosis."
    ),
    "zh": "你是一名临床诊断助手。请逐步分析病例，然后给出最终诊断。",
}


def system_prompt_for(language: Language | str, prompts: dict[str, str] | None = None) -> str | None:
    """The system prompt for a language: `prompts[language]` (default: DEFAULT_SYSTEM_PROMPTS).

    An empty string in `prompts` means "no system turn" (the template's own default, if any, applies).
    """
    table = DEFAULT_SYSTEM_PROMPTS if prompts is None else prompts
    return table.get(language) or None


def prompt_messages(question: str, system_prompt: str | None = None) -> list[Message]:
    """The conversation up to the model's turn: optional system prompt, then the case as the user turn."""
    messages: list[Message] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": question})
    return messages


def assistant_text(thinking: str, response: str, style: Style = "r1") -> str:
    """The assistant turn the model is trained to produce: the reasoning, then the final response."""
    return render(thinking, response, style)


def example_to_messages(
    example: TrainingExample, system_prompt: str | None = None, style: Style = "r1"
) -> list[Message]:
    """The full training conversation for one example: prompt messages plus the assistant turn."""
    return [
        *prompt_messages(example.question, system_prompt),
        {"role": "assistant", "content": assistant_text(example.thinking, example.response, style)},
    ]


def tokenize_conversation(tokenizer, messages: list[Message]) -> tuple[list[int], list[int]]:
    """Token ids of the whole conversation and labels that train on the assistant turn only.

    The assistant turn is found as what the full conversation adds after the prompt rendered with
    the generation prompt, so it works with any chat template, with or without {% generation %}
    markers. Labels are -100 outside the assistant turn and on whitespace the template puts after
    the end-of-turn token (the model should learn to stop, not to emit a newline after stopping).
    """
    if messages[-1]["role"] != "assistant":
        raise ValueError("the last message must be the assistant turn to train on")
    prompt_ids = _template_ids(tokenizer, messages[:-1], add_generation_prompt=True)
    input_ids = _template_ids(tokenizer, messages, add_generation_prompt=False)
    start = 0
    while start < min(len(prompt_ids), len(input_ids)) and prompt_ids[start] == input_ids[start]:
        start += 1
    if start < len(prompt_ids):
        raise ValueError(
            "the chat template renders the prompt differently with and without the assistant turn; "
            "cannot tell which tokens belong to the assistant"
        )
    end = len(input_ids)
    while end > start and not tokenizer.decode(input_ids[end - 1 : end]).strip():
        end -= 1
    labels = [-100] * start + input_ids[start:end] + [-100] * (len(input_ids) - end)
    return input_ids, labels


def _template_ids(tokenizer, messages: list[Message], add_generation_prompt: bool) -> list[int]:
    encoded = tokenizer.apply_chat_template(
        messages, tokenize=True, add_generation_prompt=add_generation_prompt, return_dict=True
    )
    return list(encoded["input_ids"])
