"""Build a benchmark: stratified by ICD-10 per department, bilingual, checked for training leakage.

Paper section 2.1.3 (MedBench-Hard style): a fixed number of cases per department, spread over
ICD-10 categories so that each department covers as many diseases as possible, rare ones included,
and no disease dominates.

How it stays small on a pool of millions of records:
1. One streaming pass keeps a few numbers per pool line (byte offset, language, stratum slot, pair
   hash, anchor rank, own department label: 26 bytes), never the records themselves.
2. Each department's quota is spread over its strata (round-robin or proportional with a cap, see
   `allocate`), then each stratum's share over its ICD-10 codes.
3. In every (stratum, code) the cases with the smallest seeded hash keys are taken: a bottom-k
   sample, reproducible and independent of the order of the pool. In paired mode translations share
   their key (one case, drawn once); in per_language mode each language draws on its own.
4. The chosen cases are compared with the training texts; leaked ones are dropped and the choice is
   remade until every chosen case is clean (only candidates are ever checked, not the whole pool).
5. The chosen lines are read back by offset and written with their stratum; the datasheet is
   computed from the items written.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
from pydantic import Field, field_validator
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from clinical_r1 import __version__, icd10
from clinical_r1.bench.allocate import Strategy, allocate, seeded_rng
from clinical_r1.bench.datasheet import (
    BenchItem,
    Datasheet,
    LeakageReport,
    PoolReport,
    department_stats,
    plot_spread,
    render_markdown,
)
from clinical_r1.config import StrictModel
from clinical_r1.departments import (
    BENCHMARK_DEPARTMENTS,
    DepartmentMap,
    age_in_years,
    canonical,
    department_for,
    same_department,
)
from clinical_r1.leakage import LeakageIndex, normalise_text, training_texts
from clinical_r1.records import ClinicalRecord, Language, RecordError, record_from_dict, write_jsonl

Level = Literal["chapter", "block", "category", "code"]

BENCH_FILE = "bench.jsonl"
DATASHEET_JSON = "datasheet.json"
DATASHEET_MD = "datasheet.md"
PLOT_FILE = "spread.png"

_OUT_OF_SCOPE = -1
_OUT_OF_SCOPE_RANK = 64  # out-of-scope lines rank after every in-scope one (still first language first)


class BenchConfig(StrictModel):
    """How to build the benchmark (`clinical-r1 bench build --config`)."""

    # The paper's seven by default; any department name or alias (departments.canonical) selects one.
    departments: list[str] = Field(default_factory=lambda: list(BENCHMARK_DEPARTMENTS), min_length=1)
    # Departments for records whose own department is none of `departments`: the one map of
    # clinical_r1.departments, overridable (ranges, extra, child_age, keeps_children).
    department_map: DepartmentMap = Field(default_factory=DepartmentMap)
    per_department: int = Field(500, ge=1)  # cases per department (and per language)
    languages: list[Language] = Field(default_factory=lambda: ["en", "zh"], min_length=1)
    # paired: the same cases in every language (translations share meta.pair_id, else their id);
    # per_language: each language sampled on its own.
    mode: Literal["paired", "per_language"] = "paired"
    level: Level = "category"  # the ICD-10 level the quota is spread over
    allocation: Strategy = "round_robin"
    max_stratum_share: float | None = Field(None, gt=0, le=1)  # cap per stratum, share of the quota
    min_categories: int = Field(0, ge=0)  # warn when a department has fewer strata than this
    # Records without a usable code: "exact" takes icd10.code_for (icd10.name_to_code: precise or none),
    # "candidates" the best of icd10.candidates (more codes, some wrong), "off" none.
    code_names: Literal["off", "exact", "candidates"] = "exact"
    seed: int = 0
    split: str = "test"
    leakage_threshold: float = Field(0.8, gt=0, le=1)  # Jaccard of character shingles
    shingle_size: int = Field(4, ge=1)
    num_perm: int = Field(128, ge=16)
    plot: bool = True

    @field_validator("departments", "languages")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("must not repeat an entry")
        return value

    @field_validator("departments")
    @classmethod
    def _distinct_departments(cls, value: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for name in value:  # "Immunology" is the old name of "Rheumatology and Immunology"
            other = seen.setdefault(canonical(name), name)
            if other != name:
                raise ValueError(f"'{name}' and '{other}' are the same department")
        return value


@dataclass(frozen=True)
class Slot:
    """Where a case is drawn from: department, stratum ("category:J18" / "name:..."), full code."""

    department: str
    stratum: str
    code: str  # "" for name strata


class _PoolScan:
    """Pass 1: one streaming read of the pool, keeping a few numbers per line."""

    def __init__(self, config: BenchConfig):
        self.config = config
        self.lang_index = {lang: i for i, lang in enumerate(config.languages)}
        # Any name of a configured department (alias, old name) -> the name the config gives it.
        self.departments = {canonical(d): d for d in config.departments}
        self.slots: dict[Slot, int] = {}
        # Per pool line in a configured language (26 bytes a line).
        self.offsets, self.langs, self.slot_ids = array("Q"), array("b"), array("i")
        self.pairs, self.ranks, self.source_department_ids = array("Q"), array("b"), array("i")
        self.source_departments: dict[str, int] = {}  # the records' own department labels, interned
        # What a record resolves to depends only on these four fields: resolve each combination once.
        self._resolved: dict[tuple, tuple[int, int, bool, bool, bool]] = {}
        self.lines = self.other_language = self.unmapped = self.coded_from_name = self.invalid_codes = 0
        self.by_language: Counter[str] = Counter()
        self._unmapped_names: Counter[str] = Counter()

    def _name_code(self, name: str, language: str) -> icd10.CodeInfo | None:
        if self.config.code_names == "exact":
            code = icd10.code_for(name, language)
            return icd10.lookup(code) if code else None
        if self.config.code_names == "candidates":
            found = icd10.candidates(name, language, limit=1)
            return found[0] if found else None
        return None

    def _resolve(self, record: ClinicalRecord, age: float | None) -> tuple[int, int, bool, bool, bool]:
        """(slot id or _OUT_OF_SCOPE, anchor rank, code from name, no code, invalid code)."""
        info = icd10.lookup(record.icd10) if record.icd10 else None
        invalid = bool(record.icd10) and info is None
        from_name = False
        if info is None:
            info = self._name_code(record.diagnosis, record.language)
            from_name = info is not None
        department = self.departments.get(canonical(record.department or ""))
        if department is None and info is not None:
            mapped = department_for(info.code, self.config.department_map, age=age)
            department = self.departments.get(mapped) if mapped else None
        lang = self.lang_index[record.language]
        if department is None:
            # Out-of-scope lines never decide a pair's department (first language first among them).
            return _OUT_OF_SCOPE, _OUT_OF_SCOPE_RANK + lang, from_name, info is None, invalid
        if info is None:
            slot = Slot(department, f"name:{normalise_text(record.diagnosis)}", "")
        else:
            slot = Slot(department, f"{self.config.level}:{getattr(info, self.config.level)}", info.code)
        slot_id = self.slots.setdefault(slot, len(self.slots))
        # The line that decides a pair's department and stratum: coded before uncoded, first language first.
        rank = (0 if info else len(self.lang_index)) + lang
        return slot_id, rank, from_name, info is None, invalid

    def add(self, record: ClinicalRecord, offset: int) -> None:
        self.lines += 1
        lang = self.lang_index.get(record.language)
        if lang is None:
            self.other_language += 1
            return
        self.by_language[record.language] += 1
        # The age rule sends children without a department to Paediatrics (departments.py), so whether
        # the case is a child's is part of what decides its slot.
        age = None if record.department else age_in_years(record.case, record.meta)
        child_age = self.config.department_map.child_age
        is_child = age is not None and child_age is not None and age < child_age
        key = (record.language, record.department, record.icd10, record.diagnosis, is_child)
        resolved = self._resolved.get(key)
        if resolved is None:
            if len(self._resolved) > 500_000:
                self._resolved.clear()
            resolved = self._resolved[key] = self._resolve(record, age)
        slot_id, rank, from_name, uncoded, invalid = resolved
        self.coded_from_name += from_name
        self.invalid_codes += invalid
        if uncoded:
            self.unmapped += 1
            self._unmapped_names[record.diagnosis.strip()] += 1
        label = record.department or "<none>"
        self.source_department_ids.append(
            self.source_departments.setdefault(label, len(self.source_departments))
        )
        self.offsets.append(offset)
        self.langs.append(lang)
        self.slot_ids.append(slot_id)
        self.pairs.append(_hash64(str(record.meta.get("pair_id") or record.id)))
        self.ranks.append(rank)

    def report(self) -> PoolReport:
        return PoolReport(
            lines=self.lines,
            by_language={lang: self.by_language[lang] for lang in self.config.languages},
            other_language=self.other_language,
            unmapped=self.unmapped,
            unmapped_names=len(self._unmapped_names),
            unmapped_examples=[name for name, _ in self._unmapped_names.most_common(20)],
            coded_from_name=self.coded_from_name,
            invalid_codes=self.invalid_codes,
        )


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


_MASK64 = (1 << 64) - 1


def sampling_keys(pair_hashes: np.ndarray, seed: int) -> np.ndarray:
    """Seeded sampling keys (splitmix64 of a 64-bit hash plus the seed): the keys, hence the sample,
    do not depend on the order of the pool."""
    with np.errstate(over="ignore"):
        z = pair_hashes + np.uint64((seed * 0x9E3779B97F4A7C15) & _MASK64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _parse_line(raw: bytes, path: Path, line: int | None) -> ClinicalRecord:
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordError(path, line, None, f"not valid JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise RecordError(path, line, None, f"expected a JSON object, got {type(obj).__name__}")
    return record_from_dict(obj, path, line)


def _read_at(fh: BinaryIO, offset: int) -> bytes:
    fh.seek(offset)
    return fh.readline()


@dataclass
class _Units:
    """The cases that can be drawn: one line each (per_language) or a group of translations (paired).

    `order[starts[u] : starts[u] + counts[u]]` are unit u's lines, its anchor (the line that decides
    department and stratum) first.
    """

    order: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    part: np.ndarray  # language index (per_language) or 0 (paired)
    slot: np.ndarray
    key: np.ndarray
    eligible: np.ndarray  # in scope (and, paired, complete in every language)

    def anchor(self, unit: int) -> int:
        return int(self.order[self.starts[unit]])

    def lines(self, unit: int) -> np.ndarray:
        return self.order[self.starts[unit] : self.starts[unit] + self.counts[unit]]

    def leaked(self, leaked_lines: np.ndarray) -> np.ndarray:
        if len(self.order) == 0:
            return np.zeros(0, dtype=bool)
        return np.logical_or.reduceat(leaked_lines[self.order], self.starts)


def _units(scan: _PoolScan, config: BenchConfig, pool: PoolReport) -> _Units:
    langs = np.frombuffer(scan.langs, dtype=np.int8).astype(np.int64)
    slots = np.frombuffer(scan.slot_ids, dtype=np.int32).astype(np.int64)
    pairs = np.frombuffer(scan.pairs, dtype=np.uint64)
    n = len(langs)
    if config.mode == "per_language":
        # Each language drawn on its own: its keys differ from those of its translations.
        with np.errstate(over="ignore"):
            keys = sampling_keys(pairs + langs.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15), config.seed)
        order = np.arange(n)
        return _Units(order, order.copy(), np.ones(n, np.int64), langs, slots, keys, slots >= 0)
    keys = sampling_keys(pairs, config.seed)  # translations share their key
    ranks = np.frombuffer(scan.ranks, dtype=np.int8)
    order = np.lexsort((ranks, pairs))
    sorted_pairs = pairs[order]
    starts = (
        np.flatnonzero(np.r_[True, sorted_pairs[1:] != sorted_pairs[:-1]]) if n else np.zeros(0, np.int64)
    )
    counts = np.diff(np.r_[starts, n])
    nlang = len(scan.lang_index)
    anchors = order[starts]
    if n:
        bits = np.bitwise_or.reduceat(np.left_shift(1, langs[order]), starts)
    else:
        bits = np.zeros(0, np.int64)
    complete = (bits == (1 << nlang) - 1) & (counts == nlang)
    slot = slots[anchors]
    pool.incomplete_pairs = int(((slot >= 0) & ~complete).sum())
    return _Units(
        order, starts, counts, np.zeros(len(starts), np.int64), slot, keys[anchors], complete & (slot >= 0)
    )


def _count_scope(scan: _PoolScan, units: _Units, pool: PoolReport) -> None:
    """Cases in and out of scope, and the most frequent own departments of those out of scope."""
    in_scope = units.slot >= 0
    pool.in_scope, pool.out_of_scope = int(in_scope.sum()), int((~in_scope).sum())
    anchors = units.order[units.starts[~in_scope]]
    labels = np.frombuffer(scan.source_department_ids, dtype=np.int32)[anchors]
    names = sorted(scan.source_departments, key=scan.source_departments.__getitem__)
    ids, counts = np.unique(labels, return_counts=True)
    top = sorted(zip(counts.tolist(), ids.tolist(), strict=True), key=lambda c: (-c[0], c[1]))[:20]
    pool.out_of_scope_departments = {names[i]: n for n, i in top}


@dataclass
class _Plan:
    chosen: np.ndarray  # unit indices
    available: dict[tuple[str, str], int]
    pool_strata: dict[tuple[str, str], int]
    warnings: list[str]


def _plan(units: _Units, ok: np.ndarray, config: BenchConfig, slots: list[Slot]) -> _Plan:
    """Allocate each department's quota over strata and codes, then take the smallest keys in each."""
    nslots = max(len(slots), 1)
    parts = config.languages if config.mode == "per_language" else ["+".join(config.languages)]
    ok_ids = np.flatnonzero(ok)
    full_slot = units.part[ok_ids] * nslots + units.slot[ok_ids]
    tree: dict[tuple[int, str], dict[str, dict[str, tuple[int, int]]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for fs, count in zip(*np.unique(full_slot, return_counts=True), strict=True):
        part, slot_id = divmod(int(fs), nslots)
        slot = slots[slot_id]
        tree[(part, slot.department)][slot.stratum][slot.code] = (int(fs), int(count))

    quota = config.per_department
    cap = max(1, math.floor(config.max_stratum_share * quota)) if config.max_stratum_share else None
    alloc = np.zeros(len(parts) * nslots, dtype=np.int64)
    available: dict[tuple[str, str], int] = {}
    pool_strata: dict[tuple[str, str], int] = {}
    warnings: list[str] = []
    for part, label in enumerate(parts):
        for department in config.departments:
            strata = tree.get((part, department), {})
            sizes = {name: sum(c for _, c in codes.values()) for name, codes in strata.items()}
            rng = seeded_rng(config.seed, "strata", label, department)
            per_stratum = allocate(quota, sizes, rng, config.allocation, cap)
            for stratum, n in per_stratum.items():
                codes = strata[stratum]
                code_rng = seeded_rng(config.seed, "codes", label, department, stratum)
                for code, m in allocate(n, {c: size for c, (_, size) in codes.items()}, code_rng).items():
                    alloc[codes[code][0]] = m
            total, filled = sum(sizes.values()), sum(per_stratum.values())
            for language in label.split("+"):
                available[(department, language)] = total
                pool_strata[(department, language)] = len(sizes)
            where = f"{department} ({label})"
            if total < quota:
                warnings.append(f"{where}: {total} cases available, {quota} asked")
            elif filled < quota and cap is not None:
                warnings.append(
                    f"{where}: {filled} of {quota} filled: at most {cap} per stratum needs "
                    f"{math.ceil(quota / cap)} strata, the pool has {len(sizes)}"
                )
            if len(sizes) < config.min_categories:
                warnings.append(
                    f"{where}: {len(sizes)} strata in the pool, "
                    f"fewer than min_categories={config.min_categories}"
                )

    keys = units.key[ok_ids]
    by_slot_then_key = np.lexsort((keys, full_slot))
    sorted_slots = full_slot[by_slot_then_key]
    first = np.r_[True, sorted_slots[1:] != sorted_slots[:-1]] if len(sorted_slots) else np.zeros(0, bool)
    positions = np.arange(len(sorted_slots))
    rank_in_slot = positions - np.maximum.accumulate(np.where(first, positions, 0))
    take = rank_in_slot < alloc[sorted_slots]
    return _Plan(ok_ids[by_slot_then_key[take]], available, pool_strata, warnings)


def _progress(show: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not show,
        transient=True,
    )


def _scan_pool(config: BenchConfig, path: Path, show: bool) -> _PoolScan:
    scan = _PoolScan(config)
    with path.open("rb") as fh, _progress(show) as progress:
        task = progress.add_task("scanning pool (bytes)", total=path.stat().st_size)
        offset = 0
        for number, raw in enumerate(fh, start=1):
            start, offset = offset, offset + len(raw)
            if number % 8192 == 0:
                progress.update(task, completed=offset)
            if raw.strip():
                scan.add(_parse_line(raw, path, number), start)
        progress.update(task, completed=offset)
    return scan


def _leakage_index(config: BenchConfig, train_files: Sequence[Path], show: bool) -> LeakageIndex:
    index = LeakageIndex(config.leakage_threshold, config.shingle_size, config.num_perm)
    with _progress(show) as progress:
        for path in train_files:
            if not path.exists():
                raise RecordError(path, None, None, "training file not found")
            task = progress.add_task(f"indexing {path.name} (bytes)", total=path.stat().st_size)
            for _, offset, text in training_texts(path):
                index.add(text, (path, offset))
                progress.update(task, completed=offset)
    return index


def _items(
    chosen: np.ndarray, units: _Units, scan: _PoolScan, slots: list[Slot], config: BenchConfig, path: Path
) -> list[BenchItem]:
    """Read the chosen lines back and make benchmark items: department order, then key, then language."""
    dept_order = {d: i for i, d in enumerate(config.departments)}
    langs = np.frombuffer(scan.langs, dtype=np.int8)
    offsets = np.frombuffer(scan.offsets, dtype=np.uint64)
    chosen = sorted(
        (int(u) for u in chosen),
        key=lambda u: (dept_order[slots[units.slot[u]].department], int(units.key[u]), int(units.part[u])),
    )
    items: list[BenchItem] = []
    with path.open("rb") as fh:
        for unit in chosen:
            slot = slots[int(units.slot[unit])]
            anchor = units.anchor(unit)
            lines = sorted(units.lines(unit), key=lambda i: langs[i])
            records = {int(i): _parse_line(_read_at(fh, int(offsets[i])), path, None) for i in lines}
            # Where the department came from: the anchor's own field, else its ICD-10 code.
            own_department = same_department(records[anchor].department, slot.department)
            for line, record in records.items():
                meta = dict(record.meta)
                code = record.icd10 if record.icd10 and icd10.lookup(record.icd10) else None
                if record.icd10 and code is None:
                    meta["icd10_given"] = record.icd10  # not a WHO ICD-10 code
                if code is None and slot.code:
                    code = slot.code
                    meta["icd10_from"] = "diagnosis name" if line == anchor else "translation"
                if record.department != slot.department:
                    meta["source_department"] = record.department
                    if not same_department(record.department, slot.department):
                        meta["department_from"] = "translation" if own_department else "icd10"
                data = record.model_dump() | {"icd10": code, "department": slot.department, "meta": meta}
                items.append(BenchItem(**data, stratum=slot.stratum, split=config.split))
    return items


def _choose_clean(
    units: _Units,
    slots: list[Slot],
    config: BenchConfig,
    scan: _PoolScan,
    records_path: Path,
    index: LeakageIndex | None,
    leakage: LeakageReport,
    show: bool,
) -> _Plan:
    """Choose, check the chosen against the training texts, drop the leaked, choose again, until every
    chosen case is clean. Only candidates are checked, so the cost follows the benchmark, not the pool."""
    checked = np.zeros(len(scan.langs), dtype=bool)
    leaked = np.zeros(len(scan.langs), dtype=bool)
    offsets = np.frombuffer(scan.offsets, dtype=np.uint64)
    while True:
        plan = _plan(units, units.eligible & ~units.leaked(leaked), config, slots)
        if index is None or len(plan.chosen) == 0:
            return plan
        lines = np.concatenate([units.lines(u) for u in plan.chosen])
        todo = lines[~checked[lines]]
        found = 0
        with records_path.open("rb") as fh, _progress(show) as progress:
            for line in progress.track(todo, description="checking leakage"):
                record = _parse_line(_read_at(fh, int(offsets[line])), records_path, None)
                match = index.match(record.case)
                if match:
                    leaked[line] = True
                    found += 1
                    setattr(leakage, match, getattr(leakage, match) + 1)
        checked[todo] = True
        leakage.checked += len(todo)
        leakage.removed_cases = int((units.eligible & units.leaked(leaked)).sum())
        if not found:
            return plan


def build_benchmark(
    config: BenchConfig,
    records_path: str | Path,
    out_dir: str | Path,
    train_files: Sequence[str | Path] = (),
    show_progress: bool = True,
) -> Datasheet:
    """Build `bench.jsonl`, `datasheet.json`, `datasheet.md` (and `spread.png`) in `out_dir`."""
    records_path, out_dir = Path(records_path), Path(out_dir)
    train_paths = [Path(p) for p in train_files]
    if not records_path.exists():
        raise RecordError(records_path, None, None, "record pool not found")

    index = _leakage_index(config, train_paths, show_progress) if train_paths else None
    scan = _scan_pool(config, records_path, show_progress)
    slots = sorted(scan.slots, key=scan.slots.__getitem__)
    pool = scan.report()
    units = _units(scan, config, pool)
    _count_scope(scan, units, pool)

    leakage = LeakageReport(
        train_files=[str(p) for p in train_paths],
        train_texts=len(index) if index else 0,
        method=(
            f"exact match of the normalised text, or Jaccard similarity of character "
            f"{config.shingle_size}-shingles >= {config.leakage_threshold} (candidates from MinHash LSH, "
            f"{config.num_perm} permutations; similarity computed exactly)"
        ),
        threshold=config.leakage_threshold,
        shingle_size=config.shingle_size,
        num_perm=config.num_perm,
    )
    try:
        plan = _choose_clean(units, slots, config, scan, records_path, index, leakage, show_progress)
    finally:  # a bad training line raises mid-check: its file handles are closed all the same
        if index is not None:
            index.close()

    items = _items(plan.chosen, units, scan, slots, config, records_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / BENCH_FILE, items)
    sheet = Datasheet(
        version=__version__,
        records_path=str(records_path),
        config=config.model_dump(mode="json"),
        mode=config.mode,
        languages=list(config.languages),
        total_items=len(items),
        total_cases=len(plan.chosen),
        departments=department_stats(
            items,
            config.departments,
            config.languages,
            config.per_department,
            plan.available,
            plan.pool_strata,
        ),
        pool=pool,
        leakage=leakage,
        warnings=plan.warnings,
        files={"items": BENCH_FILE, "datasheet": DATASHEET_JSON, "report": DATASHEET_MD},
    )
    if config.plot:
        plot_spread(sheet, items, out_dir / PLOT_FILE)
        sheet.files["plot"] = PLOT_FILE
    (out_dir / DATASHEET_JSON).write_text(sheet.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (out_dir / DATASHEET_MD).write_text(render_markdown(sheet), encoding="utf-8")
    return sheet


def _write_atomic(path: Path, items: Sequence[BenchItem]) -> None:
    """Write to a temporary file first, so an interrupted build never leaves a half benchmark."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    write_jsonl(tmp, items)
    os.replace(tmp, path)
