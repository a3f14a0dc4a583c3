"""Per-model results journal: one JSON line per finished item, flushed as it is written.

A rerun reads it back and skips finished items. A line cut short by a kill is dropped (the file is
truncated to the last complete line), so the item is simply done again; a damaged line in the middle is
an error naming it (truncating there would drop the answers after it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from clinical_r1.config import ConfigError
from clinical_r1.safe_io import create_private, storage_error


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = read_journal(path, repair=True)
        self._failed = False
        create_private(path)  # 0600 in a 0700 folder: it holds the benchmark's case answers
        try:
            self._fh = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise (storage_error(exc, path) or exc) from exc

    def finished(self) -> set[str]:
        """Ids with an answer; items whose request failed are tried again."""
        return {item_id for item_id, entry in self.entries.items() if not entry.get("error")}

    def append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        try:
            self._fh.write(line)
            self._fh.flush()
        except OSError as exc:  # a full disk: the lines before stay; a cut last line is dropped on rerun
            self._failed = True
            raise (storage_error(exc, self.path) or exc) from exc
        self.entries[entry["id"]] = entry

    def close(self) -> None:
        try:
            self._fh.close()
        except OSError:
            if not self._failed:  # after a failed write, closing fails the same way: the first error tells
                raise


def read_journal(path: Path, repair: bool = False) -> dict[str, dict[str, Any]]:
    """Entries by id (the last line of an id wins). With repair, a broken tail is cut off the file.

    Only the last line can be cut by a kill; a damaged line with complete lines after it is damage from
    outside, and cutting there would throw the later answers away: that is a ConfigError naming the line.
    """
    entries: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return entries
    good_bytes, damaged = 0, None  # damaged: (line number, why) of the first line that did not parse
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if damaged is not None:
                if raw.strip():
                    line, why = damaged
                    raise ConfigError(
                        f"{path}:{line}: damaged results line ({why}) with complete lines after it; delete "
                        "that line (its item is asked again) and rerun"
                    )
                continue
            entry = _entry(raw)
            if isinstance(entry, str):
                damaged = (number, entry)
                continue
            entries[entry["id"]] = entry
            good_bytes += len(raw)
    if repair and good_bytes < path.stat().st_size:
        with path.open("r+b") as fh:
            fh.truncate(good_bytes)
            os.fsync(fh.fileno())
    return entries


def _entry(raw: bytes) -> dict[str, Any] | str:
    """The journal entry on a line, or why the line is not one."""
    if not raw.endswith(b"\n"):
        return "cut off"  # the last line was being written when the process died
    try:
        entry = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return f"not valid JSON: {exc}"
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return "not an entry with an id"
    return entry
