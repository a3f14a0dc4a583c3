"""Measure one `import_file` run in a fresh process: records, rejects, warnings, wall and CPU seconds,
peak RSS. Shared by the import benchmarks (records_import, mimic_import, fhir_import), which run each
size in its own process so one size's peak memory cannot hide another's.

Not a benchmark itself: imported by the scripts beside it (`python benchmarks/<script>.py` puts this
folder on sys.path).
"""

from __future__ import annotations

import json
import subprocess
import sys

_IMPORT_CHILD = """
import json, resource, sys, time
from clinical_r1.importers import ImportConfig, import_file
path, out, config = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
cpu_before = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
start = time.perf_counter()
report = import_file(path, out, ImportConfig(**config))
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"records": report.records, "rejected": report.rejected, "warned": report.warned,
                  "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_before,
                  "peak_rss_mb": usage.ru_maxrss / 1024}))
"""


def run_child(code: str, *args: str) -> dict:
    """Run `code` in a fresh interpreter; its last stdout line is a JSON object."""
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_import(path: str, out: str, config: dict) -> dict:
    """`import_file(path, out, ImportConfig(**config))` in a fresh process, measured."""
    return run_child(_IMPORT_CHILD, path, out, json.dumps(config))


def baseline_rss(setup: str) -> float:
    """Peak RSS (MB) of a fresh process that only runs `setup` (imports and tables, no data read)."""
    peak = "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024"
    code = f"import json, resource\n{setup}\nprint(json.dumps({{'peak_rss_mb': {peak}}}))"
    return run_child(code)["peak_rss_mb"]
