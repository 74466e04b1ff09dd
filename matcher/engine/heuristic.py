"""A first plan fast: round the LP, then repair greedily within every hard capacity."""

from __future__ import annotations

import time

import numpy as np

from matcher.engine.model import AssignmentModel

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
    plan = _Greedy(model, guide, prices)
    # Items that must be placed (pinned families) come first, then the previous plan where it still fits.
    for g in plan.item_order[model.must_place[plan.item_order]]:
        if not plan.keep_start(int(g), start):
            plan.best_fit(int(g))
    if start is not None:
        for g in plan.item_order:
            if plan.choice[g] < 0:
                plan.keep_start(int(g), start)
    pending = plan.item_order[plan.choice[plan.item_order] < 0]
    if not _monotone(model):
        for k, g in enumerate(pending.tolist()):
            if k % DEADLINE_EVERY == 0 and time.monotonic() >= deadline:
                break
            plan.best_fit(g)
        return plan.choice
    plan.place_in_batches(pending, deadline)
    return plan.choice


class _Greedy:
    """A greedy plan under construction: the capacity left in every row, and each item's options in order of
    preference (LP value, then value net of the prices)."""

    def __init__(self, model: AssignmentModel, guide: np.ndarray | None, prices: np.ndarray | None) -> None:
        G = model.n_items
        self.model = model
        A = model.columns()
        self.indptr, self.indices, self.data = A.indptr, A.indices, A.data
        net = model.opt_value if prices is None else model.opt_value - A.T @ prices
        self.rem = model.rhs.astype(float).copy()
        self.hard = ~np.isfinite(model.penalty)
        self.pen = np.where(self.hard, 0.0, model.penalty)
        self.choice = np.full(G, -1, dtype=np.int64)
        # Options sorted by item, then preference (LP value, then net value).
        confidence = np.zeros(G)
        if guide is None:
            self.order = np.lexsort((-net, model.opt_item))
        else:
            self.order = np.lexsort((-net, -np.round(guide, 6), model.opt_item))
            np.maximum.at(confidence, model.opt_item, guide)
        self.starts = np.searchsorted(model.opt_item[self.order], np.arange(G + 1))
        best_net = np.full(G, -np.inf)
        np.maximum.at(best_net, model.opt_item, net)
        self.item_order = np.lexsort((-best_net, -confidence, ~model.must_place))

    def _check(self, opts: np.ndarray, must: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                                   np.ndarray]:
        """For each of `opts` (with whether each must be placed): whether it does not fit every hard row now, or
        is not worth its soft penalties (unless it must be placed); with the rows it uses, their capacity left
        after it, and its entries' lengths and ends."""
        indptr = self.indptr
        lens = indptr[opts + 1] - indptr[opts]
        total = int(lens.sum())
        ends = np.cumsum(lens)
        gather = np.repeat(indptr[opts] - (ends - lens), lens) + np.arange(total)
        rows, vals = self.indices[gather], self.data[gather]
        before = self.rem[rows]
        after = before - vals
        seg = np.repeat(np.arange(len(opts)), lens)
        bad = np.zeros(len(opts), dtype=bool)
        bad[seg[self.hard[rows] & (after < -1e-9)]] = True
        over = np.maximum(0.0, -after) - np.maximum(0.0, -before)
        cost = np.bincount(seg, weights=self.pen[rows] * over, minlength=len(opts))
        bad |= ~must & (self.model.opt_value[opts] - cost <= 0)
        return bad, rows, after, lens, ends

    def fitting(self, opts: np.ndarray) -> np.ndarray:
        """Which of `opts` fit every hard row now and are worth their soft penalties (unless must-place), all
        at once."""
        return ~self._check(opts, self.model.must_place[self.model.opt_item[opts]])[0]

    def take_first_fitting(self, opts: np.ndarray, must: bool) -> int:
        """Take the first option of `opts` that fits every hard row (and is worth its soft penalties unless
        `must`); its index, or -1 when none does."""
        bad, rows, after, lens, ends = self._check(opts, np.full(len(opts), must))
        fits = np.flatnonzero(~bad)
        if not len(fits):
            return -1
        k = int(fits[0])
        lo = int(ends[k] - lens[k])
        self.rem[rows[lo : lo + lens[k]]] = after[lo : lo + lens[k]]
        return int(opts[k])

    def take_one(self, o: int, must: bool) -> bool:
        """`take_first_fitting` for one option, on slices of the matrix (the usual case, made cheap)."""
        a, b = self.indptr[o], self.indptr[o + 1]
        rows = self.indices[a:b]
        before = self.rem[rows]
        after = before - self.data[a:b]
        if (self.hard[rows] & (after < -1e-9)).any():
            return False
        over = np.maximum(0.0, -after) - np.maximum(0.0, -before)
        if not must and self.model.opt_value[o] - self.pen[rows] @ over <= 0:
            return False
        self.rem[rows] = after
        return True

    def best_fit(self, g: int) -> None:
        """Item `g` takes its first option that fits, its first few tried apart (most items take one of them)."""
        opts = self.order[self.starts[g] : self.starts[g + 1]]
        must = bool(self.model.must_place[g])
        for chunk in (opts[:FIRST_TRIES], opts[FIRST_TRIES:]):
            if len(chunk):
                o = self.take_first_fitting(chunk, must)
                if o >= 0:
                    self.choice[g] = o
                    return

    def keep_start(self, g: int, start: np.ndarray | None) -> bool:
        """Item `g` keeps its option of the previous plan `start` if that still fits."""
        o = int(start[g]) if start is not None else -1
        if o >= 0 and self.take_first_fitting(np.array([o]), True) >= 0:
            self.choice[g] = o
            return True
        return False

    def place_in_batches(self, pending: np.ndarray, deadline: float) -> None:
        """The items `pending`, in order, on a model whose rows each have entries of one sign (`_monotone`).

        Taking an option then never makes another one fit that did not (hard rows only fill up) nor cost less in
        penalties: an option that does not fit at the start of a batch never will. Each batch checks all its
        items' options at once; each item then tries only those that did fit, in order, against what the items
        before it took. The same plan as item by item, at a fraction of the calls."""
        starts, order = self.starts, self.order
        for b in range(0, len(pending), BATCH):
            if time.monotonic() >= deadline:
                break
            batch = pending[b : b + BATCH]
            lens = starts[batch + 1] - starts[batch]
            ends = np.cumsum(lens)
            opts = order[np.repeat(starts[batch] - (ends - lens), lens) + np.arange(int(lens.sum()))]
            ok = self.fitting(opts)
            kept = np.split(opts[ok], np.cumsum(np.bincount(np.repeat(np.arange(len(batch)), lens)[ok],
                                                            minlength=len(batch)))[:-1])
            for g, cands in zip(batch.tolist(), kept, strict=True):
                must = bool(self.model.must_place[g])
                for o in cands.tolist():
                    if self.take_one(o, must):
                        self.choice[g] = o
                        break


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
