"""Templates and data workbooks written from the column spec."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.workbook.workbook import Workbook as XlWorkbook

from matcher.io.spec import CASES, LOCALITIES, Kind, Workbook
from matcher.io.templates import (
    EXAMPLE_DATASET,
    INSEE_ATTRIBUTION,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    dataset_frames,
    write_dataset,
    write_templates,
    write_workbook,
)
from matcher.models.records import Case, Dataset, Member

SPECS = (CASES, LOCALITIES)


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    write_templates(out)
    return out


def _load(template_dir: Path, spec: Workbook) -> XlWorkbook:
    return openpyxl.load_workbook(template_dir / spec.filename)


def _validations_by_column(ws: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, list]:
    """Header name -> data validations whose range starts at row 2 of that column."""
    headers = {cell.column_letter: cell.value for cell in ws[1]}
    out: dict[str, list] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            if rng.min_row == 2 and rng.max_row >= 1000 and rng.min_col == rng.max_col:
                letter = openpyxl.utils.get_column_letter(rng.min_col)
                out.setdefault(headers[letter], []).append(dv)
    return out


def test_write_templates_returns_both_files(tmp_path: Path) -> None:
    """write_templates writes cases.xlsx and localities.xlsx and returns their paths."""
    paths = write_templates(tmp_path)
    assert [p.name for p in paths] == ["cases.xlsx", "localities.xlsx"]
    assert all(p.is_file() for p in paths)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_templates_have_every_spec_sheet_and_column(template_dir: Path, spec: Workbook) -> None:
    """Sheets follow the spec after the Instructions sheet, with the canonical headers in spec order."""
    wb = _load(template_dir, spec)
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, *(s.name for s in spec.sheets), LISTS_SHEET]
    for sheet in spec.sheets:
        headers = [c.value for c in wb[sheet.name][1]]
        assert headers == [c.name for c in sheet.columns]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_header_row_is_bold_frozen_and_commented(template_dir: Path, spec: Workbook) -> None:
    """Every header is bold and carries its help text as a comment; the header row is frozen."""
    wb = _load(template_dir, spec)
    for sheet in spec.sheets:
        ws = wb[sheet.name]
        assert ws.freeze_panes == "A2"
        for col, cell in zip(sheet.columns, ws[1], strict=True):
            assert cell.font.bold
            assert cell.comment is not None
            assert col.help_en in cell.comment.text and col.help_fr in cell.comment.text
            assert ws.column_dimensions[cell.column_letter].width >= 10


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_coded_columns_have_dropdowns_from_hidden_lists(template_dir: Path, spec: Workbook) -> None:
    """Every coded, boolean or priority column has a list dropdown that points at the hidden lists sheet."""
    wb = _load(template_dir, spec)
    lists = wb[LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    for sheet in spec.sheets:
        by_col = _validations_by_column(wb[sheet.name])
        for col in sheet.columns:
            if not (col.choices or col.kind is Kind.BOOL):
                continue
            (dv,) = by_col[col.name]
            assert dv.type == "list"
            assert dv.formula1.startswith(f"{LISTS_SHEET}!")
            # The referenced range holds exactly the allowed values.
            ref = dv.formula1.split("!")[1].replace("$", "")
            values = [c.value for row in lists[ref] for c in row]
            expected = ["yes", "no"] if col.kind is Kind.BOOL else list(col.choices)
            assert [str(v) for v in values] == expected


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_numeric_columns_have_number_validation(template_dir: Path, spec: Workbook) -> None:
    """Numeric columns without codes accept only whole numbers or decimals within the spec's bounds."""
    wb = _load(template_dir, spec)
    for sheet in spec.sheets:
        by_col = _validations_by_column(wb[sheet.name])
        for col in sheet.columns:
            if col.kind not in (Kind.INT, Kind.FLOAT) or col.choices:
                continue
            (dv,) = by_col[col.name]
            assert dv.type == ("whole" if col.kind is Kind.INT else "decimal")
            if col.minimum is not None:
                assert float(dv.formula1) == col.minimum
            if col.maximum is not None:
                assert float(dv.formula2) == col.maximum


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_id_columns_are_text_formatted(template_dir: Path, spec: Workbook) -> None:
    """Identifier and INSEE columns are formatted as text, in written cells and for rows to come."""
    wb = _load(template_dir, spec)
    for sheet in spec.sheets:
        ws = wb[sheet.name]
        for cell, col in zip(ws[1], sheet.columns, strict=True):
            if col.kind in (Kind.ID, Kind.INSEE, Kind.INSEE_LIST, Kind.LIST):
                assert ws.column_dimensions[cell.column_letter].number_format == "@"
                for (value_cell,) in ws.iter_rows(min_row=2, min_col=cell.column, max_col=cell.column):
                    if value_cell.value is not None:
                        assert value_cell.number_format == "@"


def test_insee_codes_keep_leading_zero(template_dir: Path) -> None:
    """The Pamiers example code is stored as the text '09225', not the number 9225."""
    ws = _load(template_dir, LOCALITIES)["localities"]
    assert ws["A2"].value == "09225"
    assert ws["A2"].data_type == "s"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_instructions_sheet_documents_every_column(template_dir: Path, spec: Workbook) -> None:
    """The Instructions sheet comes first; per column: French and English help, expectation, codes."""
    wb = _load(template_dir, spec)
    assert wb.sheetnames[0] == INSTRUCTIONS_SHEET
    rows = [tuple(r) for r in wb[INSTRUCTIONS_SHEET].iter_rows(values_only=True)]
    text = "\n".join(str(v) for r in rows for v in r if v is not None)
    assert "Français" in text and "English" in text
    for sheet in spec.sheets:
        for col in sheet.columns:
            matches = [r for r in rows if r[0] == sheet.name and r[1] == col.name]
            assert len(matches) == 1, (sheet.name, col.name)
            row = matches[0]
            assert col.help_fr in row and col.help_en in row and col.expected() in row
            if col.choices:
                assert ", ".join(col.choices) in row


