"""The report's differential section: top-k accuracy, mean reciprocal rank and calibration (expected
calibration error, Brier score, a reliability diagram per model), per language and department.

How each item's ranked candidates and confidence are obtained (the report counts items per way):

- ``stated``: the first sample states a ranked differential (clinical_r1.differential); its entries,
  each graded by the verifier, are the ranking; the confidence is the first entry's stated probability
  (none when the probabilities are unusable: missing, or summing over 1).
- ``votes``: no stated differential and several samples (``samples`` > 1): the samples' final answers,
  most votes first (pass@k style); the confidence is the top answer's share of all samples.
- ``answer``: one sample, no differential: its final answer is the only candidate, with no confidence.
- ``none``: no valid answer, a failed request or an item never run: no candidate, wrong at every k.

Top-k and MRR count every item (no candidate = wrong). Calibration is over the items with a
confidence ("forecasts"): the event forecast is "the top candidate is right".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from clinical_r1.evaluate import metrics as M

METHODS = ("stated", "votes", "answer", "none")


def report_ks(k: int) -> list[int]:
    """The k reported: 1, 3, 5 up to k, and k itself."""
    return sorted({j for j in (1, 3, 5) if j <= k} | {k})


def item_candidates(row: dict[str, Any], k: int) -> dict[str, Any]:
    """One benchmark item -> how its candidates were obtained, their correctness in rank order (at most
    k), the confidence of the first (None = no forecast) and whether stated probabilities were unusable."""
    entry = row.get("entry")
    none = {"method": "none", "ranked": [], "confidence": None, "invalid": False}
    if row["status"] != "answered" or not entry or not entry["samples"]:
        return none
    samples = entry["samples"]
    first = samples[0]
    stated = first.get("differential")
    if stated and stated["entries"]:
        usable = stated["error"] is None
        return {
            "method": "stated",
            "ranked": [bool(e["correct"]) for e in stated["entries"][:k]],
            "confidence": stated["entries"][0]["probability"] if usable else None,
            "invalid": not usable,
        }
    if len(samples) > 1:
        candidates = M.vote_ranking([s["answer"] for s in samples], [bool(s["correct"]) for s in samples])
        if candidates:
            return {
                "method": "votes",
                "ranked": [c.correct for c in candidates[:k]],
                "confidence": candidates[0].share,
                "invalid": False,
            }
        return none
    if first["answer"] is not None:
        return {"method": "answer", "ranked": [bool(first["correct"])], "confidence": None, "invalid": False}
    return none


def _cell(
    cands: list[dict[str, Any]], ks: list[int], bins: int, n_boot: int, confidence: float, seed: int
) -> tuple[dict[str, Any], np.ndarray]:
    n = len(cands)
    hits = np.zeros((n, len(ks) + 1))
    for i, cand in enumerate(cands):
        at, rr = M.ranked_hits(cand["ranked"], ks)
        hits[i, : len(ks)] = [float(at[j]) for j in ks]
        hits[i, -1] = rr
    calib = M.calibration_columns(
        [c["confidence"] for c in cands], [bool(c["ranked"] and c["ranked"][0]) for c in cands], bins
    )
    rows = np.hstack([hits, calib])
    width = len(ks) + 1
    statistics = {f"top_{j}": (lambda s, i=i: s[..., i] / n) for i, j in enumerate(ks)}
    statistics["mrr"] = lambda s: s[..., len(ks)] / n
    statistics["ece"] = lambda s: M.ece_from_sums(s[..., width:], bins)
    statistics["brier"] = lambda s: M.brier_from_sums(s[..., width:], bins)
    intervals = M.bootstrap_statistics(rows, statistics, n_boot, confidence, seed)

    def box(name: str) -> dict[str, float | None]:
        iv = intervals[name]
        return {k: (None if np.isnan(v) else v) for k, v in (("estimate", iv.estimate), ("ci_low", iv.low),
                                                               ("ci_high", iv.high))}  # fmt: skip

    cell = {
        "items": n,
        "top_k": {str(j): box(f"top_{j}") for j in ks},
        "mrr": box("mrr"),
        "forecasts": int(calib[:, :bins].sum()),
        "ece": box("ece"),
        "brier": box("brier"),
        "invalid_probabilities": sum(1 for c in cands if c["invalid"]),
        "methods": {m: sum(1 for c in cands if c["method"] == m) for m in METHODS},
    }
    return cell, calib.sum(axis=0)


def _groups(rows: list[dict[str, Any]], key: str) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(str(row[key]), []).append(i)
    return dict(sorted(groups.items()))


def differential_metrics(
    rows: list[dict[str, Any]], k: int, bins: int, n_boot: int, confidence: float, seed: int
) -> dict[str, Any]:
    """The model's differential figures (metrics.json "differential"), every interval a percentile
    bootstrap over items except the reliability bins' (Wilson)."""
    ks = report_ks(k)
    cands = [item_candidates(row, k) for row in rows]

    def cell(index: list[int]) -> tuple[dict[str, Any], np.ndarray]:
        return _cell([cands[i] for i in index], ks, bins, n_boot, confidence, seed)

    overall, sums = cell(list(range(len(rows))))
    by_language: dict[str, Any] = {}
    reliability_by_language: dict[str, Any] = {}
    for language, index in _groups(rows, "language").items():
        part, part_sums = cell(index)
        sub = [rows[i] for i in index]
        by_department = {d: cell([index[i] for i in idx])[0] for d, idx in _groups(sub, "department").items()}
        by_language[language] = {"overall": part, "by_department": by_department}
        reliability_by_language[language] = [vars(b) for b in M.reliability_bins(part_sums, bins, confidence)]
    return {
        "k": k,
        "ks": ks,
        "bins": bins,
        "overall": overall,
        "by_language": by_language,
        "reliability": [vars(b) for b in M.reliability_bins(sums, bins, confidence)],
        "reliability_by_language": reliability_by_language,
    }


