"""The Match page's map in a real headless Chromium (issue 29): on the 300-family, 45-commune planted scenario at
1440x900 in English and at 390x844 in French, and on the sample in French at 1440x900 and in English on a phone.
The map draws the outlines of the scenario's départements, names only a few communes, says in words what it
shows, zooms with the wheel and the slider, and has its table beside it (under it on a phone). Screenshots go to
test-artifacts/screenshots (map_*.png)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import serve_app

from matcher.io.readers import read_dataset
from matcher.io.templates import write_dataset
from ui.components import state

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PLANTED = ROOT / "sample_data" / "planted"
WAIT_MS = 180_000  # a run with the policy's time limit, and drawing its results, on a busy machine
WORDS = {
    "en": {"data": "Data", "match": "Match", "run_done": r"^Run #\d+ · ", "map": "Map",
           "read": "Read and validate", "summary": r"^\d+ communes, \d+ families placed \(\d+ persons\)\.",
           "zoom": "Zoom", "read_done": "Report on"},
    "fr": {"data": "Données", "match": "Placement", "run_done": r"^Calcul #\d+ · ",
           "map": "Carte", "read": "Lire et valider",
           "summary": r"^\d+ communes, \d+ familles placées \(\d+ personnes\)\.", "zoom": "Zoom",
           "read_done": "Rapport sur"},
}


@pytest.fixture(scope="module")
def map_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`matcher ui` with records of its own."""
    with serve_app(tmp_path_factory.mktemp("map")) as url:
        yield url


def _idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(400)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)


def _sidebar(page, open_it: bool) -> None:  # type: ignore[no-untyped-def]
    """Open or close the sidebar on a phone (on a desktop it stays open)."""
    nav = page.locator('[data-testid="stSidebarNav"]')
    if open_it and not nav.is_visible():
        page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button') \
            .first.click()
        nav.wait_for()
    close = page.locator('[data-testid="stSidebarCollapseButton"] button')
    if not open_it and close.count() and close.first.is_visible() and page.viewport_size["width"] < 600:
        close.first.click()
        page.wait_for_timeout(500)


def _nav(page, title: str) -> None:  # type: ignore[no-untyped-def]
    _sidebar(page, True)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, level=1, exact=True).wait_for()
    _idle(page)
    _sidebar(page, False)


def _open_map(page, lang: str, folder: Path | None) -> None:  # type: ignore[no-untyped-def]
    """From a fresh page (in the browser's language): the scenario (the sample, or the workbooks in `folder`), a
    run with the default settings, then the Map tab."""
    words = WORDS[lang]
    page.get_by_role("heading", name=words["data"], level=1).wait_for()  # the browser's language (fr-FR, en-GB)
    _idle(page)
    if folder is not None:
        for key, name in (("upload_cases", "cases.xlsx"), ("upload_localities", "localities.xlsx")):
            page.locator(f".st-key-{key} input[type=file]").set_input_files(str(folder / name))
            page.locator(f'.st-key-{key} [data-testid="stFileChip"][aria-label$="B"]').first.wait_for()
            _idle(page)
        page.get_by_role("button", name=words["read"]).click()
        page.get_by_text(re.compile("^" + words["read_done"] + " cases.xlsx")).first.wait_for()
        _idle(page)
    _nav(page, words["match"])
    done = page.get_by_text(re.compile(words["run_done"])).first
    before = done.inner_text() if done.count() else None
    page.locator(".st-key-match_run button").click()  # "Run the match", or "Re-run from run #n" if one was kept
    deadline = time.monotonic() + WAIT_MS / 1000
    while not (done.count() and done.inner_text() != before):
        assert time.monotonic() < deadline, "the run did not end"
        page.wait_for_timeout(500)
    _idle(page)
    page.get_by_role("tab", name=words["map"]).click()
    page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').first.wait_for()
    _idle(page)


