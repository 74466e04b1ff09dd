"""Names that are Markdown or HTML pointing at an outside host, across roles, in a real browser: nothing is fetched.

The attack of issue 22: a commune name such as ``![x](http://host/p.png)`` shown in the Pin/Forbid buttons, or an
uploaded file's name shown on the Data page, made the coordinator's browser request the host. Here a listener on
loopback stands for that host. Commune names, case ids, a column header, file names (sent under names a browser
cannot give, as a forged request would), a policy's name and unknown key, a decision's reason, an NGO's user name
and the commune name the NGO types on its Capacities page carry such payloads; the coordinator and the NGO visit
every page they have (Data, Policy, Match with a run, placements, map, capacity, a family's explanation with its
Pin/Forbid buttons, pins, export, Runs, Records, Policy lab, Capacities). The listener receives nothing, the browser
asks no host but the app's, no page holds a link or image made from the text, and the text shows as typed.
"""

from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from serving import Listener, free_port, healthy

from ui.components.text import JOINER

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "hostile names password"
WAIT_MS = 120_000
MARK = "uisafe"  # in every payload's path: a request made from one is recognisable wherever it goes
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Names:
    """The payloads, pointing at the listener's port."""

    def __init__(self, port: int) -> None:
        h = f"http://127.0.0.1:{port}"
        self.port = port
        self.cases = {"C1": f"![c]({h}/{MARK}-case.png)", "C2": f"[c2]({h}/{MARK}-case2)",
                      "C3": f"<img src={h}/{MARK}-case3>"}
        self.pamiers = f"![p]({h}/{MARK}-commune.png) :red[Pamiers]"
        self.toulouse = f"<img src={h}/{MARK}-commune2> [t]({h}/{MARK}-link) <{h}/{MARK}-auto>"
        self.header = f"![h]({h}/{MARK}-header.png)"
        self.sheet_file = f"![s]({h}/{MARK}-sheet.png).csv"
        self.localities_file = f"![f]({h}/{MARK}-file.png) <img src={h}/{MARK}-file2>.xlsx"
        self.policy_file = f"![pf]({h}/{MARK}-policy-file.png).toml"
        self.bad_policy_file = f"[bf]({h}/{MARK}-bad-file).toml"
        self.policy = f"![pol]({h}/{MARK}-policy.png) $x$"
        self.bad_key = f"![k]({h}/{MARK}-key.png)"
        self.reason = f"![why]({h}/{MARK}-reason.png) <{h}/{MARK}-reason>"
        self.ngo = f"![n]({h}/{MARK}-user.png)"
        self.ngo_commune = f"![ngo]({h}/{MARK}-ngo.png) :material/home:"


# ------------------------------------------------------------------------------------------------ the inputs


