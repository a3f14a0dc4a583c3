"""torch CPU threads: one rule for every command that runs a model (ask, eval, sft, rl, diagnose,
serve, run, models convert) and for a local model spec's `threads` field.

The number used, first that is set:
1. an explicit value: `--threads N`, or `threads` in a model spec (`local:DIR?threads=1`);
2. the environment variable CLINICAL_R1_THREADS;
3. OMP_NUM_THREADS (torch's own variable; honoured rather than overridden);
4. the cores this process may use minus the cores busy right now, rounded, at least 1. "Busy now" is
   sampled from /proc/stat over a quarter of a second (this process sleeps meanwhile, so it is other
   work); where /proc/stat cannot be read, the 1-minute load average stands in.

Why not the load average alone: it trails by a minute, so right after a stage of our own (the install,
a conversion, the previous pipeline stage) it still counts that finished work, and an idle 2-core
machine got 1 thread (`make demo-real` ran on one core).

Rule 4 is the shared-machine default: on a 2-core machine where other jobs already keep the cores
busy, torch's default (one thread per core) makes its OpenMP threads spin-wait for each other and
generation gets several times slower than with one thread (docs/models.md has the measurements). On
an idle machine it takes every core, as torch would.

`torch.set_num_threads` is process-wide: the last model loaded sets it for the whole process.
"""

from __future__ import annotations

import logging
import os
import time

from clinical_r1.config import ConfigError

log = logging.getLogger(__name__)

ENV_VAR = "CLINICAL_R1_THREADS"


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, e.g. a container's cpuset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _from_env(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"environment variable {name}={value!r}: must be a whole number of threads >= 1")
    return number


def resolve_threads(explicit: int | None = None) -> tuple[int, str]:
    """(threads, why): the number the rule above gives and where it came from, for the log."""
    if explicit is not None:
        if explicit < 1:
            raise ConfigError(f"threads={explicit}: must be >= 1")
        return explicit, "set explicitly"
    for name in (ENV_VAR, "OMP_NUM_THREADS"):
        number = _from_env(name)
        if number is not None:
            return number, f"from {name}"
    cores = available_cores()
    busy, source = busy_cores()
    number = max(1, min(cores, round(cores - busy)))
    return number, f"{cores} cores, {source} {busy:.1f}"


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs from /proc/stat's first line, or None where it is unreadable."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(fields) < 4:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user/nice
    return total - idle, total


def busy_cores(window_s: float = 0.25) -> tuple[float, str]:
    """(cores busy now, what measured it): /proc/stat over `window_s`, else the 1-minute load average."""
    before = _cpu_times()
    if before is not None:
        time.sleep(window_s)
        after = _cpu_times()
        if after is not None and after[1] > before[1]:
            share = (after[0] - before[0]) / (after[1] - before[1])
            return share * (os.cpu_count() or 1), "busy now"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return load, "load average"


def apply_threads(explicit: int | None = None) -> int:
    """Resolve the thread count and give it to torch (torch.set_num_threads). Returns the number."""
    import torch

    number, why = resolve_threads(explicit)
    torch.set_num_threads(number)
    log.info("torch CPU threads: %d (%s)", number, why)
    return number


THREADS_HELP = (
    "torch CPU threads for local models (default: CLINICAL_R1_THREADS, else OMP_NUM_THREADS, else the "
    "idle cores; docs/models.md)."
)


def pin_threads(threads: int | None) -> int:
    """For a command that trains in this process (sft, rl, run): apply the thread count now and pin it
    in CLINICAL_R1_THREADS, so every stage, model load and launched sub-process uses the same number."""
    number = apply_threads(threads)
    os.environ[ENV_VAR] = str(number)
    return number


def use_threads_option(threads: int | None) -> None:
    """A command's `--threads N`: the default for every model this process (and any stage it launches)
    loads, without importing torch for commands that may only talk to remote models."""
    if threads is None:
        return
    if threads < 1:
        raise ConfigError(f"--threads {threads}: must be >= 1")
    os.environ[ENV_VAR] = str(threads)
