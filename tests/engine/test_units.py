"""The unit each placed family gets: the least waste, with families of one kind counted together."""

from __future__ import annotations

from factories import commune, family
from ortools.graph.python import min_cost_flow

from matcher.engine.units import assign_units
from matcher.models import Policy


def waste_by_family(cases, loc, policy) -> int:
    """The former flow, one node per family: the least total cost."""
    kinds = [(h.bedrooms, h.step_free, h.units) for h in loc.housing if h.units > 0]
    flow = min_cost_flow.SimpleMinCostFlow()
    n, k = len(cases), len(kinds)
    source, sink = n + k, n + k + 1
    for i, c in enumerate(cases):
        need = policy.bedrooms_for(c.persons)
        flow.add_arc_with_capacity_and_unit_cost(source, i, 1, 0)
        for j, (b, sf, _) in enumerate(kinds):
            if b >= need and (sf or not c.needs_step_free_housing):
                flow.add_arc_with_capacity_and_unit_cost(i, n + j, 1, 10 * (b - need) + (
                    1 if sf and not c.needs_step_free_housing else 0))
        flow.add_arc_with_capacity_and_unit_cost(i, sink, 1, 10_000)
    for j, (_, _, units) in enumerate(kinds):
        flow.add_arc_with_capacity_and_unit_cost(n + j, sink, units, 0)
    flow.set_node_supply(source, n)
    flow.set_node_supply(sink, -n)
    assert flow.solve() == flow.OPTIMAL
    return int(flow.optimal_cost())


def cost_of(out, cases, policy) -> int:
    total = 0
    for c in cases:
        b = out[c.case_id]
        need = policy.bedrooms_for(c.persons)
        total += 10_000 if b is None else 10 * (b - need)
    return total


def test_grouped_units_waste_no_more_than_family_by_family():
    """Every family gets a unit that fits it, and the total waste is the least possible (the flow per family),
    with the step-free units kept for those who need them."""
    policy = Policy()
    cases = ([family(f"A{i}", (30, 30)) for i in range(4)] + [family(f"B{i}", (30, 30, 4, 2)) for i in range(3)]
             + [family("S", (30,), needs_step_free_housing=True), family("T", (30, 30), needs_step_free_housing=True)])
    loc = commune("1", units={1: 2, 2: 3, 3: 1}, step_free={1: 1, 3: 2})
    out = assign_units(cases, loc, policy)
    for c in cases:
        b = out[c.case_id]
        assert b is not None and b >= policy.bedrooms_for(c.persons)
    assert sorted(b for b in out.values() if b is not None).count(3) <= 3
    step_free_given = [out["S"], out["T"]]
    assert all(b is not None for b in step_free_given)
    # Cost: waste only (the small step-free charge aside), as the per-family flow finds.
    assert cost_of(out, cases, policy) <= waste_by_family(cases, loc, policy)


def test_families_without_a_unit_left_get_none():
    policy = Policy()
    cases = [family(f"A{i}", (30,)) for i in range(3)]
    out = assign_units(cases, commune("1", units={1: 2}), policy)
    assert sorted(out.values(), key=lambda b: b is None) == [1, 1, None]
