"""`matcher outcomes fit` and `predict` on a small simulated history: refused columns, scores against the
baseline, the model card, the trusted model folder, and matching with the model through the policy."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from matcher.cli import app
from matcher.io.spec import LOCALITIES
from matcher.io.templates import dataset_frames, write_dataset, write_workbook
from matcher.models import Dataset
from matcher.outcomes.backtest import CAVEATS
from matcher.outcomes.features import FEATURES, FORBIDDEN_COLUMNS
from matcher.outcomes.history import HistoryError, read_history
from matcher.outcomes.model import ModelError, load_model
from matcher.simulate.past import draw_history, write_history
from matcher.simulate.territory import TerritoryParams, generate_localities

runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Eight communes, a history of 900 placements over three years, and a model fitted on it by the CLI."""
    tmp = tmp_path_factory.mktemp("outcomes")
    locs = generate_localities(np.random.default_rng(5), TerritoryParams(communes=8), 400.0)
    write_workbook(tmp / "localities.xlsx", LOCALITIES, dataset_frames(Dataset(cases=(), localities=tuple(locs)))
                   ["localities"], instructions=False)
    cases, placements = draw_history(locs, 900, seed=11)
    write_history(cases, placements, tmp / "history.xlsx")
    res = runner.invoke(app, ["outcomes", "fit", str(tmp / "history.xlsx"), str(tmp / "localities.xlsx"),
                              "--target", "employed_12m", "--out", str(tmp / "model")])
    assert res.exit_code == 0, res.output
    return tmp, locs, res.output


def test_fit_prints_features_and_beats_the_communes_rate(world):
    tmp, _, output = world
    assert "features (24, fixed): persons, working_age_adults" in output
    manifest = json.loads((tmp / "model" / "manifest.json").read_text())
    scores = manifest["scores"]
    assert scores["auc"] > scores["baseline_auc"] + 0.03
    assert scores["brier"] < scores["baseline_brier"]
    assert 0.6 < scores["auc"] < 1.0
    assert manifest["placements"] == 900 and manifest["span"][0].startswith("2021")


def test_card_states_data_scores_calibration_groups_and_limits(world):
    tmp, _, _ = world
    card = (tmp / "model" / "card.md").read_text()
    for text in ("# Outcome model: employed_12m", "900 past placements", "## Features", "`trade_match_share`",
                 "| AUC |", "## Calibration", "![calibration](calibration.png)", "family size", "first language",
                 "health needs", "## Known limits", "loading it runs code"):
        assert text in card
    assert (tmp / "model" / "calibration.png").stat().st_size > 1000


def test_features_never_name_a_protected_characteristic():
    assert not {f for f in FEATURES if any(w in f for w in ("nation", "relig", "ethn", "lang", "country"))}
    assert "nationality" in FORBIDDEN_COLUMNS and "langues" in FORBIDDEN_COLUMNS


def test_a_history_with_nationality_or_religion_is_refused(world, tmp_path):
    tmp, _, _ = world
    path = tmp_path / "history.xlsx"
    wb = load_workbook(tmp / "history.xlsx")
    wb["members"].cell(row=1, column=wb["members"].max_column + 1, value="Nationalité")
    wb["outcomes"].cell(row=1, column=5, value="religion")
    wb.save(path)
    with pytest.raises(HistoryError) as err:
        read_history(path, tmp / "localities.xlsx")
    text = str(err.value)
    assert "history.xlsx › members › Nationalité: refused, a protected characteristic" in text
    assert "history.xlsx › outcomes › religion: refused" in text
    res = runner.invoke(app, ["outcomes", "fit", str(path), str(tmp / "localities.xlsx"), "--out",
                              str(tmp_path / "m")])
    assert res.exit_code == 1 and "refused" in res.output and not (tmp_path / "m").exists()


def test_bad_outcome_cells_are_named_by_row_and_column(world, tmp_path):
    tmp, _, _ = world
    path = tmp_path / "history.xlsx"
    wb = load_workbook(tmp / "history.xlsx")
    wb["outcomes"]["D5"] = "maybe"
    wb["outcomes"]["C7"] = "last spring"
    wb["outcomes"]["B9"] = "99999"
    wb.save(path)
    with pytest.raises(HistoryError) as err:
        read_history(path, tmp / "localities.xlsx")
    text = str(err.value)
    assert "history.xlsx › outcomes › row 5 › employed_12m: expected yes, no or a blank cell" in text
    assert "history.xlsx › outcomes › row 7 › placed_on: expected a date" in text
    assert "maybe" not in text and "last spring" not in text


def test_bad_outcome_commune_is_named(world, tmp_path):
    tmp, _, _ = world
    path = tmp_path / "history.xlsx"
    wb = load_workbook(tmp / "history.xlsx")
    wb["outcomes"]["B9"] = "99999"
    wb.save(path)
    with pytest.raises(HistoryError, match=r"outcomes › row 9 › locality_id: not a commune"):
        read_history(path, tmp / "localities.xlsx")


