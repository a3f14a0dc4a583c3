"""What an evaluation run is: the models under test and everything else (EvalConfig)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from clinical_r1.config import ConfigError, StrictModel
from clinical_r1.llm.spec import ModelSpec
from clinical_r1.perturb import PerturbConfig
from clinical_r1.prompt_contract import PromptOverrides
from clinical_r1.verify import VerifierConfig

Mode = Literal["trained", "cot", "direct"]
MODES: tuple[str, ...] = ("trained", "cot", "direct")
Task = Literal["auto", "diagnosis", "mcq"]

_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


class ModelUnderTest(StrictModel):
    """One model and the way it is prompted.

    mode: "trained" = the project's own format (system prompt and <think> output, as in SFT);
    "cot" = think step by step, then state the answer; "direct" = the answer only.
    """

    name: str = ""  # a short label for tables and plots; default derived from spec and mode
    spec: str | dict[str, Any]  # ModelSpec.parse accepts it ("local:/path", "openai:MODEL@URL", ...)
    mode: Mode = "cot"

    @model_validator(mode="after")
    def _default_name(self) -> ModelUnderTest:
        if not self.name:
            self.name = f"{_short(self.spec)}-{self.mode}"
        if not _NAME_RE.match(self.name):
            raise ValueError(f"model name {self.name!r}: use letters, digits, '.', '_' or '-' only")
        return self

    def model_spec(self) -> ModelSpec:
        return ModelSpec.parse(self.spec)

    @classmethod
    def parse(cls, text: str) -> ModelUnderTest:
        """`[NAME=]SPEC[#MODE]`, e.g. `base=local:/models/qwen#cot` or `openai:gpt-4o@http://h:8000/v1#direct`."""
        name, mode = "", "cot"
        head, hash_, tail = text.rpartition("#")
        if hash_:
            if tail not in MODES:
                raise ConfigError(f"model {text!r}: mode after '#' must be one of {', '.join(MODES)}")
            text, mode = head, tail
        match = re.match(r"^([A-Za-z0-9_.-]+)=(.+)$", text)
        if match:
            name, text = match.group(1), match.group(2)
        try:
            ModelSpec.parse(text)  # fail now, naming the text, rather than mid-run
            return cls(name=name, spec=text, mode=mode)
        except ValueError as exc:
            raise ConfigError(f"model {text!r}: {exc}") from exc


def _short(spec: str | dict[str, Any]) -> str:
    model = spec.get("model", "model") if isinstance(spec, dict) else spec
    model = str(model).split("@")[0].rstrip("/")
    model = model.split(":", 1)[-1] if ":" in model and not model.startswith("/") else model
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", model.rsplit("/", 1)[-1]) or "model"


class DifferentialSettings(StrictModel):
    """Ranked differentials (docs/evaluation.md): the cot and direct prompts ask for one after the final
    diagnosis, every entry is graded by the verifier, and the report gives top-k accuracy, mean reciprocal
    rank and calibration. A trained model is prompted as in SFT and read for a differential all the same.
    Models that state none get their top-k from `samples` > 1 (votes across samples)."""

    enabled: bool = False
    k: int = Field(5, ge=1, le=10)  # entries asked for and graded; top-1, top-3, top-5 up to k are reported


class EvalConfig(PromptOverrides):
    """Everything about an evaluation run except the models; every field has a default."""

    # "auto": multiple choice when the benchmark holds MCQ items (MedQA), else diagnosis.
    task: Task = "auto"
    verifier: VerifierConfig = Field(default_factory=VerifierConfig)
    samples: int = Field(1, ge=1)  # completions per item: mean accuracy and pass@k
    temperature: float = Field(0.0, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(1024, ge=1)
    # Sent with every request when set (> 1 discourages repeats; transformers' and vLLM's definition), for
    # every model alike; None = not sent, the backend's own behaviour (1.0 for local models).
    repetition_penalty: float | None = Field(None, gt=0)
    seed: int = 0  # request seed (sampling) and the bootstrap's seed
    concurrency: int = Field(8, ge=1)  # requests in flight per model (local models: batches in turn)
    bootstrap_samples: int = Field(2000, ge=100)
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    cache_path: Path | None = None  # response cache; None = RUN_DIR/cache.sqlite
    use_cache: bool = True
    limit: int | None = Field(None, ge=1)  # only the first N items of the benchmark
    # style, system_prompts, force_prompts (PromptOverrides): the trained model is prompted exactly as it
    # was trained, from its folder's clinical_r1.json unless set here.
    prompts_dir: Path | None = None  # folder overriding the bundled prompt templates (same file names)
    # A rerun into a folder whose results were made under other settings (benchmark, grading config,
    # model spec/mode, retrained local model): "restart" sets them aside and redoes them, "error" stops.
    if_changed: Literal["restart", "error"] = "restart"
    # Robustness: also evaluate perturbed copies of the cases in RUN_DIR/perturb (evaluate/robustness.py).
    perturb: PerturbConfig | None = None
    differential: DifferentialSettings = Field(default_factory=DifferentialSettings)
    calibration_bins: int = Field(10, ge=2, le=50)  # equal-width bins of ECE and the reliability diagram

    @model_validator(mode="after")
    def _sampling(self) -> EvalConfig:
        if self.samples > 1 and self.temperature == 0.0:
            raise ValueError(
                f"samples={self.samples} with temperature 0 repeats one greedy answer; set temperature > 0"
            )
        return self
