"""The features of a (family, commune) pair that an outcome model may use: a fixed list, in code.

Nationality, religion, ethnicity and what stands in for them are never features. The list leaves out the
family's languages too (a first language points to a nationality), and a history holding such columns is refused
(`FORBIDDEN_COLUMNS`). The commune itself is a feature (its own past rate), as in GeoMatch's per-location models.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from matcher.io.spec import normalise_header
from matcher.models.records import SECTORS, Case, Education, Locality, PublicTransport

#: The family's features: (name, meaning).
FAMILY_FEATURES: tuple[tuple[str, str], ...] = (
    ("persons", "family size"),
    ("working_age_adults", "members aged 18-64"),
    ("children", "members under 18"),
    ("youngest_child_age", "age of the youngest child (blank without children)"),
    ("french_max", "best adult French level, 0 (none) to 6 (C2)"),
    ("french_mean", "mean adult French level"),
    ("education_max", "highest adult education, 0 (none) to 4 (higher)"),
    ("licensed_adults", "adults with a driving licence"),
    ("adults_with_trade", "working-age adults with a trade (sector)"),
    ("health_needs", "health services the family needs"),
    ("step_free", "needs step-free housing (1) or not (0)"),
)
#: The commune's features.
COMMUNE_FEATURES: tuple[tuple[str, str], ...] = (
    ("log_population", "log10 of the commune's population"),
    ("public_transport", "public transport, 0 (none) to 2 (good)"),
    ("vacancies", "job vacancies, all sectors"),
    ("vacancies_per_1000", "job vacancies per 1,000 inhabitants"),
    ("french_class_seats", "French class seats (blank: no limit given)"),
    ("services", "health services offered"),
)
#: Features of the pair.
PAIR_FEATURES: tuple[tuple[str, str], ...] = (
    ("trade_matches", "working-age adults whose trade has vacancies in the commune"),
    ("trade_match_share", "share of the family's trades with vacancies in the commune"),
    ("vacancies_in_trades", "vacancies in the commune in the family's trades"),
    ("no_licence_no_transport", "no licence in the family and no public transport (1) or not (0)"),
    ("tie", "relatives or community in the commune (1) or not (0)"),
    ("needs_met", "share of the family's health services offered in the commune (1 without needs)"),
)
#: The commune itself, a categorical feature.
COMMUNE_ID = "commune"

#: Every numeric feature, in the order of the model's columns; the commune comes last.
FEATURES: tuple[str, ...] = tuple(n for n, _ in (*FAMILY_FEATURES, *COMMUNE_FEATURES, *PAIR_FEATURES))
#: What each feature means, for the model card and `matcher outcomes fit`'s printout.
MEANINGS: dict[str, str] = {**dict((*FAMILY_FEATURES, *COMMUNE_FEATURES, *PAIR_FEATURES)),
                            COMMUNE_ID: "the commune itself (its own effect, learnt from its past placements)"}

#: Columns never accepted in a history: protected characteristics and their usual stand-ins (normalised as
#: headers are: case, accents, spaces, '-' and '_' ignored), in English and French.
FORBIDDEN_COLUMNS: frozenset[str] = frozenset(normalise_header(n) for n in (
    "nationality", "nationalite", "citizenship", "citoyennete", "country", "pays", "country_of_origin",
    "pays_origine", "pays_d_origine", "origin", "origine", "country_of_birth", "pays_de_naissance",
    "place_of_birth", "lieu_de_naissance", "birthplace", "religion", "faith", "confession", "ethnicity",
    "ethnie", "ethnic_group", "groupe_ethnique", "race", "tribe", "tribu", "clan", "caste", "skin_colour",
    "skin_color", "couleur_de_peau", "mother_tongue", "langue_maternelle", "first_language", "langue",
    "languages", "langues", "language", "surname", "nom",
))

_EDUCATION = {e: i for i, e in enumerate((Education.NONE, Education.PRIMARY, Education.SECONDARY,
                                            Education.VOCATIONAL, Education.HIGHER))}
_TRANSPORT = {PublicTransport.NONE: 0, PublicTransport.LIMITED: 1, PublicTransport.GOOD: 2}
_SECTOR = {s: k for k, s in enumerate(SECTORS)}


def refused_columns(headers: Sequence[str]) -> list[str]:
    """The headers of `headers` that name a protected characteristic or a stand-in for one."""
    return [h for h in headers if normalise_header(h) in FORBIDDEN_COLUMNS]


def family_matrix(cases: Sequence[Case]) -> np.ndarray:
    """One row per family, FAMILY_FEATURES as columns."""
    rows = []
    for c in cases:
        adults = c.adults or c.members
        french = [int(m.french_level) for m in adults] or [0]
        children = [m.age for m in c.members if m.age < 18]
        education = [_EDUCATION[m.education] for m in adults if m.education is not None] or [0]
        rows.append((c.persons, len(c.working_age_adults), len(children),
                     min(children) if children else np.nan, max(french), float(np.mean(french)), max(education),
                     c.licensed_adults, len(c.sectors), len(c.health_services), float(c.needs_step_free_housing)))
    return np.array(rows, dtype=float).reshape(len(cases), len(FAMILY_FEATURES))


def commune_matrix(localities: Sequence[Locality]) -> np.ndarray:
    """One row per commune, COMMUNE_FEATURES as columns."""
    rows = []
    for lo in localities:
        vacancies = sum(j.vacancies for j in lo.jobs)
        pop = lo.population
        rows.append((np.log10(pop) if pop else np.nan, _TRANSPORT[lo.public_transport], vacancies,
                     1000 * vacancies / pop if pop else np.nan,
                     np.nan if lo.french_class_seats is None else lo.french_class_seats, len(lo.service_codes)))
    return np.array(rows, dtype=float).reshape(len(localities), len(COMMUNE_FEATURES))


def _sector_counts(cases: Sequence[Case]) -> np.ndarray:
    out = np.zeros((len(cases), len(SECTORS)))
    for i, c in enumerate(cases):
        for s in c.sectors:
            if s in _SECTOR:
                out[i, _SECTOR[s]] += 1
    return out


def _vacancies(localities: Sequence[Locality]) -> np.ndarray:
    out = np.zeros((len(localities), len(SECTORS)))
    for j, lo in enumerate(localities):
        for job in lo.jobs:
            if job.sector in _SECTOR:
                out[j, _SECTOR[job.sector]] += job.vacancies
    return out


def pair_frame(cases: Sequence[Case], localities: Sequence[Locality], ci: np.ndarray, li: np.ndarray,
               communes: Sequence[str]) -> pd.DataFrame:
    """The features of the pairs (cases[ci[k]], localities[li[k]]): FEATURES, then the commune as a code.

    Parameters
    ----------
    cases, localities
        The records the indices point into.
    ci, li
        Case and locality index of each pair.
    communes
        The model's communes, in the order of their codes; a commune outside it gets a missing code (the model
        then predicts from the commune's features alone).
    """
    fam = family_matrix(cases)[ci]
    com = commune_matrix(localities)[li]
    sectors = _sector_counts(cases)
    vac = _vacancies(localities)
    has = (vac > 0).astype(float)
    trade_matches = np.einsum("ks,ks->k", sectors[ci], has[li])
    trades = sectors[ci].sum(axis=1)
    in_trades = np.einsum("ks,ks->k", (sectors[ci] > 0).astype(float), vac[li])
    licensed = np.array([c.licensed_adults for c in cases], dtype=float)[ci]
    no_transport = np.array([lo.public_transport is PublicTransport.NONE for lo in localities], dtype=float)[li]
    ids = [lo.locality_id for lo in localities]
    tie_of = np.array([ids.index(c.tie_locality_id) if c.tie_locality_id in ids else -1 for c in cases])[ci]
    needs_met = np.array([_needs_met(cases[i], localities[j]) for i, j in zip(ci, li, strict=True)], dtype=float)
    pair = np.column_stack([trade_matches, np.divide(trade_matches, trades, out=np.zeros_like(trades),
                                                     where=trades > 0),
                            in_trades, (licensed == 0) * no_transport, (tie_of == li).astype(float), needs_met])
    frame = pd.DataFrame(np.column_stack([fam, com, pair]), columns=list(FEATURES))
    code = {lid: k for k, lid in enumerate(communes)}
    frame[COMMUNE_ID] = np.array([code.get(ids[j], np.nan) for j in li], dtype=float)
    return frame


def _needs_met(case: Case, loc: Locality) -> float:
    if not case.health_services:
        return 1.0
    return sum(s in loc.service_codes for s in case.health_services) / len(case.health_services)
