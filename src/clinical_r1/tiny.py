"""Build the tiny offline model: a Qwen2-architecture causal LM with random weights and a byte-level
BPE tokenizer trained locally on the bundled records (English and Chinese).

It exists so every stage runs on a CPU with no hub access; its text is noise. Any real HF model
folder or hub id can stand in its place everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from clinical_r1.records import SAMPLE_RECORDS, iter_jsonl

# ChatML, as Qwen2 uses; {% generation %} marks the assistant part so trainers can mask the loss to it.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}{% generation %}{{- message['content'] + '<|im_end|>' }}"
    "{% endgeneration %}{{- '\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Output-format markers: atomic tokens, but not "special" so decoding keeps them in the text.
FORMAT_TOKENS = ["<think>", "</think>"]


def _corpus(paths: Iterable[Path]) -> Iterator[str]:
    for path in paths:
        for _, obj in iter_jsonl(path):
            for key in ("case", "diagnosis", "question", "thinking", "response"):
                value = obj.get(key)
                if isinstance(value, str) and value:
                    yield value
    # A little format text so the markers' surroundings and common words tokenize compactly.
    yield "Diagnosis: 诊断： Final Response ## Thinking ## Final Response hmm wait also 嗯 等等 另外"


def build_tiny_model(
    out_dir: str | Path,
    corpus_files: Iterable[str | Path] | None = None,
    vocab_size: int = 4096,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    max_positions: int = 8192,
    seed: int = 0,
) -> Path:
    """Train the tokenizer, create the random-weight model, save both as an ordinary HF folder."""
    import torch
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GenerationConfig, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    out = Path(out_dir)
    files = [Path(p) for p in (corpus_files or [SAMPLE_RECORDS])]
    for f in files:
        if not f.exists():
            raise FileNotFoundError(f"{f}: corpus file for the tiny tokenizer not found")

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(files), trainer=trainer)
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in FORMAT_TOKENS])

    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=None,
        model_max_length=max_positions,
        clean_up_tokenization_spaces=False,
    )
    hf_tok.chat_template = CHAT_TEMPLATE
    hf_tok.padding_side = "left"  # generation pads on the left; trainers set their own side

    config = Qwen2Config(
        vocab_size=len(hf_tok),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        bos_token_id=hf_tok.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=hf_tok.eos_token_id,
        pad_token_id=hf_tok.pad_token_id,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=hf_tok.eos_token_id, pad_token_id=hf_tok.pad_token_id, do_sample=False
    )
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    hf_tok.save_pretrained(out)
    (out / "clinical_r1_tiny.json").write_text(
        json.dumps(
            {"built_by": "clinical-r1 tiny-model", "corpus": [str(f) for f in files], "seed": seed}, indent=2
        )
    )
    return out


DEFAULT_TINY_DIR = Path.home() / ".cache" / "clinical-r1" / "tiny-model"


def ensure_tiny_model(path: str | Path | None = None) -> Path:
    """Return a built tiny model folder, building it on first use."""
    target = Path(path) if path else DEFAULT_TINY_DIR
    if not (target / "config.json").exists():
        build_tiny_model(target)
    return target


def resolve_model(name: str) -> str:
    """`tiny` is the project's tiny model (built on first use); anything else is passed through."""
    if name in ("tiny", "local:tiny"):
        return str(ensure_tiny_model())
    return name
