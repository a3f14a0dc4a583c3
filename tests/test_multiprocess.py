"""Two processes on CPU (torch.distributed, gloo): the multi-GPU code paths without GPUs.

Launched the way users launch them, `accelerate launch --config_file configs/accelerate/cpu_2proc.yaml
-m clinical_r1.cli ...`, on the tiny model for a few steps:

- PPO and SFT: 2 processes x batch b end with the same loss curve and weights as 1 process x batch 2b;
- GRPO: metrics count every rank's completions;
- only rank 0 writes into the output folder (rank 1's writes are recorded by an audit hook);
- SIGKILL of one rank mid-run, then a rerun: it resumes from the last complete checkpoint and ends
  with the weights of the uninterrupted run;
- FSDP2 (`fully_shard` over a CPU device mesh), which accelerate does not do on CPU, directly under
  torchrun: this file is also that script (`python -m torch.distributed.run ... test_multiprocess.py`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACCELERATE_CONFIG = ROOT / "configs" / "accelerate" / "cpu_2proc.yaml"
RECORDS = ROOT / "src" / "clinical_r1" / "data" / "samples" / "records.jsonl"

PPO = {"algo": "ppo", "batch_size": 4, "steps": 4, "max_new_tokens": 8, "max_prompt_tokens": 4096,
       "save_steps": 1, "learning_rate": 1e-3, "ppo": {"ppo_epochs": 2}}  # fmt: skip

# Rank != 0 records every write under CLINICAL_R1_AUDIT_ROOT (open for writing, mkdir, rename, remove)
# into CLINICAL_R1_AUDIT_LOG. Python-level writes only: native writers (safetensors) are not seen, and
# the trainers call those only from rank 0's save_pretrained.
SITECUSTOMIZE = '''
import os, sys
_root, _log, _rank = (os.environ.get(k) for k in ("CLINICAL_R1_AUDIT_ROOT", "CLINICAL_R1_AUDIT_LOG", "RANK"))
if _root and _log and _rank not in (None, "0"):
    _fd = os.open(_log + "." + _rank, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.write(_fd, ("start\\t" + _root + "\\n").encode())
    _WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def _note(event, path):
        try:
            path = os.path.abspath(os.fsdecode(path))
        except TypeError:
            return
        if path.startswith(_root):
            os.write(_fd, (event + "\\t" + path + "\\n").encode())

    def _hook(event, args):
        if event == "open" and args:
            mode, flags = args[1], args[2] if len(args) > 2 else 0
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS
            ):
                _note(event, args[0])
        elif event in ("os.mkdir", "os.rename", "os.replace", "os.remove", "os.rmdir", "shutil.rmtree",
                       "os.truncate", "shutil.copyfile"):
            _note(event, args[1] if event == "shutil.copyfile" else args[0])

    sys.addaudithook(_hook)
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def audit_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("audit")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return folder


def two_process_command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(ACCELERATE_CONFIG),
            "--main_process_port", str(free_port()), "-m", "clinical_r1.cli", *args]  # fmt: skip


def environment(audit_dir: Path, out: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(audit_dir), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false", "CLINICAL_R1_AUDIT_ROOT": str(out),
            "CLINICAL_R1_AUDIT_LOG": str(audit_dir / out.name)}  # fmt: skip


def launch(args: list[str], out: Path, audit_dir: Path) -> str:
    """Run a CLI command in 2 processes; its output (fails the test with the tail when it fails)."""
    result = subprocess.run(two_process_command(args), env=environment(audit_dir, out), capture_output=True,
                            text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout + result.stderr


def rank1_writes(audit_dir: Path, out: Path) -> set[tuple[str, str]]:
    """(event, path) of rank 1's writes under `out`."""
    log = audit_dir / f"{out.name}.1"
    assert log.exists(), "the audit hook did not start in rank 1"
    lines = [tuple(line.split("\t", 1)) for line in log.read_text().splitlines() if line]
    return {(event, path) for event, path in lines if event != "start"}


def weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def max_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max((a[k] - b[k]).abs().max().item() for k in a)


