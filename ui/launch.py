"""Start the browser app: `matcher ui [--port N] [--address A]` runs `python -m ui.launch` with the same options."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType

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
    child = subprocess.Popen(streamlit_command(port, address), cwd=APP_PATH.parent)

    stopped: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.append(signum)
        child.terminate()  # a service manager's SIGTERM must not leave Streamlit running on its own

    previous = signal.signal(signal.SIGTERM, stop) if threading.current_thread() is threading.main_thread() else None
    try:
        code = child.wait()
        return 0 if stopped else code  # stopping on request is a clean exit
    except KeyboardInterrupt:  # Ctrl+C reaches Streamlit too; wait for it to shut down
        try:
            return child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """``python -m ui.launch [--port N] [--address A]``: serve the app (what `matcher ui` runs)."""
    parser = argparse.ArgumentParser(prog="python -m ui.launch", description="Serve the browser app.")
    parser.add_argument("--port", type=int, default=None, help="port (default: 8501)")
    parser.add_argument("--address", default="127.0.0.1", help="listen address (default: localhost only)")
    args = parser.parse_args(argv)
    return run_app(port=args.port, address=args.address)


if __name__ == "__main__":
    sys.exit(main())
