"""The background solve runner: a worker thread, a cancel event and a progress queue."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ui.components.runner import BackgroundRun


@dataclass
class FakeProgress:
    stage: str
    fraction: float
    objective: float | None = None
    bound: float | None = None
    seconds: float = 0.0


def _fake_solve(steps: int = 3, pause: float = 0.01):
    def job(report, cancel: threading.Event):
        for i in range(steps):
            if cancel.is_set():
                return {"status": "cancelled", "steps": i}
            report(FakeProgress("improving", (i + 1) / steps, objective=float(i), bound=10.0))
            time.sleep(pause)
        return {"status": "optimal", "steps": steps}

    return job


def test_job_runs_outside_the_calling_thread_and_returns_its_result():
    """The job runs in another thread and its result is kept."""
    seen: list[str] = []

    def job(report, cancel):
        seen.append(threading.current_thread().name)
        return 42

    run = BackgroundRun(job, label="t").start()
    assert run.wait(5)
    assert run.result == 42 and run.error_kind is None
    assert seen and seen[0] != threading.current_thread().name


def test_progress_reports_the_latest_state():
    """progress() drains the queue and returns the last report."""
    run = BackgroundRun(_fake_solve(steps=4), label="t").start()
    assert run.wait(5)
    p = run.progress()
    assert p.stage == "improving" and p.fraction == 1.0 and p.objective == 3.0 and p.bound == 10.0


def test_progress_before_any_report_is_starting():
    """Before the first report, the view says 'starting' at zero."""
    gate = threading.Event()

    def job(report, cancel):
        gate.wait(5)
        return None

    run = BackgroundRun(job).start()
    try:
        assert run.progress().stage == "starting" and run.progress().fraction == 0.0
        assert run.running and not run.done
    finally:
        gate.set()
        run.wait(5)


def test_fraction_is_clamped_to_the_unit_interval():
    """A progress fraction outside [0, 1] is clamped for the progress bar."""
    run = BackgroundRun(lambda report, cancel: report(FakeProgress("lp", 1.7))).start()
    run.wait(5)
    assert run.progress().fraction == 1.0


def test_cancel_stops_the_job_which_keeps_its_result():
    """cancel() sets the event the job polls; the job returns what it has."""
    started = threading.Event()

    def job(report, cancel):
        started.set()
        while not cancel.wait(0.01):
            pass
        return "best so far"

    run = BackgroundRun(job).start()
    assert started.wait(5)
    run.cancel()
    assert run.wait(5)
    assert run.cancelled and run.result == "best so far"


def test_an_error_is_kept_by_kind_only():
    """An exception in the job is recorded by class name; the page never sees its message."""

    def job(report, cancel):
        raise ValueError("case C1 of Mrs X is wrong")

    run = BackgroundRun(job).start()
    assert run.wait(5)
    assert run.error_kind == "ValueError" and run.result is None
    assert isinstance(run.error, ValueError)


def test_elapsed_grows_while_running_and_stops_after():
    """elapsed counts from start to the end of the job."""
    run = BackgroundRun(_fake_solve(steps=2, pause=0.05)).start()
    run.wait(5)
    first = run.elapsed
    time.sleep(0.05)
    assert first > 0 and run.elapsed == first
