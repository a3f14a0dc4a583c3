"""Item + prompting mode -> chat messages. Templates are files (prompts/<task>_<mode>_<lang>.txt).

The trained mode reuses clinical_r1.chat, so the trained model is asked exactly as in SFT:
same system prompt, the case as the user turn.
"""

from __future__ import annotations

from pathlib import Path

from clinical_r1.chat import Message, prompt_messages, system_prompt_for
from clinical_r1.evaluate.config import EvalConfig, ModelUnderTest
from clinical_r1.evaluate.items import EvalItem
from clinical_r1.prompt_contract import Prompting, model_folder, resolve_prompting
from clinical_r1.prompt_templates import load_template

PROMPTS_DIR = Path(__file__).parent / "prompts"


def template_name(item: EvalItem, mode: str) -> str | None:
    """File name of the user-turn template; None when the question itself is the user turn."""
    if item.task == "diagnosis":
        return None if mode == "trained" else f"{mode}_{item.language}.txt"
    return f"mcq_{mode}_{item.language}.txt"


PLACEHOLDERS = ("question", "options", "k")  # {k}: the differential's length (the *_differential_* files)


def format_options(options: dict[str, str]) -> str:
    return "\n".join(f"{letter}. {text}" for letter, text in options.items())


def user_text(
    item: EvalItem, mode: str, prompts_dir: Path | None = None, differential_k: int | None = None
) -> str:
    """The user turn. differential_k: also ask for a ranked differential of up to k entries (the
    templates <mode>_differential_<lang>.txt, where {k} stands for k)."""
    name = template_name(item, mode)
    if name is None:
        return item.question
    asks_differential = differential_k is not None and item.task == "diagnosis"
    if asks_differential:
        name = name.replace(f"_{item.language}.txt", f"_differential_{item.language}.txt")
    template = load_template(name, PROMPTS_DIR, prompts_dir, names=PLACEHOLDERS)
    # one pass, only these names: case texts may hold braces (even "{options}")
    values: dict[str, object] = {
        "question": item.question.strip(),
        "options": format_options(item.options or {}),
    }
    if asks_differential:
        values["k"] = differential_k
    return template.render(**values).strip()


def prompting_for(model: ModelUnderTest, config: EvalConfig) -> Prompting:
    """How a model under test is prompted and read in trained mode: its folder's prompting contract, the
    config's style / system_prompts when set (an error if they contradict the contract, unless
    force_prompts), else the defaults."""
    if model.mode != "trained":
        return Prompting(style=config.style or "r1", system_prompts=config.system_prompts)
    return resolve_prompting(
        model_folder(model.model_spec()),
        config.style,
        config.system_prompts,
        config.force_prompts,
        where=f"the eval config (style / system_prompts) for model '{model.name}'",
    )


def build_messages(item: EvalItem, mode: str, config: EvalConfig) -> list[Message]:
    k = config.differential.k if config.differential.enabled else None
    text = user_text(item, mode, config.prompts_dir, k)
    if mode == "trained":
        return prompt_messages(text, system_prompt_for(item.language, config.system_prompts))
    return [{"role": "user", "content": text}]
