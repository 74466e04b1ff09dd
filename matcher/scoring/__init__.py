"""Score components, each pure: arrays of (case, locality) pairs in, values in [0, 1] out, with a reason text."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np

from matcher.models import Policy
from matcher.scoring import employment, language, mobility, outcome, preferences, ties
from matcher.scoring.context import ScoringContext, SparsePairs

COMPONENTS: dict[str, ModuleType] = {
    "employment": employment,
    "language": language,
    "mobility": mobility,
    "ties": ties,
    "preferences": preferences,
    "outcome": outcome,
}


def component_scores(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> dict[str, np.ndarray]:
    """Every component for each pair (ci[k], li[k])."""
    return {name: mod.score(ctx, ci, li) for name, mod in COMPONENTS.items()}


def weighted_score(components: dict[str, np.ndarray], policy: Policy) -> np.ndarray:
    """The pair score: the policy-weighted mean of the components, in [0, 1]."""
    weights = policy.weights.as_dict()
    total = sum(weights.values())
    if total <= 0:
        return np.zeros_like(next(iter(components.values())))
    return sum(weights[k] * v for k, v in components.items()) / total  # type: ignore[return-value]


def reasons(ctx: ScoringContext, c: int, lo: int) -> dict[str, str]:
    """One plain-language reason per component for the pair (c, lo)."""
    return {name: mod.reason(ctx, c, lo) for name, mod in COMPONENTS.items()}


ReasonFn = Callable[[ScoringContext, int, int], str]

__all__ = ["COMPONENTS", "ScoringContext", "SparsePairs", "component_scores", "reasons", "weighted_score"]
