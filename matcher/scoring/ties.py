"""Ties: relatives in the locality (1) or elsewhere in the same département (0.5)."""

from __future__ import annotations

import numpy as np

from matcher.i18n import Msg, _
from matcher.scoring.context import ScoringContext


def score(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> np.ndarray:
    tie = ctx.cases.tie[ci]
    dep = ctx.localities.departement
    same_dep = (tie >= 0) & (dep[np.maximum(tie, 0)] == dep[li])
    return np.where(tie == li, 1.0, np.where(same_dep, 0.5, 0.0))


def reason(ctx: ScoringContext, c: int, lo: int) -> Msg:
    tie = int(ctx.cases.tie[c])
    if tie < 0:
        return _("no relatives declared")
    if tie == lo:
        return _("relatives live here")
    name = ctx.localities.names[tie]
    if ctx.localities.departement[tie] == ctx.localities.departement[lo]:
        return _("relatives in {name}, same département", name=name)
    return _("relatives in {name}, another département", name=name)
