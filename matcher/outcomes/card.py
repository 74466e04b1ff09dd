"""The model card (Markdown, with a calibration plot): what a fitted model was fitted on, how well it predicts
later arrivals, for whom, and what it cannot say."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from matcher.outcomes.features import COMMUNE_ID, FEATURES, MEANINGS
from matcher.outcomes.model import BASELINE_PRIOR, MODEL_FILE, FittedModel, Scores, finite

LIMITS = (
    "The history records where families were placed, not where they would have done best: communes that received "
    "few families of a kind are predicted for that kind from other communes, and a past placement rule that "
    "sent some families to some communes for reasons not in the data biases the model.",
    "The communes' features are today's (the localities workbook), not those of the year each family arrived.",
    "Outcomes blank in the history (no working-age adult, or not followed up) are left out: the model says "
    "nothing about them.",
    "Predictions are probabilities for a family like this one, not a forecast of one family's life; matching on "
    "them can raise the expected number of families in work, and gives no guarantee to any family.",
    "Nationality, religion, ethnicity, languages and any stand-in are never features, but other features "
    "(education, trades) differ between groups: check the per-group scores below before using the model.",
    f"`{MODEL_FILE}` is a pickle: loading it runs code. Treat a model folder like a program: use only folders "
    "you fitted yourself or received from someone you trust; the matcher refuses folders whose manifest does "
    "not record the model file's sha256.",
)


def _table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines)


def plot_calibration(scores: Scores, path: Path) -> Path:
    """Observed rate against mean prediction per bin, with the diagonal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    ax.plot([0, 1], [0, 1], color="#999999", lw=1, label="perfect calibration")
    cal = scores.calibration
    ax.plot(cal["predicted"], cal["observed"], "o-", color="#0072B2", label="model, later arrivals")
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def write_card(model: FittedModel, scores: Scores, out: Path) -> list[Path]:
    """Write card.md and calibration.png into `out`."""
    m = model.manifest
    png = plot_calibration(scores, out / "calibration.png")
    features = "\n".join(f"- `{f}`: {MEANINGS[f]}" for f in (*FEATURES, COMMUNE_ID))
    text = f"""# Outcome model: {model.target}

Fitted by `matcher outcomes fit` (matcher {m['matcher_version']}, scikit-learn {m['sklearn_version']}, seed
{m['seed']}): gradient-boosted trees (`HistGradientBoostingClassifier`), calibrated by isotonic regression
(`CalibratedClassifierCV`, 3 folds).

## Data

- {m['placements']:,} past placements with a value of `{model.target}`, placed from {m['span'][0]} to
  {m['span'][1]}; {m['rate']:.1%} of them had the outcome.
- {len(model.communes)} communes (the localities workbook given at fitting).

## Features

The list is fixed in the matcher's code (`matcher/outcomes/features.py`); a history with a column naming
nationality, religion, ethnicity, languages or a stand-in is refused.

{features}

## Scores on later arrivals

The history is cut by quarter of arrival into consecutive blocks; each block after the first is predicted by a
model fitted on the blocks before it only (the future never predicts the past). Baseline: the commune's
historical rate in the earlier blocks, shrunk towards the overall rate by {BASELINE_PRIOR:g} placements.

| | model | baseline (commune's rate) |
|---|---|---|
| AUC | {finite(scores.auc)} | {finite(scores.baseline_auc)} |
| Brier score | {finite(scores.brier)} | {finite(scores.baseline_brier)} |

{scores.n:,} placements predicted; their rate {scores.rate:.1%}. By block:

{_table(scores.folds)}

## Calibration

![calibration](calibration.png)

{_table(scores.calibration)}

## By group

Family size, first language (an audit group here, never a feature; languages with fewer than 30 placements
pooled as "other") and health needs (a health service or step-free housing):

{_table(scores.groups)}

## Known limits

{chr(10).join(f"- {line}" for line in LIMITS)}
"""
    path = out / "card.md"
    path.write_text(text, encoding="utf-8")
    return [path, png]