def rl_args(out: Path, model: Path, config: Path) -> list[str]:
    return ["rl", "--data", str(RECORDS), "--model", str(model), "--out", str(out), "--config", str(config)]


def only_rank0_wrote(audit_dir: Path, out: Path) -> None:
    # rank 1 may write its own random-number state into a checkpoint (accelerate's save_state, the TRL
    # trainer's rng_state_1.pth); nothing else
    # trainer's rng_state_1.pth); folders it makes too (the output folder, a checkpoint's); no other file
    own_state = ("random_states_1.", "rng_state_1.")
    files = {path for event, path in rank1_writes(audit_dir, out) if event != "os.mkdir"}
    assert not {p for p in files if not Path(p).name.startswith(own_state)}, files
    assert all(Path(p).is_relative_to(out / "checkpoints") for p in files), files


# --- PPO -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ppo_runs(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory, audit_dir: Path):
    """The same PPO run in 2 processes (CLI through accelerate) and in 1 (batch 4 = 2 x 2 either way)."""
    from clinical_r1.train.rl import RLConfig, run_rl

    folder = tmp_path_factory.mktemp("ppo")
    config = folder / "rl.yaml"
    config.write_text(yaml.safe_dump(PPO))
    two = folder / "two"
    output = launch(rl_args(two, tiny_model_dir, config), two, audit_dir)
    torch.set_num_threads(1)
    one = run_rl(RLConfig(**PPO), RECORDS, tiny_model_dir, folder / "one", progress=False)
    return {"two": two, "one": one, "output": output, "config": config}


def test_ppo_two_processes_equal_one_process_with_the_whole_batch(ppo_runs) -> None:
    two = json.loads((ppo_runs["two"] / "metrics.json").read_text())
    one = json.loads((ppo_runs["one"] / "metrics.json").read_text())
    assert two["world_size"] == 2 and one["world_size"] == 1
    for a, b in zip(two["history"], one["history"], strict=True):
        assert a["response_tokens"] == b["response_tokens"]  # the same responses were sampled
        for key in ("pg_loss", "vf_loss", "kl", "reward_mean"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-6), (a["step"], key)
    trained = max_difference(weights(ppo_runs["one"]), weights(ppo_runs["two"]))
    assert trained < 1e-5
    # and it did train: the weights moved far more than the difference
    moved = max_difference(weights(ppo_runs["one"]), _initial(ppo_runs["one"]))
    assert moved > 100 * max(trained, 1e-7)


def _initial(out: Path) -> dict[str, torch.Tensor]:
    model = json.loads((out / "metrics.json").read_text())["model"]
    return weights(Path(model))


def test_ppo_metrics_count_both_ranks_and_only_rank0_writes(ppo_runs, audit_dir: Path) -> None:
    two = ppo_runs["two"]
    metrics = json.loads((two / "metrics.json").read_text())
    steps, batch = PPO["steps"], PPO["batch_size"]
    for row in metrics["history"]:
        assert row["completions"] == batch  # 2 per process, summed
        assert sum(row["outcomes"].values()) == sum(row["sources"].values()) == batch
    calls = metrics["reward_calls"]
    assert calls["completions"] == steps * batch
    assert calls["outcomes"] == {"no_reasoning": steps * batch}  # the tiny model never reasons first
    assert calls["verdict_sources"] == {"parser": steps * batch}
    assert calls["response_tokens"] == sum(r["response_tokens"] for r in metrics["history"])
    # a line per step, from rank 0 only, naming it
    output = ppo_runs["output"]
    for step in range(1, steps + 1):
        assert f"[rank 0/2] PPO step {step}/{steps}  reward" in output
    assert "[rank 1/2] PPO step" not in output
    only_rank0_wrote(audit_dir, two)
    assert (two / "rl.png").exists() and (two / "model.safetensors").exists()


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid]
        found += children
        frontier += children
    return found


