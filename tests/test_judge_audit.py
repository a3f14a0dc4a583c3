"""The judge audit: an LLM judge measured alone on labelled pairs, recorded beside its cache, and the
warning synthesis, the RL reward and evaluation give for a judge without a passing audit.

Every judge here is the project's scripted HTTP server (clinical_r1.testing.fake_openai_server): a
"good" judge answers from the gold labels, a yes-sayer answers {"match": true} to everything."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinical_r1 import judge_audit
from clinical_r1.cli import app
from clinical_r1.config import ConfigError
from clinical_r1.testing.fake_openai_server import running_server
from clinical_r1.verify import VerifierConfig, load_labelled

ROOT = Path(__file__).resolve().parents[1]
PAIR_FILES = [
    ROOT / "tests" / "data" / "verifier_labelled.jsonl",
    ROOT / "tests" / "data" / "verifier_heldout.jsonl",
]
YES = '{"match": true, "reason": "looks the same"}'
_PAIR_IN_PROMPT = re.compile(
    r"(?:Reference diagnosis:|参考诊断：)\s*(?P<reference>.*?)\n"
    r"\s*(?:Predicted diagnosis:|预测诊断：)\s*(?P<prediction>.*?)\n"
)


def _gold() -> dict[tuple[str, str], bool]:
    return {
        (p.item.prediction.strip(), p.item.reference.strip()): p.match
        for path in PAIR_FILES
        for p in load_labelled(path)
    }


class Judge:
    """A scripted judge: "gold" answers from the labels (pairs it does not know: yes), "yes" says yes to
    all. Requests without json_mode (a stage's teacher or model under test) go to `other`."""

    def __init__(self, other=None) -> None:  # noqa: ANN001
        self.mode = "gold"
        self.gold = _gold()
        self.other = other

    def __call__(self, request: dict) -> str:
        if not request.get("response_format") and self.other is not None:
            return self.other(request)
        found = _PAIR_IN_PROMPT.search(request["messages"][0]["content"])
        if self.mode == "yes" or found is None:
            return YES
        match = self.gold.get((found["prediction"].strip(), found["reference"].strip()), True)
        return json.dumps({"match": match, "reason": "gold label"})


def _config(server_url: str, cache: Path, model: str = "judge") -> VerifierConfig:
    return VerifierConfig(judge=True, judge_model=f"openai:{model}@{server_url}", judge_cache=cache)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "clinical_r1.judge_audit"]


# --- figures -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(0, 199), (3, 47), (47, 47), (120, 440)])
def test_wilson_interval_is_statsmodels(k: int, n: int) -> None:
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    rate = judge_audit.Rate.of(k, n)
    assert rate.value == k / n
    assert rate.low == pytest.approx(low, abs=1e-12) and rate.high == pytest.approx(high, abs=1e-12)


def test_zero_false_matches_pass_the_upper_bound_only_with_enough_non_matches() -> None:
    needed = judge_audit.min_negatives_to_pass(0.02)
    assert judge_audit.Rate.of(0, needed).high <= 0.02 < judge_audit.Rate.of(0, needed - 1).high
    limits = judge_audit.AuditThresholds()
    few = {
        "agreement": judge_audit.Rate.of(100, 100),
        "false_match_rate": judge_audit.Rate.of(0, 40),
        "undecided_rate": judge_audit.Rate.of(0, 100),
    }
    assert judge_audit.judge_failures(few, limits) == ["false_match_rate upper bound 8.8% > 2.0%"]
    assert judge_audit.judge_failures(few, limits.model_copy(update={"bound": "point"})) == []


def test_a_judge_that_never_answers_has_no_false_matches_but_fails() -> None:
    """All undecided (a down server) or all "no": no false match, yet useless. It must not pass."""
    silent = {
        "agreement": judge_audit.Rate.of(199, 440),
        "false_match_rate": judge_audit.Rate.of(0, 199),
        "undecided_rate": judge_audit.Rate.of(440, 440),
    }
    failures = judge_audit.judge_failures(silent, judge_audit.AuditThresholds())
    assert [f.split()[0] for f in failures] == ["undecided_rate", "agreement"]


