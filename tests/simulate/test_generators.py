"""Every entry point of the one population generator draws exactly what it drew before the generators were merged.

The hashes were taken from the two generators of before (``sample_data/generate.py`` and the policy lab's
``matcher.simulate.cohort``/``territory``): a change here changes the sample workbooks, the benchmark instances or
the policy lab's draws, and must be deliberate.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matcher.simulate import CohortDrawer, CohortParams, TerritoryParams, generate_localities, load_experiment
from matcher.simulate.experiment import territory
from matcher.simulate.planted import Slack, build_planted
from matcher.simulate.population import SAMPLE_SEED, build_instance, build_sample
from matcher.simulate.territory import instance_communes

EXPERIMENTS = Path(__file__).resolve().parents[2] / "sample_data" / "experiments"


def _hash(obj: Any) -> str:
    """sha256 (16 hex digits) of a record's JSON, of records' JSON lines, or of plain data as sorted JSON."""
    if hasattr(obj, "model_dump_json"):
        text = obj.model_dump_json()
    elif isinstance(obj, list) and obj and hasattr(obj[0], "model_dump_json"):
        text = "\n".join(o.model_dump_json() for o in obj)
    else:
        text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.mark.parametrize(("args", "expected"), [
    ((200, 40, SAMPLE_SEED), "2eaaac7a9ba0ecbf"),  # the committed sample workbooks
    ((150, 30, 7), "f84e8b66e7617661"),
    ((30, 3, 4), "073f83afbcbab19d"),  # three communes: exclusions still drawn, as the sample always did
])
def test_sample(args: tuple[int, int, int], expected: str) -> None:
    """The sample script's entry point."""
    assert _hash(build_sample(*args)) == expected


def test_planted() -> None:
    """The planted instance and its answer, with a wider slack than the committed one."""
    dataset, answer = build_planted(120, 20, 5, Slack(0.3, 0.5, 0.0))
    assert (_hash(dataset), _hash(answer)) == ("1f670ecf49c2824f", "a3d9ef5f2b18866e")


@pytest.mark.parametrize(("args", "expected"), [
    ((500, 21, 0), "7751f399d1d457fc"),  # the benchmarks' tier S, seed 0
    ((40, 6, 3), "f2d0dfe6818a48d4"),
])
def test_benchmark_instance(args: tuple[int, int, int], expected: str) -> None:
    """The benchmarks' entry point (linked families in proportion, clones beyond the reference communes)."""
    assert _hash(build_instance(*args)) == expected


def test_cloned_communes() -> None:
    """Beyond the reference list, the same clones."""
    assert _hash([asdict(c) for c in instance_communes(np.random.default_rng(0), 600)]) == "6c51b86880e4f283"


def test_policy_lab_draws() -> None:
    """The policy lab's communes and cohorts: generated localities, a year's draws, linked pairs, and the communes
    of the small experiment."""
    locs = generate_localities(np.random.default_rng(0), TerritoryParams(communes=10, capacity_margin=1.2), 500)
    assert _hash(locs) == "c5c43b0371bd05df"
    drawer = CohortDrawer(CohortParams(), ["A", "B", "C", "D", "E"], [1000, 5000, 20000, 300, 700])
    assert _hash(drawer.draw_year(np.random.default_rng(2), 300, 12)) == "b2f4e5fbbccb3860"
    drawer = CohortDrawer(CohortParams(linked_share=0.6), ["A", "B"], [1000, 2000])
    assert _hash(drawer.draw_year(np.random.default_rng(1), 40, 3)) == "d0b6126415e30adb"
    assert _hash(territory(load_experiment(EXPERIMENTS / "small.toml"))) == "cc0a7c674fa2a9e8"
