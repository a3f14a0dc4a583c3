"""The whole recipe from one config: records -> synthesize -> sft -> rl, records -> bench -> eval.

Every stage reads files and writes files under `runs/<name>/<stage>/`. The manifest records each
stage's fingerprint (config + input content); a rerun skips stages that are unchanged and reruns the
rest, and the long stages resume from their own journals and checkpoints. The whole config is
validated before the first stage starts.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator
from rich.console import Console
from rich.table import Table

from clinical_r1.bench import BenchConfig, build_benchmark
from clinical_r1.config import ConfigError, StrictModel, load_config, read_yaml
from clinical_r1.curate import CurateConfig, run_curation
from clinical_r1.evaluate.config import EvalConfig, ModelUnderTest
from clinical_r1.evaluate.runner import run_eval
from clinical_r1.importers import EXPORT_FORMATS, ImportConfig, import_file
from clinical_r1.manifest import Manifest, fingerprint, package_versions
from clinical_r1.record_filters import RecordFilter, filter_rows
from clinical_r1.records import SAMPLE_RECORDS, RecordError, iter_jsonl, write_jsonl
from clinical_r1.runlock import RunLock
from clinical_r1.safe_io import atomic_open, atomic_write, make_dirs
from clinical_r1.synth.config import SynthConfig
from clinical_r1.synth.runner import run_synthesis
from clinical_r1.tiny import resolve_model
from clinical_r1.train.rl import RLConfig, run_rl
from clinical_r1.train.rl_data import prepare_rl_data
from clinical_r1.train.sft import SFTStageConfig, run_sft

STAGES = ("records", "curate", "synthesize", "sft", "rl", "bench", "eval")
# Their trainers resume from whatever checkpoint is in the stage folder, without checking what made it.
CHECKPOINTED_STAGES = ("sft", "rl")
Stage = Literal["records", "curate", "synthesize", "sft", "rl", "bench", "eval"]

console = Console()


class RecordInput(StrictModel):
    """One input file; `samples` stands for the bundled sample records."""

    path: str
    import_: ImportConfig = Field(default_factory=ImportConfig, alias="import")


class RecordsStage(StrictModel):
    inputs: list[RecordInput] = Field(default_factory=lambda: [RecordInput(path="samples")])

    @field_validator("inputs")
    @classmethod
    def _some_input(cls, value: list[RecordInput]) -> list[RecordInput]:
        if not value:
            raise ValueError("no inputs: list at least one file (e.g. '- path: samples')")
        return value
    # Share of cases held out for the benchmark (never trained on). Split by pair id when present,
    # so an English case and its Chinese translation land on the same side.
    heldout_fraction: float = Field(0.5, ge=0.0, le=1.0)
    # Which imported records the run uses at all (training and benchmark): record_filters.RecordFilter.
    filter: RecordFilter = Field(default_factory=RecordFilter)


def _stage_config_file(value: Any) -> Any:
    """A stage's `config` may name a YAML file of its own (e.g. configs/sft_paper.yaml)."""
    if isinstance(value, str):
        loaded = read_yaml(value, what="stage config file") or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{value}: the top level must be a mapping, got {type(loaded).__name__}")
        return loaded
    return value


class SFTStage(StrictModel):
    config: SFTStageConfig = Field(default_factory=SFTStageConfig)
    # Hand-written examples trained on beside the synthesized ones (e.g. when the teacher is a toy).
    extra_data: list[str] = Field(default_factory=list)
    # Which training examples SFT uses (language, department, ids): record_filters.RecordFilter.
    filter: RecordFilter = Field(default_factory=RecordFilter)
    # Run the stage through a launcher instead of in this process, e.g. "accelerate launch
    # --config_file configs/accelerate/deepspeed_zero3.yaml" for 8 GPUs. None: in-process.
    launch: str | None = None
    _file = field_validator("config", mode="before")(_stage_config_file)


class RLStage(StrictModel):
    config: RLConfig = Field(default_factory=RLConfig)
    launch: str | None = None  # as for SFT
    _file = field_validator("config", mode="before")(_stage_config_file)
    data: Literal["train_records", "examples"] = "train_records"
    # Which prompts RL uses, and benchmark cases left out: by default the held-out records the
    # benchmark is built from, plus any `exclude_cases` files (exact or near duplicates, leakage.py).
    filter: RecordFilter = Field(default_factory=RecordFilter)
    exclude_benchmark: bool = True
    exclude_cases: list[str] = Field(default_factory=list)
    leak_threshold: float = Field(0.8, gt=0.0, le=1.0)

    @field_validator("exclude_cases")
    @classmethod
    def _case_files(cls, value: list[str]) -> list[str]:
        missing = [p for p in value if not Path(p).expanduser().is_file()]
        if missing:
            raise ValueError(f"benchmark case file(s) not found: {', '.join(missing)}")
        return value


