"""An independent check of a plan against every hard rule, read from the records, not from the engine's rows.

It recomputes each family's needs from its members and each commune's capacities from the workbook, and checks
housing and interpreters by a max-flow matching rather than the engine's aggregated rows, so that a mistake in
the model cannot hide itself.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ortools.graph.python import max_flow

from matcher.models import Case, Dataset, FrenchLevel, Locality, Mode, Placement, Policy, PublicTransport
from matcher.models.records import WORKING_AGE


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str  # names ids and rules only, never a personal value

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def _hard(policy: Policy, name: str) -> bool:
    return getattr(policy.rules, name).mode is Mode.HARD


def _max_matching(left: list[tuple[int, list[int]]], right_caps: list[int]) -> int:
    """Largest number of left demands served; left items (demand, allowed right indices)."""
    flow = max_flow.SimpleMaxFlow()
    n_left = len(left)
    source, sink = n_left + len(right_caps), n_left + len(right_caps) + 1
    for i, (demand, allowed) in enumerate(left):
        flow.add_arc_with_capacity(source, i, demand)
        for j in allowed:
            flow.add_arc_with_capacity(i, n_left + j, demand)
    for j, cap in enumerate(right_caps):
        flow.add_arc_with_capacity(n_left + j, sink, cap)
    if flow.solve(source, sink) != flow.OPTIMAL:
        return 0
    return int(flow.optimal_flow())


@dataclass(frozen=True)
class _Needs:
    """What one family needs, read once from its record's properties (each loops over the members)."""

    persons: int
    creche: int
    primary: int
    secondary: int
    french: int
    licensed: int
    bedrooms: int
    step_free: bool
    interpreter: bool
    languages: frozenset[str]
    health: frozenset[str]
    workers: tuple[tuple[str, bool], ...]  # (sector, licensed) of each working-age adult with a sector

    @classmethod
    def of(cls, c: Case, policy: Policy) -> _Needs:
        """One pass over the members, by the definitions of the record's properties (docs/rules.md#derived; a test
        holds the two to the same answers): each property loops over the members again, and reading them all
        took 13 s for 100,000 families."""
        creche = primary = secondary = french = licensed = adults = 0
        fluent_adult = fluent_any = False  # French at A2 or listed, among the adults / among all
        workers = []
        for m in c.members:
            age = m.age
            if age <= 2:
                creche += 1
            elif 3 <= age <= 10:
                primary += 1
            elif 11 <= age <= 17:
                secondary += 1
            fluent = m.french_level >= FrenchLevel.A2 or "fr" in m.languages
            fluent_any |= fluent
            if age >= 18:
                adults += 1
                fluent_adult |= fluent
                french += m.french_level < FrenchLevel.B1
                licensed += m.driving_licence
            if m.sector and WORKING_AGE[0] <= age <= WORKING_AGE[1]:
                workers.append((m.sector, m.driving_licence))
        # Interpreting is for the adults, or every member of a family without adults.
        interpreter = not (fluent_adult if adults else fluent_any)
        languages: frozenset[str] = frozenset()
        if interpreter:
            languages = frozenset(lang for m in c.members if adults == 0 or m.age >= 18 for lang in m.languages
                                  if lang != "fr")
        persons = len(c.members)
        return cls(persons, creche, primary, secondary, french, licensed, policy.bedrooms_for(persons),
                   c.needs_step_free_housing, interpreter, languages, frozenset(c.health_services), tuple(workers))


def _housing_fits(placed: list[_Needs], loc: Locality) -> bool:
    """Every family gets a unit with enough bedrooms (step-free if needed): a flow over the kinds of family
    (families with the same need can take the same units, so they are one node with their count)."""
    units = [(h.bedrooms, h.step_free, h.units) for h in loc.housing if h.units > 0]
    kinds = Counter((n.bedrooms, n.step_free) for n in placed)
    left = [(count, [j for j, (b, sf, _) in enumerate(units) if b >= need and (sf or not step_free)])
            for (need, step_free), count in sorted(kinds.items())]
    return _max_matching(left, [u for _, _, u in units]) == len(placed)


