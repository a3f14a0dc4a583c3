"""The tiny offline model builds, loads with the Auto classes offline, and generates."""

from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def test_tiny_model_loads_offline_and_generates(tiny_model_dir):
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert model.config.model_type == "qwen2"
    assert sum(p.numel() for p in model.parameters()) < 5_000_000
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": "Fever and cough for 3 days. 发热咳嗽三天。"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**prompt, max_new_tokens=8, do_sample=False)
    assert out.shape[1] > prompt["input_ids"].shape[1]


def test_format_markers_are_single_tokens_kept_on_decode(tiny_model_dir):
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    for marker in ("<think>", "</think>"):
        ids = tok.encode(marker, add_special_tokens=False)
        assert len(ids) == 1
        assert tok.decode(ids, skip_special_tokens=True) == marker


def test_assistant_mask_covers_exactly_the_assistant_turn(tiny_model_dir):
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    msgs = [
        {"role": "user", "content": "胸痛两小时"},
        {"role": "assistant", "content": "<think>嗯，考虑心梗</think>诊断：急性心肌梗死"},
    ]
    enc = tok.apply_chat_template(msgs, return_dict=True, return_assistant_tokens_mask=True)
    labelled = [i for i, m in zip(enc["input_ids"], enc["assistant_masks"], strict=True) if m]
    assert tok.decode(labelled) == "<think>嗯，考虑心梗</think>诊断：急性心肌梗死<|im_end|>"


def test_same_seed_same_weights(tmp_path):
    from clinical_r1.tiny import build_tiny_model

    a = AutoModelForCausalLM.from_pretrained(build_tiny_model(tmp_path / "a"))
    b = AutoModelForCausalLM.from_pretrained(build_tiny_model(tmp_path / "b"))
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_resolve_model_builds_tiny_and_passes_anything_else_through(tiny_model_dir, monkeypatch):
    from clinical_r1 import tiny

    monkeypatch.setattr(tiny, "ensure_tiny_model", lambda *a, **k: tiny_model_dir)
    assert tiny.resolve_model("tiny") == tiny.resolve_model("local:tiny") == str(tiny_model_dir)
    assert tiny.resolve_model("Qwen/Qwen2.5-7B-Instruct") == "Qwen/Qwen2.5-7B-Instruct"
    assert tiny.resolve_model("/models/tiny") == "/models/tiny"
