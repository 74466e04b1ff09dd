"""Workbook builders for tests: the tiny reference workbooks as rows, and writers to .xlsx and CSV folders.

`TINY_CASES` and `TINY_LOCALITIES` (fixtures `tiny_cases`, `tiny_localities`) map sheet names to rows,
the header first. Three families, two communes:

- C1 (3 persons, a child of 5) and C2 (1 person, needs an Arabic interpreter) are linked; C1 has ties and a
  preference for Pamiers (09225), which has a 2-bedroom unit and Arabic interpreting.
- C3 (2 persons) needs step-free housing and dialysis, excludes Pamiers and prefers Toulouse (31555), which
  offers both.

Every check passes on this pair, with no warning; tests change one cell to exercise one rule.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

Sheets = dict[str, list[list[Any]]]
Writer = Callable[[str, Sheets], Path]

TINY_CASES: Sheets = {
    "cases": [
        ["case_id", "arrival_date", "tie_locality_id", "linked_case_ids", "preferred_locality_ids",
         "excluded_locality_ids", "needs_step_free_housing", "health_services", "priority"],
        ["C1", "2024-03-01", "09225", "C2", "09225", "", "no", "", 0],
        ["C2", "2024-03-01", "", "C1", "", "", "no", "", 1],
        ["C3", "2024-04-15", "", "", "31555", "09225", "yes", "dialysis", 2],
    ],
    "members": [
        ["case_id", "member_id", "age", "languages", "french_level", "sector", "education", "driving_licence"],
        ["C1", "M1", 34, "ar;fr", "A2", "construction", "secondary", "yes"],
        ["C1", "M2", 31, "ar", "A1", "", "primary", "no"],
        ["C1", "M3", 5, "ar", "none", "", "", "no"],
        ["C2", "M4", 58, "ar", "none", "agriculture", "none", "no"],
        ["C3", "M5", 40, "uk;ru", "B1", "health_care", "higher", "yes"],
        ["C3", "M6", 12, "uk", "A2", "", "", "no"],
    ],
}

TINY_LOCALITIES: Sheets = {
    "localities": [
        ["locality_id", "name", "departement", "region", "lat", "lon", "population", "max_persons", "max_cases",
         "gp_capacity", "creche_seats", "primary_seats", "secondary_seats", "french_class_seats",
         "public_transport", "budget_eur", "cost_per_person_eur"],
        ["09225", "Pamiers", "09", "Occitanie", 43.116, 1.611, 15700, 10, 3, 20, 2, 5, 5, 6, "limited", 50000, 4000],
        ["31555", "Toulouse", "31", "Occitanie", 43.604, 1.444, 500000, 20, 5, "", "", "", "", "", "good", "", ""],
    ],
    "housing": [
        ["locality_id", "bedrooms", "step_free", "units"],
        ["09225", 2, "no", 2],
        ["09225", 3, "yes", 1],
        ["31555", 2, "yes", 3],
    ],
    "services": [
        ["locality_id", "service", "capacity"],
        ["09225", "pediatrics", ""],
        ["31555", "dialysis", 2],
    ],
    "jobs": [
        ["locality_id", "sector", "vacancies", "requires_licence"],
        ["09225", "construction", 2, "yes"],
        ["31555", "health_care", 1, "no"],
    ],
    "interpreters": [
        ["locality_id", "language", "capacity"],
        ["09225", "ar", 5],
        ["31555", "uk", ""],
    ],
}


def write_xlsx(path: Path, sheets: Sheets) -> Path:
    """Write sheets of rows to an .xlsx file; '' cells are left empty, as a user would."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value != "" and value is not None:
                    ws.cell(row=r, column=c, value=value)
    book.save(path)
    return path


def write_csv_dir(path: Path, sheets: Sheets, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    """Write sheets of rows as one CSV file per sheet in a folder."""
    path.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        with (path / f"{name}.csv").open("w", newline="", encoding=encoding) as f:
            csv.writer(f, delimiter=delimiter).writerows(rows)
    return path
