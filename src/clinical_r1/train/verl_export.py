"""Scale-out: hand the RL stage to verl (Ray, vLLM/SGLang rollouts, FSDP/Megatron, many nodes).

`export_verl` writes, into one folder:

- `train.parquet` (and `val.parquet`): verl's RL layout, one row per prompt: `data_source`,
  `prompt` (the chat messages, with the same system prompt SFT used), `ability`,
  `reward_model` {"style": "rule", "ground_truth": reference diagnosis}, `extra_info` {split, index,
  id, language, reference_icd10, question};
- `reward_fn.py` + `reward_config.json`: verl's custom reward function
  (`compute_score(data_source, solution_str, ground_truth, extra_info)`) wrapping our reward module,
  so verl scores exactly as `clinical-r1 rl` does (1 / 0.1 / 0 through the same parser and verifier);
- `run_ppo.sh`: `verl.trainer.main_ppo` with the paper's PPO settings (GAE critic, lr 5e-7, batch
  16, KL 0.03 in the reward, 3 PPO epochs, gamma 1.0, clip 0.2, value clip 0.2), nodes and GPUs from
  the environment.

verl pins its own transformers/vLLM, so it runs in its own environment; that environment needs this
package installed (`pip install clinical-r1` or `pip install -e .`) for the reward file's import.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from clinical_r1.train.rl import RLConfig, with_contract
from clinical_r1.train.rl_data import PromptItem, chat_prompt, load_prompts

DATA_SOURCE = "clinical_r1"
ABILITY = "clinical_diagnosis"


@dataclass
class VerlExport:
    folder: Path
    train: Path
    val: Path | None
    reward_file: Path
    reward_config: Path
    launch_script: Path
    rows: int


def verl_rows(items: list[PromptItem], split: str, system_prompts: dict[str, str] | None) -> list[dict]:
    return [
        {
            "data_source": DATA_SOURCE,
            "prompt": chat_prompt(item, system_prompts),
            "ability": ABILITY,
            "reward_model": {"style": "rule", "ground_truth": item.reference},
            "extra_info": {
                "split": split,
                "index": index,
                "id": item.id,
                "language": item.language,
                "reference_icd10": item.reference_icd10 or "",
                "question": item.question,
            },
        }
        for index, item in enumerate(items)
    ]


def write_parquet(rows: list[dict], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)


REWARD_FILE = '''"""verl custom reward function for clinical-r1 (written by `clinical-r1 rl export-verl`).

