"""Robustness: the same models on perturbed copies of the benchmark's cases (`clinical-r1 eval --perturb`).

run_perturbed writes RUN_DIR/perturb/bench.jsonl (one item per case and perturbation that applies to
it; id "<item id>~<kind>", meta: perturbation, source_id, detail) and evaluates every model on it as an
ordinary, resumable run in RUN_DIR/perturb/. robustness() then compares each perturbed answer with the
model's unperturbed answer in RUN_DIR/results/: accuracy per perturbation and the diagnosis flip rate,
each with a Wilson score interval. Perturbations themselves are in clinical_r1.perturb.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from scipy.stats import binomtest

from clinical_r1.config import ConfigError
from clinical_r1.evaluate.config import EvalConfig, ModelUnderTest
from clinical_r1.evaluate.items import EvalItem, load_items
from clinical_r1.evaluate.journal import read_journal
from clinical_r1.perturb import Case, PerturbConfig, perturb
from clinical_r1.safe_io import atomic_write, atomic_write_json
from clinical_r1.verify import Verifier, VerifierConfig

PERTURB_DIR = "perturb"
SUMMARY_FILE = "robustness.json"


def _verifier(config: VerifierConfig) -> Verifier:
    """Rules and codes only: deciding whether two answers name one diagnosis must be reproducible."""
    return Verifier(config.model_copy(update={"judge": False, "judge_model": None}))


def build_perturbed_bench(
    items: list[EvalItem], config: PerturbConfig, out: Path, verifier: Verifier
) -> dict[str, dict[str, int]]:
    """Write the perturbed items to `out` (JSONL records); returns {kind: {"items", "not_applicable"}}."""
    by_department: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_language: dict[str, list[str]] = defaultdict(list)
    for item in items:
        by_department[(item.language, item.department)].append(item.reference)
        by_language[item.language].append(item.reference)

    def same(candidate: str, case: Case) -> bool:  # undecided counts as the same: never plant the answer
        verdict = verifier.verify(candidate, case.reference, case.reference_icd10, case.language)
        return verdict.label != "mismatch"

    counts = {kind: {"items": 0, "not_applicable": 0} for kind in config.kinds}
    rows = []
    for item in items:
        case = Case(
            id=item.id,
            text=item.question,
            language=item.language,
            reference=item.reference,
            reference_icd10=item.reference_icd10,
            department=item.department,
            distractors=(by_department[(item.language, item.department)], by_language[item.language]),
        )
        for kind in config.kinds:
            change = perturb(case, kind, config.seed, same)
            if change is None:
                counts[kind]["not_applicable"] += 1
                continue
            counts[kind]["items"] += 1
            rows.append(
                {
                    "id": f"{item.id}~{kind}",
                    "language": item.language,
                    "department": item.department,
                    "case": change.text,
                    "diagnosis": item.reference,
                    "icd10": item.reference_icd10,
                    "source": "perturbed",
                    "stratum": item.stratum,
                    "meta": {"perturbation": kind, "source_id": item.id, "detail": change.detail},
                }
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if not out.exists() or out.read_text(encoding="utf-8") != text:  # unchanged: the run resumes
        atomic_write(out, text)
    return counts


def run_perturbed(
    config: EvalConfig, bench_path: str | Path, models: list[ModelUnderTest], out_dir: Path, progress: bool
) -> Path:
    """Evaluate the models on perturbed copies of the benchmark's items, in out_dir/perturb (resumable)."""
    from clinical_r1.evaluate.runner import run_eval  # the runner calls this module: import late

    assert config.perturb is not None
    items = load_items(bench_path, config.task, config.limit)
    if items[0].task != "diagnosis":
        raise ConfigError("--perturb: perturbations apply to diagnosis cases, not to multiple-choice items")
    if config.perturb.models is not None:
        unknown = sorted(set(config.perturb.models) - {m.name for m in models})
        if unknown:
            raise ConfigError(
                f"perturb.models names {unknown}, which are not among the models under test "
                f"{[m.name for m in models]}"
            )
        models = [m for m in models if m.name in config.perturb.models]
    folder = out_dir / PERTURB_DIR
    bench = folder / "bench.jsonl"
    counts = build_perturbed_bench(items, config.perturb, bench, _verifier(config.verifier))
    if not any(c["items"] for c in counts.values()):
        raise ConfigError(f"--perturb: none of {config.perturb.kinds} applies to any case of {bench_path}")
    (folder / "perturbations.json").write_text(
        json.dumps({"config": config.perturb.model_dump(), "counts": counts}, indent=2) + "\n",
        encoding="utf-8",
    )
    sub = config.model_copy(
        update={"perturb": None, "limit": None, "cache_path": config.cache_path or out_dir / "cache.sqlite"}
    )
    return run_eval(sub, bench, models, folder, progress=progress)


