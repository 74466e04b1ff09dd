"""Cohort draws, generated communes, experiment files, and the metrics and summary on hand-checked numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.simulate import (
    CohortDrawer,
    CohortParams,
    ExperimentError,
    TerritoryParams,
    generate_localities,
    gini,
    load_experiment,
    parameter_table,
    summarise,
)

ROOT = Path(__file__).resolve().parents[2]


def test_every_parameter_has_a_source_or_is_marked_an_assumption() -> None:
    """Each cohort distribution documents its source, or says ASSUMPTION."""
    for row in parameter_table():
        assert "Source" in row["source"] or "ASSUMPTION" in row["source"] or "Nationalities" in row["source"], row


def test_same_generator_same_cohort() -> None:
    """Two draws from generators with the same seed give the same families."""
    drawer = CohortDrawer(CohortParams(), ["A", "B", "C"], [1000, 5000, 20000])
    a = drawer.draw_year(np.random.default_rng(3), 40, 12)
    b = drawer.draw_year(np.random.default_rng(3), 40, 12)
    assert a == b and len(a) == 40


def test_linked_families_arrive_in_the_same_month() -> None:
    """Linked families share their arrival month and point at each other."""
    drawer = CohortDrawer(CohortParams(linked_share=0.6), ["A", "B"], [1000, 2000])
    cases = {c.case_id: c for c in drawer.draw_year(np.random.default_rng(1), 60, 3)}
    linked = [c for c in cases.values() if c.linked_case_ids]
    assert linked
    for c in linked:
        other = cases[c.linked_case_ids[0]]
        assert other.linked_case_ids == (c.case_id,) and other.arrival_date.month == c.arrival_date.month


def test_parameters_are_validated() -> None:
    """A share outside [0, 1] is refused."""
    with pytest.raises(ValueError, match="p_tie"):
        CohortParams(p_tie=1.5)


def test_generated_communes_offer_the_margin() -> None:
    """Generated communes agree to about the capacity margin times the expected persons."""
    locs = generate_localities(np.random.default_rng(0), TerritoryParams(communes=10, capacity_margin=1.2), 500)
    assert len(locs) == 10 and 550 <= sum(lo.max_persons or 0 for lo in locs) <= 650


def test_gini_hand_checked() -> None:
    """Equal use gives 0; one commune holding everything of four gives 3/4."""
    assert gini(np.array([2.0, 2.0, 2.0])) == 0.0
    assert gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)


def test_summary_interval_hand_checked() -> None:
    """Mean 2 and a Student-t interval of 4.303 x 1 / sqrt(3) for the values 1, 2, 3."""
    frame = pd.DataFrame({"policy": ["g"] * 3, "replication": [0, 1, 2]})
    from matcher.simulate.metrics import METRICS

    for m in METRICS:
        frame[m] = [1.0, 2.0, 3.0]
    row = summarise(frame).query("metric == 'placed_share'").iloc[0]
    assert row["mean"] == 2.0 and row["ci_high"] - 2.0 == pytest.approx(4.302653 / np.sqrt(3), rel=1e-5)


def test_sample_experiments_load() -> None:
    """The small and large sample experiments are valid and read their policy file."""
    small = load_experiment(ROOT / "sample_data/experiments/small.toml")
    large = load_experiment(ROOT / "sample_data/experiments/large.toml")
    assert small.policy.name == "balanced" and large.families_per_year > small.families_per_year


def test_localities_from_a_workbook(tmp_path: Path) -> None:
    """`localities_file` reads the communes of a workbook instead of generating them."""
    toml = tmp_path / "wb.toml"
    toml.write_text(f'localities_file = "{(ROOT / "sample_data/localities.xlsx").as_posix()}"\n', encoding="utf-8")
    exp = load_experiment(toml)
    assert exp.localities is not None and len(exp.localities) > 5


def test_bad_policy_file_is_named(tmp_path: Path) -> None:
    """A missing policy file is reported with the key that names it."""
    toml = tmp_path / "e.toml"
    toml.write_text('policy_file = "nowhere.toml"\n', encoding="utf-8")
    with pytest.raises(ExperimentError, match="policy_file"):
        load_experiment(toml)
