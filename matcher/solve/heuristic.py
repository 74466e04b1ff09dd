"""A first plan fast: round the LP, then repair greedily within every hard capacity."""

from __future__ import annotations

import numpy as np

from matcher.problem import AssignmentModel

#: An item's options are tried this many at a time, best first: most items take one of their first few, and the
#: rest are checked in one pass over their remaining options.
FIRST_TRIES = 4


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
    G = model.n_items
    A = model.columns()
    indptr, indices, data = A.indptr, A.indices, A.data
    net = model.opt_value if prices is None else model.opt_value - A.T @ prices
    rem = model.rhs.astype(float).copy()
    hard = ~np.isfinite(model.penalty)
    pen = np.where(hard, 0.0, model.penalty)
    choice = np.full(G, -1, dtype=np.int64)

    # Options sorted by item, then preference (LP value, then net value).
    confidence = np.zeros(G)
    if guide is None:
        order = np.lexsort((-net, model.opt_item))
    else:
        order = np.lexsort((-net, -np.round(guide, 6), model.opt_item))
        np.maximum.at(confidence, model.opt_item, guide)
    starts = np.searchsorted(model.opt_item[order], np.arange(G + 1))
    best_net = np.full(G, -np.inf)
    np.maximum.at(best_net, model.opt_item, net)
    item_order = np.lexsort((-best_net, -confidence, ~model.must_place))

    def take_first_fitting(opts: np.ndarray, must: bool) -> int:
        """Take the first option of `opts` that fits every hard row (and is worth its soft penalties unless
        `must`); its index, or -1 when none does."""
        lens = indptr[opts + 1] - indptr[opts]
        total = int(lens.sum())
        ends = np.cumsum(lens)
        gather = np.repeat(indptr[opts] - (ends - lens), lens) + np.arange(total)
        rows, vals = indices[gather], data[gather]
        before = rem[rows]
        after = before - vals
        seg = np.repeat(np.arange(len(opts)), lens)
        bad = np.zeros(len(opts), dtype=bool)
        bad[seg[hard[rows] & (after < -1e-9)]] = True
        if not must:
            over = np.maximum(0.0, -after) - np.maximum(0.0, -before)
            cost = np.bincount(seg, weights=pen[rows] * over, minlength=len(opts))
            bad |= model.opt_value[opts] - cost <= 0
        fits = np.flatnonzero(~bad)
        if not len(fits):
            return -1
        k = int(fits[0])
        lo = int(ends[k] - lens[k])
        rem[rows[lo : lo + lens[k]]] = after[lo : lo + lens[k]]
        return int(opts[k])

    def best_fit(g: int) -> None:
        opts = order[starts[g] : starts[g + 1]]
        must = bool(model.must_place[g])
        for chunk in (opts[:FIRST_TRIES], opts[FIRST_TRIES:]):
            if len(chunk):
                o = take_first_fitting(chunk, must)
                if o >= 0:
                    choice[g] = o
                    return

    def keep_start(g: int) -> bool:
        o = int(start[g]) if start is not None else -1
        if o >= 0 and take_first_fitting(np.array([o]), True) >= 0:
            choice[g] = o
            return True
        return False

    # Items that must be placed (pinned families) come first, then the previous plan where it still fits.
    for g in item_order[model.must_place[item_order]]:
        if not keep_start(int(g)):
            best_fit(int(g))
    if start is not None:
        for g in item_order:
            if choice[g] < 0:
                keep_start(int(g))
    for g in item_order:
        if choice[g] < 0:
            best_fit(int(g))
    return choice
