"""Reading, validating and editing the two workbooks for the Data page.

Uploads are staged in a private temporary folder (one .xlsx, or the sheets as .csv files), read by
`matcher.io.readers`, and the folder is removed at once: the app keeps the tables in memory only.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd
import streamlit as st

from matcher.io import readers, spec
from matcher.io.safety import check_xlsx
from matcher.io.templates import write_templates
from matcher.io.validation import Issue, ReadReport, validate_workbook
from matcher.models.records import Dataset
from ui.components import records, state, workbooks
from ui.components.i18n import lang, phrase
from ui.components.workbooks import Source

ISSUE_COLUMNS = ("severity", "workbook", "sheet", "row", "column", "problem")


class UploadProblem(Exception):
    """An upload that cannot be staged; `key` is the i18n label to show, `values` its placeholders."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class UploadedLike(Protocol):
    """An uploaded file as Streamlit gives it (`UploadedFile`), or anything with a name and bytes."""

    name: str

    def getvalue(self) -> bytes: ...


def _check_zip(content: bytes) -> None:
    """Refuse an .xlsx before it is written or parsed: size, zip bomb, XML entities (see matcher.io.safety)."""
    problem = check_xlsx(content)
    if problem is not None:
        raise UploadProblem("upload_refused", reason=problem.render(lang()))


def stage_upload(files: Iterable[UploadedLike], workbook: spec.Workbook, folder: Path) -> Path:
    """Write uploaded files where the readers expect them: `<name>.xlsx`, or a folder `<name>/` of CSVs."""
    files = list(files)
    if not files:
        raise UploadProblem("upload_need_both")
    xlsx = [f for f in files if f.name.lower().endswith(".xlsx")]
    csv = [f for f in files if f.name.lower().endswith(".csv")]
    if len(xlsx) + len(csv) != len(files) or (xlsx and csv) or len(xlsx) > 1:
        raise UploadProblem("upload_mixed")
    if xlsx:
        content = xlsx[0].getvalue()
        _check_zip(content)
        path = folder / workbook.filename
        path.write_bytes(content)
        return path
    target = folder / workbook.name
    target.mkdir(parents=True, exist_ok=True)
    lookup = spec.sheet_lookup(workbook)
    for f in csv:
        stem = Path(f.name).stem
        name = lookup.get(spec.normalise_header(stem), stem)
        (target / f"{name}.csv").write_bytes(f.getvalue())
    return target


def issues_frame(issues: Iterable[Issue]) -> pd.DataFrame:
    """Validation issues as a table: severity, workbook, sheet, row, column, problem (in the app's language)."""
    rows = [{"severity": issue.severity, "workbook": issue.workbook, "sheet": issue.sheet or "", "row": issue.row,
             "column": issue.column or "", "problem": issue.text(lang())} for issue in issues]
    frame = pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    return frame


@dataclass(frozen=True)
class ProblemCell:
    """Where a problem of the report sits in the editable tables: the workbook's and sheet's names, the Excel row
    (the tables' index) and the column (None for a problem about the whole row)."""

    workbook: str
    sheet: str
    row: int
    column: str | None


def problem_cell(issue: Issue, frames: Mapping[str, Mapping[str, pd.DataFrame]] | None) -> ProblemCell | None:
    """The cell of the tables a problem is about, None when it is not one of their rows (a missing sheet, a
    header, a workbook checked on its own that is not in the editors). Sheet names differ across the two
    workbooks, so the sheet finds the table (the report names the workbook by its file's name)."""
    if issue.sheet is None or issue.row is None or not frames:
        return None
    for workbook, sheets in frames.items():
        frame = sheets.get(issue.sheet)
        if frame is not None and issue.row in frame.index:
            column = issue.column if issue.column in frame.columns else None
            return ProblemCell(workbook, issue.sheet, int(issue.row), column)
    return None


def with_row_fixed(frames: Mapping[str, Mapping[str, pd.DataFrame]], cell: ProblemCell,
                   row: pd.DataFrame) -> dict[str, dict[str, pd.DataFrame]]:
    """The tables with one row replaced by its edited copy (a one-row frame indexed by the same Excel row)."""
    out = {wb: dict(sheets) for wb, sheets in frames.items()}
    table = out[cell.workbook][cell.sheet].copy()
    for column in row.columns:
        if column in table.columns:
            table.loc[cell.row, column] = row.iloc[0][column]
    out[cell.workbook][cell.sheet] = table
    return out


