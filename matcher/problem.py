"""Records + policy -> the arrays the engine solves: candidate options, resource rows, capacities and values.

The result is a :class:`Problem`: the records, their scoring context, and the engine's low-level
:class:`~matcher.engine.model.AssignmentModel` (items, options, resource rows), with what is needed to map the
engine's answer back to families and communes and to say why a pair was dropped.

Hard rules that concern a single family and locality (an exclusion, a service offered nowhere near, no unit large
enough ...) never become variables: the pair is dropped, and :attr:`Problem.pair_rules` can say why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from matcher.engine.model import AssignmentModel
from matcher.i18n import Msg, _, either, join
from matcher.i18n.labels import Code
from matcher.models import Case, Dataset, Locality, Mode, Policy
from matcher.scoring import CHUNK, component_scores, pair_scores, weighted_score
from matcher.scoring import mobility as mobility_score
from matcher.scoring.arrays import CaseArrays, LocalityArrays, Vocab, case_arrays, locality_arrays
from matcher.scoring.context import ScoringContext, SparsePairs

HARD = np.inf


@dataclass(frozen=True)
class PairRule:
    """A hard rule on single (case, locality) pairs: which pairs it blocks, and why in words."""

    name: str  # the policy rule, or "forbid"/"pin"
    blocked: Callable[[np.ndarray], np.ndarray]  # case indices -> bool [n, L]
    why: Callable[[int, int], Msg | str]
    #: Why, when it blocks the case at every commune, for rules whose `why` depends on the commune (None: `why`
    #: says the same everywhere).
    nowhere: Callable[[int], Msg | str] | None = None


@dataclass(frozen=True)
class PinDiagnosis:
    """Pins that cannot all be kept, found before the search: a pin that breaks a hard rule for its family
    (`resource` empty), or pins that together exceed a hard capacity (`resource`, at `place`, with the figures).
    `dropped` are the families whose pins do not fit: the last pins made; `text` says it all in English."""

    text: str
    place: str = ""  # "Albi (81004)", or the area's name for a regional budget or balance row
    locality_id: str = ""  # "" across communes
    resource: str = ""  # the capacity row: persons, cases, gp, creche, housing:3:2, service:dialysis, budget ...
    needed: float = 0.0  # what the families pinned there need together
    capacity: float = 0.0
    pinned: tuple[str, ...] = ()  # every family pinned there that uses the capacity, in the order of the pins
    dropped: tuple[str, ...] = ()
    sensitive: bool = False  # tells a health need (a health service, a step-free unit) beside the ids


@dataclass
class Problem:
    """A placement problem ready for the engine, made by :func:`build_problem`: the records and the policy, the
    candidate (family, commune) pairs that pass every hard pair rule, the items placed whole (families linked by a
    hard rule form one item), the engine's :class:`~matcher.engine.model.AssignmentModel` and the score of each
    pair. Treat it as read-only: the explanations and the checker read the same object the engine solved."""

    dataset: Dataset
    policy: Policy
    cases: list[Case]
    localities: list[Locality]
    case_index: dict[str, int]
    loc_index: dict[str, int]
    ctx: ScoringContext
    candidate: np.ndarray  # bool [C, L]: pairs that pass every hard pair rule
    pair_rules: list[PairRule]
    items: list[np.ndarray]  # case indices of each item
    item_of_case: np.ndarray
    model: AssignmentModel
    interp_uses: tuple[np.ndarray, np.ndarray, np.ndarray]  # (option, case, language index) interpreters used
    pair_score: SparsePairs
    placement_weight: np.ndarray  # per item, the value of placing it before any score
    pins: dict[str, str]
    forbids: set[tuple[str, str]]
    previous: dict[str, str]
    conflicts: list[str]
    #: For each conflict, whether it tells a family's health need (a health service, a step-free unit): such a
    #: line is not printed next to the family's id where others can read it.
    conflicts_sensitive: list[bool] = field(default_factory=list)
    #: The item each conflict concerns.
    conflict_items: list[int] = field(default_factory=list)
    #: The pins that cannot all be kept, found before the search (:func:`unfit_pins`): with `objective.pins =
    #: "keep_what_fits"` the families of the pins that do not fit go nowhere, with this as their reason.
    pin_diagnosis: list[PinDiagnosis] = field(default_factory=list)

    @property
    def kept_pins(self) -> dict[str, str]:
        """The pins the plan keeps: all of them, but those left unplaced under `objective.pins =
        "keep_what_fits"`."""
        if self.policy.objective.pins != "keep_what_fits":
            return dict(self.pins)
        dropped = {cid for d in self.pin_diagnosis for cid in d.dropped}
        return {cid: lid for cid, lid in self.pins.items() if cid not in dropped}

    @property
    def case_arrays(self) -> CaseArrays:
        return self.ctx.cases

    @property
    def locality_arrays(self) -> LocalityArrays:
        return self.ctx.localities

    def score_of(self, c: int, lo: int) -> tuple[float, dict[str, float]]:
        """Score and components of one pair (computed even for pairs that are not candidates)."""
        ci, li = np.array([c]), np.array([lo])
        comps = component_scores(self.ctx, ci, li)
        total = float(weighted_score(comps, self.policy)[0])
        return total, {k: float(v[0]) for k, v in comps.items()}

    def components_at(self, ci: np.ndarray, li: np.ndarray) -> dict[str, np.ndarray]:
        """Every score component of the pairs (ci[k], li[k]); 0 for a pair that is not a candidate, as in
        ``pair_score``. (Computed when asked: kept for every candidate pair, they took 0.3 GB at national
        size.)"""
        ok = self.candidate[ci, li]
        return {k: np.where(ok, v, 0.0) for k, v in component_scores(self.ctx, ci, li).items()}

    def blocking(self, c: int, lo: int) -> list[Msg | str]:
        """The hard pair rules that keep case c out of locality lo, as messages (:mod:`matcher.i18n`)."""
        ci = np.array([c])
        return [r.why(c, lo) for r in self.pair_rules if r.blocked(ci)[0, lo]]


def _rule_on(policy: Policy, name: str) -> bool:
    return getattr(policy.rules, name).mode is not Mode.OFF


def _rule_hard(policy: Policy, name: str) -> bool:
    return getattr(policy.rules, name).mode is Mode.HARD


def _penalty(policy: Policy, name: str) -> float:
    rule = getattr(policy.rules, name)
    return HARD if rule.mode is Mode.HARD else float(rule.penalty)


def _pairs_matrix(n_cases: int, n_loc: int, pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    m = np.zeros((n_cases, n_loc), dtype=bool)
    for c, lo in pairs:
        m[c, lo] = True
    return m


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _limited_only(speaks: np.ndarray, limited: np.ndarray, unlimited: np.ndarray, ci: np.ndarray,
                  li: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For pairs (family ``ci``, locality ``li``): the languages of the family interpreted there with a limited
    capacity, where none of its languages is interpreted without limit. Returns whether a pair has any, and
    (pair, language) for each, by pair then language.

    The languages go as bits of one word per family and per locality, and are spread out only for the pairs that
    have any (at tier L: 3 M pairs, 14 languages)."""
    n = speaks.shape[1]
    if n > 64:
        table = speaks[ci] & limited[li] & ~(speaks[ci] & unlimited[li]).any(axis=1)[:, None]
        return (table.any(axis=1), *np.nonzero(table))
    bit = np.uint64(1) << np.arange(n, dtype=np.uint64)
    word = [(m.astype(np.uint64) * bit).sum(axis=1, dtype=np.uint64) for m in (speaks, limited, unlimited)]
    s = word[0][ci]
    lim = s & word[1][li]
    lim[(s & word[2][li]) != 0] = 0
    some = np.flatnonzero(lim)
    pair, lang = np.nonzero((lim[some, None] & bit) != 0)
    return lim != 0, some[pair], lang


def _budget_cost(la: LocalityArrays) -> np.ndarray:
    """Whole euros per person (rounded up, so that integer budgets stay safe)."""
    return np.ceil(np.maximum(la.cost - 1e-9, 0.0))


