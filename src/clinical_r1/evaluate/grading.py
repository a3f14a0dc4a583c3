"""One model output -> the answer it commits to (a diagnosis or an option letter), or none.

Rules, stated once and applied to every model alike:

- A generation cut off by the token limit (finish_reason "length") has no valid answer.
- trained mode: the output must parse in the trained format (formatting.parse); the diagnosis is the
  one its final response states (formatting.extract_diagnosis).
- cot / direct: when the output carries reasoning markers (<think>, ## Final Response) it must parse
  too and only the final response counts; otherwise the whole output is the response. Same extractor.
- multiple choice: the LAST answer statement of the response ("Answer: X", "The answer is (X)",
  "答案：X", "答案是X", "正确选项为X"), or a response that is only a letter ("B", "(B)", "B. text").
  The letter must be one of the item's options; "Answer: A or B" is ambiguous. Nothing else is read:
  no guessing from option texts, no fallback that invents an answer.

No valid answer is wrong, and is counted separately.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from clinical_r1.formatting import Style, detect_style, extract_diagnosis, parse

_LETTER = r"[\(\[]?\s*([A-Z])\s*[\)\]]?(?![A-Za-z0-9])"
_ANSWER = re.compile(
    r"(?:(?i:\b(?:final\s+|correct\s+)?answer\b(?:\s+is)?(?:\s+option)?)|答案(?:应为|应该是|是|为)?|正确选项(?:是|为)?)"
    rf"[\s*_]*:?[\s*_]*{_LETTER}"
)
_MORE = re.compile(rf"^[\s*_]*(?:(?i:or|and)|/|,|、|或者?|和|及)\s*{_LETTER}")
_LONE = re.compile(r"^[\s*_]*[\(\[]?([A-Z])[\)\]]?[\s*_]*(?:[.:、]\s*.*)?$")


@dataclass
class Extraction:
    answer: str | None  # diagnosis text or option letter; None = no valid answer
    no_answer_reason: str | None
    thinking: str
    response: str


def extract(
    text: str,
    finish_reason: str | None,
    mode: str,
    task: str,
    options: dict[str, str] | None = None,
    style: Style = "r1",
) -> Extraction:
    truncated = finish_reason == "length"
    if mode == "trained" or detect_style(text) is not None:
        parsed = parse(text, style=style if mode == "trained" else None, truncated=truncated)
        if not parsed.valid:
            return Extraction(None, parsed.error or "invalid format", parsed.thinking, parsed.response)
        thinking, response = parsed.thinking, parsed.response
    else:
        if truncated:
            return Extraction(None, "truncated generation (finish_reason 'length')", "", text.strip())
        thinking, response = "", text.strip()
    if not response:
        return Extraction(None, "empty response", thinking, response)
    if task == "mcq":
        letter, reason = extract_choice(response, options or {})
        return Extraction(letter, reason, thinking, response)
    diagnosis = extract_diagnosis(response)
    return Extraction(diagnosis, None if diagnosis else "no diagnosis stated", thinking, response)


def extract_choice(response: str, options: dict[str, str]) -> tuple[str | None, str | None]:
    """(letter, None) or (None, why there is no valid answer). See the module docstring for the rule."""
    text = unicodedata.normalize("NFKC", response)  # full-width Ａ and ： become A and :
    matches = list(_ANSWER.finditer(text))
    if matches:
        last = matches[-1]
        letter = last.group(1)
        if _MORE.match(text[last.end() :]):
            return None, "ambiguous answer statement (more than one letter)"
    else:
        lines = [line for line in text.splitlines() if line.strip()]
        lone = _LONE.match(lines[0]) if len(lines) == 1 else None
        if lone is None:
            return None, "no answer statement"
        letter = lone.group(1)
    if letter not in options:
        return None, f"answer {letter} is not one of the options"
    return letter, None
