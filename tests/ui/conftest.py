"""Fixtures of the app's tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# pytest puts tests/ on sys.path, where tests/ui would pass for the `ui` package: the project root comes first.
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path[:1]:
    sys.path.insert(0, ROOT)

from ui.components import state  # noqa: E402


@pytest.fixture
def no_sample(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Pretend the sample data is not installed."""
    monkeypatch.setattr(state, "SAMPLE_DIR", tmp_path / "no-sample")
    return tmp_path / "no-sample"


@pytest.fixture(autouse=True)
def served_on_localhost() -> None:
    """The app as `matcher ui` serves it by default: on 127.0.0.1, so no login is asked unless a test says so."""
    from streamlit import config

    config.set_option("server.address", "127.0.0.1")
