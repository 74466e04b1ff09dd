"""Data page: upload or sample, templates, the validation report, tables to fix in place, counts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from matcher.io import spec
from matcher.io.results import neutralise
from matcher.io.validation import Issue
from ui.components import data as data_helpers
from ui.components import state, workbooks
from ui.components.codes import app_words
from ui.components.guard import log_exception
from ui.components.i18n import t
from ui.components.text import plain

WORKBOOKS = (spec.CASES, spec.LOCALITIES)


def _source_line() -> None:
    source = st.session_state.get("data_source")
    if source == "sample":
        st.caption(t("source_sample"))
    elif isinstance(source, dict) and source.get("edited"):
        st.caption(t("source_edited"))
    elif isinstance(source, dict) and "upload" in source:
        st.caption(t("source_upload", names=source["upload"]))


def _glance() -> None:
    ds = state.dataset()
    cols = st.columns(4)
    if ds is None:
        keys = ("glance_families", "glance_persons", "glance_localities", "glance_capacity")
        for col, key in zip(cols, keys, strict=True):
            col.metric(t(key), "—")
        return
    cols[0].metric(t("glance_families"), len(ds.cases))
    cols[1].metric(t("glance_persons"), ds.persons)
    cols[2].metric(t("glance_localities"), len(ds.localities))
    cols[3].metric(t("glance_capacity"), data_helpers.capacity_persons(ds), help=t("glance_capacity_help"))


def _on_load_sample() -> None:
    if not data_helpers.load_sample():
        st.session_state["data_flash"] = ("warning", t("sample_missing"))


def _sources() -> None:
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.header(t("upload_header"))
        cases_files = st.file_uploader(t("upload_cases"), type=["xlsx", "csv"], accept_multiple_files=True,
                                       key="upload_cases")
        loc_files = st.file_uploader(t("upload_localities"), type=["xlsx", "csv"], accept_multiple_files=True,
                                     key="upload_localities")
        st.caption(t("upload_hint"))
        if st.button(t("upload_validate"), type="primary", key="upload_validate"):
            try:
                _read(list(cases_files or []), list(loc_files or []))
            except data_helpers.UploadProblem as problem:
                st.session_state["data_flash"] = ("error", t(problem.key, **problem.values))
            except Exception as exc:  # a file the readers cannot open at all
                log_exception(exc, "upload")
                st.session_state["data_flash"] = ("error", t("upload_unreadable"))
            st.rerun()
    with right:
        st.header(t("templates_header"))
        st.caption(t("templates_help"))
        try:
            templates = data_helpers.template_bytes()
        except Exception as exc:
            log_exception(exc, "templates")
            st.caption(t("templates_missing"))
        else:
            for name, content in templates.items():
                st.download_button(t("download_template", name=name), data=content, file_name=name,
                                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                   key=f"template_{name}", on_click="ignore")
        st.divider()
        st.button(t("load_sample"), on_click=_on_load_sample, key="load_sample")


def _read(cases_files: list[data_helpers.UploadedLike], loc_files: list[data_helpers.UploadedLike]) -> None:
    """Both workbooks: load them for matching; one: check it on its own; none: say what to do."""
    if cases_files and loc_files:
        before = state.dataset()
        report = data_helpers.load_upload(cases_files, loc_files)
        if report.dataset is None and before is not None:
            st.session_state["data_flash"] = ("warning", t(
                "upload_failed_kept", source=data_helpers.source_text(st.session_state.get("data_source")),
                n=len(state.runs())))
    elif cases_files or loc_files:
        workbook, files = (spec.CASES, cases_files) if cases_files else (spec.LOCALITIES, loc_files)
        data_helpers.check_alone(files, workbook)
    else:
        raise data_helpers.UploadProblem("upload_need_one")


def _report() -> Issue | None:
    """The validation report; the problem the user selected in it, if any."""
    st.header(t("report_header"))
    issues = list(st.session_state.get("issues", []))
    frame = data_helpers.issues_frame(issues)
    errors = int((frame["severity"] == "error").sum())
    warnings = len(frame) - errors
    about = st.session_state.get("report_of")
    alone = about["alone"] if isinstance(about, dict) and "alone" in about else None
    if st.session_state.get("frames") is None and state.dataset() is None and alone is None:
        st.info(t("no_data_yet"))
        return None
    if alone is not None:
        in_use = st.session_state.get("data_source")
        st.caption(t("report_alone", name=str(alone),
                     source=data_helpers.source_text(in_use) if state.dataset() is not None else "—"))
    elif about is not None:
        st.caption(t("report_of", names=data_helpers.source_text(about)))
    if errors:
        st.error(t("report_errors", n=errors), icon="🛑")
        if state.dataset() is None:
            st.caption(t("data_not_usable"))
        elif alone is None:
            st.caption(t("data_invalid_kept"))
    elif alone is not None and not warnings:
        st.success(t("report_alone_ok"), icon="✅")
    elif warnings:
        st.warning(t("report_warnings", n=warnings), icon="⚠️")
    else:
        st.success(t("report_ok"), icon="✅")
    if frame.empty:
        return None
    shown = frame.copy()
    shown["problem"] = shown["problem"].map(app_words)
    shown["severity"] = shown["severity"].map(
        lambda s: t(f"severity_{s}") if s in ("error", "warning") else s)
    shown.columns = [t(f"col_{c}") for c in frame.columns]
    # Narrow place columns and tall rows: a long message wraps onto three lines instead of being cut off.
    small = {t(f"col_{c}"): st.column_config.Column(width="small") for c in ("severity", "sheet", "row", "column")}
    st.caption(t("report_pick"))
    event = st.dataframe(shown, hide_index=True, width="stretch", key=_issues_key(issues), placeholder="",
                         row_height=70, on_select="rerun", selection_mode="single-row",
                         column_config={**small, t("col_problem"): st.column_config.TextColumn(width="large")})
    # Messages quote column headers and sheet names as typed: neutralised like every other export.
    safe = frame.map(neutralise).rename(columns=neutralise)
    st.download_button(t("report_download"), data=safe.to_csv(index=False).encode("utf-8"),
                       file_name="validation_report.csv", mime="text/csv", key="report_download", on_click="ignore")
    rows = event.selection.rows if event is not None else []
    return issues[rows[0]] if rows and rows[0] < len(issues) else None


def _issues_key(issues: list[Issue]) -> str:
    """The report table's key: a new report starts with no problem selected (the old selection named another)."""
    digest = hashlib.sha256("\n".join(str(i) for i in issues).encode("utf-8")).hexdigest()[:12]
    return f"issues_table_{digest}"


