"""Score components, each pure: arrays of (case, locality) pairs in, values in [0, 1] out, with a reason text."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np

from matcher.i18n import Msg
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


#: Pairs are scored this many at a time, so that each component's temporaries stay small enough for the
#: allocator to reuse: at national size (6 M pairs) fresh memory costs more than the arithmetic. At tier L, scoring
#: the pairs in chunks of 2**18 touched 42 MiB of fresh memory in 0.26 s, in chunks of 2**20 372 MiB in 0.83 s
#: (the employment product over a chunk's cases, 15 MB at 2**20, was allocated afresh each time).
CHUNK = 1 << 18


def component_scores(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> dict[str, np.ndarray]:
    """Every component for each pair (ci[k], li[k])."""
    if len(ci) <= CHUNK:
        return {name: mod.score(ctx, ci, li) for name, mod in COMPONENTS.items()}
    out = {name: np.empty(len(ci)) for name in COMPONENTS}
    for a in range(0, len(ci), CHUNK):
        for name, mod in COMPONENTS.items():
            out[name][a : a + CHUNK] = mod.score(ctx, ci[a : a + CHUNK], li[a : a + CHUNK])
    return out


def weighted_score(components: dict[str, np.ndarray], policy: Policy) -> np.ndarray:
    """The pair score: the policy-weighted mean of the components, in [0, 1]."""
    weights = policy.weights.as_dict()
    total = sum(weights.values())
    first = next(iter(components.values()))
    if total <= 0:
        return np.zeros_like(first)
    out, term = np.zeros(len(first)), np.empty(len(first))  # summed in place, in the order of the components
    for k, v in components.items():
        out += np.multiply(v, weights[k], out=term)
    out /= total
    return out


def pair_scores(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray, policy: Policy) -> np.ndarray:
    """``weighted_score(component_scores(ctx, ci, li), policy)``, the same values, without holding every component
    of every pair at once: at national size the components alone took 0.3 GB."""
    if len(ci) <= CHUNK:
        return weighted_score(component_scores(ctx, ci, li), policy)
    out = np.empty(len(ci))
    for a in range(0, len(ci), CHUNK):
        out[a : a + CHUNK] = weighted_score(component_scores(ctx, ci[a : a + CHUNK], li[a : a + CHUNK]), policy)
    return out


def reasons(ctx: ScoringContext, c: int, lo: int) -> dict[str, Msg]:
    """One plain-language reason per component for the pair (c, lo)."""
    return {name: mod.reason(ctx, c, lo) for name, mod in COMPONENTS.items()}


ReasonFn = Callable[[ScoringContext, int, int], Msg]

__all__ = ["COMPONENTS", "ScoringContext", "SparsePairs", "component_scores", "pair_scores", "reasons",
           "weighted_score"]
