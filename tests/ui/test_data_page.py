"""Data page: sample, uploads, the validation report, editing and re-validation, templates."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from apptest_helpers import XLSX, assert_clean, new_app, shown

from ui.components import data as data_helpers
from ui.components import workbooks


def _upload(at, cases_path, localities_path):
    at.file_uploader(key="upload_cases").set_value((cases_path.name, cases_path.read_bytes(), XLSX))
    at.file_uploader(key="upload_localities").set_value((localities_path.name, localities_path.read_bytes(), XLSX))
    return at.button(key="upload_validate").click().run()


def test_sample_is_preloaded_and_valid():
    """A first visit loads the sample: no error, counts at a glance."""
    at = new_app().run()
    assert_clean(at)
    ds = at.session_state["dataset"]
    assert ds is not None and at.session_state["data_source"] == "sample"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Families"] == str(len(ds.cases))
    assert metrics["Communes"] == str(len(ds.localities))
    assert metrics["Persons"] == str(ds.persons)
    assert not [i for i in at.session_state["issues"] if i.severity == "error"]


def test_without_sample_the_page_invites_an_upload(no_sample):
    """With no sample installed, the page says how to start and shows no error."""
    at = new_app().run()
    assert_clean(at)
    assert at.session_state["dataset"] is None
    assert any("No data yet" in i.value for i in at.info)


def test_valid_upload_replaces_the_data(no_sample, tiny_paths):
    """Uploading two valid workbooks validates them and shows their counts."""
    at = _upload(new_app().run(), *tiny_paths)
    assert_clean(at)
    assert at.session_state["dataset"] is not None
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Families"] == "3" and metrics["Persons"] == "6" and metrics["Communes"] == "2"
    assert any("No problem found" in s.value for s in at.success)


def test_invalid_workbook_shows_the_error_table(no_sample, tmp_path, tiny_cases, tiny_localities, xlsx_writer):
    """A bad cell gives an error table naming workbook, sheet, row and column, and no dataset."""
    tiny_cases["members"][2][2] = "thirty"  # M2's age, Excel row 3
    tiny_localities["housing"][1][1] = 0  # bedrooms below 1, Excel row 2
    at = _upload(new_app().run(), xlsx_writer("cases", tiny_cases), xlsx_writer("localities", tiny_localities))
    assert not at.exception
    assert at.session_state["dataset"] is None
    assert any("error(s) must be fixed" in e.value for e in at.error)
    table = at.dataframe[0].value  # the report comes before the editable tables
    assert list(table.columns) == ["severity", "workbook", "sheet", "row", "column", "problem"]
    rows = {(r.workbook, r.sheet, r.row, r.column) for r in table.itertuples()}
    assert ("cases.xlsx", "members", 3, "age") in rows
    assert ("localities.xlsx", "housing", 2, "bedrooms") in rows
    assert all("thirty" not in p for p in table["problem"])  # personal cells are never echoed
    assert at.download_button(key="report_download") is not None


def test_fixing_a_cell_in_place_and_revalidating_clears_the_error(no_sample, tiny_cases, tiny_localities,
                                                                   xlsx_writer):
    """Editing the bad cell in the table and re-validating gives a valid dataset."""
    tiny_cases["members"][2][2] = "thirty"
    at = _upload(new_app().run(), xlsx_writer("cases", tiny_cases), xlsx_writer("localities", tiny_localities))
    assert at.session_state["dataset"] is None
    version = at.session_state["data_version"]
    at.session_state[f"edit{version}_cases_members"] = {
        "edited_rows": {1: {"age": "31"}}, "added_rows": [], "deleted_rows": [],
    }
    at.button(key="edit_revalidate").click().run()
    assert_clean(at)
    ds = at.session_state["dataset"]
    assert ds is not None
    ages = {m.member_id: m.age for c in ds.cases for m in c.members}
    assert ages["M2"] == 31


def test_mixed_xlsx_and_csv_upload_is_refused_clearly(no_sample, tiny_paths):
    """Giving a workbook both as .xlsx and .csv gets a plain message, not an exception."""
    at = new_app().run()
    cases, localities = tiny_paths
    at.file_uploader(key="upload_cases").set_value([
        (cases.name, cases.read_bytes(), XLSX), ("members.csv", b"case_id,member_id,age\n", "text/csv")])
    at.file_uploader(key="upload_localities").set_value((localities.name, localities.read_bytes(), XLSX))
    at.button(key="upload_validate").click().run()
    assert not at.exception
    assert any("not both" in e.value for e in at.error)


def test_csv_sheets_are_accepted(no_sample, tiny_cases, tiny_localities):
    """Each sheet uploaded as its own CSV file reads like the workbook."""
    import csv
    import io

    def as_csv(rows):
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        return buf.getvalue().encode()

    at = new_app().run()
    at.file_uploader(key="upload_cases").set_value(
        [(f"{name}.csv", as_csv(rows), "text/csv") for name, rows in tiny_cases.items()])
    at.file_uploader(key="upload_localities").set_value(
        [(f"{name}.csv", as_csv(rows), "text/csv") for name, rows in tiny_localities.items()])
    at.button(key="upload_validate").click().run()
    assert_clean(at)
    assert at.session_state["dataset"] is not None


def test_templates_can_be_downloaded():
    """Both templates are offered for download."""
    at = new_app().run()
    keys = {b.key for b in at.download_button}
    assert {"template_cases.xlsx", "template_localities.xlsx"} <= keys


def test_zip_bomb_is_refused_before_parsing(tmp_path):
    """An .xlsx that would inflate far beyond its size is refused."""
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/big.xml", b"0" * (50 * 1024 * 1024))

    class Upload:
        name = "cases.xlsx"

        def getvalue(self):
            return bomb.read_bytes()

    with pytest.raises(data_helpers.UploadProblem):
        data_helpers.stage_upload([Upload()], data_helpers.spec.CASES, tmp_path)


def test_text_frame_shows_cells_as_a_spreadsheet_would():
    """Editable tables hold text: yes/no for booleans, whole numbers without '.0', blanks as None."""
    frame = pd.DataFrame({"a": [True, 3.0, None], "b": ["09225", 2.5, float("nan")]})
    out = workbooks.as_text_frame(frame)
    assert out["a"].tolist()[:2] == ["yes", "3"] and pd.isna(out["a"].tolist()[2])
    assert out["b"].tolist()[:2] == ["09225", "2.5"]


def test_a_localities_workbook_alone_gets_its_own_report(tmp_path, tiny_localities, xlsx_writer):
    """Issue 29: an NGO checks its localities workbook alone (no "choose both workbooks first"); the sample's
    report gives way to that workbook's own, under its own file name, and the sample stays in use."""
    at = new_app().run()
    sample = at.session_state["dataset"]
    tiny_localities["housing"][1][1] = 0  # bedrooms below 1, Excel row 2
    path = xlsx_writer("localities", tiny_localities).rename(tmp_path / "Mairie de Pamiers.xlsx")
    at.file_uploader(key="upload_localities").set_value((path.name, path.read_bytes(), XLSX))
    at.button(key="upload_validate").click().run()
    assert not at.exception
    assert at.session_state["dataset"] is sample and at.session_state["data_source"] == "sample"
    table = at.dataframe[0].value
    assert {(r.workbook, r.sheet, r.row, r.column) for r in table.itertuples()} == {
        ("Mairie de Pamiers.xlsx", "housing", 2, "bedrooms")}
    assert any("checked on its own" in c.value and "the sample data" in c.value for c in at.caption)
    assert any("1 error(s)" in e.value for e in at.error)
    # its problem is not opened in the sample's row 2 of housing (the editors hold the data in use)
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert any("fix it in the file" in i.value for i in at.info)
    assert not [d for d in at.dataframe if d.key and d.key.startswith("focus")]
    tiny_localities["housing"][1][1] = 2  # fixed: its own "no problem" report
    path = xlsx_writer("localities", tiny_localities)
    at.file_uploader(key="upload_localities").set_value((path.name, path.read_bytes(), XLSX))
    at.button(key="upload_validate").click().run()
    assert_clean(at)
    assert any("No problem found in this workbook on its own" in s.value for s in at.success)
    assert at.session_state["issues"] == []


