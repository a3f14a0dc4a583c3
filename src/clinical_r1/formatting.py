"""The model's output format: reasoning first, then a final response. One renderer, one parser.

Two styles are understood:

- ``r1`` (default): ``<think>reasoning</think>`` then the response. Many chat templates put
  ``<think>`` in the prompt, so an output holding only the closing tag is accepted.
- ``markdown``: ``## Thinking`` reasoning ``## Final Response`` response.

`parse` never raises. Anything malformed (no closing tag, two answers, empty reasoning, a generation
cut off by the token limit) comes back as ``valid=False`` with an ``error`` string and no diagnosis,
so synthesis, reward, evaluation and serving all read "no valid answer" the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from clinical_r1.diagnosis_extraction import extract_diagnosis
from clinical_r1.differential import Differential, parse_differential

Style = Literal["r1", "markdown"]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
MARKDOWN_THINKING = "## Thinking"
MARKDOWN_RESPONSE = "## Final Response"

# The markdown style's heading lines (1-4 '#', any case, optional colon), one per whole line.
# Public so the live display in serve/diagnose.py splits on exactly what `parse` accepts.
MD_THINKING_RE = re.compile(r"^[ \t]*#{1,4}[ \t]*thinking[ \t]*:?[ \t]*$", re.IGNORECASE | re.MULTILINE)
MD_RESPONSE_RE = re.compile(
    r"^[ \t]*#{1,4}[ \t]*final[ \t]+response[ \t]*:?[ \t]*$", re.IGNORECASE | re.MULTILINE
)


@dataclass
class ParsedOutput:
    thinking: str
    response: str
    diagnosis: str | None
    has_reasoning: bool  # non-empty reasoning that came before the answer
    valid: bool
    error: str | None
    # The ranked differential the response states, if any (clinical_r1.differential); None = none stated.
    differential: Differential | None = None


def render(thinking: str, response: str, style: Style = "r1") -> str:
    """The text a model should produce for this reasoning and response (SFT targets use this)."""
    thinking, response = thinking.strip(), response.strip()
    if style == "r1":
        return f"{THINK_OPEN}\n{thinking}\n{THINK_CLOSE}\n\n{response}"
    if style == "markdown":
        return f"{MARKDOWN_THINKING}\n\n{thinking}\n\n{MARKDOWN_RESPONSE}\n\n{response}"
    raise ValueError(f"unknown output style {style!r}; expected 'r1' or 'markdown'")


def detect_style(text: str) -> Style | None:
    if THINK_CLOSE in text or THINK_OPEN in text:
        return "r1"
    if MD_RESPONSE_RE.search(text) or MD_THINKING_RE.search(text):
        return "markdown"
    return None


def parse(text: str | None, style: Style | None = None, truncated: bool = False) -> ParsedOutput:
    """Split a model output into reasoning and response and extract the final diagnosis.

    `style=None` detects the style from the markers present. `truncated=True` (the generation
    stopped at the token limit, finish_reason "length") always makes the output invalid.
    """
    try:
        return _parse(text or "", style, truncated)
    except Exception as exc:  # never crash a training or evaluation loop on one odd output
        return ParsedOutput("", text or "", None, False, False, f"parser error: {exc!r}")


def _parse(text: str, style: Style | None, truncated: bool) -> ParsedOutput:
    style = style or detect_style(text)
    if style == "r1":
        thinking, response, error = _split_r1(text)
    elif style == "markdown":
        thinking, response, error = _split_markdown(text)
    elif style is None:
        thinking, response, error = (
            "",
            text.strip(),
            "no reasoning section (no </think> or ## Final Response)",
        )
    else:
        return ParsedOutput("", text, None, False, False, f"unknown output style {style!r}")

    has_reasoning = not _is_blank(thinking) and error is None
    if error is None and _is_blank(thinking):
        error = "empty reasoning"
    if error is None and _is_blank(response):
        error = "empty final response"
    if truncated:
        error = "truncated generation (finish_reason 'length')" + (f"; {error}" if error else "")
    if error is not None:
        return ParsedOutput(thinking, response, None, has_reasoning and not truncated, False, error)
    diagnosis = extract_diagnosis(response)
    return ParsedOutput(thinking, response, diagnosis, True, True, None, parse_differential(response))


def _is_blank(text: str) -> bool:
    """No visible character (whitespace, control and zero-width characters do not count)."""
    return not any(ch.isprintable() and not ch.isspace() for ch in text)


def _split_r1(text: str) -> tuple[str, str, str | None]:
    closes = text.count(THINK_CLOSE)
    opens = text.count(THINK_OPEN)
    if closes == 0:
        body = text.split(THINK_OPEN, 1)[-1].strip()
        return body, "", "no closing </think> tag"
    if closes > 1 or opens > 1:
        before, _, after = text.partition(THINK_CLOSE)
        return (
            before.replace(THINK_OPEN, "").strip(),
            after.strip(),
            "more than one reasoning block (two answers)",
        )
    before, _, after = text.partition(THINK_CLOSE)
    if opens == 1:
        if THINK_OPEN not in before:
            return "", after.strip(), "<think> after </think>"
        prefix, _, before = before.partition(THINK_OPEN)
        if prefix.strip():
            return before.strip(), after.strip(), "text before <think> (answer before reasoning)"
    response = MD_RESPONSE_RE.sub("", after, count=1).strip()
    if MD_RESPONSE_RE.search(response):
        return before.strip(), response, "more than one final response (two answers)"
    return before.strip(), response, None


def _split_markdown(text: str) -> tuple[str, str, str | None]:
    headers = list(MD_RESPONSE_RE.finditer(text))
    if not headers:
        return MD_THINKING_RE.sub("", text, count=1).strip(), "", "no '## Final Response' section"
    if len(headers) > 1:
        return "", text[headers[0].end() :].strip(), "more than one final response (two answers)"
    before, after = text[: headers[0].start()], text[headers[0].end() :]
    thinking_headers = list(MD_THINKING_RE.finditer(before))
    if len(thinking_headers) > 1:
        return before.strip(), after.strip(), "more than one '## Thinking' section"
    if thinking_headers:
        prefix = before[: thinking_headers[0].start()]
        if prefix.strip():
            return before.strip(), after.strip(), "text before '## Thinking'"
        before = before[thinking_headers[0].end() :]
    if MD_THINKING_RE.search(after):
        return before.strip(), after.strip(), "'## Thinking' after the final response"
    return before.strip(), after.strip(), None
