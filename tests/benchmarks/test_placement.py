"""Synthetic placement instances: seeded, sized as asked, and cut into monthly batches."""

from __future__ import annotations

from benchmarks.placement import generate, monthly_batches
from matcher.simulate.territory import instance_communes as communes


def test_same_seed_same_instance() -> None:
    """Generation is deterministic for a seed and differs across seeds."""
    a, b, c = generate(40, 6, 3), generate(40, 6, 3), generate(40, 6, 4)
    assert a == b
    assert a != c
    assert len(a.cases) == 40 and len(a.localities) == 6


def test_more_communes_than_the_reference_list_are_cloned() -> None:
    """Beyond the 565 real communes, clones get unique synthetic ids."""
    import numpy as np

    picked = communes(np.random.default_rng(0), 600)
    ids = [c.insee for c in picked]
    assert len(ids) == len(set(ids)) == 600
    assert sum(i.startswith("X") for i in ids) == 600 - 565


def test_monthly_batches_partition_the_year_and_keep_links() -> None:
    """Every family is in exactly one month, linked families in the same one."""
    ds = generate(120, 5, 1)
    months = monthly_batches(ds, 1)
    assert len(months) == 12
    ids = [c.case_id for m in months for c in m.cases]
    assert sorted(ids) == sorted(c.case_id for c in ds.cases)
    where = {c.case_id: k for k, m in enumerate(months) for c in m.cases}
    for c in ds.cases:
        for other in c.linked_case_ids:
            assert where[other] == where[c.case_id]
    assert sum(lo.max_persons or 0 for lo in months[0].localities) < sum(lo.max_persons or 0 for lo in ds.localities)
