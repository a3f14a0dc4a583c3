"""Audit an LLM judge on labelled pairs before synthesis, the RL reward or evaluation trust it.

The verifier's third tier asks an LLM for ``{"match": bool, "reason": str}``. The strict parser stops a
judge that rambles from being read as "yes", but not a judge that says a well-formed yes to a wrong
answer, and an RL policy learns to produce whatever the judge accepts. So the judge is measured ALONE
(rules and codes off: every pair is put to it) on labelled pairs, and the figures, with 95% Wilson
intervals, are stored in an audit file beside the judge cache:

- ``<judge_cache>.audit.json`` when the verifier config sets ``judge_cache``;
- ``~/.cache/clinical-r1/judge.audit.json`` (``$XDG_CACHE_HOME`` respected) when it does not.

One file holds a list of audits; an audit is keyed by the judge's identity (backend, model, endpoint
without credentials; a local folder's path and file fingerprint, as the request cache keys it), the
judge prompt hash and the pair-set digest. A stage that builds a verifier with a judge calls
`warn_if_unaudited`: one warning when the latest audit of that judge + prompt is missing or failed.

Counting: undecided (invalid JSON after retries, failed calls) is "not a match", as callers treat it.
agreement = pairs where the judge's verdict equals the gold label / all pairs; false-match rate =
non-matches the judge called a match / non-matches; undecided rate = undecided / all pairs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field

from clinical_r1.config import ConfigError, StrictModel
from clinical_r1.verify import (
    RETRY_MESSAGE,
    LabelledPair,
    Verifier,
    VerifierConfig,
    judge_template,
    load_labelled,
)

if TYPE_CHECKING:
    from clinical_r1.llm import LLM

log = logging.getLogger(__name__)

AUDIT_SUFFIX = ".audit.json"
AUDIT_VERSION = 1
FIGURES = ("agreement", "false_match_rate", "undecided_rate")
# The checkout's labelled sets (an editable install finds them; a wheel has no tests/: pass --pairs).
CHECKOUT_PAIRS_DIR = Path(__file__).resolve().parents[2] / "tests" / "data"
DEFAULT_PAIR_PATTERNS = ("verifier_labelled.jsonl", "verifier_heldout.jsonl", "verifier_pairs*.jsonl")


class AuditThresholds(StrictModel):
    """What a passing audit needs. With ``bound="upper"`` (the default) each figure is judged at the
    pessimistic end of its 95% Wilson interval (upper for rates, lower for agreement): a pass then
    means "95% confident the judge is this good", and a small pair set cannot pass by luck."""

    max_false_match_rate: float = Field(0.02, ge=0, le=1)
    # A judge that says "no" or fails on everything has no false matches; these two catch it.
    max_undecided_rate: float | None = Field(0.05, ge=0, le=1)
    min_agreement: float | None = Field(0.80, ge=0, le=1)
    bound: Literal["upper", "point"] = "upper"
    confidence: float = Field(0.95, gt=0, lt=1)


@dataclass(frozen=True)
class Rate:
    """k of n, with its Wilson interval (None when n is 0: nothing to measure)."""

    k: int
    n: int
    value: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, k: int, n: int, confidence: float = 0.95) -> Rate:
        if n == 0:
            return cls(k, n, None, None, None)
        from scipy.stats import binomtest

        ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
        return cls(k, n, k / n, max(0.0, float(ci.low)), min(1.0, float(ci.high)))

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.k, "n": self.n, "value": self.value, "ci": [self.low, self.high]}


def min_negatives_to_pass(max_rate: float, confidence: float = 0.95) -> int:
    """Non-matches needed for zero false matches to have a Wilson upper bound <= max_rate."""
    from scipy.stats import norm

    if max_rate <= 0:
        return 0  # never reachable: the upper bound of 0/n is always above 0
    z2 = norm.ppf(0.5 + confidence / 2) ** 2
    n = int(z2 * (1 - max_rate) / max_rate)
    while Rate.of(0, n, confidence).high > max_rate:  # type: ignore[operator]
        n += 1
    return n


# --- what is audited ---------------------------------------------------------------------------


def prompt_hash(prompts_dir: Path | None = None) -> str:
    """sha256 of everything the verifier says to a judge: both prompt templates (bundled, or those of
    VerifierConfig.judge_prompts_dir) and retry messages."""
    digest = hashlib.sha256()
    for language in ("en", "zh"):
        digest.update(judge_template(language, prompts_dir).encode())
        digest.update(b"\0")
        digest.update(RETRY_MESSAGE[language].encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _strip_credentials(url: str) -> str:
    """An endpoint without user:password@ and without a query string (either may carry a key)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def judge_identity(llm: LLM) -> dict[str, str]:
    """What makes two judges the same judge: the request cache's identity (backend, model, endpoint;
    for a local folder its resolved path and a fingerprint of its files), credentials removed."""
    identify = getattr(llm, "cache_identity", None)
    if identify is None:  # an LLM object of another kind (a test double): it cannot have been audited
        return {"backend": "unknown", "model": getattr(getattr(llm, "spec", None), "label", repr(llm))}
    identity = {str(k): str(v) for k, v in identify().items()}
    if "endpoint" in identity:
        identity["endpoint"] = _strip_credentials(identity["endpoint"])
    return identity


