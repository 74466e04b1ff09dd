"""Fit, check, save and load an outcome model (`docs/outcomes.md#fit`).

The model is scikit-learn's histogram gradient boosting over the fixed features of `features`, calibrated
(isotonic, cross-validated). It is checked by folds of arrival period, each fitted on the earlier periods only,
against a plain baseline: the commune's historical rate.

A model folder holds ``model.joblib`` (a pickle: loading it runs code, so a model folder is to be trusted like a
program), ``manifest.json`` (what the folder is, the features, the communes and the sha256 of the model file) and
``card.md`` with ``calibration.png``. `load_model` refuses a folder whose manifest is missing, of another format,
or whose model file does not have the recorded hash.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.models.records import Case, Dataset, Locality
from matcher.outcomes.features import COMMUNE_ID, FEATURES, pair_frame
from matcher.outcomes.history import History

FORMAT = "matcher-outcome-model"
FORMAT_VERSION = 1
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
#: Consecutive blocks of arrival periods the history is cut into; each block after the first is predicted by a
#: model fitted on the blocks before it.
BLOCKS = 5
#: Pseudo-placements at the overall rate that the baseline's commune rates are shrunk with (few placements in a
#: commune say little).
BASELINE_PRIOR = 5.0
#: Bins of the calibration table.
CALIBRATION_BINS = 10
#: Fewest labelled placements a model is fitted on.
MIN_ROWS = 100


class ModelError(ValueError):
    """A model folder that cannot be trusted or used, or a history a model cannot be fitted on."""


def one_thread() -> Any:
    """A context in which scikit-learn's OpenMP code runs on one thread: on a shared 2-core machine its spinning
    threads made one fit of 2,500 placements take 9 s instead of 0.5 s."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def make_estimator(seed: int = 0) -> Any:
    """The calibrated boosted trees, with the commune as a categorical feature."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier

    categorical = np.array([False] * len(FEATURES) + [True])
    trees = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_leaf_nodes=15,
                                           min_samples_leaf=30, l2_regularization=1.0,
                                           categorical_features=categorical, random_state=seed)
    return CalibratedClassifierCV(trees, method="isotonic", cv=3)


def training_frame(history: History, target: str) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Features, labels and the labelled placements (blank outcomes left out) of a history."""
    if target not in history.outcomes:
        raise ModelError(f"no outcome column '{target}' in the history (found: {', '.join(history.outcomes)})")
    rows = history.placements[history.placements[target].notna()].reset_index(drop=True)
    if len(rows) < MIN_ROWS:
        raise ModelError(f"{len(rows)} placements have a value of {target}: at least {MIN_ROWS} are needed")
    y = rows[target].to_numpy(dtype=int)
    if len(set(y)) < 2:
        raise ModelError(f"every placement has the same {target}: there is nothing to learn")
    data = history.dataset
    case_index = {c.case_id: i for i, c in enumerate(data.cases)}
    loc_index = {lo.locality_id: j for j, lo in enumerate(data.localities)}
    ci = rows["case_id"].map(case_index).to_numpy(dtype=np.int64)
    li = rows["locality_id"].map(loc_index).to_numpy(dtype=np.int64)
    X = pair_frame(data.cases, data.localities, ci, li, [lo.locality_id for lo in data.localities])
    return X, y, rows


def period_blocks(dates: pd.Series, blocks: int = BLOCKS) -> np.ndarray:
    """Block number (0 ..) of each date: quarters of arrival, grouped into consecutive blocks of about equal
    size, so that a block never splits a quarter."""
    quarter = dates.dt.year.to_numpy() * 4 + (dates.dt.month.to_numpy() - 1) // 3
    order = np.unique(quarter)
    counts = np.array([(quarter == q).sum() for q in order])
    edges = np.searchsorted(np.cumsum(counts) / counts.sum(), np.arange(1, blocks) / blocks, side="left")
    block_of_quarter = np.zeros(len(order), dtype=np.int64)
    for e in edges:
        block_of_quarter[e + 1:] += 1
    _, dense = np.unique(block_of_quarter, return_inverse=True)
    return dense[np.searchsorted(order, quarter)]


def baseline_rate(train_commune: np.ndarray, train_y: np.ndarray, communes: np.ndarray) -> np.ndarray:
    """The commune's historical rate, shrunk towards the overall rate by BASELINE_PRIOR placements."""
    overall = float(train_y.mean())
    out = np.empty(len(communes))
    for k, c in enumerate(communes):
        hit = train_commune == c
        out[k] = (train_y[hit].sum() + BASELINE_PRIOR * overall) / (hit.sum() + BASELINE_PRIOR)
    return out


