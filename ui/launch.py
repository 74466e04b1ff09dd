"""Start the browser app: `matcher ui [--port N]` calls `run_app`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

APP_PATH = Path(__file__).parent / "app.py"


def streamlit_command(port: int | None = None, address: str = "127.0.0.1") -> list[str]:
    """The command line that serves the app; the settings live in ui/.streamlit/config.toml."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP_PATH), "--server.headless", "true",
           "--server.address", address, "--browser.gatherUsageStats", "false"]
    if port is not None:
        cmd += ["--server.port", str(port)]
    return cmd


def run_app(port: int | None = None, address: str = "127.0.0.1") -> int:
    """Serve the app until interrupted and return Streamlit's exit code.

    Parameters
    ----------
    port
        TCP port to listen on; None lets Streamlit pick its default (8501).
    address
        Interface to bind; the default keeps the app reachable from this machine only.
    """
    # Run from the app's folder so that the script-level .streamlit/config.toml applies.
    try:
        return subprocess.call(streamlit_command(port, address), cwd=APP_PATH.parent)
    except KeyboardInterrupt:
        return 0
