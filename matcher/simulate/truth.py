"""The lab's "true" outcome model: the probability that a family placed in a commune has at least one
working-age adult in work 12 months after arrival (`employed_12m`), and draws from it.

It is the synthetic world's ground truth, distinct from what policies see: a policy sees nothing, or a model
fitted on a history drawn from this truth (`matcher.simulate.history`), or (as an upper reference) the truth
itself. Its form is an assumption of the lab, loosely shaped on the drivers GeoMatch and Annie MOORE report
(language, education, local jobs in the family's trades, transport, and a commune's own effect); every
coefficient is below, in TRUE_MODEL.

    logit p = intercept
              + french * (best adult French level, 0-6)
              + education * (highest adult education, 0-4)
              + trade_match * (share of the family's trades with vacancies in the commune)
              + jobs * log10(1 + vacancies in the commune)
              + isolated * (no licence in the family and no public transport)
              + health * (health services needed)
              + adults * (working-age adults - 1)
              + french_x_transport * french level * (public transport good)
              + commune effect u_l ~ Normal(0, commune_sd), fixed per commune by the world's seed

A family without a working-age adult has no value (the outcome does not apply).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from matcher.models.records import Case, Education, Locality, PublicTransport

#: The coefficients of the true model (see the module's docstring).
TRUE_MODEL: dict[str, float] = {
    "intercept": -2.6,
    "french": 0.30,
    "education": 0.25,
    "trade_match": 1.4,
    "jobs": 0.45,
    "isolated": -0.9,
    "health": -0.35,
    "adults": 0.35,
    "french_x_transport": 0.12,
    "commune_sd": 0.6,
}
_EDU = {Education.NONE: 0, Education.PRIMARY: 1, Education.SECONDARY: 2, Education.VOCATIONAL: 3,
        Education.HIGHER: 4}


def commune_effects(localities: Sequence[Locality], seed: int) -> np.ndarray:
    """Each commune's own effect u_l, drawn from its id and the world's seed (the same in every replication)."""
    sd = TRUE_MODEL["commune_sd"]
    return np.array([np.random.default_rng([seed, zlib.crc32(lo.locality_id.encode())]).normal(0.0, sd)
                     for lo in localities])


def true_probability(cases: Sequence[Case], localities: Sequence[Locality], seed: int) -> np.ndarray:
    """The (cases x localities) matrix of true probabilities; NaN rows for families without a working-age adult."""
    b = TRUE_MODEL
    n, m = len(cases), len(localities)
    french = np.array([max([int(a.french_level) for a in c.adults] or [0]) for c in cases], dtype=float)
    edu = np.array([max([_EDU[a.education] for a in c.adults if a.education is not None] or [0]) for c in cases],
                   dtype=float)
    adults = np.array([len(c.working_age_adults) for c in cases], dtype=float)
    health = np.array([len(c.health_services) for c in cases], dtype=float)
    licence = np.array([c.licensed_adults > 0 for c in cases])
    transport_none = np.array([lo.public_transport is PublicTransport.NONE for lo in localities])
    transport_good = np.array([lo.public_transport is PublicTransport.GOOD for lo in localities], dtype=float)
    vacancies = np.array([sum(j.vacancies for j in lo.jobs) for lo in localities], dtype=float)
    open_sectors = [{j.sector for j in lo.jobs if j.vacancies > 0} for lo in localities]
    match = np.zeros((n, m))
    for i, c in enumerate(cases):
        trades = c.sectors
        if trades:
            match[i] = [sum(s in open_ for s in trades) / len(trades) for open_ in open_sectors]
    logit = (b["intercept"] + b["french"] * french[:, None] + b["education"] * edu[:, None]
             + b["trade_match"] * match + b["jobs"] * np.log10(1 + vacancies)[None, :]
             + b["isolated"] * (~licence[:, None] & transport_none[None, :])
             + b["health"] * health[:, None] + b["adults"] * (adults[:, None] - 1)
             + b["french_x_transport"] * french[:, None] * transport_good[None, :]
             + commune_effects(localities, seed)[None, :])
    p = 1.0 / (1.0 + np.exp(-logit))
    p[adults == 0] = np.nan
    return p


def draw_outcomes(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Realised outcomes 1.0/0.0 (NaN where p is NaN) from uniform draws `u`: the same draws for every policy,
    so that differences between policies are paired."""
    out = (u < p).astype(float)
    out[np.isnan(p)] = np.nan
    return out
