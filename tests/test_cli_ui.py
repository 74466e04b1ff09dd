"""`matcher ui` starts the app as a program (`python -P -m ui.launch`), never importing it."""

from __future__ import annotations

import os
import sys

import pytest
from typer.testing import CliRunner

from matcher.cli import app, browser


def test_ui_becomes_the_apps_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process is replaced by the launcher with the same port and address; the current folder stays off the
    module path (-P)."""
    calls: list[tuple[str, list[str]]] = []

    def execv(path: str, argv: list[str]) -> None:
        calls.append((path, argv))
        raise SystemExit(0)

    monkeypatch.setattr(os, "execv", execv)
    result = CliRunner().invoke(app, ["ui", "--port", "8765", "--address", "0.0.0.0"])
    assert result.exit_code == 0
    assert calls == [(sys.executable, [sys.executable, "-P", "-m", "ui.launch", "--address", "0.0.0.0",
                                       "--port", "8765"])]


def test_ui_without_port_leaves_streamlits_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """No --port: the launcher gets none, and listens on localhost."""
    calls: list[list[str]] = []

    def execv(path: str, argv: list[str]) -> None:
        calls.append(argv)
        raise SystemExit(0)

    monkeypatch.setattr(os, "execv", execv)
    CliRunner().invoke(app, ["ui"])
    assert calls == [[sys.executable, "-P", "-m", "ui.launch", "--address", "127.0.0.1"]]


def test_ui_says_when_the_app_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the ui package: one line and exit 1, no traceback."""
    monkeypatch.setattr(browser.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(os, "execv", lambda *a: pytest.fail("nothing to start"))
    result = CliRunner().invoke(app, ["ui"])
    assert result.exit_code == 1
    assert "not installed" in result.output and "Traceback" not in result.output


def test_the_launcher_takes_the_same_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m ui.launch --port N --address A` serves the app with them."""
    from ui import launch

    seen: list[tuple[int | None, str]] = []
    monkeypatch.setattr(launch, "run_app", lambda port=None, address="127.0.0.1": seen.append((port, address)) or 0)
    assert launch.main(["--port", "8765", "--address", "0.0.0.0"]) == 0
    assert launch.main([]) == 0
    assert seen == [(8765, "0.0.0.0"), (None, "127.0.0.1")]
