"""Large neighbourhood search: free the items of a few bins, solve that small model exactly with CP-SAT, keep the
plan if it is better, repeat.

A single-threaded CP-SAT search on the whole model stalls on large assignment models (hundreds of items): it runs
no neighbourhood search of its own with one worker. Here each step frees every item placed in ``k`` bins (and the
unplaced items), lets them move among those bins only, and solves that sub-model from the current plan within a
small deterministic budget. ``k`` grows while the steps are solved to optimality and shrinks when they are not.
Bins are drawn at random or, every other step, around one bin: the bins where its items have their next best
options. Every choice comes from a seeded generator and every budget is CP-SAT's deterministic time, so a stream
is the same for the same seed (as long as the wall clock does not cut it short).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from matcher.engine.cpsat import solve_cpsat
from matcher.engine.model import AssignmentModel

#: CP-SAT deterministic time per step, and bins freed by the first step.
STEP_DET = 0.15
START_BINS = 4
#: The least a step counts against a budget, so that the loop ends.
MIN_STEP_CHARGE = 1e-3


def applicable(model: AssignmentModel) -> bool:
    """A neighbourhood smaller than the model needs at least three bins."""
    return model.n_bins >= 3 and model.n_options > 0


@dataclass
class Plan:
    """A complete plan, its use of every row and its objective, kept up to date step by step."""

    choice: np.ndarray
    use: np.ndarray
    objective: float

    @classmethod
    def of(cls, model: AssignmentModel, choice: np.ndarray) -> Plan:
        x = np.zeros(model.n_options)
        x[choice[choice >= 0]] = 1.0
        return cls(choice.copy(), model.A @ x, model.evaluate(choice)[0])

    def copy(self) -> Plan:
        return Plan(self.choice.copy(), self.use.copy(), self.objective)


@dataclass
class Stream:
    """One search thread's state: its generator and its neighbourhood size."""

    seed: int
    k: int = START_BINS
    steps: int = 0
    #: The wall clock cut a step or the run short: the stream's plan depends on the machine's speed.
    clock_cut: bool = False
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)


def _column_sum(model: AssignmentModel, options: np.ndarray) -> np.ndarray:
    cols = model.columns()[:, options]
    return np.asarray(cols.sum(axis=1)).ravel()


def _bins(model: AssignmentModel, plan: Plan, stream: Stream, k: int) -> np.ndarray:
    rng = stream.rng
    if stream.steps % 2 == 0:
        return rng.choice(model.n_bins, size=k, replace=False)
    # Around one bin: where the items placed there have options worth nearly as much.
    b0 = int(rng.integers(model.n_bins))
    placed = plan.choice >= 0
    on = np.zeros(model.n_items, dtype=bool)
    on[placed] = model.opt_bin[plan.choice[placed]] == b0
    alt = np.nonzero(on[model.opt_item] & (model.opt_bin != b0))[0]
    weight = np.full(model.n_bins, 1e-3)
    if len(alt):
        loss = model.opt_value[plan.choice[model.opt_item[alt]]] - model.opt_value[alt]
        scale = float(np.abs(loss).mean()) + 1e-9
        np.add.at(weight, model.opt_bin[alt], np.exp(-np.maximum(loss, 0.0) / scale))
    weight[b0] = 0.0
    others = rng.choice(model.n_bins, size=k - 1, replace=False, p=weight / weight.sum())
    return np.concatenate([[b0], others])


def step(model: AssignmentModel, plan: Plan, stream: Stream, deadline: float,
         allowed: np.ndarray | None = None) -> tuple[bool, float]:
    """One neighbourhood: returns whether the plan improved and the deterministic time used. With `allowed`
    (a mask of options), the freed items move to allowed options only."""
    k = max(2, min(stream.k, model.n_bins - 1))
    in_b = np.zeros(model.n_bins, dtype=bool)
    in_b[_bins(model, plan, stream, k)] = True
    stream.steps += 1
    cur = plan.choice
    placed = cur >= 0
    free = ~placed
    free[placed] = in_b[model.opt_bin[cur[placed]]]
    mask = free[model.opt_item] & in_b[model.opt_bin]
    if allowed is not None:
        # Only the options a better plan may use (reduced-cost fixing), and the freed items' own, for the hint.
        own = np.zeros(model.n_options, dtype=bool)
        own[cur[placed]] = True
        mask &= allowed | own
    keep = np.nonzero(mask)[0]
    if not len(keep):
        return False, 0.0
    items = np.nonzero(free)[0]
    item_pos = np.full(model.n_items, -1, dtype=np.int64)
    item_pos[items] = np.arange(len(items))
    old = cur[items]
    old_opts = old[old >= 0]
    # The free items' options, by columns (the cached CSC is much faster to slice than A), against what the fixed
    # items leave of each row; rows the free options do not touch are dropped.
    A = model.columns()[:, keep].tocsr()
    sub = replace(model, n_items=len(items), opt_item=item_pos[model.opt_item[keep]], opt_bin=model.opt_bin[keep],
                  opt_value=model.opt_value[keep], must_place=model.must_place[items], A=A,
                  rhs=model.rhs - plan.use + _column_sum(model, old_opts), opt_primary=None)
    sub = sub.row_subset(np.diff(A.indptr) > 0)
    pos = np.full(model.n_options, -1, dtype=np.int64)
    pos[keep] = np.arange(len(keep))
    hint = np.where(old >= 0, pos[np.maximum(old, 0)], -1)
    out = solve_cpsat(sub, hint=hint, time_limit=max(0.05, deadline - time.monotonic()), workers=1,
                      seed=int(stream.rng.integers(2**31 - 1)), parameters={"max_deterministic_time": STEP_DET},
                      improve_on_hint=True)
    stream.clock_cut |= out.clock_cut
    if out.proved_optimal or out.proved_infeasible:  # solved: no better plan in this neighbourhood
        stream.k += 1
    elif stream.rng.random() < 0.5:
        stream.k = max(2, stream.k - 1)
    if out.choice is None:
        return False, out.det_time
    gain = sub.evaluate(out.choice)[0] - sub.evaluate(hint)[0]
    if gain <= 1e-9 * max(1.0, abs(plan.objective)):
        return False, out.det_time
    new = np.where(out.choice >= 0, keep[np.maximum(out.choice, 0)], -1)
    plan.choice[items] = new
    plan.use += _column_sum(model, new[new >= 0]) - _column_sum(model, old_opts)
    plan.objective += gain
    return True, out.det_time


def run(model: AssignmentModel, plan: Plan, stream: Stream, det_budget: float, deadline: float,
        stop: Callable[[], bool] | None = None, on_improve: Callable[[float], None] | None = None,
        target: float | None = None, allowed: np.ndarray | None = None,
        step_charge: float = MIN_STEP_CHARGE) -> float:
    """Steps from `plan` (improved in place) until `det_budget` deterministic time is used (each step counting
    at least `step_charge`), the deadline passes, `stop()` says so or the objective reaches `target`; returns the
    deterministic time used."""
    used = 0.0
    while used < det_budget:
        if time.monotonic() >= deadline - 0.05:
            stream.clock_cut = True
            break
        if stop is not None and stop():
            break
        if target is not None and plan.objective >= target - 1e-9:
            break
        better, det = step(model, plan, stream, deadline, allowed)
        used += max(det, step_charge)  # a step always counts, so that the loop ends
        if better and on_improve is not None:
            on_improve(plan.objective)
    return used
