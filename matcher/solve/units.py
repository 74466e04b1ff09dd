"""Which unit each placed family gets: a min-cost flow per commune that wastes as few bedrooms as it can."""

from __future__ import annotations

from ortools.graph.python import min_cost_flow

from matcher.models import Case, Locality, Policy


def assign_units(cases: list[Case], loc: Locality, policy: Policy) -> dict[str, int | None]:
    """Bedrooms of the unit given to each case (None when no fitting unit is left)."""
    kinds = [(h.bedrooms, h.step_free, h.units) for h in loc.housing if h.units > 0]
    flow = min_cost_flow.SimpleMinCostFlow()
    n, k = len(cases), len(kinds)
    source, sink = n + k, n + k + 1
    arcs: list[tuple[int, int, int]] = []
    for i, c in enumerate(cases):
        need = policy.bedrooms_for(c.persons)
        flow.add_arc_with_capacity_and_unit_cost(source, i, 1, 0)
        for j, (b, sf, _) in enumerate(kinds):
            if b >= need and (sf or not c.needs_step_free_housing):
                # Waste costs its extra bedrooms; a step-free unit given to a family that does not need one
                # costs a little, so that step-free units stay for those who do.
                cost = 10 * (b - need) + (1 if sf and not c.needs_step_free_housing else 0)
                arc = flow.add_arc_with_capacity_and_unit_cost(i, n + j, 1, cost)
                arcs.append((arc, i, j))
        # Let a family go without a unit at a high cost, so the flow always exists (rule off or soft).
        flow.add_arc_with_capacity_and_unit_cost(i, sink, 1, 10_000)
    for j, (_, _, units) in enumerate(kinds):
        flow.add_arc_with_capacity_and_unit_cost(n + j, sink, units, 0)
    flow.set_node_supply(source, n)
    flow.set_node_supply(sink, -n)
    out: dict[str, int | None] = {c.case_id: None for c in cases}
    if n and flow.solve() == flow.OPTIMAL:
        for arc, i, j in arcs:
            if flow.flow(arc) > 0:
                out[cases[i].case_id] = kinds[j][0]
    return out