class EvalStage(StrictModel):
    config: EvalConfig = Field(default_factory=EvalConfig)
    # Which models to evaluate: "base" (the model before training), "sft", "rl", or any model spec.
    models: list[ModelUnderTest] = Field(default_factory=list)


class PipelineConfig(StrictModel):
    name: str
    runs_dir: str = "runs"
    # The model trained (and the base evaluated); "tiny" = the project's tiny offline model.
    model: str = "tiny"
    records: RecordsStage = Field(default_factory=RecordsStage)
    # Off unless configured: filters the training records (curate.py; docs/curation.md).
    curate: CurateConfig | None = None
    synthesize: SynthConfig | None = None
    sft: SFTStage | None = None
    rl: RLStage | None = None
    bench: BenchConfig | None = None
    eval: EvalStage | None = None

    @field_validator("name")
    @classmethod
    def _folder_name(cls, value: str) -> str:
        """The run is written to runs_dir/NAME: a name must not climb out of runs_dir or be its root."""
        if not value.strip():
            raise ValueError("must not be empty: the run is written to runs_dir/NAME")
        if value in (".", "..") or any(c in value for c in "/\\\0") or value != value.strip():
            raise ValueError(
                f"{value!r} is not a plain folder name (no '/', '\\', '..', or spaces around it): "
                "the run is written to runs_dir/NAME"
            )
        return value

    @model_validator(mode="after")
    def _dependencies(self) -> PipelineConfig:
        if self.eval is not None and self.bench is None:
            raise ValueError("eval needs a bench stage (the benchmark it evaluates on)")
        # The trained model must be prompted as it was trained: RL and evaluation inherit SFT's
        # system prompts and output style unless they set their own.
        if self.sft is not None:
            trained = self.sft.config
            if self.rl is not None and self.rl.config.system_prompts is None:
                self.rl.config.system_prompts = trained.system_prompts
            if self.eval is not None:
                if self.eval.config.system_prompts is None:
                    self.eval.config.system_prompts = trained.system_prompts
                self.eval.config.style = trained.style
            # Unless the RL config names a reward style itself (a value, or null for detect).
            if self.rl is not None and "style" not in self.rl.config.reward.model_fields_set:
                self.rl.config.reward.style = trained.style
        return self


def check_paths(config: PipelineConfig, source: str) -> None:
    """Every file and folder the config names, checked before the first stage starts (so a missing
    input, seed file or model folder is a located ConfigError, not a traceback an hour in). Kept out of
    the model's validators so a config can still be loaded and inspected on another machine."""
    problems: list[str] = []

    def bad(field: str, message: str) -> None:
        problems.append(f"{source}: field '{field}': {message}")

    for i, item in enumerate(config.records.inputs):
        if item.path == "samples":
            continue
        path = Path(item.path).expanduser()
        if not path.exists():
            bad(f"records.inputs.{i}.path", f"input {item.path} not found")
        elif path.is_dir() and item.import_.fmt not in EXPORT_FORMATS:
            bad(
                f"records.inputs.{i}.path",
                f"input {item.path} is a folder: give a file, or set import.fmt to "
                f"{' or '.join(EXPORT_FORMATS)} for a whole export",
            )
    probe = Path(config.runs_dir).expanduser()
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        bad("runs_dir", f"{probe} is a file, not a folder ({config.runs_dir} must be a folder for the runs)")
    if (problem := model_problem(config.model)) is not None:
        bad("model", problem)
    for i, item in enumerate(config.sft.extra_data if config.sft else []):
        path = Path(item).expanduser()
        if not path.is_file():
            bad(f"sft.extra_data.{i}", f"{item} {'is not a file' if path.exists() else 'not found'}")
    for i, model in enumerate(config.eval.models if config.eval else []):
        if isinstance(model.spec, str) and model.spec not in ("base", "sft", "rl"):
            if (problem := model_problem(model.spec)) is not None and model.spec.startswith("local:"):
                bad(f"eval.models.{i}.spec", problem)
    if problems:
        raise ConfigError("\n".join(problems))


