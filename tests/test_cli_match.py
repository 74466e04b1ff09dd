"""`matcher match` and `matcher explain` end to end on the tiny workbooks: outputs, exit codes, explanations."""

from __future__ import annotations

import json

import openpyxl
import pytest
from typer.testing import CliRunner
from workbooks import TINY_CASES, TINY_LOCALITIES, write_csv_dir, write_xlsx

from matcher.cli import app

runner = CliRunner()


def _inputs(tmp_path):
    return (write_xlsx(tmp_path / "cases.xlsx", TINY_CASES),
            write_csv_dir(tmp_path / "localities", TINY_LOCALITIES))


def test_match_writes_the_result_contract(tmp_path):
    """JSON output carries every contract key; the summary names placed families and the gap."""
    cases, localities = _inputs(tmp_path)
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["match", str(cases), str(localities), "--out", str(out), "--time-limit", "5", "-q"])
    assert res.exit_code == 0, res.output
    assert "placed: 3 of 3 families, 6 of 6 persons" in res.output
    data = json.loads(out.read_text())
    assert {"status", "objective", "bound", "gap", "seconds", "placements", "unplaced", "localities",
            "provenance"} <= set(data)
    assert data["status"] == "optimal"
    assert {p["case_id"]: p["locality_id"] for p in data["placements"]} == {
        "C1": "09225", "C2": "09225", "C3": "31555"}
    assert set(data["provenance"]) >= {"input_sha256", "policy", "seed", "matcher_version", "ortools_version"}


def test_match_xlsx_and_csv(tmp_path):
    """The workbook output has the four sheets; the CSV has one row per placement."""
    cases, localities = _inputs(tmp_path)
    for suffix in ("xlsx", "csv"):
        out = tmp_path / f"r.{suffix}"
        res = runner.invoke(app, ["match", str(cases), str(localities), "--out", str(out), "--time-limit", "5",
                                  "-q"])
        assert res.exit_code == 0, res.output
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames == ["Placements", "Unplaced", "Localities",
                                                                       "Summary"]
    assert len((tmp_path / "r.csv").read_text().strip().splitlines()) == 4


def test_match_bad_output_suffix_is_usage_error(tmp_path):
    """An output that is not .json, .xlsx or .csv is bad usage (exit 2) and nothing is written."""
    cases, localities = _inputs(tmp_path)
    res = runner.invoke(app, ["match", str(cases), str(localities), "--out", str(tmp_path / "r.txt")])
    assert res.exit_code == 2
    assert not (tmp_path / "r.txt").exists()


def test_match_bad_policy_exits_1_with_the_key(tmp_path):
    """A policy with an unknown key ends with exit 1 and names the key."""
    cases, localities = _inputs(tmp_path)
    pol = tmp_path / "p.toml"
    pol.write_text("[weights]\nfoo = 1\n", encoding="utf-8")
    res = runner.invoke(app, ["match", str(cases), str(localities), "--policy", str(pol)])
    assert res.exit_code == 1
    assert "weights.foo: unknown key" in res.output


def test_explain_finds_the_inputs_again(tmp_path):
    """`matcher explain R.json CASE_ID` lists components and next best communes from the unchanged inputs."""
    cases, localities = _inputs(tmp_path)
    out = tmp_path / "r.json"
    runner.invoke(app, ["match", str(cases), str(localities), "--out", str(out), "--time-limit", "5", "-q"])
    res = runner.invoke(app, ["explain", str(out), "C3"])
    assert res.exit_code == 0, res.output
    assert "C3: placed in Toulouse (31555)" in res.output
    assert "next best communes:" in res.output and "Pamiers (09225)" in res.output
    assert "excluded for this family" in res.output
    res = runner.invoke(app, ["explain", str(out), "NOPE"])
    assert res.exit_code == 1


