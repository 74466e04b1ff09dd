"""The back-test (GeoMatch's, `docs/outcomes.md#backtest`): replay the arrivals of a history, and compare where
families were placed with where the matcher would have placed them under the same capacities, both by the
model's predicted outcome. Its caveats are `CAVEATS`, stated with every back-test.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

import matcher
from matcher.models.policy import Mode, Policy, Rule
from matcher.models.records import Dataset
from matcher.outcomes.history import History
from matcher.outcomes.model import FittedModel

#: Rules kept in the replay: the capacities a history records (families and persons each commune took), health
#: services, links and exclusions; every other rule is off.
KEPT_RULES = frozenset({"consent_persons", "consent_cases", "health_services", "links", "exclusions"})

#: What a back-test cannot tell, printed with each one.
CAVEATS: tuple[str, ...] = (
    "the matcher's outcomes are the model's predictions, never observed; only the actual placements have an "
    "observed outcome",
    "the matcher chooses by the same model that scores it, so its gain is an upper estimate (the errors of the "
    "model favour the pairs it overrates)",
    "the matcher places all the replayed families at once, knowing the later arrivals; the past placements were "
    "made one by one",
    "only the families and persons each commune took, health services, links and exclusions bind the replay: "
    "housing, schools and other capacities of the past are not in a history",
)


@dataclass(frozen=True)
class BackTest:
    """The families replayed and the mean predicted outcome of their actual and of the matcher's placements
    (both over the families the matcher places), with the observed rate of the actual placements."""

    families: int
    placed: int
    actual: float
    matched: float
    observed: float
    """Observed rate of the target among the actual placements the matcher also places (NaN: none observed)."""
    outcome_weight: float
    """The outcome weight of the replay's policy."""
    in_sample: bool
    """Whether the model was fitted on some of the replayed placements (which flatters both figures)."""
    placements: pd.DataFrame
    """case_id, actual_locality_id, actual_outcome, observed, matched_locality_id, matched_outcome."""


def replay_policy(policy: Policy) -> Policy:
    """`policy` with only `KEPT_RULES` on; an outcome weight of 0 becomes 1, so that the model counts."""
    rules = {name: (rule if name in KEPT_RULES else Rule(mode=Mode.OFF)) for name, rule in policy.rules}
    weights = policy.weights.model_copy(update={"outcome": policy.weights.outcome or 1.0})
    return policy.model_copy(update={"rules": policy.rules.model_copy(update=rules), "weights": weights})


def replay_dataset(history: History, rows: pd.DataFrame) -> Dataset:
    """The families of `rows` and the history's communes, each able to take exactly the families and persons
    it took among them."""
    by_id = {c.case_id: c for c in history.dataset.cases}
    cases = tuple(by_id[cid] for cid in rows["case_id"])
    took = rows.groupby("locality_id")["case_id"].agg(list)
    localities = tuple(lo.model_copy(update={"max_cases": len(took.get(lo.locality_id, [])),
                                             "max_persons": sum(by_id[c].persons for c in
                                                                took.get(lo.locality_id, []))})
                       for lo in history.dataset.localities)
    return Dataset(cases=cases, localities=localities)


def replay(history: History, model: FittedModel, since: dt.date, policy: Policy, time_limit: float = 20.0,
           seed: int = 0) -> BackTest:
    """Re-place the families placed on or after `since` within what each commune took then.

    Raises
    ------
    ValueError
        No placement on or after `since`.
    """
    rows = history.placements[history.placements["placed_on"] >= pd.Timestamp(since)].reset_index(drop=True)
    if rows.empty:
        raise ValueError(f"no placement on or after {since.isoformat()}")
    dataset = replay_dataset(history, rows)
    pol = replay_policy(policy)
    predicted = model.predict(dataset)
    problem = matcher.build_problem(dataset, pol, outcomes=predicted)
    plan = matcher.solve(problem, matcher.SolveParams(time_limit=time_limit, seed=seed)).plan()
    table = predicted.set_index(["case_id", "locality_id"])["outcome"]
    frame = pd.DataFrame({"case_id": rows["case_id"], "actual_locality_id": rows["locality_id"]})
    frame["actual_outcome"] = [float(table[pair]) for pair in zip(frame["case_id"], frame["actual_locality_id"],
                                                                    strict=True)]
    frame["observed"] = rows.get(model.target, np.nan)
    frame["matched_locality_id"] = [plan.get(c) for c in frame["case_id"]]
    frame["matched_outcome"] = [float(table[(c, lo)]) if isinstance(lo, str) else np.nan
                                for c, lo in zip(frame["case_id"], frame["matched_locality_id"], strict=True)]
    both = frame["matched_outcome"].notna()
    seen = frame.loc[both, "observed"].dropna()
    span_end = dt.date.fromisoformat(str(model.manifest["span"][1]))
    return BackTest(len(frame), int(both.sum()), float(frame.loc[both, "actual_outcome"].mean()),
                    float(frame.loc[both, "matched_outcome"].mean()),
                    float(seen.mean()) if len(seen) else math.nan, pol.weights.outcome, span_end >= since, frame)
