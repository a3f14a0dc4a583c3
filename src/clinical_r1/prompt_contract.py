"""A trained model's prompting contract, saved beside its weights: how the model must be asked and read.

Every model folder the project writes (SFT, RL, SFT's merged LoRA) holds `clinical_r1.json`: the output
style the model was trained to write, the system prompt per language it was trained with, the hash of
the chat template it was trained through, the base model, the training data's digest and the project
version. RL, evaluation (`trained` mode), `diagnose` and `serve` read it (`resolve_prompting`), so a
model trained with custom prompts outside `clinical-r1 run` is still asked the way it was taught.

A flag or config value that contradicts the contract is an error (`PromptContractError`) unless forced;
a folder without the file (any Hugging Face model) keeps the defaults (`r1`, `chat.DEFAULT_SYSTEM_PROMPTS`).

`Prompting` is the one definition of the two prompting fields (`style`, `system_prompts`) that the SFT,
RL, reward, evaluation, curation and diagnose settings used to declare each on their own.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from clinical_r1 import __version__
from clinical_r1.chat import DEFAULT_SYSTEM_PROMPTS, system_prompt_for
from clinical_r1.config import ConfigError, StrictModel
from clinical_r1.formatting import Style

CONTRACT_FILE = "clinical_r1.json"
CONTRACT_VERSION = 1
Stage = Literal["sft", "sft-lora-merged", "rl"]


class PromptContractError(ConfigError):
    """A contract file that cannot be read, or a setting that contradicts a model's contract."""


class Prompting(StrictModel):
    """How a model is asked (system prompt per language) and how its answer is read (output style)."""

    style: Style = "r1"
    # Per language; None = chat.DEFAULT_SYSTEM_PROMPTS; "" for a language = no system turn.
    system_prompts: dict[str, str] | None = None

    def system_prompt(self, language: str) -> str | None:
        return system_prompt_for(language, self.system_prompts)

    def prompt_table(self) -> dict[str, str]:
        """The system prompts as one explicit table (defaults filled in, "no system turn" left out)."""
        return _table(self.system_prompts)

    def is_default(self) -> bool:
        return self.style == "r1" and self.prompt_table() == _table(None)


class PromptOverrides(StrictModel):
    """The prompting fields of every setting that asks a trained model (evaluation, curation, diagnose and
    serve): None = the model folder's contract, else the defaults; a value contradicting the contract is
    an error unless force_prompts (resolve_prompting)."""

    style: Style | None = None
    # Per language; "" for a language = no system turn.
    system_prompts: dict[str, str] | None = None
    force_prompts: bool = False


class PromptContract(StrictModel):
    """What `clinical_r1.json` holds."""

    contract_version: int = CONTRACT_VERSION
    stage: Stage
    style: Style
    system_prompts: dict[str, str]  # explicit: the prompts the model was trained with, per language
    chat_template_sha256: str | None  # of the folder's chat template when it was written
    base_model: str  # the model training started from (for RL after SFT: SFT's base model)
    parent_model: str  # the model this stage trained (the base model for SFT)
    training_data: str | None  # file name
    training_data_sha256: str | None
    project_version: str = __version__
    created: str = Field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    def prompting(self) -> Prompting:
        return Prompting(style=self.style, system_prompts=dict(self.system_prompts))


