"""External outcome: a predicted outcome per pair from a CSV (as GeoMatch and Annie plug in their models)."""

from __future__ import annotations

import numpy as np

from matcher.i18n import Msg, Number, _
from matcher.scoring.context import ScoringContext


def score(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> np.ndarray:
    return np.clip(ctx.outcome.lookup(ci, li, ctx.localities.n, default=0.0), 0.0, 1.0)


def reason(ctx: ScoringContext, c: int, lo: int) -> Msg:
    v = ctx.outcome.lookup(np.array([c]), np.array([lo]), ctx.localities.n)[0]
    return _("no predicted outcome given") if np.isnan(v) else _("predicted outcome {value}", value=Number(float(v), 2))
