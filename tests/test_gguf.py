"""GGUF in: a GGUF file written from the tiny model (with the `gguf` package's GGUFWriter) loads
de-quantised through a `local:...gguf` spec and converts to an HF folder whose logits are the tiny
model's; bad files are clear errors naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.llm import ChatRequest, ModelSpec, build_llm, generate_sync
from clinical_r1.llm.gguf import GGUFError, check_gguf_file, convert_gguf, load_gguf

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def write_gguf(model_dir: Path, out: Path) -> Path:
    """The tiny Qwen2 model as a GGUF file, the way llama.cpp's converter lays one out: gguf's own
    tensor-name map, float32 tensors, the byte-level BPE vocabulary and merges, and the chat template."""
    import gguf
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    config = model.config
    writer = gguf.GGUFWriter(str(out), "qwen2")
    writer.add_name("tiny")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(config.rope_parameters["rope_theta"])
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    spec = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = tokenizer.get_vocab()
    tokens = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    assert [vocab[t] for t in tokens] == list(range(len(tokens)))  # no holes in the ids
    special = set(tokenizer.all_special_tokens)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(
        [gguf.TokenType.CONTROL if t in special else gguf.TokenType.NORMAL for t in tokens]
    )
    merges = spec["model"]["merges"]
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in merges])
    writer.add_eos_token_id(tokenizer.eos_token_id)
    writer.add_pad_token_id(tokenizer.pad_token_id)
    writer.add_chat_template(tokenizer.chat_template)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN2, config.num_hidden_layers)
    for name, tensor in model.state_dict().items():
        if name == "lm_head.weight" and config.tie_word_embeddings:
            continue  # tied to token_embd, as llama.cpp writes it
        gguf_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
        assert gguf_name is not None, name
        writer.add_tensor(gguf_name, tensor.numpy().astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


@pytest.fixture(scope="module")
def tiny_gguf(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_gguf(tiny_model_dir, tmp_path_factory.mktemp("gguf") / "tiny-f32.gguf")


def _logits(model, ids: list[int]) -> torch.Tensor:
    with torch.inference_mode():
        return model(torch.tensor([ids]), use_cache=False).logits[0]


def test_gguf_loads_dequantised_with_the_tiny_models_logits(tiny_model_dir: Path, tiny_gguf: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    original = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    gguf_tokenizer, model = load_gguf(tiny_gguf)
    assert model.dtype == torch.float32
    assert not hasattr(model.config, "quantization_config")
    text = "A 67-year-old man with fever, cough and rusty sputum."
    ids = tokenizer(text)["input_ids"]
    assert gguf_tokenizer(text)["input_ids"] == ids
    difference = (_logits(model, ids) - _logits(original, ids)).abs().max().item()
    assert difference < 1e-4


def test_models_convert_writes_a_folder_that_saves_and_reloads(
    tiny_model_dir: Path, tiny_gguf: Path, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM

    out = tmp_path / "converted"
    result = CliRunner().invoke(app, ["models", "convert", str(tiny_gguf), str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
    info = json.loads((out / "gguf_source.json").read_text())
    assert info["source"] == str(tiny_gguf.resolve()) and info["architecture"] == "qwen2"
    original = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    converted = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    assert not hasattr(converted.config, "quantization_config")
    ids = [1, 5, 9, 42, 100, 7]
    assert (_logits(converted, ids) - _logits(original, ids)).abs().max().item() < 1e-4


def test_a_local_gguf_spec_generates_like_the_folder(tiny_model_dir: Path, tiny_gguf: Path) -> None:
    spec = ModelSpec.parse(f"local:{tiny_gguf}")
    assert spec.backend == "local" and spec.model == str(tiny_gguf)
    assert ModelSpec.parse(str(tiny_gguf)).model == str(tiny_gguf)  # a bare path to a .gguf file
    request = ChatRequest(messages=[{"role": "user", "content": "cough and fever"}], max_tokens=8)
    (from_gguf,) = generate_sync(build_llm(spec), [request])
    (from_folder,) = generate_sync(build_llm(f"local:{tiny_model_dir}"), [request])
    assert from_gguf.ok, from_gguf.error
    assert from_gguf.texts == from_folder.texts


def test_bad_gguf_inputs_are_clear_errors(tmp_path: Path, tiny_gguf: Path) -> None:
    with pytest.raises(GGUFError, match="missing.gguf: GGUF file not found"):
        check_gguf_file(tmp_path / "missing.gguf")
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"PK\x03\x04 not a gguf")
    with pytest.raises(GGUFError, match="fake.gguf: not a GGUF file"):
        check_gguf_file(fake)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    with pytest.raises(GGUFError, match="not empty"):
        convert_gguf(tiny_gguf, taken)
    result = CliRunner().invoke(app, ["models", "convert", str(fake), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "not a GGUF file" in result.output
