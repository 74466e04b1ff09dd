"""Records turned into numpy arrays, one row per case or per locality, so that rules and scores vectorise.

Capacities that are blank in the workbook (no such limit) are ``inf``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.models import Case, Locality, Policy, PublicTransport

INF = np.inf
TRANSPORT_LEVEL = {PublicTransport.NONE: 0, PublicTransport.LIMITED: 1, PublicTransport.GOOD: 2}


def _cap(value: float | None) -> float:
    return INF if value is None else float(value)


@dataclass(frozen=True)
class Vocab:
    """Codes seen in the data (services, languages, sectors, areas), each given a column index."""

    services: tuple[str, ...]
    languages: tuple[str, ...]
    sectors: tuple[str, ...]
    departements: tuple[str, ...]
    regions: tuple[str, ...]

    @staticmethod
    def of(cases: list[Case], localities: list[Locality]) -> Vocab:
        def ordered(values: object) -> tuple[str, ...]:
            return tuple(sorted({v for v in values if v}))  # type: ignore[attr-defined]

        return Vocab(
            services=ordered(
                [s for c in cases for s in c.health_services] + [s.service for lo in localities for s in lo.services]
            ),
            languages=ordered(
                [lang for c in cases for lang in c.interpreter_languages]
                + [i.language for lo in localities for i in lo.interpreters]
            ),
            sectors=ordered([s for c in cases for s in c.sectors] + [j.sector for lo in localities for j in lo.jobs]),
            departements=ordered([lo.departement for lo in localities]),
            regions=ordered([lo.region for lo in localities]),
        )


@dataclass(frozen=True)
class CaseArrays:
    """Per-case quantities of DESIGN.md section 4."""

    ids: tuple[str, ...]
    persons: np.ndarray  # int
    children_0_2: np.ndarray
    children_3_10: np.ndarray
    children_11_17: np.ndarray
    french_need: np.ndarray  # adults below B1
    working_age: np.ndarray  # adults 18-64
    licensed: np.ndarray  # adults with a driving licence
    needs_interpreter: np.ndarray  # bool
    speaks: np.ndarray  # bool [C, languages]: interpreter languages the family can use
    bedrooms: np.ndarray  # bedrooms needed under the policy's table
    step_free: np.ndarray  # bool
    services: np.ndarray  # bool [C, services]
    sector_adults: np.ndarray  # int [C, sectors]: working-age adults per sector
    sector_licensed: np.ndarray  # int [C, sectors]: of whom licensed
    priority: np.ndarray  # int 0..2
    tie: np.ndarray  # locality index of relatives, -1 if none
    first_language: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class LocalityArrays:
    """Per-locality capacities; inf where the workbook leaves a limit blank."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    max_persons: np.ndarray
    max_cases: np.ndarray
    gp: np.ndarray
    creche: np.ndarray
    primary: np.ndarray
    secondary: np.ndarray
    french_seats: np.ndarray
    transport: np.ndarray  # 0 none, 1 limited, 2 good
    budget: np.ndarray
    cost: np.ndarray  # euros per person, 0 when unknown
    departement: np.ndarray  # index into Vocab.departements
    region: np.ndarray  # index into Vocab.regions
    population: np.ndarray
    units: np.ndarray  # int [L, max_bedrooms + 1, 2]: units by exact bedroom count and step-free flag
    service_cap: np.ndarray  # [L, services]: 0 not offered, inf no limit
    interpreter_cap: np.ndarray  # [L, languages]: 0 not offered, inf no limit
    vacancies: np.ndarray  # int [L, sectors]
    job_needs_licence: np.ndarray  # bool [L, sectors]

    @property
    def n(self) -> int:
        return len(self.ids)

    def units_at_least(self, bedrooms: int, step_free_only: bool) -> np.ndarray:
        """Units per locality with at least `bedrooms` bedrooms (step-free ones only if asked)."""
        b = min(bedrooms, self.units.shape[1])
        part = self.units[:, b:, 1] if step_free_only else self.units[:, b:, :].sum(axis=2)
        return part.sum(axis=1)