def _with(sheets, sheet, row, col, value):
    """A copy of the rows with one cell changed (row 1 is the first after the header)."""
    out = {k: [list(r) for r in v] for k, v in sheets.items()}
    out[sheet][row][out[sheet][0].index(col)] = value
    return out


def _health_inputs(tmp_path):
    """C3 needs oncology, offered nowhere (a health need); C4 excludes both communes (not one)."""
    cases = _with(TINY_CASES, "cases", 3, "health_services", "oncology")
    cases["cases"].append(["C4", "2024-04-15", "", "", "", "09225;31555", "no", "", 0])
    cases["members"].append(["C4", "M7", 30, "fr", "B2", "", "", "no"])
    return (write_csv_dir(tmp_path / "cases", cases), write_csv_dir(tmp_path / "localities", TINY_LOCALITIES))


def test_match_stdout_counts_unplaced_reasons_without_a_health_need_next_to_an_id(tmp_path):
    """Standard output counts the unplaced families by kind of reason; a kind that tells a health need names no
    family, others name their ids. The result file keeps each family's reasons, and `matcher explain` (asked
    for one family) shows the need."""
    cases, localities = _health_inputs(tmp_path)
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["match", str(cases), str(localities), "--out", str(out), "--time-limit", "5", "-q"])
    assert res.exit_code == 0, res.output
    stdout = res.stdout
    assert "oncology" not in stdout
    health_line = next(line for line in stdout.splitlines() if "health service" in line)
    assert health_line.strip() == "1 family: a health service they need is offered nowhere"
    assert "1 family: every commune is excluded for them (C4)" in stdout
    assert "C3" not in stdout
    data = json.loads(out.read_text())
    assert {u["case_id"]: u["reasons"] for u in data["unplaced"]}["C3"] == ["needs oncology: offered nowhere"]
    assert all(set(u) == {"case_id", "reasons"} for u in data["unplaced"])  # the contract, unchanged
    explained = runner.invoke(app, ["explain", str(out), "C3"])
    assert "needs oncology: offered nowhere" in explained.stdout


def test_match_deterministic_mode_is_offered_and_reported(tmp_path):
    """`--deterministic` runs work-limited and the result says the plan repeats; the same run twice gives the
    same plan."""
    cases, localities = _inputs(tmp_path)
    plans = []
    for k in range(2):
        out = tmp_path / f"r{k}.json"
        res = runner.invoke(app, ["match", str(cases), str(localities), "--out", str(out), "--time-limit", "2",
                                  "--deterministic", "-q"])
        assert res.exit_code == 0, res.output
        assert "another run may give a different plan" not in res.stdout
        data = json.loads(out.read_text())
        assert data["deterministic"] is True
        plans.append(sorted((p["case_id"], p["locality_id"]) for p in data["placements"]))
    assert plans[0] == plans[1]


def test_match_says_when_the_time_limit_cut_the_search(tmp_path, monkeypatch):
    """A result that the clock cut says another run may differ and names the work-limited mode."""
    from matcher.models import Result

    cases, localities = _inputs(tmp_path)
    monkeypatch.setattr("matcher.match.solve", lambda *a, **k: Result(status="feasible", deterministic=False))
    res = runner.invoke(app, ["match", str(cases), str(localities), "-q"])
    assert res.exit_code == 0, res.output
    assert ("the time limit stopped the search: another run may give a different plan; use --deterministic "
            "(work-limited) for a repeatable plan") in res.stdout


@pytest.mark.parametrize("seed", ["2147483647", "2147483584", "99999999999999999999", "-1"])
def test_match_refuses_seeds_out_of_range_without_a_traceback(tmp_path, seed):
    """Seeds beyond CP-SAT's range are a usage error (exit 2) naming the range, never a traceback."""
    cases, localities = _inputs(tmp_path)
    res = runner.invoke(app, ["match", str(cases), str(localities), "--seed", seed, "-q"])
    assert res.exit_code == 2
    assert "--seed" in res.output and "Traceback" not in res.output
    ok = runner.invoke(app, ["match", str(cases), str(localities), "--seed", "2147483583", "--time-limit", "2", "-q"])
    assert ok.exit_code == 0, ok.output


