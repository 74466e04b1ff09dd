"""Plain-language reasons: why a family is not placed, why a commune was not chosen, what is full where.

The reasons of every unplaced family of a plan are computed together (:func:`unplaced_reasons_all`): one product
for the plan's use of every row, then the options of all unplaced families at once, a few million matrix entries
at a time, and each hard pair rule once over all the families that no commune can take. Lists of linked families
are capped to their first few ids. Under a deadline, the families not reached in time get a short reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matcher.i18n import Msg, _, _n, join
from matcher.i18n.labels import Code
from matcher.models.result import KIND_WORDS
from matcher.problem import PairRule, Problem, some_ids

#: Capacity reasons shown per family, the most frequent first.
MAX_FULL = 4
#: Matrix entries looked at per step of the capacity reasons (bounds the memory: about 40 bytes each).
ENTRIES_PER_STEP = 1 << 22

#: Words for a full resource row.
_RESOURCE_WORDS: dict[str, Msg] = {
    "persons": _("the agreed number of persons is reached"),
    "cases": _("the agreed number of families is reached"),
    "gp": _("GP capacity is used up"),
    "creche": _("no crèche seats left"),
    "primary": _("no primary school seats left"),
    "secondary": _("no secondary school seats left"),
    "french_class": _("French class seats are used up"),
    "budget": _("the commune's budget is used up"),
    "regional_budget": _("the regional budget is used up"),
    "balance_max": _("the area already has its share of arrivals"),
    "balance_min": _("another area is below its share"),
}
#: Words for a full resource row with a code (``service:dialysis``), and the table that names the code.
_CODED_WORDS: dict[str, tuple[Msg, str]] = {
    "service": (_("{name} capacity is used up", name=""), "service"),
    "interpreter": (_("interpreting in {name} is used up", name=""), "language"),
    "jobs": (_("no {name} vacancies left", name=""), "sector"),
}


@dataclass(frozen=True)
class UnplacedWhy:
    """Why one family is not placed: the reasons in words (for the result file and `matcher explain`) and their
    kind (a key of :data:`KIND_WORDS`, for counts that name no need)."""

    reasons: list[Msg | str]
    kind: str


def resource_words(problem: Problem, resource: str, case: int | None = None) -> Msg:
    """Describe a full resource row in words."""
    kind, _sep, rest = resource.partition(":")
    if kind == "housing":
        if case is not None:
            ca = problem.ctx.cases
            if ca.step_free[case]:
                return _("no step-free unit with {n} bedrooms or more left", n=int(ca.bedrooms[case]))
            return _("no unit with {n} bedrooms or more left", n=int(ca.bedrooms[case]))
        return _("no fitting unit left")
    if kind in _RESOURCE_WORDS:
        return _RESOURCE_WORDS[kind]
    if kind in _CODED_WORDS:
        words, table = _CODED_WORDS[kind]
        return Msg(words.text, {"name": Code(table, rest)})
    return _("{resource} is full", resource=resource)


def row_use(problem: Problem, choice: np.ndarray) -> np.ndarray:
    """Each row's use by the plan (one product over the matrix)."""
    model = problem.model
    x = np.zeros(model.n_options)
    x[choice[choice >= 0]] = 1.0
    return model.A @ x


def unplaced_reasons(problem: Problem, choice: np.ndarray, c: int) -> list[Msg | str]:
    """Why case c is left unplaced in this plan."""
    return unplaced_reasons_all(problem, choice, np.array([c]))[c].reasons


