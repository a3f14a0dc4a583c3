"""Perturbations (clinical_r1.perturb) and `clinical-r1 eval --perturb` against a scripted server whose
answers to each perturbed case are fixed, so accuracy and flip rate per perturbation are known exactly."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinical_r1 import icd10
from clinical_r1.cli import app
from clinical_r1.perturb import KINDS, LABS, Case, PerturbConfig, perturb, split_clauses, terms
from clinical_r1.records import SAMPLE_RECORDS
from clinical_r1.testing.fake_openai_server import running_server
from clinical_r1.verify import Verifier

EN = (
    "A 45-year-old woman presents with 2 days of cough and fever. She has no chest pain. "
    "Exam: temperature 36.8 C, pulse 88/min, SpO2 97% on room air; crackles over the left base. "
    "Chest X-ray shows a left lower lobe consolidation."
)
ZH = (
    "患者女，45岁。主诉：咳嗽、发热2天。查体：体温36.8℃，心率88次/分，左下肺可闻及湿啰音。"
    "辅助检查：血常规白细胞7.2×10^9/L；胸片示左下肺实变影。"
)


def _case(text: str, language: str, **kw: object) -> Case:
    return Case(id="c1", text=text, language=language, reference="Pneumonia", reference_icd10="J18.9", **kw)


def test_config_rejects_unknown_and_repeated_kinds() -> None:
    with pytest.raises(ValueError):
        PerturbConfig(kinds=["remove_finding", "remove_finding"])
    with pytest.raises(ValueError):
        PerturbConfig(kinds=["shuffle_words"])
    assert PerturbConfig().kinds == list(KINDS)


def test_split_clauses_round_trips_and_keeps_decimals() -> None:
    for text, language in ((EN, "en"), (ZH, "zh")):
        parts = split_clauses(text, language)
        assert "".join(parts) == text
    assert any("36.8" in part for part in split_clauses(EN, "en"))  # the decimal point is no clause end


def test_same_seed_same_change_other_seed_may_differ() -> None:
    case = _case(EN, "en")
    for kind in ("remove_finding", "synonym_swap", "lab_within_range", "add_comorbidity"):
        assert perturb(case, kind, seed=3) == perturb(case, kind, seed=3)
    details = {perturb(case, "lab_within_range", seed=s).detail for s in range(8)}
    assert len(details) > 1


def test_remove_finding_drops_one_clause_after_the_first_sentence() -> None:
    for text, language in ((EN, "en"), (ZH, "zh")):
        change = perturb(_case(text, language), "remove_finding", seed=0)
        removed = change.detail.removeprefix("removed: ")
        assert removed and removed in text and removed not in change.text
        assert not re.search(r"year-old|岁|患者", removed)  # never the demographics
        assert len(change.text) < len(text)


def test_negate_finding_en_and_zh() -> None:
    en = perturb(_case(EN, "en"), "negate_finding", seed=0)
    assert en is not None and en.text != EN
    assert re.search(r"\b(no|not|without|denies)\b", en.detail.split(" -> ")[1])
    zh = perturb(_case(ZH, "zh"), "negate_finding", seed=0)
    assert zh is not None and re.search(r"无|未|不", zh.detail.split(" -> ")[1])
    # A bare finding of a symptom list (the DxBench style) is negated with "no" / "无".
    listed = "Presenting symptoms: Dizziness, Headache. On further questioning: Blurred vision."
    change = perturb(_case(listed, "en"), "negate_finding", seed=0)
    assert change is not None and "no " in change.text
    # Nothing positive to negate: not applicable.
    assert perturb(_case("A 30-year-old man. No complaints.", "en"), "negate_finding") is None


def test_synonym_swap_uses_the_table_and_never_splits_a_longer_term() -> None:
    change = perturb(_case(EN, "en"), "synonym_swap", seed=0)
    old, new = change.detail.removeprefix("swapped: ").split(" -> ")
    assert (old.lower(), new) in {(t.lower(), r) for t, r in terms()["en"]}
    # 血压 inside 高血压 is never replaced alone.
    for seed in range(10):
        zh = perturb(_case("患者男，60岁。既往高血压10年。", "zh"), "synonym_swap", seed=seed)
        assert zh.detail == "swapped: 高血压 -> 高血压病"


def test_terms_table_is_well_formed() -> None:
    for language, pairs in terms().items():
        keys = [t.lower() for t, _ in pairs]
        assert len(keys) == len(set(keys)), language  # a term listed twice would shadow one replacement
        assert all(t.lower() != r.lower() for t, r in pairs)
        assert len(pairs) > 20


@pytest.mark.parametrize("text,language", [(EN, "en"), (ZH, "zh")])
def test_lab_shift_within_and_out_of_the_normal_range(text: str, language: str) -> None:
    for kind, inside in (("lab_within_range", True), ("lab_out_of_range", False)):
        for seed in range(6):
            change = perturb(_case(text, language), kind, seed=seed)
            match = re.match(r"(.+) (\S+) -> (\S+) \((?:within|out of) normal range", change.detail)
            name, old, new = match.groups()
            lab = next(lab for lab in LABS if lab.name == name)
            assert lab.low <= float(old) <= lab.high
            assert (lab.low <= float(new) <= lab.high) == inside and float(new) != float(old)
            # Only the value changed.
            assert change.text.replace(new, old, 1) == text
    # Abnormal values only: not applicable (the answer could already hinge on them).
    assert perturb(_case("Fever. Temperature 39.1 C, pulse 120/min.", "en"), "lab_within_range") is None


def test_comorbidity_comes_from_another_icd_chapter() -> None:
    chapters = set()
    for seed in range(20):
        case = Case("c", EN, "en", "Pulmonary tuberculosis", "A15.0")
        change = perturb(case, "add_comorbidity", seed=seed)
        code = re.search(r"\((\w\d\d\.\d)\)$", change.detail).group(1)
        chapters.add(icd10.lookup(code).chapter)
        assert change.text.startswith(EN) and change.text.endswith(".")
    assert icd10.lookup("A15.0").chapter not in chapters
    zh = perturb(_case(ZH, "zh"), "add_comorbidity", seed=0)
    assert "既往另有" in zh.text


def test_wrong_suggestion_never_plants_the_reference() -> None:
    verifier = Verifier()

    def same(candidate: str, case: Case) -> bool:
        return (
            verifier.verify(candidate, case.reference, case.reference_icd10, case.language).label
            != "mismatch"
        )

    # "Community-acquired pneumonia" is a kind of the reference: skipped; so is an undecided one.
    case = _case(EN, "en", distractors=[["Community-acquired pneumonia", "Pulmonary embolism"], ["Gout"]])
    for seed in range(10):
        change = perturb(case, "wrong_suggestion", seed=seed, same=same)
        assert change.detail == "suggested: Pulmonary embolism"
        assert change.text.endswith("The referring doctor suspects Pulmonary embolism.")
    zh = perturb(
        Case("z", ZH, "zh", "肺炎", "J18.9", distractors=[["肺栓塞"]]), "wrong_suggestion", same=same
    )
    assert zh.text.endswith("外院考虑肺栓塞。")
    assert perturb(_case(EN, "en", distractors=[["pneumonia"]]), "wrong_suggestion", same=same) is None


def test_every_kind_applies_to_the_bundled_samples_in_both_languages() -> None:
    rows = [json.loads(line) for line in SAMPLE_RECORDS.read_text(encoding="utf-8").splitlines()]
    for kind in KINDS:
        for language in ("en", "zh"):
            cases = [
                Case(r["id"], r["case"], language, r["diagnosis"], r["icd10"], distractors=[["Gout"]])
                for r in rows
                if r["language"] == language
            ]
            applied = [perturb(c, kind, seed=0) for c in cases]
            assert sum(a is not None for a in applied) >= len(cases) // 3, (kind, language)
            for case, change in zip(cases, applied, strict=True):
                if change is not None:
                    assert change.text != case.text and change.detail


# --- eval --perturb against the scripted server -------------------------------------------------

IDS = [f"sample-{lang}-resp-00{n}" for n in range(1, 5) for lang in ("en", "zh")]
BASE_WRONG = {"sample-en-resp-002", "sample-zh-resp-003"}  # answered "Gout" unperturbed
COMORBIDITY_WRONG = {"sample-en-resp-001", "sample-zh-resp-001", "sample-en-resp-002"}  # -> "Migraine"
SYNONYM_RIGHT = {"sample-zh-resp-003"}  # answered right after the synonym swap
REMOVE_NO_ANSWER = {"sample-en-resp-004"}  # no answer once a finding is removed
KINDS_RUN = ["remove_finding", "synonym_swap", "add_comorbidity", "wrong_suggestion"]


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.fixture(scope="module")
def perturb_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("perturb")
    rows = {
        json.loads(line)["id"]: json.loads(line) for line in SAMPLE_RECORDS.read_text("utf-8").splitlines()
    }
    bench = folder / "bench.jsonl"
    bench.write_text("".join(json.dumps({**rows[i], "stratum": "x"}, ensure_ascii=False) + "\n" for i in IDS))
    originals = {rows[i]["case"]: i for i in IDS}
    perturbed_bench = folder / "run" / "perturb" / "bench.jsonl"

    def answer(text: str, language: str) -> str:
        return f"Final diagnosis: {text}" if language == "en" else f"最终诊断：{text}"

    def script(request: dict) -> str:
        user = request["messages"][-1]["content"]
        cases = {case: (item_id, None, "") for case, item_id in originals.items()}
        if perturbed_bench.exists():  # written before the perturbed items are asked
            for line in perturbed_bench.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                meta = row["meta"]
                cases[row["case"]] = (meta["source_id"], meta["perturbation"], meta["detail"])
        # The longest case inside the prompt: a perturbed case may contain its original whole.
        item_id, kind, detail = cases[max((c for c in cases if c in user), key=len)]
        language, right = rows[item_id]["language"], rows[item_id]["diagnosis"]
        base = ("Gout" if language == "en" else "痛风") if item_id in BASE_WRONG else right
        if kind == "wrong_suggestion":
            return answer(detail.removeprefix("suggested: "), language)
        if kind == "add_comorbidity" and item_id in COMORBIDITY_WRONG:
            return answer("Migraine" if language == "en" else "偏头痛", language)
        if kind == "synonym_swap" and item_id in SYNONYM_RIGHT:
            return answer(right, language)
        if kind == "remove_finding" and item_id in REMOVE_NO_ANSWER:
            return "Hmm.\nThe findings are not enough to say."
        return answer(base, language)

    config = folder / "eval.yaml"
    config.write_text(f"perturb:\n  kinds: {json.dumps(KINDS_RUN)}\n  seed: 0\n", encoding="utf-8")
    with running_server(script) as server:
        args = ["eval", "--bench", str(bench), "--model", f"scripted=openai:fake-model@{server.base_url}#cot"]
        args += ["--out", str(folder / "run"), "--config", str(config), "--perturb", "--no-progress"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        first = len(server.requests)
        again = CliRunner().invoke(app, args)  # resumes: every item is journaled
        assert again.exit_code == 0, again.output
        assert len(server.requests) == first
    return folder / "run", result


def test_perturbed_run_figures_are_exact(perturb_run: tuple[Path, object]) -> None:
    run, _ = perturb_run
    result = json.loads((run / "robustness.json").read_text(encoding="utf-8"))
    assert result["counts"] == {k: {"items": 8, "not_applicable": 0} for k in KINDS_RUN}
    m = result["models"]["scripted"]
    expected = {  # kind: (correct, flips, right->wrong, wrong->right), of 8; unperturbed 6/8 right
        "wrong_suggestion": (0, 8, 6, 0),
        "add_comorbidity": (4, 3, 2, 0),
        "synonym_swap": (7, 1, 0, 1),
        "remove_finding": (5, 1, 1, 0),
    }
    for kind, (correct, flips, to_wrong, to_right) in expected.items():
        row = m[kind]
        assert (row["items"], row["correct"], row["flips"]) == (8, correct, flips), kind
        assert (row["right_to_wrong"], row["wrong_to_right"]) == (to_wrong, to_right), kind
        assert row["unperturbed_accuracy"] == 6 / 8
        assert row["accuracy"] == correct / 8 and row["flip_rate"] == flips / 8
        low, high = _wilson(correct, 8)
        assert row["ci_low"] == pytest.approx(low, abs=1e-9) and row["ci_high"] == pytest.approx(
            high, abs=1e-9
        )
        low, high = _wilson(flips, 8)
        assert row["flip_ci_low"] == pytest.approx(low, abs=1e-9)
        assert row["flip_ci_high"] == pytest.approx(high, abs=1e-9)


def test_perturbed_run_figures_by_language_are_exact(perturb_run: tuple[Path, object]) -> None:
    run, _ = perturb_run
    by_language = json.loads((run / "robustness.json").read_text(encoding="utf-8"))["by_language"]["scripted"]
    # language: kind: (correct, flips), of 4 cases each; unperturbed 3 of 4 right in each language
    expected = {
        "en": {
            "wrong_suggestion": (0, 4),
            "add_comorbidity": (2, 2),
            "synonym_swap": (3, 0),
            "remove_finding": (2, 1),
        },
        "zh": {
            "wrong_suggestion": (0, 4),
            "add_comorbidity": (2, 1),
            "synonym_swap": (4, 1),
            "remove_finding": (3, 0),
        },
    }
    for language, kinds in expected.items():
        for kind, (correct, flips) in kinds.items():
            cell = by_language[language][kind]
            assert (cell["items"], cell["correct"], cell["flips"]) == (4, correct, flips), (language, kind)
            assert cell["unperturbed_accuracy"] == 3 / 4


def test_report_has_the_robustness_section(perturb_run: tuple[Path, object]) -> None:
    run, _ = perturb_run
    report = (run / "report.md").read_text(encoding="utf-8")
    assert report.count("## Robustness (perturbed cases)") == 1
    assert "| wrong_suggestion | 8 | 0.0 [0.0, 32.4] | 75.0 | 100.0 [67.6, 100.0] | 6 | 0 |" in report
    # The unperturbed results are untouched by the perturbed run: 6 of 8 right.
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["models"]["scripted"]["overall"]["correct"] == 6
    assert (run / "perturb" / "report.md").exists()
    assert "| wrong_suggestion | 4, 0.0, 100.0 | 4, 0.0, 100.0 |" in report  # the per-language table


def test_perturb_refuses_multiple_choice(tmp_path: Path) -> None:
    bench = tmp_path / "mcq.jsonl"
    row = {"id": "q1", "language": "en", "question": "Q?", "options": {"A": "a", "B": "b"}, "answer": "A"}
    bench.write_text(json.dumps(row) + "\n")
    with running_server("A") as server:
        args = ["eval", "--bench", str(bench), "--model", f"m=openai:fake-model@{server.base_url}"]
        result = CliRunner().invoke(
            app, [*args, "--out", str(tmp_path / "run"), "--perturb", "--no-progress"]
        )
    assert result.exit_code == 2
    assert "multiple-choice" in result.output


def test_perturb_models_limits_the_extra_passes_and_rejects_unknown_names(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in SAMPLE_RECORDS.read_text("utf-8").splitlines()][:4]
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps({**r, "stratum": "x"}, ensure_ascii=False) + "\n" for r in rows))
    config = tmp_path / "eval.yaml"
    config.write_text("perturb:\n  kinds: [wrong_suggestion]\n  models: [one]\n", encoding="utf-8")
    with running_server("Final diagnosis: Gout") as server:
        spec = f"openai:fake-model@{server.base_url}"  # two prompt modes: the response cache shares nothing
        args = ["eval", "--bench", str(bench), "--model", f"one={spec}#cot", "--model", f"two={spec}#direct"]
        args += ["--config", str(config), "--perturb", "--no-progress"]
        result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "run")])
        assert result.exit_code == 0, result.output
        perturbed = sum(1 for _ in (tmp_path / "run" / "perturb" / "bench.jsonl").open())
        # Two models on the 4 cases, then only model "one" on the perturbed copies.
        assert len(server.requests) == 2 * len(rows) + perturbed
        robustness = json.loads((tmp_path / "run" / "robustness.json").read_text("utf-8"))
        assert list(robustness["models"]) == ["one"]

        config.write_text("perturb:\n  kinds: [wrong_suggestion]\n  models: [three]\n", encoding="utf-8")
        bad = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "run2")])
    assert bad.exit_code == 2
    assert "three" in bad.output
