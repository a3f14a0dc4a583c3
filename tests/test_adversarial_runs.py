"""Adversarial runs (issue 17): bad record files, bad configs, damaged state files, full disks, read-only
folders, two runs on one folder, private outputs and echoed case text.

Every case asserts what a careful user expects: exit code 2 with one message naming the file (and the
line or field), no traceback, no work started for a bad config, and no lost or duplicated data after a
failure. The CLI runs in-process (typer's CliRunner); subprocesses only where a second process is the
point (locks) or a real filesystem is needed (a small tmpfs or read-only mount in a user namespace,
skipped where `unshare` is not allowed; the mocked ENOSPC/EROFS cases always run).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.llm.base import CachedBackend
from clinical_r1.llm.cache import ResponseCache
from clinical_r1.llm.redact import PLACEHOLDER, strip_echo
from clinical_r1.llm.spec import ModelSpec
from clinical_r1.llm.types import ChatResponse
from clinical_r1.records import SAMPLE_RECORDS, write_jsonl
from clinical_r1.runlock import LOCK_NAME, RunLock
from clinical_r1.safe_io import StorageError
from clinical_r1.synth.config import SynthConfig
from clinical_r1.synth.fake_teacher import FakeTeacher, make_records
from clinical_r1.synth.journal import Journal
from clinical_r1.synth.runner import run_synthesis
from clinical_r1.testing.fake_openai_server import Faults, running_server

DEAD_TEACHER = "openai:m@http://127.0.0.1:9/v1"  # never reached: every case fails before the first call
RUNNER = CliRunner()


def invoke(*args: object, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Exit code and whitespace-normalised output; a traceback (any exception but SystemExit) fails."""
    # Wide: rich would otherwise fold long paths at 80 columns, and a folded path is not found in the output.
    result = RUNNER.invoke(app, [str(a) for a in args], env={"COLUMNS": "400", **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback instead of a message: {result.exception!r}\n{result.output}")
    return result.exit_code, " ".join(result.output.split())


def good(i: int, **fields: object) -> str:
    row = {
        "id": f"r{i}",
        "language": "en",
        "case": f"A {40 + i}-year-old man with crushing chest pain for {i} hours, sweating.",
        "diagnosis": "Acute myocardial infarction",
        **fields,
    }
    return json.dumps({k: v for k, v in row.items() if v is not _DROP}, ensure_ascii=False)


_DROP = object()  # good(i, case=_DROP): the row without that field

# --- 1. malformed record files ----------------------------------------------------------------------
# (name, lines of the file (str or raw bytes), the bad line, a fragment the error must name).
# Each file has good rows around one bad row, so "nothing lost, nothing duplicated" can be checked.
ZH_CASE = "患者男性，62岁，突发胸骨后压榨性疼痛三小时，伴大汗、恶心，既往高血压病史十年。" * 3
RECORD_CASES: list[tuple[str, list[str | bytes], int, str]] = [
    ("cut_json", [good(1), '{"id": "r2", "language": "en", "case": "x"', good(3)], 2, "not valid JSON"),
    ("half_last_line", [good(1), good(2), '{"id": "r3", "langu'], 3, "not valid JSON"),
    ("trailing_comma", [good(1), good(2)[:-1] + ",}", good(3)], 2, "not valid JSON"),
    ("single_quotes", [good(1), "{'id': 'r2', 'language': 'en'}", good(3)], 2, "not valid JSON"),
    ("array_line", [good(1), "[1, 2, 3]", good(3)], 2, "expected a JSON object, got list"),
    ("string_line", [good(1), '"just a string"', good(3)], 2, "expected a JSON object, got str"),
    ("number_line", [good(1), "42", good(3)], 2, "expected a JSON object, got int"),
    ("null_line", [good(1), "null", good(3)], 2, "expected a JSON object, got NoneType"),
    ("empty_object", [good(1), "{}", good(3)], 2, "field 'id'"),
    ("missing_id", [good(1), good(2, id=_DROP), good(3)], 2, "field 'id'"),
    ("missing_case", [good(1), good(2, case=_DROP), good(3)], 2, "field 'case'"),
    ("missing_diagnosis", [good(1), good(2, diagnosis=_DROP), good(3)], 2, "field 'diagnosis'"),
    ("missing_language", [good(1), good(2, language=_DROP), good(3)], 2, "field 'language'"),
    ("empty_id", [good(1), good(2, id=""), good(3)], 2, "field 'id'"),
    ("blank_id", [good(1), good(2, id="   "), good(3)], 2, "field 'id'"),
    ("blank_case", [good(1), good(2, case=" \n\t "), good(3)], 2, "field 'case'"),
    ("blank_diagnosis", [good(1), good(2, diagnosis=""), good(3)], 2, "field 'diagnosis'"),
    ("language_fr", [good(1), good(2, language="fr"), good(3)], 2, "field 'language'"),
    ("language_number", [good(1), good(2, language=5), good(3)], 2, "field 'language'"),
    ("language_null", [good(1), good(2, language=None), good(3)], 2, "field 'language'"),
    ("id_number", [good(1), good(2, id=2), good(3)], 2, "field 'id'"),
    ("case_list", [good(1), good(2, case=["chest", "pain"]), good(3)], 2, "field 'case'"),
    ("diagnosis_object", [good(1), good(2, diagnosis={"name": "MI"}), good(3)], 2, "field 'diagnosis'"),
    ("meta_string", [good(1), good(2, meta="none"), good(3)], 2, "field 'meta'"),
    ("meta_list", [good(1), good(2, meta=[1, 2]), good(3)], 2, "field 'meta'"),
    ("icd10_number", [good(1), good(2, icd10=410), good(3)], 2, "field 'icd10'"),
    ("department_number", [good(1), good(2, department=3), good(3)], 2, "field 'department'"),
    ("source_null", [good(1), good(2, source=None), good(3)], 2, "field 'source'"),
    ("duplicate_id", [good(1), good(2), good(1)], 3, "duplicate id 'r1'"),
    (
        "nan_id",
        [good(1), '{"id": NaN, "language": "en", "case": "chest pain", "diagnosis": "MI"}', good(3)],
        2,
        "field 'id'",
    ),
    (
        "invalid_utf8",
        [
            good(1, case=ZH_CASE, language="zh"),
            good(2).encode()[:50] + b"\xff\xfe" + good(2).encode()[50:],
            good(3),
        ],
        2,
        "cannot decode bytes",
    ),
    (
        "gbk_line_in_utf8",
        [
            good(1, case=ZH_CASE, language="zh"),
            good(2).encode()[:30] + "胸痛".encode("gbk") + good(2).encode()[30:],
            good(3),
        ],
        2,
        "cannot decode bytes",
    ),
    (
        "utf8_cut_mid_character",
        [
            good(1, case=ZH_CASE, language="zh"),
            good(2, case="胸痛" * 5).encode()[:-8] + b"\xe8\x83" + b'"}',
            good(3),
        ],
        2,
        "cannot decode bytes",
    ),
    ("nul_in_string", [good(1), good(2).replace("crushing", "crush\x00ing"), good(3)], 2, "not valid JSON"),
    (
        "lone_surrogate",
        [good(1), good(2).replace("crushing", "crush\\ud800ing"), good(3)],
        2,
        "lone surrogate",
    ),
    ("deep_nesting", [good(1), "[" * 50000 + "]" * 50000, good(3)], 2, "nested too deeply"),
    ("deep_object_nesting", [good(1), '{"a":' * 30000 + "1" + "}" * 30000, good(3)], 2, "nested too deeply"),
    ("extra_data", [good(1), good(2) + " trailing", good(3)], 2, "not valid JSON"),
    ("two_objects_one_line", [good(1), good(2) + good(4), good(3)], 2, "not valid JSON"),
    ("unterminated_string", [good(1), '{"id": "r2, "language": "en"}', good(3)], 2, "not valid JSON"),
    ("slash_comment", [good(1), "// exported by the EHR", good(3)], 2, "not valid JSON"),
    ("hash_comment", [good(1), "# comment", good(3)], 2, "not valid JSON"),
    ("csv_header_in_jsonl", ["id,language,case,diagnosis", good(2), good(3)], 1, "not valid JSON"),
    ("array_file_as_jsonl", ["[" + good(1) + ", " + good(2) + "]", good(3)], 1, "got list"),
    (
        "binary_garbage",
        [good(1, case=ZH_CASE, language="zh"), b"\x89PNG\x1a\x00\x00\x00IHDR\x00\x01\xff", good(3)],
        2,
        "cannot decode bytes",
    ),
    ("crlf_bad_line", [good(1) + "\r", "{broken\r", good(3) + "\r"], 2, "not valid JSON"),
    ("bom_then_bad", ["\ufeff{not json", good(2), good(3)], 1, "not valid JSON"),
    ("infinity_case", [good(1), good(2)[:-1] + ', "case": Infinity}', good(3)], 2, "field 'case'"),
]


def _write_lines(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode("utf-8")) + b"\n" for x in lines))
    return path


