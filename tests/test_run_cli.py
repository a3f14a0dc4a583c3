"""`clinical-r1 run` reports bad input data as an error naming file, line and field (no traceback)."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from clinical_r1.cli import app


def test_bad_records_end_the_run_with_a_record_error(tmp_path):
    # The same file imported twice: the records stage refuses the repeated ids, naming the line.
    config = {
        "name": "dup",
        "runs_dir": str(tmp_path / "runs"),
        "records": {"inputs": [{"path": "samples"}, {"path": "samples"}], "heldout_fraction": 0.0},
        "synthesize": {"teacher": "tiny"},
    }
    path = tmp_path / "dup.yaml"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(app, ["run", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    output = " ".join(result.output.split())
    assert "input1.jsonl:1: field 'id': duplicate id" in output and "input0.jsonl:1)" in output
    assert not (tmp_path / "runs" / "dup" / "synthesize").exists()


def test_only_a_stage_whose_inputs_were_never_made_is_an_error(tmp_path):
    config = {"name": "fresh", "runs_dir": str(tmp_path / "runs"), "bench": {"per_department": 1}}
    path = tmp_path / "fresh.yaml"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(app, ["run", str(path), "--only", "bench"])
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "stage 'bench' needs the outputs of stage 'records', which has not finished" in output
