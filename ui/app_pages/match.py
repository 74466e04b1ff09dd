"""Match page: run with progress and cancel, KPIs, placements, map, use of capacity, a family's explanation,
pins and forbids with a stable re-run, and exports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from matcher.explain import CaseExplanation
from matcher.i18n import Number, _, number
from matcher.i18n.labels import label
from matcher.io.results import Format
from matcher.models.policy import Policy
from matcher.models.records import Dataset
from matcher.models.result import Result, Status
from matcher.problem import PinDiagnosis
from ui.components import a11y, charts, engine, geo, solving, state
from ui.components.codes import readable, resource_label, said
from ui.components.figures import score_delta
from ui.components.guard import log_exception
from ui.components.i18n import lang, status_label, t
from ui.components.map import MapTexts, commune_map, layout
from ui.components.notice import notice_buttons
from ui.components.text import plain

POLL_SECONDS = 0.5
TABS = ("placements", "map", "capacity", "family", "pins", "export")


# ------------------------------------------------------------------------------------------------- running


def _progress_view() -> None:
    """Polled while a run is in progress; hands over to a full rerun when it ends."""
    runner = solving.active()
    if runner is None:
        return
    if runner.done:
        st.rerun()
    p = runner.progress()
    stage = t("stage_starting") if p.stage == "starting" else p.stage
    st.progress(p.fraction, text=t("running", stage=stage))
    detail = t("progress_detail", seconds=runner.elapsed)
    if p.objective is not None:
        detail += f" · objective {p.objective:,.2f}"
    if p.bound is not None:
        detail += f" · bound {p.bound:,.2f}"
    st.caption(detail)
    if runner.cancelled:
        st.info(t("cancelling"))
    else:
        st.button(t("cancel"), on_click=runner.cancel, key="match_cancel", icon=":material/stop_circle:")


def run_label(previous: state.RunRecord | None, fresh: bool) -> str:
    """The one Run button: from the shown plan, or from scratch."""
    return t("run_from", tag=previous.tag) if previous is not None and not fresh else t("run")


def run_note(previous: state.RunRecord | None, fresh: bool, n_pins: int, n_forbids: int) -> str:
    """What the Run button will do, in a sentence under it: stability or not, and the pins and forbids."""
    if previous is not None and not fresh:
        text = t("run_from_note", tag=previous.tag)
    elif previous is not None:
        text = t("run_fresh_note")
    else:
        text = ""
    if n_pins or n_forbids:
        text = (text + " " if text else "") + t("run_overrides", pins=n_pins, forbids=n_forbids)
    return text


def _controls(data: Dataset) -> None:
    busy = solving.active() is not None
    pol = state.policy()
    previous = state.current_run()
    c1, c2, c3 = st.columns([2.2, 1.2, 0.8], vertical_alignment="bottom")
    # One Run: with a plan on screen it starts from it (stability) unless the user chooses a fresh start; pins
    # and forbids apply either way, and the button says all of it.
    fresh = bool(c2.toggle(t("run_fresh"), key="match_fresh", help=t("run_fresh_help"),
                           disabled=busy or previous is None)) or previous is None
    if c1.button(run_label(previous, fresh), type="primary", disabled=busy, key="match_run",
                 icon=":material/play_arrow:"):
        _run_checked(data, stable=not fresh)
        st.rerun()
    c3.number_input(t("time_limit"), min_value=1.0, max_value=3600.0, step=1.0, value=float(pol.solver.time_limit),
                    key="match_time_limit", help=t("time_limit_help"), on_change=_time_limit_changed,
                    disabled=busy)
    note = run_note(previous, fresh, len(state.pins()), len(state.forbids()))
    if note and not busy:
        st.caption(note)
    diagnosis = pin_diagnosis(data) if not busy else []
    if diagnosis:
        st.warning(pin_diagnosis_text(diagnosis, pol))
    if busy:
        st.fragment(_progress_view, run_every=POLL_SECONDS)()


def _run_checked(data: Dataset, *, stable: bool) -> None:
    """Start a run, after diagnosing its pins: pins over a capacity are said before the run; under a policy that
    fails on them (`objective.pins = "fail"`) the run is not started."""
    try:
        diagnosis = pin_diagnosis(data)
    except Exception as exc:  # the check must not stop the run: the run diagnoses its pins again itself
        log_exception(exc, "pin diagnosis")
        diagnosis = []
    pol = state.policy()
    if diagnosis and pol.objective.pins == "fail":
        st.session_state["match_flash"] = ("error", pin_diagnosis_text(diagnosis, pol))
        return
    if diagnosis:
        st.session_state["match_flash"] = ("warning", pin_diagnosis_text(diagnosis, pol))
    solving.start(data, stable=stable)


def pin_diagnosis(data: Dataset) -> list[PinDiagnosis]:
    """The pins over a capacity, for the current pins, forbids and policy (kept in the session for them: the
    problem is built again only when one of them changes)."""
    pol = state.policy()
    pins, forbids = state.pins(), state.forbids()
    key = (tuple(pins.items()), tuple(sorted(forbids)), pol.model_dump_json(exclude={"solver"}), id(data))
    cached = st.session_state.get("pin_diagnosis")
    if cached is not None and cached[0] == key:
        return list(cached[1])
    found = engine.pins_over_capacity(data, pol, pins, forbids)
    st.session_state["pin_diagnosis"] = (key, found)
    return found


def pin_diagnosis_text(diagnosis: list[PinDiagnosis], pol: Policy) -> str:
    """The diagnosis in the user's language: per capacity, the commune, the figures and the pins that do not fit
    (counted, not named, where the capacity tells a health need), then what the policy does with them."""
    lines = [t("pins_over_title")]
    for d in diagnosis:
        lines.append("- " + t("pins_over_capacity", place=d.place, n=len(d.pinned), needed=_figure(d.needed),
                              what=resource_label(d.resource), capacity=_figure(d.capacity),
                              dropped=str(len(d.dropped)) if d.sensitive else ", ".join(d.dropped)))
    lines.append(t("pins_keep_note") if pol.objective.pins == "keep_what_fits" else t("pins_fail_note"))
    return "\n\n".join(lines)


def _figure(x: float) -> str:
    return f"{x:,.0f}".replace(",", "\u202f") if float(x).is_integer() else f"{x:,.2f}".replace(",", "\u202f")


def _time_limit_changed() -> None:
    pol = state.policy()
    value = float(st.session_state["match_time_limit"])
    solver = pol.solver.model_copy(update={"time_limit": value})
    state.set_policy(pol.model_copy(update={"solver": solver}))


# ------------------------------------------------------------------------------------------------- results


def _names(data: Dataset) -> dict[str, str]:
    return {loc.locality_id: loc.name or loc.locality_id for loc in data.localities}


def _kpis(run: state.RunRecord) -> None:
    k = run.kpis
    shown = state.runs()
    at = next((i for i, r in enumerate(shown) if r.run_id == run.run_id), 0)
    prev = shown[at - 1].kpis if at > 0 else None  # the run before it, in the order they were made

    def delta(figure: Callable[[state.Kpis], int]) -> int | None:
        return figure(k) - figure(prev) if prev is not None else None

    # Fixed-width figures that wrap as a row: three to a line on a phone instead of seven stacked before the tabs.
    box = st.container(horizontal=True, gap="small")
    size = 128
    box.metric(t("kpi_families"), k.families_placed, delta=delta(lambda x: x.families_placed), width=size)
    box.metric(t("kpi_persons"), k.persons_placed, delta=delta(lambda x: x.persons_placed), width=size)
    box.metric(t("kpi_unplaced"), k.families_unplaced, delta=delta(lambda x: x.families_unplaced),
               delta_color="inverse", width=size)
    box.metric(t("kpi_score"), "—" if k.mean_score is None else number(k.mean_score, lang(), 3),
               delta=score_delta(k.mean_score, prev.mean_score if prev is not None else None), width=size)
    gap = "—" if k.gap is None else _("{value}%", value=Number(100 * k.gap, 1)).render(lang())
    box.metric(t("kpi_gap"), gap, help=t("kpi_gap_help"), width=size)
    box.metric(t("kpi_time"), f"{number(k.seconds, lang(), 1)} s", width=size)
    box.metric(t("kpi_status"), status_label(k.status), width="content")
    if run.result.status == Status.INFEASIBLE and run.result.diagnosis:
        st.error(t("run_infeasible") + "\n\n" + "\n".join(f"- {plain(readable(line))}"
                                                           for line in run.result.diagnosis))


def _family_rows(run: state.RunRecord, data: Dataset) -> pd.DataFrame:
    names = _names(data)
    persons = {c.case_id: c.persons for c in data.cases}
    pins = run.pins
    rows = []
    for p in run.result.placements:
        rows.append({"case_id": p.case_id, "persons": persons.get(p.case_id), "locality": names.get(p.locality_id),
                     "locality_id": p.locality_id, "score": round(p.score, 3), "bedrooms": p.bedrooms,
                     "pinned": p.case_id in pins, "reasons": ""})
    for u in run.result.unplaced:
        rows.append({"case_id": u.case_id, "persons": persons.get(u.case_id), "locality": None,
                     "locality_id": None, "score": None, "bedrooms": None, "pinned": False,
                     "reasons": "; ".join(said(r) for r in u.reasons)})
    frame = pd.DataFrame(rows, columns=["case_id", "persons", "locality", "locality_id", "score", "bedrooms",
                                        "pinned", "reasons"])
    return frame.sort_values("case_id", kind="stable").reset_index(drop=True)


#: The placements table's columns by default: they fit a phone's width (390 px) without scrolling sideways;
#: "More columns" adds persons, INSEE code, bedrooms and the reasons a family is not placed.
COMPACT_COLUMNS = ("case_id", "locality", "score", "pinned")


def _placement_columns(more: bool) -> dict[str, Any]:
    """The placements table's columns; narrow fixed widths for the compact set (a phone's width), the widths the
    table chooses with every column."""
    def width(px: int) -> int | None:
        return None if more else px

    return {
        "case_id": st.column_config.TextColumn(t("col_case"), width=width(60)),
        "persons": st.column_config.NumberColumn(t("col_persons")),
        "locality": st.column_config.TextColumn(t("col_locality"), width=width(100)),
        "locality_id": st.column_config.TextColumn(t("col_locality_id")),
        "score": st.column_config.ProgressColumn(t("col_score"), min_value=0.0, max_value=1.0, format="%.2f",
                                                 width=width(76)),
        "bedrooms": st.column_config.NumberColumn(t("col_bedrooms")),
        "pinned": st.column_config.CheckboxColumn(t("col_pinned"), width=width(50)),
        "reasons": st.column_config.TextColumn(t("col_reasons"), width="large"),
    }


def _placements(run: state.RunRecord, data: Dataset) -> None:
    frame = _family_rows(run, data)
    c1, c2, c3, c4 = st.columns([1.2, 2, 1.2, 1.2])
    show = c1.radio(t("filter_status"), ["all", "placed", "unplaced"], format_func=lambda s: t(f"filter_{s}"),
                    horizontal=True, key="filter_status")
    localities = sorted(x for x in frame["locality"].dropna().unique())
    chosen = c2.multiselect(t("filter_locality"), localities, key="filter_locality")
    search = c3.text_input(t("filter_search"), key="filter_search")
    min_score = c4.slider(t("filter_min_score"), 0.0, 1.0, 0.0, 0.05, key="filter_min_score")
    if show == "placed":
        frame = frame[frame["locality_id"].notna()]
    elif show == "unplaced":
        frame = frame[frame["locality_id"].isna()]
    if chosen:
        frame = frame[frame["locality"].isin(chosen)]
    if search.strip():
        frame = frame[frame["case_id"].str.contains(search.strip(), case=False, regex=False)]
    if min_score > 0:
        frame = frame[frame["score"].fillna(-1) >= min_score]
    frame = frame.reset_index(drop=True)
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption(t("table_help"))
    more = right.toggle(t("table_more_columns"), key="table_more_columns", help=t("table_more_columns_help"))
    event = st.dataframe(
        frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
        key=f"placements_table_{run.run_id}", placeholder="", column_order=None if more else COMPACT_COLUMNS,
        column_config=_placement_columns(more),
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    selected = frame.iloc[[r for r in rows if r < len(frame)]]
    if len(selected) == 1:
        case_id = str(selected.iloc[0]["case_id"])
        if st.session_state.get("table_last_pick") != case_id:
            st.session_state["table_last_pick"] = case_id
            st.session_state["family_pick"] = case_id
    b1, b2, _spacer = st.columns([1, 1, 2])
    if b1.button(t("pin_selected"), key="pin_selected", icon=":material/keep:"):
        placed = selected[selected["locality_id"].notna()]
        if placed.empty:
            st.session_state["match_flash"] = ("warning", t("nothing_selected"))
        else:
            pin_checked(run, _pairs(placed))
        st.rerun()
    if b2.button(t("forbid_selected"), key="forbid_selected", icon=":material/block:"):
        placed = selected[selected["locality_id"].notna()]
        if placed.empty:
            st.session_state["match_flash"] = ("warning", t("nothing_selected"))
        else:
            state.forbid(_pairs(placed))
            st.session_state["match_flash"] = ("success", t("forbids_added", n=len(placed)))
        st.rerun()


def pin_checked(run: state.RunRecord, pairs: list[tuple[str, str]]) -> None:
    """Pin each family to its commune unless a hard rule keeps it (or a family linked with it) out: such a pin
    would leave the next plan empty, so it is refused with the reason the family's explanation gives."""
    data = state.dataset()
    names = _names(data) if data is not None else {}
    try:
        problem = state.problem_of(run)
        checked = [(case_id, lid, engine.pin_refusal(problem, case_id, lid)) for case_id, lid in pairs]
    except Exception as exc:  # the run's problem cannot be rebuilt: pin nothing rather than pin unchecked
        log_exception(exc, "pin check")
        st.session_state["match_flash"] = ("error", t("pin_check_failed", kind=type(exc).__name__))
        return
    state.pin([(case_id, lid) for case_id, lid, why in checked if not why])
    try:  # said under the Run button from now on (`_controls`); the first pin over a capacity also says so here
        over = pin_diagnosis(data) if data is not None else []
    except Exception as exc:  # the pins stand; the run diagnoses them again itself
        log_exception(exc, "pin diagnosis")
        over = []
    lines = []
    for case_id, lid, why in checked:
        place = f"{names.get(lid, lid)} ({lid})"
        for who, reason in why:
            key = "pin_refused" if who == case_id else "pin_refused_linked"
            lines.append(t(key, case=case_id, other=who, place=place, why=said(reason)))
    done = sum(1 for *_, why in checked if not why)
    tail = "\n\n" + t("pins_over_see_below") if over else ""
    if lines:
        head = t("pins_added", n=done) + "\n\n" if done else ""
        st.session_state["match_flash"] = ("error", head + "\n\n".join(lines) + tail)
    else:
        st.session_state["match_flash"] = ("warning" if over else "success", t("pins_added", n=done) + tail)


