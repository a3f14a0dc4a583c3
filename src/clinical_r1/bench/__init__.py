"""Benchmark builder: stratified by ICD-10 per department, bilingual, checked for training leakage."""

from clinical_r1.bench.allocate import allocate
from clinical_r1.bench.build import BenchConfig, build_benchmark
from clinical_r1.bench.datasheet import BenchItem, Datasheet, DepartmentStats
from clinical_r1.leakage import LeakageIndex

__all__ = [
    "BenchConfig",
    "BenchItem",
    "Datasheet",
    "DepartmentStats",
    "LeakageIndex",
    "allocate",
    "build_benchmark",
]
