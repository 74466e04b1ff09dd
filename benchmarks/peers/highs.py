"""HiGHS MIP through highspy: the same model as one sparse matrix, binaries for options, slacks for soft rows."""

from __future__ import annotations

from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from benchmarks.peers import PeerOutcome, choice_from_x


def solve(model: Any, *, time_limit: float, workers: int, seed: int, relax: bool = False) -> PeerOutcome:
    """Solve the MIP; with ``relax`` only its LP relaxation, whose value is returned as the bound."""
    O, G, R = model.n_options, model.n_items, model.n_rows
    soft = np.nonzero(np.isfinite(model.penalty))[0]
    S = len(soft)
    # Columns: options, then one slack per soft row. Rows: one per item, then the resource rows.
    items = sp.csr_matrix((np.ones(O), (model.opt_item, np.arange(O))), shape=(G, O))
    slack = sp.csr_matrix((-np.ones(S), (soft, np.arange(S))), shape=(R, S))
    matrix = sp.vstack([sp.hstack([items, sp.csr_matrix((G, S))]), sp.hstack([model.A, slack])]).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = O + S
    lp.num_row_ = G + R
    # HiGHS minimises: the cost is minus the value, plus the penalties.
    lp.col_cost_ = np.concatenate([-model.opt_value, model.penalty[soft]]).astype(float)
    lp.col_lower_ = np.zeros(O + S)
    lp.col_upper_ = np.concatenate([np.ones(O), np.full(S, highspy.kHighsInf)])
    lp.row_lower_ = np.concatenate([np.where(model.must_place, 1.0, 0.0), np.full(R, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(G), model.rhs]).astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    if not relax:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * O + [highspy.HighsVarType.kContinuous] * S
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(0.01, time_limit)))
    h.setOptionValue("threads", int(workers))
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("mip_rel_gap", 0.0)
    if relax:
        # Interior point without crossover: the value to ~1e-7, minutes faster than simplex on these models.
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
    h.passModel(lp)
    h.run()
    ms = h.getModelStatus()
    info = h.getInfo()
    if relax:
        value = float(info.objective_function_value)
        ok = ms in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnknown) and np.isfinite(value)
        return PeerOutcome("optimal" if ok else "timeout", None, -value if ok else None,
                           {"highs_status": h.modelStatusToString(ms)})
    has_plan = info.primal_solution_status == 2  # kSolutionStatusFeasible
    choice = choice_from_x(model, np.asarray(h.getSolution().col_value)) if has_plan else None
    if ms == highspy.HighsModelStatus.kOptimal:
        status = "optimal"
    elif ms == highspy.HighsModelStatus.kInfeasible:
        status = "infeasible"
    else:
        status = "feasible" if has_plan else "timeout"
    dual = info.mip_dual_bound
    bound = -float(dual) if np.isfinite(dual) and abs(dual) < 1e300 else None
    return PeerOutcome(status, choice, bound, {"highs_status": h.modelStatusToString(ms),
                                                "mip_nodes": float(info.mip_node_count)})