def _workbooks(folder: Path, names: Names) -> dict[str, tuple[str, bytes, str]]:
    """The tiny workbooks with hostile ids, names and header: local file name -> (name sent, content, type)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from workbooks import TINY_CASES, TINY_LOCALITIES, write_csv_dir, write_xlsx

    cases = copy.deepcopy(TINY_CASES)
    for rows in cases.values():
        for row in rows[1:]:
            row[0] = names.cases[row[0]]
    for row in cases["cases"][1:]:
        row[3] = ";".join(names.cases[x] for x in str(row[3]).split(";") if x)
    localities = copy.deepcopy(TINY_LOCALITIES)
    localities["localities"][1][1] = names.pamiers
    localities["localities"][2][1] = names.toulouse
    localities["localities"][0].append(names.header)
    for row in localities["localities"][1:]:
        row.append("x")
    csv_dir = write_csv_dir(folder / "cases", {**cases, "extra": [["a"], [1]]})
    xlsx = write_xlsx(folder / "localities.xlsx", localities)
    return {
        "cases.csv": ("cases.csv", (csv_dir / "cases.csv").read_bytes(), "text/csv"),
        "members.csv": ("members.csv", (csv_dir / "members.csv").read_bytes(), "text/csv"),
        "extra.csv": (names.sheet_file, (csv_dir / "extra.csv").read_bytes(), "text/csv"),
        "localities.xlsx": (names.localities_file, xlsx.read_bytes(), XLSX),
    }


def _policies(names: Names) -> dict[str, tuple[str, bytes, str]]:
    good = f'name = "{names.policy}"\ndescription = "{names.policy}"\n[solver]\ntime_limit = 5.0\n'
    bad = f'"{names.bad_key}" = 1\n'
    return {"policy.toml": (names.policy_file, good.encode(), "application/toml"),
            "bad.toml": (names.bad_policy_file, bad.encode(), "application/toml")}


def _forge_upload_names(page: Any, files: dict[str, tuple[str, bytes, str]]) -> None:
    """Send each file under its hostile name, as a forged request can: a browser never names a file with '/'."""

    def handle(route: Any) -> None:
        body = route.request.post_data_buffer or b""
        for local, (sent, _, _) in files.items():
            body = body.replace(f'filename="{local}"'.encode(), f'filename="{sent}"'.encode())
        route.continue_(post_data=body)

    page.route("**/_stcore/upload_file/**", handle)


def _files(files: dict[str, tuple[str, bytes, str]], *local: str) -> list[dict[str, Any]]:
    return [{"name": name, "mimeType": files[name][2], "buffer": files[name][1]} for name in local]


# ------------------------------------------------------------------------------------------------ the app


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    served = Listener()
    try:
        yield served
    finally:
        served.close()


@pytest.fixture(scope="module")
def names(listener: Listener) -> Names:
    return Names(listener.port)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, names: Names) -> Iterator[str]:
    """`matcher ui` with a login; a coordinator, and an NGO whose user name is a payload, for Pamiers (09225)."""
    folder = tmp_path_factory.mktemp("hostile")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MATCHER_DATA_DIR": str(folder / "records"), "MATCHER_AUTH": "on"}
    env.pop("MATCHER_DATABASE_URL", None)
    matcher = str(Path(sys.executable).with_name("matcher"))
    for args in (["cora", "--role", "coordinator"], [names.ngo, "--role", "ngo", "--locality", "09225"]):
        subprocess.run([matcher, "users", "add", *args, "--password-stdin"], input=PASSWORD + "\n", text=True,
                       env=env, check=True, capture_output=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen([matcher, "ui", "--port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not healthy(url):
            assert proc.poll() is None and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.25)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


# ------------------------------------------------------------------------------------------------ browsing


def _open_name_editor(page: Any) -> Any:
    """Open the grid's editor on the first row's commune name and return its text box.

    The grid is a canvas: the test clicks the first row's commune id (not editable), moves right to its name and
    presses Enter. On a loaded machine a rerun can redraw the grid between the click and the keys, so that the
    editor opens on the id (disabled); the test then closes it and tries again.
    """
    editor = page.locator('[data-testid="stDataFrame"]').first
    cell = page.locator("textarea.gdg-input")
    for _ in range(5):
        box = editor.bounding_box()
        page.mouse.click(box["x"] + 30, box["y"] + 35 + 17)  # the first row's commune id (not editable)
        page.wait_for_timeout(300)
        page.keyboard.press("ArrowRight")  # its name
        page.keyboard.press("Enter")  # the grid's cell editor
        cell.wait_for()
        if cell.is_enabled():
            return cell
        page.keyboard.press("Escape")
        page.wait_for_timeout(1000)
    raise AssertionError("the grid's editor never opened on the commune name")


class Visit:
    """One user's browser session, with every request it makes kept."""

    def __init__(self, browser: Any, url: str, names: Names, listener: Listener, screenshots: Path) -> None:
        self.url, self.names, self.listener, self.screenshots = url, names, listener, screenshots
        self.requests: list[str] = []
        self.context = browser.new_context(viewport={"width": 1440, "height": 1600}, locale="en-GB")
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)

    def login(self, name: str) -> None:
        page = self.page
        page.goto(self.url)
        page.get_by_role("heading", name="Log in", level=1).wait_for()
        page.get_by_role("textbox", name="User name").fill(name)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        self.shows(f"Signed in as {name}")

    def idle(self) -> None:
        self.page.wait_for_timeout(300)
        self.page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)

    def go(self, title: str) -> None:
        """Open a page from the sidebar (the same session), unfolding the navigation when needed."""
        nav = self.page.locator('[data-testid="stSidebarNav"]')
        link = nav.get_by_role("link", name=title, exact=True)
        if not link.is_visible():
            nav.get_by_role("button", name=re.compile("View more|Show more")).click()
        link.click()
        self.page.get_by_role("heading", name=title, level=1, exact=True).wait_for()
        self.check()

    def shows(self, text: str) -> None:
        """Wait until the page shows `text` as typed (word joiners and runs of spaces aside)."""
        try:
            self.page.wait_for_function(
                "t => document.body.innerText.replaceAll('\\u2060', '').replace(/\\s+/g, ' ').includes(t)",
                arg=" ".join(text.split()))
        except Exception:
            self.page.screenshot(path=str(self.screenshots / "hostile_failed.png"), full_page=True)
            raise

    def buttons(self) -> list[str]:
        """The buttons' labels as read, without the name of their icon (a ligature of the icon font); read at
        once, as a rerun may replace the buttons at any time."""
        texts = self.page.locator("button").evaluate_all(
            """els => els.map(b => {
                const icon = b.querySelector('[data-testid="stIconMaterial"]');
                return icon ? b.innerText.replace(icon.innerText, '') : b.innerText;
            })""")
        return [" ".join(str(t).replace(JOINER, "").split()) for t in texts]

    def check(self) -> None:
        """Nothing fetched or linked from a payload, no error on the page."""
        self.idle()
        self.page.wait_for_timeout(700)  # an image from a label would be requested by now
        port = self.names.port
        # (headings link to themselves by a slug of their text: '#...' is no request)
        made = self.page.locator(f'img[src*="{MARK}"], a[href*="{MARK}"]:not([href^="#"]), img[src*=":{port}"], '
                                 f'a[href*=":{port}"]:not([href^="#"]), '
                                 f'[data-testid="stMain"] [role="img"][aria-label="home icon"]')
        assert made.count() == 0, [made.nth(i).evaluate("e => e.outerHTML") for i in range(made.count())]
        assert self.page.locator('[data-testid="stException"]').count() == 0
        assert self.listener.paths == []

    def shot(self, name: str) -> None:
        self.check()
        self.page.wait_for_timeout(800)  # tables and charts draw on canvases
        self.page.screenshot(path=str(self.screenshots / f"hostile_{name}.png"), full_page=True)

    def chart(self) -> Any:
        """The first chart of the page once the script has finished (a tab's change reruns it)."""
        self.idle()
        return self.page.locator('[data-testid="stVegaLiteChart"]').first

    def tooltip_over(self, chart: Any) -> tuple[str, str]:
        """Move the mouse over `chart` until Vega shows a tooltip; its HTML and its text. Streamlit may draw a
        chart again while it settles, so a detached chart is looked up again."""
        tip = self.page.locator("#vg-tooltip-element.visible")
        for _ in range(5):
            box = chart.bounding_box()
            if box is None:
                self.page.wait_for_timeout(500)
                continue
            for y in range(4, int(box["height"]) - 4, 6):
                for x in range(4, int(box["width"]) - 4, 12):
                    self.page.mouse.move(box["x"] + x, box["y"] + y)
                    if tip.count():
                        return str(tip.inner_html()), " ".join(str(tip.inner_text()).split())
        raise AssertionError("no tooltip found over the chart")

    def close(self) -> list[str]:
        """Close the session; the requests it made to hosts other than the app's."""
        self.context.close()
        return [u for u in self.requests if not u.startswith(self.url + "/") and u != self.url]


