"""Never show a raw exception: pages run inside `guarded()`, which shows a clear message instead.

Exception messages can carry personal values (a cell, a case id), so the page names the kind of problem only
and the log keeps the type and the code location, never the message.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from ui.components.i18n import t

log = logging.getLogger("ui")


def log_exception(exc: BaseException, where: str) -> None:
    """Log where an exception came from (files and lines) without its message."""
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    trail = " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames))
    log.error("%s failed with %s at %s", where, type(exc).__name__, trail)


@contextmanager
def guarded(where: str) -> Iterator[None]:
    """Run a page body; on an unexpected error, show a clear message with no personal value."""
    try:
        yield
    except Exception as exc:  # Streamlit's rerun and stop signals are BaseException and pass through
        log_exception(exc, where)
        st.error(t("unexpected_error", kind=type(exc).__name__), icon="⚠️")
