"""CP-SAT on the assignment model: from a full hint, within a wall-clock limit, cancellable."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from matcher.engine.model import AssignmentModel

#: Non-integer values (scores, shares) are kept to this many units per score point.
SCALE = 1000.0
INT_MIN = -(2**63)

#: CP-SAT settings for a proof on a model whose values are scaled (placement scores): with CP-SAT's defaults the
#: optimum of the flat weighted model (tier S) was found late and rarely proved in the time; with these it is
#: found and proved within the usual limits (benchmarks/README.md says how to rerun the comparison).
#: - The presolve's "big linear overlap" rewriting took most of the presolve and slowed the search after.
#: - Linearisation level 2 puts the constraints that presolve derives from the placement rows (enforced linear
#:   rows, clauses) in the LP: the bound meets the optimum early in the search.
#: - A gap of one unit of 1/SCALE of a score point ends the search as optimal: the values are rounded to that unit
#:   option by option, so the last unit is below the model's precision (closing it took over half the time).
#: The GAP instances (whole values) keep the defaults: level 2 gave larger gaps there. So do the two-phase
#: searches of tiers M and L, where no proof is in reach: these settings made their plans slightly worse.
SCALED_PARAMETERS: dict[str, object] = {
    "find_big_linear_overlap": False,
    "linearization_level": 2,
    "absolute_gap_limit": 1.0,
}


#: Seconds past its time limit after which a search is stopped from outside (CP-SAT checks its own limit between
#: steps of its presolve and search; on large models a step can run over by tenths of a second).
WATCHDOG_GRACE = 0.05


@dataclass(frozen=True)
class CpSatOutcome:
    choice: np.ndarray | None  # best plan found, -1 for unplaced items
    proved_optimal: bool
    proved_infeasible: bool
    bound: float  # CP-SAT's own upper bound, in model units
    cancelled: bool
    timed_out: bool
    det_time: float = 0.0  # deterministic time the search used
    objective: float = float("-inf")  # the plan's value as the search saw it (scaled values rounded)
    #: The proof is exact: no plan is better in the rounded values (a proof within the gap limit is not).
    exact: bool = False
    #: The wall clock ended the search (or its model building) before its own end (a proof, its deterministic
    #: budget, a halt): where it stopped depends on the machine, so another run may return another plan.
    clock_cut: bool = False


def _integral(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values - np.round(values)) < 1e-9)) and bool(np.all(np.abs(values) < 2**50))


@dataclass(frozen=True)
class CpBuild:
    """The CP-SAT model of an assignment model (with its hint and objective bounds), built once and shareable by
    searches that differ only in their parameters (a portfolio's workers: 64 of them once built 64 copies)."""

    cp: cp_model.CpModel
    value_scale: float


def build_cpsat(model: AssignmentModel, *, hint: np.ndarray | None, deadline: float = float("inf"),
                improve_on_hint: bool = False, at_least: float | None = None) -> CpBuild | None:
    """The CP-SAT model of `model` (see `solve_cpsat`); None when `deadline` (``time.monotonic()``) passes while
    it is built."""
    O = model.n_options
    # The model is written straight into CP-SAT's proto from the arrays: variables 0..O-1 are the options, then
    # one slack per soft row (building it through the expression API took longer than the search at scale).
    m = cp_model.CpModel()
    proto = m.proto
    for _ in range(O):
        proto.variables.add().domain.extend((0, 1))

    # Each item takes at most one option (exactly one where it must be placed).
    for g, opts in enumerate(model.options_of()):
        if model.must_place[g]:
            proto.constraints.add().exactly_one.literals.extend(opts.tolist())
        elif len(opts) > 1:
            proto.constraints.add().at_most_one.literals.extend(opts.tolist())

    # Resource rows; soft rows get a slack paid in the objective.
    value_scale = 1.0 if _integral(model.opt_value) and _integral(model.penalty[np.isfinite(model.penalty)]) \
        else SCALE
    A = model.A.tocsr()
    hinted = np.zeros(O, dtype=bool)
    if hint is not None:
        hinted[hint[hint >= 0]] = True
    slack_vars: list[int] = []
    slack_costs: list[int] = []
    slack_hints: list[int] = []
    for r in range(model.n_rows):
        if r % 2000 == 0 and time.monotonic() > deadline:
            # Building a huge model can outlast the budget: give up rather than overrun the clock.
            return None
        lo, hi = A.indptr[r], A.indptr[r + 1]
        cols, vals = A.indices[lo:hi], A.data[lo:hi]
        rhs = model.rhs[r]
        scaled = not _integral(vals)
        if scaled:
            vals, rhs = vals * SCALE, rhs * SCALE
        coefs = np.round(vals).astype(np.int64)
        rhs_i = int(np.floor(rhs + 1e-9))
        row_vars, row_coefs = cols.tolist(), coefs.tolist()
        if np.isfinite(model.penalty[r]):
            reach = int(np.maximum(coefs, 0).sum()) - rhs_i
            if reach <= 0:
                continue
            s = len(proto.variables)
            proto.variables.add().domain.extend((0, reach))
            row_vars.append(s)
            row_coefs.append(-1)
            slack_vars.append(s)
            slack_costs.append(round(model.penalty[r] * value_scale / (SCALE if scaled else 1.0)))
            # A complete hint (slacks included) is taken as a first solution at once.
            slack_hints.append(int(min(reach, max(0, int(coefs[hinted[cols]].sum()) - rhs_i))))
        linear = proto.constraints.add().linear
        linear.vars.extend(row_vars)
        linear.coeffs.extend(row_coefs)
        linear.domain.extend((INT_MIN, rhs_i))
    # CP-SAT minimises: the objective is stored negated with a scaling factor of -1.
    obj_coefs = np.round(model.opt_value * value_scale).astype(np.int64)
    objective = proto.objective
    objective.vars.extend(list(range(O)) + slack_vars)
    objective.coeffs.extend((-obj_coefs).tolist() + slack_costs)
    objective.scaling_factor = -1.0
    if hint is not None and improve_on_hint:
        # CP-SAT minimises the stored sum: strictly below the hint's (all integers here).
        hinted_sum = -int(obj_coefs[hinted].sum()) + sum(c * h for c, h in zip(slack_costs, slack_hints, strict=True))
        objective.domain.extend((INT_MIN, hinted_sum - 1))
    if at_least is not None:
        # Plans worth at least this only (CP-SAT minimises the negated, scaled sum).
        objective.domain.extend((INT_MIN, -int(np.ceil(at_least * value_scale - 1e-6))))
    if hint is not None:
        proto.solution_hint.vars.extend(list(range(O)) + slack_vars)
        proto.solution_hint.values.extend(hinted.astype(np.int64).tolist() + slack_hints)

    return CpBuild(m, value_scale)


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
    improve_on_hint: bool = False,
    proved_elsewhere: Callable[[], float | None] | None = None,
    halt: threading.Event | None = None,
    proving: bool = False,
    at_least: float | None = None,
    built: CpBuild | None = None,
) -> CpSatOutcome:
    """Maximise the model with CP-SAT: exactly for whole values; fractional values are rounded option by option to
    1/SCALE of a score point, and a proof then holds to within one such unit.

    ``target`` is a known upper bound (an integral LP bound, say): a plan reaching it is optimal, so the search
    stops there. ``improve_on_hint`` asks for plans strictly better than the (complete) hint only: the search
    then ends proved infeasible when there is none. ``proved_elsewhere`` returns the optimum once another search
    of the same model has proved it exactly (else None): this search then stops as soon as its plan reaches it,
    with the plan it would have ended with anyway (the first at the optimum: a search reports improving plans
    only).
    ``halt`` ends the search as the time limit would (``cancel`` ends it as cancelled by the user). ``proving``
    says a proof is in reach (a model solved whole, not in two phases): scaled models then get SCALED_PARAMETERS.
    ``built`` is the model already built by `build_cpsat` with the same hint and bounds (shared, read only).
    """
    started = time.monotonic()
    deadline = started + time_limit if deadline is None else deadline
    if built is None:
        built = build_cpsat(model, hint=hint, deadline=deadline, improve_on_hint=improve_on_hint, at_least=at_least)
    if built is None or time.monotonic() >= deadline:
        return CpSatOutcome(None, False, False, float("inf"), False, True, clock_cut=True)
    time_limit = max(0.05, deadline - time.monotonic())
    solver = _solver(workers, seed, time_limit, proving and built.value_scale != 1.0, parameters)
    watch = _Watch(solver, time_limit, built.value_scale, cancel=cancel, halt=halt, target=target,
                   proved_elsewhere=proved_elsewhere, on_solution=on_solution)
    status = watch.solve(built.cp)
    return _outcome(model, solver, status, watch, time_limit, halt)