# --- metrics -------------------------------------------------------------------------------------


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """(share, low, high): the Wilson score interval (scipy), NaN for n = 0."""
    if n == 0:
        return math.nan, math.nan, math.nan
    ci = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return successes / n, float(ci.low), float(ci.high)


def _first(entry: dict[str, Any] | None) -> tuple[str | None, bool]:
    """The first sample's answer and correctness; a missing or failed item has no answer."""
    if not entry or entry.get("error") or not entry.get("samples"):
        return None, False
    sample = entry["samples"][0]
    return sample.get("answer"), bool(sample.get("correct"))


def _zero() -> dict[str, int]:
    return {"n": 0, "correct": 0, "base_correct": 0, "flips": 0, "to_wrong": 0, "to_right": 0}


def robustness(run_dir: Path) -> dict[str, Any] | None:
    """Accuracy and flip rate per model and perturbation, or None when the run has no perturbed part.

    A flip: the perturbed answer is not the same diagnosis as the unperturbed one (verifier rules and
    codes, the unperturbed answer as the reference); an answer on one side only is a flip, no answer on
    either side is not. Only the first sample of each item is compared.
    """
    folder = Path(run_dir) / PERTURB_DIR
    if not (folder / "eval_config.json").exists() or not (Path(run_dir) / "eval_config.json").exists():
        return None
    run = json.loads((folder / "eval_config.json").read_text(encoding="utf-8"))
    full = run.get("full_config", run["config"])
    confidence = full.get("confidence", 0.95)
    verifier = _verifier(VerifierConfig.model_validate(full.get("verifier", {})))
    rows = [json.loads(line) for line in (folder / "bench.jsonl").read_text(encoding="utf-8").splitlines()]
    counts = json.loads((folder / "perturbations.json").read_text(encoding="utf-8"))["counts"]
    kinds = list(counts)
    result: dict[str, Any] = {"confidence": confidence, "counts": counts, "models": {}}
    same_cache: dict[tuple[str, str, str], bool] = {}

    def same(a: str | None, b: str | None, language: str) -> bool:
        if a is None or b is None:
            return a is None and b is None
        key = (a, b, language)
        if key not in same_cache:
            same_cache[key] = (
                a.strip().casefold() == b.strip().casefold() or verifier.verify(a, b, None, language).is_match
            )
        return same_cache[key]

    result["by_language"] = {}
    for name in run["models"]:
        base = read_journal(Path(run_dir) / "results" / f"{name}.jsonl")
        perturbed = read_journal(folder / "results" / f"{name}.jsonl")
        tally = {kind: _zero() for kind in kinds}
        by_language: dict[str, dict[str, dict[str, int]]] = {}
        for row in rows:
            meta = row["meta"]
            answer, right = _first(perturbed.get(row["id"]))
            base_answer, base_right = _first(base.get(meta["source_id"]))
            flip = not same(answer, base_answer, row["language"])
            per_language = by_language.setdefault(row["language"], {kind: _zero() for kind in kinds})
            for t in (tally.setdefault(meta["perturbation"], _zero()), per_language[meta["perturbation"]]):
                t["n"] += 1
                t["correct"] += right
                t["base_correct"] += base_right
                t["flips"] += flip
                t["to_wrong"] += base_right and not right
                t["to_right"] += right and not base_right
        result["models"][name] = {kind: _cell(t, confidence) for kind, t in tally.items()}
        result["by_language"][name] = {
            language: {kind: _cell(t, confidence) for kind, t in cells.items()}
            for language, cells in sorted(by_language.items())
        }
    return result


