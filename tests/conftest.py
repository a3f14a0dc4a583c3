"""Shared test fixtures. Everything runs offline on CPU."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny Qwen2 model built from the bundled samples, once per test session."""
    from clinical_r1.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the project (public DxBench and MedQA files)."""
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def one_torch_thread():
    """One torch thread for tiny-model training: with other processes on the same 2 cores, more
    threads only spin-wait (measured: 12 tiny SFT steps took 28 s with 2 threads under load, 2 s
    with 1). Modules opt in with `pytestmark = pytest.mark.usefixtures("one_torch_thread")`."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _threads_env_restored():
    """A command run in-process (`run`, `sft`, `rl`) pins CLINICAL_R1_THREADS in os.environ for the stages
    and sub-processes it launches (threads.pin_threads); put back what was there before, so no later test
    inherits the number an earlier one pinned."""
    from clinical_r1.threads import ENV_VAR

    before = os.environ.get(ENV_VAR)
    yield
    if before is None:
        os.environ.pop(ENV_VAR, None)
    else:
        os.environ[ENV_VAR] = before
