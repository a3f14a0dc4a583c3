"""Score the de-identifier on an annotated corpus: recall per category and clinical terms wrongly removed.

Corpus lines (tests/data/deid_corpus.jsonl): `id`, `split`, `language`, `text`, `spans` (start, end,
category, text: the planted identifiers) and `keep` (start, end, text: clinical terms that must
survive). A planted identifier counts as found when every non-space character of it is inside some
detected span (whatever category the detector gave it: what matters is that it does not leave).
A clinical term counts as removed when any of its characters is inside a detected span.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from clinical_r1.deid.detect import CATEGORIES, find_spans
from clinical_r1.records import iter_jsonl


@dataclass
class Scores:
    records: int = 0
    found: dict[str, int] = field(default_factory=lambda: {c: 0 for c in CATEGORIES})
    planted: dict[str, int] = field(default_factory=lambda: {c: 0 for c in CATEGORIES})
    terms: int = 0
    terms_removed: int = 0
    extra_spans: int = 0  # detected spans touching no planted identifier
    # fine identifier types of the notes corpus (tests/data/deid_notes.jsonl: "type" of each span)
    found_type: dict[str, int] = field(default_factory=dict)
    planted_type: dict[str, int] = field(default_factory=dict)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (record id, category, text)
    removed_terms: list[tuple[str, str]] = field(default_factory=list)  # (record id, term)

    def recall(self, category: str | None = None) -> float:
        if category is None:
            total = sum(self.planted.values())
            return sum(self.found.values()) / total if total else 1.0
        return self.found[category] / self.planted[category] if self.planted[category] else 1.0

    def recall_type(self, kind: str) -> float:
        return self.found_type.get(kind, 0) / self.planted_type[kind] if self.planted_type.get(kind) else 1.0

    @property
    def removal_rate(self) -> float:
        return self.terms_removed / self.terms if self.terms else 0.0


def load_corpus(path: str | Path) -> list[dict]:
    return [obj for _, obj in iter_jsonl(path)]


def score(rows: Iterable[dict]) -> Scores:
    scores = Scores()
    for row in rows:
        text = row["text"]
        spans = find_spans(text)
        covered = bytearray(len(text))
        for s in spans:
            covered[s.start : s.end] = b"\x01" * (s.end - s.start)
        scores.records += 1
        for gold in row["spans"]:
            scores.planted[gold["category"]] += 1
            kind = gold.get("type")
            if kind:
                scores.planted_type[kind] = scores.planted_type.get(kind, 0) + 1
            if all(covered[i] or text[i].isspace() for i in range(gold["start"], gold["end"])):
                scores.found[gold["category"]] += 1
                if kind:
                    scores.found_type[kind] = scores.found_type.get(kind, 0) + 1
            else:
                scores.misses.append((row["id"], gold["category"], gold["text"]))
        for term in row["keep"]:
            scores.terms += 1
            if any(covered[term["start"] : term["end"]]):
                scores.terms_removed += 1
                scores.removed_terms.append((row["id"], term["text"]))
        for s in spans:
            if not any(s.start < g["end"] and g["start"] < s.end for g in row["spans"]):
                scores.extra_spans += 1
    return scores