def test_a_failed_upload_keeps_the_last_valid_data_and_its_runs(tiny_cases, tiny_localities, xlsx_writer):
    """Issue 29: workbooks with errors replace nothing: the scenario and its runs stay, and the page says so."""
    from apptest_helpers import quick_policy, wait_for_run

    at = new_app(policy=quick_policy(3)).run().switch_page("app_pages/match.py").run()
    at.button(key="match_run").click().run()
    at = wait_for_run(at)
    data, runs = at.session_state["dataset"], list(at.session_state["runs"])
    assert runs
    tiny_cases["members"][2][2] = "thirty"
    at.switch_page("app_pages/data.py").run()
    at = _upload(at, xlsx_writer("cases", tiny_cases), xlsx_writer("localities", tiny_localities))
    assert not at.exception
    assert at.session_state["dataset"] is data and at.session_state["runs"] == runs
    assert at.session_state["data_source"] == "sample"
    assert any("nothing was replaced" in w.value and f"with its {len(runs)} run(s)" in w.value
               for w in at.warning)
    assert any("last valid data is still in use" in c.value for c in at.caption)
    assert ("cases.xlsx", "members", 3, "age") in {(r.workbook, r.sheet, r.row, r.column)
                                                   for r in at.dataframe[0].value.itertuples()}