def test_hostile_names_fetch_nothing_across_roles(browser, served, names, listener, screenshots,  # type: ignore[no-untyped-def]
                                                  tmp_path) -> None:
    """Coordinator, then NGO, then coordinator again: every page, no request beyond the app, text as typed."""
    workbooks, policies = _workbooks(tmp_path, names), _policies(names)
    outside: list[str] = []

    # The coordinator uploads the hostile workbooks under hostile file names.
    cora = Visit(browser, served, names, listener, screenshots)
    page = cora.page
    cora.login("cora")
    _forge_upload_names(page, {**workbooks, **policies})
    page.locator(".st-key-upload_cases input[type=file]").set_input_files(
        _files(workbooks, "cases.csv", "members.csv", "extra.csv"))
    page.locator(".st-key-upload_localities input[type=file]").set_input_files(_files(workbooks, "localities.xlsx"))
    for key, n in (("upload_cases", 3), ("upload_localities", 1)):  # uploaded: each chip shows its size
        expect(page.locator(f'.st-key-{key} [data-testid="stFileChip"][aria-label$="B"]')).to_have_count(n)
    cora.idle()
    page.locator(".st-key-upload_validate button").click()
    cora.shows("Using uploaded files: cases.csv, members.csv, " + names.sheet_file + ", " + names.localities_file)
    cora.shows("No problem found")
    cora.shot("01_data")

    # A policy file refused for a hostile key, then one whose name is a payload.
    cora.go("Policy")
    page.locator(".st-key-policy_file input[type=file]").set_input_files(_files(policies, "bad.toml"))
    cora.shows(f"{names.bad_policy_file} › {names.bad_key}: unknown key")
    cora.idle()  # the flash's rerun done: a file set on the uploader while it is redrawn is lost
    page.locator(".st-key-policy_file input[type=file]").set_input_files(_files(policies, "policy.toml"))
    cora.shows(f"Policy “{names.policy}” loaded.")
    cora.shows(f"Policy: {names.policy}")
    cora.shot("02_policy")

    # A run; every tab of the results.
    cora.go("Match")
    page.locator(".st-key-match_run button").click()
    page.locator('[data-testid="stSidebar"]').get_by_text("Runs: 1").wait_for()
    cora.idle()
    page.get_by_text("Families placed").wait_for()
    cora.shot("03_placements")
    page.get_by_role("tab", name="Map").click()
    cora.chart().wait_for()
    cora.shot("04_map")
    page.get_by_role("tab", name="Use of capacity").click()
    page.locator(".st-key-capacity_resource").wait_for()
    tip, text = cora.tooltip_over(cora.chart())  # the heat map: commune by resource
    assert "<img" not in tip and "<a" not in tip, tip  # the tooltip shows names as text, never as HTML
    assert names.pamiers in text or names.toulouse in text, text
    cora.check()
    cora.shot("05_capacity")
    page.get_by_role("tab", name="Family").click()
    page.get_by_text("Alternatives and why not").wait_for()
    cora.idle()
    pins = [b for b in cora.buttons() if b.startswith("Pin to ")]
    assert pins and pins[0] in {f"Pin to {names.pamiers}", f"Pin to {names.toulouse}"}, cora.buttons()
    commune = pins[0].removeprefix("Pin to ")
    assert f"Forbid {commune}" in cora.buttons()
    cora.shows(f"Placed in {commune}")
    cora.shot("06_family_buttons")
    page.locator(".st-key-family_pin button").click()
    cora.shows(f"Pinned to {commune}")
    page.get_by_role("tab", name="Pins and forbids").click()
    cora.shows(f"→ {commune}")
    cora.shot("07_pins")
    page.get_by_role("tab", name="Export").click()
    cora.check()

    cora.go("Runs")
    cora.shot("08_runs")

    # A decision whose reason is a payload.
    cora.go("Records")
    page.locator(".st-key-decide_families").click()
    page.get_by_role("option").first.click()
    page.keyboard.press("Escape")
    page.locator(".st-key-decide_reason textarea").fill(names.reason)
    page.get_by_role("button", name="Record the decision").click()
    cora.shows("decisions recorded.")
    cora.shot("09_records")

    cora.go("Policy lab")
    cora.shot("10_policy_lab")
    outside += cora.close()

    # The NGO (its user name a payload) renames its commune on its Capacities page.
    ngo = Visit(browser, served, names, listener, screenshots)
    page = ngo.page
    ngo.login(names.ngo)
    page.get_by_role("heading", name="Capacities", level=1).wait_for()
    ngo.shows("kept by cora (upload)")  # the page names the base it edits: the coordinator's upload
    ngo.check()
    cell = _open_name_editor(page)
    cell.fill(names.ngo_commune)
    cell.press("Enter")
    ngo.idle()
    page.locator(".st-key-capacities_save button").click()
    ngo.shows("Saved as scenario #")
    ngo.shows(f"kept by {names.ngo} (capacities)")  # the saved scenario is the new base, its owner named as typed
    ngo.shot("11_ngo_capacities")
    outside += ngo.close()

    # The coordinator loads the NGO's scenario and runs: the NGO's name reaches the Pin/Forbid buttons.
    cora = Visit(browser, served, names, listener, screenshots)
    page = cora.page
    cora.login("cora")
    cora.go("Records")
    cora.shows(f"by {names.ngo} (capacities) is newer than the one loaded.")
    cora.idle()
    page.locator(".st-key-newer_load button").click()
    page.locator(".st-key-newer_load").wait_for(state="detached")  # loaded: it is no longer newer
    cora.idle()
    cora.go("Match")
    page.locator(".st-key-match_run button").click()
    page.locator('[data-testid="stSidebar"]').get_by_text(re.compile(r"^Runs: \d+$")).wait_for()
    page.get_by_text("Families placed").wait_for()
    page.get_by_role("tab", name="Family").click()
    page.get_by_text("Alternatives and why not").wait_for()
    cora.idle()
    cora.shows(names.ngo_commune)  # placed there, or an alternative
    pins = [b for b in cora.buttons() if b.startswith("Pin to ")]
    assert pins and pins[0] in {f"Pin to {names.ngo_commune}", f"Pin to {names.toulouse}"}, cora.buttons()
    cora.shot("12_family_after_ngo")
    page.get_by_role("tab", name="Map").click()
    cora.chart().wait_for()
    cora.shot("13_map_after_ngo")
    outside += cora.close()

    assert listener.paths == []
    assert outside == []
