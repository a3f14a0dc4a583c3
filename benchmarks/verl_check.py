"""Check `clinical-r1 rl export-verl` against verl itself, in verl's own environment.

    .venv/bin/python benchmarks/verl_check.py --install       # create /tmp/verl-venv (once, ~5 min)
    .venv/bin/python benchmarks/verl_check.py                 # check configs/rl_paper.yaml's export
    .venv/bin/python benchmarks/verl_check.py --venv DIR --config my_rl.yaml

verl pins its own transformers (0.9.1: < 5.11), so it never goes into this project's .venv. --install
makes a separate virtual environment: the CPU build of torch first (a local wheel when --torch-wheel
points at one, else PyTorch's CPU index), then `verl==RELEASE` with its declared dependencies (none is
CUDA once a CPU torch is present), then this project's dependencies except the training stack verl
pins (torch, transformers, trl, peft, accelerate, datasets, tokenizers): our reward file imports the
package. The project itself is not installed there (its pins clash with verl's): its source folder
goes on PYTHONPATH.

The check (clinical_r1.train.verl_export.check_against_verl): the overrides run_ppo.sh passes, after the
shell expanded them, each name a key of verl's packaged PPO trainer config (its Hydra defaults, composed
as verl.trainer.main_ppo does) with a value of the type verl's config dataclass declares (or of the
YAML default's type where no dataclass backs the section); Hydra composes them all; verl's reward loader
(`verl.trainer.ppo.reward.get_custom_reward_fn`) loads reward_fn.py and it scores a right, a wrong and an
unreasoned answer 1 / 0.1 / 0. Exit status 1 when anything fails.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VENV = Path("/tmp/verl-venv")
LOCAL_TORCH = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


# verl brings (and pins) these itself; ours would replace its transformers
VERL_OWNS = {"torch", "transformers", "trl", "peft", "accelerate", "datasets", "tokenizers"}


def own_dependencies() -> list[str]:
    """pyproject.toml's dependencies without the training stack verl pins."""
    import tomllib

    from packaging.requirements import Requirement

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return [d for d in declared if Requirement(d).name.lower() not in VERL_OWNS]


def install(venv: Path, release: str, torch_wheel: Path | None) -> None:
    pip = [str(venv_python(venv)), "-m", "pip", "install", "-q"]
    if not venv_python(venv).exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if torch_wheel is not None and torch_wheel.exists():
        subprocess.run([*pip, "--no-deps", str(torch_wheel)], check=True)
    else:
        cpu_index = "https://download.pytorch.org/whl/cpu"
        subprocess.run([*pip, "torch==2.13.0", "--index-url", cpu_index], check=True)
    subprocess.run([*pip, f"verl=={release}", "setuptools>=77.0.3"], check=True)
    # what our reward file imports: this project's dependencies except those verl pins itself, with
    # everything already there held at its version (verl's environment stays as verl wants it)
    frozen = subprocess.run([str(venv_python(venv)), "-m", "pip", "freeze"], check=True, capture_output=True,
                            text=True).stdout  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as constraints:
        constraints.write("\n".join(line for line in frozen.splitlines() if "==" in line) + "\n")
        constraints.flush()
        subprocess.run([*pip, "-c", constraints.name, *own_dependencies()], check=True)
    # `kernels` (pulled in by the hub) breaks transformers 5.10's import of its kernel integration
    subprocess.run([str(venv_python(venv)), "-m", "pip", "uninstall", "-y", "-q", "kernels"], check=False)


def main() -> int:
    from clinical_r1.config import load_config
    from clinical_r1.records import SAMPLE_RECORDS
    from clinical_r1.train.rl import RLConfig
    from clinical_r1.train.verl_export import VERL_RELEASE, check_against_verl, export_verl

    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "rl_paper.yaml")
    parser.add_argument("--install", action="store_true", help="create/refresh the verl environment first")
    parser.add_argument("--release", default=VERL_RELEASE)
    parser.add_argument("--torch-wheel", type=Path, default=LOCAL_TORCH if LOCAL_TORCH.exists() else None)
    args = parser.parse_args()

    if args.install:
        install(args.venv, args.release, args.torch_wheel)
    python = venv_python(args.venv)
    if not python.exists():
        print(f"no verl environment at {args.venv}: run with --install", file=sys.stderr)
        return 2
    config = load_config(args.config, RLConfig)
    with tempfile.TemporaryDirectory() as tmp:
        export = export_verl(config, SAMPLE_RECORDS, "/models/sft", tmp)
        check = check_against_verl(export, python, config)
    print(f"verl {check.verl}: {check.config}")
    print(f"{len(check.keys)} overrides from run_ppo.sh ({args.config.name}):")
    for row in check.keys:
        verdict = row.get("problem", "ok")
        expected = row.get("declared") or row.get("default")
        print(f"  {verdict:<4} {row['key']} = {row['value']} (verl: {expected})")
    print(f"Hydra composes all of them: {check.composed}")
    reward = check.reward
    if reward.get("loaded"):
        print(f"reward file loaded by {reward['loader']}: right / wrong / unreasoned scored "
              f"{reward['scores']} (expected {check.expected_scores})")  # fmt: skip
    else:
        print(f"reward file NOT loaded: {reward.get('why')}")
    for problem in check.problems:
        print(f"PROBLEM: {problem}")
    print("PASS" if not check.problems else "FAIL")
    return 0 if not check.problems else 1


if __name__ == "__main__":
    sys.exit(main())
