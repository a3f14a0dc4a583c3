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
import unicodedata
from dataclasses import dataclass
from typing import Literal

from clinical_r1.differential import Differential, parse_differential, strip_differential

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
    # The differential's entries are candidates, not the committed diagnosis: the extractor never sees them.
    diagnosis = extract_diagnosis(strip_differential(response))
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


# --- diagnosis extraction -------------------------------------------------------------------

_BULLET = r"(?:[-*•>]+|\d+[.)、])?"
# An explicit label at the start of a line: "Final diagnosis: X", "**Diagnosis**: X", "最终诊断：X".
_EXPLICIT_EN = re.compile(
    rf"^[ \t]*{_BULLET}[ \t]*[*_]*[ \t]*(?P<kind>final|most likely|primary|main|principal|working|clinical)?"
    r"[ \t]*diagnosis[ \t]*[*_]*[ \t]*[:：][ \t]*[*_]*(?P<value>.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_EXPLICIT_ZH = re.compile(
    rf"^[ \t]*{_BULLET}[ \t]*[*_]*[ \t]*(?P<kind>最终|最后|初步|主要|临床|最可能的?)?诊断(?:结果|意见)?"
    r"[ \t]*[*_]*[ \t]*[:：][ \t]*[*_]*(?P<value>.*)$",
    re.MULTILINE,
)
# "final diagnosis:" is explicit wherever it stands, also inside a sentence.
_INLINE_FINAL = re.compile(
    r"(?:final diagnosis|最终诊断)[ \t]*[*_]*[ \t]*[:：][ \t]*[*_]*(?P<value>[^\n]+)", re.I
)

# Stated diagnoses inside prose, in priority order.
_PHRASES_EN = [
    r"(?:the )?(?:final|most likely|most probable|likely|probable|working) diagnosis "
    r"(?:is|would be|here is|remains)"
    r"(?: most likely| probably| likely)?[ \t]*:?",
    r"(?<!differential )diagnosis (?:is|would be) (?:most likely|most probably|likely|probably)[ \t]*:?",
    r"(?<!differential )diagnosis (?:is|would be)[ \t]*:?",
    r"(?:this|the patient|the presentation|the picture|the patient's presentation|these findings) "
    r"(?:is|are) most (?:likely|consistent with|suggestive of)",
    r"(?:the patient|he|she) (?:most likely|likely|probably) (?:has|suffers from)",
    r"most consistent with",
]
_PHRASES_ZH = [
    r"最终诊断(?:为|是)",
    r"最可能的诊断(?:为|是)",
    r"最可能(?:的)?(?:是|为)",
    r"(?:初步|临床)?诊断(?:考虑)?(?:为|是)",
    r"考虑诊断(?:为|是)?",
    r"诊断考虑",
    r"考虑(?:为|是)",
]
_PHRASE_EN = [re.compile(p + r"[ \t]*(?P<value>[^\n]+)", re.IGNORECASE) for p in _PHRASES_EN]
_PHRASE_ZH = [re.compile(p + r"[ \t]*[:：]?[ \t]*(?P<value>[^\n]+)") for p in _PHRASES_ZH]

# Where a stated diagnosis ends inside a sentence.
_END_EXPLICIT = re.compile(r"(?:(?<!\d)\.(?:\s|$)|。|；|;|\n)")
_END_PHRASE = re.compile(
    r"(?:(?<!\d)\.(?:\s|$)|。|；|;|，|,|\n|\(|（|"
    r"\s(?:given|because|based on|which|as evidenced|as suggested|supported by|in view of|since)\s)",
    re.IGNORECASE,
)
_SHORT_ANSWER_MAX_CHARS = 80
_LIST_MARK = re.compile(r"^(?:\d{1,2}\s*[.)、．]\s*|[-*•]\s+)")


def extract_diagnosis(response: str) -> str | None:
    """The one diagnosis the response commits to, or None.

    Order: an explicit label line ("Final diagnosis:" beats "Diagnosis:"; two different final
    labels mean no commitment -> None), then a stated "most likely diagnosis is X" / "最可能的诊断是X"
    / "考虑为X", then a response that is itself one short line.
    """
    if not response or not response.strip():
        return None
    text = unicodedata.normalize("NFKC", response).replace("\r\n", "\n")

    explicit = _explicit_values(text)
    if explicit is not None:
        return explicit or None

    for pattern in _PHRASE_ZH + _PHRASE_EN:
        match = pattern.search(text)
        if match:
            value = _clean(match.group("value"), _END_PHRASE)
            if value:
                return value

    # A response that is just a name ("Acute pancreatitis.") is the diagnosis itself.
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and _looks_like_a_name(lines[0]):
        return _clean(lines[0], _END_EXPLICIT) or None
    return None


def _looks_like_a_name(line: str) -> bool:
    line = line.strip().rstrip(".。")
    return len(line) <= _SHORT_ANSWER_MAX_CHARS and not re.search(
        r"[:：.。;；?？]|differential|鉴别", line, re.IGNORECASE
    )


def _explicit_values(text: str) -> str | None:
    """The committed explicit-label value; "" when labels disagree; None when there is no label."""
    found: list[tuple[bool, str]] = []  # (is_final, value)
    lines = text.split("\n")
    for pattern in (_EXPLICIT_EN, _EXPLICIT_ZH):
        for match in pattern.finditer(text):
            value = match.group("value")
            if not _clean(value, _END_EXPLICIT):  # "Diagnosis:" alone on its line: the value follows
                line_no = text[: match.start()].count("\n")
                following = [line for line in lines[line_no + 1 :] if line.strip()]
                value = following[0] if following else ""
            kind = (match.group("kind") or "").lower()
            found.append((kind in ("final", "最终", "最后"), _clean(value, _END_EXPLICIT)))
    if not found:
        inline = _INLINE_FINAL.search(text)
        if inline:
            found.append((True, _clean(inline.group("value"), _END_EXPLICIT)))
    found = [(final, value) for final, value in found if value]
    if not found:
        return None
    finals = [value for final, value in found if final]
    chosen = finals or [value for _, value in found]
    distinct = {_comparable(v) for v in chosen}
    return chosen[0] if len(distinct) == 1 else ""


def _clean(value: str, end: re.Pattern[str]) -> str:
    value = _LIST_MARK.sub("", value.strip())  # "1. Pneumonia" under a "Diagnosis:" label
    match = end.search(value)
    if match:
        value = value[: match.start()]
    value = value.strip().strip("*_`\"'“”‘’「」『』").strip()
    value = re.sub(r"^(?:is|was|of)\s+", "", value, flags=re.IGNORECASE)
    return value.rstrip(".。!！?？,，;；:：").strip()


def _comparable(value: str) -> str:
    return re.sub(r"[\W_]+", " ", value.casefold()).strip()
