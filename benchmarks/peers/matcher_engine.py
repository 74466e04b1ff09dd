"""Our engine through its public low-level API: ``matcher.engine.solve_model``."""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.peers import PeerOutcome
from matcher.engine import SolveParams, solve_model


def solve(model: Any, *, time_limit: float, workers: int, seed: int) -> PeerOutcome:
    sol = solve_model(model, SolveParams(time_limit=time_limit, seed=seed, workers=workers))
    status = str(getattr(sol.status, "value", sol.status))
    infeasible = status == "infeasible"
    choice = None if infeasible or not np.isfinite(sol.objective) else sol.choice
    bound = sol.solver_bound if np.isfinite(sol.solver_bound) else None
    stats: dict[str, float | None] = {k: float(v) for k, v in (sol.stats or {}).items()}
    stats["lp_bound"] = float(sol.bound) if np.isfinite(sol.bound) else None
    return PeerOutcome(status, choice, bound, stats)
