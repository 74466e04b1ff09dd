"""Employment: the share of the family's working-age adults whose sector has vacancies there (licence-aware)."""

from __future__ import annotations

import numpy as np

from matcher.i18n import Msg, _, _n, join
from matcher.i18n.labels import Code
from matcher.scoring.context import ScoringContext, case_span


def employable(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> np.ndarray:
    """Working-age adults of case ci who could take a vacancy of their sector in locality li."""
    ca, la = ctx.cases, ctx.localities
    open_ = la.vacancies > 0
    free, licensed = (open_ & ~la.job_needs_licence).astype(float), (open_ & la.job_needs_licence).astype(float)
    first, last = case_span(ci)
    if (last - first) * len(open_) <= 4 * len(ci):
        # Many pairs: one dense product over the cases they span (x localities), then a lookup, instead of
        # (pairs x sectors) temporaries.
        every = ca.sector_adults[first:last] @ free.T + ca.sector_licensed[first:last] @ licensed.T
        return every[ci - first, li]
    return (ca.sector_adults[ci] * free[li] + ca.sector_licensed[ci] * licensed[li]).sum(axis=1)


def score(ctx: ScoringContext, ci: np.ndarray, li: np.ndarray) -> np.ndarray:
    adults = ctx.cases.working_age[ci]
    return np.where(adults > 0, employable(ctx, ci, li) / np.maximum(adults, 1), 0.0)


def reason(ctx: ScoringContext, c: int, lo: int) -> Msg:
    ca, la, vocab = ctx.cases, ctx.localities, ctx.vocab
    adults = int(ca.working_age[c])
    if adults == 0:
        return _("no working-age adult")
    hits: list[Code] = []
    misses: list[Msg] = []
    for s, name in enumerate(vocab.sectors):
        n = int(ca.sector_adults[c, s])
        if n == 0:
            continue
        if la.vacancies[lo, s] <= 0:
            misses.append(_("no vacancy in {sector}", sector=Code("sector", name)))
        elif la.job_needs_licence[lo, s] and ca.sector_licensed[c, s] < n:
            misses.append(_("{sector} jobs need a driving licence", sector=Code("sector", name)))
            if ca.sector_licensed[c, s]:
                hits.append(Code("sector", name))
        else:
            hits.append(Code("sector", name))
    k = int(employable(ctx, np.array([c]), np.array([lo]))[0])
    text = _n("{k} of {n} working-age adult has vacancies in their sector",
              "{k} of {n} working-age adults have vacancies in their sector", adults, k=k)
    if hits:
        text = _("{reason} ({sectors})", reason=text, sectors=hits)
    return join([text, *misses]) if misses else text
