"""Readers: .xlsx, CSV folders and DataFrames go through one code path, with Excel row numbers kept."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from workbooks import Sheets, Writer, write_csv_dir, write_xlsx

from matcher.io import spec
from matcher.io.readers import dataset_from_frames, read_dataset, read_workbook, workbook_from_frames


def test_tiny_workbooks_read_alike_from_xlsx_and_csv(
    write_workbook: Writer, tiny_cases: Sheets, tiny_localities: Sheets, tiny_paths: tuple[Path, Path]
) -> None:
    """The tiny pair reads as a valid dataset, the same from .xlsx files and from CSV folders."""
    report = read_dataset(write_workbook("cases", tiny_cases), write_workbook("localities", tiny_localities))
    assert report.issues == []
    assert report.dataset is not None
    assert report.dataset == read_dataset(*tiny_paths).dataset
    assert report.counts == {"cases": 3, "members": 6, "localities": 2, "housing": 3, "services": 2,
                             "jobs": 2, "interpreters": 2}


def test_records_hold_the_parsed_values(tiny_paths: tuple[Path, Path]) -> None:
    """Cases get their members, localities their housing and offers, with typed values."""
    data = read_dataset(*tiny_paths).dataset
    assert data is not None
    c1 = data.cases[0]
    assert [m.member_id for m in c1.members] == ["M1", "M2", "M3"]
    assert c1.members[0].languages == ("ar", "fr") and c1.members[0].driving_licence is True
    assert c1.linked_case_ids == ("C2",)
    pamiers = data.localities[0]
    assert pamiers.locality_id == "09225"
    assert [(h.bedrooms, h.step_free, h.units) for h in pamiers.housing] == [(2, False, 2), (3, True, 1)]
    assert data.localities[1].services[0].capacity == 2
    assert data.localities[1].interpreters[0].capacity is None
    assert data.localities[1].max_persons == 20 and data.localities[1].gp_capacity is None


def _untidy(cases: Sheets, localities: Sheets) -> tuple[Sheets, Sheets]:
    """The tiny pair as a hurried user types it: French headers and sheet names, oui/non, blank rows."""
    cases["Dossiers"] = cases.pop("cases")
    cases["Dossiers"][0] = ["ID dossier", "Date arrivée", "Commune attache",
                            "Dossiers liés", "Communes préférées", "Communes exclues", "PMR", "Besoins santé",
                            "Priorité", "Notes"]
    for row in cases["Dossiers"][1:]:
        row[6] = {"no": "non", "yes": "OUI"}[row[6]]
        row.append("free text the matcher ignores")
    cases["Dossiers"].insert(2, [""] * 10)
    cases["Membres"] = cases.pop("members")
    cases["Membres"][0] = ["id_dossier", "ID-Membre", "Âge", "Langues", "Niveau français", "Secteur", "Études",
                           "Permis"]
    localities["Communes"] = localities.pop("localities")
    localities["Communes"][0][0] = "Code INSEE"
    localities["Communes"][1][0] = 9225  # a number that lost its leading zero
    localities["Logements"] = localities.pop("housing")
    localities["Logements"][0] = ["code_insee", "Nb chambres", "plain-pied", "LOGEMENTS"]
    localities["Logements"][1][0] = 9225
    localities["Logements"].append([""] * 4)
    return cases, localities


def test_untidy_but_valid_workbook_validates(
    write_workbook: Writer, tiny_cases: Sheets, tiny_localities: Sheets, tiny_paths: tuple[Path, Path]
) -> None:
    """French aliases, odd case, accents, spacing, oui/non, blank rows and INSEE numbers read like the tidy pair."""
    cases, localities = _untidy(tiny_cases, tiny_localities)
    report = read_dataset(write_workbook("cases", cases), write_workbook("localities", localities))
    assert report.errors == [], [str(i) for i in report.errors]
    assert report.warnings == []
    assert report.dataset == read_dataset(*tiny_paths).dataset


def test_excel_row_numbers_count_the_header_and_blank_rows(xlsx_writer: Writer, tiny_localities: Sheets) -> None:
    """A bad cell after a blank row is reported on its Excel row, the header being row 1."""
    tiny_localities["housing"].insert(2, ["", "", "", ""])
    tiny_localities["housing"][3][1] = "three"  # now on Excel row 4
    read = read_workbook(xlsx_writer("localities", tiny_localities), spec.LOCALITIES)
    assert [(i.sheet, i.row, i.column) for i in read.issues] == [("housing", 4, "bedrooms")]
    assert [r.row for r in read.rows("housing")] == [2, 4, 5]
    assert str(read.issues[0]) == "localities.xlsx › housing › row 4 › bedrooms: expected a whole number from 1 to " \
                                  "10, got text 'three'"


def test_extra_columns_are_kept_aside(xlsx_writer: Writer, tiny_localities: Sheets) -> None:
    """Unknown columns land in each row's `extra`, not in its values."""
    for i, row in enumerate(tiny_localities["jobs"]):
        row.append("contact" if i == 0 else f"mairie-{i}")
    read = read_workbook(xlsx_writer("localities", tiny_localities), spec.LOCALITIES)
    assert read.issues == []
    assert read.sheets["jobs"].extra_columns == ["contact"]
    assert read.rows("jobs")[0].extra == {"contact": "mairie-1"}
    assert "contact" not in read.rows("jobs")[0].values


