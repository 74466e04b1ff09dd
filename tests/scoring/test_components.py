"""Score components: the same values whether pairs are scored at once or in chunks, densely or pair by pair."""

from __future__ import annotations

import numpy as np
import pytest

import matcher.scoring as scoring
from benchmarks.placement import generate
from matcher.models import Policy
from matcher.problem import build_problem
from matcher.scoring import employment, language


@pytest.fixture(scope="module")
def problem():  # type: ignore[no-untyped-def]
    return build_problem(generate(120, 9, 5), Policy())


def _pairs(problem, sort: bool) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    pc, pl = np.nonzero(problem.candidate)
    if not sort:
        order = np.random.default_rng(0).permutation(len(pc))
        pc, pl = pc[order], pl[order]
    return pc, pl


@pytest.mark.parametrize("sort", [True, False])
def test_chunks_give_the_scores_of_one_pass(problem, sort: bool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pc, pl = _pairs(problem, sort)
    whole = scoring.component_scores(problem.ctx, pc, pl)
    monkeypatch.setattr(scoring, "CHUNK", 7)
    chunked = scoring.component_scores(problem.ctx, pc, pl)
    assert whole.keys() == chunked.keys()
    for name in whole:
        assert np.array_equal(whole[name], chunked[name]), name
    policy = Policy()
    expected = sum(policy.weights.as_dict()[k] * v for k, v in whole.items()) / sum(policy.weights.as_dict().values())
    assert np.array_equal(scoring.weighted_score(chunked, policy), expected)


@pytest.mark.parametrize("sort", [True, False])
def test_dense_block_and_pair_by_pair_agree(problem, sort: bool) -> None:  # type: ignore[no-untyped-def]
    """Many pairs go through a product over the cases they span; a few (here, one at a time) pair by pair."""
    pc, pl = _pairs(problem, sort)
    ctx = problem.ctx
    assert (pc.max() - pc.min() + 1) * ctx.localities.n <= 4 * len(pc)  # the dense path is taken
    dense_e, dense_l = employment.employable(ctx, pc, pl), language.interpreter_available(ctx, pc, pl)
    one_e = [employment.employable(ctx, pc[k : k + 1], pl[k : k + 1])[0] for k in range(len(pc))]
    one_l = [language.interpreter_available(ctx, pc[k : k + 1], pl[k : k + 1])[0] for k in range(len(pc))]
    assert np.array_equal(dense_e, one_e) and np.array_equal(dense_l, one_l)
    assert dense_e.any() and dense_l.any() and not dense_l.all()


@pytest.mark.parametrize("sort", [True, False])
def test_pair_scores_in_chunks_are_the_weighted_components(problem, sort: bool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pc, pl = _pairs(problem, sort)
    policy = Policy()
    expected = scoring.weighted_score(scoring.component_scores(problem.ctx, pc, pl), policy)
    monkeypatch.setattr(scoring, "CHUNK", 7)
    assert np.array_equal(scoring.pair_scores(problem.ctx, pc, pl, policy), expected)
    # The problem's pair score is this score, pair for pair.
    assert np.array_equal(problem.pair_score.lookup(pc, pl, problem.candidate.shape[1]), expected)


def test_components_at_are_the_candidates_components_and_zero_elsewhere(problem) -> None:  # type: ignore[no-untyped-def]
    C, L = problem.candidate.shape
    ci, li = np.repeat(np.arange(C), L), np.tile(np.arange(L), C)
    ok = problem.candidate[ci, li]
    assert ok.any() and not ok.all()
    got = problem.components_at(ci, li)
    full = scoring.component_scores(problem.ctx, ci, li)
    assert got.keys() == full.keys()
    for name, v in got.items():
        assert np.array_equal(v[ok], full[name][ok]) and not v[~ok].any(), name


def test_building_in_small_chunks_gives_the_same_problem(problem, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Candidate pairs, pair scores and single families' option values are all computed a chunk at a time: with
    chunks of 7 (cases of a chunk: 7 // 9 localities -> 1 at a time) the problem is the same, array for array."""
    import matcher.problem as problem_module

    monkeypatch.setattr(scoring, "CHUNK", 7)
    monkeypatch.setattr(problem_module, "CHUNK", 7)
    small = build_problem(generate(120, 9, 5), Policy())
    assert np.array_equal(small.candidate, problem.candidate)
    assert np.array_equal(small.pair_score.keys, problem.pair_score.keys)
    assert np.array_equal(small.pair_score.values, problem.pair_score.values)
    a, b = small.model, problem.model
    for name in ("opt_item", "opt_bin", "opt_value", "must_place", "rhs", "penalty", "row_bin", "opt_primary"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.A != b.A).nnz == 0 and a.A.shape == b.A.shape
