"""MIMIC-IV import: throughput and peak memory (RSS) on a synthetic export of MIMIC-IV's size.

MIMIC-IV-Note has about 330k discharge summaries (10 kB of text each, 3 GB unpacked) and MIMIC-IV
about 11 diagnosis rows per admission. The importer streams discharge.csv.gz one note at a time and
keeps only the principal diagnosis of each admission in memory, so peak memory must not grow with
the number of notes beyond that index. This script writes `note/discharge.csv.gz` and
`hosp/diagnoses_icd.csv.gz` in MIMIC's exact layout (de-identified "___", MIMIC's section headings;
four in ten admissions coded in ICD-9 as in MIMIC-IV before October 2015, and some CM-only codes),
imports each size in a fresh process and prints notes/s and peak RSS.

    .venv/bin/python benchmarks/mimic_import.py                    # 30k and 300k notes
    .venv/bin/python benchmarks/mimic_import.py --sizes 3000
"""

from __future__ import annotations

import argparse
import csv
import gzip
import random
import sys
import tempfile
from pathlib import Path

from import_measure import baseline_rss, measure_import
from rich.console import Console
from rich.table import Table

# Principal diagnoses: (ICD-10-CM code, complaint); ICD-9 codes for the admissions before 2015.
ICD10_PRINCIPALS = [
    ("A419", "fever and confusion"), ("I214", "chest pain"), ("J189", "cough and fever"),
    ("N179", "decreased urine output"), ("K8000", "right upper quadrant pain"), ("I639", "weakness"),
    ("J441", "shortness of breath"), ("E1165", "polyuria"), ("R6520", "hypotension"), ("I5023", "dyspnea"),
    ("K5010", "diarrhea"), ("N390", "dysuria"), ("E0865", "hyperglycemia"), ("K3580", "abdominal pain"),
]  # fmt: skip
ICD9_PRINCIPALS = [("0389", "fever"), ("41071", "chest pain"), ("486", "cough"), ("5849", "oliguria")]
SECONDARY = ["I10", "E785", "Z87891", "E119", "F329", "K219", "Z7901", "D649", "E039", "N189"]
ICD9_SHARE = 0.4

NOTE = """ \nName:  ___                     Unit No:   ___\n \nAdmission Date:  ___              Discharge Date:   ___\n \nDate of Birth:  ___             Sex:   {sex}\n \nService: MEDICINE\n \nAllergies: \nNo Known Allergies / Adverse Drug Reactions\n \nAttending: ___.\n \nChief Complaint:\n{complaint}\n \nMajor Surgical or Invasive Procedure:\nNone\n \nHistory of Present Illness:\n{hpi}\n \nPast Medical History:\nHypertension, hyperlipidemia, GERD\n \nSocial History:\n___\nFamily History:\nMother with diabetes.\n \nPhysical Exam:\nADMISSION PHYSICAL EXAM:\nVS: {temp} {hr} {sbp}/{dbp} {rr} {sat}%RA\nGENERAL: Alert, in no acute distress\nHEENT: Sclera anicteric, MMM\nLUNGS: {lungs}\nABDOMEN: Soft, {abdomen}\n \nDISCHARGE PHYSICAL EXAM:\nVS: 98.1 72 118/70 16 98%RA\n \nPertinent Results:\nADMISSION LABS:\n{labs}\n \nDISCHARGE LABS:\n{discharge_labs}\n \nBrief Hospital Course:\n{course}\n \nMedications on Admission:\n1. Lisinopril 10 mg PO DAILY\n2. Atorvastatin 40 mg PO QPM\n \nDischarge Medications:\n1. Lisinopril 10 mg PO DAILY\n \nDischarge Disposition:\nHome\n \nDischarge Diagnosis:\nPrimary: ___\n \nDischarge Condition:\nMental Status: Clear and coherent.\nLevel of Consciousness: Alert and interactive.\n \nDischarge Instructions:\n{instructions}\n \nFollowup Instructions:\n___\n"""  # noqa: E501
WORDS = (
    "patient was seen by the team and the plan was discussed with the family given the history of "
    "symptoms and the imaging findings reviewed with radiology overnight labs were trended daily"
).split()
LABS = ("WBC", "RBC", "Hgb", "Hct", "Plt", "Glucose", "UreaN", "Creat", "Na", "K", "Cl", "HCO3", "ALT", "AST")


def sentences(rng: random.Random, n: int) -> str:
    return " ".join(" ".join(rng.choices(WORDS, k=14)).capitalize() + "." for _ in range(n))


def lab_lines(rng: random.Random, n: int) -> str:
    return "\n".join(
        f"___ 0{rng.randint(1, 9)}:{rng.randint(10, 59)}AM BLOOD "
        + " ".join(f"{name}-{rng.uniform(1, 150):.1f}{'*' if rng.random() < 0.2 else ''}" for name in LABS)
        for _ in range(n)
    )


