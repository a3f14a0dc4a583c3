"""Rules for records written in the style of Chinese hospitals, in Chinese and in English (issue 21).

Pinyin names without a cue word (surname from the bundled list read by pypinyin, given name made of
pinyin syllables), the labelled fields of a Chinese admission record (住院号 / hospitalization number,
床号 / bed number, 籍贯 / native place, 邮编 / postcode, 工作单位 / employer...), villages, towns,
counties and districts, schools and work units by their suffix, and places from the gazetteers
(`gazetteer.py`). `find(text)` yields (start, end, category, strong) tuples; `detect.raw_spans` turns
them into spans, so the usual protection of clinical phrases and the merging apply.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from clinical_r1.deid import gazetteer as gz
from clinical_r1.deid import lexicon as lx

Hit = tuple[int, int, str, bool]
CJK = "\u4e00-\u9fff"


def _rx(pattern: str, flags: int = 0) -> re.Pattern:
    return re.compile(pattern, flags | re.ASCII)


# ----------------------------------------------------------------------------- English: names
# Two or three capitalised (or ALL-CAPS surname) tokens: "Zhang Jianguo", "ZHANG Jian-guo", "Gu Zhen Yu",
# "Jianguo Zhang". Checked against the pinyin surnames and syllables below.
_CAP_RUN = _rx(
    r"(?<![A-Za-z'’\-])(?P<run>[A-Z][A-Za-z]*(?:[-'’][A-Za-z]+)?"
    r"(?:[ \t]+[A-Z][a-z]*(?:[-'’][A-Za-z]+)?){1,3})"
    r"(?![A-Za-z'’\-])"
)
# words that read as pinyin but are English in a note ("He Was" cannot occur, "Long Term" can)
_EN_WORDS_LIKE_PINYIN = frozenset(
    "A An I Ma Pa Be He She Me We Ye Go No So Do To Ran Run Sun Man Men Fan Ban Pan Tan Can Die Lie Pie Tie "
    "Long Bang Hang Sang Tang Gang Ding Ling Ping Ming Zen Hen Pen Ten Den Bean Mean Lean Tao Yin Yang Qi "
    "Chi Pi Mi Ti Li Bi Di Ni Xi Gong Dong Hong Song Cong Wang Fang Gun Bun Dun Tun Shun Hun Nun Pun "
    "Fun Gen Ken Chin Shin Bin Pin Tin Sin Kin Lin Wen Ben Zhen Chen Lou Sou Cou Now How Mao Bao".split()
)


def _is_pinyin_name(tokens: list[str], cued: bool = False, loose: bool = False) -> bool:
    """`loose`: the context says person (a cue word before, an all-caps surname, sex and age after), so
    the surname need only read as pinyin (Kuai, Helan: surnames the tables lack)."""
    norm = [t.capitalize() if t.isupper() and len(t) > 1 else t for t in tokens]
    surnames = gz.pinyin_surnames()
    if loose:
        surnames = surnames | {
            t for t in (norm[0], norm[-1]) if gz.pinyin_syllable_count(t, 2) and t not in lx.EN_NOT_NAMES
        }
    if any(t.isupper() and len(t) > 1 for t in tokens[1:]) and not tokens[-1].isupper():
        return False
    given_first = (
        norm[-1] in surnames
        and all(gz.pinyin_syllable_count(t) for t in norm[:-1])
        and sum(gz.pinyin_syllable_count(t) for t in norm[:-1]) <= 3
    )
    surname_first = (
        norm[0] in surnames
        and all(gz.pinyin_syllable_count(t) for t in norm[1:])
        and sum(gz.pinyin_syllable_count(t) for t in norm[1:]) <= 3
    )
    if not (given_first or surname_first):
        return False
    # every token an English word as well ("He Ran", "Long Ping"): only with a two-syllable given name
    # or an all-caps surname
    if all(t in _EN_WORDS_LIKE_PINYIN for t in norm) and not tokens[0].isupper() and not cued:
        return False
    # a token that is also a label or month: only when it is one pinyin syllable ("Jun", not "Name")
    return not any(t in lx.EN_NOT_NAMES and gz.pinyin_syllable_count(t) != 1 for t in norm)


# a label or role right before: "Patient He Ming" is a name even though "He" and "Ming" are words
_NAME_CUE_BEFORE = re.compile(
    r"(?i:patient|pt|name|mr|mrs|ms|miss|dr|contact(?:\s+person)?|son|daughter|wife|husband|brother|sister|"
    r"mother|father|informant|relative|guardian|by|physician|doctor|resident|nurse|signature|signed|caregiver|"
    r"niece|nephew|(?:son|daughter)-in-law|grandson|granddaughter|follow-up\s+with|round|agreed\s+-|consultant|"
    r"family\s+member|next\s+of\s+kin|power\s+of\s+attorney|in\s+charge|assistant|an(?:a)?esthetist|surgeon|"
    r"operator|deceased|accompanied\s+by|(?:informed|notified)(?:\s+to)?|seeing|(?:wo)?man,|girl,|boy,|widow(?:er)?,|"
    # a letter's closing: "Yours sincerely,\nEr Xiuyun"
    r"yours\s+(?:sincerely|faithfully|truly)|sincerely(?:\s+yours)?|(?:kind|best|warm)\s+regards|regards)"
    r"\.?\s*[:：,]?\s*$"
)


# "Signature: Kui Meiling / Da Bowen": the names after the first on a signature or clinician line
_NAME_LIST_BEFORE = re.compile(
    r"(?i:signature|signed(?:\s+by)?|surgeons?|physicians?|doctors?|clinicians?|nurses?|assistants?)\b[^\n:]{0,20}:"
    r"[^\n]*(?:[/／、&]|\band)[ \t]*$"
)


# "Er Weiguo, male, 91", "Da Xinran (F, 58)", "Tou Bowen 72y": sex or age straight after a name
_SEX_AGE_AFTER = _rx(
    r"[ \t]*[,(（]?[ \t]*(?:male|female|Male|Female|[MF](?![A-Za-z])|"
    r"\d{1,3}[ \t]*(?:y\b|yo\b|y/o|years?\b|岁)|"
    r"\d{1,3}[ \t]*,[ \t]*(?:male|female|[MF]\b)|,[ \t]*an?[ \t]+\d{1,3}[- ]year|\((?:MRN|ID|IP|[Bb]ed)\b|"
    r"\d{2,3}[ \t]*,|,[ \t]*(?:resident|attending|consultant|chief|MD\b|nurse|physician|surgeon|doctor))"
)


def _pinyin_names(text: str) -> Iterator[Hit]:
    for m in _CAP_RUN.finditer(text):
        parts = list(re.finditer(r"\S+", m.group("run")))
        tokens = [p.group(0) for p in parts]
        # the longest run of 2-3 tokens that reads as a pinyin name, from the first or second token
        # ("Name Chen Wen Jun" without its label)
        for first in range(min(2, len(tokens) - 1)):
            begin = m.start() + parts[first].start()
            cued = _NAME_CUE_BEFORE.search(text[max(0, begin - 24) : begin]) is not None or (
                _NAME_LIST_BEFORE.search(text[text.rfind("\n", 0, begin) + 1 : begin]) is not None
            )
            caps = tokens[first].isupper() and len(tokens[first]) > 1
            hit = next(
                (
                    n
                    for n in range(min(len(tokens), first + 3), first + 1, -1)
                    if _is_pinyin_name(
                        tokens[first:n],
                        cued,
                        cued or caps or _SEX_AGE_AFTER.match(text, m.start() + parts[n - 1].end()) is not None,  # noqa: E501
                    )
                ),
                None,
            )
            if hit:
                yield begin, m.start() + parts[hit - 1].end(), "NAME", False
                break


# "ZHANG M 72y", "Liu F, 58": a surname alone before a sex letter/word and an age
_SURNAME_SEX_AGE = _rx(
    r"(?<![A-Za-z])(?P<s>[A-Z][a-z]+|[A-Z]{2,})"
    r"(?=[ \t]*,?[ \t]*(?:M|F|male|female|Male|Female)\b[ \t,]*\d{1,3})"
)
_TITLE_CAPS = _rx(
    r"\b(?:Dr|Mr|Mrs|Ms|Miss|Prof|Master|Granny|Grandpa|Grandma|Auntie|Uncle)\.?[ \t]+"
    r"(?P<s>[A-Z][a-z]+|[A-Z]{2,})\b"
)


def _surnames_alone(text: str) -> Iterator[Hit]:
    surnames = gz.pinyin_surnames()
    for pattern in (_SURNAME_SEX_AGE, _TITLE_CAPS):
        for m in pattern.finditer(text):
            token = m.group("s").capitalize()
            titled = pattern is _TITLE_CAPS and gz.pinyin_syllable_count(token, 2) > 0
            if token in surnames or (titled and token not in lx.EN_NOT_NAMES):
                yield m.start("s"), m.end("s"), "NAME", True


# international first + last name anywhere ("Consultant: Maria Gonzalez"): both lists must agree
_EN_PAIR = _rx(
    r"(?<![A-Za-z'’\-])(?P<f>[A-Z][a-z]+)[ \t]+(?P<l>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?![A-Za-z'’\-])"
)


def _intl_names(text: str) -> Iterator[Hit]:
    first, last = gz.intl_names()
    for m in _EN_PAIR.finditer(text):
        f, surname = m.group("f"), m.group("l")
        if f in first and surname in last and f not in lx.EN_NOT_NAMES and surname not in lx.EN_NOT_NAMES:
            yield m.start(), m.end(), "NAME", False


# ----------------------------------------------------------------------------- English: labelled fields
_EN_ID_LABEL = _rx(
    r"\b(?i:(?:hospitali[sz]ation|inpatient|in-patient|admission|outpatient|out-patient|registration|triage|"
    r"hospital|hosp\.?|clinic(?=[ \t]*(?:no\.?|number|#)(?![A-Za-z]))|"
    r"case[ \t]+record|medical[ \t]+record|record|visit|case|bed|(?:medical[ \t]+)?insurance(?:[ \t]+card)?|"
    r"social[ \t]+security(?:[ \t]+card)?|ID[ \t]+card|resident[ \t]+ID|identity[ \t]+card|ID|IP|OP|"
    r"(?:visit|clinic|patient|medical)[ \t]+card|card)(?![A-Za-z])"
    r"[ \t]*(?:(?:no\.?|number|num\.?|#)(?![A-Za-z]))?)[ \t]*[:：]?[ \t]*#?[ \t]*"
    r"(?P<v>[A-Z]{0,4}-?\d[0-9A-Z\-]*(?:\+\d+)?)(?![\w\-])"  # the whole value: OP-102282, 09-764089
)
_EN_BED = _rx(
    r"\b(?i:bed)[ \t]*(?:(?i:no\.?|number|#)[ \t]*[:：]?[ \t]*)?"
    r"(?P<v>\d{1,3}[A-Z]?(?:\+\d|-\d{1,2})?)(?![\w+])"  # bed 12, bed 7-3 (room-bed)
    r"(?![ \t]*(?i:days?|weeks?|months?|hours?|hrs?|h|d)\b)"
)
_POSTCODE = _rx(
    r"(?i:post[ \t]?code|postal[ \t]+code|zip[ \t]*code|zip|邮编|邮政编码)"
    r"[ \t]*[:：]?[ \t]*(?P<v>\d{6})(?!\d)"
)


# "..., Zhejiang 310012", "Hangzhou, China 310012": six digits after a province or the country
_POSTCODE_AFTER_PROVINCE = _rx(
    r"\b(?:"
    + "|".join(sorted(gz.CN_PROVINCES_EN, key=len, reverse=True))
    + r"|China|P\.?R\.?[ \t]?China|PRC)"
    r"(?:[ \t]+Province)?,?[ \t]+(?P<v>\d{6})(?!\d)"
)


def _labelled_fields(text: str) -> Iterator[Hit]:
    for m in _POSTCODE_AFTER_PROVINCE.finditer(text):
        yield m.start("v"), m.end("v"), "LOCATION", True
    for m in _EN_ID_LABEL.finditer(text):
        label = text[m.start() : m.start("v")].lower()
        if not re.search(r"no|number|num|#|:|：|bed", label):
            continue  # "visit 2", "case 3": a count, not a number field
        if label.strip().startswith(("case", "visit", "record")) and not re.search(r"no|number|#", label):
            continue
        yield m.start("v"), m.end("v"), "ID", True
    for m in _EN_BED.finditer(text):
        yield m.start("v"), m.end("v"), "ID", True


# ----------------------------------------------------------------------------- English: places
_PLACE_UNIT = (
    r"(?:Village|Town|County|District|Township|Community|City|Prefecture|Subdistrict|Commune|"
    r"Residential[ \t]+Area)"
)
_EN_ADMIN = _rx(rf"(?<![A-Za-z])(?:[A-Z][a-z'’ü]+[ \t]){{1,2}}{_PLACE_UNIT}\b")
_ADDR_PART = (
    r"(?:No\.[ \t]?\d+(?:-\d+)?[A-Z]?|Room[ \t]\d+|Rm\.?[ \t]\d+|Unit[ \t]\d+|Building[ \t]\d+|"
    r"Bldg\.?[ \t]\d+|"
    r"Lane[ \t]\d+|Flat[ \t]\d+|Apt\.?[ \t]\d+|Block[ \t]\d+|"
    r"(?:Group|Team)[ \t]\d+(?=,[ \t]*[A-Z][a-z'’ü]+[ \t]Village)|"
    r"\d+[ \t]+(?:[A-Z][a-z'’ü]+[ \t]){1,3}(?:Road|Street|Avenue|Lane|Rd|St)\b|"
    r"(?:[A-Z][a-z'’ü]+[ \t]){1,3}(?:Road|Street|Avenue|Lane)[ \t]\d+[A-Z]?\b|"
    r"(?:[A-Z][a-z'’ü]+[ \t]){1,2}Village[ \t]Group[ \t]\d+\b|"
    r"(?:[A-Z][a-z'’ü]+[ \t]){1,3}"
    rf"(?:Road|Street|Avenue|Lane|Alley|Hutong|Estate|Gardens?|Residence|Compound|Court|Mansions?|Apartments|"
    rf"Plaza|Heights|Village[ \t]Committee|{_PLACE_UNIT})\b)"
)
_EN_ADDRESS = _rx(
    rf"{_ADDR_PART}(?:,?[ \t]*{_ADDR_PART})*(?:,[ \t]*(?P<city>[A-Z][a-z'’ü]+(?:[ \t]City)?))?(?![A-Za-z])"
)
_EN_SCHOOL = _rx(
    r"(?<![A-Za-z])(?:[A-Z][a-z'’ü]+[ \t]){1,3}(?:No\.[ \t]?\d+[ \t]+)?"
    r"(?:(?:Senior|Junior|Central|Experimental|Key)[ \t]+)*"
    r"(?:Middle|High|Primary|Elementary|Secondary|Vocational|Foreign[ \t]+Languages?|Normal|Technical|"
    r"Central|Experimental|Nursing|Sports|Arts?)"
    r"[ \t]+School\b|(?<![A-Za-z])(?:[A-Z][a-z'’ü]+[ \t]){1,3}Kindergarten\b"  # Huaibei Haoyun Kindergarten
)
_EN_EMPLOYER = _rx(
    r"(?<![A-Za-z])(?:[A-Z][A-Za-z'’&]+[ \t]){1,4}"
    r"(?:Co\.,?[ \t]*Ltd\.?|Co\.|Company|Corporation|Corp\.|Group|Government|Factory|Inc\.|Ltd\.?|"
    r"Plant|Mill|Mine|Supermarket|Store|Bank|Restaurant|(?:Trading[ \t]+)?Firm|(?:Repair[ \t]+)?Shop|"
    r"Workshop|"
    r"Farm|Cooperative|"
    r"(?:Bureau|Commission|Committee)"
    r"(?:[ \t]+of[ \t]+(?:the[ \t]+)?[A-Z][a-z]+(?:[ \t]+(?:and[ \t]+)?[A-Z][a-z]+)?)?)"
    r"(?![A-Za-z])"
)
_LEADING_NOISE = set(
    "The At To From In Of Our Works Worked Company Employer Address Home Attended Graduated Teacher And A An "
    "For Lives".split()
)
_EN_PLACE_CUE = _rx(
    r"(?:(?i:native[ \t]+place|native|birthplace|birth[ \t]+place|place[ \t]+of[ \t]+birth|hometown|"
    r"home[ \t]+town|"
    r"place[ \t]+of[ \t]+origin|origin|domicile|residence)[ \t]*[:：][ \t]*|"
    r"\b(?:born|raised|lived|lives|living|grew[ \t]+up|resides|residing|moved|relocated|returned|came|"
    r"settled|"
    r"now[ \t]+living|native)[ \t]+(?:and[ \t]+raised[ \t]+)?(?:in|to|from|of|at)[ \t]+)"
    r"(?P<c>[A-Z][a-z'’ü]+(?:[ \t][A-Z][a-z'’ü]+)?)"
)
_TRAILING_CITY_AFTER_ADMIN = _rx(
    rf"(?:{_PLACE_UNIT}|Road|Street),[ \t]*(?P<c>[A-Z][a-z'’ü]+)(?:[ \t]City)?(?![A-Za-z])"
)


# "the Walmart in Hagerstown", "from Tel Aviv": a city of GeoNames after a preposition, even when one of
# its words is also a label ("Tel")
_PREP_CITY = _rx(
    r"\b(?:in|from|to|near|outside|around|of|via|visiting)[ \t]+(?:the[ \t]+)?"
    r"(?P<c>[A-Z][a-z]+(?:['’][a-z]+)?(?:[ \t\-][A-Z][a-z]+)?)(?![A-Za-z])"
)
_CAP_WORDS = _rx(r"(?<![A-Za-z'’\-])[A-Z][a-z]{3,}(?:[ \t][A-Z][a-z]+)?(?![A-Za-z'’\-])")


def _strip_noise(text: str, start: int, end: int) -> tuple[int, int]:
    words = text[start:end].split(" ")
    while len(words) > 1 and words[0] in _LEADING_NOISE:
        start += len(words[0]) + 1
        words = words[1:]
    return start, end


# cheap keyword checks before the long patterns (most clinical text has none of these words)
_HAS_ADDRESS_WORD = re.compile(
    r"Village|Town|County|District|Township|Community|City|Prefecture|Subdistrict|Commune|Residential|"
    r"Road|Street|Avenue|Lane|Alley|Hutong|Estate|Garden|Residence|Compound|Court|Mansion|Apartments|Plaza|Heights"
)
_HAS_EMPLOYER_WORD = re.compile(
    r"Co\.|Company|Corporation|Corp\.|Group|Government|Factory|Inc\.|Ltd|Plant|Mill|Mine|Supermarket|"
    r"Store|Bank|Restaurant|Bureau|Commission|Committee|Firm|Shop|Farm|Cooperative"
)


_STRONG_EMPLOYER_ENDS = ("Shop", "Firm", "Ltd", "Ltd.", "Co.", "Supermarket", "Factory", "Company")


def _en_places(text: str) -> Iterator[Hit]:
    coarse = lx.EN_COARSE_PLACES | gz.CN_PROVINCES_EN
    has_address_word = _HAS_ADDRESS_WORD.search(text) is not None
    patterns = [
        pattern
        for pattern, present in (
            (_EN_ADMIN, has_address_word),
            (_EN_SCHOOL, "School" in text or "Kindergarten" in text),
            (_EN_EMPLOYER, _HAS_EMPLOYER_WORD.search(text) is not None),
        )
        if present
    ]
    for pattern in patterns:
        for m in pattern.finditer(text):
            start, end = _strip_noise(text, m.start(), m.end())
            first = text[start:end].split()[0]
            if first in lx.EN_NOT_NAMES and pattern is not _EN_SCHOOL:
                continue
            # an employer is weak (a clinical phrase may hold it) unless it ends in a word no eponym
            # phrase does: "Tengfei Auto Repair Shop" holds the eponym-like "Auto Repair"
            strong = pattern is not _EN_EMPLOYER or text[start:end].endswith(_STRONG_EMPLOYER_ENDS)
            yield start, end, "LOCATION", strong
    for m in _EN_ADDRESS.finditer(text) if has_address_word else ():
        if "," not in m.group(0):
            continue  # one part alone ("Room 3", "Lane 2") is no address; "Xihu District" is _EN_ADMIN's
        end = m.end()
        city = m.group("city")
        if city and (city.split()[0] in lx.EN_NOT_NAMES or city in coarse):
            end = m.start("city") - 1
        yield m.start(), end, "LOCATION", True
    for pattern in (_EN_PLACE_CUE, _TRAILING_CITY_AFTER_ADMIN) if has_address_word else (_EN_PLACE_CUE,):
        for m in pattern.finditer(text):
            words = m.group("c").split()
            if words[0] in coarse or words[0] in lx.EN_NOT_NAMES or m.group("c") in coarse:
                continue
            if len(words) == 2 and (words[1] in lx.EN_NOT_NAMES or words[1] in coarse):
                words = words[:1]
            yield m.start("c"), m.start("c") + len(" ".join(words)), "LOCATION", False
    world = gz.world_cities_en()
    for m in _PREP_CITY.finditer(text):
        words = m.group("c").split()
        for n in (2, 1):
            name = " ".join(words[:n])
            if (
                len(words) >= n
                and name in world
                and name not in coarse
                and not (n == 1 and name in lx.EN_NOT_NAMES)
            ):
                yield m.start("c"), m.start("c") + len(name), "LOCATION", False
                break
    cities = gz.cn_cities_en()
    for m in _CAP_WORDS.finditer(text):
        words = m.group(0).split()
        if m.group(0) in cities:
            yield m.start(), m.end(), "LOCATION", False
        elif words[0] in cities:
            yield m.start(), m.start() + len(words[0]), "LOCATION", False


# ----------------------------------------------------------------------------- Chinese
_ZH_BED = _rx(
    r"(?:床号|床位号?)[ \t]*[：:]?[ \t]*(?P<v>[0-9A-Za-z+\-]+)"
    # 12床, 7-3床 (room-bed)
    r"|(?<![0-9A-Za-z+\-])(?P<w>\d{1,3}(?:[A-Z]|\+\d|-\d{1,2})?)(?=床(?![旁边头尾上下]))"
)
_ZH_ID_LABEL = _rx(
    r"(?:住院号|住院号码|入院号|出院号|档案号|门诊号|急诊号|挂号号|就诊号|分诊号|病案号|病历号|医保卡号|医保号|社保卡号|社保号|身份证号?码?|"
    r"登记号|影像号|检查号|ID号|卡号|(?:医保|社保)(?:卡)?(?=[ \t]*[：:]?[ \t]*[A-Za-z]{0,4}-?\d{5}))"
    r"[ \t]*[：:]?[ \t]*(?P<v>[0-9A-Za-z][0-9A-Za-z\-+]*)"
)
_ZH_NATIVE = _rx(
    rf"(?:籍贯|出生地|出生于|生于|原籍|祖籍|户籍地?|老家|现居住?地?|现居于|迁居|迁至|定居|居住于|居住在|住在|"
    rf"长大于|长于|生长于|成长于|生在|长在|生活在|生活于|出生在|户籍在|户口在|家住|家在|住于|暂住于?|移居|搬至|搬到|来自于?|自幼居住于|就读于|毕业于|就职于|任职于|工作于|工作单位|单位|通讯地址|现住址|家庭住址|住址)"
    rf"[ \t]*[：:]?[ \t]*(?P<v>[{CJK}0-9A-Za-z]{{2,30}})"
)
_ZH_IN_VERB = _rx(
    rf"在(?P<v>[{CJK}0-9]{{2,20}}?)(?:长大|生活|居住|工作|务工|务农|上学|读书|任教|任职|任|就读|出生|办理|安葬|火化)"
)
# 武威木匠, 上溪中学教师, 贵州医科大学教师: a place or work unit set off by commas right before an occupation
_ZH_BEFORE_OCCUPATION = _rx(
    rf"(?:^|(?<=[，,、；;\s\u3000]))(?P<v>[{CJK}]{{2,12}}?)"
    r"(?=(?:退休)?(?:教师|老师|教授|职工|员工|工人|木匠|瓦工|电工|农民|渔民|牧民|矿工|司机|厨师|会计|保安|店员|售货员)"
    r"[，,。；;\s\u3000])"
)
_ZH_RETURN = _rx(rf"(?:自|从)(?P<v>[{CJK}]{{2,12}}?)(?:返回|回来|来|归来|迁来|转入|送入|送来|转来|入院)")
_ZH_ORG_SUFFIX = (
    r"(?:有限责任公司|股份有限公司|有限公司|集团|公司|人民政府|政府|高级中学|中学|小学|中心小学|实验小学|学校|大学|学院|"
    r"幼儿园|研究所|研究院|工厂|厂|办事处|委员会|居委会|村委会|大酒店|酒店|宾馆|饭店|超市|商场|银行|税务局|公安局|局|"
    r"高中|初中|职高|中专|技校|卫校|"
    r"商行|商店|门市部|经营部|合作社|农场|养殖场)"
)
_ZH_ORG = _rx(rf"[{CJK}A-Za-z0-9]{{2,20}}?{_ZH_ORG_SUFFIX}(?![{CJK}]*?(?:医院|卫生院))")
_ZH_UNIT_END = _rx(r"(?:市|县|区|镇|乡|村|街道|旗|盟|州)$")
_ZH_SINGLE_UNIT = _rx(
    rf"(?<![{CJK}])(?P<v>[{CJK}]{{2,3}}(?:镇|乡|村))(?![{CJK}])"
    rf"|(?P<w>[{CJK}]{{2,3}}(?:镇|乡))(?=中心|卫生院|人民政府|政府|长大|居住|生活)"
)
_ZH_NOT_UNITS = set("城镇 乡镇 农村 本村 同村 该村 邻村 外村 新农村 城乡 本镇 该镇 本乡".split())
# verbs and words a cued value stops at
_ZH_VALUE_STOP = re.compile(
    r"(?:自幼|长大|现居|现住|居住|迁居|毕业|就读|就职|任职|工作|任|务农|务工|否认|婚姻|职业|民族|性别|年龄|出生|"
    r"邮编|邮政|电话|手机|入院|身份证|住院号|床号|科室|病区|吸烟|饮酒|每日|至今|以来|后|时|期间|等地|一带|附近|老家|"
    r"人民医院|医院)"
)

_ZH_UNIT_AFTER_STOP = _rx(rf"[后时][{CJK}]{{1,3}}?(?:村|庄|镇|乡|街|路|巷)")
# a kind of place, not a place: 生长于沿海城市, 来自农村, 居住在山区
_ZH_PLACE_KINDS = re.compile(r"(?:城市|农村|山区|城镇|乡村|乡下|地区|牧区|郊区|城区|市区|县城|县区)$")

def _zh_value(text: str, start: int, raw: str) -> tuple[int, int] | None:
    """Cut a cued value at the first stop word; drop a leading province (kept, like a US state)."""
    cut = _ZH_VALUE_STOP.search(raw, 1)
    while cut and _ZH_UNIT_AFTER_STOP.match(raw, cut.start()):  # 后街村, 时家庄: a stop word inside a name
        cut = _ZH_VALUE_STOP.search(raw, cut.end())
    value = raw[: cut.start()] if cut else raw
    for province in sorted(lx.ZH_PROVINCES, key=len, reverse=True):
        if value.startswith(province) and len(value) > len(province) + 1:
            skip = len(province) + (1 if value[len(province) : len(province) + 1] in ("省", "市") else 0)
            if len(value) - skip >= 2:
                value, start = value[skip:], start + skip
            break
    if len(value) < 2 or "某" in value or value in lx.ZH_NOT_PLACES or value in lx.ZH_PROVINCES:
        return None
    return start, start + len(value)


def _zh_place_like(value: str, cue_names_org: bool) -> bool:
    """A cued value is a place when it ends like one (市/县/镇/村, 18号, 3室), is a city or county of
    cpca's table, or (after 毕业于/就职于/单位) ends like a work unit or school."""
    full, short = gz.zh_admin_names()
    if _running_text(value) or (_ZH_PLACE_KINDS.search(value) and value not in full):  # 盐城市 is a city
        return False
    if (
        _ZH_UNIT_END.search(value)
        or value in short
        or value in full
        or re.search(r"\d+(?:号|室|组|幢|栋|单元)$", value)
        or any(value[:n] in short for n in (2, 3, 4))
    ):
        return True
    org = re.search(_ZH_ORG_SUFFIX + "$", value)
    return bool(org and org.start() >= 2 and (cue_names_org or _starts_with_place(value[: org.start()])))


