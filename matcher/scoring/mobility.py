"""Mobility: a licensed adult, or public transport (good 1, limited 0.5, none 0)."""

from __future__ import annotations

import numpy as np

from matcher.i18n import Msg, _
from matcher.scoring.context import ScoringContext

_WORDS = (_("no public transport"), _("limited public transport"), _("good public transport"))


def score(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> np.ndarray:
    return np.where(ctx.cases.licensed[ci] > 0, 1.0, ctx.localities.transport[li] / 2.0)


def stranded(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> np.ndarray:
    """No public transport and no licensed adult: the pairs the mobility rule acts on."""
    return (ctx.cases.licensed[ci] == 0) & (ctx.localities.transport[li] == 0)


def reason(ctx: ScoringContext, c: int, lo: int) -> Msg:
    if ctx.cases.licensed[c] > 0:
        return _("an adult holds a driving licence")
    return _("no driving licence; {transport}", transport=_WORDS[int(ctx.localities.transport[lo])])
