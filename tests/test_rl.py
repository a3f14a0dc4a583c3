"""RL: PPO's parts (masks, rewards, GAE, losses), PPO and GRPO runs on the tiny model, resume, CLI, data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.config import ConfigError
from clinical_r1.records import SAMPLE_RECORDS, RecordError
from clinical_r1.testing.toy_rl import build_letter_model, letter_share_reward, write_letter_prompts
from clinical_r1.train.ppo import (
    KeyedSampler,
    Rollout,
    gae,
    keyed_uniform,
    ppo_losses,
    response_mask_from_eos,
    sequence_logprobs_and_values,
    token_rewards,
)
from clinical_r1.train.rl import RLConfig, run_rl
from clinical_r1.train.rl_data import load_prompts

EOS = 9


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def letter_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_letter_model(tmp_path_factory.mktemp("letters"))


# --- PPO's parts -------------------------------------------------------------------------------


def test_response_mask_ends_at_the_first_eos() -> None:
    response = torch.tensor([[5, 6, EOS, 7, EOS], [5, 6, 7, 8, 6], [EOS, 1, 1, 1, 1]])
    mask, has_eos = response_mask_from_eos(response, [EOS])
    assert mask.tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]
    assert has_eos.tolist() == [True, False, True]


def test_score_lands_on_the_last_response_token_and_kl_everywhere_else() -> None:
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    logprobs = torch.full((2, 4), -1.0)
    ref = torch.full((2, 4), -1.5)  # KL estimate 0.5 per token
    rewards, kl = token_rewards(torch.tensor([1.0, 0.1]), logprobs, ref, mask, kl_coef=0.1)
    assert torch.allclose(rewards[0], torch.tensor([-0.05, -0.05, 0.95, 0.0]))
    assert torch.allclose(rewards[1], torch.tensor([0.05, 0.0, 0.0, 0.0]))
    assert torch.allclose(kl.sum(dim=1), torch.tensor([1.5, 0.5]))  # padding adds no KL


def test_gae_with_gamma_and_lambda_one_is_reward_to_go_minus_value() -> None:
    rewards = torch.tensor([[0.0, 0.0, 1.0, 0.0]])
    values = torch.tensor([[0.5, 0.25, 0.125, 9.0]])  # 9.0 sits on padding and must be ignored
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    advantages, returns = gae(rewards, values, mask, gamma=1.0, lam=1.0)
    assert torch.allclose(advantages, torch.tensor([[0.5, 0.75, 0.875, 0.0]]))
    assert torch.allclose(returns, torch.tensor([[1.0, 1.0, 1.0, 0.0]]))
    discounted, _ = gae(rewards, torch.zeros_like(values), mask, gamma=0.5, lam=1.0)
    assert torch.allclose(discounted, torch.tensor([[0.25, 0.5, 1.0, 0.0]]))


def test_losses_ignore_padding_and_clip_the_ratio() -> None:
    mask = torch.tensor([[1.0, 1.0, 0.0]])
    old = torch.zeros(1, 3)
    adv = torch.tensor([[1.0, 1.0, 1.0]])
    values, returns = torch.zeros(1, 3), torch.ones(1, 3)
    new = torch.tensor([[0.5, 0.0, 0.0]], requires_grad=True)  # ratio e^0.5 = 1.65 > 1.2 on token 0
    pg, vf, stats = ppo_losses(new, old, adv, values, values, returns, mask, 0.2, 0.2)
    pg.backward()
    assert new.grad[0, 0] == 0  # clipped: no push beyond the trust region
    assert new.grad[0, 1] != 0 and new.grad[0, 2] == 0  # padding gets no gradient
    assert stats["clipfrac"] == 0.5
    # value clipping: a prediction moved 1.0 from the old value counts as the clipped one (0.2)
    moved = torch.tensor([[1.0, 1.0, 5.0]])
    _, vf, _ = ppo_losses(old, old, adv, moved, values, returns, mask, 0.2, 0.2)
    assert vf.item() == pytest.approx(0.5 * 0.64)
    # whatever sits on padding changes nothing
    noisy = torch.tensor([[0.5, 0.0, 7.0]])
    assert ppo_losses(noisy, old, adv, values, values, returns, mask, 0.2, 0.2)[0] == pytest.approx(pg.item())


def test_left_padded_prompts_give_the_same_logprobs_as_alone(letter_model: Path) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(letter_model)).eval()
    pad = 0
    short, long = [4, 5, 6], [7, 8, 9, 10, 11, 12]
    response = torch.tensor([[6, 7, 2, pad], [5, 5, 5, 5]])  # first row ends early (EOS 2), then padding
    response_mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    query = torch.tensor([[pad] * 3 + short, long])
    query_mask = torch.tensor([[0] * 3 + [1] * 3, [1] * 6])
    batch = Rollout(query, query_mask, response, response_mask, [False, False])
    with torch.no_grad():
        together, _ = sequence_logprobs_and_values(model, batch, 1.0, with_values=False)
        alone = Rollout(torch.tensor([short]), torch.ones(1, 3, dtype=torch.long), response[:1, :3],
                        response_mask[:1, :3], [False])  # fmt: skip
        single, _ = sequence_logprobs_and_values(model, alone, 1.0, with_values=False)
    assert torch.allclose(together[0, :3], single[0], atol=1e-5)


# --- runs on the tiny model --------------------------------------------------------------------

TINY = dict(batch_size=2, steps=2, max_new_tokens=8, save_steps=1, max_prompt_tokens=4096)


def test_ppo_run_from_the_cli_gives_a_loadable_model_and_logs(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "rl.yaml"
    config.write_text("batch_size: 2\nmax_prompt_tokens: 4096\nsave_steps: 1\nppo: {ppo_epochs: 1}\n")
    out = tmp_path / "ppo"
    # `--model tiny` is the built-in tiny model, as in the pipeline (here: the session's copy).
    monkeypatch.setattr("clinical_r1.tiny.ensure_tiny_model", lambda *a, **k: tiny_model_dir)
    args = ["rl", "--algo", "ppo", "--data", str(SAMPLE_RECORDS), "--model", "tiny"]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--config", str(config), "--steps", "2",
                                      "--max-new-tokens", "8"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "model saved to" in result.output
    # a line per step: reward, KL, outcome shares, seconds
    for step in (1, 2):
        line = next(x for x in result.output.splitlines() if f"PPO step {step}/2" in x)
        assert "reward 0.000" in line and " kl " in line and "no-reasoning 100%" in line and "s/step" in line

    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(out))
    assert AutoTokenizer.from_pretrained(str(out)).chat_template
    original = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))
    assert not torch.equal(model.model.norm.weight, original.model.norm.weight)  # it was trained
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["algo"] == "ppo" and metrics["global_step"] == 2
    for key in ["reward_mean", "share_correct", "share_wrong", "share_no_reasoning", "kl", "pg_loss",
                "vf_loss", "response_length"]:  # fmt: skip
        assert key in metrics["history"][-1], key
    # a random tiny model never reasons in the format: every reward is 0 through the real verifier
    assert metrics["history"][0]["share_no_reasoning"] == 1.0
    assert metrics["reward_calls"]["outcomes"] == {"no_reasoning": 4}
    assert metrics["history"][-1]["sources"] == {"parser": 2}  # verdict sources counted per step
    assert (out / "rl.png").stat().st_size > 0
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step-1", "step-2"]  # keep_last 2

    # the final model folder is the policy alone: no critic, no optimiser state (those are in checkpoints/)
    from safetensors.torch import load_file

    files = [p.name for p in out.iterdir() if p.is_file()]
    state_words = ("optimizer", "critic", "scheduler", "random_states")
    assert not [f for f in files if any(w in f for w in state_words)]
    assert not [f for f in files if f.endswith((".bin", ".pt", ".pth", ".pkl"))], files
    saved = load_file(str(out / "model.safetensors"))
    assert saved.keys() == load_file(str(tiny_model_dir / "model.safetensors")).keys()
    assert list((out / "checkpoints" / "step-2").glob("optimizer*"))  # resuming still has it


def test_ppo_resume_continues_exactly_where_it_stopped(letter_model: Path, tmp_path: Path) -> None:
    data = write_letter_prompts(tmp_path / "prompts.jsonl")
    base = dict(algo="ppo", learning_rate=1e-2, batch_size=4, max_new_tokens=6, save_steps=1,
                system_prompts={"en": ""}, seed=3)  # fmt: skip

    def train(steps: int, out: Path) -> dict:
        run_rl(RLConfig(**base, steps=steps), data, letter_model, out, letter_share_reward, progress=False)
        return json.loads((out / "metrics.json").read_text())

    straight = train(3, tmp_path / "straight")
    train(2, tmp_path / "resumed")  # stops after step 2 ...
    resumed = train(3, tmp_path / "resumed")  # ... and a rerun asking for 3 steps continues from it
    assert resumed["resumed_from_step"] == 2 and resumed["global_step"] == 3
    assert [h["reward_mean"] for h in resumed["history"]] == [h["reward_mean"] for h in straight["history"]]
    # the summary counts the whole run, the steps before the resume too
    assert resumed["reward_calls"]["completions"] == straight["reward_calls"]["completions"] == 3 * 4
    assert resumed["reward_calls"]["outcomes"] == straight["reward_calls"]["outcomes"] == {"custom": 12}

    from safetensors.torch import load_file

    a = load_file(str(tmp_path / "straight" / "model.safetensors"))
    b = load_file(str(tmp_path / "resumed" / "model.safetensors"))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


@pytest.mark.parametrize("algo", ["grpo", "rloo"])
def test_trl_algorithms_train_with_the_same_reward(algo: str, tiny_model_dir: Path, tmp_path: Path) -> None:
    config = RLConfig(algo=algo, **TINY, grpo={"num_generations": 2})
    out = run_rl(config, SAMPLE_RECORDS, tiny_model_dir, tmp_path / algo, progress=False)

    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(str(out))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["algo"] == algo and metrics["global_step"] == 2
    last = metrics["history"][-1]
    assert last["reward_mean"] == 0.0 and last["share_no_reasoning"] == 1.0
    assert last["sources"] == {"parser": 4}  # 2 prompts x 2 generations
    assert metrics["reward_calls"]["outcomes"] == {"no_reasoning": 8}  # 2 steps x 2 prompts x 2 generations
    assert (out / "rl.png").exists() and (out / "checkpoints" / "checkpoint-2").is_dir()


@pytest.mark.parametrize("algo", ["ppo", "grpo"])
def test_reward_gets_references_truncation_and_clean_text(
    algo: str, letter_model: Path, tmp_path: Path
) -> None:
    data = write_letter_prompts(tmp_path / "prompts.jsonl", n=4)
    seen: list[tuple[str, str, bool, str]] = []

    def spy(texts, items, truncated):
        seen.extend((i.id, i.reference, cut, t) for i, cut, t in zip(items, truncated, texts, strict=True))
        return letter_share_reward(texts, items, truncated)

    config = RLConfig(algo=algo, batch_size=4, steps=2, max_new_tokens=4, system_prompts={"en": ""},
                      grpo={"num_generations": 2}, seed=1)  # fmt: skip
    run_rl(config, data, letter_model, tmp_path / "out", reward_fn=spy, progress=False)
    assert {ref for _, ref, _, _ in seen} == {"a"}
    assert {i for i, _, _, _ in seen} <= {"toy0", "toy1", "toy2", "toy3"}
    # truncated = no EOS within the 4 tokens; a response that stopped spent a token on EOS
    cuts = [cut for _, _, cut, _ in seen]
    assert True in cuts and False in cuts
    assert all(len(text) < 4 for _, _, cut, text in seen if not cut)
    # nothing after the EOS, and no special token, reaches the reward as text
    assert all(set(text) <= set("abcdefgh \n") for _, _, _, text in seen), seen


def test_trl_resumed_summary_counts_the_whole_run_and_keeps_the_last_checkpoints(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = {**TINY, "grpo": {"num_generations": 2}, "keep_last": 1}
    out = tmp_path / "grpo"
    first = RLConfig(algo="grpo", **{**settings, "steps": 1})
    run_rl(first, SAMPLE_RECORDS, tiny_model_dir, out, progress=False)
    run_rl(RLConfig(algo="grpo", **settings), SAMPLE_RECORDS, tiny_model_dir, out)  # resumes, 1 more step
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from_step"] == 1 and metrics["global_step"] == 2
    assert metrics["reward_calls"]["outcomes"] == {"no_reasoning": 8}  # 2 steps x 2 prompts x 2, not 4
    assert metrics["reward_calls"]["verdict_sources"] == {"parser": 8}
    assert [p.name for p in (out / "checkpoints").glob("checkpoint-*")] == ["checkpoint-2"]  # keep_last: 1
    assert "GRPO step 2/2  reward 0.000" in capsys.readouterr().out  # the per-step line
    assert not [p for p in out.iterdir() if p.is_file() and "optimizer" in p.name]


def test_keep_last_accepts_its_old_name_but_not_both() -> None:
    assert RLConfig(save_total_limit=3).keep_last == 3
    assert RLConfig().keep_last == 2
    with pytest.raises(ValueError, match="keep_last only"):
        RLConfig(save_total_limit=3, keep_last=1)


def test_keyed_sampling_follows_the_distribution_and_ignores_the_batch() -> None:
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
    logits = probs.log().expand(4000, 4)
    ids = torch.zeros(4000, 3, dtype=torch.long)  # prompt width 3, first sampled position
    sampler = KeyedSampler(torch.arange(4000), seed=5, step=2, prompt_width=3, temperature=1.0, top_p=1.0)
    picks = sampler(ids, logits).argmax(dim=1)
    shares = torch.bincount(picks, minlength=4).float() / 4000
    assert torch.allclose(shares, probs, atol=0.03), shares  # ~4 standard errors
    # a slot draws the same token whatever batch it is in; other slots, steps or seeds draw afresh
    alone = KeyedSampler(torch.tensor([17]), 5, 2, 3, 1.0, 1.0)(ids[:1], logits[:1]).argmax(dim=1)
    assert alone.item() == picks[17].item()
    slots = torch.arange(8)
    draws = keyed_uniform(slots, 5, 2, 0)
    assert len(set(draws.tolist())) == 8 and bool(((draws > 0) & (draws < 1)).all())
    assert torch.equal(draws[3:4], keyed_uniform(slots[3:4], 5, 2, 0))  # a slot's number, alone or not
    assert not torch.equal(draws, keyed_uniform(slots, 5, 3, 0))  # another step
    assert not torch.equal(draws, keyed_uniform(slots, 6, 2, 0))  # another seed
    assert not torch.equal(draws, keyed_uniform(slots, 5, 2, 1))  # another position
    # top_p keeps the nucleus only: with 0.7, tokens 2 and 3 (the last 20%) never come
    nucleus = KeyedSampler(torch.arange(4000), 5, 2, 3, 1.0, 0.7)(ids, logits).argmax(dim=1)
    assert set(nucleus.tolist()) == {0, 1}


# --- data and CLI errors -----------------------------------------------------------------------


def test_prompts_from_records_and_from_training_examples(tmp_path: Path) -> None:
    records = load_prompts(SAMPLE_RECORDS)
    assert records[0].reference and records[0].question
    examples = tmp_path / "examples.jsonl"
    row = {"id": "e1", "question": "Case?", "thinking": "t", "response": "r", "reference": "gout",
           "language": "zh"}  # fmt: skip
    examples.write_text(json.dumps(row) + "\n")
    [item] = load_prompts(examples)
    assert (item.question, item.reference, item.language) == ("Case?", "gout", "zh")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "text": "?"}) + "\n")
    with pytest.raises(RecordError, match="bad.jsonl:1"):
        load_prompts(bad)
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"id": "x", "language": "en", "case": "c"}) + "\n")
    with pytest.raises(RecordError, match="diagnosis"):
        load_prompts(broken)


def test_cli_needs_data_model_and_out_and_rejects_bad_configs(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["rl", "--algo", "ppo", "--data", str(SAMPLE_RECORDS)])
    assert result.exit_code != 0 and "--model" in result.output
    config = tmp_path / "rl.yaml"
    config.write_text("algo: ppo\nkl_coeff: 0.1\n")
    args = [
        "rl",
        "--data",
        str(SAMPLE_RECORDS),
        "--model",
        "m",
        "--out",
        str(tmp_path),
        "--config",
        str(config),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0 and "kl_coeff" in str(result.exception)


def test_grpo_settings_reach_trl_including_vllm(tmp_path: Path) -> None:
    from clinical_r1.train.grpo import _trl_args

    grpo = {"num_generations": 4, "use_vllm": True, "vllm_mode": "server",
            "vllm_server_base_url": "http://127.0.0.1:8000"}  # fmt: skip
    args = _trl_args(RLConfig(algo="grpo", batch_size=4, grpo=grpo), tmp_path, total_steps=3)
    assert (args.use_vllm, args.vllm_mode, args.vllm_server_base_url) == (
        True,
        "server",
        "http://127.0.0.1:8000",
    )
    assert (args.beta, args.epsilon, args.learning_rate, args.max_steps) == (0.03, 0.2, 5e-7, 3)
    # 4 prompts x 4 generations = 16 completions per step: 4 per micro-step, 4 accumulation steps
    assert (args.per_device_train_batch_size, args.gradient_accumulation_steps) == (4, 4)
    with pytest.raises(ConfigError, match="divisible"):
        odd = RLConfig(algo="rloo", batch_size=3, grpo={"num_generations": 2, "per_device_batch_size": 4})
        _trl_args(odd, tmp_path, total_steps=1)