verl config: reward.custom_reward_function.path=<this file>, .name=compute_score (or, with
reward.reward_manager.name=batch, .name=compute_score_batch). The reward values and the verifier
settings are read from reward_config.json beside this file. Needs the clinical_r1 package installed.
verl gives the decoded response only, not whether it hit the length limit: a response cut off after
a complete answer still parses (our own trainers score it 0).
"""

import json
from pathlib import Path

from clinical_r1.train.reward import RewardConfig, Rewarder
from clinical_r1.verify import VerifierConfig

_CONFIG = json.loads(Path(__file__).with_name("reward_config.json").read_text(encoding="utf-8"))
_REWARDER = None


def _rewarder():
    global _REWARDER
    if _REWARDER is None:  # one per worker process: its verdict cache lives as long as the worker
        _REWARDER = Rewarder(
            RewardConfig.model_validate(_CONFIG["reward"]),
            verifier_config=VerifierConfig.model_validate(_CONFIG["verifier"]),
        )
    return _REWARDER


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info])[0]


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos, **kwargs):
    infos = [info or {} for info in extra_infos]
    results = _rewarder().score_details(
        list(solution_strs),
        list(ground_truths),
        [info.get("reference_icd10") or None for info in infos],
        [info.get("language") or "en" for info in infos],
    )
    return [result.score for result in results]
'''


def launch_script(config: RLConfig, model: str, val: bool) -> str:
    """verl PPO with the paper's settings; the folder, model, nodes and GPUs are overridable."""
    ppo = config.ppo
    q = shlex.quote
    val_file = '"$HERE/val.parquet"' if val else '"$HERE/train.parquet"'
    mini_batch = config.batch_size // ppo.mini_batches
    settings = [
        # PPO with a critic and GAE, as in the paper (verl's `gae` estimator)
        "algorithm.adv_estimator=gae",
        f"algorithm.gamma={ppo.gamma}",
        f"algorithm.lam={ppo.lam}",
        # per-token KL penalty in the reward against the frozen reference (not a KL loss term)
        "algorithm.use_kl_in_reward=True",
        "algorithm.kl_penalty=kl",
        "algorithm.kl_ctrl.type=fixed",
        f"algorithm.kl_ctrl.kl_coef={config.kl_coef}",
        '"data.train_files=$HERE/train.parquet"',
        f'"data.val_files=${{VAL_FILE:-{val_file[1:-1]}}}"',
        f"data.train_batch_size=${{TRAIN_BATCH_SIZE:-{config.batch_size}}}",
        f"data.max_prompt_length={config.max_prompt_tokens}",
        f"data.max_response_length={config.max_new_tokens}",
        "data.filter_overlong_prompts=True",
        "data.truncation=error",
        '"actor_rollout_ref.model.path=$MODEL_PATH"',
        "actor_rollout_ref.model.use_remove_padding=True",
        "actor_rollout_ref.model.enable_gradient_checkpointing=True",
        f"actor_rollout_ref.actor.optim.lr={config.learning_rate}",
        f"actor_rollout_ref.actor.optim.weight_decay={config.weight_decay}",
        f"actor_rollout_ref.actor.grad_clip={config.max_grad_norm}",
        f"actor_rollout_ref.actor.ppo_epochs={ppo.ppo_epochs}",
        f"actor_rollout_ref.actor.ppo_mini_batch_size=${{PPO_MINI_BATCH_SIZE:-{mini_batch}}}",
        "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=${MICRO_BATCH_PER_GPU:-1}",
        f"actor_rollout_ref.actor.clip_ratio={config.clip_range}",
        "actor_rollout_ref.actor.use_kl_loss=False",
        "actor_rollout_ref.actor.entropy_coeff=0",
        "actor_rollout_ref.rollout.name=${ROLLOUT_ENGINE:-vllm}",
        "actor_rollout_ref.rollout.n=1",
        f"actor_rollout_ref.rollout.temperature={config.temperature}",
        f"actor_rollout_ref.rollout.top_p={config.top_p}",
        "actor_rollout_ref.rollout.tensor_model_parallel_size=${ROLLOUT_TP:-2}",
        "actor_rollout_ref.rollout.gpu_memory_utilization=${ROLLOUT_GPU_MEM:-0.5}",
        "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=${MICRO_BATCH_PER_GPU:-1}",
        "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=${MICRO_BATCH_PER_GPU:-1}",
        # the critic starts from the same SFT model; the paper's single learning rate for both. verl gives
        # the critic its own optimiser, so the paper's value coefficient 1.0 is the plain value loss.
        '"critic.model.path=$MODEL_PATH"',
        "critic.model.enable_gradient_checkpointing=True",
        f"critic.optim.lr=${{CRITIC_LR:-{config.learning_rate}}}",
        f"critic.cliprange_value={ppo.cliprange_value}",
        "critic.ppo_micro_batch_size_per_gpu=${MICRO_BATCH_PER_GPU:-1}",
        # our reward: 1 right / 0.1 wrong / 0 without reasoning, same parser and verifier as clinical-r1
        '"reward.custom_reward_function.path=$HERE/reward_fn.py"',
        "reward.custom_reward_function.name=compute_score",
        "trainer.critic_warmup=0",
        """'trainer.logger=["console"]'""",
        "trainer.project_name=${PROJECT_NAME:-clinical_r1}",
        "trainer.experiment_name=${EXPERIMENT_NAME:-ppo_paper}",
        '"trainer.default_local_dir=${CHECKPOINT_DIR:-$HERE/checkpoints}"',
        "trainer.resume_mode=auto",
        "trainer.val_before_train=False",
        "trainer.test_freq=-1",
        f"trainer.save_freq={config.save_steps}",
        "trainer.total_epochs=${TOTAL_EPOCHS:-1}",
        "trainer.nnodes=$NNODES",
        "trainer.n_gpus_per_node=$NGPUS_PER_NODE",
    ]
    body = " \\\n    ".join(settings)
    return f"""#!/usr/bin/env bash
# PPO as in ClinicalGPT-R1 (arXiv 2504.09421, sections 2.2.2 and 3.2) on verl, multi-node.
# Written by `clinical-r1 rl export-verl`. Run it in an environment with verl and clinical-r1 installed.
#
# Multi-node: start Ray on every node first, then run this script on the head node:
#   head:   ray start --head --port=6379
#   others: ray start --address=HEAD_IP:6379
#   head:   NNODES=2 NGPUS_PER_NODE=8 MODEL_PATH=/path/to/sft_model bash run_ppo.sh
# Any extra argument is passed to verl as a config override (e.g. trainer.total_training_steps=200).
# Older verl (before the 2026 reward-config refactor) reads custom_reward_function.path/.name at the
# top level instead of reward.custom_reward_function.*: rename those two overrides there.
set -xeuo pipefail
HERE=$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)
MODEL_PATH=${{MODEL_PATH:-{q(model)}}}
NNODES=${{NNODES:-1}}
NGPUS_PER_NODE=${{NGPUS_PER_NODE:-8}}

python3 -m verl.trainer.main_ppo \\
    {body} "$@"
"""


