"""Run folder(s) -> metrics.json, report.md and one PNG per language (accuracy per department, one bar
per model, bootstrap interval as error bars); with differentials or several samples also the section of
evaluate/differential_report.py (top-k, MRR, calibration, a reliability diagram per model). Everything
is recomputed from the journals, so `clinical-r1 report` rebuilds a report at any time and compares
models of several runs."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import binomtest

from clinical_r1 import departments
from clinical_r1.evaluate import metrics as M
from clinical_r1.evaluate.config import DifferentialSettings
from clinical_r1.evaluate.differential_report import differential_metrics, plot_reliability, render_section
from clinical_r1.evaluate.journal import read_journal
from clinical_r1.evaluate.robustness import append_robustness
from clinical_r1.safe_io import atomic_write, atomic_write_json

# Department names of DxBench (zh) for plots on machines without a CJK font.
_CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei",
              "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN"]  # fmt: skip
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class ModelRun:
    name: str
    info: dict[str, Any]  # spec, mode
    items: list[dict[str, Any]]  # the benchmark items of its run
    entries: dict[str, dict[str, Any]]  # journal by item id
    samples: int = 1
    run_dir: Path = field(default_factory=Path)


def load_runs(run_dirs: list[Path]) -> tuple[list[ModelRun], dict[str, Any]]:
    """Models of every run folder (names prefixed with the folder name when several runs are given)."""
    models: list[ModelRun] = []
    first: dict[str, Any] = {}
    for run_dir in run_dirs:
        run_file = run_dir / "eval_config.json"
        if not run_file.exists():
            raise FileNotFoundError(f"{run_dir}: not an evaluation run folder (no eval_config.json)")
        run = json.loads(run_file.read_text(encoding="utf-8"))
        first = first or run
        items = [
            json.loads(line) for line in (run_dir / "items.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        for name, info in run["models"].items():
            entries = read_journal(run_dir / "results" / f"{name}.jsonl")
            label = name if len(run_dirs) == 1 else f"{run_dir.name}/{name}"
            models.append(ModelRun(label, info, items, entries, run["config"].get("samples", 1), run_dir))
    return models, first


def write_report(run_dir: Path, extra_runs: list[Path] | None = None, out_dir: Path | None = None) -> Path:
    """Write metrics.json, report.md and plots/ for one run (or a comparison of several) -> report.md."""
    runs = [Path(run_dir), *(Path(p) for p in extra_runs or [])]
    out_dir = Path(out_dir or run_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    models, run = load_runs(runs)
    stats = run.get("full_config", run["config"])
    n_boot, confidence, seed = (
        stats.get("bootstrap_samples", 2000),
        stats.get("confidence", 0.95),
        stats.get("seed", 0),
    )
    ddx = stats.get("differential") or {}
    result = compute_metrics(
        models, n_boot, confidence, seed, ddx.get("k", 5) if ddx.get("enabled") else None,
        stats.get("calibration_bins", 10),
    )  # fmt: skip
    result["runs"] = [str(p) for p in runs]
    result["bench"] = run["bench"]
    result["config"] = stats
    atomic_write_json(out_dir / "metrics.json", result)  # safe_io: temp + fsync + rename, 0600
    plots = plot_accuracy(result, out_dir / "plots")
    reliability = plot_reliability(result, out_dir / "plots")
    path = out_dir / "report.md"
    atomic_write(path, render_markdown(result, plots, out_dir, reliability))
    append_robustness(runs[0], out_dir)  # when the run evaluated perturbed cases (eval --perturb)
    return path


# --- metrics ------------------------------------------------------------------------------------


def _item_rows(model: ModelRun) -> list[dict[str, Any]]:
    """One row per benchmark item: items never answered count as wrong (status "missing")."""
    rows = []
    for item in model.items:
        entry = model.entries.get(item["id"])
        if entry is None or entry.get("error"):
            n = model.samples
            rows.append(
                {
                    **item,
                    "n": n,
                    "c": 0,
                    "first": False,
                    "no_answer": 0,
                    "status": "missing" if entry is None else "error",
                    "entry": entry,
                }
            )
            continue
        samples = entry["samples"]
        rows.append(
            {
                **item,
                "n": len(samples),
                "c": entry["correct"],
                "first": bool(samples and samples[0]["correct"]),
                "no_answer": entry["no_answer"],
                "status": "answered",
                "entry": entry,
            }
        )
    return rows


def _summary(rows: list[dict[str, Any]], n_boot: int, confidence: float, seed: int, k: int) -> dict[str, Any]:
    scores = [row["c"] / row["n"] if row["n"] else 0.0 for row in rows]
    ci = M.bootstrap_ci(scores, n_boot, confidence, seed)
    samples = sum(row["n"] for row in rows)
    no_answer = sum(row["no_answer"] for row in rows)
    out: dict[str, Any] = {
        "items": len(rows),
        "accuracy": ci.estimate,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "correct": float(sum(scores)) if k > 1 else int(sum(scores)),
        "no_valid_answer": no_answer,
        "no_valid_answer_rate": no_answer / samples if samples else 0.0,
        **_valid_answers(rows, samples, confidence),
        "errors": sum(1 for row in rows if row["status"] == "error"),
        "missing": sum(1 for row in rows if row["status"] == "missing"),
    }
    if k > 1:
        out["pass_at_k"] = {
            str(j): float(
                np.mean([M.pass_at_k(row["n"], row["c"], j) if row["n"] >= j else 0.0 for row in rows])
            )
            for j in M.k_values(k)
        }
    return out


def _valid_answers(rows: list[dict[str, Any]], samples: int, confidence: float) -> dict[str, Any]:
    """Samples from which a diagnosis (or option) could be read, over all samples asked for (failed
    requests and items not run count as not valid), with a Wilson score interval (scipy)."""
    valid = sum(row["n"] - row["no_answer"] for row in rows if row["status"] == "answered")
    if not samples:
        return {"valid_answers": 0, "valid_answer_rate": 0.0, "valid_ci_low": 0.0, "valid_ci_high": 0.0}
    ci = binomtest(valid, samples).proportion_ci(confidence_level=confidence, method="wilson")
    return {
        "valid_answers": valid,
        "valid_answer_rate": valid / samples,
        "valid_ci_low": float(ci.low),
        "valid_ci_high": float(ci.high),
    }


def _groups(rows: list[dict[str, Any]], *keys: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(" / ".join(str(row[k]) for k in keys), []).append(row)
    return dict(sorted(groups.items()))


def compute_metrics(
    models: list[ModelRun],
    n_boot: int,
    confidence: float,
    seed: int,
    differential_k: int | None = None,
    calibration_bins: int = 10,
) -> dict[str, Any]:
    """differential_k: the run asked for ranked differentials of up to k entries (None = it did not);
    a model with several samples per diagnosis item gets the differential section from votes anyway."""
    result: dict[str, Any] = {"models": {}, "comparisons": []}
    rows_by_model = {}
    for model in models:
        rows = _item_rows(model)
        rows_by_model[model.name] = rows
        k = model.samples

        def summary(part: list[dict[str, Any]], k: int = k) -> dict[str, Any]:
            return _summary(part, n_boot, confidence, seed, k)

        by_language: dict[str, dict[str, Any]] = {}
        for language, part in _groups(rows, "language").items():
            by_language[language] = {
                "overall": summary(part),
                "by_department": {d: summary(p) for d, p in _groups(part, "department").items()},
            }
        answered = [row["entry"] for row in rows if row["status"] == "answered"]
        sources: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        for entry in answered:
            for sample in entry["samples"]:
                if sample["answer"] is None:
                    sources["no valid answer"] += 1
                    reasons[sample["no_answer_reason"] or "?"] += 1
                else:
                    sources[sample["verdict"]["source"] if sample["verdict"] else "none"] += 1
        latencies = [entry["latency_s"] for entry in answered]
        result["models"][model.name] = {
            **model.info,
            "samples": k,
            "overall": summary(rows),
            "by_language": by_language,
            "by_department": {d: summary(p) for d, p in _groups(rows, "department").items()},
            "verdict_sources": dict(sources.most_common()),
            "no_valid_answer_reasons": dict(reasons.most_common()),
            "latency_s": {
                "mean": float(np.mean(latencies)) if latencies else None,
                "median": float(np.median(latencies)) if latencies else None,
                "p90": float(np.percentile(latencies, 90)) if latencies else None,
                "cached_items": sum(1 for entry in answered if entry.get("cached")),
            },
            **_differential(rows, k, differential_k, calibration_bins, n_boot, confidence, seed),
            "tokens": {
                "prompt_per_item": float(np.mean([e["prompt_tokens"] for e in answered]))
                if answered
                else None,
                "completion_per_item": float(np.mean([e["completion_tokens"] for e in answered]))
                if answered
                else None,
                "prompt_total": sum(e["prompt_tokens"] for e in answered),
                "completion_total": sum(e["completion_tokens"] for e in answered),
            },
        }
    names = [m.name for m in models]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            result["comparisons"].append(
                compare(rows_by_model[a], rows_by_model[b], a, b, n_boot, confidence, seed)
            )
    return result


def _differential(
    rows: list[dict[str, Any]],
    samples: int,
    differential_k: int | None,
    bins: int,
    n_boot: int,
    confidence: float,
    seed: int,
) -> dict[str, Any]:
    """{"differential": ...} (evaluate/differential_report.py) when the run asked for differentials or the
    model has several samples per diagnosis item to vote with; else {}."""
    if not rows or any(row["task"] != "diagnosis" for row in rows):
        return {}
    if differential_k is None and samples < 2:
        return {}
    k = differential_k or DifferentialSettings().k
    return {"differential": differential_metrics(rows, k, bins, n_boot, confidence, seed)}


def compare(
    rows_a: list[dict[str, Any]],
    rows_b: list[dict[str, Any]],
    a: str,
    b: str,
    n_boot: int,
    confidence: float,
    seed: int,
) -> dict[str, Any]:
    """A - B on the items both were run on: paired bootstrap interval, exact McNemar on first samples."""
    by_id = {row["id"]: row for row in rows_b}
    pairs = [(row, by_id[row["id"]]) for row in rows_a if row["id"] in by_id]

    def part(selected: list[tuple[dict, dict]]) -> dict[str, Any]:
        sa = [x["c"] / x["n"] if x["n"] else 0.0 for x, _ in selected]
        sb = [y["c"] / y["n"] if y["n"] else 0.0 for _, y in selected]
        diff = M.paired_difference(sa, sb, n_boot, confidence, seed)
        test = M.mcnemar_exact([x["first"] for x, _ in selected], [y["first"] for _, y in selected])
        return {
            "items": len(selected),
            "accuracy_a": M.accuracy(sa),
            "accuracy_b": M.accuracy(sb),
            "difference": diff.estimate,
            "ci_low": diff.low,
            "ci_high": diff.high,
            "a_only_correct": test.a_only,
            "b_only_correct": test.b_only,
            "mcnemar_p": test.p_value,
        }

    out = {"a": a, "b": b, "overall": part(pairs) if pairs else None, "by_language": {}}
    for language in sorted({x["language"] for x, _ in pairs}):
        out["by_language"][language] = part([p for p in pairs if p[0]["language"] == language])
    return out


# --- plots --------------------------------------------------------------------------------------


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in available), None)


def _label(name: str, has_cjk_font: bool) -> str:
    if has_cjk_font or not _CJK.search(name):
        return name
    return departments.english_name(name) or name.encode("unicode_escape").decode()[:24]


def plot_accuracy(result: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """One grouped bar chart per language: departments (plus Overall) on x, one bar per model."""
    from clinical_r1.plotting import pyplot

    plt = pyplot()

    out_dir.mkdir(parents=True, exist_ok=True)
    font = _cjk_font()
    models = result["models"]
    languages = sorted({lang for m in models.values() for lang in m["by_language"]})
    paths: dict[str, Path] = {}
    for language in languages:
        departments = sorted(
            {d for m in models.values() for d in m["by_language"].get(language, {}).get("by_department", {})},
            key=lambda d: _label(d, font is not None).lower(),  # alphabetical as shown
        )
        groups = ["Overall", *departments]
        width = 0.8 / max(1, len(models))
        fig, ax = plt.subplots(figsize=(max(6.0, 1.0 + 0.9 * len(groups) * max(1, len(models)) ** 0.5), 4.8))
        x = np.arange(len(groups))
        for index, (name, model) in enumerate(models.items()):
            part = model["by_language"].get(language)
            if part is None:
                continue
            cells = [part["overall"], *(part["by_department"].get(d) for d in departments)]
            acc = np.array([c["accuracy"] * 100 if c else np.nan for c in cells])
            low = np.array([(c["accuracy"] - c["ci_low"]) * 100 if c else 0 for c in cells])
            high = np.array([(c["ci_high"] - c["accuracy"]) * 100 if c else 0 for c in cells])
            ax.bar(x + (index - (len(models) - 1) / 2) * width, acc, width, yerr=[low, high], capsize=2,
                   label=f"{name} ({model.get('mode', '')})", error_kw={"elinewidth": 0.8})  # fmt: skip
        labels = [_label(g, font is not None) for g in groups]
        counts = [
            models[next(iter(models))]["by_language"].get(language, {}).get("by_department", {}).get(g)
            for g in departments
        ]
        labels = [f"{labels[0]}"] + [
            f"{lab}\n(n={c['items']})" if c else lab for lab, c in zip(labels[1:], counts, strict=True)
        ]
        ax.set_xticks(
            x, labels, rotation=35, ha="right", fontsize=8, fontfamily=[font, "DejaVu Sans"] if font else None
        )
        ax.set_ylabel("accuracy (%)")
        ax.set_ylim(0, 100)
        level = int(round(result.get("config", {}).get("confidence", 0.95) * 100))
        ax.set_title(f"Accuracy per department ({language}); error bars: {level}% bootstrap interval")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: bars reach 100
        fig.tight_layout()
        path = out_dir / f"accuracy_{language}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths[language] = path
    return paths


# --- markdown -----------------------------------------------------------------------------------


def _pct(cell: dict[str, Any] | None) -> str:
    if not cell:
        return "—"
    return f"{100 * cell['accuracy']:.1f} [{100 * cell['ci_low']:.1f}, {100 * cell['ci_high']:.1f}]"


def render_markdown(
    result: dict[str, Any],
    plots: dict[str, Path],
    out_dir: Path,
    reliability: dict[str, Path] | None = None,
) -> str:
    config, bench, models = result["config"], result["bench"], result["models"]
    level = int(round(config.get("confidence", 0.95) * 100))
    lines = [
        "# Evaluation report",
        "",
        f"Benchmark: `{bench['path']}` (task {bench['task']}, sha256 {bench['sha256'][:12]}). "
        f"Samples per item: {config.get('samples', 1)}, temperature {config.get('temperature')}, "
        f"max_tokens {config.get('max_tokens')}"
        + (f", repetition penalty {config['repetition_penalty']}" if config.get("repetition_penalty") else "")
        + ".",
        f"Verifier: {json.dumps(config.get('verifier', {}), ensure_ascii=False)}.",
        "",
        "Accuracy counts every benchmark item: an output without a valid answer (bad format, truncated, no",
        "stated answer), a failed request and an item never run all count as wrong, and are shown apart.",
        f"Intervals: {level}% percentile bootstrap over items ({config.get('bootstrap_samples')} resamples, "
        f"seed {config.get('seed')}).",
        "",
        "## Overall",
        "",
        f"| model | mode | items | accuracy % [{level}% CI] | no valid answer | request errors | not run |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for name, m in models.items():
        o = m["overall"]
        lines.append(
            f"| {name} | {m.get('mode', '')} | {o['items']} | {_pct(o)} | {o['no_valid_answer']} "
            f"({100 * o['no_valid_answer_rate']:.1f}%) | {o['errors']} | {o['missing']} |"
        )
    lines += [
        "",
        f"Valid answers (a diagnosis or option could be read from the output; {level}% Wilson intervals):",
        "",
        f"| model | mode | valid answers | valid-answer rate % [{level}% CI] |",
        "|---|---|---:|---|",
    ]
    for name, m in models.items():
        o = m["overall"]
        if "valid_answers" in o:  # (metrics.json files written before this column lack it)
            asked = o["items"] * m.get("samples", 1)
            lines.append(
                f"| {name} | {m.get('mode', '')} | {o['valid_answers']} / {asked} | "
                f"{100 * o['valid_answer_rate']:.1f} [{100 * o['valid_ci_low']:.1f}, "
                f"{100 * o['valid_ci_high']:.1f}] |"
            )
    if any("pass_at_k" in m["overall"] for m in models.values()):
        lines += ["", "## pass@k (unbiased estimator; accuracy above is the mean over samples)", ""]
        ks = sorted({k for m in models.values() for k in m["overall"].get("pass_at_k", {})}, key=int)
        lines += ["| model | " + " | ".join(f"pass@{k}" for k in ks) + " |", "|---|" + "---:|" * len(ks)]
        for name, m in models.items():
            p = m["overall"].get("pass_at_k", {})
            lines.append(
                f"| {name} | " + " | ".join(f"{100 * p[k]:.1f}" if k in p else "—" for k in ks) + " |"
            )
    lines += render_section(result, reliability or {}, out_dir)
    languages = sorted({lang for m in models.values() for lang in m["by_language"]})
    for language in languages:
        lines += ["", f"## {language}: accuracy % per department [{level}% CI]", ""]
        if language in plots:
            lines += [f"![accuracy {language}]({plots[language].relative_to(out_dir).as_posix()})", ""]
        departments = sorted(
            {d for m in models.values() for d in m["by_language"].get(language, {}).get("by_department", {})}
        )
        lines += ["| department | n | " + " | ".join(models) + " |", "|---|---:|" + "---|" * len(models)]
        for department in ["(overall)", *departments]:
            cells, count = [], 0
            for m in models.values():
                part = m["by_language"].get(language, {})
                cell = (
                    part.get("overall")
                    if department == "(overall)"
                    else part.get("by_department", {}).get(department)
                )
                count = max(count, cell["items"] if cell else 0)
                cells.append(_pct(cell))
            lines.append(f"| {department} | {count} | " + " | ".join(cells) + " |")
    if result["comparisons"]:
        lines += [
            "",
            "## Paired comparisons (A − B on the same items)",
            "",
            f"| A | B | scope | items | A % | B % | A − B [{level}% CI] | A only / B only right "
            "| McNemar exact p |",
            "|---|---|---|---:|---:|---:|---|---|---:|",
        ]
        for comp in result["comparisons"]:
            scopes = [("all", comp["overall"]), *comp["by_language"].items()]
            for scope, c in scopes:
                if not c:
                    continue
                lines.append(
                    f"| {comp['a']} | {comp['b']} | {scope} | {c['items']} | {100 * c['accuracy_a']:.1f} | "
                    f"{100 * c['accuracy_b']:.1f} | {100 * c['difference']:+.1f} [{100 * c['ci_low']:+.1f}, "
                    f"{100 * c['ci_high']:+.1f}] | {c['a_only_correct']} / {c['b_only_correct']} "
                    f"| {c['mcnemar_p']:.3g} |"
                )
    lines += [
        "",
        "## Grading and cost",
        "",
        "| model | verdict sources (samples) | no valid answer: reasons | latency s mean / median / p90 "
        "| tokens per item in / out |",
        "|---|---|---|---|---|",
    ]
    for name, m in models.items():
        lat, tok = m["latency_s"], m["tokens"]
        sources = ", ".join(f"{k}: {v}" for k, v in m["verdict_sources"].items()) or "—"
        reasons = ", ".join(f"{k}: {v}" for k, v in m["no_valid_answer_reasons"].items()) or "—"
        latency = (
            "—" if lat["mean"] is None else f"{lat['mean']:.2f} / {lat['median']:.2f} / {lat['p90']:.2f}"
        )
        tokens = (
            "—"
            if tok["prompt_per_item"] is None
            else f"{tok['prompt_per_item']:.0f} / {tok['completion_per_item']:.0f}"
        )
        lines.append(f"| {name} | {sources} | {reasons} | {latency} | {tokens} |")
    ledger_file = out_dir / "ledger.json"
    if ledger_file.exists():
        total = json.loads(ledger_file.read_text(encoding="utf-8"))["total"]
        lines += [
            "",
            f"Last invocation (ledger.json): {total['requests']} requests, "
            f"{total['cache_hits']} from the cache, {total['calls']} calls, {total['failures']} failures, "
            f"{total['prompt_tokens']} + "
            f"{total['completion_tokens']} tokens, ${total['cost_usd']:.4f} at list price.",
        ]
    lines += [
        "",
        "Models: " + "; ".join(f"{n} = `{m.get('spec')}` ({m.get('mode')})" for n, m in models.items()),
        "",
    ]
    return "\n".join(lines)
