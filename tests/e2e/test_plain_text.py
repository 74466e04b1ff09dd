"""`plain` in Streamlit itself: Markdown, HTML and Streamlit syntax given to every element that renders Markdown
(labels of buttons and widgets, text, alerts, tabs, expanders, metrics, progress) shows as typed, and the
browser requests nothing because of it.

The probe script `plain_probe.py` runs under `streamlit run`; a listener on a local port stands for an
outside host.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from payloads import joined
from serving import Listener, free_port, healthy

from ui.components.text import JOINER

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
#: Elements that carry Markdown, and what they may never hold when the source is `plain`.
MARKDOWN = '[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"]'
FORBIDDEN = 'a, img, svg, video, audio, iframe, code, strong, em, del, table, [role="img"], .katex'


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    served = Listener()
    try:
        yield served
    finally:
        served.close()


@pytest.fixture(scope="module")
def probe_url(listener: Listener, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`plain_probe.py` served by Streamlit on a free port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("probe") / "server.log").open("w")
    env = {**os.environ, "PROBE_PORT": str(listener.port), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(HERE / "plain_probe.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not healthy(url):
            assert proc.poll() is None and time.monotonic() < deadline, "the probe did not start"
            time.sleep(0.25)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _normal(text: str) -> str:
    return " ".join(text.replace(JOINER, "").split())


def test_every_markdown_element_shows_plain_text_literally(browser, probe_url, listener) -> None:  # type: ignore[no-untyped-def]
    """No element holds a link, image, icon, formula or formatting made from the text, each shows the text as
    typed, and no request leaves for the listener or any host but the app's."""
    listener.paths.clear()
    context = browser.new_context(viewport={"width": 1400, "height": 3000}, locale="en-GB")
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(probe_url)
        page.get_by_text("probe ready").wait_for()
        page.wait_for_timeout(2000)  # images, fonts and lazily loaded Markdown plugins would be requested by now
        containers = page.locator(MARKDOWN)
        texts = [_normal(t) for t in containers.all_inner_texts()]
        expected = _normal(joined(f"http://127.0.0.1:{listener.port}"))
        showing = [t for t in texts if expected in t]
        # 25 places: 9 widget labels and a radio option, 3 texts, 4 alerts, the progress text, an expander's
        # label and content, a tab, a metric's label, value and delta, and a form's button.
        assert len(showing) == 25, texts
        assert [t for t in texts if t and expected not in t and t != "other"] == []
        assert page.locator(f":is({MARKDOWN}) :is({FORBIDDEN})").count() == 0
    finally:
        context.close()
    assert listener.paths == []
    assert [u for u in requests if not u.startswith(probe_url)] == []


def test_the_listener_sees_what_unescaped_text_fetches(browser, probe_url, listener) -> None:  # type: ignore[no-untyped-def]
    """The control: the same text unescaped in a button makes the browser fetch the image from the listener."""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{probe_url}/?raw=1")
        page.get_by_text("probe ready").wait_for()
        deadline = time.monotonic() + 20
        while "/probe-img.png" not in listener.paths and time.monotonic() < deadline:
            page.wait_for_timeout(200)
    finally:
        context.close()
    assert "/probe-img.png" in listener.paths
    listener.paths.clear()