def case_arrays(cases: list[Case], policy: Policy, vocab: Vocab, loc_index: dict[str, int]) -> CaseArrays:
    n = len(cases)
    lang_col = {v: i for i, v in enumerate(vocab.languages)}
    svc_col = {v: i for i, v in enumerate(vocab.services)}
    sec_col = {v: i for i, v in enumerate(vocab.sectors)}
    speaks = np.zeros((n, len(vocab.languages)), dtype=bool)
    services = np.zeros((n, len(vocab.services)), dtype=bool)
    sector_adults = np.zeros((n, len(vocab.sectors)), dtype=np.int64)
    sector_licensed = np.zeros_like(sector_adults)
    for i, c in enumerate(cases):
        for lang in c.interpreter_languages:
            speaks[i, lang_col[lang]] = True
        for s in c.health_services:
            services[i, svc_col[s]] = True
        for m in c.working_age_adults:
            if m.sector:
                sector_adults[i, sec_col[m.sector]] += 1
                if m.driving_licence:
                    sector_licensed[i, sec_col[m.sector]] += 1

    def col(f: object) -> np.ndarray:
        return np.fromiter((f(c) for c in cases), dtype=np.int64, count=n)  # type: ignore[operator]

    persons = col(lambda c: c.persons)
    return CaseArrays(
        ids=tuple(c.case_id for c in cases),
        persons=persons,
        children_0_2=col(lambda c: c.children_0_2),
        children_3_10=col(lambda c: c.children_3_10),
        children_11_17=col(lambda c: c.children_11_17),
        french_need=col(lambda c: c.french_class_need),
        working_age=col(lambda c: len(c.working_age_adults)),
        licensed=col(lambda c: c.licensed_adults),
        needs_interpreter=col(lambda c: c.needs_interpreter).astype(bool),
        speaks=speaks,
        bedrooms=np.fromiter((policy.bedrooms_for(p) for p in persons), dtype=np.int64, count=n),
        step_free=col(lambda c: c.needs_step_free_housing).astype(bool),
        services=services,
        sector_adults=sector_adults,
        sector_licensed=sector_licensed,
        priority=col(lambda c: c.priority),
        tie=col(lambda c: loc_index.get(c.tie_locality_id or "", -1)),
        first_language=tuple(
            (c.interpreter_languages[0] if c.interpreter_languages else "fr") for c in cases
        ),
    )


def locality_arrays(localities: list[Locality], vocab: Vocab, max_bedrooms: int) -> LocalityArrays:
    n = len(localities)
    nb = max(max_bedrooms, max((h.bedrooms for lo in localities for h in lo.housing), default=1))
    units = np.zeros((n, nb + 1, 2), dtype=np.int64)
    service_cap = np.zeros((n, len(vocab.services)))
    interpreter_cap = np.zeros((n, len(vocab.languages)))
    vacancies = np.zeros((n, len(vocab.sectors)), dtype=np.int64)
    needs_licence = np.zeros((n, len(vocab.sectors)), dtype=bool)
    svc_col = {v: i for i, v in enumerate(vocab.services)}
    lang_col = {v: i for i, v in enumerate(vocab.languages)}
    sec_col = {v: i for i, v in enumerate(vocab.sectors)}
    for i, lo in enumerate(localities):
        for h in lo.housing:
            units[i, h.bedrooms, int(h.step_free)] += h.units
        for s in lo.services:
            service_cap[i, svc_col[s.service]] = _cap(s.capacity)
        for it in lo.interpreters:
            interpreter_cap[i, lang_col[it.language]] = _cap(it.capacity)
        for j in lo.jobs:
            vacancies[i, sec_col[j.sector]] += j.vacancies
            needs_licence[i, sec_col[j.sector]] = j.requires_licence

    def cap(f: object) -> np.ndarray:
        return np.fromiter((_cap(f(lo)) for lo in localities), dtype=float, count=n)  # type: ignore[operator]

    dep = {v: i for i, v in enumerate(vocab.departements)}
    reg = {v: i for i, v in enumerate(vocab.regions)}
    return LocalityArrays(
        ids=tuple(lo.locality_id for lo in localities),
        names=tuple(lo.name or lo.locality_id for lo in localities),
        max_persons=cap(lambda lo: lo.max_persons),
        max_cases=cap(lambda lo: lo.max_cases),
        gp=cap(lambda lo: lo.gp_capacity),
        creche=cap(lambda lo: lo.creche_seats),
        primary=cap(lambda lo: lo.primary_seats),
        secondary=cap(lambda lo: lo.secondary_seats),
        french_seats=cap(lambda lo: lo.french_class_seats),
        transport=np.array([TRANSPORT_LEVEL[lo.public_transport] for lo in localities], dtype=np.int64),
        budget=cap(lambda lo: lo.budget_eur),
        cost=np.array([float(lo.cost_per_person_eur or 0.0) for lo in localities]),
        departement=np.array([dep.get(lo.departement, -1) for lo in localities], dtype=np.int64),
        region=np.array([reg.get(lo.region, -1) for lo in localities], dtype=np.int64),
        population=np.array([float(lo.population or 0) for lo in localities]),
        units=units,
        service_cap=service_cap,
        interpreter_cap=interpreter_cap,
        vacancies=vacancies,
        job_needs_licence=needs_licence,
    )
