"""Helpers shared by the browser tests: a free loopback port, the app's health probe, `matcher ui` served with
records of its own, and a listener standing for an outside host."""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(url: str) -> bool:
    """Whether the Streamlit server at `url` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def serve_app(folder: Path, start_timeout: float = 60.0) -> Iterator[str]:
    """`matcher ui` on a free loopback port with records of its own in `folder` (so that what other tests kept
    does not come back), its output in `folder`/server.log; yields its URL once healthy, stops it after."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MATCHER_DATA_DIR": str(folder / "records")}
    env.pop("MATCHER_DATABASE_URL", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (folder / "server.log").open("w") as log:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("matcher")), "ui", "--port", str(port)],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + start_timeout
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


class Listener:
    """An HTTP server on a free loopback port that records every request it gets."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                paths.append(self.path)
                self.send_response(404)
                self.end_headers()

            do_HEAD = do_POST = do_PUT = do_OPTIONS = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
