"""Options of linked families (groups): one per commune where no member chooses an interpreter's language, else
one per combination of the members' languages (the first 8, the last member's language varying fastest). Checked
against a plain reference written with itertools, on a hand-made group and on random instances; and the single
families' limited interpreter languages, worked out as bits, against the plain table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from factories import commune, data, family
from hypothesis import HealthCheck, given, settings
from strategies import instances

from matcher.models import Policy
from matcher.problem import Problem, _limited_only, build_problem


def reference(problem: Problem) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """(item, locality, [(case, language)]) of every group option, in order, from the rule as written."""
    ca, la = problem.case_arrays, problem.locality_arrays
    limited = np.isfinite(la.interpreter_cap) & (la.interpreter_cap > 0)
    unlimited = np.isinf(la.interpreter_cap)
    out = []
    for g, members in enumerate(problem.items):
        if len(members) < 2:
            continue
        plain, choosing = [], []
        for lo in np.nonzero(problem.candidate[members].all(axis=0))[0]:
            choices = []
            for c in members:
                langs = np.nonzero(ca.speaks[c] & limited[lo])[0]
                needs = ca.needs_interpreter[c] and not (ca.speaks[c] & unlimited[lo]).any()
                choices.append([(int(c), int(x)) for x in langs] if needs and len(langs) else [None])
            if all(ch == [None] for ch in choices):
                plain.append((g, int(lo), []))
            else:
                choosing += [(g, int(lo), [u for u in combo if u is not None])
                             for combo in itertools.islice(itertools.product(*choices), 8)]
        out += plain + choosing  # within a group, the communes where nobody chooses come first
    return out


def actual(problem: Problem) -> list[tuple[int, int, list[tuple[int, int]]]]:
    m = problem.model
    uses: dict[int, list[tuple[int, int]]] = {}
    for o, c, lang in zip(*problem.interp_uses, strict=True):
        uses.setdefault(int(o), []).append((int(c), int(lang)))
    grouped = [o for o in range(m.n_options) if len(problem.items[m.opt_item[o]]) > 1]
    return [(int(m.opt_item[o]), int(m.opt_bin[o]), uses.get(o, [])) for o in grouped]


def test_a_group_with_nine_language_combinations_gets_the_first_eight():
    ds = data(
        [family("A", (30,), french="none", languages=("ar", "ku", "ti"), linked_case_ids=("B", "C")),
         family("B", (31,), french="none", languages=("ar", "ku", "ti")),
         family("C", (32,), french="none", languages=("ar",)),
         family("D", (33,), french="none", languages=("ku",))],
        [commune("1", units={1: 4}, interpreters={"ar": 2, "ku": 2, "ti": 2}),
         commune("2", units={1: 4}, interpreters={"ar": None}),
         commune("3", units={1: 4}, interpreters={"ku": 1, "ar": None})],
    )
    problem = build_problem(ds, Policy())
    got = actual(problem)
    assert got == reference(problem)
    at_1 = [u for g, lo, u in got if lo == problem.loc_index["1"]]
    assert len(at_1) == 8  # 3 x 3 x 1 combinations, the first 8
    a, b, c = (problem.case_index[x] for x in "ABC")
    langs = [problem.ctx.vocab.languages.index(x) for x in ("ar", "ku", "ti")]
    assert at_1[0] == [(a, langs[0]), (b, langs[0]), (c, langs[0])]
    assert at_1[1] == [(a, langs[0]), (b, langs[1]), (c, langs[0])]
    assert at_1[7] == [(a, langs[2]), (b, langs[1]), (c, langs[0])]
    # Arabic without limit at 2: nobody chooses, one option; at 3, A and B may take the limited Kurdish one.
    assert [u for g, lo, u in got if lo == problem.loc_index["2"]] == [[]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_cases=8, max_localities=4))
def test_group_options_follow_the_rule(ds):
    problem = build_problem(ds, Policy())
    assert actual(problem) == reference(problem)


@pytest.mark.parametrize("n_lang", [3, 14, 64, 70])
def test_limited_languages_as_bits_match_the_table(n_lang):
    """The pairs' limited interpreter languages, worked out as bits of a word (up to 64 languages) or as a table
    (more), are those of the table: any language where none is unlimited."""
    rng = np.random.default_rng(n_lang)
    speaks = rng.random((30, n_lang)) < 0.2
    cap = rng.choice([0.0, 1.0, np.inf], size=(12, n_lang), p=[0.6, 0.3, 0.1])
    limited, unlimited = np.isfinite(cap) & (cap > 0), np.isinf(cap)
    ci, li = rng.integers(0, 30, size=500), rng.integers(0, 12, size=500)
    table = speaks[ci] & limited[li] & ~(speaks[ci] & unlimited[li]).any(axis=1)[:, None]
    has, pair, lang = _limited_only(speaks, limited, unlimited, ci, li)
    assert np.array_equal(has, table.any(axis=1))
    want = np.nonzero(table)
    assert np.array_equal(pair, want[0]) and np.array_equal(lang, want[1])
    assert has.any() and (~has).any()
