"""Neighbourhood search (matcher/engine/lns.py): every step keeps the plan valid and its bookkeeping exact, never
loses value, and the engine's searches with it stay deterministic."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import instances

import matcher.engine.search as engine
from matcher.engine import SolveParams, lns, solve_model
from matcher.engine.cpsat import solve_cpsat
from matcher.engine.model import AssignmentModel
from matcher.models import Policy
from matcher.problem import build_problem


def gap_model(seed: int, agents: int = 6, jobs: int = 40, slack: float = 0.8) -> AssignmentModel:
    """A random generalised assignment problem like Chu and Beasley's type D (maximise profit, every job placed,
    capacity per agent; heavier pairs pay more, which makes the problem hard)."""
    rng = np.random.default_rng(seed)
    weight = rng.integers(1, 101, size=(agents, jobs))
    profit = weight + rng.integers(-10, 11, size=(agents, jobs)) + 20
    capacity = np.full(agents, np.ceil(slack * weight.sum() / agents / agents))
    agent, job = np.meshgrid(np.arange(agents), np.arange(jobs), indexing="ij")
    agent, job = agent.ravel(), job.ravel()
    order = np.lexsort((agent, job))
    agent, job = agent[order], job[order]
    O = len(job)
    return AssignmentModel(
        n_items=jobs, n_bins=agents, opt_item=job, opt_bin=agent, opt_value=profit[agent, job].astype(float),
        must_place=np.ones(jobs, dtype=bool),
        A=sp.csr_matrix((weight[agent, job].astype(float), (agent, np.arange(O))), shape=(agents, O)),
        rhs=capacity.astype(float), penalty=np.full(agents, np.inf),
        row_resource=np.full(agents, "capacity", dtype=object), row_bin=np.arange(agents),
        row_rule=np.full(agents, "capacity", dtype=object),
    )


def first_plan(model: AssignmentModel) -> np.ndarray | None:
    """Any complete plan, from CP-SAT (None if there is none)."""
    out = solve_cpsat(model, hint=None, time_limit=10, workers=1, seed=0,
                      parameters={"stop_after_first_solution": True})
    return out.choice


def assert_bookkeeping(model: AssignmentModel, plan: lns.Plan) -> None:
    x = np.zeros(model.n_options)
    x[plan.choice[plan.choice >= 0]] = 1.0
    assert np.allclose(plan.use, model.A @ x)
    assert plan.objective == pytest.approx(model.evaluate(plan.choice)[0], abs=1e-6)
    assert len(model.hard_violations(plan.choice)) == 0
    assert not (model.must_place & (plan.choice < 0)).any()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_steps_keep_a_gap_plan_complete_and_never_worse(seed):
    model = gap_model(seed, jobs=30)
    start = first_plan(model)
    assert start is not None
    plan = lns.Plan.of(model, start)
    stream = lns.Stream(seed=seed)
    for _ in range(8):
        before = plan.objective
        lns.step(model, plan, stream, deadline=float("inf"))
        assert plan.objective >= before - 1e-9
        assert_bookkeeping(model, plan)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=8, max_localities=4))
def test_steps_on_placements_respect_every_hard_row_and_price_soft_ones(ds):
    """Placement models have optional items, soft rows with penalties and rows across localities."""
    problem = build_problem(ds, Policy())
    model = problem.model
    if not lns.applicable(model):
        return
    start = first_plan(model)
    if start is None:
        return
    plan = lns.Plan.of(model, start)
    stream = lns.Stream(seed=1)
    for _ in range(6):
        before = plan.objective
        lns.step(model, plan, stream, deadline=float("inf"))
        assert plan.objective >= before - 1e-9
        assert_bookkeeping(model, plan)


def test_improve_on_hint_asks_for_strictly_better_plans():
    model = gap_model(3, agents=4, jobs=10)
    best = solve_cpsat(model, hint=None, time_limit=10, workers=1, seed=0)
    assert best.proved_optimal and best.choice is not None
    again = solve_cpsat(model, hint=best.choice, time_limit=10, workers=1, seed=0, improve_on_hint=True)
    assert again.proved_infeasible and again.choice is None
    start = first_plan(model)
    assert start is not None
    if model.evaluate(start)[0] < model.evaluate(best.choice)[0]:
        better = solve_cpsat(model, hint=start, time_limit=10, workers=1, seed=0, improve_on_hint=True)
        assert better.choice is not None
        assert model.evaluate(better.choice)[0] > model.evaluate(start)[0]


def test_engine_with_neighbourhood_search_is_deterministic_and_valid(monkeypatch):
    """With the whole-model search cut short, the plan comes from neighbourhood rounds on both workers; the
    deterministic budgets give the same plan for the same seed. Work-limited, so that no stage looks at the
    clock and a loaded machine cannot make the two runs differ (the result says it is deterministic)."""
    monkeypatch.setattr(engine, "FULL_SEARCH_SHARE", 0.05)
    monkeypatch.setattr(engine, "FULL_SEARCH_MIN_DET", 0.0)
    monkeypatch.setattr(engine, "DET_PER_SECOND", 0.1)
    model = gap_model(7, agents=8, jobs=80)
    calls = []
    original = lns.run

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(lns, "run", counting)
    plans = [solve_model(model, SolveParams(time_limit=8, seed=5, workers=2, work_limited=True)) for _ in range(2)]
    assert calls, "the neighbourhood search did not run"
    assert all(sol.deterministic for sol in plans)
    assert np.array_equal(plans[0].choice, plans[1].choice)
    for sol in plans:
        assert len(model.hard_violations(sol.choice)) == 0 and (sol.choice >= 0).all()
        assert sol.objective <= sol.bound + 1e-6


def optimum(model: AssignmentModel) -> tuple[float, np.ndarray]:
    # The reference optimum: a generous cap, so that a busy machine still reaches the proof (no speed is asserted).
    out = solve_cpsat(model, hint=None, time_limit=600, workers=1, seed=0)
    assert out.proved_optimal and out.choice is not None
    return model.evaluate(out.choice)[0], out.choice


def test_at_least_asks_for_plans_worth_that_much():
    model = gap_model(3, agents=4, jobs=10)
    best, _ = optimum(model)
    assert solve_cpsat(model, hint=None, time_limit=10, workers=1, seed=0, at_least=best + 1).proved_infeasible
    out = solve_cpsat(model, hint=None, time_limit=10, workers=1, seed=0, at_least=best)
    assert out.choice is not None and model.evaluate(out.choice)[0] == pytest.approx(best)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_steps_leave_out_the_options_reduced_costs_exclude(seed):
    """With `allowed`, a step moves items to allowed options only (the plan's own options always stay allowed)."""
    model = gap_model(seed, jobs=30)
    start = first_plan(model)
    assert start is not None
    plan = lns.Plan.of(model, start)
    allowed = np.random.default_rng(seed).random(model.n_options) < 0.6
    ok = allowed.copy()
    ok[start] = True
    stream = lns.Stream(seed=seed)
    for _ in range(8):
        before = plan.objective
        lns.step(model, plan, stream, deadline=float("inf"), allowed=allowed)
        assert plan.objective >= before - 1e-9
        assert_bookkeeping(model, plan)
        assert ok[plan.choice].all()
        ok[plan.choice] = True


def reduced_of(model: AssignmentModel) -> tuple[float, np.ndarray]:
    from matcher.engine.lp import solve_lp

    lp = solve_lp(model, time_limit=10)
    assert lp.ok
    return lp.bound, lp.reduced_costs


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_proof_after_neighbourhoods_is_exact(seed):
    """From the optimum, the proof finds no better plan (a proof of optimality); from a worse plan it finds a
    better one, and when it says it is the best, it is the optimum."""
    model = gap_model(seed, agents=5, jobs=25)
    best, best_choice = optimum(model)
    reduced = reduced_of(model)
    at_best = engine._proof(model, reduced, lns.Plan.of(model, best_choice), 50.0, float("inf"), 0, None)
    assert at_best.proved_infeasible and at_best.choice is None
    start = first_plan(model)
    assert start is not None
    worse = lns.Plan.of(model, start)
    if worse.objective < best - 0.5:
        out = engine._proof(model, reduced, worse, 50.0, float("inf"), 0, None)
        assert out.choice is not None
        assert len(model.hard_violations(out.choice)) == 0 and (out.choice >= 0).all()
        assert model.evaluate(out.choice)[0] >= worse.objective + 1
        if out.exact:
            assert model.evaluate(out.choice)[0] == pytest.approx(best)


def test_the_proof_with_fractional_values_starts_from_the_plan():
    """Scores that are not whole: the proof searches from the plan and proves it optimal without a cut."""
    base = gap_model(4, agents=5, jobs=25)
    model = replace(base, opt_value=base.opt_value + 0.25 * (base.opt_item % 3))
    best, best_choice = optimum(model)
    out = engine._proof(model, reduced_of(model), lns.Plan.of(model, best_choice), 50.0, float("inf"), 0, None)
    assert out.exact and out.choice is not None
    assert model.evaluate(out.choice)[0] == pytest.approx(best, abs=1e-6)


def test_a_stalled_neighbourhood_search_ends_in_a_proof(monkeypatch):
    """When a round of neighbourhoods finds nothing better, the second worker's proof takes the rest of the budget:
    here it finds the optimum and proves it, and the engine says so; the same plan for the same seed (work-limited:
    the proof's budget, not the clock, ends it)."""
    monkeypatch.setattr(engine, "FULL_SEARCH_SHARE", 0.0)
    monkeypatch.setattr(engine, "FULL_SEARCH_MIN_DET", 0.001)
    monkeypatch.setattr(engine, "PROOF_MAX_SHARE", 1.0)
    monkeypatch.setattr(lns, "run", lambda *args, **kwargs: float(args[3]))  # rounds that find nothing
    model = gap_model(7, agents=5, jobs=25)
    best, _ = optimum(model)
    sols = [solve_model(model, SolveParams(time_limit=20, seed=3, workers=2, work_limited=True)) for _ in range(2)]
    for sol in sols:
        assert sol.status.value == "optimal"
        assert sol.objective == pytest.approx(best)
        assert len(model.hard_violations(sol.choice)) == 0 and (sol.choice >= 0).all()
    assert all(sol.deterministic for sol in sols)
    assert np.array_equal(sols[0].choice, sols[1].choice)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_core_is_each_items_best_options_by_reduced_cost(seed):
    model = gap_model(seed, agents=7, jobs=30)
    rc = np.random.default_rng(seed).normal(size=model.n_options)
    rc[::5] = 0.0  # ties, taken in option order
    core = engine._core(model, rc, 3)
    for g in range(model.n_items):
        opts = np.flatnonzero(model.opt_item == g)
        ranked = sorted(opts, key=lambda o: (-rc[o], o))
        assert set(np.flatnonzero(core & (model.opt_item == g))) == set(ranked[:3])


def test_every_other_worker_searches_the_core(monkeypatch):
    """With the LP's reduced costs, worker 1's neighbourhoods may move each item among its CORE_PER_ITEM best
    options only, worker 0's among all that reduced-cost fixing keeps; the plan stays valid and the same for the
    same seed (work-limited: no clock, so that load on the machine cannot make the two runs differ)."""
    monkeypatch.setattr(engine, "FULL_SEARCH_SHARE", 0.05)
    monkeypatch.setattr(engine, "FULL_SEARCH_MIN_DET", 0.0)
    monkeypatch.setattr(engine, "DET_PER_SECOND", 0.1)
    monkeypatch.setattr(engine, "PROOF_MAX_SHARE", 0.0)  # neighbourhoods only
    model = gap_model(7, agents=8, jobs=80)
    widest: dict[int, int] = {}  # per stream: most options an item may move to, over its rounds
    original = lns.run

    def recording(model_, plan, stream, *args, **kwargs):
        per_item = np.bincount(model_.opt_item[kwargs["allowed"]], minlength=model_.n_items)
        widest[stream.seed] = max(widest.get(stream.seed, 0), int(per_item.max()))
        return original(model_, plan, stream, *args, **kwargs)

    monkeypatch.setattr(lns, "run", recording)
    plans = [solve_model(model, SolveParams(time_limit=8, seed=5, workers=2, work_limited=True)) for _ in range(2)]
    first, second = (widest[s] for s in sorted(widest))  # workers 0 and 1 (their streams' seeds grow with w)
    assert second <= engine.CORE_PER_ITEM < first
    assert all(sol.deterministic for sol in plans)
    assert np.array_equal(plans[0].choice, plans[1].choice)
    for sol in plans:
        assert len(model.hard_violations(sol.choice)) == 0 and (sol.choice >= 0).all()
