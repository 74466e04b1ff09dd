"""A first plan fast: round the LP, then repair greedily within every hard capacity."""

from __future__ import annotations

import numpy as np

from matcher.problem import AssignmentModel


def greedy_plan(
    model: AssignmentModel,
    guide: np.ndarray | None = None,
    prices: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Choose at most one option per item, never exceeding a hard row, paying soft penalties as it goes.

    Items are taken in order of how sure the LP is of them (``guide``: LP values per option), must-place items
    first; each takes its best option that still fits, ranked by LP value then by value net of ``prices`` (LP
    duals). ``start`` (a previous plan) is kept where it still fits. Returns the chosen option per item, -1 for
    none.
    """
    O, G = model.n_options, model.n_items
    guide = np.zeros(O) if guide is None else guide
    prices = np.zeros(model.n_rows) if prices is None else prices
    A = model.columns()
    net = model.opt_value - A.T @ prices
    rem = model.rhs.astype(float).copy()
    hard = ~np.isfinite(model.penalty)
    pen = np.where(hard, 0.0, model.penalty)
    choice = np.full(G, -1, dtype=np.int64)

    # Options sorted by item, then preference (LP value, then net value).
    order = np.lexsort((-net, -np.round(guide, 6), model.opt_item))
    starts = np.searchsorted(model.opt_item[order], np.arange(G + 1))
    confidence = np.zeros(G)
    np.maximum.at(confidence, model.opt_item, guide)
    best_net = np.full(G, -np.inf)
    np.maximum.at(best_net, model.opt_item, net)
    item_order = np.lexsort((-best_net, -confidence, ~model.must_place))

    def try_take(o: int, must: bool) -> bool:
        lo, hi = A.indptr[o], A.indptr[o + 1]
        rows, vals = A.indices[lo:hi], A.data[lo:hi]
        after = rem[rows] - vals
        if (after[hard[rows]] < -1e-9).any():
            return False
        over = np.maximum(0.0, -after) - np.maximum(0.0, -rem[rows])
        if not must and model.opt_value[o] - (pen[rows] * over).sum() <= 0:
            return False
        rem[rows] = after
        return True

    def best_fit(g: int) -> None:
        for o in order[starts[g] : starts[g + 1]]:
            if try_take(int(o), bool(model.must_place[g])):
                choice[g] = o
                return

    # Items that must be placed (pinned families) come first, then the previous plan where it still fits.
    for g in item_order[model.must_place[item_order]]:
        o = -1 if start is None else int(start[g])
        if o >= 0 and try_take(o, True):
            choice[g] = o
        else:
            best_fit(int(g))
    if start is not None:
        for g in item_order:
            o = start[g]
            if choice[g] < 0 and o >= 0 and try_take(int(o), True):
                choice[g] = o
    for g in item_order:
        if choice[g] < 0:
            best_fit(int(g))
    return choice
