"""Outcome tables read by `matcher match`: from --outcomes or the policy's outcome_csv; bad files named by row and
column; a higher outcome weight moves families toward communes with higher predicted outcomes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from factories import commune, data, family
from typer.testing import CliRunner

from matcher.cli import app
from matcher.io.templates import write_dataset
from matcher.outcomes import OutcomeFileError, read_outcome_table

runner = CliRunner()
COMMUNES = ("09225", "31555", "63113")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Twelve families and three roomy communes (every family fits anywhere), and random outcomes per pair."""
    tmp = tmp_path_factory.mktemp("world")
    cases = [family(f"C{i:02d}", (30 + i, 8)) for i in range(12)]
    locs = [commune(lid, units={2: 12}, max_persons=40, max_cases=12, population=5000) for lid in COMMUNES]
    write_dataset(data(cases, locs), tmp, instructions=False)
    rng = np.random.default_rng(3)
    frame = pd.DataFrame([(c.case_id, lid, round(float(rng.random()), 3)) for c in cases for lid in COMMUNES],
                         columns=["case_id", "locality_id", "outcome"])
    (tmp / "pol").mkdir()
    frame.to_csv(tmp / "pol" / "predicted.csv", index=False)
    return tmp, frame


def _policy(folder, weight: float, extra: str = "") -> str:
    path = folder / "pol" / f"w{weight:g}.toml"
    path.write_text(f'name = "w{weight:g}"\n{extra}\n[weights]\noutcome = {weight}\n[balance]\nlevel = "none"\n',
                    encoding="utf-8")
    return str(path)


def _match(folder, *args: str):
    out = folder / "r.json"
    res = runner.invoke(app, ["match", str(folder / "cases.xlsx"), str(folder / "localities.xlsx"), "--out",
                              str(out), "--time-limit", "5", "-q", *args])
    assert res.exit_code == 0, res.output
    return res, json.loads(out.read_text())


def _mean_outcome(result, frame) -> float:
    by_pair = {(r.case_id, r.locality_id): r.outcome for r in frame.itertuples()}
    return float(np.mean([by_pair[(p["case_id"], p["locality_id"])] for p in result["placements"]]))


def test_higher_outcome_weight_moves_families_to_higher_predicted_outcomes(world):
    """Weight 0: outcomes read but unused; weight 5 (policy's outcome_csv, relative to the policy file): every
    family goes to its best commune by predicted outcome, and the component shows it."""
    folder, frame = world
    res0, r0 = _match(folder, "--policy", _policy(folder, 0, 'outcome_csv = "predicted.csv"'))
    assert "weights.outcome is 0" in res0.output
    res5, r5 = _match(folder, "--policy", _policy(folder, 5, 'outcome_csv = "predicted.csv"'))
    assert "outcomes: 36 pairs from predicted.csv, for 12 of 12 families" in res5.output
    best = frame.groupby("case_id")["outcome"].max()
    assert _mean_outcome(r5, frame) == pytest.approx(best.mean())
    assert _mean_outcome(r5, frame) > _mean_outcome(r0, frame) + 0.1
    for p in r5["placements"]:
        assert p["components"]["outcome"] == pytest.approx(best[p["case_id"]])


def test_outcomes_option_replaces_the_policys(world, tmp_path):
    folder, frame = world
    flipped = frame.assign(outcome=1 - frame["outcome"])
    flipped.to_csv(tmp_path / "flipped.csv", index=False)
    _, r = _match(folder, "--policy", _policy(folder, 5, 'outcome_csv = "predicted.csv"'), "--outcomes",
                  str(tmp_path / "flipped.csv"))
    worst = frame.groupby("case_id")["outcome"].min()
    assert _mean_outcome(r, frame) == pytest.approx(worst.mean())


@pytest.mark.parametrize(("text", "expected"), [
    ("case_id,locality_id,outcome\nC01,09225,0.4\nC02,09225,1.7\n", "bad.csv › row 3 › outcome: expected a number"),
    ("case_id,locality_id,outcome\nC01,,0.4\n", "bad.csv › row 2 › locality_id: required"),
    ("case_id,outcome\nC01,0.4\n", "bad.csv › row 1 › locality_id: missing required column"),
    ("case_id,locality_id,outcome\nC01,09225,0.4\nC01,09225,0.5\n", "bad.csv › row 3: the same case_id"),
    ("case_id,locality_id,outcome\nC01,09225,nan\n", "bad.csv › row 2 › outcome"),
    ("", "bad.csv: the file is empty"),
])
def test_bad_outcome_csv_names_file_row_and_column(world, tmp_path, text, expected):
    """A bad CSV ends the command with exit 1 and the location; no traceback, and no value quoted."""
    folder, _ = world
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("C02,09225,1.7", "SECRETID,09225,1.7"), encoding="utf-8")
    res = runner.invoke(app, ["match", str(folder / "cases.xlsx"), str(folder / "localities.xlsx"), "-q",
                              "--outcomes", str(bad)])
    assert res.exit_code == 1
    assert expected in res.output
    assert "Traceback" not in res.output and "SECRETID" not in res.output and "1.7" not in res.output


def test_policy_outcome_csv_missing_file_is_named(world):
    folder, _ = world
    res = runner.invoke(app, ["match", str(folder / "cases.xlsx"), str(folder / "localities.xlsx"), "-q",
                              "--policy", _policy(folder, 1, 'outcome_csv = "nowhere.csv"')])
    assert res.exit_code == 1
    assert "nowhere.csv: cannot be read" in res.output


def test_reader_accepts_semicolons_decimal_commas_and_headers_in_any_case(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("Case ID;Locality-ID;Outcome;note\nC01;09225;0,25;x\n", encoding="utf-8")
    frame = read_outcome_table(path)
    assert frame.to_dict("records") == [{"case_id": "C01", "locality_id": "09225", "outcome": 0.25}]


def test_reader_caps_the_list_of_problems(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("case_id,locality_id,outcome\n" + "C,L,2\n" * 50, encoding="utf-8")
    with pytest.raises(OutcomeFileError) as err:
        read_outcome_table(path)
    assert str(err.value).count("\n") == 20 and "and 30 more problems" in str(err.value)


def test_policy_refuses_two_outcome_sources():
    from matcher.models.policy import PolicyError, policy_from_dict

    with pytest.raises(PolicyError, match="either outcome_csv or"):
        policy_from_dict({"outcome_csv": "a.csv", "outcomes": {"model": "m"}})
