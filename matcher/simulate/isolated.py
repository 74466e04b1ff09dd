"""Run a policy-lab experiment in a separate process that has no access to the store, and read its results back
as plain data.

The app's server holds every record and the database credentials, and a lab run unpickles what its workers send
back (local pool processes or a Dask cluster). So the app runs the lab in a child process instead:

- started afresh with ``python -m matcher.simulate.isolated``, so that its pool workers (spawned) import this
  module as their main, never the app's script (which is what broke the lab in the app: spawned workers
  re-imported ``ui/app.py``);
- with an environment that keeps only what Python and the numeric libraries need and no store URL, data
  folder, key, token or password (:func:`child_environment`); the child never imports the store;
- reading its request as one JSON line on stdin, and writing JSON lines on stdout: one per finished scenario
  (its row of metrics), then the run's figures or the reason it failed. The parent checks every line against the
  experiment (known columns, numbers only) and unpickles nothing.

Cancelling terminates the child's process group (the child and its pool workers); the child also stops when
its parent goes away (its stdin closes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import traceback
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

import matcher
from matcher.simulate.experiment import Experiment, SimulationError
from matcher.simulate.metrics import METRICS
from matcher.simulate.runner import RunStats, run_experiment, tidy
from matcher.simulate.schedulers import SchedulerConfig, SchedulerError

__all__ = ["FAILURE_REASONS", "LabFailure", "LabProcess", "child_environment", "main"]

log = logging.getLogger(__name__)

#: Why a run failed, as the child reports it; the app says what to do next for each.
FAILURE_REASONS = ("unreachable", "tls", "worker_lost", "rule_broken", "start", "other")

#: Variables the child keeps: what Python, numpy, OR-Tools and Dask need to run, nothing that names the store.
_KEEP = frozenset({"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
                   "SYSTEMROOT", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "PYTHONPATH"})
_KEEP_PREFIXES = ("LC_", "NUMPY_", "OMP_", "OPENBLAS_", "MKL_", "DASK_", "COVERAGE_")
#: Even a kept variable goes when its name looks like a credential (DASK_..._KEY and the like).
_SECRET = re.compile(r"SECRET|KEY|TOKEN|PASS|CREDENTIAL|AUTH|COOKIE|DATABASE|DSN|_URL$", re.IGNORECASE)

_MAX_LINE = 1 << 20  # a row of metrics is about a kilobyte
_KIND = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,60}$")
_COLUMNS = frozenset({"policy", "replication", *METRICS})


def child_environment(env: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The child's environment: the variables Python and the numeric libraries need, and no credential.

    Only listed names and prefixes are kept (so ``MATCHER_DATABASE_URL``, ``MATCHER_DATA_DIR``, PostgreSQL's
    ``PG*`` and cloud credentials never reach the child), then anything named like a secret is dropped too. The
    folder holding the ``matcher`` package comes first on ``PYTHONPATH`` so that a source tree works as well as
    an installed package.
    """
    kept = {k: v for k, v in env.items()
            if (k in _KEEP or k.startswith(_KEEP_PREFIXES)) and not _SECRET.search(k)}
    package_parent = str(Path(matcher.__file__).resolve().parents[1])
    kept["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, kept.get("PYTHONPATH", "")) if p)
    return kept


@dataclass(frozen=True)
class LabFailure:
    """Why a run failed: one of :data:`FAILURE_REASONS`, and the exception's class name (never its message)."""

    reason: str
    kind: str


class ProtocolError(ValueError):
    """A line from the child that is not what the protocol allows."""


class LabProcess:
    """One experiment run in a child process; the app polls ``done``, ``running`` and the outcome.

    After the run, exactly one of ``metrics`` (with ``stats``), ``cancelled`` or ``failure`` is set; ``rows``
    holds the scenarios finished before a cancel or a failure.
    """

    def __init__(self, experiment: Experiment, *, processes: int, scheduler: SchedulerConfig | None = None) -> None:
        self.experiment = experiment
        self.processes = processes
        self.scheduler = scheduler
        self.total = len(experiment.tasks())
        self.rows: list[dict[str, Any]] = []
        self.metrics: pd.DataFrame | None = None
        self.stats: RunStats | None = None
        self.failure: LabFailure | None = None
        self.cancelled = False
        self._reported: RunStats | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._thread = threading.Thread(target=self._read, name="policy-lab-reader", daemon=True)

    @property
    def done(self) -> int:
        return len(self.rows)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def pid(self) -> int | None:
        """The child's process id (also its process group's), once started."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> LabProcess:
        """Start the child and send it the request; a child that cannot start is a failure, not an exception."""
        request = {"experiment": self.experiment.model_dump(mode="json"), "processes": self.processes,
                   "scheduler": self.scheduler.model_dump(mode="json") if self.scheduler is not None else None}
        try:
            # -P: the child's cwd (the app's folder) is not put on sys.path; a new session makes the child the
            # leader of a process group that holds its pool workers too, so that a cancel stops them all.
            self._proc = subprocess.Popen(
                [sys.executable, "-P", "-m", "matcher.simulate.isolated"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, env=child_environment(os.environ), text=True, encoding="utf-8",
                start_new_session=True)
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()  # stdin stays open: the child stops when it closes (this process gone)
        except OSError as exc:
            log.error("policy lab could not start its process: %s", type(exc).__name__)
            if self._proc is None:
                self.failure = LabFailure("start", type(exc).__name__)
                return self
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Stop the run now: terminate the child and its workers; the rows finished so far are kept."""
        self.cancelled = True
        self._stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends (tests and scripts); True if it ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _stop(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            _signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM))

    def _read(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        try:
            while True:
                line = proc.stdout.readline(_MAX_LINE)
                if not line:
                    break
                if not line.endswith("\n"):
                    raise ProtocolError("line too long")
                self._receive(json.loads(line))
        except (ValueError, TypeError) as exc:  # json's errors are ValueErrors
            if not self.cancelled:
                log.error("policy lab: the child sent a line outside the protocol (%s)", type(exc).__name__)
                self.failure = self.failure or LabFailure("other", "ProtocolError")
                self._stop()
        code = proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._finish(code)

    def _receive(self, message: Any) -> None:
        if not isinstance(message, dict):
            raise ProtocolError("not an object")
        event = message.get("event")
        if event == "row":
            self.rows.append(self._row(message.get("row")))
        elif event == "done":
            seconds, executor = message.get("seconds"), message.get("executor")
            if not isinstance(seconds, int | float) or not _number(seconds) or not isinstance(executor, str) \
                    or len(executor) > 200:
                raise ProtocolError("bad figures")
            self._reported = RunStats(self.total, float(seconds), executor)
        elif event == "error":
            reason, kind = message.get("reason"), message.get("kind")
            self.failure = LabFailure(reason if reason in FAILURE_REASONS else "other",
                                      kind if isinstance(kind, str) and _KIND.match(kind) else "Error")
        else:
            raise ProtocolError("unknown event")

    def _row(self, row: Any) -> dict[str, Any]:
        """A row of metrics as the experiment allows it: its policies and replications, numbers elsewhere."""
        if not isinstance(row, dict) or set(row) != _COLUMNS:
            raise ProtocolError("unexpected columns")
        rep = row["replication"]
        if row["policy"] not in self.experiment.policies or not isinstance(rep, int) or isinstance(rep, bool) \
                or not 0 <= rep < self.experiment.replications:
            raise ProtocolError("unexpected scenario")
        if not all(_number(row[m], finite=False) for m in METRICS):
            raise ProtocolError("a metric is not a number")
        return row

    def _finish(self, code: int) -> None:
        if self.cancelled:
            return
        if self.failure is None and (code != 0 or self._reported is None or len(self.rows) != self.total):
            # Ended without saying why: killed (out of memory, most often) or crashed before reporting.
            self.failure = LabFailure("worker_lost" if code < 0 else "other",
                                      f"signal{-code}" if code < 0 else f"exit{code}")
            log.error("policy lab process ended with code %s after %d of %d scenarios", code, len(self.rows),
                      self.total)
        if self.failure is not None:
            return
        self.metrics = tidy(self.rows, self.experiment)
        self.stats = self._reported


def _number(value: Any, finite: bool = True) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not finite or math.isfinite(value)


def _signal_group(proc: subprocess.Popen[str], sig: int) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, sig)  # the child leads its own group: its pool workers go with it
        else:
            proc.terminate()
    except (ProcessLookupError, PermissionError):
        pass


