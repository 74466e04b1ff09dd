"""What is left of the year's capacities while families are placed batch after batch.

The whole year's cohort is one :class:`~matcher.engine.model.AssignmentModel` against the annual capacities: every
hard rule is a row ``A @ x <= rhs`` over options (a family group in a locality), so a plan built month by month
is valid exactly when each option taken fits the remaining right-hand side of the hard rows. Soft rows may be
exceeded at their penalty. The final plan is checked against the records by :func:`matcher.checker.check`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from matcher.engine.model import AssignmentModel


class Ledger:
    """Remaining capacity per row and the option chosen per item (-1: not placed yet)."""

    def __init__(self, model: AssignmentModel) -> None:
        self.model = model
        self.A = model.A.tocsc()
        self.rem = model.rhs.astype(float).copy()
        self.hard = ~np.isfinite(model.penalty)
        self.pen = np.where(self.hard, 0.0, model.penalty)
        self.choice = np.full(model.n_items, -1, dtype=np.int64)
        self.month = np.zeros(model.n_items, dtype=np.int64)
        self.options = model.options_of()
        self.state: dict[str, Any] = {}  # a policy's own memory across batches

    def _col(self, o: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.A.indptr[o], self.A.indptr[o + 1]
        return self.A.indices[lo:hi], self.A.data[lo:hi]

    def fits(self, o: int, rem: np.ndarray | None = None) -> bool:
        """Whether option o keeps every hard row within its remaining capacity."""
        rem = self.rem if rem is None else rem
        rows, vals = self._col(o)
        return not ((rem[rows] - vals)[self.hard[rows]] < -1e-9).any()

    def soft_cost(self, o: int) -> float:
        """Penalty that taking option o adds on soft rows."""
        rows, vals = self._col(o)
        after = self.rem[rows] - vals
        return float((self.pen[rows] * (np.maximum(0.0, -after) - np.maximum(0.0, -self.rem[rows]))).sum())

    def fitting(self, g: int) -> np.ndarray:
        """Options of item g that fit now."""
        return np.array([o for o in self.options[g] if self.fits(int(o))], dtype=np.int64)

    def use(self, o: int, rem: np.ndarray, sign: float = 1.0) -> None:
        rows, vals = self._col(o)
        rem[rows] -= sign * vals

    def take(self, o: int, month: int) -> None:
        g = int(self.model.opt_item[o])
        if self.choice[g] >= 0:
            raise ValueError("item already placed")
        self.use(o, self.rem)
        self.choice[g] = o
        self.month[g] = month

    def sub_model(self, items: np.ndarray, value: np.ndarray | None = None,
                  primary: np.ndarray | None = None, primary_weight: float = 0.0) -> tuple[AssignmentModel, np.ndarray]:
        """The engine's model for `items` against what remains: the rows they touch, options renumbered.

        Parameters
        ----------
        items
            The items to place.
        value
            Value per option of the year's model (default: the model's own).
        primary, primary_weight
            A lexicographic objective per option of the year's model, ``value = primary_weight * primary +
            secondary`` (default: the model's own, when it has one).

        Returns the model and the original option index of each of its options.
        """
        m = self.model
        opts = np.concatenate([self.options[g] for g in items]) if len(items) else np.array([], dtype=np.int64)
        local = np.full(m.n_items, -1, dtype=np.int64)
        local[items] = np.arange(len(items))
        cols = self.A[:, opts].tocsr()
        rows = np.nonzero(np.diff(cols.indptr))[0]
        values = (m.opt_value if value is None else value)[opts]
        if primary is None and m.opt_primary is not None:
            primary, primary_weight = m.opt_primary, m.primary_weight
        sub = AssignmentModel(
            n_items=len(items), n_bins=m.n_bins, opt_item=local[m.opt_item[opts]], opt_bin=m.opt_bin[opts],
            opt_value=values.astype(float), must_place=np.zeros(len(items), dtype=bool),
            A=sp.csr_matrix(cols[rows]), rhs=self.rem[rows].copy(), penalty=m.penalty[rows],
            row_resource=m.row_resource[rows], row_bin=m.row_bin[rows],
            row_rule=m.row_rule[rows] if len(m.row_rule) else np.array([], dtype=object),
            opt_primary=None if primary is None else primary[opts].astype(float), primary_weight=primary_weight,
        )
        return sub, opts
