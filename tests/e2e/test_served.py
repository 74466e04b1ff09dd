"""Served mode in a real browser: users created with the CLI, a login page, and each role seeing only its pages.

The app runs as `matcher ui` on loopback with ``MATCHER_AUTH=on`` (what any address beyond localhost implies,
without exposing a test server to the network). The browser is the e2e session's headless Chromium.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from serving import free_port, healthy

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "served mode password"
WAIT_MS = 60_000

def _sample_locality() -> str:
    from matcher.io import spec
    from matcher.io.readers import read_workbook

    read = read_workbook(ROOT / "sample_data" / "localities.xlsx", spec.LOCALITIES)
    return str(read.rows("localities")[0].get("locality_id"))


def _wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)


def _login(browser, url: str, name: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 1200}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.get_by_role("heading", name="Log in", level=1).wait_for()
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text(f"Signed in as {name}").wait_for()
    _wait_idle(page)
    return context, page


def _nav(page) -> set[str]:  # type: ignore[no-untyped-def]
    links = page.locator('[data-testid="stSidebarNav"] a')
    # each link reads "<icon name>\n<title>"
    return {links.nth(i).inner_text().strip().split("\n")[-1] for i in range(links.count())}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """`matcher ui` with a login, and a coordinator, an NGO and a researcher created by `matcher users add`."""
    folder = tmp_path_factory.mktemp("served")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MATCHER_DATA_DIR": str(folder / "records"), "MATCHER_AUTH": "on"}
    env.pop("MATCHER_DATABASE_URL", None)
    matcher = str(Path(sys.executable).with_name("matcher"))
    for args in (["cora", "--role", "coordinator"], ["nina", "--role", "ngo", "--locality", _sample_locality()],
                 ["remi", "--role", "researcher"]):
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
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.25)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_roles_see_only_their_pages_in_a_browser(served: str, browser) -> None:  # type: ignore[no-untyped-def]
    """No page without a login; then a coordinator gets every page, an NGO its capacities, a researcher policy."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{served}/match")
    page.get_by_role("heading", name="Log in", level=1).wait_for(timeout=WAIT_MS)
    assert page.get_by_text("Families placed").count() == 0
    context.close()

    context, page = _login(browser, served, "cora")
    assert {"Data", "Policy", "Match", "Runs"} <= _nav(page)  # the navigation folds the last ones away
    page.get_by_role("heading", name="Data", level=1).wait_for()
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Records").click()
    page.get_by_role("heading", name="Records", level=1).wait_for()
    context.close()

    context, page = _login(browser, served, "nina")
    page.get_by_role("heading", name="Capacities", level=1).wait_for()
    assert not ({"Data", "Match", "Runs", "Records", "Policy"} & _nav(page))
    page.goto(f"{served}/data")  # a forged URL lands on the NGO's own page
    page.get_by_role("heading", name="Log in", level=1).or_(
        page.get_by_role("heading", name="Capacities", level=1)).first.wait_for()
    assert page.get_by_role("heading", name="Data", level=1).count() == 0
    context.close()

    context, page = _login(browser, served, "remi")
    nav = _nav(page)
    assert "Policy" in nav and not ({"Data", "Match", "Runs", "Capacities", "Records"} & nav)
    context.close()