# --- the command ---------------------------------------------------------------------------------


def test_good_judge_passes_yes_sayer_fails_and_every_pair_is_asked(tmp_path: Path) -> None:
    cache = tmp_path / "judge.sqlite"
    judge = Judge()
    args = ["verify", "audit", "--judge-cache", str(cache)]
    args += [a for f in PAIR_FILES for a in ("--pairs", str(f))]
    n = len(_gold())
    assert judge_audit.min_negatives_to_pass(0.02) <= sum(not v for v in _gold().values())
    with running_server(judge) as server:
        spec = f"openai:judge@{server.base_url}"
        good = CliRunner().invoke(app, [*args, "--judge", spec])
        asked = len(server.requests)
        judge.mode = "yes"
        bad = CliRunner().invoke(app, [*args, "--judge", "openai:yes-sayer@" + server.base_url])
    assert good.exit_code == 0 and "PASSED" in good.output, good.output
    assert asked == n  # the judge ALONE: every pair, also those the rules would decide
    assert bad.exit_code == 1 and "FAILED" in bad.output and "false_match_rate" in bad.output

    audits = json.loads(Path(f"{cache}.audit.json").read_text())["audits"]
    assert [a["passed"] for a in audits] == [True, False]
    passed, failed = audits
    assert passed["judge"]["identity"] == {"backend": "openai", "model": "judge", "endpoint": server.base_url}
    assert passed["prompt_sha256"] == judge_audit.prompt_hash()
    assert [f["path"] for f in passed["pairs"]["files"]] == [str(f) for f in PAIR_FILES]
    assert passed["pairs"]["digest"] == judge_audit.load_pairs(PAIR_FILES).digest
    assert passed["thresholds"]["max_false_match_rate"] == 0.02 and passed["thresholds"]["bound"] == "upper"
    assert passed["figures"]["false_match_rate"]["k"] == 0 and passed["figures"]["agreement"]["value"] == 1
    negatives = passed["counts"]["non_matches"]
    assert failed["figures"]["false_match_rate"] == {
        "k": negatives,
        "n": negatives,
        "value": 1.0,
        "ci": failed["figures"]["false_match_rate"]["ci"],
    }
    assert failed["counts"]["false_matches"] == negatives and failed["counts"]["judge_match"] == n
    assert passed["usage"]["requests"] == n and passed["usage"]["cache_hits"] == 0


def test_thresholds_are_configurable_and_recorded(tmp_path: Path) -> None:
    limits = tmp_path / "limits.yaml"
    limits.write_text("max_false_match_rate: 1.0\nmin_agreement: null\n")
    with running_server(YES) as server:
        result = CliRunner().invoke(
            app,
            ["verify", "audit", "--judge", f"openai:judge@{server.base_url}", "--pairs", str(PAIR_FILES[1]),
             "--thresholds", str(limits), "--max-undecided", "0.5", "--out", str(tmp_path / "a.json")],
        )  # fmt: skip
    assert result.exit_code == 0, result.output  # a yes-sayer passes only because the limits say so
    record = json.loads((tmp_path / "a.json").read_text())["audits"][0]
    assert (
        record["thresholds"]["max_false_match_rate"] == 1.0 and record["thresholds"]["min_agreement"] is None
    )
    assert record["thresholds"]["max_undecided_rate"] == 0.5


def test_no_api_key_is_written_to_the_audit_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-audit-test-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    with running_server(YES) as server:
        result = CliRunner().invoke(
            app,
            ["verify", "audit", "--judge", f"openai:judge@{server.base_url}", "--pairs", str(PAIR_FILES[1]),
             "--judge-cache", str(tmp_path / "c.sqlite")],
        )  # fmt: skip
        sent = server.requests[0].headers
    assert result.exit_code == 1, result.output
    assert any(secret in value for value in sent.values())  # the key was in use...
    text = Path(f"{tmp_path / 'c.sqlite'}.audit.json").read_text()
    assert secret not in text and "OPENAI_API_KEY" not in text  # ...and is not in the audit


