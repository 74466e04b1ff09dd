"""Fit an outcome model in the app on an uploaded history and predict the session's pairs with it
(`docs/outcomes.md#app`). The model lives in the session only: the app never loads a model file (loading one
runs code), so fitting here is how a model reaches the app."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from matcher.io import spec
from matcher.io.templates import dataset_frames, write_workbook
from matcher.models.records import Dataset
from matcher.outcomes.history import read_history
from matcher.outcomes.model import Scores, fit_model
from ui.components.data import UploadedLike, stage_upload

#: The outcome the app fits (the contract's main one).
TARGET = "employed_12m"


@dataclass(frozen=True)
class Fitted:
    """The predictions for the session's pairs and how the model did on later arrivals of the history."""

    frame: pd.DataFrame
    scores: Scores
    placements: int
    span: tuple[str, str]


def fit_on_upload(files: Iterable[UploadedLike], dataset: Dataset, target: str = TARGET) -> Fitted:
    """Stage the uploaded history, read it against the session's communes, fit and check the model, and predict
    every (family, commune) pair of `dataset`.

    Raises
    ------
    UploadProblem, HistoryError, ModelError
        An upload that cannot be staged, a history that cannot be read, or one a model cannot be fitted on.
    """
    with tempfile.TemporaryDirectory(prefix="matcher-history-") as tmp:
        folder = Path(tmp)
        history = stage_upload(files, spec.HISTORY, folder)
        localities = write_workbook(folder / spec.LOCALITIES.filename, spec.LOCALITIES,
                                    dataset_frames(dataset)["localities"], instructions=False)
        model, scores = fit_model(read_history(history, localities), target)
    span = model.manifest["span"]
    return Fitted(model.predict(dataset), scores, int(model.manifest["placements"]), (span[0], span[1]))
