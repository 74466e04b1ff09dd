"""One tiny, hand-checkable instance per placement rule (docs/rules.md#rules)."""

from __future__ import annotations

from factories import commune, data, family

from matcher.engine import SolveParams
from matcher.explain import check, explain_case
from matcher.match import solve
from matcher.models import Mode, Policy, Status
from matcher.problem import build_problem

FAST = SolveParams(time_limit=5, workers=1, seed=0)


def run(ds, policy=None, **kw):
    problem = build_problem(ds, policy or Policy(), **kw)
    result = solve(problem, FAST)
    assert check(problem, result.placements) == []
    return problem, result


def reasons(result, case_id):
    return next(u.reasons for u in result.unplaced if u.case_id == case_id)


def test_family_never_gets_a_unit_too_small():
    """A family of five needs three bedrooms: two-bedroom units are not offered to it."""
    ds = data([family("A", (35, 33, 8, 5, 2))], [commune("1", units={2: 3})])
    _, r = run(ds)
    assert r.placements == []
    assert reasons(r, "A") == ["no unit with 3 bedrooms or more (every commune)"]


def test_larger_unit_is_used_and_reported():
    """With only a three-bedroom unit left, a couple takes it and the result says which unit it got."""
    ds = data([family("A", (35, 33))], [commune("1", units={3: 1})])
    _, r = run(ds)
    assert r.placements[0].bedrooms == 3


def test_step_free_units_go_to_those_who_need_them():
    """Exact housing fit: the step-free family and the 2-bedroom family cannot share one 2-bed step-free unit
    and one 1-bed unit, so only one is placed (Hall's condition, not a per-size count)."""
    ds = data(
        [family("SF", (70,), needs_step_free_housing=True), family("BIG", (30, 29, 3))],
        [commune("1", units={1: 1}, step_free={2: 1})],
    )
    _, r = run(ds)
    assert len(r.placements) == 1


def test_step_free_and_size_fit_together():
    """Both families fit when the step-free family can take the step-free unit and the other the larger one."""
    ds = data(
        [family("SF", (70,), needs_step_free_housing=True), family("BIG", (30, 29, 3))],
        [commune("1", units={2: 1}, step_free={1: 1})],
    )
    _, r = run(ds)
    assert {p.case_id: p.bedrooms for p in r.placements} == {"SF": 1, "BIG": 2}


def test_linked_families_go_together_where_both_fit():
    """Linked families split by capacity in one commune are placed together in the other."""
    ds = data(
        [family("A", (30,), linked_case_ids=("B",), preferred_locality_ids=("1",)), family("B", (31,))],
        [commune("1", units={1: 1}), commune("2", units={1: 2})],
    )
    _, r = run(ds)
    assert r.plan() == {"A": "2", "B": "2"}


def test_linked_families_that_fit_nowhere_together_are_both_unplaced():
    """When no commune has room for both, neither is placed, and each reason names the link."""
    ds = data(
        [family("A", (30,), linked_case_ids=("B",)), family("B", (31,))],
        [commune("1", units={1: 1}), commune("2", units={1: 1})],
    )
    _, r = run(ds)
    assert r.placements == []
    assert any("placed only together with B" in x for x in reasons(r, "A"))


def test_missing_interpreter_language_blocks():
    """A family needing a Tigrinya interpreter is not placed where only Arabic is interpreted."""
    ds = data([family("T", (30,), french="none", languages=("ti",))],
              [commune("1", units={1: 1}, interpreters={"ar": None})])
    _, r = run(ds)
    assert reasons(r, "T") == ["needs an interpreter in Tigrinya: none anywhere"]


def test_interpreter_language_is_chosen_to_serve_everyone():
    """A family speaking Arabic and Kurdish uses the Kurdish interpreter so that an Arabic-only family can be
    served too."""
    ds = data(
        [family("AK", (30,), french="none", languages=("ar", "ku")),
         family("A", (31,), french="none", languages=("ar",))],
        [commune("1", units={1: 2}, interpreters={"ar": 1, "ku": 1})],
    )
    _, r = run(ds)
    assert len(r.placements) == 2


def test_interpreter_capacity_is_kept():
    """Two families need an Arabic interpreter who can follow one family: one is placed."""
    ds = data(
        [family("A1", (30,), french="none"), family("A2", (31,), french="none")],
        [commune("1", units={1: 2}, interpreters={"ar": 1})],
    )
    _, r = run(ds)
    assert len(r.placements) == 1
    assert "interpreting in Arabic is used up" in reasons(r, next(u.case_id for u in r.unplaced))[0]


