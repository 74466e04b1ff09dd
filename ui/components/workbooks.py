"""The session's data: the two workbooks read into session state, and edited tables written back as .xlsx.

Shared by `data` (the Data page's loads, which it keeps in the records) and `records` (a kept scenario read back
into the session), so that neither imports the other.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import streamlit as st

from matcher.io import readers, spec
from matcher.io.cells import shown_text
from matcher.io.templates import write_workbook
from matcher.io.validation import ReadReport, validate
from ui.components import state

#: Where the data came from: "sample", {"upload": names}, {"edited": True, "from": ...}, {"restored": id, ...}
#: (None before any data).
Source = str | dict[str, object] | None


def apply_report(report: ReadReport, source: Source, frames: dict[str, dict[str, pd.DataFrame]] | None) -> None:
    """Keep a read's report and its tables (as text, for the editors) in session state.

    Valid data becomes the session's data, a new scenario (its runs, pins and forbids start empty). Data with
    errors replaces nothing: the last valid data and its runs stay in use while the report and the editors show
    what to fix (`report_of` says which files the report is about).
    """
    st.session_state["issues"] = list(report.issues)
    st.session_state["report_of"] = source
    st.session_state["frames"] = (
        {wb: {name: as_text_frame(df) for name, df in sheets.items()} for wb, sheets in frames.items()}
        if frames is not None else None
    )
    st.session_state["data_version"] = st.session_state.get("data_version", 0) + 1
    if report.dataset is not None:
        st.session_state["dataset"] = report.dataset
        st.session_state["data_source"] = source
        st.session_state["provenance"] = {}  # set again when the data is kept (`records.keep_scenario`)
        state.clear_scenario_runs()


def read_into_session(cases_path: Path, localities_path: Path, source: Source,
                      labels: tuple[str | None, str | None] = (None, None)) -> ReadReport:
    """Read both workbooks and keep them in session state (`apply_report`); `labels` name them in the report
    (by default their file names)."""
    cases = readers.read_workbook(cases_path, spec.CASES, label=labels[0])
    localities = readers.read_workbook(localities_path, spec.LOCALITIES, label=labels[1])
    report = validate(cases, localities)
    apply_report(report, source, {"cases": cases.frames(), "localities": localities.frames()})
    return report


def as_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text a spreadsheet would show, so that any cell can be edited, bad ones included."""
    out = frame.copy().astype(object)
    for name in out.columns:
        out[name] = out[name].map(shown_text)
    return out



def frame_to_xlsx(workbook: spec.Workbook, frames: Mapping[str, pd.DataFrame]) -> bytes:
    """An edited workbook as .xlsx bytes, with the templates' styling and dropdowns."""
    with tempfile.TemporaryDirectory(prefix="matcher-edit-") as tmp:
        path = write_workbook(Path(tmp) / workbook.filename, workbook, dict(frames))
        return path.read_bytes()