class Pools:
    """Pre-written paragraphs and lab blocks to draw from: writing 300k notes word by word takes too long."""

    def __init__(self, rng: random.Random, size: int = 400):
        self.hpi = [sentences(rng, 12) for _ in range(size)]
        self.course = [sentences(rng, 40) for _ in range(size)]
        self.instructions = [sentences(rng, 12) for _ in range(size)]
        self.labs = [lab_lines(rng, 14) for _ in range(size)]
        self.discharge_labs = [lab_lines(rng, 6) for _ in range(size)]


def note(rng: random.Random, pools: Pools, complaint: str) -> str:
    return NOTE.format(
        sex=rng.choice("MF"), complaint=complaint, hpi=rng.choice(pools.hpi),
        temp=f"{rng.uniform(97, 103):.1f}",
        hr=rng.randint(55, 130), sbp=rng.randint(85, 170), dbp=rng.randint(45, 100), rr=rng.randint(12, 30),
        sat=rng.randint(86, 100), lungs=rng.choice(["Clear to auscultation", "Crackles at the right base"]),
        abdomen=rng.choice(["non-tender", "tender in the right upper quadrant"]), labs=rng.choice(pools.labs),
        discharge_labs=rng.choice(pools.discharge_labs), course=rng.choice(pools.course),
        instructions=rng.choice(pools.instructions),
    )  # fmt: skip


def generate(n: int, root: Path, seed: int = 0) -> tuple[Path, int]:
    """Write an n-note MIMIC export under root; returns (root, unpacked bytes of discharge.csv)."""
    rng = random.Random(seed)
    pools = Pools(rng)
    (root / "note").mkdir(parents=True, exist_ok=True)
    (root / "hosp").mkdir(parents=True, exist_ok=True)
    size = 0

    def gz(path: Path):  # level 1: the benchmark measures reading, not how well we compress
        return gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=1)

    with gz(root / "note" / "discharge.csv.gz") as nf, gz(root / "hosp" / "diagnoses_icd.csv.gz") as df:
        notes, diagnoses = csv.writer(nf), csv.writer(df)
        notes.writerow(
            ["note_id", "subject_id", "hadm_id", "note_type", "note_seq", "charttime", "storetime", "text"]
        )
        diagnoses.writerow(["subject_id", "hadm_id", "seq_num", "icd_code", "icd_version"])
        for i in range(n):
            subject, hadm = str(10_000_000 + i), str(20_000_000 + i)
            icd9 = rng.random() < ICD9_SHARE
            code, complaint = rng.choice(ICD9_PRINCIPALS if icd9 else ICD10_PRINCIPALS)
            text = note(rng, pools, complaint)
            size += len(text)
            notes.writerow([f"{subject}-DS-1", subject, hadm, "DS", "1", "2180-05-07 00:00:00",
                            "2180-05-09 15:26:00", text])  # fmt: skip
            version = "9" if icd9 else "10"
            diagnoses.writerow([subject, hadm, "1", code, version])
            for seq, secondary in enumerate(rng.sample(SECONDARY, 10), start=2):
                diagnoses.writerow([subject, hadm, str(seq), "4019" if icd9 else secondary, version])
    return root, size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000, 300_000])
    parser.add_argument(
        "--workdir", type=Path, default=None, help="Keep generated files here (default: temp)."
    )
    args = parser.parse_args()

    console = Console(width=130)
    # the same process with everything the import loads (WHO and CM tables) but no data read
    baseline = baseline_rss("from clinical_r1 import icd10_cm, import_mimic\nicd10_cm.to_who('K5010')")
    table = Table(title=f"MIMIC-IV import (Python {sys.version.split()[0]}; baseline RSS {baseline:.0f} MB)")
    for column in ("notes", "text MB", "gz MB", "wall s", "CPU s", "notes / s", "notes / CPU s", "records",
                   "rejected (ICD-9)", "warnings (CM only)", "peak RSS MB", "above baseline MB"):  # fmt: skip
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            root = (args.workdir or Path(tmp)) / f"mimic_{n}"
            with console.status(f"generating {n:,} notes"):
                _, size = generate(n, root)
            gz = sum(p.stat().st_size for p in root.rglob("*.gz"))
            with console.status(f"importing {n:,} notes"):
                result = measure_import(str(root), str(root / "out.jsonl"), {"fmt": "mimic-iv"})
            assert result["records"] + result["rejected"] == n, result  # every note accounted for
            peak = result["peak_rss_mb"]
            table.add_row(
                f"{n:,}", f"{size / 1e6:,.0f}", f"{gz / 1e6:,.0f}", f"{result['seconds']:.1f}",
                f"{result['cpu_seconds']:.1f}", f"{n / result['seconds']:,.0f}",
                f"{n / result['cpu_seconds']:,.0f}",
                f"{result['records']:,}", f"{result['rejected']:,}", f"{result['warned']:,}", f"{peak:.0f}",
                f"{peak - baseline:.0f}",
            )  # fmt: skip
            console.print(f"{n:,} notes: {result['seconds']:.1f} s, peak RSS {peak:.0f} MB")
            if args.workdir is None:
                for produced in root.rglob("*"):
                    if produced.is_file():
                        produced.unlink()
    console.print(table)


if __name__ == "__main__":
    main()