def _hovered(page, box) -> set[str]:  # type: ignore[no-untyped-def]
    """What the tooltips say they name (their first title), the pointer swept over the map until it has seen a
    commune's and a département's."""
    tooltip = page.locator("#vg-tooltip-element.visible")
    seen: set[str] = set()
    for i in range(1, 30):
        for j in range(1, 30):
            page.mouse.move(box["x"] + box["width"] * i / 30, box["y"] + box["height"] * j / 30)
            if tooltip.count():
                seen.add(tooltip.inner_text().split()[0])
            if {"commune", "département"} <= seen:
                return seen
    return seen


def _check_and_shoot(page, screenshots: Path, name: str, lang: str, communes: int) -> None:  # type: ignore[no-untyped-def]
    """The summary sentence, the table of the same numbers, the zoom slider; screenshots before and after a zoom."""
    words = WORDS[lang]
    summary = page.get_by_text(re.compile(words["summary"])).first
    summary.wait_for()
    assert summary.inner_text().startswith(f"{communes} communes")
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    slider = chart.locator("input[type=range]").first
    assert slider.input_value() == "1"
    assert page.locator('[data-testid="stException"]').count() == 0
    summary.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(screenshots / f"map_{name}.png"), full_page=True)
    box = chart.locator("canvas, svg").first.bounding_box()
    assert box is not None and box["height"] > 300
    assert {"commune", "département"} <= _hovered(page, box)  # names on hover: communes and départements
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -600)
    page.wait_for_timeout(800)
    assert float(slider.input_value()) > 1.5  # the wheel zoomed in
    zoomed = chart.screenshot(path=str(screenshots / f"map_{name}_zoomed.png"))
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 60, steps=8)
    page.mouse.up()
    page.wait_for_timeout(600)
    assert chart.screenshot() != zoomed  # the drag moved the map
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(600)
    assert slider.input_value() == "1"  # a double click goes back to the first view
    table = page.locator('[data-testid="stDataFrame"]').first
    table.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(800)
    page.screenshot(path=str(screenshots / f"map_{name}_table.png"))


def _three_communes(folder: Path) -> Path:
    """Twelve families of the sample and three communes of the Puy-de-Dôme: a map of one département, whose size
    legend must count whole persons."""
    cases, localities = state.sample_paths() or (None, None)
    sample = read_dataset(cases, localities).dataset
    assert sample is not None
    communes = tuple(loc for loc in sample.localities if loc.departement == "63")[:3]
    ids = {loc.locality_id for loc in communes}
    families = tuple(c.model_copy(update={"linked_case_ids": (), "preferred_locality_ids": tuple(
        i for i in c.preferred_locality_ids if i in ids)}) for c in sample.cases[:12])
    write_dataset(sample.model_copy(update={"cases": families, "localities": communes}), folder)
    return folder


@pytest.mark.parametrize(("name", "size", "lang", "scenario", "communes"), [
    # The sample first: a new session opens on the last scenario kept in the records, an uploaded one after it.
    ("desktop_fr_sample", (1440, 900), "fr", "sample", 40),
    ("phone_en_sample", (390, 844), "en", "sample", 40),
    ("desktop_en_planted", (1440, 900), "en", "planted", 45),
    ("phone_fr_planted", (390, 844), "fr", "planted", 45),
    ("desktop_en_three", (1440, 900), "en", "three", 3),
])
def test_map(browser, map_url, screenshots, tmp_path, name, size, lang, scenario, communes):  # type: ignore[no-untyped-def]
    """The map reads on the scenario, in both languages, on a desktop and on a phone."""
    folder = None if scenario == "sample" else PLANTED if scenario == "planted" else _three_communes(tmp_path)
    phone = size[0] < 600
    context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                  locale="fr-FR" if lang == "fr" else "en-GB", is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(map_url)
        _open_map(page, lang, folder)
        _check_and_shoot(page, screenshots, name, lang, communes)
    finally:
        context.close()
