"""The import layers drawn in docs/CONTRACTS.md hold: no module imports a higher layer, no stage imports
another stage, and every exception listed there still exists (so a fixed one is struck off the list).

Imports are read with `ast` (no module is imported); imports under `if TYPE_CHECKING:` are left out, as
they never run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "clinical_r1"
CONTRACTS = ROOT / "docs" / "CONTRACTS.md"


@dataclass(frozen=True)
class Layers:
    rank: dict[str, int]  # unit -> layer number (0 = bottom)
    isolated: set[int]  # layers whose units must not import one another (the stages)
    exceptions: dict[tuple[str, str], str]  # (importer unit, imported unit) -> why it is still allowed


def read_layers(text: str) -> Layers:
    """The ```layers block: `N name[*]: unit unit ...` per line (`*` = isolated), then the
    ```layer-exceptions block: `unit -> unit: reason` per line."""
    block = re.search(r"```layers\n(.*?)```", text, re.S)
    if block is None:
        raise ValueError(f"{CONTRACTS}: no ```layers block")
    rank: dict[str, int] = {}
    isolated: set[int] = set()
    for line in block.group(1).splitlines():
        if not line.strip():
            continue
        head, _, units = line.partition(":")
        number, name = head.split(maxsplit=1)
        if name.endswith("*"):
            isolated.add(int(number))
        for unit in units.split():
            if unit in rank:
                raise ValueError(f"{CONTRACTS}: {unit} is in two layers")
            rank[unit] = int(number)
    exceptions: dict[tuple[str, str], str] = {}
    found = re.search(r"```layer-exceptions\n(.*?)```", text, re.S)
    for line in found.group(1).splitlines() if found else []:
        if line.strip():
            pair, _, reason = line.partition(":")
            source, _, target = pair.partition("->")
            exceptions[(source.strip(), target.strip())] = reason.strip()
    return Layers(rank, isolated, exceptions)


def unit_of(module: str, package: Path = PACKAGE) -> str:
    """`clinical_r1.train.sft` -> `train/`; `clinical_r1.records` -> `records`; `clinical_r1` itself stays."""
    parts = module.split(".")
    if len(parts) == 1:
        return parts[0]
    return f"{parts[1]}/" if (package / parts[1]).is_dir() else parts[1]


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Line numbers of the imports inside `if TYPE_CHECKING:` blocks."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                for sub in ast.walk(inner):
                    if isinstance(sub, ast.Import | ast.ImportFrom):
                        lines.add(sub.lineno)
    return lines


def project_imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import of the project in one file, lazy ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _type_checking_only(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "clinical_r1"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")[: -node.level] if path.name != "__init__.py" else module.split(".")
                if path.name == "__init__.py" and node.level > 1:
                    base = base[: -(node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "clinical_r1":
                continue
            if target == "clinical_r1":  # from clinical_r1 import departments
                for alias in node.names:  # __version__ lives in the package itself
                    name = "clinical_r1" if alias.name == "__version__" else f"clinical_r1.{alias.name}"
                    found.append((node.lineno, name))
            else:
                found.append((node.lineno, target))
    return found


def violations(package: Path, layers: Layers) -> tuple[list[str], set[tuple[str, str]], list[str]]:
    """(upward or cross-stage imports not excepted, excepted pairs seen, units missing from the layers)."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    unplaced: set[str] = set()
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        source = unit_of(module, package)
        for line, target_module in project_imports(path, module):
            target = unit_of(target_module, package)
            if source == target:
                continue
            for unit in (source, target):
                if unit not in layers.rank:
                    unplaced.add(unit)
            if source not in layers.rank or target not in layers.rank:
                continue
            upward = layers.rank[target] > layers.rank[source]
            sideways = layers.rank[target] == layers.rank[source] and layers.rank[source] in layers.isolated
            if not (upward or sideways):
                continue
            if (source, target) in layers.exceptions:
                seen.add((source, target))
                continue
            where = path.relative_to(package.parent)
            kind = "imports a higher layer" if upward else "imports another stage"
            problems.append(f"{where}:{line}: {source} {kind}: {target_module} ({target})")
    return problems, seen, sorted(unplaced)


def test_no_module_imports_upward_or_across_stages():
    layers = read_layers(CONTRACTS.read_text(encoding="utf-8"))
    problems, seen, unplaced = violations(PACKAGE, layers)
    assert not unplaced, f"units in no layer of docs/CONTRACTS.md: {unplaced}"
    assert not problems, "\n".join(problems)
    stale = sorted(set(layers.exceptions) - seen)
    assert not stale, f"exceptions in docs/CONTRACTS.md that no longer occur (strike them): {stale}"


LAYERS = """
```layers
0 base: clinical_r1 config
1 data: records
2 stages*: train/ serve/
3 entry: cli
```
"""


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    package = tmp_path / "clinical_r1"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


def test_a_planted_upward_import_is_caught(tmp_path):
    package = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "config.py": "",
            "records.py": "def f():\n    from clinical_r1.train.sft import x  # lazy, still counted\n",
            "train/__init__.py": "",
            "train/sft.py": "from clinical_r1 import records\nfrom clinical_r1.config import C\n",
            "serve/__init__.py": "from ..train import sft\n",  # relative, and stage -> stage
            "cli.py": "import clinical_r1.serve\n",
        },
    )
    problems, _, unplaced = violations(package, read_layers(LAYERS))
    assert unplaced == []
    assert len(problems) == 2
    assert "records.py:2: records imports a higher layer: clinical_r1.train.sft (train/)" in problems[0]
    assert "serve/__init__.py:1: serve/ imports another stage: clinical_r1.train (train/)" in problems[1]


def test_type_checking_imports_and_listed_exceptions_pass(tmp_path):
    package = _plant(
        tmp_path,
        {
            "records.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from clinical_r1.cli import X\n",
            "serve/app.py": "from clinical_r1.train import sft\n",
            "train/sft.py": "",
            "new.py": "from clinical_r1 import records\n",
        },
    )
    text = LAYERS + "```layer-exceptions\nserve/ -> train/: to be moved\ncli -> records: gone\n```\n"
    layers = read_layers(text)
    problems, seen, unplaced = violations(package, layers)
    assert problems == [] and seen == {("serve/", "train/")}
    assert unplaced == ["new"]
    with pytest.raises(ValueError, match="two layers"):
        read_layers("```layers\n0 a: x\n1 b: x\n```")