def unplaced_reasons_all(problem: Problem, choice: np.ndarray, cases: np.ndarray | None = None, *,
                         deadline: float = np.inf, no_plan: bool = False) -> dict[int, UnplacedWhy]:
    """Why each unplaced case (of `cases`, default every case the plan leaves out) is not placed.

    All at once: one product for the plan's use of the rows, each pair rule once over the cases that no commune
    can take, and the options of the others together. Once ``deadline`` (``time.monotonic()``) has passed, the
    capacity reasons of the cases not yet reached are summarised (the families blocked everywhere and the linked
    ones always get their full reasons: those are cheap). With `no_plan` (the time limit ended before any plan),
    the cases that could go somewhere are said to be left out for that reason.
    """
    model = problem.model
    placed_items = choice >= 0
    if cases is None:
        cases = np.flatnonzero(~placed_items[problem.item_of_case])
    cases = np.asarray(cases, dtype=np.int64)
    out: dict[int, UnplacedWhy] = {}
    if not len(cases):
        return out
    blocked = ~problem.candidate[cases].any(axis=1)
    out.update(_blocked_everywhere(problem, cases[blocked]))
    rest = cases[~blocked]
    has_option = np.zeros(model.n_items, dtype=bool)
    has_option[model.opt_item] = True
    items_of = problem.item_of_case[rest]
    for c in rest[~has_option[items_of]].tolist():
        others = [problem.cases[m].case_id for m in problem.items[int(problem.item_of_case[c])] if m != c]
        out[c] = UnplacedWhy([_("linked with {ids}: no commune can take all of them together",
                                ids=some_ids(others))], "linked")
    rest = rest[has_option[items_of]]
    if no_plan:
        why = UnplacedWhy([_("the time limit ended before a plan could place it (building the model took most of "
                             "it: give a longer time limit)")], "timeout")
        out.update({c: why for c in rest.tolist()})
    elif len(rest):
        out.update(_full_everywhere(problem, choice, rest, deadline))
    return out


