"""Time limits end to end, by their mechanism (no duration is asserted: the wall-clock figures are in
benchmarks/results): one deadline from the clock's start, the cheap path of every stage once it has passed, the
check always, determinism reported, the work-limited mode deaf to the clock, seeds and limits bounded."""

from __future__ import annotations

import importlib
import time as real_time

import numpy as np
import pytest
from factories import commune, data, family

import matcher.match as match_module
from matcher.engine import SolveParams, cpsat, heuristic, lagrange, lns, relative_gap, solve_model
from matcher.engine import lp as lp_module
from matcher.engine import search as engine
from matcher.match import solve
from matcher.models import Policy, Status
from matcher.models.policy import MAX_SEED, MAX_WORKERS
from matcher.problem import build_problem

# (`matcher.explain` exports functions named like these modules: the modules themselves, by name.)
check_module = importlib.import_module("matcher.checker")
reasons_module = importlib.import_module("matcher.explain.reasons")


def crowded(n_families: int = 30, n_communes: int = 5):
    """More families than units: some stay out for lack of room (reasons about capacity), one needs a service
    offered nowhere, two are linked with no commune open to both."""
    cases = [family(f"C{i:02d}", (30, 28) if i % 3 else (30,), languages=("ar",), french="B1")
             for i in range(n_families)]
    cases.append(family("H", (40,), health_services=("dialysis",)))
    cases += [family("L1", (30, 30), linked_case_ids=("L2",), excluded_locality_ids=("0", "1", "2")),
              family("L2", (30, 30), excluded_locality_ids=tuple(str(k) for k in range(3, n_communes)))]
    communes = [commune(str(k), units={1: 2, 2: 2}, max_persons=7 if k else 5) for k in range(n_communes)]
    return data(cases, communes)


