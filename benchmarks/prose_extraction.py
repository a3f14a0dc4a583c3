"""How well `formatting.extract_diagnosis` finds the committed diagnosis in free-form answers.

    .venv/bin/python benchmarks/prose_extraction.py              # the tune split, every miss listed
    .venv/bin/python benchmarks/prose_extraction.py --heldout    # also the held-out split (totals only)

The labelled sets are tests/data/freeform_answers_{tune,heldout}.jsonl (see tests/data/LABELLED_SETS.md):
answers a model that was never trained on the output format writes (prose, "the most likely diagnosis
is X", "诊断考虑X", lists, hedges, negations, no diagnosis, truncations, markdown), each labelled with
the diagnosis it commits to or null. For each split:

- right: the extraction names the labelled diagnosis (or one of its `accept` forms; `same_name`),
- missed: a labelled diagnosis, nothing extracted,
- wrong: something extracted that is not the label: a different string on a labelled answer, or any
  string on an answer that commits to nothing (the harmful case: a reward or a grade for a diagnosis
  the model did not commit to),
- precision = right / everything extracted; "no diagnosis" correct = null answers given None / null
  answers.

Two readers are scored: `extract_diagnosis` alone (the parser; synthesis reads it this way) and the
evaluation path `evaluate.grading.extract(answer, "stop", "cot", "diagnosis")`, which a base model's
answer goes through (they differ if grading ever reads the response differently from the parser).

The held-out split is scored only with --heldout and prints totals, never its rows.

--speed also times the parser: answers per second over the tune answers, and the slowest of a few
degenerate outputs (a cue repeated for ~20,000 characters, as a looping small model writes), which
must stay linear in the length (each name is read within a window of its cue).
"""

from __future__ import annotations

import argparse
import json
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clinical_r1.evaluate.grading import extract
from clinical_r1.formatting import extract_diagnosis

ROOT = Path(__file__).resolve().parents[1]
TUNE = ROOT / "tests" / "data" / "freeform_answers_tune.jsonl"
HELDOUT = ROOT / "tests" / "data" / "freeform_answers_heldout.jsonl"

_ARTICLE = re.compile(r"^(?:a|an|the)\s+")


def normalise(name: str) -> str:
    """NFKC, case-folded, apostrophes and possessive 's dropped, punctuation and spaces collapsed."""
    text = unicodedata.normalize("NFKC", name).casefold().replace("’", "'")
    text = re.sub(r"'s?\b", "", text)
    text = re.sub(r"[\W_]+", " ", text).strip()
    return _ARTICLE.sub("", text)


def same_name(extracted: str, row: dict) -> bool:
    """Whether an extraction names the row's labelled diagnosis (or one of its accepted forms)."""
    forms = [row["diagnosis"], *row.get("accept", [])]
    return normalise(extracted) in {normalise(form) for form in forms}


@dataclass
class Score:
    rows: int = 0
    labelled: int = 0  # rows with a committed diagnosis
    right: int = 0
    missed: int = 0
    wrong_on_labelled: int = 0
    null_rows: int = 0
    null_right: int = 0
    wrong_on_null: int = 0
    # (id, language/style, label, extracted) of every row not right
    failures: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)

    @property
    def extracted(self) -> int:
        return self.right + self.wrong_on_labelled + self.wrong_on_null

    @property
    def wrong(self) -> int:
        return self.wrong_on_labelled + self.wrong_on_null

    @property
    def precision(self) -> float:
        return self.right / self.extracted if self.extracted else 0.0

    @property
    def recall(self) -> float:
        return self.right / self.labelled if self.labelled else 0.0

    @property
    def null_correct(self) -> float:
        return self.null_right / self.null_rows if self.null_rows else 0.0


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def graded(answer: str) -> str | None:
    """What evaluation reads from a base model's whole answer (cot mode, generation not cut off)."""
    return extract(answer, "stop", "cot", "diagnosis").answer


READERS: dict[str, Callable[[str], str | None]] = {"extract_diagnosis": extract_diagnosis, "grading": graded}


def score(rows: list[dict], reader: Callable[[str], str | None] = extract_diagnosis) -> Score:
    result = Score()
    for row in rows:
        got = reader(row["answer"])
        result.rows += 1
        label = row["diagnosis"]
        if label is None:
            result.null_rows += 1
            if got is None:
                result.null_right += 1
            else:
                result.wrong_on_null += 1
        else:
            result.labelled += 1
            if got is None:
                result.missed += 1
            elif same_name(got, row):
                result.right += 1
            else:
                result.wrong_on_labelled += 1
        if got is None if label is None else (got is not None and same_name(got, row)):
            continue
        result.failures.append((row["id"], f"{row['language']}/{row['style']}", label, got))
    return result


def summary(name: str, s: Score) -> str:
    return (
        f"{name}: {s.rows} answers; committed diagnosis found {s.right}/{s.labelled} ({s.recall:.1%}), "
        f"missed {s.missed}; precision {s.right}/{s.extracted} ({s.precision:.1%}); "
        f"'no diagnosis' correct {s.null_right}/{s.null_rows} ({s.null_correct:.1%}); "
        f"wrong extractions {s.wrong} ({s.wrong_on_labelled} on labelled, {s.wrong_on_null} on null)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--heldout", action="store_true", help="also score the held-out split (totals only)")
    parser.add_argument("--quiet", action="store_true", help="totals only, no list of failures")
    parser.add_argument("--speed", action="store_true", help="also time the parser")
    args = parser.parse_args()
    tune, heldout = load(TUNE), load(HELDOUT) if args.heldout else []
    for name, reader in READERS.items():
        result = score(tune, reader)
        if not args.quiet:
            for row_id, style, label, got in result.failures:
                print(f"  {row_id} {style:22} label={label!r} got={got!r}")
        print(summary(f"{name}, tune", result))
        if args.heldout:
            print(summary(f"{name}, held-out", score(heldout, reader)))
    if args.speed:
        speed(tune)


DEGENERATE = ["考虑" * 10_000, "最可能的诊断是" * 3_000, "is suspected " * 1_600, "makes " * 3_500,
              "This is " * 2_500, "Pneumonia is unlikely. " * 900]  # fmt: skip


def speed(rows: list[dict], repeats: int = 5) -> None:
    started = time.perf_counter()
    for _ in range(repeats):
        for row in rows:
            extract_diagnosis(row["answer"])
    per_answer = (time.perf_counter() - started) / (repeats * len(rows))
    mean_chars = sum(len(row["answer"]) for row in rows) / len(rows)
    print(
        f"speed: {1 / per_answer:,.0f} answers/s ({per_answer * 1e6:,.0f} µs each, "
        f"{mean_chars:.0f} chars mean)"
    )
    worst = (0.0, "")
    for text in DEGENERATE:
        started = time.perf_counter()
        extract_diagnosis(text)
        worst = max(worst, (time.perf_counter() - started, f"{text[:12]!r}... ({len(text):,} chars)"))
    print(f"slowest degenerate output: {worst[0] * 1000:,.0f} ms for {worst[1]}")


if __name__ == "__main__":
    main()
