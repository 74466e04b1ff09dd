"""The stages of `solve_model` (search.py) and of `solve_cpsat` (cpsat.py), each on a small model: the search's
state, the early and first plans, the budgets, the bound, the solution's status, and CP-SAT's solver, watch and
outcome."""

from __future__ import annotations

import threading

import numpy as np
import scipy.sparse as sp
from ortools.sat.python import cp_model

from matcher.engine import SolveParams, cpsat, lns
from matcher.engine import search as engine
from matcher.engine.lp import no_lp, solve_lp
from matcher.engine.model import AssignmentModel
from matcher.models import Status


def tiny(must: bool = False) -> AssignmentModel:
    """Two items, two bins of one unit each: item 0 is worth 3 in bin 0, 2 in bin 1; item 1 is worth 2 in bin 0
    only. The best plan puts item 0 in bin 1 and item 1 in bin 0 (4); the greedy by value takes bin 0 for item 0
    (3)."""
    opt_item, opt_bin = np.array([0, 0, 1]), np.array([0, 1, 0])
    return AssignmentModel(
        n_items=2, n_bins=2, opt_item=opt_item, opt_bin=opt_bin, opt_value=np.array([3.0, 2.0, 2.0]),
        must_place=np.array([must, must]), A=sp.csr_matrix((np.ones(3), (opt_bin, np.arange(3))), shape=(2, 3)),
        rhs=np.ones(2), penalty=np.full(2, np.inf), row_resource=np.array(["unit", "unit"], dtype=object),
        row_bin=np.arange(2), row_rule=np.array(["unit", "unit"], dtype=object),
    )


def search(model: AssignmentModel, **params) -> engine._Search:
    return engine._Search.start(model, SolveParams(**params), params.get("time_limit", 5.0), 0, 1)


def test_the_search_state_keeps_one_deadline_and_the_best_complete_plan():
    s = search(tiny(must=True), time_limit=5.0)
    assert 0 < s.left() <= 5.0 and s.span == 5.0 and s.lp_work is None
    s.take(np.array([0, -1]))  # item 1 must be placed: not complete
    assert s.best is None
    s.take(np.array([1, 2]))
    assert s.best_obj == 4.0 and s.best.tolist() == [1, 2]
    s.take(np.array([0, -1]))  # worse (and not complete)
    assert s.best.tolist() == [1, 2]
    free = search(tiny())
    free.take(np.array([0, -1]))
    free.take(np.array([0, -1]).copy())  # as good: the first is kept
    free.take(np.array([1, 2]))
    assert free.best_obj == 4.0
    work = search(tiny(), time_limit=5.0, work_limited=True)
    assert work.span == np.inf and work.lp_work == engine.LP_SHARE * 5.0 * engine.LP_WORK_PER_SECOND


def test_the_callback_reports_on_the_full_scale_with_the_current_bound():
    seen = []
    s = search(tiny(), time_limit=5.0, on_progress=seen.append)
    s.lp_bound = 7.0
    s.on_solution_for("improving", lambda v: 10 * v)(0.3, 99.0)
    assert seen[0].stage == "improving" and seen[0].objective == 3.0 and seen[0].bound == 7.0


def test_an_early_plan_only_on_large_models():
    assert engine._early_plan(search(tiny())) == (None, -np.inf, 0.0)


def test_the_bound_and_prices_from_the_lp():
    s = search(tiny())
    lp = solve_lp(s.model)
    cap, prices = engine._bound_and_prices(s, lp, lexicographic=False)
    assert cap == np.inf and s.lp_bound == lp.bound == 4.0
    assert prices is not None and len(prices) == 2


def test_the_first_plan_follows_the_lp_and_becomes_the_best():
    s = search(tiny())
    lp = solve_lp(s.model)
    s.stats["lp_seconds"] = 0.0
    first = engine._first_plan(s, lp, lp.row_duals, None, -np.inf)
    assert first.tolist() == [1, 2] and s.best_obj == 4.0 and s.stats["first_plan_objective"] == 4.0
    s = search(tiny())
    s.stats["lp_seconds"] = 0.0
    first = engine._first_plan(s, no_lp(s.model), None, None, -np.inf)  # by value alone
    assert first.tolist() == [0, -1] and s.best_obj == 3.0


