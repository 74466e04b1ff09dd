"""Realised outcomes in the policy lab (`docs/lab.md#outcomes`): every plan scored by the world's true outcome
model (`matcher.simulate.truth`), and the predictions policies may see: none, a model fitted on a simulated
history of the same world (`matcher.simulate.past`), or the true probabilities themselves (an upper reference).

A policy label ``optimal+fitted`` runs the `optimal` placer on a problem whose `outcome` component holds the
fitted model's predictions, with the experiment's ``[outcomes] weight``; ``optimal+true`` the same with the true
probabilities; ``optimal+model`` with the predictions of the policy's own ``[outcomes] model`` (a folder written
by `matcher outcomes fit`, e.g. on a real history); plain ``optimal`` sees no outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from matcher.models.policy import Policy
from matcher.models.records import Case, Dataset, Locality
from matcher.simulate.truth import draw_outcomes, true_probability

if TYPE_CHECKING:
    from matcher.outcomes.model import FittedModel


class _HistorySize(Protocol):
    history_families: int
    history_years: int


class Experiment(Protocol):
    """What the outcome metrics read of an experiment (:class:`matcher.simulate.experiment.Experiment`, which
    imports this module)."""

    seed: int

    @property
    def outcomes(self) -> _HistorySize: ...

    @property
    def policy(self) -> Policy: ...

    def fingerprint(self) -> str: ...

#: What a policy can see of outcomes, as the suffix of its label.
SOURCES: tuple[str, ...] = ("fitted", "true", "model")

_MODELS: dict[str, tuple[FittedModel, float]] = {}
_POLICY_MODELS: dict[str, FittedModel] = {}


def split_label(label: str) -> tuple[str, str | None]:
    """``"optimal+fitted"`` -> ``("optimal", "fitted")``; ``"greedy"`` -> ``("greedy", None)``."""
    base, _, source = label.partition("+")
    return base, source or None


def fitted_model(exp: Experiment, localities: list[Locality]) -> tuple[FittedModel, float]:
    """The model fitted on the experiment's simulated history, and its AUC on later arrivals; fitted once per
    process and experiment (the same seed gives the same model everywhere)."""
    key = exp.fingerprint()
    if key not in _MODELS:
        from matcher.outcomes.history import History
        from matcher.outcomes.model import fit_model
        from matcher.simulate.past import TARGET, draw_history

        cases, placements = draw_history(localities, exp.outcomes.history_families, exp.seed + 1,
                                         years=exp.outcomes.history_years, truth_seed=exp.seed)
        placements["placed_on"] = pd.to_datetime(placements["placed_on"])
        history = History(Dataset(cases=tuple(cases), localities=tuple(localities)), placements, (TARGET,))
        model, scores = fit_model(history, TARGET, seed=exp.seed % (2**31))
        if len(_MODELS) >= 2:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[key] = (model, scores.auc)
    return _MODELS[key]


def policy_model(policy: Policy) -> FittedModel:
    """The model folder the policy names (`[outcomes] model`, a path made absolute by `load_experiment`), loaded
    once per process.

    Raises
    ------
    ModelError
        No such key, or a folder that cannot be trusted or used.
    """
    from matcher.outcomes.model import ModelError, load_model

    folder = policy.outcomes.model if policy.outcomes is not None else None
    if folder is None:
        raise ModelError("a policy label '+model' needs the policy's [outcomes] model = \"DIR\"")
    if folder not in _POLICY_MODELS:
        _POLICY_MODELS.clear()
        _POLICY_MODELS[folder] = load_model(Path(folder))
    return _POLICY_MODELS[folder]


def predictions(exp: Experiment, dataset: Dataset, source: str) -> pd.DataFrame:
    """The outcome table a policy with `source` sees for the year's families: every (family, commune) pair."""
    cases, locs = list(dataset.cases), list(dataset.localities)
    if source == "fitted":
        return fitted_model(exp, locs)[0].predict(dataset)
    if source == "model":
        return policy_model(exp.policy).predict(dataset)
    if source != "true":
        raise ValueError(f"unknown outcome source {source!r}")
    p = true_probability(cases, locs, exp.seed)
    n, m = p.shape
    return pd.DataFrame({"case_id": np.repeat([c.case_id for c in cases], m),
                         "locality_id": np.tile([lo.locality_id for lo in locs], n),
                         "outcome": np.nan_to_num(p, nan=0.0).ravel()})