def _pair_rules(
    policy: Policy,
    ctx: ScoringContext,
    excluded: np.ndarray,
    forbidden: np.ndarray,
    pinned: np.ndarray,
    regional_budget: np.ndarray,
    unfit: Mapping[int, str],
) -> list[PairRule]:
    """The hard rules on single pairs, in the order their reasons are given: the coordinator's pins and forbids,
    the family's exclusions, then the policy's hard rules that one family alone can break at a commune."""
    return [*_decision_rules(policy, ctx, excluded, forbidden, pinned, unfit), *_consent_rules(policy, ctx),
            *_housing_rules(policy, ctx), *_school_rules(policy, ctx), *_gp_rules(policy, ctx),
            *_service_rules(policy, ctx), *_interpreter_rules(policy, ctx), *_mobility_rules(policy, ctx),
            *_budget_rules(policy, ctx, regional_budget)]


def _most(values: np.ndarray) -> float:
    """The largest of `values`, 0 for none."""
    return float(values.max()) if len(values) else 0.0


def _decision_rules(policy: Policy, ctx: ScoringContext, excluded: np.ndarray, forbidden: np.ndarray,
                    pinned: np.ndarray, unfit: Mapping[int, str]) -> list[PairRule]:
    """Pins (a pinned family goes nowhere else; one whose pin cannot be kept, `unfit`, goes nowhere at all, for
    the reason given), forbids, and the family's own exclusions when hard."""
    la = ctx.localities
    all_l = np.arange(la.n)
    nowhere = np.zeros(len(pinned), dtype=bool)
    nowhere[list(unfit)] = True

    def pin_why(c: int, lo: int = -1) -> Msg | str:
        return unfit.get(c) or _("pinned to {name} by the coordinator", name=la.names[pinned[c]])

    rules = [PairRule("pin", lambda ci: (pinned[ci] >= 0)[:, None] & ((pinned[ci][:, None] != all_l[None, :])
                                                                     | nowhere[ci][:, None]),
                      pin_why, pin_why),
             PairRule("forbid", lambda ci: forbidden[ci], lambda c, lo: _("forbidden here by the coordinator"))]
    if _rule_hard(policy, "exclusions"):
        rules.append(PairRule("exclusions", lambda ci: excluded[ci], lambda c, lo: _("excluded for this family")))
    return rules


def _consent_rules(policy: Policy, ctx: ScoringContext) -> list[PairRule]:
    """A family larger than the persons a commune agreed to, or a commune that takes no families."""
    ca, la = ctx.cases, ctx.localities
    rules = []
    if _rule_hard(policy, "consent_persons"):
        rules.append(PairRule(
            "consent_persons", lambda ci: ca.persons[ci][:, None] > la.max_persons[None, :],
            lambda c, lo: _("{n} persons but the commune agreed to {agreed} in all", n=int(ca.persons[c]),
                            agreed=round(float(la.max_persons[lo]))),
            lambda c: _("{n} persons but no commune agreed to that many (at most {most})", n=int(ca.persons[c]),
                        most=round(_most(la.max_persons)))))
    if _rule_hard(policy, "consent_cases"):
        rules.append(PairRule("consent_cases", lambda ci: np.broadcast_to(la.max_cases[None, :] < 1, (len(ci), la.n)),
                              lambda c, lo: _("the commune takes no families")))
    return rules


def _housing_rules(policy: Policy, ctx: ScoringContext) -> list[PairRule]:
    """No unit with enough bedrooms (step-free where the family needs it) at the commune."""
    if not _rule_hard(policy, "housing"):
        return []
    ca, la = ctx.cases, ctx.localities
    # Per locality and bedroom count: no unit that large (step-free or any).
    no_unit = np.stack([la.units_at_least(b, False) < 1 for b in range(la.units.shape[1] + 1)], axis=1)
    no_sf_unit = np.stack([la.units_at_least(b, True) < 1 for b in range(la.units.shape[1] + 1)], axis=1)

    def housing_blocked(ci: np.ndarray) -> np.ndarray:
        b = np.minimum(ca.bedrooms[ci], la.units.shape[1])
        return np.where(ca.step_free[ci][:, None], no_sf_unit[:, b].T, no_unit[:, b].T)

    def housing_why(c: int, lo: int) -> Msg:
        if ca.step_free[c]:
            return _("no step-free unit with {n} bedrooms or more", n=int(ca.bedrooms[c]))
        return _("no unit with {n} bedrooms or more", n=int(ca.bedrooms[c]))

    return [PairRule("housing", housing_blocked, housing_why)]


def _school_rules(policy: Policy, ctx: ScoringContext) -> list[PairRule]:
    """More children of an age band than the commune's crèche or school seats."""
    if not _rule_hard(policy, "schools"):
        return []
    ca, la = ctx.cases, ctx.localities
    bands = (("creche", ca.children_0_2, la.creche, _("crèche seats")),
             ("primary", ca.children_3_10, la.primary, _("primary school seats")),
             ("secondary", ca.children_11_17, la.secondary, _("secondary school seats")))

    def schools_blocked(ci: np.ndarray) -> np.ndarray:
        out = np.zeros((len(ci), la.n), dtype=bool)
        for _band, need, seats, _words in bands:
            out |= need[ci][:, None] > seats[None, :]
        return out

    def schools_why(c: int, lo: int) -> Msg:
        return join([_("needs {n} {seats}, {offered} offered", n=int(need[c]), seats=words,
                       offered=round(float(seats[lo])))
                     for _band, need, seats, words in bands if need[c] > seats[lo]])

    def schools_nowhere(c: int) -> Msg:
        parts = [_("needs {n} {seats}, at most {most} offered in any commune", n=int(need[c]), seats=words,
                   most=round(_most(seats)))
                 for _band, need, seats, words in bands if need[c] > _most(seats)]
        return join(parts) if parts else _("no commune has enough crèche and school seats for all its children")

    return [PairRule("schools", schools_blocked, schools_why, schools_nowhere)]


def _gp_rules(policy: Policy, ctx: ScoringContext) -> list[PairRule]:
    """More persons than the commune's GPs can take."""
    if not _rule_hard(policy, "gp"):
        return []
    ca, la = ctx.cases, ctx.localities
    return [PairRule("gp", lambda ci: ca.persons[ci][:, None] > la.gp[None, :],
                     lambda c, lo: _("GPs can take {gp} more persons, the family has {n}",
                                     gp=round(float(la.gp[lo])), n=int(ca.persons[c])),
                     lambda c: _("GPs can take at most {gp} more persons in any commune, the family has {n}",
                                 gp=round(_most(la.gp)), n=int(ca.persons[c])))]


def _service_rules(policy: Policy, ctx: ScoringContext) -> list[PairRule]:
    """A health service the family needs that the commune does not offer."""
    ca, la, vocab = ctx.cases, ctx.localities, ctx.vocab
    if not (_rule_hard(policy, "health_services") and len(vocab.services)):
        return []
    missing = (la.service_cap < 1).astype(np.float32)  # products of 0/1 counts: exact in float32

    def services_blocked(ci: np.ndarray) -> np.ndarray:
        return (ca.services[ci].astype(np.float32) @ missing.T) > 0

    def services_why(c: int, lo: int) -> Msg:
        names = [Code("service", vocab.services[s]) for s in np.nonzero(ca.services[c] & (la.service_cap[lo] < 1))[0]]
        return _("needs {services}: not offered here", services=names)

    def services_nowhere(c: int) -> Msg:
        offered = (la.service_cap >= 1).any(axis=0)
        nowhere = [Code("service", vocab.services[s]) for s in np.nonzero(ca.services[c] & ~offered)[0]]
        if nowhere:
            return _("needs {services}: offered nowhere", services=nowhere)
        return _("needs {services}: no commune offers them all",
                 services=[Code("service", vocab.services[s]) for s in np.nonzero(ca.services[c])[0]])

    return [PairRule("health_services", services_blocked, services_why, services_nowhere)]


def _interpreter_rules(policy: Policy, ctx: ScoringContext) -> list[PairRule]:
    """A family that needs an interpreter where none of its languages is interpreted."""
    if not _rule_hard(policy, "interpreters"):
        return []
    ca, la, vocab = ctx.cases, ctx.localities, ctx.vocab
    offered = (la.interpreter_cap > 0).astype(np.float32)  # products of 0/1 counts: exact in float32

    def interp_blocked(ci: np.ndarray) -> np.ndarray:
        return ca.needs_interpreter[ci][:, None] & ((ca.speaks[ci].astype(np.float32) @ offered.T) == 0)

    def interp_langs(c: int) -> Msg | Code | str:
        langs = [Code("language", vocab.languages[i]) for i in np.nonzero(ca.speaks[c])[0]]
        return either(langs) if langs else _("its language")

    def interp_why(c: int, lo: int) -> Msg:
        return _("needs an interpreter in {languages}: none here", languages=interp_langs(c))

    def interp_nowhere(c: int) -> Msg:
        return _("needs an interpreter in {languages}: none anywhere", languages=interp_langs(c))

    return [PairRule("interpreters", interp_blocked, interp_why, interp_nowhere)]


