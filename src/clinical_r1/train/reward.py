"""The paper's result-based reward (ClinicalGPT-R1, 2.2.2): 1.0 right, 0.1 wrong, 0 without reasoning.

One module, used by our PPO, by TRL's GRPO/RLOO and by the verl reward file:

- the output goes through the shared parser (`clinical_r1.formatting.parse`); an output that does not
  reason before answering (no thinking, unparseable, two answers, cut off at the token limit) scores
  `no_reasoning` (0);
- otherwise the extracted diagnosis goes to the shared verifier (`clinical_r1.verify.Verifier`: rules,
  ICD-10 codes, optional LLM judge): a match scores `correct` (1.0), anything else `wrong` (0.1).
  An *undecided* verdict (no tier could decide, or the judge never gave valid JSON) counts as wrong:
  the model reasoned, so it earns the 0.1, but never the 1.0 for an answer nobody confirmed. A
  reasoned response with no extractable diagnosis is wrong too.

Optional calibration term (`calibration` > 0; off by default, so the paper's 1 / 0.1 / 0 is unchanged):
a reasoned output that states a ranked differential with usable probabilities (clinical_r1.differential)
earns `calibration * (1 - (p - y)^2)` on top, where p is the probability it states for its first entry
and y is 1 when the verifier matches that entry to the reference, else 0. This is the Brier score of the
forecast "my first candidate is right" turned into a bonus: a proper scoring rule, so the expected
bonus is largest when the stated p is the model's real chance of being right. The weight must stay
below correct - wrong, so that a right answer always outscores a wrong one.

Verdicts are cached per (diagnosis, reference, code, language) for the life of the `Rewarder`, and
each batch is sent to the verifier at once, so the LLM judge sees each distinct pair exactly once
(the judge's own request cache, `verifier.judge_cache`, makes that hold across runs too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator

from clinical_r1.config import StrictModel
from clinical_r1.formatting import Style, parse
from clinical_r1.judge_audit import warn_if_unaudited
from clinical_r1.llm import run_sync
from clinical_r1.verify import Verdict, Verifier, VerifierConfig, VerifyItem

Outcome = Literal["correct", "wrong", "no_reasoning"]
OUTCOMES: tuple[Outcome, ...] = ("correct", "wrong", "no_reasoning")


class RewardConfig(StrictModel):
    correct: float = 1.0
    wrong: float = 0.1
    no_reasoning: float = 0.0
    # The output style the policy was trained to write (SFT's `style`), parsed strictly as evaluation
    # does, so RL never rewards an output evaluation calls invalid. None = detect from the markers
    # present ("r1" or "markdown"): either style earns the reward.
    style: Style | None = "r1"
    # Weight of the calibration bonus (module docstring); 0 = off, the paper's reward.
    calibration: float = Field(0.0, ge=0.0)

    @model_validator(mode="after")
    def _calibration_below_gap(self) -> RewardConfig:
        if self.calibration and self.calibration >= self.correct - self.wrong:
            raise ValueError(
                f"reward calibration {self.calibration} must be below correct - wrong "
                f"({self.correct - self.wrong:g}), or a confident wrong answer could outscore a right one"
            )
        return self


@dataclass(frozen=True)
class RewardResult:
    score: float
    outcome: Outcome | str  # one of OUTCOMES; "custom" for plain scores from another reward function
    # Which verifier tier decided ("rule" | "code" | "judge" | "none"), or "parser" for no reasoning.
    source: str
    diagnosis: str | None
    reason: str
    calibration: float | None = None  # the calibration bonus included in score; None = not earned / off

    @classmethod
    def of(cls, value: RewardResult | float) -> RewardResult:
        """A reward function's answer as a result: a plain score (toy tasks, tests) becomes "custom"."""
        if isinstance(value, RewardResult):
            return value
        return cls(float(value), "custom", "custom", None, "")


