"""Why a placement, the alternatives and why not, what is full where and what one more unit is worth, and an
independent check of any plan against every hard rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from matcher.checker import Violation
from matcher.checker import check as check_records
from matcher.explain.reasons import row_use, unplaced_reasons, why_not
from matcher.i18n import Msg, Said
from matcher.models import Placement, Result
from matcher.problem import Problem
from matcher.scoring import component_scores, weighted_score
from matcher.scoring import reasons as component_reasons


class Alternative(BaseModel):
    """Another commune the family could go to, its score there, and why it is not there."""

    locality_id: str
    name: str
    score: float
    why_not: Said


class CaseExplanation(BaseModel):
    case_id: str
    locality_id: str | None
    locality_name: str | None = None
    score: float | None
    components: dict[str, float] = Field(default_factory=dict)
    reasons: dict[str, Said] = Field(default_factory=dict)  # one per component
    alternatives: list[Alternative] = Field(default_factory=list)
    unplaced_reasons: list[Said] = Field(default_factory=list)
    linked_with: list[str] = Field(default_factory=list)


def check(problem: Problem, placements: Iterable[Placement] | Mapping[str, str]) -> list[Violation]:
    """Every hard rule a plan breaks for this problem (its records, policy, pins and forbids)."""
    return check_records(problem.dataset, problem.policy, placements, pins=problem.kept_pins,
                         forbids=problem.forbids)


def choice_of(problem: Problem, result: Result) -> np.ndarray:
    """The result's plan as the chosen option per item of the problem."""
    model = problem.model
    plan = result.plan()
    choice = np.full(model.n_items, -1, dtype=np.int64)
    for g, members in enumerate(problem.items):
        lid = plan.get(problem.cases[members[0]].case_id)
        if lid is None or lid not in problem.loc_index:
            continue
        lo = problem.loc_index[lid]
        opts = np.nonzero((model.opt_item == g) & (model.opt_bin == lo))[0]
        if len(opts):
            choice[g] = opts[0]
    return choice


def explain_case(problem: Problem, result: Result, case_id: str, n_alternatives: int = 5) -> CaseExplanation:
    """The family's score by component, its commune, the next best communes and why not, or why unplaced."""
    c = problem.case_index[case_id]
    la = problem.ctx.localities
    choice = choice_of(problem, result)
    placed = result.plan().get(case_id)
    members = problem.items[int(problem.item_of_case[c])]
    linked = [problem.cases[m].case_id for m in members if m != c]
    ci = np.full(la.n, c)
    scores = weighted_score(component_scores(problem.ctx, ci, np.arange(la.n)), problem.policy)
    order = np.argsort(-scores, kind="stable")
    use = row_use(problem, choice)  # once for every alternative
    alts = []
    for lo in order:
        if placed is not None and la.ids[lo] == placed:
            continue
        alts.append(Alternative(locality_id=la.ids[lo], name=la.names[lo], score=round(float(scores[lo]), 4),
                                why_not=why_not(problem, choice, c, int(lo), use)))
        if len(alts) >= n_alternatives:
            break
    if placed is not None:
        lo = problem.loc_index[placed]
        score, comps = problem.score_of(c, lo)
        return CaseExplanation(case_id=case_id, locality_id=placed, locality_name=la.names[lo], score=score,
                               components=comps, reasons=dict[str, Msg | str](component_reasons(problem.ctx, c, lo)),
                               alternatives=alts,
                               linked_with=linked)
    return CaseExplanation(case_id=case_id, locality_id=None, score=None, alternatives=alts,
                           unplaced_reasons=unplaced_reasons(problem, choice, c), linked_with=linked)


def locality_report(problem: Problem, result: Result, duals: np.ndarray) -> pd.DataFrame:
    """Use against capacity of every resource row of every commune, with the LP's value of one more unit: the
    LP's row `duals` (one per row of ``problem.model``, or empty for none), which the caller computes (the
    explanations never run the engine: :func:`matcher.match.locality_report` does both).

    ``shadow_price`` is in objective units: above the value of placing a person it means one more unit would let
    more people be placed; small positive values mean it would improve scores; zero means it is not binding.
    """
    model = problem.model
    choice = choice_of(problem, result)
    use = row_use(problem, choice)
    la = problem.ctx.localities
    rows = []
    for r in range(model.n_rows):
        b = int(model.row_bin[r])
        rows.append({
            "locality_id": la.ids[b] if b >= 0 else "",
            "name": la.names[b] if b >= 0 else "(all)",
            "resource": str(model.row_resource[r]),
            "rule": str(model.row_rule[r]),
            "used": float(use[r]),
            "capacity": float(model.rhs[r]),
            "shadow_price": float(duals[r]) if len(duals) else 0.0,
        })
    return pd.DataFrame(rows, columns=["locality_id", "name", "resource", "rule", "used", "capacity",
                                       "shadow_price"])


__all__ = ["Alternative", "CaseExplanation", "Violation", "check", "explain_case", "locality_report"]
