"""Build verifier_pairs_fresh.jsonl from the hand-written blocks in fresh_blocks/ (see LABELLED_SETS.md).

Block format: `= reference` opens a block; each following line is `+kind prediction # note` (match)
or `-kind prediction # note` (non-match). Every label was written by hand; this script only adds
a few mechanical variants (", unspecified"/"，未特指", a hedge, a prose answer, a negation) whose
label follows from the policy, drops blocks whose reference is already a reference in the older
pair files (case-folded), shuffles with a fixed seed and assigns ids.

Run: .venv/bin/python tests/data/make_verifier_pairs_fresh.py
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
OLD = ("verifier_pairs.jsonl", "verifier_pairs_heldout.jsonl", "verifier_labelled.jsonl")
OLD += ("verifier_heldout.jsonl",)
CJK = re.compile(r"[\u3400-\u9fff]")
KINDS = {
    "syn": "synonym", "abbr": "name-abbr", "spec": "more-specific", "fmt": "format",
    "hedge": "hedge", "zhen": "zh-en", "cat": "same-category", "qual": "qualifier-conflict",
    "less": "less-specific", "near": "distinct", "far": "distinct", "amb": "ambiguous-abbreviation",
    "neg": "negation", "alt": "no-commitment", "prose": "prose", "uns": "unspecified",
}  # fmt: skip
DEFAULT_NOTE = {
    "less": "less specific than the reference",
    "qual": "qualifier conflict (side, site, acuity, type, stage or primary/secondary)",
    "cat": "sibling subtype in the same category",
    "near": "different disease, same organ or presentation",
    "far": "clearly different disease",
    "neg": "negated",
    "alt": "alternatives without a choice",
}


def parse(path: Path) -> list[tuple[str, list[tuple[bool, str, str, str]]]]:
    blocks: list[tuple[str, list[tuple[bool, str, str, str]]]] = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("= "):
            blocks.append((line[2:].strip(), []))
            continue
        m = re.fullmatch(r"([+-])(\w+) (.+?)(?: # (.+))?", line)
        if not m or m[2] not in KINDS or not blocks:
            raise SystemExit(f"{path.name} line {n}: cannot parse {raw!r}")
        blocks[-1][1].append((m[1] == "+", m[2], m[3].strip(), (m[4] or "").strip()))
    return blocks


def variants(i: int, ref: str, zh: bool) -> list[tuple[bool, str, str, str]]:
    """Mechanical variants for every few references; labels follow the policy directly."""
    out = []
    plain = not re.search(r"[(),（），]", ref)
    if i % 5 == 0 and plain:
        pred = f"{ref}，未特指" if zh else f"{ref}, unspecified"
        out.append((True, "uns", pred, "'unspecified' adds nothing"))
    if i % 6 == 1:
        pred = f"最可能的诊断是{ref}。" if zh else f"The most likely diagnosis is {ref}."
        out.append((True, "prose", pred, "diagnosis stated in a sentence"))
    if i % 7 == 2:
        pred = f"疑似{ref}" if zh else f"Suspected {ref}"
        out.append((True, "hedge", pred, "a hedge on one diagnosis commits to it"))
    if i % 8 == 3:
        pred = f"已排除{ref}" if zh else f"{ref} excluded"
        out.append((False, "neg", pred, "the reference is negated"))
    return out


def main() -> None:
    old = set()
    for name in OLD:
        for line in (HERE / name).read_text(encoding="utf-8").splitlines():
            old.add(json.loads(line)["reference"].casefold())
    rows, dropped = [], []
    # far.txt and extra.txt add predictions to references opened in the other files, so they get
    # no mechanical variants (they would repeat).
    for block_file in ("en.txt", "zh.txt", "zh2.txt", "far.txt", "extra.txt"):
        for i, (ref, items) in enumerate(parse(HERE / "fresh_blocks" / block_file)):
            if ref.casefold() in old:
                if block_file not in ("far.txt", "extra.txt"):
                    dropped.append(ref)
                continue
            zh = bool(CJK.search(ref))
            extra = [] if block_file in ("far.txt", "extra.txt") else variants(i, ref, zh)
            for match, code, pred, note in items + extra:
                note = note or DEFAULT_NOTE.get(code, "")
                if code == "far" and not note.startswith("clearly different"):
                    note = f"clearly different disease; {note}"
                row = {"id": "", "language": "zh" if zh else "en", "prediction": pred}
                row |= {"reference": ref, "match": match, "kind": KINDS[code]}
                row |= {"source": f"hand-written {'zh' if zh else 'en'} block"}
                if note:
                    row["note"] = note
                rows.append(row)
    seen = Counter((r["prediction"].casefold(), r["reference"].casefold()) for r in rows)
    dup = [p for p, c in seen.items() if c > 1]
    if dup:
        raise SystemExit(f"duplicate pairs: {dup}")
    random.Random(20261207).shuffle(rows)
    for n, row in enumerate(rows, 1):
        row["id"] = f"vf-{n:04d}"
    out = HERE / "verifier_pairs_fresh.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"dropped {len(dropped)} references already in the older pair files: {dropped}")
    print(f"wrote {len(rows)} pairs to {out.name}")


if __name__ == "__main__":
    main()
