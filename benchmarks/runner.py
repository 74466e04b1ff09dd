"""Run tasks in one worker process per solver, with a wall-clock kill and peak memory of the process tree."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE_MB
        except (OSError, IndexError, ValueError):
            continue
        stack += _children(p)
    return total


class Worker:
    """A long-lived ``python -m benchmarks.worker SOLVER`` process; restarted after a kill."""

    def __init__(self, solver: str, startup_timeout: float = 120.0, setup_timeout: float = 600.0) -> None:
        self.solver = solver
        self.startup_timeout = startup_timeout
        self.setup_timeout = setup_timeout  # for a task's untimed set-up (generating a placement instance)
        self.proc: subprocess.Popen[bytes] | None = None
        self._buf = b""

    def _start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker", self.solver], cwd=str(ROOT), env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        self._buf = b""
        ready = self._read_line(self.startup_timeout, sample=False)
        if ready is None or "ready" not in ready:
            self.close()
            raise RuntimeError(f"worker for {self.solver} did not start")

    def _read_line(self, timeout: float, sample: bool = True) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        self.sampled_peak = 0.0
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], min(left, 0.1))
            if sample:
                self.sampled_peak = max(self.sampled_peak, tree_rss_mb(self.proc.pid))
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return None  # the worker died
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def run(self, task: dict[str, Any], wall_limit: float) -> dict[str, Any]:
        """Send one task; kill the worker (and its children) if no answer comes within ``wall_limit`` seconds of
        the start of its timed part (the worker says when: after generating a placement instance, which is not
        timed and has ``setup_timeout``)."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        t0 = time.monotonic()
        self.proc.stdin.write((json.dumps(task) + "\n").encode())
        self.proc.stdin.flush()
        row = self._read_line(self.setup_timeout, sample=False)
        limit, what = self.setup_timeout, "set-up"
        if row is not None and row.get("clock") == "start":
            t0 = time.monotonic()
            row = self._read_line(wall_limit)
            limit, what = wall_limit, "wall clock"
        wall = time.monotonic() - t0
        sampled = self.sampled_peak
        if row is None:
            died = self.proc.poll() is not None
            self.close()
            row = {"status": "crashed" if died else "killed", "objective": None, "bound": None, "seconds": wall,
                   "error": "worker died" if died else f"no answer within {limit:.1f} s of {what}"}
        row["wall_seconds"] = wall
        peaks = [p for p in (row.get("peak_rss_mb"), sampled) if p]
        row["peak_rss_mb"] = max(peaks) if peaks else None
        return row

    def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None


class Pool:
    """One worker per solver, created on first use; tasks run one at a time (the machine's cores are shared)."""

    def __init__(self) -> None:
        self.workers: dict[str, Worker] = {}

    def run(self, solver: str, task: dict[str, Any], wall_limit: float) -> dict[str, Any]:
        if solver not in self.workers:
            self.workers[solver] = Worker(solver)
        try:
            return self.workers[solver].run(task, wall_limit)
        except RuntimeError as exc:
            return {"status": "error", "objective": None, "bound": None, "seconds": None, "error": str(exc),
                    "peak_rss_mb": None}

    def close(self) -> None:
        for w in self.workers.values():
            w.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def grace(time_limit: float) -> float:
    """How long past its limit a solver may take before it is killed (result checks, process teardown)."""
    return max(3.0, 0.25 * time_limit)
