"""Issue 29's walk through the app in a real headless Chromium, with the default settings, at 1440x900 in English
and at 390x844 (a phone) in French: a localities workbook checked alone, a failed upload that keeps the working
scenario and its runs, one Run that says what it does, an impossible pin refused with its reason, readable codes
and figures, every page drawn without an error; pins listed in the order they were made, a pinned family's view
saying the commune was imposed, a report problem that opens its row, and on the phone a placements table that fits
and a map a finger drag does not trap. Each step leaves a screenshot in test-artifacts/screenshots
(walk_*.png)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from serving import serve_app

from matcher.io.readers import read_dataset
from matcher.problem import build_problem
from ui.components import state

pytestmark = pytest.mark.e2e

WAIT_MS = 120_000
  # a run with a 5 s limit, and drawing its results, on a busy machine


@pytest.fixture(scope="module")
def walk_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`matcher ui` with records of its own, so that what other tests kept does not come back here."""
    with serve_app(tmp_path_factory.mktemp("walk")) as url:
        yield url


def _idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(400)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)


def _shot(page, screenshots: Path, name: str, at=None) -> None:  # type: ignore[no-untyped-def]
    """A screenshot of the viewport (Streamlit scrolls inside the page), scrolled to `at` when given."""
    _idle(page)
    if at is not None:
        at.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1200)  # tables (canvas) and charts finish drawing
    assert page.locator('[data-testid="stException"]').count() == 0 and "Traceback" not in page.content()
    page.screenshot(path=str(screenshots / f"walk_{name}.png"), full_page=True)


def _close_sidebar(page) -> None:  # type: ignore[no-untyped-def]
    """On a phone, close the sidebar (opened to switch language or page) before looking at the page."""
    button = page.locator('[data-testid="stSidebarCollapseButton"] button')
    if button.count() and button.first.is_visible():
        button.first.click()
        page.wait_for_timeout(500)


def _nav(page, title: str) -> None:  # type: ignore[no-untyped-def]
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, level=1, exact=True).wait_for()
    _idle(page)


