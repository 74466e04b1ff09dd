"""The Policy lab in a real headless Chromium, as shipped: the default settings (the small experiment on one
local process per CPU) run to the summary (issue 29: it failed with "The run failed (BrokenProcessPool)")."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from serving import free_port, healthy

pytestmark = pytest.mark.e2e

LAB_TIMEOUT = 900_000  # ms: 36 scenarios, about a minute on 2 idle cores, much more on a busy machine


def test_lab_runs_with_default_settings(page, screenshots):  # type: ignore[no-untyped-def]
    """Open the lab, change nothing, run: the progress shows, then the summary, chart and downloads."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Policy lab", exact=True).click()
    page.get_by_role("heading", name="Policy lab", level=1, exact=True).wait_for()
    assert page.get_by_label("Dask scheduler (optional)").count() == 0  # no address field any more
    page.get_by_role("button", name="Run the experiment").click()
    page.get_by_text(re.compile(r"scenarios done$")).or_(page.get_by_text(re.compile(r"scenarios in "))).first \
        .wait_for(timeout=60_000)
    processes = min(os.cpu_count() or 1, 36)  # the page's default, on the machine serving it
    executor = f"local pool of {processes} processes" if processes > 1 else "in-process"
    done = page.get_by_text(re.compile(rf"^36 scenarios in [0-9.]+ s on {executor}"))
    failed = page.get_by_text(re.compile(r"^The run (failed|stopped|could not)"))
    done.or_(failed).first.wait_for(timeout=LAB_TIMEOUT)
    assert failed.count() == 0, failed.first.inner_text()
    page.get_by_text("Summary: mean ± half the 95 % interval").wait_for()
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    page.get_by_text("metrics.csv", exact=True).wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0 and "Traceback" not in page.content()
    page.wait_for_timeout(1500)  # let the table (canvas) and the chart finish drawing
    page.screenshot(path=str(screenshots / "10_policy_lab.png"), full_page=True)


@pytest.fixture(scope="module")
def served_with_scheduler(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """`matcher ui` with one configured TLS scheduler ("campus") whose address is a loopback listener that counts
    connections: the page may offer it, but nothing here chooses it."""
    folder = tmp_path_factory.mktemp("lab-served")
    for name in ("ca.pem", "client.pem"):
        (folder / name).write_text("placeholder\n")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    (folder / "schedulers.toml").write_text(
        f'[schedulers.campus]\naddress = "tls://127.0.0.1:{listener.getsockname()[1]}"\n'
        'tls_ca_file = "ca.pem"\ntls_client_cert = "client.pem"\n')
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MATCHER_DATA_DIR": str(folder / "records"),
           "MATCHER_DASK_SCHEDULERS": str(folder / "schedulers.toml")}
    env.pop("MATCHER_DATABASE_URL", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (folder / "server.log").open("w")
    matcher = str(Path(sys.executable).with_name("matcher"))
    proc = subprocess.Popen([matcher, "ui", "--port", str(port)], cwd=folder, stdout=log,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not healthy(url):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.25)
        yield url, listener
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        listener.close()


def test_lab_offers_configured_schedulers_by_name_in_both_languages(  # type: ignore[no-untyped-def]
        browser, served_with_scheduler, screenshots):
    """With a configured scheduler the page offers "Run on: this machine / campus" (no text field); after a
    switch to French, "Cette machine" runs here (the browser sends the option's label: the English one left in
    the box was refused as an unknown scheduler) and the configured scheduler is never contacted."""
    url, listener = served_with_scheduler
    context = browser.new_context(viewport={"width": 1440, "height": 1400}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{url}/policy-lab")
        page.get_by_role("heading", name="Policy lab", level=1, exact=True).wait_for()
        box = page.get_by_role("combobox", name="Run on")
        box.click()
        assert page.get_by_role("option").all_inner_texts() == ["This machine", "campus"]
        page.keyboard.press("Escape")
        assert page.get_by_role("textbox").count() == 0  # nothing to type an address into
        page.locator('[data-testid="stSidebar"]').get_by_text("Français").click()
        page.get_by_role("heading", name="Laboratoire de politiques", level=1, exact=True).wait_for()
        page.get_by_role("combobox", name="Exécuter sur").wait_for()
        for label, value in (("Réplications", "1"), ("Familles par an", "10"), ("Communes", "3")):
            field = page.get_by_label(label, exact=True)
            field.fill(value)
            field.press("Tab")
        page.get_by_role("button", name="Lancer l'expérience").click()
        done = page.get_by_text(re.compile(r"^6 scénarios en [0-9.]+ s sur "))
        refused = page.get_by_text(re.compile(r"n'est pas configuré|a échoué|s'est arrêtée"))
        done.or_(refused).first.wait_for(timeout=LAB_TIMEOUT)
        assert refused.count() == 0, refused.first.inner_text()
        page.wait_for_timeout(1000)
        page.screenshot(path=str(screenshots / "11_policy_lab_fr_configured.png"), full_page=True)
    finally:
        context.close()
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected to the configured scheduler
