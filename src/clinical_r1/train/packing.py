"""Fit tokenized samples into `max_length` and pack several into each training sequence.

Packing itself is TRL's best-fit-decreasing (`trl.pack_dataset(strategy="bfd")`); its collator
then lays the samples of a batch side by side in one row with position ids restarting at 0 for
each sample and no attention mask. transformers turns the restarting position ids into a
block-diagonal causal mask (sdpa, eager, flex) or the flash-attention varlen boundaries
(`cu_seq_lens`), so a sample never attends to its neighbours. tests/test_packing.py proves that.

On GPU, flash-attention's varlen kernel only computes each sample's own scores. sdpa and eager with
a block-diagonal mask compute the whole row's scores and discard most of them, so on CPU packing
would cost as much attention as it saves in padding. `sdpa_packed` (registered here with
transformers' AttentionInterface) is the CPU counterpart of the varlen kernel: torch's causal sdpa
run on each sample of the row separately, bounded by the collator's `cu_seq_lens`.

The other thing this module adds is the rule for samples longer than `max_length` (TRL would cut
their end, which is where the final answer is):
- "truncate_thinking": cut the middle of the thinking, keeping its opening and its conclusion,
  until the sample fits; the question and the final response are never cut. If fewer than
  `min_thinking_tokens` of thinking would be left, the sample is dropped (and counted).
- "drop": drop every sample that does not fit (and count them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from datasets import Dataset

from clinical_r1.chat import example_to_messages, tokenize_conversation
from clinical_r1.formatting import Style
from clinical_r1.training_example import TrainingExample

OverlongRule = Literal["truncate_thinking", "drop"]
PACKED_SDPA = "sdpa_packed"


@dataclass
class FitStats:
    """What the overlong rule did to a data set."""

    total: int = 0
    kept: int = 0
    truncated: int = 0
    dropped: int = 0
    dropped_ids: list[str] = field(default_factory=list)
    tokens: int = 0
    trained_tokens: int = 0

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "kept": self.kept,
            "truncated": self.truncated,
            "dropped": self.dropped,
            "dropped_ids": self.dropped_ids[:100],
            "tokens": self.tokens,
            "trained_tokens": self.trained_tokens,
        }


@dataclass
class FittedSample:
    input_ids: list[int]
    labels: list[int]
    thinking_truncated: bool


def fit_example(
    tokenizer,
    example: TrainingExample,
    max_length: int,
    system_prompt: str | None = None,
    style: Style = "r1",
    rule: OverlongRule = "truncate_thinking",
    min_thinking_tokens: int = 16,
) -> FittedSample | None:
    """Tokenize one example; apply the overlong rule. None means the example is dropped."""

    def tokenize(thinking: str) -> tuple[list[int], list[int]]:
        ex = example.model_copy(update={"thinking": thinking})
        return tokenize_conversation(tokenizer, example_to_messages(ex, system_prompt, style))

    input_ids, labels = tokenize(example.thinking)
    if len(input_ids) <= max_length:
        return FittedSample(input_ids, labels, thinking_truncated=False)
    if rule == "drop":
        return None
    if rule != "truncate_thinking":
        raise ValueError(f"unknown overlong rule {rule!r}; expected 'truncate_thinking' or 'drop'")

    thinking = example.thinking
    pieces = tokenizer(thinking, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    keep = len(pieces) - (len(input_ids) - max_length)
    # Token merges across the cut can shift the count by a token or two: re-measure and tighten.
    for _ in range(8):
        if keep < min_thinking_tokens:
            return None
        head = keep - keep // 2
        tail = keep // 2
        head_end = pieces[head - 1][1]
        tail_start = pieces[len(pieces) - tail][0] if tail else len(thinking)
        cut = thinking[:head_end].rstrip() + "\n\n" + thinking[tail_start:].lstrip()
        input_ids, labels = tokenize(cut)
        if len(input_ids) <= max_length:
            return FittedSample(input_ids, labels, thinking_truncated=True)
        keep -= len(input_ids) - max_length
    return None


def fit_examples(
    tokenizer,
    examples: list[TrainingExample],
    max_length: int,
    system_prompts: dict[str, str] | None = None,
    style: Style = "r1",
    rule: OverlongRule = "truncate_thinking",
    min_thinking_tokens: int = 16,
) -> tuple[Dataset, FitStats]:
    """Tokenize and fit every example: a dataset with `input_ids` and `labels` (-100 = no loss)."""
    from clinical_r1.chat import system_prompt_for

    stats = FitStats(total=len(examples))
    rows: dict[str, list] = {"input_ids": [], "labels": []}
    for example in examples:
        system_prompt = system_prompt_for(example.language, system_prompts)
        fitted = fit_example(tokenizer, example, max_length, system_prompt, style, rule, min_thinking_tokens)
        if fitted is None:
            stats.dropped += 1
            stats.dropped_ids.append(example.id)
            continue
        stats.kept += 1
        stats.truncated += fitted.thinking_truncated
        stats.tokens += len(fitted.input_ids)
        stats.trained_tokens += sum(1 for label in fitted.labels if label != -100)
        rows["input_ids"].append(fitted.input_ids)
        rows["labels"].append(fitted.labels)
    return Dataset.from_dict(rows), stats


def pack(dataset: Dataset, max_length: int) -> Dataset:
    """Best-fit-decreasing packing (TRL): rows of whole samples, each row at most `max_length` tokens.

    Adds `seq_lengths`, the length of every sample in the row; samples longer than `max_length`
    must have been fitted first (TRL would silently cut their end).
    """
    from trl import pack_dataset

    too_long = [len(ids) for ids in dataset["input_ids"] if len(ids) > max_length]
    if too_long:
        raise ValueError(f"{len(too_long)} samples are longer than max_length={max_length}; fit them first")
    return pack_dataset(dataset.select_columns(["input_ids", "labels"]), max_length, strategy="bfd")


def fill_ratio(packed: Dataset, max_length: int) -> float:
    """Real tokens / capacity over all packed rows (1.0 = no room left in any row)."""
    lengths = [len(ids) for ids in packed["input_ids"]]
    return sum(lengths) / (len(lengths) * max_length) if lengths else 0.0


def sample_spans(position_ids: torch.Tensor) -> list[tuple[int, int]]:
    """(start, end) of each sample in one padding-free row, from where the position ids restart at 0."""
    positions = position_ids.reshape(-1)
    starts = (positions == 0).nonzero().flatten().tolist()
    ends = starts[1:] + [positions.numel()]
    return list(zip(starts, ends, strict=True))


def packed_sdpa_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """Causal sdpa on each sample of a padding-free packed row (query/key/value: batch 1, heads, tokens, dim).

    Without `cu_seq_lens_q` (an ordinary unpadded batch, e.g. generation) it is plain sdpa. Padded
    batches are refused: this implementation exists for padding-free packed training.
    """
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    bounds = kwargs.get("cu_seq_lens_q")
    if bounds is None:
        if attention_mask is not None:
            raise ValueError(
                f"attention '{PACKED_SDPA}' handles padding-free batches only; use 'sdpa' with padding"
            )
        return sdpa_attention_forward(
            module, query, key, value, None, scaling=scaling, dropout=dropout, **kwargs
        )
    if query.shape[0] != 1:
        raise ValueError(
            f"attention '{PACKED_SDPA}' expects one packed row (batch size 1), got {query.shape[0]}"
        )
    edges = bounds.tolist()
    outputs = [
        torch.nn.functional.scaled_dot_product_attention(
            query[:, :, start:end],
            key[:, :, start:end],
            value[:, :, start:end],
            dropout_p=dropout,
            is_causal=True,
            scale=scaling,
            enable_gqa=query.shape[1] != key.shape[1],
        )
        for start, end in zip(edges[:-1], edges[1:], strict=True)
    ]
    return torch.cat(outputs, dim=2).transpose(1, 2).contiguous(), None


def register_packed_sdpa() -> None:
    """Make `attn_implementation="sdpa_packed"` available to from_pretrained (idempotent)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, flash_attention_mask

    AttentionInterface.register(PACKED_SDPA, packed_sdpa_attention)
    # Like flash attention it needs no 4-D mask: None for padding-free rows (cu_seq_lens gives boundaries).
    AttentionMaskInterface.register(PACKED_SDPA, flash_attention_mask)