# characters of running text, not of a place or unit name
_ZH_FUNCTION_CHARS = re.compile(r"[的了过均都也就还又把被让给吃喝说看做很太]")


def _running_text(value: str) -> bool:
    """A function character (都, 过...) outside a leading city or county name of cpca's table: 宁都县第三中学
    and 成都市 are places, 都在家 is running text."""
    full, _ = gz.zh_admin_names()
    for n in (6, 5, 4, 3):
        if value[:n] in full:
            value = value[n:]
            break
    return _ZH_FUNCTION_CHARS.search(value) is not None
_ZH_ORG_CUES = ("毕业于", "就读于", "就职于", "任职于", "工作于", "工作单位", "单位", "受雇于", "供职于")


# 姓名：阙瑶 / 患者：阙瑶　性别 / 妻子常桂兰（177…): a name whose surname the bundled list lacks
# (checked against gazetteer.zh_surnames) after the strongest cues only
_ZH_NAME_FIELD = _rx(
    rf"(?:姓名|患者|病人|患儿)[ \t]*[：:][ \t]*(?P<n>[{CJK}]{{2,4}})"
    r"(?=[ \t\u3000]+(?:性别|男|女)|[，,（(][ \t]*[男女])"
    rf"|(?:姓名)[ \t]*[：:][ \t]*(?P<m>[{CJK}]{{2,4}})(?=[\s\u3000，,。；;（(]|$)"
    r"|(?:妻子|丈夫|儿子|女儿|之子|之女|孙子|孙女|母亲|父亲|配偶|家属)"
    rf"(?P<k>[{CJK}]{{2,3}})(?=[（(][ \t]*[+\d(（])"
)


