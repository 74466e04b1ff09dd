"""The main drivers of a pair's predicted outcome, in words (`docs/outcomes.md#drivers`).

A family's features are the same in every commune, so what makes one commune's prediction differ from another's
is the commune's features and the pair's. Each group of them in `DRIVER_GROUPS` is credited with how much the
prediction would change, on average, if that group took the values it has in each commune of the match and
everything else stayed: ``p(pair) - mean over communes k of p(pair with the group as in k)``. Positive: the
group lifts the prediction here above an average commune; negative: it holds it back. The groups are judged one
at a time, so their credits need not add up to the difference from the family's mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.models.records import Dataset
from matcher.outcomes.features import COMMUNE_ID, pair_frame
from matcher.outcomes.model import FittedModel

#: The commune-dependent features, grouped by what they mean to a reader: (words, features).
DRIVER_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("jobs in the family's trades", ("trade_matches", "trade_match_share", "vacancies_in_trades")),
    ("jobs in the commune", ("vacancies", "vacancies_per_1000")),
    ("public transport", ("public_transport", "no_licence_no_transport")),
    ("the commune's size", ("log_population",)),
    ("French class seats", ("french_class_seats",)),
    ("health services", ("services", "needs_met")),
    ("relatives or community there", ("tie",)),
    ("the commune's own past record", (COMMUNE_ID,)),
)
#: Credits smaller than this are not named.
MIN_CREDIT = 0.005


@dataclass(frozen=True)
class Drivers:
    """A pair's predicted outcome, the family's mean over the match's communes, and each group's credit."""

    outcome: float
    family_mean: float
    communes: int
    credits: dict[str, float]
    """Words of the group -> change in the prediction it accounts for, largest effect first."""

    def text(self, top: int = 3) -> str:
        """One sentence: the prediction against the family's mean, then up to `top` groups by effect."""
        named = [(w, v) for w, v in self.credits.items() if abs(v) >= MIN_CREDIT][:top]
        up = [f"{w} ({v:+.2f})" for w, v in named if v > 0]
        down = [f"{w} ({v:+.2f})" for w, v in named if v < 0]
        parts = ([f"higher here for {_and(up)}"] if up else []) + ([f"lower for {_and(down)}"] if down else [])
        head = (f"predicted outcome {self.outcome:.2f}, against {self.family_mean:.2f} on average over the "
                f"{self.communes} communes for this family")
        return head + (": " + "; ".join(parts) if parts else ": no feature of the commune stands out")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def drivers(model: FittedModel, dataset: Dataset, case_id: str, locality_id: str) -> Drivers:
    """The drivers of the predicted outcome of `case_id` in `locality_id`, against the dataset's communes.

    Raises
    ------
    KeyError
        A family or commune that is not in the dataset.
    """
    families = [x.case_id for x in dataset.cases]
    ids = [lo.locality_id for lo in dataset.localities]
    for what, ident, known in (("family", case_id, families), ("commune", locality_id, ids)):
        if ident not in known:
            raise KeyError(f"no {what} '{ident}' in the data")
    c, lo, m = families.index(case_id), ids.index(locality_id), len(ids)
    X = pair_frame(dataset.cases, dataset.localities, np.full(m, c), np.arange(m), model.communes)
    p = model.predict_features(X)
    row = X.iloc[[lo] * m].reset_index(drop=True)
    swapped = []
    for _, features in DRIVER_GROUPS:
        variant = row.copy()
        variant[list(features)] = X[list(features)].to_numpy()
        swapped.append(variant)
    q = model.predict_features(pd.concat(swapped, ignore_index=True)).reshape(len(DRIVER_GROUPS), m)
    credit = {words: float(p[lo] - q[k].mean()) for k, (words, _) in enumerate(DRIVER_GROUPS)}
    ordered = dict(sorted(credit.items(), key=lambda kv: -abs(kv[1])))
    return Drivers(float(p[lo]), float(p.mean()), m, ordered)


def grouped_features() -> set[str]:
    """Every feature named in DRIVER_GROUPS."""
    return {f for _, features in DRIVER_GROUPS for f in features}
