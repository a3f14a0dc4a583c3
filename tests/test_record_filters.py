"""Record filters (language, department, id lists) in the pipeline and the CLI, and RL data that leaves
the benchmark cases out by default (issue 18 item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinical_r1.config import ConfigError
from clinical_r1.pipeline import Pipeline, PipelineConfig, load_pipeline_config
from clinical_r1.record_filters import RecordFilter, filter_file, filter_from_options, filter_rows, read_ids
from clinical_r1.records import SAMPLE_RECORDS, RecordError
from clinical_r1.train.rl_data import load_prompts, prepare_rl_data

CASE_A = (
    "A 67-year-old man has three days of fever, rigors, cough with rust-coloured sputum and right-sided "
    "pleuritic chest pain; crackles at the right base and a right lower lobe consolidation on X-ray."
)
CASE_B = "患者女，24岁，停经45天，阴道少量流血伴左下腹痛，血HCG阳性，B超宫内未见孕囊，左附件区包块。"
CASE_C = "A 5-week-old boy with projectile non-bilious vomiting after every feed and an olive-shaped mass."


def _record(rid: str, language: str, department: str | None, case: str, diagnosis: str = "X") -> dict:
    return {"id": rid, "language": language, "department": department, "case": case, "diagnosis": diagnosis,
            "icd10": None, "source": "test", "meta": {}}  # fmt: skip


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _summary(run: Path, stage: str) -> dict:
    return json.loads((run / "manifest.json").read_text())["stages"][stage]["summary"]


ROWS = [
    _record("r1", "en", "Respiratory", CASE_A),
    _record("r2", "zh", "Obstetrics", CASE_B),
    _record("r3", "en", None, CASE_C),
    _record("r4", "en", " respiratory ", CASE_A + " Second admission."),
]


# --- the filter ------------------------------------------------------------------------------------


def test_each_filter_keeps_what_it_names_and_counts_the_rest() -> None:
    by_language, report = filter_rows(ROWS, RecordFilter(language="en"))
    assert [r["id"] for r in by_language] == ["r1", "r3", "r4"]
    assert report.read == 4 and report.kept == 3 and report.dropped == {"language 'zh' not selected": 1}

    by_department, report = filter_rows(ROWS, RecordFilter(department=["RESPIRATORY"]))
    assert [r["id"] for r in by_department] == ["r1", "r4"]  # case and spacing do not matter
    assert report.dropped == {"department not selected": 2}
    no_department, _ = filter_rows(ROWS, RecordFilter(department="(none)"))
    assert [r["id"] for r in no_department] == ["r3"]

    included, report = filter_rows(ROWS, RecordFilter(include_ids=["r2", "r3"], exclude_ids=["r3"]))
    assert [r["id"] for r in included] == ["r2"]  # exclusion wins over inclusion
    assert report.dropped == {"id not in include list": 2, "id in exclude list": 1}

    together, report = filter_rows(ROWS, RecordFilter(language=["en"], department=["respiratory"]))
    assert [r["id"] for r in together] == ["r1", "r4"] and report.kept == 2
    assert filter_rows(ROWS, RecordFilter())[1].dropped == {} and RecordFilter().is_empty()


def test_id_files_are_text_or_jsonl(tmp_path: Path) -> None:
    text = tmp_path / "ids.txt"
    text.write_text("# benchmark ids\nr1\n\n  r2  \n", encoding="utf-8")
    assert read_ids(text) == {"r1", "r2"}
    bench = _write(tmp_path / "bench.jsonl", ROWS[:2])
    kept, report = filter_rows(ROWS, RecordFilter(exclude_ids_file=str(bench)))
    assert [r["id"] for r in kept] == ["r3", "r4"] and report.dropped == {"id in exclude list": 2}
    kept, _ = filter_rows(ROWS, RecordFilter(include_ids_file=str(text)))
    assert [r["id"] for r in kept] == ["r1", "r2"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n{"name": "b"}\n', encoding="utf-8")
    with pytest.raises(RecordError, match=r"bad\.jsonl:2.*'id'"):
        read_ids(bad)


def test_bad_filters_are_refused_with_the_field_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="language"):
        RecordFilter(language=["fr"])
    with pytest.raises(ValueError, match="blank"):
        RecordFilter(department=["  "])
    with pytest.raises(ValueError, match="not found"):
        RecordFilter(exclude_ids_file=str(tmp_path / "missing.txt"))
    with pytest.raises(ValueError, match="--language"):
        filter_from_options(["en,fr"], [], [], [])
    with pytest.raises(ValueError, match="one @FILE"):
        filter_from_options([], [], ["@a", "@b"], [])
    assert filter_from_options([], [], [], []) is None
    ids_file = _write(tmp_path / "x.jsonl", ROWS)
    parsed = filter_from_options(["en, zh"], ["Cardiology"], ["a,b", "c"], [f"@{ids_file}"])
    assert parsed.language == ["en", "zh"] and parsed.include_ids == ["a", "b", "c"]
    assert parsed.exclude_ids_file and not parsed.exclude_ids


def test_filter_file_names_the_line_of_a_row_without_id_and_never_overwrites(tmp_path: Path) -> None:
    source = _write(tmp_path / "records.jsonl", [ROWS[0], {"language": "en", "case": "x"}])
    with pytest.raises(RecordError, match=r"records\.jsonl:2: field 'id'"):
        filter_file(source, tmp_path / "out.jsonl", RecordFilter(language="en"))
    with pytest.raises(ValueError, match="overwrite"):
        filter_file(source, source, RecordFilter(language="en"))


# --- RL data: benchmark cases left out -----------------------------------------------------------


def test_rl_data_leaves_exact_and_near_benchmark_cases_out(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.jsonl", ROWS)
    # The benchmark holds case A reworded slightly (a near duplicate of r1 and r4) and case B verbatim.
    bench = _write(tmp_path / "bench.jsonl", [
        _record("b1", "en", "Respiratory", CASE_A.replace("67-year-old", "68-year-old")),
        _record("b2", "zh", "Obstetrics", CASE_B),
    ])  # fmt: skip
    out = tmp_path / "rl" / "rl_data.jsonl"
    report = prepare_rl_data(train, out, benchmark_files=[bench])
    # r2 is case B verbatim (exact); r1 and r4 are case A with one word changed or added (near)
    assert [r["id"] for r in _read(out)] == ["r3"]
    assert report.excluded_benchmark == {"exact": 1, "near": 2}
    assert report.read == 4 and report.kept == 1 and report.benchmark_cases == 2
    assert "benchmark cases left out" in report.describe()
    assert [p.id for p in load_prompts(out)] == ["r3"]  # the prepared file is ordinary RL data

    # The filter runs first; without a benchmark nothing else is left out (and the report says so).
    report = prepare_rl_data(train, out, RecordFilter(language="zh"))
    assert [r["id"] for r in _read(out)] == ["r2"] and report.excluded_benchmark == {}
    assert "no benchmark given" in report.describe()


def test_rl_data_errors(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.jsonl", ROWS[1:2])
    bench = _write(tmp_path / "bench.jsonl", ROWS[1:2])
    with pytest.raises(ValueError, match="no RL prompt left"):
        prepare_rl_data(train, tmp_path / "out.jsonl", benchmark_files=[bench])
    with pytest.raises(FileNotFoundError, match="benchmark file"):
        prepare_rl_data(train, tmp_path / "out.jsonl", benchmark_files=[tmp_path / "nope.jsonl"])
    no_case = _write(tmp_path / "no_case.jsonl", [ROWS[0], {"id": "q", "diagnosis": "x", "language": "en"}])
    with pytest.raises(RecordError, match=r"no_case\.jsonl:2: field 'case'"):
        prepare_rl_data(no_case, tmp_path / "out.jsonl")


# --- the pipeline ----------------------------------------------------------------------------------


def test_pipeline_records_filter_keeps_one_language(tmp_path: Path) -> None:
    config = PipelineConfig(name="filtered", runs_dir=str(tmp_path), records={"filter": {"language": "zh"}})
    pipeline = Pipeline(config)
    pipeline.run()
    records = tmp_path / "filtered" / "records"
    train, heldout = _read(records / "train.jsonl"), _read(records / "heldout.jsonl")
    assert train and heldout and {r["language"] for r in train + heldout} == {"zh"}
    summary = _summary(tmp_path / "filtered", "records")
    assert summary["filter"]["dropped"] == {"language 'en' not selected": summary["filter"]["read"] // 2}
    assert summary["records"] == len(train) + len(heldout) == summary["filter"]["kept"]


def test_pipeline_config_refuses_a_missing_case_file(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(f"name: x\nruns_dir: {tmp_path}\nrl:\n  exclude_cases: [{tmp_path / 'nope.jsonl'}]\n")
    with pytest.raises(ConfigError, match="nope.jsonl"):
        load_pipeline_config(path)


def test_pipeline_rl_trains_without_the_benchmark_pool_by_default(tmp_path: Path, monkeypatch) -> None:
    """The RL stage's prompts leave out the held-out records the benchmark is built from (and the files
    in exclude_cases); training itself is replaced here, the data it is given is what is tested."""
    import clinical_r1.pipeline as pipeline_module

    seen: dict[str, list[dict]] = {}

    def fake_run_rl(config, data, model, out_dir):
        seen["data"] = _read(Path(data))
        return Path(out_dir)

    monkeypatch.setattr(pipeline_module, "run_rl", fake_run_rl)
    heldout_twin = tmp_path / "twin.jsonl"
    model = tmp_path / "model"
    model.mkdir()
    train_rows = [json.loads(line) for line in SAMPLE_RECORDS.read_text(encoding="utf-8").splitlines()]
    config = {"name": "rl", "runs_dir": str(tmp_path / "runs"), "model": str(model), "rl": {}}
    pipeline = Pipeline(PipelineConfig(**config))
    pipeline.run()
    records = tmp_path / "runs" / "rl" / "records"
    train_ids = {r["id"] for r in _read(records / "train.jsonl")}
    assert {r["id"] for r in seen["data"]} == train_ids  # disjoint from the held-out pool by construction
    summary = _summary(tmp_path / "runs" / "rl", "rl")
    assert summary["data"]["benchmark_files"] == [str(records / "heldout.jsonl")]
    assert summary["data"]["excluded_benchmark"] == {"exact": 0, "near": 0}

    # A training record that duplicates a benchmark case (another source, another id) is left out,
    # and so are the cases of an extra benchmark file; the English filter applies first.
    first_train = next(r for r in train_rows if r["id"] in train_ids and r["language"] == "en")
    _write(heldout_twin, [{**first_train, "id": "elsewhere-1"}])
    config["rl"] = {"exclude_cases": [str(heldout_twin)], "filter": {"language": "en"}}
    pipeline = Pipeline(PipelineConfig(**config))
    pipeline.run()
    kept = {r["id"] for r in seen["data"]}
    assert first_train["id"] not in kept and kept and {r["language"] for r in seen["data"]} == {"en"}
    summary = _summary(tmp_path / "runs" / "rl", "rl")
    assert summary["data"]["excluded_benchmark"]["exact"] == 1
    zh_dropped = len(train_ids) - len(kept) - 1
    assert summary["data"]["filtered"]["dropped"] == {"language 'zh' not selected": zh_dropped}

    config["rl"] = {"exclude_benchmark": False}
    Pipeline(PipelineConfig(**config)).run()
    summary = _summary(tmp_path / "runs" / "rl", "rl")
    assert summary["data"]["benchmark_files"] == [] and {r["id"] for r in seen["data"]} == train_ids


def test_pipeline_sft_filter_keeps_the_examples_it_names(tmp_path: Path, monkeypatch) -> None:
    import clinical_r1.pipeline as pipeline_module

    seen: dict[str, list[dict]] = {}

    def fake_run_sft(config, data, model, out_dir):
        seen["data"] = _read(Path(data))
        folder = Path(out_dir)
        (folder / "metrics.json").write_text(json.dumps({"final_loss": None}))
        return folder

    monkeypatch.setattr(pipeline_module, "run_sft", fake_run_sft)
    seed = SAMPLE_RECORDS.parent / "sft_seed.jsonl"
    model = tmp_path / "model"
    model.mkdir()
    sft = {"extra_data": [str(seed)], "filter": {"language": "zh"}}
    Pipeline(PipelineConfig(name="sft", runs_dir=str(tmp_path), model=str(model), sft=sft)).run()
    all_seed = _read(seed)
    assert seen["data"] == [row for row in all_seed if row["language"] == "zh"] and seen["data"]
    sft["filter"] = {"language": "zh", "exclude_ids": [row["id"] for row in all_seed]}
    with pytest.raises(ConfigError, match="keeps no training example"):
        Pipeline(PipelineConfig(name="sft", runs_dir=str(tmp_path), model=str(model), sft=sft)).run()


# --- the CLI ---------------------------------------------------------------------------------------


def test_cli_records_filter(tmp_path: Path) -> None:
    from clinical_r1.cli import app

    out = tmp_path / "en.jsonl"
    result = CliRunner().invoke(
        app, ["records", "filter", str(SAMPLE_RECORDS), "--out", str(out), "--language", "en",
              "--department", "cardiology", "--department", "Respiratory"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert rows and {r["language"] for r in rows} == {"en"}
    assert {r["department"] for r in rows} == {"Cardiology", "Respiratory"}
    assert f"{len(rows)} of 140 rows kept" in result.output and "language 'zh' not selected" in result.output
    none_given = CliRunner().invoke(app, ["records", "filter", str(SAMPLE_RECORDS), "--out", str(out)])
    assert none_given.exit_code != 0 and "give one of" in none_given.output
    bad = CliRunner().invoke(
        app, ["records", "filter", str(SAMPLE_RECORDS), "--out", str(out), "--language", "fr"]
    )
    assert bad.exit_code != 0 and "--language" in bad.output


def test_cli_rl_filters_and_leaves_the_benchmark_next_to_the_data_out(tmp_path: Path, monkeypatch) -> None:
    import clinical_r1.train.rl as rl_module
    from clinical_r1.cli import app

    seen: dict[str, list[dict]] = {}

    def fake_run_rl(config, data, model, out_dir):
        seen["data"] = _read(Path(data))
        folder = Path(out_dir)
        metrics = {"algo": "ppo", "global_step": 0, "resumed_from_step": 0, "reward_first": None,
                   "reward_last": None}  # fmt: skip
        (folder / "metrics.json").write_text(json.dumps(metrics))
        return folder

    monkeypatch.setattr(rl_module, "run_rl", fake_run_rl)
    records = tmp_path / "records"
    records.mkdir()
    train = _write(records / "train.jsonl", ROWS)
    _write(records / "heldout.jsonl", [_record("h1", "zh", "Obstetrics", CASE_B)])  # r2's case
    out = tmp_path / "rl"
    args = ["rl", "--data", str(train), "--model", "m", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--exclude-ids", "r3"])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in seen["data"]] == ["r1", "r4"]
    report = json.loads((out / "rl_data_report.json").read_text())
    assert report["excluded_benchmark"]["exact"] == 1
    assert report["filtered"]["dropped"] == {"id in exclude list": 1}
    assert "1 benchmark cases left out" in " ".join(result.output.split())

    result = CliRunner().invoke(app, [*args, "--keep-benchmark-cases", "--language", "zh"])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in seen["data"]] == ["r2"]
    assert "no benchmark" in result.output

    result = CliRunner().invoke(app, [*args, "--exclude-ids", "r1,r2,r3,r4"])
    assert result.exit_code == 2 and "no RL prompt left" in " ".join(result.output.split())


def test_cli_verl_export_leaves_the_benchmark_out_too(tmp_path: Path, monkeypatch) -> None:
    import clinical_r1.train.verl_export as verl_export
    from clinical_r1.cli import app

    seen: dict[str, list[dict]] = {}

    class Result:
        rows, train, reward_file, launch_script = 0, "train.parquet", "reward_fn.py", "run_ppo.sh"

    def fake_export(config, data, model, out_dir, val_data=None):
        seen["data"] = _read(Path(data))
        return Result()

    monkeypatch.setattr(verl_export, "export_verl", fake_export)
    records = tmp_path / "records"
    records.mkdir()
    train = _write(records / "train.jsonl", ROWS)
    _write(records / "heldout.jsonl", [_record("h1", "zh", "Obstetrics", CASE_B)])
    out = tmp_path / "verl"
    args = ["rl", "export-verl", "--data", str(train), "--model", "m", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--language", "zh,en"])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in seen["data"]] == ["r1", "r3", "r4"]  # r2 is the benchmark's case B
    assert json.loads((out / "rl_data_report.json").read_text())["excluded_benchmark"]["exact"] == 1


def test_cli_synthesize_runs_on_the_filtered_records(tmp_path: Path, monkeypatch) -> None:
    import clinical_r1.synth.runner as runner
    from clinical_r1.cli import app

    class Stop(Exception):
        pass

    seen: dict[str, list[dict]] = {}

    def fake_run_synthesis(config, records, out, progress=True, lock=None):
        seen["records"] = _read(Path(records))
        assert lock is not None and lock.held  # the command wrote records.filtered.jsonl under OUT's lock
        raise Stop  # the rest of the command (tables, ledger) is synthesis's own, tested elsewhere

    monkeypatch.setattr(runner, "run_synthesis", fake_run_synthesis)
    out = tmp_path / "synth"
    result = CliRunner().invoke(
        app, ["synthesize", "--records", str(SAMPLE_RECORDS), "--out", str(out), "--teacher", "tiny",
              "--language", "zh", "--exclude-ids", "sample-zh-resp-001"],
    )  # fmt: skip
    assert isinstance(result.exception, Stop), result.output
    ids = {r["id"] for r in seen["records"]}
    assert ids and all(i.startswith("sample-zh-") for i in ids) and "sample-zh-resp-001" not in ids
    assert (out / "records.filtered.jsonl").exists() and "record filter:" in result.output


def test_cli_synthesize_takes_the_run_lock_before_it_writes_the_filtered_records(tmp_path: Path) -> None:
    """A second synthesize on a busy OUT must not overwrite the records.filtered.jsonl the first reads."""
    from clinical_r1.cli import app
    from clinical_r1.runlock import RunLock

    out = tmp_path / "synth"
    out.mkdir()
    first_runs_input = '{"id": "written by the run holding the lock"}\n'
    (out / "records.filtered.jsonl").write_text(first_runs_input, encoding="utf-8")
    with RunLock(out):  # the first run (a second open of the lock file conflicts even in one process)
        result = CliRunner().invoke(
            app, ["synthesize", "--records", str(SAMPLE_RECORDS), "--out", str(out), "--teacher", "tiny",
                  "--language", "zh"],
        )  # fmt: skip
    assert result.exit_code == 2 and "is in use by another run" in result.output, result.output
    assert (out / "records.filtered.jsonl").read_text(encoding="utf-8") == first_runs_input