def _uniforms(exp: Experiment, replication: int, n: int) -> np.ndarray:
    """One uniform draw per family of the replication, shared by every policy (paired comparisons)."""
    return np.random.default_rng([exp.seed, 5, replication]).random(n)


def outcome_metrics(exp: Experiment, replication: int, cases: tuple[Case, ...] | list[Case],
                    localities: tuple[Locality, ...] | list[Locality], plan: dict[str, str],
                    source: str | None) -> dict[str, float]:
    """The plan scored by the true model: expected employed families, a drawn realisation (the same draws for
    every policy of the replication), the expected rate among placed families the outcome applies to, and the
    AUC of what the policy saw against outcomes drawn for every pair (NaN when it saw nothing)."""
    p = true_probability(cases, localities, exp.seed)
    index = {c.case_id: i for i, c in enumerate(cases)}
    loc_index = {lo.locality_id: j for j, lo in enumerate(localities)}
    ci = np.array([index[c] for c in plan], dtype=np.int64)
    li = np.array([loc_index[lo] for lo in plan.values()], dtype=np.int64)
    placed_p = p[ci, li] if len(ci) else np.zeros(0)
    applies = ~np.isnan(placed_p)
    drawn = draw_outcomes(placed_p, _uniforms(exp, replication, len(cases))[ci] if len(ci) else np.zeros(0))
    out: dict[str, Any] = {
        "expected_employed": float(np.nansum(placed_p)),
        "employed_drawn": float(np.nansum(drawn)),
        "expected_employment_rate": float(placed_p[applies].mean()) if applies.any() else 0.0,
        "seen_outcome_auc": float("nan"),
    }
    if source is not None:
        out["seen_outcome_auc"] = seen_auc(exp, replication, cases, localities, source, p)
    return out


def seen_auc(exp: Experiment, replication: int, cases: tuple[Case, ...] | list[Case],
             localities: tuple[Locality, ...] | list[Locality], source: str, p: np.ndarray) -> float:
    """AUC of the predictions of `source` against outcomes drawn from the truth for every (family, commune) pair
    of the replication: how well what a policy sees ranks pairs (the true model's own AUC for "true")."""
    from sklearn.metrics import roc_auc_score

    seen = p if source == "true" else predictions(
        exp, Dataset(cases=tuple(cases), localities=tuple(localities)), source)["outcome"].to_numpy().reshape(p.shape)
    u = np.random.default_rng([exp.seed, 6, replication]).random(p.shape)
    ok = ~np.isnan(p)
    y = u[ok] < p[ok]
    return float(roc_auc_score(y, seen[ok])) if 0 < y.sum() < y.size else float("nan")



def gain_share(metrics: pd.DataFrame, placer: str = "optimal", metric: str = "expected_employed",
               draws: int = 2000, seed: int = 0) -> dict[str, float] | None:
    """The share of the true model's gain over matching without outcomes that the fitted model earns:
    (fitted - none) / (true - none) of `metric`'s means, with a 95 % bootstrap interval over replications
    (resampled together, so the pairing is kept). None unless the three policies were run."""
    labels = [placer, f"{placer}+fitted", f"{placer}+true"]
    if not set(labels) <= set(metrics["policy"]):
        return None
    wide = metrics[metrics["policy"].isin(labels)].pivot(index="replication", columns="policy", values=metric)
    values = wide[labels].dropna().to_numpy(dtype=float)
    fitted_gain, true_gain = values[:, 1] - values[:, 0], values[:, 2] - values[:, 0]

    def share(rows: np.ndarray) -> float:
        t = true_gain[rows].mean()
        return float(fitted_gain[rows].mean() / t) if t > 0 else float("nan")

    rng = np.random.default_rng(seed)
    n = len(values)
    boot = np.array([share(rng.integers(0, n, n)) for _ in range(draws)]) if n > 1 else np.array([np.nan])
    low, high = np.nanpercentile(boot, [2.5, 97.5]) if np.isfinite(boot).any() else (np.nan, np.nan)
    return {"replications": n, "fitted_gain": float(fitted_gain.mean()), "true_gain": float(true_gain.mean()),
            "share": share(np.arange(n)), "share_low": float(low), "share_high": float(high)}
