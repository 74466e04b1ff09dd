"""Tiny named fixtures: the hand-checkable workbooks of `workbooks.py`, and writers that put them on disk."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from workbooks import TINY_CASES, TINY_LOCALITIES, Sheets, Writer, write_csv_dir, write_xlsx


@pytest.fixture
def tiny_cases() -> Sheets:
    """The tiny cases workbook (see workbooks.py), a fresh copy per test."""
    return copy.deepcopy(TINY_CASES)


@pytest.fixture
def tiny_localities() -> Sheets:
    """The tiny localities workbook (see workbooks.py), a fresh copy per test."""
    return copy.deepcopy(TINY_LOCALITIES)


@pytest.fixture(params=["xlsx", "csv"])
def write_workbook(request: pytest.FixtureRequest, tmp_path: Path) -> Writer:
    """A function (name, sheets) -> path writing a workbook as .xlsx or as a CSV folder (both are tested)."""

    def write(name: str, sheets: Sheets) -> Path:
        if request.param == "xlsx":
            return write_xlsx(tmp_path / f"{name}.xlsx", sheets)
        return write_csv_dir(tmp_path / name, sheets)

    return write


@pytest.fixture
def xlsx_writer(tmp_path: Path) -> Writer:
    """A function (name, sheets) -> path writing `name.xlsx` in the test's folder."""
    return lambda name, sheets: write_xlsx(tmp_path / f"{name}.xlsx", sheets)


@pytest.fixture
def tiny_paths(tmp_path: Path, tiny_cases: Sheets, tiny_localities: Sheets) -> tuple[Path, Path]:
    """The tiny workbooks written as cases.xlsx and localities.xlsx."""
    return write_xlsx(tmp_path / "cases.xlsx", tiny_cases), write_xlsx(tmp_path / "localities.xlsx", tiny_localities)
