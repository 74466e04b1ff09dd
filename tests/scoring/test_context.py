"""Sparse per-pair values: building and looking them up."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher.scoring.context as context
from matcher.scoring.context import SparsePairs

pairs = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 6), st.floats(-5, 5)), max_size=40)
queries = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(pairs, queries)
def test_dense_lookup_agrees_with_binary_search(given_pairs, asked):
    """The dense position table gives the same values (the first of equal keys, the default elsewhere) as the
    binary search it replaces, sorted input or not."""
    n_loc = 7
    ci = np.array([p[0] for p in given_pairs], dtype=np.int64)
    li = np.array([p[1] for p in given_pairs], dtype=np.int64)
    values = np.array([p[2] for p in given_pairs], dtype=float)
    qc = np.array([q[0] for q in asked], dtype=np.int64)
    ql = np.array([q[1] for q in asked], dtype=np.int64)
    saved = context.DENSE_LOOKUP_MAX, context.DENSE_LOOKUP_MIN_SHARE
    try:
        context.DENSE_LOOKUP_MIN_SHARE = 0.0
        dense = SparsePairs.build(ci, li, values, n_loc).lookup(qc, ql, n_loc, default=-1.0)
        context.DENSE_LOOKUP_MAX = 0
        searched = SparsePairs.build(ci, li, values, n_loc).lookup(qc, ql, n_loc, default=-1.0)
    finally:
        context.DENSE_LOOKUP_MAX, context.DENSE_LOOKUP_MIN_SHARE = saved
    assert np.array_equal(dense, searched)
    expected = {}
    for c, lo, v in given_pairs:
        expected.setdefault((c, lo), v)  # argsort is stable: the first given of equal pairs
    assert list(dense) == [expected.get((c, lo), -1.0) for c, lo in asked]
