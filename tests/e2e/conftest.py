"""End-to-end fixtures: the app served on a free port, and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import free_port, healthy

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

if not CHROMIUM.exists():  # CI always installs it (.ci/run); a laptop without it skips these tests
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium", allow_module_level=True)


def app_command(port: int) -> list[str]:
    """`matcher ui --port N`: the command a user runs, from the same environment as the tests."""
    matcher = Path(sys.executable).with_name("matcher")
    return [str(matcher), "ui", "--port", str(port)]


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by `matcher ui` on a free local port, stopped after the session."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        proc = subprocess.Popen(app_command(port), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.25)
            yield url
        finally:
            # `matcher ui` runs Streamlit as a child: stop the whole process group this fixture started.
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium from Debian, no network beyond localhost needed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, app_url):  # type: ignore[no-untyped-def]
    """A fresh browser session on the app, with downloads accepted."""
    context = browser.new_context(viewport={"width": 1440, "height": 1800}, accept_downloads=True,
                                  locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.goto(app_url)
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
