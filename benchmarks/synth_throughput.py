"""Synthesis throughput and resume cost against the fake OpenAI-compatible server.

    .venv/bin/python benchmarks/synth_throughput.py [--records 500] [--delay 0.1] [--serial-records 40]

The server (its own process, so it does not share the GIL with the client) plays a scripted teacher
answering every call after `--delay` seconds. The record mix follows the routes of the search (most
verified at once, some after refinements, restarts or the guided attempt, some dropped), so a record
costs 3 to 12 calls. Measured:

- records/s at concurrency 1 (on the first `--serial-records` records: 500 records one at a time
  would take many minutes of sleeping) and at concurrency 32 (all records), and their ratio
  (target: at least 20x);
- the calls a rerun of a finished job makes (target: 0);
- the calls repeated by a job SIGKILLed half-way and rerun (target: 0 beyond the calls that were
  in flight at the kill, whose answers never reached the process).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from clinical_r1.records import write_jsonl
from clinical_r1.synth.config import SynthConfig
from clinical_r1.synth.fake_teacher import FakeTeacher, make_records
from clinical_r1.synth.runner import run_synthesis

MIX = ["initial"] * 14 + ["refine1", "refine1", "refine2", "restart", "guided", "mismatch"]


def _serve(delay: float, counter, url_queue) -> None:  # runs in the server process
    from clinical_r1.testing.fake_openai_server import Faults, Server

    teacher = FakeTeacher()

    def script(request: dict) -> str:
        with counter.get_lock():
            counter.value += 1
        return teacher(request)

    server = Server(script, faults=Faults(delay_s=delay)).start()
    url_queue.put(server.base_url)
    while True:
        time.sleep(3600)


def _config(base_url: str, concurrency: int) -> SynthConfig:
    teacher = {"model": "fake-teacher", "base_url": base_url, "concurrency": concurrency}
    return SynthConfig(teacher=teacher, concurrency=concurrency)


def _timed(config: SynthConfig, records: Path, out: Path, counter) -> tuple[float, int, object]:
    before = counter.value
    start = time.perf_counter()
    stats = run_synthesis(config, records, out, progress=False)
    return time.perf_counter() - start, counter.value - before, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--serial-records", type=int, default=40)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per teacher reply")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    load_before = os.getloadavg()[0]  # other jobs on the machine compete for the same cores
    ctx = mp.get_context("spawn")
    counter, urls = ctx.Value("i", 0), ctx.Queue()
    server = ctx.Process(target=_serve, args=(args.delay, counter, urls), daemon=True)
    server.start()
    base_url = urls.get(timeout=60)
    work = Path(tempfile.mkdtemp(prefix="synth-bench-"))
    try:
        scenarios = (MIX * (args.records // len(MIX) + 1))[: args.records]
        all_records, serial_records = work / "records.jsonl", work / "serial.jsonl"
        write_jsonl(all_records, make_records(scenarios))
        write_jsonl(serial_records, make_records(scenarios[: args.serial_records]))

        rows = []
        t1, calls1, _ = _timed(_config(base_url, 1), serial_records, work / "c1", counter)
        rows.append(("concurrency 1", args.serial_records, calls1, t1))
        tn, callsn, stats = _timed(_config(base_url, args.concurrency), all_records, work / "cN", counter)
        rows.append((f"concurrency {args.concurrency}", args.records, callsn, tn))
        tr, callsr, again = _timed(_config(base_url, args.concurrency), all_records, work / "cN", counter)
        rows.append(("rerun of the finished job", args.records, callsr, tr))
        assert again == stats

        # SIGKILL half-way through, then the same command again
        command = [
            sys.executable, "-m", "clinical_r1.cli", "synthesize", "--records", str(all_records),
            "--out", str(work / "killed"), "--teacher", f"openai:fake-teacher@{base_url}",
            "--concurrency", str(args.concurrency), "--no-progress",
        ]  # fmt: skip
        before = counter.value
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        while counter.value - before < callsn // 2 and process.poll() is None:
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        killed_calls = counter.value - before
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        resumed_calls = counter.value - before - killed_calls
        rows.append(("killed at half, then rerun", args.records, killed_calls + resumed_calls,
                     time.perf_counter() - start))  # fmt: skip
        same = all(
            (work / "killed" / name).read_bytes() == (work / "cN" / name).read_bytes()
            for name in ("examples.jsonl", "rejects.jsonl", "stats.json")
        )
    finally:
        server.kill()

    rate1, raten = args.serial_records / t1, args.records / tn
    print(f"\nSynthesis throughput: fake teacher, {args.delay * 1000:.0f} ms per reply, "
          f"{os.cpu_count()} CPUs (load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after), "
          f"{callsn / args.records:.2f} calls per record\n")  # fmt: skip
    print("| run | records | teacher calls | seconds | records/s |")
    print("|---|---:|---:|---:|---:|")
    for name, n, calls, seconds in rows:
        print(f"| {name} | {n} | {calls} | {seconds:.1f} | {n / seconds:.1f} |")
    print(f"\nspeed-up, concurrency {args.concurrency} vs 1: {raten / rate1:.1f}x (target >= 20x)")
    print(f"calls made by a rerun of a finished job: {callsr} (target 0)")
    repeated = killed_calls + resumed_calls - callsn
    print(f"calls repeated after SIGKILL + rerun: {repeated} (at most the {args.concurrency} in flight)")
    print(f"killed + resumed output identical to the uninterrupted run: {same}")
    print(f"outcomes: {stats.routes} dropped {stats.dropped}")


if __name__ == "__main__":
    main()
