"""Field specs for `--map` / `ImportConfig.field_map`: paths into nested rows, labelled joins, extraction.

A spec says where one record field comes from:

    spec  := part ("+" part)* ["|" extract]
    part  := [label ":"] path
    path  := key ("." key | "[" N "]" | "[*]" | "[?" key "]")*

- `history.present`, `qa[0].answer`, `exam["blood.pressure"]`: keys and list indexes (negative counts
  from the end). A column whose literal name is the whole spec (`Ground-True Answer`, `a.b`) wins.
- `qa[*].answer`: every element; the first non-empty value is used (with `|extract`, the first that
  the pattern finds a diagnosis in).
- `qa[?question].answer`: the first element whose `question` asks for the diagnosis ("诊断是什么",
  "最可能的诊断", "What is the diagnosis?"; not "鉴别诊断", "为明确诊断应做哪些检查", "differential").
- `history.present+exam+results`: the parts joined line by line, each under its label:
  "History: ...\nExam: ...". The label is the path's first key made readable (`physical_exam` ->
  "Physical exam"; the whole path when two parts share a first key), or given: `现病史:history.present`.
  A missing or empty part is left out (a warning); an object becomes "key: value; key: value".
- `|zh`, `|zh-initial`, `|en`, `|en-final`, `|re:REGEX`: extract the diagnosis from the text with a
  preset (诊断：/诊断为, 初步诊断：, Diagnosis:, Final diagnosis:) or a regex (group `dx`, else group 1,
  else the match), cut at the end of the diagnosis clause: "诊断：嵌顿性腹股沟斜疝合并肠梗阻。诊断依据：…"
  -> "嵌顿性腹股沟斜疝合并肠梗阻".

Why not jsonpath-ng or glom: the paths we need are keys and indexes plus one filter that is our own
logic (does this question ask for the diagnosis?), which neither library can express without a custom
extension; and hospital exports use Chinese keys (`病史.现病史`), which JSONPath needs quoted. A 60-line
parser with exact error messages is less to learn than either library's syntax.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PRESETS", "FieldSpec", "asks_for_diagnosis_qa", "implausible_diagnosis", "parse_spec"]


@dataclass(frozen=True)
class Step:
    kind: str  # "key", "index", "all", "ask"
    key: str = ""
    index: int = 0


@dataclass(frozen=True)
class Part:
    text: str  # the path as written
    label: str | None  # given label, or None for the default
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Extractor:
    name: str  # preset name or "re:..."
    pattern: re.Pattern[str]
    cut: re.Pattern[str] | None  # where the diagnosis clause ends (presets); custom regexes cut themselves


@dataclass(frozen=True)
class FieldSpec:
    text: str
    parts: tuple[Part, ...]
    extract: Extractor | None
    simple: bool = field(init=False)  # a single plain key: read as a column, as before nested paths existed

    def __post_init__(self) -> None:  # computed once: it is asked for every field of every row
        simple = (
            self.extract is None
            and len(self.parts) == 1
            and self.parts[0].label is None
            and (len(self.parts[0].steps) == 1 and self.parts[0].steps[0].kind == "key")
        )
        object.__setattr__(self, "simple", simple)

    def labels(self) -> list[str]:
        """Each part's label: given, else its first key after the keys all parts share
        (`record.exam+record.labs` -> Exam, Labs), else (when that is shared too) all its keys."""
        keys = [[s.key for s in p.steps if s.kind == "key"] or [p.text] for p in self.parts]
        common = 0
        while len(keys) > 1 and all(len(k) > common + 1 and k[common] == keys[0][common] for k in keys):
            common += 1
        firsts = [k[common] for k in keys]
        return [
            p.label
            if p.label is not None
            else _humanise(firsts[i] if firsts.count(firsts[i]) == 1 else " ".join(keys[i][common:]))
            for i, p in enumerate(self.parts)
        ]


# --- presets ------------------------------------------------------------------------------------

# A clause ends at 。；; or a newline, unless a numbered item follows ("1.急性阑尾炎；2.高血压").
_ZH_CUT = re.compile(r"[。；;](?!\s*[(（]?\d)|\n|诊断依据|鉴别诊断|依据[:：]|治疗[:：]|处理[:：]")
_EN_CUT = re.compile(
    r"(?<!\b\d)\.(?:\s|$)(?!\s*\(?\d)|;(?!\s*\(?\d)|\n|\b(?:Rationale|Reason|Basis|Differential|Treatment|Plan)\b",
    re.I,
)
PRESETS: dict[str, tuple[str, re.Pattern[str] | None]] = {
    # 诊断：X / 诊断为X / 最终诊断：X, but not 鉴别诊断 (differential), 初步诊断 (own preset) or 诊断依据
    "zh": (r"(?<!鉴别)(?<!初步)诊断(?:[:：]|为|是)\s*(?P<dx>.+)", _ZH_CUT),
    "zh-initial": (r"初步诊断(?:[:：]|为|是)\s*(?P<dx>.+)", _ZH_CUT),
    "en": (r"(?<!differential )(?<!initial )\bdiagnosis\s*(?::|is|was)\s*(?P<dx>.+)", _EN_CUT),
    "en-final": (r"\bfinal diagnosis\s*(?::|is|was)\s*(?P<dx>.+)", _EN_CUT),
}
_STRIP = " \t\r\n:：,，.。;；、\"'“”「」"


def _extractor(text: str) -> Extractor:
    if text.startswith("re:"):
        try:
            return Extractor(text, re.compile(text[3:], re.I | re.S), None)
        except re.error as exc:
            raise ValueError(f"bad regex in '|{text}': {exc}") from exc
    if text not in PRESETS:
        raise ValueError(f"unknown extraction '{text}' (presets: {', '.join(PRESETS)}, or re:REGEX)")
    pattern, cut = PRESETS[text]
    return Extractor(text, re.compile(pattern, re.I | re.S), cut)


def extract(extractor: Extractor, text: str) -> str | None:
    """The diagnosis the extractor finds in `text`, cut at the end of its clause; None when none."""
    match = extractor.pattern.search(text)
    if match is None:
        return None
    groups = match.groupdict()
    value = groups["dx"] if "dx" in groups else (match.group(1) if match.re.groups else match.group(0))
    value = value or ""
    if extractor.cut is not None and (end := extractor.cut.search(value)):
        value = value[: end.start()]
    return value.strip(_STRIP) or None


# --- parsing a spec -----------------------------------------------------------------------------

_KEY_END = re.compile(r"[.\[]")


def split_top(text: str, sep: str) -> list[str]:
    """Split on `sep` outside brackets, braces, parentheses and quoted keys ("a[0],b" -> 2 parts; a
    regex's "{1,3}" stays whole)."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'" and depth:
            quote = ch
        elif ch in "[({":
            depth += 1
        elif ch in "])}":
            depth = max(0, depth - 1)
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_path(text: str) -> tuple[Step, ...]:
    steps: list[Step] = []
    i, n = 0, len(text)
    expect_key = True
    while i < n:
        if text[i] == "[":
            close = text.find("]", i)
            if close < 0:
                raise ValueError(f"'{text}': '[' without ']'")
            inner = text[i + 1 : close].strip()
            if inner[:1] in "\"'" and len(inner) > 1 and inner[-1] == inner[0]:
                steps.append(Step("key", key=inner[1:-1]))
            elif inner == "*":
                steps.append(Step("all"))
            elif inner.startswith("?") and inner[1:].strip():
                steps.append(Step("ask", key=inner[1:].strip()))
            elif re.fullmatch(r"-?\d+", inner):
                steps.append(Step("index", index=int(inner)))
            else:
                raise ValueError(f"'{text}': [{inner}] is not an index, [*], [?key] or [\"key\"]")
            i, expect_key = close + 1, False
        elif text[i] == ".":
            i, expect_key = i + 1, True
            if i >= n or text[i] in ".[":
                raise ValueError(f"'{text}': empty key after '.'")
        else:
            if not expect_key:
                raise ValueError(f"'{text}': expected '.' or '[' at '{text[i:]}'")
            end = _KEY_END.search(text, i)
            stop = end.start() if end else n
            steps.append(Step("key", key=text[i:stop].strip()))
            i, expect_key = stop, False
    if not steps:
        raise ValueError("empty path")
    return tuple(steps)


@functools.lru_cache(maxsize=256)
def parse_spec(text: str) -> FieldSpec:
    """Parse a field spec (see the module doc); ValueError with the reason when it is malformed."""
    source, bar, how = text.partition("|")
    extractor = _extractor(how.strip()) if bar else None
    parts = []
    for raw in split_top(source, "+"):
        raw = raw.strip()
        if not raw:
            raise ValueError(f"'{text}': empty part (a '+' with nothing beside it)")
        label, colon, path = raw.partition(":")
        if colon and "[" not in label and label.strip():
            parts.append(Part(path.strip(), label.strip(), parse_path(path.strip())))
        else:
            parts.append(Part(raw, None, parse_path(raw)))
    return FieldSpec(text, tuple(parts), extractor)


def _humanise(key: str) -> str:
    words = re.sub(r"[_\s]+", " ", key).strip()
    return words[:1].upper() + words[1:]


# --- reading a spec from a row ------------------------------------------------------------------


class PathError(LookupError):
    """A path that does not lead to a value in this row; the message says where it stopped."""


def resolve(obj: Any, part: Part) -> list[Any]:
    """The values a path leads to (several after [*]); PathError naming the step that failed."""
    values = [obj]
    for depth, step in enumerate(part.steps):
        where = _prefix(part, depth) or "the row"
        out: list[Any] = []
        for value in values:
            if step.kind == "key":
                if not isinstance(value, dict):
                    raise PathError(f"{where} is {_kind(value)}, not an object with '{step.key}'")
                if step.key in value:
                    out.append(value[step.key])
            elif not isinstance(value, list):
                raise PathError(f"{where} is {_kind(value)}, not a list")
            elif step.kind == "index":
                if -len(value) <= step.index < len(value):
                    out.append(value[step.index])
            elif step.kind == "all":
                out.extend(value)
            else:  # ask
                asked = [v for v in value if isinstance(v, dict) and asks_for_diagnosis_qa(v.get(step.key))]
                if not asked:
                    questions = [str(v.get(step.key))[:30] for v in value if isinstance(v, dict)]
                    listed = "; ".join(questions)[:120]
                    message = f"no element of {where} has a '{step.key}' asking for the diagnosis"
                    raise PathError(f"{message} (questions: '{listed}')")
                out.append(asked[0])
        if not out:
            key = step.key if step.kind == "key" else f"[{step.index}]"
            raise PathError(f"missing ({where} has no {key!r})" if depth else "missing")
        values = out
    return values


def _prefix(part: Part, depth: int) -> str:
    text = ""
    for step in part.steps[:depth]:
        if step.kind == "key":
            text += ("." if text else "") + step.key
        else:
            text += {"index": f"[{step.index}]", "all": "[*]", "ask": f"[?{step.key}]"}[step.kind]
    return text


def _kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "text", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def as_text(value: Any) -> str:
    """A value as case text: text stripped, numbers as written, lists and objects flattened."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value).lower()
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "; ".join(t for t in (as_text(v) for v in value) if t)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {t}" for k, v in value.items() if (t := as_text(v)))
    return str(value)


# --- is this a diagnosis? -----------------------------------------------------------------------

_ZH_ASK = re.compile(r"诊断|什么病|何病|什么疾病|哪种疾病|哪一种疾病|考虑为")
_ZH_NOT_ASK = re.compile(r"明确诊断|确诊|诊断方法|诊断标准|需要?做|进一步检查|哪些检查")
_EN_ASK = re.compile(r"diagnos[ie]s|what (disease|condition)|most likely (cause|condition)", re.I)
_EN_NOT_ASK = re.compile(r"differential|confirm|establish|test|work-?up|criteria|next step", re.I)


def asks_for_diagnosis_qa(question: Any) -> bool:
    """Does a question of a case's Q&A list ask for the diagnosis itself (not the differential, not tests)?"""
    if not isinstance(question, str) or not question.strip():
        return False
    text = question.replace("鉴别诊断", "")
    if re.search(r"[\u4e00-\u9fff]", text):
        return bool(_ZH_ASK.search(text)) and not _ZH_NOT_ASK.search(text)
    return bool(_EN_ASK.search(text)) and not _EN_NOT_ASK.search(text)


_TITLE = re.compile(
    r"案例|病例分析|病例讨论|病案|^病例\s*\d|^第.{1,4}[章节课例]|\bcase\s+(study|analysis|report|\d)|^chapter\b"
    r"|^lecture\b|^unit\s+\d",
    re.I,
)
_QUESTION = re.compile(r"[?？]|^(什么|哪|如何|为什么|是否|请问)|^(which|what|how|why)\b", re.I)
_SENTENCE_END = re.compile(r"[。！？!?]|\.\s+\S")
_REASONING = re.compile(r"诊断依据|依据[:：]|\b(rationale|reasoning|because)\b", re.I)
MAX_DIAGNOSIS_CHARS = 120  # a long multi-diagnosis list is ~60 characters; beyond this it is prose


@functools.lru_cache(maxsize=4096)  # diagnoses repeat: a pool has far fewer names than rows
def implausible_diagnosis(text: str) -> str | None:
    """Why `text` does not look like a diagnosis (a title, a question, a paragraph); None when it might be."""
    text = text.strip()
    if _TITLE.search(text):
        return "looks like a title, not a diagnosis"
    if _QUESTION.search(text):
        return "looks like a question, not a diagnosis"
    sentences = len(_SENTENCE_END.findall(text.rstrip("。.!！?？ "))) + 1
    if _REASONING.search(text):  # "诊断：X；诊断依据：…": the whole answer, not the diagnosis in it
        return "looks like a paragraph (an answer with its reasoning), not a diagnosis"
    labelled = ":" in text or "：" in text  # "诊断：X。治疗：…" is two labelled sentences
    if len(text) > MAX_DIAGNOSIS_CHARS or sentences >= 3 or (sentences == 2 and (len(text) > 40 or labelled)):
        return f"looks like a paragraph (sentences or over {MAX_DIAGNOSIS_CHARS} characters), not a diagnosis"
    return None
