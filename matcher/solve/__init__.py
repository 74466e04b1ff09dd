"""The engine: ``solve(problem, params) -> Result`` for placements, ``solve_model`` for the low-level model.

Pipeline: the LP relaxation (GLOP; column generation on large models, seeded with a greedy plan at national size)
gives the independent bound and a guide; LP-guided greedy rounding gives a first plan within every hard capacity;
CP-SAT improves it from that hint within the wall-clock limit and proves small problems optimal, then large
neighbourhood search (:mod:`matcher.solve.lns`) improves what it could not prove. A lexicographic objective (people
placed first, then scores) is searched as its weighted sum on small models and in two phases on large ones.
Every plan returned has passed the independent checker of :mod:`matcher.explain.check`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import numpy as np
import ortools

import matcher
from matcher.models import Case, LocalityUse, Placement, Provenance, Result, Status, Unplaced
from matcher.problem import Problem
from matcher.scoring import component_scores, weighted_score
from matcher.solve.engine import ModelSolution, Progress, SolveParams, relative_gap, solve_model
from matcher.solve.units import assign_units


class EngineError(RuntimeError):
    """The engine produced a plan that breaks a hard rule: a bug, reported without personal values."""


def solve(problem: Problem, params: SolveParams | None = None, *, input_sha256: str = "",
          inputs: list[str] | None = None) -> Result:
    """Place the problem's families; pure and deterministic for a given seed and worker count."""
    # The checker and the reasons read the problem only; imported here to keep the package import light.
    from matcher.explain.check import check

    params = params or SolveParams()
    settings = problem.policy.solver
    p = SolveParams(
        time_limit=params.time_limit if params.time_limit is not None else settings.time_limit,
        seed=params.seed if params.seed is not None else settings.seed,
        workers=params.workers if params.workers is not None else settings.workers,
        on_progress=params.on_progress,
        cancel=params.cancel,
        hint=params.hint if params.hint is not None else _previous_hint(problem),
        deterministic=params.deterministic,
    )
    sol = solve_model(problem.model, p)
    if problem.conflicts and problem.model.must_place.any():
        sol.status = Status.INFEASIBLE if not _complete(problem, sol) else sol.status
    result = _result(problem, sol, p, input_sha256)
    result.provenance.inputs = list(inputs or [])
    if result.status is Status.INFEASIBLE:
        return result  # no plan: nothing placed, the diagnosis says why
    violations = check(problem.dataset, problem.policy, result.placements, pins=problem.pins, forbids=problem.forbids)
    if violations:
        raise EngineError("the plan breaks hard rules: " + "; ".join(str(v) for v in violations[:5]))
    return result


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


def _result(problem: Problem, sol: ModelSolution, params: SolveParams, input_sha256: str) -> Result:
    from matcher.explain.reasons import unplaced_reasons

    model, cases, locs = problem.model, problem.cases, problem.localities
    la = problem.ctx.localities
    infeasible = sol.status is Status.INFEASIBLE
    choice = sol.choice if not infeasible else np.full(model.n_items, -1, dtype=np.int64)
    plan: dict[int, int] = {}
    for g, o in enumerate(choice):
        if o >= 0:
            for c in problem.items[g]:
                plan[int(c)] = int(model.opt_bin[o])
    by_loc: dict[int, list[int]] = defaultdict(list)
    for c, lo in plan.items():
        by_loc[lo].append(c)
    bedrooms: dict[str, int | None] = {}
    for lo, members in by_loc.items():
        bedrooms.update(assign_units([cases[c] for c in members], locs[lo], problem.policy))

    placements = []
    placed = np.array(sorted(plan, key=lambda c: cases[c].case_id), dtype=np.int64)
    where = np.array([plan[int(c)] for c in placed], dtype=np.int64)
    comps = component_scores(problem.ctx, placed, where) if len(placed) else {}
    scores = weighted_score(comps, problem.policy) if len(placed) else np.array([])
    for k, (c, lo) in enumerate(zip(placed.tolist(), where.tolist(), strict=True)):
        placements.append(Placement(case_id=cases[c].case_id, locality_id=la.ids[lo],
                                    bedrooms=bedrooms.get(cases[c].case_id), score=round(float(scores[k]), 6),
                                    components={name: round(float(v[k]), 6) for name, v in comps.items()}))
    unplaced = []
    for c in range(len(cases)):
        if c in plan:
            continue
        reasons = (problem.conflicts if infeasible and problem.conflicts else
                   unplaced_reasons(problem, choice, c))
        unplaced.append(Unplaced(case_id=cases[c].case_id, reasons=reasons))
    unplaced.sort(key=lambda u: u.case_id)

    localities = [_locality_use(problem, lo, [cases[c] for c in by_loc.get(lo, [])]) for lo in range(len(locs))]
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
        soft_violations=soft, diagnosis=diagnosis,
    )


def _locality_use(problem: Problem, lo: int, placed: list[Case]) -> LocalityUse:
    loc = problem.localities[lo]
    persons = sum(c.persons for c in placed)
    used: dict[str, float] = {
        "persons": persons,
        "cases": len(placed),
        "gp": persons,
        "creche": sum(c.children_0_2 for c in placed),
        "primary": sum(c.children_3_10 for c in placed),
        "secondary": sum(c.children_11_17 for c in placed),
        "french_class": sum(c.french_class_need for c in placed),
        "housing_units": len(placed),
        "budget_eur": persons * float(np.ceil(max((loc.cost_per_person_eur or 0.0) - 1e-9, 0.0))),
    }
    capacity: dict[str, float | None] = {
        "persons": loc.max_persons, "cases": loc.max_cases, "gp": loc.gp_capacity, "creche": loc.creche_seats,
        "primary": loc.primary_seats, "secondary": loc.secondary_seats, "french_class": loc.french_class_seats,
        "housing_units": sum(h.units for h in loc.housing), "budget_eur": loc.budget_eur,
    }
    for s in loc.services:
        used[f"service:{s.service}"] = sum(1 for c in placed if s.service in c.health_services)
        capacity[f"service:{s.service}"] = s.capacity
    for j in loc.jobs:
        used[f"jobs:{j.sector}"] = sum(1 for c in placed for m in c.working_age_adults if m.sector == j.sector)
        capacity[f"jobs:{j.sector}"] = j.vacancies
    return LocalityUse(locality_id=loc.locality_id, used=used, capacity=capacity)


__all__ = ["EngineError", "ModelSolution", "Progress", "SolveParams", "plan_hint", "relative_gap", "solve",
           "solve_model"]
