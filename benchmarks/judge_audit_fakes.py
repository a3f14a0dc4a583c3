"""The judge audit on scripted judges: which kinds of judge pass `clinical-r1 verify audit`.

    .venv/bin/python benchmarks/judge_audit_fakes.py [--pairs FILE ...]

Each judge is the project's scripted OpenAI-compatible HTTP server (a real server on 127.0.0.1), audited
exactly as the command does (judge alone, every pair, default thresholds), on the checkout's labelled
sets by default:

- gold: answers from the labels (what a perfect judge would say);
- lenient on specificity: gold, except that it calls a less specific prediction a match ("pneumonia"
  for "Legionella pneumonia"), the mistake a general-purpose LLM is most likely to make here;
- yes-sayer / no-sayer: {"match": true} / {"match": false} to everything, in valid JSON;
- prose: "Yes, they match." (never valid JSON: undecided after the retries).

These measure the audit, not any model: a real model's figures come from running the command on it
(docs/verifier.md, Judge audit).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clinical_r1 import judge_audit
from clinical_r1.testing.fake_openai_server import running_server
from clinical_r1.verify import VerifierConfig

_PAIR_IN_PROMPT = re.compile(
    r"(?:Reference diagnosis:|参考诊断：)\s*(?P<reference>.*?)\n"
    r"\s*(?:Predicted diagnosis:|预测诊断：)\s*(?P<prediction>.*?)\n"
)


def scripted(
    pairs: judge_audit.PairSet, lenient_kinds: frozenset[str] = frozenset()
) -> Callable[[dict], str]:
    """Answers from the gold label; pairs of `lenient_kinds` are called a match whatever the label."""
    labels = {(p.item.prediction.strip(), p.item.reference.strip()): (p.match, p.kind) for p in pairs.pairs}

    def answer(request: dict) -> str:
        found = _PAIR_IN_PROMPT.search(request["messages"][0]["content"])
        match, kind = labels[(found["prediction"].strip(), found["reference"].strip())]
        return json.dumps({"match": match or kind in lenient_kinds, "reason": "scripted"})

    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, nargs="*", default=None)
    args = parser.parse_args()
    pairs = judge_audit.load_pairs(args.pairs or judge_audit.default_pair_files())
    judges: dict[str, Callable[[dict], str] | str] = {
        "gold": scripted(pairs),
        "lenient on specificity": scripted(pairs, frozenset({"less_specific", "less-specific"})),
        "yes-sayer": '{"match": true, "reason": "same"}',
        "no-sayer": '{"match": false, "reason": "different"}',
        "prose": "Yes, they match.",
    }
    files = ", ".join(Path(f["path"]).name for f in pairs.files)
    table = Table(title=f"judge audit on {len(pairs.pairs)} pairs ({files}), default thresholds")
    for column in ("judge", "agreement", "false-match rate", "undecided rate", "result"):
        table.add_column(column, justify="left" if column in ("judge", "result") else "right")
    with tempfile.TemporaryDirectory() as tmp:
        for name, script in judges.items():
            with running_server(script) as server:
                config = VerifierConfig(
                    judge=True, judge_model=f"openai:{name.replace(' ', '-')}@{server.base_url}"
                )
                record = judge_audit.run_audit(config, pairs, out=Path(tmp) / "audit.json").record
            cells = []
            for key in judge_audit.FIGURES:
                fig = record["figures"][key]
                low, high = fig["ci"]
                cells.append(f"{fig['value']:.1%} [{low:.1%}, {high:.1%}] ({fig['k']}/{fig['n']})")
            verdict = "pass" if record["passed"] else "FAIL: " + "; ".join(record["failures"])
            table.add_row(name, *cells, verdict)
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
