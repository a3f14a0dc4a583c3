"""PPO with a critic, as in the paper (2.2.2): compact, on transformers + accelerate.

TRL 1.13+ dropped its PPOTrainer (and the last one wanted a reward *model*), so the algorithm lives
here, one function per part, in the classic RLHF form (InstructGPT / TRL <= 0.11 / verl's `gae`):

1. `generate_rollouts`: sample responses for left-padded prompts; cut each at its first EOS.
2. `sequence_logprobs_and_values`: per-token log-probs (policy, frozen reference) and values (critic).
3. `token_rewards`: per token `-kl_coef * (logp - logp_ref)`; the last response token adds the score.
4. `gae`: generalised advantage estimation (gamma, lambda) and returns; advantages whitened.
5. `ppo_losses`: clipped policy loss + clipped value loss, over response tokens only.

The critic is a separate copy of the starting model's transformer with a scalar head (as in verl and
OpenRLHF); policy and critic are wrapped in one module so one `accelerator.prepare` and one optimiser
handle both and the loss is `policy_loss + vf_coef * value_loss` (the paper's value coefficient).
Padding: prompts are left-padded, responses right-padded; every sum and mean over tokens is masked,
position ids follow the attention mask, and nothing after the first EOS counts.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from pydantic import Field
from torch import nn

from clinical_r1.config import StrictModel
from clinical_r1.train.reward import OUTCOMES, RewardResult
from clinical_r1.train.rl_data import PromptItem, tokenize_prompts

if TYPE_CHECKING:
    from clinical_r1.train.rl import RLConfig

CHECKPOINTS = "checkpoints"

# (completions, their prompt items, truncated flags) -> one RewardResult (or plain float) per completion
RewardFn = Callable[[list[str], list[PromptItem], list[bool]], Sequence[RewardResult | float]]


class PPOSettings(StrictModel):
    ppo_epochs: int = Field(3, ge=1, description="Passes over each rollout batch (paper: 3).")
    mini_batches: int = Field(
        1, ge=1, description="Optimiser steps per pass (rollout batch split in this many)."
    )
    gamma: float = Field(1.0, ge=0, le=1, description="Discount (paper: 1.0).")
    lam: float = Field(0.95, ge=0, le=1, description="GAE lambda (not given in the paper).")
    vf_coef: float = Field(1.0, ge=0, description="Value loss coefficient (paper: 1.0).")
    cliprange_value: float = Field(0.2, gt=0, description="Value clipping around the old values.")
    whiten_advantages: bool = True
    forward_batch_size: int | None = Field(None, ge=1, description="Rows per no-grad forward (None: all).")


# --- models ------------------------------------------------------------------------------------


class ValueModel(nn.Module):
    """The critic: a causal LM's transformer body with a scalar head, one value per position."""

    def __init__(self, body: nn.Module, hidden_size: int) -> None:
        super().__init__()
        self.body = body
        self.head = nn.Linear(hidden_size, 1)
        nn.init.normal_(self.head.weight, std=1.0 / math.sqrt(hidden_size + 1))
        nn.init.zeros_(self.head.bias)

    @classmethod
    def from_pretrained(cls, model_path: str | Path, **kwargs: Any) -> ValueModel:
        from transformers import AutoModel

        body = AutoModel.from_pretrained(str(model_path), **kwargs)
        return cls(body, body.config.hidden_size)

    def forward(self, input_ids, attention_mask, position_ids) -> torch.Tensor:
        hidden = self.body(
            input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, use_cache=False
        ).last_hidden_state
        return self.head(hidden).squeeze(-1).float()


