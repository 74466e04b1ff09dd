"""The steps of `build_problem`, each on a small hand-checkable dataset: the scoring context, the pins, the
candidate mask, the items, the options, their values and the resource rows."""

from __future__ import annotations

import numpy as np
from factories import commune, data, family

from matcher.models import Mode, Policy
from matcher.problem import (
    build_problem,
    candidate_mask,
    link_items,
    make_options,
    option_values,
    pinned_localities,
    placement_weights,
    resource_rows,
    scoring_context,
)
from matcher.scoring import pair_scores
from matcher.scoring.context import SparsePairs


def small():
    """Three communes, four families: A prefers 2 then 1 and excludes 0; B and C are linked; D needs an Arabic
    or Dari interpreter, offered with a limited capacity at communes 1 and 2 (both languages at 2)."""
    cases = [family("A", (30,), preferred_locality_ids=("2", "1", "nowhere"), excluded_locality_ids=("0",)),
             family("B", (30, 28), linked_case_ids=("C",)),
             family("C", (40,), excluded_locality_ids=("1",)),
             family("D", (30,), french="none", languages=("ar", "prs"))]
    communes = [commune("0", units={1: 3, 2: 3}, max_persons=10, gp_capacity=20),
                commune("1", units={1: 3, 2: 3}, max_persons=10, gp_capacity=4, interpreters={"ar": 2}),
                commune("2", units={1: 3, 2: 3}, max_persons=3, gp_capacity=20, interpreters={"ar": 1, "prs": 1})]
    return data(cases, communes)


def indexes(ds):
    cases, localities = list(ds.cases), list(ds.localities)
    return (cases, localities, {c.case_id: i for i, c in enumerate(cases)},
            {lo.locality_id: i for i, lo in enumerate(localities)})


def steps(ds, policy=None, pins=None, forbids=()):
    """Every step up to the options, as build_problem runs them."""
    policy = policy or Policy()
    cases, localities, ci, li = indexes(ds)
    ctx = scoring_context(cases, localities, policy, ci, li)
    pinned = pinned_localities(pins or {}, ci, li)
    candidate, rules = candidate_mask(policy, ctx, cases, ci, li, forbids, pinned)
    items, item_of_case = link_items(cases, ci, policy)
    pc, pl = np.nonzero(candidate)
    options = make_options(policy, ctx, candidate, items, pc, pl)
    return policy, ctx, candidate, rules, items, item_of_case, options


def test_the_scoring_context_keeps_the_preferences_of_known_communes_only():
    ds = small()
    cases, localities, ci, li = indexes(ds)
    ctx = scoring_context(cases, localities, Policy(), ci, li)
    assert ctx.cases.persons.tolist() == [1, 2, 1, 1]
    assert ctx.preference_count.tolist() == [2, 0, 0, 0]  # "nowhere" is not a commune
    rank = ctx.preference_rank.lookup(np.array([0, 0, 0]), np.array([2, 1, 0]), 3, default=-1)
    assert rank.tolist() == [0, 1, -1]


def test_pins_name_a_commune_per_family_and_unknown_ids_are_ignored():
    _, _, ci, li = indexes(small())
    pinned = pinned_localities({"B": "2", "X": "1", "D": "unknown"}, ci, li)
    assert pinned.tolist() == [-1, 2, -1, -1]


def test_the_candidate_mask_drops_excluded_forbidden_and_pinned_elsewhere_pairs():
    ds = small()
    _, _, candidate, rules, *_ = steps(ds, pins={"D": "2"}, forbids={("A", "1"), ("X", "1")})
    assert {"pin", "forbid", "exclusions", "interpreters"} <= {r.name for r in rules}
    assert candidate[0].tolist() == [False, False, True]  # A: excluded from 0, forbidden at 1
    assert candidate[2].tolist() == [True, False, True]  # C: excluded from 1
    assert candidate[3].tolist() == [False, False, True]  # D: pinned to 2 (and no interpreter at 0)


def test_linked_families_make_one_item_unless_links_are_off():
    ds = small()
    cases, _, ci, _ = indexes(ds)
    items, item_of_case = link_items(cases, ci, Policy())
    assert [m.tolist() for m in items] == [[0], [1, 2], [3]]
    assert item_of_case.tolist() == [0, 1, 1, 2]
    off = Policy()
    off.rules.links.mode = Mode.OFF
    items, _ = link_items(cases, ci, off)
    assert [m.tolist() for m in items] == [[0], [1], [2], [3]]