def test_consent_persons_and_cases():
    """max_persons and max_cases cap what a commune receives."""
    ds = data([family("A", (30, 30)), family("B", (30,)), family("C", (30,))],
              [commune("1", units={1: 3}, max_persons=3, max_cases=2)])
    _, r = run(ds)
    placed = {p.case_id for p in r.placements}
    assert len(placed) == 2 and sum(len(ds.cases[i].members) for i, c in enumerate(ds.cases)
                                    if c.case_id in placed) <= 3


def test_school_seats_by_age_band():
    """A child of 12 needs a secondary seat; primary seats do not help."""
    ds = data([family("A", (40, 12))], [commune("1", units={1: 1}, primary_seats=5, secondary_seats=0)])
    _, r = run(ds)
    assert r.placements == []
    assert "secondary school seats" in reasons(r, "A")[0]


def test_creche_seats_are_shared():
    """Two babies, one crèche seat: one family is placed."""
    ds = data([family("A", (30, 1)), family("B", (30, 2))], [commune("1", units={1: 2}, creche_seats=1)])
    _, r = run(ds)
    assert len(r.placements) == 1


def test_gp_capacity():
    """GPs who can take three more persons receive a family of three, not two families of two."""
    ds = data([family("A", (30, 30, 1)), family("B", (30, 30))],
              [commune("1", units={2: 2}, gp_capacity=3)])
    _, r = run(ds)
    assert r.plan() == {"A": "1"}


def test_health_service_offered_and_within_capacity():
    """Dialysis offered for one family: the second one needing it goes unplaced."""
    ds = data([family("A", (60,), health_services=("dialysis",)), family("B", (61,), health_services=("dialysis",))],
              [commune("1", units={1: 2}, services={"dialysis": 1})])
    _, r = run(ds)
    assert len(r.placements) == 1
    assert reasons(r, r.unplaced[0].case_id)[0].startswith("dialysis capacity is used up")


def test_exclusions_are_never_used():
    """An excluded commune is never used even when it is the only one with room."""
    ds = data([family("A", (30,), excluded_locality_ids=("1",))], [commune("1", units={1: 1})])
    _, r = run(ds)
    assert r.placements == []
    assert reasons(r, "A") == ["excluded for this family (every commune)"]


def test_forbid_and_pin():
    """A forbid moves the family elsewhere; a pin puts it where the coordinator says."""
    ds = data([family("A", (30,), preferred_locality_ids=("1",))],
              [commune("1", units={1: 1}), commune("2", units={1: 1}), commune("3", units={1: 1})])
    _, r = run(ds, forbids={("A", "1")})
    assert r.plan()["A"] != "1"
    _, r = run(ds, pins={"A": "3"})
    assert r.plan() == {"A": "3"}


def test_pin_conflicting_with_a_link_is_diagnosed():
    """A pinned to X, A linked to B, B excludes X: with `objective.pins = "fail"` infeasible, and the diagnosis
    names the conflict."""
    ds = data([family("A", (30,), linked_case_ids=("B",)), family("B", (31,), excluded_locality_ids=("X",))],
              [commune("X", units={1: 2}), commune("Y", units={1: 2})])
    problem = build_problem(ds, Policy.model_validate({"objective": {"pins": "fail"}}), pins={"A": "X"})
    r = solve(problem, FAST)
    assert r.status is Status.INFEASIBLE
    assert r.placements == []
    assert any("B must go to" in d and "pin of linked family A" in d and "excluded" in d for d in r.diagnosis)


def test_budget_per_locality_and_region():
    """Persons x cost stay within the commune budget and the policy's regional budget."""
    ds = data([family("A", (30, 30)), family("B", (30,))],
              [commune("1", units={1: 3}, budget_eur=2500, cost_per_person_eur=1000)])
    _, r = run(ds)
    assert sum(len(c.members) for c in ds.cases if c.case_id in r.plan()) == 2
    policy = Policy(regional_budgets={"Occitanie": 1000})
    _, r = run(ds, policy)
    assert r.plan() == {"B": "1"}


def test_mobility_hard_and_soft():
    """Hard mobility keeps a family without a licence out of a commune without transport; soft lets it in."""
    ds = data([family("A", (30,))], [commune("1", units={1: 1}, public_transport="none")])
    hard = Policy()
    hard.rules.mobility.mode = Mode.HARD
    _, r = run(ds, hard)
    assert r.placements == []
    _, r = run(ds)
    assert r.plan() == {"A": "1"}


