"""Plain-language reasons: why a family is not placed, why a commune was not chosen, what is full where."""

from __future__ import annotations

from collections import Counter

import numpy as np

from matcher.problem import Problem


def resource_words(problem: Problem, resource: str, case: int | None = None) -> str:
    """Describe a full resource row in words."""
    kind, _, rest = resource.partition(":")
    fixed = {
        "persons": "the agreed number of persons is reached",
        "cases": "the agreed number of families is reached",
        "gp": "GP capacity is used up",
        "creche": "no crèche seats left",
        "primary": "no primary school seats left",
        "secondary": "no secondary school seats left",
        "french_class": "French class seats are used up",
        "budget": "the commune's budget is used up",
        "regional_budget": "the regional budget is used up",
        "balance_max": "the area already has its share of arrivals",
        "balance_min": "another area is below its share",
    }
    if kind in fixed:
        return fixed[kind]
    if kind == "service":
        return f"{rest} capacity is used up"
    if kind == "interpreter":
        return f"interpreting in {rest} is used up"
    if kind == "jobs":
        return f"no {rest} vacancies left"
    if kind == "housing":
        if case is not None:
            ca = problem.ctx.cases
            sf = "step-free " if ca.step_free[case] else ""
            return f"no {sf}unit with {ca.bedrooms[case]} bedrooms or more left"
        return "no fitting unit left"
    return f"{resource} is full"


def row_use(problem: Problem, choice: np.ndarray) -> np.ndarray:
    model = problem.model
    x = np.zeros(model.n_options)
    x[choice[choice >= 0]] = 1.0
    return model.A @ x


def full_rows_for(problem: Problem, option: int, use: np.ndarray, own: int = -1) -> list[str]:
    """Hard rows that taking `option` would exceed, given the plan's use (minus the item's own option)."""
    model = problem.model
    A = model.columns()
    lo, hi = A.indptr[option], A.indptr[option + 1]
    rows, vals = A.indices[lo:hi], A.data[lo:hi]
    base = use[rows].copy()
    if own >= 0:
        olo, ohi = A.indptr[own], A.indptr[own + 1]
        own_rows = dict(zip(A.indices[olo:ohi], A.data[olo:ohi], strict=True))
        base -= np.array([own_rows.get(r, 0.0) for r in rows])
    hard = ~np.isfinite(model.penalty[rows])
    over = hard & (base + vals > model.rhs[rows] + 1e-9)
    return [str(model.row_resource[r]) for r in rows[over]]


def blocked_everywhere(problem: Problem, c: int) -> list[str]:
    """Why no commune can take case c at all, from the hard pair rules, summarised."""
    L = problem.ctx.localities.n
    per_loc = [problem.blocking(c, lo) for lo in range(L)]
    if L == 0:
        return ["there are no communes"]
    texts = Counter(t for reasons in per_loc for t in set(reasons))
    everywhere = [t for t, n in texts.items() if n == L]
    if everywhere:
        return [_nowhere(t) for t in sorted(everywhere)]
    by_rule: Counter[str] = Counter()
    example: dict[str, str] = {}
    for reasons in per_loc:
        for t in reasons[:1]:
            key = t.split(":")[0]
            by_rule[key] += 1
            example.setdefault(key, t)
    return [f"{example[k]} ({n} of {L} communes)" for k, n in by_rule.most_common()]


def _nowhere(text: str) -> str:
    for here, nowhere in ((": not offered here", ": offered nowhere"), (": none here", ": none anywhere")):
        if text.endswith(here):
            return text[: -len(here)] + nowhere
    return f"{text} (every commune)"


def unplaced_reasons(problem: Problem, choice: np.ndarray, c: int) -> list[str]:
    """Why case c is left unplaced in this plan."""
    g = int(problem.item_of_case[c])
    cases = problem.cases
    if not problem.candidate[c].any():
        return blocked_everywhere(problem, c)
    members = problem.items[g]
    opts = np.nonzero(problem.model.opt_item == g)[0]
    if len(opts) == 0:
        others = [cases[m].case_id for m in members if m != c]
        return [f"linked with {', '.join(others)}: no commune can take all of them together"]
    use = row_use(problem, choice)
    full: Counter[str] = Counter()
    seen_bins: dict[str, set[int]] = {}
    for o in opts:
        rows = full_rows_for(problem, int(o), use)
        for r in rows:
            words = resource_words(problem, r, c)
            seen_bins.setdefault(words, set()).add(int(problem.model.opt_bin[o]))
        full.update({resource_words(problem, r, c) for r in rows})
    n_cand = len(set(problem.model.opt_bin[opts].tolist()))
    if full:
        out = [f"{w} ({len(seen_bins[w])} of {n_cand} possible communes)" for w, _ in full.most_common(4)]
        if len(members) > 1:
            out.append(f"placed only together with {', '.join(cases[m].case_id for m in members if m != c)}")
        return out
    return ["room was left, but placing it would cost more in soft-rule penalties than it gains, "
            "or the time limit ended the search first"]


def why_not(problem: Problem, choice: np.ndarray, c: int, lo: int) -> str:
    """Why case c is not in commune lo in this plan."""
    blocks = problem.blocking(c, lo)
    if blocks:
        return "; ".join(blocks)
    g = int(problem.item_of_case[c])
    model = problem.model
    opts = np.nonzero((model.opt_item == g) & (model.opt_bin == lo))[0]
    if len(opts) == 0:
        return "a linked family cannot go there"
    use = row_use(problem, choice)
    own = int(choice[g])
    fulls: set[str] = set()
    for o in opts:
        rows = full_rows_for(problem, int(o), use, own=own)
        if not rows:
            fulls = set()
            break
        fulls.update(resource_words(problem, r, c) for r in rows)
    if fulls:
        return "; ".join(sorted(fulls))
    if own < 0:
        return "room is left, but placing the family here would cost more in soft-rule penalties than it gains"
    here = problem.score_of(c, lo)[0]
    there = problem.score_of(c, int(model.opt_bin[own]))[0]
    if here <= there + 1e-9:
        return "room is left, but its score here is no higher than where it is placed"
    return "room is left, but moving it here would lower the plan's total (soft-rule penalties or others' scores)"
