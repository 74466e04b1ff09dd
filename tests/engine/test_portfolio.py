"""The whole-model portfolio (engine._portfolio): a proof by any search ends it early, and the plan stays the same
for the same seed whichever search proves first."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
from test_lns import gap_model

import matcher.engine.search as engine
from matcher.engine.cpsat import CpSatOutcome, solve_cpsat


def test_a_proof_elsewhere_stops_the_search_with_the_plan_it_would_end_with():
    """A search told the optimum stops at its first plan reaching it, the plan it returns without being told
    (a search reports improving plans only), and counts as proved."""
    model = gap_model(11, agents=10, jobs=120)
    budget = {"max_deterministic_time": 1.0}
    alone = solve_cpsat(model, hint=None, time_limit=30, workers=1, seed=4, parameters=budget)
    assert alone.choice is not None and not alone.proved_optimal  # hard enough to need the whole budget
    told = solve_cpsat(model, hint=None, time_limit=30, workers=1, seed=4, parameters=budget,
                       proved_elsewhere=lambda: alone.objective)
    assert told.proved_optimal and not told.cancelled
    assert np.array_equal(told.choice, alone.choice)
    assert told.objective == alone.objective == model.evaluate(told.choice)[0]
    assert told.det_time <= alone.det_time


def test_halt_ends_the_search_as_its_time_limit_would():
    model = gap_model(11, agents=10, jobs=120)
    halt = threading.Event()
    halt.set()
    started = time.monotonic()
    out = solve_cpsat(model, hint=None, time_limit=30, workers=1, seed=0, halt=halt)
    assert time.monotonic() - started < 10  # the 30 s limit would run on: the search is hard
    assert out.timed_out and not out.cancelled and not out.proved_optimal


def _fake(plans: dict[int, tuple[float, str]], halted: list[int], patience: float):
    """A solve_cpsat whose search `seed` returns a plan of the given value with a proof that is "exact", "gap"
    (within the gap limit) or "none"; a search without a proof waits (up to `patience` seconds) to be halted or
    told the optimum, and records a halt."""

    def solve(m, *, seed, halt, proved_elsewhere, **kwargs):
        value, proof = plans[seed]
        choice = np.full(m.n_items, seed, dtype=np.int64)  # marks which search the plan came from
        reached = False
        if proof == "none":
            for _ in range(int(patience * 100)):
                optimum = proved_elsewhere() if proved_elsewhere is not None else None
                reached = optimum is not None and value >= optimum
                if halt.is_set() or reached:
                    break
                threading.Event().wait(0.01)
            if halt.is_set():
                halted.append(seed)
        proved = proof != "none" or reached
        return CpSatOutcome(choice, proved, False, value + (proof == "gap"), False, not proved, 0.1, value,
                            exact=proof == "exact" or reached)

    return solve


def _portfolio(monkeypatch, plans, proving=True, patience=20.0):
    model = gap_model(1, agents=3, jobs=6)
    # The plan of search k (option k for every item) values more for a later search: as when two plans at the
    # proved optimum of the rounded values differ below the rounding.
    model = replace(model, opt_value=np.arange(model.n_options) * 1e-6)
    halted: list[int] = []
    monkeypatch.setattr(engine, "solve_cpsat", _fake(plans, halted, patience))
    out = engine._portfolio(model, None, 30.0, len(plans), 0, 1.0, None, lambda o, b: None, None, proving=proving)
    return out, halted


def test_a_search_before_the_prover_at_the_optimum_wins(monkeypatch):
    """Search 1 proves the optimum; search 0 already holds a plan at it: search 0's plan wins, as it would have
    had search 0 proved it itself (or had its budget ended before the proof came)."""
    out, halted = _portfolio(monkeypatch, {0: (5.0, "none"), 1: (5.0, "exact")})
    assert out.proved_optimal and out.exact and int(out.choice[0]) == 0 and halted == []


def test_the_prover_wins_over_a_worse_search_before_it(monkeypatch):
    out, halted = _portfolio(monkeypatch, {0: (4.0, "gap"), 1: (5.0, "exact"), 2: (3.0, "none")})
    assert out.proved_optimal and int(out.choice[0]) == 1
    assert halted == [2]  # the search after the prover is halted


def test_a_proof_by_the_first_search_halts_the_others(monkeypatch):
    out, halted = _portfolio(monkeypatch, {0: (5.0, "exact"), 1: (4.0, "none")})
    assert out.proved_optimal and int(out.choice[0]) == 0 and halted == [1]


def test_a_proof_within_the_gap_limit_halts_nobody(monkeypatch):
    """After a proof within the gap limit a better plan may still come: the other searches run to their end
    (here: their wait of 0.3 s, where a halt would come at once)."""
    out, halted = _portfolio(monkeypatch, {0: (4.0, "gap"), 1: (4.0, "none")}, patience=0.3)
    assert halted == [] and out.proved_optimal and not out.exact


def test_without_proving_no_proof_is_shared(monkeypatch):
    """The two-phase searches pass their deterministic time on: none of their searches is halted or told."""
    out, halted = _portfolio(monkeypatch, {0: (5.0, "exact"), 1: (5.0, "none")}, proving=False, patience=0.3)
    assert halted == [] and out.proved_optimal and not out.exact