def _mobility_rules(policy: Policy, ctx: ScoringContext) -> list[PairRule]:
    """No public transport at the commune and no driving licence in the family."""
    if not _rule_hard(policy, "mobility"):
        return []
    ca, la = ctx.cases, ctx.localities
    return [PairRule("mobility", lambda ci: (ca.licensed[ci] == 0)[:, None] & (la.transport == 0)[None, :],
                     lambda c, lo: _("no public transport and no driving licence"))]


def _budget_rules(policy: Policy, ctx: ScoringContext, regional_budget: np.ndarray) -> list[PairRule]:
    """A family whose persons alone cost more than the commune's budget, or its region's."""
    ca, la = ctx.cases, ctx.localities
    cost = _budget_cost(la)
    rules = []
    if _rule_hard(policy, "budget"):
        rules.append(PairRule(
            "budget", lambda ci: ca.persons[ci][:, None] * cost[None, :] > np.floor(la.budget)[None, :],
            lambda c, lo: _("costs {cost} €, the budget is {budget} €", cost=round(float(ca.persons[c] * cost[lo])),
                            budget=round(float(la.budget[lo]))),
            lambda c: _("its {n} persons cost more than the budget of any commune", n=int(ca.persons[c]))))
    if _rule_hard(policy, "regional_budget") and np.isfinite(regional_budget).any():
        rules.append(PairRule(
            "regional_budget",
            lambda ci: ca.persons[ci][:, None] * cost[None, :] > np.floor(regional_budget)[None, :],
            lambda c, lo: _("costs {cost} €, over the regional budget", cost=round(float(ca.persons[c] * cost[lo]))),
            lambda c: _("its {n} persons cost more than the regional budget of any commune", n=int(ca.persons[c]))))
    return rules