def _solver(workers: int, seed: int, time_limit: float, scaled_proof: bool,
            parameters: dict[str, object] | None) -> cp_model.CpSolver:
    """A CP-SAT solver with its workers, seed and time limit, SCALED_PARAMETERS for a proof on scaled values,
    then the caller's `parameters`."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, int(workers))
    solver.parameters.random_seed = int(seed)
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.log_search_progress = False
    if scaled_proof:
        for key, value in SCALED_PARAMETERS.items():
            setattr(solver.parameters, key, value)
    for key, value in (parameters or {}).items():
        setattr(solver.parameters, key, value)
    return solver


class _Watch:
    """A search watched from outside: the wall clock is kept even if the solver overshoots its own limit, and a
    cancel, a halt or a plan reaching a known bound (or an optimum proved elsewhere) stops it."""

    def __init__(self, solver: cp_model.CpSolver, time_limit: float, value_scale: float, *,
                 cancel: threading.Event | None, halt: threading.Event | None, target: float | None,
                 proved_elsewhere: Callable[[], float | None] | None,
                 on_solution: Callable[[float, float], None] | None) -> None:
        self.solver, self.time_limit, self.value_scale = solver, time_limit, value_scale
        self.cancel, self.halt, self.target = cancel, halt, target
        self.proved_elsewhere, self.on_solution = proved_elsewhere, on_solution
        self.cancelled = False  # by the user
        self.reached = False  # a plan reached the known bound, or the optimum proved elsewhere
        self.clock = False  # stopped by the watchdog's clock
        self.best = float("-inf")  # the value of the last plan found

    def reaches(self, value: float) -> bool:
        """Whether a plan of this value reaches the known bound or an optimum proved elsewhere, whichever is
        lower."""
        elsewhere = self.proved_elsewhere() if self.proved_elsewhere is not None else None
        goals = [g for g in (self.target, elsewhere) if g is not None]
        return bool(goals) and value >= min(goals) - 1e-9

    def solve(self, cp: cp_model.CpModel) -> cp_model.CpSolverStatus:
        """Run the search with the watchdog beside it; CP-SAT's status."""
        stop = threading.Event()
        guard = threading.Thread(target=self._watchdog, args=(stop,), daemon=True)
        guard.start()
        try:
            return self.solver.solve(cp, _OnSolution(self))
        finally:
            stop.set()
            guard.join()

    def _watchdog(self, stop: threading.Event) -> None:
        deadline = time.monotonic() + self.time_limit + WATCHDOG_GRACE
        while not stop.wait(0.05):
            if self.cancel is not None and self.cancel.is_set():
                self.cancelled = True
                self.solver.stop_search()
                return
            if time.monotonic() > deadline:
                self.clock = True
                self.solver.stop_search()
                return
            if self.halt is not None and self.halt.is_set():
                self.solver.stop_search()
                return
            if self.proved_elsewhere is not None and self.reaches(self.best):
                self.reached = True
                self.solver.stop_search()
                return