@pytest.mark.parametrize("name, lines, line, fragment", RECORD_CASES, ids=[c[0] for c in RECORD_CASES])
def test_a_malformed_record_file_stops_synthesis_before_any_work_with_its_line(
    tmp_path: Path, name: str, lines: list[str | bytes], line: int, fragment: str
) -> None:
    records = _write_lines(tmp_path / f"{name}.jsonl", lines)
    code, output = invoke(
        "synthesize", "--records", records, "--out", tmp_path / "out", "--teacher", DEAD_TEACHER
    )
    assert code == 2, output
    assert f"{records}:{line}:" in output and fragment in output, output
    assert not (tmp_path / "out").exists()  # nothing started: no journal, no cache, no lock


@pytest.mark.parametrize("name, lines, line, fragment", RECORD_CASES, ids=[c[0] for c in RECORD_CASES])
def test_a_malformed_record_file_imports_every_other_row_exactly_once(
    tmp_path: Path, name: str, lines: list[str | bytes], line: int, fragment: str
) -> None:
    records = _write_lines(tmp_path / f"{name}.jsonl", lines)
    out = tmp_path / "out.jsonl"
    code, output = invoke("records", "import", records, "--out", out)
    assert code == 0, output
    imported = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    rejected = [
        json.loads(x) for x in (tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rows = sum(1 for x in lines if (x if isinstance(x, bytes) else x.encode()).strip())
    # Each row comes out once: as a record or as a reject naming its line; ids stay unique.
    assert len(imported) + len(rejected) == rows, (imported, rejected)
    assert len({r["id"] for r in imported}) == len(imported)
    assert all(r["line"] >= 1 and r["file"] == str(records) for r in rejected)
    if line == 2 and len(lines) == 3 and rejected:  # the bad row in the middle: both neighbours kept
        assert {"r1", "r3"} <= {r["id"] for r in imported} and [r["line"] for r in rejected] == [2]


FILE_CASES = [
    ("missing", lambda p: p / "nope.jsonl", "records file not found"),
    (
        "folder",
        lambda p: (p / "folder.jsonl").mkdir() or p / "folder.jsonl",
        "is a folder, not a records file",
    ),
    ("empty", lambda p: _write_lines(p / "empty.jsonl", []), "no records in the file"),
    (
        "blank_lines_only",
        lambda p: _write_lines(p / "blank.jsonl", ["", "  ", "\t"]),
        "no records in the file",
    ),
]


@pytest.mark.parametrize("name, make, fragment", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_an_unusable_records_file_is_one_message(tmp_path: Path, name: str, make, fragment: str) -> None:
    records = make(tmp_path)
    code, output = invoke(
        "synthesize", "--records", records, "--out", tmp_path / "out", "--teacher", DEAD_TEACHER
    )
    assert code == 2 and f"{records}: {fragment}" in output, output
    assert not (tmp_path / "out").exists()


# --- 2. malformed pipeline configs ------------------------------------------------------------------


def _base(tmp: Path) -> dict:
    records = tmp / "records.jsonl"
    if not records.exists():
        _write_lines(records, [good(1), good(2)])
    return {"name": "x", "runs_dir": str(tmp / "runs"), "records": {"inputs": [{"path": str(records)}]}}


def _yaml(config: dict) -> str:
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def _with(tmp: Path, **changes: object) -> str:
    return _yaml({**_base(tmp), **changes})


def _records(tmp: Path, **changes: object) -> str:
    config = _base(tmp)
    config["records"] = {**config["records"], **changes}
    return _yaml(config)


def _input(tmp: Path, **changes: object) -> str:
    config = _base(tmp)
    config["records"]["inputs"] = [{**config["records"]["inputs"][0], **changes}]
    return _yaml(config)


def _file(tmp: Path, name: str, content: str | bytes) -> str:
    path = tmp / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


def _stage(tmp: Path, stage: str, value: object) -> str:
    return _yaml({**_base(tmp), stage: value})


# Each: (id, make(tmp) -> the config file's content (or None: the config path made by `path`), fragments).
CONFIG_CASES: list[tuple[str, object, list[str]]] = [
    ("invalid_yaml", lambda t: "name: x\nrecords: [unclosed\n", ["line 3", "not valid YAML"]),
    ("tab_indent", lambda t: "name: x\nrecords:\n\tinputs: []\n", ["line 3", "not valid YAML"]),
    ("top_level_list", lambda t: "- name: x\n", ["top level must be a mapping, got list"]),
    ("top_level_scalar", lambda t: "just a sentence\n", ["top level must be a mapping, got str"]),
    ("duplicate_top_key", lambda t: _with(t) + "name: y\n", ["duplicate key 'name' (first on line 1)"]),
    (
        "duplicate_nested_key",
        lambda t: _records(t, heldout_fraction=0.2).replace(
            "  heldout_fraction: 0.2\n", "  heldout_fraction: 0.2\n  heldout_fraction: 0.9\n"
        ),
        ["duplicate key 'heldout_fraction'"],
    ),
    ("gbk_encoded", lambda t: ("# 配置文件\n" + _with(t)).encode("gbk"), ["line 1", "not UTF-8", "as UTF-8"]),
    ("utf16_encoded", lambda t: _with(t).encode("utf-16"), ["not UTF-8"]),
    ("binary_file", lambda t: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff", ["not UTF-8"]),
    ("empty_file", lambda t: "", ["field 'name'", "Field required"]),
    ("missing_name", lambda t: _yaml({k: v for k, v in _base(t).items() if k != "name"}), ["field 'name'"]),
    ("empty_name", lambda t: _with(t, name=""), ["field 'name'", "must not be empty"]),
    ("name_climbs_out", lambda t: _with(t, name="../../x"), ["field 'name'", "not a plain folder name"]),
    ("name_with_slash", lambda t: _with(t, name="a/b"), ["field 'name'", "not a plain folder name"]),
    ("name_dotdot", lambda t: _with(t, name=".."), ["field 'name'", "not a plain folder name"]),
    ("name_dot", lambda t: _with(t, name="."), ["field 'name'", "not a plain folder name"]),
    ("name_spaces", lambda t: _with(t, name=" x "), ["field 'name'", "not a plain folder name"]),
    ("name_number", lambda t: _with(t, name=5), ["field 'name'", "valid string"]),
    (
        "unknown_stage",
        lambda t: _with(t, synthesise={"teacher": "tiny"}),
        ["field 'synthesise'", "Extra inputs"],
    ),
    (
        "runs_dir_is_a_file",
        lambda t: _with(t, runs_dir=_file(t, "runsfile", "x")),
        ["field 'runs_dir'", "is a file"],
    ),
    (
        "runs_dir_under_a_file",
        lambda t: _with(t, runs_dir=_file(t, "f", "x") + "/sub"),
        ["field 'runs_dir'", "is a file"],
    ),
    ("no_inputs", lambda t: _records(t, inputs=[]), ["field 'records.inputs'", "no inputs"]),
    (
        "input_missing",
        lambda t: _input(t, path=str(t / "gone.jsonl")),
        ["records.inputs.0", "gone.jsonl not found"],
    ),
    ("input_is_a_folder", lambda t: _input(t, path=str(t)), ["records.inputs.0", "is a folder"]),
    ("input_bad_format", lambda t: _input(t, **{"import": {"fmt": "xml"}}), ["records.inputs.0.import.fmt"]),
    ("input_unknown_key", lambda t: _input(t, paht="x"), ["records.inputs.0.paht", "Extra inputs"]),
    ("heldout_too_big", lambda t: _records(t, heldout_fraction=1.5), ["records.heldout_fraction"]),
    ("heldout_text", lambda t: _records(t, heldout_fraction="half"), ["records.heldout_fraction"]),
    (
        "model_missing_folder",
        lambda t: _with(t, model=str(t / "models" / "qwen")),
        ["field 'model'", "not found"],
    ),
    ("model_relative_missing", lambda t: _with(t, model="./no/such/model"), ["field 'model'", "not found"]),
    ("model_is_a_file", lambda t: _with(t, model=_file(t, "model.bin", "x")), ["field 'model'", "is a file"]),
    (
        "extra_data_missing",
        lambda t: _stage(t, "sft", {"extra_data": [str(t / "seed.jsonl")]}),
        ["sft.extra_data", "seed.jsonl not found"],
    ),
    (
        "stage_config_missing",
        lambda t: _stage(t, "sft", {"config": str(t / "sft.yaml")}),
        ["sft.config", "sft.yaml: stage config file not found"],
    ),
    (
        "stage_config_invalid_yaml",
        lambda t: _stage(t, "sft", {"config": _file(t, "sft.yaml", "epochs: [1\n")}),
        ["sft.config", "sft.yaml: line 2", "not valid YAML"],
    ),
    ("stage_config_is_a_folder", lambda t: _stage(t, "rl", {"config": str(t)}), ["rl.config", "is a folder"]),
    (
        "stage_config_list",
        lambda t: _stage(t, "rl", {"config": _file(t, "rl.yaml", "- 1\n")}),
        ["rl.config", "must be a mapping, got list"],
    ),
    (
        "stage_config_duplicate_key",
        lambda t: _stage(t, "rl", {"config": _file(t, "rl.yaml", "steps: 1\nsteps: 2\n")}),
        ["rl.config", "duplicate key 'steps'"],
    ),
    (
        "stage_config_gbk",
        lambda t: _stage(t, "sft", {"config": _file(t, "sft.yaml", "# 学习率\nepochs: 1\n".encode("gbk"))}),
        ["sft.config", "not UTF-8"],
    ),
    ("eval_without_bench", lambda t: _stage(t, "eval", {"models": []}), ["eval needs a bench stage"]),
    ("stage_not_a_mapping", lambda t: _stage(t, "synthesize", "yes"), ["field 'synthesize'"]),
    (
        "synthesize_bad_value",
        lambda t: _stage(t, "synthesize", {"teacher": "tiny", "max_depth": -1}),
        ["synthesize.max_depth"],
    ),
]


@pytest.mark.parametrize("name, make, fragments", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_a_malformed_config_is_a_located_error_before_any_work(
    tmp_path: Path, name: str, make, fragments: list[str]
) -> None:
    config = tmp_path / "config.yaml"
    content = make(tmp_path)
    config.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    before = set(tmp_path.rglob("*"))
    code, output = invoke("run", config)
    assert code == 2, output
    assert "config error" in output and str(config) in output or any(".yaml" in f for f in fragments), output
    for fragment in fragments:
        assert fragment in output, (fragment, output)
    assert set(tmp_path.rglob("*")) == before  # nothing written anywhere: no run folder, no manifest


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda t: t, "is a folder, not a config file"),
        (lambda t: t / "nope.yaml", "config file not found"),
    ],
    ids=["config_path_is_a_folder", "config_path_missing"],
)
def test_a_config_path_that_is_no_file_is_one_message(tmp_path: Path, make, fragment: str) -> None:
    path = make(tmp_path)
    code, output = invoke("run", path)
    assert code == 2 and f"{path}: {fragment}" in output, output


@pytest.mark.parametrize("command", ["synthesize", "eval"])
def test_stage_commands_refuse_duplicate_keys_and_non_utf8_configs(tmp_path: Path, command: str) -> None:
    records = _write_lines(tmp_path / "r.jsonl", [good(1)])
    dup = _file(tmp_path, "dup.yaml", "max_tokens: 10\nmax_tokens: 20\n")
    gbk = _file(tmp_path, "gbk.yaml", "# 温度\nmax_tokens: 10\n".encode("gbk"))
    for config, fragment in ((dup, "line 2, column 1: not valid YAML: duplicate key 'max_tokens'"),
                             (gbk, "line 1: not UTF-8")):  # fmt: skip
        args = ["--out", tmp_path / "out", "--config", config]
        if command == "synthesize":
            args = ["--records", records, "--teacher", DEAD_TEACHER, *args]
        else:
            args = ["--bench", records, "--model", DEAD_TEACHER, *args]
        code, output = invoke(command, *args)
        assert code == 2 and f"{config}: {fragment}" in output, output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["import", "synthesize", "eval"])
def test_an_output_folder_under_a_file_is_one_message(tmp_path: Path, command: str) -> None:
    records = _write_lines(tmp_path / "r.jsonl", [good(1)])
    blocker = Path(_file(tmp_path, "blocker", "a file where a folder must go"))
    args = {
        "import": ["records", "import", records, "--out", blocker / "out.jsonl"],
        "synthesize": ["synthesize", "--records", records, "--out", blocker / "s", "--teacher", DEAD_TEACHER],
        "eval": ["eval", "--bench", records, "--model", DEAD_TEACHER, "--out", blocker / "e"],
    }[command]
    code, output = invoke(*args)
    assert code == 2 and f"{blocker} is a file, not a folder" in output, output


def test_a_run_name_never_leaves_runs_dir(tmp_path: Path) -> None:
    """Even a name the validator would pass must resolve to a folder directly inside runs_dir."""
    from clinical_r1.config import ConfigError
    from clinical_r1.pipeline import Pipeline, PipelineConfig

    config = PipelineConfig.model_validate(_base(tmp_path))
    config.name = "../escaped"  # bypasses the field validator (assignment is not validated)
    with pytest.raises(ConfigError, match="is not a folder inside"):
        Pipeline(config)
    assert not (tmp_path / "escaped").exists()


def test_an_invalid_umask_setting_is_one_message(tmp_path: Path) -> None:
    records = _write_lines(tmp_path / "r.jsonl", [good(1)])
    code, output = invoke("records", "import", records, "--out", tmp_path / "o.jsonl",
                          env={"CLINICAL_R1_UMASK": "rw-r--r--"})  # fmt: skip
    assert code == 2 and "CLINICAL_R1_UMASK='rw-r--r--' is not an octal umask" in output, output


# --- 3. damaged state files ---------------------------------------------------------------------------


def _bench(tmp: Path, n: int = 4) -> Path:
    return _write_lines(tmp / "bench.jsonl", [good(i) for i in range(1, n + 1)])


@pytest.mark.parametrize("content", [b"", b"   \n", b'{"bench": {"path": "x", "sha', b"[]", b"\xff\xfe"],
                         ids=["zero_bytes", "blank", "cut_off", "a_list", "not_utf8"])  # fmt: skip
def test_a_damaged_eval_config_json_names_itself_and_the_fix(tmp_path: Path, content: bytes) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "eval_config.json").write_bytes(content)
    code, output = invoke(
        "eval", "--bench", _bench(tmp_path), "--model", DEAD_TEACHER, "--out", out, "--no-progress"
    )
    assert code == 2, output
    assert f"{out / 'eval_config.json'}: the run settings file" in output and "delete it and rerun" in output
    assert (out / "eval_config.json").read_bytes() == content  # left for the user to look at


