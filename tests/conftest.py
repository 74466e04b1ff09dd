"""Tiny named fixtures: the hand-checkable workbooks of `workbooks.py`, and writers that put them on disk."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from workbooks import TINY_CASES, TINY_LOCALITIES, Sheets, Writer, write_csv_dir, write_xlsx


@pytest.fixture(scope="session", autouse=True)
def _session_records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Servers started by the tests keep their records in a temporary folder, never in the user's home."""
    saved = {k: os.environ.get(k) for k in ("MATCHER_DATA_DIR", "MATCHER_DATABASE_URL", "MATCHER_AUTH")}
    os.environ["MATCHER_DATA_DIR"] = str(tmp_path_factory.mktemp("records"))
    os.environ.pop("MATCHER_DATABASE_URL", None)
    os.environ.pop("MATCHER_AUTH", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def _records(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each test starts with empty records (a SQLite file of its own) and no login asked."""
    folder = tmp_path_factory.mktemp("records")
    monkeypatch.setenv("MATCHER_DATA_DIR", str(folder))
    # The CLI speaks the system's language, French when it names neither: the tests read its English words
    # unless they ask for French (`--lang fr`, or their own MATCHER_LANG).
    monkeypatch.setenv("MATCHER_LANG", "en")
    return folder


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
