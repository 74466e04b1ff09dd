"""The engine's model: a multiple-choice assignment with resource rows.

Each *item* (a family, or a group of linked families placed together) picks at most one *option* (a locality,
with the interpreter language it would use), and each row caps a resource: ``A @ x <= rhs``, hard or soft with a
penalty per unit over. The Generalized Assignment Problem is the special case of one row per agent and every item
placed, which is why the public GAP instances can run through this same engine. The placement problem builds one
(:func:`matcher.problem.build_problem`); the engine (:mod:`matcher.engine`) knows nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp


@dataclass
class AssignmentModel:
    """A maximisation over options: each item takes at most one option (exactly one where ``must_place``).

    Rows are ``A @ x <= rhs``; a row with finite ``penalty`` may be exceeded at that cost per unit.
    """

    n_items: int
    n_bins: int
    opt_item: np.ndarray
    opt_bin: np.ndarray
    opt_value: np.ndarray
    must_place: np.ndarray
    A: sp.csr_matrix
    rhs: np.ndarray
    penalty: np.ndarray
    row_resource: np.ndarray  # resource name per row, e.g. "persons", "housing:3:1", "service:dialysis"
    row_bin: np.ndarray  # locality (bin) of the row, -1 for rows across localities
    row_rule: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))  # policy rule of the row
    #: Lexicographic objectives: ``opt_value = primary_weight * opt_primary + secondary``, where the integral
    #: ``opt_primary`` (persons placed, weighted by priority) must come first whatever the secondary part.
    opt_primary: np.ndarray | None = None
    primary_weight: float = 0.0

    def columns(self) -> sp.csc_matrix:
        """``A`` by columns (one column per option), computed once."""
        cached = self.__dict__.get("_csc")
        if cached is None or cached.shape != self.A.shape:
            cached = self.A.tocsc()
            self.__dict__["_csc"] = cached
        return cached

    def hard_part(self) -> AssignmentModel:
        """The same model with its soft rows dropped."""
        return self.row_subset(~np.isfinite(self.penalty))

    def row_subset(self, keep: np.ndarray) -> AssignmentModel:
        """The same model with the rows ``keep`` (a mask) only."""
        return replace(self, A=self.A[keep], rhs=self.rhs[keep], penalty=self.penalty[keep],
                       row_resource=self.row_resource[keep], row_bin=self.row_bin[keep],
                       row_rule=self.row_rule[keep] if len(self.row_rule) else self.row_rule)

    def primary_model(self) -> AssignmentModel:
        """Phase 1 of a lexicographic objective: maximise the primary value within the hard rows."""
        assert self.opt_primary is not None
        return replace(self.hard_part(), opt_value=self.opt_primary.astype(float), opt_primary=None,
                       primary_weight=0.0)

    def secondary_model(self, floor: float) -> AssignmentModel:
        """Phase 2: the secondary value (scores net of soft penalties) with the primary value kept >= floor."""
        assert self.opt_primary is not None
        row = sp.csr_matrix(-self.opt_primary.astype(float)[None, :])
        return replace(
            self, A=sp.vstack([self.A, row]).tocsr(), rhs=np.append(self.rhs, -floor),
            penalty=np.append(self.penalty, np.inf), row_resource=np.append(self.row_resource, "placed"),
            row_bin=np.append(self.row_bin, -1), row_rule=np.append(self.row_rule, "placed"),
            opt_value=self.opt_value - self.primary_weight * self.opt_primary, opt_primary=None, primary_weight=0.0,
        )

    def subset(self, keep: np.ndarray) -> AssignmentModel:
        """The same model restricted to the options ``keep`` (indices, in order)."""
        return replace(self, opt_item=self.opt_item[keep], opt_bin=self.opt_bin[keep], opt_value=self.opt_value[keep],
                       A=self.A[:, keep].tocsr(),
                       opt_primary=None if self.opt_primary is None else self.opt_primary[keep])

    @property
    def n_options(self) -> int:
        return len(self.opt_item)

    @property
    def n_rows(self) -> int:
        return len(self.rhs)

    def options_of(self) -> list[np.ndarray]:
        """Option indices of each item."""
        order = np.argsort(self.opt_item, kind="stable")
        bounds = np.searchsorted(self.opt_item[order], np.arange(self.n_items + 1))
        return [order[bounds[i] : bounds[i + 1]] for i in range(self.n_items)]

    def evaluate(self, choice: np.ndarray) -> tuple[float, np.ndarray]:
        """Objective and per-row excess of a plan given as the chosen option per item (-1 = none)."""
        chosen = choice[choice >= 0]
        x = np.zeros(self.n_options)
        x[chosen] = 1.0
        use = self.A @ x
        excess = np.maximum(use - self.rhs, 0.0)
        soft = np.isfinite(self.penalty)
        obj = float(self.opt_value[chosen].sum() - (self.penalty[soft] * excess[soft]).sum())
        return obj, excess

    def hard_violations(self, choice: np.ndarray, tol: float = 1e-6) -> np.ndarray:
        """Rows where a hard capacity is exceeded by the plan."""
        _, excess = self.evaluate(choice)
        return np.nonzero((excess > tol) & ~np.isfinite(self.penalty))[0]
