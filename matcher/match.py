"""A placement problem solved to a checked result: ``solve(problem, params) -> Result``.

This is composition one floor above the engine (:mod:`matcher.engine`, which knows only the low-level
:class:`~matcher.engine.model.AssignmentModel`) and the explanations (:mod:`matcher.explain`, which never runs the
engine): the engine's solution becomes the result contract (placements with their units and score components,
every unplaced family with its reasons, use per commune, see ``docs/results.md#result-json``), and the plan
passes the independent checker (:mod:`matcher.checker`) before it is returned.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping

import numpy as np
import ortools
import pandas as pd

import matcher
import matcher.checker as checker
from matcher import explain
from matcher.engine import ModelSolution, SolveParams, relative_gap, solve_model
from matcher.engine.lp import solve_lp
from matcher.engine.units import assign_units
from matcher.explain.reasons import UnplacedWhy, unplaced_reasons_all
from matcher.models import LocalityUse, Placement, Provenance, Result, Status, Unplaced
from matcher.models.policy import MAX_SEED, MAX_WORKERS
from matcher.problem import Problem
from matcher.scoring import component_scores, weighted_score


class EngineError(RuntimeError):
    """The engine produced a plan that breaks a hard rule: a bug, reported without personal values."""


#: Time kept back from the search for what follows it, from the CPU time of each step on a 2-core machine at
#: 6,000 to 100,000 families (benchmarks/README.md: the time-limit suite shows the deadline kept): the units, the
#: result and the check cost about RESULT_PER_CASE per family, the reasons about REASONS_PER_CASE per family and
#: REASONS_PER_ENTRY per matrix entry (the options of the unplaced families), and the searches overshoot their own
#: limit by up to a few tenths of a second (SEARCH_OVERSHOOT); in all, at most WRAP_UP_MAX_SHARE of the time limit.
RESULT_PER_CASE = 6e-5
REASONS_PER_CASE = 3e-5
REASONS_PER_ENTRY = 2e-8
SEARCH_OVERSHOOT = 0.3
WRAP_UP_MAX_SHARE = 0.4
#: A proved optimum this far below the LP bound gets a note saying why.
GAP_NOTE = 1e-6


def solve(problem: Problem, params: SolveParams | None = None, *, input_sha256: str = "",
          inputs: list[str] | None = None) -> Result:
    """Place the problem's families within the time limit, from ``params.started`` (default: now) to the checked
    result: the search, the units, the reasons for the unplaced families and the check all count.

    Time is kept back from the search for what follows it (:func:`wrap_up_seconds`); when the deadline is near,
    the reasons of the families not yet reached are summarised, but the rule checker always runs. The plan is
    the same for the same seed and worker count when no stage was stopped by the clock (``Result.deterministic``),
    and always in work-limited mode (``params.work_limited``).
    """
    params = params or SolveParams()
    started = params.started if params.started is not None else time.monotonic()
    settings = problem.policy.solver
    limit = params.time_limit if params.time_limit is not None else settings.time_limit
    seed = params.seed if params.seed is not None else settings.seed
    workers = params.workers if params.workers is not None else settings.workers
    check_solve_settings(limit, seed, workers)
    keep = wrap_up_seconds(problem, limit)
    # The search's nominal limit (its deterministic budgets) depends on the problem's size only, never on the
    # time the build took: the same seed gives the same plan wherever the clock does not cut in.
    p = SolveParams(
        time_limit=limit - keep,
        seed=seed,
        workers=workers,
        on_progress=params.on_progress,
        cancel=params.cancel,
        hint=params.hint if params.hint is not None else _previous_hint(problem),
        deterministic=params.deterministic,
        work_limited=params.work_limited,
        started=started,
        deadline=started + limit - keep,
    )
    sol = solve_model(problem.model, p)
    if problem.conflicts and problem.model.must_place.any():
        sol.status = Status.INFEASIBLE if not _complete(problem, sol) else sol.status
    # The reasons stop in time for the check and the result to follow; never in work-limited mode, where the
    # result does not depend on the clock at all.
    reasons_by = np.inf if params.work_limited else started + limit - _result_seconds(problem)
    result = _result(problem, sol, p, input_sha256, reasons_by)
    result.provenance.inputs = list(inputs or [])
    if result.status is not Status.INFEASIBLE:
        violations = checker.check(problem.dataset, problem.policy, result.placements, pins=problem.kept_pins,
                                   forbids=problem.forbids)
        if violations:
            raise EngineError("the plan breaks hard rules: " + "; ".join(str(v) for v in violations[:5]))
    result.seconds = round(time.monotonic() - started, 3)
    return result


def check_solve_settings(time_limit: float, seed: int, workers: int) -> None:
    """Refuse a time limit, seed or worker count that the engine cannot honour, with the bounds in words."""
    if not (np.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"time limit: must be a finite number of seconds above 0, got {time_limit!r}")
    if not (0 <= seed <= MAX_SEED):
        raise ValueError(f"seed: must be a whole number from 0 to {MAX_SEED:,}, got {seed:,}")
    if not (1 <= workers <= MAX_WORKERS):
        raise ValueError(f"workers: must be from 1 to {MAX_WORKERS}, got {workers}")


def wrap_up_seconds(problem: Problem, time_limit: float) -> float:
    """Seconds kept back from the search for the units, the reasons, the result and the check (and the search's
    own overshoot), at most :data:`WRAP_UP_MAX_SHARE` of the time limit. It depends on the problem's size only,
    so that the search's deterministic budgets do too."""
    est = (SEARCH_OVERSHOOT + _result_seconds(problem) + REASONS_PER_CASE * len(problem.cases)
           + REASONS_PER_ENTRY * problem.model.A.nnz)
    return float(min(est, WRAP_UP_MAX_SHARE * time_limit))


