"""A plain textbook CP-SAT model of the same instance: one Boolean per option, no hint, no LP, default search."""

from __future__ import annotations

from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from benchmarks.peers import PeerOutcome, choice_from_x, integral

#: Non-integral values are kept to 1/SCALE (the engine uses the same precision).
SCALE = 1000.0


def solve(model: Any, *, time_limit: float, workers: int, seed: int) -> PeerOutcome:
    m = cp_model.CpModel()
    O = model.n_options
    x = [m.new_bool_var(f"x{o}") for o in range(O)]
    # Each item takes one option (at most one where it may stay unplaced).
    for g, opts in enumerate(model.options_of()):
        lits = [x[o] for o in opts]
        if model.must_place[g]:
            m.add_exactly_one(lits)
        elif len(lits) > 1:
            m.add_at_most_one(lits)
    soft = np.isfinite(model.penalty)
    vscale = 1.0 if integral(model.opt_value) and integral(model.penalty[soft]) else SCALE
    A = model.A.tocsr()
    slacks, weights = [], []
    # Resource rows; a soft row gets a slack paid in the objective.
    for r in range(model.n_rows):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        cols, vals, rhs, rscale = A.indices[lo:hi], A.data[lo:hi], model.rhs[r], 1.0
        if not integral(vals):
            rscale = SCALE
        coefs = np.round(vals * rscale).astype(np.int64).tolist()
        rhs_i = int(np.floor(rhs * rscale + 1e-9))
        expr = cp_model.LinearExpr.weighted_sum([x[c] for c in cols], coefs)
        if soft[r]:
            s = m.new_int_var(0, max(0, int(sum(c for c in coefs if c > 0)) - rhs_i), f"s{r}")
            m.add(expr <= rhs_i + s)
            slacks.append(s)
            weights.append(round(model.penalty[r] * vscale / rscale))
        else:
            m.add(expr <= rhs_i)
    m.maximize(cp_model.LinearExpr.weighted_sum(x, np.round(model.opt_value * vscale).astype(np.int64).tolist())
               - cp_model.LinearExpr.weighted_sum(slacks, weights))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(m)
    name = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible", cp_model.INFEASIBLE: "infeasible",
            cp_model.MODEL_INVALID: "error"}.get(status, "timeout")
    choice = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        xv = np.fromiter((solver.boolean_value(v) for v in x), dtype=float, count=O)
        choice = choice_from_x(model, xv)
    # Without a plan, CP-SAT may report 0 (presolve not finished): a bound only when it searched.
    bound = (float(solver.best_objective_bound) / vscale
             if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) or solver.best_objective_bound != 0 else None)
    return PeerOutcome(name, choice, bound, {"cpsat_wall": solver.wall_time})
