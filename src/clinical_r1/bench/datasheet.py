"""The benchmark's datasheet: what is in it, computed from the items written, as JSON, Markdown and a plot."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from clinical_r1 import icd10
from clinical_r1.records import ClinicalRecord

NAME_STRATA_NOTE = (
    "Records without a usable ICD-10 code (none given, none valid, and none found for the diagnosis "
    "name) are stratified by their normalised diagnosis name (stratum 'name:<name>'): each distinct "
    "name counts as one disease group, like one ICD-10 category."
)


class BenchItem(ClinicalRecord):
    """A benchmark item: a record plus the stratum it was drawn from and its split."""

    stratum: str  # "category:J18" (the configured ICD-10 level) or "name:<normalised diagnosis>"
    split: str = "test"


def disease_group(item: BenchItem) -> str:
    """The ICD-10 category of the item's code; the name stratum when it has no usable code."""
    info = icd10.lookup(item.icd10) if item.icd10 else None
    return info.category if info else item.stratum


class DepartmentStats(BaseModel):
    department: str
    language: str
    asked: int
    items: int
    available: int  # clean cases (units) of this department in the pool
    pool_strata: int  # distinct strata among them
    categories: int  # distinct ICD-10 categories among the items
    blocks: int  # distinct ICD-10 blocks among the items
    uncoded: int  # items without a usable ICD-10 code (stratified by name)
    disease_groups: int  # distinct categories, plus distinct names of uncoded items
    largest_group: str | None
    largest_group_share: float  # of this department's items
    single_record_groups: int  # disease groups with exactly one item ("rare" in the benchmark)


class PoolReport(BaseModel):
    lines: int = 0
    by_language: dict[str, int] = Field(default_factory=dict)
    other_language: int = 0  # records in a language not configured
    # Cases (a record; in paired mode a pair of translations) in a configured department, their own
    # or mapped through ICD-10, and the others with their most frequent own department labels.
    in_scope: int = 0
    out_of_scope: int = 0
    out_of_scope_departments: dict[str, int] = Field(default_factory=dict)
    unmapped: int = 0  # records without a usable ICD-10 code after name lookup
    unmapped_names: int = 0  # distinct diagnosis names among them
    unmapped_examples: list[str] = Field(default_factory=list)  # the 20 most frequent names
    coded_from_name: int = 0  # records whose code came from their diagnosis name
    invalid_codes: int = 0  # records whose `icd10` is not a WHO ICD-10 code
    incomplete_pairs: int = 0  # paired mode: in-scope cases missing a language (or with one twice)


class LeakageReport(BaseModel):
    train_files: list[str] = Field(default_factory=list)
    train_texts: int = 0
    method: str = ""
    threshold: float = 0.8
    shingle_size: int = 4
    num_perm: int = 128
    checked: int = 0  # candidate records compared with the training texts
    exact: int = 0  # of which exact duplicates (same normalised text)
    near: int = 0  # of which near duplicates
    removed_cases: int = 0  # cases removed (a pair counts once)


class Datasheet(BaseModel):
    version: str
    records_path: str
    config: dict[str, Any]
    mode: str
    languages: list[str]
    total_items: int
    total_cases: int  # a pair of translations is one case
    departments: list[DepartmentStats]
    pool: PoolReport
    leakage: LeakageReport
    warnings: list[str] = Field(default_factory=list)
    name_strata_note: str = NAME_STRATA_NOTE
    files: dict[str, str] = Field(default_factory=dict)


def department_stats(
    items: Iterable[BenchItem],
    departments: Sequence[str],
    languages: Sequence[str],
    asked: int,
    available: dict[tuple[str, str], int],
    pool_strata: dict[tuple[str, str], int],
) -> list[DepartmentStats]:
    """Per department and language: counts, ICD-10 spread and dominance, from the items themselves."""
    groups: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    categories: dict[tuple[str, str], set[str]] = defaultdict(set)
    blocks: dict[tuple[str, str], set[str]] = defaultdict(set)
    uncoded: Counter[tuple[str, str]] = Counter()
    for item in items:
        key = (item.department or "", item.language)
        info = icd10.lookup(item.icd10) if item.icd10 else None
        groups[key][disease_group(item)] += 1
        if info:
            categories[key].add(info.category)
            blocks[key].add(info.block)
        else:
            uncoded[key] += 1
    stats = []
    for department in departments:
        for language in languages:
            key = (department, language)
            counts = groups.get(key, Counter())
            total = sum(counts.values())
            top = counts.most_common(1)
            stats.append(
                DepartmentStats(
                    department=department,
                    language=language,
                    asked=asked,
                    items=total,
                    available=available.get(key, 0),
                    pool_strata=pool_strata.get(key, 0),
                    categories=len(categories[key]),
                    blocks=len(blocks[key]),
                    uncoded=uncoded[key],
                    disease_groups=len(counts),
                    largest_group=top[0][0] if top else None,
                    largest_group_share=round(top[0][1] / total, 4) if top else 0.0,
                    single_record_groups=sum(1 for n in counts.values() if n == 1),
                )
            )
    return stats


