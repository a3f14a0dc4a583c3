"""Issue 21: de-identification of notes in the style of Chinese hospital records (en + zh).

The corpus, tests/data/deid_notes.jsonl, is made by scripts/make_deid_notes.py and was split once:
`dev` (rules tuned on it), then `test` to `test5`, each measured once (95.45%, 95.72%, 87.03%,
96.57%, 89.12%) and then tuned on for the classes it showed. `test6` (250 notes, every earlier note
style, all values new) and `test7` (48 notes of kinds no split had) were written before round 3's rule
changes and measured once at its end (96.57% and 87.74%); round 4 fixed the classes they showed, so
they are tuned splits now. `test8` (220 notes, realistic surname frequencies) was written before round
4's rule changes and is measured once at its end. The tuned splits' figures are today's, pinned as floors.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from clinical_r1.deid import find_spans
from clinical_r1.deid import gazetteer as gz
from clinical_r1.deid.detect import cn_id_verified
from clinical_r1.deid.evaluate import load_corpus, score

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "tests" / "data" / "deid_notes.jsonl"
TYPES = {
    "patient name", "relative / contact name", "clinician name", "hospitalization / outpatient / record no.",
    "ID card no.", "insurance card no.", "bed no.", "phone", "email", "date", "age over 89", "native place",
    "village / town / county", "city", "street address", "postcode", "school / employer", "hospital",
}  # fmt: skip
# found / planted today, per split (a change that finds fewer fails; update after a real improvement)
FLOORS = {
    "dev": (3056, 3056), "test": (2043, 2044), "test2": (1263, 1263), "test3": (817, 817),
    "test4": (613, 613), "test5": (952, 956), "test6": (3901, 3903), "test7": (832, 832),
}  # fmt: skip
# tuned splits' types still under 97%: test5's relatives whose surname is a function word (从, 和, 车) after
# a kinship word, left for precision (舅舅从外地回来 must stay text)
BELOW_TYPE_TARGET = {("test5", "relative / contact name")}
# never tuned on: its one measurement is its floor (test6 and test7, measured once in round 3 at 96.57% and
# 87.74%, are tuned on since round 4)
# test8: measured once at the end of round 4 (rules at 66f3279): 3488/3491 (99.91%), 0 of 1,628 terms removed
UNTUNED_FLOORS: dict[str, tuple[int, int]] = {"test8": (3488, 3491)}


@pytest.fixture(scope="module")
def notes() -> list[dict]:
    return load_corpus(NOTES)


@pytest.fixture(scope="module")
def scores(notes):
    return {split: score(r for r in notes if r["split"] == split) for split in (*FLOORS, *UNTUNED_FLOORS)}


def test_the_committed_split_is_what_the_generator_makes(notes) -> None:
    """The file is the seeded generator's output, byte for byte: nobody re-split or edited it."""
    spec = importlib.util.spec_from_file_location("make_deid_notes", ROOT / "scripts" / "make_deid_notes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = module.make_notes()
    assert [json.dumps(r, ensure_ascii=False) for r in made] == NOTES.read_text(encoding="utf-8").splitlines()


def test_corpus_size_languages_and_types(notes) -> None:
    assert len(notes) >= 300
    for split in (*FLOORS, *UNTUNED_FLOORS):
        for language in ("en", "zh"):
            rows = [r for r in notes if r["split"] == split and r["language"] == language]
            assert len(rows) >= 20, (split, language)
            kinds = {s["type"] for r in rows for s in r["spans"]}
            missing = TYPES - kinds - {"city"}  # test2's templates name cities only inside other fields
            assert not missing, (split, language, missing)
    keep = " ".join(k["text"] for r in notes for k in r["keep"])
    for term in (
        "Hashimoto",
        "Graves",
        "Parkinson",
        "Crohn",
        "Cushing",
        "Addison",
        "5.21-20",
        "桥本",
        "克罗恩",
    ):
        assert term in keep, term
    # the splits are disjoint by value: no full name of a test2 note occurs in a dev note (a surname
    # alone may: Wu is both 吴 of dev and 武 of test2)
    names = {
        split: {
            s["text"]
            for r in notes
            if r["split"] == split
            for s in r["spans"]
            if s["category"] == "NAME"
            and (" " in s["text"] or len(s["text"]) >= 2 and not s["text"].isascii())
        }
        for split in ("dev", "test2")
    }
    assert not names["dev"] & names["test2"]
    for row in notes:
        for item in row["spans"] + row["keep"]:
            assert row["text"][item["start"] : item["end"]] == item["text"]


@pytest.mark.parametrize("split", list(FLOORS))
def test_recall_per_type_and_no_clinical_term_removed(scores, split: str) -> None:
    s = scores[split]
    found, planted = FLOORS[split]
    assert sum(s.planted.values()) == planted
    assert sum(s.found.values()) >= found, s.misses
    assert s.recall() >= 0.99, s.misses
    for kind in s.planted_type:
        if (split, kind) not in BELOW_TYPE_TARGET:
            assert s.recall_type(kind) >= 0.97, (kind, [m for m in s.misses])
    assert s.terms_removed == 0, s.removed_terms


@pytest.mark.parametrize("split", list(UNTUNED_FLOORS))
def test_the_untuned_splits_stay_at_their_measured_level(scores, split: str) -> None:
    """A split measured once and never tuned on: a change may raise it (only by rules made for other
    text); it may not lower it, and no clinical term may go."""
    s = scores[split]
    found, planted = UNTUNED_FLOORS[split]
    assert sum(s.planted.values()) == planted
    assert sum(s.found.values()) >= found, s.misses
    assert s.terms_removed == 0, s.removed_terms
    assert s.recall() >= 0.99 and all(s.recall_type(k) >= 0.97 for k in s.planted_type)  # the issue's target


def _assert_every_type_planted_often(rows: list[dict]) -> None:
    kinds = Counter(span["type"] for r in rows for span in r["spans"])
    assert set(kinds) == TYPES and min(kinds.values()) >= 60, kinds


def _generator():
    """scripts/make_deid_notes.py as a module (its value pools and samplers)."""
    spec = importlib.util.spec_from_file_location("make_deid_notes", ROOT / "scripts" / "make_deid_notes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_test6_has_every_type_often_and_only_new_values(notes) -> None:
    """>= 60 planted identifiers of every type, and no hanzi surname of test6 on the detector's lists."""
    rows = [r for r in notes if r["split"] == "test6"]
    assert len(rows) >= 200
    _assert_every_type_planted_often(rows)
    module = _generator()
    assert not set(module.T6_POOLS["ZH_SURNAMES"]) & gz.zh_surnames()


def test_test8_is_big_balanced_and_draws_surnames_by_frequency(notes) -> None:
    """test8 (round 4, written before that round's rule changes): >= 200 notes, half en and half zh,
    >= 60 of every type; about one person in ten has a surname on none of the detector's lists (hanzi
    and pinyin) and the most common surnames recur as in a population (王/Wang among the top five)."""
    rows = [r for r in notes if r["split"] == "test8"]
    assert len(rows) >= 200 and sum(r["language"] == "en" for r in rows) * 2 == len(rows)
    _assert_every_type_planted_often(rows)
    module = _generator()
    assert not set(module.T8_OFF_LIST_ZH) & gz.zh_surnames()
    assert not set(module.T8_OFF_LIST_PY) & gz.pinyin_surnames()
    rng = __import__("random").Random(0)
    draws = [module.t8_surname(rng, "zh") for _ in range(4000)]
    off = sum(d in module.T8_OFF_LIST_ZH for d in draws) / len(draws)
    assert 0.08 < off < 0.12, off
    top = sorted(set(draws), key=draws.count, reverse=True)[:5]
    assert "王" in top and "李" in top, top


# ------------------------------------------------------------------------------ the issue's own cases
@pytest.mark.parametrize(
    "text, pieces",
    [
        ("Zhang Wei, male, 45 years old, was admitted with chest pain.", ["Zhang Wei"]),
        ("A woman, Chen Xiulan, presented with fever.", ["Chen Xiulan"]),
        ("Patient He Ming was admitted on 2023-03-02.", ["He Ming", "2023-03-02"]),
        ("Patient Ma Li complained of headache.", ["Ma Li"]),
        ("Patient Yu Hong, female, 36.", ["Yu Hong"]),
        ("Wang M 56, fever for 3 days.", ["Wang"]),
        ("Huang Zhiqiang was seen; Mr. Huang Zhiqiang agreed.", ["Huang Zhiqiang"]),
        (
            "Hospitalization number: 20230145. Insurance card number: 330106198501.",
            ["20230145", "330106198501"],
        ),
        (
            "Native place: Shaoxing, Zhejiang. Lives in Qiaotou Town, Tonglu County.",
            ["Shaoxing", "Qiaotou Town"],
        ),
        ("He attended Wenzhou No. 2 Middle School.", ["Wenzhou No. 2 Middle School"]),
        ("Address: 18 Wensan Road, Xihu District, Hangzhou, Zhejiang 310012.", ["Hangzhou", "310012"]),
        ("Tel: 0571-8765 4321; mobile 139 1234 5678.", ["0571-8765 4321", "139 1234 5678"]),
        ("Contact: her son Zhou Jianhua, 13812345678.", ["Zhou Jianhua", "13812345678"]),
        (
            "籍贯：浙江绍兴。住址：桐庐县分水镇五里村3组12号，邮编311500。",
            ["绍兴", "桐庐县分水镇五里村3组12号", "311500"],
        ),
        ("住院号：0012345　床号：12床　医保卡号：H3301002245。", ["0012345", "12", "H3301002245"]),
        (
            "工作单位：绍兴市恒源纺织有限公司。毕业于绍兴市第一中学。",
            ["绍兴市恒源纺织有限公司", "绍兴市第一中学"],
        ),
        ("医师签名：袁睿/姚涛", ["袁睿", "姚涛"]),
        ("钱女士，36岁，教师。", ["钱"]),
        # test4's classes: titles after a surname, any surname of the tables after a role word, a name
        # before its age, places after 长于 / 生活在, a labelled person field whatever the surname
        ("入院记录\n温太太于2020年来诊；。邵师傅诉胸闷。", ["温", "邵"]),
        ("紧急联系人雍志华（表哥）；近亲属隋文，电话见上。", ["雍志华", "隋文"]),
        ("患者亓国栋诉头晕。\n甄美玲，92岁，女性。", ["亓国栋", "甄美玲"]),
        ("生于宁波，长于石门村，幼时生活在安吉县后湾村。", ["石门村", "后湾村"]),
        ("转诊医生：訾晴，会诊医师：赫连瑞。", ["訾晴", "赫连瑞"]),
        # round 3 (test5's classes): a full-width space after a labelled name, a nursing handover, a
        # surname on no list after a kinship word and learned for a later title, ages after names,
        # places joined across ", ", new employer and hospital heads, 村委会N队, 入院号
        ("姓名：逄淑贞　性别：女　入院号：0990911", ["逄淑贞", "0990911"]),
        ("12床　蒯秀兰　93岁　住院号123", ["蒯秀兰", "93"]),
        ("孙女逄泽宇大姐，联系电话139 1234 5678。\n逄先生由其儿子送来。", ["逄泽宇", "逄"]),
        ("Bed 23: Kuai Siyuan, 91, inpatient no. 9383040", ["Kuai Siyuan", "91"]),
        ("Her granddaughter KUAI Yanan can be reached.", ["KUAI Yanan"]),
        ("former pupil of Yingbin Road Primary School, Suqian.", ["Yingbin Road Primary School, Suqian"]),
        (
            "works at Weinan Tengfei Auto Repair Shop; seen at Suqian No. 2 Hospital.",
            ["Weinan Tengfei Auto Repair Shop", "Suqian No. 2 Hospital"],
        ),
        ("Team 13, Gucheng Village Committee, Jiepai Town, Pujiang County", ["Team 13, Gucheng"]),
        ("退休后住丰县大洋镇塔山村委会11队，在民丰电器商行做保洁。", ["塔山村委会11队", "民丰电器商行"]),
        ("毕业于宁都县第三中学；籍贯盐城市。", ["宁都县第三中学", "盐城市"]),
    ],
)
def test_identifiers_of_the_issue_are_removed(text: str, pieces: list[str]) -> None:
    covered = {i for s in find_spans(text) for i in range(s.start, s.end)}
    for piece in pieces:
        start = text.index(piece)
        assert all(i in covered or text[i].isspace() for i in range(start, start + len(piece))), piece


@pytest.mark.parametrize(
    "text",
    [
        "Reference value: 5.21-20. Dose 12.5-25 mg. TSH 5.8 mIU/L (0.27-4.2).",
        "Hashimoto thyroiditis, Graves disease, Parkinson disease, Crohn disease; history of Hashimoto.",
        "Cushing's syndrome was suspected; Addison's disease excluded; Graves ophthalmopathy.",
        "Ethnicity: Han. Occupation: farmer. Madopar 125 mg tid, Metformin 0.5 g tid, Hoehn-Yahr stage 2.",
        "参考值：5.21-20。桥本甲状腺炎，Graves病，帕金森病，克罗恩病，库欣综合征。民族：汉族。",
        "无痛、单发，最常见的疾病是；心悸、冷汗；咳白痰／白唾液。",
        "to 2 groups in equal numbers. Group 1, the study treatment.",
        "公卫医师何某在取得执业医师资格证书；在当天上午均吃过学校供应的课间餐；沿海城市。",
        "患者于今晨，患者诉腹痛。患者神志清，精神可，饮食可。家属：本人。医师：同上。高血压，65岁。",
        # round 3: running text after 患者 / a colon, and a role title before a clinical word
        "同室病友告其家属：患者整夜未眠，起床活动。患者要求输血。教育患者需掌握。",
        "麻醉医生术前访视，ASA II级；管床医生查房。从山区来到城市上学。",
        "History of Bankart repair and Nissen fundoplication.",
    ],
)
def test_clinical_text_is_kept(text: str) -> None:
    assert find_spans(text) == []


# round 4: the classes test6's and test7's misses showed, each with the text that must stay
@pytest.mark.parametrize(
    "text, pieces",
    [
        # a date takes its attached time
        ("入院时间：2014年05月15日 14时，患者步行入院。", ["2014年05月15日 14时"]),
        ("于2014年5月15日14时30分转入。", ["2014年5月15日14时30分"]),
        ("Seen on March 14, 2021 at 14:30 in clinic.", ["March 14, 2021 at 14:30"]),
        ("Admitted 10/03/2019 14:30 to ward 5.", ["10/03/2019 14:30"]),
        # a labelled field takes its whole value: letter prefixes, hyphens, room-bed numbers
        (
            "Registration no. OP-102282. Triage no. OP-586292 | Clinic No. OP-422840",
            ["OP-102282", "OP-586292", "OP-422840"],
        ),
        (
            "Medical insurance card No.: YB-35111634. Hosp. No 09-764089   Ward/bed 30-2",
            ["YB-35111634", "09-764089", "30-2"],
        ),
        (
            "住院号80118759　16-4床　医保YB-37273793　分诊号 OP-193655｜",
            ["80118759", "16-4", "YB-37273793", "OP-193655"],
        ),
        # a signature's names split at / ; letter closings; operating-team roles; 由X签署; 记录：X
        ("医师签名：遆春燕/蹇晓红\n", ["遆春燕", "蹇晓红"]),
        ("Signature: Kui Meiling / Da Bowen\n", ["Kui Meiling", "Da Bowen"]),
        ("此致\n敬礼\n乜博文\n遂宁市中心医院心内科\n", ["乜博文"]),
        ("She will be followed here.\nYours sincerely,\nEr Xiuyun\nDepartment of Cardiology", ["Er Xiuyun"]),
        ("主刀：麴雅婷；一助：邴诗涵；器械护士：麴。\n", ["麴雅婷", "邴诗涵", "麴"]),
        ("患者99岁，由完颜卫国签署知情同意。", ["完颜卫国"]),
        ("上级医师谯晓红查房。记录：郦建平\n", ["郦建平"]),
        ("兹介绍患者仉卫国（身份证441602196304257880），前往贵院诊治。\n仉老伯自2015年起", ["仉卫国", "仉"]),
        ("手术记录单\n患者禚俊熙\u3000住院号IP201754", ["禚俊熙"]),
        ("患者继子羿琛将陪同前往。其外孙第五秀云（(0417)27529000）", ["羿琛", "第五秀云"]),
        ("Death notified to Da Meiling, the widower.", ["Da Meiling"]),
        # a compound surname that starts with a function character, after a sure cue
        ("姓名：太史昊；性别：男", ["太史昊"]),
        ("患者太史宏亮，男，102岁，由120送入。", ["太史宏亮"]),
        # places: before an occupation, after 从/自 ... 送入/入院, 在 ... 办理, 号院
        ("蹇师傅，武威木匠，痛风性关节炎。汲女士，36岁，上溪中学教师，因乏力就诊。", ["武威", "上溪中学"]),
        ("由120从泾县送入。乜诗涵自谷塘镇入院。丧事在阿克苏办理。", ["泾县", "谷塘镇", "阿克苏"]),
        ("独居于永定区桃李路147号院7号楼，", ["永定区桃李路147号院7号楼"]),
        ("works as an accountant at Huaibei Haoyun Kindergarten; studied", ["Huaibei Haoyun Kindergarten"]),
    ],
)
def test_round4_classes_are_removed(text: str, pieces: list[str]) -> None:
    spans = find_spans(text)
    for piece in pieces:
        start = text.index(piece)
        assert any(s.start <= start and start + len(piece) <= s.end for s in spans), (piece, spans)


@pytest.mark.parametrize(
    "text",
    [
        "病程记录：腹痛缓解\n记录：无特殊\n记录：未见异常\n护理记录：生命体征平稳\n",  # notes after 记录
        "由患者签署。由其子签署。由家属代签。",  # roles after 由 are no names
        "医保患者，医保报销50%。WBC 7-3 hpf。",  # a bare 医保 needs a number; a count range is no bed
        "患者，退休教师，中学教师，乡村教师，本院职工，化工厂工人，",  # occupations without a place
        "自今日入院，从急诊送入病房，在门诊办理入院手续，从外院转来。",  # no place after 从/自/在
        "Hepatitis B / Hu antigen negative. Kind regards,\nCardiology Team",
        "Patient with Graves disease / Hashimoto thyroiditis, Parkinson disease clinic.",
    ],
)
def test_round4_classes_keep_clinical_text(text: str) -> None:
    kept = [s for s in find_spans(text) if s.category in ("NAME", "LOCATION", "ID", "DATE")]
    assert not kept, kept


def test_a_dose_schedule_after_a_date_is_no_time() -> None:
    assert [s.text for s in find_spans("2014年5月15日 3次/日口服，2014年5月16日 8时复查。")] == [
        "2014年5月15日",
        "2014年5月16日 8时",
    ]


def test_a_range_is_not_a_date_but_a_date_keeps_its_time() -> None:
    text = "Recorded 2021-05-22 10:32; range 5.21-20; 3/14/21 seen."
    spans = [s.text for s in find_spans(text)]
    assert spans == ["2021-05-22 10:32", "3/14/21"]


# ------------------------------------------------------------------------------ the gazetteers
def test_pinyin_gazetteer() -> None:
    assert gz.pinyin_syllable_count("Jianguo") == 2
    assert gz.pinyin_syllable_count("Jian-guo") == 2
    assert gz.pinyin_syllable_count("Xi'an") == 2
    assert gz.pinyin_syllable_count("Mesalazine") == 0
    assert gz.pinyin_syllable_count("Parkinson") == 0
    assert {"Zhang", "Ouyang", "Zeng", "He", "Lai"} <= gz.pinyin_surnames()


def test_place_gazetteers() -> None:
    full, short = gz.zh_admin_names()
    assert {"绍兴市", "桐庐县", "西湖区"} <= full and {"绍兴", "桐庐"} <= short
    assert "北京市" not in full and "北京" not in short  # provinces and province-level cities are kept
    assert {"Shaoxing", "Zhoukou"} <= gz.cn_cities_en() and "Zhejiang" not in gz.cn_cities_en()
    assert "Hagerstown" in gz.world_cities_en()
    first, last = gz.intl_names()
    assert "Maria" in first and "Smith" in last


def test_an_id_card_number_is_always_removed_and_verified_by_its_check_digit() -> None:
    """18-digit shapes are removed whether or not they verify; python-stdnum's check (check digit,
    birth date, region) tells a real resident ID from a mistyped one."""
    valid, mistyped = "11010519491231002X", "110105194912310021"
    assert cn_id_verified(valid) and not cn_id_verified(mistyped)
    spans = {s.text: s for s in find_spans(f"身份证号{valid}，旧卡 {mistyped}。")}
    assert spans[valid].category == spans[mistyped].category == "ID"


def test_surname_tables() -> None:
    surnames = gz.zh_surnames()
    assert {"雍", "隋", "赫连", "淳于", "令狐", "欧阳"} <= surnames
    assert len(surnames) > 500
