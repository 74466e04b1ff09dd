"""Records page (coordinators): decisions on the shown run, capacities updated by NGOs, the audit log."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from matcher.store import schema
from matcher.store.errors import StoreError
from matcher.store.records import check_lengths
from ui.components import access, records, state, workbooks
from ui.components.i18n import add_labels, t

add_labels({
    "records_title": ("Records", "Registre"),
    "records_intro": ("Decisions on the shown run, with who took them and why; newer capacities from NGOs; and "
                      "the audit log, which no one can change.",
                      "Les décisions sur le calcul affiché, avec qui les a prises et pourquoi ; les capacités "
                      "mises à jour par les associations ; et le journal d'audit, que personne ne peut modifier."),
    "decide_header": ("Decide on run {label}", "Décider sur le calcul {label}"),
    "decide_none": ("Run a match first: decisions are taken on a run.",
                    "Lancez d'abord un calcul : les décisions portent sur un calcul."),
    "decide_not_kept": ("This run is not in the records, so no decision can be kept on it.",
                        "Ce calcul n'est pas dans le registre : aucune décision ne peut y être enregistrée."),
    "decide_families": ("Families", "Familles"),
    "decide_kind": ("Decision", "Décision"),
    "decide_accept": ("Accept their placements", "Accepter leurs placements"),
    "decide_overrides": ("Record the current pins and forbids as overrides",
                         "Enregistrer les placements imposés et exclus actuels comme dérogations"),
    "decide_reason": ("Why (required)", "Pourquoi (obligatoire)"),
    "decide_submit": ("Record the decision", "Enregistrer la décision"),
    "decide_need_reason": ("Give a reason.", "Indiquez une raison."),
    "decide_need_families": ("Choose at least one placed family.", "Choisissez au moins une famille placée."),
    "decide_no_overrides": ("There is no pin or forbid to record.", "Aucun placement imposé ou exclu à enregistrer."),
    "decide_done": ("{n} decisions recorded.", "{n} décisions enregistrées."),
    "decisions_header": ("Decisions on this run", "Décisions sur ce calcul"),
    "newer_header": ("Newer capacities", "Capacités plus récentes"),
    "newer_scenario": ("Scenario #{id} by {owner} ({source}) is newer than the one loaded.",
                       "Le scénario n° {id} de {owner} ({source}) est plus récent que celui chargé."),
    "newer_load": ("Load scenario #{id}", "Charger le scénario n° {id}"),
    "audit_header": ("Audit log", "Journal d'audit"),
    "audit_verify": ("Verify the records", "Vérifier le registre"),
    "audit_ok": ("The records are intact: {n} events, each chained to the one before and signed with the key; "
                 "{rows} records, each as its latest event describes it.",
                 "Le registre est intact : {n} événements, chacun chaîné au précédent et signé avec la clé ; "
                 "{rows} enregistrements, chacun tel que son dernier événement le décrit."),
    "audit_legacy": ("Events 1 to {n} predate signed events: they are checked by their hashes only; the records "
                     "existing then are covered since event {seq}.",
                     "Les événements 1 à {n} précèdent les événements signés : seuls leurs hachages sont vérifiés ; "
                     "les enregistrements qui existaient alors sont couverts depuis l'événement {seq}."),
    "audit_broken": ("The records were altered outside the app: {n} problems.",
                     "Le registre a été modifié hors de l'application : {n} problèmes."),
    "audit_col_what": ("What", "Quoi"),
    "audit_col_event": ("Event", "Événement"),
    "audit_col_record": ("Record", "Enregistrement"),
    "problem_chain": ("an event was altered, removed or moved", "un événement a été modifié, supprimé ou déplacé"),
    "problem_mac": ("an event's signature does not match the key", "la signature d'un événement ne correspond pas "
                    "à la clé"),
    "problem_format": ("an event was written without the key", "un événement a été écrit sans la clé"),
    "problem_legacy": ("events were written or rewritten without the key",
                       "des événements ont été écrits ou réécrits sans la clé"),
    "problem_row_changed": ("a record was changed outside the app", "un enregistrement a été modifié hors de "
                            "l'application"),
    "problem_row_unrecorded": ("a record was added outside the app", "un enregistrement a été ajouté hors de "
                               "l'application"),
    "problem_row_deleted": ("a record was deleted outside the app", "un enregistrement a été supprimé hors de "
                            "l'application"),
    "problem_truncated": ("the last events were removed", "les derniers événements ont été supprimés"),
    "problem_rewritten": ("the log was rewritten", "le journal a été réécrit"),
    "problem_anchor_mac": ("an anchor does not match the key", "une ancre ne correspond pas à la clé"),
    "problem_key": ("the audit key is missing or not private", "la clé d'audit manque ou n'est pas privée"),
    "problem_head": ("the recorded head cannot be read", "la tête enregistrée ne peut pas être lue"),
    "decide_failed": ("The decision was not kept: {reason}", "La décision n'a pas été enregistrée : {reason}"),
})


def _decide(run: state.RunRecord) -> None:
    st.header(t("decide_header", label=run.label))
    if run.db_id is None:
        st.info(t("decide_not_kept"))
        return
    plan = run.result.plan()
    pins, forbids = state.pins(), state.forbids()
    with st.form("decide", clear_on_submit=True):
        kind = st.radio(t("decide_kind"), ["accept", "overrides"], format_func=lambda k: t(f"decide_{k}"),
                        key="decide_kind", horizontal=True)
        families = st.multiselect(t("decide_families"), sorted(plan), key="decide_families")
        reason = st.text_area(t("decide_reason"), key="decide_reason", max_chars=2000)
        submitted = st.form_submit_button(t("decide_submit"), type="primary")
    if submitted:
        access.require("decide")
        if not (reason or "").strip():
            st.error(t("decide_need_reason"))
        elif kind == "accept" and not families:
            st.error(t("decide_need_families"))
        elif kind == "overrides" and not (pins or forbids):
            st.error(t("decide_no_overrides"))
        else:
            try:
                n = _record(run, kind, families, reason, plan, pins, forbids)
            except StoreError as exc:  # e.g. an id longer than the records keep: say which field and its limit
                st.error(t("decide_failed", reason=records.error_text(exc)))
            else:
                st.success(t("decide_done", n=n))
    decisions = records.store().decisions(run.db_id)
    if decisions:
        st.markdown(f"**{t('decisions_header')}**")
        # Shown as data cells, never as Markdown or HTML: a reason is typed text.
        st.dataframe(pd.DataFrame([{"case_id": d.case_id, "decision": d.action, "override": d.override or "",
                                    "locality_id": d.locality_id or "", "by": d.actor,
                                    "at": d.created_at.astimezone().strftime("%Y-%m-%d %H:%M"), "why": d.reason}
                                   for d in decisions]), hide_index=True, width="stretch", key="decisions_table",
                     placeholder="")


def _record(run: state.RunRecord, kind: str, families: list[str], reason: str, plan: dict[str, str],
            pins: dict[str, str], forbids: list[tuple[str, str]]) -> int:
    """Keep the decisions; return how many. All are checked against the records' limits before any is kept."""
    assert run.db_id is not None
    todo: list[tuple[str, str, str | None, str]]
    if kind == "accept":
        todo = [(case_id, "accepted", None, plan[case_id]) for case_id in families]
    else:
        todo = [(case_id, "overridden", "pin", lid) for case_id, lid in pins.items()]
        todo += [(case_id, "overridden", "forbid", lid) for case_id, lid in forbids]
    for case_id, _action, _override, lid in todo:
        check_lengths(schema.decisions, {"case_id": case_id, "locality_id": lid})
    store, actor = records.store(), access.signed_in().name
    for case_id, action, override, lid in todo:
        store.add_decision(run.db_id, actor, case_id, action, reason=reason, override=override, locality_id=lid)
    return len(todo)