def _identity_key(identity: dict[str, str]) -> str:
    return json.dumps(identity, sort_keys=True)


def default_audit_path() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "clinical-r1" / f"judge{AUDIT_SUFFIX}"


def audit_path(config: VerifierConfig) -> Path:
    """Where audits of this config's judge live: beside its judge cache, else the user's cache folder."""
    if config.judge_cache is not None:
        return Path(f"{config.judge_cache}{AUDIT_SUFFIX}")
    return default_audit_path()


# --- labelled pairs ----------------------------------------------------------------------------


def default_pair_files() -> list[Path]:
    """The labelled sets of the source checkout clinical_r1 runs from (empty for an installed wheel)."""
    files: list[Path] = []
    for pattern in DEFAULT_PAIR_PATTERNS:
        files.extend(sorted(CHECKOUT_PAIRS_DIR.glob(pattern)))
    return files


@dataclass
class PairSet:
    pairs: list[LabelledPair]
    files: list[dict[str, Any]]  # path, sha256, pairs
    digest: str  # of the files' contents and of the sample drawn
    skipped_empty: int  # pairs with no prediction: the verifier never asks a judge about them
    duplicates: int  # the same (prediction, reference, language, label) in more than one place
    sample: dict[str, int] | None


def load_pairs(files: Sequence[str | Path], sample: int | None = None, seed: int = 0) -> PairSet:
    """Labelled pairs from JSONL files (verify.load_labelled's format), de-duplicated, optionally a
    seeded random sample. The same pair with two different labels is an error naming both places."""
    if not files:
        raise ConfigError(
            "no labelled pairs: pass --pairs FILE (JSONL: prediction, reference, match, language, "
            "optional reference_icd10); the default tests/data/verifier_*.jsonl exists only in a source "
            "checkout"
        )
    pairs: list[LabelledPair] = []
    seen: dict[tuple[str, str, str], tuple[bool, str]] = {}
    file_info: list[dict[str, Any]] = []
    skipped = duplicates = 0
    for file in files:
        path = Path(file)
        if not path.is_file():
            raise ConfigError(f"{path}: labelled pair file not found")
        loaded = load_labelled(path)
        file_info.append({"path": str(path), "sha256": _sha256(path), "pairs": len(loaded)})
        for pair in loaded:
            prediction = (pair.item.prediction or "").strip()
            if not prediction:
                skipped += 1
                continue
            key = (prediction, pair.item.reference.strip(), pair.item.language)
            where = f"{path} id {pair.id}"
            if key in seen:
                label, first = seen[key]
                if label != pair.match:
                    raise ConfigError(f"{where}: the same pair is labelled match={label} at {first}")
                duplicates += 1
                continue
            seen[key] = (pair.match, where)
            pairs.append(pair)
    if not pairs:
        raise ConfigError(f"no labelled pairs with a prediction in {', '.join(map(str, files))}")
    digest = hashlib.sha256("".join(sorted(f["sha256"] for f in file_info)).encode())
    drawn = None
    if sample is not None and sample < len(pairs):
        if sample < 1:
            raise ConfigError(f"sample must be at least 1, got {sample}")
        chosen = sorted(random.Random(seed).sample(range(len(pairs)), sample))
        pairs = [pairs[i] for i in chosen]
        drawn = {"n": sample, "seed": seed, "of": len(seen)}
        digest.update(json.dumps(drawn, sort_keys=True).encode())
    return PairSet(pairs, file_info, digest.hexdigest(), skipped, duplicates, drawn)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- running an audit --------------------------------------------------------------------------


@dataclass
class AuditResult:
    record: dict[str, Any]  # what is written to the audit file
    path: Path

    @property
    def passed(self) -> bool:
        return bool(self.record["passed"])


