"""End to end on a real (tiny, local) model as teacher: its text is noise, the plumbing must hold."""

from __future__ import annotations

import json
from pathlib import Path

from clinical_r1.records import SAMPLE_RECORDS
from clinical_r1.synth.config import SynthConfig
from clinical_r1.synth.runner import run_synthesis


def test_tiny_local_teacher_runs_every_record_to_a_reasoned_end(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = SynthConfig(
        teacher=f"local:{tiny_model_dir}",
        max_tokens=16,
        limit=2,
        max_reasks=1,
        temperature=0.0,
    )
    stats = run_synthesis(config, SAMPLE_RECORDS, tmp_path / "out", progress=False)
    rejects = [
        json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text("utf-8").splitlines()
    ]
    assert stats.records == 2 and stats.examples + stats.rejected == 2
    assert sum(stats.dropped.values()) == stats.rejected and stats.errors == 0
    for reject in rejects:
        # noise is not JSON: re-asked once, then dropped with the parser's reason
        assert reject["reason"].startswith("malformed_json:") and reject["detail"]
        assert reject["usage"]["calls"] == 2 and reject["trace"]["malformed"]
    assert stats.calls == sum(r["usage"]["calls"] for r in rejects) and stats.completion_tokens > 0
    ledger = json.loads((tmp_path / "out" / "ledger.json").read_text())
    assert ledger["total"]["calls"] == stats.calls