def model_problem(value: str) -> str | None:
    """None for `tiny`, an existing model folder or a Hugging Face id ("org/name"); else what is wrong
    (a path that is not there would otherwise end in the hub client's 'Repo id must be in the form')."""
    if value in ("tiny", "local:tiny"):
        return None
    name = value.removeprefix("local:")
    path = Path(name).expanduser()
    if path.exists():
        return None if path.is_dir() else f"{name} is a file; a model is a folder (config.json, weights)"
    if value.startswith("local:") or name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name:
        return f"model folder {name} not found"
    return None


class Pipeline:
    def __init__(self, config: PipelineConfig, config_path: Path | None = None):
        self.config = config
        self.root = Path(config.runs_dir) / config.name
        runs = Path(config.runs_dir).resolve()
        if self.root.resolve().parent != runs:  # the name validator's promise, checked on the real path
            raise ConfigError(f"run name {config.name!r}: {self.root} is not a folder inside {runs}")
        self.config_path = config_path
        self.manifest = self._load_manifest()
        self.outputs: dict[str, dict[str, str]] = {}

    def _load_manifest(self) -> Manifest:
        manifest = Manifest(self.root / "manifest.json")
        manifest.data["config"] = self.config.model_dump(mode="json", by_alias=True)
        manifest.data["config_file"] = str(self.config_path) if self.config_path else None
        manifest.data["versions"] = package_versions()
        return manifest

    def enabled(self) -> list[str]:
        return [s for s in STAGES if s == "records" or getattr(self.config, s) is not None]

    def run(self, only: str | None = None, start_from: str | None = None) -> dict[str, dict[str, str]]:
        stages = self.enabled()
        for name in (only, start_from):
            if name is not None and name not in stages:
                raise ConfigError(f"stage '{name}' is not enabled in this config (enabled: {stages})")
        with RunLock(self.root) as lock:
            if lock.took_over is not None:
                console.print(f"[yellow]{self.root}: lock of pid {lock.took_over} (not running) taken over")
            self.manifest = self._load_manifest()  # again under the lock: another run may have changed it
            return self._run_stages(stages, only, start_from)

    def _run_stages(
        self, stages: list[str], only: str | None, start_from: str | None
    ) -> dict[str, dict[str, str]]:
        first = stages.index(start_from) if start_from else 0
        for index, stage in enumerate(stages):
            force = (only == stage) or (start_from is not None and index >= first)
            if only is not None and stage != only:
                # Downstream stages still need the outputs of the ones before them (if they have run).
                if outputs := self.manifest.outputs(stage):
                    self.outputs[stage] = outputs
                continue
            self._run_stage(stage, force=force)
        return self.outputs

    def _run_stage(self, stage: str, force: bool) -> None:
        runner: Callable[[Path], tuple[dict[str, Any], dict[str, Path], dict[str, Any]]]
        runner = getattr(self, f"_stage_{stage}")
        try:
            stage_config, inputs = self._plan(stage)
        except KeyError as exc:  # --only on a run whose earlier stages have not finished
            raise ConfigError(
                f"stage '{stage}' needs the outputs of stage '{exc.args[0]}', which has not finished in "
                f"{self.root}: run without --only first"
            ) from None
        fp = fingerprint(stage_config, inputs)
        if not force and self.manifest.is_fresh(stage, fp):
            self.outputs[stage] = self.manifest.outputs(stage)
            console.print(f"[dim]{stage}: unchanged, skipped[/dim]")
            return
        console.rule(f"[bold]{stage}")
        previous = self.manifest.data["stages"].get(stage, {}).get("fingerprint")
        # Training anew: after a change, or when the user forces the stage (--from / --only). An
        # interrupted run with the same fingerprint keeps its checkpoints and resumes.
        if stage in CHECKPOINTED_STAGES and (force or previous not in (None, fp)):
            set_aside_checkpoints(self.root / stage)
        self.manifest.start(stage, fp, inputs)
        started = time.time()
        try:
            outputs, summary = runner(self.root / stage)
        except BaseException as exc:
            self.manifest.fail(stage, f"{type(exc).__name__}: {exc}")
            raise
        self.outputs[stage] = {k: str(v) for k, v in outputs.items()}
        self.manifest.finish(stage, outputs, time.time() - started, summary)

    # -- what each stage depends on (its config and its input files) --------------------------

    def _plan(self, stage: str) -> tuple[Any, dict[str, str | Path]]:
        c = self.config
        out = self.outputs
        if stage == "records":
            paths = {f"input{i}": _input_path(x.path) for i, x in enumerate(c.records.inputs)}
            return c.records.model_dump(mode="json", by_alias=True), paths
        if stage == "curate":
            inputs = {"records": out["records"]["train"], "heldout": out["records"]["heldout"]}
            inputs.update({f"benchmark{i}": p for i, p in enumerate(c.curate.benchmarks)})
            return c.curate.model_dump(mode="json"), inputs
        if stage == "synthesize":
            return c.synthesize.model_dump(mode="json"), {"records": self._train_records()}
        if stage == "sft":
            inputs: dict[str, str | Path] = {"model": resolve_model(c.model)}
            if "synthesize" in out:
                inputs["examples"] = out["synthesize"]["examples"]
            inputs.update({f"extra{i}": p for i, p in enumerate(c.sft.extra_data)})
            return c.sft.model_dump(mode="json"), inputs
        if stage == "rl":
            model = out["sft"]["model"] if "sft" in out else resolve_model(c.model)
            data = out["synthesize"]["examples"] if c.rl.data == "examples" else self._train_records()
            inputs = {"model": model, "data": data}
            inputs.update({f"benchmark{i}": p for i, p in enumerate(self._rl_benchmark_files())})
            return c.rl.model_dump(mode="json"), inputs
        if stage == "bench":
            inputs = {"heldout": out["records"]["heldout"], "train": out["records"]["train"]}
            if "sft" in out:
                inputs["sft_data"] = out["sft"]["data"]
            return c.bench.model_dump(mode="json"), inputs
        if stage == "eval":
            under_test = self._models_under_test()
            inputs = {"bench": out["bench"]["bench"]}
            # A local model's folder is an input: retrained weights in the same folder rerun the stage.
            for m in under_test:
                spec = m.model_spec()
                if spec.backend == "local" and Path(spec.model).exists():
                    inputs[f"model:{m.name}"] = spec.model
            models = {m.name: m.spec for m in under_test}
            return {"config": c.eval.model_dump(mode="json"), "models": models}, inputs
        raise ConfigError(f"unknown stage {stage}")

    # -- the stages ------------------------------------------------------------------------------

    def _stage_records(self, out_dir: Path) -> tuple[dict[str, Path], dict[str, Any]]:
        make_dirs(out_dir)
        all_path = out_dir / "records.jsonl"
        summary: dict[str, Any] = {"inputs": []}
        parts = []
        for i, item in enumerate(self.config.records.inputs):
            part = out_dir / f"input{i}.jsonl"
            report = import_file(
                _input_path(item.path), part, item.import_, rejects=out_dir / f"input{i}.rejects.jsonl"
            )
            summary["inputs"].append(
                {
                    "path": item.path,
                    "records": report.records,
                    "rejected": report.rejected,
                    "mcq": report.mcq_items,
                }
            )
            console.print(f"{item.path}: {report.records} records imported, {report.rejected} rejected")
            parts.append(part)
        rows: list[dict[str, Any]] = []
        first: dict[str, str] = {}  # id -> where it was first seen: later stages key everything by id
        for part in parts:
            for line, obj in iter_jsonl(part):
                if obj["id"] in first:
                    raise RecordError(
                        part, line, "id", f"duplicate id {obj['id']!r} (first at {first[obj['id']]})"
                    )
                first[obj["id"]] = f"{part}:{line}"
                rows.append(obj)
        if not self.config.records.filter.is_empty():
            rows, filtered = filter_rows(rows, self.config.records.filter)
            summary["filter"] = filtered.as_dict()
            console.print(f"record filter: {filtered.describe()}")
            if not rows:
                raise ConfigError("records.filter keeps no record: nothing to train or benchmark on")
        write_jsonl(all_path, rows)
        train, heldout = split_heldout(rows, self.config.records.heldout_fraction)
        write_jsonl(out_dir / "train.jsonl", train)
        write_jsonl(out_dir / "heldout.jsonl", heldout)
        summary.update(records=len(rows), train=len(train), heldout=len(heldout))
        console.print(
            f"{len(rows)} records: {len(train)} for training, {len(heldout)} held out for the benchmark"
        )
        return {
            "records": all_path,
            "train": out_dir / "train.jsonl",
            "heldout": out_dir / "heldout.jsonl",
        }, summary

    def _train_records(self) -> str:
        """The records trained on: the curated ones when the curate stage ran."""
        stage = "curate" if "curate" in self.outputs else "records"
        return self.outputs[stage]["records" if stage == "curate" else "train"]

    def _stage_curate(self, out_dir: Path) -> tuple[dict[str, Path], dict[str, Any]]:
        config = self.config.curate
        # The held-out records are the benchmark's pool: training cases that duplicate them go too.
        heldout = Path(self.outputs["records"]["heldout"])
        pool = [heldout] if heldout.stat().st_size else []
        update: dict[str, Any] = {"benchmarks": [*pool, *config.benchmarks]}
        if config.model in ("base", "tiny"):  # "base": the model this run trains, before training
            model = self.config.model if config.model == "base" else "tiny"
            update["model"] = f"local:{resolve_model(model)}"
        stats = run_curation(config.model_copy(update=update), self.outputs["records"]["train"], out_dir)
        summary = stats.model_dump(mode="json", exclude={"distribution", "files"})
        return {"records": out_dir / "records.jsonl", "rejects": out_dir / "rejects.jsonl"}, summary

    def _stage_synthesize(self, out_dir: Path) -> tuple[dict[str, Path], dict[str, Any]]:
        config = self.config.synthesize
        stats = run_synthesis(config, self._train_records(), out_dir)
        return {"examples": out_dir / "examples.jsonl", "stats": out_dir / "stats.json"}, stats.model_dump(
            mode="json"
        )

    def _stage_sft(self, out_dir: Path) -> tuple[dict[str, Path], dict[str, Any]]:
        stage = self.config.sft
        sources = [self.outputs["synthesize"]["examples"]] if "synthesize" in self.outputs else []
        sources += stage.extra_data
        data = out_dir / "train_examples.jsonl"
        counts = concat_jsonl([_input_path(p) for p in sources], data)
        if not stage.filter.is_empty():
            examples, filtered = filter_rows((obj for _, obj in iter_jsonl(data)), stage.filter)
            console.print(f"SFT data filter: {filtered.describe()}")
            if not examples:
                raise ConfigError("sft.filter keeps no training example")
            write_jsonl(data, examples)
        console.print("SFT data: " + ", ".join(f"{n} from {p}" for p, n in counts.items()))
        model = resolve_model(self.config.model)
        if stage.launch:
            model_dir = launch_stage(stage.launch, "sft", stage.config, data, model, out_dir)
        else:
            model_dir = run_sft(stage.config, data, model, out_dir)
        metrics = json.loads((model_dir / "metrics.json").read_text())
        return {"model": model_dir, "data": data}, {
            "examples": counts,
            "final_loss": metrics.get("final_loss"),
        }

    def _stage_rl(self, out_dir: Path) -> tuple[dict[str, Path], dict[str, Any]]:
        _, inputs = self._plan("rl")
        stage = self.config.rl
        data = out_dir / "rl_data.jsonl"
        report = prepare_rl_data(
            inputs["data"], data, stage.filter, self._rl_benchmark_files(), stage.leak_threshold
        )
        console.print(report.describe())
        if stage.launch:
            model_dir = launch_stage(stage.launch, "rl", stage.config, data, inputs["model"], out_dir)
        else:
            model_dir = run_rl(stage.config, data, inputs["model"], out_dir)
        return {"model": Path(model_dir), "data": data}, {"data": report.as_dict()}

    def _rl_benchmark_files(self) -> list[str | Path]:
        """The cases RL must not train on: the held-out records the benchmark is built from (by
        default) and the configured `exclude_cases` files."""
        stage = self.config.rl
        files: list[str | Path] = [self.outputs["records"]["heldout"]] if stage.exclude_benchmark else []
        return files + [_input_path(p) for p in stage.exclude_cases]

    def _stage_bench(self, out_dir: Path) -> tuple[dict[str, Path], dict[str, Any]]:
        # Leak check against everything trained on: the training records and the SFT data.
        train_files = [self.outputs["records"]["train"]]
        if "sft" in self.outputs:
            train_files.append(self.outputs["sft"]["data"])
        sheet = build_benchmark(
            self.config.bench, self.outputs["records"]["heldout"], out_dir, train_files=train_files
        )
        return {"bench": out_dir / "bench.jsonl", "datasheet": out_dir / "datasheet.md"}, {
            "items": sheet.total_items,
            "cases": sheet.total_cases,
            "leaked_removed": sheet.leakage.model_dump(mode="json"),
        }

    def _stage_eval(self, out_dir: Path) -> tuple[dict[str, Path], dict[str, Any]]:
        models = self._models_under_test()
        report = run_eval(self.config.eval.config, self.outputs["bench"]["bench"], models, out_dir)
        metrics = json.loads((out_dir / "metrics.json").read_text())
        return {"report": Path(report), "metrics": out_dir / "metrics.json"}, {
            "overall": {m: v.get("overall") for m, v in metrics.get("models", {}).items()}
        }

    def _models_under_test(self) -> list[ModelUnderTest]:
        """Resolve the aliases `base`, `sft` and `rl` to model folders; drop stages not in this run."""
        named = {"base": resolve_model(self.config.model)}
        for stage in ("sft", "rl"):
            if stage in self.outputs and "model" in self.outputs[stage]:
                named[stage] = self.outputs[stage]["model"]
        resolved = []
        for m in self.config.eval.models:
            if not isinstance(m.spec, str):
                resolved.append(m)
                continue
            if m.spec in ("sft", "rl") and m.spec not in named:
                continue
            spec = f"local:{named[m.spec]}" if m.spec in named else resolve_model(m.spec)
            # The name was derived from the alias ("sft-trained"), which reads better than a path.
            resolved.append(ModelUnderTest(name=m.name, spec=spec, mode=m.mode))
        return resolved


