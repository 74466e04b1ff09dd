"""Explanations: components with reasons, alternatives and why not, the value of one more unit."""

from __future__ import annotations

from factories import commune, data, family

from matcher.engine import SolveParams
from matcher.explain import explain_case
from matcher.match import locality_report, solve
from matcher.models import Policy
from matcher.problem import build_problem

FAST = SolveParams(time_limit=5, workers=1)


def test_alternatives_say_why_not():
    """A family placed by preference hears why the full commune and the excluded one were not chosen."""
    ds = data(
        [family("A", (30,), preferred_locality_ids=("3", "1", "2"), excluded_locality_ids=("2",)),
         family("B", (30,), preferred_locality_ids=("3",), priority=2)],
        [commune("1", units={1: 1}), commune("2", units={1: 1}), commune("3", units={1: 1})],
    )
    problem = build_problem(ds, Policy())
    result = solve(problem, FAST)
    assert result.plan() == {"B": "3", "A": "1"}
    exp = explain_case(problem, result, "A")
    assert exp.locality_id == "1" and exp.reasons["preferences"] == "preference 2 of 3"
    why = {a.locality_id: a.why_not for a in exp.alternatives}
    assert why["3"] == "no unit with 1 bedrooms or more left"
    assert why["2"] == "excluded for this family"


def test_unplaced_family_explained():
    """An unplaced family's explanation carries its reasons."""
    ds = data([family("A", (30,), health_services=("oncology",))], [commune("1", units={1: 1})])
    problem = build_problem(ds, Policy())
    exp = explain_case(problem, solve(problem, FAST), "A")
    assert exp.locality_id is None and exp.unplaced_reasons == ["needs oncology: offered nowhere"]


def test_binding_capacity_has_a_positive_shadow_price():
    """Where persons are the binding limit, one more agreed place is worth more than one where room is left."""
    ds = data([family(f"F{i}", (30,)) for i in range(4)],
              [commune("1", units={1: 4}, max_persons=2), commune("2", units={1: 1}, max_persons=5)])
    problem = build_problem(ds, Policy())
    result = solve(problem, FAST)
    assert len(result.placements) == 3
    report = locality_report(problem, result)
    persons = report[report.resource == "persons"].set_index("locality_id")
    assert persons.loc["1", "used"] == 2 and persons.loc["1", "capacity"] == 2
    # One more agreed place in commune 1 places one more person: worth at least a placement.
    assert persons.loc["1", "shadow_price"] >= problem.model.primary_weight - 1e-6
