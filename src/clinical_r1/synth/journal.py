"""The synthesis journal: one SQLite row per finished record, committed as soon as it finishes.

A row holds the record's outcome (example, rejection, or a transient teacher error) and the
fingerprint of what produced it (record content + search config + prompts). On a rerun a row is
reused only when its fingerprint still matches and it is not an error; everything else runs again,
and the model layer's cache answers the calls that were already paid for. A record that was in
flight when the process died has no row: it reruns the same way, through the cache.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from clinical_r1.safe_io import open_sqlite, storage_error
from clinical_r1.synth.search import Outcome

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outcomes (
    record_id   TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status      TEXT NOT NULL,
    payload     TEXT NOT NULL
)
"""


def _setup_journal(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL: a commit survives the process being killed; only an OS crash can lose the last few
    # records, and those rerun through the cache
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(_SCHEMA)


class Journal:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        # autocommit: each put is durable on its own, so SIGKILL loses at most the record in flight
        self._db = open_sqlite(
            self.path,
            _setup_journal,
            what="synthesis journal",
            fix="move it aside to synthesize every record again (the teacher's answers in cache.sqlite are "
            "reused, so it costs no new calls)",
            isolation_level=None,
        )

    def get(self, record_id: str, fingerprint: str) -> Outcome | None:
        """The finished outcome of a record, if one exists for this fingerprint (errors never count)."""
        row = self._db.execute(
            "SELECT status, payload FROM outcomes WHERE record_id = ? AND fingerprint = ?",
            (record_id, fingerprint),
        ).fetchone()
        if row is None or row[0] == "error":
            return None
        return Outcome(record_id, row[0], json.loads(row[1]))

    def put(self, outcome: Outcome, fingerprint: str) -> None:
        try:
            payload = json.dumps(outcome.payload, ensure_ascii=False)
            self._db.execute(
                "INSERT OR REPLACE INTO outcomes (record_id, fingerprint, status, payload)"
                " VALUES (?, ?, ?, ?)",
                (outcome.record_id, fingerprint, outcome.status, payload),
            )
        except sqlite3.OperationalError as exc:  # the records journaled before stay (autocommit)
            raise (storage_error(exc, self.path) or exc) from exc

    def all(self) -> dict[str, tuple[str, Outcome]]:
        """record id -> (fingerprint, outcome), errors included (for the final report)."""
        rows = self._db.execute("SELECT record_id, fingerprint, status, payload FROM outcomes")
        return {rid: (fp, Outcome(rid, status, json.loads(p))) for rid, fp, status, p in rows}

    def counts(self) -> dict[str, Any]:
        return dict(self._db.execute("SELECT status, COUNT(*) FROM outcomes GROUP BY status").fetchall())

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
