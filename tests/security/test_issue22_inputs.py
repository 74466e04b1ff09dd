"""Issue 22's spreadsheet attacks, through the CLI: each reproduced as the attack was made, now refused or read
right (a formula without a saved value, look-alike and invisible ids, ids longer than the records hold, a
merged title row, UTF-16 and tab-separated CSV files)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner
from workbooks import Sheets, write_csv_dir, write_xlsx

from matcher.cli import app
from matcher.io.spec import MAX_ID_CHARS

FORMULA_MESSAGE = ("a formula without a saved value: open and save the workbook in a spreadsheet program, "
                   "or type the value")


def _run(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(app, list(args))
    return out.exit_code, out.output


def test_a_capacity_formula_without_a_saved_value_stops_validate_and_match(tmp_path: Path, tiny_cases: Sheets,
                                                                         tiny_localities: Sheets) -> None:
    """The attack: max_persons '=1+1' written by openpyxl read as blank (no limit), 22 persons placed where 2
    were allowed. Now `validate` exits 1 naming file, sheet, row and column, and `match` writes nothing."""
    cases = write_xlsx(tmp_path / "cases.xlsx", tiny_cases)
    localities = write_xlsx(tmp_path / "localities.xlsx", tiny_localities)
    book = openpyxl.load_workbook(localities)
    book["localities"]["H2"] = "=1+1"  # max_persons of Pamiers
    book.save(localities)
    with zipfile.ZipFile(localities) as z:  # as openpyxl writes it: a formula and an empty value
        assert "<f>1+1</f><v />" in z.read("xl/worksheets/sheet1.xml").decode()
    code, output = _run("validate", str(cases), str(localities))
    assert code == 1
    assert f"localities.xlsx › localities › row 2 › max_persons: {FORMULA_MESSAGE}" in output
    assert "not valid: 1 error" in output
    out = tmp_path / "plan.xlsx"
    code, output = _run("match", str(cases), str(localities), "--out", str(out), "-q")
    assert code == 1 and FORMULA_MESSAGE in output and not out.exists()


def test_two_pamiers_differing_by_width_or_an_invisible_character_cannot_both_pass(
        tmp_path: Path, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """The attack: '０９２２５' (full-width) and '09225', or 'C1' and 'C1' with a zero-width space, accepted as
    different ids that look the same. Now the full-width one reads as the same id (a duplicate), and the
    invisible character is an error naming the cell and the character."""
    pamiers = tiny_localities["localities"][1]
    tiny_localities["localities"].append(["０９２２５", *pamiers[1:]])
    tiny_localities["localities"].append(["31\u200b555", *tiny_localities["localities"][2][1:]])
    tiny_cases["cases"].append(["C\u200b1", *[""] * 8])
    tiny_cases["members"].append(["C\u200b1", "M\ufeff9", 30, "", "", "", "", ""])
    cases = write_csv_dir(tmp_path / "cases", tiny_cases)
    localities = write_xlsx(tmp_path / "localities.xlsx", tiny_localities)
    code, output = _run("validate", str(cases), str(localities))
    assert code == 1
    lines = output.splitlines()
    assert "error: localities.xlsx › localities › row 4 › locality_id: duplicate locality_id '09225' (also on " \
        "row 2)" in lines
    invisible = "got an invisible character (U+200B ZERO WIDTH SPACE) at position"
    assert [line.split(": ")[1] for line in lines if invisible in line] == [
        "cases › cases › row 5 › case_id", "cases › members › row 8 › case_id",
        "localities.xlsx › localities › row 5 › locality_id"]
    assert ("error: cases › members › row 8 › member_id: expected an identifier, got an invisible character "
            "(U+FEFF ZERO WIDTH NO-BREAK SPACE) at position 2") in output
    assert "not valid: 5 errors" in output


def test_ids_longer_than_the_records_hold_are_refused_by_validate(tmp_path: Path, tiny_cases: Sheets,
                                                                 tiny_localities: Sheets) -> None:
    """The attack: a 300-character case id and a 60-character locality id worked on SQLite and failed on
    PostgreSQL ("internal error (DataError)"). Both are now validation errors naming the cell and the limit."""
    long_case = "C" * 300
    tiny_cases["cases"][3][0] = long_case
    tiny_cases["members"][5][0] = tiny_cases["members"][6][0] = long_case
    tiny_localities["housing"][3][0] = "L" * 60
    code, output = _run("validate", str(write_xlsx(tmp_path / "cases.xlsx", tiny_cases)),
                        str(write_xlsx(tmp_path / "localities.xlsx", tiny_localities)))
    assert code == 1
    too_long = (f"expected an identifier, got an identifier of 300 characters; at most {MAX_ID_CHARS} "
                "characters")
    assert f"cases.xlsx › cases › row 4 › case_id: {too_long}" in output
    assert f"cases.xlsx › members › row 6 › case_id: {too_long}" in output
    assert ("localities.xlsx › housing › row 4 › locality_id: expected an INSEE commune code (5 characters, "
            "e.g. 09225 or 2A004), got text '" + "L" * 39 + "…'") in output
    assert long_case not in output


def test_a_merged_title_row_reads_with_one_warning_per_sheet(tmp_path: Path, tiny_cases: Sheets,
                                                            tiny_localities: Sheets) -> None:
    """The attack: 'Capacités 2026 — DDETS' merged over row 1, the header on row 2: 663 errors for one real
    problem. Now the title is skipped with a warning, and the plan is the same as without it."""
    titled = {name: [["Capacités 2026 — DDETS"], *rows] for name, rows in tiny_localities.items()}
    path = write_xlsx(tmp_path / "localities.xlsx", titled)
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ws.max_column)
    book.save(path)
    cases = write_xlsx(tmp_path / "cases.xlsx", tiny_cases)
    code, output = _run("validate", str(cases), str(path))
    assert code == 0, output
    assert "localities.xlsx › housing › row 2: the header is on row 2: row 1 above it was skipped as a title" \
        in output
    assert output.count("skipped as a title") == 5
    assert "valid: 3 cases (6 persons), 2 localities; 5 warnings" in output
    plain = write_xlsx(tmp_path / "plain.xlsx", tiny_localities)
    for name, source in (("titled.csv", path), ("plain.csv", plain)):
        code, output = _run("match", str(cases), str(source), "--out", str(tmp_path / name), "-q", "--seed", "1",
                            "--time-limit", "5")
        assert code == 0, output
    assert (tmp_path / "titled.csv").read_text() == (tmp_path / "plain.csv").read_text()


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-16", "\t"), ("utf-16-le", ","), ("cp1252", ";"),
                                                     ("utf-8", "\t")])
def test_utf16_cp1252_and_tab_separated_csv_validate(tmp_path: Path, tiny_cases: Sheets, tiny_localities: Sheets,
                                                     encoding: str, delimiter: str) -> None:
    """The attack: UTF-16 or tab-separated CSV said "missing required column" with no hint. Now they read."""
    tiny_localities["localities"][2][1] = "Saint-Étienne-de-Tulmont"
    cases = write_csv_dir(tmp_path / "cases", tiny_cases, delimiter, encoding)
    localities = write_csv_dir(tmp_path / "localities", tiny_localities, delimiter, encoding)
    code, output = _run("validate", str(cases), str(localities))
    assert code == 0, output
    assert output.strip() == "valid: 3 cases (6 persons), 2 localities; 0 warnings"
    out = tmp_path / "plan.xlsx"
    code, output = _run("match", str(cases), str(localities), "--out", str(out), "-q", "--time-limit", "5")
    assert code == 0, output
    names = {row[2] for row in openpyxl.load_workbook(out)["Placements"].iter_rows(min_row=2, values_only=True)}
    assert "Saint-Étienne-de-Tulmont" in names


def test_a_csv_that_still_reads_as_one_column_says_how_to_save_it(tmp_path: Path, tiny_cases: Sheets,
                                                                  tiny_localities: Sheets) -> None:
    """A '|'-separated file: one error per sheet with the hint, not a list of missing columns."""
    cases = write_csv_dir(tmp_path / "cases", tiny_cases, "|")
    code, output = _run("validate", str(cases), str(write_csv_dir(tmp_path / "localities", tiny_localities)))
    assert code == 1
    assert "missing required column" not in output
    assert ("cases › members › row 1: no column was recognised (required: case_id, member_id, age); this file "
            "looks separated by '|': save it as CSV UTF-8 (comma-separated), or separate the columns with ',', "
            "';' or a tab") in output