def test_a_damaged_line_inside_the_results_journal_is_named_and_nothing_after_it_is_dropped(
    tmp_path: Path,
) -> None:
    """Only a kill's cut last line may be dropped; cutting at a damaged middle line lost later answers."""
    out = tmp_path / "run"
    bench = _bench(tmp_path, 3)
    with running_server("Final answer: Acute myocardial infarction") as server:
        model = _scripted_model(server.base_url)
        args = ["eval", "--bench", bench, "--model", model, "--out", out, "--no-progress"]
        assert invoke(*args)[0] == 0
        journal = out / "results" / "m.jsonl"
        lines = journal.read_text(encoding="utf-8").splitlines()
        damaged = "\n".join([lines[0], lines[1][: len(lines[1]) // 2], lines[2]]) + "\n"
        journal.write_text(damaged, encoding="utf-8")
        code, output = invoke(*args)
        assert code == 2 and f"{journal}:2: damaged results line" in output, output
        assert journal.read_text(encoding="utf-8") == damaged  # the answers after it are still there
        code, output = invoke("report", out)
        assert code == 2 and f"{journal}:2: damaged results line" in output, output


@pytest.mark.parametrize("name, fragment", [("journal.sqlite", "synthesis journal is damaged"),
                                            ("cache.sqlite", "response cache is damaged")])  # fmt: skip
def test_a_damaged_sqlite_state_file_names_itself_and_the_fix(
    tmp_path: Path, name: str, fragment: str
) -> None:
    records = _write_lines(tmp_path / "r.jsonl", [good(1)])
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_bytes(b"this is not a database, it was overwritten by an editor" * 100)
    code, output = invoke(
        "synthesize", "--records", records, "--out", out, "--teacher", DEAD_TEACHER, "--no-progress"
    )
    assert code == 2 and f"{out / name}: the" in output and fragment in output and "move it aside" in output


def test_a_zero_byte_manifest_names_itself(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(_yaml(_base(tmp_path)), encoding="utf-8")
    manifest = tmp_path / "runs" / "x" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_bytes(b"")
    code, output = invoke("run", config)
    assert code == 2 and f"{manifest}: line 1: not valid JSON" in output and "empty" in output, output


def test_synthesis_outputs_are_replaced_whole_or_not_at_all(tmp_path: Path, monkeypatch) -> None:
    """A failure while examples.jsonl is being written leaves the previous file, byte for byte."""
    from clinical_r1.training_example import TrainingExample

    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial", "refine1", "initial", "initial"]))
    out = tmp_path / "out"
    with running_server(FakeTeacher()) as server:
        config = SynthConfig(teacher=f"openai:fake-teacher@{server.base_url}")
        run_synthesis(config, records, out, progress=False)
        before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".jsonl", ".json")}
        write_jsonl(records, make_records(["initial"] * 6))  # more records: every output would change
        dumps, read_all = TrainingExample.model_dump, Journal.all
        calls: list[int] = []

        def outputs_start(self):  # write_outputs reads the whole journal, then writes the files
            calls.append(0)
            return read_all(self)

        def killed_midway(self, *args, **kwargs):
            if calls:  # the search dumps examples too: count only the writing
                calls.append(1)
                if len(calls) == 4:  # the third example line
                    raise RuntimeError("killed while writing examples.jsonl")
            return dumps(self, *args, **kwargs)

        monkeypatch.setattr(Journal, "all", outputs_start)
        monkeypatch.setattr(TrainingExample, "model_dump", killed_midway)
        with pytest.raises(RuntimeError, match="killed while writing"):
            run_synthesis(config, records, out, progress=False)
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".jsonl", ".json")}
    assert after["examples.jsonl"] == before["examples.jsonl"]
    assert after["stats.json"] == before["stats.json"]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


