"""Reasons for unplaced families, computed for all of them at once: rules that block everywhere, the rules
that block first commune by commune, capped lists of ids, and the kinds the command line counts."""

from __future__ import annotations

import numpy as np
from factories import commune, data, family

from matcher.explain.reasons import some_ids, unplaced_reasons_all
from matcher.models import Policy
from matcher.models.result import KIND_WORDS, SENSITIVE_KINDS
from matcher.problem import build_problem


def reasons_of(ds, cases=None):
    problem = build_problem(ds, Policy())
    choice = np.full(problem.model.n_items, -1, dtype=np.int64)
    out = unplaced_reasons_all(problem, choice)
    return {problem.cases[c].case_id: w for c, w in out.items()}


def test_blocked_everywhere_by_one_rule_or_by_several():
    """A rule that blocks a family at every commune is named with 'nowhere' words (with the commune's own numbers
    where they differ, the largest); otherwise the rule that blocks it first at each commune, with counts."""
    ds = data([family("P", (30,) * 9), family("X", (30, 30, 30, 30, 5), health_services=("dialysis",)),
               family("S", (30,), needs_step_free_housing=True)],
              [commune("1", units={3: 1}, max_persons=6), commune("2", units={1: 1}, max_persons=8,
                                                                   services={"dialysis": 1})])
    why = reasons_of(ds)
    assert why["P"].reasons[0] == "9 persons but no commune agreed to that many (at most 8)"
    assert why["P"].kind == "nowhere:consent_persons"
    # X: housing blocks at commune 2, dialysis at commune 1: no rule everywhere.
    assert why["X"].kind == "nowhere:combined" and len(why["X"].reasons) == 2
    assert all("(1 of 2 communes)" in r for r in why["X"].reasons)
    assert why["S"].reasons == ["no step-free unit with 1 bedrooms or more (every commune)"]
    assert why["S"].kind == "nowhere:housing_step_free" and why["S"].kind in SENSITIVE_KINDS


def test_ids_in_reasons_are_capped():
    assert some_ids(["C1", "C2"]) == "C1, C2"
    assert some_ids([f"C{i}" for i in range(10)]) == "10 families (C0, C1, C2, ...)"


def test_every_kind_has_words_and_no_words_name_a_family_or_a_need():
    """The command line prints these next to counts: they name no id, no service, no language."""
    for kind, words in KIND_WORDS.items():
        assert words and "dialysis" not in words and "{" not in words, kind
    assert {"nowhere:health_services", "full:service"} <= SENSITIVE_KINDS
