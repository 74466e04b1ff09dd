"""Readers: .xlsx, CSV folders and DataFrames go through one code path, with Excel row numbers kept."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
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


@pytest.mark.parametrize(("encoding", "delimiter"), [
    ("utf-16", ","),  # with a byte order mark
    ("utf-16", "\t"),  # Excel's "Unicode text"
    ("utf-16-le", "\t"),  # without a byte order mark
    ("utf-16-be", ";"),
    ("utf-32", ","),
    ("cp1252", "\t"),
    ("latin-1", ","),
    ("utf-8", "\t"),
    ("utf-8-sig", ";"),
])
def test_csv_in_other_encodings_and_separators_reads_alike(tmp_path: Path, tiny_cases: Sheets,
                                                           tiny_localities: Sheets, encoding: str,
                                                           delimiter: str) -> None:
    """UTF-16 and UTF-32 (with or without byte order mark), Windows-1252 and Latin-1, tab-separated or not: the
    same dataset as the UTF-8, comma-separated files, accents kept."""
    tiny_localities["localities"][1][1] = "Saint-Girons-sur-Salat à l'été"
    expected = read_dataset(write_csv_dir(tmp_path / "c0", tiny_cases), write_csv_dir(tmp_path / "l0", tiny_localities))
    assert expected.dataset is not None
    report = read_dataset(write_csv_dir(tmp_path / "cases", tiny_cases, delimiter, encoding),
                          write_csv_dir(tmp_path / "localities", tiny_localities, delimiter, encoding))
    assert report.issues == []
    assert report.dataset == expected.dataset
    assert report.dataset.localities[0].name == "Saint-Girons-sur-Salat à l'été"


def test_excel_separator_line_names_the_separator(tmp_path: Path, tiny_cases: Sheets) -> None:
    """Excel's 'sep=;' first line is read as the separator, and rows are numbered as Excel shows them."""
    folder = write_csv_dir(tmp_path / "cases", tiny_cases, delimiter=";")
    for file in folder.iterdir():
        file.write_bytes(b"sep=;\r\n" + file.read_bytes())
    tiny_cases["members"][2][2] = "old"
    (folder / "members.csv").unlink()
    write_csv_dir(tmp_path / "tmp", {"members": tiny_cases["members"]}, delimiter=";")
    (folder / "members.csv").write_bytes(b"sep=;\r\n" + (tmp_path / "tmp" / "members.csv").read_bytes())
    read = read_workbook(folder, spec.CASES)
    assert [i.location for i in read.issues] == [("cases", "members", 3, "age")]


@pytest.mark.parametrize(("delimiter", "encoding", "hint"), [
    ("|", "utf-8", "this file looks separated by '|': save it as CSV UTF-8 (comma-separated)"),
    (",", "utf-16-le", "this file looks UTF-16 or binary, not CSV text: save it as CSV UTF-8"),
])
def test_csv_that_cannot_be_read_as_a_table_gets_a_hint(tmp_path: Path, tiny_cases: Sheets, delimiter: str,
                                                        encoding: str, hint: str) -> None:
    """A file that reads as one column says how to save it, once per sheet, never a bare 'missing column'."""
    folder = write_csv_dir(tmp_path / "cases", tiny_cases, delimiter, encoding)
    if encoding == "utf-16-le":  # a lone surrogate first: looks UTF-16, cannot be decoded as such
        for file in folder.iterdir():
            file.write_bytes(b"\x00\xd8" + file.read_bytes())
    read = read_workbook(folder, spec.CASES)
    assert [(i.severity, i.sheet, i.column) for i in read.issues] == [("error", "cases", None),
                                                                       ("error", "members", None)]
    for issue in read.issues:
        assert issue.message.startswith("no column was recognised (required: ") and hint in issue.message
    assert not any("missing required column" in i.message for i in read.issues)


def _title_sheets(sheets: Sheets, title: str, blank_rows: int = 0) -> Sheets:
    """Each sheet with a title row (padded to the table's width, as spreadsheets save it) and blank rows."""
    return {name: [[title] + [""] * (len(rows[0]) - 1), *([[]] * blank_rows), *rows] for name, rows in sheets.items()}


