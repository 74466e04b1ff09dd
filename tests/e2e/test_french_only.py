"""In French, no English sentence on any page: a browser set to French walks the coordinator's pages (Data with
the sample's report, Policy, Placement with a run and a placed and an unplaced family, the history, the register,
the lab) and no page's text holds an English sentence of our catalogs (the app's labels and the library's
messages) that its French translation replaces.

Streamlit's own words (its upload box, its menus) are not ours and are not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matcher.i18n import catalog
from matcher.i18n.catalogs import extract
from ui.components.i18n import LABELS

pytestmark = pytest.mark.e2e

WAIT_MS = 120_000
#: A piece of English shorter than this (a word, a code) may well be French too, or a name.
MIN_CHARS = 14


def _pieces(template: str) -> set[str]:
    """The literal parts of a sentence between its placeholders, long enough to be unmistakably English."""
    return {p.strip() for p in re.split(r"\{[^}]*\}", template) if len(p.strip()) >= MIN_CHARS and " " in p.strip()}


def english_pieces() -> set[str]:
    """Every English sentence piece whose French differs: the app's labels and the library's messages."""
    out: set[str] = set()
    for en, fr in LABELS.values():
        if en != fr:
            out |= _pieces(en) - _pieces(fr)
    fr_catalog = catalog("fr")
    for message in extract():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, list | tuple) else (message.id,)
        entry = fr_catalog.get(message.id)
        french = entry.string if entry is not None else ""
        french_texts = french if isinstance(french, list | tuple) else (french,)
        for text in ids:
            out |= _pieces(str(text)) - set().union(*(_pieces(str(f)) for f in french_texts))
    return out


def _wait(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)


def _english_on(page, pieces: set[str]) -> list[str]:  # type: ignore[no-untyped-def]
    text = page.locator('[data-testid="stMain"]').inner_text() + page.locator('[data-testid="stSidebar"]').inner_text()
    return sorted(p for p in pieces if p in text)


def test_no_english_sentence_on_any_page_in_french(browser, app_url, screenshots: Path):  # type: ignore[no-untyped-def]
    pieces = english_pieces()
    assert len(pieces) > 300  # the check has something to find
    context = browser.new_context(viewport={"width": 1440, "height": 1800}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    found: dict[str, list[str]] = {}
    try:
        page.goto(app_url)
        page.get_by_role("heading", name="Données", level=1).wait_for()
        _wait(page)
        found["Données"] = _english_on(page, pieces)
        nav = page.locator('[data-testid="stSidebarNav"]')
        for title in ("Politique", "Placement"):
            nav.get_by_role("link", name=title, exact=True).click()
            page.get_by_role("heading", name=title, level=1, exact=True).wait_for()
            _wait(page)
            found[title] = _english_on(page, pieces)
        run = page.get_by_role("button", name=re.compile(r"^Lancer le calcul"))
        if run.count():
            run.first.click()
        page.get_by_text(re.compile(r"^Calcul #\d+ · ")).first.wait_for()
        _wait(page)
        found["Placement après calcul"] = _english_on(page, pieces)
        page.get_by_role("tab", name="Famille").click()
        _wait(page)
        found["Famille placée"] = _english_on(page, pieces)
        page.screenshot(path=str(screenshots / "fr_only_family.png"), full_page=True)
        pick = page.locator('[data-testid="stSelectbox"]').filter(has_text="Famille").first
        pick.click()
        page.keyboard.type("C0012")  # unplaced in the sample (its interpreters and GPs are used up)
        page.keyboard.press("Enter")
        page.get_by_text("Pourquoi non placée").wait_for()
        _wait(page)
        found["Famille non placée"] = _english_on(page, pieces)
        page.screenshot(path=str(screenshots / "fr_only_unplaced.png"), full_page=True)
        for title in ("Historique des calculs", "Registre", "Laboratoire de politiques"):
            nav.get_by_role("link", name=title, exact=True).click()
            page.get_by_role("heading", name=title, level=1, exact=True).wait_for()
            _wait(page)
            found[title] = _english_on(page, pieces)
        page.locator('[data-testid="stSidebar"]').get_by_text("English").click()  # the check can fail:
        page.get_by_role("heading", name="Policy lab", level=1).wait_for()  # in English it finds English
        _wait(page)
        assert _english_on(page, pieces)
    finally:
        context.close()
    assert {page: words for page, words in found.items() if words} == {}
