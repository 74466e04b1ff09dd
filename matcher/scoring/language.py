"""Language: an interpreter in a family language when one is needed, and French class seats for adults below B1."""

from __future__ import annotations

import numpy as np

from matcher.i18n import Msg, _, join
from matcher.scoring.context import ScoringContext, case_span


def interpreter_available(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> np.ndarray:
    """True where locality li offers interpreting in a language that case ci speaks."""
    speaks, offered = ctx.cases.speaks, ctx.localities.interpreter_cap > 0
    first, last = case_span(ci)
    if (last - first) * len(offered) <= 4 * len(ci):
        # Many pairs: one dense product over the cases they span (x localities), then a lookup, instead of
        # (pairs x languages) temporaries.
        return (speaks[first:last].astype(np.float32) @ offered.T.astype(np.float32) > 0)[ci - first, li]
    return (speaks[ci] & offered[li]).any(axis=1)


def score(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> np.ndarray:
    ca, la = ctx.cases, ctx.localities
    interp = np.where(ca.needs_interpreter[ci], interpreter_available(ctx, ci, li), True)
    french = (ca.french_need[ci] == 0) | (la.french_seats[li] > 0)
    return 0.5 * interp + 0.5 * french


def reason(ctx: ScoringContext, c: int, lo: int) -> Msg:
    ca, la = ctx.cases, ctx.localities
    parts = []
    if ca.needs_interpreter[c]:
        ok = bool(interpreter_available(ctx, np.array([c]), np.array([lo]))[0])
        parts.append(_("interpreter in a family language") if ok else _("no interpreter in a family language"))
    else:
        parts.append(_("an adult speaks French (A2 or above)"))
    if ca.french_need[c]:
        seats = la.french_seats[lo]
        parts.append(_("French classes offered") if seats > 0 else _("no French class seats"))
    return join(parts)