def test_budgets_on_the_clock_deterministic_or_by_work():
    s = search(tiny(), time_limit=4.0)
    assert engine._budgets(s, lexicographic=False) == (4.0 * engine.DET_PER_SECOND, lns.MIN_STEP_CHARGE)
    assert engine._budgets(s, lexicographic=True)[0] == 4.0 * engine.TWO_PHASE_DET_PER_SECOND
    assert s.cuts == []
    clock = search(tiny(), time_limit=4.0, deterministic=False)
    assert engine._budgets(clock, lexicographic=False)[0] is None and clock.cuts == ["search on the wall clock"]
    work = search(tiny(), time_limit=4.0, work_limited=True)  # whole values: the GAP's rate
    assert engine._budgets(work, lexicographic=False) == (4.0 * engine.DET_PER_SECOND, lns.STEP_DET)


def test_the_solution_says_which_ending_and_whether_the_plan_repeats():
    lp = no_lp(tiny())
    for ending, best, status in ((engine._Ending(infeasible=True), None, Status.INFEASIBLE),
                                 (engine._Ending(cancelled=True), np.array([1, 2]), Status.CANCELLED),
                                 (engine._Ending(), None, Status.TIMEOUT),
                                 (engine._Ending(proved=True, solver_bound=9.0), np.array([1, 2]), Status.OPTIMAL),
                                 (engine._Ending(solver_bound=9.0), np.array([1, 2]), Status.FEASIBLE)):
        s = search(tiny())
        s.lp_bound = 5.0
        if best is not None:
            s.best, s.best_obj = best, 3.0
        sol = engine._solution(s, lp, ending)
        assert sol.status is status
        assert sol.solver_bound == (3.0 if status is Status.OPTIMAL else ending.solver_bound)
        assert sol.deterministic is not ending.cancelled
    s = search(tiny())
    s.cuts.append("lp")
    assert engine._solution(s, lp, engine._Ending()).deterministic is False


def test_one_search_and_two_phases_reach_the_optimum():
    s = search(tiny(), time_limit=5.0)
    lp = solve_lp(s.model)
    s.lp_bound = lp.bound
    s.stats["lp_seconds"] = 0.0
    first = engine._first_plan(s, no_lp(s.model), None, None, -np.inf)  # [0, -1]: 3, not the best
    assert first.tolist() == [0, -1]
    ending = engine._one_search(s, lp, first, 5.0, lns.MIN_STEP_CHARGE)
    assert ending.proved and s.best.tolist() == [1, 2] and s.best_obj == 4.0


def test_the_cpsat_solver_takes_the_scaled_proof_settings_then_the_callers():
    solver = cpsat._solver(3, 7, 2.5, True, {"linearization_level": 0})
    assert solver.parameters.num_workers == 3 and solver.parameters.random_seed == 7
    assert solver.parameters.max_time_in_seconds == 2.5
    assert solver.parameters.find_big_linear_overlap is False and solver.parameters.linearization_level == 0
    assert cpsat._solver(1, 0, 1.0, False, None).parameters.linearization_level == 1  # CP-SAT's default


def test_the_watch_stops_at_the_lower_of_the_target_and_an_optimum_proved_elsewhere():
    watch = cpsat._Watch(cp_model.CpSolver(), 1.0, 1.0, cancel=None, halt=None, target=10.0,
                         proved_elsewhere=lambda: 8.0, on_solution=None)
    assert watch.reaches(8.0) and not watch.reaches(7.5)
    assert not cpsat._Watch(cp_model.CpSolver(), 1.0, 1.0, cancel=None, halt=None, target=None,
                            proved_elsewhere=None, on_solution=None).reaches(1e9)


def test_the_watch_stops_a_cancelled_search_and_the_outcome_says_so():
    model = tiny()
    built = cpsat.build_cpsat(model, hint=None)
    assert built is not None
    cancel = threading.Event()
    cancel.set()
    solver = cpsat._solver(1, 0, 5.0, False, None)
    watch = cpsat._Watch(solver, 5.0, built.value_scale, cancel=cancel, halt=None, target=None,
                         proved_elsewhere=None, on_solution=None)
    status = watch.solve(built.cp)
    out = cpsat._outcome(model, solver, status, watch, 5.0, None)
    if watch.cancelled:  # a search this small may end before the watchdog looks
        assert out.cancelled and not out.timed_out and not out.clock_cut
    else:
        assert out.proved_optimal
    seen = []
    solver = cpsat._solver(1, 0, 5.0, False, None)
    watch = cpsat._Watch(solver, 5.0, built.value_scale, cancel=None, halt=None, target=None,
                         proved_elsewhere=None, on_solution=lambda v, b: seen.append(v))
    out = cpsat._outcome(model, solver, watch.solve(built.cp), watch, 5.0, None)
    assert out.proved_optimal and out.exact and out.choice.tolist() == [1, 2] and out.objective == 4.0
    assert seen[-1] == 4.0 and watch.best == 4.0
