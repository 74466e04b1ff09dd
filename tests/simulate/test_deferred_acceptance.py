"""Deferred acceptance against the `matching` package's hospital-resident solver, and on hand-checked cases."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.simulate.ledger import Ledger
from matcher.simulate.policies import deferred_acceptance, one_dimensional_model


def ours(family_prefs: list[list[int]], commune_ranks: list[list[int]], capacities: list[int]) -> dict[int, int]:
    """Our deferred acceptance on a one-dimensional instance: family -> commune."""
    model = one_dimensional_model(family_prefs, capacities)
    led = Ledger(model)
    prefs = {g: [[int(o)] for o in led.options[g]] for g in range(len(family_prefs))}
    for g in prefs:  # options of a family are built in its preference order
        prefs[g].sort(key=lambda opts: family_prefs[g].index(int(model.opt_bin[opts[0]])))
    rank = {(g, lo): commune_ranks[lo].index(g) for lo in range(len(capacities)) for g in commune_ranks[lo]}
    held = deferred_acceptance(led, list(range(len(family_prefs))), prefs, lambda g, lo: (rank[(g, lo)],))
    return {g: int(model.opt_bin[o]) for g, o in held.items()}


def reference(family_prefs: list[list[int]], commune_ranks: list[list[int]], capacities: list[int]) -> dict[int, int]:
    """The `matching` package's resident-optimal hospital-resident matching: family -> commune."""
    from matching.games import HospitalResident

    residents = {f"r{g}": [f"h{lo}" for lo in p] for g, p in enumerate(family_prefs)}
    hospitals = {f"h{lo}": [f"r{g}" for g in ranks] for lo, ranks in enumerate(commune_ranks)}
    caps = {f"h{lo}": c for lo, c in enumerate(capacities)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = HospitalResident.create_from_dictionaries(residents, hospitals, caps)
        matching = game.solve(optimal="resident")
    return {int(r.name[1:]): int(h.name[1:]) for h, rs in matching.items() for r in rs}


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[list[int]], list[list[int]], list[int]]:
    n_fam = draw(st.integers(1, 9))
    n_com = draw(st.integers(1, 4))
    capacities = draw(st.lists(st.integers(1, 3), min_size=n_com, max_size=n_com))
    prefs = [draw(st.permutations(range(n_com)).map(lambda p: list(p)).flatmap(
        lambda p: st.integers(1, len(p)).map(lambda k, p=p: p[:k]))) for _ in range(n_fam)]
    ranks = []
    for lo in range(n_com):
        applicants = [g for g in range(n_fam) if lo in prefs[g]]
        ranks.append(list(draw(st.permutations(applicants))))
    return prefs, ranks, capacities


@settings(max_examples=150, deadline=None)
@given(instances())
def test_matches_hospital_resident_reference(instance: tuple[list[list[int]], list[list[int]], list[int]]) -> None:
    """On random one-dimensional instances our deferred acceptance equals matching's resident-optimal answer."""
    prefs, ranks, caps = instance
    assert ours(prefs, ranks, caps) == reference(prefs, ranks, caps)


def test_hand_checked_instance() -> None:
    """Two families want commune 0 (one seat); the commune prefers family 1, so family 0 falls back to 1."""
    assert ours([[0, 1], [0]], [[1, 0], [0]], [1, 1]) == {1: 0, 0: 1}


def test_leaves_capacity_untouched() -> None:
    """Deferred acceptance returns the held options without taking them from the ledger."""
    model = one_dimensional_model([[0]], [1])
    led = Ledger(model)
    deferred_acceptance(led, [0], {0: [[0]]}, lambda g, lo: (0,))
    assert np.array_equal(led.rem, model.rhs) and (led.choice == -1).all()