def test_credentials_in_an_endpoint_are_dropped() -> None:
    strip = judge_audit._strip_credentials
    assert (
        strip("https://user:sk-secret@api.example.com:8443/v1?key=sk-2") == "https://api.example.com:8443/v1"
    )
    assert strip("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"


def test_audit_input_errors_are_clear(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["verify", "audit", "--pairs", str(PAIR_FILES[1])])
    assert result.exit_code == 2 and "no judge" in result.output
    result = runner.invoke(
        app, ["verify", "audit", "--judge", "openai:j@http://127.0.0.1:9/v1", "--threads", "1"]
    )
    assert result.exit_code == 2 and "--threads applies to a local judge" in result.output
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(ConfigError, match="missing.jsonl: labelled pair file not found"):
        judge_audit.load_pairs([missing])
    conflict = tmp_path / "conflict.jsonl"
    conflict.write_text(
        '{"id": "a", "prediction": "angina", "reference": "myocardial infarction", "match": false}\n'
        '{"id": "b", "prediction": "angina", "reference": "myocardial infarction", "match": true}\n'
    )
    with pytest.raises(
        ConfigError, match=r"conflict.jsonl id b: .* labelled match=False at .*conflict.jsonl id a"
    ):
        judge_audit.load_pairs([conflict])
    broken = tmp_path / "x.sqlite.audit.json"
    broken.write_text('{"audits": [')
    with pytest.raises(ConfigError, match=r"x.sqlite.audit.json:1: not valid JSON"):
        judge_audit.read_audits(broken)


def test_default_pairs_are_the_checkout_sets_and_a_sample_is_seeded() -> None:
    defaults = judge_audit.default_pair_files()
    assert defaults[:2] == PAIR_FILES
    assert all(p.name.startswith("verifier_pairs") for p in defaults[2:])
    a = judge_audit.load_pairs(PAIR_FILES, sample=50, seed=3)
    b = judge_audit.load_pairs(PAIR_FILES, sample=50, seed=3)
    c = judge_audit.load_pairs(PAIR_FILES, sample=50, seed=4)
    assert [p.id for p in a.pairs] == [p.id for p in b.pairs] != [p.id for p in c.pairs]
    assert a.digest == b.digest != c.digest != judge_audit.load_pairs(PAIR_FILES).digest
    assert a.sample == {"n": 50, "seed": 3, "of": len(_gold())}


def test_verify_pred_ref_still_works_beside_audit() -> None:
    runner = CliRunner()
    plain = runner.invoke(app, ["verify", "--output", "<think>unfinished", "pneumonia"])
    explicit = runner.invoke(app, ["verify", "check", "--output", "<think>unfinished", "pneumonia"])
    assert plain.exit_code == explicit.exit_code == 0
    assert "no closing </think>" in plain.output and plain.output == explicit.output
    assert "audit" in runner.invoke(app, ["verify", "--help"]).output


# --- the stages' warning -------------------------------------------------------------------------


def test_warning_follows_the_latest_audit_of_that_judge(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from clinical_r1.train.reward import Rewarder

    caplog.set_level(logging.WARNING)
    cache = tmp_path / "judge.sqlite"
    judge = Judge()
    pairs = judge_audit.load_pairs(PAIR_FILES)
    with running_server(judge) as server:
        config = _config(server.base_url, cache)
        Rewarder(verifier_config=config)
        assert (
            len(_warnings(caplog)) == 1
            and "RL reward: judge openai:judge has no audit" in _warnings(caplog)[0]
        )

        assert judge_audit.run_audit(config, pairs).passed
        caplog.clear()
        Rewarder(verifier_config=config)
        assert _warnings(caplog) == []
        Rewarder(verifier_config=_config(server.base_url, cache, model="other"))  # another model: no audit
        assert len(_warnings(caplog)) == 1 and "openai:other has no audit" in _warnings(caplog)[0]

        judge.mode = "yes"  # the same judge re-audited, now saying yes to everything (past its cache)
        uncached = config.model_copy(update={"judge_cache": tmp_path / "fresh.sqlite"})
        assert not judge_audit.run_audit(uncached, pairs, out=judge_audit.audit_path(config)).passed
        caplog.clear()
        Rewarder(verifier_config=config)
        assert len(_warnings(caplog)) == 1 and "FAILED its audit" in _warnings(caplog)[0]
    caplog.clear()
    Rewarder(verifier_config=VerifierConfig())  # no judge: nothing to audit
    assert _warnings(caplog) == []


def test_a_changed_judge_prompt_needs_a_new_audit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinical_r1.verify import Verifier

    with running_server(Judge()) as server:
        config = _config(server.base_url, tmp_path / "judge.sqlite")
        assert judge_audit.run_audit(config, judge_audit.load_pairs(PAIR_FILES)).passed
        assert judge_audit.warn_if_unaudited(Verifier(config), "test") is None
        monkeypatch.setattr(judge_audit, "RETRY_MESSAGE", {"en": "changed", "zh": "changed"})
        assert "has no audit" in (judge_audit.warn_if_unaudited(Verifier(config), "test") or "")


def test_synthesis_and_evaluation_warn_until_the_judge_passes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from clinical_r1.evaluate.config import EvalConfig, ModelUnderTest
    from clinical_r1.evaluate.runner import run_eval
    from clinical_r1.records import SAMPLE_RECORDS, write_jsonl
    from clinical_r1.synth.config import SynthConfig
    from clinical_r1.synth.fake_teacher import FakeTeacher, make_records
    from clinical_r1.synth.runner import run_synthesis

    caplog.set_level(logging.WARNING)
    records = tmp_path / "records.jsonl"
    write_jsonl(records, make_records(["initial"]))
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(SAMPLE_RECORDS.read_text(encoding="utf-8").splitlines(keepends=True)[:2]))
    teacher = FakeTeacher()

    def other(request: dict) -> str:  # the teacher for synthesis, the model under evaluation
        if request["model"] == "fake-teacher":
            return teacher(request)
        return "Final diagnosis: pneumonia"

    judge = Judge(other)
    cache = tmp_path / "judge.sqlite"
    with running_server(judge) as server:
        verifier = _config(server.base_url, cache)

        def stages(run: str) -> list[str]:
            caplog.clear()
            synth = SynthConfig(teacher=f"openai:fake-teacher@{server.base_url}", verifier=verifier)
            run_synthesis(synth, records, tmp_path / f"synth-{run}", progress=False)
            model = ModelUnderTest.parse(f"m=openai:m@{server.base_url}#direct")
            run_eval(EvalConfig(verifier=verifier), bench, [model], tmp_path / f"eval-{run}", progress=False)
            return _warnings(caplog)

        before = stages("before")
        assert [w.split(":")[0] for w in before] == ["synthesis", "evaluation"], before
        assert judge_audit.run_audit(verifier, judge_audit.load_pairs(PAIR_FILES)).passed
        assert stages("after") == []


def test_a_judge_object_without_an_identity_is_warned_about_not_a_crash(tmp_path: Path) -> None:
    from clinical_r1.verify import Verifier

    class Scripted:  # an LLM double with generate() only, as a caller may pass to Verifier(llm=...)
        async def generate(self, requests):  # noqa: ANN001, ANN202
            raise AssertionError("not called")

    verifier = Verifier(VerifierConfig(judge=True, judge_cache=tmp_path / "c.sqlite"), llm=Scripted())
    assert "has no audit" in (judge_audit.warn_if_unaudited(verifier, "test") or "")


def test_pairs_without_non_matches_cannot_pass() -> None:
    only_matches = {
        "agreement": judge_audit.Rate.of(10, 10),
        "false_match_rate": judge_audit.Rate.of(0, 0),
        "undecided_rate": judge_audit.Rate.of(0, 10),
    }
    failures = judge_audit.judge_failures(only_matches, judge_audit.AuditThresholds(bound="point"))
    assert failures == ["false_match_rate: no pairs to measure it on"]