# 转诊医生：訾倩，/ 家长姓名：訾坤　: a field label that names a person, a colon, 2-3 characters, a hard stop
_ZH_PERSON_FIELD = _rx(
    r"(?:(?:姓名|医生|医师|护士|护士长|联系人|家属|家长|监护人|委托人|代诉人|陪同人|签名|签字|记录者|记录人|报告人|"
    r"审核人|术者|助手|主刀|一助|二助|三助|第一助手|第二助手|器械护士|巡回护士|洗手护士|麻醉师|患者信息|亲属|"
    rf"(?<![{CJK}])记录(?=[：:][ \t\u3000]*[{CJK}]{{2,4}}[ \t\u3000]*$))"
    r"[ \t]*[：:][ \t\u3000]*|姓名[ \t\u3000]+"
    # a compound role title without a colon: 麻醉医师茆竹；, 住院医师禤宇／, 报告医生缑飞　
    r"|(?<![\u4e00-\u9fff])(?:麻醉|住院|主治|主任|手术|经治|报告|记录|申请|会诊|接诊|值班|责任|主管|上级|分诊|急诊|转诊|"
    r"门诊|副主任|管床)(?:医师|医生|护士)[ \t\u3000]*)"
    rf"(?P<n>[{CJK}]{{2,4}}?)(?=[，,；;。（(）)、/／｜|\s\u3000]|查房|$)",
    re.MULTILINE,
)
# kinship and caregiver words after which an unlisted surname still starts a name (舅舅逄泽宇，)
_ZH_KIN = tuple(
    "丈夫 妻子 儿子 女儿 父亲 母亲 配偶 舅舅 姑姑 叔叔 伯伯 姨妈 姐夫 嫂子 哥哥 姐姐 弟弟 "
    "妹妹 外公 外婆 爷爷 奶奶 表哥 表姐 表弟 表妹 堂兄 堂弟 堂姐 堂妹 其子 其女 其妻 其夫 "
    "其母 其父 之子 之女 之妻 之夫 儿媳 女婿 孙女 孙子 外孙 外孙女 外甥 外甥女 侄女 侄子 "
    "近亲属 紧急联系人 联系人 监护人 委托人 代诉人 陪同人 照护者 家长 家属 继子 继女 养子 养女".split()
)
_ZH_NOT_NAMES = set("本人 患者 病人 家属 同上 不详 未知 未填 暂无 缺如 空白 见上 拒填 无".split())
# characters before 医师/主任 that make a role, not a surname (主任医师, 副主任, 住院医师, 本医师)
_ZH_NOT_SURNAME_ALONE = set("主副住医护技药本该我其实进规执助麻责管值经上")
# titles and kinship words that follow a surname (温太太, 于先生, 车师傅, 冼大姐)
_ZH_TITLES = (
    "阿姨|叔叔|大爷|大妈|大娘|大婶|大姐|大哥|奶奶|爷爷|伯伯|婆婆|阿婆|老人家|太太|夫人|小姐|先生|女士|师傅|老师|"
    "同志|老太|老伯"
)
# role and kinship words a name follows (the names then need a hard stop after them)
_ZH_ROLE_WORDS = (
    "近亲属|紧急联系人|联系人姓名|联系人|家长姓名|家长|患者姓名|患者|病人|患儿|家属|丈夫|妻子|儿子|女儿|父亲|母亲|"
    "配偶|舅舅|姑姑|叔叔|伯伯|姨妈|姐夫|嫂子|表[哥姐弟妹]|堂[兄弟姐妹]|哥哥|姐姐|弟弟|妹妹|外公|外婆|爷爷|奶奶|"
    "其[子女妻夫母父](?![婿儿])|之[子女妻夫母父](?![婿儿])|监护人|委托人|代诉人|陪同人|继子|继女|养子|养女"
)
# 住院医师巴宇／主治医师巴思琪, 口述：连淑华；, 照护者：巴静怡，, 其侄女满婉婷，, 电话随访应志豪，, 柴阿姨:
# a cue, then 2-3 characters whose first is a surname of gazetteer.zh_surnames, then a hard delimiter
_ZH_CUED_NAME = _rx(
    r"(?:医师|医生|护士|主任|口述|口述者|照护者|照顾者|陪护|陪护人|随访|告知|通知|侄女|侄子|外甥女?|女婿|儿媳|"
    r"孙女|孙子|外孙女?|审阅同意——|审阅|录入|同意——)[ \t]*[：:]?[ \t]*"
    rf"(?P<n>[{CJK}]{{2,4}}?)(?=[，,；;。／/（(）)\s\u3000]|沟通|联系|商量|交代|签字|送来|陪同|{_ZH_TITLES}|$)"
    rf"|(?:^|(?<=[\s\u3000，,。；;：:（(]))(?P<t>[{CJK}]{{1,2}})(?={_ZH_TITLES})"
    # a role or kinship word, then a name whose surname is any of gazetteer.zh_surnames (雍, 隋...) and a
    # hard stop or a reporting verb: 近亲属隋佩琪，/ 紧急联系人雍树林（姐夫）/ 患者雍晓东诉
    rf"|(?:{_ZH_ROLE_WORDS})(?P<c>[：:])?[ \t\u3000]*"
    rf"(?!丈夫|妻子|儿子|女儿|父亲|母亲|继子|继女|养子|养女|其|之)(?P<r>[{CJK}]{{2,4}}?)"
    r"(?=[，,；;。／/（(）)、\s\u3000]|诉|自诉|将?陪同|签署|代诉|送来|送入|交代|沟通|$)"
    # a name at a clear start before its age: 雍玉明，101岁
    # or a name set off by spaces or commas before its sex and age (a nursing handover: 33床　冼梅　101岁)
    rf"|(?:^|(?<=[\s\u3000，,。；;：:（(])|(?<=患者|病人|患儿))(?P<a>[{CJK}]{{2,4}})"
    r"(?=[，,][ \t]*\d{1,3}[ \t]*岁|[，,\s\u3000]+(?:[男女][，,/\s\u3000]*)?\d{1,3}[ \t]*岁"
    r"|[，,][男女][，,（(])"
    # a surname alone before a title after a signature label: 签名：蒯医师
    r"|(?:签名|签字|审核|审阅|医师|医生)[：:][ \t\u3000]*(?P<s>[\u4e00-\u9fff])(?=医师|医生|主任|护士)",
    re.MULTILINE,
)


