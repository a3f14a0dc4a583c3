"""Curation before training: which records are worth training on.

Three filters, cheapest first, over a record file (`clinical-r1 curate`, or the pipeline's curate stage):

(b) decontamination: a record whose case is an exact or near duplicate of a case of a known benchmark
    (files or folders the user names: bench.jsonl, DxBench, MedQA, any file evaluation reads) is dropped,
    counted per source. The MinHash index is the benchmark builder's (leakage.py, `datasketch`).
(c) answer leakage: a record whose case text names its own diagnosis (its name, abbreviation, the
    verifier's synonyms, the synonym tables' names of its ICD-10 code, the code's WHO title) is flagged
    (kept, listed in flagged.jsonl) or dropped, as configured.
(a) difficulty: a model (the student, or any model spec) answers each remaining case n times; the
    verifier grades each answer exactly as evaluation does (evaluate.runner.grade). A record solved in at
    least `solved_threshold` of the samples is dropped or kept with a lower weight (meta.curation.weight).

Every dropped record is in rejects.jsonl with its reason; kept + dropped = the input (checked). The model
sampling is journaled per record (difficulty.jsonl) and its responses cached, so a rerun resumes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clinical_r1 import icd10
from clinical_r1.async_map import map_resumable
from clinical_r1.config import ConfigError
from clinical_r1.evaluate.config import EvalConfig, Mode, ModelUnderTest
from clinical_r1.evaluate.items import EvalItem, from_record, load_items
from clinical_r1.evaluate.journal import Journal
from clinical_r1.evaluate.prompts import prompting_for
from clinical_r1.evaluate.runner import ask_and_grade
from clinical_r1.leakage import LeakageIndex
from clinical_r1.llm import Ledger, build_llm
from clinical_r1.plotting import pyplot
from clinical_r1.prompt_contract import Prompting, PromptOverrides
from clinical_r1.records import ClinicalRecord, RecordError, read_records, write_jsonl
from clinical_r1.safe_io import atomic_write_json
from clinical_r1.verify import SYNONYMS_FILE, Verifier, VerifierConfig, parse_diagnosis

_console = Console(stderr=True)
NO_CODE = "(no code)"
NO_DEPARTMENT = "(no department)"
# Files of a benchmark folder that are read as benchmarks (README, LICENSE and the like are not).
BENCH_SUFFIXES = (".jsonl", ".json", ".csv", ".tsv")


class SamplingIncomplete(RuntimeError):
    """A record's model requests failed: the answers so far are journaled, a rerun asks only the rest."""