def _focus(issue: Issue, edited: dict[str, dict[str, pd.DataFrame]] | None) -> None:
    """The row of the selected problem in an editor of its own, the bad cell first and marked; applying it
    re-validates every table with this row fixed (other edits kept)."""
    about = st.session_state.get("report_of")
    alone = isinstance(about, dict) and "alone" in about  # the editors hold the data in use, not that workbook
    frames = None if alone else st.session_state.get("frames")
    cell = data_helpers.problem_cell(issue, frames)
    if cell is None or edited is None or frames is None:
        st.info(t("focus_elsewhere"), icon="ℹ️")
        return
    header = (t("focus_header", row=cell.row, sheet=cell.sheet, column=cell.column) if cell.column
              else t("focus_header_row", row=cell.row, sheet=cell.sheet))
    st.markdown(f"**{plain(header)}**")
    st.caption(plain(app_words(issue.message)))
    original = frames[cell.workbook][cell.sheet].loc[[cell.row]]
    order = [c for c in [cell.column, *original.columns] if c is not None]
    config: dict[str, Any] = {"_index": st.column_config.NumberColumn(t("col_row"), disabled=True)}
    if cell.column:
        config[cell.column] = st.column_config.Column(f"⚠ {cell.column}", help=plain(app_words(issue.message)),
                                                      pinned=True)
    fixed = st.data_editor(original, column_order=list(dict.fromkeys(order)), column_config=config,
                           width="stretch", key=f"focus{st.session_state.get('data_version', 0)}_{cell.sheet}_"
                           f"{cell.row}", placeholder="")
    st.caption(t("focus_help"))
    if st.button(t("focus_apply"), key="focus_apply", type="primary"):
        changed = [c for c in fixed.columns if str(fixed.iloc[0][c]) != str(original.iloc[0][c])]
        data_helpers.revalidate(data_helpers.with_row_fixed(edited, cell, fixed[changed]))
        st.rerun()


def _editors() -> dict[str, dict[str, pd.DataFrame]] | None:
    """The editable tables and their re-validation; the tables as edited (None when there are none)."""
    frames = st.session_state.get("frames")
    if not frames:
        return None
    st.header(t("edit_header"))
    st.caption(t("edit_help"))
    version = st.session_state.get("data_version", 0)
    edited: dict[str, dict[str, pd.DataFrame]] = {}
    tabs = st.tabs([f"{wb.name} › {sheet.name}" for wb in WORKBOOKS for sheet in wb.sheets])
    i = 0
    for wb in WORKBOOKS:
        edited[wb.name] = {}
        for sheet in wb.sheets:
            frame = frames.get(wb.name, {}).get(sheet.name)
            if frame is None:
                frame = pd.DataFrame(columns=[c.name for c in sheet.columns])
            with tabs[i]:
                edited[wb.name][sheet.name] = st.data_editor(
                    frame, num_rows="dynamic", width="stretch",
                    column_config={"_index": st.column_config.NumberColumn(t("col_row"), disabled=True)},
                    key=f"edit{version}_{wb.name}_{sheet.name}", placeholder="",
                )
            i += 1
    c1, c2, c3 = st.columns([2, 1, 1])
    if c1.button(t("edit_revalidate"), type="primary", key="edit_revalidate"):
        data_helpers.revalidate(edited)
        st.rerun()
    for col, wb in zip((c2, c3), WORKBOOKS, strict=True):
        col.download_button(t("edit_download", name=wb.filename), data=_deferred_xlsx(wb, edited[wb.name]),
                            file_name=wb.filename, key=f"edit_download_{wb.name}",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
    return edited


def _deferred_xlsx(wb: spec.Workbook, frames: dict[str, pd.DataFrame]) -> Callable[[], bytes]:
    """Write the workbook only when the user asks for it."""

    def build() -> bytes:
        return workbooks.frame_to_xlsx(wb, frames)

    return build


def render() -> None:
    st.title(t("data_title"))
    st.caption(t("data_intro"))
    flash = st.session_state.pop("data_flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])
    _source_line()
    _glance()
    _sources()
    st.divider()
    picked = _report()
    focus = st.container()  # above the editors, filled after them: applying a fix keeps their edits
    edited = _editors()
    if picked is not None:
        with focus:
            _focus(picked, edited)


render()
