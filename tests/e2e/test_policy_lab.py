"""The Policy lab in a real headless Chromium, as shipped: the default settings (the small experiment on one
local process per CPU) run to the summary (issue 29: it failed with "The run failed (BrokenProcessPool)")."""

from __future__ import annotations

import os
import re

import pytest

pytestmark = pytest.mark.e2e

LAB_TIMEOUT = 900_000  # ms: 36 scenarios, about a minute on 2 idle cores, much more on a busy machine


def test_lab_runs_with_default_settings(page, screenshots):  # type: ignore[no-untyped-def]
    """Open the lab, change nothing, run: the progress shows, then the summary, chart and downloads."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Policy lab", exact=True).click()
    page.get_by_role("heading", name="Policy lab", level=1, exact=True).wait_for()
    assert page.get_by_label("Dask scheduler (optional)").count() == 0  # no address field any more
    page.get_by_role("button", name="Run the experiment").click()
    page.get_by_text(re.compile(r"scenarios done$")).or_(page.get_by_text(re.compile(r"scenarios in "))).first \
        .wait_for(timeout=60_000)
    processes = min(os.cpu_count() or 1, 36)  # the page's default, on the machine serving it
    executor = f"local pool of {processes} processes" if processes > 1 else "in-process"
    done = page.get_by_text(re.compile(rf"^36 scenarios in [0-9.]+ s on {executor}"))
    failed = page.get_by_text(re.compile(r"^The run (failed|stopped|could not)"))
    done.or_(failed).first.wait_for(timeout=LAB_TIMEOUT)
    assert failed.count() == 0, failed.first.inner_text()
    page.get_by_text("Summary: mean ± half the 95 % interval").wait_for()
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    page.get_by_text("metrics.csv", exact=True).wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0 and "Traceback" not in page.content()
    page.wait_for_timeout(1500)  # let the table (canvas) and the chart finish drawing
    page.screenshot(path=str(screenshots / "10_policy_lab.png"), full_page=True)