def _result_seconds(problem: Problem) -> float:
    """Seconds for the units, the result and the check once the reasons are done."""
    return 0.05 + RESULT_PER_CASE * len(problem.cases)


def _complete(problem: Problem, sol: ModelSolution) -> bool:
    return not (problem.model.must_place & (sol.choice < 0)).any()


def _previous_hint(problem: Problem) -> np.ndarray | None:
    return plan_hint(problem, problem.previous) if problem.previous else None


def plan_hint(problem: Problem, plan: Mapping[str, str]) -> np.ndarray:
    """A plan (case -> locality) as the option per item CP-SAT starts from: each item's first option at the
    locality of its first member, -1 where it has none. One pass over the options, whatever the size."""
    model = problem.model
    target = np.full(model.n_items, -1, dtype=np.int64)
    if model.n_options == 0:
        return target
    for g, members in enumerate(problem.items):
        lo = problem.loc_index.get(plan.get(problem.cases[members[0]].case_id, ""), -1)
        target[g] = -1 if lo < 0 else g * model.n_bins + lo
    keys = model.opt_item.astype(np.int64) * model.n_bins + model.opt_bin
    order = np.argsort(keys, kind="stable")  # equal keys keep their option order: the first comes first
    pos = np.searchsorted(keys[order], target)
    found = (target >= 0) & (pos < len(order))
    found[found] = keys[order[pos[found]]] == target[found]
    return np.where(found, order[np.minimum(pos, len(order) - 1)], -1)