class PolicyAndValue(nn.Module):
    """Policy and critic as one module: one optimiser, one DDP/FSDP wrapper, one backward."""

    def __init__(self, policy: nn.Module, critic: ValueModel) -> None:
        super().__init__()
        self.policy = policy
        self.critic = critic

    def forward(
        self, input_ids, attention_mask, position_ids, logits_to_keep: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.policy(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            use_cache=False,
            logits_to_keep=logits_to_keep,
        ).logits
        values = self.critic(input_ids, attention_mask, position_ids)
        return logits, values


def disable_dropout(model: nn.Module) -> None:
    """PPO's ratio must compare the same function before and after the update: no dropout noise."""
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0


# --- 1. rollouts -------------------------------------------------------------------------------


@dataclass
class Rollout:
    query: torch.Tensor  # [B, P] left-padded prompt ids
    query_mask: torch.Tensor  # [B, P]
    response: torch.Tensor  # [B, R] right-padded response ids (pad after the first EOS)
    response_mask: torch.Tensor  # [B, R] 1 up to and including the first EOS
    truncated: list[bool]  # no EOS within max_new_tokens

    @property
    def input_ids(self) -> torch.Tensor:
        return torch.cat([self.query, self.response], dim=1)

    @property
    def attention_mask(self) -> torch.Tensor:
        return torch.cat([self.query_mask, self.response_mask], dim=1)


def eos_token_ids(tokenizer, generation_config=None) -> list[int]:
    ids = {tokenizer.eos_token_id}
    configured = getattr(generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured:
        ids.update(configured)
    return sorted(i for i in ids if i is not None)


def response_mask_from_eos(
    response: torch.Tensor, eos_ids: Sequence[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mask up to and including the first EOS of each row, and whether the row has any EOS."""
    is_eos = torch.isin(response, torch.tensor(list(eos_ids), device=response.device))
    has_eos = is_eos.any(dim=1)
    first = torch.where(
        has_eos, is_eos.int().argmax(dim=1), torch.full_like(has_eos, response.shape[1], dtype=torch.long)
    )
    positions = torch.arange(response.shape[1], device=response.device).unsqueeze(0)
    mask = (positions <= first.unsqueeze(1)).long()
    return mask, has_eos


_MASK32 = 0xFFFFFFFF


def _mix32(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer hash (xor-shift-multiply rounds) on int64 tensors; products stay below 2**63."""
    x = x & _MASK32
    x = ((x ^ (x >> 16)) * 0x7FEB352D) & _MASK32
    x = ((x ^ (x >> 15)) * 0x2C1B3C6D) & _MASK32
    x = ((x ^ (x >> 16)) * 0x297A2D39) & _MASK32
    return x ^ (x >> 16)


def keyed_uniform(keys: torch.Tensor, seed: int, step: int, position: int) -> torch.Tensor:
    """One uniform number in (0, 1) per row that depends only on (seed, step, row key, position).

    Counter-based, so a sample never depends on which process drew it, on the batch around it, or on a
    random-number state to restore after a resume: the same prompt slot samples the same tokens.
    """
    bits = _mix32(_mix32(_mix32(_mix32(torch.full_like(keys, seed)) ^ step) ^ keys) ^ position)
    return ((bits >> 8).double() + 0.5) / 2.0**24  # 24 random bits, never 0 or 1


class KeyedSampler:
    """Sampling at `temperature` / `top_p` as a logits processor for greedy decoding, by inverse CDF:
    the token where the cumulative probability first exceeds the row's `keyed_uniform` number (an exact
    sample), returned as the only finite score, so greedy decoding picks it."""

    def __init__(self, keys: torch.Tensor, seed: int, step: int, prompt_width: int, temperature: float,
                 top_p: float) -> None:  # fmt: skip
        from transformers import TemperatureLogitsWarper, TopPLogitsWarper

        self.keys, self.seed, self.step, self.prompt_width = keys, seed, step, prompt_width
        self.warpers = [TemperatureLogitsWarper(temperature)]
        if top_p < 1:
            self.warpers.append(TopPLogitsWarper(top_p))

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        scores = scores.float()
        for warper in self.warpers:
            scores = warper(input_ids, scores)
        position = input_ids.shape[1] - self.prompt_width
        uniform = keyed_uniform(self.keys.to(scores.device), self.seed, self.step, position)
        cdf = torch.softmax(scores, dim=-1).cumsum(dim=-1)
        target = (uniform.to(cdf.dtype) * cdf[:, -1]).unsqueeze(1)
        chosen = torch.searchsorted(cdf, target).clamp(max=scores.shape[1] - 1)
        picked = torch.full_like(scores, float("-inf"))
        return picked.scatter_(1, chosen, 0.0)


@torch.no_grad()
def generate_rollouts(
    policy,
    tokenizer,
    prompts: list[list[int]],
    max_new_tokens: int,
    temperature: float,
    top_p: float,
    keys: Sequence[int] | None = None,
    seed: int = 0,
    step: int = 0,
) -> Rollout:
    """Sample one response per prompt (prompts left-padded as generation needs).

    With `keys` (one per prompt: its slot in the step's global batch) sampling uses `KeyedSampler`, so a
    slot's response is the same whichever process generates it; without, generate's own sampling.
    """
    from transformers import LogitsProcessorList

    device = next(policy.parameters()).device
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    width = max(len(p) for p in prompts)
    query = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    query_mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, ids in enumerate(prompts):
        query[row, width - len(ids) :] = torch.tensor(ids)
        query_mask[row, width - len(ids) :] = 1
    query, query_mask = query.to(device), query_mask.to(device)
    eos_ids = eos_token_ids(tokenizer, getattr(policy, "generation_config", None))
    if keys is None:
        sampling: dict[str, Any] = dict(do_sample=True, temperature=temperature, top_p=top_p, top_k=0)
    else:
        sampler = KeyedSampler(torch.tensor(list(keys)), seed, step, width, temperature, top_p)
        sampling = dict(do_sample=False, num_beams=1, logits_processor=LogitsProcessorList([sampler]),
                        temperature=None, top_p=None, top_k=None)  # fmt: skip
    was_training = policy.training
    policy.eval()
    output = policy.generate(
        input_ids=query,
        attention_mask=query_mask,
        max_new_tokens=max_new_tokens,
        eos_token_id=eos_ids,
        pad_token_id=pad_id,
        **sampling,
    )
    policy.train(was_training)
    response = output[:, width:]
    mask, has_eos = response_mask_from_eos(response, eos_ids)
    response = torch.where(mask.bool(), response, torch.full_like(response, pad_id))
    length = int(mask.sum(dim=1).max())  # drop columns that are padding in every row
    return Rollout(query, query_mask, response[:, :length], mask[:, :length], (~has_eos).tolist())


# --- 2. log-probs and values -------------------------------------------------------------------


def position_ids_for(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions count real tokens only, so a left-padded prompt starts at position 0."""
    return (attention_mask.cumsum(dim=1) - 1).clamp(min=0)


def response_logprobs(logits: torch.Tensor, response: torch.Tensor, temperature: float) -> torch.Tensor:
    """Log-prob of each response token; logits cover the whole sequence (prompt width = total - R)."""
    width = response.shape[1]
    logits = logits[:, -width - 1 : -1].float() / temperature  # the position before each response token
    return torch.log_softmax(logits, dim=-1).gather(-1, response.unsqueeze(-1)).squeeze(-1)


def sequence_logprobs_and_values(
    model: nn.Module, rollout: Rollout, temperature: float, with_values: bool, batch_size: int | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-token log-probs of the responses (and critic values at the same positions)."""
    input_ids, attention_mask = rollout.input_ids, rollout.attention_mask
    positions = position_ids_for(attention_mask)
    width = rollout.response.shape[1]
    step = batch_size or input_ids.shape[0]
    logprobs, values = [], []
    for start in range(0, input_ids.shape[0], step):
        rows = slice(start, start + step)
        if with_values:
            # Only the positions that predict response tokens need logits (the vocabulary is wide).
            logits, value = model(input_ids[rows], attention_mask[rows], positions[rows], width + 1)
            values.append(value[:, -width - 1 : -1])
        else:
            logits = model(
                input_ids=input_ids[rows],
                attention_mask=attention_mask[rows],
                position_ids=positions[rows],
                use_cache=False,
                logits_to_keep=width + 1,
            ).logits
        logprobs.append(response_logprobs(logits, rollout.response[rows], temperature))
    return torch.cat(logprobs), (torch.cat(values) if with_values else None)


# --- 3. rewards, 4. advantages -----------------------------------------------------------------


# Sums a tensor over all processes (identity in a single process): the global statistics of a step.
Reduce = Callable[[torch.Tensor], torch.Tensor]


def _local(x: torch.Tensor) -> torch.Tensor:
    return x


def masked_mean(x: torch.Tensor, mask: torch.Tensor, count: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over the masked positions; `count` divides instead of this batch's count (the tokens of the
    whole step over all processes, so that the processes' losses add up to the global mean)."""
    denominator = mask.sum() if count is None else count
    return (x * mask).sum() / denominator.clamp(min=1)


def masked_whiten(
    x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-8, reduce: Reduce = _local
) -> torch.Tensor:
    """Zero mean, unit variance over the masked positions of all processes (`reduce` sums across them)."""
    count = reduce(mask.sum().double())
    mean = reduce((x * mask).sum().double()) / count.clamp(min=1)
    var = reduce((((x - mean) ** 2) * mask).sum().double()) / count.clamp(min=1)
    return ((x - mean) * torch.rsqrt(var + eps) * mask).to(x.dtype)


def token_rewards(
    scores: torch.Tensor,
    logprobs: torch.Tensor,
    ref_logprobs: torch.Tensor,
    mask: torch.Tensor,
    kl_coef: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token rewards: the KL penalty everywhere, plus the score on the last response token."""
    kl = (logprobs - ref_logprobs) * mask
    rewards = -kl_coef * kl
    last = mask.sum(dim=1).long() - 1
    rows = torch.arange(rewards.shape[0], device=rewards.device)
    rewards[rows, last] += scores.to(rewards.dtype)
    return rewards, kl


def gae(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Advantages and returns; positions after the response end carry no value and no reward."""
    values = values * mask
    rewards = rewards * mask
    advantages = torch.zeros_like(rewards)
    running = torch.zeros(rewards.shape[0], device=rewards.device, dtype=rewards.dtype)
    for t in reversed(range(rewards.shape[1])):
        next_value = values[:, t + 1] if t + 1 < rewards.shape[1] else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = delta + gamma * lam * running
        advantages[:, t] = running
    advantages = advantages * mask
    return advantages, (advantages + values) * mask


# --- 5. losses ---------------------------------------------------------------------------------


def ppo_losses(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    mask: torch.Tensor,
    cliprange: float,
    cliprange_value: float,
    token_count: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
    """Clipped surrogate policy loss and clipped value loss, averaged over response tokens.

    `token_count`: the mini-batch's response tokens over all processes (None: this batch's): each
    process's loss is then its share of the global token mean.
    """
    log_ratio = (logprobs - old_logprobs) * mask
    ratio = torch.exp(log_ratio)
    pg_unclipped = -advantages * ratio
    pg_clipped = -advantages * torch.clamp(ratio, 1.0 - cliprange, 1.0 + cliprange)
    pg_loss = masked_mean(torch.maximum(pg_unclipped, pg_clipped), mask, token_count)

    values_clipped = old_values + torch.clamp(values - old_values, -cliprange_value, cliprange_value)
    vf_unclipped = (values - returns) ** 2
    vf_clipped = (values_clipped - returns) ** 2
    vf_loss = 0.5 * masked_mean(torch.maximum(vf_unclipped, vf_clipped), mask, token_count)

    with torch.no_grad():
        stats = {
            "clipfrac": masked_mean((pg_clipped > pg_unclipped).float(), mask).item(),
            "approx_kl": masked_mean(0.5 * log_ratio**2, mask).item(),
            "vf_clipfrac": masked_mean((vf_clipped > vf_unclipped).float(), mask).item(),
        }
    return pg_loss, vf_loss, stats


# --- the loop ----------------------------------------------------------------------------------


def batch_indices(step: int, n: int, batch_size: int, seed: int) -> list[int]:
    """The prompts of a step: consecutive slices of a fresh seeded shuffle per pass over the data."""
    import numpy as np

    out: list[int] = []
    while len(out) < batch_size:
        epoch, offset = divmod(step * batch_size + len(out), n)
        order = np.random.default_rng(seed + epoch).permutation(n)
        take = min(batch_size - len(out), n - offset)
        out.extend(int(i) for i in order[offset : offset + take])
    return out


class PPOTrainer:
    """Runs PPO steps on prompts with a reward function; checkpoints and resumes under `out_dir`."""

    def __init__(
        self,
        config: RLConfig,
        model_path: str | Path,
        prompts: list[PromptItem],
        reward_fn: RewardFn,
        out_dir: str | Path,
    ) -> None:
        from accelerate import Accelerator
        from accelerate.utils import set_seed
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.config, self.settings = config, config.ppo
        self.out_dir = Path(out_dir)
        cuda = torch.cuda.is_available()
        bf16 = config.bf16 if config.bf16 is not None else cuda and torch.cuda.is_bf16_supported()
        self.accelerator = Accelerator(mixed_precision="bf16" if bf16 else "no", cpu=not cuda)
        set_seed(config.seed)
        self.world = self.accelerator.num_processes
        if config.batch_size % self.world:
            raise ValueError(f"batch_size {config.batch_size} is not divisible by {self.world} processes")
        self.local_batch = config.batch_size // self.world
        if self.local_batch < self.settings.mini_batches:
            raise ValueError(
                f"{self.local_batch} prompts per process cannot make "
                f"{self.settings.mini_batches} mini-batches"
            )

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        self.prompts, self.prompt_ids, self.skipped = tokenize_prompts(
            self.tokenizer, prompts, config.system_prompts, config.max_prompt_tokens
        )
        policy = AutoModelForCausalLM.from_pretrained(str(model_path))
        critic = ValueModel.from_pretrained(model_path)
        self.reference = AutoModelForCausalLM.from_pretrained(
            str(model_path), dtype=torch.bfloat16 if bf16 else torch.float32
        ).to(self.accelerator.device)
        self.reference.eval().requires_grad_(False)
        for module in (policy, critic):
            disable_dropout(module)
        if config.gradient_checkpointing:
            policy.activation_checkpointing_enable({"use_reentrant": False})
            critic.body.activation_checkpointing_enable({"use_reentrant": False})
        model = PolicyAndValue(policy, critic)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay, eps=1e-5
        )
        self.model, self.optimizer = self.accelerator.prepare(model, optimizer)

        self.reward_fn = reward_fn
        self.step = 0
        self.history: list[dict[str, Any]] = []
        self.verbose = True

    # -- one step -------------------------------------------------------------------------------

    def _sum(self, x: torch.Tensor) -> torch.Tensor:
        """`x` summed over all processes (the step's global statistics)."""
        return self.accelerator.reduce(x, "sum") if self.world > 1 else x

    def train_step(self) -> dict[str, Any]:
        cfg, ppo, acc = self.config, self.settings, self.accelerator
        started = time.perf_counter()
        chosen = batch_indices(self.step, len(self.prompts), cfg.batch_size, cfg.seed)
        # this process's slots of the global batch; a slot samples the same response on any process
        slots = list(range(acc.process_index, cfg.batch_size, self.world))
        local = [chosen[j] for j in slots]
        items = [self.prompts[i] for i in local]
        unwrapped = acc.unwrap_model(self.model)

        rollout = generate_rollouts(
            unwrapped.policy,
            self.tokenizer,
            [self.prompt_ids[i] for i in local],
            cfg.max_new_tokens,
            cfg.temperature,
            cfg.top_p,
            keys=slots,
            seed=cfg.seed,
            step=self.step,
        )
        # after the first EOS every position holds the pad token, which decoding skips like the EOS itself
        texts = self.tokenizer.batch_decode(rollout.response, skip_special_tokens=True)
        results = [RewardResult.of(r) for r in self.reward_fn(texts, items, rollout.truncated)]
        scores = torch.tensor([r.score for r in results], device=acc.device, dtype=torch.float32)
        mask = rollout.response_mask.float()

        with torch.no_grad():
            old_logprobs, old_values = sequence_logprobs_and_values(
                self.model, rollout, cfg.temperature, with_values=True, batch_size=ppo.forward_batch_size
            )
            ref_logprobs, _ = sequence_logprobs_and_values(
                self.reference, rollout, cfg.temperature, with_values=False, batch_size=ppo.forward_batch_size
            )
            rewards, kl = token_rewards(scores, old_logprobs, ref_logprobs, mask, cfg.kl_coef)
            advantages, returns = gae(rewards, old_values, mask, ppo.gamma, ppo.lam)
            if ppo.whiten_advantages:  # over the whole step's tokens, on every process alike
                advantages = masked_whiten(advantages, mask, reduce=self._sum)

        losses: dict[str, list[float]] = {
            "pg_loss": [],
            "vf_loss": [],
            "clipfrac": [],
            "approx_kl": [],
            "vf_clipfrac": [],
        }
        generator = torch.Generator().manual_seed(cfg.seed * 100_003 + self.step)
        for _ in range(ppo.ppo_epochs):
            order = torch.randperm(len(local), generator=generator)
            for rows in order.chunk(ppo.mini_batches):
                rows = rows.to(acc.device)
                sub = Rollout(
                    rollout.query[rows],
                    rollout.query_mask[rows],
                    rollout.response[rows],
                    rollout.response_mask[rows],
                    [],
                )
                logprobs, values = sequence_logprobs_and_values(
                    self.model, sub, cfg.temperature, with_values=True
                )
                pg_loss, vf_loss, stats = ppo_losses(
                    logprobs,
                    old_logprobs[rows],
                    advantages[rows],
                    values,
                    old_values[rows],
                    returns[rows],
                    mask[rows],
                    cfg.clip_range,
                    ppo.cliprange_value,
                    token_count=self._sum(mask[rows].sum()),
                )
                # each process holds its share of the global token mean; DDP / FSDP average the
                # gradients over processes, so scaling by their number gives the global mean's gradient
                acc.backward((pg_loss + ppo.vf_coef * vf_loss) * self.world)
                if cfg.max_grad_norm:
                    acc.clip_grad_norm_(self.model.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
                self.optimizer.zero_grad()
                losses["pg_loss"].append(pg_loss.item())
                losses["vf_loss"].append(vf_loss.item())
                for key, value in stats.items():
                    losses[key].append(value)

        self.step += 1
        return self._step_log(results, scores, kl, mask, rollout.truncated, losses, started)

    def _step_log(self, results, scores, kl, mask, truncated, losses, started: float) -> dict[str, Any]:
        """The step's figures over all processes: sums and counts reduced, then divided."""
        from accelerate.utils import gather_object

        acc = self.accelerator
        totals = self._sum(
            torch.tensor(
                [scores.sum().item(), kl.sum().item(), mask.sum().item(), float(len(results)),
                 float(sum(truncated))],
                device=acc.device,
                dtype=torch.float64,
            )
        )  # fmt: skip
        reward_sum, kl_sum, tokens, n, cut = (v.item() for v in totals)
        outcomes: Counter[str] = Counter()
        sources: Counter[str] = Counter()
        local = (Counter(r.outcome for r in results), Counter(r.source for r in results))
        for o, src in gather_object([local]) if self.world > 1 else [local]:
            outcomes.update(o)
            sources.update(src)
        graded = any(o in outcomes for o in OUTCOMES)  # False for a plain-score reward (toy tasks)
        log: dict[str, Any] = {
            "step": self.step,
            "reward_mean": reward_sum / n,
            # shares of 1 / 0.1 / 0; None for a plain-score reward function that has no outcomes
            **{f"share_{o}": outcomes[o] / n if graded else None for o in OUTCOMES},
            "kl": kl_sum / max(tokens, 1.0),  # per response token (as TRL logs it)
            "kl_per_response": kl_sum / n,
            "response_length": tokens / n,
            # counts over all processes: the run's totals are sums of these (metrics.json reward_calls)
            "completions": int(n),
            "response_tokens": int(tokens),
            "truncated": int(cut),
            "outcomes": dict(sorted(outcomes.items())),
            "sources": dict(sorted(sources.items())),  # which verifier tier decided
        }
        for key, values in losses.items():
            mean = torch.tensor(sum(values) / len(values), device=acc.device)
            # policy / value losses are each process's share of the global mean: summed; the rest averaged
            log[key] = (self._sum(mean) if key in ("pg_loss", "vf_loss") else acc.reduce(mean, "mean")).item()
        seconds = torch.tensor(time.perf_counter() - started, device=acc.device, dtype=torch.float64)
        log["seconds"] = round((acc.reduce(seconds, "max") if self.world > 1 else seconds).item(), 3)
        return log

    # -- checkpoints ----------------------------------------------------------------------------

    def say(self, message: str) -> None:
        """A log line that names the process (every rank may call it)."""
        if self.verbose:
            rank = self.accelerator.process_index
            step_console().print(f"[rank {rank}/{self.world}] {message}", highlight=False, markup=False)

    def save_checkpoint(self) -> Path:
        """Policy, critic, optimiser (and each rank's random state) under checkpoints/step-N.

        The state file is written last, by rank 0, after every rank has written its part: a folder
        without it (a run killed while saving) is incomplete and never resumed from.
        """
        acc = self.accelerator
        folder = self.out_dir / CHECKPOINTS / f"step-{self.step}"
        acc.save_state(str(folder), safe_serialization=False)
        acc.wait_for_everyone()
        if acc.is_main_process:
            state = {"step": self.step, "history": self.history}
            (folder / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n")
            self._prune_checkpoints()
        acc.wait_for_everyone()
        return folder

    def _prune_checkpoints(self) -> None:
        limit = self.config.keep_last
        if not limit:
            return
        for old in _checkpoints(self.out_dir)[:-limit]:
            (old / STATE_FILE).unlink()  # first: a half-deleted folder must not look complete
            shutil.rmtree(old, ignore_errors=True)

    def resume(self) -> int:
        """Load the last complete checkpoint, if any; returns the step it ends at."""
        acc = self.accelerator
        found = _checkpoints(self.out_dir)
        if acc.is_main_process:  # leftovers of a run killed while saving
            complete = set(found)
            for folder in (self.out_dir / CHECKPOINTS).glob("step-*"):
                if folder not in complete:
                    shutil.rmtree(folder, ignore_errors=True)
        acc.wait_for_everyone()
        if not found:
            return 0
        folder = found[-1]
        acc.load_state(str(folder))
        state = json.loads((folder / STATE_FILE).read_text())
        self.step, self.history = state["step"], state["history"]
        self.say(f"resumed from {folder}")
        return self.step

    def save_model(self, folder: Path) -> None:
        """The policy alone as an ordinary HF folder (no critic, no optimiser state): rank 0 writes it."""
        self.accelerator.wait_for_everyone()
        policy = self.accelerator.unwrap_model(self.model).policy
        state_dict = self.accelerator.get_state_dict(self.model)  # gathers FSDP / ZeRO shards
        if self.accelerator.is_main_process:
            prefix = "policy."
            policy_state = {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}
            policy.save_pretrained(str(folder), state_dict=policy_state)
            self.tokenizer.save_pretrained(str(folder))
        self.accelerator.wait_for_everyone()


STATE_FILE = "ppo_state.json"


def _checkpoints(out_dir: Path) -> list[Path]:
    """Complete checkpoints (their state file written last), oldest first."""
    folder = out_dir / CHECKPOINTS
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("step-*") if (p / STATE_FILE).exists()]
    return sorted(found, key=lambda p: int(p.name.split("-", 1)[1]))


def step_console():
    """Where trainers print their per-step lines (stdout)."""
    from rich.console import Console

    return Console(stderr=False, soft_wrap=True)


OUTCOME_LABELS = {"correct": "right", "wrong": "wrong", "no_reasoning": "no-reasoning"}


def step_line(algo: str, log: dict[str, Any], total: int) -> str:
    """One line per step: reward, KL, outcome shares and seconds (PPO and the TRL trainers alike)."""
    parts = [f"{algo.upper()} step {log['step']}/{total}", f"reward {log['reward_mean']:.3f}"]
    if log.get("kl") is not None:
        parts.append(f"kl {log['kl']:.4f}")
    shares = [
        f"{label} {log[f'share_{o}']:.0%}"
        for o, label in OUTCOME_LABELS.items()
        if log.get(f"share_{o}") is not None
    ]
    if shares:
        parts.append(" ".join(shares))
    if log.get("seconds") is not None:
        parts.append(f"{log['seconds']:.1f} s/step")
    return "  ".join(parts)


def run_ppo(
    config: RLConfig,
    prompts: list[PromptItem],
    model: str | Path,
    out_dir: str | Path,
    reward_fn: RewardFn,
    progress: bool = True,
) -> tuple[Path, dict[str, Any]]:
    """Train for `config.steps` steps (resuming from the last checkpoint); save the final policy.

    Rank 0 prints a line per step and writes the model and checkpoints (each rank adds its own random
    state to a checkpoint); the step's figures are reduced over all processes.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    trainer = PPOTrainer(config, model, prompts, reward_fn, out_dir)
    trainer.verbose = progress
    total = config.total_steps(len(trainer.prompts))
    resumed = trainer.resume()
    started = time.time()
    main = trainer.accelerator.is_main_process
    if main:
        trainer.say(
            f"PPO: {len(trainer.prompts)} prompts, steps {resumed + 1}..{total}, {config.batch_size} prompts "
            f"a step over {trainer.world} process(es); a line after each step"
        )
    with Progress(
        TextColumn("PPO"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} {task.fields[info]}"),
        TimeRemainingColumn(),
        disable=not (progress and main),
        console=step_console(),
    ) as bar:
        task = bar.add_task("ppo", total=total, completed=resumed, info="")
        while trainer.step < total:
            log = trainer.train_step()
            trainer.history.append(log)
            if main and progress:
                line = f"[rank 0/{trainer.world}] {step_line('ppo', log, total)}"
                bar.console.print(line, highlight=False, markup=False)
            bar.update(
                task, completed=trainer.step, info=f"reward {log['reward_mean']:.3f} kl {log['kl']:.3f}"
            )
            if trainer.step % config.save_steps == 0 and trainer.step < total:
                trainer.save_checkpoint()
    trainer.save_model(out_dir)
    if trainer.step > resumed:  # keep the final state too, so a rerun with more steps continues from it
        trainer.save_checkpoint()
    summary = {
        "algo": "ppo",
        "global_step": trainer.step,
        "resumed_from_step": resumed,
        "runtime_s": round(time.time() - started, 2),
        "prompts": len(trainer.prompts),
        "prompts_skipped_too_long": trainer.skipped,
        "world_size": trainer.world,
        "history": trainer.history,
    }
    return out_dir, summary
