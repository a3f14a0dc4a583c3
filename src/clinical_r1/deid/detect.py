"""Find identifiers in clinical text (English and Chinese) with a rule set: patterns + context cues.

Each recognizer returns `Span`s; `find_spans` runs them all, drops weak hits inside protected
clinical phrases (eponyms such as "Parkinson disease"), and merges overlaps. Both languages' rules
always run: records mix scripts (English drug names in Chinese notes, Chinese names in English).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from stdnum.cn import ric as cn_ric

from clinical_r1.deid import cnrecord
from clinical_r1.deid import lexicon as lx

Category = Literal["NAME", "DATE", "AGE", "PHONE", "EMAIL", "LOCATION", "ID", "HOSPITAL", "URL", "IP"]
CATEGORIES: tuple[Category, ...] = (
    "NAME",
    "DATE",
    "AGE",
    "PHONE",
    "EMAIL",
    "LOCATION",
    "ID",
    "HOSPITAL",
    "URL",
    "IP",
)
# When two hits overlap, the merged span takes the category that comes first here.
_PRIORITY = {
    c: i
    for i, c in enumerate(
        ["EMAIL", "URL", "IP", "ID", "PHONE", "DATE", "HOSPITAL", "LOCATION", "NAME", "AGE"]
    )
}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    category: Category
    text: str
    # "strong" hits (patterns, explicit cues) survive protection; "weak" ones (guesses from word lists,
    # propagation) are dropped when they fall inside a protected clinical phrase.
    strong: bool = True


CJK = "\u4e00-\u9fff"


def _rx(pattern: str, flags: int = 0) -> re.Pattern:
    # ASCII mode: a Chinese character next to "13812345678" or "John" must count as a word boundary.
    return re.compile(pattern, flags | re.ASCII)


_NAME_TOKEN = r"[A-Z][a-zA-Z'’\-]*[a-z][a-zA-Z'’\-]*"  # Capitalised, not an all-caps acronym
_NAME_SEQ = rf"(?:[A-Z]\.[ \t]?){{0,2}}{_NAME_TOKEN}(?:[ \t]+(?:[A-Z]\.[ \t]+)?{_NAME_TOKEN}){{0,2}}"


def _span(m: re.Match, group: int | str, category: Category, strong: bool = True) -> Span:
    return Span(m.start(group), m.end(group), category, m.group(group), strong)


# ----------------------------------------------------------------------------- simple patterns
EMAIL_RE = _rx(r"[A-Za-z0-9][\w.+'\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
URL_RE = _rx(
    r"(?:https?://|ftp://|www\.)[^\s，。；、）)<>\"'\]]+"
    r"|\b[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:com|org|net|edu|gov|us|uk|cn|io|co|info|me|health)"
    r"/[^\s，。；、）)<>\"'\]]*",
    re.IGNORECASE,
)
IPV4_RE = _rx(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")
IPV6_RE = _rx(
    r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){1,7}(?::|(?::[0-9A-Fa-f]{1,4}){1,6}|[0-9A-Fa-f]{1,4})(?![\w:])"
)

PHONE_RES = [
    # North American: (617) 555-0134, 617.555.0134, +1 617 555 0134, 1-800-555-0199, ext. 214
    _rx(
        r"(?<![\w/.])(?:\+?1[\s.\-]?)?(?:\(\d{3}\)|\d{3})[\s.\-]?\d{3}[\s.\-]?\d{4}"
        r"(?:\s*(?:ext\.?|x|extension)\s*\d{1,5})?(?![\w/]|\.\d)",
        re.IGNORECASE,
    ),
    _rx(r"(?<![\w/.])\d{3}/\d{3}/\d{4}(?![\w/])"),  # 408/555/0171
    _rx(r"(?<![\w.])0\d{3,4}[ \t\-]?\d{5,7}(?![\w]|\.\d)"),  # UK/EU style: 01434 600123
    # Chinese mobile: 13812345678, 138 1234 5678, 138-1234-5678, +86 138…
    _rx(r"(?<![\w.])(?:\+?86[\s\-]?)?1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}(?![\w]|\.\d)"),
    # Chinese landline: 010-12345678, (0755)23456789, 021 6543 2109
    _rx(
        r"(?<![\w.])(?:\+?86[\s\-]?)?(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[\s\-]?\d{3,4}[\s\-]?\d{4}(?![\w]|\.\d)"
    ),
    # International with a + prefix
    _rx(r"(?<![\w.])\+\d{1,3}[\s\-]?\(?\d{1,4}\)?(?:[\s\-]?\d{2,4}){2,4}(?![\w]|\.\d)"),
]

CN_ID_RE = _rx(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)

def cn_id_verified(number: str) -> bool:
    """An 18-digit resident ID whose check digit, birth date and region code verify (python-stdnum's
    cn.ric). Every 18-digit shape is removed; a verified one is a strong hit, one that fails a weak one
    (a run of 8+ digits is removed as a long code too, LONG_CODE_RE)."""
    return cn_ric.is_valid(number)


SSN_RE = _rx(r"(?<![\d\-])\d{3}-\d{2}-\d{4}(?![\d\-])")
ID_CUES = (
    r"MRN|medical\s+record(?:\s+(?:number|no\.?|#))?|record\s+(?:number|no\.?|#)|chart\s+(?:number|no\.?|#)|"
    r"account(?:\s+(?:number|no\.?|#))?|acct\.?|SSN|social\s+security(?:\s+(?:number|no\.?|#))?|"
    r"insurance(?:\s+(?:id|number|no\.?|#))?|member\s+id|policy(?:\s+(?:number|no\.?|#))?|"
    r"subscriber\s+id|medicare(?:\s+(?:id|number|no\.?|#))?|medicaid(?:\s+(?:id|number|no\.?|#))?|"
    r"(?:driver'?s\s+)?licen[cs]e(?:\s+(?:number|no\.?|#))?|passport(?:\s+(?:number|no\.?|#))?|"
    r"patient\s+id|health\s+card|NHS\s+number|accession(?:\s+(?:number|no\.?|#))?|(?-i:ID)(?:\s+(?:number|no\.?|#))?|"
    r"身份证(?:号码|号)?|住院号|门诊号|病案号|病历号|医保卡号?|医保号|社保卡号?|社保号|就诊卡号?|卡号|登记号|"
    r"档案号|护照号?|证件号码?|ID号|床旁号|微信号?|QQ号?|支付宝(?:账号)?|账号|用户名|车牌号?|"
    r"病理号|标本号|检验号|条码号?|工号|学号|员工号|职工号|编号|NHS\s+no\.?|employee\s+(?:id|no\.?|number)|"
    r"portal\s+account|username|user\s+name|account|"
    r"(?:case|specimen|sample|lab|order|encounter|visit|claim|group|requisition)\s+(?:no\.?|number|#)"
)
ID_CUED_RE = _rx(
    rf"(?<![A-Za-z])(?:{ID_CUES})(?![A-Za-z])(?:\s*(?:on\s+file|number|no\.?|is))?\s*[:：#]?\s*#?\s*"
    r"(?P<v>(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9][A-Za-z0-9_\-]*(?:[ ](?=\d{3,})\d+)*)",
    re.IGNORECASE,
)
# Uncued long codes: 8+ digits, or letters mixed with 6+ digits (ZY2021000123, XJH123456789).
LONG_CODE_RE = _rx(
    r"(?<![\w.\-/^])(?:\d{8,}|[A-Z]{1,4}\d{6,}|\d{6,}[A-Z]{1,3}|[A-Z]{1,4}-?\d{2,4}-\d{4,})(?![\w.\-/])"
)

# ----------------------------------------------------------------------------- dates
MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
ORD = r"(?:st|nd|rd|th)?"
# the time of day attached to a full date goes with it: "March 14, 2021 14:30", "14-Mar-2021 at 9:05"
_AT_TIME = r"(?:,?[ \t]+(?:at[ \t]+)?\d{1,2}:\d{2}(?::\d{2})?(?![\d:]))?"
# ... and in Chinese: 2014年05月15日 14时, 14时30分, 8点, 14:30
_ZH_TIME = r"(?:[ \t]*(?:\d{1,2}[ \t]*[时点](?:[ \t]*\d{1,2}[ \t]*分)?|\d{1,2}:\d{2}(?::\d{2})?(?![\d:])))?"
DATE_RES = [
    # March 14, 2021 / Aug 9-10, 2021
    _rx(rf"\b{MONTH}\.?\s+\d{{1,2}}(?:[-–]\d{{1,2}})?{ORD},?\s+\d{{4}}\b{_AT_TIME}"),
    _rx(rf"\b\d{{1,2}}{ORD}\s+(?:of\s+)?{MONTH}\.?,?\s+\d{{4}}\b{_AT_TIME}"),  # 14 March 2021
    _rx(rf"\b\d{{1,2}}[\-\s/]{MONTH}[\-\s/]\d{{2,4}}\b{_AT_TIME}"),  # 14-Mar-2021
    _rx(rf"\b{MONTH}\.?\s+\d{{1,2}}{ORD}\b(?!\s*(?:mg|ml|mcg|g|kg|units?|%))"),  # March 14
    _rx(rf"\b{MONTH}\.?,?\s+\d{{4}}\b"),  # March 2021
    # ISO, with the time of day when one follows (2021-05-22 10:32)
    _rx(
        r"(?<![\d./\-])\d{4}([\-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?![\d./\-]*\d)"
        r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?!\d)|[ \t]+at[ \t]+\d{1,2}:\d{2}(?!\d))?"
    ),
    # 3/14/21, 3-14-2021: the same separator twice ("5.21-20" and "12.5-25" are ranges)
    _rx(
        r"(?<![\d./\-])(?:0?[1-9]|1[0-2])([/\-.])(?:0?[1-9]|[12]\d|3[01])\1(?:\d{4}|\d{2})(?![\d./\-]*\d)"
        + _AT_TIME
    ),
    # 14.03.2021
    _rx(r"(?<![\d./\-])(?:0?[1-9]|[12]\d|3[01])[/.](?:0?[1-9]|1[0-2])[/.]\d{4}(?![\d./\-]*\d)" + _AT_TIME),
    # month/day without a year only after a word that introduces a date ("on 3/14")
    _rx(
        r"(?:\b(?:on|since|from|until|till|by|dated|before|after|as\s+of|admission|admitted|discharged?|"
        r"note|letter|visit|seen|date|DOS|surgery|follow-up)[ \t]*:?[ \t]*(?:[-–][ \t]*)?)"
        r"(?P<d>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))(?![\d/])(?![ \t]*(?:strength|power|tab|of)\b)",
        re.IGNORECASE,
    ),
    _rx(r"\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号]" + _ZH_TIME + ")?"),
    _rx(r"(?<![\d年])\d{1,2}\s*月\s*\d{1,2}\s*[日号]" + _ZH_TIME),
]

# ----------------------------------------------------------------------------- ages over 89
AGE_RES = [
    _rx(r"(?<![\d.])(?P<a>\d{2,3})(?=\s*-?\s*(?:(?:years?|yrs?|y/?o|yo)\b|y\.\s?o\.))", re.IGNORECASE),
    _rx(r"\b(?:aged?|age:)\s*:?\s*(?P<a>\d{2,3})\b(?!\s*(?:mg|kg|%))", re.IGNORECASE),
    _rx(r"(?<![\d.])(?P<a>\d{2,3})(?=\s*(?:岁|周岁))"),
    _rx(r"年龄\s*[：:]?\s*(?P<a>\d{2,3})"),
    _rx(r"(?<![\w.])(?P<a>\d{2,3})\s*(?:yo\s*)?[MF](?=\W)"),  # "92 M", "(99 yo M)"
    _rx(r"\b(?:[MF]|male|female)[ \t]*,?[ \t]*(?P<a>\d{2,3})(?![\d.%])(?![ \t]*(?:mg|kg|cm|%))"),  # "F 95"
]

# ----------------------------------------------------------------------------- hospitals
_HOSP_HEAD = (
    r"(?:Hospital|Medical\s+Cent(?:er|re)|Health\s+Service\s+(?:Cent(?:er|re)|Station)|Clinic|Infirmary|Health\s+(?:System|Cent(?:er|re))|Cancer\s+Cent(?:er|re)|"
    r"Nursing\s+Home|Hospice|Rehabilitation\s+Cent(?:er|re)|Surgery\s+Cent(?:er|re)|Medical\s+Group|"
    r"(?:Family|Medical|Group|General)\s+Practice|Urgent\s+Care|(?:Nursing|Care|Dialysis|Birth|Wellness)\s+"
    r"Cent(?:er|re)|Care\s+Home|Regional|Health\s+Cent(?:er|re)|Health\s+Clinic|Pharmacy|"
    r"Surgical\s+(?:Suites?|Cent(?:er|re)|Hospital)|(?:Urology|Cardiology|Orthop(?:a)?edics?|Oncology|Dermatology|"
    r"Neurology|Gastroenterology|P(?:a)?ediatrics?|Pulmonology|Nephrology|Rheumatology|Endocrinology|Ophthalmology|"
    r"ENT|Spine|Vascular|Women's\s+Health)\s+(?:Partners|Consultants|Institute|Group|Associates)|(?:Endoscopy|Imaging|Infusion|Ambulatory\s+Surgery)\s+"
    r"Cent(?:er|re)|Associates|Physicians|Specialists|Medical\s+Partners)"
)
_HOSP_WORD = r"(?:No\.?[ \t]?\d{1,2}(?!\d)|[A-Z][A-Za-z'’.\-]*|St\.|&)"  # "Suqian No. 2 Hospital"
HOSPITAL_EN_RES = [
    _rx(rf"(?:{_HOSP_WORD}[ \t]+(?:(?:and|of|for|the|de|la)[ \t]+)?){{1,6}}{_HOSP_HEAD}\b"),
    _rx(
        rf"\b(?:Hospital|Clinic|Infirmary)[ \t]+(?:for|of)[ \t]+(?:the[ \t]+)?"
        rf"{_NAME_TOKEN}(?:[ \t]+(?:and[ \t]+)?{_NAME_TOKEN}){{0,6}}"
    ),
]
_HOSP_LEADING_NOISE = {
    "The",
    "At",
    "To",
    "From",
    "In",
    "Our",
    "Outside",
    "Local",
    "Seen",
    "Admitted",
    "Transferred",
    "Referred",
    "Re",
    "Dear",
    "Kind",
    "Regards",
    "A",
    "An",
}
HOSPITAL_ZH_RE = _rx(
    rf"[{CJK}A-Za-z0-9（）()]{{2,30}}?(?:医院|卫生院|医疗中心|医学中心|卫生服务中心|保健院|诊所|门诊部|眼科中心|"
    r"妇幼保健计划生育服务中心|计划生育服务中心|妇幼保健中心|"
    r"肿瘤中心|心血管病?中心|康复中心|体检中心|透析中心|急救中心|疾控中心|疾病预防控制中心|研究所|卫生室|卫生所|卫生站|服务站)"
)
_ZH_BOUNDARY = set(
    "于在至到自往从送赴由经转入出为的后来去办给了把将向是我你他她住进回抵达、，。：:；;！？ \t\n"
)

# ----------------------------------------------------------------------------- locations
_STREET_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Place|Pl|Way|Terrace|Ter|"
    r"Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Row|Alley)"
)
ADDRESS_EN_RE = _rx(
    rf"(?P<street>\b\d{{1,6}}[ \t]+(?:[NSEW]\.?[ \t]+)?(?:[A-Z][a-z]+\.?[ \t]+){{1,3}}{_STREET_SUFFIX}\b\.?"
    r"(?:,?[ \t]+(?:Apt|Apartment|Unit|Suite|Ste|Fl|Floor|#)\.?[ \t]*#?[\w\-]+)?)"
    r"(?:,[ \t]*(?P<city>[A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?))?"
    r"(?:,?[ \t]*[A-Z]{2})?(?:[ \t]+(?P<zip>\d{5}(?:-\d{4})?))?"
)
COUNTY_RE = _rx(r"\b(?:[A-Z][a-z]+[ \t]){1,3}(?:County|Parish|Township|Borough)\b")
_VENUE_HEAD = (
    r"(?:Arena|Stadium|Airport|Mall|Plaza|Station|Church|Cathedral|Temple|Mosque|Synagogue|High\s+School|"
    r"Elementary\s+School|Middle\s+School|Academy|University|College|Prison|Correctional\s+Facility|Jail|"
    r"Shelter|Factory|Farm|Ranch|Hotel|Motel|Casino|Zoo|Senior\s+Living|Assisted\s+Living|Nursing\s+Facility)"
)
VENUE_RE = _rx(rf"(?:{_HOSP_WORD}[ \t]+(?:(?:of|the|and)[ \t]+)?){{1,5}}{_VENUE_HEAD}\b")
SAINT_RE = _rx(r"\b(?:St\.?|Saint)[ \t]+[A-Z][a-z]+(?:['’]s)?(?![ \t]+(?:[Jj]ohn['’]s[ \t]+)?(?:wort|dance))")
HEALTH_SYSTEM_RE = _rx(
    r"\b(?:" + "|".join(re.escape(n) for n in lx.EN_HEALTH_SYSTEMS) + r")(?:[ \t]+[A-Z][a-z]+){0,3}"
)
# "a warehouse in Joliet", "visits from Portland": a preposition after a lower-case word (so not a
# Title Case heading such as "Pain in Lower Back"), then a capitalised word that is nothing else.
PREP_PLACE_RE = _rx(
    r"(?<![A-Za-z'’\-])(?P<prev>[a-z][a-z'’\-]*)[ \t]+(?:in|from|near|at|to|outside|around)[ \t]+"
    r"(?:the[ \t]+)?"
    r"(?:rural[ \t]+|downtown[ \t]+|suburban[ \t]+)?"
    r"(?P<c>(?:St\.[ \t])?[A-Z][a-z]{2,}(?:[ \t][A-Z][a-z]{2,})?)(?![A-Za-z'’-])"
)
# "due to Brugia malayi", "exposure to Aspergillus": a cause, not a place
_CAUSE_WORDS = {
    "due",
    "secondary",
    "related",
    "attributed",
    "attributable",
    "owing",
    "exposed",
    "exposure",
    "allergic",
    "allergy",
    "sensitive",
    "resistant",
    "positive",
    "negative",
    "susceptible",
}
UK_POSTCODE_RE = _rx(r"\b[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}\b")
STREET_NAME_RE = _rx(
    r"\b(?:on|at|off|near)[ \t]+(?P<street>(?:[A-Z][a-z]+[ \t]){1,2}(?:Street|Avenue|Boulevard|Road|Lane))\b"
    r"(?:,[ \t]*(?P<city>[A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?))?"
)
# "Eau Claire, WI 54701": the words before a state code and a ZIP are a city
CITY_STATE_ZIP_RE = _rx(
    r"(?P<c>[A-Z][a-z]+(?:[ \t][A-Z][a-z]+){0,2}),?[ \t]+[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?\b"
)
# I-94, Interstate 80, Route 66 (not the isotopes I-123, I-125, I-131)
HIGHWAY_RE = _rx(r"\bI-(?!12[345]\b|131\b)\d{1,3}\b|\b(?:Interstate|Highway|Route|Hwy)[ \t]+\d{1,3}\b")
ZIP_RE = _rx(
    r"(?:\b[A-Z]{2}[ \t]+|\b(?:ZIP|zip|postal code|Zip code|ZIP code)[:\s]*)(?P<z>\d{5}(?:-\d{4})?)\b"
)
CITY_CUE_EN_RE = _rx(
    r"\b(?:lives?(?:\s+alone)?\s+in|living\s+in|resides\s+in|resident\s+of|residing\s+in|travell?ed\s+to|"
    r"trip\s+to|returned\s+from|visiting\s+from|moved\s+(?:here\s+)?from|originally\s+from|native\s+of|"
    r"born\s+in|home\s+in|(?:teacher|worker|farmer|man|woman|resident|student|engineer|driver|nurse|"
    r"veteran|retiree)\s+from)\s+(?P<c>(?:St\.[ \t]|Saint[ \t])?[A-Z][a-z]{2,}(?:[ \t][A-Z][a-z]+)?)"
)
_ZH_ADMIN = rf"[{CJK}]{{1,8}}?(?:省|自治区|市|自治州|地区|盟|区|县|旗|镇|乡|街道|村)"
ADDRESS_ZH_RE = _rx(
    rf"(?:{_ZH_ADMIN}){{2,6}}(?:[{CJK}\d]{{1,10}}?(?:路|街|大道|巷|弄|胡同))?(?:\d+号)?"
    rf"(?:[{CJK}]{{2,6}}?(?:小区|花园|苑|园|里|公寓|大厦)?(?=\d+(?:栋|幢|号楼|楼|座)))?(?:\d+(?:栋|幢|号楼|楼|座))?(?:\d+单元)?"
    r"(?:(?<=村)委会)?(?:\d+(?:组|队|社)(?=\d))?(?:\d+(?:室|号|组|队|社)|(?<=[栋幢座])\d{3,4}(?![\d号]))?"
    rf"|[{CJK}]{{2,8}}?(?:路|街|大道)(?:\d+(?:弄|巷))?\d+号(?:附\d+号|院(?=\d+(?:栋|幢|号楼|楼|座)))?(?:[{CJK}]{{2,6}}?(?:小区|花园|苑|园|里|公寓|大厦)?(?=\d+(?:栋|幢|号楼|楼|座)))?"
    r"(?:\d+(?:栋|幢|号楼|楼|座))?(?:\d+单元)?(?:\d+室|(?<=[栋幢座])\d{3,4}(?![\d号]))?"
)
_ZH_PLACE_HEAD = (
    r"(?:农贸市场|海鲜市场|市场|商场|公园|火车站|汽车站|高铁站|机场|小学|幼儿园|养老院|敬老院|福利院)"
)
PLACE_ZH_RE = _rx(rf"[{CJK}A-Za-z0-9]{{2,20}}?{_ZH_PLACE_HEAD}")
ADDRESS_ZH_CUED_RE = _rx(
    r"(?:现住址|家庭住址|住址|地址|户籍地址?|居住地|家住|现住|住在|居住于|居住在)\s*[：:]?\s*"
    rf"(?P<a>[{CJK}\dA-Za-z\-#（）()]{{2,40}})"
)
_ZH_ADDR_CUE_PREFIXES = [
    "现住址",
    "家庭住址",
    "住址",
    "地址",
    "家住",
    "现住",
    "住在",
    "居住于",
    "居住在",
    "位于",
    "来自",
    "户籍",
]
CITY_CUE_ZH_RE = _rx(
    rf"(?:来自|去过|到过|前往|途经|返回|回到|赴|居住在|生活在|旅居|出差到|患者从|病人从|近期从|曾在)(?P<c>[{CJK}]{{2,4}})"
)
# what may follow a bare place name after such a cue
_ZH_AFTER_PLACE = set("市县区镇村等地旅出回来返探打务工，。；、,.;（( \n")

# ----------------------------------------------------------------------------- names
_TITLE_RE = _rx(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Doctor|Sister|Nurse)\.?[ \t]+(?P<n>{_NAME_SEQ})")
_CREDENTIAL_RE = _rx(
    rf"(?P<n>{_NAME_SEQ}),?[ \t]+"
    r"(?P<cred>MD|M\.D\.|DO|RN|NP|PA-C|PA|PhD|MBBS|DNP|LPN|CNA|FACP|FRCP|MRCP|APRN)\b"
)
_LABEL_RE = _rx(
    r"(?i:\b(?:patient(?:\s+name)?|pt|name|attending|pcp|contact|emergency\s+contact|physician|provider|"
    r"referring\s+physician|seen\s+by|signed\s+by|dictated\s+by|examined\s+by|reviewed\s+by|by|notify|"
    r"caregiver|wife|husband|son|daughter|mother|father|brother|sister|partner|spouse|"
    r"neighbou?r|friend|guardian|grandson|granddaughter|nurse|resident|surgeon|your\s+patient|patient|"
    r"aunt|uncle|niece|nephew|cousin|roommate|room-mate|flatmate|caller|fianc[eé]e?|boyfriend|girlfriend|"
    r"stepson|stepdaughter|stepfather|stepmother|goes\s+by|nicknamed?|(?:mother|father|son|daughter|brother|"
    r"sister)-in-law|supervisor|manager|employer|co-?worker|colleague|companion|coach|pastor|officer|"
    r"interpreter|translator|social\s+worker|case\s+manager|chaplain|midwife|doula|therapist|pharmacist|"
    r"dentist|optometrist|landlord|tenant|teacher|RN|LPN|NP|APRN|"
    r"dear)[ \t]*[:(,]?[ \t]*['\"‘“]?|"
    r"\b(?:to|from|re|cc|dear)[ \t]*:)"
    r"[ \t]*(?P<n>" + _NAME_SEQ + r"(?:,[ \t]*" + _NAME_TOKEN + r")?)"
)
# Single-token labels that are safe even for a one-word name: relatives and explicit name fields.
_STRONG_LABELS = _rx(
    r"(?i)^(?:patient\s+name|name|wife|husband|son|daughter|mother|father|brother|sister|partner|spouse|"
    r"caregiver|guardian|emergency\s+contact|contact|attending|pcp|seen\s+by|signed\s+by|dictated\s+by|"
    r"grandson|granddaughter|aunt|uncle|niece|nephew|cousin|roommate|room-mate|flatmate|caller|fianc[eé]e?|"
    r"boyfriend|girlfriend|stepson|stepdaughter|stepfather|stepmother|goes\s+by|nicknamed?|"
    r"(?:mother|father|son|daughter|brother|sister)-in-law)$"
)
_SUBJECT_RE = _rx(
    rf"(?P<n>{_NAME_TOKEN}[ \t]+{_NAME_TOKEN})(?=[ \t]+(?:is[ \t]+an?|was[ \t]+an?|"
    r"was[ \t]+(?:brought|admitted|seen|transferred|found|referred)|presents|presented|reports|reported|"
    r"denies|complains|returns|returned|comes|came|underwent|arrived)\b|[ \t]*\(\d)"
)
# SOAP style "S: Mei reports ...": one capitalised word before a reporting verb.
_SINGLE_SUBJECT_RE = _rx(
    rf"(?:^|[.:;!?\n][ \t]*)(?P<n>{_NAME_TOKEN})(?=[ \t]+(?:reports|reported|denies|denied|states|stated|"
    r"complains|endorses|endorsed|presents|presented)\b)",
    re.MULTILINE,
)
# Robert 'Bob' Feeney: a quoted nickname between two capitalised words is a name, all three parts.
_NICKNAME_RE = _rx(rf"(?P<n>{_NAME_TOKEN}[ \t]+['\"‘“]{_NAME_TOKEN}['\"’”][ \t]+{_NAME_TOKEN})")
# GONZALEZ, MARIA E after a name field ("Patient:", "for:", "Name:")
_CAPS_NAME_RE = _rx(
    r"(?i:\b(?:patient|pt|name|for|re|member|insured|subscriber|guarantor))[ \t]*:?[ \t]*"
    r"(?P<n>[A-Z][A-Z'\-]+,[ \t]*[A-Z][A-Z'\-]+(?:[ \t]+[A-Z]\b\.?)?)"
)
_INITIALS_RE = _rx(r"\b(?:(?i:initials)[ \t]*:?|(?i:initial)[ \t]*:)[ \t]*(?P<n>(?:[A-Z]\.?[ \t]?){2,4})")
_ROLE_RE = _rx(
    r"\b(?:[a-z]+ologist|[a-z]+iatrist|coordinator|investigator|technician|technologist|assistant|aide|"
    r"scribe|student|fellow|intern|practitioner|paramedic|EMT|counsell?or|advocate|volunteer|sonographer|"
    r"phlebotomist|dietitian|nutritionist|physiotherapist|psychologist|clinician|provider|host|donor)[ \t]+"
    rf"(?P<n>{_NAME_TOKEN}[ \t]+{_NAME_TOKEN})"
)
_FIRSTNAME_RE = _rx(rf"\b(?P<n>{_NAME_TOKEN})(?:[ \t]+(?P<l>{_NAME_TOKEN}))?")
_EPONYM_RE = _rx(
    rf"\b{_NAME_TOKEN}(?:[\-–][A-Z][a-zé]+)*(?:['’]s)?(?:[ \t]+{_NAME_TOKEN})?"
    rf"[ \t]+(?i:{lx.EN_EPONYM_HEADS})\b"
)
_EPONYM_PHRASE_RE = _rx("|".join(re.escape(p) for p in sorted(lx.EN_EPONYM_PHRASES, key=len, reverse=True)))

_ZH_SURNAME = "(?:" + "|".join(lx.ZH_SURNAMES_COMPOUND) + "|[" + "".join(sorted(lx.ZH_SURNAMES_SINGLE)) + "])"
# After an explicit label (姓名：) even surnames that double as function words (于, 向...) are names.
_ZH_SURNAME_ANY = (
    "(?:"
    + "|".join(lx.ZH_SURNAMES_COMPOUND)
    + "|["
    + "".join(sorted(lx.ZH_SURNAMES_SINGLE | lx.ZH_SURNAMES_AMBIGUOUS))
    + "])"
)
_ZH_STRONG_LABEL_RE = _rx(
    r"(?:患者姓名|病人姓名|姓名|联系人|家属|主治医师|主治医生|主管医生|主管医师|经治医师|会诊医生|会诊医师|护士长|科主任|"
    r"接诊医生|医师签名|医生签名|签名|记录者|记录人|报告人|审核人|审核|申请医生|送检医生|代诉人|监护人|"
    r"主任医师|副主任医师|住院医师|责任护士|护士|医师|医生|患者|病人|患儿|陈述者|主治|主管|经治|术者|"
    r"手术医生|助手|麻醉医师|麻醉师|丈夫|妻子|父亲|母亲|儿子|女儿|配偶|家长|产妇丈夫|孕妇|产妇|记录|主刀|"
    r"一助|二助|器械护士|巡回护士|操作者|检查者|报告医师|审核医师|录入|记录员|紧急联系人|授权委托人|委托人|亲属|"
    r"陪同人|代诉人|联系人姓名|经治医生|上级医师|记录医师|签字人)"
    r"(?:\s*[：:]\s*|[ \t\u3000]+)"
    rf"(?P<n>{_ZH_SURNAME_ANY}[{CJK}]{{1,2}})"
)
_ZH_WEAK_LABEL_RE = _rx(
    r"(?:患者|病人|患儿|其子|其女|其妻|其夫|其母|其父|家属|之子|之女|陪同者|女儿|儿子|丈夫|妻子|母亲|父亲|"
    r"配偶|孙子|孙女|由|请|致|送检者|孕妇|产妇|伤者|病员|护士|医师|医生|主管护士|责任护士|主治医师|主管医生|"
    r"上级医师|上级医生|主任医师|副主任医师|住院医师|值班医师|值班医生|监护人|陪同人|委托人|联系人|护士长)"
    rf"(?P<n>{_ZH_SURNAME}[{CJK}]{{1,2}})"
)
# 患者Zhang Wei（张伟）: a romanised name after a Chinese cue, and a Chinese name in brackets after it
_ZH_PINYIN_RE = _rx(
    rf"(?:患者|病人|患儿|姓名[：:]?|家属|联系人[：:]?)[ \t]*(?P<p>{_NAME_TOKEN}[ \t]+{_NAME_TOKEN})"
    rf"(?:[ \t]*[（(](?P<z>{_ZH_SURNAME_ANY}[{CJK}]{{1,2}})[)）])?"
)
_ZH_RELATIVE_RE = _rx(
    r"(?:父亲|母亲|女儿|儿子|丈夫|妻子|配偶|孙子|孙女|哥哥|姐姐|弟弟|妹妹|家属|本人|外孙|外孙女|儿媳|女婿|外甥女?|"
    r"侄子|侄女|舅舅|姑姑|阿姨|叔叔|伯伯|姐夫|嫂子|表[哥姐弟妹]|堂[兄弟姐妹]|女友|男友|朋友|同事|邻居|保姆|护工|"
    r"之妻|之夫|之子|之女|之父|之母|奶奶|爷爷|外婆|外公|姥姥|姥爷|祖母|祖父|婆婆|公公|岳母|岳父|"
    r"受种者|受检者|就诊者|来访者|当事人|求助者)[，,：:]?"
    rf"(?P<n>{_ZH_SURNAME}[{CJK}]{{1,2}})"
)
_ZH_NAME_AGE_RE = _rx(rf"(?:^|(?<=[\s，,：:（(]))(?P<n>{_ZH_SURNAME}[{CJK}]{{1,2}})[，,]\s*\d{{1,3}}岁")
_ZH_TITLE_RE = _rx(
    rf"(?<![主责担信首])(?P<n>{_ZH_SURNAME}(?:[{CJK}]{{1,2}})?)(?=医生|医师|大夫|护士|主任|教授|院长|老师|先生|女士|同志)"
)
# 医师签名：袁睿/姚涛: the second of two names that share a signature label ("咳白痰／白唾液" has none)
_ZH_NAME_LIST_RE = _rx(
    r"(?:签名|签字|医师|医生|术者|助手|护士|记录者|记录人|审核)[ \t]*[：:]?[ \t]*"
    rf"[{CJK}]{{2,4}}[/／](?P<n>{_ZH_SURNAME_ANY}[{CJK}]{{1,2}})(?=$|[\s，,。；;/／、）)])",
    re.MULTILINE,
)
# 于先生, 向女士: surnames that double as function words, only before 先生/女士 and at a clear start
_ZH_AMBIGUOUS_TITLE_RE = _rx(
    rf"(?:^|(?<=[\s，,。；;：:（(]))(?P<n>[{''.join(sorted(lx.ZH_SURNAMES_AMBIGUOUS))}])(?=先生|女士)"
)
_ZH_SEX_AFTER_RE = _rx(
    rf"(?:^|(?<=[\s，,。；;：:（(]))(?P<n>{_ZH_SURNAME}[{CJK}]{{1,2}})(?=[，,（(、\s]+[男女](?:[，,）)、\s性]|$))"
)


# Medical word endings (Dermatitis, Nephropathy, Anemia...): such a word is never part of a name.
_MEDICAL_WORD = re.compile(
    r"(?:itis|osis|emia|aemia|carcinoma|lymphoma|sarcoma|pathy|algia|ectomy|otomy|plasty|scopy|uria|"
    r"penia|philia|plegia|trophy|genic|cardia|pnea|rrhea|rrhoea|lysis|megaly|sclerosis|spasm|aneurysm|"
    r"virus|viridae|bacter|coccus|cocci|bacillus|myces|monas)$",
    re.IGNORECASE,
)


def _trim_zh_name(candidate: str) -> str:
    """Cut a Chinese name candidate at the first character that starts the following phrase."""
    surname_len = 2 if candidate[:2] in lx.ZH_SURNAMES_COMPOUND else 1
    given = ""
    for ch in candidate[surname_len:]:
        if ch in lx.ZH_NAME_STOP_CHARS:
            break
        given += ch
    return candidate[:surname_len] + given if given else ""


def _is_clinical_zh(name: str) -> bool:
    return any(name.startswith(p) or p.startswith(name) for p in lx.ZH_CLINICAL_PREFIXES)


def _en_name_tokens(text: str) -> list[tuple[int, int]]:
    """Offsets of the usable name tokens in a name candidate, stopping at the first non-name word."""
    out = []
    for m in re.finditer(r"[A-Za-z][A-Za-z'’\-.]*", text):
        word = m.group(0).rstrip(".")
        if (
            word in lx.EN_NOT_NAMES
            or word.lower() in {"and", "of", "the", "for"}
            or _MEDICAL_WORD.search(word)
        ):
            break
        if re.fullmatch(r"[A-Z]", word):  # an initial: part of the name when a name follows
            if out or re.search(r"[A-Za-z]{2}", text[m.end() :]):
                out.append(
                    (m.start(), m.start() + 2 if text[m.start() + 1 : m.start() + 2] == "." else m.end())
                )
            continue
        end = m.start() + len(word)
        if word.endswith(("'s", "’s")):
            end -= 2
        out.append((m.start(), end))
    return out


def _name_spans(text: str, m: re.Match, group: str, strong: bool, min_tokens: int = 1) -> list[Span]:
    candidate = m.group(group)
    base = m.start(group)
    tokens = _en_name_tokens(candidate)
    if len(tokens) < min_tokens:
        return []
    start, end = base + tokens[0][0], base + tokens[-1][1]
    if text[start:end] in lx.EN_COARSE_PLACES:
        return []
    return [Span(start, end, "NAME", text[start:end], strong)]


# ----------------------------------------------------------------------------- recognizers
def _find_patterns(text: str) -> Iterable[Span]:
    for m in EMAIL_RE.finditer(text):
        yield _span(m, 0, "EMAIL")
    for m in URL_RE.finditer(text):
        url = m.group(0).rstrip(".,;:!?")
        yield Span(m.start(), m.start() + len(url), "URL", url)
    for m in IPV4_RE.finditer(text):
        if all(int(part) <= 255 for part in m.group(0).split(".")):
            yield _span(m, 0, "IP")
    for m in IPV6_RE.finditer(text):
        if "::" in m.group(0) or m.group(0).count(":") >= 5:
            yield _span(m, 0, "IP")
    for m in CN_ID_RE.finditer(text):
        yield _span(m, 0, "ID", strong=cn_id_verified(m.group(0)))
    for m in SSN_RE.finditer(text):
        yield _span(m, 0, "ID")
    for m in ID_CUED_RE.finditer(text):
        yield _span(m, "v", "ID")
    phones = [
        _span(m, 0, "PHONE")
        for pattern in PHONE_RES
        for m in pattern.finditer(text)
        if sum(c.isdigit() for c in m.group(0)) >= 7
    ]
    yield from phones
    for m in LONG_CODE_RE.finditer(text):  # an uncued long number that is phone-shaped is a phone
        if not any(p.start <= m.start() and m.end() <= p.end for p in phones):
            yield _span(m, 0, "ID")


def _find_dates(text: str) -> Iterable[Span]:
    for pattern in DATE_RES:
        for m in pattern.finditer(text):
            yield _span(m, "d" if "d" in pattern.groupindex else 0, "DATE")


def _find_ages(text: str) -> Iterable[Span]:
    for pattern in AGE_RES:
        for m in pattern.finditer(text):
            if 90 <= int(m.group("a")) <= 130:
                yield _span(m, "a", "AGE")


def _find_hospitals(text: str) -> Iterable[Span]:
    for pattern in HOSPITAL_EN_RES:
        for m in pattern.finditer(text):
            start, words = m.start(), m.group(0).split()
            while words and words[0] in _HOSP_LEADING_NOISE:
                start = text.index(words[1], start + len(words[0])) if len(words) > 1 else m.end()
                words = words[1:]
            if len(words) >= 2:
                yield Span(start, m.end(), "HOSPITAL", text[start : m.end()])
    for m in HOSPITAL_ZH_RE.finditer(text):
        name, start = m.group(0), m.start()
        cut = max((i for i, ch in enumerate(name) if ch in _ZH_BOUNDARY), default=-1)
        name, start = name[cut + 1 :], start + cut + 1
        prefix = re.sub(
            r"(?:医院|卫生院|医疗中心|医学中心|卫生服务中心|保健院|诊所|门诊部|眼科中心|妇幼保健计划生育服务中心|"
            r"计划生育服务中心|妇幼保健中心|肿瘤中心|心血管病?中心|康复中心|"
            r"体检中心|透析中心|急救中心|疾控中心|疾病预防控制中心|研究所|卫生室|卫生所|卫生站|服务站)$",
            "",
            name,
        )
        generic = any(prefix.startswith(g) for g in lx.ZH_GENERIC_HOSPITAL_PREFIXES)
        if len(prefix) < 2 or generic or (prefix.endswith("科") and len(prefix) <= 3):
            continue
        yield Span(start, start + len(name), "HOSPITAL", name)


def _find_locations(text: str) -> Iterable[Span]:
    for m in ADDRESS_EN_RE.finditer(text):
        yield _span(m, "street", "LOCATION")
        if m.group("city") and m.group("city") not in lx.EN_COARSE_PLACES:
            yield _span(m, "city", "LOCATION")
        if m.group("zip"):
            yield _span(m, "zip", "LOCATION")
    for m in STREET_NAME_RE.finditer(text):
        yield _span(m, "street", "LOCATION")
        if m.group("city") and m.group("city").split()[0] not in lx.EN_NOT_NAMES | lx.EN_COARSE_PLACES:
            yield _span(m, "city", "LOCATION")
    for m in UK_POSTCODE_RE.finditer(text):
        yield _span(m, 0, "LOCATION")
    for m in ZIP_RE.finditer(text):
        yield _span(m, "z", "LOCATION")
    for pattern in (COUNTY_RE, VENUE_RE, SAINT_RE, HEALTH_SYSTEM_RE):
        for m in pattern.finditer(text):
            start, words = m.start(), m.group(0).split()
            while len(words) > 1 and words[0] in _HOSP_LEADING_NOISE:
                start = text.index(words[1], start + len(words[0]))
                words = words[1:]
            yield Span(start, m.end(), "LOCATION", text[start : m.end()], strong=pattern is not SAINT_RE)
    for m in PREP_PLACE_RE.finditer(text):
        place = m.group("c")
        words = place.split()
        first = words[-1] if words[0] == "St." else words[0]
        if m.group("prev") in _CAUSE_WORDS:
            continue
        if (
            first in lx.EN_NOT_NAMES
            or first in lx.EN_COARSE_PLACES
            or first in lx.EN_NOT_PLACES
            or _MEDICAL_WORD.search(first)
            or place in lx.EN_COARSE_PLACES
        ):
            continue
        if len(words) == 2 and (words[1] in lx.EN_NOT_NAMES or _MEDICAL_WORD.search(words[1])):
            continue  # "in the Urgent Care", "at Boston Hospital": institutions are the hospital rule's
        yield Span(m.start("c"), m.start("c") + len(place), "LOCATION", place, strong=False)
    for m in CITY_STATE_ZIP_RE.finditer(text):
        if m.group("c").split()[0] not in lx.EN_NOT_NAMES:
            yield _span(m, "c", "LOCATION")
    for m in HIGHWAY_RE.finditer(text):
        yield _span(m, 0, "LOCATION")
    for m in CITY_CUE_EN_RE.finditer(text):
        city = m.group("c")
        words = city.split()
        if city in lx.EN_COARSE_PLACES or words[0] in lx.EN_COARSE_PLACES or words[0] in lx.EN_NOT_NAMES:
            continue
        if len(words) == 2 and (words[1] in lx.EN_NOT_NAMES or words[1] in lx.EN_COARSE_PLACES):
            yield Span(m.start("c"), m.start("c") + len(words[0]), "LOCATION", words[0], strong=False)
        else:
            yield _span(m, "c", "LOCATION", strong=False)
    for m in ADDRESS_ZH_RE.finditer(text):
        address, start = m.group(0), m.start()
        for cue in _ZH_ADDR_CUE_PREFIXES:
            if address.startswith(cue):
                address, start = address[len(cue) :], start + len(cue)
        # cut at the last boundary word (住十堰市, 从山区来到城市), but not inside the road after the units
        # (十堰市向阳路: what is left after 向 holds no unit, so the cut goes before the first unit)
        cut = max((i for i, ch in enumerate(address) if ch in _ZH_BOUNDARY), default=-1)
        if cut >= 0 and not re.search("[省市县区旗镇乡村]", address[cut + 1 :]):
            first_unit = next((i for i, ch in enumerate(address) if ch in "省市县区旗镇乡村"), len(address))
            cut = max((i for i, ch in enumerate(address[:first_unit]) if ch in _ZH_BOUNDARY), default=-1)
        address, start = address[cut + 1 :], start + cut + 1
        if len(address) >= 4 and "某" not in address:
            yield Span(start, start + len(address), "LOCATION", address)
    for m in PLACE_ZH_RE.finditer(text):
        place, start = m.group(0), m.start()
        cut = max((i for i, ch in enumerate(place) if ch in _ZH_BOUNDARY), default=-1)
        place, start = place[cut + 1 :], start + cut + 1
        head = re.search(_ZH_PLACE_HEAD + "$", place)
        prefix = place[: head.start()] if head else place
        if len(prefix) >= 2 and not any(prefix.startswith(g) for g in lx.ZH_GENERIC_HOSPITAL_PREFIXES):
            yield Span(start, start + len(place), "LOCATION", place)
    for m in ADDRESS_ZH_CUED_RE.finditer(text):
        yield _span(m, "a", "LOCATION")
    for m in CITY_CUE_ZH_RE.finditer(text):
        chunk, start = m.group("c"), m.start("c")
        longer = next((c for c in lx.ZH_LONG_CITIES if chunk.startswith(c)), None)
        city = longer or chunk[:2]
        if len(chunk) > len(city) and chunk[len(city)] in "市县区":
            city = chunk[: len(city) + 1]
        after = text[start + len(city) : start + len(city) + 1]
        if after and after not in _ZH_AFTER_PLACE and city.rstrip("市县区") not in lx.ZH_CITIES:
            continue
        if city in lx.ZH_NOT_PLACES or any(chunk.startswith(c) for c in lx.ZH_COUNTRIES):
            continue
        if city[:2] in lx.ZH_PROVINCES or city[:3] in lx.ZH_PROVINCES or _is_clinical_zh(city):
            continue
        if re.fullmatch(r"[我本外该他当上下前后左右今明昨这那此某一二三四五六七八九十几每各多]\S*", city):
            continue
        yield Span(start, start + len(city), "LOCATION", city, strong=False)


def _find_names(text: str) -> Iterable[Span]:
    for m in _TITLE_RE.finditer(text):
        yield from _name_spans(text, m, "n", strong=True)
    for m in _CREDENTIAL_RE.finditer(text):
        # "PA" and "DO" are also a state and a word: only after a full name ("Jane Roe, PA")
        yield from _name_spans(
            text, m, "n", strong=True, min_tokens=2 if m.group("cred") in ("PA", "DO") else 1
        )
    for m in _LABEL_RE.finditer(text):
        label = re.sub(r"\s+", " ", text[m.start() : m.start("n")].strip(" \t:(,'\"‘“")).lower()
        strong_label = bool(_STRONG_LABELS.match(label))
        yield from _name_spans(text, m, "n", strong=strong_label, min_tokens=1 if strong_label else 2)
    for m in _SUBJECT_RE.finditer(text):
        yield from _name_spans(text, m, "n", strong=False, min_tokens=2)
    for m in _INITIALS_RE.finditer(text):
        initials = m.group("n").rstrip()
        yield Span(m.start("n"), m.start("n") + len(initials), "NAME", initials)
    for m in _ROLE_RE.finditer(text):
        yield from _name_spans(text, m, "n", strong=False, min_tokens=2)
    for m in _NICKNAME_RE.finditer(text):
        yield Span(m.start("n"), m.end("n"), "NAME", m.group("n"))
    for m in _CAPS_NAME_RE.finditer(text):
        yield Span(m.start("n"), m.end("n"), "NAME", m.group("n"))
    for m in _ZH_PINYIN_RE.finditer(text):
        for group in ("p", "z"):
            if m.group(group):
                yield _span(m, group, "NAME")
    for m in _SINGLE_SUBJECT_RE.finditer(text):
        yield from _name_spans(text, m, "n", strong=False)
    for m in _FIRSTNAME_RE.finditer(text):
        if m.group("n") in lx.EN_FIRST_NAMES and m.group("l"):
            yield from _name_spans(text, m, 0, strong=False, min_tokens=2)
    # Chinese
    for pattern, strong in (
        (_ZH_STRONG_LABEL_RE, True),
        (_ZH_WEAK_LABEL_RE, False),
        (_ZH_SEX_AFTER_RE, True),
        (_ZH_NAME_AGE_RE, True),
    ):
        for m in pattern.finditer(text):
            name = _trim_zh_name(m.group("n"))
            if (
                len(name) < 2
                or "某" in name
                or (not strong and _is_clinical_zh(name))
                or name in lx.ZH_PROVINCES
            ):
                continue
            after = text[m.start("n") + len(name) : m.start("n") + len(name) + 1]
            if (
                not strong
                and after
                and re.match(rf"[{CJK}\d]", after)
                and after not in lx.ZH_WEAK_NAME_FOLLOWERS
            ):
                continue
            yield Span(m.start("n"), m.start("n") + len(name), "NAME", name, strong)
    for m in _ZH_RELATIVE_RE.finditer(text):
        name = _trim_zh_name(m.group("n"))
        after = text[m.start("n") + len(name) : m.start("n") + len(name) + 1]
        if len(name) >= 2 and "某" not in name and not _is_clinical_zh(name) and name not in lx.ZH_PROVINCES:
            if not after or not re.match(f"[{CJK}]", after) or after in lx.ZH_WEAK_NAME_FOLLOWERS:
                yield Span(m.start("n"), m.start("n") + len(name), "NAME", name, strong=False)
    for m in _ZH_AMBIGUOUS_TITLE_RE.finditer(text):
        yield _span(m, "n", "NAME", strong=True)
    for m in _ZH_NAME_LIST_RE.finditer(text):  # 医师签名：袁睿/姚涛: the names after the first one
        name = _trim_zh_name(m.group("n"))
        if len(name) >= 2 and not _is_clinical_zh(name):
            yield Span(m.start("n"), m.start("n") + len(name), "NAME", name, strong=False)
    for m in _ZH_TITLE_RE.finditer(text):
        name = m.group("n")
        # a surname alone before 女士/医生 is a name even when a clinical word starts with it (何首乌)
        clinical = _is_clinical_zh(name) if len(name) > 1 else name in lx.ZH_CLINICAL_PREFIXES
        before = text[m.start("n") - 1] if m.start("n") else ""
        role = text[max(0, m.start("n") - 2) : m.start("n")] in _ZH_ROLES_BEFORE_SURNAME
        if len(name) == 1 and re.match(f"[{CJK}]", before) and before not in _ZH_BOUNDARY and not role:
            continue  # 公卫医师: a surname alone needs a clear start (钱女士 on a new line, 由王主任)
        if not clinical and not any(ch in lx.ZH_NAME_STOP_CHARS for ch in name[1:]):
            yield _span(m, "n", "NAME", strong=True)


_ZH_ROLES_BEFORE_SURNAME = {"主管", "主治", "经治", "管床", "值班", "主刀", "上级", "会诊", "接诊", "责任"}


def _names_after_hospitals(text: str, hospitals: list[Span]) -> Iterable[Span]:
    """'会诊医生：北京协和医院李明' — a name written straight after a hospital or department."""
    pattern = _rx(rf"{_ZH_SURNAME}[{CJK}]{{1,2}}(?=[。，；;,\s\u3000]|$)")
    # after a labelled doctor field (会诊医师：<hospital>) the surname may be on no list
    labelled = _rx(rf"[{CJK}]{{2,4}}(?=[。，；;,\s\u3000]|$)")
    for h in hospitals:
        m = pattern.match(text, h.end)
        if not m and re.search(r"(?:医师|医生|专家)[：:]\s*$", text[max(0, h.start - 6) : h.start]):
            m = labelled.match(text, h.end)
        if m:
            yield Span(m.start(), m.end(), "NAME", m.group(0))


def _protected(text: str) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in _EPONYM_RE.finditer(text)]
    spans += [(m.start(), m.end()) for m in _EPONYM_PHRASE_RE.finditer(text)]
    return spans


_ETHNICITY_FIELD = re.compile(r"(?i:ethnicity|ethnic\s+group|nationality|race|民族)\s*[:：]?\s*$")


_ZH_TITLE_WORDS = (
    "先生|女士|太太|夫人|小姐|奶奶|爷爷|阿姨|叔叔|伯伯|大爷|大妈|大娘|大姐|大哥|婆婆|阿婆|老伯|老太|师傅|老师|"
    "医师|医生|主任|护士|院长"
)


def _learned_zh_surnames(names: Iterable[str]) -> set[str]:
    """The surnames of hanzi names already found (2-4 characters): the first character, or the first two
    of a four-character name or of a listed compound surname (东方春华, 欧阳娜)."""
    out = set()
    for name in names:
        if re.fullmatch(f"[{CJK}]{{2,4}}", name):
            # a three-character name may have a compound surname on no list (乌孙青): both readings
            if len(name) == 4 or name[:2] in lx.ZH_SURNAMES_COMPOUND:
                out.add(name[:2])
            else:
                out.add(name[:1])
                if len(name) == 3:
                    out.add(name[:2])
    return out


def propagate_names(text: str, names: Iterable[str]) -> list[Span]:
    """Every further occurrence of a name already found (e.g. 'Mr. Miller' later as 'Miller')."""
    tokens: set[str] = set()
    for name in names:
        if re.search(f"[{CJK}]", name):
            if len(name) >= 2:
                tokens.add(name)
        else:
            tokens.update(
                t
                for t in re.findall(r"[A-Za-z][A-Za-z'’\-]+", name)
                if len(t) >= 2 and t not in lx.EN_NOT_NAMES
            )
            if re.fullmatch(r"[A-Z][A-Za-z'’\-]+(?:[ \t]+[A-Z][A-Za-z'’\-]+){1,3}", name.strip()):
                tokens.add(name.strip())  # "Tou Hai Jun" again, though "Jun" alone is a month
    out = []
    for surname in _learned_zh_surnames(tokens):  # 逄淑贞 found: 逄先生 and 逄奶奶 later are the same family
        for m in re.finditer(rf"(?<![{CJK}]){re.escape(surname)}(?=(?:{_ZH_TITLE_WORDS}))", text):
            out.append(Span(m.start(), m.end(), "NAME", surname, strong=False))
    for token in sorted(tokens, key=len, reverse=True):
        boundary = "" if re.search(f"[{CJK}]", token) else r"\b"
        for m in re.finditer(boundary + re.escape(token) + boundary, text, re.ASCII):
            start = m.start()
            if _ETHNICITY_FIELD.search(text[max(0, start - 30) : start]):
                continue  # "Ethnicity: Han" is not Mr. Han

            before = (
                re.search(r"([A-Z][a-z'’\-]+)[ \t]+$", text[max(0, start - 30) : start]) if boundary else None
            )
            if before and before.group(1) not in lx.EN_NOT_NAMES and before.group(1) not in lx.EN_NOT_PLACES:
                start -= len(before.group(0))  # "Francine Delacroix" once "Delacroix" is known
            out.append(Span(start, m.end(), "NAME", text[start : m.end()], strong=False))
    return out


def raw_spans(text: str) -> list[Span]:
    """All recognizer hits, before protection and merging."""
    spans = [
        *_find_patterns(text),
        *_find_dates(text),
        *_find_ages(text),
        *_find_hospitals(text),
        *_find_locations(text),
        *_find_names(text),
    ]
    spans += [Span(a, b, category, text[a:b], strong) for a, b, category, strong in cnrecord.find(text)]
    spans += _names_after_hospitals(text, [s for s in spans if s.category == "HOSPITAL"])
    spans += _postcodes_after_places(text, [s for s in spans if s.category == "LOCATION"])
    return spans


_POSTCODE_AFTER = _rx(r"[,，]?[ \t]*[（(]?(?P<v>\d{6})(?!\d)")


def _postcodes_after_places(text: str, places: list[Span]) -> Iterable[Span]:
    """'..., Hangzhou, 310012' / '文三路18号（310012）': six digits straight after an address."""
    for place in places:
        m = _POSTCODE_AFTER.match(text, place.end)
        if m:
            yield _span(m, "v", "LOCATION")


def resolve(text: str, spans: list[Span], categories: Iterable[str] = CATEGORIES) -> list[Span]:
    """Drop weak hits inside protected clinical phrases, then merge overlapping hits into one span."""
    wanted = set(categories)
    protected = _protected(text)
    kept = [
        s
        for s in spans
        if s.category in wanted
        and s.end > s.start
        and (s.strong or not any(s.start < pe and ps < s.end for ps, pe in protected))
    ]
    kept.sort(key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    for s in kept:
        if merged and s.start < merged[-1].end:
            last = merged[-1]
            end = max(last.end, s.end)
            category = min(last.category, s.category, key=_PRIORITY.__getitem__)
            merged[-1] = Span(last.start, end, category, text[last.start : end], last.strong or s.strong)
        else:
            merged.append(s)
    return merged


def find_spans(
    text: str, categories: Iterable[str] = CATEGORIES, extra_names: Iterable[str] = ()
) -> list[Span]:
    """Identifier spans in `text`, sorted and non-overlapping. `extra_names` are names already known
    (from other messages of the same request) whose every occurrence must go too."""
    spans = raw_spans(text)
    protected = _protected(text)
    names = [
        s.text
        for s in spans
        if s.category == "NAME" and (s.strong or not any(s.start < pe and ps < s.end for ps, pe in protected))
    ]
    spans += propagate_names(text, [*names, *extra_names])
    spans += _ages_after_names(text, [s for s in spans if s.category in ("NAME", "LOCATION")])
    return _join_place_chains(text, resolve(text, spans, categories))


# "Bed 23: Che Siyuan, 91, inpatient no. ...": a number of 90 or more set off by commas right after a name
_AGE_AFTER_NAME = _rx(r"[ \t]*,[ \t]*(?P<a>\d{2,3})(?=[ \t]*[,;)]|[ \t]*$)", re.MULTILINE)


def _ages_after_names(text: str, names: list[Span]) -> Iterable[Span]:
    for name in names:
        m = _AGE_AFTER_NAME.match(text, name.end)
        if m and 90 <= int(m.group("a")) <= 130:
            yield _span(m, "a", "AGE")


def _join_place_chains(text: str, spans: list[Span]) -> list[Span]:
    """Places separated only by ", " are one address ("Yingbin Road Primary School, Suqian"): joined, so
    the comma between them goes too and one surrogate stands for the whole."""
    out: list[Span] = []
    for s in spans:
        last = out[-1] if out else None
        if (
            last is not None
            and last.category in ("LOCATION", "HOSPITAL")
            and s.category == "LOCATION"
            and text[last.end : s.start] in (", ", ",")
        ):
            strong = last.strong or s.strong
            out[-1] = Span(last.start, s.end, last.category, text[last.start : s.end], strong)
        else:
            out.append(s)
    return out
