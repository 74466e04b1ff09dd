"""The drivers of a predicted outcome in words: each group of the commune's and the pair's features credited with
how much the prediction moves when that group takes the values of the other communes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factories import commune, data, family

from matcher.outcomes.drivers import drivers, grouped_features
from matcher.outcomes.features import COMMUNE_FEATURES, COMMUNE_ID, PAIR_FEATURES
from matcher.outcomes.model import FittedModel

COMMUNES = ("09225", "31555", "63113", "81004")


class TieOnly:
    """A stand-in estimator whose prediction depends on family ties alone: 0.2, or 0.6 where the family has ties."""

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = 0.2 + 0.4 * X["tie"].to_numpy()
        return np.column_stack([1 - p, p])


@pytest.fixture()
def world():
    cases = [family("C1", (35, 8), tie_locality_id="31555"), family("C2", (40,))]
    locs = [commune(lid, units={2: 3}, population=5000, jobs={"care": 2}) for lid in COMMUNES]
    return FittedModel(TieOnly(), "employed_12m", list(COMMUNES), {}), data(cases, locs)


def test_the_feature_the_model_uses_is_the_only_driver(world):
    model, dataset = world
    d = drivers(model, dataset, "C1", "31555")
    assert d.outcome == pytest.approx(0.6) and d.family_mean == pytest.approx(0.3) and d.communes == 4
    assert next(iter(d.credits)) == "relatives or community there"
    assert d.credits["relatives or community there"] == pytest.approx(0.3)
    assert all(v == pytest.approx(0.0) for k, v in d.credits.items() if k != "relatives or community there")
    assert d.text() == ("predicted outcome 0.60, against 0.30 on average over the 4 communes for this family: "
                        "higher here for relatives or community there (+0.30)")


def test_a_commune_without_the_familys_ties_is_held_back_by_them(world):
    model, dataset = world
    d = drivers(model, dataset, "C1", "09225")
    assert d.credits["relatives or community there"] == pytest.approx(-0.1)
    assert d.text().endswith("lower for relatives or community there (-0.10)")
    plain = drivers(model, dataset, "C2", "09225")
    assert plain.text().endswith(": no feature of the commune stands out")


def test_unknown_family_or_commune_is_named(world):
    model, dataset = world
    with pytest.raises(KeyError, match="no family 'C9'"):
        drivers(model, dataset, "C9", "09225")
    with pytest.raises(KeyError, match="no commune '99999'"):
        drivers(model, dataset, "C1", "99999")


def test_every_commune_dependent_feature_is_in_one_group():
    assert grouped_features() == {n for n, _ in (*COMMUNE_FEATURES, *PAIR_FEATURES)} | {COMMUNE_ID}