def test_localities_instructions_carry_insee_attribution(template_dir: Path) -> None:
    """The localities template cites INSEE, whose figures the example communes use."""
    ws = _load(template_dir, LOCALITIES)[INSTRUCTIONS_SHEET]
    values = [c for r in ws.iter_rows(values_only=True) for c in r]
    assert INSEE_ATTRIBUTION in values


def test_templates_hold_the_example_rows(template_dir: Path) -> None:
    """Each data sheet holds example rows below the header."""
    for spec in SPECS:
        wb = _load(template_dir, spec)
        for sheet in spec.sheets:
            assert wb[sheet.name].max_row >= 3, sheet.name


def test_filled_template_reads_back_unchanged(template_dir: Path) -> None:
    """Reading the templates gives back exactly the example dataset, with no error."""
    from matcher.io.readers import read_dataset

    report = read_dataset(template_dir / "cases.xlsx", template_dir / "localities.xlsx")
    assert report.dataset is not None, report.issues
    assert report.dataset == EXAMPLE_DATASET


def test_written_dataset_reads_back_unchanged(tmp_path: Path) -> None:
    """write_dataset then read_dataset is the identity on a dataset with blanks, lists and booleans."""
    from matcher.io.readers import read_dataset

    extra = Case(
        case_id="EX-003",
        members=(Member(case_id="EX-003", member_id="EX-003-1", age=61, languages=("uk", "ru")),),
        preferred_locality_ids=("63178",),
        priority=2,
    )
    dataset = Dataset(cases=(*EXAMPLE_DATASET.cases, extra), localities=EXAMPLE_DATASET.localities)
    cases_path, localities_path = write_dataset(dataset, tmp_path, instructions=False)
    report = read_dataset(cases_path, localities_path)
    assert report.dataset is not None, report.issues
    assert report.dataset == dataset


def test_dataset_frames_follow_the_spec() -> None:
    """dataset_frames gives one table per spec sheet, with the spec's columns in order."""
    frames = dataset_frames(EXAMPLE_DATASET)
    for spec in SPECS:
        assert list(frames[spec.name]) == [s.name for s in spec.sheets]
        for sheet in spec.sheets:
            assert list(frames[spec.name][sheet.name].columns) == [c.name for c in sheet.columns]
    members = frames["cases"]["members"]
    assert members.loc[0, "languages"] == "ar;fr"
    assert members.loc[1, "sector"] is None


def test_write_workbook_converts_values(tmp_path: Path) -> None:
    """Booleans become yes/no, tuples are joined with ';', dates and numbers stay so, blanks stay blank."""
    cases = pd.DataFrame({
        "case_id": ["A-1", "A-2"],
        "arrival_date": [dt.date(2025, 1, 31), None],
        "linked_case_ids": [("A-2",), ("A-1",)],
        "needs_step_free_housing": [True, False],
        "priority": [2, float("nan")],
    })
    path = write_workbook(tmp_path / "cases.xlsx", CASES, {"cases": cases})
    ws = openpyxl.load_workbook(path)["cases"]
    header = [c.value for c in ws[1]]
    row = dict(zip(header, (c.value for c in ws[2]), strict=True))
    assert row["linked_case_ids"] == "A-2"
    assert row["needs_step_free_housing"] == "yes"
    assert row["priority"] == 2
    assert row["arrival_date"].date() == dt.date(2025, 1, 31)
    row2 = dict(zip(header, (c.value for c in ws[3]), strict=True))
    assert row2["needs_step_free_housing"] == "no"
    assert row2["arrival_date"] is None and row2["priority"] is None and row2["tie_locality_id"] is None


def test_write_workbook_keeps_extra_columns_and_writes_missing_sheets(tmp_path: Path) -> None:
    """Extra columns come after the spec's; a sheet without data is written with its headers only."""
    cases = pd.DataFrame({"case_id": ["A-1"], "note": ["kept"]})
    path = write_workbook(tmp_path / "cases.xlsx", CASES, {"cases": cases}, instructions=False)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["cases", "members", LISTS_SHEET]
    header = [c.value for c in wb["cases"][1]]
    assert header[-1] == "note" and wb["cases"].cell(2, len(header)).value == "kept"
    assert wb["members"].max_row == 1


def test_write_workbook_neutralises_formulas(tmp_path: Path) -> None:
    """Text that starts like a formula is written inert, never as a formula."""
    cases = pd.DataFrame({"case_id": ["=HYPERLINK(\"http://x\")", "@SUM(1)"]})
    path = write_workbook(tmp_path / "cases.xlsx", CASES, {"cases": cases})
    ws = openpyxl.load_workbook(path)["cases"]
    for cell in (ws["A2"], ws["A3"]):
        assert cell.data_type == "s"
        assert str(cell.value).startswith("'")


def test_write_workbook_rejects_unknown_sheet(tmp_path: Path) -> None:
    """A table for a sheet the spec does not have is an error naming it."""
    with pytest.raises(ValueError, match="households"):
        write_workbook(tmp_path / "cases.xlsx", CASES, {"households": pd.DataFrame()})
