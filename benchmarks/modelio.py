"""Save and load an AssignmentModel as ``.npz`` so that every worker process solves exactly the same arrays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def save_model(model: Any, path: str | Path) -> None:
    A = model.A.tocsr()
    np.savez(
        path, n=np.array([model.n_items, model.n_bins, A.shape[0], A.shape[1]]), opt_item=model.opt_item,
        opt_bin=model.opt_bin, opt_value=model.opt_value, must_place=model.must_place, A_data=A.data,
        A_indices=A.indices, A_indptr=A.indptr, rhs=model.rhs, penalty=model.penalty,
        row_resource=np.asarray(model.row_resource, dtype=str), row_bin=model.row_bin,
        row_rule=np.asarray(model.row_rule, dtype=str),
        # The lexicographic split of the objective, as the app's engine gets it (empty when there is none).
        opt_primary=np.empty(0) if model.opt_primary is None else model.opt_primary,
        primary_weight=np.array(float(model.primary_weight)),
    )


def load_model(path: str | Path) -> Any:
    import scipy.sparse as sp

    from matcher.engine.model import AssignmentModel

    z = np.load(path, allow_pickle=False)
    n_items, n_bins, rows, cols = (int(v) for v in z["n"])
    A = sp.csr_matrix((z["A_data"], z["A_indices"], z["A_indptr"]), shape=(rows, cols))
    model = AssignmentModel(
        n_items=n_items, n_bins=n_bins, opt_item=z["opt_item"], opt_bin=z["opt_bin"], opt_value=z["opt_value"],
        must_place=z["must_place"], A=A, rhs=z["rhs"], penalty=z["penalty"],
        row_resource=z["row_resource"].astype(object), row_bin=z["row_bin"], row_rule=z["row_rule"].astype(object),
    )
    if "opt_primary" in z.files and len(z["opt_primary"]):
        model.opt_primary = z["opt_primary"]
        model.primary_weight = float(z["primary_weight"])
    return model
