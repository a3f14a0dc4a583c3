"""The reliability-diagram example of docs/evaluation.md, made by the real evaluation harness.

Two scripted "models" answer the 140 bundled sample cases (7 departments, en and zh) through the
project's fake OpenAI-compatible server, each with a ranked differential and stated probabilities:

- "calibrated": states a top probability p (35%..95% in steps of 5%, drawn per case) and its first
  entry is right with probability p;
- "overconfident": states the same p, but its first entry is right with probability p - 0.25.

Which cases are right is drawn once with a fixed seed, so the run is the same every time. A wrong
first entry is another sample case's diagnosis (same language, another department); the reference
then comes second or third, or not at all. Every entry is graded by the verifier, as in any run.

    .venv/bin/python scripts/reliability_example.py --out /tmp/reliability_example \
        --png-dir docs/examples

prints the overall differential rows of the report and copies the two reliability PNGs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np

from clinical_r1.evaluate.config import DifferentialSettings, EvalConfig, ModelUnderTest
from clinical_r1.evaluate.runner import run_eval
from clinical_r1.records import SAMPLE_RECORDS
from clinical_r1.testing.fake_openai_server import running_server

ID_RE = re.compile(r"^\[(sample-[^\]]+)\]")
OVERCONFIDENCE = 0.25


def _plan(rows: list[dict]) -> dict[str, dict]:
    """Per case: the stated top probability, and whether each model's first entry is right."""
    rng = np.random.default_rng(20)
    plan = {}
    for row in rows:
        p = float(rng.choice(np.arange(35, 100, 5))) / 100
        u = float(rng.random())
        others = [r["diagnosis"] for r in rows
                  if r["language"] == row["language"] and r["department"] != row["department"]]  # fmt: skip
        picks = rng.choice(len(others), size=3, replace=False)
        plan[row["id"]] = {
            "p": p,
            "right": {"calibrated": u < p, "overconfident": u < p - OVERCONFIDENCE},
            "wrong": [others[int(i)] for i in picks],
            "second": int(rng.integers(0, 3)),  # reference 2nd (0), 3rd (1) or absent (2) when 1st is wrong
        }
    return plan


def _reply(row: dict, step: dict, model: str) -> str:
    zh = row["language"] == "zh"
    p = step["p"]
    rest = round(1 - p, 2)
    if step["right"][model]:
        names = [row["diagnosis"], *step["wrong"][:2]]
    else:  # the reference second, third, or not at all
        names = list(step["wrong"])
        if step["second"] < 2:
            names[step["second"] + 1] = row["diagnosis"]
    probs = [p, round(rest * 0.6, 2), round(rest * 0.3, 2)][: len(names)]
    pairs = list(enumerate(zip(names, probs, strict=True), 1))
    if zh:
        lines = "\n".join(f"{i}. {n}（{round(q * 100)}%）" for i, (n, q) in pairs)
        return f"分析病例后：\n最终诊断：{names[0]}\n\n鉴别诊断：\n{lines}"
    lines = "\n".join(f"{i}. {n} ({round(q * 100)}%)" for i, (n, q) in pairs)
    return f"Reasoning about the case.\nFinal diagnosis: {names[0]}\n\nDifferential diagnosis:\n{lines}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="evaluation run folder")
    parser.add_argument("--png-dir", type=Path, default=None, help="copy the reliability PNGs here")
    args = parser.parse_args()

    rows = [json.loads(line) for line in SAMPLE_RECORDS.read_text(encoding="utf-8").splitlines()]
    plan = _plan(rows)
    by_id = {row["id"]: row for row in rows}
    args.out.mkdir(parents=True, exist_ok=True)
    bench = args.out / "bench.jsonl"
    bench.write_text(
        "".join(json.dumps({**r, "case": f"[{r['id']}] {r['case']}"}, ensure_ascii=False) + "\n"
                for r in rows),  # fmt: skip
        encoding="utf-8",
    )

    def answer(request: dict) -> str:
        case_id = ID_RE.match(request["messages"][-1]["content"]).group(1)
        return _reply(by_id[case_id], plan[case_id], request["model"])

    config = EvalConfig(concurrency=8, differential=DifferentialSettings(enabled=True, k=5))
    with running_server(answer) as server:
        models = [
            ModelUnderTest(name=name, spec=f"openai:{name}@{server.base_url}", mode="cot")
            for name in ("calibrated", "overconfident")
        ]
        report = run_eval(config, bench, models, args.out, progress=False)
    text = report.read_text(encoding="utf-8")
    print("\n".join(line for line in text.splitlines() if line.startswith(("| model | how", "| calibrated |",
                                                                          "| overconfident |"))))  # fmt: skip
    digest = hashlib.sha256(bench.read_bytes()).hexdigest()[:12]
    print(f"report: {report} (bench sha256 {digest})")
    if args.png_dir is not None:
        args.png_dir.mkdir(parents=True, exist_ok=True)
        for name in ("calibrated", "overconfident"):
            target = args.png_dir / f"reliability_{name}.png"
            shutil.copyfile(args.out / "plots" / f"reliability_{name}.png", target)
            print(f"copied {target}")


if __name__ == "__main__":
    main()
