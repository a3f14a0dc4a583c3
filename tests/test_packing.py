"""Packing keeps samples apart: a packed sample's logits equal its logits run alone.

The batches come from the real SFTTrainer data loader (TRL best-fit-decreasing packing and its
padding-free collator), so this checks what training actually sees.
"""

from __future__ import annotations

import os

import pytest
import torch

from clinical_r1.train.packing import fill_ratio, fit_example, fit_examples, sample_spans
from clinical_r1.train.sft import SFTStageConfig, build_trainer
from clinical_r1.training_example import TrainingExample

pytestmark = pytest.mark.usefixtures("one_torch_thread")


QUESTIONS = [
    "A 67-year-old man has fever, productive cough with rusty sputum and right pleuritic chest pain.",
    "男，45岁。上腹痛3天，向背部放射，血淀粉酶明显升高。",
    "A 23-year-old woman has polyuria, polydipsia, weight loss and a glucose of 24 mmol/L.",
    "女，70岁。突发左侧肢体无力2小时，言语含糊。",
    "A 55-year-old man has crushing chest pain for 1 hour with ST elevation in II, III and aVF.",
]


def make_examples(n: int = 5, thinking_repeats: int = 3) -> list[TrainingExample]:
    examples = []
    for i in range(n):
        zh = "岁" in QUESTIONS[i % len(QUESTIONS)]
        examples.append(
            TrainingExample(
                id=f"ex-{i}",
                question=QUESTIONS[i % len(QUESTIONS)],
                thinking=" ".join(
                    f"Step {k}: weigh the findings of case {i} against the likely causes."
                    for k in range(thinking_repeats + i)
                ),
                response=f"Final diagnosis: condition number {i}.",
                reference=f"condition {i}",
                language="zh" if zh else "en",
            )
        )
    return examples


def first_batch(tiny_model_dir, tmp_path, attn: str):
    config = SFTStageConfig(max_length=512, per_device_batch_size=2, attn_implementation=attn, max_steps=1)
    trainer, _ = build_trainer(config, make_examples(), tiny_model_dir, tmp_path)
    batch = next(iter(trainer.get_train_dataloader()))
    return trainer.model.eval(), batch


def max_diff_packed_vs_alone(model, batch, extra: dict | None = None) -> list[float]:
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    spans = sample_spans(batch["position_ids"])
    with torch.no_grad():
        packed = model(**inputs, **(extra or {}), use_cache=False).logits[0]
        diffs = []
        for start, end in spans:
            alone = model(input_ids=batch["input_ids"][:, start:end], use_cache=False).logits[0]
            diffs.append((packed[start:end] - alone).abs().max().item())
    return diffs


# flex attention works on CPU too (it passed: see docs/sft.md) but compiles for every new shape,
# about 25-50 s here, so it runs only when asked: CLINICAL_R1_TEST_FLEX=1.
ATTENTION = [
    "sdpa_packed",  # the default on CPU when packing: causal sdpa per sample (packing.py)
    "sdpa",
    "eager",
    pytest.param(
        "flex_attention",
        marks=pytest.mark.skipif(
            not os.environ.get("CLINICAL_R1_TEST_FLEX"), reason="slow (compiles); set CLINICAL_R1_TEST_FLEX=1"
        ),
    ),
]


@pytest.mark.parametrize("attn", ATTENTION)
def test_packed_samples_cannot_see_each_other(tiny_model_dir, tmp_path, attn):
    model, batch = first_batch(tiny_model_dir, tmp_path, attn)
    assert model.config._attn_implementation == attn
    assert batch["cu_seq_lens_q"].tolist() == [s for s, _ in sample_spans(batch["position_ids"])] + [
        batch["input_ids"].shape[1]
    ]
    assert batch["input_ids"].shape[0] == 1 and "attention_mask" not in batch  # padding-free row
    assert len(sample_spans(batch["position_ids"])) >= 3
    assert model.dtype == torch.float32
    diffs = max_diff_packed_vs_alone(model, batch)
    assert max(diffs) < 1e-4, diffs