def _rank_pid(root: int, rank: int) -> int | None:
    for pid in _descendants(root):
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"RANK={rank}".encode() in env and b"LOCAL_RANK" in b"\0".join(env):
            return pid
    return None


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds rank 1 through /proc (Linux)")
def test_ppo_sigkill_of_one_rank_then_rerun_ends_like_the_uninterrupted_run(
    ppo_runs, tiny_model_dir: Path, tmp_path: Path, audit_dir: Path
) -> None:
    out = tmp_path / "killed"
    args = rl_args(out, tiny_model_dir, ppo_runs["config"])
    proc = subprocess.Popen(two_process_command(args), env=environment(audit_dir, out),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    second = out / "checkpoints" / "step-2" / "ppo_state.json"
    deadline = time.time() + 300
    while not second.exists():
        if proc.poll() is not None:
            pytest.fail(f"the run exited before step 2: {proc.stderr.read().decode()[-3000:]}")
        assert time.time() < deadline, "no checkpoint at step 2 within 300 s"
        time.sleep(0.01)
    rank1 = _rank_pid(proc.pid, 1)
    assert rank1 is not None, "rank 1's process not found"
    os.kill(rank1, signal.SIGKILL)
    proc.wait(timeout=300)
    assert proc.returncode != 0  # the launcher saw its worker die and stopped the other
    assert not (out / "metrics.json").exists()  # it really died mid-run
    states = (out / "checkpoints").glob("step-*/ppo_state.json")
    complete = sorted(int(p.parent.name.split("-")[1]) for p in states)
    assert complete and 2 <= complete[-1] < PPO["steps"]

    launch(args, out, audit_dir)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from_step"] == complete[-1] and metrics["global_step"] == PPO["steps"]
    assert [h["step"] for h in metrics["history"]] == list(range(1, PPO["steps"] + 1))
    assert metrics["reward_calls"]["completions"] == PPO["steps"] * PPO["batch_size"]  # the whole run
    assert max_difference(weights(out), weights(ppo_runs["two"])) < 1e-6
    # retention: keep_last (2) complete checkpoints, no leftovers of the killed save
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [f"step-{PPO['steps'] - 1}",
                                                                      f"step-{PPO['steps']}"]  # fmt: skip


# --- GRPO (TRL) ---------------------------------------------------------------------------------


def test_grpo_two_processes_count_every_ranks_completions(tiny_model_dir: Path, tmp_path: Path,
                                                          audit_dir: Path) -> None:  # fmt: skip
    settings = {"algo": "grpo", "batch_size": 2, "steps": 2, "max_new_tokens": 8, "max_prompt_tokens": 4096,
                "save_steps": 1, "grpo": {"num_generations": 2}}  # fmt: skip
    config = tmp_path / "grpo.yaml"
    config.write_text(yaml.safe_dump(settings))
    out = tmp_path / "grpo"
    output = launch(rl_args(out, tiny_model_dir, config), out, audit_dir)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["global_step"] == 2
    per_step = settings["batch_size"] * settings["grpo"]["num_generations"]  # 4: 2 on each rank
    assert [h["completions"] for h in metrics["history"]] == [per_step, per_step]
    assert metrics["reward_calls"]["outcomes"] == {"no_reasoning": 2 * per_step}
    assert metrics["reward_calls"]["verdict_sources"] == {"parser": 2 * per_step}
    assert "[rank 0/2] GRPO step 2/2  reward" in output and "[rank 1/2]" not in output
    only_rank0_wrote(audit_dir, out)


# --- SFT (TRL) ----------------------------------------------------------------------------------


def test_sft_two_processes_equal_one_process_with_the_whole_batch(tiny_model_dir: Path, tmp_path: Path,
                                                                  audit_dir: Path) -> None:  # fmt: skip
    from clinical_r1.records import write_jsonl
    from clinical_r1.train.sft import SFTStageConfig, run_sft

    sys.path.insert(0, str(Path(__file__).parent))
    from test_sft import examples

    data = tmp_path / "sft.jsonl"
    write_jsonl(data, examples(36))  # packed: more rows than 3 steps x 4 take (no uneven epoch tail)
    settings = {"max_length": 256, "max_steps": 3, "learning_rate": 3e-3, "lr_scheduler": "constant",
                "save_steps": 1, "packing": True, "seed": 1}  # fmt: skip
    config = tmp_path / "sft.yaml"
    config.write_text(yaml.safe_dump({**settings, "per_device_batch_size": 2}))
    two = tmp_path / "two"
    launch(["sft", "--data", str(data), "--model", str(tiny_model_dir), "--out", str(two), "--config",
            str(config)], two, audit_dir)  # fmt: skip
    torch.set_num_threads(1)
    one = run_sft(SFTStageConfig(**settings, per_device_batch_size=4), data, tiny_model_dir, tmp_path / "one")

    a = json.loads((two / "metrics.json").read_text())
    b = json.loads((one / "metrics.json").read_text())
    assert a["world_size"] == 2 and b["world_size"] == 1
    # at an epoch's uneven tail accelerate repeats samples to even out the processes' batches: not here
    assert b["rows"] >= 3 * 4
    assert [h["loss"] for h in a["loss_history"]] == pytest.approx([h["loss"] for h in b["loss_history"]],
                                                                   rel=1e-5)  # fmt: skip
    assert max_difference(weights(two), weights(one)) < 1e-5
    assert max_difference(weights(one), weights(tiny_model_dir)) > 1e-3  # it trained
    only_rank0_wrote(audit_dir, two)


# --- FSDP2 directly (accelerate runs FSDP on accelerators only) --------------------------------

FSDP_STEPS, FSDP_BATCH, FSDP_LENGTH = 3, 4, 16


def _fsdp_batches(vocab: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(7)
    shape = (FSDP_BATCH, FSDP_LENGTH)
    return [torch.randint(0, vocab, shape, generator=generator) for _ in range(FSDP_STEPS)]


def fsdp_train(model_dir: str, out: str) -> None:
    """Train the tiny model a few causal-LM steps; under torchrun each rank holds a shard (FSDP2)."""
    from transformers import AutoModelForCausalLM

    distributed = "RANK" in os.environ
    rank, world = 0, 1
    if distributed:
        import torch.distributed as dist
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard

        dist.init_process_group("gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    if distributed:
        mesh = init_device_mesh("cpu", (world,))
        for layer in model.model.layers:
            fully_shard(layer, mesh=mesh)
        fully_shard(model, mesh=mesh)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for batch in _fsdp_batches(model.config.vocab_size):
        rows = batch[rank::world]  # each rank its share of the global batch (equal token counts)
        loss = model(input_ids=rows, labels=rows, use_cache=False).loss
        loss.backward()  # FSDP2 reduce-scatters the gradients as an average over ranks
        optimizer.step()
        optimizer.zero_grad()
        reported = loss.detach().clone()
        if distributed:
            dist.all_reduce(reported)
            reported /= world
        losses.append(reported.item())
    state = {}
    if distributed:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        sharded = model.model.layers[0].mlp.up_proj.weight
        state = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
        shapes = {"local": list(sharded.to_local().shape), "full": list(sharded.shape)}
    else:
        state = model.state_dict()
        shapes = {}
    if rank == 0:
        torch.save({"losses": losses, "state": state, "shapes": shapes, "world": world}, out)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


def test_fsdp2_two_shards_equal_one_process(tiny_model_dir: Path, tmp_path: Path) -> None:
    sharded, whole = tmp_path / "fsdp.pt", tmp_path / "one.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
               str(free_port()), __file__, str(tiny_model_dir), str(sharded)]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    torch.set_num_threads(1)
    fsdp_train(str(tiny_model_dir), str(whole))
    a, b = torch.load(sharded), torch.load(whole)
    assert a["world"] == 2 and a["shapes"]["local"][0] * 2 == a["shapes"]["full"][0]  # really sharded
    assert a["losses"] == pytest.approx(b["losses"], rel=1e-5)
    assert a["state"].keys() == b["state"].keys()
    assert max((a["state"][k] - b["state"][k]).abs().max().item() for k in b["state"]) < 1e-5


if __name__ == "__main__":  # torchrun entry of test_fsdp2_two_shards_equal_one_process
    fsdp_train(sys.argv[1], sys.argv[2])