class _OnSolution(cp_model.CpSolverSolutionCallback):
    """Each plan found: its value to the watch and the caller, and a stop once it reaches the known bound."""

    def __init__(self, watch: _Watch) -> None:
        super().__init__()
        self.watch = watch

    def on_solution_callback(self) -> None:
        watch = self.watch
        value = self.objective_value / watch.value_scale
        watch.best = value
        if watch.on_solution is not None:
            watch.on_solution(value, self.best_objective_bound / watch.value_scale)
        if watch.reaches(value):
            watch.reached = True
            self.stop_search()


def _outcome(model: AssignmentModel, solver: cp_model.CpSolver, status: cp_model.CpSolverStatus, watch: _Watch,
             time_limit: float, halt: threading.Event | None) -> CpSatOutcome:
    """The search's plan on the model's options, its proofs and bound, and whether the clock cut it."""
    value_scale = watch.value_scale
    finished = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
    stopped = watch.cancelled or watch.reached or (halt is not None and halt.is_set())
    clock_cut = not finished and not stopped and (watch.clock or solver.wall_time >= time_limit - 0.01)
    choice = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        xv = np.asarray(list(solver.response_proto.solution), dtype=np.int64)[: model.n_options] > 0
        choice = np.full(model.n_items, -1, dtype=np.int64)
        picked = np.nonzero(xv)[0]
        choice[model.opt_item[picked]] = picked
    return CpSatOutcome(
        choice=choice,
        proved_optimal=status == cp_model.OPTIMAL or (choice is not None and watch.reached),
        proved_infeasible=status == cp_model.INFEASIBLE,
        # A search stopped before it had any solution or proof says nothing about the bound.
        bound=float(solver.best_objective_bound) / value_scale if status != cp_model.UNKNOWN else float("inf"),
        cancelled=watch.cancelled,
        timed_out=status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) and not watch.cancelled,
        det_time=float(solver.deterministic_time),
        objective=float(solver.objective_value) / value_scale if choice is not None else float("-inf"),
        exact=choice is not None and (watch.reached or (
            status == cp_model.OPTIMAL and abs(solver.best_objective_bound - solver.objective_value) < 0.5)),
        clock_cut=clock_cut,
    )