def _choose(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick an option of a select box by typing it, as a user can."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).first.click()
    _idle(page)


def _upload(page, key: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Give the uploader a file and wait until the server has it (its chip shows its size)."""
    page.locator(f".st-key-{key} input[type=file]").set_input_files(str(path))
    page.locator(f'.st-key-{key} [data-testid="stFileChip"][aria-label$="B"]').first.wait_for()
    _idle(page)


def _blocked_pin() -> tuple[str, str]:
    """A family of the sample (not linked) and a commune one of its own hard rules keeps it out of."""
    cases, localities = state.sample_paths() or (None, None)
    problem = build_problem(read_dataset(cases, localities).dataset, state.default_policy())
    for case in problem.cases:
        c = problem.case_index[case.case_id]
        if len(problem.items[int(problem.item_of_case[c])]) > 1:
            continue
        for loc in problem.localities:
            if problem.blocking(c, problem.loc_index[loc.locality_id]):
                return case.case_id, f"{loc.name or loc.locality_id} ({loc.locality_id})"
    raise AssertionError("no family of the sample is kept out of a commune by a hard rule")


def _crowding_pins() -> tuple[str, str, list[str]]:
    """Families of the sample (not linked) that can each go to one commune but together exceed the persons it
    agreed to: (its name, its label in the select boxes, the families in the order to pin them)."""
    cases, localities = state.sample_paths() or (None, None)
    problem = build_problem(read_dataset(cases, localities).dataset, state.default_policy())
    for loc in problem.localities:
        lo, chosen, persons = problem.loc_index[loc.locality_id], [], 0
        for case in problem.cases:
            c = problem.case_index[case.case_id]
            if len(problem.items[int(problem.item_of_case[c])]) == 1 and problem.candidate[c, lo]:
                chosen.append(case.case_id)
                persons += case.persons
                if loc.max_persons is not None and persons > loc.max_persons:
                    name = loc.name or loc.locality_id
                    return name, f"{name} ({loc.locality_id})", chosen
    raise AssertionError("no commune of the sample is overfilled by the families that can each go there")


def _pin(page, family: str, name: str, label: str) -> None:  # type: ignore[no-untyped-def]
    """Pin a family to a commune from the Family tab: "Pin to NAME" where it is placed there, else the list."""
    _choose(page, "Family", family)
    here = page.get_by_role("button", name=re.compile(rf"Pin to {re.escape(name)}$"))
    if here.count():
        here.click()
    else:
        box = page.get_by_role("combobox", name="Pin to another commune")
        if box.input_value() != label:  # (the box keeps the last choice where it can)
            _choose(page, "Pin to another commune", label)
        page.get_by_role("button", name="Pin", exact=True).click()
    _idle(page)


def _bad_localities(folder: Path) -> Path:
    """The sample's localities workbook, under an NGO's own file name, with one bad bedrooms cell."""
    _, localities = state.sample_paths() or (None, None)
    book = openpyxl.load_workbook(localities)
    sheet = book["housing"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("bedrooms") + 1, value=0)
    path = folder / "Mairie de Pamiers – logements.xlsx"
    book.save(path)
    return path


def _select_first_row(page, table) -> None:  # type: ignore[no-untyped-def]
    """Select a table's first row by its row marker (the left edge of a selectable st.dataframe)."""
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    assert box is not None
    rows = page.locator('[data-testid="stDataFrame"] [role="row"]')
    header = rows.first.bounding_box() if rows.count() else None
    top = header["height"] if header else 35
    page.mouse.click(box["x"] + 14, box["y"] + top + 20)
    _idle(page)


def _touch_drag(page, box, dx: float, dy: float) -> None:  # type: ignore[no-untyped-def]
    """A one-finger drag from the middle of `box` (Chromium's touch events: Playwright's touchscreen only taps)."""
    cdp = page.context.new_cdp_session(page)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove",
                                              "touchPoints": [{"x": x + dx * i / 10, "y": y + dy * i / 10}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()
    page.wait_for_timeout(600)


def _phone_table_and_map(page, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    """On a phone: the placements table fits the width (compact columns) until "Plus de colonnes"; a finger drag
    on the map leaves it where it is (the page scrolls: the map never traps it); the zoom slider zooms and the pan
    sliders move it."""
    scroller = page.locator('[data-testid="stDataFrame"] .dvn-scroller').first
    widths = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1] + 1, f"the placements table scrolls sideways: {widths}"
    _shot(page, screenshots, "24b_phone_fr_compact_table", page.get_by_text("Plus de colonnes"))
    page.get_by_text("Plus de colonnes").click()
    _idle(page)
    for _ in range(40):  # the grid draws its new columns a moment after the rerun
        if scroller.evaluate("e => e.scrollWidth > e.clientWidth + 1"):
            break
        page.wait_for_timeout(250)
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth + 1")  # every column: wider than a phone
    _shot(page, screenshots, "25_phone_fr_more_columns", page.get_by_text("Plus de colonnes"))
    page.get_by_text("Plus de colonnes").click()
    _idle(page)
    page.get_by_role("tab", name="Carte").click()
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    canvas = chart.locator("canvas, svg").first
    canvas.wait_for()
    _idle(page)
    canvas.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1200)
    # A touch shows the tooltip of what it touches: hidden here, so that the pictures compare the map alone.
    page.add_style_tag(content="#vg-tooltip-element { display: none !important; }")
    first = chart.screenshot(path=str(screenshots / "walk_26a_phone_fr_map.png"))
    _touch_drag(page, canvas.bounding_box(), 0, -120)  # at the first view: the page scrolls, not the map
    canvas.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(600)
    assert chart.screenshot(path=str(screenshots / "walk_26b_phone_fr_map_dragged.png")) == first, \
        "a finger drag moved the map at its first view"
    sliders = chart.locator("input[type=range]")
    assert sliders.count() == 3  # zoom, west – east, south – north
    sliders.first.evaluate("e => { e.value = '3'; e.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_timeout(800)
    zoomed = chart.screenshot(path=str(screenshots / "walk_26_phone_fr_map_zoomed.png"))
    # On a phone the map moves with its pan sliders (a finger drag scrolls the page, as it must).
    sliders.nth(1).evaluate("e => { e.value = e.max; e.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_timeout(800)
    assert chart.screenshot(path=str(screenshots / "walk_26c_phone_fr_map_panned.png")) != zoomed, \
        "the west – east slider did not move the map"


def test_walk_desktop_in_english(browser, walk_url, screenshots, tmp_path):  # type: ignore[no-untyped-def]
    """Every point of issue 29 the UI fixes, seen at 1440x900."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(walk_url)
        page.get_by_role("heading", name="Data", level=1).wait_for()
        page.get_by_text("Report on the sample data.").wait_for()
        _shot(page, screenshots, "01_data_sample")

        # The NGO's localities workbook alone: its own report, under its own name; the sample stays in use.
        bad = _bad_localities(tmp_path)
        _upload(page, "upload_localities", bad)
        page.get_by_role("button", name="Read and validate").click()
        page.get_by_text(re.compile(r"^Report on Mairie de Pamiers – logements\.xlsx, checked on its own")).wait_for()
        page.get_by_text("1 error(s) must be fixed before matching.").wait_for()
        _shot(page, screenshots, "02_data_localities_alone", page.get_by_role("heading", name="Validation report"))

        # Match with the default settings (the policy's time limit), then the one Run says what it does.
        _nav(page, "Match")
        page.get_by_role("button", name="Run the match").click()
        page.get_by_text(re.compile(r"^Run #\d+ · ")).wait_for(timeout=WAIT_MS)
        _idle(page)
        page.get_by_role("button", name=re.compile(r"^Re-run from run #\d+$")).wait_for()
        page.get_by_text(re.compile(r"^Starts from the plan of run #\d+ and moves as few families")).wait_for()
        _shot(page, screenshots, "03_match_results")

        # An impossible pin is refused with the family's own reason; nothing is pinned.
        family, commune = _blocked_pin()
        page.get_by_role("tab", name="Family").click()
        _idle(page)
        _choose(page, "Family", family)
        _choose(page, "Pin to another commune", commune)
        page.get_by_role("button", name="Pin", exact=True).click()
        refused = page.get_by_text(re.compile(rf"^Not pinned: family {family} cannot go to "))
        refused.wait_for()
        refused.scroll_into_view_if_needed()
        assert "interpreter in ti" not in refused.inner_text()  # language codes read as names
        assert page.get_by_text(re.compile(r"Pinned to")).count() == 0
        _shot(page, screenshots, "04_match_pin_refused")

        # Pins that together exceed a commune's agreed persons: said when the last is made, with the figures; the
        # Run keeps the pins that fit and leaves the last one unplaced with that reason (the plan is not empty).
        name, label, families = _crowding_pins()
        families = families[::-1]  # made against the families' order: a sorted list would read reversed
        for family in families:
            _pin(page, family, name, label)
        page.get_by_text("These pins exceed a capacity together: see under the Run button.").wait_for()
        over = page.get_by_text(re.compile(rf"^{re.escape(label)}: .*: the \d+ families pinned there need \d+, the "
                                           r"capacity is \d+\. Pins that do not fit")).first
        over.wait_for()
        over.scroll_into_view_if_needed()
        _shot(page, screenshots, "04b_match_pins_over_capacity")
        page.get_by_role("button", name=re.compile(r"^Re-run from run #\d+$")).click()
        page.locator('[data-testid="stSidebar"]').get_by_text("Runs: 2").wait_for(timeout=WAIT_MS)
        _idle(page)
        assert page.get_by_text("Families placed").count() and page.get_by_text("infeasible").count() == 0
        page.get_by_role("tab", name="Pins and forbids").click()
        _idle(page)
        listed = page.get_by_text(re.compile(r"^\S+ → .+\(\w+\)$")).all_inner_texts()
        assert [line.split(" ")[0] for line in listed] == families, listed  # in the order they were made
        _shot(page, screenshots, "04c_match_rerun_keeps_what_fits")
        page.get_by_role("button", name="Clear pins and forbids").click()
        _idle(page)

        # The family view of a kept pin: the coordinator imposed the commune; the alternatives rank by score.
        page.get_by_role("tab", name="Family").click()
        _idle(page)
        _choose(page, "Family", families[0])
        imposed = page.get_by_text(re.compile(rf"\({re.escape(label.rsplit('(', 1)[1])}.*placement imposed by the "
                                              r"coordinator \(a pin\)"))
        imposed.first.wait_for()
        page.get_by_text(re.compile(r"rank as listed, by score")).first.wait_for()
        _shot(page, screenshots, "04d_match_family_imposed", imposed.first)

        page.get_by_role("tab", name="Use of capacity").click()
        page.get_by_text("Value of one more unit (LP dual)").wait_for()
        _shot(page, screenshots, "05_match_capacity")

        # A failed upload keeps the scenario and its run, and says so.
        _nav(page, "Data")
        cases, _ = state.sample_paths() or (None, None)
        _upload(page, "upload_cases", Path(str(cases)))
        _upload(page, "upload_localities", bad)
        page.get_by_role("button", name="Read and validate").click()
        page.get_by_text(re.compile(r"^These files have errors, so nothing was replaced: the data in use is still "
                                    r"the sample data, with its 2 run\(s\)")).wait_for()
        assert page.locator('[data-testid="stSidebar"]').get_by_text("Runs: 2").count() == 1
        _shot(page, screenshots, "06_data_failed_upload_kept", page.get_by_role("heading", name="Validation report"))
        # A problem of the report, selected, opens its row with the bad cell first.
        _select_first_row(page, page.locator('[data-testid="stDataFrame"]').first)
        focus = page.get_by_text("Row 2 of the sheet housing, column bedrooms")
        focus.wait_for()
        assert page.get_by_role("button", name="Apply and re-validate").count() == 1
        _shot(page, screenshots, "06b_data_problem_row", page.get_by_text(re.compile(r"^Select a problem")))

        for title, name in (("Policy", "07_policy"), ("Runs", "08_runs"), ("Records", "09_records"),
                            ("Capacities", "10_capacities"), ("Policy lab", "11_policy_lab")):
            _nav(page, title)
            _shot(page, screenshots, name)
        # A small lab run: the summary fits the page, says what "optimal" is, and the parameters read as text.
        for label, value in (("Replications", "2"), ("Families per year", "12"), ("Communes", "3")):
            page.get_by_label(label, exact=True).fill(value)
            page.get_by_label(label, exact=True).press("Tab")
        page.get_by_role("button", name="Run the experiment").click()
        page.get_by_text("Summary: mean ± half the 95 % interval").wait_for(timeout=WAIT_MS)
        page.get_by_text(re.compile(r"is a hindsight|a hindsight benchmark")).first.wait_for()
        _shot(page, screenshots, "12_policy_lab_summary", page.get_by_text("Summary: mean ± half the 95 % interval"))
        page.get_by_text("Cohort parameters and their sources").click()
        _shot(page, screenshots, "13_policy_lab_parameters", page.get_by_text("Cohort parameters and their sources"))
    finally:
        context.close()


def test_walk_phone_in_french(browser, walk_url, screenshots):  # type: ignore[no-untyped-def]
    """At 390x844 in French: the sidebar does not cover the page, the figures do not push the tabs far down."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(walk_url)
        page.get_by_role("heading", name="Données", level=1).wait_for()  # a French browser opens it in French
        _idle(page)
        assert not page.locator('[data-testid="stSidebar"]').is_visible() or \
            page.locator('[data-testid="stSidebar"]').get_attribute("aria-expanded") == "false"
        page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button') \
            .first.click()
        page.locator('[data-testid="stSidebar"]').get_by_text("Français").click()
        page.get_by_role("heading", name="Données", level=1).wait_for()
        _close_sidebar(page)
        _shot(page, screenshots, "21_phone_fr_data")
        for title, name in (("Politique", "22_phone_fr_policy"), ("Placement", "23_phone_fr_match")):
            if not page.locator('[data-testid="stSidebarNav"]').is_visible():
                page.locator('[data-testid="stExpandSidebarButton"], '
                             '[data-testid="stSidebarCollapsedControl"] button').first.click()
            _nav(page, title)
            _close_sidebar(page)
            _shot(page, screenshots, name)
        if page.get_by_role("button", name=re.compile(r"^Lancer le calcul")).count():
            page.get_by_role("button", name=re.compile(r"^Lancer le calcul")).click()
        page.get_by_text(re.compile(r"^Calcul #\d+ · ")).first.wait_for(timeout=WAIT_MS)
        _idle(page)
        tabs = page.get_by_role("tab").first.bounding_box()
        assert tabs is not None and tabs["y"] < 2 * 844, tabs  # the tabs within two screens of the top
        _shot(page, screenshots, "24_phone_fr_match_results")
        _phone_table_and_map(page, screenshots)
    finally:
        context.close()
