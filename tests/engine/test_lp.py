"""The LP bound: column generation agrees with the full LP, every bound is above every plan, and reduced-cost
fixing never removes an improving option."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from strategies import instances

import matcher.engine.lp as lp_module
from matcher.engine import SolveParams, solve_model
from matcher.engine.heuristic import greedy_plan
from matcher.engine.search import prune_by_reduced_cost
from matcher.models import Policy
from matcher.problem import build_problem


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=6, max_localities=4))
def test_column_generation_matches_the_full_lp(ds):
    """Pricing columns in from a few per family, or from a greedy plan's options (the engine's early plan),
    reaches the same LP optimum as solving it whole."""
    model = build_problem(ds, Policy()).model
    for m in (model, model.primary_model()):
        full = lp_module._solve_full(m, 30)
        saved = lp_module.CG_START_PER_ITEM
        try:
            lp_module.CG_START_PER_ITEM = 1
            answers = [lp_module._column_generation(m, 30), lp_module._column_generation(m, 30, start=greedy_plan(m))]
        finally:
            lp_module.CG_START_PER_ITEM = saved
        for cg in answers:
            assert full.ok == cg.ok
            if full.ok:
                assert abs(full.bound - cg.bound) <= 1e-6 * max(1.0, abs(full.bound))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=6, max_localities=4))
def test_lagrangian_bound_is_above_the_lp(ds):
    """Any non-negative row prices give a bound at least the LP optimum (here: half the optimal duals)."""
    model = build_problem(ds, Policy()).model
    full = lp_module._solve_full(model, 30)
    if full.ok:
        prices = np.minimum(0.5 * np.maximum(full.row_duals, 0), np.where(np.isfinite(model.penalty),
                                                                         model.penalty, np.inf))
        bound, _ = lp_module.lagrangian_bound(model, prices)
        assert bound >= full.bound - 1e-6 * max(1.0, abs(full.bound))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=6, max_localities=4))
def test_reduced_cost_fixing_keeps_the_optimum(ds):
    """The options kept after fixing from a greedy incumbent still contain an optimal plan."""
    model = build_problem(ds, Policy()).model
    lp = lp_module._solve_full(model, 30)
    first = greedy_plan(model, lp.x, lp.row_duals)
    best = solve_model(model, SolveParams(time_limit=5, workers=1))
    keep = prune_by_reduced_cost(model, lp, model.evaluate(first)[0])
    pruned = solve_model(model.subset(keep), SolveParams(time_limit=5, workers=1))
    assert pruned.objective >= best.objective - 1e-6 * max(1.0, abs(best.objective))


def test_bound_is_reported_for_lexicographic_models(monkeypatch):
    """The bound of a two-phase solve stays above its objective and the gap is small on a tiny instance."""
    from factories import commune, data, family

    import matcher.engine.search as engine

    monkeypatch.setattr(engine, "TWO_PHASE_MIN_OPTIONS", 0)
    ds = data([family(f"F{i}", (30, 30, 4)[: 1 + i % 3], sector="construction") for i in range(8)],
              [commune(str(j), units={1: 2, 2: 2}, jobs={"construction": 1}) for j in range(3)])
    sol = solve_model(build_problem(ds, Policy()).model, SolveParams(time_limit=5, workers=1))
    assert sol.bound >= sol.objective - 1e-6
    assert sol.gap < 0.01


def test_neighbourhood_search_keeps_plans_valid(monkeypatch):
    """Forced to search only the LP's neighbourhood, the engine still returns a valid plan and claims no proof
    it does not have."""
    from factories import commune, data, family

    import matcher.engine.search as engine

    monkeypatch.setattr(engine, "NEIGHBOURHOOD_MIN_OPTIONS", 0)
    monkeypatch.setattr(engine, "NEIGHBOURHOOD_PER_ITEM", 1)
    ds = data([family(f"F{i}", (30, 30, 4)[: 1 + i % 3], sector="construction") for i in range(12)],
              [commune(str(j), units={1: 2, 2: 2}, jobs={"construction": 1}) for j in range(4)])
    problem = build_problem(ds, Policy())
    sol = solve_model(problem.model, SolveParams(time_limit=5, workers=1))
    assert len(problem.model.hard_violations(sol.choice)) == 0
    assert sol.bound >= sol.objective - 1e-6
    best = solve_model(problem.model, SolveParams(time_limit=5, workers=1))
    assert sol.objective <= best.objective + 1e-6


def test_one_search_on_a_lexicographic_model_reports_the_tighter_bound():
    """A small lexicographic model solved in one search reports the smaller of the weighted LP bound and the bound
    of its two phases, never below its objective."""
    from factories import commune, data, family

    ds = data([family(f"F{i}", (30, 30, 4)[: 1 + i % 3], sector="construction") for i in range(9)],
              [commune(str(j), units={1: 1, 2: 1}, jobs={"construction": 1}) for j in range(3)])
    model = build_problem(ds, Policy()).model
    assert model.opt_primary is not None
    sol = solve_model(model, SolveParams(time_limit=5, workers=1))
    assert "phase1_seconds" not in sol.stats
    assert sol.bound <= lp_module.solve_lp(model).bound + 1e-6
    assert sol.bound >= sol.objective - 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=6, max_localities=4))
def test_pruning_by_an_unfinished_column_generation_keeps_the_optimal_plan(ds):
    """Stopped after its first restricted LP (one option per family, or a plan's), column generation still gives
    a valid bound and reduced costs: the options of a proved optimal plan all survive reduced-cost fixing against
    that optimum."""
    model = build_problem(ds, Policy()).model
    saved = lp_module.CG_START_PER_ITEM
    try:
        lp_module.CG_START_PER_ITEM = 1
        _check_unfinished_pruning(model)
    finally:
        lp_module.CG_START_PER_ITEM = saved


def _check_unfinished_pruning(model):  # type: ignore[no-untyped-def]
    best = solve_model(model, SolveParams(time_limit=10, workers=1))
    if best.status != "optimal":
        return
    for start in (None, greedy_plan(model)):
        lp = lp_module._column_generation(model, 0.0, start=start)
        if not lp.ok:
            continue
        assert lp.bound >= best.objective - 1e-6 * max(1.0, abs(best.objective))
        keep = prune_by_reduced_cost(model, lp, best.objective)
        chosen = best.choice[best.choice >= 0]
        assert np.isin(chosen, keep).all()
