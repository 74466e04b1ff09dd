"""The LP relaxation (GLOP): the independent upper bound, the duals (value of one more unit) and a guide."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder as mb
from ortools.linear_solver.python.model_builder_helper import ModelSolverHelper, SolveStatus

from matcher.engine.model import AssignmentModel


@dataclass(frozen=True)
class LPResult:
    ok: bool
    bound: float  # optimal LP value: no integer plan can do better
    x: np.ndarray  # per option
    row_duals: np.ndarray  # per resource row: objective gained by one more unit of capacity
    item_duals: np.ndarray  # per item
    reduced_costs: np.ndarray  # per option
    infeasible: bool = False
    #: The wall clock stopped it before it converged: another run may stop elsewhere (a different LP answer).
    clock_cut: bool = False


#: Above this many options the LP is solved by column generation: a restricted LP over a few options per item,
#: priced against the rest with its duals until none would improve it.
CG_MIN_OPTIONS = 30_000
CG_START_PER_ITEM = 6
CG_ADD_PER_ITEM = 4
#: Seeded with a plan, the first restricted LP is already well filled: it starts from the plan's options and the
#: best one of each item, and each round adds more entering options (at tier L the primary LP then converges in a
#: fraction of the time it takes with the unseeded settings, and unseeded from arbitrary options it may not).
CG_SEEDED_START_PER_ITEM = 1
CG_SEEDED_ADD_PER_ITEM = 30
#: Work-limited (a deterministic budget instead of the clock), the column generation solves at most this many
#: restricted LPs (tier M's converged in 3 to 6).
CG_WORK_ROUNDS = 8


def lagrangian_bound(model: AssignmentModel, row_duals: np.ndarray) -> tuple[float, np.ndarray]:
    """An upper bound valid for any row prices ``y >= 0`` (with ``y <= penalty`` on soft rows), and the
    priced value ``value - A.T @ y`` of every option.

    ``L(y) = y @ rhs + sum over items of the best priced option (or 0 where the item may stay out)``.
    """
    priced = model.opt_value - model.A.T @ row_duals
    best = np.full(model.n_items, -np.inf)
    np.maximum.at(best, model.opt_item, priced)
    best = np.where(model.must_place, best, np.maximum(best, 0.0))
    return float(row_duals @ model.rhs + best.sum()), priced


def solve_lp(model: AssignmentModel, time_limit: float = 60.0, start: np.ndarray | None = None,
             work: float | None = None) -> LPResult:
    """Maximise the relaxation with 0 <= x <= 1 and continuous slack on soft rows.

    Large models go through column generation; the bound returned is then the Lagrangian bound of the last
    prices, which equals the LP optimum once no column prices out, and is a valid upper bound before that.
    ``start`` (a plan: option per item, -1 for none) seeds the column generation with its options. With `work`
    (GLOP's deterministic time units, instead of the clock: the same answer on any machine), each LP solve may
    use ``work / CG_WORK_ROUNDS`` units and the column generation stops after CG_WORK_ROUNDS restricted LPs.
    """
    if model.n_options <= CG_MIN_OPTIONS:
        return _solve_full(model, time_limit, work)
    return _column_generation(model, time_limit, start, work)


def no_lp(model: AssignmentModel) -> LPResult:
    """No time for an LP: the Lagrangian bound at zero prices (every item its best option, one pass over the
    options), valid if loose, without duals."""
    O = model.n_options
    bound = lagrangian_bound(model, np.zeros(model.n_rows))[0]
    return LPResult(False, bound, np.zeros(O), np.zeros(model.n_rows), np.zeros(model.n_items), np.zeros(O),
                    clock_cut=True)


def _column_generation(model: AssignmentModel, time_limit: float, start: np.ndarray | None = None,
                       work: float | None = None) -> LPResult:
    import time

    t0 = time.monotonic()
    per_round = None if work is None else work / CG_WORK_ROUNDS
    rounds = 0
    O = model.n_options
    # Hard rows get an artificial slack at a prohibitive price in the restricted LPs, so that a few columns
    # per item always give a feasible LP and usable prices; the full LP keeps them hard.
    hard = ~np.isfinite(model.penalty)
    prohibitive = 1e4 * max(1.0, float(np.abs(model.opt_value).max(initial=0.0)))
    relaxed = replace(model, penalty=np.where(hard, prohibitive, model.penalty))
    order = np.lexsort((-model.opt_value, model.opt_item))
    starts = np.searchsorted(model.opt_item[order], np.arange(model.n_items + 1))
    rank = np.empty(O, dtype=np.int64)
    rank[order] = np.arange(O) - np.repeat(starts[:-1], np.diff(starts))
    per_item = CG_START_PER_ITEM if start is None else CG_SEEDED_START_PER_ITEM
    add_per_item = CG_ADD_PER_ITEM if start is None else CG_SEEDED_ADD_PER_ITEM
    in_cols = rank < per_item
    if start is not None:
        # A plan's options make the first restricted LP at least as good as the plan, so its prices are those of
        # a well-filled model rather than of a few arbitrary options per item.
        in_cols[start[start >= 0]] = True
    best_bound = np.inf
    best_y, best_priced = np.zeros(model.n_rows), model.opt_value
    last_x: np.ndarray | None = None  # the last restricted LP's solution, over all options
    while True:
        cols = np.nonzero(in_cols)[0]
        remaining = time_limit - (time.monotonic() - t0)
        sub = _solve_full(relaxed.subset(cols), max(0.05, remaining), per_round)
        rounds += 1
        if not sub.ok:
            if sub.infeasible and not in_cols.all():
                per_item *= 2
                in_cols |= rank < per_item
                continue
            if last_x is not None:
                return replace(_at_prices(model, best_bound, last_x, best_y, best_priced), clock_cut=sub.clock_cut)
            # No restricted LP in time: the Lagrangian bound at zero prices (every item its best option) is still
            # a valid, if loose, bound.
            trivial = np.inf if sub.infeasible else lagrangian_bound(model, np.zeros(model.n_rows))[0]
            return LPResult(False, trivial, np.zeros(O), np.zeros(model.n_rows), np.zeros(model.n_items),
                            np.zeros(O), infeasible=sub.infeasible, clock_cut=sub.clock_cut)
        y = np.maximum(sub.row_duals, 0.0)
        bound, priced = lagrangian_bound(model, y)
        if bound < best_bound:
            best_bound, best_y, best_priced = bound, y, priced
        x = np.zeros(O)
        x[cols] = sub.x
        rc = priced - sub.item_duals[model.opt_item]
        last_x = x
        tol = 1e-9 * max(1.0, abs(sub.bound))
        entering = (rc > tol) & ~in_cols
        if not entering.any() or best_bound <= sub.bound + tol:
            excess = model.A @ x - model.rhs
            if (excess[hard] > 1e-6 * np.maximum(1.0, np.abs(model.rhs[hard]))).any():
                # An artificial slack is still used at convergence: the hard rows cannot all hold.
                return LPResult(False, np.inf, x, sub.row_duals, sub.item_duals, rc, infeasible=True)
            if not entering.any():  # no option prices out: the restricted LP is the LP, its duals are optimal
                return LPResult(True, sub.bound, x, sub.row_duals, sub.item_duals, rc)
            # The best Lagrangian bound meets the restricted LP: both are the LP's value (to the tolerance).
            return _at_prices(model, best_bound, x, best_y, best_priced)
        if time.monotonic() - t0 > time_limit:
            return replace(_at_prices(model, best_bound, x, best_y, best_priced), clock_cut=True)
        if work is not None and rounds >= CG_WORK_ROUNDS:
            return _at_prices(model, best_bound, x, best_y, best_priced)  # (a work limit: no clock cut)
        # The best few entering options of each item.
        cand = np.nonzero(entering)[0]
        cand = cand[np.lexsort((-rc[cand], model.opt_item[cand]))]
        item_c = model.opt_item[cand]
        first = np.searchsorted(item_c, item_c)  # position of each item's first candidate
        in_cols[cand[np.arange(len(cand)) - first < add_per_item]] = True


def _at_prices(model: AssignmentModel, bound: float, x: np.ndarray, y: np.ndarray, priced: np.ndarray) -> LPResult:
    """An unfinished column generation's answer: its best Lagrangian bound with the prices and reduced costs
    that gave it (a reduced-cost fixing with them is exact; the last restricted LP's duals are not the LP's).

    At row prices `y` (``priced = value - A.T @ y``, with `bound` their Lagrangian bound) each
    item's dual is its best priced option (0 where it may stay out and all are negative), so every reduced cost
    is at most 0 and a plan using option o is worth at most ``bound + reduced_cost[o]``."""
    best = np.full(model.n_items, -np.inf)
    np.maximum.at(best, model.opt_item, priced)
    best = np.where(model.must_place, best, np.maximum(best, 0.0))
    best = np.where(np.isfinite(best), best, 0.0)  # a must-place item without options: no reduced cost to give
    return LPResult(True, bound, x, y, best, priced - best[model.opt_item])


def _solve_full(model: AssignmentModel, time_limit: float, work: float | None = None) -> LPResult:
    O, R, G = model.n_options, model.n_rows, model.n_items
    soft = np.nonzero(np.isfinite(model.penalty))[0]
    S = len(soft)
    # Columns: options, then one slack per soft row. Rows: items, then resources.
    item_rows = sp.csr_matrix((np.ones(O), (model.opt_item, np.arange(O))), shape=(G, O))
    slack_cols = sp.csr_matrix((-np.ones(S), (soft, np.arange(S))), shape=(R, S))
    matrix = sp.vstack([
        sp.hstack([item_rows, sp.csr_matrix((G, S))]),
        sp.hstack([model.A, slack_cols]),
    ]).tocsr()
    lower = np.concatenate([np.where(model.must_place, 1.0, -np.inf), np.full(R, -np.inf)])
    upper = np.concatenate([np.ones(G), model.rhs])
    obj = np.concatenate([model.opt_value, -model.penalty[soft]])
    builder = mb.Model()
    fill: Any = builder.helper.fill_model_from_sparse_data  # its stub types arrays oddly
    fill(np.zeros(O + S), np.concatenate([np.ones(O), np.full(S, np.inf)]), obj, lower, upper, matrix)
    builder.helper.set_maximize(True)
    solver = ModelSolverHelper("glop")
    if np.isfinite(time_limit):
        solver.set_time_limit_in_seconds(float(time_limit))
    if work is not None:
        solver.set_solver_specific_parameters(f"max_deterministic_time: {work!r}")
    solver.solve(builder.helper)
    status = solver.status()
    if status != SolveStatus.OPTIMAL:
        infeasible = status == SolveStatus.INFEASIBLE
        return LPResult(False, np.inf, np.zeros(O), np.zeros(R), np.zeros(G), np.zeros(O), infeasible=infeasible,
                        clock_cut=not infeasible and work is None and np.isfinite(time_limit))
    duals = np.asarray(solver.dual_values())
    values = np.asarray(solver.variable_values())
    return LPResult(
        ok=True,
        bound=float(solver.objective_value()),
        x=np.clip(values[:O], 0.0, 1.0),
        row_duals=duals[G:],
        item_duals=duals[:G],
        reduced_costs=np.asarray(solver.reduced_costs())[:O],
    )
