"""Accuracy and speed of the diagnosis verifier on the labelled pair files in tests/data.

    .venv/bin/python benchmarks/verifier_accuracy.py                 # every file, self-match, speed
    .venv/bin/python benchmarks/verifier_accuracy.py --labelled PATH [--by-kind] [--judge-rows]

First, rules + ICD-10 codes alone (no judge) on every labelled file present: accuracy (undecided counts
as "not a match", as callers treat it), false matches, the share of pairs decided right, and the
undecided ones. The held-out splits are scored last, as totals only (no pair is printed):
verifier_pairs_heldout.jsonl (its 10 false matches at the first scoring were then fixed as classes, so
it is spent) and verifier_pairs_fresh.jsonl (written after tuning by a labeller who never saw the rules;
4 false matches at its one scoring, also fixed as classes since; see docs/verifier.md).

Then the self-match check: every reference in ../shared/data (DxBench `disease`, en and zh; the
diagnosis records the MedQA importer makes from medqa_*) and each of its parsed parts
(`verify.parse_diagnosis(reference).forms`) must be a match for it.

Then verdicts per second of rules + codes on the labelled pairs (verifier caches cleared each run).

With --judge-rows (or --labelled): rules + codes + an LLM judge. There is no real LLM on this machine,
so the judge is the fake OpenAI-compatible server (a real HTTP server on 127.0.0.1) scripted to
answer from the GOLD label: that row measures the plumbing and the tier split, not a model's
judgement. The adversarial rows script judges that try to say "yes" in every wrong way (prose, "not
true", "true", invalid JSON, "match" as a string, a markdown fence): a strict verifier gets no false
match from any of them. The last row is a judge that says {"match": true} in valid JSON to
everything: the one thing no parser can catch, shown for scale.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clinical_r1.llm import build_llm
from clinical_r1.testing.fake_openai_server import running_server
from clinical_r1.verify import (
    LabelledPair,
    Verdict,
    Verifier,
    VerifierConfig,
    VerifierScore,
    load_labelled,
    parse_diagnosis,
    score,
)

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "verifier_labelled.jsonl"
# Tuned on: the first three. Held out (scored last as totals only): HELDOUT_FILES.
LABELLED_FILES = [
    ROOT / "tests" / "data" / name
    for name in ("verifier_labelled.jsonl", "verifier_heldout.jsonl", "verifier_pairs.jsonl")
]
HELDOUT_FILES = [
    ROOT / "tests" / "data" / name for name in ("verifier_pairs_heldout.jsonl", "verifier_pairs_fresh.jsonl")
]
SHARED_DATA = ROOT.parent / "shared" / "data"

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


@dataclass
class OfflineResult:
    """Rules + codes on one labelled file."""

    name: str
    score: VerifierScore
    decided_right: int  # pairs decided (match or mismatch) and right
    decided_wrong: int

    @property
    def decided_right_share(self) -> float:
        return self.decided_right / self.score.n if self.score.n else 0.0


def offline_result(
    pairs: list[LabelledPair], name: str, config: VerifierConfig | None = None
) -> OfflineResult:
    verdicts = asyncio.run(_verdicts(config or VerifierConfig(), pairs))
    decided = [(v, p) for v, p in zip(verdicts, pairs, strict=True) if v.label != "undecided"]
    right = sum(1 for v, p in decided if v.is_match == p.match)
    return OfflineResult(name, score(verdicts, [p.match for p in pairs]), right, len(decided) - right)


def offline_table(results: list[OfflineResult], title: str) -> Table:
    out = Table(title=title)
    columns = ("file", "pairs", "accuracy", "false matches", "decided right", "decided wrong", "undecided")
    for column in columns:
        out.add_column(column, justify="left" if column == "file" else "right")
    for r in results:
        s = r.score
        out.add_row(
            r.name,
            str(s.n),
            f"{s.accuracy:.1%}",
            f"{s.false_matches}/{s.negatives}",
            f"{r.decided_right_share:.1%} ({r.decided_right})",
            str(r.decided_wrong),
            str(s.decided_by["none"]),
        )
    return out


def shared_references(data_dir: Path = SHARED_DATA) -> list[tuple[str, str, str]]:
    """(reference, language, source) for every DxBench disease and MedQA diagnosis record, distinct."""
    from clinical_r1.importers import import_dxbench, import_medqa

    found: dict[tuple[str, str, str], None] = {}
    for language in ("en", "zh"):
        for record in import_dxbench(data_dir / "dxbench" / f"DxBench_{language}.json"):
            found[(record.diagnosis, record.language, "dxbench")] = None
    for folder in sorted(data_dir.glob("medqa_*")):
        for path in sorted(folder.glob("*.json*")):
            for record in import_medqa(path)[1]:
                found[(record.diagnosis, record.language, folder.name)] = None
    return list(found)


def self_match(references: list[tuple[str, str, str]]) -> tuple[int, list[tuple[str, str, Verdict]]]:
    """Every reference against itself and each of its parsed parts: (checks, failures)."""
    verifier = Verifier()
    checks, failures = 0, []
    for reference, language, _source in references:
        for form in dict.fromkeys([reference, *parse_diagnosis(reference).forms]):
            checks += 1
            verdict = verifier.verify(form, reference, language=language)
            if not verdict.is_match:
                failures.append((form, reference, verdict))
    return checks, failures


def verdicts_per_second(pairs: list[LabelledPair], runs: int = 3) -> float:
    """Rules + codes over the pairs with the verifier's per-name caches cleared (tables and the WHO
    index stay built, as in a long RL run); the median of `runs`."""
    from clinical_r1 import icd10
    from clinical_r1 import verify as verify_module

    verifier = Verifier()
    verifier.decide_offline(pairs[0].item)  # builds the tables once
    keep = {"tables", "_vocabulary", "_who_index", "_who_titles_by_key", "synonyms", "judge_template"}
    rates = []
    for _ in range(runs):
        for module in (verify_module, icd10):
            for name, value in vars(module).items():
                if name not in keep and hasattr(value, "cache_clear"):
                    value.cache_clear()
        start = time.perf_counter()
        for pair in pairs:
            verifier.decide_offline(pair.item)
        rates.append(len(pairs) / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labelled", type=Path, help="one labelled file: rules + codes and the judge rows")
    parser.add_argument("--by-kind", action="store_true", help="also break rules + codes down by pair kind")
    parser.add_argument("--judge-rows", action="store_true", help="also the judge rows for verifier_labelled")
    args = parser.parse_args()
    console = Console(width=160)
    if args.labelled:
        pairs = load_labelled(args.labelled)
        languages = {lang: sum(1 for p in pairs if p.item.language == lang) for lang in ("en", "zh")}
        title = (
            f"Verifier on {len(pairs)} labelled pairs (en {languages['en']}, zh {languages['zh']}; "
            f"{sum(p.match for p in pairs)} matches)"
        )
        console.print(table(all_rows(pairs), title))
        if args.by_kind:
            console.print(by_kind(pairs))
        return
    files = [path for path in LABELLED_FILES if path.exists()]
    results = [offline_result(load_labelled(path), path.name) for path in files]
    console.print(offline_table(results, "rules + codes (no judge), files tuned on"))
    if args.by_kind:
        for path in files:
            console.print(by_kind(load_labelled(path)))
    if args.judge_rows:
        pairs = load_labelled(LABELLED)
        console.print(table(all_rows(pairs), f"with a judge, {LABELLED.name}"))
    if SHARED_DATA.exists():
        references = shared_references()
        checks, failures = self_match(references)
        console.print(
            f"self-match: {len(references)} distinct references in {SHARED_DATA}, {checks} checks "
            f"(each reference and its parsed parts), {len(failures)} not a match"
        )
        for form, reference, verdict in failures[:20]:
            console.print(f"  {form!r} for {reference!r}: {verdict.label} ({verdict.reason})")
    else:
        console.print(f"self-match: skipped, {SHARED_DATA} not found")
    pairs = [p for path in files for p in load_labelled(path)]
    console.print(
        f"speed: {verdicts_per_second(pairs):.0f} verdicts/s (rules + codes, {len(pairs)} pairs, 1 core)"
    )
    heldout = [path for path in HELDOUT_FILES if path.exists()]
    if heldout:  # last, totals only
        results = [offline_result(load_labelled(path), path.name) for path in heldout]
        console.print(offline_table(results, "held out"))


if __name__ == "__main__":
    main()
