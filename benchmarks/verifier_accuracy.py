"""Accuracy of the diagnosis verifier on the labelled set (tests/data/verifier_labelled.jsonl).

    .venv/bin/python benchmarks/verifier_accuracy.py [--labelled PATH] [--by-kind]

Rows: rules alone, rules + ICD-10 codes, and rules + codes + an LLM judge. There is no real LLM on
this machine, so the judge is the fake OpenAI-compatible server (a real HTTP server on 127.0.0.1)
scripted to answer from the GOLD label: that row measures the plumbing and the tier split, not a
model's judgement. The adversarial rows script judges that try to say "yes" in every wrong way
(prose, "not true", "true", invalid JSON, "match" as a string, a markdown fence): a strict verifier
gets no false match from any of them. The last row is a judge that says {"match": true} in valid
JSON to everything: the one thing no parser can catch, shown for scale.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clinical_r1.llm import build_llm
from clinical_r1.testing.fake_openai_server import running_server
from clinical_r1.verify import LabelledPair, Verifier, VerifierConfig, VerifierScore, load_labelled, score

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "verifier_labelled.jsonl"

_PAIR_IN_PROMPT = re.compile(
    r"(?:Reference diagnosis:|参考诊断：)\s*(?P<reference>.*?)\n"
    r"\s*(?:Predicted diagnosis:|预测诊断：)\s*(?P<prediction>.*?)\n"
)


def pair_in_prompt(request: dict) -> tuple[str, str]:
    """(prediction, reference) as the judge prompt states them (the first user message)."""
    first_user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    match = _PAIR_IN_PROMPT.search(first_user)
    if match is None:
        raise ValueError("judge prompt does not state the pair")
    return match.group("prediction").strip(), match.group("reference").strip()


def gold_judge(pairs: list[LabelledPair]) -> Callable[[dict], str]:
    """A judge script answering from the gold label, in the exact JSON the verifier asks for."""
    gold = {
        (p.item.prediction.strip(), p.item.reference.strip()): p.match for p in pairs if p.item.prediction
    }

    def answer(request: dict) -> str:
        match = gold[pair_in_prompt(request)]
        return json.dumps({"match": match, "reason": "gold label"})

    return answer


# Judges that try to say "yes" without the JSON asked for; every one must give zero false matches.
ADVERSARIAL: dict[str, str] = {
    "prose": "Yes, the predicted diagnosis matches the reference; this is true.",
    "not true": "not true",
    "bare true": "true",
    "invalid JSON": '{"match": true, "reason": "same disease"',
    "match as string": '{"match": "true", "reason": "same disease"}',
    "markdown fence": '```json\n{"match": true, "reason": "same disease"}\n```',
    "JSON + prose": '{"match": true, "reason": "same"} I am confident.',
}
ALWAYS_YES = '{"match": true, "reason": "looks the same"}'


async def _verdicts(config: VerifierConfig, pairs: list[LabelledPair], llm=None):  # noqa: ANN001, ANN202
    verifier = Verifier(config, llm=llm)
    return await verifier.verify_many([p.item for p in pairs])


def run_offline(pairs: list[LabelledPair], codes: bool) -> VerifierScore:
    verdicts = asyncio.run(_verdicts(VerifierConfig(codes=codes), pairs))
    return score(verdicts, [p.match for p in pairs])


def run_with_judge(
    pairs: list[LabelledPair], script: Callable[[dict], str] | str, retries: int = 2
) -> tuple[VerifierScore, int]:
    """Rules + codes + a judge served by the fake server; returns the score and judge requests made."""
    with running_server(script) as server:
        llm = build_llm(f"openai:judge@{server.base_url}")
        config = VerifierConfig(judge=True, judge_retries=retries)

        async def run():  # noqa: ANN202
            try:
                return await _verdicts(config, pairs, llm=llm)
            finally:
                await llm.aclose()

        verdicts = asyncio.run(run())
        return score(verdicts, [p.match for p in pairs]), len(server.requests)


def all_rows(pairs: list[LabelledPair]) -> list[tuple[str, VerifierScore, int | None]]:
    rows: list[tuple[str, VerifierScore, int | None]] = [
        ("rules", run_offline(pairs, codes=False), None),
        ("rules + codes", run_offline(pairs, codes=True), None),
    ]
    gold, requests = run_with_judge(pairs, gold_judge(pairs))
    rows.append(("rules + codes + judge (gold-label fake)", gold, requests))
    for name, reply in ADVERSARIAL.items():
        result, requests = run_with_judge(pairs, reply)
        rows.append((f"adversarial judge: {name}", result, requests))
    result, requests = run_with_judge(pairs, ALWAYS_YES)
    rows.append(("judge saying yes to all, valid JSON", result, requests))
    return rows


def table(rows: list[tuple[str, VerifierScore, int | None]], title: str) -> Table:
    out = Table(title=title)
    for column in (
        "mode",
        "accuracy",
        "false-match rate",
        "rule",
        "code",
        "judge",
        "undecided",
        "judge requests",
    ):
        out.add_column(column, justify="left" if column == "mode" else "right")
    for name, s, requests in rows:
        d = s.decided_by
        out.add_row(
            name,
            f"{s.accuracy:.1%}",
            f"{s.false_match_rate:.1%} ({s.false_matches}/{s.negatives})",
            str(d["rule"]),
            str(d["code"]),
            str(d["judge"]),
            str(d["none"]),
            "-" if requests is None else str(requests),
        )
    return out


def by_kind(pairs: list[LabelledPair]) -> Table:
    """Rules + codes, per kind of pair: where the offline tiers are right, wrong or undecided."""
    verdicts = asyncio.run(_verdicts(VerifierConfig(), pairs))
    out = Table(title="rules + codes by kind of pair")
    for column in ("kind", "pairs", "correct", "false match", "missed match", "undecided"):
        out.add_column(column, justify="left" if column == "kind" else "right")
    kinds = sorted({p.kind for p in pairs})
    for kind in kinds:
        chosen = [(p, v) for p, v in zip(pairs, verdicts, strict=True) if p.kind == kind]
        out.add_row(
            kind,
            str(len(chosen)),
            str(sum(1 for p, v in chosen if v.is_match == p.match)),
            str(sum(1 for p, v in chosen if v.is_match and not p.match)),
            str(sum(1 for p, v in chosen if p.match and not v.is_match)),
            str(sum(1 for _, v in chosen if v.label == "undecided")),
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    parser.add_argument("--by-kind", action="store_true", help="also break rules + codes down by pair kind")
    args = parser.parse_args()
    pairs = load_labelled(args.labelled)
    languages = {lang: sum(1 for p in pairs if p.item.language == lang) for lang in ("en", "zh")}
    console = Console(width=160)
    title = (
        f"Verifier on {len(pairs)} labelled pairs (en {languages['en']}, zh {languages['zh']}; "
        f"{sum(p.match for p in pairs)} matches)"
    )
    console.print(table(all_rows(pairs), title))
    if args.by_kind:
        console.print(by_kind(pairs))


if __name__ == "__main__":
    main()
