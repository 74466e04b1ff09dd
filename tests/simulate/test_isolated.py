"""The lab's child process: no store in its environment or its imports, plain JSON back (no unpickling in the
app's process), workers that never import the app's script, cancel that stops every process, clear failures."""

from __future__ import annotations

import json
import multiprocessing.reduction
import os
import pickle
import signal
import subprocess
import sys
import types
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from matcher.simulate import Experiment, SimulationError, run_experiment
from matcher.simulate.isolated import FAILURE_REASONS, LabProcess, ProtocolError, child_environment, classify
from matcher.simulate.metrics import METRICS

EXP = Experiment(name="tiny", seed=5, replications=2, families_per_year=30, territory={"communes": 6},
                 engine={"time_limit": 0.5}, dynamic={"samples": 1})
MACHINE = ["seconds"]
SECRETS = {"MATCHER_DATABASE_URL": "postgresql://app:hunter2@127.0.0.1/matcher", "MATCHER_DATA_DIR": "/srv/records",
           "MATCHER_AUTH": "on", "PGPASSWORD": "hunter2", "AWS_SECRET_ACCESS_KEY": "k", "HMAC_KEY_FILE": "/k",
           "STREAMLIT_SERVER_COOKIE_SECRET": "s", "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": "/k.pem",
           "SERVICE_TOKEN": "t", "REDIS_URL": "redis://:pw@h"}


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """The tiny experiment's metrics computed in this process."""
    return run_experiment(EXP, processes=1)[0]


def _live_in_group(pgid: int) -> list[int]:
    """Processes of a process group that are not zombies (Linux /proc)."""
    live = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            live.append(int(entry.name))
    return live


def test_child_environment_keeps_no_store_and_no_secret() -> None:
    """The store's URL and folder, login settings and anything named like a credential are dropped."""
    env = child_environment({**SECRETS, "PATH": "/usr/bin", "LANG": "fr_FR.UTF-8", "LC_ALL": "C",
                             "OMP_NUM_THREADS": "1", "NUMPY_MADVISE_HUGEPAGE": "0", "DASK_CONFIG": "/etc/dask"})
    assert not set(SECRETS) & set(env)
    assert {"PATH", "LANG", "LC_ALL", "OMP_NUM_THREADS", "NUMPY_MADVISE_HUGEPAGE", "DASK_CONFIG"} <= set(env)
    assert not any("hunter2" in v for v in env.values())
    assert Path(env["PYTHONPATH"].split(os.pathsep)[0], "matcher", "__init__.py").exists()


def test_app_process_never_unpickles_and_child_has_no_store_url(
        monkeypatch: pytest.MonkeyPatch, reference: pd.DataFrame) -> None:
    """Two local processes from the app's path: the child's environment carries no store URL or secret, this
    process never unpickles (pickle and multiprocessing's loaders raise here) and the rows are exact."""
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the app's process unpickled something")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(multiprocessing.reduction.ForkingPickler, "loads", refuse)
    job = LabProcess(EXP, processes=2).start()
    assert job.pid is not None
    environ = Path(f"/proc/{job.pid}/environ")
    if environ.exists():  # Linux: the child's actual environment
        seen = dict(item.split("=", 1) for item in environ.read_text().split("\0") if "=" in item)
        assert not set(SECRETS) & set(seen)
        assert "MATCHER_DATABASE_URL" not in seen and "MATCHER_DATA_DIR" not in seen
    assert job.wait(300), "the lab did not finish"
    assert job.failure is None and job.metrics is not None and job.stats is not None
    assert job.stats.executor == "local pool of 2 processes"
    assert multiprocessing.active_children() == []  # the pool belonged to the child, not to this process
    pd.testing.assert_frame_equal(job.metrics.drop(columns=MACHINE), reference.drop(columns=MACHINE))


