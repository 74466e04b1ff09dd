"""Run a solve outside the script thread: a worker thread, a cancel event and a progress queue.

The page keeps a `BackgroundRun` in session state and polls it (a fragment with `run_every`), so that the
page stays responsive and a cancel button can stop the search. The worker never touches Streamlit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, Self, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class ProgressReport(Protocol):
    """What a job reports: the fields of the engine's `matcher.engine.Progress`."""

    @property
    def stage(self) -> str: ...

    @property
    def fraction(self) -> float: ...

    @property
    def objective(self) -> float | None: ...

    @property
    def bound(self) -> float | None: ...

    @property
    def seconds(self) -> float: ...


@dataclass(frozen=True)
class ProgressView:
    """What the page shows of the solver's progress."""

    stage: str = "starting"
    fraction: float = 0.0
    objective: float | None = None
    bound: float | None = None
    seconds: float = 0.0


#: The progress callback a job receives.
Report = Callable[[ProgressReport], None]
#: A job receives a progress callback and a cancel event and returns its result.
Job = Callable[[Report, threading.Event], T]


def _as_view(progress: ProgressReport, started: float) -> ProgressView:
    """The page's view of a report; a report without the engine's clock counts from the start of the job."""
    return ProgressView(
        stage=progress.stage,
        fraction=min(1.0, max(0.0, float(progress.fraction))),
        objective=progress.objective,
        bound=progress.bound,
        seconds=float(progress.seconds) if progress.seconds else time.monotonic() - started,
    )


class BackgroundRun(Generic[T]):
    """One solve in a daemon thread. Poll `progress()` and `done`; read `result` or `error_kind` after."""

    def __init__(self, job: Job[T], label: str = "solve") -> None:
        self.label = label
        self._job = job
        self._cancel = threading.Event()
        self._queue: queue.Queue[ProgressView] = queue.Queue()
        self._latest = ProgressView()
        self._thread = threading.Thread(target=self._work, name=f"matcher-{label}", daemon=True)
        self._started = 0.0
        self._finished = 0.0
        self.result: T | None = None
        #: Class name of the exception that ended the job, never its message (it may carry personal values).
        self.error_kind: str | None = None
        self.error: BaseException | None = None

    def start(self) -> Self:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def _report(self, progress: ProgressReport) -> None:
        self._queue.put(_as_view(progress, self._started))

    def _work(self) -> None:
        try:
            self.result = self._job(self._report, self._cancel)
        except Exception as exc:  # the page shows a clear message instead
            self.error = exc
            self.error_kind = type(exc).__name__
            log.error("background %s failed: %s", self.label, self.error_kind)
        finally:
            self._finished = time.monotonic()

    def cancel(self) -> None:
        """Ask the search to stop; the engine keeps the best plan found so far."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def done(self) -> bool:
        return self._started > 0 and not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def elapsed(self) -> float:
        if not self._started:
            return 0.0
        end = self._finished if self.done else time.monotonic()
        return end - self._started

    def progress(self) -> ProgressView:
        """The latest progress report (drains the queue)."""
        while True:
            try:
                self._latest = self._queue.get_nowait()
            except queue.Empty:
                break
        return self._latest

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (tests and scripts only); True if it ended."""
        self._thread.join(timeout)
        return self.done