class FastClock:
    """A `time` module whose clock runs ten seconds ahead at every look: any stage that reads it is cut."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        self.offset += 10.0
        return real_time.monotonic() + self.offset

    def __getattr__(self, name: str):  # sleep, time ...: the real ones
        return getattr(real_time, name)


def with_fast_clock(monkeypatch) -> None:
    clock = FastClock()
    for module in (engine, lns, cpsat, heuristic, lagrange, match_module):
        monkeypatch.setattr(module, "time", clock)


def plan_of(result) -> list[tuple[str, str]]:
    return sorted((p.case_id, p.locality_id) for p in result.placements)


def test_reasons_of_all_unplaced_families_come_from_one_product(monkeypatch):
    """The plan's use of every row is computed once for all the unplaced families (it was once per family, each a
    product over the whole matrix), and the capacity reasons of all of them in one pass here."""
    problem = build_problem(crowded(), Policy())
    products, passes = [], []
    row_use, full_counts = reasons_module.row_use, reasons_module._full_counts
    monkeypatch.setattr(reasons_module, "row_use", lambda *a: products.append(1) or row_use(*a))
    monkeypatch.setattr(reasons_module, "_full_counts", lambda *a: passes.append(1) or full_counts(*a))
    result = solve(problem, SolveParams(time_limit=5, workers=1))
    full = [u for u in result.unplaced if u.kind.startswith("full")]
    assert len(full) >= 5
    assert len(products) == 1 and len(passes) == 1
    # The words are those of the rows: each names its possible communes.
    assert all("possible communes)" in u.reasons[0] for u in full)


def test_vectorised_reasons_match_a_family_by_family_reference():
    """For every unplaced family with options: the full rows found option by option (the former method) give
    the same words and commune counts as the pass over all of them."""
    problem = build_problem(crowded(), Policy())
    result = solve(problem, SolveParams(time_limit=5, workers=1))
    choice = np.full(problem.model.n_items, -1, dtype=np.int64)
    for g, members in enumerate(problem.items):
        lid = result.plan().get(problem.cases[members[0]].case_id)
        if lid is not None:
            lo = problem.loc_index[lid]
            choice[g] = np.flatnonzero((problem.model.opt_item == g) & (problem.model.opt_bin == lo))[0]
    use = reasons_module.row_use(problem, choice)
    model = problem.model
    checked = 0
    for u in result.unplaced:
        c = problem.case_index[u.case_id]
        g = int(problem.item_of_case[c])
        opts = np.flatnonzero(model.opt_item == g)
        if not len(opts):
            continue
        bins_with: dict[str, set[int]] = {}
        for o in opts:
            for r in reasons_module._full_rows_for(problem, int(o), use):
                bins_with.setdefault(reasons_module.resource_words(problem, r, c), set()).add(int(model.opt_bin[o]))
        n_cand = len(set(model.opt_bin[opts].tolist()))
        expected = {f"{w} ({len(b)} of {n_cand} possible communes)" for w, b in bins_with.items()}
        got = {r for r in u.reasons if "possible communes" in r}
        assert got <= expected and len(got) == min(len(expected), reasons_module.MAX_FULL)
        checked += 1
    assert checked >= 5


def test_a_deadline_already_passed_takes_every_cheap_path_and_still_checks(monkeypatch):
    """With the clock started long ago: no LP (the bound of every item's best option), no search, the reasons
    of capacity summarised, but the checker runs and the result says the clock cut the run."""
    problem = build_problem(crowded(), Policy())
    lps, searches, checks = [], [], []
    solve_lp, solve_cpsat, check = engine.solve_lp, engine.solve_cpsat, check_module.check
    monkeypatch.setattr(engine, "solve_lp", lambda *a, **k: lps.append(1) or solve_lp(*a, **k))
    monkeypatch.setattr(engine, "solve_cpsat", lambda *a, **k: searches.append(1) or solve_cpsat(*a, **k))
    monkeypatch.setattr(check_module, "check", lambda *a, **k: checks.append(1) or check(*a, **k))
    result = solve(problem, SolveParams(time_limit=5, workers=1, started=real_time.monotonic() - 60))
    assert not lps and not searches
    assert checks == [1]
    assert result.deterministic is False
    assert result.bound is not None and np.isfinite(result.bound)
    assert result.status in (Status.TIMEOUT, Status.FEASIBLE)
    kinds = {u.kind for u in result.unplaced}
    assert kinds & {"timeout", "not explained"}
    # What does not depend on the plan is still said in full: the service offered nowhere, the linked pair.
    assert next(u for u in result.unplaced if u.case_id == "H").reasons == ["needs dialysis: offered nowhere"]
    assert next(u for u in result.unplaced if u.case_id == "L1").kind == "linked"


def test_the_first_plan_stops_at_the_deadline_except_for_must_place_items():
    """The greedy plan places nothing once its deadline has passed, but the pinned families still."""
    problem = build_problem(crowded(), Policy(), pins={"C01": "2"})
    choice = heuristic.greedy_plan(problem.model, deadline=0.0)
    placed = {problem.cases[m].case_id for g in np.flatnonzero(choice >= 0) for m in problem.items[g]}
    assert placed == {"C01"}
    assert (heuristic.greedy_plan(problem.model) >= 0).sum() > 1
    # Without pins or a previous plan it returns at once, before ordering the options.
    unpinned = build_problem(crowded(), Policy()).model
    unpinned.columns = lambda: pytest.fail("the options were gathered past the deadline")  # type: ignore[method-assign]
    assert (heuristic.greedy_plan(unpinned, deadline=0.0) < 0).all()


def test_no_plan_in_time_is_a_timeout_not_an_optimum():
    """When the clock ends the first plan before it placed anyone, the status says so (not 'feasible' with an
    empty plan) and a note tells what to do."""
    problem = build_problem(crowded(), Policy())
    result = solve(problem, SolveParams(time_limit=5, workers=1, started=real_time.monotonic() - 60))
    assert result.status is Status.TIMEOUT and result.objective is None and result.gap is None
    assert any("time limit ended before a plan" in n for n in result.notes)


def test_work_limited_mode_gives_the_same_plan_whatever_the_clock(monkeypatch):
    """Work-limited, no stage reads the clock: with a clock that runs ten seconds ahead at every look (a very
    slow machine), the plan is the one of a normal run, and it says it is deterministic. On the same clock, the
    default mode is cut and says so."""
    ds = crowded()
    params = SolveParams(time_limit=2, workers=2, seed=3, work_limited=True)
    normal = solve(build_problem(ds, Policy()), params)
    with_fast_clock(monkeypatch)
    slow = solve(build_problem(ds, Policy()), params)
    again = solve(build_problem(ds, Policy()), params)
    assert normal.deterministic is slow.deterministic is again.deterministic is True
    assert plan_of(normal) == plan_of(slow) == plan_of(again)
    cut = solve(build_problem(ds, Policy()), SolveParams(time_limit=2, workers=2, seed=3))
    assert cut.deterministic is False
    assert check_module.check(ds, Policy(), cut.placements) == []


def test_a_clock_cut_anywhere_marks_the_solution_not_deterministic():
    """The LP, the Lagrangian steps, CP-SAT and a neighbourhood run each say when the clock stopped them."""
    problem = build_problem(crowded(), Policy())
    assert solve_model(problem.model, SolveParams(time_limit=5, workers=1,
                                                  deadline=real_time.monotonic() - 1)).deterministic is False
    assert lp_module.no_lp(problem.model).clock_cut
    out = cpsat.solve_cpsat(problem.model, hint=None, time_limit=0.0, workers=1, seed=0,
                            deadline=real_time.monotonic() - 1)
    assert out.clock_cut and out.choice is None
    stream = lns.Stream(seed=1)
    plan = lns.Plan.of(problem.model, np.full(problem.model.n_items, -1, dtype=np.int64))
    lns.run(problem.model, plan, stream, det_budget=1.0, deadline=real_time.monotonic() - 1)
    assert stream.clock_cut


def test_a_work_limited_lp_stops_on_its_rounds_not_the_clock():
    """Column generation with a work budget ends after its rounds at most, with a valid bound and no clock cut."""
    ds = data([family(f"C{i}", (30,)) for i in range(400)], [commune(str(k), units={1: 5}) for k in range(80)])
    model = build_problem(ds, Policy()).model.primary_model()
    assert model.n_options > lp_module.CG_MIN_OPTIONS
    full = lp_module.solve_lp(model, time_limit=np.inf)
    limited = lp_module.solve_lp(model, time_limit=np.inf, work=0.5)
    assert not limited.clock_cut
    assert limited.bound >= full.bound - 1e-6


@pytest.mark.parametrize("bad", [MAX_SEED + 1, 2**31 - 1, 2**63, -1])
def test_seeds_out_of_range_are_refused_with_the_bounds(bad):
    """Seeds beyond CP-SAT's 31 bits (each worker adds its number) are refused in words, not by a traceback
    from deep in the solver; the largest allowed seed solves."""
    problem = build_problem(crowded(6, 2), Policy())
    with pytest.raises(ValueError, match=f"seed: must be a whole number from 0 to {MAX_SEED:,}"):
        solve(problem, SolveParams(time_limit=2, seed=bad))
    result = solve(problem, SolveParams(time_limit=2, seed=MAX_SEED, workers=2))
    assert result.provenance.seed == MAX_SEED and result.placements


@pytest.mark.parametrize(("limit", "workers"), [(float("inf"), 1), (float("nan"), 1), (0.0, 1), (2.0, 0),
                                                (2.0, MAX_WORKERS + 1)])
def test_time_limits_and_workers_out_of_range_are_refused(limit, workers):
    problem = build_problem(crowded(6, 2), Policy())
    with pytest.raises(ValueError, match=r"time limit|workers"):
        solve(problem, SolveParams(time_limit=limit, workers=workers))


def test_a_bound_near_zero_does_not_make_a_full_gap():
    """Rounding noise around a bound of 0 (nothing can be placed) is no gap; a real difference still is."""
    assert relative_gap(1e-7, 0.0) < 1e-6  # (it was 100 %)
    assert relative_gap(1e-12, 0.0) == 0.0
    assert relative_gap(0.0, 0.0) == 0.0
    assert relative_gap(-0.01, -0.02) == pytest.approx(0.01)
    assert relative_gap(200.0, 100.0) == pytest.approx(0.5)


def chain(n: int, first_excludes: tuple[str, ...] = ()):
    ids = [f"F{i:03d}" for i in range(n)]
    return [family(cid, (30,), excluded_locality_ids=first_excludes if i == 0 else (),
                   linked_case_ids=tuple(x for x in (ids[i - 1] if i else None, ids[i + 1] if i < n - 1 else None)
                                         if x))
            for i, cid in enumerate(ids)]


def test_a_chain_of_500_links_is_honest_and_its_reasons_are_capped():
    """500 families linked in a chain that no commune can take together (its first family excludes every
    commune): nothing placed, 'optimal' because the empty plan is the only plan (said in a note), gap 0, and each
    reason names the first few ids and the count rather than 499 ids."""
    communes = [commune(str(k), units={1: 10}) for k in range(3)]
    ds = data(chain(500, ("0", "1", "2")), communes)
    result = solve(build_problem(ds, Policy()), SolveParams(time_limit=5, workers=1))
    assert not result.placements and len(result.unplaced) == 500
    assert result.status is Status.OPTIMAL and result.gap == 0.0
    assert any("empty plan is the only plan" in n for n in result.notes)
    assert result.unplaced[1].reasons == [
        "linked with 499 families (F000, F002, F003, ...): no commune can take all of them together"]
    assert max(len(" ".join(u.reasons)) for u in result.unplaced) < 200
    # Where the chain could go but does not fit, the capacity reasons name the others the same way.
    result = solve(build_problem(data(chain(500), communes), Policy()), SolveParams(time_limit=5, workers=1))
    assert not result.placements and result.status is Status.OPTIMAL
    assert any("no plan within the hard rules places anyone" in n for n in result.notes)
    assert "placed only together with 499 families (F001, F002, F003, ...)" in result.unplaced[0].reasons
    assert max(len(" ".join(u.reasons)) for u in result.unplaced) < 300


def test_a_wrap_up_is_kept_from_the_search_by_size():
    """The time kept back for the reasons and the check grows with the problem and never takes most of the
    limit; the search's nominal limit (its deterministic budgets) depends on the size only."""
    small = build_problem(crowded(6, 2), Policy())
    large = build_problem(crowded(60, 5), Policy())
    assert 0 < match_module.wrap_up_seconds(small, 10) < match_module.wrap_up_seconds(large, 10)
    assert match_module.wrap_up_seconds(large, 0.5) <= match_module.WRAP_UP_MAX_SHARE * 0.5
