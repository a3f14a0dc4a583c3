"""Item + prompting mode -> chat messages. Templates are files (prompts/<task>_<mode>_<lang>.txt).

The trained mode reuses clinical_r1.chat, so the trained model is asked exactly as in SFT:
same system prompt, the case as the user turn.
"""

from __future__ import annotations

from pathlib import Path

from clinical_r1.chat import Message, prompt_messages, system_prompt_for
from clinical_r1.evaluate.config import EvalConfig
from clinical_r1.evaluate.items import EvalItem

PROMPTS_DIR = Path(__file__).parent / "prompts"


def template_name(item: EvalItem, mode: str) -> str | None:
    """File name of the user-turn template; None when the question itself is the user turn."""
    if item.task == "diagnosis":
        return None if mode == "trained" else f"{mode}_{item.language}.txt"
    return f"mcq_{mode}_{item.language}.txt"


def load_template(name: str, prompts_dir: Path | None = None) -> str:
    for folder in (prompts_dir, PROMPTS_DIR):
        if folder is not None and (folder / name).exists():
            return (folder / name).read_text(encoding="utf-8")
    raise FileNotFoundError(f"no prompt template {name} in {prompts_dir or PROMPTS_DIR}")


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
    template = load_template(name, prompts_dir)
    if asks_differential:
        template = template.replace("{k}", str(differential_k))
    # str.replace, not str.format: case texts may hold braces.
    text = template.replace("{question}", item.question.strip())
    return text.replace("{options}", format_options(item.options or {})).strip()


def build_messages(item: EvalItem, mode: str, config: EvalConfig) -> list[Message]:
    k = config.differential.k if config.differential.enabled else None
    text = user_text(item, mode, config.prompts_dir, k)
    if mode == "trained":
        return prompt_messages(text, system_prompt_for(item.language, config.system_prompts))
    return [{"role": "user", "content": text}]