def _pairs(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """The (case_id, locality_id) pairs of table rows."""
    return [(str(c), str(lid)) for c, lid in zip(rows["case_id"], rows["locality_id"], strict=True)]


def _locality_frame(run: state.RunRecord, data: Dataset) -> pd.DataFrame:
    """One row per commune: where it is, persons placed, persons agreed and the share used (the map's and its
    table's numbers)."""
    persons = {c.case_id: c.persons for c in data.cases}
    placed: dict[str, int] = {}
    for p in run.result.placements:
        placed[p.locality_id] = placed.get(p.locality_id, 0) + persons.get(p.case_id, 0)
    use = {u.locality_id: u for u in run.result.localities}
    rows = []
    for loc in data.localities:
        cap: float | None = loc.max_persons
        u = use.get(loc.locality_id)
        if u is not None and u.capacity.get("persons") is not None:
            cap = u.capacity["persons"]
        n = placed.get(loc.locality_id, 0)
        rows.append({"locality_id": loc.locality_id, "name": loc.name or loc.locality_id,
                     "departement": loc.departement, "lat": loc.lat, "lon": loc.lon, "persons": n,
                     "capacity": cap, "fill": (n / cap) if cap else None})
    return pd.DataFrame(rows)


def map_summary(frame: pd.DataFrame, families: int, *, markdown: bool = True) -> str:
    """The map in one sentence, for those who cannot see it: communes, families and persons placed, the fullest.

    As Markdown for the page (names shown literally), or as plain text (`markdown=False`) for the chart's own
    description, which screen readers read as it is.
    """
    def say(key: str, **values: object) -> str:
        return t(key, **values) if markdown else t(key).format(**values)

    text = say("map_summary", communes=len(frame), families=families, persons=int(frame["persons"].sum()))
    full = geo.fullest(frame)
    if full:
        text += " " + say("map_fullest", communes=", ".join(f"{name} ({share:.0%})" for name, share in full))
    return text


def _map_table(frame: pd.DataFrame) -> None:
    """The map's numbers as a table, largest first."""
    names = geo.departement_names()
    shown = frame.sort_values(["persons", "name"], ascending=[False, True])
    shown = shown.assign(departement=[names.get(geo.departement_code(d) or "", d) for d in shown["departement"]],
                         fill=(shown["fill"] * 100).round())
    st.dataframe(shown[["name", "departement", "persons", "capacity", "fill"]], hide_index=True,
                 height=min(540, 35 * (len(shown) + 1) + 3),  # as tall as the map, no taller than its rows
                 column_config={
                     "name": st.column_config.TextColumn(t("col_locality"), width=110),
                     "departement": st.column_config.TextColumn(t("col_departement"), width=100),
                     "persons": st.column_config.NumberColumn(t("col_placed"), format="%d", width=58,
                                                              help=t("map_persons")),
                     "capacity": st.column_config.NumberColumn(t("col_agreed"), format="%d", width=66,
                                                               help=t("col_agreed_help")),
                     "fill": st.column_config.NumberColumn(t("map_fill"), format="%d %%", width=54)})


def _map(run: state.RunRecord, data: Dataset) -> None:
    frame = _locality_frame(run, data)
    if frame[["lat", "lon"]].dropna().empty:
        st.info(t("map_no_coords"))
        return
    families = len(run.result.placements)
    st.markdown(map_summary(frame, families))
    texts = MapTexts(persons=t("map_persons"), fill=t("map_fill"), commune=t("col_locality"),
                     departement=t("col_departement"), capacity=t("col_agreed_help"), zoom=t("map_zoom"),
                     west_east=t("map_west_east"), south_north=t("map_south_north"),
                     description=map_summary(frame, families, markdown=False))
    left, right = st.columns([1.35, 1], gap="small")
    with left:
        st.vega_lite_chart(a11y.readable_spec(commune_map(frame, layout(frame), texts)), width="stretch",
                           key=f"map_{run.run_id}")
        st.caption(t("map_help") + " " + t("map_navigate"))
        st.caption(t("map_attribution"))
    with right:
        _map_table(frame)


def _use_frame(run: state.RunRecord, data: Dataset) -> pd.DataFrame:
    names = _names(data)
    rows = []
    for u in run.result.localities:
        for resource, capacity in u.capacity.items():
            if capacity is None:
                continue
            used = float(u.used.get(resource, 0.0))
            rows.append({"locality_id": u.locality_id, "name": names.get(u.locality_id, u.locality_id),
                         "resource": resource_label(resource), "used": used, "capacity": float(capacity),
                         "share": used / capacity if capacity else (1.0 if used else 0.0)})
    return pd.DataFrame(rows, columns=["locality_id", "name", "resource", "used", "capacity", "share"])


def _use_table(frame: pd.DataFrame, run: state.RunRecord) -> None:
    """Both capacity charts' figures: one row per commune and capacity, fullest first."""
    shown = frame.sort_values(["share", "name"], ascending=[False, True]).assign(share=frame["share"] * 100)
    a11y.chart_table(shown[["name", "resource", "used", "capacity", "share"]], key=f"use_table_{run.run_id}",
                     column_config={"name": st.column_config.TextColumn(t("col_locality")),
                                    "resource": st.column_config.TextColumn(t("capacity_resource")),
                                    "used": st.column_config.NumberColumn(t("capacity_used"), format="%g"),
                                    "capacity": st.column_config.NumberColumn(t("capacity_capacity"), format="%g"),
                                    "share": st.column_config.NumberColumn(t("a11y_col_share"), format="%.0f %%")})


def _capacity(run: state.RunRecord, data: Dataset) -> None:
    frame = _use_frame(run, data)
    if frame.empty:
        st.info(t("capacity_none"))
        return
    heatmap = charts.capacity_heatmap(frame, share_title=t("capacity_share"))
    a11y.show_chart(heatmap, a11y.heatmap_summary(frame, markdown=False), key=f"heatmap_{run.run_id}")
    st.markdown(a11y.heatmap_summary(frame))
    resources = list(dict.fromkeys(frame["resource"]))
    resource = st.selectbox(t("capacity_resource"), resources, key="capacity_resource")
    chosen = frame[frame["resource"] == resource]
    bars = charts.use_bars(chosen, used_title=t("capacity_used"), capacity_title=t("capacity_capacity"))
    a11y.show_chart(bars, a11y.use_summary(chosen, resource, markdown=False), key=f"use_{run.run_id}")
    st.markdown(a11y.use_summary(chosen, resource))
    _use_table(frame, run)
    st.markdown(f"**{t('shadow_header')}**")
    st.caption(t("shadow_help"))
    try:
        if run.locality_report is None:
            run.locality_report = engine.locality_report(state.problem_of(run), run.result)
        report = run.locality_report
    except Exception as exc:
        log_exception(exc, "locality report")
        st.caption(t("family_explain_failed", kind=type(exc).__name__))
        return
    binding = report[report["shadow_price"] > 1e-9].sort_values("shadow_price", ascending=False, kind="stable")
    binding = binding.assign(resource=binding["resource"].map(resource_label))
    if binding.empty:
        st.caption(t("shadow_none"))
        return
    columns = [c for c in ("name", "locality_id", "resource", "used", "capacity", "shadow_price") if c in binding]
    st.dataframe(binding[columns].head(25), hide_index=True, width="stretch", key=f"shadow_{run.run_id}",
                 placeholder="",
                 column_config={"shadow_price": st.column_config.NumberColumn(t("shadow_price"), format="%.2f"),
                                "name": st.column_config.TextColumn(t("col_locality")),
                                "locality_id": st.column_config.TextColumn(t("col_locality_id")),
                                "resource": st.column_config.TextColumn(t("capacity_resource")),
                                "used": st.column_config.NumberColumn(t("capacity_used"), format="%.0f"),
                                "capacity": st.column_config.NumberColumn(t("capacity_capacity"), format="%.0f")})


def _family(run: state.RunRecord, data: Dataset) -> None:
    names = _names(data)
    case_ids = sorted(c.case_id for c in data.cases)
    if not case_ids:
        return
    # The family to explain lives in "family_pick", which the table selection also sets; the selectbox is
    # re-created when it changes, so that it always shows the current pick.
    pick = st.session_state.get("family_pick")
    if pick not in case_ids:  # start with the first placed family: there is a placement to explain
        placed = sorted(run.result.plan())
        pick = placed[0] if placed else case_ids[0]
    key = f"family_case_{pick}"
    case_id = st.selectbox(t("family_choose"), case_ids, index=case_ids.index(pick), key=key,
                           on_change=_picked, args=(key,))
    try:
        if case_id not in run.explanations:
            run.explanations[case_id] = engine.explain_case(state.problem_of(run), run.result, case_id)
        ex = run.explanations[case_id]
    except Exception as exc:
        log_exception(exc, "explain case")
        st.warning(t("family_explain_failed", kind=type(exc).__name__))
        return
    imposed = _family_placement(run, ex, names)
    if ex.linked_with:
        st.caption(t("family_linked", ids=", ".join(ex.linked_with)))
    notice_buttons(run, case_id, ex.locality_id)
    left, right = st.columns(2, gap="large")
    with left:
        if ex.components:
            st.markdown(f"**{t('family_components')}**")
            named = {label("component", k, lang()): v for k, v in ex.components.items()}
            bars = charts.component_bars(named, value_title=t("col_value"))
            a11y.show_chart(bars, a11y.components_summary(named, markdown=False), key=f"components_{run.run_id}")
            st.markdown(a11y.components_summary(named))
            a11y.chart_table(pd.DataFrame({t("a11y_col_component"): list(named),
                                           t("col_value"): [round(float(v), 2) for v in named.values()]}),
                             key=f"components_table_{run.run_id}")
        if ex.reasons:
            st.markdown(f"**{t('family_reasons_imposed' if imposed else 'family_reasons')}**")
            st.markdown("\n".join(
                f"- **{plain(label('component', k, lang()))}** {_num(ex.components.get(k))} — {plain(said(v))}"
                for k, v in ex.reasons.items()))
        if ex.unplaced_reasons:
            st.markdown(f"**{t('family_unplaced_reasons')}**")
            st.markdown("\n".join(f"- {plain(said(r))}" for r in ex.unplaced_reasons))
    with right:
        st.markdown(f"**{t('family_alternatives_imposed' if imposed else 'family_alternatives')}**")
        if ex.alternatives:
            st.markdown("\n".join(
                f"- **{plain(a.name or a.locality_id)}** ({plain(a.locality_id)}) · {_num(a.score)} — "
                f"{plain(said(a.why_not))}"
                for a in ex.alternatives))
        else:
            st.caption(t("family_no_alternatives"))
        if ex.locality_id is not None:
            here = names.get(ex.locality_id, ex.locality_id)
            b1, b2 = st.columns(2)
            b1.button(t("pin_here", name=here), key="family_pin", on_click=pin_checked,
                      args=(run, [(case_id, ex.locality_id)]), icon=":material/keep:", type="primary")
            b2.button(t("forbid_here", name=here), key="family_forbid", on_click=state.forbid,
                      args=([(case_id, ex.locality_id)],), icon=":material/block:")
        others = [lid for lid in names if lid != ex.locality_id]
        if others:
            c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
            target = c1.selectbox(t("pin_to"), others, format_func=lambda lid: f"{names[lid]} ({lid})",
                                  key="family_pin_target")
            c2.button(t("pin_apply"), key="family_pin_other", on_click=pin_checked, args=(run, [(case_id, target)]))


def _family_placement(run: state.RunRecord, ex: CaseExplanation, names: Mapping[str, str]) -> bool:
    """Where the run placed the family, and whether the coordinator imposed it (the run's own pin, kept): then the
    sentence says so, and how many communes would score higher (the alternatives, listed by score, are set aside
    by the pin), so that "why here" and the alternatives do not read as the matcher's choice contradicted. A pin
    made since the run is noted as pending. True when the placement was imposed."""
    case_id, lid = ex.case_id, ex.locality_id
    imposed = lid is not None and run.pins.get(case_id) == lid
    if lid is None:
        st.markdown(t("family_unplaced"))
    elif imposed:
        st.markdown(t("family_imposed", name=names.get(lid, lid), lid=lid, score=_num(ex.score)))
        higher = sum(1 for a in ex.alternatives if a.score is not None and a.score > float(ex.score or 0.0) + 1e-9)
        st.caption(t("family_imposed_higher", n=higher) if higher else t("family_imposed_best"))
    else:
        st.markdown(t("family_placed_in", name=names.get(lid, lid), lid=lid, score=_num(ex.score)))
    pending = state.pins().get(case_id)
    if pending is not None and not (imposed and pending == lid):
        st.caption(t("pinned_note", lid=f"{names.get(pending, pending)} ({pending})"))
    return imposed


def _num(value: float | None) -> str:
    """A score with two decimals in the app's language."""
    return "—" if value is None else number(float(value), lang(), 2)


def _picked(key: str) -> None:
    st.session_state["family_pick"] = st.session_state[key]


def _pins_and_forbids(run: state.RunRecord, data: Dataset) -> None:
    names = _names(data)
    pins, forbids = state.pins(), state.forbids()
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**{t('pins_header')}**")
        if not pins:
            st.caption(t("pins_none"))
        for case_id, lid in pins.items():  # in the order they were made
            c1, c2 = st.columns([3, 1], vertical_alignment="center")
            c1.markdown(plain(f"{case_id} → {names.get(lid, lid)} ({lid})"))
            c2.button(t("pin_remove"), key=f"unpin_{case_id}", on_click=state.unpin, args=(case_id,))
    with right:
        st.markdown(f"**{t('forbids_header')}**")
        if not forbids:
            st.caption(t("forbids_none"))
        for case_id, lid in forbids:  # in the order they were made
            c1, c2 = st.columns([3, 1], vertical_alignment="center")
            c1.markdown(plain(f"{case_id} ✕ {names.get(lid, lid)} ({lid})"))
            c2.button(t("pin_remove"), key=f"unforbid_{case_id}_{lid}", on_click=state.unforbid,
                      args=((case_id, lid),))
    if pins or forbids:
        st.button(t("pins_clear"), key="pins_clear", on_click=state.clear_overrides)


def _deferred(result: Result, fmt: Format, names: dict[str, str]) -> Callable[[], bytes]:
    """Write the export only when the user asks for it."""

    def build() -> bytes:
        return engine.result_bytes(result, fmt, names)

    return build


def _export(run: state.RunRecord, data: Dataset) -> None:
    st.caption(t("export_help"))
    mimes = {"json": "application/json", "csv": "text/csv",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    cols = st.columns(3)
    formats: tuple[Format, ...] = ("json", "xlsx", "csv")
    for col, fmt in zip(cols, formats, strict=True):
        col.download_button(t(f"export_{fmt}"), data=_deferred(run.result, fmt, _names(data)),
                            file_name=f"placements_{run.file_stem}.{fmt}", mime=mimes[fmt],
                            key=f"export_{fmt}", icon=":material/download:", on_click="ignore")


def render() -> None:
    st.title(t("match_title"))
    solving.collect()
    flash = st.session_state.pop("match_flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])
    data = state.dataset()
    if data is None:
        st.info(t("match_need_data"))
        st.page_link("app_pages/data.py", label=t("page_data"), icon=":material/table_view:")
        return
    _controls(data)
    run = state.current_run()
    if run is None:
        if solving.active() is None:
            st.info(t("no_run_yet"))
        return
    if solving.active() is not None:  # the plan on screen is about to be replaced: not shown as if current
        st.caption(t("results_hidden", label=run.label))
        return
    st.caption(t("showing_run", label=run.label))
    if state.overrides_changed(run):
        st.info(t("pins_pending"), icon=":material/push_pin:")
    _kpis(run)
    labels = [t(f"tab_{name}") for name in TABS]
    if st.session_state.get("match_tab") not in labels:  # first visit, or the language changed
        st.session_state["match_tab"] = labels[0]
    # Keyed tabs keep the user's tab across reruns (a pin, a new run) and draw only the open one.
    tabs = st.tabs(labels, key="match_tab", on_change="rerun")
    sections = (_placements, _map, _capacity, _family, _pins_and_forbids, _export)
    for tab, section in zip(tabs, sections, strict=True):
        if tab.open is False:
            continue
        with tab:
            try:
                section(run, data)
            except Exception as exc:  # one broken view must not hide the others
                log_exception(exc, section.__name__)
                st.error(t("unexpected_error", kind=type(exc).__name__))


render()
