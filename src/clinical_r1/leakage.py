"""Leakage filter: is a benchmark case an exact or near duplicate of a training case?

Texts are normalised (NFKC, case-folded, punctuation and spacing collapsed) and cut into character
shingles, so Chinese (no spaces between words) works the same as English. Exact duplicates are found
by a hash of the normalised text; near duplicates by MinHash LSH (`datasketch`), confirmed by the
exact Jaccard similarity of the two shingle sets being at least the threshold.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from datasketch import MinHash, MinHashLSH

from clinical_r1.records import RecordError

Match = Literal["exact", "near"]

_NON_WORD = re.compile(r"[\W_]+")
# Fields that hold the case text: records (`case`), training examples (`question`), the public
# HuatuoGPT-o1 / ClinicalGPT-R1 format (`Question`).
TEXT_FIELDS = ("question", "case", "Question")


def normalise_text(text: str) -> str:
    """Case-folded NFKC text with every run of punctuation or spacing turned into one space."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def shingles(text: str, size: int) -> set[bytes]:
    """Character shingles of the normalised text (the whole text when it is shorter than `size`)."""
    norm = normalise_text(text)
    if len(norm) <= size:
        return {norm.encode("utf-8")} if norm else set()
    return {norm[i : i + size].encode("utf-8") for i in range(len(norm) - size + 1)}


def _text_hash(norm: str) -> bytes:
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=16).digest()


def training_texts(path: str | Path) -> Iterator[tuple[int, int, str]]:
    """(line, byte offset, case text) of a training file: records (`case`) or synthesis examples
    (`question`)."""
    path = Path(path)
    with path.open("rb") as fh:
        offset = 0
        for line, raw in enumerate(fh, start=1):
            start, offset = offset, offset + len(raw)
            if raw.strip():
                yield line, start, _text_of(raw, path, line)


def _text_of(raw: bytes, path: Path, line: int | None) -> str:
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordError(path, line, None, f"not valid JSON ({exc})") from exc
    text = obj.get(next((f for f in TEXT_FIELDS if f in obj), "question")) if isinstance(obj, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise RecordError(path, line, "question", "a training line needs a non-empty 'question' or 'case'")
    return text


class LeakageIndex:
    """The training cases, indexed for exact and near-duplicate queries.

    MinHash LSH finds candidates with a lower threshold than asked (threshold - 0.1, tuned for recall:
    about 99% of pairs at the threshold are found); each candidate is then confirmed by the exact
    Jaccard similarity of the shingle sets. Texts added from a file are read back from it for that,
    so memory holds only the LSH tables, not the training texts.
    """

    def __init__(self, threshold: float = 0.8, shingle_size: int = 4, num_perm: int = 128):
        self.threshold, self.shingle_size, self.num_perm = threshold, shingle_size, num_perm
        self._lsh = MinHashLSH(threshold=max(0.05, threshold - 0.1), num_perm=num_perm, weights=(0.2, 0.8))
        self._exact: set[bytes] = set()
        self._sources: list[tuple[int, int] | str] = []  # (file number, byte offset) or the text
        self._files: list[Path] = []
        self._handles: dict[int, BinaryIO] = {}
        # One set of permutations for every MinHash: building them per instance costs more than hashing.
        template = MinHash(num_perm=num_perm, seed=1)
        self._permutations, self._scheme = template.permutations, template.scheme

    def __len__(self) -> int:
        return len(self._sources)

    def _minhash(self, grams: set[bytes]) -> MinHash:
        # crc32 is a fast, stable 32-bit hash (the signature must not change between runs).
        mh = MinHash(
            num_perm=self.num_perm, hashfunc=zlib.crc32, permutations=self._permutations, scheme=self._scheme
        )
        mh.update_batch(grams)
        return mh

    def add(self, text: str, source: tuple[Path, int] | None = None) -> None:
        """Index one training text; `source` (file, byte offset of its line) lets it be read back later."""
        self._exact.add(_text_hash(normalise_text(text)))
        if source is None:
            self._sources.append(text)
        else:
            path, offset = source
            if not self._files or self._files[-1] != path:
                self._files.append(path)
            self._sources.append((len(self._files) - 1, offset))
        self._lsh.insert(len(self._sources) - 1, self._minhash(shingles(text, self.shingle_size)))

    def _text(self, key: int) -> str:
        source = self._sources[key]
        if isinstance(source, str):
            return source
        number, offset = source
        if number not in self._handles:
            self._handles[number] = self._files[number].open("rb")
        fh = self._handles[number]
        fh.seek(offset)
        return _text_of(fh.readline(), self._files[number], None)

    def match(self, text: str) -> Match | None:
        """'exact' for the same normalised text, 'near' for a Jaccard similarity >= threshold, else None."""
        if _text_hash(normalise_text(text)) in self._exact:
            return "exact"
        grams = shingles(text, self.shingle_size)
        for key in self._lsh.query(self._minhash(grams)):
            other = shingles(self._text(key), self.shingle_size)
            if grams and len(grams & other) / len(grams | other) >= self.threshold:
                return "near"
        return None

    def close(self) -> None:
        for fh in self._handles.values():
            fh.close()
        self._handles.clear()