# --- 4. full disk and read-only folders (mocked) -----------------------------------------------------


class _FullDisk:
    """A file handle that accepts `budget` bytes, then fails like a full disk (ENOSPC)."""

    def __init__(self, fh, budget: int):
        self._fh, self._left = fh, budget

    def write(self, text):
        self._left -= len(text)
        if self._left < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._fh.write(text)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


def test_import_on_a_full_disk_keeps_the_previous_output_and_leaves_no_partial_file(
    tmp_path: Path, monkeypatch
) -> None:
    import clinical_r1.safe_io as safe_io

    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    real_fdopen = os.fdopen
    monkeypatch.setattr(safe_io.os, "fdopen", lambda *a, **k: _FullDisk(real_fdopen(*a, **k), 20_000))
    code, output = invoke("records", "import", SAMPLE_RECORDS, "--out", out)
    monkeypatch.undo()
    assert code == 2 and "cannot write: the disk is full" in output and "No space left on device" in output
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no temporary or partial file


def _journal_fills_up_after(monkeypatch, puts: int) -> None:
    """The synthesis journal's SQLite file may not grow after `puts` records: SQLite's own SQLITE_FULL."""
    real_put = Journal.put
    seen = []

    def put(self, outcome, fingerprint):
        seen.append(outcome.record_id)
        if len(seen) == puts + 1:
            self._db.execute("CREATE TABLE IF NOT EXISTS filler (x BLOB)")
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            self._db.execute(f"PRAGMA max_page_count = {pages}")
            while True:  # use up the free space inside the last pages too
                try:
                    self._db.execute("INSERT INTO filler VALUES (zeroblob(512))")
                except sqlite3.OperationalError:
                    break
        return real_put(self, outcome, fingerprint)

    monkeypatch.setattr(Journal, "put", put)