def _cell(t: dict[str, int], confidence: float) -> dict[str, Any]:
    acc, low, high = wilson(t["correct"], t["n"], confidence)
    flip, flow, fhigh = wilson(t["flips"], t["n"], confidence)
    return {
        "items": t["n"],
        "correct": t["correct"],
        "accuracy": acc,
        "ci_low": low,
        "ci_high": high,
        "unperturbed_accuracy": t["base_correct"] / t["n"] if t["n"] else math.nan,
        "flips": t["flips"],
        "flip_rate": flip,
        "flip_ci_low": flow,
        "flip_ci_high": fhigh,
        "right_to_wrong": t["to_wrong"],
        "wrong_to_right": t["to_right"],
    }


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.1f}"


def robustness_markdown(result: dict[str, Any]) -> str:
    level = int(round(result["confidence"] * 100))
    lines = [
        "",
        "## Robustness (perturbed cases)",
        "",
        "Each case is perturbed once per kind where the kind applies (clinical_r1.perturb; seeded).",
        "Accuracy is on the perturbed items; 'unperturbed' is the same model's accuracy on the same cases",
        "unperturbed. A flip is a perturbed answer that is not the same diagnosis as the unperturbed answer",
        "(verifier rules and codes; an answer on one side only counts as a flip). First sample of each item.",
        f"Intervals: {level}% Wilson.",
        "",
        "Perturbations applied (items) / not applicable: "
        + ", ".join(f"{k} {c['items']}/{c['not_applicable']}" for k, c in result["counts"].items()),
    ]
    for name, per_kind in result["models"].items():
        lines += [
            "",
            f"### {name}",
            "",
            f"| perturbation | items | accuracy % [{level}% CI] | unperturbed % | flip rate % [{level}% CI] "
            "| right→wrong | wrong→right |",
            "|---|---|---|---|---|---|---|",
        ]
        for kind, m in per_kind.items():
            accuracy = f"{_pct(m['accuracy'])} [{_pct(m['ci_low'])}, {_pct(m['ci_high'])}]"
            lines.append(
                f"| {kind} | {m['items']} | {accuracy} "
                f"| {_pct(m['unperturbed_accuracy'])} | {_pct(m['flip_rate'])} "
                f"[{_pct(m['flip_ci_low'])}, {_pct(m['flip_ci_high'])}] | {m['right_to_wrong']} "
                f"| {m['wrong_to_right']} |"
            )
        languages = result.get("by_language", {}).get(name, {})
        if len(languages) > 1:
            head = " | ".join(f"{lang}: items, accuracy %, flip rate %" for lang in languages)
            lines += ["", f"| perturbation | {head} |", "|---|" + "---|" * len(languages)]
            for kind in per_kind:
                cells = [languages[lang][kind] for lang in languages]
                lines.append(
                    f"| {kind} | "
                    + " | ".join(
                        f"{c['items']}, {_pct(c['accuracy'])}, {_pct(c['flip_rate'])}" for c in cells
                    )
                    + " |"
                )
    return "\n".join(lines) + "\n"


def append_robustness(run_dir: Path, out_dir: Path | None = None) -> dict[str, Any] | None:
    """If the run has a perturbed part: write OUT/robustness.json and append the section to OUT/report.md."""
    result = robustness(Path(run_dir))
    if result is None:
        return None
    out = Path(out_dir or run_dir)
    atomic_write_json(out / SUMMARY_FILE, _no_nan(result))
    report = out / "report.md"
    atomic_write(report, report.read_text(encoding="utf-8") + robustness_markdown(result))
    return result


def _no_nan(value: Any) -> Any:
    """NaN (a kind that applied to no case) as null: robustness.json stays strict JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    return value