# after a value: sex and age, a phone or record number, a verb of a person (陪同, 代诉, 送来)
_ZH_PERSON_AFTER = _rx(
    r"[，,][ \t]*[男女][，,（(]|[，,\s\u3000]+\d{1,3}[ \t]*岁|"
    r"[，,（(][ \t]*(?:电话|手机|联系电话|病案号|住院号|门诊号|身份证|"
    r"[(（]?\+?\d{3,}|(?:儿媳|女婿|儿子|女儿|妻子|丈夫|父亲|母亲|兄|弟|姐|妹|孙女|孙子|侄女|侄子|姐夫|外甥)[，,）)])"
    r"|[ \t\u3000]+(?:病案号|住院号|门诊号|身份证)"  # 患者禚俊熙　住院号…: the record number of a person
    r"|将?陪同|代诉|送来|交代|签字|签署"
)
# 出院医嘱：柴建军（病案号…): any label, then a name and its record number
_ZH_NAME_BEFORE_RECORD = _rx(
    rf"[：:][ \t\u3000]*(?P<n>[{CJK}]{{2,4}}?)(?=[（(](?:病案号|住院号|门诊号|病历号|ID|\d{{1,3}}床))"
)
# cues that name a person whatever the surname: 由完颜卫国签署知情同意, a letter's closing (此致 / 敬礼 /
# 宓建平 on a line of its own), a surname alone after an operating-team role (器械护士：菅。)
_ZH_SURE_NAME = _rx(
    rf"由(?P<b>[{CJK}]{{2,4}}?)(?=签署|签字|代签)"
    rf"|此致[\s，,]*敬礼[！!。，,]?[ \t\u3000]*\n[ \t\u3000]*(?P<c>[{CJK}]{{2,4}})[ \t\u3000]*(?=\n|$)"
    r"|(?:主刀|一助|二助|三助|器械护士|巡回护士|洗手护士|麻醉师|麻醉医师)[：:][ \t\u3000]*"
    rf"(?P<s>[{CJK}])(?=[。；;，,\s\u3000]|$)"
)
# A/B or A、B after a signature or role label: the second name (医师签名：遆春燕/蹇晓红)
_ZH_NEXT_NAME = _rx(rf"[ \t]*[/／、][ \t]*(?P<n>[{CJK}]{{2,4}}?)(?=[，,；;。/／、）)\s\u3000]|$)")
_TITLE_AGE = _rx(rf"(?:{_ZH_TITLES})[，,][ \t]*\d{{1,3}}[ \t]*岁")


