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

from clinical_r1.train.rl import RLConfig
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
    """Write the verl dataset, reward function and launch script for `data_path` into `out_dir`."""
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
