"""RL prompts: a case to diagnose and the reference diagnosis the reward checks the answer against.

Read from either clinical records (`case`, `diagnosis`, optional `icd10`) or synthesis training
examples (`question`, `reference`); the kind is told by the first line's fields.

`prepare_rl_data` makes the file RL trains on: the record filter (record_filters.py) first, then
every prompt whose case text is an exact or near duplicate of a benchmark case is left out, with the
benchmark's leak index (leakage.py, the same check `bench build` runs against training data).
Both are counted in the report the RL stage and `clinical-r1 rl` print and save.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from clinical_r1.chat import prompt_messages, system_prompt_for
from clinical_r1.leakage import LeakageIndex, training_texts
from clinical_r1.record_filters import FilterReport, RecordFilter, filter_rows
from clinical_r1.records import RecordError, iter_jsonl, read_records, write_jsonl
from clinical_r1.training_example import read_examples


@dataclass(frozen=True)
class PromptItem:
    id: str
    question: str
    reference: str
    language: str = "en"
    reference_icd10: str | None = None


def load_prompts(path: str | Path) -> list[PromptItem]:
    """Prompts from records JSONL or training examples JSONL; RecordError names file, line and field."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: RL data not found")
    first = next(iter_jsonl(path), None)
    if first is None:
        raise RecordError(path, None, None, "no prompts (empty file)")
    line, row = first
    if "case" in row or "diagnosis" in row:
        return [
            PromptItem(r.id, r.case, r.diagnosis, r.language, r.icd10 if r.icd10 else None)
            for r in read_records(path)
        ]
    if "question" in row or "reference" in row:
        items = []
        for number, example in enumerate(read_examples(path), start=1):
            if not example.reference.strip():
                raise RecordError(path, number, "reference", "must not be empty (the reward needs it)")
            items.append(PromptItem(example.id, example.question, example.reference, example.language))
        return items
    raise RecordError(
        path, line, None, "neither a record (case, diagnosis) nor a training example (question, reference)"
    )


def chat_prompt(item: PromptItem, system_prompts: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The conversation the policy answers: the same system prompt and user turn as SFT trained on."""
    return prompt_messages(item.question, system_prompt_for(item.language, system_prompts))


def tokenize_prompts(
    tokenizer, items: list[PromptItem], system_prompts: dict[str, str] | None, max_tokens: int
) -> tuple[list[PromptItem], list[list[int]], int]:
    """Chat-template token ids of each prompt; prompts over `max_tokens` are left out (and counted)."""
    if not tokenizer.chat_template:
        raise ValueError("the tokenizer has no chat template; RL prompts go through it")
    kept, ids = [], []
    for item in items:
        encoded = tokenizer.apply_chat_template(
            chat_prompt(item, system_prompts), add_generation_prompt=True, tokenize=True, return_dict=True
        )["input_ids"]
        if len(encoded) <= max_tokens:
            kept.append(item)
            ids.append(list(encoded))
    if not kept:
        raise ValueError(f"every prompt is longer than max_prompt_tokens={max_tokens}")
    return kept, ids, len(items) - len(kept)


# --- the file RL trains on: filtered, benchmark cases left out ----------------------------------


@dataclass
class RLDataReport:
    source: str
    read: int = 0
    kept: int = 0
    filtered: dict[str, Any] = field(default_factory=dict)  # FilterReport.as_dict()
    benchmark_files: list[str] = field(default_factory=list)
    benchmark_cases: int = 0  # case texts indexed from benchmark_files
    excluded_benchmark: dict[str, int] = field(default_factory=dict)  # "exact" / "near" -> prompts
    leak_threshold: float = 0.8

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        excluded = sum(self.excluded_benchmark.values())
        parts = [f"RL data: {self.kept} of {self.read} prompts kept"]
        dropped = self.filtered.get("dropped") or {}
        if dropped:
            parts.append("filter dropped " + ", ".join(f"{n} ({why})" for why, n in dropped.items()))
        if self.benchmark_files:
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.excluded_benchmark.items()) if n)
            parts.append(
                f"{excluded} benchmark cases left out" + (f" ({kinds})" if kinds else "")
                + f" against {self.benchmark_cases} cases in {', '.join(self.benchmark_files)}"
            )
        else:
            parts.append("no benchmark given: no benchmark case left out")
        return "; ".join(parts)


def _case_text(row: dict[str, Any]) -> str | None:
    text = row.get("case") if "case" in row else row.get("question")
    return text if isinstance(text, str) else None


def prepare_rl_data(
    data: str | Path,
    out: str | Path,
    record_filter: RecordFilter | None = None,
    benchmark_files: Sequence[str | Path] = (),
    leak_threshold: float = 0.8,
) -> RLDataReport:
    """Write to `out` the prompts of `data` that pass the filter and are no benchmark case.

    `benchmark_files`: JSONL files whose `case` / `question` texts are benchmark cases (a bench.jsonl,
    the held-out records it is built from). Raises ValueError when nothing is left to train on.
    """
    data, out = Path(data), Path(out)
    if not data.exists():
        raise FileNotFoundError(f"{data}: RL data not found")
    if data.resolve() == out.resolve():
        raise ValueError(f"{out}: the prepared RL data must not overwrite its input")
    report = RLDataReport(source=str(data), leak_threshold=leak_threshold)
    rows = []
    for line, row in iter_jsonl(data):
        if not (_case_text(row) or "").strip():
            raise RecordError(data, line, "case", "an RL prompt needs a non-empty 'case' or 'question'")
        rows.append(row)
    report.read = len(rows)
    if record_filter is not None and not record_filter.is_empty():
        rows, filtered = filter_rows(rows, record_filter)
    else:
        filtered = FilterReport(read=len(rows), kept=len(rows))
    report.filtered = filtered.as_dict()
    if benchmark_files:
        rows = _without_benchmark_cases(rows, [Path(p) for p in benchmark_files], report)
    report.kept = len(rows)
    if not rows:
        raise ValueError(f"{data}: no RL prompt left ({report.describe()})")
    write_jsonl(out, rows)
    return report


def _without_benchmark_cases(
    rows: list[dict[str, Any]], files: list[Path], report: RLDataReport
) -> list[dict[str, Any]]:
    index = LeakageIndex(threshold=report.leak_threshold)
    for path in files:
        if not path.exists():
            raise FileNotFoundError(f"{path}: benchmark file not found")
        for _, offset, text in training_texts(path):
            index.add(text, source=(path, offset))
    report.benchmark_files = [str(p) for p in files]
    report.benchmark_cases = len(index)
    excluded: Counter[str] = Counter()
    kept = []
    try:
        for row in rows:
            match = index.match(_case_text(row) or "")
            if match is None:
                kept.append(row)
            else:
                excluded[match] += 1
    finally:
        index.close()
    report.excluded_benchmark = {"exact": excluded["exact"], "near": excluded["near"]}
    return kept
