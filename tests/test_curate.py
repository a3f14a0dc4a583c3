"""Curation (clinical_r1.curate, `clinical-r1 curate`): benchmark near-duplicates per source, answer
leakage, and the difficulty filter against a scripted server whose right answers per record are fixed,
so the solve rates, the drops and the counts are known exactly."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.curate import CurateConfig, SamplingIncomplete, answer_names, find_answer_leak, run_curation
from clinical_r1.records import SAMPLE_RECORDS, RecordError
from clinical_r1.testing.fake_openai_server import Faults, running_server

ROWS = [json.loads(line) for line in SAMPLE_RECORDS.read_text(encoding="utf-8").splitlines()]
BY_ID = {row["id"]: row for row in ROWS}
IDS = [f"sample-{lang}-resp-00{n}" for n in range(1, 5) for lang in ("en", "zh")]
# Right answers out of 4 samples, per record.
RIGHT = {
    "sample-en-resp-001": 4,
    "sample-zh-resp-001": 4,
    "sample-en-resp-002": 3,
    "sample-zh-resp-002": 0,
    "sample-en-resp-003": 1,
    "sample-zh-resp-003": 4,
    "sample-en-resp-004": 2,
    "sample-zh-resp-004": 3,
}


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _script() -> tuple[object, dict[str, int]]:
    """Answers the k-th sample of a record right while k < RIGHT[record]; counts the calls."""
    calls: dict[str, int] = defaultdict(int)

    def script(request: dict) -> str:
        user = request["messages"][-1]["content"]
        item_id = next(i for i in IDS if BY_ID[i]["case"] in user)
        k = calls[item_id]
        calls[item_id] += 1
        wrong = "Gout" if BY_ID[item_id]["language"] == "en" else "痛风"
        answer = BY_ID[item_id]["diagnosis"] if k % 4 < RIGHT[item_id] else wrong
        return f"<think>Reasoning about the case.</think>Final diagnosis: {answer}"

    return script, calls


@pytest.fixture
def records(tmp_path: Path) -> Path:
    return _write(tmp_path / "records.jsonl", [BY_ID[i] for i in IDS])


def _config(url: str, **kw: object) -> CurateConfig:
    return CurateConfig(model=f"openai:fake-model@{url}", samples=4, temperature=0.7, plot=False, **kw)


def test_difficulty_drops_solved_records_exactly(records: Path, tmp_path: Path) -> None:
    script, _ = _script()
    with running_server(script) as server:
        stats = run_curation(_config(server.base_url), records, tmp_path / "out", progress=False)
        assert len(server.requests) == 8  # one request of n=4 per record
        assert {r.body["n"] for r in server.requests} == {4}
    assert stats.solve_rates == {"4/4": 3, "3/4": 2, "0/4": 1, "1/4": 1, "2/4": 1}
    assert (stats.records, stats.kept, stats.dropped, stats.reasons) == (8, 5, 3, {"solved": 3})
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert {r["id"] for r in rejects} == {i for i, n in RIGHT.items() if n == 4}
    assert all(r["reason"] == "solved" and r["detail"] == "4/4 samples right" for r in rejects)
    kept = [json.loads(line) for line in (tmp_path / "out" / "records.jsonl").read_text().splitlines()]
    assert [r["id"] for r in kept] == [i for i in IDS if RIGHT[i] < 4]  # input order kept
    assert all(r["meta"]["curation"]["solved"] == RIGHT[r["id"]] for r in kept)
    assert all(r["meta"]["pair_id"] for r in kept)  # the record's own meta is kept


def test_threshold_and_downweight(records: Path, tmp_path: Path) -> None:
    script, _ = _script()
    with running_server(script) as server:
        config = _config(
            server.base_url, solved_threshold=0.75, solved_action="downweight", solved_weight=0.25
        )
        stats = run_curation(config, records, tmp_path / "out", progress=False)
    assert (stats.kept, stats.dropped, stats.down_weighted) == (8, 0, 5)
    kept = [json.loads(line) for line in (tmp_path / "out" / "records.jsonl").read_text().splitlines()]
    weights = {r["id"]: r["meta"]["curation"].get("weight") for r in kept}
    assert weights == {i: (0.25 if RIGHT[i] >= 3 else None) for i in IDS}


def test_sampling_resumes_from_the_journal(records: Path, tmp_path: Path) -> None:
    script, _ = _script()
    out = tmp_path / "out"
    # The first request fails (HTTP 400, not retried): that record has no answer, the run says rerun.
    with running_server(script, faults=Faults(plan=["400"])) as server:
        with pytest.raises(SamplingIncomplete, match="rerun"):
            run_curation(_config(server.base_url), records, out, progress=False)
        failed = server.requests[0].user_text
        lines = (out / "difficulty.jsonl").read_text().splitlines()
        assert len(lines) == 8 and sum(bool(json.loads(line)["error"]) for line in lines) == 1
        before = len(server.requests)
        stats = run_curation(_config(server.base_url), records, out, progress=False)
        assert [r.user_text for r in server.requests[before:]] == [failed]  # only the failed record again
        assert stats.kept + stats.dropped == 8 and stats.reasons == {"solved": 3}
        # A case edited under the same id is asked again; the other seven are not.
        edited = [
            {**BY_ID[i], "case": BY_ID[i]["case"] + " Seen again today."} if i == IDS[3] else BY_ID[i]
            for i in IDS
        ]
        before = len(server.requests)
        run_curation(_config(server.base_url), _write(records, edited), out, progress=False)
        assert [r.user_text for r in server.requests[before:]] == [edited[3]["case"]]
        # Other sampling settings: the earlier answers are set aside, every record is asked again.
        before = len(server.requests)
        run_curation(_config(server.base_url, max_tokens=512), records, out, progress=False)
        assert len(server.requests) - before == 8
    assert (out / "difficulty.stale.jsonl").exists()


def test_benchmark_duplicates_are_counted_per_source(tmp_path: Path) -> None:
    rows = [r for r in ROWS if r["language"] == "en"][:10]
    records = _write(tmp_path / "records.jsonl", rows)
    # A bench.jsonl (our layout) holding record 0 exactly and record 1 with a few words changed,
    # and a MedQA-style multiple-choice file whose stem is record 2's case.
    near = rows[1]["case"].replace("presents with", "comes in with").replace("Exam:", "On examination:")
    bench = _write(tmp_path / "bench.jsonl", [{**rows[0], "id": "b0"}, {**rows[1], "id": "b1", "case": near}])
    mcq = {"question": rows[2]["case"], "options": {"A": "x", "B": "y"}, "answer": "A", "answer_idx": "A"}
    medqa = _write(tmp_path / "medqa" / "test.jsonl", [mcq]) if (tmp_path / "medqa").mkdir() is None else None
    (tmp_path / "medqa" / "LICENSE").write_text("not a benchmark")
    stats = run_curation(
        CurateConfig(benchmarks=[bench, tmp_path / "medqa"], answer_leak="off", plot=False),
        records,
        tmp_path / "out",
        progress=False,
    )
    assert stats.benchmark_matches == {
        str(bench): {"exact": 1, "near": 1},
        str(medqa): {"exact": 1, "near": 0},
    }
    assert stats.benchmark_items == {str(bench): 2, str(medqa): 1}
    assert (stats.kept, stats.dropped, stats.reasons) == (7, 3, {"benchmark_duplicate": 3})
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert {r["id"] for r in rejects} == {rows[0]["id"], rows[1]["id"], rows[2]["id"]}
    assert all(str(bench) in r["detail"] or str(medqa) in r["detail"] for r in rejects)


def test_shared_dxbench_duplicates(tmp_path: Path) -> None:
    dxbench = Path(__file__).resolve().parents[2] / "shared" / "data" / "dxbench" / "DxBench_en.json"
    if not dxbench.exists():
        pytest.skip("../shared/data/dxbench not present")
    cases = json.loads(dxbench.read_text(encoding="utf-8"))[:3]
    from clinical_r1.importers import import_dxbench

    imported = import_dxbench(dxbench)[:3]
    rows = [r.model_dump(mode="json") for r in imported] + [BY_ID["sample-en-resp-001"]]
    records = _write(tmp_path / "records.jsonl", rows)
    stats = run_curation(
        CurateConfig(benchmarks=[dxbench], plot=False), records, tmp_path / "out", progress=False
    )
    assert len(cases) == 3 and stats.benchmark_matches == {str(dxbench): {"exact": 3, "near": 0}}
    assert stats.kept == 1


def test_answer_leak_uses_names_synonyms_and_codes() -> None:
    assert "heart attack" in answer_names("Myocardial infarction", "I21.9", "en")
    names = answer_names("Lobar pneumonia", "J18.1", "en")
    assert "大叶性肺炎" in names  # the code's names in both languages
    assert find_answer_leak("Chest X-ray is consistent with lobar pneumonia.", names) == "lobar pneumonia"
    assert find_answer_leak("患者胸片示右下肺大叶性肺炎改变。", names) == "大叶性肺炎"
    mi = answer_names("Acute myocardial infarction", "I21.9", "en")
    assert find_answer_leak("He had a heart attack at home.", mi) == "heart attack"
    assert find_answer_leak("Pneumonia was excluded.", names) is None  # another, broader name
    # Whole words only: "COPD" is not found inside "COPDX", nor "gout" inside "gouty".
    assert find_answer_leak("History of COPDX.", ["COPD"]) is None
    assert find_answer_leak("gouty tophi", ["gout"]) is None


def test_answer_leak_flag_or_drop_and_the_samples_are_clean(tmp_path: Path) -> None:
    leaky = {**BY_ID["sample-en-resp-001"], "id": "leaky", "case": BY_ID["sample-en-resp-001"]["case"]
             + " The picture is typical of lobar pneumonia."}  # fmt: skip
    records = _write(tmp_path / "records.jsonl", [*ROWS, leaky])
    stats = run_curation(CurateConfig(plot=False), records, tmp_path / "flag", progress=False)
    assert (stats.records, stats.kept, stats.flagged) == (141, 141, 1)  # no bundled sample names its answer
    flagged = json.loads((tmp_path / "flag" / "flagged.jsonl").read_text())
    assert flagged["id"] == "leaky" and "lobar pneumonia" in flagged["detail"]
    stats = run_curation(
        CurateConfig(answer_leak="drop", plot=False), records, tmp_path / "drop", progress=False
    )
    assert (stats.kept, stats.dropped, stats.reasons) == (140, 1, {"answer_leak": 1})


def test_cli_counts_add_up_and_plot(tmp_path: Path) -> None:
    bench = _write(tmp_path / "bench.jsonl", [{**BY_ID["sample-en-resp-002"], "id": "b"}])
    script, _ = _script()
    with running_server(script) as server:
        args = ["curate", "--records", str(_write(tmp_path / "r.jsonl", [BY_ID[i] for i in IDS]))]
        args += ["--out", str(tmp_path / "out"), "--model", f"openai:fake-model@{server.base_url}"]
        args += ["--samples", "4", "--temperature", "0.7", "--against", str(bench), "--no-progress"]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "curation.json").read_text())["stats"]
    # en-resp-002 goes as a benchmark duplicate before sampling; the three 4/4 records as solved.
    assert summary["reasons"] == {"benchmark_duplicate": 1, "solved": 3}
    assert summary["kept"] + summary["dropped"] == summary["records"] == 8
    assert summary["distribution"]["department"]["before"] == {"Respiratory": 8}
    assert summary["distribution"]["department"]["after"] == {"Respiratory": 4}
    assert summary["distribution"]["icd10_chapter"]["before"] == {"X": 6, "I": 2}
    assert (tmp_path / "out" / "distribution.png").stat().st_size > 1000
    assert re.search(r"dropped: solved\s*│\s*3", result.output)


def test_bad_input_names_file_and_line(tmp_path: Path) -> None:
    records = _write(tmp_path / "r.jsonl", [BY_ID[IDS[0]], BY_ID[IDS[0]]])
    with pytest.raises(RecordError, match=r"r\.jsonl.*2.*duplicate id"):
        run_curation(CurateConfig(plot=False), records, tmp_path / "out", progress=False)
    ok = _write(tmp_path / "ok.jsonl", [BY_ID[IDS[0]]])
    with pytest.raises(RecordError, match="not found"):
        run_curation(CurateConfig(benchmarks=[tmp_path / "nope.jsonl"]), ok, tmp_path / "out", progress=False)
    result = CliRunner().invoke(app, ["curate", "--records", str(records), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "duplicate id" in result.output
    with pytest.raises(ValueError, match="temperature"):
        CurateConfig(model="tiny", samples=4, temperature=0.0)


def test_pipeline_curate_stage_feeds_training(tmp_path: Path) -> None:
    from clinical_r1.pipeline import Pipeline, PipelineConfig

    leaky = {**BY_ID["sample-en-resp-001"], "id": "leaky", "meta": {}}
    leaky["case"] += " Lobar pneumonia was confirmed."
    records = _write(tmp_path / "records.jsonl", [*ROWS, leaky])
    config = PipelineConfig.model_validate(
        {
            "name": "cur",
            "runs_dir": str(tmp_path / "runs"),
            "records": {"inputs": [{"path": str(records)}], "heldout_fraction": 0.5},
            "curate": {"answer_leak": "drop", "plot": False},
        }
    )
    pipeline = Pipeline(config)
    outputs = pipeline.run()
    train = [json.loads(line) for line in Path(outputs["records"]["train"]).read_text().splitlines()]
    curated = [json.loads(line) for line in Path(outputs["curate"]["records"]).read_text().splitlines()]
    summary = json.loads((tmp_path / "runs" / "cur" / "curate" / "curation.json").read_text())["stats"]
    # The held-out half is the benchmark pool it decontaminates against. "leaky" (no pair id) was held
    # out while its original sample-en-resp-001 went to training: the original goes, as a near duplicate.
    assert "leaky" not in {r["id"] for r in train} and "sample-en-resp-001" in {r["id"] for r in train}
    rejects = [json.loads(line) for line in Path(outputs["curate"]["rejects"]).read_text().splitlines()]
    assert [r["id"] for r in rejects] == ["sample-en-resp-001"]
    assert summary["benchmark_matches"] == {outputs["records"]["heldout"]: {"exact": 0, "near": 1}}
    assert summary["reasons"] == {"benchmark_duplicate": 1}
    assert summary["kept"] + summary["dropped"] == len(train) == 68
    assert len(curated) == summary["kept"]
    assert pipeline._train_records() == outputs["curate"]["records"]
    assert Pipeline(config).run()["curate"] == outputs["curate"]  # unchanged: skipped


def test_difficulty_with_the_local_tiny_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    """The local backend path (batched generation): the random tiny model solves nothing."""
    records = _write(tmp_path / "r.jsonl", [BY_ID[i] for i in IDS[:3]])
    config = CurateConfig(
        model=f"local:{tiny_model_dir}", samples=2, temperature=0.7, max_tokens=8, plot=False
    )
    stats = run_curation(config, records, tmp_path / "out", progress=False)
    assert stats.solve_rates == {"0/2": 3} and (stats.kept, stats.dropped) == (3, 0)
    entries = [json.loads(line) for line in (tmp_path / "out" / "difficulty.jsonl").read_text().splitlines()]
    assert sorted(e["id"] for e in entries) == sorted(IDS[:3]) and all(e["n"] == 2 for e in entries)
