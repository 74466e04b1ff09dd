"""A bounded load test: several browser sessions on one local server, each running a match at the same time.

The server is `matcher ui` on a free loopback port with its own records folder; SESSIONS headless Chromium
contexts each open the app, set a short time limit and start a match, all before any has finished. Every
session must show its run, none may show an error, and the records must hold one run per session with an
intact audit log. It stops by itself: short solves, and a timeout on every wait.
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
SESSIONS = 4
TIME_LIMIT = "3"
WAIT_MS = 180_000


def app_command(port: int) -> list[str]:
    return [str(Path(sys.executable).with_name("matcher")), "ui", "--port", str(port)]


def _server_rss_mb(pid: int) -> float:
    """Resident memory of the server's process group (matcher ui and its Streamlit child), in MB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pid:
                continue
            status = (entry / "status").read_text()
        except (OSError, ProcessLookupError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)


def test_concurrent_sessions_each_run_a_match(browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Four sessions start a match at once; all four finish with results and no error."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MATCHER_DATA_DIR": str(tmp_path / "records")}
    env.pop("MATCHER_DATABASE_URL", None)
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(app_command(port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    contexts = []
    peak_mb = 0.0
    try:
        deadline = time.monotonic() + 60
        while not healthy(url):
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()[-3000:]
            time.sleep(0.25)
        pages = []
        for _ in range(SESSIONS):
            context = browser.new_context(viewport={"width": 1280, "height": 1200}, locale="en-GB")
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(url)
            page.get_by_role("heading", name="Data", level=1).wait_for()
            _wait_idle(page)
            page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Match").click()
            page.get_by_role("heading", name="Match", level=1).wait_for()
            _wait_idle(page)
            limit = page.get_by_label("Time limit (s)", exact=True).and_(page.get_by_role("spinbutton"))
            limit.fill(TIME_LIMIT)
            limit.press("Enter")
            _wait_idle(page)
            pages.append(page)
        for page in pages:  # all started before any can finish
            page.get_by_role("button", name="Run the match").click()
        for page in pages:
            peak_mb = max(peak_mb, _server_rss_mb(proc.pid))
            page.locator('[data-testid="stSidebar"]').get_by_text("Runs: 1").wait_for(timeout=WAIT_MS)
            page.get_by_text("Families placed").first.wait_for()
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        peak_mb = max(peak_mb, _server_rss_mb(proc.pid))
    finally:
        for context in contexts:
            context.close()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    from matcher.store.db import get_engine
    from matcher.store.records import Store

    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path / "records"))  # the server's audit key and head
    store = Store(get_engine(f"sqlite:///{tmp_path / 'records' / 'matcher.db'}"))
    runs = store.recent_runs(50)
    assert len(runs) == SESSIONS and {r.origin for r in runs} == {"app"}
    assert store.verify_audit()[0]
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "load.txt").write_text(
        f"{SESSIONS} concurrent sessions, {len(runs)} runs recorded, server peak RSS {peak_mb:.0f} MB\n")