def export_verl(
    config: RLConfig,
    data_path: str | Path,
    model: str,
    out_dir: str | Path,
    val_data: str | Path | None = None,
) -> VerlExport:
    """Write the verl dataset, reward function and launch script for `data_path` into `out_dir`.
    The prompts and reward style follow the model folder's prompting contract (train/rl.with_contract)."""
    config, _ = with_contract(config, model)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = load_prompts(data_path)
    train = out / "train.parquet"
    write_parquet(verl_rows(items, "train", config.system_prompts), train)
    val = None
    if val_data is not None:
        val = out / "val.parquet"
        write_parquet(verl_rows(load_prompts(val_data), "val", config.system_prompts), val)
    reward_config = out / "reward_config.json"
    reward_config.write_text(
        json.dumps(
            {
                "reward": config.reward.model_dump(mode="json"),
                "verifier": config.verifier.model_dump(mode="json"),
            },
            indent=2,
        )
        + "\n"
    )
    reward_file = out / "reward_fn.py"
    reward_file.write_text(REWARD_FILE, encoding="utf-8")
    script = out / "run_ppo.sh"
    script.write_text(launch_script(config, model, val is not None))
    script.chmod(0o755)
    return VerlExport(out, train, val, reward_file, reward_config, script, len(items))


# --- checked against verl itself -----------------------------------------------------------------

VERL_RELEASE = "0.9.1"  # the release the check below was run against (docs/rl.md)


def launch_overrides(script: Path, env: dict[str, str] | None = None) -> list[str]:
    """The overrides `run_ppo.sh` hands to verl after the shell expanded them (run with a stand-in
    `python3` on PATH that records its arguments), as verl's Hydra entry point receives them."""
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "argv"
        stand_in = Path(tmp) / "python3"
        stand_in.write_text(f'#!/bin/sh\nprintf "%s\\0" "$@" > {shlex.quote(str(record))}\n')
        stand_in.chmod(0o755)
        run_env = {**os.environ, **(env or {}), "PATH": f"{tmp}{os.pathsep}{os.environ.get('PATH', '')}"}
        subprocess.run(["bash", str(script)], env=run_env, check=True, capture_output=True)
        argv = record.read_bytes().decode().split("\0")[:-1]
    if argv[:2] != ["-m", "verl.trainer.main_ppo"]:
        raise ValueError(f"{script}: expected python3 -m verl.trainer.main_ppo, got {argv[:2]}")
    return argv[2:]