def test_synthesis_on_a_full_disk_stops_with_a_message_and_resumes_without_paying_twice(
    tmp_path: Path, monkeypatch
) -> None:
    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial", "refine1", "mismatch", "initial", "guided", "initial"]))
    with running_server(FakeTeacher()) as server:
        teacher = f"openai:fake-teacher@{server.base_url}"
        run_synthesis(SynthConfig(teacher=teacher), records, tmp_path / "reference", progress=False)
        reference = [r.user_text for r in server.requests]
        start = len(server.requests)
        _journal_fills_up_after(monkeypatch, 3)
        args = ["synthesize", "--records", records, "--out", tmp_path / "out", "--teacher", teacher,
                "--concurrency", "1", "--no-progress"]  # fmt: skip
        code, output = invoke(*args)
        monkeypatch.undo()
        assert code == 2, output
        assert f"{tmp_path / 'out' / 'journal.sqlite'}: cannot write: the disk is full" in output
        with Journal(tmp_path / "out" / "journal.sqlite") as journal:
            assert 3 <= len(journal.all()) < 6  # what was finished before the disk filled up is kept
        code, output = invoke(*args)  # space again: the rerun finishes
        assert code == 0, output
        calls = [r.user_text for r in server.requests[start:]]
    for name in ("examples.jsonl", "rejects.jsonl", "stats.json"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "reference" / name).read_bytes()
    # Each request the reference made was made once more at most once: the failed record's calls
    # were cached before the journal write failed, so nothing was paid twice.
    assert Counter(calls) == Counter(reference)


