"""The independent checker finds each broken hard rule in a hand-made plan."""

from __future__ import annotations

from factories import commune, data, family

from matcher.explain.check import check
from matcher.models import Mode, Policy


def rules_broken(ds, plan, policy=None, **kw):
    return {v.rule for v in check(ds, policy or Policy(), plan, **kw)}


def test_a_valid_plan_passes():
    """A plan within every capacity breaks nothing."""
    ds = data([family("A", (30, 30, 5))], [commune("1", units={2: 1}, max_persons=3)])
    assert check(ds, Policy(), {"A": "1"}) == []


def test_each_capacity_rule_is_caught():
    """Persons, families, GP, seats by band, budget and French classes (when hard) over capacity are caught."""
    ds = data([family("A", (30, 1)), family("B", (30, 12))],
              [commune("1", units={1: 2}, max_persons=3, max_cases=1, gp_capacity=3, creche_seats=0,
                       secondary_seats=0, budget_eur=1000, cost_per_person_eur=400, french_class_seats=0)])
    policy = Policy()
    policy.rules.french_classes.mode = Mode.HARD
    for f in ds.cases:
        assert f.french_class_need == 0  # B1 adults: French classes are not needed
    broken = rules_broken(ds, {"A": "1", "B": "1"}, policy)
    assert {"consent_persons", "consent_cases", "gp", "schools", "budget"} <= broken


def test_housing_is_checked_by_matching():
    """Two families cannot share one unit, and a step-free need is not met by a unit with stairs."""
    ds = data([family("A", (30,)), family("B", (30,), needs_step_free_housing=True)],
              [commune("1", units={1: 1, 2: 1})])
    assert rules_broken(ds, {"B": "1"}) == {"housing"}
    assert rules_broken(ds, {"A": "1"}) == set()


def test_services_interpreters_links_exclusions_pins_forbids():
    """Each pairwise and service rule is reported by name."""
    ds = data(
        [family("A", (30,), health_services=("dialysis",), linked_case_ids=("B",)),
         family("B", (30,), french="none", languages=("ti",), excluded_locality_ids=("2",))],
        [commune("1", units={1: 2}), commune("2", units={1: 2}, interpreters={"ar": None})],
    )
    broken = rules_broken(ds, {"A": "1", "B": "2"}, pins={"A": "2"}, forbids={("B", "2")})
    assert {"health_services", "interpreters", "links", "exclusions", "pin", "forbid"} <= broken


def test_soft_and_off_rules_are_not_violations():
    """A capacity whose rule is soft or off is not a hard violation."""
    ds = data([family("A", (30, 30))], [commune("1", units={1: 1}, max_persons=1)])
    policy = Policy()
    policy.rules.consent_persons.mode = Mode.SOFT
    policy.rules.housing.mode = Mode.OFF
    assert check(ds, policy, {"A": "1"}) == []
