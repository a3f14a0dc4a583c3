"""Run models over a benchmark: prompt, generate (concurrently, through the model layer), grade,
journal each item as it finishes (resumable), then write metrics.json, report.md and plots."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clinical_r1.async_map import map_resumable
from clinical_r1.config import ConfigError
from clinical_r1.differential import parse_differential
from clinical_r1.evaluate.config import EvalConfig, ModelUnderTest
from clinical_r1.evaluate.grading import Extraction, extract
from clinical_r1.evaluate.items import EvalItem, file_digest, load_items
from clinical_r1.evaluate.journal import Journal
from clinical_r1.evaluate.prompts import build_messages, prompting_for
from clinical_r1.evaluate.report import write_report
from clinical_r1.evaluate.robustness import run_perturbed
from clinical_r1.judge_audit import warn_if_unaudited
from clinical_r1.llm import LLM, ChatRequest, ChatResponse, Ledger, build_llm
from clinical_r1.manifest import fingerprint_path
from clinical_r1.prompt_contract import Prompting
from clinical_r1.runlock import RunLock
from clinical_r1.safe_io import atomic_write_json, atomic_write_jsonl, make_dirs, read_state_json
from clinical_r1.verify import Verifier, VerifyItem

RUN_FILE = "eval_config.json"
ITEMS_FILE = "items.jsonl"
RESULTS_DIR = "results"
# Config fields that do not change any answer or grade: a rerun may change them freely.
_FREE_FIELDS = {
    "perturb",  # the perturbed copies are a run of their own, in RUN_DIR/perturb
    "concurrency", "cache_path", "use_cache", "limit", "bootstrap_samples", "confidence", "if_changed",
    "calibration_bins",
}  # fmt: skip
# How trained-mode models are prompted: resolved per model against its prompting contract and kept in
# the model's identity (_identity) instead of the shared settings.
_PER_MODEL_FIELDS = {"style", "system_prompts", "force_prompts"}
_DEFAULT_SETTINGS = EvalConfig().model_dump(mode="json", exclude=_FREE_FIELDS | _PER_MODEL_FIELDS)
_console = Console(stderr=True)


def run_eval(
    config: EvalConfig,
    bench_path: str | Path,
    models: list[ModelUnderTest],
    out_dir: str | Path,
    progress: bool = True,
) -> Path:
    """Evaluate every model on the benchmark; returns the path of report.md.

    Resumable: rerun the same call and only unfinished items are asked again. Writes, in out_dir:
    results/<model>.jsonl (one line per item), items.jsonl, eval_config.json, ledger.json,
    metrics.json, report.md and plots/*.png.
    """
    out_dir = Path(out_dir)
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ConfigError(f"model names must be unique, got {names}; give names as NAME=SPEC")
    items = load_items(bench_path, config.task, config.limit)
    for model in models:  # a setting contradicting a model's prompting contract stops the run here
        prompting_for(model, config)
    with RunLock(out_dir) as lock:  # a second run on this folder would append every item twice
        if lock.took_over is not None:
            _console.print(f"[yellow]{out_dir}: lock of pid {lock.took_over} (not running) taken over")
        _check_and_save_run(out_dir, config, bench_path, items, models)
        atomic_write_jsonl(out_dir / ITEMS_FILE, (item.to_json() for item in items))

        ledger = Ledger()
        cache_path = (config.cache_path or out_dir / "cache.sqlite") if config.use_cache else None
        asyncio.run(_run_all(config, items, models, out_dir, cache_path, ledger, progress))
        ledger.save(out_dir / "ledger.json")
        if config.perturb is not None:  # robustness: the same models on perturbed cases
            run_perturbed(config, bench_path, models, out_dir, progress)
        return write_report(out_dir)


async def _run_all(
    config: EvalConfig,
    items: list[EvalItem],
    models: list[ModelUnderTest],
    out_dir: Path,
    cache_path: Path | None,
    ledger: Ledger,
    progress: bool,
) -> None:
    judge: LLM | None = None
    if config.verifier.judge:
        if config.verifier.judge_model is None:
            raise ConfigError("eval config: verifier.judge is on but verifier.judge_model is not set")
        judge = build_llm(config.verifier.judge_model, config.verifier.judge_cache or cache_path, ledger)
    verifier = Verifier(config.verifier, llm=judge)
    warn_if_unaudited(verifier, "evaluation")  # a judge's false matches inflate the scores
    bar = _progress(progress)
    try:
        with bar:
            for model in models:
                spec = model.model_spec()
                if not spec.is_local:
                    spec = spec.model_copy(update={"concurrency": max(spec.concurrency, config.concurrency)})
                prompting = prompting_for(model, config)
                model_config = config.model_copy(
                    update={"style": prompting.style, "system_prompts": prompting.system_prompts}
                )
                llm = build_llm(spec, cache_path, ledger)
                journal = Journal(out_dir / RESULTS_DIR / f"{model.name}.jsonl")
                try:
                    done = journal.finished()
                    completed = sum(item.id in done for item in items)
                    task = bar.add_task(model.name, total=len(items), completed=completed)
                    advance = lambda t=task: bar.advance(t)  # noqa: E731
                    await _run_model(llm, verifier, model, items, done, model_config, journal, advance)
                finally:
                    journal.close()
                    await llm.aclose()
    finally:
        if judge is not None:
            await judge.aclose()


async def _run_model(
    llm: LLM,
    verifier: Verifier,
    model: ModelUnderTest,
    items: list[EvalItem],
    done: set[str],
    config: EvalConfig,
    journal: Journal,
    advance: Any,
) -> None:
    """Ask and grade every item not journaled yet (`done`: ids finished by an earlier run)."""

    async def answer(unit: list[EvalItem]) -> list[dict[str, Any]]:
        return await ask_and_grade(unit, llm, model, config, verifier, {"stage": "eval", "model": model.name})

    # A local model generates a batch at a time; a server is sent one item per request, many in flight.
    await map_resumable(
        answer,
        items,
        finished=lambda item: item.id in done,
        record=lambda _item, entry: journal.append(entry),
        progress=lambda _item, _entry: advance(),
        concurrency=config.concurrency,
        batch_size=max(1, llm.spec.batch_size) if llm.spec.backend == "local" else 1,
    )


async def ask_and_grade(
    items: list[EvalItem],
    llm: LLM,
    model: ModelUnderTest,
    config: EvalConfig,
    verifier: Verifier,
    tags: dict[str, str],
) -> list[dict[str, Any]]:
    """Ask the model each item as the config says (prompt, sampling) and grade the answers."""
    requests = [
        ChatRequest(
            messages=build_messages(item, model.mode, config),
            temperature=config.temperature,
            top_p=config.top_p,
            max_tokens=config.max_tokens,
            repetition_penalty=config.repetition_penalty,
            seed=config.seed,
            n=config.samples,
            tags=tags,
        )
        for item in items
    ]
    return await grade(items, await llm.generate(requests), model, config, verifier)


async def grade(
    items: list[EvalItem],
    responses: list[ChatResponse],
    model: ModelUnderTest,
    config: EvalConfig,
    verifier: Verifier,
) -> list[dict[str, Any]]:
    """Journal entries for answered requests: each sample's answer, verdict and correctness."""
    entries: list[dict[str, Any]] = []
    # (where the verdict goes: a sample or a differential entry, what to verify)
    to_verify: list[tuple[dict[str, Any], VerifyItem]] = []
    differentials = config.differential.enabled
    for item, response in zip(items, responses, strict=True):
        entry: dict[str, Any] = {
            "id": item.id,
            "model": model.name,
            "mode": model.mode,
            "task": item.task,
            "language": item.language,
            "department": item.department,
            "stratum": item.stratum,
            "reference": item.reference,
            "reference_icd10": item.reference_icd10,
            "error": response.error,
            "prompt_tokens": response.prompt_tokens,
            "completion_tokens": response.completion_tokens,
            "latency_s": response.latency_s,
            "cached": response.cached,
            "samples": [],
        }
        for text, finish in zip(response.texts, response.finish_reasons, strict=False):
            found = extract(text, finish, model.mode, item.task, item.options, config.style or "r1")
            sample: dict[str, Any] = {
                "output": text,
                "finish_reason": finish,
                "thinking": found.thinking,
                "response": found.response,
                "answer": found.answer,
                "no_answer_reason": found.no_answer_reason,
                "verdict": None,
                "correct": False,
            }
            if found.answer is not None and item.task == "mcq":
                right = found.answer == item.reference
                sample["verdict"] = {
                    "label": "match" if right else "mismatch",
                    "source": "letter",
                    "reason": f"answered {found.answer}, key {item.reference}",
                }
                sample["correct"] = right
            elif found.answer is not None:
                to_verify.append((sample, _verify_item(item, found.answer)))
            if differentials and item.task == "diagnosis":
                stated = _stated_differential(found, config.differential.k)
                sample["differential"] = stated
                for candidate in stated["entries"] if stated else []:
                    to_verify.append((candidate, _verify_item(item, candidate["diagnosis"])))
            entry["samples"].append(sample)
        entries.append(entry)
    if to_verify:
        verdicts = await verifier.verify_many([v for _, v in to_verify])
        for (sample, _), verdict in zip(to_verify, verdicts, strict=True):
            sample["verdict"] = verdict.model_dump()
            sample["correct"] = verdict.is_match
    for entry in entries:
        entry["n"] = len(entry["samples"]) if not entry["error"] else config.samples
        entry["correct"] = sum(1 for s in entry["samples"] if s["correct"])
        entry["no_answer"] = sum(1 for s in entry["samples"] if s["answer"] is None)
    return entries


def _verify_item(item: EvalItem, prediction: str) -> VerifyItem:
    return VerifyItem(
        prediction=prediction,
        reference=item.reference,
        reference_icd10=item.reference_icd10,
        language=item.language,
    )


def _stated_differential(found: Extraction, k: int) -> dict[str, Any] | None:
    """The sample's stated differential (first k entries), read only from an output that parsed: a
    truncated or malformed one states nothing. Entries get their verdict once graded."""
    if found.answer is None and found.no_answer_reason != "no diagnosis stated":
        return None
    differential = parse_differential(found.response)
    if differential is None:
        return None
    return {
        "entries": [
            {"diagnosis": e.diagnosis, "probability": e.probability, "verdict": None, "correct": False}
            for e in differential.entries[:k]
        ],
        "error": differential.error,
    }


def _check_and_save_run(
    out_dir: Path,
    config: EvalConfig,
    bench_path: str | Path,
    items: list[EvalItem],
    models: list[ModelUnderTest],
) -> None:
    """A run folder holds results of one benchmark under one grading config; models may be added later.

    Results made under other settings (another benchmark, grading config, model spec or mode, or a
    local model folder whose files changed) must not be mixed in: with if_changed "restart" they are
    moved to results/stale/ and done again; with "error" the run stops and says what changed.
    """
    path = out_dir / RUN_FILE
    bench = {"path": str(bench_path), "sha256": file_digest(bench_path), "task": items[0].task}
    settings = config.model_dump(mode="json", exclude=_FREE_FIELDS | _PER_MODEL_FIELDS)
    wanted = {m.name: _identity(m, prompting_for(m, config)) for m in models}
    kept: dict[str, Any] = {}
    order: list[str] = []  # earlier models first, so tables and comparisons keep their order
    if path.exists():
        previous = _read_run_file(path)
        order = list(previous["models"])
        shared: list[str] = []
        if previous["bench"]["sha256"] != bench["sha256"] or previous["bench"]["task"] != bench["task"]:
            shared.append(
                f"the benchmark changed (was {previous['bench']['path']}, task {previous['bench']['task']})"
            )
        for key, value in settings.items():
            # a field added since (e.g. differential, verifier.judge_prompts_dir) reads as its default in
            # an older run file
            default = _DEFAULT_SETTINGS.get(key)
            if _with_defaults(previous["config"].get(key, default), default) != value:
                shared.append(f"config field '{key}' was {previous['config'].get(key)!r}, now {value!r}")
        stale: dict[str, str] = {}
        for name, old in previous["models"].items():
            if shared:
                stale[name] = "; ".join(shared)
            elif name in wanted and old != wanted[name]:
                changed = [
                    k for k in sorted(set(old) | set(wanted[name])) if old.get(k) != wanted[name].get(k)
                ]
                stale[name] = f"model '{name}': {', '.join(changed)} changed"
            elif name not in wanted:
                kept[name] = old
        if stale and config.if_changed == "error":
            reasons = "; ".join(sorted(set(stale.values())))
            raise ConfigError(
                f"{out_dir}: results here were made with other settings: {reasons}. "
                "Use a new --out folder, or set if_changed: restart to redo them."
            )
        for name, reason in stale.items():
            _move_stale(out_dir, name, reason)
    record = {
        "bench": bench,
        "config": settings,
        "full_config": config.model_dump(mode="json"),
        "models": {
            name: wanted.get(name) or kept[name]
            for name in dict.fromkeys([*order, *wanted])
            if name in wanted or name in kept
        },
    }
    atomic_write_json(path, record)


def _with_defaults(old: Any, default: Any) -> Any:
    """A setting of an older run file with the sub-fields added since filled in from their defaults."""
    if isinstance(old, dict) and isinstance(default, dict):
        return {**default, **{k: _with_defaults(v, default.get(k)) for k, v in old.items()}}
    return old


def _read_run_file(path: Path) -> dict[str, Any]:
    """eval_config.json as written by `_check_and_save_run`; a damaged one is a ConfigError saying what
    to do (before atomic writes, a kill or a full disk could leave it empty)."""
    fix = (
        "delete it and rerun with the same settings to go on (the answers in results/ are kept and reused), "
        "or use a new --out folder"
    )
    try:
        previous = read_state_json(path, "run settings file", fix)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if not isinstance(previous, dict) or not {"bench", "config", "models"} <= set(previous):
        raise ConfigError(f"{path}: the run settings file lacks 'bench', 'config' or 'models'; {fix}")
    return previous


def _identity(model: ModelUnderTest, prompting: Prompting) -> dict[str, Any]:
    """What decides a model's answers: spec and mode, for a local folder its files' sizes and times, and
    in trained mode how it is prompted (noted only when not the defaults, so older run files still match)."""
    identity: dict[str, Any] = {"spec": model.spec, "mode": model.mode}
    if model.mode == "trained" and not prompting.is_default():
        identity["prompting"] = {"style": prompting.style, "system_prompts": prompting.prompt_table()}
    spec = model.model_spec()
    folder = Path(spec.model).expanduser()
    if spec.backend == "local" and folder.is_dir():
        identity["fingerprint"] = fingerprint_path(folder, how="stat")[:16]
    return identity


def _move_stale(out_dir: Path, name: str, reason: str) -> None:
    journal = out_dir / RESULTS_DIR / f"{name}.jsonl"
    if not journal.exists():
        return
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = out_dir / RESULTS_DIR / "stale" / f"{name}.{stamp}.jsonl"
    make_dirs(target.parent)
    journal.rename(target)
    _console.print(f"[yellow]{name}: earlier results set aside ({reason}) -> {target}; evaluating again")


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
    )