class Rewarder:
    """Scores completions against reference diagnoses; keeps counts of outcomes and verdict sources."""

    def __init__(
        self,
        config: RewardConfig | None = None,
        verifier: Verifier | None = None,
        verifier_config: VerifierConfig | None = None,
    ) -> None:
        self.config = config or RewardConfig()
        self.verifier = verifier or Verifier(verifier_config)
        warn_if_unaudited(self.verifier, "RL reward")  # a judge's false matches are rewarded
        self._verdicts: dict[tuple[str, str, str | None, str], Verdict] = {}
        self.outcomes: Counter[str] = Counter()
        self.sources: Counter[str] = Counter()
        self.verifier_calls = 0  # distinct pairs sent to the verifier (cache misses)

    def value(self, outcome: Outcome) -> float:
        return float(getattr(self.config, outcome))

    async def score_details_async(
        self,
        completions: Sequence[str],
        references: Sequence[str],
        reference_icd10: Sequence[str | None] | None = None,
        languages: Sequence[str] | None = None,
        truncated: Sequence[bool] | None = None,
    ) -> list[RewardResult]:
        n = len(completions)
        if len(references) != n:
            raise ValueError(f"{n} completions but {len(references)} references")
        codes = list(reference_icd10) if reference_icd10 is not None else [None] * n
        langs = list(languages) if languages is not None else ["en"] * n
        cut = list(truncated) if truncated is not None else [False] * n

        parsed = [
            parse(text, self.config.style, truncated=t) for text, t in zip(completions, cut, strict=True)
        ]
        keys: list[tuple[str, str, str | None, str] | None] = []
        # the first entry of a usable stated differential, graded too when the calibration term is on
        firsts: list[tuple[float, tuple[str, str, str | None, str]] | None] = []
        for p, ref, code, lang in zip(parsed, references, codes, langs, strict=True):
            reasoned = p.valid and p.has_reasoning
            keys.append(((p.diagnosis or "").strip(), ref.strip(), code, lang) if reasoned else None)
            stated = p.differential if reasoned and self.config.calibration > 0 else None
            if stated is not None and stated.probabilities_valid:
                first = stated.entries[0]
                firsts.append((first.probability or 0.0, (first.diagnosis, ref.strip(), code, lang)))
            else:
                firsts.append(None)

        wanted = [k for k in keys if k is not None] + [f[1] for f in firsts if f is not None]
        missing = list(dict.fromkeys(k for k in wanted if k not in self._verdicts))
        if missing:
            items = [
                VerifyItem(prediction=d or None, reference=r, reference_icd10=c, language=lang)
                for d, r, c, lang in missing
            ]
            verdicts = await self.verifier.verify_many(items)
            self.verifier_calls += len(missing)
            self._verdicts.update(zip(missing, verdicts, strict=True))

        results = []
        for p, key, first in zip(parsed, keys, firsts, strict=True):
            if key is None:
                result = RewardResult(
                    self.value("no_reasoning"), "no_reasoning", "parser", None, p.error or ""
                )
            else:
                verdict = self._verdicts[key]
                outcome: Outcome = "correct" if verdict.is_match else "wrong"
                reason = verdict.reason if verdict.label != "undecided" else f"undecided: {verdict.reason}"
                bonus = None
                if first is not None:
                    stated_p, first_key = first
                    right = 1.0 if self._verdicts[first_key].is_match else 0.0
                    bonus = self.config.calibration * (1.0 - (stated_p - right) ** 2)
                score = self.value(outcome) + (bonus or 0.0)
                result = RewardResult(score, outcome, verdict.source, p.diagnosis, reason, bonus)
            self.outcomes[result.outcome] += 1
            self.sources[result.source] += 1
            results.append(result)
        return results

    def score_details(self, *args, **kwargs) -> list[RewardResult]:
        """Synchronous `score_details_async` (the judge, when enabled, runs on its own event loop)."""
        return run_sync(self._score_then_close(*args, **kwargs))

    async def _score_then_close(self, *args, **kwargs) -> list[RewardResult]:
        try:
            return await self.score_details_async(*args, **kwargs)
        finally:  # a judge's HTTP client belongs to the short-lived event loop it was used on
            close = getattr(self.verifier.llm, "aclose", None)
            if close is not None:
                await close()

    def score_many(
        self,
        completions: Sequence[str],
        references: Sequence[str],
        reference_icd10: Sequence[str | None] | None = None,
        languages: Sequence[str] | None = None,
        truncated: Sequence[bool] | None = None,
    ) -> list[float]:
        """Rewards in input order (see the module docstring for the rule)."""
        details = self.score_details(completions, references, reference_icd10, languages, truncated)
        return [r.score for r in details]


def outcome_shares(results: Sequence[RewardResult]) -> dict[str, float]:
    """Share of each outcome (correct / wrong / no_reasoning) in a batch."""
    counts = Counter(r.outcome for r in results)
    total = max(len(results), 1)
    return {o: counts[o] / total for o in OUTCOMES}
