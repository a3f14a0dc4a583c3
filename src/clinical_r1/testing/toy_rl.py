"""A toy RL task small enough to *learn* on a CPU in seconds: does an RL algorithm actually work?

The model writes with a tiny vocabulary (eight letters, space, newline, EOS), so any one letter is a
frequent choice from the start; the reward is the share of the letter "a" in the response. A random
policy earns about 0.1; a working policy-gradient method drives it towards 1 within a few dozen steps.
The tiny project model cannot serve here: with 4 096 tokens and random embeddings, no reward that is
easy to reach at the start is also easy to learn.
"""

from __future__ import annotations

import json
from pathlib import Path

from clinical_r1.tiny import CHAT_TEMPLATE

LETTERS = "abcdefgh"
TARGET = "a"


def build_letter_model(out_dir: str | Path, seed: int = 0) -> Path:
    """A one-layer Qwen2 with a character-level vocabulary of the letters a-h (and the chat specials)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import GenerationConfig, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    out = Path(out_dir)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    vocab = {t: i for i, t in enumerate([*specials, "<unk>", *LETTERS, " ", "\n"])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")  # one token per character
    tok.decoder = decoders.Fuse()
    tok.add_special_tokens(specials)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token="<unk>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def write_letter_prompts(path: str | Path, n: int = 8) -> Path:
    """Short records whose cases are letter strings (the reference is unused by the toy reward)."""
    cases = ["abc", "dd e", "fgh", "ha", "bb", "cgd", "e f", "gah", "hh", "bead", "fed", "cab"]
    rows = [
        {"id": f"toy{i}", "language": "en", "case": cases[i % len(cases)], "diagnosis": TARGET}
        for i in range(n)
    ]
    path = Path(path)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def letter_share_reward(texts: list[str], items, truncated: list[bool]) -> list[float]:
    """The toy reward, in the trainers' reward-function signature: share of "a" in each response."""
    return [text.count(TARGET) / max(len(text), 1) for text in texts]
