"""Encodings: GBK, GB18030, UTF-16 and BOM files import; a bad byte rejects its line, not the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.importers import ImportConfig, import_file
from clinical_r1.records import iter_rows, read_records
from clinical_r1.textfiles import detect_encoding

ROWS = [
    {
        "id": f"g{i}",
        "case": f"患者男，{40 + i}岁，反复上腹痛{i + 1}年，加重伴黑便2天。胃镜：十二指肠球部溃疡。",
        "diagnosis": "十二指肠溃疡",
    }
    for i in range(5)
]


def jsonl_text(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


@pytest.mark.parametrize(
    ("encoding", "detected", "how"),
    [
        ("gbk", "gb18030", "charset-normalizer"),  # read as GB18030, the superset
        ("gb18030", "gb18030", "charset-normalizer"),
        ("utf-16", "utf-16", "BOM"),
        ("utf-8-sig", "utf-8-sig", "BOM"),
        ("utf-8", "utf-8", "UTF-8 check"),
    ],
)
def test_chinese_exports_import_in_their_encoding(
    tmp_path: Path, encoding: str, detected: str, how: str
) -> None:
    rows = [dict(r) for r in ROWS]
    if encoding == "gb18030":
        rows[2]["case"] += "（患者姓名含生僻字𠀀）"  # a character GBK cannot encode: four bytes in GB18030
    src = tmp_path / f"{encoding}.jsonl"
    src.write_bytes(jsonl_text(rows).encode(encoding))
    found = detect_encoding(src)
    assert (found.name, found.how) == (detected, how)
    report = import_file(src, tmp_path / "out.jsonl")
    assert (report.records, report.rejected) == (5, 0)  # before: UnicodeDecodeError (BOM: row 1 rejected)
    assert report.encoding == f"{detected} ({how})"
    assert [r.case for r in read_records(tmp_path / "out.jsonl")] == [r["case"] for r in rows]


def test_utf16_and_gbk_csv(tmp_path: Path) -> None:
    text = "编号,病历,诊断\n" + "".join(f'c{i},"{r["case"]}",{r["diagnosis"]}\n' for i, r in enumerate(ROWS))
    cfg = ImportConfig(field_map={"id": "编号", "case": "病历", "diagnosis": "诊断"})
    for encoding in ("utf-16", "gbk"):
        src = tmp_path / f"{encoding}.csv"
        src.write_bytes(text.encode(encoding))
        report = import_file(src, tmp_path / f"{encoding}.jsonl", cfg)
        assert (report.records, report.rejected) == (5, 0), encoding
        assert next(read_records(tmp_path / f"{encoding}.jsonl")).case == ROWS[0]["case"]


def test_a_bad_byte_rejects_its_line_and_the_rest_imports(tmp_path: Path) -> None:
    rows = [{**r, "id": f"{r['id']}-{n}"} for n in (1, 2) for r in ROWS]
    lines = jsonl_text(rows).encode("utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace("黑便".encode(), b"\xff\xfe")  # line 6: two bytes no encoding can read here
    src = tmp_path / "bad.jsonl"
    src.write_bytes(b"".join(lines))
    assert detect_encoding(src).name == "utf-8"  # one bad line does not make a UTF-8 file something else
    report = import_file(src, tmp_path / "out.jsonl")
    assert (report.records, report.rejected) == (9, 1)
    reject = json.loads((tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8"))
    assert reject["line"] == 6
    message = reject["errors"][0]["message"]
    assert message.startswith("cannot decode bytes b'\\xff\\xfe' at column ") and "as utf-8" in message
    assert "\ufffd\ufffd" in reject["raw"]  # the line is kept, bad bytes shown, so it can be fixed


def test_a_bad_byte_far_into_a_large_file(tmp_path: Path) -> None:
    """Past the detection sample: before, the import died there with a traceback after writing the rows
    read so far."""
    row = '{"case": "Cough and fever for 3 days.", "diagnosis": "Pneumonia"}\n'
    src = tmp_path / "large.jsonl"
    with src.open("wb") as fh:
        for n in range(1, 20_011):
            fh.write(row.encode().replace(b"fever", b"fever \x80\x81") if n == 20_001 else row.encode())
    report = import_file(src, tmp_path / "out.jsonl")
    assert (report.records, report.rejected) == (20_009, 1)
    assert json.loads((tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8"))["line"] == 20_001


def test_json_array_element_with_a_bad_byte(tmp_path: Path) -> None:
    body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS).encode("utf-8")
    body = body.replace("黑便".encode(), b"\xff", 1)
    src = tmp_path / "array.json"
    src.write_bytes(b"[\n" + body + b"\n]\n")
    rows = list(iter_rows(src, encoding="utf-8"))
    assert [line for line, _ in rows] == [2, 3, 4, 5, 6]
    assert str(rows[0][1]).startswith(f"{src}:2: cannot decode bytes b'\\xff'")
    assert [obj["id"] for _, obj in rows[1:]] == ["g1", "g2", "g3", "g4"]


def test_forced_encoding(tmp_path: Path) -> None:
    src = tmp_path / "gbk.jsonl"
    src.write_bytes(jsonl_text(ROWS).encode("gbk"))
    forced = import_file(src, tmp_path / "forced.jsonl", ImportConfig(encoding="utf-8"))
    assert (forced.records, forced.rejected) == (0, 5)  # each line a located reject, no traceback
    assert forced.encoding == "utf-8 (given)"
    assert import_file(src, tmp_path / "gbk.jsonl2", ImportConfig(encoding="GBK")).records == 5
    with pytest.raises(ValidationError, match="unknown encoding 'klingon'"):
        ImportConfig(encoding="klingon")


def test_cli_reports_the_encoding_and_takes_encoding(tmp_path: Path) -> None:
    src = tmp_path / "gbk.jsonl"
    src.write_bytes(jsonl_text(ROWS).encode("gbk"))
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["records", "import", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "5 records" in result.output and "read as gb18030 (charset-normalizer)" in result.output
    forced = CliRunner().invoke(app, ["records", "validate", str(src), "--encoding", "utf-8"])
    assert forced.exit_code == 1 and "5 problems on 5 lines" in forced.output
    assert "gbk.jsonl:1: cannot decode bytes" in forced.output
    bad = CliRunner().invoke(app, ["records", "stats", str(src), "--encoding", "nope"])
    assert bad.exit_code == 2 and "unknown encoding 'nope'" in bad.output


def test_gbk_after_an_ascii_head_and_utf16_without_bom(tmp_path: Path) -> None:
    """Detection samples the file's middle too when its first 64 KB is plain ASCII (an English header and
    first rows, Chinese further down), and UTF-16 without a BOM is not taken for UTF-8."""
    english = [
        {"id": f"e{i}", "case": "Cough and fever for three days.", "diagnosis": "Pneumonia"}
        for i in range(2000)
    ]
    rows = english + [dict(r, id=f"z{i}") for i, r in enumerate(ROWS * 100)]
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(jsonl_text(rows).encode("gbk"))
    assert src.stat().st_size > 65536 and src.read_bytes()[:65536].isascii()
    assert detect_encoding(src).name == "gb18030"
    assert import_file(src, tmp_path / "out.jsonl").records == 2500  # head-only detection: 500 rejects
    bare = tmp_path / "bare.jsonl"
    bare.write_bytes(jsonl_text(ROWS).encode("utf-16-le"))
    assert detect_encoding(bare).name in ("utf-16", "utf-16-le")
    assert import_file(bare, tmp_path / "bare_out.jsonl").records == 5
