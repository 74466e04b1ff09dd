"""The app opens in the language kept in its address, else the browser's, else the server's, and keeps a
choice in the address; the validation report follows the language."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


def _app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_the_address_decides_first() -> None:
    at = _app(lang="fr")
    assert not at.exception
    assert at.session_state["lang"] == "fr"
    assert at.sidebar.radio[0].value == "fr"


def test_the_server_s_language_without_a_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_LANG", "fr")
    assert _app().session_state["lang"] == "fr"
    monkeypatch.setenv("MATCHER_LANG", "en")
    assert _app().session_state["lang"] == "en"


def test_a_choice_is_kept_in_the_address() -> None:
    at = _app()
    at.sidebar.radio[0].set_value("fr").run()
    assert at.query_params["lang"] == ["fr"] or at.query_params["lang"] == "fr"

