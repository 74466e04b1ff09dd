"""Starting the app: the command line and the shipped Streamlit settings."""

from __future__ import annotations

import sys
import tomllib

from ui import launch


def test_command_runs_streamlit_on_the_app_headless_and_local():
    """The command serves ui/app.py headless on the given port, bound to localhost by default."""
    cmd = launch.streamlit_command(port=8765)
    assert cmd[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert cmd[4] == str(launch.APP_PATH) and launch.APP_PATH.is_file()
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert flags["--server.port"] == "8765"
    assert flags["--server.headless"] == "true"
    assert flags["--server.address"] == "127.0.0.1"


def test_command_without_port_leaves_the_default():
    """No port given: Streamlit picks its own default."""
    assert "--server.port" not in launch.streamlit_command()


def test_config_keeps_errors_private_and_usage_stats_off():
    """The config shows no error details, sends no usage stats, keeps XSRF on and binds to localhost."""
    config = tomllib.loads((launch.APP_PATH.parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["headless"] is True
    assert config["server"]["address"] == "127.0.0.1"


def test_the_library_never_imports_streamlit():
    """matcher stays free of Streamlit: the ui depends on it, never the reverse."""
    from pathlib import Path

    package = Path(launch.__file__).resolve().parents[1] / "matcher"
    offenders = [p.name for p in package.rglob("*.py") if "import streamlit" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_sigterm_stops_the_app_and_its_streamlit_child(tmp_path):
    """A SIGTERM to the launcher stops Streamlit too and counts as a clean exit."""
    import signal
    import socket
    import subprocess
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = launch.APP_PATH.parents[1]
    proc = subprocess.Popen([sys.executable, "-c", f"from ui.launch import run_app; raise SystemExit(run_app({port}))"],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "the app did not start"
                time.sleep(0.25)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        time.sleep(0.5)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            still_serving = True
        except OSError:
            still_serving = False
        assert not still_serving
    finally:
        if proc.poll() is None:
            import os

            os.killpg(proc.pid, signal.SIGKILL)
