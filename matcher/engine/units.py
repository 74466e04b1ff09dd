"""Which unit each placed family gets: a min-cost flow per commune that wastes as few bedrooms as it can."""

from __future__ import annotations

from collections import defaultdict

from ortools.graph.python import min_cost_flow

from matcher.models import Case, Locality, Policy


def assign_units(cases: list[Case], loc: Locality, policy: Policy) -> dict[str, int | None]:
    """Bedrooms of the unit given to each case (None when no fitting unit is left).

    Families with the same need (bedrooms, step-free) can take the same units at the same cost, so the flow runs
    over these kinds of family (a node each, supplying its count): the least waste overall, in a graph of a few
    dozen arcs whatever the number of families. Each kind's units then go to its families in their order.
    """
    kinds = [(h.bedrooms, h.step_free, h.units) for h in loc.housing if h.units > 0]
    members: dict[tuple[int, bool], list[str]] = defaultdict(list)
    for c in cases:
        members[(policy.bedrooms_for(c.persons), c.needs_step_free_housing)].append(c.case_id)
    groups = sorted(members)
    flow = min_cost_flow.SimpleMinCostFlow()
    n, k = len(groups), len(kinds)
    source, sink = n + k, n + k + 1
    arcs: list[tuple[int, int, int]] = []
    for i, (need, step_free) in enumerate(groups):
        count = len(members[(need, step_free)])
        flow.add_arc_with_capacity_and_unit_cost(source, i, count, 0)
        for j, (b, sf, _) in enumerate(kinds):
            if b >= need and (sf or not step_free):
                # Waste costs its extra bedrooms; a step-free unit given to a family that does not need one
                # costs a little, so that step-free units stay for those who do.
                cost = 10 * (b - need) + (1 if sf and not step_free else 0)
                arcs.append((flow.add_arc_with_capacity_and_unit_cost(i, n + j, count, cost), i, j))
        # Let a family go without a unit at a high cost, so the flow always exists (rule off or soft).
        flow.add_arc_with_capacity_and_unit_cost(i, sink, count, 10_000)
    for j, (_, _, units) in enumerate(kinds):
        flow.add_arc_with_capacity_and_unit_cost(n + j, sink, units, 0)
    flow.set_node_supply(source, len(cases))
    flow.set_node_supply(sink, -len(cases))
    out: dict[str, int | None] = {c.case_id: None for c in cases}
    if cases and flow.solve() == flow.OPTIMAL:
        given = [0] * n  # families of each kind given a unit so far
        for arc, i, j in arcs:
            ids = members[groups[i]]
            for cid in ids[given[i] : given[i] + flow.flow(arc)]:
                out[cid] = kinds[j][0]
            given[i] += flow.flow(arc)
    return out
