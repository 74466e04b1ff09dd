"""Sample populations: the families and communes of the sample workbooks, and benchmark instances of any size.

A sample draws communes spread over the départements, families (:mod:`matcher.simulate.cohort` with the default
:class:`~matcher.simulate.cohort.CohortParams`), links between families of the same nationality, their ties,
preferences and exclusions, then communes' capacities scaled to the persons drawn
(:func:`~matcher.simulate.territory.draw_capacities`) with a few tight spots: large flats, one département's
budget, Tigrinya and Somali interpreters. A match then has choices to make: most families, not all, can be placed.

``sample_data/generate.py`` writes the sample workbooks with :func:`build_sample`; ``benchmarks/placement.py``
draws its tiers with :func:`build_instance`. The same arguments give the same dataset on any machine (a seeded
``numpy`` generator, no clock, no network).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from matcher.models import Dataset
from matcher.simulate.cohort import (
    CohortParams,
    Destinations,
    Family,
    draw_exclusions,
    draw_household,
    draw_needs,
    draw_preferences,
    draw_tie,
)
from matcher.simulate.territory import (
    Commune,
    TerritoryParams,
    draw_capacities,
    instance_communes,
    pick_communes,
    reference_communes,
)

__all__ = ["SAMPLE_SEED", "build_instance", "build_sample", "draw_families", "draw_family", "draw_wishes",
           "link_families"]

#: The seed of the committed sample workbooks.
SAMPLE_SEED = 20250301
#: The distributions of the families: the defaults, each with its source.
COHORT = CohortParams()
#: Linked families (siblings' households, travelling together) per sample: pairs and triples. ASSUMPTION.
LINKED_PAIRS = 10
LINKED_TRIPLES = 3
#: Arrivals spread over the first half-year. ASSUMPTION.
ARRIVAL_START = dt.date(2025, 1, 6)
ARRIVAL_DAYS = 180
#: Places offered overall, as a multiple of the persons to place. ASSUMPTION: communes agree to a little more than
#: the cohort needs; the tight spots make the match interesting. Every other figure: `TerritoryParams`' defaults.
TERRITORY = TerritoryParams(capacity_margin=1.45)
#: One département whose budget covers fewer places than it agreed to (a tight spot): Aude, 60 %. ASSUMPTION.
TIGHT_BUDGET = {"11": 0.6}


def draw_family(rng: np.random.Generator, case_id: str, nat: str | None = None) -> Family:
    """One family: household, arrival date, needs (no wishes yet: see :func:`draw_wishes`)."""
    nat, persons = draw_household(rng, COHORT, nat)
    family = Family(case_id=case_id, nationality=nat, persons=persons,
                    arrival=ARRIVAL_START + dt.timedelta(days=int(rng.integers(0, ARRIVAL_DAYS))))
    family.health, family.step_free, family.priority = draw_needs(rng, COHORT, persons)
    return family


def draw_families(rng: np.random.Generator, n: int, prefix: str = "C") -> list[Family]:
    """`n` families with ids ``C0001`` ... (at least four digits)."""
    width = max(4, len(str(n)))
    return [draw_family(rng, f"{prefix}{i:0{width}d}") for i in range(1, n + 1)]


def link_families(rng: np.random.Generator, families: list[Family], pairs: int, triples: int) -> list[list[Family]]:
    """Link groups of families of the same nationality (triples, then pairs); return the groups."""
    by_nat: dict[str, list[Family]] = defaultdict(list)
    for f in families:
        if not f.links:
            by_nat[f.nationality].append(f)
    groups: list[list[Family]] = []
    for size, count in ((3, triples), (2, pairs)):
        for _ in range(count):
            nats = [n for n, fs in sorted(by_nat.items()) if len(fs) >= size]
            if not nats:
                break
            pool = by_nat[nats[int(rng.integers(len(nats)))]]
            picks = [pool.pop(int(rng.integers(len(pool)))) for _ in range(size)]
            for f in picks:
                f.links = [g.case_id for g in picks if g is not f]
            groups.append(picks)
    return groups


def draw_wishes(rng: np.random.Generator, families: list[Family], communes: Sequence[Commune],
                avoid: Mapping[str, str] | None = None) -> None:
    """Ties, ranked preferences and exclusions; `avoid`: case id -> a commune never to exclude (the planted plan's).
    Linked families then share their ties."""
    places = Destinations.of([c.insee for c in communes], [c.population for c in communes])
    for f in families:
        f.tie = draw_tie(rng, COHORT, places)
        f.preferences = draw_preferences(rng, COHORT, places, f.tie)
        keep = {f.tie, *f.preferences, (avoid or {}).get(f.case_id)}
        f.exclusions = draw_exclusions(rng, COHORT, places, keep, bool(f.links))
    by_id = {f.case_id: f for f in families}
    for f in families:
        for other in f.links:
            g = by_id[other]
            if g.tie is None and f.tie is not None:
                g.tie = f.tie


def build_sample(n_families: int, n_communes: int, seed: int, *, linked: tuple[int, int] = (LINKED_PAIRS,
                 LINKED_TRIPLES), clone: bool = False) -> Dataset:
    """A sample dataset: `n_families` families with `linked` (pairs, triples) of linked ones, and `n_communes`
    communes with capacities for 1.45 times their persons.

    Without `clone`, at most the 565 reference communes; with it, clones beyond them
    (:func:`~matcher.simulate.territory.instance_communes`).
    """
    rng = np.random.default_rng(seed)
    if clone:
        communes = instance_communes(rng, n_communes)
    else:
        communes = pick_communes(rng, reference_communes(), n_communes, by_size_band=True)
    families = draw_families(rng, n_families)
    link_families(rng, families, *linked)
    draw_wishes(rng, families, communes)
    cases = [f.to_case() for f in families]
    localities = draw_capacities(rng, communes, sum(c.persons for c in cases), TERRITORY, TIGHT_BUDGET)
    return Dataset(cases=tuple(cases), localities=tuple(localities))


def build_instance(n_families: int, n_communes: int, seed: int) -> Dataset:
    """A benchmark instance of the sample's kind at any size (10,000 x 1,000 in a few seconds): linked families
    in the sample's proportion (10 pairs and 3 triples per 200 families), clones beyond the reference communes."""
    linked = (round(n_families * LINKED_PAIRS / 200), round(n_families * LINKED_TRIPLES / 200))
    return build_sample(n_families, n_communes, seed, linked=linked, clone=True)