@pytest.mark.parametrize("value", ["inf", "nan", "1e400"])
def test_match_refuses_a_time_limit_that_is_not_a_finite_number(tmp_path, value):
    cases, localities = _inputs(tmp_path)
    res = runner.invoke(app, ["match", str(cases), str(localities), "--time-limit", value, "-q"])
    assert res.exit_code == 2
    assert "--time-limit" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(("toml", "key"), [("[weights]\nlanguage = inf\n", "weights.language"),
                                           ("[weights]\nlanguage = nan\n", "weights.language"),
                                           ("[rules.jobs]\nmode = 'soft'\npenalty = -inf\n", "rules.jobs.penalty"),
                                           ("[solver]\nseed = 2147483647\n", "solver.seed"),
                                           ("[regional_budgets]\nOccitanie = inf\n", "regional_budgets.Occitanie")])
def test_match_refuses_policy_numbers_that_are_not_finite_or_out_of_range(tmp_path, toml, key):
    """`inf` and `nan` in a policy (TOML has both) are refused with the key's name, before anything is solved
    (they once placed nobody, then broke `matcher explain`)."""
    cases, localities = _inputs(tmp_path)
    pol = tmp_path / "p.toml"
    pol.write_text(toml, encoding="utf-8")
    res = runner.invoke(app, ["match", str(cases), str(localities), "--policy", str(pol), "-q"])
    assert res.exit_code == 1
    assert f"p.toml › {key}:" in res.output


def test_conflicts_that_tell_a_health_need_are_not_printed_next_to_the_id():
    """A pinned family whose needed service is not offered where it is pinned: the diagnosis in the result names
    it, standard output says that a family's health need is not met without naming it."""
    from factories import commune, data, family

    from matcher.cli import _conflict_lines
    from matcher.models import Policy
    from matcher.problem import build_problem

    ds = data([family("A", (30,), health_services=("dialysis",)), family("B", (30,), excluded_locality_ids=("1",))],
              [commune("1", units={1: 2}, services={"dialysis": 1}), commune("2", units={1: 2})])
    problem = build_problem(ds, Policy.model_validate({"objective": {"pins": "fail"}}), pins={"A": "2", "B": "1"})
    assert len(problem.conflicts) == 2 and problem.conflicts_sensitive == [True, False]
    lines = _conflict_lines(problem, problem.conflicts)
    assert "dialysis" not in lines[0] and "A" not in lines[0].split()
    assert lines[1] == problem.conflicts[1] and "B must go to" in lines[1]


def test_match_pins_that_cannot_be_kept_are_diagnosed_before_the_search_and_the_rest_is_placed(tmp_path):
    """`--pin C3=09225` (C3 excludes Pamiers, which has no dialysis): said before the search without naming the
    health need, C3 left unplaced, the others placed; an unknown family is refused (exit 2)."""
    cases, localities = _inputs(tmp_path)
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["match", str(cases), str(localities), "--pin", "C3=09225", "--out", str(out),
                              "--time-limit", "5", "-q"])
    assert res.exit_code == 0, res.output
    assert "pins: a pinned family has a health need that its commune cannot meet" in res.output
    assert "pins: the pins that fit are kept" in res.output and "dialysis" not in res.output
    data = json.loads(out.read_text())
    assert {p["case_id"] for p in data["placements"]} == {"C1", "C2"}
    assert [u["case_id"] for u in data["unplaced"]] == ["C3"]
    assert "C3 must go to Pamiers (its own pin)" in data["unplaced"][0]["reasons"][0]
    bad = runner.invoke(app, ["match", str(cases), str(localities), "--pin", "C9=09225", "-q"])
    assert bad.exit_code == 2 and "'C9' is not a family of the cases workbook" in bad.output