def test_no_workbook_chosen_says_what_to_do():
    """Pressing "Read and validate" with no file says that one is checked alone and both are loaded."""
    at = new_app().run()
    at.button(key="upload_validate").click().run()
    assert any("one alone is checked on its own" in e.value for e in at.error)


def _focus_editor(at, version: int, sheet: str, row: int):
    """The one-row editor the Data page opens for a selected problem, or None."""
    found = [d for d in at.dataframe if d.key == f"focus{version}_{sheet}_{row}"]
    return found[0] if found else None


def test_selecting_a_problem_opens_its_row_with_the_bad_cell_first_and_applying_a_fix_revalidates(
        no_sample, tiny_cases, tiny_localities, xlsx_writer):
    """Issue 29: a report row leads to its cell: selected, the problem's row opens in an editor of its own with
    the bad column first, pinned and marked ⚠; the fix typed there, applied, re-validates every table; the next
    report starts with nothing selected. In French too."""
    tiny_cases["members"][2][2] = "thirty"  # M2's age, Excel row 3
    at = _upload(new_app().run(), xlsx_writer("cases", tiny_cases), xlsx_writer("localities", tiny_localities))
    assert at.session_state["dataset"] is None
    assert any("Select a problem to open its row below" in c.value for c in at.caption)
    version = at.session_state["data_version"]
    assert _focus_editor(at, version, "members", 3) is None  # nothing selected, nothing opened
    table = at.dataframe[0]
    where = [i for i, r in enumerate(table.value.itertuples()) if (r.sheet, r.row, r.column) == ("members", 3, "age")]
    at.session_state[table.key] = {"selection": {"rows": where, "columns": []}}
    at.run()
    assert not at.exception
    assert any("Row 3 of the sheet members, column age" in shown(m.value) for m in at.markdown)
    editor = _focus_editor(at, version, "members", 3)
    assert editor is not None and list(editor.value.index) == [3]  # that row only, numbered as in Excel
    assert list(editor.proto.column_order)[:1] == ["age"]
    config = json.loads(editor.proto.columns)
    assert config["age"]["label"] == "⚠ age" and config["age"]["pinned"] is True
    at.session_state[editor.key] = {"edited_rows": {0: {"age": "31"}}, "added_rows": [], "deleted_rows": []}
    at.button(key="focus_apply").click().run()
    assert_clean(at)
    assert at.session_state["dataset"] is not None
    assert not [i for i in at.session_state["issues"] if i.severity == "error"]
    assert not any("Row 3 of the sheet" in shown(m.value) for m in at.markdown)

    fr = _upload(new_app(lang="fr").run(), xlsx_writer("cases", tiny_cases), xlsx_writer("localities", tiny_localities))
    table = fr.dataframe[0]
    fr.session_state[table.key] = {"selection": {"rows": [0], "columns": []}}
    fr.run()
    assert not fr.exception
    assert any("Ligne 3 de la feuille members, colonne age" in shown(m.value) for m in fr.markdown)
    assert any(b.label == "Appliquer et revalider" for b in fr.button)
