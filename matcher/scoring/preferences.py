"""Preferences: the family's ranked wishes, 1 for the first, falling linearly, 0 when not listed."""

from __future__ import annotations

import numpy as np

from matcher.i18n import Msg, _
from matcher.scoring.context import ScoringContext


def score(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> np.ndarray:
    rank = ctx.preference_rank.lookup(ci, li, ctx.localities.n)
    count = np.maximum(ctx.preference_count[ci], 1)
    return np.where(np.isnan(rank), 0.0, 1.0 - np.nan_to_num(rank) / count)


def reason(ctx: ScoringContext, c: int, lo: int) -> Msg:
    rank = ctx.preference_rank.lookup(np.array([c]), np.array([lo]), ctx.localities.n)[0]
    if np.isnan(rank):
        return _("not among the family's preferences") if ctx.preference_count[c] else _("no preferences given")
    return _("preference {rank} of {n}", rank=int(rank) + 1, n=int(ctx.preference_count[c]))