def _blocked_everywhere(problem: Problem, cases: np.ndarray) -> dict[int, UnplacedWhy]:
    """Why no commune can take each of `cases` at all, from the hard pair rules (each rule evaluated once over
    all of them): the rules that block it everywhere, else the rules that block it first, by commune count."""
    L = problem.ctx.localities.n
    out: dict[int, UnplacedWhy] = {}
    if not len(cases):
        return out
    if L == 0:
        return {int(c): UnplacedWhy([_("there are no communes")], "no communes") for c in cases}
    rules = problem.pair_rules
    step = max(1, (1 << 22) // max(L, 1))  # cases at a time: each (cases x communes) table stays small
    step_free = problem.ctx.cases.step_free
    for a in range(0, len(cases), step):
        part = cases[a : a + step]
        first = np.full((len(part), L), -1, dtype=np.int64)  # the first rule that blocks each pair
        everywhere = np.zeros((len(part), len(rules)), dtype=bool)
        for r, rule in enumerate(rules):
            tab = rule.blocked(part)
            everywhere[:, r] = tab.all(axis=1)
            first[(first < 0) & tab] = r
        for i, c in enumerate(part.tolist()):
            names = np.flatnonzero(everywhere[i])
            if len(names):
                name = rules[int(names[0])].name
                if name == "housing" and step_free[c]:
                    name = "housing_step_free"
                kind = f"nowhere:{name}" if f"nowhere:{name}" in KIND_WORDS else "nowhere:combined"
                out[c] = UnplacedWhy([_nowhere_text(problem, rules[r], c) for r in names.tolist()], kind)
                continue
            counts = np.bincount(first[i][first[i] >= 0], minlength=len(rules))
            texts: list[Msg | str] = []
            for r in np.argsort(-counts, kind="stable").tolist():
                if counts[r] == 0:
                    break
                lo = int(np.flatnonzero(first[i] == r)[0])
                why = rules[r].why(c, lo)  # (apart: Babel misses a message nested in another)
                texts.append(_n("{reason} ({n} of {total} communes)", "{reason} ({n} of {total} communes)",
                                int(counts[r]), reason=why, total=L))
            out[c] = UnplacedWhy(texts, "nowhere:combined")
    return out


def _nowhere_text(problem: Problem, rule: PairRule, c: int) -> Msg | str:
    """The rule's reason when it blocks case c at every commune."""
    if rule.nowhere is not None:
        return rule.nowhere(c)
    return _("{reason} (every commune)", reason=rule.why(c, 0))  # the same at every commune


def _full_everywhere(problem: Problem, choice: np.ndarray, cases: np.ndarray,
                     deadline: float) -> dict[int, UnplacedWhy]:
    """For unplaced cases whose item has options: the hard rows that each option would exceed given the plan,
    counted by kind of resource (options and communes), for every such item at once."""
    if time.monotonic() >= deadline:
        return dict.fromkeys(cases.tolist(), _NOT_EXPLAINED)  # (one pass over the cases, nothing else)
    model = problem.model
    items = np.unique(problem.item_of_case[cases])
    wanted = np.zeros(model.n_items, dtype=bool)
    wanted[items] = True
    opts = np.flatnonzero(wanted[model.opt_item])
    opts = opts[np.argsort(model.opt_item[opts], kind="stable")]  # by item, options in order
    opt_items = model.opt_item[opts]
    L = model.n_bins
    # Possible communes of each item.
    pairs = np.unique(opt_items * L + model.opt_bin[opts])
    n_cand = np.bincount(pairs // L, minlength=model.n_items)
    # Each row's word (housing rows of every size share one: its words depend on the family).
    names = np.array([str(r).split(":")[0] if str(r).startswith("housing") else str(r) for r in model.row_resource],
                     dtype=object)
    words, word_of_row = np.unique(names, return_inverse=True) if len(names) else (np.array([]), np.array([], int))
    W = max(1, len(words))
    use = row_use(problem, choice)
    hard = ~np.isfinite(model.penalty)
    A = model.columns()
    lens = np.diff(A.indptr)[opts]
    ends = np.cumsum(lens)
    # Steps end at item boundaries, so that an item's counts are complete within one step.
    item_end = np.flatnonzero(np.append(opt_items[1:] != opt_items[:-1], True))
    found: list[np.ndarray] = []  # (item, word, bins with it, options with it), stacked
    done_items = np.zeros(model.n_items, dtype=bool)
    start = 0
    while start < len(opts):
        if time.monotonic() >= deadline:
            break
        target = (ends[start - 1] if start else 0) + ENTRIES_PER_STEP
        k = int(np.searchsorted(ends[item_end], target, side="right"))
        stop = int(item_end[min(k, len(item_end) - 1)]) + 1  # (k counts the items ended by `target`: one more)
        part = opts[start:stop]
        found.append(_full_counts(problem, A, part, lens[start:stop], use, hard, word_of_row, W))
        done_items[opt_items[start:stop]] = True
        start = stop
    table = np.concatenate(found) if found else np.zeros((0, 4), dtype=np.int64)
    # Most frequent first (options with it), then in word order: the first MAX_FULL words of each item.
    table = table[np.lexsort((table[:, 1], -table[:, 3], table[:, 0]))]
    first_row = np.searchsorted(table[:, 0], items)
    last_row = np.searchsorted(table[:, 0], items, side="right")
    out: dict[int, UnplacedWhy] = {}
    ca = problem.ctx.cases
    for c in cases.tolist():
        g = int(problem.item_of_case[c])
        members = problem.items[g]
        if not done_items[g]:
            out[c] = _NOT_EXPLAINED
            continue
        k = int(np.searchsorted(items, g))
        rows = table[first_row[k] : last_row[k]][:MAX_FULL]
        if not len(rows):
            out[c] = UnplacedWhy([_("room was left, but placing it would cost more in soft-rule penalties than it "
                                    "gains, or the time limit ended the search first")], "room")
            continue
        texts: list[Msg | str] = [
            _n("{reason} ({n} of {total} possible communes)", "{reason} ({n} of {total} possible communes)", nb,
               reason=_word(problem, str(words[w]), c), total=int(n_cand[g]))
            for w, nb in zip(rows[:, 1].tolist(), rows[:, 2].tolist(), strict=True)]
        if len(members) > 1:
            texts.append(_("placed only together with {ids}",
                           ids=some_ids([problem.cases[m].case_id for m in members if m != c])))
        top = str(words[rows[0, 1]])
        kind = "full"
        if top.startswith("service:"):
            kind = "full:service"
        elif top == "housing" and ca.step_free[c]:
            kind = "full:housing_step_free"
        out[c] = UnplacedWhy(texts, kind)
    return out


#: The reason of a family whose capacity reasons the deadline left no time for (shared: it names no family).
_NOT_EXPLAINED = UnplacedWhy([_("not placed in any of its possible communes; the time limit left no time to say "
                                "which capacity stopped it (`matcher explain` says)")], "not explained")


def _word(problem: Problem, word: str, c: int) -> Msg:
    return resource_words(problem, "housing:" if word == "housing" else word, c)


def _full_counts(problem: Problem, A: sp.csc_matrix, part: np.ndarray, lens: np.ndarray, use: np.ndarray,
                 hard: np.ndarray, word_of_row: np.ndarray, W: int) -> np.ndarray:
    """For the options `part` (whole items): rows (item, word, communes, options) of the words of the hard rows
    that an option would exceed, with the number of distinct communes and options where each does."""
    model = problem.model
    total = int(lens.sum())
    if not total:
        return np.zeros((0, 4), dtype=np.int64)
    ends = np.cumsum(lens)
    gather = np.repeat(A.indptr[part] - (ends - lens), lens) + np.arange(total)
    rows = A.indices[gather]
    over = hard[rows] & (use[rows] + A.data[gather] > model.rhs[rows] + 1e-9)
    opt = np.repeat(part, lens)[over].astype(np.int64)
    word = word_of_row[rows[over]].astype(np.int64)
    n_bins = model.n_bins
    # Distinct (option, word): an option over two housing rows counts once.
    key = np.unique(opt * W + word)
    opt, word = key // W, key % W
    pair = model.opt_item[opt] * W + word
    pairs, n_opts = np.unique(pair, return_counts=True)
    bins = np.unique(pair * n_bins + model.opt_bin[opt])
    n_with_bins = np.bincount(np.searchsorted(pairs, bins // n_bins), minlength=len(pairs))
    return np.stack([pairs // W, pairs % W, n_with_bins, n_opts], axis=1).astype(np.int64)


@dataclass(frozen=True)
class WhyNot:
    """Why a family is not in one commune, as data: the `kind` of reason (``rules``: hard pair rules keep it out,
    named in `rules`; ``full``: every way of placing it there would exceed the hard capacities of `resources`;
    ``linked``: a linked family cannot go there; ``penalties``: room is left, but placing it would cost more in
    soft-rule penalties than it gains; ``lower_score``: its score there is no higher than where it is placed;
    ``lower_total``: moving it would lower the plan's total). Each view puts it in words (:func:`why_not` in
    English for the CLI and the app, the notices from their catalogs)."""

    kind: str
    rules: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()


def why_not_parts(problem: Problem, choice: np.ndarray, c: int, lo: int, use: np.ndarray | None = None) -> WhyNot:
    """Why case c is not in commune lo in this plan, as data (`use`: the plan's row use, if already computed)."""
    ci = np.array([c])
    rules = tuple(r.name for r in problem.pair_rules if r.blocked(ci)[0, lo])
    if rules:
        return WhyNot("rules", rules=rules)
    g = int(problem.item_of_case[c])
    model = problem.model
    opts = np.nonzero((model.opt_item == g) & (model.opt_bin == lo))[0]
    if len(opts) == 0:
        return WhyNot("linked")
    use = row_use(problem, choice) if use is None else use
    own = int(choice[g])
    fulls: set[str] = set()
    for o in opts:
        rows = _full_rows_for(problem, int(o), use, own=own)
        if not rows:
            fulls = set()
            break
        fulls.update(rows)
    if fulls:
        return WhyNot("full", resources=tuple(sorted(fulls)))
    if own < 0:
        return WhyNot("penalties")
    here = problem.score_of(c, lo)[0]
    there = problem.score_of(c, int(model.opt_bin[own]))[0]
    return WhyNot("lower_score" if here <= there + 1e-9 else "lower_total")


#: The words of the kinds of :class:`WhyNot` that need no detail.
_WHY_NOT_WORDS: dict[str, Msg] = {
    "linked": _("a linked family cannot go there"),
    "penalties": _("room is left, but placing the family here would cost more in soft-rule penalties than it "
                   "gains"),
    "lower_score": _("room is left, but its score here is no higher than where it is placed"),
    "lower_total": _("room is left, but moving it here would lower the plan's total (soft-rule penalties or "
                     "others' scores)"),
}


def why_not(problem: Problem, choice: np.ndarray, c: int, lo: int, use: np.ndarray | None = None) -> Msg:
    """Why case c is not in commune lo in this plan, as a message (`use`: the plan's row use, if already
    computed)."""
    parts = why_not_parts(problem, choice, c, lo, use)
    if parts.kind == "rules":
        return join(problem.blocking(c, lo))
    if parts.kind == "full":
        words = {str(m): m for m in (resource_words(problem, r, c) for r in parts.resources)}
        return join([words[k] for k in sorted(words)])
    return _WHY_NOT_WORDS[parts.kind]


def _full_rows_for(problem: Problem, option: int, use: np.ndarray, own: int = -1) -> list[str]:
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