@dataclass
class Scores:
    """AUC, Brier score and calibration of out-of-period predictions, for the model and the baseline."""

    n: int
    rate: float
    auc: float
    brier: float
    baseline_auc: float
    baseline_brier: float
    calibration: pd.DataFrame = field(repr=False)
    groups: pd.DataFrame = field(repr=False)
    folds: pd.DataFrame = field(repr=False)


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if len(set(y)) == 2 else float("nan")


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Placements, mean prediction and observed rate per bin of predicted probability (equal width)."""
    edges = np.linspace(0, 1, bins + 1)
    k = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        hit = k == b
        if hit.any():
            rows.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "n": int(hit.sum()),
                         "predicted": float(p[hit].mean()), "observed": float(y[hit].mean())})
    return pd.DataFrame(rows)


def _group_labels(cases: list[Case]) -> dict[str, list[str]]:
    def size(c: Case) -> str:
        return "1" if c.persons == 1 else "2-3" if c.persons <= 3 else "4-5" if c.persons <= 5 else "6+"

    def first_language(c: Case) -> str:
        langs = c.interpreter_languages or ("fr",)
        return langs[0]

    return {"family size": [size(c) for c in cases],
            "first language": [first_language(c) for c in cases],
            "health needs": ["some" if c.health_services or c.needs_step_free_housing else "none" for c in cases]}


def group_scores(y: np.ndarray, p: np.ndarray, cases: list[Case], min_n: int = 30) -> pd.DataFrame:
    """AUC, Brier, observed and predicted rates per group of family size, first language and health needs
    (first languages with fewer than `min_n` placements pooled as 'other'). First language is an audit
    group here, never a feature."""
    rows = []
    for kind, labels in _group_labels(cases).items():
        lab = np.array(labels, dtype=object)
        if kind == "first language":
            small = {v for v in set(labels) if (lab == v).sum() < min_n}
            lab = np.array(["other" if v in small else v for v in labels], dtype=object)
        for g in sorted(set(lab)):
            hit = lab == g
            rows.append({"group": kind, "value": g, "n": int(hit.sum()), "observed": float(y[hit].mean()),
                         "predicted": float(p[hit].mean()), "auc": _auc(y[hit], p[hit]),
                         "brier": float(np.mean((p[hit] - y[hit]) ** 2))})
    return pd.DataFrame(rows)


def cross_validate(X: pd.DataFrame, y: np.ndarray, blocks: np.ndarray, cases: list[Case],
                   seed: int = 0) -> tuple[Scores, np.ndarray]:
    """Out-of-period predictions: block k is predicted by a model fitted on blocks 0 .. k-1 (k >= 1).

    Returns the scores and the out-of-period predictions (NaN for the first block).
    """
    pred = np.full(len(y), np.nan)
    base = np.full(len(y), np.nan)
    commune = X[COMMUNE_ID].to_numpy()
    folds = []
    for k in range(1, int(blocks.max()) + 1):
        train, test = blocks < k, blocks == k
        if len(set(y[train])) < 2 or not test.any():
            continue
        est = make_estimator(seed).fit(X[train], y[train])
        pred[test] = est.predict_proba(X[test])[:, 1]
        base[test] = baseline_rate(commune[train], y[train], commune[test])
        folds.append({"block": k, "train": int(train.sum()), "test": int(test.sum()),
                      "auc": _auc(y[test], pred[test]), "baseline_auc": _auc(y[test], base[test]),
                      "brier": float(np.mean((pred[test] - y[test]) ** 2)),
                      "baseline_brier": float(np.mean((base[test] - y[test]) ** 2))})
    ok = ~np.isnan(pred)
    if ok.sum() == 0:
        raise ModelError("the history spans too few arrival periods to check a model on later ones")
    yo, po, bo = y[ok], pred[ok], base[ok]
    tested = [c for c, keep in zip(cases, ok, strict=True) if keep]
    scores = Scores(int(ok.sum()), float(yo.mean()), _auc(yo, po), float(np.mean((po - yo) ** 2)),
                    _auc(yo, bo), float(np.mean((bo - yo) ** 2)), calibration_table(yo, po),
                    group_scores(yo, po, tested), pd.DataFrame(folds))
    return scores, pred


@dataclass
class FittedModel:
    """A calibrated outcome model and what it was fitted on."""

    estimator: Any
    target: str
    communes: list[str]
    manifest: dict[str, Any]

    def predict_pairs(self, cases: list[Case] | tuple[Case, ...], localities: list[Locality] |
                      tuple[Locality, ...], ci: np.ndarray, li: np.ndarray) -> np.ndarray:
        """Predicted probability of the outcome for the pairs (cases[ci[k]], localities[li[k]])."""
        if len(ci) == 0:
            return np.zeros(0)
        return self.predict_features(pair_frame(cases, localities, ci, li, self.communes))

    def predict_features(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted probability of the outcome for rows of features (`features.pair_frame`'s columns)."""
        with one_thread():
            return np.asarray(self.estimator.predict_proba(X)[:, 1], dtype=float)

    def predict(self, dataset: Dataset) -> pd.DataFrame:
        """One row per (family, commune) pair of the dataset: ``case_id``, ``locality_id``, ``outcome``."""
        n, m = len(dataset.cases), len(dataset.localities)
        ci = np.repeat(np.arange(n), m)
        li = np.tile(np.arange(m), n)
        p = self.predict_pairs(dataset.cases, dataset.localities, ci, li)
        return pd.DataFrame({"case_id": [dataset.cases[i].case_id for i in ci],
                             "locality_id": [dataset.localities[j].locality_id for j in li],
                             "outcome": np.round(p, 4)})