def _colon_labelled(m: re.Match) -> bool:
    return any(c in m.group(0)[: m.start("n") - m.start()] for c in "：:")


def _name_shaped(name: str) -> bool:
    """2-4 characters, neither all nor the first two a word of jieba's dictionary: 禤宇, 茆海涛, 禤树林 (a
    given name may be a word) and 拓拔子涵 are name-shaped, 术前访视 (麻醉医生术前访视) and 查房 are not."""
    common = gz.zh_common_words()
    return 2 <= len(name) <= 4 and name not in common and not (len(name) >= 3 and name[:2] in common)


def _zh_clinical(name: str) -> bool:
    """A clinical word, or the start of one: 柴胡, 高血压. A one-character listed prefix (仇, 史, 池) blocks
    only the character alone and two-character values (仇恨), not a three-character name (仇泽宇)."""
    if len(name) == 1:
        return name in lx.ZH_CLINICAL_PREFIXES  # a surname alone (柴阿姨) only when it is itself listed
    return any(
        (name.startswith(p) or p.startswith(name)) and (len(p) > 1 or len(name) == 2)
        for p in lx.ZH_CLINICAL_PREFIXES
    )


def _function_free(name: str, sure: bool) -> bool:
    """No function character (的, 太, 过...) in the name; after a sure cue only the given name is checked,
    so a compound surname that starts with one (太史宏亮, 过晓燕 after 姓名：) is still taken."""
    return not _ZH_FUNCTION_CHARS.search(name[2:] if sure and len(name) >= 3 else name)


