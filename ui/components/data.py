"""Reading, validating and editing the two workbooks for the Data page.

Uploads are staged in a private temporary folder (one .xlsx, or the sheets as .csv files), read by
`matcher.io.readers`, and the folder is removed at once: the app keeps the tables in memory only.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import streamlit as st

from matcher.io import spec
from matcher.io.cells import shown_text
from ui.components import records, state

ISSUE_COLUMNS = ("severity", "workbook", "sheet", "row", "column", "problem")


class UploadProblem(Exception):
    """An upload that cannot be staged; `key` is the i18n label to show, `values` its placeholders."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class UploadedLike(Protocol):
    name: str

    def getvalue(self) -> bytes: ...


def _check_zip(content: bytes) -> None:
    """Refuse an .xlsx before it is written or parsed: size, zip bomb, XML entities (see matcher.io.safety)."""
    from matcher.io.safety import check_xlsx

    problem = check_xlsx(content)
    if problem is not None:
        raise UploadProblem("upload_refused", reason=problem)


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


class Issue(Protocol):
    severity: Any
    workbook: Any
    sheet: Any
    row: Any
    column: Any
    message: Any


def issues_frame(issues: Iterable[Any]) -> pd.DataFrame:
    """Validation issues as a table: severity, workbook, sheet, row, column, problem."""
    rows = []
    for issue in issues:
        severity = getattr(issue, "severity", "error")
        rows.append({
            "severity": str(getattr(severity, "value", severity)),
            "workbook": getattr(issue, "workbook", None) or "",
            "sheet": getattr(issue, "sheet", None) or "",
            "row": getattr(issue, "row", None),
            "column": getattr(issue, "column", None) or "",
            "problem": str(getattr(issue, "message", issue)),
        })
    frame = pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    return frame


def _readers() -> Any:
    from matcher.io import readers

    return readers


def _apply(report: Any, source: Any, frames: dict[str, dict[str, pd.DataFrame]] | None) -> None:
    st.session_state["issues"] = list(report.issues)
    st.session_state["dataset"] = report.dataset
    st.session_state["data_source"] = source
    st.session_state["frames"] = (
        {wb: {name: as_text_frame(df) for name, df in sheets.items()} for wb, sheets in frames.items()}
        if frames is not None else None
    )
    st.session_state["data_version"] = st.session_state.get("data_version", 0) + 1


def read_and_apply(cases_path: Path, localities_path: Path, source: Any, *, keep: bool = True) -> Any:
    """Read both workbooks, keep the report and the editable tables in session state; a fresh scenario.

    Valid data is also kept in the records as the session's scenario, unless `keep` is False (a restore).
    """
    from matcher.io.validation import validate

    readers = _readers()
    cases = readers.read_workbook(cases_path, spec.CASES)
    localities = readers.read_workbook(localities_path, spec.LOCALITIES)
    report = validate(cases, localities)
    _apply(report, source, {"cases": cases.frames(), "localities": localities.frames()})
    state.clear_scenario_runs()
    if keep and report.dataset is not None:
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


def load_upload(cases_files: Iterable[UploadedLike], localities_files: Iterable[UploadedLike]) -> Any:
    """Stage and read uploaded workbooks; raise UploadProblem for files that are not workbooks."""
    cases_files, localities_files = list(cases_files), list(localities_files)
    if not cases_files or not localities_files:
        raise UploadProblem("upload_need_both")
    names = ", ".join(f.name for f in [*cases_files, *localities_files])
    with tempfile.TemporaryDirectory(prefix="matcher-upload-") as tmp:
        folder = Path(tmp)
        cases_path = stage_upload(cases_files, spec.CASES, folder)
        localities_path = stage_upload(localities_files, spec.LOCALITIES, folder)
        return read_and_apply(cases_path, localities_path, {"upload": names})


def revalidate(frames: Mapping[str, Mapping[str, pd.DataFrame]]) -> Any:
    """Validate edited tables; a valid result replaces the dataset and starts a fresh scenario."""
    clean = {wb: {name: _drop_blank_rows(df) for name, df in sheets.items()} for wb, sheets in frames.items()}
    report = _readers().dataset_from_frames(clean["cases"], clean["localities"])
    source = st.session_state.get("data_source")
    _apply(report, {"edited": True, "from": source}, {k: dict(v) for k, v in clean.items()})
    state.clear_scenario_runs()
    if report.dataset is not None:
        records.keep_scenario_frames(clean, "edited")
    return report


def as_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text a spreadsheet would show, so that any cell can be edited, bad ones included."""
    out = frame.copy().astype(object)
    for name in out.columns:
        out[name] = out[name].map(shown_text)
    return out


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    blank = frame.apply(lambda col: col.map(lambda v: v is None or (isinstance(v, str) and not v.strip())))
    blank |= frame.isna()
    return frame.loc[~blank.all(axis=1)]


def capacity_persons(data: Any) -> int:
    return int(sum(loc.max_persons or 0 for loc in data.localities))


@st.cache_data(show_spinner=False)
def template_bytes() -> dict[str, bytes]:
    """The two templates as bytes, written once per process."""
    from matcher.io.templates import write_templates

    with tempfile.TemporaryDirectory(prefix="matcher-templates-") as tmp:
        return {p.name: p.read_bytes() for p in write_templates(tmp)}


def frame_to_xlsx(workbook: spec.Workbook, frames: Mapping[str, pd.DataFrame]) -> bytes:
    """An edited workbook as .xlsx bytes, with the templates' styling and dropdowns."""
    from matcher.io.templates import write_workbook

    with tempfile.TemporaryDirectory(prefix="matcher-edit-") as tmp:
        path = write_workbook(Path(tmp) / workbook.filename, workbook, dict(frames))
        return path.read_bytes()
