"""The ranked differential: an optional section of the final response, rendered and parsed here.

A differential is up to k diagnoses, most likely first, each with the model's probability that it is
the right diagnosis; the probabilities sum to at most 1 (the rest is "something else"). It follows the
final diagnosis in the response:

- ``r1`` style, en: ``Differential diagnosis:`` then ``1. Community-acquired pneumonia (60%)`` lines;
  zh: ``鉴别诊断：`` then ``1. 社区获得性肺炎（60%）`` lines.
- ``markdown`` (HuatuoGPT) style: a ``### Differential diagnosis`` / ``### 鉴别诊断`` heading, then
  ``1. **Community-acquired pneumonia** (60%)`` lines.

`parse_differential` reads those and what real models write instead: any heading form (``**Differential
Diagnoses:**``, ``## Differential diagnosis``, ``Differential diagnosis (ranked):``, ``鉴别诊断（按可能
性排序）：``), entries numbered ``1.`` ``1)`` ``(1)`` ``1、`` or bulleted, or on the heading's own line
(``鉴别诊断：1. X（60%）；2. Y（30%）``, ``Differential: X (60%), Y (30%)``), probabilities as ``60%``,
``0.6``, ``(p=0.6)``, ``- 0.6``, ``: 60%``, ``（概率约60%）``, with an explanation after them. Full-width
characters are normalised first (NFKC).

Rules: the written order is the rank. Entries on the heading's own line need probabilities (else the
line is a sentence about the alternatives, "鉴别诊断：需与肺栓塞、肺结核鉴别"); a list under the heading
may have none (a ranking without confidence). A differential whose probabilities are missing for some
entries, out of [0, 1], or sum to more than 1 (+0.01 for rounding) keeps its ranking (top-k) but has
no usable probabilities (`Differential.error` says why), so it is left out of calibration. Entries
repeating an earlier name are dropped. No heading, or a heading without entries, means no stated
differential.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from clinical_r1.prompt_templates import fill

Style = Literal["r1", "markdown"]  # the same two styles as formatting.Style

SUM_TOLERANCE = 0.01  # stated percentages are rounded: 33% + 33% + 35% is accepted
MAX_ENTRIES = 10


@dataclass(frozen=True)
class DifferentialEntry:
    diagnosis: str
    probability: float | None  # in [0, 1]; None when the model gave none


@dataclass
class Differential:
    entries: list[DifferentialEntry]
    error: str | None = None  # why the probabilities are unusable (the ranking still counts)

    @property
    def probabilities_valid(self) -> bool:
        return self.error is None and bool(self.entries)

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": [{"diagnosis": e.diagnosis, "probability": e.probability} for e in self.entries],
            "error": self.error,
        }


# --- rendering ----------------------------------------------------------------------------------

HEADINGS = {"en": "Differential diagnosis", "zh": "鉴别诊断"}


def _percent(p: float) -> str:
    value = round(p * 100, 1)
    return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"


def render_differential(
    entries: Sequence[DifferentialEntry | tuple[str, float]], language: str = "en", style: Style = "r1"
) -> str:
    """The section for these entries (most likely first). Raises ValueError on a bad differential."""
    items = [e if isinstance(e, DifferentialEntry) else DifferentialEntry(e[0], e[1]) for e in entries]
    if not items:
        raise ValueError("a differential needs at least one entry")
    if language not in HEADINGS:
        raise ValueError(f"differential language {language!r}: expected one of {sorted(HEADINGS)}")
    for e in items:
        if not e.diagnosis.strip():
            raise ValueError("a differential entry has an empty diagnosis")
        if e.probability is None or not 0.0 <= e.probability <= 1.0:
            raise ValueError(f"entry {e.diagnosis!r}: probability {e.probability!r} is not in [0, 1]")
    total = sum(e.probability or 0.0 for e in items)
    if total > 1.0 + 1e-9:
        raise ValueError(f"differential probabilities sum to {total:.3f}, more than 1")
    zh = language == "zh"
    heading = HEADINGS[language]
    lines = []
    for rank, e in enumerate(items, 1):
        name = e.diagnosis.strip()
        if style == "markdown":
            name = f"**{name}**"
        pct = _percent(e.probability or 0.0)
        lines.append(f"{rank}. {name}（{pct}）" if zh else f"{rank}. {name} ({pct})")
    if style == "markdown":
        return f"### {heading}\n\n" + "\n".join(lines)
    if style == "r1":
        return f"{heading}{'：' if zh else ':'}\n" + "\n".join(lines)
    raise ValueError(f"unknown output style {style!r}; expected 'r1' or 'markdown'")


_INSTRUCTIONS = {
    "en": (
        "After the final diagnosis, give a ranked differential of up to {k} diagnoses, most likely first, "
        "each with your probability that it is the correct diagnosis (the probabilities sum to at most "
        "100%), in this form:\n"
        "Differential diagnosis:\n1. <diagnosis> (<probability>%)\n2. <diagnosis> (<probability>%)"
    ),
    "zh": (
        "在最终诊断之后，按可能性从高到低列出最多{k}个鉴别诊断，每个写出你认为它是正确诊断的概率"
        "（各概率之和不超过100%），格式为：\n"
        "鉴别诊断：\n1. <诊断>（<概率>%）\n2. <诊断>（<概率>%）"
    ),
}


def differential_instruction(language: str, k: int) -> str:
    """The request for a differential that prompts append (evaluation templates, synthesis)."""
    if language not in _INSTRUCTIONS:
        raise ValueError(f"differential language {language!r}: expected one of {sorted(_INSTRUCTIONS)}")
    return fill(_INSTRUCTIONS[language], k=k)


# --- parsing ------------------------------------------------------------------------------------

_MARKUP = "*_`"
# A heading line: optional '#'s, optional bold, the heading words, an optional parenthesis of up to 40
# characters ("(ranked, with probabilities)"), optional colon, then possibly the entries themselves.
_HEADING = re.compile(
    r"^[ \t]*(?P<hashes>#{1,6}[ \t]*)?[*_]*[ \t]*"
    r"(?P<words>(?:(?:ranked|possible|main|top|leading)[ \t]+)?differentials?(?:[ \t]+diagnos[ie]s)?"
    r"|鉴别诊断(?:考虑|包括|如下)?)"
    r"[ \t]*(?:\([^)\n]{0,40}\))?[ \t]*[*_]*[ \t]*(?P<colon>:)?[ \t]*[*_]*[ \t]*(?P<rest>.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_MARKER = re.compile(r"^[ \t]*(?:\(?\d{1,2}[.)、]|\(\d{1,2}\)|[-*•·+])[ \t]*")
_NUMBERED = re.compile(r"^[ \t]*(?:\(?\d{1,2}[.)、]|\(\d{1,2}\))")
# Lines that start another part of the response end the differential.
_LABEL_LINE = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]|[*_]{2}[^*_\n]+[*_]{2}[ \t]*:?[ \t]*$|"
    r"(?:final|most likely|primary|working)?[ \t]*diagnosis[ \t]*:|最终诊断|诊断[:：]|"
    r"[A-Za-z][A-Za-z /-]{1,40}:[ \t]*$|[\u4e00-\u9fff]{2,12}[:：][ \t]*$)",
    re.IGNORECASE,
)
_PROB_WORDS = r"(?:p[ \t]*=|prob(?:ability)?[ \t]*:?|likelihood[ \t]*:?|概率[ \t]*:?|可能性[ \t]*:?|约|~|≈)?"
_PERCENT = re.compile(rf"{_PROB_WORDS}[ \t]*(?P<num>\d{{1,3}}(?:\.\d+)?)[ \t]*%")
_DECIMAL = re.compile(
    rf"(?:(?<=[(:=,|\-–—])|(?<=[ \t])){_PROB_WORDS}[ \t]*(?P<num>0?\.\d+|1(?:\.0+)?|0)"
    r"(?=[ \t]*(?:\)|$|[,;]))"
)
_SEPARATORS = " \t-–—:,;|(=~≈" + _MARKUP
_TRAILING_WORDS = re.compile(
    r"(?:\b(?:p|prob|probability|likelihood)|概率|可能性|约)[ \t]*[:=]?[ \t(]*$", re.IGNORECASE
)
# Where an entry without a probability turns into an explanation, and a trailing comment in brackets.
_EXPLANATION = re.compile(r"[ \t]+[-–—][ \t]+|:[ \t]+")
_COMMENT = re.compile(
    r"[ \t]*\((?:[^()]*(?:likely|可能|because|given|存在|支持|提示)[^()]*|[^()]{26,})\)[ \t]*$", re.IGNORECASE
)
_INLINE_SPLIT = re.compile(r"(?<=[%)])[ \t]*[,;、][ \t]*|[ \t]*;[ \t]*")
_INLINE_NUMBER = re.compile(r"(?:^|[ \t])\(?\d{1,2}[.)、][ \t]*")


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\r\n", "\n")


def parse_differential(response: str | None) -> Differential | None:
    """The stated differential of a final response, or None when it states none (see module doc)."""
    text = _plain(response or "")
    lines = text.split("\n")
    for match in _HEADING.finditer(text):
        rest = match.group("rest").strip()
        if rest and not (match.group("colon") or match.group("hashes")):
            continue  # "the differential diagnosis includes ..." is prose, not a heading
        following = lines[text[: match.start()].count("\n") + 1 :]
        pieces = _inline_pieces(rest) if rest else _following_pieces(following)
        entries = [entry for entry in (_entry(piece) for piece in pieces) if entry is not None]
        if rest and all(e.probability is None for e in entries):
            continue  # "鉴别诊断：需与肺栓塞、肺结核鉴别。" is a sentence about alternatives, not a ranking
        if entries:
            return _finish(entries)
    return None


def _inline_pieces(rest: str) -> list[str]:
    """Entries written on the heading's own line: '1. X (60%); 2. Y (30%)' or 'X (60%), Y (30%)'."""
    numbered = [p for p in _INLINE_NUMBER.split(rest) if p.strip()]
    if len(numbered) > 1:
        return numbered
    return [p for p in _INLINE_SPLIT.split(rest) if p.strip()]