def _sure_value_is_name(name: str) -> bool:
    """The value after a sure person cue: no role (患者, 家属, 其子), word, clinical term, stop character."""
    return (
        name not in _ZH_NOT_NAMES
        and name[:2] not in _ZH_NOT_NAMES
        and re.match(_ZH_ROLE_WORDS, name) is None
        and name[:1] not in _ZH_NOT_SURNAME_ALONE
        and "某" not in name
        and name not in gz.zh_common_words()
        and _function_free(name, True)
        and not any(ch in lx.ZH_NAME_STOP_CHARS for ch in name[1:])
        and not _zh_clinical(name)
    )


def _zh_sure_names(text: str) -> Iterator[Hit]:
    for m in _ZH_SURE_NAME.finditer(text):
        group = next(g for g in ("b", "c", "s") if m.group(g))
        name = m.group(group)
        if group == "s":
            ok = (
                name not in _ZH_NOT_SURNAME_ALONE
                and name not in lx.ZH_NAME_STOP_CHARS
                and name not in lx.ZH_CLINICAL_PREFIXES
                and not _ZH_FUNCTION_CHARS.search(name)
            )
        else:
            ok = _sure_value_is_name(name)
        if ok:
            yield m.start(group), m.end(group), "NAME", True


def _next_names(text: str, end: int) -> Iterator[Hit]:
    """The names after a found one in A/B or A、B (a signature of two clinicians)."""
    while (m := _ZH_NEXT_NAME.match(text, end)) and _sure_value_is_name(m.group("n")):
        yield m.start("n"), m.end("n"), "NAME", True
        end = m.end("n")