def judge_alone_config(config: VerifierConfig) -> VerifierConfig:
    """The same judge settings with rules and codes off, so every pair is put to the judge."""
    if config.judge_model is None:
        raise ConfigError("judge audit: no judge model (pass --judge SPEC or set judge_model)")
    return config.model_copy(update={"rules": False, "codes": False, "judge": True})


def figures(verdicts: Sequence[Any], gold: Sequence[bool], confidence: float = 0.95) -> dict[str, Any]:
    """Agreement, false-match rate and undecided rate (with intervals) and the counts behind them."""
    said_match = [v.is_match for v in verdicts]
    undecided = sum(1 for v in verdicts if v.label == "undecided")
    negatives = sum(1 for g in gold if not g)
    false_matches = sum(1 for m, g in zip(said_match, gold, strict=True) if m and not g)
    agree = sum(1 for m, g in zip(said_match, gold, strict=True) if m == g)
    n = len(gold)
    return {
        "agreement": Rate.of(agree, n, confidence),
        "false_match_rate": Rate.of(false_matches, negatives, confidence),
        "undecided_rate": Rate.of(undecided, n, confidence),
        "counts": {
            "pairs": n,
            "matches": n - negatives,
            "non_matches": negatives,
            "judge_match": sum(said_match),
            "judge_mismatch": sum(1 for v in verdicts if v.label == "mismatch"),
            "undecided": undecided,
            "failed_calls": sum(1 for v in verdicts if v.reason.startswith("judge call failed")),
            "false_matches": false_matches,
            "missed_matches": sum(1 for m, g in zip(said_match, gold, strict=True) if g and not m),
        },
    }


def judge_failures(found: dict[str, Any], thresholds: AuditThresholds) -> list[str]:
    """Why the figures fail the thresholds (empty: they pass)."""
    pessimistic = thresholds.bound == "upper"
    failures = []
    checks: list[tuple[str, float | None, bool]] = [
        ("false_match_rate", thresholds.max_false_match_rate, True),
        ("undecided_rate", thresholds.max_undecided_rate, True),
        ("agreement", thresholds.min_agreement, False),
    ]
    for name, limit, is_max in checks:
        if limit is None:
            continue
        rate: Rate = found[name]
        if rate.value is None:
            failures.append(f"{name}: no pairs to measure it on")
            continue
        value = (rate.high if is_max else rate.low) if pessimistic else rate.value
        assert value is not None
        where = ("upper bound" if is_max else "lower bound") if pessimistic else "point estimate"
        if (value > limit) if is_max else (value < limit):
            sign = ">" if is_max else "<"
            failures.append(f"{name} {where} {value:.1%} {sign} {limit:.1%}")
    return failures


async def _verdicts_in_chunks(
    verifier: Verifier, pairs: list[LabelledPair], chunk: int, on_chunk: Callable[[int], None] | None
) -> list[Any]:
    out: list[Any] = []
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk]
        out.extend(await verifier.verify_many([p.item for p in part]))
        if on_chunk is not None:
            on_chunk(len(part))
    return out


def run_audit(
    config: VerifierConfig,
    pair_set: PairSet,
    thresholds: AuditThresholds | None = None,
    out: str | Path | None = None,
    llm: LLM | None = None,
    on_progress: Callable[[int], None] | None = None,
    chunk: int = 32,
) -> AuditResult:
    """Put every pair to the judge of `config`, score it, record the audit (replacing an earlier audit
    of the same judge, prompt and pairs) and return it. `out` defaults to `audit_path(config)`."""
    from clinical_r1.llm import run_sync

    thresholds = thresholds or AuditThresholds()
    alone = judge_alone_config(config)
    verifier = Verifier(alone, llm=llm)
    assert verifier.llm is not None and alone.judge_model is not None
    judge = verifier.llm
    start = time.perf_counter()

    async def run() -> list[Any]:
        try:
            return await _verdicts_in_chunks(verifier, pair_set.pairs, chunk, on_progress)
        finally:
            await judge.aclose()

    verdicts = run_sync(run())
    seconds = time.perf_counter() - start
    found = figures(verdicts, [p.match for p in pair_set.pairs], thresholds.confidence)
    failures = judge_failures(found, thresholds)
    spec = alone.judge_model
    record = {
        "version": AUDIT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        # The spec as a label and endpoint only: the API key is read from the environment at call time
        # and never held by the spec; credentials in a URL are dropped.
        "judge": {
            "label": spec.label,
            "endpoint": _strip_credentials(spec.base_url or ""),
            "identity": judge_identity(judge),
        },
        "prompt_sha256": prompt_hash(alone.judge_prompts_dir),
        "settings": {"judge_retries": alone.judge_retries, "judge_max_tokens": alone.judge_max_tokens},
        "pairs": {
            "files": pair_set.files,
            "digest": pair_set.digest,
            "sample": pair_set.sample,
            "skipped_no_prediction": pair_set.skipped_empty,
            "duplicates_dropped": pair_set.duplicates,
        },
        "figures": {name: found[name].to_dict() for name in FIGURES},
        "counts": {**found["counts"], "distinct_pairs_asked": verifier.judge_calls},
        "thresholds": thresholds.model_dump(),
        "passed": not failures,
        "failures": failures,
        "seconds": round(seconds, 1),
        # requests, cache hits (a rerun on the same cache asks nothing: seconds ~0), calls, tokens
        "usage": _usage(judge),
    }
    path = Path(out) if out is not None else audit_path(config)
    save_audit(path, record)
    return AuditResult(record, path)


