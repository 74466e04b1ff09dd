"""Mobility: a licensed adult, or public transport (good 1, limited 0.5, none 0)."""

from __future__ import annotations

import numpy as np

from matcher.scoring.context import ScoringContext

_WORDS = ("no public transport", "limited public transport", "good public transport")


def score(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> np.ndarray:
    return np.where(ctx.cases.licensed[ci] > 0, 1.0, ctx.localities.transport[li] / 2.0)


def stranded(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> np.ndarray:
    """No public transport and no licensed adult: the pairs the mobility rule acts on."""
    return (ctx.cases.licensed[ci] == 0) & (ctx.localities.transport[li] == 0)


def reason(ctx: ScoringContext, c: int, lo: int) -> str:
    if ctx.cases.licensed[c] > 0:
        return "an adult holds a driving licence"
    return f"no driving licence; {_WORDS[int(ctx.localities.transport[lo])]}"