# Runs inside verl's environment: composes verl's packaged trainer config (Hydra, as main_ppo does), checks
# each override's key and type against it, then loads the reward file with verl's own loader and scores.
VERL_CHECKER = r'''
import json, sys
from pathlib import Path

import verl
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, ListConfig, OmegaConf

request = json.loads(sys.argv[1])
config_dir = Path(verl.__file__).parent / "trainer" / "config"
result = {"verl": verl.__version__, "config": str(config_dir / "ppo_trainer.yaml"), "keys": [], "errors": []}
MISSING = object()


def kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number" if not isinstance(value, int) else "int"
    if isinstance(value, (list, ListConfig)):
        return "list"
    if isinstance(value, (dict, DictConfig)):
        return "dict"
    return "str" if isinstance(value, str) else type(value).__name__


def declared(parent, leaf):
    """The field's type in the dataclass verl builds this section into (its `_target_`), if any."""
    import importlib
    import typing

    target = parent.get("_target_") if isinstance(parent, DictConfig) else None
    if not isinstance(target, str) or "." not in target:
        return None
    module, name = target.rsplit(".", 1)
    try:
        return typing.get_type_hints(getattr(importlib.import_module(module), name)).get(leaf)
    except Exception:
        return None


def fits_declared(hint, value):
    import typing

    import types

    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    options = typing.get_args(hint) if union else (hint,)
    for option in options:
        if option is type(None) and value is None:
            return True
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if option in (int, str, bool) and type(value) is option:
            return True
        if typing.get_origin(option) in (list, typing.List) and isinstance(value, list):
            return True
    return False


with initialize_config_dir(config_dir=str(config_dir), version_base=None):
    base = compose(config_name="ppo_trainer")
    parser = OverridesParser.create()
    for text in request["overrides"]:
        override = parser.parse_overrides([text])[0]
        key, value = override.key_or_group, override.value()
        parent_key, _, leaf = key.rpartition(".")
        parent = OmegaConf.select(base, parent_key) if parent_key else base
        row = {"override": text, "key": key, "value": kind(value)}
        if not isinstance(parent, DictConfig) or leaf not in parent.keys():  # `in` skips ??? values
            row["problem"] = "no such key in verl's config"
            result["keys"].append(row)
            continue
        hint = declared(parent, leaf)
        if hint is not None:
            row["declared"] = str(hint)
        if OmegaConf.is_missing(parent, leaf):
            row["default"] = "??? (required)"
            fits = hint is None or fits_declared(hint, value)
        else:
            default = parent[leaf]
            row["default"] = kind(default) if default is not None else "null"
            if hint is not None:
                fits = fits_declared(hint, value)
            else:
                fits = (
                    default is None
                    or kind(default) == kind(value)
                    or (kind(default) == "number" and kind(value) == "int")
                )
        if not fits:
            row["problem"] = f"a {kind(value)} where verl has {row.get('declared') or row['default']}"
        result["keys"].append(row)
    try:
        full = compose(config_name="ppo_trainer", overrides=request["overrides"])
        result["composed"] = True
    except Exception as exc:  # Hydra refuses an unknown key in struct mode
        full = None
        result["composed"] = False
        result["errors"].append(f"compose with all overrides: {exc}")

if full is not None:
    try:
        from verl.trainer.ppo.reward import get_custom_reward_fn
    except Exception as exc:
        result["reward"] = {"loaded": False, "why": f"verl.trainer.ppo.reward not importable: {exc!r}"}
    else:
        fn = get_custom_reward_fn(full)
        scores = [fn(c["data_source"], c["solution_str"], c["ground_truth"], c["extra_info"])
                  for c in request["cases"]]
        result["reward"] = {"loaded": True, "loader": "verl.trainer.ppo.reward.get_custom_reward_fn",
                            "scores": scores}
print(json.dumps(result))
'''


@dataclass
class VerlCheck:
    verl: str
    config: str
    keys: list[dict]
    composed: bool
    reward: dict
    errors: list[str]
    expected_scores: list[float]

    @property
    def problems(self) -> list[str]:
        found = [f"{k['override']}: {k['problem']}" for k in self.keys if "problem" in k]
        found += self.errors
        if not self.reward.get("loaded"):
            found.append(f"reward file not loaded by verl: {self.reward.get('why')}")
        elif self.reward["scores"] != self.expected_scores:
            found.append(f"reward scores {self.reward['scores']} != expected {self.expected_scores}")
        return found


def check_against_verl(export: VerlExport, python: str | Path, config: RLConfig) -> VerlCheck:
    """Check `export` with verl installed for the interpreter `python` (its own environment).

    Every override of run_ppo.sh must name a key of verl's packaged PPO trainer config with a value of
    its type, Hydra must compose them all, and verl's reward loader must load reward_fn.py and score a
    right, a wrong and an unreasoned answer as our reward does. This package must be importable there
    (its source folder goes on PYTHONPATH) for the reward file's import.
    """
    import os
    import subprocess

    from clinical_r1.formatting import render

    overrides = launch_overrides(export.launch_script, {"MODEL_PATH": "/models/sft"})
    info = {"language": "en", "reference_icd10": "J18.9", "split": "train", "index": 0}
    answers = [
        render("Fever, cough and a lobar consolidation.", "Final diagnosis: pneumonia"),
        render("Fever, cough and a lobar consolidation.", "Final diagnosis: asthma"),
        "Final diagnosis: pneumonia",
    ]
    cases = [{"data_source": DATA_SOURCE, "solution_str": a, "ground_truth": "pneumonia", "extra_info": info}
             for a in answers]  # fmt: skip
    expected = [config.reward.correct, config.reward.wrong, config.reward.no_reasoning]
    source = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path}
    request = json.dumps({"overrides": overrides, "cases": cases})
    done = subprocess.run([str(python), "-c", VERL_CHECKER, request], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the verl check failed in {python}:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return VerlCheck(
        verl=result["verl"],
        config=result["config"],
        keys=result["keys"],
        composed=result["composed"],
        reward=result.get("reward", {"loaded": False, "why": "config did not compose"}),
        errors=result["errors"],
        expected_scores=expected,
    )
