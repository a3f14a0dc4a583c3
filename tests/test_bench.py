"""Benchmark builder: stratification, pairing, reproducibility, leakage filter, datasheet truth."""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinical_r1 import icd10
from clinical_r1.bench import BenchConfig, Datasheet, LeakageIndex, allocate, build_benchmark
from clinical_r1.bench.allocate import seeded_rng
from clinical_r1.bench.synthetic import write_synthetic_pool
from clinical_r1.config import ConfigError, load_config
from clinical_r1.departments import BENCHMARK_DEPARTMENTS, department_for
from clinical_r1.leakage import normalise_text
from clinical_r1.records import SAMPLE_RECORDS, RecordError, write_jsonl

STRATUM = re.compile(r"^(category:[A-Z]\d\d|name:.+)$")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build(pool: Path, out: Path, train: tuple = (), **config) -> tuple[Datasheet, list[dict]]:
    config.setdefault("plot", False)  # the plot is checked once, in the samples test
    sheet = build_benchmark(BenchConfig(**config), pool, out, train_files=train, show_progress=False)
    return sheet, read_jsonl(out / "bench.jsonl")


def recompute_stats(items: list[dict]) -> dict[tuple[str, str], dict]:
    """The datasheet's per-department numbers, recomputed from bench.jsonl alone."""
    by_key: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for item in items:
        by_key[(item["department"], item["language"])].append(item)
    stats = {}
    for key, group in by_key.items():
        infos = [icd10.lookup(i["icd10"]) if i["icd10"] else None for i in group]
        groups = Counter(
            info.category if info else i["stratum"] for i, info in zip(group, infos, strict=True)
        )
        stats[key] = {
            "items": len(group),
            "categories": len({info.category for info in infos if info}),
            "blocks": len({info.block for info in infos if info}),
            "uncoded": sum(info is None for info in infos),
            "disease_groups": len(groups),
            "largest_group_share": round(max(groups.values()) / len(group), 4),
            "single_record_groups": sum(n == 1 for n in groups.values()),
        }
    return stats


def assert_datasheet_matches(sheet: Datasheet, out: Path, items: list[dict]) -> None:
    on_disk = Datasheet.model_validate_json((out / "datasheet.json").read_text(encoding="utf-8"))
    assert on_disk == sheet
    expected = recompute_stats(items)
    for d in sheet.departments:
        got = {k: getattr(d, k) for k in next(iter(expected.values()))} if expected else {}
        want = expected.get((d.department, d.language), {k: 0 for k in got} | {"largest_group_share": 0.0})
        assert got == want, (d.department, d.language)
    assert sheet.total_items == len(items)
    assert sum(d.items for d in sheet.departments) == len(items)


# --- allocation --------------------------------------------------------------------------------


def test_round_robin_gives_every_stratum_one_before_any_gets_more():
    rng = seeded_rng(0, "t")
    alloc = allocate(10, {"common": 100, "mid": 3, "rare1": 1, "rare2": 1}, rng)
    assert alloc == {"common": 5, "mid": 3, "rare1": 1, "rare2": 1}
    small = allocate(3, {f"s{i}": 50 for i in range(8)}, seeded_rng(0, "t"))
    assert sorted(small.values()) == [1, 1, 1]


def test_proportional_allocation_keeps_rare_strata_and_respects_the_cap():
    sizes = {"a": 90, "b": 9, "c": 1}
    prop = allocate(20, sizes, seeded_rng(0, "p"), strategy="proportional")
    assert sum(prop.values()) == 20 and prop["c"] == 1 and prop["a"] > prop["b"] > 1
    capped = allocate(20, sizes, seeded_rng(0, "p"), strategy="proportional", cap=5)
    assert capped == {"a": 5, "b": 5, "c": 1}  # short of 20: the cap is never exceeded


def test_allocation_tie_breaking_follows_the_seed():
    sizes = {f"s{i}": 3 for i in range(10)}
    runs = [allocate(5, sizes, seeded_rng(seed, "t")) for seed in range(6)]
    assert allocate(5, sizes, seeded_rng(0, "t")) == runs[0]
    assert len({tuple(sorted(r)) for r in runs}) > 1


# --- building on the bundled samples ----------------------------------------------------------