# ---- the child's side ------------------------------------------------------------------------------------------


def classify(exc: BaseException, remote: bool) -> str:
    """The reason a run failed, from the exception and its causes (one of :data:`FAILURE_REASONS`)."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, SimulationError):
        return "rule_broken"
    # Dask raises FatalCommClosedError when a TLS handshake fails (an unknown CA, a certificate refused).
    if any(isinstance(e, ssl.SSLError | SchedulerError) or type(e).__name__ == "FatalCommClosedError"
           for e in chain):
        return "tls"
    if isinstance(exc, BrokenProcessPool | MemoryError) or type(exc).__name__ == "KilledWorker":
        return "worker_lost"
    if remote and isinstance(exc, OSError | TimeoutError):
        return "unreachable"
    return "other"


def _exit_with_parent(finished: threading.Event) -> None:
    """Stop the whole group (this process and its workers) when the parent closes our stdin or goes away before
    the run has finished; after the last line is sent, the parent may close it as it likes."""
    try:
        while os.read(0, 4096):  # the raw descriptor: a buffered read here could block the interpreter's exit
            pass
    finally:
        if not finished.is_set():
            if hasattr(os, "killpg") and os.getpgrp() == os.getpid():
                os.killpg(0, signal.SIGTERM)
            os._exit(3)


def _first_line() -> str:
    """The request line, read from the raw descriptor (the parent writes this one line, then nothing)."""
    data = bytearray()
    while not data.endswith(b"\n"):
        chunk = os.read(0, 1 << 16)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8")


def _send(out: TextIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def main() -> int:
    """The child: read the request from stdin, run it, write JSON lines on the protocol channel."""
    # The protocol gets stdout's descriptor; anything else printed (by us, a library, a solver or a worker)
    # goes to stderr, so that it can never be taken for a protocol line.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    remote = False
    finished = threading.Event()
    try:
        request = json.loads(_first_line())
        threading.Thread(target=_exit_with_parent, args=(finished,), name="parent-watch", daemon=True).start()
        experiment = Experiment.model_validate(request["experiment"])
        scheduler = None
        if request.get("scheduler") is not None:
            scheduler, remote = SchedulerConfig.model_validate(request["scheduler"]), True
        processes = int(request["processes"])

        def row(done: int, total: int, values: dict[str, Any]) -> None:
            _send(out, {"event": "row", "row": values})

        _, stats = run_experiment(experiment, scheduler=scheduler, processes=processes, on_result=row)
        finished.set()
        _send(out, {"event": "done", "seconds": stats.seconds, "executor": stats.executor})
        return 0
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)[-4:]
        trail = " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames))
        print(f"policy lab failed with {type(exc).__name__} at {trail}", file=sys.stderr)  # never the message
        finished.set()
        _send(out, {"event": "error", "reason": classify(exc, remote), "kind": type(exc).__name__})
        return 1


if __name__ == "__main__":
    sys.exit(main())