def launch_stage(
    launcher: str, command: str, config: StrictModel, data: Any, model: str, out_dir: Path
) -> Path:
    """Run `clinical-r1 <command>` under a launcher (accelerate, torchrun) and wait for it."""
    make_dirs(out_dir)
    config_file = out_dir / f"{command}_config.yaml"
    atomic_write(config_file, yaml.safe_dump(config.model_dump(mode="json"), allow_unicode=True))
    argv = [*shlex.split(launcher), "-m", "clinical_r1.cli", command]
    argv += ["--data", str(data), "--model", str(model), "--out", str(out_dir), "--config", str(config_file)]
    console.print("launching: " + " ".join(shlex.quote(a) for a in argv))
    result = subprocess.run(argv, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{command} stage failed under '{launcher}' (exit code {result.returncode})")
    return out_dir


def set_aside_checkpoints(out_dir: Path) -> None:
    """Move earlier checkpoints to checkpoints.stale/, so the stage trains afresh instead of resuming
    from them."""
    folder = out_dir / "checkpoints"
    if not folder.exists():
        return
    stale = out_dir / "checkpoints.stale"
    shutil.rmtree(stale, ignore_errors=True)
    folder.rename(stale)
    console.print(f"[yellow]{out_dir.name}: training anew; earlier checkpoints moved to {stale}")


def _input_path(path: str) -> Path:
    return SAMPLE_RECORDS if path == "samples" else Path(path)


def split_heldout(rows: list[dict[str, Any]], fraction: float) -> tuple[list[dict], list[dict]]:
    """Deterministic split by a hash of the pair id (or id): translations stay on one side."""
    train, heldout = [], []
    for row in rows:
        key = str((row.get("meta") or {}).get("pair_id") or row["id"])
        bucket = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (heldout if bucket < fraction else train).append(row)
    return train, heldout


def concat_jsonl(paths: list[Path], out: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with atomic_open(out) as fh:
        for path in paths:
            n = 0
            for _, obj in iter_jsonl(path):
                fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
                n += 1
            counts[str(path)] = n
    return counts


def load_pipeline_config(path: str | Path) -> PipelineConfig:
    return load_config(path, PipelineConfig)


def print_summary(pipeline: Pipeline) -> None:
    table = Table(title=f"run {pipeline.config.name}: {pipeline.root}")
    table.add_column("stage")
    table.add_column("status")
    table.add_column("seconds", justify="right")
    table.add_column("outputs")
    for stage in pipeline.enabled():
        entry = pipeline.manifest.data["stages"].get(stage, {})
        table.add_row(
            stage,
            entry.get("status", "-"),
            str(entry.get("seconds", "")),
            "\n".join(f"{k}: {v}" for k, v in entry.get("outputs", {}).items()),
        )
    console.print(table)
