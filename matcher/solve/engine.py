"""The engine's entry points: ``solve_model`` on the low-level model, ``solve`` on a placement problem."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from matcher.models import Status
from matcher.problem import AssignmentModel
from matcher.solve.cpsat import solve_cpsat
from matcher.solve.heuristic import greedy_plan
from matcher.solve.lp import LPResult, solve_lp


@dataclass(frozen=True)
class Progress:
    """What a long solve reports: the stage, a rough fraction done, and the best plan's value so far."""

    stage: str  # "lp", "first plan", "improving", "done"
    fraction: float
    objective: float | None = None
    bound: float | None = None
    seconds: float = 0.0


@dataclass
class SolveParams:
    """How to solve; ``None`` takes the policy's setting (or the default for the low-level model)."""

    time_limit: float | None = None
    seed: int | None = None
    workers: int | None = None
    on_progress: Callable[[Progress], None] | None = None
    cancel: threading.Event | None = None
    hint: np.ndarray | None = None  # a plan (option per item) to start from
    #: Same plan for the same seed and worker count: CP-SAT interleaves its workers and stops on a deterministic
    #: time budget (DET_PER_SECOND units per second of the limit); the wall-clock limit still holds, and a run
    #: that it cuts short (a very loaded machine) may differ.
    deterministic: bool = True


#: CP-SAT deterministic time units granted per second of wall-clock limit, measured on a 2-core machine so
#: that the deterministic budget normally ends first (benchmarks/README.md).
DET_PER_SECOND = 0.3


@dataclass
class ModelSolution:
    status: Status
    choice: np.ndarray  # option per item, -1 for none
    objective: float
    bound: float  # LP bound: independent of the search
    solver_bound: float
    seconds: float
    lp: LPResult
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        return relative_gap(self.bound, self.objective)


def relative_gap(bound: float, objective: float) -> float:
    """``(bound - objective) / |bound|``, 0 when both are 0, never below 0."""
    if not np.isfinite(bound):
        return float("inf")
    denom = max(abs(bound), 1e-9)
    return max(0.0, (bound - objective) / denom)


def solve_model(
    model: AssignmentModel,
    params: SolveParams | None = None,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int = 2,
) -> ModelSolution:
    """LP bound, LP-guided first plan, then CP-SAT from that hint within the time limit."""
    params = params or SolveParams()
    time_limit = params.time_limit if params.time_limit is not None else time_limit
    seed = params.seed if params.seed is not None else seed
    workers = params.workers if params.workers is not None else workers
    t0 = time.monotonic()
    report = params.on_progress or (lambda p: None)

    def elapsed() -> float:
        return time.monotonic() - t0

    report(Progress("lp", 0.02, seconds=elapsed()))
    lp = solve_lp(model, time_limit=max(1.0, time_limit))
    stats = {"lp_seconds": elapsed()}
    lp_bound = lp.bound if lp.ok else float("inf")
    report(Progress("first plan", 0.1, bound=lp_bound, seconds=elapsed()))
    first = greedy_plan(model, lp.x if lp.ok else None, lp.row_duals if lp.ok else None, params.hint)
    first_ok = not (model.must_place & (first < 0)).any()
    first_obj = model.evaluate(first)[0]
    stats["first_plan_seconds"] = elapsed() - stats["lp_seconds"]
    stats["first_plan_objective"] = first_obj
    report(Progress("improving", 0.15, objective=first_obj if first_ok else None, bound=lp_bound,
                    seconds=elapsed()))

    if lp.infeasible:
        return ModelSolution(Status.INFEASIBLE, np.full(model.n_items, -1), float("nan"), lp_bound, lp_bound,
                             elapsed(), lp, stats)
    remaining = time_limit - elapsed()
    best, best_obj = (first, first_obj) if first_ok else (None, -np.inf)
    status = Status.FEASIBLE if first_ok else Status.TIMEOUT
    solver_bound = lp_bound
    if params.cancel is not None and params.cancel.is_set():
        status = Status.CANCELLED
    elif remaining > 0.05 and model.n_options:
        budget = remaining

        def on_solution(obj: float, bnd: float) -> None:
            frac = 0.15 + 0.85 * min(1.0, elapsed() / max(time_limit, 1e-9))
            report(Progress("improving", frac, objective=obj, bound=min(bnd, lp_bound), seconds=elapsed()))

        extra: dict[str, object] = {}
        if params.deterministic:
            extra = {"interleave_search": True, "max_deterministic_time": max(0.05, budget * DET_PER_SECOND)}
        out = solve_cpsat(model, hint=best if best is not None else first, time_limit=budget, workers=workers,
                          seed=seed, cancel=params.cancel, on_solution=on_solution, parameters=extra)
        stats["cpsat_seconds"] = elapsed() - stats["lp_seconds"] - stats["first_plan_seconds"]
        solver_bound = min(lp_bound, out.bound)
        if out.choice is not None:
            obj = model.evaluate(out.choice)[0]
            if len(model.hard_violations(out.choice)) == 0 and obj >= best_obj - 1e-9:
                best, best_obj = out.choice, obj
        if out.proved_infeasible:
            status = Status.INFEASIBLE
        elif out.cancelled:
            status = Status.CANCELLED
        elif out.proved_optimal and best is not None:
            status = Status.OPTIMAL
        elif best is not None:
            status = Status.FEASIBLE
        else:
            status = Status.TIMEOUT
    elif model.n_options == 0 and first_ok:
        status = Status.OPTIMAL
    if best is None:
        best = np.full(model.n_items, -1, dtype=np.int64)
        best_obj = float("nan")
    if status is Status.OPTIMAL:
        solver_bound = best_obj
    report(Progress("done", 1.0, objective=best_obj, bound=lp_bound, seconds=elapsed()))
    return ModelSolution(status, best, float(best_obj), lp_bound, float(solver_bound), elapsed(), lp, stats)
