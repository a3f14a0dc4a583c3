"""Clinically meaningful perturbations of a case text, in English and Chinese, each seeded.

A perturbation is a function of (case text, language, reference diagnosis, context, random source) that
returns the changed text and a note of what changed, or None when it does not apply to this case (no
lab value in its normal range, no finding it can negate, ...). The same seed, item id and kind always
give the same change: `rng_for(seed, item_id, kind)` is a `random.Random` seeded with that string.

Kinds (docs/evaluation.md, "Robustness"):
- remove_finding: drop one finding (a clause that is not the demographics or a heading, preferring
  positive exam, lab and imaging findings). Which finding is decisive is not known: it is one the seed picks.
- negate_finding: turn one positive finding into its negation ("shows X" -> "shows no X",
  "可闻及X" -> "未闻及X", "X" -> "no X" / "无X").
- synonym_swap: replace one term by a synonym or abbreviation (data/perturb/terms.tsv).
- lab_within_range: move a lab value or vital sign that is in its normal range to another value in it
  (the diagnosis should not change).
- lab_out_of_range: move such a value out of its normal range (the diagnosis may change).
- add_comorbidity: add a past history of an unrelated condition (another ICD-10 chapter than the
  reference's).
- wrong_suggestion: plant a wrong lead: "The referring doctor suspects X." / "外院考虑X。", X a
  diagnosis of another case of the same department (else language) that the verifier says is not the
  reference.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, field_validator

from clinical_r1 import icd10
from clinical_r1.config import StrictModel

Kind = Literal[
    "remove_finding",
    "negate_finding",
    "synonym_swap",
    "lab_within_range",
    "lab_out_of_range",
    "add_comorbidity",
    "wrong_suggestion",
]
KINDS: tuple[str, ...] = get_args(Kind)  # in the order above
TERMS_FILE = Path(__file__).parent / "data" / "perturb" / "terms.tsv"


class PerturbConfig(StrictModel):
    """Which perturbations an evaluation also runs, and the seed that picks each change."""

    kinds: list[Kind] = Field(default_factory=lambda: list(KINDS))  # type: ignore[arg-type]
    seed: int = 0
    # Names of the models under test to perturb (None = all): each kind costs one more pass per model.
    models: list[str] | None = None

    @field_validator("kinds")
    @classmethod
    def _unique(cls, kinds: list[str]) -> list[str]:
        if not kinds:
            raise ValueError("give at least one perturbation kind")
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"perturbation kinds listed twice: {kinds}")
        return kinds


@dataclass
class Case:
    """What a perturbation may look at: the case and, for a planted suggestion, the other diagnoses."""

    id: str
    text: str
    language: str
    reference: str
    reference_icd10: str | None = None
    department: str | None = None
    # Wrong leads to plant: groups of other diagnoses, best group first (same department, then the rest);
    # the order within a group is the seed's.
    distractors: Sequence[Sequence[str]] = field(default_factory=tuple)


@dataclass
class Change:
    text: str
    detail: str  # what changed, for the reader of the results


def rng_for(seed: int, item_id: str, kind: str) -> random.Random:
    """A random source that depends only on (seed, item, kind): reruns and added kinds change nothing."""
    return random.Random(f"{seed}:{item_id}:{kind}")


# --- clauses -------------------------------------------------------------------------------------

# A clause ends at a comma, semicolon, enumeration comma or sentence end; English sentence ends need a
# space after the dot, so decimals (38.9) and abbreviations inside words stay whole.
_EN_SEP = re.compile(r"(?:[.;,:](?=\s)|[;,])\s+|\.$")
_ZH_SEP = re.compile(r"[。；，、：:;,]\s*")
_SENTENCE_END = re.compile(r"^(?:\.|。|；|;)")
_POSITIVE_HINT = re.compile(
    r"\b(?:shows?|reveals?|demonstrat\w+|positive|elevated|raised|increased|decreased|reduced|"
    r"enlarged|tender(?:ness)?|palpable|mass|murmur|rash|swelling|oedema|edema|consolidation|"
    r"effusion|lesion|opacity|opacities|nodules?|ulcers?|crackles|wheez\w*|fever|pain|bleeding)\b"
    r"|阳性|见|示|闻及|触及|升高|增高|降低|肿大|压痛|包块|杂音|皮疹|水肿|实变|积液|结节|溃疡|啰音|发热|疼|痛|出血",
    re.IGNORECASE,
)
_NEGATED = re.compile(
    r"\b(?:no|not|without|denies|denied|absent|negative|normal|unremarkable)\b|无|未|否认|阴性|正常|不",
    re.IGNORECASE,
)
_AGE = re.compile(
    r"\d+\s*(?:-?year|岁|月龄|个月)|(?:^|\W)(?:man|woman|boy|girl|male|female)\b|^患者|^患儿", re.IGNORECASE
)


def split_clauses(text: str, language: str) -> list[str]:
    """[clause, separator, clause, separator, ...]: joined they give the text back exactly."""
    sep = _ZH_SEP if language == "zh" else _EN_SEP
    parts: list[str] = []
    start = 0
    for match in sep.finditer(text):
        parts += [text[start : match.start()], match.group(0)]
        start = match.end()
    parts += [text[start:], ""]
    return parts


def _findings(parts: list[str], language: str) -> list[int]:
    """Indexes (into split_clauses' list) of clauses that state a finding: not the demographics (age,
    sex), not a heading ("Exam:", "查体：")."""
    found = []
    for i in range(0, len(parts), 2):
        clause = parts[i].strip()
        size = len(clause) if language == "zh" else len(clause.split())
        if size < (2 if language == "zh" else 1) or _AGE.search(clause):
            continue
        # A heading alone ("Exam", "查体") is no finding.
        if i + 1 < len(parts) and parts[i + 1].strip() in (":", "："):
            continue
        found.append(i)
    return found


def _pick_finding(parts: list[str], language: str, rng: random.Random, positive_only: bool) -> int | None:
    indexes = [i for i in _findings(parts, language) if not _NEGATED.search(parts[i])]
    if not positive_only:
        indexes = indexes or _findings(parts, language)
    hinted = [i for i in indexes if _POSITIVE_HINT.search(parts[i])]
    pool = hinted or indexes
    return rng.choice(pool) if pool else None


def remove_finding(case: Case, rng: random.Random) -> Change | None:
    parts = split_clauses(case.text, case.language)
    index = _pick_finding(parts, case.language, rng, positive_only=False)
    if index is None:
        return None
    removed = parts[index].strip()
    after = parts[index + 1]
    before_is_clause_sep = index >= 2 and not _SENTENCE_END.match(parts[index - 1].strip() or ".")
    if _SENTENCE_END.match(after.strip() or ".") and before_is_clause_sep:
        # The last clause of a sentence: drop the comma before it and keep the sentence's end.
        parts[index - 1], parts[index] = "", ""
    else:
        parts[index], parts[index + 1] = "", ""
    text = "".join(parts).strip()
    return Change(text, f"removed: {removed}")


# --- negation ------------------------------------------------------------------------------------

_EN_NEGATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(shows?|showed|reveals?|revealed|demonstrates?|demonstrated)\s+(?:an?\s+|the\s+)?", re.I),
     r"\1 no "),
    (re.compile(r"\b(is|was|are|were)\s+positive\b", re.I), r"\1 negative"),
    (re.compile(r"\b(is|are|was|were)\s+(?!not\b)", re.I), r"\1 not "),
    (re.compile(r"\bpresents with\s+", re.I), "presents without "),
    (re.compile(r"\b(complains of|reports)\s+", re.I), "denies "),
    (re.compile(r"\bwith\s+(?:an?\s+)?", re.I), "without "),
]  # fmt: skip
_ZH_NEGATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<![未])(?:可)?闻及"), "未闻及"),
    (re.compile(r"(?<![未])(?:可)?触及"), "未触及"),
    (re.compile(r"(?<![未可])见(?!于)"), "未见"),
    (re.compile(r"(?<![不])伴(?:有)?"), "不伴"),
    (re.compile(r"(?<![未])出现"), "未出现"),
    (re.compile(r"阳性$"), "阴性"),
]


def negate_finding(case: Case, rng: random.Random) -> Change | None:
    parts = split_clauses(case.text, case.language)
    candidates = [
        i
        for i in _findings(parts, case.language)
        if not _NEGATED.search(parts[i]) and not re.search(r"\d", parts[i])
    ]
    rng.shuffle(candidates)
    for index in candidates:  # the first, in the seed's order, that one of the rules can negate
        clause = parts[index]
        new = _negated(clause, case.language)
        if new is not None:
            parts[index] = new
            return Change("".join(parts), f"negated: {clause.strip()} -> {new.strip()}")
    return None


# A clause with a subject ("She eats slowly", "the calf is swollen") is negated only through its verb.
_EN_SUBJECT = re.compile(
    r"^(?:he|she|they|it|the|his|her|their|there|a|an|this|these|those|on|in|at)\b", re.I
)


# First words that make a clause something other than a finding's name (verbs, conjunctions, states).
_EN_NOT_A_NOUN = re.compile(
    r"^(?:when|while|and|but|or|which|who|that|then|after|before|since|until|alert|smokes|"
    r"takes|drinks|works|lives|worse|better|worsening|improving)$",
    re.I,
)


def _negated(clause: str, language: str) -> str | None:
    for pattern, replacement in _ZH_NEGATIONS if language == "zh" else _EN_NEGATIONS:
        new, count = pattern.subn(replacement, clause, count=1)
        if count:
            return new
    # A bare finding of a list: "Headache" -> "no headache", "头痛" -> "无头痛".
    stripped = clause.lstrip()
    lead = clause[: len(clause) - len(stripped)]
    if language == "zh":
        return f"{lead}无{stripped}" if len(stripped) <= 8 else None
    words = stripped.split()
    if _EN_SUBJECT.match(stripped) or len(words) > 4 or _EN_NOT_A_NOUN.match(words[0]):
        return None
    if len(words) > 2 and re.match(r"^\w+(?:ed|ly)$", words[0]):  # "relieved by eating": a verb
        return None
    head = stripped[:1].lower() + stripped[1:] if stripped[1:2].islower() else stripped
    return f"{lead}no {head}"


# --- synonyms and abbreviations ------------------------------------------------------------------


@lru_cache(maxsize=1)
def terms() -> dict[str, list[tuple[str, str]]]:
    """language -> [(term, replacement)] from data/perturb/terms.tsv, longest term first."""
    table: dict[str, list[tuple[str, str]]] = {"en": [], "zh": []}
    for number, line in enumerate(TERMS_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) != 3 or cells[0] not in table or not cells[1] or not cells[2]:
            raise ValueError(f"{TERMS_FILE}:{number}: expected 'en|zh<TAB>term<TAB>replacement'")
        table[cells[0]].append((cells[1], cells[2]))
    for pairs in table.values():
        pairs.sort(key=lambda pair: -len(pair[0]))
    return table


def _term_pattern(term: str, language: str) -> re.Pattern[str]:
    escaped = re.escape(term)
    if language == "zh" and re.search(r"[\u3400-\u9fff]", term):
        return re.compile(escaped)
    # Abbreviations match case-sensitively (CT, not "ct" inside a word); words also in other cases.
    flags = 0 if term.isupper() or any(ch.isdigit() for ch in term) else re.IGNORECASE
    return re.compile(rf"(?<![\w-]){escaped}(?![\w-])", flags)


def synonym_swap(case: Case, rng: random.Random) -> Change | None:
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, str, str]] = []
    for term, replacement in terms()[case.language]:  # longest first: 高血压 hides the 血压 inside it
        for match in _term_pattern(term, case.language).finditer(case.text):
            span = (match.start(), match.end())
            if any(a < span[1] and span[0] < b for a, b in taken):
                continue
            taken.append(span)
            found.append((*span, match.group(0), replacement))
    if not found:
        return None
    start, end, old, new = rng.choice(sorted(found))
    return Change(case.text[:start] + new + case.text[end:], f"swapped: {old} -> {new}")


# --- lab values ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lab:
    name: str
    pattern: re.Pattern[str]  # group "value"
    low: float
    high: float
    decimals: int
    out_low: tuple[float, float] | None  # where an out-of-range value is drawn from, below / above
    out_high: tuple[float, float] | None


def _lab(name: str, names: str, unit: str, low: float, high: float, decimals: int,
         out_low: tuple[float, float] | None, out_high: tuple[float, float] | None) -> Lab:  # fmt: skip
    gap = r"(?:\s*(?:of|was|is|at|=|:|：|为)?\s*)"
    pattern = re.compile(rf"(?<![A-Za-z])(?:{names}){gap}(?P<value>\d+(?:\.\d+)?)\s*(?:{unit})")
    return Lab(name, pattern, low, high, decimals, out_low, out_high)


# Normal ranges for adults that hold for both sexes (where the sexes differ, the overlap), so a value
# moved inside one is normal for anyone. Out-of-range values stay clinically plausible.
LABS: tuple[Lab, ...] = (
    _lab(
        "temperature",
        r"temperature|temp|T|体温",
        r"°\s*C|℃|C\b|度",
        36.1,
        37.2,
        1,
        (34.5, 35.5),
        (38.3, 39.8),
    ),
    _lab(
        "heart rate",
        r"pulse|heart rate|HR|P|心率|脉搏",
        r"/min|bpm|beats|次/分",
        60,
        100,
        0,
        (38, 48),
        (115, 140),
    ),
    _lab("respiratory rate", r"respiratory rate|RR|R|呼吸", r"/min|breaths|次/分", 12, 20, 0, None, (26, 34)),
    _lab("SpO2", r"SpO2|oxygen saturation|血氧饱和度", r"%", 95, 100, 0, (84, 91), None),
    _lab("sodium", r"sodium|Na\+?|血钠|钠", r"mmol/L", 135, 145, 0, (118, 128), (152, 160)),
    _lab("potassium", r"potassium|K\+?|血钾|钾", r"mmol/L", 3.5, 5.0, 1, (2.4, 3.0), (5.8, 6.8)),
    _lab(
        "WBC",
        r"WBC|white (?:blood )?cell count|white cell count|白细胞(?:计数)?",
        r"\s*[x×]\s*10\^?9\s*/\s*L|×10⁹/L|x10\^9/L",
        4.0,
        10.0,
        1,
        (1.2, 2.8),
        (14.0, 22.0),
    ),
    _lab("haemoglobin", r"haemoglobin|hemoglobin|Hb|Hgb|血红蛋白", r"g/L", 130, 150, 0, (70, 95), (185, 200)),
    _lab(
        "platelets",
        r"platelets?|platelet count|PLT|血小板(?:计数)?",
        r"\s*[x×]\s*10\^?9\s*/\s*L|×10⁹/L",
        150,
        400,
        0,
        (20, 80),
        (600, 900),
    ),
    _lab("glucose", r"glucose|blood sugar|空腹血糖|血糖", r"mmol/L", 3.9, 6.1, 1, (2.0, 3.0), (11.5, 20.0)),
    _lab("creatinine", r"creatinine|Cr|肌酐", r"[µμu]mol/L", 60, 100, 0, None, (250, 500)),
)


def _in_range_labs(text: str) -> list[tuple[Lab, re.Match[str]]]:
    found = []
    for lab in LABS:
        for match in lab.pattern.finditer(text):
            if lab.low <= float(match.group("value")) <= lab.high:
                found.append((lab, match))
    return found


def _format(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _shift_lab(case: Case, rng: random.Random, inside: bool) -> Change | None:
    found = [(lab, m) for lab, m in _in_range_labs(case.text) if inside or lab.out_low or lab.out_high]
    if not found:
        return None
    lab, match = rng.choice(sorted(found, key=lambda pair: pair[1].start()))
    old = match.group("value")
    if inside:
        choices = [
            _format(lab.low + i / 10**lab.decimals, lab.decimals)
            for i in range(int(round((lab.high - lab.low) * 10**lab.decimals)) + 1)
        ]
        new = rng.choice([c for c in choices if float(c) != float(old)])
    else:
        side = rng.choice([s for s in (lab.out_low, lab.out_high) if s])
        new = _format(rng.uniform(*side), lab.decimals)
    start, end = match.span("value")
    where = "within" if inside else "out of"
    detail = f"{lab.name} {old} -> {new} ({where} normal range {lab.low:g}-{lab.high:g})"
    return Change(case.text[:start] + new + case.text[end:], detail)


def lab_within_range(case: Case, rng: random.Random) -> Change | None:
    return _shift_lab(case, rng, inside=True)


def lab_out_of_range(case: Case, rng: random.Random) -> Change | None:
    return _shift_lab(case, rng, inside=False)


# --- added history and planted suggestions -------------------------------------------------------

# (English, Chinese, ICD-10 code): chronic, stable, common conditions that explain no acute complaint.
COMORBIDITIES: tuple[tuple[str, str, str], ...] = (
    (
        "seasonal allergic rhinitis, treated with a nasal steroid spray",
        "季节性过敏性鼻炎，使用鼻用激素喷雾",
        "J30.2",
    ),
    ("myopia, corrected with glasses", "近视，佩戴眼镜矫正", "H52.1"),
    (
        "primary hypothyroidism on a stable dose of levothyroxine",
        "原发性甲状腺功能减退症，长期服用稳定剂量左甲状腺素",
        "E03.9",
    ),
    ("osteoarthritis of the right knee", "右膝骨关节炎", "M17.1"),
    ("haemorrhoids, without bleeding for years", "痔疮，多年无出血", "K64.9"),
    ("tinea pedis", "足癣", "B35.3"),
    ("mild chronic plaque psoriasis of the elbows", "双肘轻度慢性斑块状银屑病", "L40.0"),
)


def _chapter(code: str | None) -> str | None:
    info = icd10.lookup(code) if code else None
    return info.chapter if info else None


def add_comorbidity(case: Case, rng: random.Random) -> Change | None:
    chapter = _chapter(case.reference_icd10)
    lowered = case.text.lower()
    pool = [
        c
        for c in COMORBIDITIES
        if _chapter(c[2]) != chapter
        and c[0].split(",")[0] not in lowered
        and c[1].split("，")[0] not in case.text
    ]
    if not pool:
        return None
    en, zh, code = rng.choice(pool)
    added = f"既往另有{zh}。" if case.language == "zh" else f"Past history also includes {en}."
    return Change(_append(case.text, added, case.language), f"added: {en} ({code})")


def wrong_suggestion(
    case: Case, rng: random.Random, same: Callable[[str, Case], bool] | None = None
) -> Change | None:
    """Plant the first distractor (in a seeded order within each rank) that `same` says is not the
    reference diagnosis."""
    ranked: list[str] = []
    for group in case.distractors:
        names = sorted({d.strip() for d in group if d.strip()} - set(ranked))
        rng.shuffle(names)
        ranked += names
    for candidate in ranked:
        if same is not None and same(candidate, case):
            continue
        added = (
            f"外院考虑{candidate}。"
            if case.language == "zh"
            else f"The referring doctor suspects {candidate}."
        )
        return Change(_append(case.text, added, case.language), f"suggested: {candidate}")
    return None


def _append(text: str, sentence: str, language: str) -> str:
    text = text.rstrip()
    if text and text[-1] not in ".。!！?？;；":
        text += "。" if language == "zh" else "."
    return text + ("" if language == "zh" else " ") + sentence


TRANSFORMS: dict[str, Callable[[Case, random.Random], Change | None]] = {
    "remove_finding": remove_finding,
    "negate_finding": negate_finding,
    "synonym_swap": synonym_swap,
    "lab_within_range": lab_within_range,
    "lab_out_of_range": lab_out_of_range,
    "add_comorbidity": add_comorbidity,
}


def perturb(
    case: Case, kind: str, seed: int = 0, same: Callable[[str, Case], bool] | None = None
) -> Change | None:
    """Apply one perturbation to one case; None when it does not apply. `same(candidate, case)` decides
    whether a planted suggestion would name the reference diagnosis (wrong_suggestion only)."""
    rng = rng_for(seed, case.id, kind)
    if kind == "wrong_suggestion":
        return wrong_suggestion(case, rng, same)
    if kind not in TRANSFORMS:
        raise ValueError(f"unknown perturbation {kind!r}; known: {', '.join(KINDS)}")
    return TRANSFORMS[kind](case, rng)
