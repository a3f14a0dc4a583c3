"""`clinical-r1 run` reports bad input data as an error naming file, line and field (no traceback)."""

from __future__ import annotations

import pytest
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


def test_a_corrupt_manifest_is_a_config_error_naming_the_file_and_the_way_out(tmp_path):
    config = {"name": "broken", "runs_dir": str(tmp_path / "runs"), "bench": {"per_department": 1}}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(config))
    manifest = tmp_path / "runs" / "broken" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"stages": {"records": {"status": "do', encoding="utf-8")  # cut off mid-write
    result = CliRunner().invoke(app, ["run", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    output = " ".join(result.output.split())
    assert f"{manifest}: line 1: not valid JSON" in output and "delete it" in output
    assert manifest.read_text(encoding="utf-8").endswith('"do')  # left as it was for the user to look at


def test_a_manifest_that_is_not_an_object_is_a_config_error(tmp_path):
    from clinical_r1.config import ConfigError
    from clinical_r1.manifest import Manifest

    path = tmp_path / "manifest.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ConfigError, match="manifest.json: expected a JSON object, got list"):
        Manifest(path)
