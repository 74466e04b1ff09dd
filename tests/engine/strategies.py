"""Hypothesis strategies: small random placement instances with every kind of rule."""

from __future__ import annotations

from factories import commune, data, family
from hypothesis import strategies as st

LANGS = ("ar", "ku", "ti")


@st.composite
def families(draw, n_localities: int, n_cases: int):
    cases = []
    for i in range(n_cases):
        adults = draw(st.integers(1, 2))
        kids = draw(st.lists(st.integers(0, 17), max_size=3))
        ages = tuple(draw(st.lists(st.integers(18, 70), min_size=adults, max_size=adults))) + tuple(kids)
        langs = tuple(draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=2, unique=True)))
        cases.append(family(
            f"C{i}", ages, french=draw(st.sampled_from(["none", "A2", "B1"])), languages=langs,
            sector=draw(st.sampled_from([None, "construction", "care_work"])), licence=draw(st.booleans()),
            needs_step_free_housing=draw(st.booleans()),
            health_services=("dialysis",) if draw(st.integers(0, 4)) == 0 else (),
            priority=draw(st.integers(0, 2)),
            excluded_locality_ids=tuple(draw(st.lists(st.sampled_from([str(j) for j in range(n_localities)]),
                                                      max_size=1))),
            tie_locality_id=draw(st.sampled_from([None] + [str(j) for j in range(n_localities)])),
            preferred_locality_ids=tuple(draw(st.permutations([str(j) for j in range(n_localities)]))[:2]),
            linked_case_ids=("C1",) if i == 0 and n_cases > 1 and draw(st.booleans()) else (),
        ))
    return cases


def _maybe(draw, low: int, high: int):
    return draw(st.one_of(st.none(), st.integers(low, high)))


@st.composite
def communes(draw, n: int):
    out = []
    for j in range(n):
        out.append(commune(
            str(j),
            units={b: draw(st.integers(0, 2)) for b in (1, 2, 3)},
            step_free={b: draw(st.integers(0, 1)) for b in (1, 2)},
            max_persons=_maybe(draw, 0, 10), max_cases=_maybe(draw, 0, 3), gp_capacity=_maybe(draw, 0, 10),
            creche_seats=_maybe(draw, 0, 2), primary_seats=_maybe(draw, 0, 3), secondary_seats=_maybe(draw, 0, 3),
            services={"dialysis": _maybe(draw, 0, 2)} if draw(st.booleans()) else {},
            interpreters={lang: _maybe(draw, 0, 2) for lang in LANGS if draw(st.booleans())},
            jobs={"construction": draw(st.integers(0, 2))},
            public_transport=draw(st.sampled_from(["none", "limited", "good"])),
            budget_eur=draw(st.one_of(st.none(), st.integers(0, 20_000))),
            cost_per_person_eur=draw(st.sampled_from([None, 1500.0, 2500.5])),
            departement=draw(st.sampled_from(["09", "31"])),
        ))
    return out


@st.composite
def instances(draw, max_cases: int = 4, max_localities: int = 3):
    n_loc = draw(st.integers(1, max_localities))
    n_cases = draw(st.integers(1, max_cases))
    return data(draw(families(n_loc, n_cases)), draw(communes(n_loc)))
