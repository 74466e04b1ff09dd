"""`matcher match` and `matcher explain` end to end on the tiny workbooks: outputs, exit codes, explanations."""

from __future__ import annotations

import json

import openpyxl
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
