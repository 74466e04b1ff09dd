"""The Lagrangian (knapsack) bound of GAP-like models: above every plan, tighter than the LP, and its reduced costs
bound every plan that uses an option; the engine proves with it."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import instances

from benchmarks import gap
from matcher.engine import SolveParams, lagrange, solve_model
from matcher.engine.lp import solve_lp
from matcher.models import Policy
from matcher.problem import build_problem


@pytest.fixture
def gap_data():
    """The OR-Library GAP data folder named by $MATCHER_GAP_DATA (not part of the repository; skip without it)."""
    try:
        return gap.data_folder(None)
    except gap.GapDataError:
        pytest.skip(f"{gap.DATA_ENV} does not name the GAP data")


@st.composite
def gap_models(draw):
    """A small GAP (maybe with items that may stay out, and options in no row) as the engine's model."""
    m, n = draw(st.integers(2, 3)), draw(st.integers(2, 5))
    cost = np.array(draw(st.lists(st.integers(-20, 40), min_size=m * n, max_size=m * n))).reshape(m, n)
    weight = np.array(draw(st.lists(st.integers(1, 9), min_size=m * n, max_size=m * n))).reshape(m, n)
    capacity = np.array(draw(st.lists(st.integers(3, 20), min_size=m, max_size=m)))
    model = gap.to_model(gap.GapInstance("t", cost, weight, capacity), draw(st.sampled_from(["min", "max"])))
    model.must_place = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if draw(st.booleans()) and model.n_options:  # the first option (if any fits) needs no capacity
        model.A = model.A.tolil()
        model.A[:, 0] = 0
        model.A = model.A.tocsr()
        model.A.eliminate_zeros()
    return model


def _plans(model):
    """Every complete plan within the rows, with its value."""
    options = model.options_of()
    choices = [list(o) + ([] if model.must_place[i] else [-1]) for i, o in enumerate(options)]
    for combo in itertools.product(*choices):
        choice = np.array(combo, dtype=np.int64)
        if not len(model.hard_violations(choice)):
            yield choice, model.evaluate(choice)[0]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gap_models(), st.integers(-30, 30))
def test_bound_and_reduced_costs_hold_every_plan(model, offset):
    """Whatever the incumbent the steps aim at: the bound is at most the LP's and above every plan, and a plan
    using option o is worth at most bound + reduced_cost[o] (checked against every plan)."""
    assume(model.n_options > 0)
    lp = solve_lp(model)
    ks = lagrange.knapsacks(model)
    assert ks is not None
    if not lp.ok:
        return
    res = lagrange.relax(model, ks, lp.item_duals, lp.bound + offset, time_limit=10)
    tol = 1e-6 * max(1.0, abs(lp.bound))
    assert res.bound <= lp.bound + tol
    assert (res.reduced_costs <= 0).all()
    for choice, value in _plans(model):
        assert value <= res.bound + tol
        used = choice[choice >= 0]
        assert (value <= res.bound + res.reduced_costs[used] + tol).all()


def test_tighter_than_the_lp_on_a_chu_beasley_instance(gap_data):
    """d05100: LP 6345.4, best known 6353 (a minimisation): the Lagrangian bound closes most of that gap and fixes
    options the LP cannot."""
    data = gap_data
    model = gap.to_model(gap.read_gap(data / "chu1997" / "d05100", data), "min")
    lp = solve_lp(model)
    res = lagrange.relax(model, lagrange.knapsacks(model), lp.item_duals, -6353.0, time_limit=10)
    assert -6353.0 <= res.bound < lp.bound - 3.0
    better = -6353.0 + 1
    assert (res.bound + res.reduced_costs >= better).sum() < 0.7 * (lp.bound + np.minimum(lp.reduced_costs, 0)
                                                                    >= better).sum()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=5, max_localities=3))
def test_placement_models_are_not_knapsacks(ds):
    """Families use several rows of a locality (persons, housing ...): no knapsack structure."""
    model = build_problem(ds, Policy()).model
    if (np.diff(model.columns().indptr) > 1).any() or np.isfinite(model.penalty).any():
        assert lagrange.knapsacks(model) is None


def test_soft_rows_and_fractional_weights_are_not_knapsacks(gap_data):
    data = gap_data
    model = gap.to_model(gap.read_gap(data / "cattrysse1994" / "gap1-0", data), "min")
    assert lagrange.knapsacks(model) is not None
    soft = model.penalty.copy()
    soft[0] = 5.0
    assert lagrange.knapsacks(replace(model, penalty=soft)) is None
    halves = model.A.copy()
    halves.data = halves.data + 0.5
    assert lagrange.knapsacks(replace(model, A=halves)) is None


@pytest.mark.parametrize("name", ["gap1-0", "gap5-2", "gap8-3"])
def test_engine_reports_the_tighter_bound_and_proves(name, gap_data):
    data = gap_data
    model = gap.to_model(gap.read_gap(data / "cattrysse1994" / name, data), "max")
    # Work-limited, so that the proof does not depend on how busy the machine is.
    sol = solve_model(model, SolveParams(time_limit=5, workers=2, seed=0, work_limited=True))
    assert sol.status.value == "optimal"
    assert sol.bound < sol.lp.bound - 1e-6
    assert sol.bound >= sol.objective - 1e-6
    assert sol.stats["lagrangian_bound"] == pytest.approx(sol.bound)


def test_a_first_plan_at_the_bound_is_proved_without_search():
    """Capacities no plan can fill: the knapsacks take each job's cheapest agent, so the bound is the greedy
    plan's value and the engine stops there (no CP-SAT search: no search statistics)."""
    rng = np.random.default_rng(3)
    cost, weight = rng.integers(1, 50, size=(4, 12)), rng.integers(1, 10, size=(4, 12))
    model = gap.to_model(gap.GapInstance("loose", cost, weight, np.full(4, 200)), "min")
    # Work-limited, so that the proof does not depend on how busy the machine is.
    sol = solve_model(model, SolveParams(time_limit=5, workers=2, seed=0, work_limited=True))
    assert sol.status.value == "optimal"
    assert sol.objective == -cost.min(axis=0).sum()
    assert sol.bound == pytest.approx(sol.objective)
    assert "search_options" not in sol.stats
