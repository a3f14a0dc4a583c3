"""Stage configs: pydantic models loaded from YAML and validated before any work starts.

Each stage's config class lives beside the stage it configures (so a stage reads as one unit);
this module holds the shared loader and the error type every stage uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

C = TypeVar("C", bound=BaseModel)


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the field."""


class StrictModel(BaseModel):
    """Base for configs: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())


def load_config(path: str | Path | None, cls: type[C], overrides: dict | None = None) -> C:
    """Load `cls` from a YAML file (or defaults when path is None), with optional overrides."""
    data: dict = {}
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"{path}: config file not found")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping, got {type(loaded).__name__}")
        data = loaded
    if overrides:
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return validate_config(data, cls, source=str(path) if path else "<defaults>")


def validate_config(data: dict, cls: type[C], source: str = "<config>") -> C:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "<root>"
            problems.append(f"{source}: field '{field}': {err['msg']}")
        raise ConfigError("\n".join(problems)) from exc