def test_predict_writes_every_pair_and_the_policy_model_key_matches_with_it(world, tmp_path):
    """predict: one row per (family, commune), outcome in [0, 1]; `[outcomes] model` in a policy predicts the
    same values at the match, and the explanation shows the predicted outcome."""
    tmp, locs, _ = world
    cases, _ = draw_history(locs, 30, seed=99, years=1, first_year=2026)
    write_dataset(Dataset(cases=tuple(cases), localities=tuple(locs)), tmp_path, instructions=False)
    res = runner.invoke(app, ["outcomes", "predict", str(tmp / "model"), str(tmp_path / "cases.xlsx"),
                              str(tmp / "localities.xlsx"), "--out", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(tmp_path / "o.csv", dtype={"locality_id": str})
    assert len(frame) == 30 * 8 and frame["outcome"].between(0, 1).all()
    assert frame["outcome"].std() > 0.05
    policy = tmp_path / "pol.toml"
    policy.write_text(f'[weights]\noutcome = 4\n[outcomes]\nmodel = "{(tmp / "model").as_posix()}"\n')
    res = runner.invoke(app, ["match", str(tmp_path / "cases.xlsx"), str(tmp / "localities.xlsx"), "--policy",
                              str(policy), "--time-limit", "5", "-q", "--out", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    assert "outcomes: 240 pairs from model, for 30 of 30 families" in res.output
    result = json.loads((tmp_path / "r.json").read_text())
    by_pair = {(r.case_id, r.locality_id): r.outcome for r in frame.itertuples()}
    placed = result["placements"]
    assert placed
    for p in placed:
        assert p["components"]["outcome"] == pytest.approx(by_pair[(p["case_id"], p["locality_id"])], abs=1e-4)
    case = placed[0]["case_id"]
    res = runner.invoke(app, ["explain", str(tmp_path / "r.json"), case, "--outcome-model", str(tmp / "model")])
    assert res.exit_code == 0, res.output
    assert "predicted outcome 0." in res.output
    assert "outcome drivers: predicted outcome 0." in res.output and "over the 8 communes for this family" in res.output


def test_model_folders_not_written_by_fit_are_refused(world, tmp_path):
    tmp, _, _ = world
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match=r"no readable manifest\.json"):
        load_model(tmp_path / "empty")
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / "manifest.json").write_text((tmp / "model" / "manifest.json").read_text())
    (forged / "model.joblib").write_bytes((tmp / "model" / "model.joblib").read_bytes() + b"\0")
    with pytest.raises(ModelError, match="not the file the manifest records"):
        load_model(forged)
    res = runner.invoke(app, ["outcomes", "predict", str(forged), str(tmp / "history.xlsx"),
                              str(tmp / "localities.xlsx")])
    assert res.exit_code == 1 and "refused" in res.output


def test_backtest_replays_later_arrivals_out_of_sample(world, tmp_path):
    """A model fitted until 2023-01-01 replays the later placements within what each commune took: the matcher's
    placements have a higher mean predicted outcome than the actual ones, with the caveats stated."""
    tmp, _, _ = world
    res = runner.invoke(app, ["outcomes", "fit", str(tmp / "history.xlsx"), str(tmp / "localities.xlsx"),
                              "--until", "2023-01-01", "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "m" / "manifest.json").read_text())["span"][1] < "2023-01-01"
    res = runner.invoke(app, ["outcomes", "backtest", str(tmp / "history.xlsx"), str(tmp / "localities.xlsx"),
                              str(tmp_path / "m"), "--time-limit", "5", "--out", str(tmp_path / "bt.csv")])
    assert res.exit_code == 0, res.output
    assert "families placed from 2023-01-0" in res.output and "in-sample" not in res.output
    assert "observed employed_12m of their actual placements" in res.output
    assert all(caveat in res.output for caveat in CAVEATS)
    frame = pd.read_csv(tmp_path / "bt.csv")
    both = frame["matched_outcome"].notna()
    assert both.sum() >= 0.9 * len(frame)
    assert frame.loc[both, "matched_outcome"].mean() > frame.loc[both, "actual_outcome"].mean()
    # Within what each commune took: never more families in a commune than were placed there.
    took = frame["actual_locality_id"].value_counts()
    assert (frame["matched_locality_id"].value_counts() <= took.reindex(
        frame["matched_locality_id"].value_counts().index)).all()
    bad = runner.invoke(app, ["outcomes", "fit", str(tmp / "history.xlsx"), str(tmp / "localities.xlsx"),
                              "--until", "last spring"])
    assert bad.exit_code == 2 and "expected a date" in bad.output
    observed = frame.loc[both, "observed"].dropna()
    assert 0.0 < observed.mean() < 1.0 and f"{observed.mean():.3f} (the model's check)" in res.output


def test_backtest_on_the_fitting_placements_says_in_sample(world, tmp_path):
    """A model fitted on the whole history has nothing later to replay unless --since is given; then the replay
    is flagged in-sample."""
    tmp, _, _ = world
    args = ["outcomes", "backtest", str(tmp / "history.xlsx"), str(tmp / "localities.xlsx"), str(tmp / "model")]
    res = runner.invoke(app, args)
    assert res.exit_code == 1 and "fitted on the whole history" in res.output
    res = runner.invoke(app, [*args, "--since", "2023-10-01", "--time-limit", "3"])
    assert res.exit_code == 0, res.output
    assert "families placed from 2023-10-01" in res.output and "in-sample" in res.output
    res = runner.invoke(app, [*args, "--since", "2030-01-01"])
    assert res.exit_code == 1 and "no placement on or after 2030-01-01" in res.output