class _CommitFailsLikeAFullDisk:
    """A SQLite connection whose COMMIT fails as on a full disk: SQLite rolls the transaction back itself
    and reports SQLITE_FULL (what a real full disk does to a WAL commit; see the tmpfs test below)."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def execute(self, sql, *args):
        if sql == "COMMIT":
            self._conn.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_a_cache_commit_on_a_full_disk_reports_the_full_disk_not_the_rollback(tmp_path: Path) -> None:
    from clinical_r1.llm.cache import CachedSample

    cache = ResponseCache(tmp_path / "cache.sqlite")
    cache._conn = _CommitFailsLikeAFullDisk(cache._conn)
    sample = CachedSample("text", "stop", 1, 1, 0.1, "m")
    with pytest.raises(StorageError, match="cache.sqlite: cannot write: the disk is full"):
        cache.put_many({"k:0": sample})
    cache._conn = cache._conn._conn
    assert len(cache) == 0
    cache.put_many({"k:0": sample})  # the connection is usable afterwards
    assert len(cache) == 1
    cache.close()


def _scripted_model(server_url: str) -> str:
    return f"m=openai:fake-model@{server_url}#direct"


def test_eval_on_a_full_disk_keeps_the_answers_journaled_and_resumes_without_duplicates(
    tmp_path: Path, monkeypatch
) -> None:
    from clinical_r1.evaluate import journal as eval_journal

    bench, out = _bench(tmp_path, 8), tmp_path / "run"
    real_init = eval_journal.Journal.__init__

    def init(self, path):
        real_init(self, path)
        self._fh = _FullDisk(self._fh, 3 * 1400)  # about three result lines fit

    with running_server("Final answer: Acute myocardial infarction") as server:
        args = ["eval", "--bench", bench, "--model", _scripted_model(server.base_url), "--out", out,
                "--no-progress", "--concurrency", "1"]  # fmt: skip
        monkeypatch.setattr(eval_journal.Journal, "__init__", init)
        code, output = invoke(*args)
        monkeypatch.undo()
        assert code == 2, output
        assert f"{out / 'results' / 'm.jsonl'}: cannot write: the disk is full" in output
        kept = (out / "results" / "m.jsonl").read_text(encoding="utf-8").splitlines()
        assert 1 <= len(kept) < 8
        code, output = invoke(*args)
        assert code == 0, output
    lines = [json.loads(x) for x in (out / "results" / "m.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(x["id"] for x in lines) == sorted(f"r{i}" for i in range(1, 9))  # each item once


def _read_only(monkeypatch, folder: Path) -> None:
    """Creating anything under `folder` fails as on a read-only filesystem (EROFS)."""
    real_open, real_mkdir = os.open, os.mkdir

    def inside(path) -> bool:
        try:
            return Path(os.fsdecode(path)).resolve().is_relative_to(folder.resolve())
        except (TypeError, ValueError):
            return False

    def guarded_open(path, flags, *args, **kwargs):
        if inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    def guarded_mkdir(path, *args, **kwargs):
        if inside(path):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(os, "mkdir", guarded_mkdir)


@pytest.mark.parametrize("command", ["import", "synthesize", "eval", "run"])
def test_a_read_only_output_folder_is_one_message(tmp_path: Path, monkeypatch, command: str) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    records = _write_lines(tmp_path / "r.jsonl", [good(1), good(2)])
    config = tmp_path / "c.yaml"
    config.write_text(_yaml({**_base(tmp_path), "runs_dir": str(folder)}), encoding="utf-8")
    args = {
        "import": ["records", "import", records, "--out", folder / "out.jsonl"],
        "synthesize": [
            "synthesize",
            "--records",
            records,
            "--out",
            folder / "out",
            "--teacher",
            DEAD_TEACHER,
        ],
        "eval": ["eval", "--bench", records, "--model", DEAD_TEACHER, "--out", folder / "out"],
        "run": ["run", config],
    }[command]
    _read_only(monkeypatch, folder)
    code, output = invoke(*args)
    monkeypatch.undo()
    assert code == 2, output
    assert "cannot write: the folder is read-only" in output and str(folder) in output, output
    assert list(folder.iterdir()) == []


# --- 5. a real small disk and a real read-only mount (user namespace) --------------------------------


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    probe = subprocess.run(
        ["unshare", "-Urm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True
    )
    return probe.returncode == 0


needs_namespaces = pytest.mark.skipif(
    not _namespaces_work(), reason="unshare -Urm (user + mount namespace) not allowed here"
)


def _in_namespace(script: str, tmp: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PY": sys.executable, "T": str(tmp), "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        ["unshare", "-Urm", "sh", "-c", textwrap.dedent(script)],
        capture_output=True, text=True, env=env, timeout=timeout,
    )  # fmt: skip


@needs_namespaces
def test_import_onto_a_real_full_tmpfs(tmp_path: Path) -> None:
    done = _in_namespace(
        f"""
        mkdir -p "$T/disk" "$T/seen"
        mount -t tmpfs -o size=64k tmpfs "$T/disk"
        printf 'previous\\n' > "$T/disk/out.jsonl"
        "$PY" -m clinical_r1.cli records import {SAMPLE_RECORDS} --out "$T/disk/out.jsonl" \
            > "$T/seen/log" 2>&1
        echo $? > "$T/seen/rc"
        ls -A "$T/disk" > "$T/seen/ls"
        cp "$T/disk/out.jsonl" "$T/seen/out.jsonl"
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    seen = tmp_path / "seen"
    log = " ".join((seen / "log").read_text().split())
    assert (seen / "rc").read_text().strip() == "2", log
    assert "cannot write: the disk is full" in log and "Traceback" not in log
    assert (seen / "out.jsonl").read_text() == "previous\n"
    assert (seen / "ls").read_text().split() == ["out.jsonl"]


