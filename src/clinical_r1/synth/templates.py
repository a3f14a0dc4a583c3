"""The teacher's prompts: template files per language, overridable file by file.

Templates are plain text with `${name}` placeholders (Python `string.Template`), so the JSON
examples inside them need no brace escaping. A user folder (config `prompts_dir`) laid out like the
bundled one (`en/initial.txt`, `zh/rewrite.txt`, ...) replaces any subset of the files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from string import Template

from clinical_r1.config import ConfigError

BUNDLED_PROMPTS = Path(__file__).parent / "prompts"
LANGUAGES = ("en", "zh")
STRATEGIES = ("exploring_new_paths", "backtracking", "verification", "correction")

# template name -> the placeholders it must use
TEMPLATE_FIELDS: dict[str, tuple[str, ...]] = {
    "initial": ("question",),
    **{f"strategy_{name}": ("question", "reasoning") for name in STRATEGIES},
    "guided": ("question", "reasoning", "reference"),
    "rewrite": ("question", "reasoning"),
    "response": ("question", "thinking"),
    "reask": ("error",),
}


class PromptSet:
    """All templates of one language, checked for their placeholders when loaded."""

    def __init__(self, language: str, templates: dict[str, Template], sources: dict[str, Path]):
        self.language = language
        self.templates = templates
        self.sources = sources

    def render(self, name: str, **values: str) -> str:
        return self.templates[name].substitute(**values)

    def fingerprint(self) -> str:
        """Changes when any template text changes (part of the journal's per-record key)."""
        digest = hashlib.sha256()
        for name in sorted(self.templates):
            digest.update(name.encode() + b"\0" + self.templates[name].template.encode() + b"\0")
        return digest.hexdigest()[:16]


def load_prompts(language: str, prompts_dir: Path | None = None) -> PromptSet:
    """Templates for `language`: from `prompts_dir/<language>/` when present, else bundled."""
    if language not in LANGUAGES:
        raise ConfigError(f"no prompts for language {language!r}; expected one of {LANGUAGES}")
    if prompts_dir is not None and not Path(prompts_dir).is_dir():
        raise ConfigError(f"prompts_dir: folder {prompts_dir} not found")
    templates: dict[str, Template] = {}
    sources: dict[str, Path] = {}
    for name, fields in TEMPLATE_FIELDS.items():
        path = BUNDLED_PROMPTS / language / f"{name}.txt"
        if prompts_dir is not None and (Path(prompts_dir) / language / f"{name}.txt").exists():
            path = Path(prompts_dir) / language / f"{name}.txt"
        template = Template(path.read_text(encoding="utf-8"))
        used = set(template.get_identifiers())
        missing = [f for f in fields if f not in used]
        unknown = sorted(used - set(fields))
        if missing or unknown or not template.is_valid():
            problems = []
            if missing:
                problems.append("missing " + ", ".join("${" + f + "}" for f in missing))
            if unknown:
                problems.append("unknown " + ", ".join("${" + f + "}" for f in unknown))
            if not template.is_valid():
                problems.append("a bad '$' (write $$ for a literal dollar sign)")
            raise ConfigError(f"{path}: prompt template: {'; '.join(problems)}")
        templates[name] = template
        sources[name] = path
    return PromptSet(language, templates, sources)
