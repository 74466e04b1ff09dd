"""Solvers compared on the same :class:`~matcher.engine.model.AssignmentModel`, each behind ``solve(model, ...)``.

Every peer maximises ``sum(opt_value[o] x[o]) - sum(penalty[r] * excess[r])`` with each item taking at most one
option (exactly one where ``must_place``) and ``A @ x <= rhs`` (soft rows may be exceeded at their penalty). A
peer module is imported only inside the worker process that runs it, so ``highspy`` and ``ortools`` never share a
process.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

#: Solver name -> module under ``benchmarks.peers``.
PEERS: dict[str, str] = {
    "matcher": "matcher_engine",
    "cpsat": "cpsat",
    "highs": "highs",
    "cbc": "cbc",
    "greedy": "greedy",
}

#: Python packages each peer needs (to skip cleanly when one is missing).
REQUIRES: dict[str, str] = {"matcher": "ortools", "cpsat": "ortools", "highs": "highspy", "cbc": "pulp",
                            "greedy": "numpy"}


@dataclass
class PeerOutcome:
    status: str  # optimal | feasible | timeout (no plan in time) | infeasible | failed (heuristic: no plan) | error
    choice: np.ndarray | None  # option per item, -1 for none
    bound: float | None = None  # a proven upper bound on the model's value, when the solver gives one
    stats: dict[str, Any] = field(default_factory=dict)


class Peer(Protocol):
    def __call__(self, model: Any, *, time_limit: float, workers: int, seed: int) -> PeerOutcome: ...


def load(name: str) -> Peer:
    """The ``solve`` function of a peer, importing its solver package."""
    if name not in PEERS:
        raise KeyError(f"unknown solver {name!r}; choose from {', '.join(PEERS)}")
    module = importlib.import_module(f"benchmarks.peers.{PEERS[name]}")
    return module.solve


def choice_from_x(model: Any, x: np.ndarray) -> np.ndarray:
    """Option per item from 0/1 values per option (the largest value wins if a solver returns fractions)."""
    choice = np.full(model.n_items, -1, dtype=np.int64)
    picked = np.nonzero(x[: model.n_options] > 0.5)[0]
    choice[model.opt_item[picked]] = picked
    return choice


def integral(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values - np.round(values)) < 1e-9)) and bool(np.all(np.abs(values) < 2**50))