@needs_namespaces
def test_a_real_full_disk_under_the_cache_reports_the_full_disk(tmp_path: Path) -> None:
    """On a real full disk the WAL commit fails and SQLite rolls back by itself: the error must say
    'disk is full', not 'cannot rollback - no transaction is active'."""
    probe = textwrap.dedent(
        """
        import os, sys
        from clinical_r1.llm.cache import CachedSample, ResponseCache
        disk = sys.argv[1]
        cache = ResponseCache(os.path.join(disk, "cache.sqlite"))
        filler = os.path.join(disk, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"x" * 4096)
        except OSError:
            pass
        os.close(fd)
        os.truncate(filler, os.path.getsize(filler) - 8192)  # two pages left: the WAL commit needs more
        try:
            cache.put_many({f"k:{i}": CachedSample("t" * 2000, "stop", 1, 1, 0.1, "m") for i in range(40)})
        except Exception as exc:
            print(type(exc).__name__, exc)
        """
    )
    (tmp_path / "probe.py").write_text(probe)
    done = _in_namespace(
        """
        mkdir -p "$T/disk" && mount -t tmpfs -o size=256k tmpfs "$T/disk"
        "$PY" "$T/probe.py" "$T/disk"
        """,
        tmp_path,
    )
    assert "StorageError" in done.stdout and "the disk is full" in done.stdout, done.stdout + done.stderr
    assert "cannot rollback" not in done.stdout


READ_ONLY_PROBE = """
import json, sys
from typer.testing import CliRunner
from clinical_r1.cli import app
records, ro, teacher = sys.argv[1:4]
commands = {
    "import": ["records", "import", records, "--out", ro + "/out.jsonl"],
    "synthesize": ["synthesize", "--records", records, "--out", ro + "/s", "--teacher", teacher],
    "eval": ["eval", "--bench", records, "--model", teacher, "--out", ro + "/e", "--no-progress"],
}
seen = {}
for name, args in commands.items():
    result = CliRunner().invoke(app, args)
    seen[name] = [result.exit_code, " ".join(result.output.split()), repr(result.exception)]
print(json.dumps(seen))
"""


