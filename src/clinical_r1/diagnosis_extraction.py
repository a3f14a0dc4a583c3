"""The one diagnosis a free-text answer commits to, or None (`formatting.extract_diagnosis`).

Models trained on the output format write "Final diagnosis: X"; base and instruct models answer in
prose ("the most likely diagnosis in this case is X (ABBR)", "consistent with X", "诊断考虑X"),
lists, hedges and negations. Read in this order:

1. Labels: a line "Final diagnosis: X" / "Diagnosis: X" / "最终诊断：X" / "初步诊断：X" / "【初步诊断】X",
   also "Answer:", "Impression:", "Assessment:", "Conclusion:", "答案：", "结论：", "印象：" and a
   "### Most likely diagnosis" heading with the name on the next line. A final label beats a plain one;
   two different committed values mean no commitment. A label's value that is itself a sentence is read
   as prose ("Answer: The most likely diagnosis is X").
2. Prose: every sentence is searched for a stated diagnosis, from strongest to weakest cue: "the most
   likely diagnosis is X", "X is the most likely diagnosis", "最可能的诊断是X", "诊断考虑X" (strong);
   "consistent with X", "X is suspected", "I suspect X", "考虑X", "X可能性大", "符合X" (medium); "this is
   X", "the patient has X", "suggests X", "这是X" (weak: only in the last sentence, where an answer
   concludes). The strongest cue wins; among equal cues, the last (the conclusion).
3. A reply that is just a name ("Acute pancreatitis.").

A mention is refused when its clause negates it ("unlikely", "ruled out", "should not be considered",
"not X", "不考虑", "排除", "可能性小"), when its sentence or clause hedges ("could be", "cannot rule out",
"not sure", "也可能", "不除外"), when it names alternatives ("X or Y", "X vs Y", "X或Y", "X？"), when its
sentence is a question, and when what follows the cue is not a name ("uncertain", "什么", "以下几种").
The rules were tuned on tests/data/freeform_answers_tune.jsonl; benchmarks/prose_extraction.py prints
their figures on it and on the held-out split.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# --- labels --------------------------------------------------------------------------------------

_BULLET = r"(?:[-*•>]+|\d+[.)、])?"
_LINE_START = rf"^[ \t]*{_BULLET}[ \t]*[*_]*[ \t]*"
_SEPARATOR = r"[ \t]*[*_]*[ \t]*(?:[:：]|→|->|=>)[ \t]*[*_]*"
_EN_KINDS = r"final|most likely|most probable|primary|main|principal|working|clinical|preliminary"
_EXPLICIT_EN = re.compile(
    _LINE_START + rf"(?P<kind>{_EN_KINDS})?[ \t]*diagnosis{_SEPARATOR}(?P<value>.*)$", re.I | re.M
)
_ZH_KINDS = r"最终|最后|初步|主要|临床|入院|出院|最可能的?"
_EXPLICIT_ZH = re.compile(
    rf"^[ \t]*{_BULLET}[ \t]*[*_]*[ \t]*【?(?P<kind>{_ZH_KINDS})?诊断(?:结果|意见)?"
    rf"(?:】[ \t]*[:：]?[ \t]*[*_]*|{_SEPARATOR})(?P<value>.*)$",
    re.M,
)
# Answer-style labels: their value is the answer; it may be a sentence that states the diagnosis.
_ANSWER_LABEL = re.compile(
    _LINE_START + r"(?P<kind>(?:final |my )?answer|impression|assessment|conclusion|答案?|结论|印象)"
    rf"{_SEPARATOR}(?P<value>.*)$",
    re.I | re.M,
)
# A heading that names the diagnosis, the name on the next line: "### Most likely diagnosis".
_HEADING = re.compile(
    rf"^[ \t]*#{{1,6}}[ \t]*(?:(?P<kind>{_EN_KINDS})?[ \t]*diagnosis|(?P<zhkind>最终|最可能的|初步)?诊断)"
    r"[ \t]*[:：]?[ \t]*(?P<value>)$",
    re.I | re.M,
)
# "final diagnosis:" is explicit wherever it stands, also inside a sentence.
_INLINE_FINAL = re.compile(
    r"(?:final diagnosis|最终诊断)[ \t]*[*_]*[ \t]*[:：][ \t]*[*_]*(?P<value>[^\n]+)", re.I
)
_FINAL_KINDS = {
    "final", "最终", "最后", "answer", "final answer", "my answer", "答", "答案", "conclusion", "结论",
}

# --- prose cues ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str]
    strength: int  # 3 strong, 2 medium, 1 weak (counted only in the last sentence)
    backward: bool = False  # the name stands before the cue ("X is suspected")


def _cues(strength: int, patterns: list[str], backward: bool = False, flags: int = re.I) -> list[_Cue]:
    return [_Cue(re.compile(p, flags), strength, backward) for p in patterns]


_ADJ = (
    r"(?:final|most likely|most probable|likely|probable|working|unifying|leading|primary|clinical|correct)"
)
_EN_FORWARD = [
    *_cues(3, [
        rf"\b(?:the|my|our|a|this|{_ADJ})\s+(?:{_ADJ}\s+)?diagnosis"
        r"(?:\s+(?:in this (?:case|patient)|for this (?:patient|case)|here|then|therefore))?"
        r"\s+(?:is|would be|remains|seems to be|appears to be)"
        r"(?:\s+(?:most likely|most probably|likely|probably|therefore|thus|clearly|consistent with))?\s*:?",
        r"\b(?:the|my|our)\s+(?:final\s+)?answer\s+(?:is|would be)\s*:?",
        rf"(?<!differential )\b(?:{_ADJ}\s+)?diagnosis\s*:",
        r"\b(?:final\s+)?(?:answer|assessment|impression|conclusion)\s*:",
        r"\bI\s+(?:would\s+)?(?:diagnose|conclude)(?:\s+that)?(?:\s+(?:this|it)\s+(?:is|as))?",
    ]),
    *_cues(2, [
        r"\b(?:most|highly|very|entirely|fully)?\s*(?:consistent|compatible)\s+with(?:\s+(?:a|the)\s+diagnosis\s+of)?",
        r"\bin keeping with",
        r"\b(?:a|the)\s+classic\s+(?:presentation|case|picture)\s+of",
        r"\bI\s+(?:strongly\s+)?(?:suspect|favou?r|think\s+(?:this|it)\s+is|believe\s+(?:this|it)\s+is)",
        r"\b(?:the\s+(?:patient|child|infant|baby|boy|girl|man|woman)|this\s+(?:patient|child|infant|man|woman"
        r"|boy|girl)|he|she)\s+(?:most\s+likely|likely|probably)\s+(?:has|had|is\s+having|is\s+suffering\s+from"
        r"|suffers\s+from)",
        r"\b(?:he|she|the\s+patient)\s+meets\s+the\s+criteria\s+for",
        r"\b(?:this|it)\s+(?:is|was)\s+(?:most\s+likely|most\s+probably|likely|probably)",
        r"\b(?:the\s+)?(?:best|most\s+likely|likely)\s+explanation\s+is",
        r"\bthe\s+(?:condition|disease|illness)\s+is",
        r"^(?:so,?\s+|therefore,?\s+|overall,?\s+)?(?:most\s+(?:likely|probably)|likely|probably)\b",
    ]),
    *_cues(1, [
        r"\b(?:the\s+(?:patient|child|infant|baby|boy|girl|man|woman)|this\s+(?:patient|child|infant|man|woman"
        r"|boy|girl)|he|she)\s+(?:has|is\s+having|is\s+suffering\s+from|suffers\s+from|is\s+presenting\s+with)",
        r"\b(?:this|it)\s+(?:is|represents)\b|\b(?:it|this)'s\b",
        r"\bwe\s+are\s+dealing\s+with",
        r"\b(?:suggests?|suggestive\s+of|indicates?|indicative\s+of|points?\s+(?:strongly\s+)?(?:to|towards)"
        r"|(?:is\s+)?typical\s+of|diagnostic\s+of|fits(?:\s+best)?(?:\s+with)?|reflects?|explained\s+by)\b",
    ]),
]
_EN_BACKWARD = [
    *_cues(3, [
        rf"\s+(?:is|would be|remains|seems)\s+(?:the\s+)?(?:{_ADJ}|best)\s+(?:diagnosis|answer)\b",
        r"\s+is\s+the\s+(?:diagnosis|answer)\b",
    ], backward=True),
    *_cues(2, [
        r"\s+is\s+(?:highly\s+|strongly\s+|most\s+|the\s+most\s+|more\s+)?(?:suspected|likely|probable)\b",
        r"\s+(?:fits\s+best|is\s+the\s+best\s+fit|best\s+fits)\b",
        r"\s*[-–—(]\s*(?:the\s+)?most\s+likely\b",
    ], backward=True),
]
# "... make bacterial pneumonia more likely": the name between the verb and the cue.
_EN_MAKES_LIKELY = re.compile(
    r"\bmakes?\s+(?P<name>.{1,120}?)\s+(?:the\s+)?(?:(?:more|most)\s+likely|leading|likely|probable)(?:\s+diagnosis)?\b",
    re.I,
)

_ZH_FORWARD = [
    *_cues(3, [
        r"最终诊断(?:为|是|[:：])",
        r"最可能的?诊断(?:为|是|[:：])?",
        r"最可能(?:的)?(?:是|为)",
        r"(?<!鉴别)(?:初步|临床|入院|出院)?诊断(?:考虑)?(?:为|是|[:：])",
        r"考虑诊断(?:为|是)?",
        r"(?<!鉴别)诊断考虑(?:为|是)?",
        r"结论[:：]",
        r"(?:应|可以?)诊断为",
        r"(?:首先|应)考虑(?:为|是)?",
        r"拟诊(?:为)?",
        r"确诊为",
        r"答案(?:是|为|[:：])",
    ], flags=0),
    *_cues(2, [
        r"考虑(?:为|是)?",
        r"倾向于(?:诊断为)?",
        r"符合",
        r"(?:该|此|本)?(?:患者|患儿|病人|病例|例)(?:应)?(?:为|是|患有|患的是|得的是|得了|可能患有|所患的?是)",
        r"患有",
        r"判断为",
        r"我(?:认为|考虑|觉得)(?:是|为)?",
    ], flags=0),
    *_cues(1, [r"这是", r"提示"], flags=0),
]
_ZH_BACKWARD = _cues(
    2, [r"的?可能性(?:大|较大|最大|更大)", r"可能性最大", r"[(（]\s*最可能"], backward=True, flags=0
)

# --- refusals --------------------------------------------------------------------------------------

_NEGATION_EN = re.compile(
    r"\b(?:unlikely|ruled?\s+out|excluded?|exclusion|should\s+not\s+be|not\s+be\s+considered|less\s+likely"
    r"|no\s+evidence|not\s+consistent|argues?\s+against|doubtful|is\s+not|isn't|was\s+not|not\s+the)\b",
    re.I,
)
_HEDGE_EN = re.compile(
    r"\b(?:could\s+be|could\s+also|might\s+be|may\s+be|maybe|possibly|possible|either|cannot\s+rule\s+out"
    r"|can't\s+rule\s+out|not\s+sure|uncertain|unclear|cannot\s+be\s+certain|differential|include|includes"
    r"|vs\.?|versus|or\s+(?:possibly|perhaps)|difficult\s+to\s+say)\b",
    re.I,
)
_NEGATION_ZH = re.compile(
    r"不考虑|排除|除外|可能性[小低]|可能性不大|可能性极低|不支持|不符合|不像|不是|并非|不应|无.{0,8}证据|未见"
)
_HEDGE_ZH = re.compile(
    r"也可能|或者|还是|待排|难以|不能确定|不确定|不明|均有可能|不能排除|不能完全排除|不除外"
)
# Where a sentence turns: hedges and negations before the turn do not reach the name after it.
_TURN = re.compile(r",?\s+(?:but|however|whereas|although|though|while)\s+|[:：]|但是?|然而|不过", re.I)

_NOT_A_NAME_EN = re.compile(
    r"^(?:not|no|none|never|unlikely|uncertain|unclear|unknown|undetermined|pending|indeterminate|difficult"
    r"|hard|impossible|broad|beyond|based|made|needed|required|necessary|the\s+(?:one|process|same|following"
    r"|next|key|cause|result)|one\s+of|that|which|what|who|how|if|whether|to|cannot|can't|we|i|you|it|this"
    r"|these|those|there|here|also|more|less|further|important|highly|had|been|a\s+history|history|seen"
    r"|made|given|because|likely|probably|possible|possibly|several|many|multiple|various|common|typical"
    r"|rare|unusual|good|bad|worrying|concerning)\b|^\d+[- ](?:year|month|week|day)",
    re.I,
)
# A name ending in one of these is a description, not a diagnosis ("a common presentation").
_NOT_A_DISEASE_HEAD = re.compile(
    r"\b(?:presentation|picture|finding|findings|question|case|patient|man|woman|child|boy|girl|infant|process"
    r"|sign|signs|symptom|symptoms|emergency|answer|option|history|cause|causes|workup|test|tests)$",
    re.I,
)
_GENERIC = {
    "infection", "disease", "illness", "condition", "syndrome", "problem", "diagnosis", "emergency",
    "something", "infectious", "inflammation", "感染", "疾病", "病", "诊断", "炎症", "该病", "此病",
}
_NOT_A_NAME_ZH = re.compile(
    r"^(?:不|未|无|非|患者|患儿|病人|根据|结合|通过|由于|因为|需要?|要|请|建议|以下|下列|几种|哪|什么|是否|尚|待|进一步|难以|这些|如下|多种|"
    r"一种|一个|综合|明确)|什么|哪种|哪个|是否|诊断|标准$|特点$|条件$"
)
_ALTERNATIVES = re.compile(r"\s(?:or|vs\.?|versus)\s|\s(?:vs\.?)$|[?？]|或|还是|、|待排|待查", re.I)

# --- cutting a name out of the text after (or before) its cue ---------------------------------------

_NAME_END = re.compile(
    r"[,;:，；：(（\[【]|\s[-–—]\s|\*\*|__|"
    r"\s(?:given|because|based\s+on|which|as\s+evidenced|as\s+suggested|as\s+shown|supported\s+by|in\s+view\s+of"
    r"|since|rather\s+than|instead\s+of|in\s+a\s+patient|in\s+this\s+patient|in\s+the\s+setting\s+of|after"
    r"|on\s+the\s+basis\s+of|until\s+proven|and\s+(?:needs|should|requires|must|arrange|start|order|treat"
    r"|refer|admit|give)|that\s+(?:needs|requires|should|must)|is\s+(?:the|a|suspected|likely|most)|as\s+the"
    r"|with\s+(?:a|an|the)\s+(?:normal|raised|positive|negative|high|low))\b",
    re.I,
)
_EXPLICIT_END = re.compile(
    r"(?<!\b[A-Z])(?<!\bvs)\.(?:\s|$)|。|；|;|\n|\*\*|__|"
    r"(?i:,?\s(?:given|because|based\s+on|as\s+evidenced|supported\s+by|in\s+view\s+of|since|in\s+a\s+patient"
    r"|in\s+this\s+patient|after|following)\s|,\s+which\s)"
)
_LEAD_EN = re.compile(
    r"^(?:(?:so|thus|therefore|hence|overall|in\s+conclusion|in\s+summary|putting\s+it\s+together|all\s+in\s+all"
    r"|finally|clearly|also)\b,?\s*)*(?:(?:a|an|the)\s+)?(?:(?:most\s+likely|most\s+probably|likely|probably"
    r"|probable|presumed|suspected)\s+)?(?:(?:a|the)\s+diagnosis\s+of\s+|diagnosis\s+of\s+|(?:a\s+)?case\s+of\s+)?"
    r"(?:(?:a|an|the)\s+)?",
    re.I,
)
_TRAIL_ZH = re.compile(r"(?:的?可能性?(?:大|较大|最大|更大)?|的表现|的诊断标准|的诊断|的特点|等)$")
_LEAD_ZH = re.compile(r"^(?:为|是|了|以|综上所述?|因此|所以|故|首先|考虑|倾向于)+")
_CLAUSE_BREAK = re.compile(r"[,;:，；：]|\s(?:but|however|so|and\s+so|therefore|thus)\s|但是?|所以|因此|故")
_LIST_MARK = re.compile(r"^(?:\d{1,2}\s*[.)、．]\s*|[-*•>]+\s+)")
_MARKUP = re.compile(r"\*\*|__|`")
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])(?<!\bvs)(?<!\be\.g)(?<!\bi\.e)[.!?](?=\s|$)|[。！？；;\n]")
_SHORT_ANSWER_MAX_CHARS = 80
_WINDOW = 200  # characters after (or before) a cue that can hold the name
_SCOPE = 400  # characters around a mention that a negation or hedge must lie within
_MAX_MATCHES = 20  # mentions of one cue read per sentence (the last ones)
_SENTENCE_WORDS_EN = re.compile(
    r"\b(?:is|are|was|were|has|have|had|presents?|presented|shows?|showed|reveals?|there|should|would|could"
    r"|can|need|needs|please|i|we|you|my|our|consider)\b|[?？]",
    re.I,
)
_SENTENCE_WORDS_ZH = re.compile(r"[，,？?]|是|需|请|建议|应|给予|无法|首选|治疗|要|考虑|鉴别")


def extract_diagnosis(response: str) -> str | None:
    """The one diagnosis the response commits to, or None. See the module docstring for the rules."""
    if not response or not response.strip():
        return None
    text = unicodedata.normalize("NFKC", response).replace("\r\n", "\n")

    labelled = _labelled_value(text)
    if labelled is not None:
        return labelled or None

    stated = _stated_in_prose(text)
    if stated is not None:
        return stated

    # A response that is just a name ("Acute pancreatitis.") is the diagnosis itself.
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) == 1:
        return _short_answer(lines[0])
    return None


# --- labels --------------------------------------------------------------------------------------


def _labelled_value(text: str) -> str | None:
    """The committed label value; "" when labels disagree or commit to nothing; None without a label."""
    found: list[tuple[bool, str]] = []  # (is_final, value)
    lines = text.split("\n")
    for pattern in (_EXPLICIT_EN, _EXPLICIT_ZH, _ANSWER_LABEL, _HEADING):
        for match in pattern.finditer(text):
            value = match.group("value")
            if not _clean_label(value):  # "Diagnosis:" alone on its line: the value follows
                line_no = text[: match.start()].count("\n")
                following = [line for line in lines[line_no + 1 :] if line.strip()]
                value = following[0] if following else ""
            kind = (match.groupdict().get("kind") or match.groupdict().get("zhkind") or "").lower()
            found.append((kind in _FINAL_KINDS, value))
    if not found:
        inline = _INLINE_FINAL.search(text)
        if inline:
            found.append((True, inline.group("value")))
    found = [(final, value) for final, value in found if _clean_label(value)]
    if not found:
        return None
    finals = [value for final, value in found if final]
    chosen = [_label_name(value) for value in (finals or [value for _, value in found])]
    distinct = {_comparable(v) for v in chosen}
    return chosen[0] if len(distinct) == 1 and chosen[0] else ""


def _label_name(value: str) -> str:
    """The name a label's value commits to ("" for none): a sentence is read as prose."""
    stated = _stated_in_prose(value)
    if stated is not None:
        return stated
    name = _clean_label(value)
    if _is_zh(name):  # "社区获得性肺炎，建议抗感染治疗": the name ends at the comma
        name = _TRAIL_ZH.sub("", re.split(r"[，,]", name, maxsplit=1)[0]).strip()
    else:
        name = _LEAD_EN.sub("", name)
        if _SENTENCE_WORDS_EN.search(re.sub(r"\([^)]*\)", "", name)):
            return ""  # a sentence with no stated diagnosis in it ("The diagnosis is uncertain")
    if not name or _ALTERNATIVES.search(name) or _refused_start(name) or _NEGATION_ZH.match(name):
        return ""
    return name