def test_priority_wins_the_last_unit():
    """Two single adults, one unit: the urgent case is placed."""
    ds = data([family("N", (30,)), family("U", (30,), priority=2)], [commune("1", units={1: 1})])
    _, r = run(ds)
    assert r.plan() == {"U": "1"}


def test_more_people_before_better_scores():
    """Placing more persons comes first: the family of three is placed though a couple would score higher."""
    ds = data([family("BIG", (30, 30, 5)), family("SMALL", (30, 30), preferred_locality_ids=("1",))],
              [commune("1", units={2: 1})])
    _, r = run(ds)
    assert r.plan() == {"BIG": "1"}


def test_require_all_placed_that_cannot_be_met_is_infeasible():
    """When the policy says every family must be placed and one cannot be, the answer is infeasible with a
    diagnosis, never a plan that breaks a rule."""
    ds = data([family("A", (30,)), family("B", (30,))], [commune("1", units={1: 1})])
    policy = Policy()
    policy.objective.require_all_placed = True
    r = solve(build_problem(ds, policy), FAST)
    assert r.status is Status.INFEASIBLE and r.diagnosis


def test_soft_french_classes_are_paid_not_refused():
    """French class seats are soft by default: both learners are placed and the excess is reported."""
    ds = data([family("A", (30,), french="A2"), family("B", (30,), french="A2")],
              [commune("1", units={1: 2}, french_class_seats=1)])
    _, r = run(ds)
    assert len(r.placements) == 2
    assert [v["resource"] for v in r.soft_violations] == ["french_class"]


def test_employment_counts_vacancies_and_licences():
    """A builder scores employment where construction has vacancies, not where jobs need a licence he lacks."""
    ds = data([family("A", (30,), sector="construction")],
              [commune("1", units={1: 1}, jobs={"construction": 2}), commune("2", units={1: 1})])
    problem, r = run(ds)
    assert r.plan() == {"A": "1"}
    assert r.placements[0].components["employment"] == 1.0
    exp = explain_case(problem, r, "A")
    assert "1 of 1 working-age adult has" in exp.reasons["employment"]


def test_ties_and_preferences_steer_the_choice():
    """Relatives in commune 2 bring the family there when nothing else differs."""
    ds = data([family("A", (30,), tie_locality_id="2")], [commune("1", units={1: 1}), commune("2", units={1: 1})])
    _, r = run(ds)
    assert r.plan() == {"A": "2"}


def test_unplaced_allowed_is_never_no_solution():
    """With more families than room and no must-place rule, the answer is a plan, not 'no solution'."""
    ds = data([family(f"F{i}", (30,)) for i in range(5)], [commune("1", units={1: 2})])
    _, r = run(ds)
    assert r.status is Status.OPTIMAL and len(r.placements) == 2 and len(r.unplaced) == 3


def test_person_rows_implied_by_a_tighter_one_are_left_out():
    """Consent, GP and budget all count persons: only the tightest row is kept, and it still binds."""
    families = [family("A", (30, 30)), family("B", (30,)), family("C", (30,))]
    ds = data(families, [commune("1", units={1: 3}, max_persons=5, gp_capacity=2, budget_eur=9000,
                                 cost_per_person_eur=1000)])
    problem, r = run(ds)
    assert set(problem.model.row_resource) & {"persons", "gp", "budget"} == {"gp"}
    assert sum(len(c.members) for c in ds.cases if c.case_id in r.plan()) == 2
    ds = data(families, [commune("1", units={1: 3}, max_persons=5, gp_capacity=4, budget_eur=2500,
                                 cost_per_person_eur=1000)])
    problem, r = run(ds)
    assert set(problem.model.row_resource) & {"persons", "gp", "budget"} == {"budget"}
    assert sum(len(c.members) for c in ds.cases if c.case_id in r.plan()) == 2


def test_housing_rows_implied_by_a_smaller_one_are_left_out():
    """With one-bedroom units only, families needing more never get a row of their own."""
    ds = data([family("A", (30,)), family("B", (30,)), family("C", (30,))], [commune("1", units={1: 2})])
    problem, r = run(ds)
    assert [res for res in problem.model.row_resource if str(res).startswith("housing")] == ["housing:1:1"]
    assert len(r.placements) == 2
