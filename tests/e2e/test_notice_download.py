"""Issue 27's decision notice from the browser: in French, the family view of the Match page downloads the
family's notice as a PDF whose text is French and names the criteria and their weights. Leaves
test-artifacts/screenshots/notice_fr_family.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pdftext import text_of

pytestmark = pytest.mark.e2e

WAIT_MS = 120_000  # a run of the sample, and drawing its results, on a busy machine


def test_family_notice_downloads_in_french(page, screenshots: Path):  # type: ignore[no-untyped-def]
    page.get_by_role("heading", name="Data", level=1).wait_for()
    page.locator('[data-testid="stSidebar"]').get_by_text("Français").click()
    page.get_by_role("heading", name="Données", level=1).wait_for()
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Placement", exact=True).click()
    page.get_by_role("heading", name="Placement", level=1, exact=True).wait_for()
    run = page.get_by_role("button", name=re.compile(r"^Lancer le calcul"))
    if run.count():
        run.first.click()
    page.get_by_text(re.compile(r"^Calcul #\d+ · ")).first.wait_for(timeout=WAIT_MS)
    page.get_by_role("tab", name="Famille").click()
    button = page.get_by_role("button", name=re.compile("Avis de décision"))
    button.wait_for(timeout=WAIT_MS)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)
    button.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(screenshots / "notice_fr_family.png"))
    with page.expect_download(timeout=WAIT_MS) as info:
        button.click()
    download = info.value
    assert re.fullmatch(r"avis_[A-Za-z0-9_-]+_fr\.pdf", download.suggested_filename)
    text = text_of(Path(download.path()).read_bytes())
    assert "Information sur la proposition de placement" in text and "Les critères et leur poids" in text
    assert re.search(r"Emploi \d,\d\d \d+ %", text) and "Demander un réexamen" in text
