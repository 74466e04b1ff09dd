"""A simple baseline: items by regret (best minus second-best value), each takes its best option that fits."""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.peers import PeerOutcome


def solve(model: Any, *, time_limit: float, workers: int, seed: int) -> PeerOutcome:
    G = model.n_items
    A = model.A.tocsc()
    rem = model.rhs.astype(float).copy()
    hard = ~np.isfinite(model.penalty)
    pen = np.where(hard, 0.0, model.penalty)
    order = np.lexsort((-model.opt_value, model.opt_item))
    starts = np.searchsorted(model.opt_item[order], np.arange(G + 1))
    best = np.full(G, -np.inf)
    second = np.full(G, -np.inf)
    for g in range(G):
        vals = model.opt_value[order[starts[g] : starts[g + 1]]]
        if len(vals):
            best[g] = vals[0]
            second[g] = vals[1] if len(vals) > 1 else vals[0] - abs(vals[0]) - 1.0
    regret = best - second
    # Items that must be placed first, then by regret (the item that loses most if its best is taken).
    item_order = np.lexsort((-regret, ~model.must_place))
    choice = np.full(G, -1, dtype=np.int64)
    for g in item_order:
        for o in order[starts[g] : starts[g + 1]]:
            lo, hi = A.indptr[o], A.indptr[o + 1]
            rows, vals = A.indices[lo:hi], A.data[lo:hi]
            after = rem[rows] - vals
            if (after[hard[rows]] < -1e-9).any():
                continue
            over = np.maximum(0.0, -after) - np.maximum(0.0, -rem[rows])
            if not model.must_place[g] and model.opt_value[o] - (pen[rows] * over).sum() <= 0:
                continue
            rem[rows] = after
            choice[g] = o
            break
    complete = not (model.must_place & (choice < 0)).any()
    return PeerOutcome("feasible" if complete else "failed", choice if complete else None, None, {})