class _Rows:
    """Collects resource rows straight into the CSR arrays of the matrix, over options.

    The entries go into two buffers sized for ``capacity`` entries: that is address space only, and a page is
    touched when an entry is first written to it (at national size each fresh GB cost 1-3 s of kernel time). They
    grow, by copying, only if a model needs more. ``staged`` writes a row's coefficients where its entries go, so
    that they are not made twice.
    """

    def __init__(self, n_options: int, capacity: int | None = None) -> None:
        self.n_options = n_options
        capacity = max(1024, 16 * n_options if capacity is None else capacity)
        self.index = np.int32 if max(capacity, n_options) < np.iinfo(np.int32).max else np.int64
        self.indices = np.empty(capacity, dtype=self.index)
        self.data = np.empty(capacity)
        self.at = 0  # entries written
        self.length: list[np.ndarray] = []  # entries in each row
        self.rhs: list[np.ndarray] = []
        self.penalty: list[np.ndarray] = []
        self.resource: list[np.ndarray] = []
        self.bin: list[np.ndarray] = []
        self.rule: list[np.ndarray] = []
        self.count = 0

    def _reserve(self, n: int) -> None:
        if self.at + n <= len(self.data):
            return
        size = max(2 * len(self.data), self.at + n)
        for name in ("indices", "data"):
            old = getattr(self, name)
            grown = np.empty(size, dtype=old.dtype)
            grown[: self.at] = old[: self.at]
            setattr(self, name, grown)
        if self.index == np.int32 and size >= np.iinfo(np.int32).max:
            self.index = np.int64
            self.indices = self.indices.astype(np.int64)

    def staged(self, values: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """``values[idx]`` as floats, written where the next row's entries go (pass it to ``add`` as ``coef``)."""
        self._reserve(len(idx))
        out = self.data[self.at : self.at + len(idx)]
        np.take(values.astype(float, copy=False), idx, out=out, mode="clip")  # unbuffered; idx is in range
        return out

    def add(self, resource: str, rule: str, penalty: float, cols: np.ndarray, keys: np.ndarray, coef: np.ndarray,
            rhs_of_key: np.ndarray, bin_of_key: np.ndarray) -> None:
        """Rows ``sum coef[e] x[cols[e]] <= rhs_of_key[k]`` over the entries e with ``keys[e] == k`` (keys are
        ``0 .. K-1``; entries sorted by key, then by column), for finite rhs only; a row that even every option at
        once cannot exceed never binds and is left out."""
        if not len(coef):
            return
        n_keys = len(rhs_of_key)
        coef = coef.astype(float, copy=False)
        nonzero = coef != 0
        every = bool(nonzero.all())  # the usual case: the callers pass the options that use the resource
        reach = np.bincount(keys, weights=coef if coef.min() >= 0 else np.maximum(coef, 0.0), minlength=n_keys)
        bounds = np.searchsorted(keys, np.arange(n_keys + 1))
        length = np.diff(bounds) if every else np.bincount(keys[nonzero], minlength=n_keys)
        finite = np.isfinite(rhs_of_key)
        live = (length > 0) & finite & (reach > np.where(finite, rhs_of_key, 0.0) + 1e-9)
        if not live.any():
            return
        keys_used = np.nonzero(live)[0]
        self.length.append(length[keys_used])
        in_place = coef.base is self.data and coef.ctypes.data == self.data[self.at :].ctypes.data
        if every and length[live].sum() == len(keys):  # every entry kept (no selection to copy)
            n = len(coef)
            self._reserve(n)
            if not in_place:
                self.data[self.at : self.at + n] = coef
            self.indices[self.at : self.at + n] = cols
        else:
            keep = nonzero & np.repeat(live, np.diff(bounds))
            kept = coef[keep]  # a copy first: `coef` may be the buffer itself
            n = len(kept)
            self._reserve(n)
            self.data[self.at : self.at + n] = kept
            self.indices[self.at : self.at + n] = cols[keep]
        self.at += n
        self.rhs.append(rhs_of_key[keys_used].astype(float))
        self.penalty.append(np.full(len(keys_used), penalty))
        self.resource.append(np.full(len(keys_used), resource, dtype=object))
        self.bin.append(bin_of_key[keys_used])
        self.rule.append(np.full(len(keys_used), rule, dtype=object))
        self.count += len(keys_used)

    def build(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self.rhs:
            empty = sp.csr_matrix((0, self.n_options))
            e = np.array([])
            return empty, e, e, e.astype(object), e.astype(np.int64), e.astype(object)
        indptr = np.zeros(self.count + 1, dtype=self.index)
        np.cumsum(np.concatenate(self.length), out=indptr[1:])
        # The matrix keeps views of the buffers: the pages past the last entry were never touched.
        A = sp.csr_matrix((self.data[: self.at], self.indices[: self.at], indptr), shape=(self.count, self.n_options),
                          copy=False)
        A.has_sorted_indices = True
        return (A, np.concatenate(self.rhs), np.concatenate(self.penalty), np.concatenate(self.resource),
                np.concatenate(self.bin).astype(np.int64), np.concatenate(self.rule))


def _area_targets(policy: Policy, la: LocalityArrays, vocab: Vocab) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Area of each locality and the target share of each area."""
    level = policy.balance.level
    area = la.region if level == "region" else la.departement
    names = vocab.regions if level == "region" else vocab.departements
    n = len(names)
    if policy.balance.target == "population" and la.population.sum() > 0:
        weight: np.ndarray = np.bincount(area, weights=la.population, minlength=n)
    else:
        weight = np.ones(n)
    return area, weight / weight.sum(), names


def build_problem(
    dataset: Dataset,
    policy: Policy,
    *,
    pins: Mapping[str, str] | None = None,
    forbids: Iterable[tuple[str, str]] | None = None,
    previous: Mapping[str, str] | None = None,
    outcomes: pd.DataFrame | None = None,
) -> Problem:
    """Turn validated records and a policy into the engine's arrays.

    The steps, each a function of its own: the scoring context (:func:`scoring_context`), the pairs that pass
    every hard pair rule (:func:`candidate_mask`), linked families as items (:func:`link_items`), the options
    (:func:`make_options`) and their values (:func:`option_values`), the resource rows (:func:`resource_rows`),
    then the conflicts between hard rules (:func:`_rule_conflicts`).

    Parameters
    ----------
    dataset
        Cases and localities, already validated.
    policy
        Weights, rule modes, bedroom table, balance and objective.
    pins, forbids
        The coordinator's decisions: case -> locality it must go to; (case, locality) pairs never to use.
    previous
        The previous plan (case -> locality): staying there earns ``objective.stability_weight``.
    outcomes
        Optional external predictions with columns ``case_id``, ``locality_id``, ``outcome`` in [0, 1].
    """
    pins, forbids, previous = dict(pins or {}), set(forbids or ()), dict(previous or {})
    problem = _build(dataset, policy, pins, forbids, previous, outcomes, {})
    if not pins:
        return problem
    unfit, diagnosis = unfit_pins(problem)
    if diagnosis and policy.objective.pins == "keep_what_fits":
        problem = _build(dataset, policy, pins, forbids, previous, outcomes, unfit)
    elif diagnosis:  # "fail": the capacities join the rules that already make the run infeasible
        problem.conflicts += [d.text for d in diagnosis if d.resource]
        problem.conflicts_sensitive += [d.sensitive for d in diagnosis if d.resource]
    problem.pin_diagnosis = diagnosis
    return problem


def _build(dataset: Dataset, policy: Policy, pins: dict[str, str], forbids: set[tuple[str, str]],
           previous: dict[str, str], outcomes: pd.DataFrame | None, unfit: Mapping[int, str]) -> Problem:
    """The steps of :func:`build_problem`, with the pinned families of `unfit` (case index -> why) going nowhere
    and no longer to be placed."""
    cases = list(dataset.cases)
    localities = list(dataset.localities)
    case_index = {c.case_id: i for i, c in enumerate(cases)}
    loc_index = {lo.locality_id: i for i, lo in enumerate(localities)}
    ctx = scoring_context(cases, localities, policy, case_index, loc_index, outcomes)
    pinned = pinned_localities(pins, case_index, loc_index)
    candidate, rules = candidate_mask(policy, ctx, cases, case_index, loc_index, forbids, pinned, unfit)
    items, item_of_case = link_items(cases, case_index, policy)
    pc, pl = np.nonzero(candidate)
    score = pair_scores(ctx, pc, pl, policy) if len(pc) else np.array([])
    pair_score = SparsePairs.build(pc, pl, score, ctx.localities.n, copy=False)
    options = make_options(policy, ctx, candidate, items, pc, pl)
    placement_weight, big = placement_weights(policy, ctx.cases, item_of_case, len(items))
    prev_loc = np.array([loc_index.get(previous.get(c.case_id, ""), -1) for c in cases], dtype=np.int64)
    opt_value = option_values(policy, ctx, pair_score, items, options, placement_weight, prev_loc)
    must_place = np.zeros(len(items), dtype=bool)
    if policy.objective.require_all_placed:
        must_place[:] = True
    kept = pinned >= 0
    kept[list(unfit)] = False
    must_place[item_of_case[kept]] = True
    A, rhs, penalty, resource, row_bin, row_rule = resource_rows(policy, ctx, options, item_of_case, len(items))
    model = AssignmentModel(
        n_items=len(items), n_bins=ctx.localities.n, opt_item=options.item, opt_bin=options.bin, opt_value=opt_value,
        must_place=must_place, A=A, rhs=rhs, penalty=penalty, row_resource=resource, row_bin=row_bin,
        row_rule=row_rule,
    )
    if policy.objective.placement_weight == "auto":
        model.opt_primary = (placement_weight / big)[options.item]
        model.primary_weight = big
    problem = Problem(
        dataset=dataset, policy=policy, cases=cases, localities=localities, case_index=case_index,
        loc_index=loc_index, ctx=ctx, candidate=candidate, pair_rules=rules, items=items,
        item_of_case=item_of_case, model=model, interp_uses=options.interp_uses, pair_score=pair_score,
        placement_weight=placement_weight, pins=pins, forbids=forbids,
        previous=previous, conflicts=[],
    )
    problem.conflicts, problem.conflicts_sensitive, problem.conflict_items = _rule_conflicts(problem, pinned)
    return problem


def scoring_context(cases: list[Case], localities: list[Locality], policy: Policy, case_index: Mapping[str, int],
                    loc_index: Mapping[str, int], outcomes: pd.DataFrame | None = None) -> ScoringContext:
    """The records as arrays (families, communes, their vocabularies) with the sparse per-pair inputs: preference
    ranks and the external outcomes of the pairs both of whose ids are known."""
    L = len(localities)
    languages = [c.interpreter_languages for c in cases]  # a property that loops over members: read once
    vocab = Vocab.of(cases, localities, languages)
    max_bed = max(b.bedrooms for b in policy.bedroom_table)
    ca = case_arrays(cases, policy, vocab, dict(loc_index), languages)
    la = locality_arrays(localities, vocab, max_bed)
    pref = [(i, loc_index[lid], r) for i, c in enumerate(cases)
            for r, lid in enumerate(c.preferred_locality_ids) if lid in loc_index]
    pref_arr = np.array(pref, dtype=np.int64).reshape(-1, 3)
    pref_count = np.array([sum(1 for lid in c.preferred_locality_ids if lid in loc_index) for c in cases])
    outcome = SparsePairs(np.array([], dtype=np.int64), np.array([]))
    if outcomes is not None and len(outcomes):
        o = outcomes[outcomes["case_id"].isin(case_index) & outcomes["locality_id"].isin(loc_index)]
        outcome = SparsePairs.build(o["case_id"].map(case_index).to_numpy(), o["locality_id"].map(loc_index).to_numpy(),
                                    o["outcome"].to_numpy(dtype=float), L)
    return ScoringContext(ca, la, vocab, SparsePairs.build(pref_arr[:, 0], pref_arr[:, 1], pref_arr[:, 2], L),
                          pref_count, outcome)


def pinned_localities(pins: Mapping[str, str], case_index: Mapping[str, int],
                      loc_index: Mapping[str, int]) -> np.ndarray:
    """The locality each family is pinned to, -1 where none (pins naming an unknown family or commune are
    ignored: the reader reports them)."""
    pinned = np.full(len(case_index), -1, dtype=np.int64)
    for cid, lid in pins.items():
        if cid in case_index and lid in loc_index:
            pinned[case_index[cid]] = loc_index[lid]
    return pinned


def _regional_budget_of_region(policy: Policy, vocab: Vocab) -> np.ndarray:
    """The policy's regional budget of each region, infinite where it sets none (and for "no region", last)."""
    return np.array([policy.regional_budgets.get(r, np.inf) for r in vocab.regions] + [np.inf])


def candidate_mask(policy: Policy, ctx: ScoringContext, cases: list[Case], case_index: Mapping[str, int],
                   loc_index: Mapping[str, int], forbids: Iterable[tuple[str, str]],
                   pinned: np.ndarray, unfit: Mapping[int, str] | None = None) -> tuple[np.ndarray, list[PairRule]]:
    """The pairs (family, commune) that pass every hard pair rule, as a bool [C, L] mask, and those rules
    (:func:`_pair_rules`): exclusions, the coordinator's forbids and pins (`unfit`: the pinned families whose
    pin cannot be kept, by case index, with the reason), and the hard rules of the policy."""
    C, L = len(cases), ctx.localities.n
    excluded = _pairs_matrix(C, L, ((i, loc_index[lid]) for i, c in enumerate(cases)
                                    for lid in c.excluded_locality_ids if lid in loc_index))
    forbidden = _pairs_matrix(C, L, ((case_index[c], loc_index[lo]) for c, lo in forbids
                                     if c in case_index and lo in loc_index))
    regional_budget = _regional_budget_of_region(policy, ctx.vocab)[ctx.localities.region]
    rules = _pair_rules(policy, ctx, excluded, forbidden, pinned, regional_budget, dict(unfit or {}))
    all_c = np.arange(C)
    candidate = np.ones((C, L), dtype=bool)
    step = max(1, CHUNK // max(L, 1))  # cases at a time: each rule's (cases x localities) tables stay small
    for a in range(0, C, step):
        block = candidate[a : a + step]
        for rule in rules:
            block &= ~rule.blocked(all_c[a : a + step])
    return candidate, rules


def link_items(cases: list[Case], case_index: Mapping[str, int],
               policy: Policy) -> tuple[list[np.ndarray], np.ndarray]:
    """Linked families move together: the items (case indices of each, in the order of their first family) and
    the item of each family. With the links rule off every family is an item of its own."""
    C = len(cases)
    uf = _UnionFind(C)
    if _rule_on(policy, "links"):
        for i, c in enumerate(cases):
            for other in c.linked_case_ids:
                if other in case_index:
                    uf.union(i, case_index[other])
    roots: dict[int, list[int]] = {}
    for i in range(C):
        roots.setdefault(uf.find(i), []).append(i)
    items = [np.array(v, dtype=np.int64) for v in roots.values()]
    item_of_case = np.empty(C, dtype=np.int64)
    for g, members in enumerate(items):
        item_of_case[members] = g
    return items, item_of_case


@dataclass
class Options:
    """The options of the model: (item, locality, interpreter languages) each."""

    item: np.ndarray  # item of each option
    bin: np.ndarray  # locality of each option
    interp_uses: tuple[np.ndarray, np.ndarray, np.ndarray]  # (option, case, language index) interpreters used
    n_single: int  # the options of single families come first, those of linked groups after


#: An option list under construction: items, localities, and the (option, case, language) interpreter uses.
_Parts = tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[np.ndarray], list[np.ndarray]]


def make_options(policy: Policy, ctx: ScoringContext, candidate: np.ndarray, items: list[np.ndarray],
                 pc: np.ndarray, pl: np.ndarray) -> Options:
    """The options: one per item and commune where every member is a candidate, and where the choice of an
    interpreter's language matters (every language the family speaks is offered there with a limited
    capacity) one per language, or per combination of the members' languages for a linked group.

    `pc`, `pl` are the candidate pairs (``np.nonzero(candidate)``)."""
    la = ctx.localities
    interp_on = _rule_on(policy, "interpreters")
    limited = np.isfinite(la.interpreter_cap) & (la.interpreter_cap > 0)
    unlimited = np.isinf(la.interpreter_cap)
    none = np.array([], dtype=np.int64)
    parts: _Parts = ([none], [none], [none], [none], [none])
    sizes = np.array([len(m) for m in items], dtype=np.int64)
    _single_options(parts, ctx.cases, items, sizes, pc, pl, limited, unlimited, interp_on)
    n_single = int(sum(len(p) for p in parts[0]))
    _group_options(parts, ctx.cases, items, sizes, candidate, limited, unlimited, interp_on, n_single)
    item_parts, bin_parts, use_opt, use_case, use_lang = parts
    return Options(
        item=np.concatenate(item_parts).astype(np.int64), bin=np.concatenate(bin_parts).astype(np.int64),
        interp_uses=(np.concatenate(use_opt).astype(np.int64), np.concatenate(use_case).astype(np.int64),
                     np.concatenate(use_lang).astype(np.int64)),
        n_single=n_single,
    )


def _single_options(parts: _Parts, ca: CaseArrays, items: list[np.ndarray], sizes: np.ndarray, pc: np.ndarray,
                    pl: np.ndarray, limited: np.ndarray, unlimited: np.ndarray, interp_on: bool) -> None:
    """Append the options of the single families to `parts`, in the order of their candidate pairs: first the
    pairs with no interpreter's language to choose, then one option per language where there is."""
    item_parts, bin_parts, use_opt, use_case, use_lang = parts
    singles = np.nonzero(sizes == 1)[0]
    if not len(singles):
        return
    # Items are in the order of their first family, so single families are in case order.
    single_pos = np.full(len(ca.persons), -1, dtype=np.int64)
    single_pos[np.array([items[g][0] for g in singles], dtype=np.int64)] = np.arange(len(singles))
    of_single = np.flatnonzero(single_pos[pc] >= 0)
    ci, li = pc[of_single], pl[of_single]
    gi = single_pos[ci]
    del of_single
    # Only pairs of a family that needs an interpreter can choose one (a subset: the (pairs x languages)
    # tables stay small at national size).
    asks = np.flatnonzero(ca.needs_interpreter[ci]) if interp_on else np.array([], dtype=np.int64)
    ac, al = ci[asks], li[asks]
    chooses_any, pi, lang = _limited_only(ca.speaks, limited, unlimited, ac, al)
    plain = np.ones(len(ci), dtype=bool)
    plain[asks] = ~chooses_any
    item_parts.append(singles[gi[plain]])
    bin_parts.append(li[plain])
    pi = asks[pi]
    n_plain = int(plain.sum())
    item_parts.append(singles[gi[pi]])
    bin_parts.append(li[pi])
    use_opt.append(n_plain + np.arange(len(pi)))
    use_case.append(ci[pi])
    use_lang.append(lang)


def _group_options(parts: _Parts, ca: CaseArrays, items: list[np.ndarray], sizes: np.ndarray, candidate: np.ndarray,
                   limited: np.ndarray, unlimited: np.ndarray, interp_on: bool, next_opt: int) -> None:
    """Append the options of linked groups to `parts`, group by group, numbered from `next_opt`: first the
    localities where no member chooses an interpreter's language, one option each; then those where some do, one
    option per combination of their languages (the first 8, the last member's language varying fastest), each
    using the languages it names."""
    item_parts, bin_parts, use_opt, use_case, use_lang = parts
    for g in np.nonzero(sizes > 1)[0].tolist():
        members = items[g]
        locs = np.nonzero(candidate[members].all(axis=0))[0]
        chooses = []  # per member: at each locality, whether it chooses, and the languages it can choose from
        if interp_on:
            for c in members:
                if ca.needs_interpreter[c]:
                    langs = ca.speaks[c] & limited[locs]
                    chooses.append((c, ~(ca.speaks[c] & unlimited[locs]).any(axis=1) & langs.any(axis=1), langs))
        choosing = np.zeros(len(locs), dtype=bool)
        for _c, on, _langs in chooses:
            choosing |= on
        plain_locs = locs[~choosing]
        item_parts.append(np.full(len(plain_locs), g, dtype=np.int64))
        bin_parts.append(plain_locs)
        next_opt += len(plain_locs)
        if not choosing.any():
            continue
        # Combination number `combo` at a locality picks language number (combo // later) % n_k of each choosing
        # member, where n_k is its number of languages there and `later` the product of the later members' (capped
        # at 8: combo < 8).
        where = np.nonzero(choosing)[0]
        ks = [np.where(on[where], langs[where].sum(axis=1), 1) for _c, on, langs in chooses]
        later = [np.ones(len(where), dtype=np.int64)]
        for n_k in ks[:0:-1]:
            later.insert(0, np.minimum(later[0] * n_k, 8))
        n_combo = np.minimum(later[0] * ks[0], 8)
        n_group = int(n_combo.sum())
        row = np.repeat(np.arange(len(where)), n_combo)
        combo = np.arange(n_group) - np.repeat(np.cumsum(n_combo) - n_combo, n_combo)
        item_parts.append(np.full(n_group, g, dtype=np.int64))
        bin_parts.append(locs[where][row])
        picks = np.zeros((n_group, len(chooses)), dtype=bool)
        lang = np.zeros((n_group, len(chooses)), dtype=np.int64)
        for m, ((_c, on, langs), n_k, lat) in enumerate(zip(chooses, ks, later, strict=True)):
            picks[:, m] = on[where][row]
            first_true = np.argsort(~langs[where], axis=1, kind="stable")  # its languages first, in order
            lang[:, m] = first_true[row, (combo // lat[row]) % n_k[row]]
        use_o, use_m = np.nonzero(picks)  # option by option, members in order
        use_opt.append(next_opt + use_o)
        use_case.append(np.array([c for c, _on, _langs in chooses], dtype=np.int64)[use_m])
        use_lang.append(lang[use_o, use_m])
        next_opt += n_group


def _per_item(values: np.ndarray, item_of_case: np.ndarray, n_items: int) -> np.ndarray:
    """Item-level quantities, summed over the item's families."""
    out = np.zeros((n_items, *values.shape[1:]), dtype=values.dtype)
    np.add.at(out, item_of_case, values)
    return out


def placement_weights(policy: Policy, ca: CaseArrays, item_of_case: np.ndarray,
                      n_items: int) -> tuple[np.ndarray, float]:
    """The value of placing each item before any score (persons weighted by priority, times the placement
    weight), and that weight: with ``"auto"``, more than every family's score and stability bonus together."""
    stab_w = policy.objective.stability_weight
    prio_w = np.asarray(policy.objective.priority_weights)[ca.priority]
    if policy.objective.placement_weight == "auto":
        big = len(ca.persons) * (1.0 + stab_w) + 1.0
    else:
        big = float(policy.objective.placement_weight)
    return _per_item(big * ca.persons * prio_w, item_of_case, n_items), big


def _case_values(policy: Policy, ctx: ScoringContext, pair_score: SparsePairs, prev_loc: np.ndarray,
                 oc_case: np.ndarray, oc_loc: np.ndarray) -> np.ndarray:
    """Each family's value at an option's locality: its score, staying put, soft-rule penalties."""
    ca, la, vocab = ctx.cases, ctx.localities, ctx.vocab
    mob_pen = _penalty(policy, "mobility") if policy.rules.mobility.mode is Mode.SOFT else 0.0
    svc_pen = _penalty(policy, "health_services") if policy.rules.health_services.mode is Mode.SOFT else 0.0
    int_pen = _penalty(policy, "interpreters") if policy.rules.interpreters.mode is Mode.SOFT else 0.0
    value = pair_score.lookup(oc_case, oc_loc, la.n, default=0.0)
    value += policy.objective.stability_weight * (prev_loc[oc_case] == oc_loc)
    if mob_pen:
        value -= mob_pen * mobility_score.stranded(ctx, oc_case, oc_loc)
    if svc_pen and len(vocab.services):
        value -= svc_pen * (ca.services[oc_case] & (la.service_cap[oc_loc] < 1)).sum(axis=1)
    if int_pen:
        no_interp = ca.needs_interpreter[oc_case] & ~(ca.speaks[oc_case] & (la.interpreter_cap[oc_loc] > 0)).any(
            axis=1)
        value -= int_pen * no_interp
    return value


def option_values(policy: Policy, ctx: ScoringContext, pair_score: SparsePairs, items: list[np.ndarray],
                  options: Options, placement_weight: np.ndarray, prev_loc: np.ndarray) -> np.ndarray:
    """The value of each option: placing its item first (``placement_weight``), then its families' values
    (:func:`_case_values`: scores, staying at `prev_loc`, soft-rule penalties), summed over a linked group."""
    opt_item, opt_bin, n_opt = options.item, options.bin, options.n_single
    O = len(opt_item)
    sizes = np.array([len(m) for m in items], dtype=np.int64)
    item_start = np.concatenate([[0], np.cumsum(sizes)])
    flat_cases = np.concatenate(items) if len(items) else np.array([], dtype=np.int64)
    opt_value = np.empty(O)
    # A single family's options: its own value, CHUNK options at a time (at national size each temporary over
    # every option would be fresh memory).
    for a in range(0, n_opt, CHUNK):
        single_item = opt_item[a : min(n_opt, a + CHUNK)]
        opt_value[a : a + len(single_item)] = placement_weight[single_item] + _case_values(
            policy, ctx, pair_score, prev_loc, flat_cases[item_start[single_item]], opt_bin[a : a + len(single_item)])
    # A linked group's options: expanded to (option, case) rows, summed over the group's families.
    group_item = opt_item[n_opt:]
    reps = sizes[group_item]
    oc_opt = np.repeat(np.arange(O - n_opt), reps)
    first_row = np.repeat(np.cumsum(reps) - reps, reps)
    oc_case = flat_cases[np.repeat(item_start[group_item], reps) + np.arange(len(oc_opt)) - first_row]
    opt_value[n_opt:] = placement_weight[group_item] + np.bincount(
        oc_opt, weights=_case_values(policy, ctx, pair_score, prev_loc, oc_case, opt_bin[n_opt:][oc_opt]),
        minlength=O - n_opt)
    return opt_value


class _LocalRows:
    """The resource rows under construction, with the options sorted by locality: most rows are one per
    locality, and their entries come from the options in that order."""

    def __init__(self, policy: Policy, options: Options, item_of_case: np.ndarray, n_items: int, n_bins: int) -> None:
        self.policy = policy
        self.opt_item, self.opt_bin = options.item, options.bin
        self.item_of_case, self.n_items = item_of_case, n_items
        O = len(self.opt_item)
        self.rows = _Rows(O)
        self.loc_bins = np.arange(n_bins)
        self.col_type = np.int32 if np.iinfo(np.int32).max > O else np.int64
        self.by_bin = np.argsort(self.opt_bin, kind="stable").astype(self.col_type)
        self.bin_sorted, self.item_sorted = self.opt_bin[self.by_bin], self.opt_item[self.by_bin]

    def per_item(self, values: np.ndarray) -> np.ndarray:
        """Item-level quantities, summed over the item's families."""
        return _per_item(values, self.item_of_case, self.n_items)

    def at_loc(self, item_uses: np.ndarray) -> np.ndarray:
        """Positions in ``by_bin`` of the options whose item uses the resource."""
        return np.flatnonzero(item_uses[self.item_sorted])

    def by_area(self, area_of_bin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The options sorted by the area of their locality, and that area."""
        order = np.argsort(area_of_bin[self.opt_bin], kind="stable").astype(self.col_type)
        return order, area_of_bin[self.opt_bin[order]]

    def per_loc(self, resource: str, rule: str, item_qty: np.ndarray, cap: np.ndarray) -> None:
        """One row per locality: the items' quantity `item_qty` within `cap`, if the rule is on."""
        if not _rule_on(self.policy, rule):
            return
        uses = item_qty != 0
        qty = item_qty.astype(float)
        rows, penalty = self.rows, _penalty(self.policy, rule)
        if uses.all():  # every option: no selection to copy (persons, cases, GP, most housing rows)
            rows.add(resource, rule, penalty, self.by_bin, self.bin_sorted, rows.staged(qty, self.item_sorted), cap,
                     self.loc_bins)
        else:
            e = self.at_loc(uses)
            rows.add(resource, rule, penalty, self.by_bin[e], self.bin_sorted[e],
                     rows.staged(qty, self.item_sorted[e]), cap, self.loc_bins)


def resource_rows(policy: Policy, ctx: ScoringContext, options: Options, item_of_case: np.ndarray,
                  n_items: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The resource rows ``A @ x <= rhs`` of the model over the options, with each row's penalty (infinite when
    hard), resource, locality (-1 across localities) and rule: capacities per commune, interpreters, housing
    (Hall's condition), jobs, budgets and the balance between areas. Rows that cannot bind are left out."""
    la = ctx.localities
    lr = _LocalRows(policy, options, item_of_case, n_items, la.n)
    implied = _implied_person_limits(policy, la)
    _capacity_rows(lr, ctx, implied)
    _interpreter_rows(lr, ctx, options)
    _housing_rows(lr, ctx)
    _job_rows(lr, ctx)
    _budget_rows(lr, ctx, implied)
    _balance_rows(lr, ctx)
    return lr.rows.build()


def _implied_person_limits(policy: Policy, la: LocalityArrays) -> dict[str, np.ndarray]:
    """Per commune, whether the persons, GP or budget row is implied by a tighter one (left out there).

    Consent, GP and budget rows count the same persons (the budget at a cost per person): where they are all
    hard, only the tightest can bind at a commune, so the others are left out there (exact)."""
    cost = _budget_cost(la)
    person_limits: dict[str, np.ndarray] = {}
    for name, rule_name, limit in (
        ("persons", "consent_persons", la.max_persons.astype(float)),
        ("gp", "gp", la.gp.astype(float)),
        ("budget", "budget", np.where(cost > 0, np.floor(np.floor(la.budget) / np.where(cost > 0, cost, 1.0)
                                                          + 1e-9), np.inf)),
    ):
        if _rule_on(policy, rule_name) and _rule_hard(policy, rule_name):
            person_limits[name] = limit
    tightest = np.full(la.n, np.inf)
    implied_limit: dict[str, np.ndarray] = {}
    for name, limit in person_limits.items():  # ties go to the first
        implied_limit[name] = limit >= tightest
        tightest = np.minimum(tightest, limit)
    for name, limit in person_limits.items():
        implied_limit[name] |= limit > tightest
    return implied_limit


def _unless_implied(implied: dict[str, np.ndarray], name: str, cap: np.ndarray) -> np.ndarray:
    """`cap`, infinite at the communes where the row `name` is implied by a tighter one."""
    return np.where(implied[name], np.inf, cap) if name in implied else cap


def _capacity_rows(lr: _LocalRows, ctx: ScoringContext, implied: dict[str, np.ndarray]) -> None:
    """The rows of one quantity per commune: persons, families, GP, school seats, French classes, services."""
    ca, la, vocab = ctx.cases, ctx.localities, ctx.vocab
    item_persons = lr.per_item(ca.persons)
    lr.per_loc("persons", "consent_persons", item_persons, _unless_implied(implied, "persons", la.max_persons))
    lr.per_loc("cases", "consent_cases", lr.per_item(np.ones(len(ca.persons), dtype=np.int64)), la.max_cases)
    lr.per_loc("gp", "gp", item_persons, _unless_implied(implied, "gp", la.gp))
    lr.per_loc("creche", "schools", lr.per_item(ca.children_0_2), la.creche)
    lr.per_loc("primary", "schools", lr.per_item(ca.children_3_10), la.primary)
    lr.per_loc("secondary", "schools", lr.per_item(ca.children_11_17), la.secondary)
    lr.per_loc("french_class", "french_classes", lr.per_item(ca.french_need), la.french_seats)
    svc_need = lr.per_item(ca.services.astype(np.int64))
    for s, code in enumerate(vocab.services):
        cap = np.where(la.service_cap[:, s] >= 1, la.service_cap[:, s], np.inf)
        lr.per_loc(f"service:{code}", "health_services", svc_need[:, s], cap)


def _interpreter_rows(lr: _LocalRows, ctx: ScoringContext, options: Options) -> None:
    """One row per language and commune: the options that use an interpreter of that language there."""
    la, vocab = ctx.localities, ctx.vocab
    if not (_rule_on(lr.policy, "interpreters") and len(vocab.languages)):
        return
    ol_a, _ob, olang_a = options.interp_uses
    opt_bin = options.bin
    for k, code in enumerate(vocab.languages):
        sel = olang_a == k
        if sel.any():
            opts_k, counts = np.unique(ol_a[sel], return_counts=True)
            order = np.argsort(opt_bin[opts_k], kind="stable")
            lr.rows.add(f"interpreter:{code}", "interpreters", _penalty(lr.policy, "interpreters"), opts_k[order],
                        opt_bin[opts_k[order]], counts[order].astype(float), la.interpreter_cap[:, k], lr.loc_bins)


def _housing_rows(lr: _LocalRows, ctx: ScoringContext) -> None:
    """Exact housing fit without unit variables: Hall's condition for families that fit any unit at least as
    large (and step-free where needed). A family set's possible units are determined by the smallest need k0
    among families that accept any unit and k1 among those needing step-free units."""
    if not _rule_on(lr.policy, "housing"):
        return
    ca, la = ctx.cases, ctx.localities
    B = la.units.shape[1] - 1
    need_b = np.minimum(ca.bedrooms, B + 1)
    hall = [(k0, k1) for k0 in range(1, B + 2) for k1 in range(1, min(k0, B + 1) + 1)
            if not (k1 == k0 and k0 == B + 1)]
    caps = np.array([la.units_at_least(k0, False) + (la.units_at_least(k1, True) - la.units_at_least(k0, True))
                     for k0, k1 in hall], dtype=float)
    # Row (k0, k1) counts every family that row (j0, j1) counts when j0 <= k0 and j1 <= k1, so it is implied
    # where the smaller row's capacity is no larger: leave it out (exact, and most of the nonzeros).
    implied = np.zeros_like(caps, dtype=bool)
    for a, (j0, j1) in enumerate(hall):
        for b, (k0, k1) in enumerate(hall):
            if a != b and j0 <= k0 and j1 <= k1:
                implied[b] |= caps[a] <= caps[b]
    for h, (k0, k1) in enumerate(hall):
        qty = (~ca.step_free & (need_b >= k0)) + (ca.step_free & (need_b >= k1))
        lr.per_loc(f"housing:{k0}:{k1}", "housing", lr.per_item(qty.astype(np.int64)),
                   np.where(implied[h], np.inf, caps[h]))


def _job_rows(lr: _LocalRows, ctx: ScoringContext) -> None:
    """One row per sector and commune with vacancies: the working-age adults of the sector (those licensed,
    where its jobs need a driving licence)."""
    ca, la, vocab = ctx.cases, ctx.localities, ctx.vocab
    if not (_rule_on(lr.policy, "jobs") and len(vocab.sectors)):
        return
    sa, sl = lr.per_item(ca.sector_adults), lr.per_item(ca.sector_licensed)
    for s, code in enumerate(vocab.sectors):
        e = lr.at_loc((sa[:, s] != 0) | (sl[:, s] != 0))
        b, g = lr.bin_sorted[e], lr.item_sorted[e]
        coef = np.where(la.job_needs_licence[b, s], sl[g, s], sa[g, s])
        cap = np.where(la.vacancies[:, s] > 0, la.vacancies[:, s], np.inf).astype(float)
        lr.rows.add(f"jobs:{code}", "jobs", _penalty(lr.policy, "jobs"), lr.by_bin[e], b, coef, cap, lr.loc_bins)


def _budget_rows(lr: _LocalRows, ctx: ScoringContext, implied: dict[str, np.ndarray]) -> None:
    """The cost of the persons placed: within each commune's budget, and within each region's budget."""
    policy, ca, la, vocab = lr.policy, ctx.cases, ctx.localities, ctx.vocab
    cost = _budget_cost(la)
    item_persons = lr.per_item(ca.persons)
    if _rule_on(policy, "budget"):
        e = lr.at_loc(item_persons != 0)
        lr.rows.add("budget", "budget", _penalty(policy, "budget"), lr.by_bin[e], lr.bin_sorted[e],
                    item_persons[lr.item_sorted[e]] * cost[lr.bin_sorted[e]],
                    _unless_implied(implied, "budget", np.floor(la.budget)), lr.loc_bins)
    if _rule_on(policy, "regional_budget") and policy.regional_budgets:
        order, region = lr.by_area(la.region)
        lr.rows.add("regional_budget", "regional_budget", _penalty(policy, "regional_budget"), order, region,
                    item_persons[lr.opt_item[order]] * cost[lr.opt_bin[order]],
                    np.floor(_regional_budget_of_region(policy, vocab)[:-1]), np.full(len(vocab.regions), -1))


def _balance_rows(lr: _LocalRows, ctx: ScoringContext) -> None:
    """The share of the persons placed in each area (region or département) within the target's tolerance:
    shares of the persons who can be placed somewhere at all, so that the impossible do not count."""
    policy = lr.policy
    area, share, names = _area_targets(policy, ctx.localities, ctx.vocab)
    if not (_rule_on(policy, "balance") and policy.balance.level != "none" and len(names) > 1):
        return
    item_persons = lr.per_item(ctx.cases.persons)
    placeable = np.zeros(lr.n_items, dtype=bool)
    placeable[lr.opt_item] = True
    total = float(item_persons[placeable].sum())
    tol = policy.balance.tolerance
    order, area_of_opt = lr.by_area(area)
    qty = item_persons[lr.opt_item[order]].astype(float)
    no_bin = np.full(len(names), -1)
    lr.rows.add("balance_max", "balance", _penalty(policy, "balance"), order, area_of_opt, qty,
                np.floor((share + tol) * total), no_bin)
    low = np.ceil((share - tol) * total)
    lr.rows.add("balance_min", "balance", _penalty(policy, "balance"), order, area_of_opt, -qty,
                np.where(low > 0, -low, np.inf), no_bin)


def _rule_conflicts(problem: Problem, pinned: np.ndarray) -> tuple[list[str], list[bool], list[int]]:
    """Hard rules that contradict each other for a family or a linked group, as the smallest set in words (ids
    capped to the first few), whether each tells a health need, and the item each concerns."""
    out: list[str] = []
    sensitive: list[bool] = []
    of_item: list[int] = []
    last = -1
    cases, la = problem.cases, problem.ctx.localities
    ca = problem.ctx.cases
    model = problem.model
    has_option = np.zeros(model.n_items, dtype=bool)
    has_option[model.opt_item] = True
    for g, members in enumerate(problem.items):
        if has_option[g] or not model.must_place[g]:
            continue
        of_item += [last] * (len(out) - len(of_item))  # the lines of the item before
        last = g
        ids = [cases[c].case_id for c in members]
        pins = {int(pinned[c]) for c in members if pinned[c] >= 0}
        if len(pins) > 1:
            where = [f"{cases[c].case_id} to {la.names[pinned[c]]}" for c in members if pinned[c] >= 0]
            shown = "; ".join(where[:MAX_NAMED]) + ("; ..." if len(where) > MAX_NAMED else "")
            out.append(f"linked families {some_ids(ids)} are pinned to different communes ({shown})")
            sensitive.append(False)
            continue
        if pins:
            lo = pins.pop()
            for c in members:
                ci = np.array([c])
                rules = [r for r in problem.pair_rules if r.name != "pin" and r.blocked(ci)[0, lo]]
                if rules:
                    pinned_ids = [cases[p].case_id for p in members if pinned[p] == lo]
                    who = ("its own pin" if cases[c].case_id in pinned_ids
                           else f"the pin of linked family {some_ids(pinned_ids)}")
                    why = "; ".join(str(r.why(int(c), lo)) for r in rules)
                    out.append(f"{cases[c].case_id} must go to {la.names[lo]} ({who}) but: {why}")
                    sensitive.append(any(r.name == "health_services" or (r.name == "housing" and ca.step_free[c])
                                         for r in rules))
            continue
        if len(members) > 1:
            common = problem.candidate[members].all(axis=0)
            if not common.any():
                out.append(f"linked families {some_ids(ids)} have no commune that every one of them can take")
                sensitive.append(False)
                continue
        out.append(f"{some_ids(ids)} must be placed but no commune can take {'them' if len(ids) > 1 else 'it'}")
        sensitive.append(False)
    of_item += [last] * (len(out) - len(of_item))
    return out, sensitive, of_item


#: The capacities of the resource rows in the pin diagnosis's words (``{}``: the rest of the row's name).
CAPACITY_WORDS = {
    "persons": "persons agreed", "cases": "families agreed", "gp": "GP capacity (persons)",
    "creche": "crèche seats", "primary": "primary school seats", "secondary": "secondary school seats",
    "french_class": "French class seats", "budget": "budget (euros)", "regional_budget": "regional budget (euros)",
    "balance_max": "share of the persons placed (persons)", "service": "{} capacity (families)",
    "interpreter": "interpreting in {} (families)", "jobs": "{} vacancies (adults)",
    "housing": "housing units with {} bedrooms or more",
}


def unfit_pins(problem: Problem) -> tuple[dict[int, str], list[PinDiagnosis]]:
    """The pins that cannot all be kept, before any search: those that break a hard rule for their family
    (:func:`_rule_conflicts`), then, in the order the pins were made, each pinned family whose needs at its commune
    (the least of its options, per hard capacity row) would take a capacity past its limit with the earlier pins
    that fit. Returns the families whose pins do not fit (case index -> why) and the diagnosis."""
    unfit: dict[int, str] = {}
    diagnosis: list[PinDiagnosis] = []
    pinned_items = [int(problem.item_of_case[problem.case_index[c]]) for c, lid in problem.pins.items()
                    if c in problem.case_index and lid in problem.loc_index]
    ruled = set()
    for text, sensitive, g in zip(problem.conflicts, problem.conflicts_sensitive, problem.conflict_items,
                                  strict=True):
        members = _pinned_members(problem, g)
        if members:
            ruled.add(g)
            unfit.update({c: text for c in members})
            diagnosis.append(PinDiagnosis(text, pinned=tuple(problem.cases[c].case_id for c in members),
                                          dropped=tuple(problem.cases[c].case_id for c in members),
                                          sensitive=sensitive))
    order = [g for g in dict.fromkeys(pinned_items) if g not in ruled]
    for d in _capacity_overflows(problem, order):
        diagnosis.append(d)
        dropped = {problem.case_index[c] for c in d.dropped}
        unfit.update({c: d.text for c in dropped if c not in unfit})
    return unfit, diagnosis


def _pinned_members(problem: Problem, g: int) -> list[int]:
    """The members of item g that the coordinator pinned."""
    return [int(c) for c in problem.items[g] if problem.cases[int(c)].case_id in problem.pins
            and problem.pins[problem.cases[int(c)].case_id] in problem.loc_index]


def _least_need(A: sp.csc_matrix, opts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows an item uses whichever of its options `opts` it takes, with the least it uses of each."""
    rows = [A.indices[A.indptr[o] : A.indptr[o + 1]] for o in opts]
    vals = [A.data[A.indptr[o] : A.indptr[o + 1]] for o in opts]
    if len(opts) == 1:
        return rows[0], vals[0]
    common = set(rows[0].tolist()).intersection(*(set(r.tolist()) for r in rows[1:]))
    least = {r: min(float(v[list(rr).index(r)]) for rr, v in zip(rows, vals, strict=True)) for r in common}
    keys = np.array(sorted(least), dtype=np.int64)
    return keys, np.array([least[r] for r in keys.tolist()])


def _capacity_overflows(problem: Problem, order: list[int]) -> list[PinDiagnosis]:
    """Each hard capacity row that the pinned items of `order` (in that order) exceed together, with the items
    that do not fit: an item fits when its least need, added to the items kept before it, stays within every
    hard row."""
    model = problem.model
    A = model.columns()
    hard = ~np.isfinite(model.penalty)
    by_item = np.argsort(model.opt_item, kind="stable")
    starts = np.searchsorted(model.opt_item[by_item], np.arange(model.n_items + 1))
    used, total = np.zeros(model.n_rows), np.zeros(model.n_rows)
    in_row: dict[int, list[int]] = defaultdict(list)
    out_row: dict[int, list[int]] = defaultdict(list)
    for g in order:
        rows, vals = _least_need(A, by_item[starts[g] : starts[g + 1]])
        keep = hard[rows] & (vals > 0)
        rows, vals = rows[keep], vals[keep]
        total[rows] += vals
        for r in rows.tolist():
            in_row[r].append(g)
        over = used[rows] + vals > model.rhs[rows] + 1e-9
        if over.any():
            for r in rows[over].tolist():
                out_row[r].append(g)
        else:
            used[rows] += vals
    return [_overflow(problem, r, in_row[r], out_row[r], total[r]) for r in sorted(out_row)]


def _overflow(problem: Problem, r: int, items: list[int], dropped: list[int], needed: float) -> PinDiagnosis:
    """The diagnosis of one hard row that the pinned `items` exceed, `dropped` not fitting."""
    model, la = problem.model, problem.ctx.localities
    resource = str(model.row_resource[r])
    lo = int(model.opt_bin[np.flatnonzero(model.opt_item == items[0])[0]])
    if model.row_bin[r] >= 0:
        place, lid = f"{la.names[model.row_bin[r]]} ({la.ids[model.row_bin[r]]})", str(la.ids[model.row_bin[r]])
    else:
        place, lid = _area_name(problem, resource, lo), ""
    kind, _sep, rest = resource.partition(":")
    words = CAPACITY_WORDS.get(kind, resource).format(rest.split(":")[0] if kind == "housing" else rest)
    pinned = tuple(problem.cases[c].case_id for g in items for c in _pinned_members(problem, g))
    gone = tuple(problem.cases[c].case_id for g in dropped for c in _pinned_members(problem, g))
    text = (f"{place}: {words}: the {len(pinned)} families pinned there need {_figure(needed)}, the capacity is "
            f"{_figure(float(model.rhs[r]))}; the pins that do not fit (the last made): {some_ids(list(gone))}")
    step_free = problem.ctx.cases.step_free
    sensitive = kind == "service" or (kind == "housing" and any(
        step_free[c] for g in items for c in problem.items[g]))
    return PinDiagnosis(text, place=place, locality_id=lid, resource=resource, needed=float(needed),
                        capacity=float(model.rhs[r]), pinned=pinned, dropped=gone, sensitive=bool(sensitive))


def _area_name(problem: Problem, resource: str, lo: int) -> str:
    """The area of a row across communes (a regional budget, a balance share) that commune lo belongs to."""
    la, vocab = problem.ctx.localities, problem.ctx.vocab
    if resource == "regional_budget":
        return str(vocab.regions[la.region[lo]])
    area, _targets, names = _area_targets(problem.policy, la, vocab)
    return str(names[area[lo]])


def _figure(x: float) -> str:
    """A figure of the diagnosis: whole numbers with thousands separators, others to two decimals."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


#: Pins named in a conflict between linked families before "...".
MAX_NAMED = 3
#: Ids named in a reason before it says how many more there are ("linked with 499 families (C1, C2, C3, ...)").
MAX_IDS = 3


def some_ids(ids: list[str]) -> str:
    """Ids for a reason, capped: ``C2, C3`` or ``499 families (C2, C3, C4, ...)``."""
    if len(ids) <= MAX_IDS:
        return ", ".join(ids)
    return f"{len(ids)} families ({', '.join(ids[:MAX_IDS])}, ...)"


def sha256_of_files(*paths: object) -> str:
    """A hash of input files or folders, for provenance."""
    import hashlib
    from pathlib import Path

    h = hashlib.sha256()
    for p in paths:
        path = Path(str(p))
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in files:
            if f.is_file():
                h.update(f.name.encode())
                h.update(f.read_bytes())
    return h.hexdigest()
