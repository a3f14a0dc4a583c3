"""The short English SFT examples of `make demo-real` (src/clinical_r1/data/samples/sft_short_en.jsonl):
each states its reference diagnosis in the trained format, its reasoning is short, and none is a case the
demo's benchmark may hold (the held-out split of the sample records at the demo's heldout_fraction)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from clinical_r1.formatting import parse, render
from clinical_r1.leakage import LeakageIndex
from clinical_r1.pipeline import split_heldout
from clinical_r1.records import SAMPLE_RECORDS
from clinical_r1.training_example import read_examples
from clinical_r1.verify import Verifier

ROOT = Path(__file__).resolve().parents[1]
SHORT = ROOT / "src" / "clinical_r1" / "data" / "samples" / "sft_short_en.jsonl"


def test_every_example_states_its_reference_in_the_trained_format() -> None:
    examples = list(read_examples(SHORT))
    assert len(examples) == 51
    assert len({e.id for e in examples}) == len(examples)
    verifier = Verifier()
    for example in examples:
        assert example.language == "en"
        parsed = parse(render(example.thinking, example.response))
        assert parsed.valid and parsed.has_reasoning, example.id
        assert 20 <= len(example.thinking.split()) <= 80, (example.id, "reasoning should stay short")
        verdict = verifier.verify(parsed.diagnosis, example.reference, None, "en")
        assert verdict.is_match, (example.id, parsed.diagnosis, example.reference)


def test_no_example_is_a_case_the_demo_benchmark_can_hold() -> None:
    config = yaml.safe_load((ROOT / "configs" / "quickstart-real.yaml").read_text(encoding="utf-8"))
    records = [json.loads(line) for line in SAMPLE_RECORDS.read_text(encoding="utf-8").splitlines()]
    train, heldout = split_heldout(records, config["records"]["heldout_fraction"])
    train_ids = {r["id"] for r in train}
    index = LeakageIndex()
    for row in heldout:
        index.add(row["case"])
    for line in SHORT.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        record_id = row["trace"].get("record_id")
        if record_id is not None:  # written for a training-split record: its case text, unchanged
            assert record_id in train_ids, row["id"]
            assert row["question"] == next(r["case"] for r in records if r["id"] == record_id)
        assert index.match(row["question"]) is None, row["id"]
    index.close()
