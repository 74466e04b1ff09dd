"""The Lagrangian (knapsack) bound of a model whose options each use one capacity row: a Generalized Assignment
Problem. Much tighter than the LP, and with reduced costs that fix far more options.

Relaxing "each item takes at most one option" with a price ``u`` per item leaves one 0-1 knapsack per row:

    L(u) = sum of u + sum over rows of the best knapsack of the options' values net of u,

an upper bound on every plan for any ``u`` (``u >= 0`` where an item may stay out). It is at least as tight as the
LP from the LP's own item duals, and subgradient steps from there tighten it further: on the Chu-Beasley and
Yagiura instances they close 55-90 % of the gap between the LP and the best known value. The knapsacks are
solved exactly by dynamic programming over the (whole) capacities, every row at once.

Reduced costs come from probing: a plan that uses option ``o`` (item ``j``, row ``r``) is worth at most ``L(u)``
with row ``r``'s knapsack forced to hold ``o`` and every other row's knapsack without ``j``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from matcher.engine.model import AssignmentModel

#: Subgradient steps: at most this many, and fewer once the step size has halved this many times without a
#: better bound.
MAX_STEPS = 300
STALL_STEPS = 5
MIN_STEP_SCALE = 1e-3
#: Without a plan, the steps aim this share below the first bound (the LP gap of the Chu-Beasley and Yagiura
#: instances is 0.1-2 %); a plan's value is a safe aim, being below every bound.
AIM_WITHOUT_PLAN = 0.05
#: Largest dynamic programme tried (rows x options per row x capacity): above it the LP bound is used alone.
MAX_CELLS = 20_000_000


@dataclass(frozen=True)
class Knapsacks:
    """The model's rows as knapsacks: row ``r`` holds options ``options[r]`` (-1 pads) of whole ``weights[r]``
    within whole ``capacity[r]``; ``free`` are the options in no row."""

    options: np.ndarray  # (R, K) int
    weights: np.ndarray  # (R, K) int
    capacity: np.ndarray  # (R,) int
    free: np.ndarray


@dataclass(frozen=True)
class LagrangianResult:
    bound: float  # valid for every plan
    reduced_costs: np.ndarray  # per option, <= 0: a plan using option o is worth at most bound + reduced_costs[o]
    item_prices: np.ndarray
    steps: int
    seconds: float
    clock_cut: bool = False  # the time limit stopped the steps (another run may stop at another step)


def knapsacks(model: AssignmentModel) -> Knapsacks | None:
    """The knapsack structure, if every row is hard with whole coefficients and every option uses one row at most
    (the GAP); None otherwise."""
    if model.n_rows == 0 or model.n_options == 0 or np.isfinite(model.penalty).any():
        return None
    A = model.columns()
    counts = np.diff(A.indptr)
    data = A.data
    if counts.max() > 1 or (data <= 0).any() or (np.abs(data - np.round(data)) > 1e-9).any() or (model.rhs < 0).any():
        return None
    capacity = np.floor(model.rhs + 1e-9).astype(np.int64)
    used = np.nonzero(counts == 1)[0]
    row = A.indices  # one entry per used option, in option order
    per_row = np.bincount(row, minlength=model.n_rows)
    K = int(per_row.max())
    if model.n_rows * K * (int(capacity.max()) + 1) > MAX_CELLS:
        return None
    order = np.argsort(row, kind="stable")
    slot = np.arange(len(order)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    options = np.full((model.n_rows, K), -1, dtype=np.int64)
    weights = np.zeros((model.n_rows, K), dtype=np.int64)
    options[row[order], slot] = used[order]
    weights[row[order], slot] = np.round(data[order]).astype(np.int64)
    return Knapsacks(options, weights, capacity, np.nonzero(counts == 0)[0])


def relax(model: AssignmentModel, ks: Knapsacks, start: np.ndarray, incumbent: float, time_limit: float,
          max_steps: int = MAX_STEPS) -> LagrangianResult:
    """Subgradient descent on ``L(u)`` from the item prices `start` (the LP's item duals), then the reduced costs
    at the best prices. The steps are Polyak's towards `incumbent`, a plan's value (no more than the best ``L``);
    without a plan (-inf), towards AIM_WITHOUT_PLAN below the first bound.

    The steps are the same for the same input (no clock in them) unless `time_limit` stops them first."""
    t0 = time.monotonic()
    lower = np.where(model.must_place, -np.inf, 0.0)
    u = np.maximum(start.astype(float), lower)
    best_l, best_u = np.inf, u
    whole = bool(np.all(np.abs(model.opt_value - np.round(model.opt_value)) < 1e-9))
    scale, stall, steps = 1.0, 0, 0
    aim = incumbent
    clock_cut = False
    while steps < max_steps and scale > MIN_STEP_SCALE:
        if time.monotonic() - t0 >= time_limit:
            clock_cut = True
            break
        value, taken = _knapsack_bound(model, ks, u)
        steps += 1
        if not np.isfinite(aim):
            aim = value - AIM_WITHOUT_PLAN * max(1.0, abs(value))
        if value < best_l - 1e-9 * max(1.0, abs(value)):
            best_l, best_u, stall = value, u, 0
        else:
            stall += 1
            if stall >= STALL_STEPS:
                scale, stall = scale / 2, 0
        if whole and np.isfinite(incumbent) and best_l < incumbent + 1 - 1e-6 * max(1.0, abs(incumbent)):
            break  # no plan is worth one more than the incumbent: it is optimal
        g = 1.0 - np.bincount(model.opt_item[taken], minlength=model.n_items)
        g[(u <= lower) & (g > 0)] = 0.0  # an item left out at price 0 needs no lower price
        if not g.any():
            break  # the knapsacks take every item once: L(u) is the optimum
        gap = max(value - aim, 1e-6 * max(1.0, abs(value)))
        u = np.maximum(u - scale * gap / float(g @ g) * g, lower)
    rc = _probe(model, ks, best_u, best_l)
    return LagrangianResult(best_l, rc, best_u, steps, time.monotonic() - t0, clock_cut)


def _profits(model: AssignmentModel, ks: Knapsacks, u: np.ndarray) -> np.ndarray:
    net = model.opt_value - u[model.opt_item]
    return np.where(ks.options >= 0, net[np.maximum(ks.options, 0)], -1.0)


def _positive(profit: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's options worth taking (positive net value) first: their slots, values and weights, padded."""
    K = max(1, int((profit > 0).sum(axis=1).max()))
    slots = np.argsort(-profit, axis=1, kind="stable")[:, :K]
    p = np.take_along_axis(profit, slots, 1)
    return slots, np.where(p > 0, p, -1.0), np.take_along_axis(weights, slots, 1)


class _Table:
    """Knapsack tables of every row at once (best value within each capacity), grown one option per row at a
    time; ``values[:, pad:]`` are the capacities 0..max, the ``pad`` columns before them are -inf so that a shift
    by any weight reads in bounds."""

    def __init__(self, capacity: np.ndarray, weights: np.ndarray) -> None:
        R = len(capacity)
        self.pad = int(weights.max(initial=0))
        self.size = int(capacity.max()) + 1
        self.values = np.full((R, self.pad + self.size), -np.inf)
        self.values[:, self.pad:] = 0.0
        self.grid = (np.arange(R) * (self.pad + self.size))[:, None] + self.pad + np.arange(self.size)[None, :]

    @property
    def best(self) -> np.ndarray:
        return self.values[:, self.pad:]

    def extend(self, w: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Add one option per row (weight `w`, value `p`; -1 adds nothing); returns where it is taken."""
        cand = self.values.take(self.grid - w[:, None])
        cand += p[:, None]
        best = self.best
        take = cand > best
        np.maximum(best, cand, out=best)
        return take


def _useful(p: np.ndarray, w: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Mask of the options (positive values `p`, weights `w`, per row) that may be in a best knapsack: those whose
    value plus the fractional (Dantzig) bound of the capacity they leave reaches a greedy knapsack's value."""
    R, K = p.shape
    eff = np.where(p > 0, p / np.maximum(w, 1), -1.0)
    order = np.argsort(-eff, axis=1, kind="stable")
    ws = np.where(p > 0, w, 0)
    ws, ps, es = (np.take_along_axis(a, order, 1) for a in (ws, np.maximum(p, 0.0), eff))
    cw = np.concatenate([np.zeros((R, 1)), np.cumsum(ws, axis=1)], axis=1)
    cp = np.concatenate([np.zeros((R, 1)), np.cumsum(ps, axis=1)], axis=1)
    span = float(cw[:, -1].max() + capacity.max() + 1)
    flat = (cw + span * np.arange(R)[:, None]).ravel()

    def fitting(rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        # How many options, in order of value per unit of weight, fit whole within `t`.
        return np.clip(np.searchsorted(flat, t + span * rows, side="right") - 1 - rows * (K + 1), 0, K)

    def fractional(rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        # Those options, and the next one in part.
        i = fitting(rows, t)
        part = np.where(i < K, (t - cw[rows, i]) * np.maximum(es[rows, np.minimum(i, K - 1)], 0.0), 0.0)
        return cp[rows, i] + part

    rows = np.arange(R)
    greedy = cp[rows, fitting(rows, capacity)]
    room = capacity[:, None] - w
    bound = p + fractional(np.repeat(rows, K).reshape(R, K), np.maximum(room, 0).astype(float))
    return (p > 0) & (room >= 0) & (bound >= greedy[:, None] - 1e-9 * np.maximum(1.0, np.abs(greedy[:, None])))


def _knapsack_bound(model: AssignmentModel, ks: Knapsacks, u: np.ndarray) -> tuple[float, np.ndarray]:
    """``L(u)`` and the options its knapsacks take."""
    profit = _profits(model, ks, u)
    slots, p, w = _positive(profit, ks.weights)
    # Options that cannot be in a best knapsack are left out of this one (not out of the probing, whose other
    # capacities they may fill).
    keep = _useful(p, w, ks.capacity)
    order = np.argsort(~keep, axis=1, kind="stable")[:, :max(1, int(keep.sum(axis=1).max()))]
    slots = np.take_along_axis(slots, order, 1)
    w = np.take_along_axis(w, order, 1)
    p = np.where(np.take_along_axis(keep, order, 1), np.take_along_axis(p, order, 1), -1.0)
    R, K = p.shape
    table = _Table(ks.capacity, ks.weights)
    takes = np.zeros((K, R, table.size), dtype=bool)
    for k in range(K):
        takes[k] = table.extend(w[:, k], p[:, k])
    rows = np.arange(R)
    c = ks.capacity.copy()
    chosen = np.zeros((R, K), dtype=bool)
    for k in range(K - 1, -1, -1):
        chosen[:, k] = takes[k, rows, c]
        c = c - np.where(chosen[:, k], w[:, k], 0)
    taken = np.take_along_axis(ks.options, slots, 1)[chosen]
    free_net = model.opt_value[ks.free] - u[model.opt_item[ks.free]]
    taken = np.concatenate([taken, ks.free[free_net > 0]])
    value = float(u.sum() + table.best[rows, ks.capacity].sum() + np.maximum(free_net, 0.0).sum())
    return value, taken


def _probe(model: AssignmentModel, ks: Knapsacks, u: np.ndarray, bound: float) -> np.ndarray:
    """Reduced costs at prices `u` (whose bound is `bound`): for each option, the bound with its row's knapsack
    holding it and every other row's without its item, less `bound`."""
    profit = _profits(model, ks, u)
    slots, p, w = _positive(profit, ks.weights)
    R, K = p.shape
    cols = np.arange(int(ks.capacity.max()) + 1)
    rows = np.arange(R)
    before = np.zeros((K + 1, R, len(cols)))  # best of the first k options
    after = np.zeros((K + 1, R, len(cols)))  # best of options k..K-1
    forward, backward = _Table(ks.capacity, ks.weights), _Table(ks.capacity, ks.weights)
    for k in range(K):
        forward.extend(w[:, k], p[:, k])
        before[k + 1] = forward.best
        backward.extend(w[:, K - 1 - k], p[:, K - 1 - k])
        after[K - 1 - k] = backward.best
    best = before[K][rows, ks.capacity]
    # A row's knapsack without its k-th option, within capacity t: max over c of before[k][c] + after[k+1][t-c].
    def without(k: int, t: np.ndarray) -> np.ndarray:
        rest = t[:, None] - cols[None, :]
        v = np.where(rest >= 0, before[k] + after[k + 1][rows[:, None], np.maximum(rest, 0)], -np.inf).max(axis=1)
        return np.where(t >= 0, v, -np.inf)

    # Every option: its value net of u, plus the best knapsack of its row in the capacity it leaves.
    room = ks.capacity[:, None] - ks.weights
    forced = profit + np.where(room >= 0, before[K][rows[:, None], np.maximum(room, 0)], -np.inf)
    drop = np.zeros((R, K))  # what a row's knapsack loses without its k-th option
    for k in range(K):
        real = p[:, k] > 0
        inside = without(k, room[rows, slots[:, k]])
        forced[rows[real], slots[real, k]] = p[real, k] + inside[real]
        drop[:, k] = np.where(real, best - without(k, ks.capacity), 0.0)
    rc = np.full(model.n_options, -np.inf)
    mask = ks.options >= 0
    rc[ks.options[mask]] = (forced - best[:, None])[mask]
    # Other rows give up the item: subtract what every row loses without it, except the option's own row.
    lost = np.zeros(model.n_items)
    opts = np.take_along_axis(ks.options, slots, 1)
    own = np.zeros(model.n_options)
    real = (p > 0) & (opts >= 0)
    np.add.at(lost, model.opt_item[opts[real]], drop[real])
    own[opts[real]] = drop[real]
    free_net = model.opt_value[ks.free] - u[model.opt_item[ks.free]]
    np.add.at(lost, model.opt_item[ks.free], np.maximum(free_net, 0.0))
    own[ks.free] = np.maximum(free_net, 0.0)
    rc[ks.free] = np.minimum(free_net, 0.0)
    rc -= lost[model.opt_item] - own
    return np.minimum(rc, 0.0)