def _clean_label(value: str) -> str:
    value = _LIST_MARK.sub("", value.strip()).lstrip("*_ \t")  # "1. Pneumonia" under a "Diagnosis:" label
    match = _EXPLICIT_END.search(value)
    if match:
        value = value[: match.start()]
    return _strip(value)


def _strip(value: str) -> str:
    value = value.strip().strip("*_`\"'“”‘’「」『』").strip()
    value = re.sub(r"^(?:is|was|of)\s+", "", value, flags=re.IGNORECASE)
    return value.rstrip(".。!！,，;；:：").strip()


def _comparable(value: str) -> str:
    return re.sub(r"[\W_]+", " ", value.casefold()).strip()


# --- prose ---------------------------------------------------------------------------------------


def _stated_in_prose(text: str) -> str | None:
    sentences = _sentences(text)
    best: tuple[int, int, str] | None = None  # (strength, sentence index, name)
    for index, sentence in enumerate(sentences):
        if sentence.endswith(("?", "？")):
            continue  # a question states nothing
        last = index == len(sentences) - 1
        for strength, name in _candidates(sentence):
            if strength == 1 and not last:
                continue
            if best is None or strength >= best[0]:
                best = (strength, index, name)
    return best[2] if best else None


def _sentences(text: str) -> list[str]:
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end() if match.group() in "?？" else match.start()
        sentences.append(text[start:end])
        start = match.end()
    sentences.append(text[start:])
    cleaned = []
    for sentence in sentences:
        sentence = _MARKUP.sub("", sentence).strip()
        sentence = re.sub(r"^(?:#{1,6}|>)\s*", "", sentence)
        sentence = _LIST_MARK.sub("", sentence).strip()
        if sentence:
            cleaned.append(sentence)
    return cleaned