def test_samples_paired_benchmark_and_its_datasheet(tmp_path):
    sheet, items = build(SAMPLE_RECORDS, tmp_path, per_department=4, plot=True)
    assert (tmp_path / "datasheet.md").read_text().startswith("# Benchmark datasheet")
    assert (tmp_path / "spread.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert_datasheet_matches(sheet, tmp_path, items)
    pairs: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        assert STRATUM.match(item["stratum"]) and item["split"] == "test"
        pairs[item["meta"]["pair_id"]].append(item)
    for members in pairs.values():  # the same cases in both languages, drawn from one stratum
        assert sorted(m["language"] for m in members) == ["en", "zh"]
        assert len({m["stratum"] for m in members}) == 1
    per_department = Counter(i["department"] for i in items if i["language"] == "en")
    for department in BENCHMARK_DEPARTMENTS:
        stats = [d for d in sheet.departments if d.department == department and d.language == "en"][0]
        assert per_department[department] == min(4, stats.available)
        if stats.available < 4:
            assert any(w.startswith(department) for w in sheet.warnings)
    # Four cases from a department's distinct categories: no category twice while others are left.
    for department, language in {(i["department"], i["language"]) for i in items}:
        strata = Counter(
            i["stratum"] for i in items if (i["department"], i["language"]) == (department, language)
        )
        assert max(strata.values()) == 1 or len(strata) == sheet_pool_strata(sheet, department, language)


def sheet_pool_strata(sheet: Datasheet, department: str, language: str) -> int:
    return next(
        d.pool_strata for d in sheet.departments if (d.department, d.language) == (department, language)
    )


# --- stratification on a skewed synthetic pool ----------------------------------------------


@pytest.fixture(scope="module")
def synthetic_pool(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pool") / "pool.jsonl"
    write_synthetic_pool(path, 4000, seed=3)
    return path


def pool_strata_sizes(pool: Path, language: str) -> dict[str, Counter]:
    """Department -> stratum -> records, by the documented rules (own department, else ICD-10 map)."""
    sizes: dict[str, Counter] = defaultdict(Counter)
    for record in read_jsonl(pool):
        if record["language"] != language:
            continue
        info = icd10.lookup(record["icd10"]) if record["icd10"] else None
        department = record["department"] if record["department"] in BENCHMARK_DEPARTMENTS else None
        department = department or (department_for(info.code) if info else None)
        if department in BENCHMARK_DEPARTMENTS:
            stratum = f"category:{info.category}" if info else f"name:{normalise_text(record['diagnosis'])}"
            sizes[department][stratum] += 1
    return sizes


def test_round_robin_covers_rare_categories_and_no_category_dominates(synthetic_pool, tmp_path):
    sheet, items = build(synthetic_pool, tmp_path, per_department=150)
    assert_datasheet_matches(sheet, tmp_path, items)
    pool = pool_strata_sizes(synthetic_pool, "en")
    for department in BENCHMARK_DEPARTMENTS:
        drawn = Counter(
            i["stratum"] for i in items if i["department"] == department and i["language"] == "en"
        )
        assert sum(drawn.values()) == 150
        available = pool[department]
        rare = [s for s, n in available.items() if n == 1]
        assert rare, "the Zipf pool should have single-record categories"
        if len(available) <= 150:
            assert set(drawn) == set(available)  # every stratum, the rare ones included
        # Water-filling: a stratum that still had records left is at most one below the largest.
        top = max(drawn.values())
        for stratum, n in drawn.items():
            assert n <= available[stratum]
            if n < available[stratum]:
                assert n >= top - 1, (department, stratum)


def test_same_seed_same_benchmark_any_pool_order_other_seed_differs(synthetic_pool, tmp_path):
    build(synthetic_pool, tmp_path / "a", per_department=60, seed=7)
    build(synthetic_pool, tmp_path / "b", per_department=60, seed=7)
    lines = synthetic_pool.read_text(encoding="utf-8").splitlines(keepends=True)
    random.Random(1).shuffle(lines)
    shuffled = tmp_path / "shuffled.jsonl"
    shuffled.write_text("".join(lines), encoding="utf-8")
    build(shuffled, tmp_path / "c", per_department=60, seed=7)
    build(synthetic_pool, tmp_path / "d", per_department=60, seed=8)
    first = (tmp_path / "a" / "bench.jsonl").read_bytes()
    assert first == (tmp_path / "b" / "bench.jsonl").read_bytes()
    assert first == (tmp_path / "c" / "bench.jsonl").read_bytes()
    other = {i["id"] for i in read_jsonl(tmp_path / "d" / "bench.jsonl")}
    same = {i["id"] for i in read_jsonl(tmp_path / "a" / "bench.jsonl")}
    assert len(other) == len(same) and other != same


def test_per_language_mode_samples_each_language_on_its_own(synthetic_pool, tmp_path):
    sheet, items = build(
        synthetic_pool, tmp_path, per_department=40, mode="per_language", allocation="proportional"
    )
    assert_datasheet_matches(sheet, tmp_path, items)
    counts = Counter((i["department"], i["language"]) for i in items)
    assert set(counts.values()) == {40} and len(counts) == 14
    en_pairs = {i["meta"]["pair_id"] for i in items if i["language"] == "en"}
    zh_pairs = {i["meta"]["pair_id"] for i in items if i["language"] == "zh"}
    # Independent draws: far from the same cases (they share about a quarter; paired would share all).
    assert len(en_pairs & zh_pairs) < 0.5 * len(en_pairs)


# --- scope, ICD-10 mapping, name strata, caps --------------------------------------------------


def _record(
    rid: str, language: str, department: str | None, icd: str | None, diagnosis: str, case: str
) -> dict:
    return {
        "id": rid,
        "language": language,
        "department": department,
        "case": case,
        "diagnosis": diagnosis,
        "icd10": icd,
        "source": "test",
        "meta": {},
    }


def test_departments_are_mapped_through_icd10_and_the_rest_reported(tmp_path):
    pool = tmp_path / "pool.jsonl"
    write_jsonl(
        pool,
        [
            _record("mi", "en", None, "I21.0", "Anterior STEMI", "chest pain case one"),
            _record("asthma-zh", "zh", "内科", "J45.9", "哮喘", "喘息 病例"),
            _record("psoriasis", "en", "Dermatology", "L40.0", "Psoriasis", "plaques case"),
            _record("mystery", "en", None, None, "Mystery fever", "no code and no department"),
            _record("named", "en", "Cardiology", None, "Weird Heart Syndrome!", "uncoded cardiology case"),
            _record("badcode", "en", "Urology", "XYZ", "Something", "invalid code case"),
        ],
    )
    sheet, items = build(pool, tmp_path / "out", per_department=5, mode="per_language", code_names="off")
    by_id = {i["id"]: i for i in items}
    assert by_id["mi"]["department"] == "Cardiology" and by_id["mi"]["stratum"] == "category:I21"
    assert by_id["asthma-zh"]["department"] == "Respiratory"
    assert by_id["asthma-zh"]["meta"]["source_department"] == "内科"
    assert by_id["asthma-zh"]["meta"]["department_from"] == "icd10"
    assert by_id["badcode"]["meta"]["icd10_given"] == "XYZ"
    assert by_id["named"]["stratum"] == "name:weird heart syndrome"
    assert by_id["badcode"]["stratum"] == "name:something" and by_id["badcode"]["icd10"] is None
    assert "psoriasis" not in by_id and "mystery" not in by_id
    assert (sheet.pool.in_scope, sheet.pool.out_of_scope) == (4, 2)
    assert sheet.pool.out_of_scope_departments == {"Dermatology": 1, "<none>": 1}
    assert (sheet.pool.unmapped, sheet.pool.invalid_codes) == (3, 1)
    assert "normalised diagnosis name" in (tmp_path / "out" / "datasheet.md").read_text()
    assert_datasheet_matches(sheet, tmp_path / "out", items)


def test_codes_found_from_the_diagnosis_name_are_written_and_marked(tmp_path):
    name = next(n for n in ("Migraine", "Tinnitus", "Acute cystitis") if icd10.code_for(n, "en"))
    pool = tmp_path / "pool.jsonl"
    write_jsonl(pool, [_record("n1", "en", None, None, name, "a case named only by its diagnosis")])
    code = icd10.code_for(name, "en")
    department = department_for(code)
    sheet, items = build(
        pool, tmp_path / "out", mode="per_language", languages=["en"], departments=[department]
    )
    assert [i["icd10"] for i in items] == [code] and items[0]["meta"]["icd10_from"] == "diagnosis name"
    assert sheet.pool.coded_from_name == 1 and sheet.pool.unmapped == 0


def test_a_cap_per_category_is_never_exceeded_and_the_shortfall_is_reported(tmp_path):
    pool = tmp_path / "pool.jsonl"
    records = [_record(f"p{i}", "en", "Respiratory", "J18.9", "Pneumonia", f"case {i}") for i in range(10)]
    records += [_record(f"a{i}", "en", "Respiratory", "J45.9", "Asthma", f"case a{i}") for i in range(10)]
    write_jsonl(pool, records)
    sheet, items = build(
        pool,
        tmp_path / "out",
        per_department=8,
        languages=["en"],
        departments=["Respiratory"],
        max_stratum_share=0.25,
    )
    assert Counter(i["stratum"] for i in items) == {"category:J18": 2, "category:J45": 2}
    assert any("4 of 8 filled" in w for w in sheet.warnings)
    # Stratified one level up, by ICD-10 block (J18 is in J09-J18, J45 in J40-J47).
    sheet, items = build(
        pool,
        tmp_path / "blocks",
        per_department=8,
        languages=["en"],
        departments=["Respiratory"],
        level="block",
        min_categories=3,
    )
    assert Counter(i["stratum"] for i in items) == {"block:J09-J18": 4, "block:J40-J47": 4}
    assert any("fewer than min_categories=3" in w for w in sheet.warnings)


# --- leakage -------------------------------------------------------------------------------------


def test_leakage_index_exact_near_and_distinct():
    case = (
        "A 67-year-old man presents with 3 days of fever, productive cough with rusty sputum and right-sided "
        "pleuritic chest pain. Chest X-ray shows right lower lobe consolidation and the WBC is raised."
    )
    index = LeakageIndex(threshold=0.8)
    index.add(case)
    assert index.match(case.upper().replace(",", " ,")) == "exact"
    assert index.match(case.replace("fever", "pyrexia").replace("rusty", "brown")) == "near"
    assert index.match("A 23-year-old woman with a week of polyuria, thirst and weight loss.") is None


def test_planted_training_duplicates_are_removed_and_a_distinct_case_survives(tmp_path):
    samples = {r["id"]: r for r in read_jsonl(SAMPLE_RECORDS)}
    exact = samples["sample-en-resp-001"]["case"]
    near_en = samples["sample-en-resp-002"]["case"]
    near_zh = samples["sample-zh-gi-001"]["case"]
    kept = samples["sample-en-gi-002"]["case"]
    near_en = near_en.replace("year-old", "yr-old", 1).replace("breath", "air", 1).replace("and", "&", 2)
    near_zh = near_zh.replace("黑便", "柏油便", 1).replace("头晕", "眩晕", 1)
    train = tmp_path / "train.jsonl"
    write_jsonl(
        train,
        [
            {"id": "t1", "question": exact, "thinking": "x", "response": "y"},
            {"id": "t2", "question": near_en},
            {"id": "t3", "case": near_zh, "diagnosis": "x"},
            # Same opening sentence as a benchmark case, the rest different: not a duplicate.
            {
                "id": "t4",
                "question": kept[:120] + " Completely different history, examination and tests follow.",
            },
        ],
    )
    baseline, base_items = build(SAMPLE_RECORDS, tmp_path / "base", per_department=10)
    sheet, items = build(SAMPLE_RECORDS, tmp_path / "out", train=(train,), per_department=10)
    pair_ids = {i["meta"]["pair_id"] for i in items}
    assert {"resp-001", "resp-002", "gi-001"} <= {i["meta"]["pair_id"] for i in base_items}
    assert not {"resp-001", "resp-002", "gi-001"} & pair_ids  # a leaked case goes with its translation
    assert "gi-002" in pair_ids
    leak = sheet.leakage
    assert (leak.exact, leak.near, leak.removed_cases, leak.train_texts) == (1, 2, 3, 4)
    assert len(items) == len(base_items) - 6
    assert "cases removed: 3" in (tmp_path / "out" / "datasheet.md").read_text()


# --- errors, config, CLI, DxBench ---------------------------------------------------------------


def test_bad_pool_lines_and_training_lines_name_file_line_and_field(tmp_path):
    pool = tmp_path / "pool.jsonl"
    good = json.dumps(_record("x", "en", "Cardiology", "I21.0", "MI", "case"))
    pool.write_text(good + "\n{not json\n", encoding="utf-8")
    with pytest.raises(RecordError) as err:
        build(pool, tmp_path / "out")
    assert err.value.line == 2
    pool.write_text(
        good + "\n" + json.dumps({"id": "y", "language": "en", "case": "c"}) + "\n", encoding="utf-8"
    )
    with pytest.raises(RecordError) as err:
        build(pool, tmp_path / "out")
    assert (err.value.line, err.value.field) == (2, "diagnosis")
    pool.write_text(good + "\n", encoding="utf-8")
    train = tmp_path / "train.jsonl"
    train.write_text(json.dumps({"id": "t", "thinking": "no question"}) + "\n", encoding="utf-8")
    with pytest.raises(RecordError) as err:
        build(pool, tmp_path / "out", train=(train,))
    assert (err.value.line, err.value.field) == (1, "question")


def test_config_file_is_validated(tmp_path):
    path = tmp_path / "bench.yaml"
    path.write_text("per_department: 20\nlanguages: [en]\nmode: per_language\n", encoding="utf-8")
    assert load_config(path, BenchConfig).per_department == 20
    path.write_text("per_departmnet: 20\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="per_departmnet"):
        load_config(path, BenchConfig)
    path.write_text("languages: [en, en]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="languages"):
        load_config(path, BenchConfig)


def test_cli_bench_build(tmp_path):
    from clinical_r1.cli import app

    result = CliRunner().invoke(
        app,
        ["bench", "build", "--records", str(SAMPLE_RECORDS), "--per-department", "2", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    items = read_jsonl(tmp_path / "bench.jsonl")
    assert len(items) == 2 * 2 * 7 - 2 * sum(
        max(0, 2 - d["available"])
        for d in json.loads((tmp_path / "datasheet.json").read_text())["departments"]
        if d["language"] == "en"
    )
    bad = CliRunner().invoke(
        app, ["bench", "build", "--records", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path)]
    )
    assert bad.exit_code == 2 and "not found" in bad.output
    config = tmp_path / "bench.yaml"
    config.write_text("per_departmnet: 2\n", encoding="utf-8")
    bad_config = CliRunner().invoke(
        app,
        ["bench", "build", "--records", str(SAMPLE_RECORDS), "--config", str(config), "--out", str(tmp_path)],
    )
    assert bad_config.exit_code == 2 and "per_departmnet" in bad_config.output


def test_dxbench_with_its_own_departments_and_mapped_to_the_seven(shared_data, tmp_path):
    from clinical_r1.importers import import_dxbench

    dx = shared_data / "dxbench"
    records = import_dxbench(dx / "DxBench_en.json") + import_dxbench(dx / "DxBench_zh.json")
    pool = tmp_path / "dxbench.jsonl"
    write_jsonl(pool, records)
    unmapped = sum(icd10.code_for(r.diagnosis, r.language) is None for r in records)

    own = sorted({r.department for r in records if r.language == "en"})
    assert len(own) == 15
    sheet, items = build(pool, tmp_path / "own", per_department=20, departments=own)
    assert_datasheet_matches(sheet, tmp_path / "own", items)
    assert sheet.pool.unmapped == unmapped > 0 and sheet.pool.in_scope == 1148
    en = Counter(i["department"] for i in items if i["language"] == "en")
    assert set(en.values()) == {20} and len(en) == 15
    assert Counter(i["language"] for i in items) == {"en": 300, "zh": 300}

    seven, items7 = build(pool, tmp_path / "seven", per_department=20)
    assert_datasheet_matches(seven, tmp_path / "seven", items7)
    assert seven.pool.out_of_scope > 0 and seven.pool.in_scope + seven.pool.out_of_scope == 1148
    mapped = [i for i in items7 if i["department"] != "Neurology" and i["language"] == "en"]
    assert mapped and all(department_for(i["icd10"]) == i["department"] for i in mapped)
    assert all(i["meta"]["department_from"] == "icd10" for i in mapped)
    # Chinese records carry Chinese department labels: their department comes with their English pair.
    assert all(
        i["meta"]["department_from"] in ("icd10", "translation") for i in items7 if i["language"] == "zh"
    )
