"""Issue 27: the main loop with the keyboard only (WCAG 2.1.1), in a real headless Chromium. No mouse click: the
test moves with Tab / Shift+Tab and arrows, and acts with Enter and Space, as a keyboard user does. Load the
sample, run the match, open a family's explanation, pin the family, export the plan (the download happens)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import serve_app

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WAIT_MS = 120_000
SHOTS = Path(os.environ.get("MATCHER_A11Y_SHOTS", str(ROOT / "test-artifacts" / "screenshots")))
MAX_TABS = 150  # presses of Tab to reach a control before the test says it cannot be reached

#: What has the keyboard focus: its role, its accessible text, whether it is a selected tab.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  return {tag: e.tagName.toLowerCase(), role: e.getAttribute('role') || '',
          text: (e.getAttribute('aria-label') || e.innerText || '').trim(),
          selected: e.getAttribute('aria-selected') === 'true'};
}"""


@pytest.fixture(scope="module")
def keyboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`matcher ui` with records of its own (no run kept by other tests comes back)."""
    with serve_app(tmp_path_factory.mktemp("keyboard")) as url:
        yield url

def idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(400)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)


def tab_to(page, text: str | re.Pattern[str], role: str = "", back: bool = False) -> dict:  # type: ignore[no-untyped-def]
    """Press Tab (Shift+Tab when `back`) until the focus is on the control whose text is `text` (and whose role or
    tag is `role`, when given); fail, naming what was reached, when it cannot be reached."""
    seen: list[str] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        got = page.evaluate(FOCUSED)
        if got is None:
            continue
        seen.append(f"{got['role'] or got['tag']}:{got['text'][:40]}")
        matches = re.search(text, got["text"]) if isinstance(text, re.Pattern) else got["text"] == text
        if matches and (not role or role in (got["role"], got["tag"])):
            return got  # type: ignore[no-any-return]
    raise AssertionError(f"{text!r} cannot be reached with the keyboard; the focus went through: {seen[-40:]}")


def arrow_to_tab(page, name: str, key: str = "ArrowRight") -> None:  # type: ignore[no-untyped-def]
    """From the focused tab, the arrow key until the tab `name` has the focus, then Enter opens it. Each press
    waits for the app (a tab opened by the arrow reruns the page)."""
    for _ in range(8):
        page.keyboard.press(key)
        idle(page)
        got = page.evaluate(FOCUSED)
        if got is None:  # the rerun a tab starts redrew the tabs and dropped the focus (Streamlit does so at times):
            page.wait_for_timeout(1000)  # the focus goes back to the selected tab, as a screen reader user would
            idle(page)
            page.locator('[role="tab"][aria-selected="true"]').first.focus()
            got = page.evaluate(FOCUSED)
        assert got is not None and got["role"] == "tab", f"the focus left the tabs: {got}"
        if got["text"] == name:
            page.keyboard.press("Enter")
            idle(page)
            return
    raise AssertionError(f"the tab {name!r} cannot be reached with {key}")


def test_main_loop_with_the_keyboard_only(browser, keyboard_url) -> None:  # type: ignore[no-untyped-def]
    """Load, run, explain, pin, export: every step by keys, each one's effect seen on the page."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(keyboard_url)
        page.get_by_role("heading", name="Data", level=1).wait_for()
        idle(page)

        tab_to(page, "Load the sample", "button")
        page.keyboard.press("Enter")
        idle(page)
        page.get_by_text("Using the sample data.").wait_for()

        tab_to(page, re.compile(r"(^|\n)Match$"), "a")
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Match", level=1).wait_for()
        idle(page)

        tab_to(page, re.compile(r"Run the match$"), "button")
        page.keyboard.press("Space")
        page.get_by_text(re.compile(r"^Run #\d+ · ")).wait_for(timeout=WAIT_MS)
        idle(page)

        # The tabs: one stop for the list (its selected tab), then the arrows move between them.
        tab_to(page, "Placements", "tab")
        arrow_to_tab(page, "Family")
        pin = page.get_by_role("button", name=re.compile(r"^Pin to "))
        pin.wait_for()
        page.screenshot(path=str(SHOTS / "keyboard_1_family.png"))

        name = tab_to(page, re.compile(r"Pin to "), "button")["text"]
        page.keyboard.press("Enter")
        idle(page)
        page.get_by_text(re.compile(r"^Pinned to ")).wait_for()
        assert name.split("Pin to ")[-1] in page.get_by_text(re.compile(r"^Pinned to ")).inner_text()
        page.screenshot(path=str(SHOTS / "keyboard_2_pinned.png"))

        tab_to(page, "Family", "tab", back=True)
        arrow_to_tab(page, "Export")
        page.get_by_role("button", name=re.compile("Download JSON")).wait_for()
        tab_to(page, re.compile(r"Download JSON$"), "button")
        with page.expect_download() as download:
            page.keyboard.press("Enter")
        assert download.value.suggested_filename.endswith(".json")
        assert b'"placements"' in Path(download.value.path()).read_bytes()
        page.screenshot(path=str(SHOTS / "keyboard_3_export.png"))
    finally:
        context.close()
