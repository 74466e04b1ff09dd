"""CBC through PuLP, the way most Python users reach it: PuLP expressions, ``PULP_CBC_CMD`` with threads."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pulp

from benchmarks.peers import PeerOutcome, choice_from_x


def solve(model: Any, *, time_limit: float, workers: int, seed: int) -> PeerOutcome:
    import time

    t0 = time.monotonic()
    O = model.n_options
    prob = pulp.LpProblem("model", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x{o}", cat=pulp.LpBinary) for o in range(O)]
    soft = np.isfinite(model.penalty)
    s = {int(r): pulp.LpVariable(f"s{r}", lowBound=0) for r in np.nonzero(soft)[0]}
    # CBC minimises minus the value, plus the penalties.
    prob += pulp.LpAffineExpression([(x[o], -float(v)) for o, v in enumerate(model.opt_value)]
                                    + [(s[r], float(model.penalty[r])) for r in s])
    # Each item takes one option (at most one where it may stay unplaced).
    for g, opts in enumerate(model.options_of()):
        expr = pulp.LpAffineExpression([(x[o], 1.0) for o in opts])
        prob += (expr == 1) if model.must_place[g] else (expr <= 1), f"item{g}"
    A = model.A.tocsr()
    for r in range(model.n_rows):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        terms = [(x[c], float(v)) for c, v in zip(A.indices[lo:hi], A.data[lo:hi], strict=True)]
        if r in s:
            terms.append((s[r], -1.0))
        prob += pulp.LpAffineExpression(terms) <= float(model.rhs[r]), f"row{r}"
    remaining = max(1.0, time_limit - (time.monotonic() - t0))
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cbc.log"
        cmd = pulp.PULP_CBC_CMD(msg=False, timeLimit=remaining, threads=workers, gapRel=0.0, logPath=str(log),
                                options=[f"randomCbcSeed {seed + 1}"])
        prob.solve(cmd)
        text = log.read_text(errors="replace") if log.exists() else ""
    sol_status = prob.sol_status
    has_plan = sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    choice = None
    if has_plan:
        xv = np.array([v.varValue or 0.0 for v in x])
        choice = choice_from_x(model, xv)
    if prob.status == pulp.LpStatusInfeasible:
        status = "infeasible"
    elif sol_status == pulp.LpSolutionOptimal and "Stopped on time" not in text:
        status = "optimal"
    else:
        status = "feasible" if has_plan else "timeout"
    bound = None
    m = re.search(r"Lower bound:\s*(-?[\d.eE+-]+)", text)
    if m:
        bound = -float(m.group(1))
    elif status == "optimal" and choice is not None:
        bound = None  # the worker sets the bound of a proved optimum to its value
    return PeerOutcome(status, choice, bound, {})