def _result(problem: Problem, sol: ModelSolution, params: SolveParams, input_sha256: str,
            reasons_by: float = np.inf) -> Result:
    """The result contract from the model's solution: placements with units and score components, every
    unplaced family with its reasons (summarised for those not reached by `reasons_by`), use per commune."""
    model, cases, locs = problem.model, problem.cases, problem.localities
    la = problem.ctx.localities
    infeasible = sol.status is Status.INFEASIBLE
    choice = sol.choice if not infeasible else np.full(model.n_items, -1, dtype=np.int64)
    option_of_case = choice[problem.item_of_case] if len(cases) else np.zeros(0, dtype=np.int64)
    where_of_case = np.full(len(cases), -1, dtype=np.int64)
    on = option_of_case >= 0
    where_of_case[on] = model.opt_bin[option_of_case[on]]
    ids = problem.ctx.cases.ids
    # The reasons first: they alone have a cheap path, and the rest of the result must follow them in time.
    out = np.flatnonzero(where_of_case < 0)
    if infeasible and problem.conflicts:
        why = {int(c): UnplacedWhy(list(problem.conflicts), "conflict") for c in out}
    else:
        why = unplaced_reasons_all(problem, choice, out, deadline=reasons_by, no_plan=sol.status is Status.TIMEOUT)
    placed = np.flatnonzero(where_of_case >= 0)
    placed = placed[np.argsort(np.array([ids[c] for c in placed.tolist()], dtype=object), kind="stable")]
    where = where_of_case[placed]
    by_loc: dict[int, list[int]] = defaultdict(list)
    for c, lo in zip(placed.tolist(), where.tolist(), strict=True):
        by_loc[lo].append(c)
    bedrooms: dict[str, int | None] = {}
    for lo, members in sorted(by_loc.items()):
        bedrooms.update(assign_units([cases[c] for c in members], locs[lo], problem.policy))

    comps = component_scores(problem.ctx, placed, where) if len(placed) else {}
    scores = weighted_score(comps, problem.policy) if len(placed) else np.array([])
    rounded = {name: np.round(v.astype(float), 6).tolist() for name, v in comps.items()}
    score_list = np.round(scores.astype(float), 6).tolist()
    placements = [
        Placement(case_id=ids[c], locality_id=la.ids[lo], bedrooms=bedrooms.get(ids[c]), score=score_list[k],
                  components={name: v[k] for name, v in rounded.items()})
        for k, (c, lo) in enumerate(zip(placed.tolist(), where.tolist(), strict=True))
    ]
    unplaced = sorted((Unplaced(case_id=ids[c], reasons=why[c].reasons, kind=why[c].kind)
                       for c in out.tolist()), key=lambda u: u.case_id)

    localities = _locality_use(problem, where_of_case)
    _, excess = model.evaluate(choice)
    soft = [
        {"rule": str(model.row_rule[r]), "resource": str(model.row_resource[r]),
         "locality_id": la.ids[model.row_bin[r]] if model.row_bin[r] >= 0 else "", "excess": float(excess[r]),
         "penalty": float(model.penalty[r] * excess[r])}
        for r in np.nonzero((excess > 1e-9) & np.isfinite(model.penalty))[0]
    ]
    objective = None if infeasible or not np.isfinite(sol.objective) else round(sol.objective, 6)
    bound = round(sol.bound, 6) if np.isfinite(sol.bound) else None
    gap = round(relative_gap(sol.bound, sol.objective), 8) if objective is not None and bound is not None else None
    diagnosis = list(problem.conflicts) if infeasible else []
    if infeasible and not diagnosis:
        diagnosis = ["the families that must be placed (pins or 'require every family placed') cannot all fit "
                     "within the hard rules"]
    return Result(
        status=sol.status, objective=objective, bound=bound, gap=gap, seconds=round(sol.seconds, 3),
        placements=placements, unplaced=unplaced, localities=localities,
        provenance=Provenance(input_sha256=input_sha256, policy=problem.policy.model_dump(mode="json"),
                              seed=int(params.seed or 0), workers=int(params.workers or 1),
                              matcher_version=matcher.__version__, ortools_version=ortools.__version__),  # type: ignore[attr-defined]
        solver_bound=round(sol.solver_bound, 6) if np.isfinite(sol.solver_bound) else None,
        soft_violations=soft, diagnosis=diagnosis, deterministic=sol.deterministic,
        notes=_notes(problem, sol, len(placements), gap),
    )