def test_misspelt_header_is_a_warning_with_suggestion(xlsx_writer: Writer, tiny_localities: Sheets) -> None:
    """A header close to a spec column is flagged, since its data would otherwise be silently ignored."""
    tiny_localities["localities"][0][12] = "secondary_seets"
    read = read_workbook(xlsx_writer("localities", tiny_localities), spec.LOCALITIES)
    assert [(i.severity, i.sheet, i.row) for i in read.issues] == [("warning", "localities", 1)]
    assert "did you mean 'secondary_seats'?" in read.issues[0].message


def test_csv_in_cp1252_with_semicolons(tmp_path: Path, tiny_cases: Sheets, tiny_localities: Sheets) -> None:
    """CSV saved by a French Excel (Windows-1252, ';') reads, accents in headers included."""
    tiny_localities["localities"][0][2] = "Département"
    tiny_localities["localities"][1][1] = "Saint-Girons-sur-Salat à l'été"
    folder = write_csv_dir(tmp_path / "localities", tiny_localities, delimiter=";", encoding="cp1252")
    read = read_workbook(folder, spec.LOCALITIES)
    assert read.issues == []
    assert read.rows("localities")[0].get("name") == "Saint-Girons-sur-Salat à l'été"
    assert read.rows("localities")[0].get("departement") == "09"


def test_csv_with_utf8_bom(tmp_path: Path, tiny_cases: Sheets) -> None:
    """A UTF-8 BOM does not stick to the first header."""
    folder = write_csv_dir(tmp_path / "cases", tiny_cases, encoding="utf-8-sig")
    read = read_workbook(folder, spec.CASES)
    assert read.issues == []
    assert read.rows("cases")[0].get("case_id") == "C1"


def test_csv_folder_ignores_other_files(tmp_path: Path, tiny_cases: Sheets) -> None:
    """Files that are not sheet CSVs (a readme, notes.csv) are ignored."""
    folder = write_csv_dir(tmp_path / "cases", tiny_cases)
    (folder / "README.txt").write_text("notes")
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    assert read_workbook(folder, spec.CASES).issues == []


def test_two_sheets_for_one_name_is_an_error(tmp_path: Path, tiny_localities: Sheets) -> None:
    """A 'housing' sheet and a 'logements' sheet cannot both be read."""
    tiny_localities["logements"] = tiny_localities["housing"]
    read = read_workbook(write_xlsx(tmp_path / "localities.xlsx", tiny_localities), spec.LOCALITIES)
    assert [(i.severity, i.sheet, i.row, i.column) for i in read.issues] == [("error", "housing", None, None)]


