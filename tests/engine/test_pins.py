"""Pins that cannot all be kept (issue 29): diagnosed before the search with the commune, the capacity and the
figures; `objective.pins` keeps those that fit (default) or fails with the diagnosis. The plan still passes the
independent checker and reports its gap."""

from __future__ import annotations

import pytest
from factories import commune, data, family

import matcher.checker as checker
from matcher.engine import SolveParams
from matcher.explain import check
from matcher.match import solve
from matcher.models import Policy, Status
from matcher.models.policy import PolicyError, policy_from_dict
from matcher.problem import build_problem, unfit_pins

FAST = SolveParams(time_limit=5, workers=1, seed=0)


def _policy(mode: str | None = None) -> Policy:
    return Policy.model_validate({"objective": {"pins": mode}} if mode else {})


def _crowded():
    """Four couples pinned to X, which agreed to 6 persons: the first three fit, the fourth does not; two more
    couples and a single adult go wherever there is room (Y)."""
    ds = data([family(f"C{i}", (30, 5)) for i in range(1, 7)] + [family("D", (40,))],
              [commune("X", name="Albi", units={1: 5}, max_persons=6), commune("Y", units={1: 9}, max_persons=20)])
    return ds, {"C1": "X", "C2": "X", "C3": "X", "C4": "X"}


def test_pins_over_a_persons_capacity_keep_what_fits_and_leave_the_rest_unplaced_with_the_diagnosis():
    ds, pins = _crowded()
    problem = build_problem(ds, _policy(), pins=pins)
    [d] = problem.pin_diagnosis
    assert (d.locality_id, d.resource, d.needed, d.capacity, d.dropped) == ("X", "persons", 8.0, 6.0, ("C4",))
    assert d.text == ("Albi (X): persons agreed: the 4 families pinned there need 8, the capacity is 6; the pins "
                      "that do not fit (the last made): C4")
    r = solve(problem, FAST)
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE) and r.gap is not None
    plan = r.plan()
    assert {c: plan.get(c) for c in ("C1", "C2", "C3")} == {"C1": "X", "C2": "X", "C3": "X"}
    assert len(plan) == 6  # every family but C4: the plan is not empty
    [u] = r.unplaced
    assert (u.case_id, u.kind, u.reasons) == ("C4", "nowhere:pin", [d.text])
    assert any(d.text in note for note in r.notes)
    assert check(problem, r.placements) == []
    # The checker still holds the plan to every pin it keeps.
    moved = {**plan, "C1": "Y"}
    assert any(v.rule == "pin" for v in checker.check(ds, problem.policy, moved, pins=problem.kept_pins))


def test_pins_over_a_capacity_fail_with_the_diagnosis_when_the_policy_says_so():
    ds, pins = _crowded()
    problem = build_problem(ds, _policy("fail"), pins=pins)
    r = solve(problem, FAST)
    assert r.status is Status.INFEASIBLE and r.placements == []
    assert r.diagnosis == [problem.pin_diagnosis[0].text]
    assert "the capacity is 6" in r.diagnosis[0]


def test_the_last_pins_made_are_the_ones_left_out():
    """The order of the pins decides which do not fit: the pins made first are kept."""
    ds, pins = _crowded()
    reordered = {"C4": "X", "C3": "X", "C2": "X", "C1": "X"}
    problem = build_problem(ds, _policy(), pins=reordered)
    assert problem.pin_diagnosis[0].dropped == ("C1",)
    assert set(problem.kept_pins) == set(pins) - {"C1"}


def test_pins_within_the_capacities_are_all_kept_and_diagnose_nothing():
    ds, _ = _crowded()
    problem = build_problem(ds, _policy(), pins={"C1": "X", "C2": "X", "C3": "X"})
    assert problem.pin_diagnosis == [] and unfit_pins(problem) == ({}, [])
    assert {c: solve(problem, FAST).plan()[c] for c in ("C1", "C2", "C3")} == {"C1": "X", "C2": "X", "C3": "X"}


def test_a_pin_that_breaks_a_hard_rule_leaves_that_family_unplaced_not_the_whole_plan():
    """A single impossible pin (no unit large enough where it is pinned) no longer empties the plan."""
    ds = data([family("A", (30, 31, 5, 6, 7)), family("B", (30,)), family("C", (30,))],
              [commune("X", units={1: 3}), commune("Y", units={1: 3, 3: 1})])
    problem = build_problem(ds, _policy(), pins={"A": "X"})
    [d] = problem.pin_diagnosis
    assert d.resource == "" and "A must go to Commune X" in d.text and "3 bedrooms" in d.text
    r = solve(problem, FAST)
    assert r.status is not Status.INFEASIBLE
    assert set(r.plan()) == {"B", "C"}
    assert [(u.case_id, u.kind) for u in r.unplaced] == [("A", "nowhere:pin")]
    failed = solve(build_problem(ds, _policy("fail"), pins={"A": "X"}), FAST)
    assert failed.status is Status.INFEASIBLE and failed.placements == []


def test_linked_families_whose_pin_does_not_fit_stay_together_out():
    """A linked pair pinned where only one fits: the pair is left out, the diagnosis counts both persons."""
    ds = data([family("A", (30,), linked_case_ids=("B",)), family("B", (31,)), family("C", (40,))],
              [commune("X", units={1: 3}, max_persons=1), commune("Y", units={1: 3})])
    problem = build_problem(ds, _policy(), pins={"A": "X"})
    [d] = problem.pin_diagnosis
    assert (d.needed, d.capacity, d.dropped) == (2.0, 1.0, ("A",))
    r = solve(problem, FAST)
    assert set(r.plan()) == {"C"}
    assert {u.case_id for u in r.unplaced} == {"A", "B"}


def test_policy_files_without_the_pins_key_load_unchanged():
    assert policy_from_dict({"objective": {"stability_weight": 2.0}}).objective.pins == "keep_what_fits"


def test_maxmin_is_refused_naming_the_key_and_old_utilitarian_files_still_load():
    with pytest.raises(PolicyError, match=r"objective\.mode = 'maxmin' is not supported"):
        policy_from_dict({"objective": {"mode": "maxmin", "groups": "priority"}}, source="p.toml")
    old = policy_from_dict({"objective": {"mode": "utilitarian", "groups": "first_language"}})
    assert "mode" not in old.objective.model_dump() and "groups" not in old.objective.model_dump()
    assert "utilitarian" not in old.to_toml() and "groups" not in old.to_toml()
