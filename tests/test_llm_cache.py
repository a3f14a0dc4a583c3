"""The SQLite response cache (WAL, several processes at once) and the usage/cost ledger."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

from clinical_r1.llm import ChatRequest, Ledger, ResponseCache
from clinical_r1.llm.cache import CachedSample, request_key
from clinical_r1.llm.local import _StopHoldback


def _sample(text: str) -> CachedSample:
    return CachedSample(text, "stop", 3, 2, 0.1, "m")


def test_key_covers_sampling_but_not_tags() -> None:
    identity = {"backend": "openai", "model": "m", "endpoint": ""}
    base = ChatRequest(messages=[{"role": "user", "content": "hi"}])
    key = request_key(identity, base)
    assert request_key(identity, base.model_copy(update={"tags": {"stage": "x"}})) == key
    for change in (
        {"temperature": 0.5},
        {"seed": 1},
        {"stop": ["x"]},
        {"max_tokens": 9},
        {"json_mode": True},
    ):
        assert request_key(identity, base.model_copy(update=change)) != key, change
    assert request_key({**identity, "model": "other"}, base) != key


def test_cache_is_wal_and_shared_by_threads_and_processes(tmp_path) -> None:
    path = tmp_path / "cache.sqlite"
    cache = ResponseCache(path)
    assert cache._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    writer = (
        "import sys; from clinical_r1.llm.cache import ResponseCache, CachedSample\n"
        "c = ResponseCache(sys.argv[1])\n"
        "for i in range(200): c.put_many({f'proc:{i}': CachedSample('p', 'stop', 1, 1, 0.0, 'm')})\n"
    )
    process = subprocess.Popen([sys.executable, "-c", writer, str(path)])
    threads = [
        threading.Thread(target=lambda t=t: [cache.put_many({f"t{t}:{i}": _sample("x")}) for i in range(200)])
        for t in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert process.wait(timeout=60) == 0
    assert len(cache) == 600
    assert cache.get_many(["proc:199", "t1:0", "absent"]).keys() == {"proc:199", "t1:0"}


def test_ledger_counts_costs_and_saves(tmp_path) -> None:
    ledger = Ledger()
    ledger.add_call("openai:a", 1_000_000, 500_000, 1.0, price_in_per_mtok=0.15, price_out_per_mtok=0.6)
    ledger.add_request("openai:a", cached=False, failed=False)
    ledger.add_request("openai:a", cached=True, failed=False)
    ledger.add_retry("openai:a")
    ledger.add_request("local:b", cached=False, failed=True)
    a = ledger.models["openai:a"]
    assert (a.calls, a.requests, a.cache_hits, a.retries, a.failures) == (1, 2, 1, 1, 0)
    assert abs(a.cost_usd - 0.45) < 1e-9
    total = ledger.total()
    assert total.requests == 3 and total.failures == 1
    saved = json.loads(ledger.save(tmp_path / "out" / "usage.json").read_text())
    assert saved["models"]["openai:a"]["prompt_tokens"] == 1_000_000 and saved["total"]["failures"] == 1
    text = ledger.summary()
    assert "openai:a" in text and "local:b" in text and "0.4500" in text and "total" in text


def test_stream_holdback_never_emits_a_stop_string() -> None:
    holder = _StopHoldback(["</end>"])
    out = [holder.feed(p) for p in ["Diag", "nosis: asthma <", "/e", "nd> trailing"]]
    assert "".join(out) == "Diagnosis: asthma " and holder.stopped
    assert out[1] == "nosis: asthma "  # "<" is held back: it might begin "</end>"
    plain = _StopHoldback(["##"])
    assert "".join([plain.feed("a #"), plain.feed(" b"), plain.flush()]) == "a # b"
