"""FHIR bulk-export import: throughput and peak memory (RSS) against the number of encounters.

Unlike MIMIC, a FHIR export cannot be read one record at a time: an Encounter's Conditions,
Observations and notes sit in other files (and may come before or after it), so the importer keeps
a small extract of every resource (reference keys, observation lines, note text) until all files are
read. This script writes bulk-export folders (Patient, Encounter, Condition, Observation and
DocumentReference .ndjson; per encounter one patient, one ICD-10-coded Condition, six Observations
and one 2 kB text note) of several sizes, imports each in a fresh process and prints resources/s
and peak RSS, so the memory that grows with the export is measured, not guessed.

    .venv/bin/python benchmarks/fhir_import.py                  # 2k and 20k encounters
    .venv/bin/python benchmarks/fhir_import.py --sizes 500
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import tempfile
from pathlib import Path

from import_measure import baseline_rss, measure_import
from rich.console import Console
from rich.table import Table

# Everything the import loads (fhir.resources R4B models, WHO ICD-10), no data read.
FHIR_SETUP = """
from fhir.resources.R4B import get_fhir_model_class
from clinical_r1 import icd10, import_fhir
for name in ("Patient", "Encounter", "Condition", "Observation", "DocumentReference", "Composition"):
    get_fhir_model_class(name)
icd10.normalize("J18.9")
"""

CODES = [
    ("J18.9", "Pneumonia, unspecified"), ("I21.4", "Acute subendocardial myocardial infarction"),
    ("K35.8", "Acute appendicitis, other and unspecified"), ("N39.0", "Urinary tract infection"),
]  # fmt: skip
VITALS = [
    ("Heart rate", "/min", 50, 130), ("Respiratory rate", "/min", 10, 32), ("Temperature", "Cel", 36, 40),
    ("Oxygen saturation", "%", 85, 100), ("Glucose", "mg/dL", 70, 300), ("Creatinine", "mg/dL", 0.5, 4),
]  # fmt: skip
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SENTENCE = "The patient reports worsening symptoms over several days with poor oral intake and fatigue. "
OBSERVATIONS_EACH, RESOURCES_EACH = len(VITALS), 4 + len(VITALS)


def generate(n: int, root: Path, seed: int = 0) -> Path:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    files = {t: (root / f"{t}.ndjson").open("w") for t in
             ("Patient", "Encounter", "Condition", "Observation", "DocumentReference")}  # fmt: skip
    for i in range(n):
        code, title = rng.choice(CODES)
        note = "Chief Complaint:\ncough\n\nHistory of Present Illness:\n" + SENTENCE * 22
        data = base64.b64encode(note.encode()).decode()
        resources = [
            {"resourceType": "Patient", "id": f"p{i}", "gender": rng.choice(["male", "female"]),
             "birthDate": f"{rng.randint(1930, 2000)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"},
            {"resourceType": "Encounter", "id": f"e{i}", "status": "finished", "class": {"code": "IMP"},
             "subject": {"reference": f"Patient/p{i}"}, "period": {"start": "2024-03-01T08:00:00Z"},
             "diagnosis": [{"condition": {"reference": f"Condition/c{i}"}, "rank": 1}]},
            {"resourceType": "Condition", "id": f"c{i}", "subject": {"reference": f"Patient/p{i}"},
             "encounter": {"reference": f"Encounter/e{i}"},
             "code": {"coding": [{"system": ICD10, "code": code, "display": title}]}},
            {"resourceType": "DocumentReference", "id": f"d{i}", "status": "current",
             "content": [{"attachment": {"contentType": "text/plain", "data": data}}],
             "context": {"encounter": [{"reference": f"Encounter/e{i}"}]}},
        ] + [
            {"resourceType": "Observation", "id": f"o{i}-{k}", "status": "final", "code": {"text": name},
             "encounter": {"reference": f"Encounter/e{i}"},
             "valueQuantity": {"value": round(rng.uniform(low, high), 1), "unit": unit}}
            for k, (name, unit, low, high) in enumerate(VITALS)
        ]  # fmt: skip
        for resource in resources:
            files[resource["resourceType"]].write(json.dumps(resource) + "\n")
    for fh in files.values():
        fh.close()
    return root


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 20_000])
    args = parser.parse_args()
    console = Console(width=130)
    baseline = baseline_rss(FHIR_SETUP)
    table = Table(title=f"FHIR bulk import (Python {sys.version.split()[0]}; baseline RSS {baseline:.0f} MB)")
    for column in ("encounters", "resources", "NDJSON MB", "wall s", "CPU s", "resources / CPU s", "records",
                   "peak RSS MB", "above baseline MB", "kB / encounter"):  # fmt: skip
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            root = generate(n, Path(tmp) / f"fhir_{n}")
            size = sum(p.stat().st_size for p in root.glob("*.ndjson"))
            with console.status(f"importing {n:,} encounters"):
                result = measure_import(str(root), str(Path(tmp) / f"out_{n}.jsonl"), {"fmt": "fhir"})
            assert result["records"] == n and result["rejected"] == 0, result
            peak, resources = result["peak_rss_mb"], n * RESOURCES_EACH
            table.add_row(
                f"{n:,}", f"{resources:,}", f"{size / 1e6:.0f}", f"{result['seconds']:.1f}",
                f"{result['cpu_seconds']:.1f}", f"{resources / result['cpu_seconds']:,.0f}",
                f"{result['records']:,}",
                f"{peak:.0f}", f"{peak - baseline:.0f}", f"{(peak - baseline) * 1024 / n:.1f}",
            )  # fmt: skip
            console.print(f"{n:,} encounters: {result['seconds']:.1f} s, peak RSS {peak:.0f} MB")
    console.print(table)


if __name__ == "__main__":
    main()
