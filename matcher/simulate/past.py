"""A simulated history of past placements (`docs/outcomes.md#sample-history`): families drawn by the lab's
cohort model, placed as a reception key would place them, and their outcomes drawn from the true model
(`matcher.simulate.truth`).

Past placement rule (an assumption, stated in the docs): each family goes to a commune drawn in proportion to
its agreed places (``max_persons``, or its population without one), among the communes that offer every health
service it needs when some do; past capacities are not modelled. This spreads placements over every commune, as
a history must for a model to learn each commune's effect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.models.records import Case, Dataset, Locality
from matcher.simulate.cohort import CohortDrawer, CohortParams
from matcher.simulate.truth import draw_outcomes, true_probability

#: The target the simulated history carries.
TARGET = "employed_12m"
#: The seed of sample_data/history.xlsx (its families, placements, outcome draws and the true commune effects).
HISTORY_SEED = 2024


def draw_history(localities: Sequence[Locality], n_families: int, seed: int, *, years: int = 3,
                 first_year: int = 2021, params: CohortParams | None = None,
                 truth_seed: int | None = None) -> tuple[list[Case], pd.DataFrame]:
    """`n_families` past families over `years` years, where they were placed and their drawn outcome.

    Parameters
    ----------
    localities
        The communes of the world.
    n_families
        Families over all years.
    seed
        Seeds the families, their placements and their outcome draws.
    truth_seed
        Seeds the true model's commune effects (default: `seed`): the world the history and the lab share.

    Returns
    -------
    (cases, placements)
        The families (ids ``H<year>-<month>-<n>``, no links, preferences or exclusions: a history records where
        families went, not what they asked) and a frame ``case_id``, ``locality_id``, ``placed_on``,
        ``employed_12m`` (1.0, 0.0, NaN when no member is of working age).
    """
    rng = np.random.default_rng([seed, 7])
    ids = [lo.locality_id for lo in localities]
    drawer = CohortDrawer(params or CohortParams(), ids, [lo.population or 1 for lo in localities])
    per_year = np.full(years, n_families // years)
    per_year[: n_families % years] += 1
    cases: list[Case] = []
    for k, n in enumerate(per_year):
        drawer.year = first_year + k
        drawn = drawer.draw_year(rng, int(n), 12, prefix=f"H{first_year + k}-")
        cases += [c.model_copy(update={"linked_case_ids": (), "preferred_locality_ids": (),
                                       "excluded_locality_ids": ()}) for c in drawn]
    weight = np.array([float(lo.max_persons if lo.max_persons is not None else lo.population or 1)
                       for lo in localities])
    where = np.empty(len(cases), dtype=np.int64)
    for i, c in enumerate(cases):
        w = weight.copy()
        if c.health_services:
            offers = np.array([set(c.health_services) <= lo.service_codes for lo in localities])
            if offers.any():
                w = w * offers
        where[i] = rng.choice(len(localities), p=w / w.sum())
    p = true_probability(cases, localities, seed if truth_seed is None else truth_seed)
    placed_p = p[np.arange(len(cases)), where]
    employed = draw_outcomes(placed_p, rng.random(len(cases)))
    placed_on = [(c.arrival_date or dt.date(first_year, 1, 1)) + dt.timedelta(days=int(rng.integers(0, 31)))
                 for c in cases]
    frame = pd.DataFrame({"case_id": [c.case_id for c in cases], "locality_id": [ids[j] for j in where],
                          "placed_on": placed_on, TARGET: employed})
    return cases, frame


def write_history(cases: Sequence[Case], placements: pd.DataFrame, path: Path) -> Path:
    """Write a history workbook: the cases contract's sheets and an ``outcomes`` sheet (yes/no/blank)."""
    from openpyxl import load_workbook

    from matcher.io.spec import CASES
    from matcher.io.templates import dataset_frames, write_workbook

    frames = dataset_frames(Dataset(cases=tuple(cases), localities=()))["cases"]
    write_workbook(path, CASES, frames, instructions=False)
    wb = load_workbook(path)
    ws = wb.create_sheet("outcomes")
    ws.append(["case_id", "locality_id", "placed_on", TARGET])
    for cid, lid, day, y in placements[["case_id", "locality_id", "placed_on", TARGET]].itertuples(index=False):
        ws.append([cid, lid, pd.Timestamp(day).date().isoformat(), "" if np.isnan(y) else "yes" if y else "no"])
    fixed = dt.datetime(2025, 1, 1)  # a fixed date: the same arguments write the same file
    wb.properties.created = wb.properties.modified = fixed
    wb.save(path)
    return path