def test_isolation_check_catches_a_leaking_mask(tiny_model_dir, tmp_path):
    """An all-ones attention mask next to the position ids lets samples attend across boundaries."""
    model, batch = first_batch(tiny_model_dir, tmp_path, "sdpa")
    leaking = max_diff_packed_vs_alone(model, batch, {"attention_mask": torch.ones_like(batch["input_ids"])})
    assert leaking[0] < 1e-4  # the first sample has nothing before it to leak from
    assert max(leaking[1:]) > 1e-2, leaking


def test_position_ids_restart_at_every_sample(tiny_model_dir, tmp_path):
    _, batch = first_batch(tiny_model_dir, tmp_path, "sdpa")
    positions = batch["position_ids"][0]
    for start, end in sample_spans(batch["position_ids"]):
        assert positions[start:end].tolist() == list(range(end - start))


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def long_example() -> TrainingExample:
    opening = "OPENING: fever and cough suggest a lower respiratory infection."
    middle = " ".join(f"Middle point {k} about the differential." for k in range(80))
    conclusion = "CONCLUSION: consolidation confirms lobar pneumonia."
    return TrainingExample(
        id="long",
        question="A 67-year-old man has fever, cough with rusty sputum and right lower lobe consolidation.",
        thinking=f"{opening} {middle} {conclusion}",
        response="Final diagnosis: lobar pneumonia (J18.1).",
        reference="Lobar pneumonia",
        language="en",
    )


def test_overlong_sample_loses_the_middle_of_its_thinking_only(tokenizer):
    example = long_example()
    full = fit_example(tokenizer, example, max_length=10_000)
    assert full is not None and not full.thinking_truncated
    limit = len(full.input_ids) // 2
    fitted = fit_example(tokenizer, example, max_length=limit, rule="truncate_thinking")
    assert fitted is not None and fitted.thinking_truncated
    assert limit - 4 <= len(fitted.input_ids) <= limit  # uses the room it has
    text = tokenizer.decode(fitted.input_ids)
    assert example.question in text and example.response in text
    assert "OPENING:" in text and "CONCLUSION:" in text
    assert "Middle point 40 " not in text
    assert text.count("<think>") == 1 and text.count("</think>") == 1


def test_sample_that_cannot_fit_is_dropped_and_counted(tokenizer):
    example = long_example()
    # Room for the question and the response but not for any reasoning: dropped, never cut elsewhere.
    assert fit_example(tokenizer, example, max_length=60, min_thinking_tokens=16) is None
    short = make_examples(2)
    limit = max(len(fit_example(tokenizer, ex, max_length=10_000).input_ids) for ex in short)
    dataset, stats = fit_examples(tokenizer, [example, *short], limit, system_prompts={}, rule="drop")
    assert stats.dropped == 1 and stats.dropped_ids == ["long"] and stats.kept == 2
    assert len(dataset) == 2 and all(len(ids) <= limit for ids in dataset["input_ids"])


def test_bfd_packing_fills_rows(tiny_model_dir, tmp_path):
    config = SFTStageConfig(max_length=512, max_steps=1)
    trainer, stats = build_trainer(config, make_examples(12), tiny_model_dir, tmp_path)
    rows = trainer.train_dataset
    assert sum(len(lengths) for lengths in rows["seq_lengths"]) == stats.kept == 12
    assert all(len(ids) <= 512 for ids in rows["input_ids"])
    assert len(rows) < 12 and fill_ratio(rows, 512) > 0.5


def test_sdpa_packed_is_the_cpu_default_for_packing_and_refuses_padded_batches(tiny_model_dir, tmp_path):
    from clinical_r1.train.sft import resolve_attn_implementation

    assert resolve_attn_implementation(SFTStageConfig(packing=True)) == "sdpa_packed"
    assert resolve_attn_implementation(SFTStageConfig(packing=False)) == "sdpa"
    with pytest.raises(ValueError, match="needs packing"):
        build_trainer(
            SFTStageConfig(packing=False, attn_implementation="sdpa_packed"),
            make_examples(2),
            tiny_model_dir,
            tmp_path,
        )
    model, batch = first_batch(tiny_model_dir, tmp_path, "sdpa_packed")
    padded = torch.ones_like(batch["input_ids"][:, :8])
    padded[0, :2] = 0
    with pytest.raises(ValueError, match="padding-free"):
        model(input_ids=batch["input_ids"][:, :8], attention_mask=padded, use_cache=False)