def fit_model(history: History, target: str, seed: int = 0) -> tuple[FittedModel, Scores]:
    """Check the model by arrival period, then fit it on the whole history."""
    import sklearn

    from matcher import __version__

    X, y, rows = training_frame(history, target)
    case_index = {c.case_id: c for c in history.dataset.cases}
    cases = [case_index[cid] for cid in rows["case_id"]]
    with one_thread():
        scores, _ = cross_validate(X, y, period_blocks(rows["placed_on"]), cases, seed)
        estimator = make_estimator(seed).fit(X, y)
    first, last = rows["placed_on"].min().date(), rows["placed_on"].max().date()
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "target": target,
                "features": [*FEATURES, COMMUNE_ID], "communes": [lo.locality_id for lo in history.dataset.localities],
                "placements": len(rows), "rate": float(y.mean()), "span": [first.isoformat(), last.isoformat()],
                "matcher_version": __version__, "sklearn_version": sklearn.__version__, "seed": seed,
                "scores": {"auc": scores.auc, "brier": scores.brier, "baseline_auc": scores.baseline_auc,
                           "baseline_brier": scores.baseline_brier, "n": scores.n}}
    return FittedModel(estimator, target, manifest["communes"], manifest), scores


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_model(model: FittedModel, out: Path) -> list[Path]:
    """Write model.joblib and manifest.json (with the model file's sha256) into `out`."""
    import joblib

    out.mkdir(parents=True, exist_ok=True)
    path = out / MODEL_FILE
    joblib.dump(model.estimator, path)
    manifest = {**model.manifest, "sha256": _sha256(path)}
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    model.manifest = manifest
    return [path, out / MANIFEST_FILE]


def load_model(folder: Path) -> FittedModel:
    """Load a model folder written by `save_model`; refuse any other (no manifest, another format, a model
    file that is not the one the manifest records)."""
    name = folder.name or str(folder)
    manifest_path, model_path = folder / MANIFEST_FILE, folder / MODEL_FILE
    if not folder.is_dir():
        raise ModelError(f"{name}: not a model folder (expected a folder written by `matcher outcomes fit`)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelError(f"{name}: refused, no readable {MANIFEST_FILE}: only folders written by "
                         "`matcher outcomes fit` are loaded") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or \
            manifest.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{name}: refused, {MANIFEST_FILE} is not a matcher outcome model's")
    if manifest.get("features") != [*FEATURES, COMMUNE_ID]:
        raise ModelError(f"{name}: refused, the model uses other features than this matcher's; fit it again")
    if not model_path.is_file() or _sha256(model_path) != manifest.get("sha256"):
        raise ModelError(f"{name}: refused, {MODEL_FILE} is not the file the manifest records (changed or "
                         "replaced since it was fitted)")
    import joblib

    try:
        estimator = joblib.load(model_path)
    except Exception as exc:  # a file of another scikit-learn, truncated ...: say which, quote nothing
        raise ModelError(f"{name}: {MODEL_FILE} cannot be loaded ({type(exc).__name__}); fit it again") from None
    communes = manifest.get("communes")
    if not isinstance(communes, list):
        raise ModelError(f"{name}: refused, {MANIFEST_FILE} lists no communes")
    return FittedModel(estimator, str(manifest.get("target")), [str(c) for c in communes], manifest)


def finite(x: float) -> str:
    """A score for text: three decimals, or 'n/a'."""
    return "n/a" if not math.isfinite(x) else f"{x:.3f}"
