"""The teacher's prompts: template files per language, overridable file by file.

Templates are plain text with `${name}` placeholders (the "dollar" form of clinical_r1.prompt_templates,
the project's one template loader), so the JSON examples inside them need no brace escaping. A user
folder (config `prompts_dir`) laid out like the bundled one (`en/initial.txt`, `zh/rewrite.txt`, ...)
replaces any subset of the files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from clinical_r1.config import ConfigError
from clinical_r1.prompt_templates import PromptTemplate, load_template

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

    def __init__(self, language: str, templates: dict[str, PromptTemplate], sources: dict[str, Path]):
        self.language = language
        self.templates = templates
        self.sources = sources

    def render(self, name: str, **values: str) -> str:
        return self.templates[name].render(**values)

    def fingerprint(self) -> str:
        """Changes when any template text changes (part of the journal's per-record key)."""
        digest = hashlib.sha256()
        for name in sorted(self.templates):
            digest.update(name.encode() + b"\0" + self.templates[name].text.encode() + b"\0")
        return digest.hexdigest()[:16]


def load_prompts(language: str, prompts_dir: Path | None = None) -> PromptSet:
    """Templates for `language`: from `prompts_dir/<language>/` when present, else bundled."""
    if language not in LANGUAGES:
        raise ConfigError(f"no prompts for language {language!r}; expected one of {LANGUAGES}")
    if prompts_dir is not None and not Path(prompts_dir).is_dir():
        raise ConfigError(f"prompts_dir: folder {prompts_dir} not found")
    templates: dict[str, PromptTemplate] = {}
    sources: dict[str, Path] = {}
    for name, fields in TEMPLATE_FIELDS.items():
        template = load_template(
            f"{language}/{name}.txt", BUNDLED_PROMPTS, prompts_dir, syntax="dollar", required=fields
        )
        templates[name] = template
        sources[name] = template.source or BUNDLED_PROMPTS / language / f"{name}.txt"
    return PromptSet(language, templates, sources)
