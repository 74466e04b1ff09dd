"""The GAP reader, the GAP as an AssignmentModel, and best-known values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.gap import GapFormatError, best_known, expand, gap_to_best, read_gap, to_model

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


def test_reads_a_real_orlibrary_file(gap_data: Path) -> None:
    """gap1-0 has 5 agents, 15 jobs, and its capacities are the last five numbers."""
    inst = read_gap(gap_data / "cattrysse1994" / "gap1-0", gap_data)
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


def test_best_known_values_in_both_senses(gap_data: Path) -> None:
    """gap1-0: 261 when minimised, 336 when maximised; d20200 has only a best known value."""
    known = best_known(gap_data)
    assert known[("cattrysse1994/gap1-0", "min")].value == 261
    assert known[("cattrysse1994/gap1-0", "max")].value == 336
    d = known[("chu1997/d20200", "min")]
    assert d.value == 12244 and not d.optimal


def test_gap_to_best_is_signed_by_sense() -> None:
    """Above the best in min sense and below it in max sense are both positive gaps."""
    assert gap_to_best(110, 100, "min") == pytest.approx(0.1)
    assert gap_to_best(90, 100, "max") == pytest.approx(0.1)
    assert gap_to_best(None, 100, "min") is None


def test_expand_orders_folders_naturally(gap_data: Path) -> None:
    """gap2 comes before gap10 when a folder is given."""
    names = [p.name for p in expand([gap_data / "cattrysse1994"])]
    assert names.index("gap2-0") < names.index("gap10-0")
    assert len(names) == 60


def _data_folder(tmp_path: Path) -> Path:
    """A GAP data folder of one set with the tiny instance and its optimum (6 when minimised)."""
    (tmp_path / "set").mkdir(parents=True)
    (tmp_path / "set" / "tiny").write_text(TINY)
    (tmp_path / "best_known.csv").write_text("Path,Optimum,Best known solution value\nset/tiny,6,\n")
    return tmp_path


def test_without_a_data_folder_the_command_says_what_to_pass() -> None:
    """No --data and no $MATCHER_GAP_DATA: a usage error that names both, no traceback, exit status 2."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "MATCHER_GAP_DATA"}
    run = subprocess.run([sys.executable, "-m", "benchmarks", "gap", "cattrysse1994", "--solvers", "greedy"],
                         cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "no GAP data folder: pass --data DIR or set MATCHER_GAP_DATA=DIR" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_the_data_folder_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$MATCHER_GAP_DATA names the folder: instances are found in it by their set/file name, and its best-known
    values are the references."""
    import json

    from benchmarks.__main__ import main

    data = _data_folder(tmp_path / "gap")
    monkeypatch.setenv("MATCHER_GAP_DATA", str(data))
    out = tmp_path / "out.json"
    assert main(["gap", "set/tiny", "--solvers", "greedy", "--json", str(out), "--quiet"]) == 0
    [row] = json.loads(out.read_text())
    assert (row["instance"], row["reference"], row["reference_kind"]) == ("set/tiny", 6, "optimum")


def test_data_given_on_the_command_line_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--data wins over $MATCHER_GAP_DATA (which here names no folder at all)."""
    import json

    from benchmarks.__main__ import main

    data = _data_folder(tmp_path / "gap")
    monkeypatch.setenv("MATCHER_GAP_DATA", str(tmp_path / "elsewhere"))
    out = tmp_path / "out.json"
    assert main(["gap", "set/tiny", "--data", str(data), "--solvers", "greedy", "--json", str(out), "--quiet"]) == 0
    assert json.loads(out.read_text())[0]["reference"] == 6


@pytest.mark.parametrize(("env", "args", "message"), [
    ("", ["set/tiny"], "no GAP data folder: pass --data DIR or set MATCHER_GAP_DATA=DIR"),
    ("missing", ["set/tiny"], "MATCHER_GAP_DATA names "),
    ("", ["set/tiny", "--data", "missing"], "--data names "),
    ("gap", ["set/other"], "no GAP file or folder set/other, as given or in the data folder"),
])
def test_a_data_folder_or_file_not_found_is_a_usage_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: str,
        args: list[str], message: str) -> None:
    """Each way of not finding the data ends with a message saying what to pass (exit status 2), before any run."""
    from benchmarks.__main__ import main

    _data_folder(tmp_path / "gap")
    monkeypatch.chdir(tmp_path)
    if env:
        monkeypatch.setenv("MATCHER_GAP_DATA", env)
    else:
        monkeypatch.delenv("MATCHER_GAP_DATA", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["gap", *args, "--solvers", "greedy"])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_the_markdown_names_the_data_folder_by_its_variable(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A results table written from absolute paths records them as $MATCHER_GAP_DATA/..., not the machine's
    folder."""
    from benchmarks.__main__ import main

    data = _data_folder(tmp_path / "gap")
    monkeypatch.delenv("MATCHER_GAP_DATA", raising=False)
    md = tmp_path / "out.md"
    assert main(["gap", str(data / "set" / "tiny"), "--data", str(data), "--solvers", "greedy", "--markdown",
                 str(md), "--quiet"]) == 0
    text = md.read_text()
    assert "Command: `python -m benchmarks gap $MATCHER_GAP_DATA/set/tiny --data $MATCHER_GAP_DATA --solvers" in text
    assert str(data) not in text
