"""`clinical-r1 records deid | reid` on files."""

from __future__ import annotations

import json
import stat

from typer.testing import CliRunner

from clinical_r1.cli import app

RECORDS = [
    {
        "id": "r1",
        "language": "en",
        "case": "Mr. John Carter (MRN 00482913), seen 03/14/2021, call (617) 555-0134. "
        "Known Crohn's disease, CRP 62 mg/L.",
        "diagnosis": "Crohn disease",
        "icd10": "K50.9",
    },
    {
        "id": "r2",
        "language": "zh",
        "case": "患者王建国，男，92岁，住院号：ZY2021000123，于2021年3月14日入院。"
        "帕金森病10年，血压150/90mmHg。",
        "diagnosis": "帕金森病",
    },
]


def _write(path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_deid_then_reid_round_trip(tmp_path) -> None:
    src, out, back, mapping = (tmp_path / n for n in ("in.jsonl", "out.jsonl", "back.jsonl", "map.json"))
    _write(src, RECORDS)
    result = CliRunner().invoke(app, ["records", "deid", str(src), "-o", str(out), "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    cleaned = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    text = json.dumps(cleaned, ensure_ascii=False)
    for identifier in [
        "John",
        "Carter",
        "00482913",
        "03/14/2021",
        "555-0134",
        "王建国",
        "92岁",
        "ZY2021000123",
        "2021年3月14日",
    ]:
        assert identifier not in text, identifier
    for kept in ["Crohn's disease", "CRP 62 mg/L", "帕金森病10年", "血压150/90mmHg"]:
        assert kept in text, kept
    assert (
        cleaned[0]["diagnosis"] == "Crohn disease" and cleaned[0]["icd10"] == "K50.9"
    )  # other fields copied
    assert stat.S_IMODE(mapping.stat().st_mode) == 0o600
    saved = json.loads(mapping.read_text(encoding="utf-8"))
    assert saved["records"]["r1"]["replacements"]["[ID-1]"] == "00482913"

    result = CliRunner().invoke(
        app, ["records", "reid", str(out), "-o", str(back), "--mapping", str(mapping)]
    )
    assert result.exit_code == 0, result.output
    restored = [json.loads(line) for line in back.read_text(encoding="utf-8").splitlines()]
    assert restored == RECORDS  # every replacement in these records maps back to one original


def test_surrogate_style_and_a_bad_line_named_by_file_and_line(tmp_path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, RECORDS)
    result = CliRunner().invoke(app, ["records", "deid", str(src), "-o", str(out), "--style", "surrogate"])
    assert result.exit_code == 0, result.output
    assert "Carter" not in out.read_text(encoding="utf-8") and "[NAME" not in out.read_text(encoding="utf-8")

    _write(src, [RECORDS[0], {"id": "r3", "case": 42}])
    result = CliRunner().invoke(app, ["records", "deid", str(src), "-o", str(out)])
    assert result.exit_code == 2
    assert "in.jsonl:2" in result.output and "case" in result.output