def test_missing_path_and_wrong_file_kinds(tmp_path: Path) -> None:
    """A missing path, a single CSV, an old .xls and a non-zip .xlsx are each one clear error."""
    single = tmp_path / "cases.csv"
    single.write_text("case_id\nC1\n")
    old = tmp_path / "cases.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    messages = {}
    for path in (tmp_path / "missing.xlsx", single, old, fake):
        read = read_workbook(path, spec.CASES)
        assert len(read.issues) == 1 and read.issues[0].severity == "error"
        messages[path.name] = read.issues[0].message
    assert messages["missing.xlsx"] == "no such file or folder"
    assert "single CSV file" in messages["cases.csv"]
    assert "old .xls" in messages["cases.xls"]
    assert "not a readable .xlsx" in messages["fake.xlsx"]


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    """An .xlsx that unpacks to hundreds of times its size is refused without being parsed."""
    bomb = tmp_path / "cases.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"0" * 20_000_000)
    read = read_workbook(bomb, spec.CASES)
    assert len(read.issues) == 1 and "zip bomb" in read.issues[0].message


def test_formula_cells_read_as_their_cached_value(tmp_path: Path, tiny_localities: Sheets) -> None:
    """A formula without a cached value (never opened in Excel) reads as blank, not as the formula text."""
    path = write_xlsx(tmp_path / "localities.xlsx", tiny_localities)
    book = openpyxl.load_workbook(path)
    book["localities"]["H2"] = "=5+5"
    book.save(path)
    read = read_workbook(path, spec.LOCALITIES)
    assert read.rows("localities")[0].get("max_persons") is None


def _frames(sheets: Sheets) -> dict[str, pd.DataFrame]:
    return {name: pd.DataFrame(rows[1:], columns=rows[0]) for name, rows in sheets.items()}


def test_dataframes_validate_like_files(tiny_cases: Sheets, tiny_localities: Sheets,
                                        tiny_paths: tuple[Path, Path]) -> None:
    """dataset_from_frames gives the same dataset as reading the files, rows numbered from 2."""
    report = dataset_from_frames(_frames(tiny_cases), _frames(tiny_localities))
    assert report.issues == []
    assert report.dataset == read_dataset(*tiny_paths).dataset
    tiny_cases["members"][2][2] = "old"
    bad = dataset_from_frames(_frames(tiny_cases), _frames(tiny_localities), names=("a.xlsx", "b.xlsx"))
    assert [i.location for i in bad.errors] == [("a.xlsx", "members", 3, "age")]


def test_editable_frames_round_trip_and_keep_row_numbers(xlsx_writer: Writer, tiny_localities: Sheets,
                                                         tiny_cases: Sheets) -> None:
    """The app's editable tables read back unchanged, and an edit is reported on its original Excel row."""
    cases = read_workbook(xlsx_writer("cases", tiny_cases), spec.CASES)
    tiny_localities["housing"].insert(1, ["", "", "", ""])
    tiny_localities["housing"][2][3] = "many"  # Excel row 3
    localities = read_workbook(xlsx_writer("localities", tiny_localities), spec.LOCALITIES)
    frames = localities.frames()
    assert list(frames["housing"].index) == [3, 4, 5]
    assert frames["housing"].loc[3, "units"] == "many"  # a bad cell shows what was typed
    assert frames["localities"].loc[2, "locality_id"] == "09225"
    assert cases.frames()["members"].loc[2, "languages"] == "ar; fr"

    frames["housing"].loc[3, "units"] = 2
    report = dataset_from_frames(cases.frames(), frames)
    assert report.issues == []
    frames["housing"].loc[4, "bedrooms"] = 0
    report = dataset_from_frames(cases.frames(), frames)
    assert [i.location for i in report.errors] == [("localities.xlsx", "housing", 4, "bedrooms")]


