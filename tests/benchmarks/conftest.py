"""The benchmarks package lives at the repository root, outside the installed package: put the root first. The
GAP data is not part of the repository: the tests that read it find it through $MATCHER_GAP_DATA, or skip."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


@pytest.fixture
def gap_data() -> Path:
    """The OR-Library GAP data folder named by $MATCHER_GAP_DATA (the test skips without it)."""
    from benchmarks.gap import DATA_ENV, GapDataError, data_folder

    try:
        folder = data_folder(None)
    except GapDataError:
        pytest.skip(f"{DATA_ENV} does not name the GAP data")
    if not (folder / "best_known.csv").exists():
        pytest.skip(f"{DATA_ENV} names a folder without best_known.csv")
    return folder