def _load(scenario_id: int) -> None:
    access.require("load_data")
    scenario = records.store().scenario(scenario_id)
    with tempfile.TemporaryDirectory(prefix="matcher-load-") as tmp:
        folder = Path(tmp)
        (folder / "c").mkdir()
        (folder / "l").mkdir()
        workbooks.read_into_session(scenario.cases.materialise(folder / "c"),
                                    scenario.localities.materialise(folder / "l"),
                                    {"restored": scenario.id, "source": scenario.source})
    st.session_state["scenario_id"] = scenario.id
    records.log(access.signed_in().name, "scenario.load", f"scenario:{scenario.id}")


def _newer() -> None:
    store = records.store()
    newest = store.newest_published()
    current = st.session_state.get("scenario_id")
    if newest is None or current is None or newest <= current:
        return
    latest = store.scenario(newest)
    if latest.source != "capacities":
        return
    st.header(t("newer_header"))
    st.info(t("newer_scenario", id=latest.id, owner=latest.owner, source=records.source_label(latest.source)))
    st.button(t("newer_load", id=latest.id), key="newer_load", on_click=_load, args=(latest.id,))


def _verify() -> None:
    st.session_state["audit_report"] = records.store().verify()


def _audit() -> None:
    st.header(t("audit_header"))
    store = records.store()
    # Verifying reads every record (workbooks included): on request, not on every rerun of the page.
    st.button(t("audit_verify"), key="audit_verify", on_click=_verify)
    report = st.session_state.get("audit_report")
    if report is not None:
        if report.ok:
            st.success(t("audit_ok", n=report.events, rows=sum(report.rows.values())))
        else:
            st.error(t("audit_broken", n=len(report.problems)))
            st.dataframe(pd.DataFrame([{t("audit_col_what"): t(f"problem_{p.kind}"),
                                        t("audit_col_event"): p.seq, t("audit_col_record"): p.record or ""}
                                       for p in report.problems]), hide_index=True, width="stretch",
                         key="audit_problems", placeholder="")
        if report.legacy_events and report.keyed_start is not None:
            st.caption(t("audit_legacy", n=report.legacy_events, seq=report.keyed_start[0]))
    events = store.audit(limit=50)
    st.dataframe(pd.DataFrame([{"seq": e.seq, "at": e.at[:19].replace("T", " "), "who": e.actor,
                                "action": e.action, "subject": e.subject} for e in reversed(events)]),
                 hide_index=True, width="stretch", key="audit_table", placeholder="")


def render() -> None:
    access.require("read_records")
    st.title(t("records_title"))
    st.caption(t("records_intro"))
    run = state.current_run()
    if run is None:
        st.info(t("decide_none"))
    else:
        _decide(run)
    _newer()
    _audit()


render()