def _zh_name_fields(text: str) -> Iterator[Hit]:
    surnames = gz.zh_surnames()
    for m in _ZH_CUED_NAME.finditer(text):
        group = next(g for g in ("n", "t", "r", "a", "s") if m.group(g))
        name = m.group(group)
        if group == "t" and len(name) == 2 and name not in surnames:
            name = name[1:]  # 王阿姨 after a character that is not part of the name
        title_age = _TITLE_AGE.match(text, m.end(group)) is not None
        if group == "t" and len(name) == 1 and title_age and not _zh_clinical(name):
            if name not in _ZH_NOT_SURNAME_ALONE and name not in lx.ZH_NAME_STOP_CHARS:
                yield m.start(group), m.end(group), "NAME", True  # 禤女士，36岁: a surname on no list
            continue
        start = m.end(group) - len(name)
        labelled = group == "r" and m.group("c")
        if group in ("r", "a") and not labelled and name[:1] in lx.ZH_SURNAMES_AMBIGUOUS:
            continue  # 患者于今晨, 和...: a function-word surname only after a labelled field (家长：于...)
        if group in ("r", "a") and (name in gz.zh_common_words() or name[-1] in "妇者"):
            continue  # 病人皮肤、/ 获得病人信任 / 初孕妇，25岁: words and persons' roles, not names
        if group == "s":
            if name not in _ZH_NOT_SURNAME_ALONE and name not in lx.ZH_CLINICAL_PREFIXES:
                yield start, m.end(group), "NAME", True
            continue
        # a surname on no list (逄, 蒯, 贺兰) is accepted only after a cue that names a person for sure: a
        # labelled field (联系人：), a kinship word (舅舅, 孙女) or a clear start before the age; the value
        # must be no word of jieba's dictionary, no role (产妇, 患者), and neither its first two nor its
        # last two characters a word (要求输血, 需掌握 after 患者 are running text)
        known = name[:2] in surnames or name[:1] in surnames
        common = gz.zh_common_words()
        cue = text[max(0, m.start(group) - 6) : m.start(group)]
        labelled_value = (
            group == "a"
            or cue.rstrip(" \t\u3000").endswith(("：", ":", "——"))
            or (group == "r" and cue.endswith((" ", "\u3000")))  # 联系人 茆竹（兄）
            or _ZH_PERSON_AFTER.match(text, m.end(group)) is not None
        )
        kin = any(cue.rstrip(" \t\u3000").endswith(k) for k in _ZH_KIN)
        unlisted_ok = (
            (labelled_value or kin)
            and group in ("n", "r", "a")
            and 2 <= len(name) <= 4
            and name not in _ZH_NOT_NAMES
            and name not in common
            # after a kinship word alone the value must be name-shaped (要求输血 is running text)
            and (labelled_value or _name_shaped(name))
            and name[-1] not in "妇者性人儿童婴孩"
            and name[:1] not in lx.ZH_SURNAMES_AMBIGUOUS
        )
        if (known or unlisted_ok) and _function_free(name, labelled_value) and "某" not in name:
            clinical = _zh_clinical(name)
            if not clinical and not any(ch in lx.ZH_NAME_STOP_CHARS for ch in name):  # 查房 is no name
                yield start, m.end(group), "NAME", True
    surnames = gz.zh_surnames()
    for m in _ZH_NAME_FIELD.finditer(text):
        group = next(g for g in ("n", "m", "k") if m.group(g))
        name = m.group(group)
        if name[:2] in surnames or name[:1] in surnames:
            yield m.start(group), m.end(group), "NAME", True
    for m in _ZH_NAME_BEFORE_RECORD.finditer(text):
        name = m.group("n")
        if name not in _ZH_NOT_NAMES and name not in gz.zh_common_words() and not _zh_clinical(name):
            yield m.start("n"), m.end("n"), "NAME", True
    for m in _ZH_PERSON_FIELD.finditer(text):
        # the value of a labelled person field is a name whatever its surname (訾倩 is on no list), and
        # its first character may be one that ends a name in running text (从春华, 和亚楠)
        name = m.group("n")
        if (
            name not in _ZH_NOT_NAMES
            and "某" not in name
            and name not in gz.zh_common_words()
            and _function_free(name, _colon_labelled(m))
            and not any(ch in lx.ZH_NAME_STOP_CHARS for ch in name[1:])
            and not _zh_clinical(name)
            and (_colon_labelled(m) or _name_shaped(name))
            # 记录：腹痛缓解 / 记录：无特殊 are notes, not the recorder
            and (
                not re.match(r"记录[：:]", m.group(0))
                or (_name_shaped(name) and name[0] not in lx.ZH_NAME_STOP_CHARS)
            )
        ):
            yield m.start("n"), m.end("n"), "NAME", True
            yield from _next_names(text, m.end("n"))
    yield from _zh_sure_names(text)


