"""Records turned into numpy arrays, one row per case or per locality, so that rules and scores vectorise.

Capacities that are blank in the workbook (no such limit) are ``inf``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.models import Case, FrenchLevel, Locality, Policy, PublicTransport
from matcher.models.records import WORKING_AGE

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
    def of(cases: list[Case], localities: list[Locality],
           languages: list[tuple[str, ...]] | None = None) -> Vocab:
        """The codes of the data; `languages` are the cases' interpreter languages if already computed."""
        def ordered(values: object) -> tuple[str, ...]:
            return tuple(sorted({v for v in values if v}))  # type: ignore[attr-defined]

        low, high = WORKING_AGE
        langs = languages if languages is not None else [c.interpreter_languages for c in cases]
        return Vocab(
            services=ordered(
                [s for c in cases for s in c.health_services] + [s.service for lo in localities for s in lo.services]
            ),
            languages=ordered(
                [lang for ls in langs for lang in ls] + [i.language for lo in localities for i in lo.interpreters]
            ),
            # The sectors of working-age members (Case.sectors), read once per member.
            sectors=ordered([m.sector for c in cases for m in c.members if m.sector and low <= m.age <= high]
                            + [j.sector for lo in localities for j in lo.jobs]),
            departements=ordered([lo.departement for lo in localities]),
            regions=ordered([lo.region for lo in localities]),
        )


@dataclass(frozen=True)
class CaseArrays:
    """Per-case quantities (docs/rules.md#derived)."""

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


def case_arrays(cases: list[Case], policy: Policy, vocab: Vocab, loc_index: dict[str, int],
                languages: list[tuple[str, ...]] | None = None) -> CaseArrays:
    """Per-case arrays, from one pass over the members (the records' derived properties, recomputed on every
    access, took a third of the model build at 100,000 families); `languages` as for `Vocab.of`."""
    n = len(cases)
    lang_col = {v: i for i, v in enumerate(vocab.languages)}
    svc_col = {v: i for i, v in enumerate(vocab.services)}
    sec_col = {v: i for i, v in enumerate(vocab.sectors)}
    speaks = np.zeros((n, len(vocab.languages)), dtype=bool)
    services = np.zeros((n, len(vocab.services)), dtype=bool)
    sector_adults = np.zeros((n, len(vocab.sectors)), dtype=np.int64)
    sector_licensed = np.zeros_like(sector_adults)
    # Per member: its case, age, French, licence, sector column and whether it lists French.
    of, age, french, licence, sector, says_fr = [], [], [], [], [], []
    for i, c in enumerate(cases):
        for s in c.health_services:
            services[i, svc_col[s]] = True
        for m in c.members:
            of.append(i)
            age.append(m.age)
            french.append(int(m.french_level))
            licence.append(m.driving_licence)
            sector.append(sec_col.get(m.sector, -1) if m.sector else -1)  # (only working-age ones count)
            says_fr.append("fr" in m.languages)
    of_a = np.array(of, dtype=np.int64)
    age_a = np.array(age, dtype=np.int64)
    french_a = np.array(french, dtype=np.int64)
    licence_a = np.array(licence, dtype=bool)
    sector_a = np.array(sector, dtype=np.int64)
    fr_a = np.array(says_fr, dtype=bool)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(of_a[mask], minlength=n).astype(np.int64)

    adult = age_a >= 18
    working = (age_a >= WORKING_AGE[0]) & (age_a <= WORKING_AGE[1])
    n_adults = count(adult)
    # Interpreting is for the adults, or every member of a family without adults (Case.needs_interpreter).
    speaker = adult | (n_adults[of_a] == 0)
    fluent = speaker & ((french_a >= FrenchLevel.A2) | fr_a)
    languages = languages if languages is not None else [c.interpreter_languages for c in cases]
    for i, langs in enumerate(languages):
        for lang in langs:
            speaks[i, lang_col[lang]] = True
    jobs = working & (sector_a >= 0)
    np.add.at(sector_adults, (of_a[jobs], sector_a[jobs]), 1)
    np.add.at(sector_licensed, (of_a[jobs & licence_a], sector_a[jobs & licence_a]), 1)
    persons = np.bincount(of_a, minlength=n).astype(np.int64)
    return CaseArrays(
        ids=tuple(c.case_id for c in cases),
        persons=persons,
        children_0_2=count(age_a <= 2),
        children_3_10=count((age_a >= 3) & (age_a <= 10)),
        children_11_17=count((age_a >= 11) & (age_a <= 17)),
        french_need=count(adult & (french_a < FrenchLevel.B1)),
        working_age=count(working),
        licensed=count(adult & licence_a),
        needs_interpreter=count(fluent) == 0,
        speaks=speaks,
        bedrooms=np.fromiter((policy.bedrooms_for(p) for p in persons.tolist()), dtype=np.int64, count=n),
        step_free=np.fromiter((c.needs_step_free_housing for c in cases), dtype=bool, count=n),
        services=services,
        sector_adults=sector_adults,
        sector_licensed=sector_licensed,
        priority=np.fromiter((c.priority for c in cases), dtype=np.int64, count=n),
        tie=np.fromiter((loc_index.get(c.tie_locality_id or "", -1) for c in cases), dtype=np.int64, count=n),
        first_language=tuple((langs[0] if langs else "fr") for langs in languages),
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
