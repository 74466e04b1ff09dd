"""The greedy first plan: the same plan as the plain per-option loop it replaced."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import instances

from matcher.engine.heuristic import greedy_plan
from matcher.engine.model import AssignmentModel
from matcher.models import Mode, Policy
from matcher.problem import build_problem


def reference_greedy(model: AssignmentModel, guide: np.ndarray | None, prices: np.ndarray | None,
                     start: np.ndarray | None) -> np.ndarray:
    """The greedy spelled out option by option (the engine's former implementation)."""
    O, G = model.n_options, model.n_items
    guide = np.zeros(O) if guide is None else guide
    prices = np.zeros(model.n_rows) if prices is None else prices
    A = model.A.tocsc()
    net = model.opt_value - A.T @ prices
    rem = model.rhs.astype(float).copy()
    hard = ~np.isfinite(model.penalty)
    pen = np.where(hard, 0.0, model.penalty)
    choice = np.full(G, -1, dtype=np.int64)
    order = np.lexsort((-net, -np.round(guide, 6), model.opt_item))
    starts = np.searchsorted(model.opt_item[order], np.arange(G + 1))
    confidence = np.zeros(G)
    np.maximum.at(confidence, model.opt_item, guide)
    best_net = np.full(G, -np.inf)
    np.maximum.at(best_net, model.opt_item, net)
    item_order = np.lexsort((-best_net, -confidence, ~model.must_place))

    def try_take(o: int, must: bool) -> bool:
        rows, vals = A.indices[A.indptr[o] : A.indptr[o + 1]], A.data[A.indptr[o] : A.indptr[o + 1]]
        after = rem[rows] - vals
        if (after[hard[rows]] < -1e-9).any():
            return False
        over = np.maximum(0.0, -after) - np.maximum(0.0, -rem[rows])
        if not must and model.opt_value[o] - (pen[rows] * over).sum() <= 0:
            return False
        rem[rows] = after
        return True

    def best_fit(g: int) -> None:
        for o in order[starts[g] : starts[g + 1]]:
            if try_take(int(o), bool(model.must_place[g])):
                choice[g] = o
                return

    for g in item_order[model.must_place[item_order]]:
        o = -1 if start is None else int(start[g])
        if o >= 0 and try_take(o, True):
            choice[g] = o
        else:
            best_fit(int(g))
    if start is not None:
        for g in item_order:
            if choice[g] < 0 and start[g] >= 0 and try_take(int(start[g]), True):
                choice[g] = start[g]
    for g in item_order:
        if choice[g] < 0:
            best_fit(int(g))
    return choice


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=8, max_localities=4), st.integers(0, 2**31 - 1), st.booleans(), st.booleans(),
       st.booleans())
def test_greedy_is_the_per_option_loop(ds, seed, with_guide, with_prices, with_start):
    """With or without an LP guide, prices and a previous plan, the vectorised greedy picks what the plain loop
    picks, option for option."""
    model = build_problem(ds, Policy()).model
    rng = np.random.default_rng(seed)
    # Coarse guides so that ties between options are common.
    guide = rng.integers(0, 3, model.n_options) / 2.0 if with_guide else None
    prices = rng.random(model.n_rows) * 0.5 if with_prices else None
    start = None
    if with_start:
        start = np.full(model.n_items, -1, dtype=np.int64)
        for g, opts in enumerate(model.options_of()):
            if len(opts) and rng.random() < 0.7:
                start[g] = opts[rng.integers(len(opts))]
    got = greedy_plan(model, guide, prices, start)
    assert np.array_equal(got, reference_greedy(model, guide, prices, start))


def test_items_go_in_order_of_their_best_value_not_of_their_most_guided_option():
    """Of two items the LP is equally sure of, the one with the more valuable best option goes first, even when
    the LP guides it to another option: here it takes the contested bin and the other item stays out."""
    import scipy.sparse as sp

    # Options: A at bin 0 (value 1, LP 1), A at bin 1 (value 10, LP 0), B at bin 0 (value 5, LP 1); one seat a bin.
    A = sp.csr_matrix(np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))
    model = AssignmentModel(
        n_items=2, n_bins=2, opt_item=np.array([0, 0, 1]), opt_bin=np.array([0, 1, 0]),
        opt_value=np.array([1.0, 10.0, 5.0]), must_place=np.zeros(2, dtype=bool), A=A, rhs=np.array([1.0, 1.0]),
        penalty=np.full(2, np.inf), row_resource=np.array(["cases", "cases"], dtype=object), row_bin=np.array([0, 1]),
        row_rule=np.array(["consent_cases"] * 2, dtype=object))
    guide = np.array([1.0, 0.0, 1.0])
    assert list(greedy_plan(model, guide)) == [0, -1]
    assert list(reference_greedy(model, guide, None, None)) == [0, -1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=10, max_localities=4), st.integers(0, 2**31 - 1), st.sampled_from(["hard", "soft"]))
def test_batched_and_item_by_item_greedy_agree(ds, seed, balance):
    """The batches (options checked at once, then tried in order against what the items before took) give the
    plan of the item-by-item loop, whether the rows allow them (one sign per row: the usual models) or not (a
    hard minimum share per area has negative entries, and the loop is used as it is)."""
    from matcher.engine import heuristic

    policy = Policy()
    policy.rules.balance.mode = Mode.HARD if balance == "hard" else Mode.SOFT
    model = build_problem(ds, policy).model
    rng = np.random.default_rng(seed)
    guide = rng.integers(0, 3, model.n_options) / 2.0
    assert np.array_equal(greedy_plan(model, guide), reference_greedy(model, guide, None, None))
    if balance == "soft":
        assert heuristic._monotone(model)


def test_a_hard_minimum_share_turns_the_batches_off():
    """Rows with negative entries that must hold (a minimum share) could let an option fit later that did not
    fit earlier: the greedy then goes item by item."""
    import scipy.sparse as sp

    from matcher.engine import heuristic

    A = sp.csr_matrix(np.array([[1.0, 1.0], [-1.0, -1.0]]))
    base = dict(n_items=2, n_bins=1, opt_item=np.array([0, 1]), opt_bin=np.array([0, 0]),
                opt_value=np.array([1.0, 1.0]), must_place=np.zeros(2, dtype=bool), A=A, rhs=np.array([2.0, -1.0]),
                row_resource=np.array(["cases", "balance_min"], dtype=object), row_bin=np.array([0, -1]))
    assert heuristic._monotone(AssignmentModel(**base, penalty=np.array([np.inf, 1.0])))
    assert not heuristic._monotone(AssignmentModel(**base, penalty=np.array([np.inf, np.inf])))
