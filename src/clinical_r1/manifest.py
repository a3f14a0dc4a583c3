"""Run manifest: what each pipeline stage consumed and produced, so an unchanged stage is skipped.

A stage's fingerprint is a hash of its config and of its inputs' content. When the manifest holds the
same fingerprint for a finished stage and its outputs still exist, the stage is skipped; otherwise it
runs (and the stage itself resumes from its own journal or checkpoints).
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from clinical_r1.config import ConfigError
from clinical_r1.safe_io import atomic_write

# Files above this size are fingerprinted by (size, mtime) instead of content: hashing a 15 GB
# model folder on every run would cost minutes for no gain.
CONTENT_HASH_LIMIT = 64 * 1024 * 1024

VERSIONED_PACKAGES = (
    "clinical-r1",
    "torch",
    "transformers",
    "trl",
    "accelerate",
    "peft",
    "datasets",
    "openai",
)


def fingerprint_path(
    path: str | Path, how: Literal["content", "stat"] = "content", recursive: bool = True
) -> str:
    """A stable hash of a file or a folder: the one fingerprint of files and model folders.

    "content": relative names + content (size/mtime for files above CONTENT_HASH_LIMIT): pipeline stages.
    "stat": relative names, sizes and modification times only, cheap on a model folder of many GB
    (evaluation's check that a local model's files are unchanged between reruns; with recursive=False,
    the folder's own files only: the response cache's key of a local model, not its checkpoints/)."""
    path = Path(path)
    digest = hashlib.sha256()
    if not path.exists():
        digest.update(f"missing:{path}".encode())
        return digest.hexdigest()
    if path.is_file():
        files = [path]
    else:
        files = sorted(p for p in (path.rglob("*") if recursive else path.iterdir()) if p.is_file())
    for file in files:
        rel = file.name if path.is_file() else str(file.relative_to(path))
        if how == "stat":
            stat = file.stat()
            digest.update(f"{rel}:{stat.st_size}:{stat.st_mtime_ns};".encode())
            continue
        digest.update(rel.encode())
        stat = file.stat()
        if stat.st_size > CONTENT_HASH_LIMIT:
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
            continue
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def fingerprint(config: Any, inputs: dict[str, str | Path]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(config, sort_keys=True, default=str).encode())
    for name in sorted(inputs):
        digest.update(name.encode())
        digest.update(fingerprint_path(inputs[name]).encode())
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


class Manifest:
    """runs/<name>/manifest.json, rewritten atomically after every stage event."""

    def __init__(self, path: Path):
        self.path = path
        self.data: dict[str, Any] = {"stages": {}}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                empty = " (empty: a kill or a full disk while it was written)" if not exc.doc.strip() else ""
                raise ConfigError(
                    f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}){empty}; fix it, or delete it to "
                    "forget which stages are done (they then run again)"
                ) from exc
            except UnicodeDecodeError as exc:
                raise ConfigError(
                    f"{path}: not UTF-8 ({exc.reason}); delete it to forget which stages are done "
                    "(they then run again)"
                ) from exc
            if not isinstance(data, dict):
                raise ConfigError(
                    f"{path}: expected a JSON object, got {type(data).__name__}; fix it, or delete it to "
                    "forget which stages are done (they then run again)"
                )
            self.data = data
            self.data.setdefault("stages", {})

    def is_fresh(self, stage: str, fp: str) -> bool:
        entry = self.data["stages"].get(stage)
        if not entry or entry.get("status") != "done" or entry.get("fingerprint") != fp:
            return False
        return all(Path(p).exists() for p in entry.get("outputs", {}).values())

    def outputs(self, stage: str) -> dict[str, str]:
        return dict(self.data["stages"].get(stage, {}).get("outputs", {}))

    def start(self, stage: str, fp: str, inputs: dict[str, str | Path]) -> None:
        self.data["stages"][stage] = {
            "status": "running",
            "fingerprint": fp,
            "inputs": {k: str(v) for k, v in inputs.items()},
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        self.save()

    def finish(
        self, stage: str, outputs: dict[str, str | Path], seconds: float, summary: dict | None
    ) -> None:
        entry = self.data["stages"][stage]
        entry.update(
            status="done",
            outputs={k: str(v) for k, v in outputs.items()},
            seconds=round(seconds, 2),
            finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            summary=summary or {},
        )
        self.save()

    def fail(self, stage: str, error: str) -> None:
        self.data["stages"][stage].update(status="failed", error=error)
        self.save()

    def save(self) -> None:
        atomic_write(self.path, json.dumps(self.data, indent=2, ensure_ascii=False, default=str))
