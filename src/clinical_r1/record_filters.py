"""Which records (or training examples) a stage uses: language, department and id lists.

One filter for the pipeline config (`records.filter`, `sft.filter`, `rl.filter`) and the CLI
(`clinical-r1 records filter`, and `--language/--department/--include-ids/--exclude-ids` on
`synthesize` and `rl`). It reads only `id`, `language` and `department`, which records and training
examples share, so the same filter works on both. Every dropped row is counted with its reason.

- `language`: keep these languages ("en", "zh"); empty keeps all.
- `department`: keep these departments, compared case-insensitively after trimming; "(none)" keeps
  rows without a department. Empty keeps all.
- `include_ids` / `include_ids_file`: keep only these ids (both lists together when both are given).
- `exclude_ids` / `exclude_ids_file`: drop these ids (exclusion wins over inclusion).

An id file is text with one id per line (blank lines and lines starting with '#' skipped) or JSONL
whose objects have an `id` (e.g. a benchmark or a records file: "train on everything except these").
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from clinical_r1.config import StrictModel
from clinical_r1.records import Language, RecordError, iter_jsonl, write_jsonl

NO_DEPARTMENT = "(none)"


class RecordFilter(StrictModel):
    language: list[Language] = Field(default_factory=list)
    department: list[str] = Field(default_factory=list)
    include_ids: list[str] = Field(default_factory=list)
    include_ids_file: str | None = None
    exclude_ids: list[str] = Field(default_factory=list)
    exclude_ids_file: str | None = None

    @field_validator("language", "department", "include_ids", "exclude_ids", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        """`language: en` as well as `language: [en, zh]`."""
        return [value] if isinstance(value, str) else value

    @field_validator("department")
    @classmethod
    def _non_blank(cls, value: list[str]) -> list[str]:
        if any(not name.strip() for name in value):
            raise ValueError(f"a department name is blank (use {NO_DEPARTMENT!r} for rows without one)")
        return value

    @field_validator("include_ids_file", "exclude_ids_file")
    @classmethod
    def _file_exists(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).expanduser().is_file():
            raise ValueError(f"id file {value} not found")
        return value

    def is_empty(self) -> bool:
        return not (
            self.language or self.department or self.include_ids or self.include_ids_file
            or self.exclude_ids or self.exclude_ids_file
        )  # fmt: skip

    def compile(self) -> CompiledFilter:
        """Read the id files once; the result answers `reason(row)` for every row."""
        include = set(self.include_ids) | _ids_in(self.include_ids_file)
        exclude = set(self.exclude_ids) | _ids_in(self.exclude_ids_file)
        has_include = bool(self.include_ids or self.include_ids_file)
        departments = {_department_key(name) for name in self.department}
        return CompiledFilter(set(self.language), departments, include if has_include else None, exclude)


@dataclass(frozen=True)
class CompiledFilter:
    languages: set[str]
    departments: set[str]
    include: set[str] | None  # None: every id
    exclude: set[str]

    def reason(self, row: dict[str, Any]) -> str | None:
        """Why the row is dropped, or None when it is kept."""
        row_id = str(row.get("id", ""))
        if row_id in self.exclude:
            return "id in exclude list"
        if self.include is not None and row_id not in self.include:
            return "id not in include list"
        if self.languages and row.get("language") not in self.languages:
            return f"language {row.get('language')!r} not selected"
        if self.departments:
            department = row.get("department")
            key = _department_key(department) if isinstance(department, str) and department.strip() else None
            if (key or _department_key(NO_DEPARTMENT)) not in self.departments:
                return "department not selected"
        return None


@dataclass
class FilterReport:
    read: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> rows

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "kept": self.kept, "dropped": dict(self.dropped)}

    def describe(self) -> str:
        reasons = ", ".join(f"{n} {why}" for why, n in self.dropped.most_common())
        return f"{self.kept} of {self.read} kept" + (f" (dropped: {reasons})" if reasons else "")


def _department_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _ids_in(path: str | None) -> set[str]:
    return read_ids(path) if path else set()


def read_ids(path: str | Path) -> set[str]:
    """Ids from a text file (one per line, '#' comments) or a JSONL file of objects with an `id`."""
    path = Path(path).expanduser()
    text = path.read_text(encoding="utf-8-sig")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.startswith("{"):
        ids = set()
        for line, obj in iter_jsonl(path):
            if not isinstance(obj.get("id"), (str, int)) or not str(obj["id"]).strip():
                raise RecordError(path, line, "id", "an id file's JSON lines need a non-empty 'id'")
            ids.add(str(obj["id"]))
        return ids
    return {line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")}


def filter_rows(
    rows: Iterable[dict[str, Any]], record_filter: RecordFilter
) -> tuple[list[dict[str, Any]], FilterReport]:
    compiled = record_filter.compile()
    kept, report = [], FilterReport()
    for row in rows:
        report.read += 1
        why = compiled.reason(row)
        if why is None:
            kept.append(row)
        else:
            report.dropped[why] += 1
    report.kept = len(kept)
    return kept, report


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    for line, obj in iter_jsonl(path):
        if "id" not in obj:
            raise RecordError(path, line, "id", "missing (filters select rows by id, language, department)")
        yield obj


def filter_file(source: str | Path, out: str | Path, record_filter: RecordFilter) -> FilterReport:
    """Write the rows of `source` (records or training examples JSONL) the filter keeps to `out`."""
    source, out = Path(source), Path(out)
    if source.resolve() == out.resolve():
        raise ValueError(f"{out}: the filtered file must not overwrite its input")
    kept, report = filter_rows(_rows(source), record_filter)
    write_jsonl(out, kept)
    return report


# --- the CLI options (`records filter`, `synthesize`, `rl`; their help is in commands/records.py) ------


def filter_from_options(
    language: list[str], department: list[str], include_ids: list[str], exclude_ids: list[str]
) -> RecordFilter | None:
    """The filter the CLI options ask for, or None when none is given; ValueError names the option."""
    values: dict[str, Any] = {
        "language": _split(language),
        "department": [name.strip() for name in department],
    }
    for option, given in (("include", include_ids), ("exclude", exclude_ids)):
        files = [value[1:] for value in given if value.startswith("@")]
        if len(files) > 1:
            raise ValueError(f"--{option}-ids: one @FILE at most, got {len(files)}")
        values[f"{option}_ids"] = _split([value for value in given if not value.startswith("@")])
        values[f"{option}_ids_file"] = files[0] if files else None
    try:
        record_filter = RecordFilter(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"--{str(e['loc'][0]).replace('_file', '').replace('_', '-')}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(problems) from None
    return None if record_filter.is_empty() else record_filter


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def write_report(path: str | Path, report: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
