"""Stage configs: pydantic models loaded from YAML and validated before any work starts.

Each stage's config class lives beside the stage it configures (so a stage reads as one unit);
this module holds the shared loader and the error type every stage uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

C = TypeVar("C", bound=BaseModel)


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the field."""


class StrictModel(BaseModel):
    """Base for configs: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())


def renamed_field(data: Any, old: str, new: str) -> Any:
    """A model_validator(mode="before") helper: configs written before a field was renamed still load
    (the old name is read as the new one); giving both is an error."""
    if isinstance(data, dict) and old in data:
        if new in data:
            raise ValueError(f"give {new} only ({old} is its old name)")
        data = {**data, new: data[old]}
        del data[old]
    return data


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {first})", key_node.start_mark
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path, what: str = "config file") -> Any:
    """A YAML file's content; every way it can be unusable is a ConfigError naming the file (and the
    line, for syntax errors and duplicate keys)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: {what} not found")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a {what} (give the YAML file inside it)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: line {line}: not UTF-8 (byte {raw[exc.start]:#04x}); save the {what} as UTF-8 "
            "(e.g. iconv -f gb18030 -t utf-8)"
        ) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: {where}not valid YAML: {problem}") from None


def load_config(path: str | Path | None, cls: type[C], overrides: dict | None = None) -> C:
    """Load `cls` from a YAML file (or defaults when path is None), with optional overrides."""
    data: dict = {}
    if path is not None:
        path = Path(path)
        loaded = read_yaml(path)
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