def _candidates(sentence: str) -> list[tuple[int, str]]:
    """(strength, name) of every diagnosis the sentence states and does not refuse."""
    found: list[tuple[int, str]] = []
    zh = _is_zh(sentence)
    for cue in (_ZH_FORWARD + _ZH_BACKWARD) if zh else (_EN_FORWARD + _EN_BACKWARD):
        # A name is read within _WINDOW characters of its cue, and only the last _MAX_MATCHES mentions
        # of a cue in one sentence count (the last wins anyway): an output repeating a cue thousands
        # of times costs linear time, not quadratic.
        for match in list(cue.pattern.finditer(sentence))[-_MAX_MATCHES:]:
            if cue.backward:
                low = max(0, match.start() - _WINDOW)
                start = low + _clause_start(sentence[low : match.start()], match.start() - low)
                raw, where = sentence[start : match.start()], start
            else:
                raw, where = sentence[match.end() : match.end() + _WINDOW], match.end()
            name = _name(raw, zh, cue.backward)
            if name and not _refused(sentence, where, name, zh):
                found.append((cue.strength, name))
    if not zh:
        for match in list(_EN_MAKES_LIKELY.finditer(sentence))[-_MAX_MATCHES:]:
            name = _name(match.group("name"), zh, True)
            if name and not _refused(sentence, match.start("name"), name, zh):
                found.append((2, name))
    return found


