"""The resource rows of the model: built straight into CSR from entries sorted by key."""

from __future__ import annotations

import numpy as np

from matcher.problem import _Rows


def _dense(rows: _Rows) -> tuple[np.ndarray, np.ndarray]:
    A, rhs, *_ = rows.build()
    return A.toarray(), rhs


def test_rows_keep_only_what_can_bind_with_sorted_columns() -> None:
    rows = _Rows(6)
    # Key 0: options 1, 4 (coef 2, 3), reach 5 > 4 -> kept. Key 1: reach 1 <= 1 -> never binds, left out.
    # Key 2: infinite -> left out. Key 3: only a zero coefficient -> left out.
    cols = np.array([1, 4, 0, 2, 5, 3])
    keys = np.array([0, 0, 1, 2, 2, 3])
    coef = np.array([2, 3, 1, 7, 7, 0])
    rows.add("r", "rule", 1.5, cols, keys, coef, np.array([4.0, 1.0, np.inf, 0.0]), np.array([10, 11, 12, 13]))
    # A second resource: key 1 holds a negative coefficient (a lower bound as ``-x <= -1``): reach 0 > -1.
    rows.add("s", "rule2", np.inf, np.array([0, 5, 2]), np.array([0, 1, 1]), np.array([1.0, -1.0, 0.0]),
             np.array([0.5, -1.0]), np.array([-1, -1]))
    A, rhs, penalty, resource, row_bin, rule = rows.build()
    assert A.has_sorted_indices and A.shape == (3, 6)
    np.testing.assert_array_equal(A.toarray(), [[0, 2, 0, 0, 3, 0], [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, -1]])
    A.sort_indices()  # scipy's own check that the claim of sorted columns held
    np.testing.assert_array_equal(A.indices, [1, 4, 0, 5])
    np.testing.assert_array_equal(rhs, [4.0, 0.5, -1.0])
    np.testing.assert_array_equal(penalty, [1.5, np.inf, np.inf])
    assert list(resource) == ["r", "s", "s"] and list(rule) == ["rule", "rule2", "rule2"]
    np.testing.assert_array_equal(row_bin, [10, -1, -1])


def test_rows_match_a_dense_reference_on_random_entries() -> None:
    rng = np.random.default_rng(7)
    n_opt, n_keys = 40, 6
    rows = _Rows(n_opt)
    expected, expected_rhs = [], []
    for _ in range(5):
        cols = np.sort(rng.choice(n_opt, size=25, replace=False))
        keys = rng.integers(0, n_keys, size=25)
        order = np.argsort(keys, kind="stable")
        coef = rng.integers(-1, 4, size=25).astype(float)
        rhs = rng.choice([0.0, 2.0, 5.0, 9.0, np.inf], size=n_keys)
        rows.add("r", "rule", 1.0, cols[order], keys[order], coef[order], rhs, np.arange(n_keys))
        for k in range(n_keys):
            row = np.zeros(n_opt)
            row[cols[keys == k]] = coef[keys == k]
            if np.isfinite(rhs[k]) and row.any() and np.maximum(row, 0).sum() > rhs[k] + 1e-9:
                expected.append(row)
                expected_rhs.append(rhs[k])
    A, rhs_out = _dense(rows)
    np.testing.assert_array_equal(A, np.array(expected).reshape(-1, n_opt))
    np.testing.assert_array_equal(rhs_out, expected_rhs)


def test_staged_rows_and_grown_buffers_give_the_same_matrix() -> None:
    """Coefficients written in place (``staged``), through buffers too small at first, give the rows that plain
    arrays give; so do rows where some keys are dropped or some coefficients are zero."""
    rng = np.random.default_rng(3)
    n_opt, n_keys = 30, 5
    plain, staged = _Rows(n_opt), _Rows(n_opt, capacity=8)
    staged.indices, staged.data = staged.indices[:8], staged.data[:8]  # the smallest buffers, so that they grow
    for _ in range(6):
        cols = np.sort(rng.choice(n_opt, size=20, replace=False))
        keys = rng.integers(0, n_keys, size=20)
        order = np.argsort(keys, kind="stable")
        item_qty = rng.integers(0, 3, size=n_opt)  # zeros: some entries are left out
        rhs = rng.choice([0.0, 1.0, 4.0, np.inf], size=n_keys)
        plain.add("r", "rule", 1.0, cols[order], keys[order], item_qty[cols[order]].astype(float), rhs,
                  np.arange(n_keys))
        staged.add("r", "rule", 1.0, cols[order], keys[order], staged.staged(item_qty, cols[order]), rhs,
                   np.arange(n_keys))
    a, b = plain.build()[0], staged.build()[0]
    assert len(staged.data) > 8 and b.nnz > 8
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)
