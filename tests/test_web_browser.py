"""The web page in a real headless browser (Debian chromium driven by Playwright).

Needs `apt-get install -y chromium` and `pip install playwright` (never `playwright install`: the
system chromium is used). Without them the tests are skipped, saying so.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from clinical_r1.llm import ModelSpec, build_llm
from clinical_r1.records import SAMPLE_RECORDS, read_records
from clinical_r1.serve.app import ServeSettings, create_app
from clinical_r1.serve.diagnose import DiagnoseSettings
from clinical_r1.serve.server import running_app
from clinical_r1.testing.fake_openai_server import Faults, running_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
INSTALL = "apt-get update && apt-get install -y chromium chromium-driver && pip install playwright"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLES = list(read_records(SAMPLE_RECORDS))  # the page lists /v1/examples in this order


def answer_for(request: dict) -> str:
    case = request["messages"][-1]["content"]
    record = next(r for r in SAMPLES if r.case == case)
    label = "最终诊断：" if record.language == "zh" else "Final diagnosis: "
    steps = "\n".join(f"Step {i}: weigh the findings of the case." for i in range(1, 30))
    return f"<think>\n{steps}\n</think>\n\n{label}{record.diagnosis}"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"SKIPPED LOUDLY: no {CHROMIUM}; install it with: {INSTALL}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(f"SKIPPED LOUDLY: playwright is not installed; install it with: {INSTALL}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, base_url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(base_url) else None,
    )
    page.goto(base_url + "/")
    page.wait_for_selector("#example optgroup", state="attached")
    return page, outside


def test_pick_a_sample_and_see_the_diagnosis(browser, tmp_path: Path) -> None:
    with running_server(answer_for) as model:
        llm = build_llm(f"openai:fake-model@{model.base_url}")
        with running_app(create_app(llm, ServeSettings(warmup=False))) as base_url:
            page, outside = open_page(browser, base_url)
            assert "fake-model" in page.text_content("#model")
            for sample_id, diagnosis, code in [
                ("sample-en-resp-001", "Lobar pneumonia", "J18.1"),
                ("sample-zh-resp-001", "大叶性肺炎", "J18.1"),
            ]:
                index = next(i for i, r in enumerate(SAMPLES) if r.id == sample_id)
                page.select_option("#example", str(index))
                assert page.input_value("#case") == SAMPLES[index].case
                page.click("#submit")
                page.wait_for_selector("#diagnosis-box:not([hidden])", timeout=30000)
                assert page.text_content("#diagnosis") == diagnosis
                assert code in page.text_content("#icd10")
                assert "Step 29" in page.text_content("#thinking")
                assert "</think>" not in page.text_content("#thinking")
                assert diagnosis in page.text_content("#response")
                assert page.text_content("#status") == "Done."
            page.screenshot(path=str(tmp_path / "diagnosis.png"), full_page=True)

            page.click("#copy")
            # Selectors, not wait_for_function: its polling evaluates a string, which the page's
            # Content-Security-Policy (no 'unsafe-eval') rightly blocks whenever the first check fails.
            page.wait_for_selector("#status >> text=copied")
            copied = page.evaluate("navigator.clipboard.readText()")
            assert copied.startswith("Diagnosis: 大叶性肺炎") and "J18.1" in copied
            assert outside == []  # nothing but this server was asked for anything


def test_typed_case_with_the_tiny_model(browser, tiny_model_dir) -> None:
    llm = build_llm(ModelSpec(backend="local", model=str(tiny_model_dir), threads=1))
    settings = ServeSettings(diagnose=DiagnoseSettings(max_tokens=24))
    with running_app(create_app(llm, settings)) as base_url:
        page, outside = open_page(browser, base_url)
        page.fill("#case", "患者男，45岁。发热、咳嗽3天，右下肺湿啰音。")
        page.click("#submit")
        page.wait_for_selector("#diagnosis-box:not([hidden])", timeout=60000)
        # The tiny model writes noise: the page says no diagnosis could be extracted, and why.
        assert "No diagnosis could be extracted" in page.text_content("#diagnosis")
        assert page.text_content("#status").startswith("Done")
        assert outside == []


def test_empty_case_and_wrong_key_are_shown(browser, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICAL_R1_API_KEY", "page-key")
    with running_server(answer_for) as model:
        llm = build_llm(f"openai:fake-model@{model.base_url}")
        with running_app(create_app(llm, ServeSettings(warmup=False))) as base_url:
            page, _ = open_page(browser, base_url)
            assert page.is_visible("#api-key")  # the server asks for a key
            page.click("#submit")
            assert "Type or paste a case" in page.text_content("#status")
            page.fill("#case", SAMPLES[0].case)
            page.fill("#api-key", "wrong")
            page.click("#submit")
            page.wait_for_selector("#status.error >> text=Error 401")
            page.fill("#api-key", "page-key")
            page.click("#submit")
            page.wait_for_selector("#diagnosis-box:not([hidden])", timeout=30000)
            assert page.text_content("#diagnosis") == SAMPLES[0].diagnosis


def test_stop_cancels_and_frees_the_slot(browser) -> None:
    with running_server(answer_for, faults=Faults(delay_s=6.0)) as model:
        llm = build_llm(f"openai:fake-model@{model.base_url}")
        with running_app(
            create_app(llm, ServeSettings(max_concurrency=1, max_queue=0, warmup=False))
        ) as base_url:
            page, _ = open_page(browser, base_url)
            page.fill("#case", SAMPLES[0].case)
            page.click("#submit")
            page.wait_for_selector("#stop:not([disabled])")
            page.click("#stop")
            page.wait_for_selector("#status >> text=Stopped.")
            # The server gave the only slot back long before the model would have answered (6 s).
            deadline = time.monotonic() + 4
            while page.evaluate("fetch('/health').then(r => r.json())")["running"] != 0:
                assert time.monotonic() < deadline, "the slot was not freed after Stop"
                time.sleep(0.05)
            assert page.is_enabled("#submit") and page.is_hidden("#diagnosis-box")
