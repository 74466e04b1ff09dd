"""Runs page: the runs of this scenario, and two runs compared (KPIs side by side, families that moved)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.components import state
from ui.components.figures import difference
from ui.components.i18n import lang, status_label, t
from ui.components.text import LocalNumber

KPI_ROWS = (
    ("kpi_status", "status"),
    ("kpi_families", "families_placed"),
    ("kpi_persons", "persons_placed"),
    ("kpi_unplaced", "families_unplaced"),
    ("kpi_score", "mean_score"),
    ("kpi_gap", "gap"),
    ("kpi_time", "seconds"),
)


def _fmt(key: str, value: str | int | float | None) -> str:
    if value is None:
        return "—"
    if key == "status":
        return status_label(value)
    if key == "gap":
        return format(LocalNumber(value, lang()), ".1%")
    if key == "seconds":
        return format(LocalNumber(value, lang()), ".1f") + " s"
    if key == "mean_score":
        return format(LocalNumber(value, lang()), ".3f")
    return str(value)


def _history(runs: list[state.RunRecord]) -> None:
    rows = []
    for r in runs:
        k = r.kpis
        rows.append({
            t("col_run"): r.tag, t("col_time"): r.started.strftime("%H:%M:%S"), t("col_policy"): r.policy_name,
            t("col_seed"): r.seed, t("col_status"): status_label(k.status),
            t("kpi_families"): k.families_placed, t("kpi_persons"): k.persons_placed,
            t("kpi_unplaced"): k.families_unplaced,
            t("kpi_score"): _fmt("mean_score", k.mean_score), t("kpi_gap"): _fmt("gap", k.gap),
            t("kpi_time"): _fmt("seconds", k.seconds), t("col_stable"): t("yes") if r.stable else t("no"),
        })
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="runs_table", placeholder="")
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    by_id = {r.run_id: r for r in runs}
    chosen = c1.selectbox(t("col_run"), list(by_id), index=len(by_id) - 1, format_func=lambda i: by_id[i].label,
                          key="runs_show_pick")
    if c2.button(t("runs_show"), key="runs_show"):
        st.session_state["current_run"] = chosen
        st.switch_page("app_pages/match.py")


def _compare(runs: list[state.RunRecord]) -> None:
    st.header(t("compare_header"))
    if len(runs) < 2:
        st.caption(t("compare_need_two"))
        return
    by_id = {r.run_id: r for r in runs}
    ids = list(by_id)
    c1, c2 = st.columns(2)
    a_id = c1.selectbox(t("compare_a"), ids, index=len(ids) - 2, format_func=lambda i: by_id[i].label,
                        key="compare_a")
    b_id = c2.selectbox(t("compare_b"), ids, index=len(ids) - 1, format_func=lambda i: by_id[i].label,
                        key="compare_b")
    a, b = by_id[a_id], by_id[b_id]
    rows = []
    figures_a, figures_b = a.kpis.as_dict(), b.kpis.as_dict()
    for label, key in KPI_ROWS:
        va, vb = figures_a[key], figures_b[key]
        diff = ""
        if isinstance(va, int | float) and isinstance(vb, int | float) and key != "status":
            diff = difference(key, vb - va)
        rows.append({t("compare_kpi"): t(label), f"A ({a.tag})": _fmt(key, va),
                     f"B ({b.tag})": _fmt(key, vb), "B − A": diff})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="compare_kpis", placeholder="")

    data = state.dataset()
    names = {loc.locality_id: loc.name or loc.locality_id for loc in data.localities} if data else {}
    plan_a, plan_b = a.result.plan(), b.result.plan()
    cases = sorted(set(plan_a) | set(plan_b) | {u.case_id for u in a.result.unplaced}
                   | {u.case_id for u in b.result.unplaced})

    def where(plan: dict[str, str], case_id: str) -> str:
        lid = plan.get(case_id)
        return f"{names.get(lid, lid)} ({lid})" if lid else t("not_placed")

    moved = [{t("col_case"): c, t("col_in_a"): where(plan_a, c), t("col_in_b"): where(plan_b, c)}
             for c in cases if plan_a.get(c) != plan_b.get(c)]
    st.markdown(f"**{t('compare_moved', n=len(moved))}**")
    if moved:
        st.dataframe(pd.DataFrame(moved), hide_index=True, width="stretch", key="compare_moved", placeholder="")
    else:
        st.caption(t("compare_none_moved"))


def render() -> None:
    st.title(t("runs_title"))
    st.caption(t("runs_intro"))
    runs = state.runs()
    if not runs:
        st.info(t("runs_none"))
        return
    _history(runs)
    st.divider()
    _compare(runs)


render()
