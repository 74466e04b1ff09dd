"""A first plan fast: round the LP, then repair greedily within every hard capacity."""

from __future__ import annotations

import time

import numpy as np

from matcher.solve.model import AssignmentModel

#: An item's options are tried this many at a time, best first: most items take one of their first few, and the
#: rest are checked in one pass over their remaining options.
FIRST_TRIES = 4

#: The deadline is looked at every this many items (each takes tens of microseconds).
DEADLINE_EVERY = 256
#: Items whose options are checked together, in one pass, before they are taken one by one.
BATCH = 512


def greedy_plan(
    model: AssignmentModel,
    guide: np.ndarray | None = None,
    prices: np.ndarray | None = None,
    start: np.ndarray | None = None,
    *,
    deadline: float = np.inf,
) -> np.ndarray:
    """Choose at most one option per item, never exceeding a hard row, paying soft penalties as it goes.

    Items are taken in order of how sure the LP is of them (``guide``: LP values per option), must-place items
    first; each takes its best option that still fits, ranked by LP value then by value net of ``prices`` (LP
    duals). ``start`` (a previous plan) is kept where it still fits. Once ``deadline`` (``time.monotonic()``)
    passes, the items not yet reached stay out, except the must-place ones. Returns the chosen option per item,
    -1 for none.
    """
    G = model.n_items
    if start is None and not model.must_place.any() and time.monotonic() >= deadline:
        # Nothing to keep, nothing that must be placed, no time: skip the ordering of every option (2 s at
        # 100,000 families, all of it past the deadline).
        return np.full(G, -1, dtype=np.int64)
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

    def take_one(o: int, must: bool) -> bool:
        """`take_first_fitting` for one option, on slices of the matrix (the usual case, made cheap)."""
        a, b = indptr[o], indptr[o + 1]
        rows = indices[a:b]
        before = rem[rows]
        after = before - data[a:b]
        if (hard[rows] & (after < -1e-9)).any():
            return False
        if not must and model.opt_value[o] - pen[rows] @ (np.maximum(0.0, -after) - np.maximum(0.0, -before)) <= 0:
            return False
        rem[rows] = after
        return True

    def fitting(opts: np.ndarray) -> np.ndarray:
        """Which of `opts` fit every hard row now and are worth their soft penalties (unless must-place), all
        at once."""
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
        over = np.maximum(0.0, -after) - np.maximum(0.0, -before)
        cost = np.bincount(seg, weights=pen[rows] * over, minlength=len(opts))
        bad |= ~model.must_place[model.opt_item[opts]] & (model.opt_value[opts] - cost <= 0)
        return ~bad

    # Items that must be placed (pinned families) come first, then the previous plan where it still fits.
    for g in item_order[model.must_place[item_order]]:
        if not keep_start(int(g)):
            best_fit(int(g))
    if start is not None:
        for g in item_order:
            if choice[g] < 0:
                keep_start(int(g))
    pending = item_order[choice[item_order] < 0]
    if not _monotone(model):
        for k, g in enumerate(pending.tolist()):
            if k % DEADLINE_EVERY == 0 and time.monotonic() >= deadline:
                break
            best_fit(g)
        return choice
    # Every row's entries have one sign, so taking an option never makes another one fit that did not (hard
    # rows only fill up) nor cost less in penalties: an option that does not fit at the start of a batch never
    # will. Each batch checks all its items' options at once; each item then tries only those that did fit, in
    # order, against what the items before it took. The same plan as item by item, at a fraction of the calls.
    for b in range(0, len(pending), BATCH):
        if time.monotonic() >= deadline:
            break
        batch = pending[b : b + BATCH]
        lens = starts[batch + 1] - starts[batch]
        ends = np.cumsum(lens)
        opts = order[np.repeat(starts[batch] - (ends - lens), lens) + np.arange(int(lens.sum()))]
        ok = fitting(opts)
        kept = np.split(opts[ok], np.cumsum(np.bincount(np.repeat(np.arange(len(batch)), lens)[ok],
                                                        minlength=len(batch)))[:-1])
        for g, cands in zip(batch.tolist(), kept, strict=True):
            must = bool(model.must_place[g])
            for o in cands.tolist():
                if take_one(o, must):
                    choice[g] = o
                    break
    return choice


def _monotone(model: AssignmentModel) -> bool:
    """Every hard row has entries >= 0 and every soft row entries of one sign: then what one option takes can
    only make the others fit less well (see `greedy_plan`)."""
    A = model.A
    nonempty = np.diff(A.indptr) > 0
    if not nonempty.any():
        return True
    at = A.indptr[:-1][nonempty]
    low = np.minimum.reduceat(A.data, at)
    high = np.maximum.reduceat(A.data, at)
    hard = ~np.isfinite(model.penalty[nonempty])
    return bool(np.all(np.where(hard, low >= 0, (low >= 0) | (high <= 0))))