def render_markdown(sheet: Datasheet) -> str:
    cfg = sheet.config
    lines = [
        "# Benchmark datasheet",
        "",
        f"- Built by clinical-r1 {sheet.version} from `{sheet.records_path}`",
        f"- Mode: {sheet.mode}; languages: {', '.join(sheet.languages)}; seed: {cfg['seed']}; "
        f"split: {cfg['split']}",
        f"- Items: {sheet.total_items} ({sheet.total_cases} cases; {cfg['per_department']} asked per "
        f"department and language, {len(cfg['departments'])} departments)",
        f"- Stratified by ICD-10 {cfg['level']}, allocation {cfg['allocation']}"
        + (
            f", at most {cfg['max_stratum_share']:.0%} of a department per stratum"
            if cfg["max_stratum_share"]
            else ""
        )
        + "; inside a stratum spread over its codes.",
        "",
        "## Departments",
        "",
        "| department | lang | items | asked | available | categories | blocks | uncoded | largest group "
        "| largest share | single-record groups |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for d in sheet.departments:
        lines.append(
            f"| {d.department} | {d.language} | {d.items} | {d.asked} | {d.available} | {d.categories} "
            f"| {d.blocks} | {d.uncoded} | {d.largest_group or '-'} | {d.largest_group_share:.1%} "
            f"| {d.single_record_groups} |"
        )
    pool, leak = sheet.pool, sheet.leakage
    lines += [
        "",
        "A disease group is an ICD-10 category, or for an item without a code its normalised diagnosis "
        "name; 'single-record groups' are groups with exactly one item in this department (rare ones).",
        "",
        "## Pool",
        "",
        f"- Lines read: {pool.lines} ({', '.join(f'{k}: {v}' for k, v in pool.by_language.items())}); "
        f"other languages skipped: {pool.other_language}",
        f"- Cases in scope: {pool.in_scope}; out of scope (department not configured and not mappable "
        f"through ICD-10): {pool.out_of_scope}"
        + (" (a pair of translations is one case)" if sheet.mode == "paired" else ""),
        f"- Unmapped (no usable ICD-10 code, even from the diagnosis name): {pool.unmapped} records, "
        f"{pool.unmapped_names} distinct names; codes found from the name: {pool.coded_from_name}; "
        f"invalid codes: {pool.invalid_codes}",
    ]
    if sheet.mode == "paired":
        lines.append(f"- In-scope cases without every language (left out): {pool.incomplete_pairs}")
    if pool.out_of_scope_departments:
        top = ", ".join(f"{k} ({v})" for k, v in pool.out_of_scope_departments.items())
        lines.append(f"- Most frequent out-of-scope departments: {top}")
    if pool.unmapped_examples:
        lines.append(f"- Most frequent unmapped names: {', '.join(pool.unmapped_examples)}")
    lines += ["", "## Strata without ICD-10 codes", "", sheet.name_strata_note, "", "## Leakage", ""]
    if leak.train_files:
        lines += [
            f"- Training files: {', '.join(f'`{f}`' for f in leak.train_files)} ({leak.train_texts} texts)",
            f"- Method: {leak.method}",
            f"- Candidates checked: {leak.checked}; exact duplicates: {leak.exact}; near duplicates: "
            f"{leak.near}; cases removed: {leak.removed_cases}",
        ]
    else:
        lines.append("- No training files given: no leakage check was made.")
    if sheet.warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in sheet.warnings]
    if "plot" in sheet.files:
        lines += ["", "## Spread", "", f"![ICD-10 spread per department]({sheet.files['plot']})"]
    return "\n".join(lines) + "\n"


def plot_spread(sheet: Datasheet, items: Sequence[BenchItem], path: Path) -> None:
    """Left: distinct categories and blocks per department. Right: each department's disease-group
    shares stacked largest first (a flat, many-coloured bar is a well spread department)."""
    from clinical_r1.plotting import pyplot

    plt = pyplot()

    language = sheet.languages[0]
    stats = [d for d in sheet.departments if d.language == language]
    names = [d.department for d in stats]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 0.5 * len(names) + 2.5))
    y = range(len(names))
    left.barh([i + 0.2 for i in y], [d.categories for d in stats], height=0.4, label="ICD-10 categories")
    left.barh([i - 0.2 for i in y], [d.blocks for d in stats], height=0.4, label="ICD-10 blocks")
    left.set_yticks(list(y), names)
    left.invert_yaxis()
    left.set_xlabel("distinct")
    left.set_title(f"Diseases covered ({language})")
    left.legend(loc="lower right", fontsize=8)

    shares: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        if item.language == language:
            shares[item.department or ""][disease_group(item)] += 1
    cmap = plt.get_cmap("tab20")
    rows, widths, lefts, colors = [], [], [], []  # one barh call for every segment: fast for 1000s
    for row, name in enumerate(names):
        counts = sorted(shares[name].values(), reverse=True)
        total = sum(counts) or 1
        start = 0.0
        for j, n in enumerate(counts):
            rows.append(row)
            widths.append(n / total)
            lefts.append(start)
            colors.append(cmap(j % 20))
            start += n / total
    right.barh(rows, widths, left=lefts, color=colors, edgecolor="white", linewidth=0.3)
    right.set_yticks(list(y), names)
    right.invert_yaxis()
    right.set_xlim(0, 1)
    right.set_xlabel("share of the department's items")
    right.set_title("Disease-group shares, largest first")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
