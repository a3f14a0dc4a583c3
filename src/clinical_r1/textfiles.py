"""Text files of unknown encoding: detect it from the head, decode line by line, never crash on a bad byte.

Hospital exports are often GBK / GB18030 (Chinese Windows), sometimes UTF-16 (Excel "Unicode text") or
UTF-8 with a BOM. `detect_encoding` looks at the BOM, then at whether the head is UTF-8, then asks
charset-normalizer; only the first `SAMPLE_BYTES` are read, so a large file is never read whole.

`open_text` decodes with an error handler that turns each undecodable byte into a lone surrogate
(U+DC00 + byte). Valid input never decodes to a lone surrogate, so a line that contains one is a line
with bad bytes: readers report it with its line (`undecodable`) and go on with the next one, instead of
the whole import dying with a UnicodeDecodeError on line 20,001.
"""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

SAMPLE_BYTES = 1 << 16
_HANDLER = "clinical_r1.mark_undecodable"
_MARKED = re.compile(r"[\udc00-\udcff]")
# GBK and GB2312 are subsets of GB18030: decoding a file detected as either with GB18030 also reads the
# rarer characters that its head did not show.
_WIDEN = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "ascii": "utf-8"}


def _mark(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(chr(0xDC00 + b) for b in bad), exc.end


codecs.register_error(_HANDLER, _mark)


@dataclass(frozen=True)
class Encoding:
    name: str  # a Python codec name ("utf-8", "utf-8-sig", "gb18030", "utf-16")
    how: str  # "given", "BOM", "UTF-8 check", "charset-normalizer", "empty file"


def check_encoding(name: str) -> str:
    """The codec's canonical name; ValueError for a name Python does not know."""
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise ValueError(f"unknown encoding '{name}' (e.g. utf-8, utf-8-sig, gb18030, gbk, utf-16)") from exc


def detect_encoding(path: str | Path, given: str | None = None, sample_bytes: int = SAMPLE_BYTES) -> Encoding:
    """The encoding of a file, from its first `sample_bytes` (or `given`, checked, when forced).

    When the head is plain ASCII (an English header and first rows, Chinese further down), three more
    samples from a quarter, half and three quarters into the file are looked at too."""
    if given:
        return Encoding(check_encoding(given), "given")
    with Path(path).open("rb") as fh:
        head = fh.read(sample_bytes)
        complete = len(head) < sample_bytes or not fh.read(1)
        if not complete and head.isascii() and b"\x00" not in head:
            head = head[: head.rindex(b"\n") + 1] if b"\n" in head else head
            size = os.fstat(fh.fileno()).st_size
            for fraction in (0.25, 0.5, 0.75):
                fh.seek(int(size * fraction))
                chunk = fh.read(sample_bytes // 4)
                if not chunk.isascii() and chunk.count(b"\n") >= 2:  # whole lines only: no cut characters
                    head += chunk[chunk.index(b"\n") + 1 : chunk.rindex(b"\n") + 1]
    if head.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig", "BOM")
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return Encoding("utf-32", "BOM")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Encoding("utf-16", "BOM")
    if not head:
        return Encoding("utf-8", "empty file")
    if not complete and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # a cut multi-byte character must not look like bad UTF-8
    text = head.decode("utf-8", errors=_HANDLER)
    bad = len(_MARKED.findall(text))
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    # A UTF-8 file with a few bad bytes is still UTF-8 (the bad lines are reported); GBK read as UTF-8
    # fails on most of its non-ASCII characters.
    if (bad == 0 or bad * 20 <= non_ascii - bad) and b"\x00" not in head:  # NULs: UTF-16 without a BOM
        return Encoding("utf-8", "UTF-8 check")
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        return Encoding("utf-8", "UTF-8 check")  # nothing fits better: bad lines will be reported
    name = check_encoding(best.encoding)
    return Encoding(_WIDEN.get(name, name), "charset-normalizer")


def open_text(path: str | Path, encoding: str, newline: str | None = None) -> TextIO:
    """The file opened for reading text; undecodable bytes become marks that `undecodable` finds."""
    return Path(path).open(encoding=encoding, errors=_HANDLER, newline=newline)


def undecodable(text: str, encoding: str) -> str | None:
    """None for clean text; else a message naming the first bad bytes and where they are in the line."""
    match = _MARKED.search(text)
    if match is None:
        return None
    run = re.match(r"[\udc00-\udcff]+", text[match.start() :]).group(0)
    raw = bytes(ord(ch) - 0xDC00 for ch in run[:8])
    where = f"column {match.start() + 1}"
    return f"cannot decode bytes {raw!r} at {where} as {encoding} (use --encoding to force one)"


def clean(text: str) -> str:
    """The text with undecodable bytes shown as U+FFFD, so it can be written to a UTF-8 reject file."""
    return _MARKED.sub("\ufffd", text)