def test_a_merged_title_row_above_the_header_is_skipped_with_a_warning(tmp_path: Path, tiny_localities: Sheets) -> None:
    """'Capacités 2026 — DDETS' merged over row 1, the header on row 3: read as if the header were on row 1,
    one warning per sheet, and problems named on their real Excel rows."""
    tiny_localities["housing"][2][1] = "three"
    path = write_xlsx(tmp_path / "localities.xlsx", _title_sheets(tiny_localities, "Capacités 2026 — DDETS", 1))
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ws.max_column)
    book.save(path)
    read = read_workbook(path, spec.LOCALITIES)
    warnings = [i for i in read.issues if i.severity == "warning"]
    assert [(i.sheet, i.row) for i in warnings] == [(s, 3) for s in ("localities", "housing", "services", "jobs",
                                                                      "interpreters")]
    assert warnings[0].message == "the header is on row 3: row 1 above it was skipped as a title"
    assert [i.location for i in read.issues if i.severity == "error"] == [("localities.xlsx", "housing", 5,
                                                                            "bedrooms")]
    tiny_localities["housing"][2][1] = 3
    plain = read_workbook(write_xlsx(tmp_path / "plain.xlsx", tiny_localities), spec.LOCALITIES)
    fixed = _title_sheets(tiny_localities, "Capacités 2026 — DDETS")
    titled = read_workbook(write_csv_dir(tmp_path / "titled", fixed, delimiter=";"), spec.LOCALITIES)
    assert [i.severity for i in titled.issues] == ["warning"] * 5
    assert {n: [r.values for r in s.rows] for n, s in titled.sheets.items()} == \
        {n: [r.values for r in s.rows] for n, s in plain.sheets.items()}


def test_a_title_too_far_above_the_header_is_one_clear_error(tmp_path: Path, tiny_cases: Sheets,
                                                            tiny_localities: Sheets) -> None:
    """Beyond the rows a title may take, the header is not searched: one error per sheet says why, and the
    cross-sheet checks do not add one error per row (there were 663 such for one real problem)."""
    deep = {"localities": [[f"note {k}"] for k in range(6)] + tiny_localities["localities"],
            **{k: v for k, v in tiny_localities.items() if k != "localities"}}
    report = read_dataset(write_xlsx(tmp_path / "cases.xlsx", tiny_cases),
                          write_xlsx(tmp_path / "localities.xlsx", deep))
    assert [str(i) for i in report.issues] == [
        "localities.xlsx › localities › row 1: no column was recognised (required: locality_id); row 1 looks like "
        "a title: the header must be on the first row, or below at most 4 title rows"]


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


def _with_saved_values(path: Path, values: dict[str, str]) -> Path:
    """Give formula cells of the first sheet a saved value, as a spreadsheet program does when it saves
    (openpyxl writes formulas with an empty value): cell reference -> the XML of the cell's value part."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, xml in values.items():
        start = sheet.index(f'<c r="{ref}"')
        end = sheet.index("</c>", start) + len("</c>")
        sheet = sheet[:start] + xml.format(ref=ref) + sheet[end:]
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def test_a_formula_without_a_saved_value_is_an_error_not_a_blank(tmp_path: Path, tiny_localities: Sheets) -> None:
    """max_persons '=1+1' written by a script (never opened in a spreadsheet program) has no saved value: it is
    an error naming file, sheet, row and column, where it used to read as blank, that is "no limit".
    (This test used to assert the blank; the error is the point of the change.)"""
    path = write_xlsx(tmp_path / "localities.xlsx", tiny_localities)
    book = openpyxl.load_workbook(path)
    book["localities"]["H2"] = "=1+1"
    book["housing"]["D3"] = "=A1"
    book.save(path)
    read = read_workbook(path, spec.LOCALITIES)
    message = ("a formula without a saved value: open and save the workbook in a spreadsheet program, "
               "or type the value")
    assert [str(i) for i in read.issues] == [f"localities.xlsx › localities › row 2 › max_persons: {message}",
                                             f"localities.xlsx › housing › row 3 › units: {message}"]
    # The app's table shows the formula, which reads back as an error until the user types a value.
    frame = read.frames()["localities"]
    assert frame.loc[2, "max_persons"] == "=1+1"


def test_formulas_with_a_saved_value_read_as_that_value(tmp_path: Path, tiny_localities: Sheets) -> None:
    """A formula saved by a spreadsheet program reads as its saved result; an empty text result is blank."""
    path = write_xlsx(tmp_path / "localities.xlsx", tiny_localities)
    book = openpyxl.load_workbook(path)
    book["localities"]["H2"] = "=5+5"
    book["localities"]["I2"] = '=IF(1,"","x")'
    book["localities"]["B3"] = '=UPPER("toulouse")'
    book.save(path)
    _with_saved_values(path, {"H2": '<c r="{ref}"><f>5+5</f><v>10</v></c>',
                              "I2": '<c r="{ref}" t="str"><f>IF(1,"","x")</f><v></v></c>',
                              "B3": '<c r="{ref}" t="str"><f>UPPER("toulouse")</f><v>TOULOUSE</v></c>'})
    read = read_workbook(path, spec.LOCALITIES)
    assert read.issues == []
    first, second = read.rows("localities")
    assert first.get("max_persons") == 10 and first.get("max_cases") is None
    assert second.get("name") == "TOULOUSE"


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