def _following_pieces(lines: list[str]) -> list[str]:
    """Entry lines after a heading line, up to the end of the list."""
    pieces: list[str] = []
    numbered_list = False
    blank_seen = False
    for line in lines:
        if not line.strip():
            blank_seen = True
            continue
        has_marker = bool(_MARKER.match(line))
        has_probability = bool(_PERCENT.search(line) or _DECIMAL.search(line))
        if not has_marker and (_LABEL_LINE.match(line) or not has_probability):
            if pieces or _LABEL_LINE.match(line):
                break
            continue  # a sentence between the heading and the list ("Ranked by likelihood:")
        if pieces and numbered_list and not _NUMBERED.match(line) and not has_probability:
            if line[:1] in " \t":
                continue  # an indented sub-bullet explaining the entry above
            break
        if pieces and blank_seen and not has_marker:
            break
        if not pieces:
            numbered_list = bool(_NUMBERED.match(line))
        blank_seen = False
        pieces.append(_MARKER.sub("", line, count=1))
    return pieces


def _entry(piece: str) -> DifferentialEntry | None:
    piece = _MARKER.sub("", piece, count=1).strip()
    probability: float | None = None
    cut = len(piece)
    percent = _PERCENT.search(piece)
    if percent:
        probability = float(percent.group("num")) / 100
        cut = percent.start()
    else:
        decimals = list(_DECIMAL.finditer(piece))
        if decimals:
            probability = float(decimals[-1].group("num"))
            cut = decimals[-1].start()
    name = _TRAILING_WORDS.sub("", piece[:cut].rstrip(_SEPARATORS + "（(")).rstrip(_SEPARATORS)
    if probability is None:  # "Pneumonia - most likely given ...", "急性胆管炎（最可能，存在三联征）"
        name = _EXPLANATION.split(name, maxsplit=1)[0]
        name = _COMMENT.sub("", name)
    name = name.strip().strip(_MARKUP).strip()
    if name.endswith("(") or name.endswith("（"):
        name = name[:-1].strip()
    if not name or len(name) > 200:
        return None
    return DifferentialEntry(name, probability)


def _key(name: str) -> str:
    return re.sub(r"[\W_]+", " ", name.casefold()).strip()


def _finish(entries: list[DifferentialEntry]) -> Differential:
    seen: set[str] = set()
    unique = []
    for entry in entries:
        if _key(entry.diagnosis) not in seen:
            seen.add(_key(entry.diagnosis))
            unique.append(entry)
    unique = unique[:MAX_ENTRIES]
    error = None
    missing = [i for i, e in enumerate(unique, 1) if e.probability is None]
    if missing and len(missing) < len(unique):
        error = f"no probability for entr{'y' if len(missing) == 1 else 'ies'} {missing}"
    elif missing:
        error = "no probabilities stated"
    elif any(not 0.0 <= (e.probability or 0.0) <= 1.0 for e in unique):
        error = "a probability is more than 100%"
    else:
        total = sum(e.probability or 0.0 for e in unique)
        if total > 1.0 + SUM_TOLERANCE:
            error = f"probabilities sum to {total:.2f}, more than 1"
    return Differential(unique, error)
