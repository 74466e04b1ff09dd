"""The LP relaxation (GLOP): the independent upper bound, the duals (value of one more unit) and a guide."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder as mb
from ortools.linear_solver.python.model_builder_helper import ModelSolverHelper, SolveStatus

from matcher.problem import AssignmentModel


@dataclass(frozen=True)
class LPResult:
    ok: bool
    bound: float  # optimal LP value: no integer plan can do better
    x: np.ndarray  # per option
    row_duals: np.ndarray  # per resource row: objective gained by one more unit of capacity
    item_duals: np.ndarray  # per item
    reduced_costs: np.ndarray  # per option
    infeasible: bool = False


def solve_lp(model: AssignmentModel, time_limit: float = 60.0) -> LPResult:
    """Maximise the relaxation with 0 <= x <= 1 and continuous slack on soft rows."""
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
    builder.helper.fill_model_from_sparse_data(
        np.zeros(O + S), np.concatenate([np.ones(O), np.full(S, np.inf)]), obj, lower, upper, matrix
    )
    builder.helper.set_maximize(True)
    solver = ModelSolverHelper("glop")
    solver.set_time_limit_in_seconds(float(time_limit))
    solver.solve(builder.helper)
    status = solver.status()
    if status != SolveStatus.OPTIMAL:
        return LPResult(False, np.inf, np.zeros(O), np.zeros(R), np.zeros(G), np.zeros(O),
                        infeasible=status == SolveStatus.INFEASIBLE)
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
