"""Leakage filter: is a benchmark case an exact or near duplicate of a training case?

Texts are normalised (NFKC, case-folded, punctuation and spacing collapsed) and cut into character
shingles, so Chinese (no spaces between words) works the same as English. Exact duplicates are found
by a hash of the normalised text; near duplicates by MinHash LSH (`datasketch`), confirmed by the
MinHash estimate of the Jaccard similarity of the shingle sets being at least the threshold.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

import numpy as np
from datasketch import MinHash, MinHashLSH

from clinical_r1.records import RecordError, iter_jsonl

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


def training_texts(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line, case text) of a training file: records (`case`) or synthesis examples (`question`)."""
    for line, obj in iter_jsonl(path):
        text = next((obj[f] for f in TEXT_FIELDS if isinstance(obj.get(f), str) and obj[f].strip()), None)
        if text is None:
            raise RecordError(
                path, line, "question", "a training line needs a non-empty 'question' or 'case'"
            )
        yield line, text


class LeakageIndex:
    """The training cases, indexed for exact and near-duplicate queries."""

    def __init__(self, threshold: float = 0.8, shingle_size: int = 4, num_perm: int = 128):
        self.threshold, self.shingle_size, self.num_perm = threshold, shingle_size, num_perm
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._exact: set[bytes] = set()
        self._signatures: list[np.ndarray] = []
        # One set of permutations for every MinHash: building them per instance costs more than hashing.
        template = MinHash(num_perm=num_perm, seed=1)
        self._permutations, self._scheme = template.permutations, template.scheme

    def __len__(self) -> int:
        return len(self._signatures)

    def _minhash(self, text: str) -> MinHash:
        # crc32 is a fast, stable 32-bit hash (the signature must not change between runs).
        mh = MinHash(
            num_perm=self.num_perm, hashfunc=zlib.crc32, permutations=self._permutations, scheme=self._scheme
        )
        mh.update_batch(shingles(text, self.shingle_size))
        return mh

    def add(self, text: str) -> None:
        self._exact.add(_text_hash(normalise_text(text)))
        key = len(self._signatures)
        mh = self._minhash(text)
        self._signatures.append(mh.hashvalues.copy())
        self._lsh.insert(key, mh, check_duplication=False)

    def add_all(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.add(text)

    def match(self, text: str) -> Match | None:
        """'exact' for the same normalised text, 'near' for an estimated Jaccard >= threshold, else None."""
        if _text_hash(normalise_text(text)) in self._exact:
            return "exact"
        mh = self._minhash(text)
        for key in self._lsh.query(mh):
            if float(np.mean(self._signatures[key] == mh.hashvalues)) >= self.threshold:
                return "near"
        return None