def _table(system_prompts: dict[str, str] | None) -> dict[str, str]:
    source = DEFAULT_SYSTEM_PROMPTS if system_prompts is None else system_prompts
    return {language: text for language, text in sorted(source.items()) if text}


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def chat_template_sha256(folder: str | Path) -> str | None:
    """Hash of the chat template a model folder's tokenizer uses (chat_template.jinja, else the
    `chat_template` of tokenizer_config.json); None when the folder has none."""
    folder = Path(folder)
    jinja = folder / "chat_template.jinja"
    template: Any = None
    if jinja.is_file():
        template = jinja.read_text(encoding="utf-8")
    elif (config := folder / "tokenizer_config.json").is_file():
        try:
            template = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
        except (ValueError, AttributeError):
            template = None
    if not template:
        return None
    if not isinstance(template, str):  # a list of named templates
        template = json.dumps(template, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(template.encode("utf-8")).hexdigest()


def read_contract(folder: str | Path) -> PromptContract | None:
    """The contract of a model folder; None when it has none. A damaged file is a PromptContractError
    naming the file and the field."""
    path = Path(folder) / CONTRACT_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PromptContractError(f"{path}: not a readable JSON prompting contract ({exc})") from exc
    try:
        return PromptContract.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise PromptContractError(f"{path}: field '{field}': {first['msg']}") from exc


def write_contract(
    folder: str | Path,
    prompting: Prompting,
    *,
    stage: Stage,
    parent_model: str | Path,
    data_path: str | Path | None,
) -> Path:
    """Write `clinical_r1.json` into a saved model folder (after its tokenizer is saved: the chat
    template's hash is read from the folder). The base model is the parent's own base when the parent
    has a contract (RL after SFT), else the parent."""
    folder = Path(folder)
    parent = str(parent_model)
    parent_contract = read_contract(parent) if Path(parent).is_dir() else None
    contract = PromptContract(
        stage=stage,
        style=prompting.style,
        system_prompts=prompting.prompt_table(),
        chat_template_sha256=chat_template_sha256(folder),
        base_model=parent_contract.base_model if parent_contract else parent,
        parent_model=parent,
        training_data=Path(data_path).name if data_path is not None else None,
        training_data_sha256=file_sha256(data_path) if data_path is not None else None,
    )
    path = folder / CONTRACT_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(contract.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def model_folder(model: Any) -> Path | None:
    """The local folder behind a model (a path, or a ModelSpec / spec string of the local backend)."""
    if model is None:
        return None
    if isinstance(model, Path):
        return model.expanduser() if model.is_dir() else None
    backend = getattr(model, "backend", None)
    name = getattr(model, "model", None)
    if backend is None:
        from clinical_r1.llm.spec import ModelSpec

        try:
            spec = ModelSpec.parse(model)
        except (ConfigError, ValueError):
            return None
        backend, name = spec.backend, spec.model
    if backend != "local" or not name:
        return None
    folder = Path(str(name)).expanduser()
    return folder if folder.is_dir() else None


def system_prompt_options(values: list[str] | None) -> dict[str, str] | None:
    """`--system-prompt` values: `en=TEXT` / `zh=TEXT` for one language, plain TEXT for both; "" (or
    `en=`) = no system turn. None when no value was given."""
    if not values:
        return None
    table: dict[str, str] = {}
    for value in values:
        language, sep, text = value.partition("=")
        if sep and language in ("en", "zh"):
            table[language] = text
        else:
            table.update({"en": value, "zh": value})
    return table


def resolve_prompting(
    folder: str | Path | None,
    style: Style | None = None,
    system_prompts: dict[str, str] | None = None,
    force: bool = False,
    where: str = "settings",
) -> Prompting:
    """How to prompt and read the model in `folder`: its contract when it has one, else the given
    values (or the defaults). `style` / `system_prompts` None = not given. A given value that differs
    from the contract, or a chat template changed since the contract was written, is a
    PromptContractError unless `force` (then the given values win). `where` names the settings in
    the message ("eval config", "--style", ...)."""
    contract = read_contract(folder) if folder is not None else None
    if contract is None:
        return Prompting(style=style or "r1", system_prompts=system_prompts)
    problems: list[str] = []
    if style is not None and style != contract.style:
        problems.append(f"style {style!r} (the model was trained to write {contract.style!r})")
    if system_prompts is not None and _table(system_prompts) != contract.system_prompts:
        problems.append(
            f"system_prompts {_table(system_prompts)!r} (trained with {contract.system_prompts!r})"
        )
    current = chat_template_sha256(folder) if folder is not None else None
    if contract.chat_template_sha256 is not None and current != contract.chat_template_sha256:
        problems.append("the folder's chat template (changed since training; hash differs)")
    if problems and not force:
        raise PromptContractError(
            f"{Path(folder) / CONTRACT_FILE}: {where} contradicts the model's prompting contract: "
            + "; ".join(problems)
            + ". Leave the setting out to use the model's own, or force it (--force-prompts / "
            "force_prompts: true)."
        )
    return Prompting(
        style=style if style is not None else contract.style,
        system_prompts=system_prompts if system_prompts is not None else dict(contract.system_prompts),
    )
