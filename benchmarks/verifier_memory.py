"""Where the evaluation harness's fixed memory goes: peak RSS after each thing a run loads once.

    .venv/bin/python benchmarks/verifier_memory.py

Run in a fresh process: the figures are process-wide peaks (ru_maxrss), so each step adds what it loads
on top of the steps before it. The verifier loads the name -> code index (`icd10.name_to_code`, used
for references and answers that are names) and ICD-10-CM (`icd10.distinct_entities`, for the reason of
a mismatch) on its first item, so a run of 5 items pays them as a run of 1,148 does.
"""

from __future__ import annotations

import resource
import time


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    import clinical_r1.evaluate.runner  # noqa: F401  (what `clinical-r1 eval` imports)

    rows = [("import clinical_r1.evaluate.runner", _peak_mb(), 0.0)]
    from clinical_r1 import icd10

    steps = [
        ("icd10.name_to_code (name -> code index)", lambda: icd10.name_to_code("lacunar stroke", "en")),
        ("icd10.distinct_entities (ICD-10-CM)", lambda: icd10.distinct_entities("I63.5", "I61.9")),
        ("import matplotlib.pyplot (report plots)", lambda: __import__("matplotlib.pyplot")),
    ]
    for label, step in steps:
        start = time.perf_counter()
        step()
        rows.append((label, _peak_mb(), time.perf_counter() - start))
    print("| step | peak RSS MB | added MB | seconds |")
    print("|---|---:|---:|---:|")
    previous = 0.0
    for label, peak, seconds in rows:
        print(f"| {label} | {peak:.0f} | {peak - previous:+.0f} | {seconds:.1f} |")
        previous = peak


if __name__ == "__main__":
    main()