def test_workers_never_import_the_app_script(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Streamlit makes the app's script the `__main__` module; spawned workers re-imported it and crashed
    (issue 29). From the lab's child they never see it: the script is not run and the lab completes."""
    marker = tmp_path / "imported"
    script = tmp_path / "app.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit('the app was imported')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    small = EXP.model_copy(update={"replications": 1, "policies": ("greedy", "random", "proportional")})
    job = LabProcess(small, processes=2).start()
    assert job.wait(300) and job.failure is None and job.metrics is not None and len(job.metrics) == 3
    assert not marker.exists()


def test_child_imports_neither_store_nor_app(tmp_path: Path) -> None:
    """The child's code, run to completion with a local pool, never imports the store, the app or Streamlit."""
    probe = ("import sys\nfrom matcher.simulate import isolated\ncode = isolated.main()\n"
             "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('ui', 'streamlit', 'sqlalchemy', 'psycopg')"
             " or m.startswith(('matcher.store', 'matcher.auth')))\n"
             "print('IMPORTED', bad, file=sys.stderr)\nsys.exit(code)\n")
    request = {"experiment": EXP.model_copy(update={"replications": 1}).model_dump(mode="json"), "processes": 2,
               "scheduler": None}
    proc = subprocess.Popen([sys.executable, "-P", "-c", probe], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=child_environment(os.environ), cwd=tmp_path)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(json.dumps(request) + "\n")
    proc.stdin.flush()
    events = [json.loads(line) for line in proc.stdout]  # stdin stays open until the child is done
    proc.stdin.close()
    err = proc.stderr.read()
    assert proc.wait(60) == 0, err
    assert [e["event"] for e in events] == ["row"] * len(EXP.policies) + ["done"]
    assert "IMPORTED []" in err


def test_cancel_stops_the_child_and_its_workers(tmp_path: Path) -> None:
    """Cancel terminates the child's whole process group at once; the rows done so far are kept."""
    long = Experiment(name="long", seed=1, replications=20, families_per_year=300, policies=("optimal", "dynamic"),
                      territory={"communes": 30}, engine={"time_limit": 5.0})
    job = LabProcess(long, processes=2).start()
    assert job.pid is not None
    try:
        # Wait until the pool's workers exist, so that the cancel has grandchildren to stop.
        for _ in range(600):
            if len(_live_in_group(job.pid)) >= 3 or not job.running:
                break
            job.wait(0.1)
        assert job.running
        job.cancel()
        assert job.wait(30)
    finally:
        if job.running:
            os.killpg(job.pid, signal.SIGKILL)
    assert job.cancelled and job.failure is None and job.metrics is None and job.done < job.total
    for _ in range(50):  # the workers are being reaped
        if not _live_in_group(job.pid):
            break
        job.wait(0.1)
    assert _live_in_group(job.pid) == []


def test_child_stops_when_its_parent_goes_away() -> None:
    """When the app's end of the pipe closes mid-run (the server gone), the child stops its workers and itself."""
    long = Experiment(name="long", seed=2, replications=20, families_per_year=300, policies=("optimal", "dynamic"),
                      territory={"communes": 30}, engine={"time_limit": 5.0})
    job = LabProcess(long, processes=2).start()
    assert job.pid is not None and job._proc is not None and job._proc.stdin is not None
    try:
        for _ in range(600):
            if len(_live_in_group(job.pid)) >= 3 or not job.running:
                break
            job.wait(0.1)
        job._proc.stdin.close()  # what the parent's death does to the pipe
        assert job.wait(30)
    finally:
        if job.running:
            os.killpg(job.pid, signal.SIGKILL)
    assert job.failure is not None and job.metrics is None
    for _ in range(50):
        if not _live_in_group(job.pid):
            break
        job.wait(0.1)
    assert _live_in_group(job.pid) == []


def test_killed_child_is_a_failure_with_a_reason() -> None:
    """A child killed from outside (as by the kernel when memory runs out) ends as `worker_lost`, not a hang."""
    job = LabProcess(EXP, processes=1).start()
    assert job.pid is not None
    os.killpg(job.pid, signal.SIGKILL)
    assert job.wait(30)
    assert job.failure is not None and job.failure.reason == "worker_lost" and job.metrics is None


@pytest.mark.parametrize("message", [
    {"event": "row", "row": {"policy": "greedy", "replication": 0}},                      # columns missing
    {"event": "row", "row": {"policy": "evil", "replication": 0, **dict.fromkeys(METRICS, 1)}},
    {"event": "row", "row": {"policy": "greedy", "replication": 99, **dict.fromkeys(METRICS, 1)}},
    {"event": "row", "row": {"policy": "greedy", "replication": 0, **dict.fromkeys(METRICS, "![x](http://h/)")}},
    {"event": "row", "row": {"policy": "greedy", "replication": 0, "extra": 1, **dict.fromkeys(METRICS, 1)}},
    {"event": "done", "seconds": "soon", "executor": "x"},
    {"event": "done", "seconds": 1.0, "executor": "x" * 500},
    {"event": "exec", "code": "print(1)"},
    ["row"],
])
def test_parent_accepts_only_plain_rows_of_the_experiment(message: Any) -> None:
    """Lines from the child are checked: the experiment's policies and replications, numbers, known events."""
    job = LabProcess(EXP, processes=1)
    with pytest.raises(ProtocolError):
        job._receive(message)
    assert job.rows == []


def test_child_error_is_kept_as_a_known_reason() -> None:
    """An error line keeps a known reason and a class name; anything else becomes 'other' and 'Error'."""
    job = LabProcess(EXP, processes=1)
    job._receive({"event": "error", "reason": "tls", "kind": "FatalCommClosedError"})
    assert (job.failure.reason, job.failure.kind) == ("tls", "FatalCommClosedError")  # type: ignore[union-attr]
    job._receive({"event": "error", "reason": "![x](http://h/p.png)", "kind": "a kind with spaces"})
    assert (job.failure.reason, job.failure.kind) == ("other", "Error")  # type: ignore[union-attr]


@pytest.mark.parametrize(("exc", "remote", "reason"), [
    (SimulationError("greedy broke hard rules"), False, "rule_broken"),
    (BrokenProcessPool("a worker died"), False, "worker_lost"),
    (MemoryError(), False, "worker_lost"),
    (OSError("Timed out trying to connect"), True, "unreachable"),
    (TimeoutError(), True, "unreachable"),
    (OSError("too many open files"), False, "other"),
    (ValueError("x"), True, "other"),
])
def test_failures_are_classified(exc: BaseException, remote: bool, reason: str) -> None:
    """Each kind of failure maps to the reason the page explains."""
    assert classify(exc, remote) == reason and reason in FAILURE_REASONS


def test_tls_cause_is_classified() -> None:
    """A connection error caused by a TLS failure is reported as TLS, not as an unreachable scheduler."""
    import ssl

    try:
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed")
        except ssl.SSLError as inner:
            raise OSError("TLS certificate does not match") from inner
    except OSError as exc:
        assert classify(exc, remote=True) == "tls"
