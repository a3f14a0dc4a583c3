"""The diagnosis verifier: clear rules, ICD-10 codes, a strict LLM judge, measured on a labelled set."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from clinical_r1.config import ConfigError, load_config
from clinical_r1.llm import ModelSpec, build_llm
from clinical_r1.records import RecordError
from clinical_r1.testing.fake_openai_server import Faults, running_server
from clinical_r1.verify import (
    Verdict,
    Verifier,
    VerifierConfig,
    VerifyItem,
    judge_messages,
    load_labelled,
    parse_diagnosis,
    parse_judge_reply,
    score,
)

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "verifier_labelled.jsonl"


def _benchmark():
    """benchmarks/verifier_accuracy.py: the table in docs/verifier.md comes from the same code."""
    spec = importlib.util.spec_from_file_location(
        "verifier_accuracy", ROOT / "benchmarks" / "verifier_accuracy.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _benchmark()


@pytest.fixture(scope="module")
def pairs():
    return load_labelled(LABELLED)


OFFLINE = Verifier()


# --- rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prediction", "reference", "language"),
    [
        ("not pneumonia", "pneumonia", "en"),
        ("Not pneumonia.", "Pneumonia", "en"),
        ("pneumonia was excluded", "pneumonia", "en"),
        ("Pneumonia has been ruled out", "pneumonia", "en"),
        ("pneumonia, ruled out", "pneumonia", "en"),  # the negation in a clause of its own
        ("pneumonia (excluded)", "pneumonia", "en"),
        ("肺炎，已排除", "肺炎", "zh"),
        ("no evidence of pneumonia", "pneumonia", "en"),
        ("pneumonia unlikely", "pneumonia", "en"),
        ("排除肺炎", "肺炎", "zh"),
        ("不考虑肺炎", "肺炎", "zh"),
        ("肺炎可能性小", "肺炎", "zh"),
        ("pneumonia or pulmonary embolism", "pneumonia", "en"),
        ("Differential diagnosis: pneumonia, pulmonary embolism", "pneumonia", "en"),
        ("肺炎或肺结核", "肺炎", "zh"),
        ("肺炎、肺结核", "肺炎", "zh"),
        ("Pulmonary embolism, not pneumonia", "pneumonia", "en"),
        ("", "pneumonia", "en"),
        (None, "pneumonia", "en"),
    ],
)
def test_negated_hedged_or_missing_answers_never_match(prediction, reference, language) -> None:
    verdict = OFFLINE.verify(prediction, reference, language=language)
    assert verdict.label == "mismatch" and verdict.source == "rule", verdict


@pytest.mark.parametrize(
    ("prediction", "reference", "language"),
    [
        ("PNEUMONIA.", "pneumonia", "en"),
        ("Ｐｎｅｕｍｏｎｉａ", "pneumonia", "en"),  # full-width
        ("Pneumonia, lobar", "lobar pneumonia", "en"),  # word order
        ("the lobar pneumonia", "Lobar pneumonia", "en"),  # article
        ("Crohn's disease", "Crohn disease", "en"),
        ("acute MI", "acute myocardial infarction", "en"),
        ("COPD", "chronic obstructive pulmonary disease", "en"),
        ("慢阻肺", "慢性阻塞性肺疾病", "zh"),
        ("COPD", "慢性阻塞性肺疾病", "zh"),  # across languages through the synonym table
        ("Ⅱ型糖尿病", "2型糖尿病", "zh"),
        ("lobar pneumonia", "pneumonia", "en"),  # more specific and consistent
        ("大叶性肺炎", "肺炎", "zh"),
        ("Pulmonary embolism; pneumonia excluded", "pulmonary embolism", "en"),
        ("Pnemonia", "pneumonia", "en"),  # typo: unknown word one edit from a known one
    ],
)
def test_clear_matches(prediction, reference, language) -> None:
    verdict = OFFLINE.verify(prediction, reference, language=language)
    assert verdict.is_match and verdict.source in ("rule", "code"), verdict


@pytest.mark.parametrize(
    ("prediction", "reference", "language"),
    [
        ("pneumonia", "Legionella pneumonia", "en"),  # less specific
        ("肺炎", "大叶性肺炎", "zh"),
        ("type 1 diabetes mellitus", "type 2 diabetes mellitus", "en"),
        ("1型糖尿病", "2型糖尿病", "zh"),
        ("hypothyroidism", "hyperthyroidism", "en"),
        ("甲减", "甲亢", "zh"),
        ("STEMI", "NSTEMI", "en"),
        ("stable angina", "unstable angina", "en"),
        ("pulmonary embolism", "pneumonia", "en"),  # different ICD-10 chapter
        ("hepatitis B", "hepatitis C", "en"),  # subtypes that share an ICD-10 category (B18)
        ("乙型肝炎", "丙型肝炎", "zh"),
        ("甲型流感", "乙型流感", "zh"),
    ],
)
def test_clear_mismatches(prediction, reference, language) -> None:
    verdict = OFFLINE.verify(prediction, reference, language=language)
    assert verdict.label == "mismatch", verdict


def test_unclear_pairs_are_undecided_not_guessed() -> None:
    # Lay phrases outside the tables with no confident code:
    # neither rules nor codes may decide; without a judge the verdict is undecided with source "none".
    for prediction, reference in UNCLEAR_PAIRS:
        verdict = OFFLINE.verify(prediction, reference)
        assert verdict == Verdict(label="undecided", source="none", reason=verdict.reason)
        assert not verdict.is_match


def test_related_but_different_and_named_subtypes_are_decided() -> None:
    # Issue 15: these used to be undecided. Angina (I20) and MI (I21) are different categories;
    # aspiration pneumonia (J69.0) is a kind of the unspecific reference pneumonia (J18.9).
    angina = OFFLINE.verify("angina pectoris", "myocardial infarction")
    assert angina.label == "mismatch" and angina.source == "code" and "I20 vs I21" in angina.reason
    aspiration = OFFLINE.verify("aspiration pneumonia", "pneumonia")
    assert aspiration.is_match and aspiration.source == "code" and "J18" in aspiration.reason


def test_real_words_one_letter_apart_are_not_merged() -> None:
    assert not OFFLINE.verify("arteritis", "arthritis").is_match
    assert not OFFLINE.verify("dysphasia", "dysphagia").is_match


# --- codes and tier switches ------------------------------------------------------------------


def test_code_tier_uses_the_given_reference_code_and_strictness() -> None:
    # "Angina pectoris" maps confidently to I20; the reference code I21.9 is another category in the
    # same block (I20-I25): a different disease (issue 15: this used to pass as undecided); only the
    # loose block level calls it a match.
    category = Verifier(VerifierConfig(rules=False)).verify("angina pectoris", "the heart one", "I21.9")
    assert category.label == "mismatch" and "different ICD-10 category: I20 vs I21.9" in category.reason
    block = Verifier(VerifierConfig(rules=False, code_level="block")).verify("angina pectoris", "x", "I21.9")
    assert block.label == "match" and block.source == "code" and "I20" in block.reason
    # Two subcategories of one category: different at the default level, alike at the looser levels.
    for level, label in [("subcategory", "mismatch"), ("category", "match"), ("block", "match")]:
        verdict = Verifier(VerifierConfig(rules=False, code_level=level)).verify("K50.0", "x", "K50.1")
        assert verdict.label == label and verdict.source == "code", (level, verdict)
    chapter = Verifier(VerifierConfig(rules=False)).verify("asthma", "whatever the reference says", "I21.9")
    assert chapter.label == "mismatch" and chapter.source == "code"


def test_tiers_can_be_switched_off() -> None:
    both_off = Verifier(VerifierConfig(rules=False, codes=False))
    assert both_off.verify("pneumonia", "pneumonia").label == "undecided"
    codes_only = Verifier(VerifierConfig(rules=False))
    assert codes_only.verify("pneumonia", "pneumonia").source == "code"
    rules_only = Verifier(VerifierConfig(codes=False))
    assert rules_only.verify("pulmonary embolism", "pneumonia").label == "undecided"


def test_judge_needs_a_model() -> None:
    with pytest.raises(ConfigError, match="judge"):
        Verifier(VerifierConfig(judge=True))


def test_config_loads_from_yaml_with_a_judge_model(tmp_path: Path) -> None:
    path = tmp_path / "verify.yaml"
    path.write_text(
        "judge: true\ncode_level: block\njudge_model: {model: gpt-x, base_url: 'http://127.0.0.1:9/v1'}\n"
    )
    config = load_config(path, VerifierConfig)
    assert config.judge and config.code_level == "block" and config.judge_model.model == "gpt-x"
    path.write_text("judge: true\njudge_retires: 3\n")
    with pytest.raises(ConfigError, match="judge_retires"):
        load_config(path, VerifierConfig)


# --- judge reply parsing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "true",
        "not true",
        "Yes, this is true.",
        '{"match": "true", "reason": "x"}',
        '{"match": 1, "reason": "x"}',
        '{"match": true, "reason": "x"',
        '```json\n{"match": true, "reason": "x"}\n```',
        '{"match": true} and some prose',
        '{"reason": "no match field"}',
        '[{"match": true}]',
        '{"match": true, "reason": 5}',
        "",
    ],
)
def test_judge_replies_other_than_strict_json_are_invalid(reply: str) -> None:
    assert parse_judge_reply(reply) is None


def test_strict_judge_json_is_read() -> None:
    assert parse_judge_reply('{"match": true, "reason": "same"}') == (True, "same")
    assert parse_judge_reply(' {"match": false, "reason": "different"}\n') == (False, "different")


def test_judge_prompts_state_the_pair_in_both_languages() -> None:
    en = judge_messages("lobar pneumonia", "pneumonia {prediction}", "en")[0]["content"]
    assert (
        "Predicted diagnosis: lobar pneumonia" in en and "Reference diagnosis: pneumonia {prediction}" in en
    )
    zh = judge_messages("大叶性肺炎", "肺炎", "zh")[0]["content"]
    assert "预测诊断：大叶性肺炎" in zh and "参考诊断：肺炎" in zh and '"match"' in zh


# --- the judge through a real (local) OpenAI-compatible server --------------------------------


def _judged(script, items, retries=2, faults=None, spec_update=None):
    with running_server(script, faults=faults) as server:
        spec = ModelSpec.parse(f"openai:judge@{server.base_url}").model_copy(update=spec_update or {})
        llm = build_llm(spec)
        verifier = Verifier(VerifierConfig(judge=True, judge_retries=retries), llm=llm)

        async def run():
            try:
                return await verifier.verify_many(items)
            finally:
                await llm.aclose()

        return asyncio.run(run()), server.requests


UNCLEAR_PAIRS = [("underactive thyroid", "hypothyroidism"), ("water on the lungs", "pulmonary edema")]
UNCLEAR = VerifyItem(prediction="underactive thyroid", reference="hypothyroidism")
OTHER_UNCLEAR = VerifyItem(prediction="water on the lungs", reference="pulmonary edema")


def test_judge_decides_what_rules_and_codes_cannot() -> None:
    verdicts, requests = _judged('{"match": true, "reason": "the lay name of hypothyroidism"}', [UNCLEAR])
    assert verdicts[0].label == "match" and verdicts[0].source == "judge"
    assert len(requests) == 1 and requests[0].body["messages"][0]["content"].count("underactive thyroid") == 1


def test_verify_many_sends_each_distinct_pair_to_the_judge_once(bench) -> None:
    other = OTHER_UNCLEAR
    clear = VerifyItem(prediction="pneumonia", reference="pneumonia")  # decided by rules, never judged
    items = [UNCLEAR, clear, other, UNCLEAR, other, UNCLEAR, clear]
    verdicts, requests = _judged('{"match": false, "reason": "no"}', items)
    assert len(requests) == 2
    sent = {bench.pair_in_prompt(r.body) for r in requests}
    assert sent == {("underactive thyroid", "hypothyroidism"), ("water on the lungs", "pulmonary edema")}
    assert [v.source for v in verdicts] == ["judge", "rule", "judge", "judge", "judge", "judge", "rule"]


def test_invalid_judge_reply_is_retried_with_a_correction() -> None:
    verdicts, requests = _judged(
        ["Sure! They match.", '{"match": false, "reason": "less specific"}'], [UNCLEAR]
    )
    assert verdicts[0].label == "mismatch" and verdicts[0].source == "judge"
    assert len(requests) == 2
    retry = requests[1].body["messages"]
    assert retry[1] == {"role": "assistant", "content": "Sure! They match."}
    assert "JSON" in retry[2]["content"]


def test_judge_that_never_answers_properly_is_undecided_after_bounded_retries() -> None:
    verdicts, requests = _judged("true", [UNCLEAR], retries=2)
    assert verdicts[0].label == "undecided" and verdicts[0].source == "judge"
    assert "not the JSON" in verdicts[0].reason
    assert len(requests) == 3


def test_judge_server_failure_is_undecided_not_a_crash() -> None:
    verdicts, _ = _judged(
        '{"match": true, "reason": "x"}',
        [UNCLEAR],
        faults=Faults(rate_500=1.0),
        spec_update={"max_retries": 0},
    )
    assert verdicts[0].label == "undecided" and "judge call failed" in verdicts[0].reason


def test_sync_verify_runs_the_judge_inside_and_outside_an_event_loop() -> None:
    with running_server('{"match": true, "reason": "ok"}') as server:
        verifier = Verifier(VerifierConfig(judge=True), llm=build_llm(f"openai:judge@{server.base_url}"))
        assert verifier.verify("underactive thyroid", "hypothyroidism").source == "judge"

        async def inside_a_loop() -> Verdict:
            return verifier.verify("water on the lungs", "pulmonary edema")

        assert asyncio.run(inside_a_loop()).is_match


# --- the labelled set ---------------------------------------------------------------------------


def test_labelled_set_is_large_bilingual_and_covers_the_hard_cases(pairs) -> None:
    assert len(pairs) >= 300
    en = sum(1 for p in pairs if p.item.language == "en")
    assert 0.4 <= en / len(pairs) <= 0.6
    kinds = {p.kind for p in pairs}
    for kind in (
        "synonym",
        "abbreviation",
        "more_specific",
        "less_specific",
        "related_wrong",
        "negation",
        "multiple",
        "typo",
    ):
        assert kind in kinds
    assert sum(1 for p in pairs if p.item.reference_icd10) >= len(pairs) // 2


def _print(bench, rows) -> None:
    """Show the measured figures in the test output (pytest -s, or -rA), as the issue asks."""
    from rich.console import Console

    Console(width=140).print(bench.table(rows, "verifier on tests/data/verifier_labelled.jsonl"))


def test_rules_and_codes_on_the_labelled_set(pairs, bench) -> None:
    rows = [
        ("rules", bench.run_offline(pairs, codes=False), None),
        ("rules + codes", bench.run_offline(pairs, codes=True), None),
    ]
    _print(bench, rows)
    rules_codes = rows[1][1]
    assert (
        rules_codes.false_match_rate <= 0.01
    )  # the target: a verifier that says yes too easily teaches errors
    assert rules_codes.accuracy >= 0.88
    assert rules_codes.decided_by["rule"] + rules_codes.decided_by["code"] >= 0.7 * len(pairs)
    assert rules_codes.decided_by["code"] > 0 and rows[0][1].decided_by["code"] == 0


def test_gold_label_judge_settles_every_remaining_pair(pairs, bench) -> None:
    # A plumbing measurement: the fake judge answers from the gold label, so accuracy must be 100%
    # and every pair the offline tiers left open must reach the judge exactly once.
    result, requests = bench.run_with_judge(pairs, bench.gold_judge(pairs))
    offline = bench.run_offline(pairs, codes=True)
    _print(bench, [("rules + codes + judge (gold-label fake)", result, requests)])
    assert result.accuracy == 1.0 and result.false_match_rate == 0.0
    assert result.decided_by["judge"] == offline.decided_by["none"] == requests
    assert result.decided_by["none"] == 0


def test_adversarial_judges_never_produce_a_false_match(pairs, bench) -> None:
    # One server run: each request gets one of the adversarial replies (rotating), retries included.
    replies = list(bench.ADVERSARIAL.values())
    counter = iter(range(10**6))
    result, requests = bench.run_with_judge(
        pairs, lambda request: replies[next(counter) % len(replies)], retries=2
    )
    offline = bench.run_offline(pairs, codes=True)
    _print(bench, [("rules + codes + adversarial judges (rotating)", result, requests)])
    assert requests == 3 * offline.decided_by["none"]  # every pending pair asked 1 + 2 retries
    assert result.decided_by["judge"] == 0 and result.false_matches == offline.false_matches
    assert result.decided_by["none"] == offline.decided_by["none"]


def test_score_counts_undecided_as_not_a_match() -> None:
    verdicts = [
        Verdict(label="match", source="rule"),
        Verdict(label="undecided", source="none"),
        Verdict(label="match", source="judge"),
        Verdict(label="undecided", source="judge"),
    ]
    result = score(verdicts, [True, True, False, False])
    assert result.accuracy == 0.5 and result.false_match_rate == 0.5 and result.missed_matches == 1
    assert result.decided_by == {"rule": 1, "code": 0, "judge": 1, "none": 2}


def test_labelled_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = {"prediction": "a", "reference": "b", "match": True, "language": "en"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "match": "yes"}) + "\n")
    with pytest.raises(RecordError, match=r"bad.jsonl:2: field 'match'"):
        load_labelled(path)
    path.write_text(json.dumps({**good, "language": "fr"}) + "\n")
    with pytest.raises(RecordError, match=r":1: field 'language'"):
        load_labelled(path)


def test_a_whole_paragraph_is_left_to_the_judge() -> None:
    paragraph = (
        "At first this did not look like pneumonia because the chest was clear, but the repeat film two "
        "days later showed consolidation in the right lower lobe, so in the end the answer is pneumonia."
    )
    assert OFFLINE.verify(paragraph, "pneumonia").label == "undecided"
    verdicts, requests = _judged(
        '{"match": true, "reason": "concludes pneumonia"}',
        [VerifyItem(prediction=paragraph, reference="pneumonia")],
    )
    assert verdicts[0].source == "judge" and len(requests) == 1


def test_cli_verify_with_and_without_a_judge() -> None:
    from typer.testing import CliRunner

    from clinical_r1.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["verify", "慢阻肺", "慢性阻塞性肺疾病", "--language", "zh"])
    assert result.exit_code == 0 and "match (source: rule)" in result.output
    result = runner.invoke(app, ["verify", "--output", "<think>unfinished", "pneumonia"])
    assert result.exit_code == 0 and "no closing </think>" in result.output and "mismatch" in result.output
    with running_server('{"match": false, "reason": "not the reference"}') as server:
        result = runner.invoke(
            app,
            [
                "verify",
                "water on the lungs",
                "pulmonary edema",
                "--judge-model",
                f"openai:judge@{server.base_url}",
            ],
        )
    assert result.exit_code == 0 and "mismatch (source: judge)" in result.output, result.output


def test_cli_verify_reports_bad_settings_without_a_traceback(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from clinical_r1.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["verify", "a", "b", "--config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "config file not found" in result.output
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # the key is checked before any request
    spec = "openai:judge@http://judge.example/v1"
    result = runner.invoke(app, ["verify", "water on the lungs", "pulmonary edema", "--judge-model", spec])
    assert result.exit_code == 2 and "OPENAI_API_KEY" in result.output, result.output
    result = runner.invoke(app, ["verify", "a", "b", "--language", "fr"])
    assert result.exit_code == 2 and "not en or zh" in result.output


def test_held_out_pairs_written_after_the_rules(bench) -> None:
    # 80 pairs written after the rules were frozen. The first run found two false matches by code
    # (diverticulitis / diverticulosis share K57.9); the suffix rule added since keeps this at zero.
    heldout = load_labelled(ROOT / "tests" / "data" / "verifier_heldout.jsonl")
    result = bench.run_offline(heldout, codes=True)
    _print(bench, [("rules + codes (held-out set)", result, None)])
    assert result.false_matches == 0 and result.accuracy >= 0.85


def test_reference_code_is_part_of_the_offline_decision() -> None:
    items = [
        VerifyItem(prediction="angina pectoris", reference="chest pain syndrome", reference_icd10="I20.9"),
        VerifyItem(prediction="angina pectoris", reference="chest pain syndrome", reference_icd10="K35.8"),
    ]
    verdicts = asyncio.run(Verifier().verify_many(items))
    assert [v.label for v in verdicts] == ["match", "mismatch"] and {v.source for v in verdicts} == {"code"}


# --- issue 15: references as hospitals and exams write them ---------------------------------------


@pytest.mark.parametrize(
    ("text", "full", "abbreviation", "alternates"),
    [
        ("Community-acquired pneumonia (CAP)", "Community-acquired pneumonia", "CAP", ()),
        ("COPD (Chronic obstructive pulmonary disease)", "Chronic obstructive pulmonary disease", "COPD", ()),
        ("Gastroesophageal reflux disease / GERD", "Gastroesophageal reflux disease", "GERD", ()),
        ("Multiple endocrine neoplasia (MEN) 2A", "Multiple endocrine neoplasia 2A", "MEN 2A", ()),
        (
            "Chronic Pelvic Inflammatory Disease (PID)",
            "Chronic Pelvic Inflammatory Disease",
            "Chronic PID",
            (),
        ),
        ("Hordeolum (Stye)", "Hordeolum", None, ("Stye",)),
        ("肺炎（pneumonia）", "肺炎", None, ("pneumonia",)),
        ("唐氏综合征（21-三体综合征）", "唐氏综合征", None, ("21-三体综合征",)),
        ("右侧腰椎神经根管狭窄症（L5）", "右侧腰椎神经根管狭窄症 L5", None, ()),  # a site, not a name
        ("Pneumonia, unspecified", "Pneumonia", None, ()),
        ("Asthma NOS", "Asthma", None, ()),
        ("Anaemia, not elsewhere classified", "Anaemia", None, ()),
        ("Ｐｎｅｕｍｏｎｉａ（ＣＡＰ）", "Pneumonia", None, ("CAP",)),  # full-width; CAP is not its initials
    ],
)
def test_references_parse_to_one_normal_form(text, full, abbreviation, alternates) -> None:
    parsed = parse_diagnosis(text)
    assert (parsed.full, parsed.abbreviation, parsed.alternates) == (full, abbreviation, alternates)


@pytest.mark.parametrize(
    ("prediction", "reference"),
    [
        # The defect of issue 15: a "Name (ABBR)" reference was matched by nothing, not even itself.
        ("Community-acquired pneumonia (CAP)", "Community-acquired pneumonia (CAP)"),
        ("Community-acquired pneumonia", "Community-acquired pneumonia (CAP)"),
        ("CAP", "Community-acquired pneumonia (CAP)"),
        ("Chronic obstructive pulmonary disease (COPD)", "COPD"),  # a parenthesised abbreviation is no list
        ("Urinary tract infection (UTI)", "urinary tract infection"),
        ("ASD", "Atrial Septal Defect (ASD)"),  # ambiguous in the table, defined by the reference
        ("MEN 2A", "Multiple endocrine neoplasia (MEN) 2A"),
        ("Stye", "Hordeolum (Stye)"),
        ("pneumonia", "肺炎（pneumonia）"),
        ("Pneumonia", "Pneumonia, unspecified"),
        ("高血压病，脑出血", "高血压病，脑出血"),  # a two-diagnosis exam answer is still itself
    ],
)
def test_a_reference_matches_itself_and_its_parts(prediction, reference) -> None:
    verdict = OFFLINE.verify(prediction, reference)
    assert verdict.is_match, verdict


def test_ambiguous_abbreviations_need_the_other_side_to_define_them() -> None:
    # MS is multiple sclerosis or mitral stenosis (data/verifier/abbreviations.tsv).
    assert OFFLINE.verify("MS", "Multiple sclerosis (MS)").is_match
    assert OFFLINE.verify("Multiple sclerosis (MS)", "MS").is_match  # the prediction defines it
    assert OFFLINE.verify("MS", "multiple sclerosis").label == "undecided"
    assert OFFLINE.verify("MS", "mitral stenosis").label == "undecided"
    # Neither meaning is myasthenia gravis: decided whatever MS stands for.
    both = OFFLINE.verify("MS", "myasthenia gravis")
    assert both.label == "mismatch" and "multiple sclerosis or mitral stenosis" in both.reason
    # A prediction's parenthesis that the table gives another meaning is not a definition.
    assert not OFFLINE.verify("pneumonia (PE)", "pulmonary embolism").is_match


@pytest.mark.parametrize(
    ("prediction", "reference", "reference_icd10", "word"),
    [
        # One ICD-10 category, different subcategories: different diseases (issue 15's false matches).
        ("Crohn disease of small intestine", "Crohn disease of large intestine", None, "subcategory"),
        ("K50.0", "Crohn's disease of large intestine", "K50.1", "subcategory"),
        ("C92.0", "chronic myeloid leukaemia", "C92.1", "subcategory"),
        ("Calculus of kidney", "Calculus of ureter", None, "subcategory"),
        ("N20.0", "ureteric stone", "N20.1", "subcategory"),
        # Confident codes in different categories or blocks.
        ("asthma", "COPD", None, "J45.9 vs J44.9"),
        ("rheumatoid arthritis", "osteoarthritis", None, "M06.9 vs M19.9"),
        ("bladder stone", "kidney stone", "N20.0", "N21.0 vs N20.0"),
        ("portal hypertension", "hypertension", None, "K76.6 vs I10"),  # not a kind of I10
        # Distinct entities by their words, wherever they are.
        ("acute kidney injury", "chronic kidney disease", None, "acute vs chronic"),
        ("left heart failure", "right heart failure", None, "left vs right"),
        ("secondary hyperparathyroidism", "primary hyperparathyroidism", None, "secondary vs primary"),
        ("hypokalemia", "hyperkalemia", None, "hypo"),
        ("无先兆偏头痛", "有先兆偏头痛", None, "有"),
        ("急性肾损伤", "慢性肾脏病", None, "急性 vs 慢性"),
    ],
)
def test_clearly_different_diseases_are_a_mismatch_with_the_reason(
    prediction, reference, reference_icd10, word
):
    verdict = OFFLINE.verify(prediction, reference, reference_icd10)
    assert verdict.label == "mismatch" and word in verdict.reason, verdict


def test_less_specific_follows_the_configured_policy() -> None:
    # By code (a category for a subcategory) and by name (the reference's words plus more).
    for prediction, reference, code in [
        ("Malignant neoplasm of eye", "retinoblastoma", "C69.2"),
        ("myocardial infarction", "NSTEMI", None),
        ("pneumonia", "Legionella pneumonia", None),
    ]:
        strict = OFFLINE.verify(prediction, reference, code)
        assert strict.label == "mismatch" and strict.reason.startswith("less specific"), strict
        undecided = Verifier(VerifierConfig(less_specific="undecided")).verify(prediction, reference, code)
        assert undecided.label == "undecided"
        lenient = Verifier(VerifierConfig(less_specific="match")).verify(prediction, reference, code)
        assert lenient.is_match and lenient.reason.startswith("less specific")


@pytest.mark.parametrize(
    ("prediction", "reference", "reference_icd10"),
    [
        ("STEMI", "acute myocardial infarction", None),  # I21.3 within I21
        ("acute anterior wall STEMI", "acute myocardial infarction", "I21.9"),
        ("lobar pneumonia", "pneumonia", "J18.9"),
        ("aspiration pneumonia", "pneumonia", "J18.9"),  # a kind of the unspecific reference (J69.0)
        ("iron deficiency anaemia", "anemia", "D64.9"),
        ("hemorrhagic stroke", "stroke", "I64"),
        ("acute exacerbation of asthma", "asthma", None),
        ("type 2 diabetes mellitus with hypertension", "type 2 diabetes mellitus", None),
        ("2型糖尿病合并高血压", "2型糖尿病", None),
        ("急性阑尾炎伴穿孔", "急性阑尾炎", None),
        ("Acute diverticulitis of the sigmoid colon", "diverticulitis", None),  # a site after the name
        ("食管中段癌", "食管癌", None),
    ],
)
def test_more_specific_predictions_match(prediction, reference, reference_icd10) -> None:
    verdict = OFFLINE.verify(prediction, reference, reference_icd10)
    assert verdict.is_match, verdict


def test_a_specific_name_coded_unspecified_is_not_trusted_for_a_subtype() -> None:
    # Hospitals code to ".9" often: "Legionella pneumonia" coded J18.9 does not make lobar pneumonia
    # (J18.1) right; "heat stroke" shares a word with stroke (I64) but not its chapter.
    assert OFFLINE.verify("lobar pneumonia", "Legionella pneumonia", "J18.9").label == "undecided"
    assert OFFLINE.verify("heat stroke", "stroke", "I64").label != "match"
    assert OFFLINE.verify("kidney failure, acute", "acute renal failure", "N17.9").label != "mismatch"


def test_a_named_kind_needs_the_nearest_who_title_to_agree() -> None:
    # The name says "a kind of" and the nearest WHO title (a fuzzy guess) confirms the category; a
    # guess alone, or a name relation alone, decides nothing.
    assert OFFLINE.verify("Seasonal allergic conjunctivitis", "Allergic conjunctivitis").is_match
    assert OFFLINE.verify("Segmental vitiligo", "Vitiligo").is_match
    assert not OFFLINE.verify("Dengue haemorrhagic fever", "Dengue fever", "A90").is_match  # guess unspecific
    assert not OFFLINE.verify("cardiac asthma", "asthma").is_match  # I50.1, another chapter


def test_a_fuzzy_code_never_decides() -> None:
    # The nearest WHO titles to these are fuzzy guesses; nothing confident says what they are.
    from clinical_r1.verify import confident_code

    assert confident_code("underactive thyroid") is None
    assert OFFLINE.verify("underactive thyroid", "hypothyroidism").label == "undecided"


def test_ambiguous_abbreviation_table_rejects_bad_rows(tmp_path: Path, monkeypatch) -> None:
    from clinical_r1 import verify

    bad = tmp_path / "abbreviations.tsv"
    bad.write_text("MS\tmultiple sclerosis | mitral stenosis\t多发性硬化\n")
    monkeypatch.setattr(verify, "ABBREVIATIONS_FILE", bad)
    verify.tables.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"abbreviations.tsv:1: give one Chinese expansion per meaning"):
            verify.tables()
    finally:
        monkeypatch.undo()
        verify.tables.cache_clear()


# --- the issue's targets, measured by the benchmark's own code ------------------------------------


_TARGET_FILES = ["verifier_labelled.jsonl", "verifier_heldout.jsonl"]
# Issue 15's target (>= 80% decided right): measured 77.2% on verifier_pairs.jsonl (tune split), 78.3%
# on the spent held-out split and 59.6% on the fresh one before the synonym groups written from clinical
# knowledge (data/verifier/synonyms.tsv); 80.0%, 80.7% and 64.4% after. The target is met on the tune
# split (test_issue_target_on_the_pair_set); the floors keep what was reached on each file.
_PAIR_FILES = {
    "verifier_pairs.jsonl": 0.80,
    "verifier_pairs_heldout.jsonl": 0.80,
    "verifier_pairs_fresh.jsonl": 0.63,
}


def _offline_on(bench, name: str):
    path = ROOT / "tests" / "data" / name
    if not path.exists():
        pytest.skip(f"{name} not present")
    return bench.offline_result(load_labelled(path), name)


# verifier_pairs_heldout.jsonl gave 10 false matches when first scored; their six classes were then
# fixed (docs/verifier.md), so it is no longer unseen: verifier_pairs_fresh.jsonl is the unseen split.
# The fresh split gave 4 false matches on its one scoring; their classes were fixed (docs/verifier.md).
@pytest.mark.parametrize("name", [*_TARGET_FILES, *_PAIR_FILES])
def test_no_false_match_on_any_labelled_file(bench, name) -> None:
    assert _offline_on(bench, name).score.false_matches == 0


@pytest.mark.parametrize("name", _TARGET_FILES)
def test_rules_and_codes_decide_most_pairs_right(bench, name) -> None:
    assert _offline_on(bench, name).decided_right_share >= 0.80


@pytest.mark.parametrize("name", list(_PAIR_FILES))
def test_decided_right_on_the_issue_pair_sets_keeps_its_floor(bench, name) -> None:
    assert _offline_on(bench, name).decided_right_share >= _PAIR_FILES[name]


def test_issue_target_on_the_pair_set(bench) -> None:
    assert _offline_on(bench, "verifier_pairs.jsonl").decided_right_share >= 0.80


def test_every_shared_data_reference_matches_itself_and_its_parts(shared_data, bench) -> None:
    references = bench.shared_references(shared_data)
    assert len(references) > 1000 and {language for _, language, _ in references} == {"en", "zh"}
    checks, failures = bench.self_match(references)
    assert checks > len(references) and failures == [], failures[:10]


# --- the classes of false match the held-out pair split showed when first scored ---------------------


@pytest.mark.parametrize(
    ("prediction", "reference", "language"),
    [
        ("Haemophilia", "Haemophilia A", "en"),  # a subtype letter is not the article "a"
        ("Acquired haemophilia A", "Haemophilia A", "en"),  # acquired is another disease, not a qualifier
        ("Upper respiratory tract infection", "Common cold", "en"),  # a parent is not a synonym
        ("PE", "肺栓塞（Pulmonary embolism）", "zh"),  # PE is also pleural effusion, pre-eclampsia
        ("带状疱疹后神经痛", "带状疱疹", "zh"),  # a condition after the reference
        ("Post-stroke depression", "Stroke", "en"),
        ("Papular urticaria", "Urticaria", "en"),  # ICD-10-CM Excludes1: L50 excludes L28.2
        ("丘疹性荨麻疹", "荨麻疹", "zh"),
        ("毛细支气管炎", "支气管炎", "zh"),  # bronchiolitis, not a kind of bronchitis
        ("Pulmonary infarction", "Pulmonary embolism", "en"),  # one ICD category, two diseases
        ("嵌顿包茎", "包茎", "zh"),  # paraphimosis and phimosis: N47 lists both
        # the fresh split's four false matches on its one scoring
        ("Follicular thyroid carcinoma", "Papillary thyroid carcinoma", "en"),  # both C73
        ("Primary sclerosing cholangitis", "Acute cholangitis", "en"),  # a chronic disease is not acute
        ("浆细胞性乳腺炎", "急性乳腺炎", "zh"),  # both N61
        ("重度抑郁发作伴精神病性症状", "抑郁发作（重度，不伴精神病性症状）", "zh"),  # its qualifiers count
    ],
)
def test_heldout_false_match_classes_are_not_matches(prediction: str, reference: str, language: str) -> None:
    verdict = Verifier().verify(prediction, reference, language=language)
    assert not verdict.is_match, verdict


def test_a_shared_category_with_unrelated_names_decides_nothing() -> None:
    """Pulmonary infarction and embolism are both I26: the reference's code (I26.9) cannot make them one."""
    verdict = Verifier().verify("Pulmonary infarction", "Pulmonary embolism", reference_icd10="I26.9")
    assert not verdict.is_match, verdict


@pytest.mark.parametrize(
    ("prediction", "reference", "language"),
    [
        ("Aspiration pneumonia", "Pneumonia", "en"),  # a kind of the unspecific reference, one chapter
        ("Iron deficiency anaemia", "Anaemia", "en"),
        ("吸入性肺炎", "肺炎", "zh"),  # an attributive "…性" before the reference
        ("Community-acquired pneumonia", "Pneumonia", "en"),
        ("HEPATITIS A.", "Hepatitis A", "en"),
    ],
)
def test_kinds_of_the_reference_still_match(prediction: str, reference: str, language: str) -> None:
    assert Verifier().verify(prediction, reference, language=language).is_match


def test_an_entity_changing_word_is_not_a_kind_of_the_reference() -> None:
    """The fuzzy 'nearest WHO title agrees' confirmation must not let an added word that makes another
    disease through: acquired haemophilia A is an autoimmune disease, haemophilia A a hereditary one."""
    assert not Verifier().verify("Acquired haemophilia A", "Haemophilia A").is_match
    assert Verifier().verify("Seasonal allergic conjunctivitis", "Allergic conjunctivitis").is_match