@needs_namespaces
def test_a_real_read_only_mount_is_one_message_for_import_synthesize_and_eval(tmp_path: Path) -> None:
    records = _write_lines(tmp_path / "r.jsonl", [good(1), good(2)])
    (tmp_path / "probe.py").write_text(READ_ONLY_PROBE)
    done = _in_namespace(
        f"""
        mkdir -p "$T/ro"
        mount --bind "$T/ro" "$T/ro" && mount -o remount,ro,bind "$T/ro"
        "$PY" "$T/probe.py" {records} "$T/ro" {DEAD_TEACHER}
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    for name, (code, output, exception) in seen.items():
        assert code == 2 and "cannot write: the folder is read-only" in output, (name, output, exception)
    assert list((tmp_path / "ro").iterdir()) == []


# --- 6. two runs on one folder -----------------------------------------------------------------------

HOLD = """
import sys, time
from clinical_r1.runlock import RunLock
RunLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(120)
"""


def _hold(folder: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def _stop(process: subprocess.Popen) -> None:
    process.kill()
    process.wait(timeout=30)


def test_two_synthesize_runs_on_one_folder_the_second_exits_2_and_nothing_is_paid_twice(
    tmp_path: Path,
) -> None:
    """The first run goes on in a thread of this process (its flock is on its own open file, so it
    excludes a second open in the same process exactly as one in another process; the subprocess
    cases below show the same across processes)."""
    import threading

    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial", "refine1", "mismatch", "initial"] * 2))
    with running_server(FakeTeacher(), faults=Faults(delay_s=0.05)) as server:
        teacher = f"openai:fake-teacher@{server.base_url}"
        config = SynthConfig(teacher=teacher, concurrency=1)
        run_synthesis(config, records, tmp_path / "reference", progress=False)
        reference = len(server.requests)
        first = threading.Thread(target=run_synthesis, args=(config, records, tmp_path / "out"),
                                 kwargs={"progress": False})  # fmt: skip
        first.start()
        while len(server.requests) == reference:
            assert first.is_alive()
            time.sleep(0.01)
        code, output = invoke("synthesize", "--records", records, "--out", tmp_path / "out",
                              "--teacher", teacher, "--no-progress")  # fmt: skip
        first.join(timeout=120)
        calls = len(server.requests) - reference
    assert code == 2, output
    assert f"{tmp_path / 'out'} is in use by another run: pid {os.getpid()}" in output
    assert calls == reference  # the second run made no call
    lines = (tmp_path / "out" / "examples.jsonl").read_bytes()
    assert lines == (tmp_path / "reference" / "examples.jsonl").read_bytes()


def test_a_second_eval_on_a_busy_folder_exits_2_and_adds_no_line(tmp_path: Path) -> None:
    out = tmp_path / "run"
    bench = _bench(tmp_path, 3)
    with running_server("Final answer: Acute myocardial infarction") as server:
        args = [
            "eval",
            "--bench",
            bench,
            "--model",
            _scripted_model(server.base_url),
            "--out",
            out,
            "--no-progress",
        ]
        assert invoke(*args)[0] == 0
        journal = (out / "results" / "m.jsonl").read_bytes()
        holder = _hold(out)
        try:
            code, output = invoke(*args)
        finally:
            _stop(holder)
        assert code == 2 and f"is in use by another run: pid {holder.pid}" in output, output
        assert (out / "results" / "m.jsonl").read_bytes() == journal
        code, output = invoke(*args)  # the holder is gone (killed): its lock file is taken over
        assert code == 0, output
        assert f"lock of pid {holder.pid} (not running) taken over" in output


def test_a_second_pipeline_run_exits_2_naming_the_holder_and_a_dead_holder_is_taken_over(
    tmp_path: Path,
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        _yaml({**_base(tmp_path), "records": {"inputs": [{"path": "samples"}]}}), encoding="utf-8"
    )
    root = tmp_path / "runs" / "x"
    holder = _hold(root)
    try:
        code, output = invoke("run", config)
    finally:
        _stop(holder)
    assert code == 2 and f"{root} is in use by another run: pid {holder.pid}" in output, output
    assert not (root / "records").exists()
    code, output = invoke("run", config)
    assert code == 0, output
    assert f"lock of pid {holder.pid} (not running) taken over" in output
    assert (root / LOCK_NAME).read_text() == ""  # released
    runs = tmp_path / "runs"  # made by this run: private like everything in it
    wrong = {k: v for k, v in _modes(runs).items() if v != ("0o700" if (runs / k).is_dir() else "0o600")}
    assert not wrong and "x/records/train.jsonl" in _modes(runs), wrong


def test_the_lock_is_per_process_and_released_on_exit(tmp_path: Path) -> None:
    from clinical_r1.runlock import RunLockedError

    with RunLock(tmp_path):
        with pytest.raises(RunLockedError, match=f"pid {os.getpid()}"):
            RunLock(tmp_path).acquire()  # a second open of the lock file conflicts even in one process
    with RunLock(tmp_path) as again:
        assert again.took_over is None


# --- 7. private outputs ------------------------------------------------------------------------------


def _modes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): oct(stat.S_IMODE(p.stat().st_mode))
        for p in [folder, *folder.rglob("*")]
        if not p.is_symlink()
    }


def test_synthesis_import_and_eval_outputs_are_private(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial", "mismatch"]))
    with running_server(FakeTeacher()) as server:
        teacher = f"openai:fake-teacher@{server.base_url}"
        code, output = invoke("synthesize", "--records", records, "--out", tmp_path / "s",
                              "--teacher", teacher, "--no-progress")  # fmt: skip
        assert code == 0, output
    with running_server("Final answer: pneumonia") as server:
        code, output = invoke("eval", "--bench", records, "--model", _scripted_model(server.base_url),
                              "--out", tmp_path / "e", "--no-progress")  # fmt: skip
        assert code == 0, output
    assert invoke("records", "import", records, "--out", tmp_path / "i" / "out.jsonl")[0] == 0
    for folder in ("s", "e", "i"):
        modes = _modes(tmp_path / folder)
        assert (
            {"journal.sqlite", "cache.sqlite", "examples.jsonl", "rejects.jsonl", "stats.json"} <= set(modes)
            if folder == "s"
            else True
        )
        wrong = {
            name: mode
            for name, mode in modes.items()
            if mode != ("0o700" if (tmp_path / folder / name).is_dir() else "0o600")
        }
        assert not wrong, (folder, wrong)


def test_the_umask_is_configurable(tmp_path: Path) -> None:
    records = _write_lines(tmp_path / "r.jsonl", [good(1)])
    code, _ = invoke("records", "import", records, "--out", tmp_path / "g" / "out.jsonl",
                     env={"CLINICAL_R1_UMASK": "027"})  # fmt: skip
    assert code == 0
    assert oct(stat.S_IMODE((tmp_path / "g").stat().st_mode)) == "0o750"
    assert oct(stat.S_IMODE((tmp_path / "g" / "out.jsonl").stat().st_mode)) == "0o640"


def test_every_command_runs_under_the_private_umask_not_the_shells(tmp_path: Path) -> None:
    """The CLI entry point applies it once: `records deid` (never wrapped by hand) wrote 0644 under a
    shell umask of 022; its output and the mapping are private now, and the shell's umask comes back."""
    records = _write_lines(tmp_path / "r.jsonl", [good(1), good(2)])
    previous = os.umask(0o022)
    try:
        code, output = invoke("records", "deid", records, "--out", tmp_path / "d" / "out.jsonl",
                              "--mapping", tmp_path / "d" / "mapping.json")  # fmt: skip
        assert os.umask(0o022) == 0o022  # restored when the command ended
    finally:
        os.umask(previous)
    assert code == 0, output
    assert _modes(tmp_path / "d") == {".": "0o700", "out.jsonl": "0o600", "mapping.json": "0o600"}


# --- 8. case text echoed back by a server ------------------------------------------------------------


class _EchoingServer(CachedBackend):
    """A backend whose server rejects every request, quoting the case back (as some do)."""

    backend_name = "echo"

    async def _run(self, jobs, on_done):
        for position, request in jobs:
            quoted = json.dumps(request.messages[-1]["content"])  # JSON-escaped, as in a real error body
            on_done(position, ChatResponse(error=f"HTTP 400: input rejected: {quoted[:400]}", model="m"))


def test_echoed_case_text_never_reaches_rejects_or_eval_results(tmp_path: Path, monkeypatch) -> None:
    zh = make_records(["initial"], language="zh", prefix="zh")
    en = make_records(["initial"], prefix="en")
    records = tmp_path / "records.jsonl"
    write_jsonl(records, en + zh)
    spec = ModelSpec.parse(DEAD_TEACHER)
    run_synthesis(SynthConfig(teacher=DEAD_TEACHER), records, tmp_path / "s", progress=False,
                  llm=_EchoingServer(spec))  # fmt: skip
    rejects = (tmp_path / "s" / "rejects.jsonl").read_text(encoding="utf-8")
    assert PLACEHOLDER in rejects
    import clinical_r1.evaluate.runner as eval_runner

    def echoing(spec, *args, **kwargs):
        return _EchoingServer(spec if isinstance(spec, ModelSpec) else ModelSpec.parse(spec))

    monkeypatch.setattr(eval_runner, "build_llm", echoing)
    code, output = invoke("eval", "--bench", records, "--model", DEAD_TEACHER, "--out", tmp_path / "e",
                          "--no-progress")  # fmt: skip
    assert code == 0, output
    results = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "e" / "results").glob("*.jsonl"))
    assert PLACEHOLDER in results
    for record in en + zh:
        for text in (rejects, results):
            for k in range(0, len(record.case) - 20, 10):  # no stretch of the case survives, escaped or not
                piece = record.case[k : k + 20]
                assert piece not in text and json.dumps(piece)[1:-1] not in text


@pytest.mark.parametrize(
    "message, kept",
    [
        ('HTTP 400: bad input "患者男性，62岁，胸痛3小时" (too long)', "(too long)"),
        ('HTTP 400: bad input "\\u60a3\\u8005\\u7537\\u6027\\uff0c62\\u5c81" (too long)', "(too long)"),
        ("HTTP 429: rate limited, retry later", "rate limited, retry later"),
    ],
    ids=["verbatim", "json_escaped", "no_echo"],
)
def test_strip_echo(message: str, kept: str) -> None:
    case = "患者男性，62岁，胸痛3小时，伴大汗。"
    stripped = strip_echo(message, [case])
    assert kept in stripped and "胸痛" not in stripped and "\\u60a3\\u8005" not in stripped
    assert (PLACEHOLDER in stripped) == ("429" not in message)
