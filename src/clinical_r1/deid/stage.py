"""The de-identification stage: config, the `Deidentifier`, and JSONL file in -> file out."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from clinical_r1.config import StrictModel
from clinical_r1.deid.detect import CATEGORIES, Category, Span, find_spans
from clinical_r1.deid.replace import DeidSession, Style, reidentify
from clinical_r1.records import RecordError, iter_jsonl

SALT_ENV = "CLINICAL_R1_DEID_SALT"
# Text fields de-identified by default when present (records, training examples, generic notes).
DEFAULT_FIELDS = ["case", "question", "text", "context", "thinking", "response"]


class DeidConfig(StrictModel):
    """How identifiers are replaced. Load from YAML with `load_config(path, DeidConfig)`."""

    style: Style = "placeholder"  # placeholder: [NAME-1], [DATE+3d]; surrogate: fake names, shifted dates
    categories: list[Category] = Field(default_factory=lambda: list(CATEGORIES))
    fields: list[str] = Field(default_factory=lambda: list(DEFAULT_FIELDS))  # record fields (files only)
    max_shift_days: int = Field(365, ge=1)  # surrogate style: dates move back by 1..max days per record

    @field_validator("categories")
    @classmethod
    def _some_categories(cls, value: list[Category]) -> list[Category]:
        if not value:
            raise ValueError("at least one category is needed")
        return value


class Deidentifier:
    """Finds and replaces identifiers. Surrogates and date shifts are keyed by a secret salt:
    $CLINICAL_R1_DEID_SALT if set (stable across runs, so caches keep hitting), else random per
    process. Placeholders do not depend on it."""

    def __init__(self, config: DeidConfig | None = None, salt: str | None = None) -> None:
        self.config = config or DeidConfig()
        self._secret = (salt or os.environ.get(SALT_ENV) or secrets.token_hex(16)).encode()

    def find(self, text: str) -> list[Span]:
        return find_spans(text, self.config.categories)

    def session(self, key: str = "") -> DeidSession:
        """A fresh session; `key` (e.g. the record id) decides its date shift in surrogate style."""
        digest = hmac.new(self._secret, key.encode(), hashlib.sha256).digest()
        shift = -(1 + int.from_bytes(digest[:4], "big") % self.config.max_shift_days)
        return DeidSession(self.config.style, self.config.categories, shift, self._secret)

    def deidentify(self, text: str, key: str = "") -> str:
        return self.session(key).deidentify(text)


@dataclass
class DeidStats:
    records: int = 0
    fields: int = 0
    found: dict[str, int] = field(default_factory=lambda: {c: 0 for c in CATEGORIES})

    @property
    def total(self) -> int:
        return sum(self.found.values())


def _texts_of(obj: dict[str, Any], fields: Sequence[str], path: Path, line: int) -> list[str]:
    present = [f for f in fields if f in obj and obj[f] is not None]
    if not present:
        raise RecordError(path, line, None, f"none of the text fields {', '.join(fields)} is present")
    for name in present:
        if not isinstance(obj[name], str):
            raise RecordError(path, line, name, f"expected text, got {type(obj[name]).__name__}")
    return present


def deidentify_file(
    src: str | Path,
    dst: str | Path,
    config: DeidConfig | None = None,
    mapping_path: str | Path | None = None,
    salt: str | None = None,
    on_record: Callable[[], None] | None = None,
) -> DeidStats:
    """De-identify the text fields of every JSONL object in `src` into `dst` (other fields are copied).
    One session per line: the fields of a record share placeholders and one date shift. With
    `mapping_path`, write {record id: {replacement: original}} there (owner-only permissions)."""
    src, dst = Path(src), Path(dst)
    deid = Deidentifier(config, salt=salt)
    stats = DeidStats()
    mapping: dict[str, Any] = {}
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for line, obj in iter_jsonl(src):
            names = _texts_of(obj, deid.config.fields, src, line)
            key = str(obj.get("id", f"line-{line}"))
            session = deid.session(key)
            cleaned = session.deidentify_many([obj[n] for n in names])
            obj = {**obj, **dict(zip(names, cleaned, strict=True))}
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            stats.records += 1
            stats.fields += len(names)
            for category, count in session.counts.items():
                stats.found[category] += count
            if session.mapping:
                mapping[key] = {"replacements": session.mapping, "date_shift_days": session.shift_days}
            if on_record is not None:
                on_record()
    tmp.replace(dst)
    if mapping_path is not None:
        write_private_json(Path(mapping_path), {"style": deid.config.style, "records": mapping})
    return stats


def reidentify_file(
    src: str | Path, dst: str | Path, mapping_path: str | Path, fields: Sequence[str] | None = None
) -> int:
    """Put originals back into `src` lines whose id is in the mapping file; returns lines changed."""
    src, dst, mapping_path = Path(src), Path(dst), Path(mapping_path)
    records = json.loads(mapping_path.read_text(encoding="utf-8")).get("records", {})
    fields = list(fields or DEFAULT_FIELDS)
    changed = 0
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", encoding="utf-8") as out:
        for line, obj in iter_jsonl(src):
            entry = records.get(str(obj.get("id", f"line-{line}")))
            if entry:
                replacements = entry["replacements"]
                for name in fields:
                    if isinstance(obj.get(name), str):
                        obj[name] = reidentify(obj[name], replacements)
                changed += 1
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return changed


def write_private_json(path: Path, data: Any) -> None:
    """Write JSON readable by the owner only: a re-identification key is as sensitive as the records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
    os.chmod(path, 0o600)