class CurateConfig(PromptOverrides):
    """Curation settings; every field has a default. Without `model` there is no difficulty filter."""

    # (a) difficulty
    model: str | dict[str, Any] | None = None  # any ModelSpec ("local:runs/x/sft", "openai:M@URL", "tiny")
    mode: Mode = "trained"  # how the model is prompted (evaluation's modes)
    samples: int = Field(4, ge=1)
    temperature: float = Field(0.7, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(1024, ge=1)
    seed: int = 0
    solved_threshold: float = Field(1.0, gt=0.0, le=1.0)  # solved: share of right samples >= this
    solved_action: Literal["drop", "downweight"] = "drop"
    solved_weight: float = Field(0.2, ge=0.0, le=1.0)  # meta.curation.weight of a down-weighted record
    verifier: VerifierConfig = Field(default_factory=VerifierConfig)
    # style, system_prompts, force_prompts (PromptOverrides): how a trained-mode model is prompted and read
    concurrency: int = Field(8, ge=1)
    cache_path: Path | None = None  # response cache; None = OUT/cache.sqlite
    # (b) decontamination: benchmark files or folders (every .jsonl/.json/.csv/.tsv inside)
    benchmarks: list[Path] = Field(default_factory=list)
    leakage_threshold: float = Field(0.8, gt=0.0, le=1.0)
    shingle_size: int = Field(4, ge=1)
    num_perm: int = Field(128, ge=16)
    # (c) answer leakage
    answer_leak: Literal["flag", "drop", "off"] = "flag"
    limit: int | None = Field(None, ge=1)  # only the first N records
    plot: bool = True

    @model_validator(mode="after")
    def _sampling(self) -> CurateConfig:
        if self.model is not None and self.samples > 1 and self.temperature == 0.0:
            raise ValueError(
                f"samples={self.samples} with temperature 0 repeats one answer; set temperature > 0"
            )
        return self


class CurationStats(BaseModel):
    records: int = 0
    kept: int = 0
    dropped: int = 0
    down_weighted: int = 0
    flagged: int = 0
    reasons: dict[str, int] = Field(default_factory=dict)  # dropped, by reason
    benchmark_matches: dict[str, dict[str, int]] = Field(default_factory=dict)  # source -> {exact, near}
    benchmark_items: dict[str, int] = Field(default_factory=dict)  # source -> cases indexed
    solve_rates: dict[str, int] = Field(default_factory=dict)  # "k/n" -> records (difficulty filter)
    model: str | None = None
    distribution: dict[str, dict[str, dict[str, int]]] = Field(default_factory=dict)  # by -> before/after
    files: dict[str, str] = Field(default_factory=dict)


# --- (b) decontamination -------------------------------------------------------------------------


def benchmark_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the benchmark files inside folders named (sorted); a missing path is an error."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in BENCH_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise RecordError(path, None, None, "benchmark file or folder not found")
    return list(dict.fromkeys(files))


def benchmark_texts(path: Path) -> list[str]:
    """Case texts of a benchmark file in any layout evaluation reads (diagnosis or multiple choice)."""
    return [item.question for item in load_items(path, "auto")]


def _index(texts: list[str], config: CurateConfig) -> LeakageIndex:
    index = LeakageIndex(config.leakage_threshold, config.shingle_size, config.num_perm)
    for text in texts:
        index.add(text)
    return index


# --- (c) answer leakage --------------------------------------------------------------------------


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=1)
def _synonym_groups() -> tuple[dict[str, list[int]], dict[str, list[int]], list[list[str]]]:
    """The verifier's synonym groups: folded name -> group numbers, code -> group numbers, the groups."""
    by_name: dict[str, list[int]] = {}
    by_code: dict[str, list[int]] = {}
    groups: list[list[str]] = []
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, _, names = line.partition("\t")
        variants = [v.strip() for v in names.split("|") if v.strip()]
        for variant in variants:
            by_name.setdefault(_fold(variant), []).append(len(groups))
        if code.strip() not in ("", "-") and (normal := icd10.normalize(code.strip())):
            by_code.setdefault(normal, []).append(len(groups))
        groups.append(variants)
    return by_name, by_code, groups


@lru_cache(maxsize=2)
def _names_by_code(language: str) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for name, code in icd10.synonyms(language).items():
        table.setdefault(code, []).append(name)
    return table


def answer_names(diagnosis: str, code: str | None, language: str) -> list[str]:
    """Every name of the record's diagnosis the leak check looks for, longest first."""
    parsed = parse_diagnosis(diagnosis)
    names = {diagnosis, *parsed.forms}
    by_name, by_code, groups = _synonym_groups()
    numbers = [n for form in list(names) for n in by_name.get(_fold(form), [])]
    normal = icd10.normalize(code) if code else None
    if normal:
        numbers += by_code.get(normal, [])
        names.update(_names_by_code("en").get(normal, []))
        names.update(_names_by_code("zh").get(normal, []))
        info = icd10.lookup(normal)
        if info is not None and info.code == normal and "." in normal:  # a subcategory's own title
            names.update(parse_diagnosis(info.description).forms)
    for number in numbers:
        names.update(groups[number])
    usable = {n.strip() for n in names if _usable(n.strip())}
    return sorted(usable, key=lambda n: (-len(n), n))


def _usable(name: str) -> bool:
    """Names long enough not to match by chance: 2+ Chinese characters, 3+ Latin characters."""
    if re.search(r"[\u3400-\u9fff]", name):
        return len(name) >= 2
    return len(re.sub(r"\W", "", name)) >= 3


def find_answer_leak(case: str, names: list[str]) -> str | None:
    """The first name (longest first) the case text contains, as found (case-folded), or None. English
    names match whole words (an all-capital abbreviation case-sensitively); Chinese names as substrings."""
    folded = _fold(case)
    for name in names:
        if re.search(r"[\u3400-\u9fff]", name):
            if _fold(name) in folded:
                return name
            continue
        if name.isupper():
            if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", case):
                return name
        elif match := re.search(rf"(?<![\w-]){re.escape(_fold(name))}(?![\w-])", folded):
            return match.group(0)
    return None