def _notes(problem: Problem, sol: ModelSolution, n_placed: int, gap: float | None) -> list[str]:
    """What the status and the gap mean when they could mislead: an optimum with nothing placed, an optimum far
    from the LP bound; and the pins the plan could not keep. (Whether another run repeats the plan is
    ``Result.deterministic``.)"""
    notes = []
    if problem.policy.objective.pins == "keep_what_fits":
        notes += [f"pins not kept, those families left unplaced: {d.text}" for d in problem.pin_diagnosis
                  if not d.sensitive]
        n_hidden = sum(d.sensitive for d in problem.pin_diagnosis)
        if n_hidden:
            notes.append(f"pins not kept: {n_hidden} more that tell a health need (each family's reasons say "
                         "which)")
    if sol.status is Status.OPTIMAL and n_placed == 0 and problem.cases:
        has_option = np.zeros(problem.model.n_items, dtype=bool)
        has_option[problem.model.opt_item] = True
        if not has_option.any():
            notes.append("no family can be placed under the hard rules: the empty plan is the only plan, hence "
                         "optimal (the reasons say why for each family)")
        else:
            notes.append("optimal with no family placed: the search proved that no plan within the hard rules "
                         "places anyone, or that placing any would cost more in soft-rule penalties than it gains")
    if sol.status is Status.TIMEOUT:
        notes.append("the time limit ended before a plan could place any family: give a longer time limit")
    if sol.status is Status.OPTIMAL and gap is not None and gap > GAP_NOTE:
        notes.append(f"optimal: proved by the search; the LP bound is {100 * gap:.3f} % above it because the LP "
                     "relaxation may split families (that gap is the relaxation's, not the plan's)")
    return notes


def _locality_use(problem: Problem, where_of_case: np.ndarray) -> list[LocalityUse]:
    """Use against capacity per commune, summed over the placed families by commune (vectorised)."""
    ca, la = problem.ctx.cases, problem.ctx.localities
    vocab = problem.ctx.vocab
    L = la.n
    on = where_of_case >= 0
    at = where_of_case[on]

    def total(values: np.ndarray) -> list[float]:
        return np.bincount(at, weights=values[on].astype(float), minlength=L).tolist()

    persons = total(ca.persons)
    cases_n = np.bincount(at, minlength=L).tolist()
    sums = {"creche": total(ca.children_0_2), "primary": total(ca.children_3_10),
            "secondary": total(ca.children_11_17), "french_class": total(ca.french_need)}
    svc_col = {v: i for i, v in enumerate(vocab.services)}
    sec_col = {v: i for i, v in enumerate(vocab.sectors)}
    services = np.zeros((L, len(vocab.services)))
    np.add.at(services, at, ca.services[on].astype(float))
    sector_adults = np.zeros((L, len(vocab.sectors)))
    np.add.at(sector_adults, at, ca.sector_adults[on].astype(float))
    out = []
    for lo, loc in enumerate(problem.localities):
        used: dict[str, float] = {
            "persons": persons[lo],
            "cases": cases_n[lo],
            "gp": persons[lo],
            "creche": sums["creche"][lo],
            "primary": sums["primary"][lo],
            "secondary": sums["secondary"][lo],
            "french_class": sums["french_class"][lo],
            "housing_units": cases_n[lo],
            "budget_eur": persons[lo] * float(np.ceil(max((loc.cost_per_person_eur or 0.0) - 1e-9, 0.0))),
        }
        capacity: dict[str, float | None] = {
            "persons": loc.max_persons, "cases": loc.max_cases, "gp": loc.gp_capacity, "creche": loc.creche_seats,
            "primary": loc.primary_seats, "secondary": loc.secondary_seats, "french_class": loc.french_class_seats,
            "housing_units": sum(h.units for h in loc.housing), "budget_eur": loc.budget_eur,
        }
        for s in loc.services:
            used[f"service:{s.service}"] = float(services[lo, svc_col[s.service]])
            capacity[f"service:{s.service}"] = s.capacity
        for j in loc.jobs:
            used[f"jobs:{j.sector}"] = float(sector_adults[lo, sec_col[j.sector]])
            capacity[f"jobs:{j.sector}"] = j.vacancies
        out.append(LocalityUse(locality_id=loc.locality_id, used=used, capacity=capacity))
    return out


def locality_report(problem: Problem, result: Result) -> pd.DataFrame:
    """Use against capacity of every resource row of every commune, with the LP's value of one more unit (the
    row duals of the LP relaxation; zeros if the LP does not solve): :func:`matcher.explain.locality_report`."""
    lp = solve_lp(problem.model)
    duals = lp.row_duals if lp.ok else np.zeros(problem.model.n_rows)
    return explain.locality_report(problem, result, duals)


__all__ = ["EngineError", "check_solve_settings", "locality_report", "plan_hint", "solve", "wrap_up_seconds"]