def test_frames_with_added_rows_and_sheet_aliases() -> None:
    """Sheet names match by alias; a row with no Excel number is still checked, located without a row."""
    frame = pd.DataFrame({"ID dossier": ["C1", "C1"], "id_membre": ["M1", "M2"], "age": [3, "old"]},
                         index=pd.Index([2, None], dtype="object"))
    read = workbook_from_frames({"Membres": frame, "dossiers": pd.DataFrame({"case_id": ["C1"]})}, spec.CASES)
    assert [(i.sheet, i.row, i.column) for i in read.issues] == [("members", None, "age")]
    assert str(read.issues[0]) == "cases.xlsx › members › age: expected a whole number from 0 to 120, got text"


def test_blank_rows_in_frames_are_skipped() -> None:
    """An empty row (e.g. added then left blank in the app) is skipped."""
    frame = pd.DataFrame({"case_id": ["C1", None], "member_id": ["M1", float("nan")], "age": [30, None]})
    read = workbook_from_frames({"members": frame, "cases": pd.DataFrame({"case_id": ["C1"]})}, spec.CASES)
    assert read.issues == [] and len(read.rows("members")) == 1


def _sheet_values(read: Any, sheet: str, column: str) -> list[Any]:
    return [r.get(column) for r in read.rows(sheet)]


def test_missing_optional_sheets_and_columns_read_as_blank(xlsx_writer: Writer, tiny_localities: Sheets) -> None:
    """Without jobs and interpreters sheets, or a step_free column, nothing is offered and units are not step-free."""
    del tiny_localities["jobs"], tiny_localities["interpreters"]
    tiny_localities["housing"] = [[r[0], r[1], r[3]] for r in tiny_localities["housing"]]
    read = read_workbook(xlsx_writer("localities", tiny_localities), spec.LOCALITIES)
    assert read.issues == []
    assert _sheet_values(read, "housing", "step_free") == [False, False, False]
    assert read.rows("jobs") == []


def test_swapped_inputs_are_named(tiny_paths: tuple[Path, Path]) -> None:
    """Giving the localities workbook as CASES is one error asking whether the inputs are swapped."""
    report = read_dataset(tiny_paths[1], tiny_paths[0])
    assert len(report.errors) == 2
    assert all("are the two inputs swapped?" in i.message for i in report.errors)


def test_upload_streams_read_like_files(tiny_paths: tuple[Path, Path]) -> None:
    """Open binary streams (the app's uploads) read like the files, named after the stream."""
    with tiny_paths[0].open("rb") as cases, tiny_paths[1].open("rb") as localities:
        report = read_dataset(cases, localities)
    assert report.issues == [] and report.dataset == read_dataset(*tiny_paths).dataset
    read = read_workbook(io.BytesIO(b"not a zip"), spec.CASES, label="upload.xlsx")
    assert [str(i) for i in read.issues] == ["upload.xlsx: not a readable .xlsx workbook (save it as Excel .xlsx, "
                                             "or as CSV files in a folder)"]


def test_openpyxl_parses_with_defusedxml() -> None:
    """openpyxl finds defusedxml, so workbook XML cannot expand entities."""
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML


def test_notes_beside_the_table_are_not_rows(xlsx_writer: Writer, tiny_localities: Sheets) -> None:
    """A row with text only in an ignored column (a note under the table) is skipped, not reported."""
    for i, row in enumerate(tiny_localities["housing"]):
        row.append("notes" if i == 0 else "")
    tiny_localities["housing"].append(["", "", "", "", "units to be confirmed in June"])
    read = read_workbook(xlsx_writer("localities", tiny_localities), spec.LOCALITIES)
    assert read.issues == [] and len(read.rows("housing")) == 3
