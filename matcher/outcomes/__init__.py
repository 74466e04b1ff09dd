"""Learned outcomes (`docs/outcomes.md`): the outcome table a policy scores, a history of past placements, the
model fitted on it (features fixed in code, folds by arrival period, a model card) and its predictions.

    from matcher.outcomes import read_outcome_table, outcomes_for_policy
    frame = read_outcome_table("outcomes.csv")          # case_id, locality_id, outcome in [0, 1]
"""

from matcher.outcomes.table import OutcomeFileError, read_outcome_table

__all__ = ["OutcomeFileError", "read_outcome_table"]
