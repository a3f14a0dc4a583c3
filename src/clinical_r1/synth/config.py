"""The synthesis stage's config (YAML, validated before any call is made)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from clinical_r1.config import StrictModel
from clinical_r1.llm.spec import ModelSpec
from clinical_r1.synth.templates import STRATEGIES
from clinical_r1.verify import VerifierConfig

# Phrases that betray that a guided trajectory was told the answer; such examples are dropped.
DEFAULT_LEAK_PHRASES = {
    "en": [
        "reference answer",
        "reference diagnosis",
        "labeled answer",
        "labelled answer",
        "expected answer",
        "i was told",
        "the answer provided",
    ],
    "zh": ["参考答案", "标准答案", "预期答案", "被告知", "给出的答案"],
}


class SynthConfig(StrictModel):
    """How to turn records into verified long chain-of-thought training examples."""

    teacher: ModelSpec = Field(description="The model that writes the reasoning ('openai:MODEL@URL', ...).")
    verifier: VerifierConfig = Field(default_factory=VerifierConfig)

    # the search
    max_depth: int = Field(2, ge=0, description="Refinement steps (strategies) per attempt.")
    max_attempts: int = Field(3, ge=1, description="Fresh attempts (the first plus restarts).")
    strategies: list[str] = Field(default_factory=lambda: list(STRATEGIES))
    guided_attempt: bool = Field(True, description="Last resort: give the teacher the reference.")
    keep_guided: bool = Field(True, description="False moves guided examples to the rejects file.")
    max_reasks: int = Field(2, ge=0, description="Re-asks after a malformed teacher reply.")
    leak_phrases: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_LEAK_PHRASES))
    differential: bool = Field(
        False,
        description="Ask the teacher for a ranked differential with probabilities in the formal response; "
        "an example without a usable one is dropped (differential_invalid).",
    )
    differential_k: int = Field(5, ge=1, le=10, description="Most entries of the differential asked for.")

    # sampling
    temperature: float = Field(0.7, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(4096, ge=1, description="Per teacher call (CoT, rewrite, response).")
    json_mode: bool = Field(False, description="Ask the server for a JSON object on JSON stages.")
    seed: int = 0

    # running
    prompts_dir: Path | None = None
    concurrency: int | None = Field(None, ge=1, description="Records in flight; default teacher's.")
    cache_path: Path | None = Field(None, description="Default: OUT_DIR/cache.sqlite.")
    export_hf: bool = Field(False, description="Also write OUT_DIR/hf (datasets save_to_disk).")
    limit: int | None = Field(None, ge=1, description="Only the first N records.")

    @field_validator("teacher", mode="before")
    @classmethod
    def _parse_teacher(cls, value: Any) -> Any:
        return ModelSpec.parse(value) if isinstance(value, str) else value

    @field_validator("verifier", mode="before")
    @classmethod
    def _default_verifier(cls, value: Any) -> Any:
        return VerifierConfig() if value is None else value

    @model_validator(mode="after")
    def _check_strategies(self) -> SynthConfig:
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown:
            raise ValueError(f"unknown strategies {unknown}; known: {list(STRATEGIES)}")
        if self.max_depth > 0 and not [s for s in self.strategies if s != "backtracking"]:
            raise ValueError("strategies: need one besides 'backtracking' (it is never the first step)")
        return self

    def search_fingerprint(self) -> str:
        """Everything that changes what the search produces for a record (not how fast it runs)."""
        relevant = self.model_dump(
            mode="json",
            exclude={
                "teacher",
                "keep_guided",
                "prompts_dir",
                "concurrency",
                "cache_path",
                "export_hf",
                "limit",
            },
        )
        relevant["teacher"] = {"model": self.teacher.model, "base_url": self.teacher.base_url}
        if not self.differential:  # off (the default): the fingerprint of configs from before the option
            relevant.pop("differential")
            relevant.pop("differential_k")
        text = json.dumps(relevant, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]