def _is_zh(text: str) -> bool:
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return cjk * 2 >= len(re.findall(r"[A-Za-z]+", text)) and cjk > 0


def _clause_start(sentence: str, end: int) -> int:
    """Where the clause ending at `end` starts (after the last comma, colon or turn before it)."""
    start = 0
    for match in _CLAUSE_BREAK.finditer(sentence[:end]):
        start = match.end()
    return start


def _name(raw: str, zh: bool, backward: bool) -> str:
    raw = raw.strip()
    if not backward:
        raw = raw.lstrip(":： ")
        match = _NAME_END.search(raw)
        if match:
            raw = raw[: match.start()]
    elif zh and (match := re.search(r"[(（]", raw)):
        raw = raw[: match.start()]
    elif not zh and (match := re.search(r"\s*[(\[]", raw)):
        raw = raw[: match.start()]
    name = _strip(raw)
    if zh:
        name = _TRAIL_ZH.sub("", _LEAD_ZH.sub("", name)).strip()
    else:
        name = _LEAD_EN.sub("", name).strip()
    return name


def _refused(sentence: str, where: int, name: str, zh: bool) -> bool:
    """The mention is negated, hedged, a list of alternatives, or not a name."""
    if _ALTERNATIVES.search(name) or _comparable(name) in _GENERIC or _refused_start(name):
        return True
    low = max(0, where - _SCOPE)  # negations and hedges reach this far (bounds the work per mention)
    sentence, where = sentence[low : where + _SCOPE], where - low
    segment = _segment(sentence, where)
    if zh:
        return bool(_HEDGE_ZH.search(segment) or _NEGATION_ZH.search(_zh_clause(sentence, where)))
    return bool(_HEDGE_EN.search(segment) or _NEGATION_EN.search(segment))


