"""Replace found identifiers: typed placeholders ([NAME-1], [DATE+3d]) or consistent surrogates.

A `DeidSession` covers one record (or one LLM request): the same person, phone or hospital gets the
same replacement everywhere in it, and all its dates move together, so intervals stay meaningful.
Its `mapping` (replacement -> original) is what re-identification needs; it never leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Sequence
from typing import Literal

from clinical_r1.deid.detect import CATEGORIES, CJK, Category, Span, find_spans

Style = Literal["placeholder", "surrogate"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
_DOB_CUE = re.compile(
    r"(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?|出生日期|出生于?|生日)\W{0,4}$",
    re.IGNORECASE,
)

_SURROGATE_FIRST = [
    "Alex",
    "Jordan",
    "Morgan",
    "Casey",
    "Taylor",
    "Riley",
    "Jamie",
    "Avery",
    "Quinn",
    "Robin",
    "Drew",
    "Harper",
    "Reese",
    "Rowan",
    "Sage",
    "Emerson",
]
_SURROGATE_LAST = [
    "Carter",
    "Reyes",
    "Lambert",
    "Fischer",
    "Okoro",
    "Lindgren",
    "Moreau",
    "Tanaka",
    "Novak",
    "Brennan",
    "Alvarez",
    "Whitfield",
    "Park",
    "Hale",
    "Quincy",
    "Dunmore",
]
_SURROGATE_ZH_SURNAME = list("甲乙丙丁戊己庚辛")
_SURROGATE_ZH_GIVEN = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
_SURROGATE_CITY = [
    "Fairview",
    "Riverton",
    "Lakeside",
    "Oakdale",
    "Milltown",
    "Brookfield",
    "Greenville",
    "Ashford",
]
_SURROGATE_HOSPITAL = [
    "Fairview General Hospital",
    "Riverton Medical Center",
    "Lakeside Community Hospital",
    "Oakdale Regional Medical Center",
    "Milltown Clinic",
    "Brookfield University Hospital",
]


def parse_date(text: str, anchor_year: int | None = None) -> tuple[dt.date, bool] | None:
    """(date, has_day) for the formats the detector finds; None when it cannot be read."""
    t = re.sub(r"[ T]\d{1,2}:\d{2}(?::\d{2})?$", "", text.strip())  # a time of day after the date
    try:
        if m := re.fullmatch(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?", t):
            return dt.date(int(m[1]), int(m[2]), int(m[3] or 1)), m[3] is not None
        if m := re.fullmatch(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]", t):
            return dt.date(anchor_year or 2000, int(m[1]), int(m[2])), True
        if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", t):
            return dt.date(int(m[1]), int(m[2]), int(m[3])), True
        if m := re.fullmatch(r"(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{2}|\d{4})", t):
            year = int(m[3]) + (0 if len(m[3]) == 4 else (2000 if int(m[3]) < 50 else 1900))
            first, second = int(m[1]), int(m[2])
            if first > 12:  # 14.03.2021: day first
                first, second = second, first
            return dt.date(year, first, second), True
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})", t):
            return dt.date(anchor_year or 2000, int(m[1]), int(m[2])), True
        words = re.findall(r"[A-Za-z]+|\d+", t)
        month = next(
            (_MONTHS[w[:3].lower()] for w in words if w[:3].lower() in _MONTHS and w.isalpha()), None
        )
        numbers = [int(w) for w in words if w.isdigit()]
        if month is None or not numbers:
            return None
        year_at = next((i for i, n in enumerate(numbers) if n >= 1000), None)
        year = numbers[year_at] if year_at is not None else None
        rest = [n for i, n in enumerate(numbers) if i != year_at]
        if year is None and "-" in t and len(rest) == 2:  # 14-Mar-21
            short = rest.pop()
            year = short + (2000 if short < 50 else 1900)
        day = next((n for n in rest if 1 <= n <= 31), None)
        return dt.date(year or anchor_year or 2000, month, day or 1), day is not None
    except ValueError:
        return None


class DeidSession:
    """Replacements for one record or one request: consistent, with a reverse mapping."""

    def __init__(self, style: Style, categories: Sequence[str], shift_days: int, secret: bytes) -> None:
        self.style = style
        self.categories = tuple(categories)
        self.shift_days = shift_days  # surrogate dates move by this many days (same for the whole session)
        self._secret = secret
        self._by_original: dict[tuple[str, str], str] = {}
        self.mapping: dict[str, str] = {}  # replacement -> original
        self._counters: dict[str, int] = {}
        self._persons: list[list[str]] = []  # name tokens of each person seen
        self._person_names: dict[int, str] = {}
        self._anchor: dt.date | None = None
        self.counts: dict[str, int] = {c: 0 for c in CATEGORIES}

    # -- public -----------------------------------------------------------------------------------
    def deidentify(self, text: str) -> str:
        return self.deidentify_many([text])[0]

    def deidentify_many(self, texts: Sequence[str]) -> list[str]:
        """De-identify several texts as one unit (the messages of one request, the fields of one
        record): a name found in one of them is removed from all of them."""
        names: set[str] = set()
        for text in texts:
            names.update(s.text for s in find_spans(text, self.categories) if s.category == "NAME")
        return [self._apply(text, find_spans(text, self.categories, extra_names=names)) for text in texts]

    # -- internals --------------------------------------------------------------------------------
    def _apply(self, text: str, spans: list[Span]) -> str:
        out, pos = [], 0
        for span in spans:
            out.append(text[pos : span.start])
            out.append(self._replacement(span, text))
            pos = span.end
            self.counts[span.category] += 1
        out.append(text[pos:])
        return "".join(out)

    def _next(self, category: str) -> int:
        self._counters[category] = self._counters.get(category, 0) + 1
        return self._counters[category]

    def _hash(self, *parts: str) -> int:
        return int.from_bytes(
            hmac.new(self._secret, "\x1f".join(parts).encode(), hashlib.sha256).digest()[:8], "big"
        )

    def _remember(self, category: str, original: str, replacement: str) -> str:
        self._by_original[(category, original)] = replacement
        self.mapping.setdefault(replacement, original)
        return replacement

    def _replacement(self, span: Span, text: str) -> str:
        original = span.text
        if span.category == "DATE":
            return self._date(span, text)
        if span.category == "AGE":
            replacement = "90+" if self.style == "surrogate" else "[AGE 90+]"
            self.mapping.setdefault(replacement, original)
            return replacement
        known = self._by_original.get((span.category, original))
        if known is not None:
            return known
        if span.category == "NAME":
            return self._remember("NAME", original, self._name(original))
        n = self._next(span.category)
        if self.style == "placeholder":
            return self._remember(span.category, original, f"[{span.category}-{n}]")
        return self._remember(span.category, original, self._surrogate(span.category, original, n))

    def _name(self, original: str) -> str:
        chinese = bool(re.search(f"[{CJK}]", original))
        tokens = [original] if chinese else original.split()
        person, position = None, 0
        for index, known in enumerate(self._persons):
            if known == tokens:
                person = index
            elif len(tokens) == 1 and not chinese and tokens[0] in known:
                person, position = index, known.index(tokens[0])
            elif len(tokens) == 1 and chinese and len(original) <= 2 and known[0].startswith(original):
                person, position = index, -1  # a surname alone (李医生)
            elif not chinese and len(known) == 1 and len(tokens) > 1 and known[0] in tokens:
                person = index  # "Ingrid" first, then "Ingrid Lindqvist": the same person, now in full
                self._persons[index] = tokens
        if person is None:
            self._persons.append(tokens)
            person = len(self._persons) - 1
        if self.style == "placeholder":
            return f"[NAME-{person + 1}]"
        full = self._person_surrogate(person, chinese)
        if chinese:
            return full[0] if position == -1 else full
        parts = full.split()
        if len(self._persons[person]) == 1:
            return parts[-1]
        if len(tokens) == 1:
            return parts[0] if position == 0 else parts[-1]
        return full

    def _person_surrogate(self, person: int, chinese: bool) -> str:
        """A surrogate full name for the person, different from every other person's in the session."""
        if person not in self._person_names:
            taken = set(self._person_names.values())
            h = self._hash("NAME", " ".join(self._persons[person]))
            for attempt in range(64):
                slot = (h >> attempt) % 256
                if chinese:
                    name = _SURROGATE_ZH_SURNAME[slot % 8] + _SURROGATE_ZH_GIVEN[slot // 8 % 10]
                else:
                    name = f"{_SURROGATE_FIRST[slot % 16]} {_SURROGATE_LAST[slot // 16]}"
                # never a real name seen in the session: "Emily Carter" -> "Rowan Carter" would leak it
                real = {token.casefold() for tokens in self._persons for token in tokens}
                if chinese:  # the surname character of any real Chinese name
                    leaks = any(name[0] in token for token in real)
                else:
                    leaks = any(part.casefold() in real for part in name.split())
                if name not in taken and not leaks:
                    break
            else:
                name = f"Person {person + 1}" if not chinese else f"某{person + 1}"
            self._person_names[person] = name
        return self._person_names[person]

    def _date(self, span: Span, text: str) -> str:
        original = span.text
        if _DOB_CUE.search(text[max(0, span.start - 24) : span.start]):
            return self._remember("DATE", original, "[DOB]")
        parsed = parse_date(original, self._anchor.year if self._anchor else None)
        if parsed is None:
            return self._remember("DATE", original, "[DATE]")
        date, has_day = parsed
        if self.style == "placeholder":
            if self._anchor is None:
                self._anchor = date
            days = (date - self._anchor).days
            return self._remember("DATE", original, f"[DATE{days:+d}d]")
        shifted = date + dt.timedelta(days=self.shift_days)
        if "年" in original or "月" in original:
            replacement = f"{shifted.year}年{shifted.month}月" + (f"{shifted.day}日" if has_day else "")
        else:
            replacement = shifted.isoformat() if has_day else shifted.strftime("%Y-%m")
        return self._remember("DATE", original, replacement)

    def _surrogate(self, category: Category, original: str, n: int) -> str:
        h = self._hash(category, original)
        chinese = bool(re.search(f"[{CJK}]", original))
        if category in ("PHONE", "ID"):
            return _scramble(
                original, h, keep_digits=2 if category == "PHONE" else 0, letters=category == "ID"
            )
        if category == "EMAIL":
            return f"person{n}@example.com"
        if category == "URL":
            return f"https://example.org/record/{n}"
        if category == "IP":
            return f"192.0.2.{n % 254 + 1}"
        if category == "HOSPITAL":
            return f"某市第{n}医院" if chinese else _SURROGATE_HOSPITAL[h % len(_SURROGATE_HOSPITAL)]
        # LOCATION
        if chinese:
            return f"某地{n}"
        if re.fullmatch(r"\d{5}(?:-\d{4})?", original):
            return "00000"
        if re.match(r"\d", original):
            return f"{100 + n} Main Street"
        return _SURROGATE_CITY[h % len(_SURROGATE_CITY)]


def _scramble(original: str, h: int, keep_digits: int = 0, letters: bool = True) -> str:
    """Same shape, other characters: digits -> digits (the first `keep_digits` kept, so a mobile number
    still looks like one), letters -> letters when `letters`."""
    out, digits_seen = [], 0
    for i, ch in enumerate(original):
        step = (h >> (i % 48)) + i * 7
        if ch.isdigit() and ch.isascii():
            out.append(ch if digits_seen < keep_digits else str(step % 10))
            digits_seen += 1
        elif letters and ch.isascii() and ch.isalpha():
            base = "A" if ch.isupper() else "a"
            out.append(chr(ord(base) + step % 26))
        else:
            out.append(ch)
    return "".join(out)


def reidentify(text: str, mapping: dict[str, str]) -> str:
    """Put the originals back into `text` (e.g. a model's answer) using a session's mapping."""
    if not mapping:
        return text
    pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
    return pattern.sub(lambda m: mapping[m.group(0)], text)
