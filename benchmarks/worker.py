"""One solver's worker process: reads tasks (JSON lines) on stdin, answers one JSON line per task.

``python -m benchmarks.worker SOLVER``. The solver's packages are imported at start-up, before any clock runs, so
that a task's seconds are the same whether it is the first or the hundredth. Anything the solvers print goes to
stderr; the protocol has the original stdout to itself. Peak memory per task: the kernel's high-water mark
(``VmHWM``) is reset before each task by writing 5 to ``/proc/self/clear_refs``; the parent also samples the
whole process tree, which covers solvers that run as child processes (CBC).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np


def peak_rss_mb() -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _num(v: Any) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def run_task(task: dict[str, Any], solve: Any, start_clock: Callable[[], None] = lambda: None) -> dict[str, Any]:
    """One task; `start_clock()` is called once its timed part starts (after generating a placement instance,
    which is not timed), so that the parent's wall-clock limit starts there too."""
    from benchmarks import gap, modelio

    if task["kind"] == "sleep":  # for the runner's tests: untimed set-up, then a solver that overruns
        time.sleep(float(task.get("setup", 0.0)))
        start_clock()
        t0 = time.monotonic()
        time.sleep(float(task["seconds"]))
        return {"status": "slept", "objective": None, "bound": None, "seconds": time.monotonic() - t0}
    if task["kind"] != "placement":
        start_clock()
    t0 = time.monotonic()
    limit = float(task["time_limit"])
    sense = task.get("sense", "max")
    inst = None
    if task["kind"] == "gap":
        from pathlib import Path

        inst = gap.read_gap(task["path"], Path(task["data"]) if task.get("data") else None)
        model = gap.to_model(inst, sense)
    elif task["kind"] == "placement":
        from benchmarks.placement import instance_dataset
        from matcher.models import Policy
        from matcher.problem import build_problem

        dataset = instance_dataset(task["tier"], int(task["instance_seed"]), task["instance"])
        start_clock()
        t0 = time.monotonic()  # generating the instance is not counted: building the problem is
        model = build_problem(dataset, Policy()).model  # only the model is kept, as for a file
        del dataset
    else:
        model = modelio.load_model(task["npz"])
    load_seconds = time.monotonic() - t0
    if task.get("relax"):
        from benchmarks.peers.highs import solve as highs_solve

        lp = highs_solve(model, time_limit=limit, workers=int(task["workers"]), seed=0, relax=True)
        return {"status": lp.status, "objective": None, "bound": lp.bound, "seconds": time.monotonic() - t0}
    # Every solver gets what is left of the same wall-clock budget after reading and building.
    out = solve(model, time_limit=max(0.01, limit - load_seconds), workers=int(task["workers"]),
                seed=int(task["seed"]))
    seconds = time.monotonic() - t0
    row: dict[str, Any] = {"status": out.status, "objective": None, "bound": None, "seconds": seconds,
                           "load_seconds": load_seconds, "n_items": model.n_items, "n_bins": model.n_bins,
                           "n_options": model.n_options, "n_rows": model.n_rows, "stats": out.stats}
    if task["kind"] == "placement":
        row["build_seconds"] = load_seconds
    sign = -1.0 if sense == "min" else 1.0  # model value -> the instance's own sense
    if out.choice is not None:
        value, _ = model.evaluate(out.choice)
        bad = len(model.hard_violations(out.choice)) > 0 or bool((model.must_place & (out.choice < 0)).any())
        if inst is not None and not bad:
            agent = np.where(out.choice >= 0, model.opt_bin[np.maximum(out.choice, 0)], -1)
            bad = not inst.feasible(agent)
            value_check = inst.value(agent)
            if abs(value_check - sign * value) > 1e-6:
                bad = True
        if bad:
            row["status"] = "invalid"
        else:
            row["objective"] = sign * value
            row["placed"] = int((out.choice >= 0).sum())
    bound = out.bound
    if out.status == "optimal" and row["objective"] is not None:
        model_obj = sign * row["objective"]
        bound = model_obj if bound is None else bound
    if bound is not None and np.isfinite(bound):
        row["bound"] = sign * bound
    if "lp_bound" in out.stats and out.stats["lp_bound"] is not None:
        row["lp_bound"] = sign * out.stats["lp_bound"]
    row["objective"] = _num(row["objective"])
    row["bound"] = _num(row["bound"])
    return row


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    name = argv[0]
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # solver chatter on fd 1 goes to stderr
    sys.stdout = sys.stderr
    from benchmarks import peers

    solve = peers.load(name)
    import matcher.problem  # noqa: F401  (the model class, imported before any clock runs)

    proto.write(json.dumps({"ready": name, "pid": os.getpid()}) + "\n")

    def start_clock() -> None:
        # A task's timed part starts: the parent's wall-clock limit and the memory high-water mark start here.
        reset_peak()
        proto.write(json.dumps({"clock": "start"}) + "\n")

    for line in sys.stdin:
        if not line.strip():
            continue
        task = json.loads(line)
        reset_peak()
        try:
            row = run_task(task, solve, start_clock)
        except Exception as exc:  # one bad task must not end the worker's other tasks
            row = {"status": "error", "objective": None, "bound": None, "seconds": None,
                   "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(limit=5)}
        row["peak_rss_mb"] = peak_rss_mb()
        proto.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
