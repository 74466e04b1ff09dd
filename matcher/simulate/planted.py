"""A planted instance: families and communes built around a hidden plan, so that the best answer is known.

The ordinary families are first assigned to communes (linked families together, by population); then every
capacity of each commune is set to what its families use, plus some slack (at least one unit), or exactly that now
and then. So a plan placing every ordinary family exists. Eight more families cannot be placed by any plan, each
blocked by one named rule of :class:`~matcher.models.policy.Rules`.

:func:`check_plan` checks a plan against every hard rule of the default policy and :func:`max_placeable` finds
the most families a plan can place: both independent of the engine, which the planted instance tests.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher.models import Case, Dataset, HousingUnit, Interpreter, Job, Locality, Policy, PublicTransport, Service
from matcher.simulate.cohort import Family, draw_child
from matcher.simulate.population import (
    COHORT,
    LINKED_PAIRS,
    LINKED_TRIPLES,
    draw_family,
    draw_wishes,
    link_families,
)
from matcher.simulate.territory import LICENCE_REQUIRED, Commune, TerritoryParams, pick_communes, reference_communes

__all__ = ["PLANTED_SEED", "Demand", "Slack", "build_planted", "check_plan", "demand", "max_placeable"]

#: The seed of the committed planted instance.
PLANTED_SEED = 20250302
#: Slack added above what the planted families use, and the share of capacities left exactly tight.
PLANTED_SLACK = (0.05, 0.15)
PLANTED_P_TIGHT = 0.1
#: The language nobody interprets in the planted set, and the service nobody offers.
PLANTED_MISSING_LANGUAGE = "my"
PLANTED_MISSING_SERVICE = "dialysis"
#: Families that no plan can place.
IMPOSSIBLE = 8
#: Jobs, costs and blank capacities as in every drawn commune.
TERRITORY = TerritoryParams()

_POLICY = Policy()


# ------------------------------------------------------------------------------ what a family uses


@dataclass(frozen=True)
class Demand:
    """What a family uses of a commune's capacities under the default policy's rules."""

    persons: int
    bedrooms: int
    step_free: bool
    creche: int
    primary: int
    secondary: int
    french_class: int
    needs_interpreter: bool
    languages: tuple[str, ...]
    services: tuple[str, ...]


def demand(case: Case) -> Demand:
    """The capacities `case` takes, with the default bedroom table."""
    return Demand(
        persons=case.persons,
        bedrooms=_POLICY.bedrooms_for(case.persons),
        step_free=case.needs_step_free_housing,
        creche=case.children_0_2,
        primary=case.children_3_10,
        secondary=case.children_11_17,
        french_class=case.french_class_need,
        needs_interpreter=case.needs_interpreter,
        languages=case.interpreter_languages,
        services=case.health_services,
    )


@dataclass
class Usage:
    """What the families placed in one commune use, capacity by capacity."""

    persons: int = 0
    cases: int = 0
    creche: int = 0
    primary: int = 0
    secondary: int = 0
    french_class: int = 0
    housing: Counter[tuple[int, bool]] = field(default_factory=Counter)
    services: Counter[str] = field(default_factory=Counter)
    interpreters: Counter[str] = field(default_factory=Counter)

    def add(self, d: Demand, language: str | None) -> None:
        """Count one more family, interpreted in `language` (None: no interpreter)."""
        self.persons += d.persons
        self.cases += 1
        self.creche += d.creche
        self.primary += d.primary
        self.secondary += d.secondary
        self.french_class += d.french_class
        self.housing[(d.bedrooms, d.step_free)] += 1
        for s in d.services:
            self.services[s] += 1
        if language is not None:
            self.interpreters[language] += 1


# ------------------------------------------------------------------------------------- the families


def _ordinary(fam: Family) -> bool:
    """Planted ordinary families avoid what the impossible ones are blocked by."""
    d = demand(fam.to_case())
    if PLANTED_MISSING_SERVICE in fam.health:
        return False
    if any(PLANTED_MISSING_LANGUAGE in p.languages for p in fam.persons):
        return False
    return not (d.step_free and d.bedrooms >= 4)


def _ordinary_families(rng: np.random.Generator, n: int, width: int) -> tuple[list[Family], int]:
    """`n` ordinary families (others drawn are skipped) and the next free number."""
    families: list[Family] = []
    number = 1
    while len(families) < n:
        f = draw_family(rng, f"P{number:0{width}d}")
        if _ordinary(f):
            families.append(f)
            number += 1
    return families, number


def _impossible_families(rng: np.random.Generator, start: int, width: int,
                         ids: Sequence[str]) -> list[tuple[Family, str, str]]:
    """Eight families no plan can place, each with the one rule that blocks it."""
    out: list[tuple[Family, str, str]] = []
    number = start

    def fresh(nat: str) -> Family:
        nonlocal number
        while True:
            f = draw_family(rng, f"P{number:0{width}d}", nat=nat)
            if _ordinary(f):
                break
        number += 1
        f.health, f.step_free, f.priority = [], False, 0
        for p in f.persons:
            if p.age >= 18 and p.french in ("none", "A1"):
                p.french = "A2"  # no interpreter needed, unless a blocker below says so
        return f

    for _ in range(2):
        f = fresh("SYR")
        f.health = [PLANTED_MISSING_SERVICE]
        out.append((f, "health_services", f"needs {PLANTED_MISSING_SERVICE}, which no commune offers"))
    # A family of 8 persons needs 4 bedrooms (default table) and step-free access: no such unit anywhere.
    f = fresh("SYR")
    while len(f.persons) < 8:
        f.persons.append(draw_child(rng, COHORT, "SYR", int(rng.integers(0, 15)), ("ar",)))
    f.step_free = True
    out.append((f, "housing", "needs a step-free unit with 4 bedrooms, which no commune has"))
    for _ in range(2):
        f = fresh("SDN")
        for p in f.persons:
            p.languages = (PLANTED_MISSING_LANGUAGE,)
            p.french = "none" if p.age >= 18 else p.french
        out.append((f, "interpreters",
                    f"needs an interpreter in '{PLANTED_MISSING_LANGUAGE}', which no commune offers"))
    f = fresh("AFG")
    f.exclusions = list(ids)
    out.append((f, "exclusions", "excludes every commune"))
    a, b = fresh("ERI"), fresh("ERI")
    a.links, b.links = [b.case_id], [a.case_id]
    half = len(ids) // 2
    a.exclusions, b.exclusions = list(ids[:half]), list(ids[half:])
    for f in (a, b):
        out.append((f, "links", "linked to a family whose exclusions leave no commune in common"))
    return out


def _hidden_plan(rng: np.random.Generator, families: list[Family], groups: list[list[Family]],
                 communes: Sequence[Commune]) -> dict[str, str]:
    """Case -> commune: linked groups and single families go to communes drawn by population (to the 0.8)."""
    ids = [c.insee for c in communes]
    w = np.array([c.population for c in communes], dtype=float) ** 0.8
    w = w / w.sum()
    assignment: dict[str, str] = {}
    grouped = {f.case_id for g in groups for f in g}
    for unit in [*groups, *[[f] for f in families if f.case_id not in grouped]]:
        where = ids[int(rng.choice(len(ids), p=w))]
        for f in unit:
            assignment[f.case_id] = where
    return assignment


def _plan_usage(rng: np.random.Generator, families: list[Family], assignment: Mapping[str, str],
                ids: Sequence[str]) -> tuple[dict[str, Usage], dict[str, str]]:
    """What the plan uses in each commune, and the interpreter language drawn for each family needing one."""
    usage = {i: Usage() for i in ids}
    chosen_language: dict[str, str] = {}
    for f in families:
        d = demand(f.to_case())
        lang = None
        if d.needs_interpreter:
            lang = d.languages[int(rng.integers(len(d.languages)))]
            chosen_language[f.case_id] = lang
        usage[assignment[f.case_id]].add(d, lang)
    return usage, chosen_language


# ------------------------------------------------------------------------------------- the communes


@dataclass(frozen=True)
class Slack:
    """How far planted capacities sit above what the planted plan uses."""

    low: float = PLANTED_SLACK[0]
    high: float = PLANTED_SLACK[1]
    p_tight: float = PLANTED_P_TIGHT

    def capacity(self, rng: np.random.Generator, used: int, tight: list[str], what: str) -> int:
        """`used` exactly now and then (noted in `tight`), else `low`-`high` more, at least one more."""
        if used > 0 and rng.random() < self.p_tight:
            tight.append(what)
            return used
        return used + max(1, math.ceil(used * rng.uniform(self.low, self.high)))


def _limited(rng: np.random.Generator, cap: int) -> int | None:
    return None if rng.random() < TERRITORY.p_no_limit else cap


def _planted_locality(rng: np.random.Generator, c: Commune, u: Usage, slack: Slack, t: list[str]) -> Locality:
    """Commune `c` with every capacity at or above its use `u` (the capacities left exactly at it go to `t`)."""

    def cap(used: int, what: str) -> int:
        return slack.capacity(rng, used, t, what)

    max_persons = cap(u.persons, "max_persons")
    max_cases = cap(u.cases, "max_cases")
    gp = cap(u.persons, "gp_capacity")
    kinds = set(u.housing)
    # A few unused kinds of flat too, never step-free with 4 bedrooms.
    for b in (1, 2, 3):
        if rng.random() < 0.3:
            kinds.add((b, bool(rng.random() < 0.3)))
    housing = [HousingUnit(locality_id=c.insee, bedrooms=b, step_free=step,
                           units=cap(u.housing[(b, step)], f"housing:{b}:{'step_free' if step else 'any'}"))
               for b, step in sorted(kinds)]
    offered = set(u.services) | {s for s in ("mental_health", "pediatrics", "physiotherapy", "maternity",
                                             "oncology") if rng.random() < 0.3}
    services = [Service(locality_id=c.insee, service=s, capacity=_limited(rng, cap(u.services[s], f"service:{s}")))
                for s in sorted(offered)]
    langs = set(u.interpreters) | {lang for lang in ("ar", "en", "uk") if rng.random() < 0.3}
    interpreters = [Interpreter(locality_id=c.insee, language=lang,
                                capacity=_limited(rng, cap(u.interpreters[lang], f"interpreter:{lang}")))
                    for lang in sorted(langs)]
    jobs = []
    for sector, rate in TERRITORY.jobs_per_1000.items():
        k = int(rng.poisson(rate * c.population / 1000))
        if k:
            jobs.append(Job(locality_id=c.insee, sector=sector, vacancies=k,
                            requires_licence=bool(rng.random() < LICENCE_REQUIRED.get(sector, 0.1))))
    cost = float(round(rng.uniform(*TERRITORY.cost_per_person) / 50) * 50)
    if rng.random() < slack.p_tight and u.persons:
        budget = u.persons * cost
        t.append("budget_eur")
    else:
        budget = math.ceil(max(u.persons, 1) * cost * (1 + rng.uniform(slack.low, slack.high)) / 100) * 100
    transport = (PublicTransport.GOOD if c.population >= 15_000 else
                 PublicTransport.LIMITED if c.population >= 4_000 else PublicTransport.NONE)
    return Locality(
        locality_id=c.insee, name=c.name, departement=c.dep, region=c.region, lat=c.lat, lon=c.lon,
        population=c.population, max_persons=max_persons, max_cases=max_cases, gp_capacity=gp,
        creche_seats=cap(u.creche, "creche_seats"), primary_seats=cap(u.primary, "primary_seats"),
        secondary_seats=cap(u.secondary, "secondary_seats"),
        french_class_seats=cap(u.french_class, "french_class_seats"),
        public_transport=transport, budget_eur=float(budget), cost_per_person_eur=cost,
        housing=tuple(housing), services=tuple(services), jobs=tuple(jobs), interpreters=tuple(interpreters),
    )


# ------------------------------------------------------------------------------------------- the whole


def build_planted(n_families: int, n_communes: int, seed: int,
                  slack: Slack | None = None) -> tuple[Dataset, dict[str, Any]]:
    """The planted dataset and its answer (``answer.json``): the plan, the interpreter language each family uses
    in it, the impossible families with their rule, and the capacities the plan uses exactly.

    Raises
    ------
    RuntimeError
        If the planted plan broke a rule (a bug in this module).
    """
    slack = slack or Slack()
    rng = np.random.default_rng(seed)
    communes = pick_communes(rng, reference_communes(), n_communes, by_size_band=True)
    ids = [c.insee for c in communes]
    width = max(4, len(str(n_families)))
    families, number = _ordinary_families(rng, n_families - IMPOSSIBLE, width)
    groups = link_families(rng, families, LINKED_PAIRS, LINKED_TRIPLES)
    assignment = _hidden_plan(rng, families, groups, communes)
    draw_wishes(rng, families, communes, avoid=assignment)
    usage, chosen_language = _plan_usage(rng, families, assignment, ids)
    impossible = _impossible_families(rng, number, width, ids)
    tight: list[dict[str, str]] = []
    localities = []
    for c in communes:
        t: list[str] = []
        localities.append(_planted_locality(rng, c, usage[c.insee], slack, t))
        tight += [{"locality_id": c.insee, "capacity": what} for what in t]
    all_families = families + [f for f, _, _ in impossible]
    dataset = Dataset(cases=tuple(f.to_case() for f in all_families), localities=tuple(localities))
    answer = {
        "description": (
            "Planted instance: every ordinary family can be placed at once, e.g. by `assignment`, under the "
            "default policy's hard rules (docs/rules.md#rules). The `impossible` families cannot be placed "
            "by any plan; each is blocked by the named rule of matcher.models.policy.Rules (other rules "
            "may block it too). `interpreter_language` is the language each family uses in that plan; "
            "`tight_capacities` lists the capacities the plan uses exactly."
        ),
        "seed": seed,
        "slack": [slack.low, slack.high],
        "tight_share": slack.p_tight,
        "families": len(all_families),
        "ordinary_families": len(families),
        "persons": dataset.persons,
        "communes": len(localities),
        "assignment": dict(sorted(assignment.items())),
        "interpreter_language": dict(sorted(chosen_language.items())),
        "impossible": [{"case_id": f.case_id, "rule": rule, "reason": why} for f, rule, why in impossible],
        "tight_capacities": tight,
    }
    problems = check_plan(dataset, assignment, chosen_language)
    if problems:
        raise RuntimeError("planted plan breaks a rule: " + "; ".join(problems[:5]))
    return dataset, answer


# ------------------------------------------------------------------------------------------- checks


def check_plan(dataset: Dataset, plan: Mapping[str, str], languages: Mapping[str, str]) -> list[str]:
    """Every hard rule of the default policy that `plan` (case -> locality) breaks, in words; [] if none.

    Each family takes a unit of exactly its bedroom need (step-free if needed); `languages` gives the
    interpreter language used by each family that needs one.
    """
    locs = {loc.locality_id: loc for loc in dataset.localities}
    cases = {c.case_id: c for c in dataset.cases}
    usage: dict[str, Usage] = defaultdict(Usage)
    problems = []
    for cid, lid in plan.items():
        case, loc = cases[cid], locs[lid]
        d = demand(case)
        if lid in case.excluded_locality_ids:
            problems.append(f"{cid} placed in excluded {lid}")
        for other in case.linked_case_ids:
            if plan.get(other) != lid:
                problems.append(f"{cid} not with linked {other}")
        missing = set(d.services) - loc.service_codes
        if missing:
            problems.append(f"{cid} needs {sorted(missing)} absent from {lid}")
        lang = languages.get(cid) if d.needs_interpreter else None
        if d.needs_interpreter and (lang not in d.languages or lang not in loc.interpreter_languages):
            problems.append(f"{cid} has no interpreter in {lid}")
        usage[lid].add(d, lang)
    for lid, u in usage.items():
        problems += [f"{lid} {what}: {used} > {cap}" for what, used, cap in _uses(locs[lid], u)
                     if cap is not None and used > cap]
    return problems


def _uses(loc: Locality, u: Usage) -> list[tuple[str, int, int | float | None]]:
    """(capacity, used, limit) of every capacity of `loc` that `u` uses."""
    pairs: list[tuple[str, int, int | float | None]] = [
        ("persons", u.persons, loc.max_persons), ("cases", u.cases, loc.max_cases),
        ("gp", u.persons, loc.gp_capacity), ("creche", u.creche, loc.creche_seats),
        ("primary", u.primary, loc.primary_seats), ("secondary", u.secondary, loc.secondary_seats),
    ]
    if loc.cost_per_person_eur is not None:
        pairs.append(("budget", int(u.persons * loc.cost_per_person_eur), loc.budget_eur))
    units = {(h.bedrooms, h.step_free): h.units for h in loc.housing}
    for (b, step), n in u.housing.items():
        pairs.append((f"housing {b}{' step-free' if step else ''}", n, units.get((b, step), 0)))
    caps = {s.service: s.capacity for s in loc.services}
    pairs += [(f"service {s}", n, caps.get(s, 0)) for s, n in u.services.items()]
    icaps = {i.language: i.capacity for i in loc.interpreters}
    pairs += [(f"interpreter {lang}", n, icaps.get(lang, 0)) for lang, n in u.interpreters.items()]
    return pairs


def max_placeable(dataset: Dataset, time_limit: float = 20.0) -> tuple[int, int, list[str]]:
    """Families, persons and unplaced case ids of a plan placing most families under the default hard rules.

    A small CP-SAT model independent of the engine: a family may take any unit at least as large as it needs.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x: dict[tuple[str, str], Any] = {}
    by_loc: dict[str, list[tuple[Case, Demand, Any]]] = defaultdict(list)
    for case in dataset.cases:
        d = demand(case)
        for loc in dataset.localities:
            if _may_take(case, d, loc):
                v = model.new_bool_var(f"x_{case.case_id}_{loc.locality_id}")
                x[case.case_id, loc.locality_id] = v
                by_loc[loc.locality_id].append((case, d, v))
    placed = {c.case_id: sum(x[c.case_id, loc.locality_id] for loc in dataset.localities
                             if (c.case_id, loc.locality_id) in x)
              for c in dataset.cases}
    for case in dataset.cases:
        model.add(placed[case.case_id] <= 1)
        for other in case.linked_case_ids:
            for loc in dataset.localities:
                model.add(x.get((case.case_id, loc.locality_id), 0) == x.get((other, loc.locality_id), 0))
    for loc in dataset.localities:
        if by_loc[loc.locality_id]:
            _capacities(model, loc, by_loc[loc.locality_id])
    model.maximize(sum(placed.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    solver.solve(model)
    unplaced = [c.case_id for c in dataset.cases if solver.value(placed[c.case_id]) < 1]
    persons = sum(c.persons for c in dataset.cases if c.case_id not in set(unplaced))
    return len(dataset.cases) - len(unplaced), persons, unplaced


def _may_take(case: Case, d: Demand, loc: Locality) -> bool:
    """Whether `loc` passes the family's exclusions, health services, interpreters and housing."""
    if loc.locality_id in case.excluded_locality_ids or not set(d.services) <= loc.service_codes:
        return False
    if d.needs_interpreter and not set(d.languages) & loc.interpreter_languages:
        return False
    return any(h.bedrooms >= d.bedrooms and (h.step_free or not d.step_free) and h.units > 0 for h in loc.housing)


def _capacities(model: Any, loc: Locality, items: list[tuple[Case, Demand, Any]]) -> None:
    """The capacity constraints of `loc` on the families that may go there."""
    def cap(expr: Any, limit: float | None) -> None:
        if limit is not None:
            model.add(expr <= math.floor(limit))

    cap(sum(d.persons * v for _, d, v in items), loc.max_persons)
    cap(sum(v for _, _, v in items), loc.max_cases)
    cap(sum(d.persons * v for _, d, v in items), loc.gp_capacity)
    cap(sum(d.creche * v for _, d, v in items), loc.creche_seats)
    cap(sum(d.primary * v for _, d, v in items), loc.primary_seats)
    cap(sum(d.secondary * v for _, d, v in items), loc.secondary_seats)
    if loc.cost_per_person_eur is not None and loc.budget_eur is not None:
        cap(sum(int(d.persons * loc.cost_per_person_eur) * v for _, d, v in items), loc.budget_eur)
    for s in loc.services:
        cap(sum(v for _, d, v in items if s.service in d.services), s.capacity)
    # Housing and interpreters: each placed family picks one fitting unit kind / one language.
    unit_vars: dict[int, list[Any]] = defaultdict(list)
    for case, d, v in items:
        options = []
        for k, h in enumerate(loc.housing):
            if h.bedrooms >= d.bedrooms and (h.step_free or not d.step_free):
                y = model.new_bool_var(f"y_{case.case_id}_{loc.locality_id}_{k}")
                unit_vars[k].append(y)
                options.append(y)
        model.add(sum(options) == v)
    for k, h in enumerate(loc.housing):
        if unit_vars[k]:
            model.add(sum(unit_vars[k]) <= h.units)
    lang_vars: dict[str, list[Any]] = defaultdict(list)
    for case, d, v in items:
        if not d.needs_interpreter:
            continue
        options = []
        for i in loc.interpreters:
            if i.language in d.languages:
                z = model.new_bool_var(f"z_{case.case_id}_{loc.locality_id}_{i.language}")
                lang_vars[i.language].append(z)
                options.append(z)
        model.add(sum(options) == v)
    for i in loc.interpreters:
        if lang_vars[i.language] and i.capacity is not None:
            model.add(sum(lang_vars[i.language]) <= i.capacity)
