"""Many records: bounded concurrency, the journal, progress, and the output files.

`run_synthesis(config, records_path, out_dir)` searches every record not already finished in the
journal, then writes all outputs from the journal in input order, so an interrupted-and-resumed
run and an uninterrupted one end with the same files:

    OUT_DIR/examples.jsonl          training examples (TrainingExample lines)
    OUT_DIR/rejects.jsonl           every record without an example, with `reason` and `detail`
    OUT_DIR/examples_public.json    [{"Question", "Complex_CoT", "Response"}] (public layout)
    OUT_DIR/stats.json              routes, drop reasons, calls, tokens and cost (adds up to input)
    OUT_DIR/ledger.json             this run's model-layer ledger (calls made, cache hits, spend)
    OUT_DIR/hf/                     with export_hf: a `datasets` folder (save_to_disk)
    OUT_DIR/journal.sqlite, cache.sqlite   the resume state
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import statistics
from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clinical_r1.async_map import map_resumable
from clinical_r1.judge_audit import warn_if_unaudited
from clinical_r1.llm import LLM, build_llm
from clinical_r1.records import ClinicalRecord, RecordError, iter_jsonl, record_from_dict, write_jsonl
from clinical_r1.runlock import RunLock
from clinical_r1.safe_io import atomic_write, atomic_write_json, storage_error
from clinical_r1.synth.config import SynthConfig
from clinical_r1.synth.journal import Journal
from clinical_r1.synth.search import Outcome, RecordSearch
from clinical_r1.synth.templates import PromptSet, load_prompts
from clinical_r1.training_example import TrainingExample, to_public
from clinical_r1.verify import Verifier


class SynthesisStats(BaseModel):
    """stats.json. `examples + rejected == records`; `sum(routes) == examples`;
    `sum(dropped) == rejected`."""

    records: int
    examples: int
    rejected: int
    errors: int = Field(description="Transient teacher failures (in rejects); a rerun retries them.")
    routes: dict[str, int] = Field(description="Kept examples by route: initial, strategy:<name>, guided.")
    after_restart: int = Field(description="Kept examples whose verified path came in attempt 2 or later.")
    by_attempt: dict[str, int]
    dropped: dict[str, int] = Field(description="Records without an example, by reason.")
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float = Field(description="Teacher tokens at the spec's prices, cache hits included.")
    per_record: dict[str, int | float]
    teacher: str


def read_input(path: str | Path, limit: int | None = None) -> list[ClinicalRecord]:
    """All records, in order; a repeated id is an error (the journal is keyed by id)."""
    if Path(path).is_dir():
        raise RecordError(path, None, None, "is a folder, not a records file")
    if not Path(path).is_file():
        raise RecordError(path, None, None, "records file not found")
    records: list[ClinicalRecord] = []
    first_line: dict[str, int] = {}
    for number, obj in iter_jsonl(path):
        record = record_from_dict(obj, path, number)
        if record.id in first_line:
            raise RecordError(
                path, number, "id", f"duplicate id {record.id!r} (first on line {first_line[record.id]})"
            )
        first_line[record.id] = number
        records.append(record)
        if limit is not None and len(records) >= limit:
            break
    if not records:
        raise RecordError(path, None, None, "no records in the file (nothing to synthesize)")
    return records


def record_fingerprint(record: ClinicalRecord, config: SynthConfig, prompts: PromptSet) -> str:
    text = record.model_dump_json() + config.search_fingerprint() + prompts.fingerprint()
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def run_synthesis(
    config: SynthConfig,
    records_path: str | Path,
    out_dir: str | Path,
    progress: bool = True,
    llm: LLM | None = None,
    lock: RunLock | None = None,
) -> SynthesisStats:
    """Synthesize training examples for every record; resumable (rerun the same call to continue).

    `lock`: OUT's RunLock when the caller already holds it (e.g. it wrote an input file into OUT first);
    otherwise the run takes it."""
    return asyncio.run(synthesize(config, records_path, out_dir, progress=progress, llm=llm, lock=lock))


async def synthesize(
    config: SynthConfig,
    records_path: str | Path,
    out_dir: str | Path,
    progress: bool = True,
    llm: LLM | None = None,
    lock: RunLock | None = None,
) -> SynthesisStats:
    records = read_input(records_path, config.limit)
    out_dir = Path(out_dir)
    if lock is not None and not (lock.held and lock.folder.resolve() == out_dir.resolve()):
        raise ValueError(f"the lock given ({lock.folder}) is not held on the output folder {out_dir}")
    # a second run on this folder would pay the teacher for every record again
    with nullcontext(lock) if lock is not None else RunLock(out_dir):
        return await _synthesize(config, records, out_dir, progress, llm)


async def _synthesize(
    config: SynthConfig, records: list[ClinicalRecord], out_dir: Path, progress: bool, llm: LLM | None
) -> SynthesisStats:
    prompts = {lang: load_prompts(lang, config.prompts_dir) for lang in sorted({r.language for r in records})}
    fingerprints = {r.id: record_fingerprint(r, config, prompts[r.language]) for r in records}
    if llm is None:
        llm = build_llm(config.teacher, cache_path=config.cache_path or out_dir / "cache.sqlite")
    verifier = Verifier(config.verifier)
    warn_if_unaudited(verifier, "synthesis")  # a judge's false matches become training examples
    journal = Journal(out_dir / "journal.sqlite")
    try:
        counts = Counter(o.status for r in records if (o := journal.get(r.id, fingerprints[r.id])))
        with _progress_bar(progress) as bar:
            done = sum(counts.values())
            task = bar.add_task("synthesizing", total=len(records), completed=done, **_fields(counts, llm))

            async def search(batch: list[ClinicalRecord]) -> list[Outcome]:
                record = batch[0]
                return [await _run_one(RecordSearch(record, config, prompts[record.language], llm, verifier))]

            def journaled(record: ClinicalRecord, outcome: Outcome) -> None:
                journal.put(outcome, fingerprints[record.id])
                counts[outcome.status] += 1

            await map_resumable(
                search,
                records,
                finished=lambda r: journal.get(r.id, fingerprints[r.id]) is not None,
                record=journaled,
                progress=lambda _r, _o: bar.update(task, advance=1, **_fields(counts, llm)),
                concurrency=config.concurrency or config.teacher.concurrency,
            )
        return write_outputs(records, fingerprints, journal, config, out_dir, llm)
    finally:
        journal.close()
        await llm.aclose()


async def _run_one(search: RecordSearch) -> Outcome:
    try:
        return await search.run()
    except Exception as exc:  # a bug must not sink a long run: report it, retry it next run
        if storage_error(exc) is not None:  # a full disk is not this record's fault: stop the run
            raise
        payload = {
            "id": search.record.id,
            "reason": f"internal_error:{type(exc).__name__}",
            "detail": str(exc),
        }
        return Outcome(search.record.id, "error", payload)


def _fields(counts: Counter, llm: LLM) -> dict[str, Any]:
    return {
        "verified": counts["example"],
        "dropped": counts["rejected"] + counts["error"],
        "spend": _spend(llm),
    }


def _spend(llm: LLM) -> float:
    return llm.ledger.total().cost_usd


def _progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("verified [green]{task.fields[verified]}[/] dropped [red]{task.fields[dropped]}[/]"),
        TextColumn("spend ${task.fields[spend]:.4f}"),
        TimeElapsedColumn(),
        disable=not enabled,
    )


# --- outputs -------------------------------------------------------------------------------------


def write_outputs(
    records: Sequence[ClinicalRecord],
    fingerprints: dict[str, str],
    journal: Journal,
    config: SynthConfig,
    out_dir: Path,
    llm: LLM | None = None,
) -> SynthesisStats:
    """Rebuild every output file from the journal, in input order."""
    stored = journal.all()
    examples: list[TrainingExample] = []
    rejects: list[dict[str, Any]] = []
    errors = 0
    for record in records:
        fingerprint, outcome = stored.get(record.id, (None, None))
        if outcome is None or fingerprint != fingerprints[record.id]:
            rejects.append({"id": record.id, "reason": "not_run", "detail": "no result in the journal"})
            continue
        if outcome.status == "example":
            example = TrainingExample.model_validate(outcome.payload)
            if example.route == "guided" and not config.keep_guided:
                rejects.append(_guided_excluded(example))
            else:
                examples.append(example)
        else:
            errors += outcome.status == "error"
            rejects.append(outcome.payload)
    write_jsonl(out_dir / "examples.jsonl", examples)
    write_jsonl(out_dir / "rejects.jsonl", rejects)
    public = [to_public(e) for e in examples]
    atomic_write_json(out_dir / "examples_public.json", public, indent=1)
    if config.export_hf:
        export_hf(examples, out_dir / "hf")
    stats = compute_stats(records, examples, rejects, errors, config)
    atomic_write(out_dir / "stats.json", stats.model_dump_json(indent=2))
    if llm is not None:
        llm.ledger.save(out_dir / "ledger.json")
    return stats


def _guided_excluded(example: TrainingExample) -> dict[str, Any]:
    return {
        "id": example.id,
        "reason": "guided_excluded",
        "detail": "verified only with the reference given (keep_guided: false)",
        "language": example.language,
        "department": example.department,
        "reference": example.reference,
        "route": example.route,
        "trace": example.trace,
        "usage": example.usage,
    }


def compute_stats(
    records: Sequence[ClinicalRecord],
    examples: Sequence[TrainingExample],
    rejects: Sequence[dict[str, Any]],
    errors: int,
    config: SynthConfig,
) -> SynthesisStats:
    usages = [e.usage for e in examples] + [r.get("usage") or {} for r in rejects]
    calls = [u.get("calls", 0) for u in usages]
    tokens = [u.get("prompt_tokens", 0) + u.get("completion_tokens", 0) for u in usages]
    prompt_tokens = sum(u.get("prompt_tokens", 0) for u in usages)
    completion_tokens = sum(u.get("completion_tokens", 0) for u in usages)
    spec = config.teacher
    cost = (prompt_tokens * spec.price_in_per_mtok + completion_tokens * spec.price_out_per_mtok) / 1e6
    kept_paths = [e for e in examples if e.route != "guided"]
    return SynthesisStats(
        records=len(records),
        examples=len(examples),
        rejected=len(rejects),
        errors=errors,
        routes=dict(sorted(Counter(e.route for e in examples).items())),
        after_restart=sum(1 for e in kept_paths if int(e.trace.get("attempt", 1)) > 1),
        by_attempt=dict(sorted(Counter(str(e.trace.get("attempt", 1)) for e in kept_paths).items())),
        dropped=dict(sorted(Counter(r["reason"] for r in rejects).items())),
        calls=sum(calls),
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=round(cost, 6),
        per_record={
            "calls_mean": round(statistics.fmean(calls), 3) if calls else 0.0,
            "calls_max": max(calls, default=0),
            "tokens_mean": round(statistics.fmean(tokens), 1) if tokens else 0.0,
            "tokens_max": max(tokens, default=0),
        },
        teacher=spec.label,
    )


def export_hf(examples: Sequence[TrainingExample], folder: Path) -> Path:
    """A `datasets` folder (load with datasets.load_from_disk); trace and usage as JSON strings."""
    from datasets import Dataset

    rows = []
    for example in examples:
        row = example.model_dump(mode="json")
        row["trace"] = json.dumps(row["trace"], ensure_ascii=False)
        row["usage"] = json.dumps(row["usage"], ensure_ascii=False)
        rows.append(row)
    columns = list(TrainingExample.model_fields)
    dataset = Dataset.from_list(rows) if rows else Dataset.from_dict({c: [] for c in columns})
    dataset.save_to_disk(str(folder))
    return folder