# --- (a) difficulty ------------------------------------------------------------------------------


def _prompting(config: CurateConfig) -> Prompting:
    """The difficulty model's prompting: its prompting contract, checked against the config's values."""
    given = EvalConfig(
        style=config.style, system_prompts=config.system_prompts, force_prompts=config.force_prompts
    )
    if config.model is None:
        return Prompting(style=given.style or "r1", system_prompts=given.system_prompts)
    model = ModelUnderTest(name="curate", spec=config.model, mode=config.mode)  # type: ignore[arg-type]
    return prompting_for(model, given)


def _eval_config(config: CurateConfig) -> EvalConfig:
    prompting = _prompting(config)
    return EvalConfig(
        task="diagnosis",
        verifier=config.verifier,
        samples=config.samples,
        temperature=config.temperature,
        top_p=config.top_p,
        max_tokens=config.max_tokens,
        seed=config.seed,
        concurrency=config.concurrency,
        style=prompting.style,
        system_prompts=prompting.system_prompts,
    )


async def _sample(
    config: CurateConfig, items: list[EvalItem], journal: Journal, cache_path: Path | None, ledger: Ledger,
    progress: bool,
) -> None:  # fmt: skip
    model = ModelUnderTest(name="curate", spec=config.model, mode=config.mode)  # type: ignore[arg-type]
    eval_config = _eval_config(config)
    spec = model.model_spec()
    if not spec.is_local:
        spec = spec.model_copy(update={"concurrency": max(spec.concurrency, config.concurrency)})
    llm = build_llm(spec, cache_path, ledger)
    judge = None
    if config.verifier.judge:
        if config.verifier.judge_model is None:
            raise ConfigError("curate config: verifier.judge is on but verifier.judge_model is not set")
        judge = build_llm(config.verifier.judge_model, config.verifier.judge_cache or cache_path, ledger)
    verifier = Verifier(config.verifier, llm=judge)
    bar = Progress(
        TextColumn("[bold]difficulty"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        disable=not progress, console=_console,
    )  # fmt: skip

    async def answer(unit: list[EvalItem]) -> list[dict[str, Any]]:
        # eval_config carries this config's sampling settings (_eval_config)
        return await ask_and_grade(unit, llm, model, eval_config, verifier, {"stage": "curate"})

    try:
        with bar:
            task = bar.add_task("difficulty", total=len(items))
            await map_resumable(  # the items are the unanswered ones already (see `answered`)
                answer,
                items,
                record=lambda item, entry: journal.append({**entry, "case_sha": _digest(item.question)}),
                progress=lambda _item, _entry: bar.advance(task),
                concurrency=config.concurrency,
                batch_size=max(1, spec.batch_size) if spec.backend == "local" else 1,
            )
    finally:
        await llm.aclose()
        if judge is not None:
            await judge.aclose()


# --- the whole filter ----------------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _chapter(record: ClinicalRecord) -> str:
    info = icd10.lookup(record.icd10) if record.icd10 else None
    return info.chapter if info else NO_CODE


def _distribution(records: list[ClinicalRecord]) -> dict[str, dict[str, int]]:
    return {
        "department": dict(Counter(r.department or NO_DEPARTMENT for r in records).most_common()),
        "icd10_chapter": dict(Counter(_chapter(r) for r in records).most_common()),
    }


def run_curation(
    config: CurateConfig,
    records_path: str | Path,
    out_dir: str | Path,
    progress: bool = True,
) -> CurationStats:
    """Filter records_path into out_dir: records.jsonl (kept), rejects.jsonl (dropped, with reasons),
    flagged.jsonl, curation.json (stats), distribution.png; difficulty.jsonl + cache.sqlite to resume."""
    out_dir = Path(out_dir)
    records = _read(Path(records_path), config.limit)
    out_dir.mkdir(parents=True, exist_ok=True)
    stats = CurationStats(records=len(records))
    rejects: list[dict[str, Any]] = []
    flagged: list[dict[str, Any]] = []
    notes: dict[str, dict[str, Any]] = {r.id: {} for r in records}
    alive = list(records)

    # (b) benchmark near-duplicates, per source; a record counts once, for the first source it matches.
    sources = benchmark_files(config.benchmarks)
    for source in sources:
        texts = benchmark_texts(source)
        stats.benchmark_items[str(source)] = len(texts)
        index = _index(texts, config)
        counts = {"exact": 0, "near": 0}
        survivors = []
        for record in alive:
            match = index.match(record.case)
            if match is None:
                survivors.append(record)
                continue
            counts[match] += 1
            rejects.append(_reject(record, "benchmark_duplicate", f"{match} duplicate of a case in {source}"))
        stats.benchmark_matches[str(source)] = counts
        alive = survivors

    # (c) the case names its own diagnosis.
    if config.answer_leak != "off":
        survivors = []
        for record in alive:
            name = find_answer_leak(
                record.case, answer_names(record.diagnosis, record.icd10, record.language)
            )
            if name is None:
                survivors.append(record)
                continue
            detail = f"the case names the diagnosis: {name!r}"
            if config.answer_leak == "drop":
                rejects.append(_reject(record, "answer_leak", detail))
                continue
            notes[record.id]["flags"] = [f"answer_leak: {name}"]
            flagged.append(
                {"id": record.id, "reason": "answer_leak", "detail": detail, "diagnosis": record.diagnosis}
            )
            survivors.append(record)
        alive = survivors
        stats.flagged = len(flagged)

    # (a) difficulty: sample the model on what is left.
    if config.model is not None and alive:
        stats.model = str(config.model)
        if config.model in ("tiny", "local:tiny"):  # the project's tiny model, built on first use
            from clinical_r1.tiny import ensure_tiny_model

            ensure_tiny_model()
        _set_aside_if_changed(config, out_dir)
        journal = Journal(out_dir / "difficulty.jsonl")
        try:
            # Asked again: unanswered records, failed requests, and a case edited under the same id.
            def answered(record: ClinicalRecord) -> bool:
                entry = journal.entries.get(record.id)
                return (
                    bool(entry) and not entry.get("error") and entry.get("case_sha") == _digest(record.case)
                )

            items = [from_record(r) for r in alive if not answered(r)]
            if items:
                ledger = Ledger()
                cache = config.cache_path or out_dir / "cache.sqlite"
                asyncio.run(_sample(config, items, journal, cache, ledger, progress))
                ledger.save(out_dir / "ledger.json")
            entries = journal.entries
        finally:
            journal.close()
        survivors = []
        for record in alive:
            entry = entries[record.id]
            if entry.get("error"):
                raise SamplingIncomplete(
                    f"curate: the model failed on record {record.id}: {entry['error']}; rerun to ask it again"
                )
            right, n = entry["correct"], entry["n"]
            stats.solve_rates[f"{right}/{n}"] = stats.solve_rates.get(f"{right}/{n}", 0) + 1
            notes[record.id].update(solved=right, samples=n)
            if n and right / n >= config.solved_threshold:
                if config.solved_action == "drop":
                    rejects.append(_reject(record, "solved", f"{right}/{n} samples right"))
                    continue
                notes[record.id]["weight"] = config.solved_weight
                stats.down_weighted += 1
            survivors.append(record)
        alive = survivors

    kept = [
        record.model_copy(update={"meta": {**record.meta, "curation": notes[record.id]}})
        if notes[record.id]
        else record
        for record in alive
    ]
    stats.kept, stats.dropped = len(kept), len(rejects)
    stats.reasons = dict(Counter(r["reason"] for r in rejects))
    if stats.kept + stats.dropped != stats.records or sum(stats.reasons.values()) != stats.dropped:
        raise AssertionError(
            f"curation lost records: {stats.kept} kept + {stats.dropped} dropped != {stats.records}"
        )
    stats.distribution = {
        by: {"before": _distribution(records)[by], "after": _distribution(kept)[by]}
        for by in ("department", "icd10_chapter")
    }
    files = {
        "records": write_out(out_dir / "records.jsonl", kept),
        "rejects": write_out(out_dir / "rejects.jsonl", rejects),
        "flagged": write_out(out_dir / "flagged.jsonl", flagged),
    }
    if config.plot:
        files["plot"] = plot_distribution(stats, out_dir / "distribution.png")
    stats.files = {k: str(v) for k, v in files.items()}
    atomic_write_json(
        out_dir / "curation.json", {"config": config.model_dump(mode="json"), "stats": stats.model_dump()}
    )
    return stats


# What decides a difficulty answer and its grade: a rerun with other values samples afresh.
_DIFFICULTY_FIELDS = ("model", "mode", "samples", "temperature", "top_p", "max_tokens", "seed", "verifier",
                      "style", "system_prompts")  # fmt: skip


def _set_aside_if_changed(config: CurateConfig, out_dir: Path) -> None:
    settings = config.model_dump(mode="json", include=set(_DIFFICULTY_FIELDS))
    prompting = _prompting(config)  # as asked: the model's contract or the defaults (recorded as null)
    settings["style"] = prompting.style
    table = prompting.prompt_table()
    settings["system_prompts"] = None if table == Prompting().prompt_table() else table
    path, journal = out_dir / "difficulty_config.json", out_dir / "difficulty.jsonl"
    if path.exists() and json.loads(path.read_text(encoding="utf-8")) != settings and journal.exists():
        stale = out_dir / "difficulty.stale.jsonl"
        journal.replace(stale)
        _console.print(f"[yellow]curate: difficulty settings changed; earlier samples moved to {stale}")
    atomic_write_json(path, settings)


def write_out(path: Path, rows: list[Any]) -> Path:
    write_jsonl(path, rows)
    return path


def _read(path: Path, limit: int | None) -> list[ClinicalRecord]:
    records: list[ClinicalRecord] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(read_records(path), start=1):
        if record.id in seen:
            raise RecordError(
                path, number, "id", f"duplicate id {record.id!r} (first on line {seen[record.id]})"
            )
        seen[record.id] = number
        records.append(record)
        if limit and len(records) >= limit:
            break
    if not records:
        raise RecordError(path, None, None, "no records to curate")
    return records


def _reject(record: ClinicalRecord, reason: str, detail: str) -> dict[str, Any]:
    return {
        "id": record.id,
        "reason": reason,
        "detail": detail,
        "language": record.language,
        "department": record.department,
        "diagnosis": record.diagnosis,
        "icd10": record.icd10,
    }


def plot_distribution(stats: CurationStats, path: Path) -> Path:
    """Records per department and per ICD-10 chapter, before and after curation (horizontal bars)."""
    plt = pyplot()
    panels = [("department", "department"), ("icd10_chapter", "ICD-10 chapter")]
    heights = [max(2.0, 0.32 * len(stats.distribution[key]["before"]) + 1.2) for key, _ in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, sum(heights)), height_ratios=heights)
    for ax, (key, title) in zip(axes, panels, strict=True):
        before, after = stats.distribution[key]["before"], stats.distribution[key]["after"]
        labels = list(before)[::-1]
        y = range(len(labels))
        ax.barh(
            [v + 0.2 for v in y], [before[k] for k in labels], height=0.4, label="before", color="#bbbbbb"
        )
        ax.barh(
            [v - 0.2 for v in y],
            [after.get(k, 0) for k in labels],
            height=0.4,
            label="after",
            color="#3b7dd8",
        )
        names = [_ascii_label(k) if key == "department" else _chapter_label(k) for k in labels]
        ax.set_yticks(list(y), names, fontsize=8)
        ax.set_xlabel("records")
        ax.set_title(f"records per {title}: {stats.records} before, {stats.kept} after curation", fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _chapter_label(chapter: str) -> str:
    title = icd10.chapter_title(chapter) if chapter != NO_CODE else ""
    return f"{chapter} {title[:38]}{'...' if len(title) > 38 else ''}".strip()


def _ascii_label(label: str) -> str:
    """Chinese department names get their English name: the plot may have no CJK font."""
    from clinical_r1 import departments

    if not re.search(r"[\u3400-\u9fff]", label):
        return label
    english = departments.english_name(label) or label
    return f"{english} (zh)" if english != label else label.encode("ascii", "replace").decode()
