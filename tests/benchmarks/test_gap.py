"""The GAP reader, the GAP as an AssignmentModel, and best-known values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.gap import DEFAULT_DATA, GapFormatError, best_known, expand, gap_to_best, read_gap, to_model

GAP1_0 = DEFAULT_DATA / "cattrysse1994" / "gap1-0"
needs_data = pytest.mark.skipif(not GAP1_0.exists(), reason="shared GAP data not mounted")

TINY = """2 3
 1 4 5
 3 2 1
 2 2 2
 2 2 2
 4 2
"""


def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny"
    p.write_text(TINY)
    return p


@needs_data
def test_reads_a_real_orlibrary_file() -> None:
    """gap1-0 has 5 agents, 15 jobs, and its capacities are the last five numbers."""
    inst = read_gap(GAP1_0)
    assert (inst.n_agents, inst.n_jobs) == (5, 15)
    assert inst.name == "cattrysse1994/gap1-0"
    assert inst.capacity.tolist() == [36, 34, 38, 27, 33]
    assert inst.cost[0, :3].tolist() == [17, 21, 22]
    assert inst.weight[0, :3].tolist() == [8, 15, 14]


def test_reads_numbers_across_line_breaks(tmp_path: Path) -> None:
    """Line breaks may fall anywhere (the Chu-Beasley files wrap rows)."""
    p = tmp_path / "wrapped"
    p.write_text(TINY.replace("\n", " ").replace(" 3 2 1", "\n3\n2 1"))
    inst = read_gap(p)
    assert inst.cost.tolist() == [[1, 4, 5], [3, 2, 1]]


def test_rejects_a_truncated_file(tmp_path: Path) -> None:
    """A file with too few numbers is refused with the count expected."""
    p = tmp_path / "bad"
    p.write_text("2 3\n1 2 3\n")
    with pytest.raises(GapFormatError, match="expected 16"):
        read_gap(p)


def test_model_has_one_option_per_fitting_pair_and_places_every_job(tmp_path: Path) -> None:
    """Options are the (job, agent) pairs that fit; min sense values are minus the costs."""
    inst = read_gap(tiny(tmp_path))
    model = to_model(inst, "min")
    assert model.n_options == 6 and model.must_place.all()
    assert sorted(-model.opt_value) == [1, 1, 2, 3, 4, 5]
    # Job 0 to agent 0, jobs 1 and 2 to agent 1: cost 1 + 2 + 1, and agent 1 (capacity 2) is 2 over.
    choice = np.array([0, 3, 5])  # options grouped by job, agents in order
    value, excess = model.evaluate(choice)
    assert value == -(1 + 2 + 1) and excess.tolist() == [0.0, 2.0]


def test_max_sense_keeps_profits(tmp_path: Path) -> None:
    """In the max sense, option values are the profits."""
    model = to_model(read_gap(tiny(tmp_path)), "max")
    assert sorted(model.opt_value) == [1, 1, 2, 3, 4, 5]


@needs_data
def test_best_known_values_in_both_senses() -> None:
    """gap1-0: 261 when minimised, 336 when maximised; d20200 has only a best known value."""
    known = best_known(DEFAULT_DATA)
    assert known[("cattrysse1994/gap1-0", "min")].value == 261
    assert known[("cattrysse1994/gap1-0", "max")].value == 336
    d = known[("chu1997/d20200", "min")]
    assert d.value == 12244 and not d.optimal


def test_gap_to_best_is_signed_by_sense() -> None:
    """Above the best in min sense and below it in max sense are both positive gaps."""
    assert gap_to_best(110, 100, "min") == pytest.approx(0.1)
    assert gap_to_best(90, 100, "max") == pytest.approx(0.1)
    assert gap_to_best(None, 100, "min") is None


@needs_data
def test_expand_orders_folders_naturally() -> None:
    """gap2 comes before gap10 when a folder is given."""
    names = [p.name for p in expand([DEFAULT_DATA / "cattrysse1994"])]
    assert names.index("gap2-0") < names.index("gap10-0")
    assert len(names) == 60
