"""`clinical-r1 ask` against the fake server: answer, cache, clear failure."""

from __future__ import annotations

from typer.testing import CliRunner

from clinical_r1.cli import app
from clinical_r1.testing.fake_openai_server import Faults, running_server


def test_ask_prints_answer_and_second_ask_is_cached(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test-key-0000")
    runner = CliRunner()
    with running_server("Diagnosis: community-acquired pneumonia") as server:
        args = [
            "ask",
            f"openai:fake-model@{server.base_url}",
            "fever and cough",
            "--cache",
            str(tmp_path / "c.db"),
        ]
        first = runner.invoke(app, args)
        second = runner.invoke(app, args)
        streamed = runner.invoke(app, args[:3] + ["--stream"])
    assert first.exit_code == 0, first.output
    assert "community-acquired pneumonia" in first.output and "cached=False" in first.output
    assert second.exit_code == 0 and "cached=True" in second.output
    assert "community-acquired pneumonia" in streamed.output
    assert len(server.requests) == 2  # the cached ask sent nothing


def test_ask_reports_failure_with_exit_code(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test-key-0000")
    with running_server(faults=Faults(plan=["400"])) as server:
        result = CliRunner().invoke(app, ["ask", f"openai:fake-model@{server.base_url}", "x"])
    assert result.exit_code == 1 and "HTTP 400" in result.output