def read_and_apply(cases_path: Path, localities_path: Path, source: Source,
                   labels: tuple[str | None, str | None] = (None, None)) -> ReadReport:
    """Read both workbooks into the session (`workbooks.read_into_session`); valid data is also kept in the
    records as the session's scenario."""
    report = workbooks.read_into_session(cases_path, localities_path, source, labels)
    if report.dataset is not None:
        kind = "sample" if source == "sample" else "upload"
        records.keep_scenario_paths(cases_path, localities_path, kind)
    return report


def load_sample() -> bool:
    """Load the sample workbooks; False when they are not installed."""
    paths = state.sample_paths()
    if paths is None:
        return False
    read_and_apply(paths[0], paths[1], "sample")
    return True


def upload_label(files: Iterable[UploadedLike]) -> str:
    """What the report calls an uploaded workbook: its file's own name, or its CSV files' names."""
    return ", ".join(f.name for f in files)


def load_upload(cases_files: Iterable[UploadedLike], localities_files: Iterable[UploadedLike]) -> ReadReport:
    """Stage and read uploaded workbooks; raise UploadProblem for files that are not workbooks.

    Workbooks with errors replace nothing (`workbooks.apply_report`): the page then says that the last valid data
    and its runs are still in use.
    """
    cases_files, localities_files = list(cases_files), list(localities_files)
    if not cases_files or not localities_files:
        raise UploadProblem("upload_need_both")
    labels = upload_label(cases_files), upload_label(localities_files)
    with tempfile.TemporaryDirectory(prefix="matcher-upload-") as tmp:
        folder = Path(tmp)
        cases_path = stage_upload(cases_files, spec.CASES, folder)
        localities_path = stage_upload(localities_files, spec.LOCALITIES, folder)
        return read_and_apply(cases_path, localities_path, {"upload": ", ".join(labels)}, labels)


def check_alone(files: Iterable[UploadedLike], workbook: spec.Workbook) -> ReadReport:
    """Check one uploaded workbook on its own (`matcher.io.validation.validate_workbook`): its report replaces
    the one shown, and the data in use, its runs and the editors stay as they are."""
    files = list(files)
    if not files:
        raise UploadProblem("upload_need_one")
    label = upload_label(files)
    with tempfile.TemporaryDirectory(prefix="matcher-upload-") as tmp:
        path = stage_upload(files, workbook, Path(tmp))
        report = validate_workbook(readers.read_workbook(path, workbook, label=label))
    st.session_state["issues"] = list(report.issues)
    st.session_state["report_of"] = {"alone": label, "workbook": workbook.name}
    return report


def source_text(source: Source) -> str:
    """Where data came from, as plain text in the user's language (to be placed by `t`)."""
    if source == "sample":
        return phrase("source_text_sample")
    if isinstance(source, dict) and "upload" in source:
        return str(source["upload"])
    if isinstance(source, dict) and source.get("edited"):
        return phrase("source_text_edited")
    if isinstance(source, dict) and "restored" in source:
        return phrase("source_text_restored", id=source["restored"])
    return phrase("source_text_unknown")


def revalidate(frames: Mapping[str, Mapping[str, pd.DataFrame]]) -> ReadReport:
    """Validate edited tables; a valid result replaces the dataset and starts a fresh scenario."""
    clean = {wb: {name: _drop_blank_rows(df) for name, df in sheets.items()} for wb, sheets in frames.items()}
    report = readers.dataset_from_frames(clean["cases"], clean["localities"])
    source = st.session_state.get("data_source")
    workbooks.apply_report(report, {"edited": True, "from": source}, {k: dict(v) for k, v in clean.items()})
    if report.dataset is not None:
        records.keep_scenario_frames(clean, "edited")
    return report


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    blank = frame.apply(lambda col: col.map(lambda v: v is None or (isinstance(v, str) and not v.strip())))
    blank |= frame.isna()
    return frame.loc[~blank.all(axis=1)]


def capacity_persons(data: Dataset) -> int:
    """Persons the communes can take in all (their `max_persons`, where given)."""
    return int(sum(loc.max_persons or 0 for loc in data.localities))


@st.cache_data(show_spinner=False)
def template_bytes() -> dict[str, bytes]:
    """The two templates as bytes, written once per process."""
    with tempfile.TemporaryDirectory(prefix="matcher-templates-") as tmp:
        return {p.name: p.read_bytes() for p in write_templates(tmp)}