# --- plot ---------------------------------------------------------------------------------------


def plot_reliability(result: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """One reliability diagram per model with a differential section: accuracy per confidence bin with
    Wilson intervals against the diagonal, per language and overall, and the forecasts per bin below."""
    from clinical_r1.plotting import pyplot

    plt = pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    level = int(round(result.get("config", {}).get("confidence", 0.95) * 100))
    paths: dict[str, Path] = {}
    for name, model in result["models"].items():
        ddx = model.get("differential")
        if not ddx:
            continue
        fig, (ax, hist) = plt.subplots(
            2, 1, figsize=(5.6, 6.4), gridspec_kw={"height_ratios": [3, 1]}, sharex=True
        )
        ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfect calibration")
        bins = ddx["bins"]
        width = 1.0 / bins
        series = [("overall", ddx["reliability"])] + [
            (lang, part) for lang, part in ddx["reliability_by_language"].items()
        ]
        for index, (label, part) in enumerate(series):
            used = [b for b in part if b["forecasts"]]
            if not used:
                continue
            x = np.array([b["mean_confidence"] for b in used])
            y = np.array([b["accuracy"] for b in used])
            if label == "overall":
                err = [y - np.array([b["ci_low"] for b in used]), np.array([b["ci_high"] for b in used]) - y]
                ax.errorbar(x, y, yerr=err, fmt="o-", capsize=3, linewidth=1.5, label="overall")
            else:
                ax.plot(x, y, marker="s^v"[index % 3], linestyle=":", linewidth=1, label=label)
        overall = ddx["overall"]
        ece = overall["ece"]["estimate"]
        ece_text = "—" if ece is None else f"{100 * ece:.1f}%"
        ax.set_title(f"{name}: ECE {ece_text}, {overall['forecasts']} forecasts\n"
                     f"error bars: {level}% Wilson interval", fontsize=9)  # fmt: skip
        ax.set_ylabel("accuracy of the top candidate")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        if not overall["forecasts"]:
            ax.text(0.5, 0.5, "no forecasts: no item has a stated\nprobability or a vote share",
                    ha="center", va="center", fontsize=9)  # fmt: skip
        ax.legend(fontsize=8, loc="upper left")
        counts = [b["forecasts"] for b in ddx["reliability"]]
        hist.bar([b["low"] + width / 2 for b in ddx["reliability"]], counts, width * 0.9, color="0.5")
        hist.set_xlabel("stated confidence (probability of the first candidate, or vote share)")
        hist.set_ylabel("forecasts")
        hist.set_ylim(bottom=0)
        fig.tight_layout()
        path = out_dir / f"reliability_{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths[name] = path
    return paths


# --- markdown -----------------------------------------------------------------------------------


def _fmt(box: dict[str, float | None], scale: float = 100.0, digits: int = 1) -> str:
    if box["estimate"] is None:
        return "—"
    if box["ci_low"] is None:
        return f"{scale * box['estimate']:.{digits}f}"
    return (f"{scale * box['estimate']:.{digits}f} [{scale * box['ci_low']:.{digits}f}, "
            f"{scale * box['ci_high']:.{digits}f}]")  # fmt: skip


def _how(methods: dict[str, int]) -> str:
    return ", ".join(f"{m} {methods[m]}" for m in METHODS if methods.get(m)) or "—"


def render_section(result: dict[str, Any], plots: dict[str, Path], out_dir: Path) -> list[str]:
    """Markdown lines of the differential section ([] when no model has one)."""
    models = {n: m["differential"] for n, m in result["models"].items() if m.get("differential")}
    if not models:
        return []
    config = result.get("config", {})
    level = int(round(config.get("confidence", 0.95) * 100))
    ks = sorted({j for d in models.values() for j in d["ks"]})
    bins = next(iter(models.values()))["bins"]
    head = " | ".join(f"top-{j} %" for j in ks)
    lines = [
        "",
        "## Differential: top-k accuracy, mean reciprocal rank, calibration",
        "",
        "How the candidates of each item were obtained (items per way): *stated* = the first sample's "
        "ranked differential, each entry graded by the verifier, confidence = the first entry's stated "
        "probability; *votes* = the final answers of the samples, most votes first (pass@k style), "
        "confidence = the top answer's share of the samples; *answer* = one sample, no differential: its "
        "answer is the only candidate, no confidence; *none* = no valid answer, wrong at every k.",
        f"Top-k and MRR count every item. ECE ({bins} equal-width bins) and Brier score are over the items "
        "with a confidence (*forecasts*), for the event \"the top candidate is right\"; lower is better. "
        f"Intervals: {level}% percentile bootstrap over items ({config.get('bootstrap_samples')} "
        f"resamples, seed {config.get('seed')}); the reliability diagrams' bins: {level}% Wilson interval.",
        "",
        f"| model | how (items) | items | {head} | MRR | forecasts | ECE % | Brier "
        "| unusable probabilities |",
        "|---|---|---:|" + "---|" * len(ks) + "---|---:|---|---|---:|",
    ]
    for name, ddx in models.items():
        o = ddx["overall"]
        tops = " | ".join(_fmt(o["top_k"][str(j)]) if str(j) in o["top_k"] else "—" for j in ks)
        lines.append(
            f"| {name} | {_how(o['methods'])} | {o['items']} | {tops} | {_fmt(o['mrr'], 1, 3)} | "
            f"{o['forecasts']} | {_fmt(o['ece'])} | {_fmt(o['brier'], 1, 3)} | {o['invalid_probabilities']} |"
        )
    languages = sorted({lang for d in models.values() for lang in d["by_language"]})
    for language in languages:
        lines += [
            "",
            f"### {language}: per department",
            "",
            f"| department | model | items | {head} | MRR | forecasts | ECE % | Brier |",
            "|---|---|---:|" + "---|" * len(ks) + "---|---:|---|---|",
        ]
        departments = sorted(
            {d for m in models.values() for d in m["by_language"].get(language, {}).get("by_department", {})}
        )
        for department in ["(overall)", *departments]:
            for name, ddx in models.items():
                part = ddx["by_language"].get(language)
                if part is None:
                    continue
                c = part["overall"] if department == "(overall)" else part["by_department"].get(department)
                if c is None:
                    continue
                tops = " | ".join(_fmt(c["top_k"][str(j)]) if str(j) in c["top_k"] else "—" for j in ks)
                lines.append(
                    f"| {department} | {name} | {c['items']} | {tops} | {_fmt(c['mrr'], 1, 3)} | "
                    f"{c['forecasts']} | {_fmt(c['ece'])} | {_fmt(c['brier'], 1, 3)} |"
                )
    if plots:
        lines += ["", "Reliability diagrams (accuracy of the top candidate per confidence bin):", ""]
        lines += [f"![reliability {n}]({path.relative_to(out_dir).as_posix()})" for n, path in plots.items()]
    return lines
