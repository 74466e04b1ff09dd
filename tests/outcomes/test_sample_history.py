"""The shipped sample history is the seeded generator's, and `matcher outcomes fit` runs on it with the figures
docs/outcomes.md states."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from matcher.cli import app
from matcher.io.readers import read_dataset
from matcher.outcomes.history import read_history
from matcher.simulate.past import HISTORY_SEED, draw_history

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def test_sample_history_is_the_generators_and_fits_as_documented(tmp_path):
    history = read_history(SAMPLE / "history.xlsx", SAMPLE / "localities.xlsx")
    dataset = read_dataset(SAMPLE / "cases.xlsx", SAMPLE / "localities.xlsx").dataset
    assert dataset is not None
    _, expected = draw_history(dataset.localities, 2600, HISTORY_SEED)
    got = history.placements
    assert list(got["case_id"]) == list(expected["case_id"])
    assert list(got["locality_id"]) == list(expected["locality_id"])
    assert np.array_equal(got["employed_12m"].to_numpy(), expected["employed_12m"].to_numpy(), equal_nan=True)
    assert (got["placed_on"] == pd.to_datetime(expected["placed_on"])).all()

    res = CliRunner().invoke(app, ["outcomes", "fit", str(SAMPLE / "history.xlsx"), str(SAMPLE / "localities.xlsx"),
                                   "--target", "employed_12m", "--out", str(tmp_path / "model")])
    assert res.exit_code == 0, res.output
    scores = json.loads((tmp_path / "model" / "manifest.json").read_text())["scores"]
    # The figures of docs/outcomes.md (0.751, 0.639, 0.200, 0.231), within what another BLAS could change.
    for key, documented in (("auc", 0.751), ("baseline_auc", 0.639), ("brier", 0.200), ("baseline_brier", 0.231)):
        assert abs(scores[key] - documented) < 0.005, key
