"""Where a match's outcome predictions come from: a CSV named on the command line or in the app, the policy's
`outcome_csv`, or the policy's `[outcomes] model` folder, predicted for the families at hand.

Relative paths in a policy are relative to the policy file, so that a policy and its files move together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from matcher.models.policy import Policy
from matcher.models.records import Dataset
from matcher.outcomes.table import OutcomeFileError, read_outcome_table


@dataclass(frozen=True)
class Outcomes:
    """Outcome predictions ready for `build_problem(..., outcomes=frame)` and what to tell the user about them."""

    frame: pd.DataFrame
    """``case_id``, ``locality_id``, ``outcome`` in [0, 1], restricted to the dataset's families and communes."""
    source: str
    """The file or model folder they come from, by name."""
    families: int
    """Families of the dataset with at least one prediction."""

    def summary(self, dataset: Dataset, weight: float) -> str:
        """One line: how many pairs and families are covered, and whether the policy's weight uses them."""
        line = (f"outcomes: {len(self.frame):,} pairs from {self.source}, for {self.families} of "
                f"{len(dataset.cases)} families")
        if weight <= 0:
            line += "; the policy's weights.outcome is 0, so they do not change the plan"
        return line


def _resolve(path: str, base: Path | None) -> Path:
    p = Path(path)
    return p if p.is_absolute() or base is None else base / p


def load_outcomes(dataset: Dataset, policy: Policy, policy_dir: Path | None = None, *,
                  csv: str | Path | None = None, model: str | Path | None = None) -> Outcomes | None:
    """The outcome predictions of a match, or None when neither the call nor the policy names any.

    Parameters
    ----------
    dataset
        The families and communes of the match.
    policy
        Its `outcome_csv` and `outcomes.model` are read when `csv` and `model` are not given.
    policy_dir
        The policy file's folder, which the policy's relative paths start from (None: the working folder).
    csv, model
        An outcome CSV or a model folder given directly (`--outcomes`, `--outcome-model`): they win over the
        policy's.

    Raises
    ------
    OutcomeFileError
        A CSV that cannot be used, or a model folder that cannot be trusted or used (the message names it).
    """
    if csv is None and model is None:
        if policy.outcome_csv is not None:
            csv = _resolve(policy.outcome_csv, policy_dir)
        elif policy.outcomes is not None and policy.outcomes.model is not None:
            model = _resolve(policy.outcomes.model, policy_dir)
    if csv is not None:
        frame = read_outcome_table(csv)
        source = Path(csv).name
    elif model is not None:
        from matcher.outcomes.model import ModelError, load_model

        try:
            fitted = load_model(Path(model))
        except ModelError as exc:
            raise OutcomeFileError(str(exc)) from None
        frame = fitted.predict(dataset)
        source = Path(model).name
    else:
        return None
    return restrict(frame, dataset, source)


def restrict(frame: pd.DataFrame, dataset: Dataset, source: str) -> Outcomes:
    """Keep the rows of the dataset's families and communes (others are another scenario's, not an error)."""
    cases = {c.case_id for c in dataset.cases}
    locs = {lo.locality_id for lo in dataset.localities}
    kept = frame[frame["case_id"].isin(cases) & frame["locality_id"].isin(locs)].reset_index(drop=True)
    return Outcomes(kept, source, int(kept["case_id"].nunique()))
