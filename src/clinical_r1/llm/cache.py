"""Persistent response cache (SQLite, WAL) and the usage/cost ledger.

Cache keys: backend, model, endpoint, messages and every sampling parameter, plus the sample index, so a
request with n=4 is four entries. A request with temperature > 0 and no seed is still cached, per sample
index: a rerun returns the same samples instead of drawing new ones (that is what makes a rerun free).
`tags` are not part of the key. Failed requests are never cached.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from clinical_r1.llm.types import ChatRequest
from clinical_r1.safe_io import atomic_write, open_sqlite, storage_error


def request_key(identity: dict, request: ChatRequest) -> str:
    """The cache key of a request without its sample index (sample i is stored as f"{key}:{i}")."""
    payload = {
        **identity,
        "messages": request.messages,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_tokens": request.max_tokens,
        "seed": request.seed,
        "stop": request.stop,
        "json_mode": request.json_mode,
    }
    if request.repetition_penalty is not None:  # only when set, so older cache keys stay valid
        payload["repetition_penalty"] = request.repetition_penalty
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedSample:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    model: str


def _setup_cache(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=60000")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS samples ("
        " key TEXT PRIMARY KEY, text TEXT NOT NULL, finish_reason TEXT NOT NULL,"
        " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
        " latency_s REAL NOT NULL, model TEXT NOT NULL, created REAL NOT NULL)"
    )


class ResponseCache:
    """One SQLite file; safe for many tasks in one process and for several processes at once."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn = open_sqlite(
            self.path,
            _setup_cache,
            what="response cache",
            fix="move it aside to start an empty cache (answers it held are then asked again)",
            timeout=60,
            check_same_thread=False,
            isolation_level=None,
        )

    def get_many(self, keys: list[str]) -> dict[str, CachedSample]:
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT key, text, finish_reason, prompt_tokens, completion_tokens, latency_s, model "
                f"FROM samples WHERE key IN ({marks})",
                keys,
            ).fetchall()
        return {row[0]: CachedSample(*row[1:]) for row in rows}

    def put_many(self, items: dict[str, CachedSample]) -> None:
        now = time.time()
        rows = [
            (k, s.text, s.finish_reason, s.prompt_tokens, s.completion_tokens, s.latency_s, s.model, now)
            for k, s in items.items()
        ]
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._conn.executemany("INSERT OR REPLACE INTO samples VALUES (?,?,?,?,?,?,?,?)", rows)
                    self._conn.execute("COMMIT")
                except BaseException:
                    # SQLite may have rolled back already (a COMMIT that failed on a full disk): a second
                    # ROLLBACK would raise "no transaction is active" and hide the real error.
                    if self._conn.in_transaction:
                        try:
                            self._conn.execute("ROLLBACK")
                        except sqlite3.Error:
                            pass
                    raise
            except sqlite3.OperationalError as exc:
                raise (storage_error(exc, self.path) or exc) from exc

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM samples").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class ModelUsage(BaseModel):
    """What one model cost. `calls`, tokens and cost count only work actually paid for (not cache hits)."""

    requests: int = 0  # ChatRequests answered (successfully or not)
    cache_hits: int = 0  # requests answered entirely from the cache
    calls: int = 0  # successful backend calls (HTTP requests, or local generations)
    retries: int = 0  # attempts repeated after 429 / 5xx / timeout / dropped connection
    failures: int = 0  # requests that failed for good
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    call_latency_s: float = 0.0  # summed over successful calls


class Ledger:
    """Usage per model: calls, tokens, cache hits, failures, estimated cost. One ledger may be shared
    by several LLMs (e.g. a teacher and a judge) so a stage prints one table."""

    def __init__(self) -> None:
        self.models: dict[str, ModelUsage] = {}
        self._lock = threading.Lock()

    def _row(self, model: str) -> ModelUsage:
        return self.models.setdefault(model, ModelUsage())

    def add_call(
        self,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        latency_s: float,
        price_in_per_mtok: float = 0.0,
        price_out_per_mtok: float = 0.0,
    ) -> None:
        with self._lock:
            row = self._row(model)
            row.calls += 1
            row.prompt_tokens += prompt_tokens
            row.completion_tokens += completion_tokens
            row.call_latency_s += latency_s
            row.cost_usd += (prompt_tokens * price_in_per_mtok + completion_tokens * price_out_per_mtok) / 1e6

    def add_request(self, model: str, cached: bool, failed: bool) -> None:
        with self._lock:
            row = self._row(model)
            row.requests += 1
            row.cache_hits += int(cached)
            row.failures += int(failed)

    def add_retry(self, model: str) -> None:
        with self._lock:
            self._row(model).retries += 1

    def total(self) -> ModelUsage:
        with self._lock:
            total = ModelUsage()
            for row in self.models.values():
                for name in ModelUsage.model_fields:
                    setattr(total, name, getattr(total, name) + getattr(row, name))
            return total

    def to_dict(self) -> dict:
        with self._lock:
            models = {name: row.model_dump() for name, row in self.models.items()}
        return {"models": models, "total": self.total().model_dump()}

    def save(self, path: str | Path) -> Path:
        """Write the ledger as JSON (beside a stage's output, e.g. out_dir / "usage.json")."""
        return atomic_write(path, json.dumps(self.to_dict(), indent=2))

    def table(self) -> Table:
        table = Table(title="LLM usage")
        table.add_column("model", overflow="fold", min_width=16)
        for column in (
            "requests",
            "cache hits",
            "calls",
            "retries",
            "failures",
            "tokens in",
            "tokens out",
            "cost USD",
        ):
            table.add_column(column, justify="right", no_wrap=True)
        rows = list(self.to_dict()["models"].items())
        if len(rows) > 1:
            rows.append(("total", self.total().model_dump()))
        for name, r in rows:
            table.add_row(
                name,
                str(r["requests"]),
                str(r["cache_hits"]),
                str(r["calls"]),
                str(r["retries"]),
                str(r["failures"]),
                f"{r['prompt_tokens']:,}",
                f"{r['completion_tokens']:,}",
                f"{r['cost_usd']:.4f}",
            )
        return table

    def summary(self) -> str:
        """The usage table as plain text, for printing at the end of a stage."""
        buffer = io.StringIO()
        Console(file=buffer, width=140, no_color=True, force_terminal=False).print(self.table())
        return buffer.getvalue()
