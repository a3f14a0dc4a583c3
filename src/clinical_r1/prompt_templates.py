"""Prompt templates: the one loader and filler of every prompt file the project sends to a model.

A template is a text file found in an override folder first (a config's `prompts_dir`,
`judge_prompts_dir`), else in the bundled folder, and filled in one pass: a value is never searched
for placeholders itself, so a case text holding "{options}" or "${question}" stays as written.

Two placeholder forms, one per template family, so the files users may already have overridden keep
working:
- "braces": `{name}` for the declared names only (evaluation templates, the judge prompt, the
  differential request); any other brace is literal text, so JSON examples need no escaping.
- "dollar": `${name}` / `$name` (Python `string.Template`; `$$` is a literal dollar sign): the
  teacher's synthesis templates.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Literal

from clinical_r1.config import ConfigError

Syntax = Literal["braces", "dollar"]


@dataclass(frozen=True)
class PromptTemplate:
    text: str
    source: Path | None  # the file it was read from (None: defined in code)
    syntax: Syntax = "braces"
    names: tuple[str, ...] = ()  # braces: the placeholder names; dollar: any identifier

    def used(self) -> set[str]:
        """The placeholders the text uses."""
        if self.syntax == "dollar":
            return set(Template(self.text).get_identifiers())
        return {name for name in self.names if "{" + name + "}" in self.text}

    def render(self, **values: object) -> str:
        """The text with every placeholder filled, in one pass (KeyError for a used name not given)."""
        if self.syntax == "dollar":
            return Template(self.text).substitute(**values)
        names = [name for name in self.names if name in values]
        if not names:
            return self.text
        pattern = re.compile(r"\{(" + "|".join(re.escape(n) for n in names) + r")\}")
        return pattern.sub(lambda m: str(values[m.group(1)]), self.text)

    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def check(self, required: Iterable[str] = ()) -> PromptTemplate:
        """ConfigError naming the file when a required placeholder is missing, a dollar template uses
        one not declared, or has a bad '$'."""
        used = self.used()
        required = tuple(required)
        problems = []
        if missing := [f for f in required if f not in used]:
            problems.append("missing " + ", ".join(_show(f, self.syntax) for f in missing))
        if self.syntax == "dollar":
            if unknown := sorted(used - set(self.names or required)):
                problems.append("unknown " + ", ".join(_show(f, self.syntax) for f in unknown))
            if not Template(self.text).is_valid():
                problems.append("a bad '$' (write $$ for a literal dollar sign)")
        if problems:
            raise ConfigError(f"{self.source or 'template'}: prompt template: {'; '.join(problems)}")
        return self


def _show(name: str, syntax: Syntax) -> str:
    return "${" + name + "}" if syntax == "dollar" else "{" + name + "}"


def find_template(name: str, bundled: Path, override: Path | None = None) -> Path:
    """`override/name` when that file exists, else `bundled/name` (FileNotFoundError when neither)."""
    for folder in (override, bundled):
        if folder is not None and (Path(folder) / name).is_file():
            return Path(folder) / name
    raise FileNotFoundError(f"no prompt template {name} in {override or bundled}")


def load_template(
    name: str,
    bundled: Path,
    override: Path | None = None,
    syntax: Syntax = "braces",
    names: Iterable[str] = (),
    required: Iterable[str] = (),
) -> PromptTemplate:
    """The template `name` (a relative file name, e.g. "cot_en.txt" or "en/initial.txt"), checked for
    its required placeholders. `names`: the placeholders it may use (default: the required ones)."""
    path = find_template(name, bundled, override)
    required = tuple(required)
    template = PromptTemplate(path.read_text(encoding="utf-8"), path, syntax, tuple(names) or required)
    return template.check(required)


def fill(text: str, **values: object) -> str:
    """A braces template held in code, filled like the files (`{k}` -> 5)."""
    return PromptTemplate(text, None, "braces", tuple(values)).render(**values)