def _refused_start(name: str) -> bool:
    if len(name) > 120 or len(name.split()) > 12 or not re.search(r"[A-Za-z\u4e00-\u9fff]", name):
        return True
    if re.fullmatch(r"[(\[]?[A-Za-z][)\]]?", name) or _NOT_A_DISEASE_HEAD.search(name):
        return True  # an option letter, or a description ("a common presentation")
    return bool(_NOT_A_NAME_ZH.search(name) if _is_zh(name) else _NOT_A_NAME_EN.match(name))


def _segment(sentence: str, where: int) -> str:
    """The part of the sentence between the turns ("but", "however", "但") around position `where`."""
    start, end = 0, len(sentence)
    for match in _TURN.finditer(sentence):
        if match.end() <= where:
            start = match.end()
        elif match.start() >= where:
            end = match.start()
            break
    return sentence[start:end]


def _zh_clause(sentence: str, where: int) -> str:
    """The comma clause around position `where` (Chinese negation reaches only its own clause)."""
    start = max((m.end() for m in re.finditer(r"[,，;；]", sentence[:where])), default=0)
    end_match = re.search(r"[,，;；]", sentence[where:])
    end = where + end_match.start() if end_match else len(sentence)
    return sentence[start:end]


def _short_answer(line: str) -> str | None:
    name = _MARKUP.sub("", line).strip()
    name = _LIST_MARK.sub("", name)
    if len(name) > _SHORT_ANSWER_MAX_CHARS or re.search(r"differential|鉴别", name, re.I):
        return None
    name = name.strip().rstrip(".。")
    if re.search(r"[:：.。;；]", name):
        return None
    words = _SENTENCE_WORDS_ZH if _is_zh(name) else _SENTENCE_WORDS_EN
    if words.search(name):
        return None
    name = _strip(name)
    if not name or _ALTERNATIVES.search(name) or _comparable(name) in _GENERIC or _refused_start(name):
        return None
    return name