def _interpreters_fit(placed: list[_Needs], loc: Locality) -> bool:
    """Every family that needs an interpreter gets one in a language it speaks, within each language's capacity
    (families speaking the same languages are one node)."""
    caps = {i.language: i.capacity for i in loc.interpreters}
    limited = sorted(lang for lang, cap in caps.items() if cap is not None)
    kinds = Counter(n.languages for n in placed if n.interpreter)
    left = []
    for langs, count in sorted(kinds.items(), key=lambda kv: sorted(kv[0])):
        if any(caps.get(lang, 0) is None for lang in langs):  # an unlimited service in a family language
            continue
        allowed = [j for j, lang in enumerate(limited) if lang in langs and (caps[lang] or 0) > 0]
        if not allowed:
            return False
        left.append((count, allowed))
    return _max_matching(left, [int(caps[lang] or 0) for lang in limited]) == sum(n for n, _ in left)


def _employable(placed: list[_Needs], loc: Locality, sector: str) -> int:
    job = next((j for j in loc.jobs if j.sector == sector), None)
    if job is None or job.vacancies <= 0:
        return 0
    return sum(1 for n in placed for s, licensed in n.workers
               if s == sector and (licensed or not job.requires_licence))


def check(
    dataset: Dataset,
    policy: Policy,
    placements: Iterable[Placement] | Mapping[str, str],
    *,
    pins: Mapping[str, str] | None = None,
    forbids: Iterable[tuple[str, str]] | None = None,
) -> list[Violation]:
    """Every hard rule the plan breaks; an empty list means the plan is valid.

    In this order: the placements themselves (:func:`_read_plan`), the coordinator's decisions, links and
    exclusions (:func:`_decision_violations`), each commune's capacities (:func:`_locality_violations`), then the
    regional budgets (:func:`_regional_violations`)."""
    cases = {c.case_id: c for c in dataset.cases}
    locs = {lo.locality_id: lo for lo in dataset.localities}
    plan, out = _read_plan(placements, cases, locs)
    out += _decision_violations(policy, cases, plan, dict(pins or {}), set(forbids or ()))
    by_loc: dict[str, list[_Needs]] = defaultdict(list)
    ids_by_loc: dict[str, list[str]] = defaultdict(list)
    for cid, lid in plan.items():
        by_loc[lid].append(_Needs.of(cases[cid], policy))
        ids_by_loc[lid].append(cid)
    for lid, placed in by_loc.items():
        out += _locality_violations(policy, locs[lid], placed, ids_by_loc[lid])
    out += _regional_violations(policy, by_loc, locs)
    return out


def _read_plan(placements: Iterable[Placement] | Mapping[str, str], cases: Mapping[str, Case],
               locs: Mapping[str, Locality]) -> tuple[dict[str, str], list[Violation]]:
    """The plan (case -> locality) of the placements that name a known case and locality, and a violation for
    each that does not or that places a case twice."""
    plan: dict[str, str] = {}
    out: list[Violation] = []
    pairs = placements.items() if isinstance(placements, Mapping) else ((p.case_id, p.locality_id)
                                                                          for p in placements)
    for cid, lid in pairs:
        if cid in plan:
            out.append(Violation("placement", f"{cid} is placed twice"))
        if cid not in cases:
            out.append(Violation("placement", f"{cid} is not a known case"))
            continue
        if lid not in locs:
            out.append(Violation("placement", f"{cid} is placed in unknown locality {lid}"))
            continue
        plan[cid] = lid
    return plan, out


