"""The app in a real headless Chromium: sample, policy, run, explanation, pin, re-run, export, runs."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 90_000  # ms: building, solving with a 5 s limit, and drawing the results


def wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the script (its status widget is gone)."""
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=RUN_TIMEOUT)


def go_to(page, title: str) -> None:  # type: ignore[no-untyped-def]
    """Open a page from the sidebar navigation (same session, so state is kept)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, level=1, exact=True).wait_for()
    wait_idle(page)


def shot(page, screenshots, name: str) -> None:  # type: ignore[no-untyped-def]
    wait_idle(page)
    page.wait_for_timeout(1200)  # let tables (canvas) and charts finish drawing
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def no_exception_shown(page) -> None:  # type: ignore[no-untyped-def]
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in page.content()


def test_coordinator_journey(page, screenshots):
    """Sample loaded, policy seen, run, results, a family explained and pinned, re-run keeps the pin, export."""
    # Data: the sample is preloaded and valid.
    page.get_by_role("heading", name="Data", level=1).wait_for()
    wait_idle(page)
    page.get_by_text("Families", exact=True).first.wait_for()
    no_exception_shown(page)
    shot(page, screenshots, "01_data")

    # Policy: every setting with its line of help.
    go_to(page, "Policy")
    page.get_by_text("GP capacity in persons").wait_for()
    no_exception_shown(page)
    shot(page, screenshots, "02_policy")

    # Match: a short run, then results.
    go_to(page, "Match")
    limit = page.get_by_label("Time limit (s)", exact=True).and_(page.get_by_role("spinbutton"))
    limit.fill("5")
    limit.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Run the match").click()
    page.get_by_text("Matching…").or_(page.get_by_text("Families placed")).first.wait_for()
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Runs: 1").wait_for(timeout=RUN_TIMEOUT)
    page.get_by_text("Families placed").wait_for()
    wait_idle(page)
    no_exception_shown(page)
    shot(page, screenshots, "03_match_results")

    page.get_by_role("tab", name="Map").click()
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    page.wait_for_timeout(800)
    shot(page, screenshots, "04_match_map")

    page.get_by_role("tab", name="Use of capacity").click()
    page.wait_for_timeout(800)
    shot(page, screenshots, "05_match_capacity")

    # A family's explanation, and a pin where it is.
    page.get_by_role("tab", name="Family").click()
    page.get_by_text("Alternatives and why not").wait_for()
    placed_in = page.get_by_text(re.compile(r"^Placed in ")).first
    placed_in.wait_for()
    commune = re.search(r"\((\w+)\)", placed_in.inner_text()).group(1)
    page.get_by_role("button", name=re.compile(r"^Pin to ")).first.click()
    wait_idle(page)
    page.get_by_text(re.compile(rf"^Pinned to .*\({commune}\)\.$")).wait_for()
    shot(page, screenshots, "06_match_family_pinned")

    # Re-run with the pin and stability: the family stays where it was pinned.
    page.get_by_text(re.compile(r"moves as few families as possible\. 1 pin\(s\) and 0 forbid\(s\) "
                                r"apply\.$")).wait_for()
    page.get_by_role("button", name=re.compile(r"^Re-run from run #\d+$")).click()
    sidebar.get_by_text("Runs: 2").wait_for(timeout=RUN_TIMEOUT)
    wait_idle(page)
    assert page.get_by_text("Pins or forbids changed since this run").count() == 0
    no_exception_shown(page)
    page.get_by_role("tab", name="Pins and forbids").click()
    pins = page.get_by_text(re.compile(r"→ .*\(" + commune + r"\)"))
    pins.first.wait_for()
    page.get_by_role("tab", name="Family").click()
    page.get_by_text(re.compile(rf"^Placed in .*\({commune}\)")).first.wait_for()

    # Export: the JSON contract.
    page.get_by_role("tab", name="Export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    result = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert result["status"] in {"optimal", "feasible", "timeout"}
    assert result["placements"]
    shot(page, screenshots, "07_match_export")

    # Runs: two runs, compared.
    go_to(page, "Runs")
    page.get_by_text("Compare two runs").wait_for()
    page.get_by_text(re.compile(r"^Families that moved \(\d+\)$")).wait_for()
    no_exception_shown(page)
    shot(page, screenshots, "08_runs")


def test_language_switch_to_french(page, screenshots):
    """The sidebar switch turns the labels into French."""
    page.get_by_role("heading", name="Data", level=1).wait_for()
    wait_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("Français").click()
    page.get_by_role("heading", name="Données", level=1).wait_for()
    wait_idle(page)
    assert page.get_by_text("Rapport de validation").count() == 1
    no_exception_shown(page)
    shot(page, screenshots, "09_data_fr")


def test_a_french_browser_opens_the_app_in_french_and_a_choice_survives_a_reload(browser, app_url, screenshots):
    """navigator.language fr-FR: the first page is in French, with the validation report's problems in French;
    switching to English is kept in the address, so a reload stays in English."""
    context = browser.new_context(viewport={"width": 1440, "height": 1800}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(app_url)
        page.get_by_role("heading", name="Données", level=1).wait_for()
        wait_idle(page)
        assert page.get_by_text("Rapport de validation").count() == 1
        no_exception_shown(page)
        shot(page, screenshots, "09b_data_fr_browser")
        page.locator('[data-testid="stSidebar"]').get_by_text("English").click()
        page.get_by_role("heading", name="Data", level=1).wait_for()
        wait_idle(page)
        assert "lang=en" in page.url
        page.reload()
        page.get_by_role("heading", name="Data", level=1).wait_for()
    finally:
        context.close()