def _usage(judge: LLM) -> dict[str, Any]:
    ledger = getattr(judge, "ledger", None)
    if ledger is None:
        return {}
    total = ledger.total()
    keep = ("requests", "cache_hits", "calls", "failures", "prompt_tokens", "completion_tokens", "cost_usd")
    return {k: getattr(total, k) for k in keep}


# --- the audit file ----------------------------------------------------------------------------


def read_audits(path: str | Path) -> list[dict[str, Any]]:
    """The audits in a file ([] when it does not exist). A corrupt file is a ConfigError naming it."""
    path = Path(path)
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); fix or delete the file") from exc
    audits = data.get("audits") if isinstance(data, dict) else None
    if not isinstance(audits, list) or not all(isinstance(a, dict) for a in audits):
        raise ConfigError(f'{path}: expected {{"audits": [...]}}; fix or delete the file')
    return audits


def save_audit(path: str | Path, record: dict[str, Any]) -> Path:
    """Add `record` to the audit file, replacing an audit of the same judge, prompt and pair set."""
    path = Path(path)
    key = _audit_key(record)
    audits = [a for a in read_audits(path) if _audit_key(a) != key] + [record]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"audits": audits}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)  # atomic: a stage reading the file never sees half of it
    return path


def _audit_key(record: dict[str, Any]) -> tuple[str, str, str]:
    return (
        _identity_key(record.get("judge", {}).get("identity", {})),
        str(record.get("prompt_sha256")),
        str(record.get("pairs", {}).get("digest")),
    )


def latest_audit(path: str | Path, identity: dict[str, str], prompt: str) -> dict[str, Any] | None:
    """The most recent audit of this judge with this prompt, on any pair set."""
    key = _identity_key(identity)
    mine = [
        a
        for a in read_audits(path)
        if _identity_key(a.get("judge", {}).get("identity", {})) == key and a.get("prompt_sha256") == prompt
    ]
    return max(mine, key=lambda a: str(a.get("created", "")), default=None)


# --- the stages' check -------------------------------------------------------------------------


def warn_if_unaudited(verifier: Verifier, stage: str) -> str | None:
    """Log one warning when `verifier` uses a judge with no passing audit for its model + prompt.

    Synthesis, the RL reward and evaluation call this once after building their verifier. Returns the
    warning (None when there is no judge or its latest audit passed). Never raises: an unreadable
    audit file is itself the warning."""
    if not verifier.config.judge or verifier.llm is None:
        return None
    path = audit_path(verifier.config)
    label = verifier.config.judge_model.label if verifier.config.judge_model else "the judge"
    try:
        audit = latest_audit(
            path, judge_identity(verifier.llm), prompt_hash(verifier.config.judge_prompts_dir)
        )
    except (ConfigError, OSError) as exc:
        message = f"{stage}: cannot read the judge audit file ({exc})"
    else:
        if audit is not None and audit.get("passed") is True:
            return None
        if audit is None:
            message = f"{stage}: judge {label} has no audit for this model and judge prompt in {path}"
        else:
            why = "; ".join(audit.get("failures") or ["failed"])
            message = f"{stage}: judge {label} FAILED its audit of {audit.get('created')} ({why})"
    message += (
        ". Its false matches become rewards and scores: run `clinical-r1 verify audit --judge ...` "
        "with the same judge_cache (docs/verifier.md, Judge audit)"
    )
    log.warning(message)
    return message
