"""Run an experiment's tasks on a local process pool or a Dask cluster, with progress and cancel.

Each task draws its scenario from the experiment's seed and the replication number alone, runs one policy with
one solver worker in deterministic mode, and returns a row of metrics, so the rows are the same whichever
executor runs them, in whatever order (``seconds`` aside, which measures the machine).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from matcher.simulate.experiment import Experiment, Task, run_task
from matcher.simulate.metrics import METRICS

if TYPE_CHECKING:
    from matcher.simulate.schedulers import SchedulerConfig

#: Called after each finished task with (rows done, rows in all, the row).
OnResult = Callable[[int, int, dict[str, Any]], None]


@dataclass(frozen=True)
class RunStats:
    tasks: int
    seconds: float
    executor: str  # "in-process", "local pool of N processes", "Dask scheduler NAME (N workers)"

    @property
    def scenarios_per_minute(self) -> float:
        return 60.0 * self.tasks / max(self.seconds, 1e-9)


class Cancelled(RuntimeError):
    """The run was cancelled; the rows finished before are kept on the exception."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__("cancelled")
        self.rows = rows


def tidy(rows: Iterable[dict[str, Any]], experiment: Experiment) -> pd.DataFrame:
    """Rows as the tidy table of metrics.csv: one row per policy and replication, in the experiment's order."""
    frame = pd.DataFrame(list(rows), columns=["policy", "replication", *METRICS])
    order = {p: i for i, p in enumerate(experiment.policies)}
    frame = frame.sort_values(["policy", "replication"], key=lambda s: s.map(order) if s.name == "policy" else s)
    return frame.reset_index(drop=True)


def run_experiment(
    experiment: Experiment,
    *,
    scheduler: str | SchedulerConfig | None = None,
    processes: int | None = None,
    on_result: OnResult | None = None,
    cancel: threading.Event | None = None,
) -> tuple[pd.DataFrame, RunStats]:
    """Run every (replication, policy) task and return the tidy metrics and how long it took.

    Parameters
    ----------
    experiment
        The experiment, with its files already read (:func:`~matcher.simulate.experiment.load_experiment`).
    scheduler
        A configured scheduler (:mod:`~matcher.simulate.schedulers`: its TLS settings apply) or an address
        (``tcp://host:8786``: Dask's own configuration applies) to run on a cluster; None for this machine.
        Results come back as pickles: only a trusted scheduler may be given.
    processes
        Local worker processes (default: the CPU count); 1 runs in this process.
    on_result
        Called after each task with the progress and its row.
    cancel
        Set it to stop: pending tasks are dropped and :class:`Cancelled` carries the rows done.
    """
    tasks = experiment.tasks()
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()

    def done(row: dict[str, Any]) -> None:
        rows.append(row)
        if on_result is not None:
            on_result(len(rows), len(tasks), row)

    if scheduler:
        label = _run_dask(tasks, scheduler, done, cancel)
    else:
        n = processes or os.cpu_count() or 1
        if n <= 1 or len(tasks) <= 1:
            for task in tasks:
                if cancel is not None and cancel.is_set():
                    raise Cancelled(rows)
                done(run_task(task))
            label = "in-process"
        else:
            _run_pool(tasks, min(n, len(tasks)), done, cancel)
            label = f"local pool of {min(n, len(tasks))} processes"
    if cancel is not None and cancel.is_set() and len(rows) < len(tasks):
        raise Cancelled(rows)
    return tidy(rows, experiment), RunStats(len(tasks), time.perf_counter() - t0, label)


def _run_pool(tasks: list[Task], n: int, done: Callable[[dict[str, Any]], None],
              cancel: threading.Event | None) -> None:
    # "spawn": a fresh interpreter per worker, safe from the threads of the app or of OR-Tools in this one.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
        pending: set[Future[dict[str, Any]]] = {pool.submit(run_task, t) for t in tasks}
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for f in finished:
                    done(f.result())
                if cancel is not None and cancel.is_set():
                    break
        finally:
            for f in pending:
                f.cancel()


def _run_dask(tasks: list[Task], scheduler: str | SchedulerConfig, done: Callable[[dict[str, Any]], None],
              cancel: threading.Event | None) -> str:
    from distributed import Client, as_completed

    if isinstance(scheduler, str):
        address, security, label = scheduler, None, f"dask at {scheduler}"
    else:
        address, security, label = scheduler.address, scheduler.security(), f"Dask scheduler {scheduler.name}"
    with Client(address, security=security, timeout="30s") as client:
        workers = len(client.scheduler_info().get("workers", {}))
        futures = [client.submit(run_task, t, pure=False) for t in tasks]
        try:
            for f in as_completed(futures):
                done(f.result())
                if cancel is not None and cancel.is_set():
                    break
        finally:
            client.cancel([f for f in futures if not f.done()])
    return f"{label} ({workers} workers)"