def test_options_per_commune_and_per_interpreter_language_where_it_is_limited():
    options = steps(small())[-1]
    pairs = sorted(zip(options.item.tolist(), options.bin.tolist(), strict=True))
    # A at 1 and 2; the linked B+C only where both can go (0 and 2); D at 1 (Arabic) and at 2 once per language.
    assert pairs == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 1), (2, 2), (2, 2)]
    assert options.n_single == 5  # the single families first
    opt, case, lang = options.interp_uses
    assert case.tolist() == [3, 3, 3] and sorted(options.bin[opt].tolist()) == [1, 2, 2]
    assert len(set(zip(opt.tolist(), lang.tolist(), strict=True))) == 3


def test_placement_weights_put_placing_first_and_sum_over_a_linked_group():
    policy, ctx, _, _, items, item_of_case, _ = steps(small())
    weight, big = placement_weights(policy, ctx.cases, item_of_case, len(items))
    assert big == 4 * (1.0 + policy.objective.stability_weight) + 1.0
    assert weight.tolist() == [big * 1, big * 3, big * 1]  # priority weight 1: persons times the big weight


def test_option_values_add_the_score_and_the_stability_bonus_at_the_previous_commune():
    policy, ctx, candidate, _, items, item_of_case, options = steps(small())
    pc, pl = np.nonzero(candidate)
    pair_score = SparsePairs.build(pc, pl, pair_scores(ctx, pc, pl, policy), 3)
    weight, _ = placement_weights(policy, ctx.cases, item_of_case, len(items))
    stay = np.array([2, -1, -1, -1])  # A was at commune 2
    values = option_values(policy, ctx, pair_score, items, options, weight, stay)
    moved = option_values(policy, ctx, pair_score, items, options, weight, np.full(4, -1))
    at_2 = (options.item == 0) & (options.bin == 2)
    assert np.allclose(values - moved, np.where(at_2, policy.objective.stability_weight, 0.0))
    a_at_1 = int(np.flatnonzero((options.item == 0) & (options.bin == 1))[0])
    score = pair_score.lookup(np.array([0]), np.array([1]), 3, default=0.0)[0]
    assert np.isclose(moved[a_at_1], weight[0] + score)
    group = np.flatnonzero(options.item == 1)  # B + C: both families' scores
    both = pair_score.lookup(np.array([1, 2]), np.array([0, 0]), 3, default=0.0).sum()
    assert np.isclose(moved[group[options.bin[group] == 0][0]], weight[1] + both)


def test_resource_rows_cap_each_commune_and_leave_out_the_rows_a_tighter_one_implies():
    policy, ctx, _, _, items, item_of_case, options = steps(small())
    A, rhs, penalty, resource, row_bin, rule = resource_rows(policy, ctx, options, item_of_case, len(items))
    assert A.shape == (len(rhs), len(options.item))
    rows = {(str(r), int(b)): k for k, (r, b) in enumerate(zip(resource, row_bin, strict=True))}
    # Commune 2 takes 3 persons (its persons row binds: B+C and A and D make 5); its GP row (20) cannot bind.
    persons_2 = rows[("persons", 2)]
    assert rhs[persons_2] == 3 and not np.isfinite(penalty[persons_2])
    assert A[persons_2].toarray().ravel().tolist() == [
        [1.0, 3.0, 1.0][g] if b == 2 else 0.0 for g, b in zip(options.item, options.bin, strict=True)]  # persons
    assert ("gp", 2) not in rows and ("gp", 0) not in rows
    # At commune 1 the GPs (4) are tighter than the consent (10): only the GP row is kept there.
    assert ("persons", 1) not in rows and ("gp", 1) not in rows  # 2 persons at most reach commune 1: no bind
    assert ("interpreter:ar", 2) not in rows  # only D can use it, once: the row cannot bind
    assert set(rule.tolist()) <= {"consent_persons", "consent_cases", "gp", "housing", "schools", "balance"}


def test_build_problem_runs_the_steps_into_one_model():
    ds = small()
    problem = build_problem(ds, Policy(), pins={"D": "2"})
    _, _, candidate, _, _, _, options = steps(ds, pins={"D": "2"})
    assert np.array_equal(problem.candidate, candidate)
    assert np.array_equal(problem.model.opt_item, options.item)
    assert np.array_equal(problem.model.opt_bin, options.bin)
    assert problem.model.must_place.tolist() == [False, False, True]  # D is pinned
    assert problem.conflicts == []
