"""CP-SAT on the assignment model: from a full hint, within a wall-clock limit, cancellable."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from matcher.problem import AssignmentModel

#: Non-integer values (scores, shares) are kept to this many units per score point.
SCALE = 1000.0


@dataclass(frozen=True)
class CpSatOutcome:
    choice: np.ndarray | None  # best plan found, -1 for unplaced items
    proved_optimal: bool
    proved_infeasible: bool
    bound: float  # CP-SAT's own upper bound, in model units
    cancelled: bool
    timed_out: bool
    det_time: float = 0.0  # deterministic time the search used


def _integral(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values - np.round(values)) < 1e-9)) and bool(np.all(np.abs(values) < 2**50))


def solve_cpsat(
    model: AssignmentModel,
    *,
    hint: np.ndarray | None,
    time_limit: float,
    workers: int,
    seed: int,
    cancel: threading.Event | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    parameters: dict[str, object] | None = None,
    target: float | None = None,
    deadline: float | None = None,
) -> CpSatOutcome:
    """Maximise the model exactly (up to 1/SCALE of a score point) with CP-SAT.

    ``target`` is a known upper bound (an integral LP bound, say): a plan reaching it is optimal, so the search
    stops there.
    """
    O = model.n_options
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{o}") for o in range(O)]

    # Each item takes at most one option (exactly one where it must be placed).
    for g, opts in enumerate(model.options_of()):
        lits = [x[o] for o in opts]
        if model.must_place[g]:
            m.add_exactly_one(lits)
        elif len(lits) > 1:
            m.add_at_most_one(lits)

    # Resource rows; soft rows get a slack paid in the objective.
    value_scale = 1.0 if _integral(model.opt_value) and _integral(model.penalty[np.isfinite(model.penalty)]) \
        else SCALE
    A = model.A.tocsr()
    hinted = np.zeros(O, dtype=bool)
    if hint is not None:
        hinted[hint[hint >= 0]] = True
    slack_terms: list[tuple[cp_model.IntVar, int]] = []
    started = time.monotonic()
    deadline = started + time_limit if deadline is None else deadline
    for r in range(model.n_rows):
        if r % 2000 == 0 and time.monotonic() > deadline:
            # Building a huge model in Python can outlast the budget: give up rather than overrun the clock.
            return CpSatOutcome(None, False, False, float("inf"), False, True)
        lo, hi = A.indptr[r], A.indptr[r + 1]
        cols, vals = A.indices[lo:hi], A.data[lo:hi]
        rhs = model.rhs[r]
        if not _integral(vals):
            vals, rhs = vals * SCALE, rhs * SCALE
        coefs = np.round(vals).astype(np.int64)
        rhs_i = int(np.floor(rhs + 1e-9))
        expr = cp_model.LinearExpr.weighted_sum([x[c] for c in cols], coefs.tolist())
        if np.isfinite(model.penalty[r]):
            reach = int(np.maximum(coefs, 0).sum()) - rhs_i
            if reach <= 0:
                continue
            s = m.new_int_var(0, reach, f"s{r}")
            m.add(expr <= rhs_i + s)
            if hint is not None:
                # A complete hint (slacks included) is taken as a first solution at once.
                m.add_hint(s, int(min(reach, max(0, int(coefs[hinted[cols]].sum()) - rhs_i))))
            per_unit = model.penalty[r] * value_scale / (SCALE if not _integral(A.data[lo:hi]) else 1.0)
            slack_terms.append((s, round(per_unit)))
        else:
            m.add(expr <= rhs_i)
    obj_coefs = np.round(model.opt_value * value_scale).astype(np.int64)
    m.maximize(
        cp_model.LinearExpr.weighted_sum(x, obj_coefs.tolist())
        - cp_model.LinearExpr.weighted_sum([s for s, _ in slack_terms], [w for _, w in slack_terms])
    )
    if hint is not None:
        for o in range(O):
            m.add_hint(x[o], bool(hinted[o]))

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, int(workers))
    solver.parameters.random_seed = int(seed)
    time_limit = max(0.05, deadline - time.monotonic())
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.log_search_progress = False
    for key, value in (parameters or {}).items():
        setattr(solver.parameters, key, value)

    state = {"cancelled": False, "reached": False}

    class _Progress(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            if on_solution is not None:
                on_solution(self.objective_value / value_scale, self.best_objective_bound / value_scale)
            if target is not None and self.objective_value / value_scale >= target - 1e-9:
                state["reached"] = True
                self.stop_search()

    # The wall clock is kept even if the solver overshoots its own limit, and a cancel stops the search.
    stop = threading.Event()

    def watchdog() -> None:
        deadline = time.monotonic() + time_limit + 0.5
        while not stop.wait(0.05):
            if cancel is not None and cancel.is_set():
                state["cancelled"] = True
                solver.stop_search()
                return
            if time.monotonic() > deadline:
                solver.stop_search()
                return

    guard = threading.Thread(target=watchdog, daemon=True)
    guard.start()
    try:
        status = solver.solve(m, _Progress())
    finally:
        stop.set()
        guard.join()

    choice = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        xv = np.fromiter((solver.boolean_value(v) for v in x), dtype=bool, count=O)
        choice = np.full(model.n_items, -1, dtype=np.int64)
        picked = np.nonzero(xv)[0]
        choice[model.opt_item[picked]] = picked
    return CpSatOutcome(
        choice=choice,
        proved_optimal=status == cp_model.OPTIMAL or (choice is not None and state["reached"]),
        proved_infeasible=status == cp_model.INFEASIBLE,
        # A search stopped before it had any solution or proof says nothing about the bound.
        bound=float(solver.best_objective_bound) / value_scale if status != cp_model.UNKNOWN else float("inf"),
        cancelled=state["cancelled"],
        timed_out=status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) and not state["cancelled"],
        det_time=float(solver.deterministic_time),
    )
