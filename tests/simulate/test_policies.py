"""Each policy on tiny hand-checkable scenarios, and every policy's plan against the independent checker."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from factories import commune, data, family

from matcher.checker import check
from matcher.models import Policy
from matcher.simulate.experiment import Experiment, Task, make_scenario, run_policy, simulate_year
from matcher.simulate.ledger import Ledger
from matcher.simulate.policies import POLICIES, Scenario, Settings, capacity_prices

JAN, FEB = dt.date(2025, 1, 10), dt.date(2025, 2, 10)


def run(scn: Scenario, policy: str) -> dict[str, str]:
    plan, _ = run_policy(scn, policy, Settings(time_limit=2.0, samples=1), np.random.default_rng(0))
    assert check(scn.dataset, scn.policy, plan) == []
    return plan


@pytest.fixture
def two_flats() -> Scenario:
    """A (one 2-bedroom flat) and B (one 1-bedroom flat); a single person arrives in January preferring A, a
    family of four in February."""
    cases = [family("single", (30,), arrival_date=JAN, preferred_locality_ids=("A",)),
             family("four", (40, 38, 8, 5), arrival_date=FEB)]
    locs = [commune("A", units={2: 1}, population=2000), commune("B", units={1: 1}, population=2000)]
    return make_scenario(data(cases, locs), Policy(), months=2)


def test_greedy_takes_best_available_first_come(two_flats: Scenario) -> None:
    """Greedy gives the January arrival its preferred flat in A; the February family of four then fits nowhere."""
    assert run(two_flats, "greedy") == {"single": "A"}


def test_optimal_plans_the_year_with_hindsight(two_flats: Scenario) -> None:
    """The hindsight engine sends the single person to B's 1-bedroom flat, keeping A's 2 bedrooms for the four."""
    assert run(two_flats, "optimal") == {"single": "B", "four": "A"}


def test_capacity_prices_are_non_negative_and_vanish_at_the_end(two_flats: Scenario) -> None:
    """Prices from sampled futures are never negative, and nothing is priced in the last month."""
    led = Ledger(two_flats.problem.model)
    items = np.array([0])
    early = capacity_prices(two_flats, led, items, 1, np.random.default_rng(0), Settings(samples=2))
    late = capacity_prices(two_flats, led, items, 2, np.random.default_rng(0), Settings(samples=2))
    assert (early >= 0).all() and not late.any()


def test_deferred_acceptance_follows_commune_priorities() -> None:
    """Both families prefer A (one flat); A ranks the urgent family first, so the other one falls back to B."""
    cases = [family("calm", (30,), arrival_date=JAN, preferred_locality_ids=("A", "B")),
             family("urgent", (31,), arrival_date=JAN, preferred_locality_ids=("A", "B"), priority=2)]
    locs = [commune("A", units={1: 1}), commune("B", units={1: 1})]
    assert run(make_scenario(data(cases, locs), Policy(), months=1), "deferred_acceptance") == {
        "urgent": "A", "calm": "B"}


def test_proportional_follows_population_key() -> None:
    """Four single persons, communes of 3,000 and 1,000 inhabitants with room for all: three go to the larger."""
    cases = [family(f"p{i}", (30 + i,), arrival_date=JAN) for i in range(4)]
    locs = [commune("BIG", units={1: 4}, population=3000), commune("SMALL", units={1: 4}, population=1000)]
    plan = run(make_scenario(data(cases, locs), Policy(), months=1), "proportional")
    assert sorted(plan.values()) == ["BIG", "BIG", "BIG", "SMALL"]


def test_random_is_reproducible_for_a_seed() -> None:
    """The random policy gives the same plan for the same generator seed."""
    cases = [family(f"p{i}", (30 + i,), arrival_date=JAN) for i in range(5)]
    locs = [commune(x, units={1: 2}) for x in "ABC"]
    scn = make_scenario(data(cases, locs), Policy(), months=1)
    a, _ = run_policy(scn, "random", Settings(), np.random.default_rng(7))
    b, _ = run_policy(scn, "random", Settings(), np.random.default_rng(7))
    assert a == b and len(a) == 5


def test_arrival_months_from_dates(two_flats: Scenario) -> None:
    """Arrival months count from the earliest arrival: January is batch 1, February batch 2."""
    assert two_flats.case_month.tolist() == [1, 2] and two_flats.item_rank.tolist() == [0, 1]


TINY = Experiment(name="tiny", seed=11, replications=3, families_per_year=36, territory={"communes": 6},
                  engine={"time_limit": 0.5}, dynamic={"samples": 1})


@pytest.mark.parametrize("policy", POLICIES)
def test_every_plan_passes_check(policy: str) -> None:
    """On generated cohorts every policy's yearly plan breaks no hard rule."""
    for r in range(TINY.replications):
        scn, plan, _ = simulate_year(Task(TINY, r, policy))
        assert plan and check(scn.dataset, TINY.policy, plan) == []


def test_optimal_places_at_least_as_many_families() -> None:
    """The hindsight engine places at least as many families as greedy and random on every replication."""
    for r in range(TINY.replications):
        placed = {p: len(simulate_year(Task(TINY, r, p))[1]) for p in ("optimal", "greedy", "random")}
        assert placed["optimal"] >= max(placed["greedy"], placed["random"])
