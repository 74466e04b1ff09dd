"""Helpers for the app's AppTest tests: the app script, a session with a short time limit, waiting for runs."""

from __future__ import annotations

import re
import string
from pathlib import Path

from streamlit.testing.v1 import AppTest

import ui
from matcher.models.policy import Policy
from ui.components import state
from ui.components.text import JOINER

APP = Path(ui.__file__).resolve().parent / "app.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def new_app(**session: object) -> AppTest:
    """The app, not yet run, with session state seeded from `session`."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in session.items():
        at.session_state[key] = value
    return at


def quick_policy(seconds: float = 5.0) -> Policy:
    """The default policy with a short time limit for tests."""
    pol = state.default_policy()
    return pol.model_copy(update={"solver": pol.solver.model_copy(update={"time_limit": seconds})})


def wait_for_run(at: AppTest, timeout: float = 60.0) -> AppTest:
    """Let the background run finish, then rerun the script so that the page records and shows it."""
    runner = at.session_state["runner"]
    if runner is None:
        # A tiny run can end before the rerun that follows its start, and that rerun records it at once.
        assert at.session_state["runs"], "no run in progress and none recorded"
        return at.run()
    assert runner.wait(timeout), "the run did not finish in time"
    return at.run()


def shown(markdown: str) -> str:
    """The text a reader sees for Markdown made of `plain` values: escapes and word joiners removed."""
    return re.sub("\\\\([" + re.escape(string.punctuation) + "])", r"\1", markdown).replace(JOINER, "")


def assert_clean(at: AppTest) -> None:
    """No raw exception reached the page and no error box is shown."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