def _zh(text: str) -> Iterator[Hit]:
    yield from _zh_name_fields(text)
    for m in _ZH_BED.finditer(text):
        group = "v" if m.group("v") else "w"
        yield m.start(group), m.end(group), "ID", True
    for m in _ZH_ID_LABEL.finditer(text):
        if any(c.isdigit() for c in m.group("v")):
            yield m.start("v"), m.end("v"), "ID", True
    for pattern in (_ZH_NATIVE, _ZH_IN_VERB, _ZH_RETURN):
        for m in pattern.finditer(text):
            span = _zh_value(text, m.start("v"), m.group("v"))
            cue = text[m.start() : m.start("v")]
            if span and _zh_place_like(text[span[0] : span[1]], any(c in cue for c in _ZH_ORG_CUES)):
                yield span[0], span[1], "LOCATION", pattern is _ZH_NATIVE
    full, short = gz.zh_admin_names()
    for m in _ZH_BEFORE_OCCUPATION.finditer(text):
        value = m.group("v")
        stem = re.sub(_ZH_ORG_SUFFIX + "$", "", value)
        if value in full or value in short or (stem != value and len(stem) >= 2 and not _running_text(value)):
            yield m.start("v"), m.end("v"), "LOCATION", True
    for m in _ZH_ORG.finditer(text):
        org, start = m.group(0), m.start()
        cut = max((i for i, ch in enumerate(org) if ch in _ORG_BOUNDARY), default=-1)
        org, start = org[cut + 1 :], start + cut + 1
        stem = re.sub(_ZH_ORG_SUFFIX + "$", "", org)
        if len(stem) < 2 or "某" in org or _running_text(org):
            continue
        # a work unit or school is named by its place (绍兴市第一中学, 桐庐县人民政府) or stands after
        # a cue (在恒源纺织集团任司机); "当地政府", "高等学校" are neither
        cued = _ZH_ORG_CUE.search(text[max(0, start - 6) : start]) is not None
        if cued or _starts_with_place(stem):
            yield start, start + len(org), "LOCATION", True
    for a, b in _admin_names(text):
        yield a, b, "LOCATION", False
    for m in _ZH_SINGLE_UNIT.finditer(text):
        group = "v" if m.group("v") else "w"
        unit = m.group(group)
        if unit not in _ZH_NOT_UNITS and not any(ch in _ORG_BOUNDARY for ch in unit):
            yield m.start(group), m.end(group), "LOCATION", False


_ORG_BOUNDARY = set("，。；、：:,.;！？（）() \t\n\u3000在于的是为和与及到至从自往由")
_ZH_ORG_CUE = re.compile(r"(?:毕业于|就读于|就职于|任职于|工作于|单位|单位[：:]|在|受雇于|供职于)\s*$")
_ADMIN_SUFFIX = re.compile(r"[市县区旗]")
# what may stand before a city / county / district name ("沿海城市" holds 海城市 but names no place)
_ADMIN_LEFT_OK = set("省市县区镇乡村旗州盟于在自从到至往住居过赴回返经是籍为，。；、：:,.;（）() \t\n\u3000")


def _starts_with_place(stem: str) -> bool:
    full, short = gz.zh_admin_names()
    if any(stem[:n] in short or stem[:n] in full for n in (2, 3, 4, 5)):
        return True
    return re.match(rf"[{CJK}]{{2,4}}(?:省|市|县|区|镇|乡)", stem) is not None


def _admin_names(text: str) -> Iterator[tuple[int, int]]:
    """Full city / county / district names of cpca's table (绍兴市, 桐庐县, 西湖区), found by looking
    back from each 市/县/区/旗 (a set lookup per suffix, not a 3,000-name regex)."""
    full, _ = gz.zh_admin_names()
    for m in _ADMIN_SUFFIX.finditer(text):
        end = m.end()
        for length in (6, 5, 4, 3):
            start = end - length
            if start >= 0 and text[start:end] in full:
                before = text[start - 1] if start else ""
                after_province = any(text[max(0, start - 3) : start].endswith(p) for p in lx.ZH_PROVINCES)
                left_ok = not before or before in _ADMIN_LEFT_OK or not re.match(f"[{CJK}]", before)
                if left_ok or after_province:
                    yield start, end
                break


def find(text: str) -> Iterator[Hit]:
    """Every hit of the Chinese-hospital-record rules, both languages (records mix scripts)."""
    ascii_letters = re.search(r"[A-Za-z]{2}", text) is not None
    if ascii_letters:
        yield from _pinyin_names(text)
        yield from _surnames_alone(text)
        yield from _intl_names(text)
        yield from _labelled_fields(text)
        yield from _en_places(text)
    for m in _POSTCODE.finditer(text):
        yield m.start("v"), m.end("v"), "LOCATION", True
    if re.search(f"[{CJK}]", text):
        yield from _zh(text)