def _decision_violations(policy: Policy, cases: Mapping[str, Case], plan: Mapping[str, str],
                         pins: Mapping[str, str], forbids: set[tuple[str, str]]) -> list[Violation]:
    """Families left out when every one must be placed, pins and forbids not kept, linked families apart, and
    families placed where they are excluded."""
    out: list[Violation] = []
    if policy.objective.require_all_placed:
        out += [Violation("placement", f"{cid} is not placed") for cid in cases if cid not in plan]
    for cid, lid in pins.items():
        if cid in cases and plan.get(cid) != lid:
            out.append(Violation("pin", f"{cid} is pinned to {lid} but placed {plan.get(cid, 'nowhere')}"))
    for cid, lid in forbids:
        if plan.get(cid) == lid:
            out.append(Violation("forbid", f"{cid} is placed in {lid}, which the coordinator forbade"))
    if _hard(policy, "links"):
        for cid, c in cases.items():
            for other in c.linked_case_ids:
                apart = other in cases and (cid in plan or other in plan) and plan.get(cid) != plan.get(other)
                if apart and (cid < other or cid not in cases[other].linked_case_ids):
                    out.append(Violation("links", f"{cid} and {other} are linked but not placed together"))
    if _hard(policy, "exclusions"):
        for cid, lid in plan.items():
            if lid in cases[cid].excluded_locality_ids:
                out.append(Violation("exclusions", f"{cid} is placed in {lid}, which is excluded for it"))
    return out


def _locality_violations(policy: Policy, loc: Locality, placed: list[_Needs], ids: list[str]) -> list[Violation]:
    """The hard capacities of one commune that the families `placed` there (with their `ids`) exceed."""
    out: list[Violation] = []
    lid = loc.locality_id

    def over(rule: str, what: str, used: float, cap: float | None) -> None:
        if _hard(policy, rule) and cap is not None and used > cap + 1e-6:
            out.append(Violation(rule, f"{lid}: {what} {used:g} over the capacity {cap:g}"))

    persons = sum(c.persons for c in placed)
    over("consent_persons", "persons", persons, loc.max_persons)
    over("consent_cases", "families", len(placed), loc.max_cases)
    over("gp", "GP patients", persons, loc.gp_capacity)
    over("schools", "crèche children", sum(c.creche for c in placed), loc.creche_seats)
    over("schools", "primary pupils", sum(c.primary for c in placed), loc.primary_seats)
    over("schools", "secondary pupils", sum(c.secondary for c in placed), loc.secondary_seats)
    over("french_classes", "French class learners", sum(c.french for c in placed), loc.french_class_seats)
    if loc.cost_per_person_eur:
        over("budget", "cost in euros", persons * -(-loc.cost_per_person_eur // 1), loc.budget_eur)
    if _hard(policy, "health_services"):
        offered = {s.service: s.capacity for s in loc.services}
        need_counts = Counter(s for c in placed for s in c.health)
        for code in sorted(need_counts):
            users = need_counts[code]
            cap = offered.get(code, 0)
            if code not in offered or (cap is not None and users > cap):
                out.append(Violation("health_services", f"{lid}: {users} families need {code}, "
                                     f"capacity {'none' if code not in offered else cap}"))
    if _hard(policy, "housing") and not _housing_fits(placed, loc):
        out.append(Violation("housing", f"{lid}: the placed families cannot each get a fitting unit"))
    if _hard(policy, "interpreters") and not _interpreters_fit(placed, loc):
        out.append(Violation("interpreters", f"{lid}: not every family needing one gets an interpreter"))
    if _hard(policy, "mobility") and loc.public_transport is PublicTransport.NONE:
        for cid, needs in zip(ids, placed, strict=True):
            if needs.licensed == 0:
                out.append(Violation("mobility", f"{cid} has no licence and {lid} has no transport"))
    if _hard(policy, "jobs"):
        for job in loc.jobs:
            if job.vacancies > 0:
                over("jobs", f"{job.sector} workers", _employable(placed, loc, job.sector), job.vacancies)
    return out


def _regional_violations(policy: Policy, by_loc: Mapping[str, list[_Needs]],
                         locs: Mapping[str, Locality]) -> list[Violation]:
    """The regions whose placed families cost more than the policy's regional budget (whole euros per person,
    rounded up as the engine counts them)."""
    out: list[Violation] = []
    if not _hard(policy, "regional_budget"):
        return out
    for region, budget in policy.regional_budgets.items():
        spent = sum(
            sum(c.persons for c in by_loc[lid]) * -(-float(locs[lid].cost_per_person_eur or 0.0) // 1)
            for lid in by_loc if locs[lid].region == region
        )
        if spent > budget + 1e-6:
            out.append(Violation("regional_budget", f"{region}: {spent:,.0f} € over the budget {budget:,.0f} €"))
    return out
