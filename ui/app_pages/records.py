"""Records page (coordinators): decisions on the shown run, capacities updated by NGOs, the audit log."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from ui.components import access, records, state
from ui.components import data as data_helpers
from ui.components.i18n import LABELS, t

LABELS.update({
    "records_title": ("Records", "Registre"),
    "records_intro": ("Decisions on the shown run, with who took them and why; newer capacities from NGOs; and "
                      "the audit log, which no one can change.",
                      "Les décisions sur l'exécution affichée, avec qui les a prises et pourquoi ; les capacités "
                      "mises à jour par les associations ; et le journal d'audit, que personne ne peut modifier."),
    "decide_header": ("Decide on run {label}", "Décider sur l'exécution {label}"),
    "decide_none": ("Run a match first: decisions are taken on a run.",
                    "Lancez d'abord un appariement : les décisions portent sur une exécution."),
    "decide_not_kept": ("This run is not in the records, so no decision can be kept on it.",
                        "Cette exécution n'est pas dans le registre : aucune décision ne peut y être enregistrée."),
    "decide_families": ("Families", "Familles"),
    "decide_kind": ("Decision", "Décision"),
    "decide_accept": ("Accept their placements", "Accepter leurs placements"),
    "decide_overrides": ("Record the current pins and forbids as overrides",
                         "Enregistrer les épinglages et interdictions actuels comme dérogations"),
    "decide_reason": ("Why (required)", "Pourquoi (obligatoire)"),
    "decide_submit": ("Record the decision", "Enregistrer la décision"),
    "decide_need_reason": ("Give a reason.", "Indiquez une raison."),
    "decide_need_families": ("Choose at least one placed family.", "Choisissez au moins une famille placée."),
    "decide_no_overrides": ("There is no pin or forbid to record.", "Aucun épinglage ni interdiction à enregistrer."),
    "decide_done": ("{n} decisions recorded.", "{n} décisions enregistrées."),
    "decisions_header": ("Decisions on this run", "Décisions sur cette exécution"),
    "newer_header": ("Newer capacities", "Capacités plus récentes"),
    "newer_scenario": ("Scenario #{id} by {owner} ({source}) is newer than the one loaded.",
                       "Le scénario n° {id} de {owner} ({source}) est plus récent que celui chargé."),
    "newer_load": ("Load scenario #{id}", "Charger le scénario n° {id}"),
    "audit_header": ("Audit log", "Journal d'audit"),
    "audit_ok": ("The audit log is intact: {n} events, each chained to the one before.",
                 "Le journal d'audit est intact : {n} événements, chacun chaîné au précédent."),
    "audit_broken": ("The audit log was altered at event {seq}.", "Le journal d'audit a été modifié à l'événement "
                     "{seq}."),
})


def _decide(run: state.RunRecord) -> None:
    st.subheader(t("decide_header", label=run.label))
    if run.db_id is None:
        st.info(t("decide_not_kept"))
        return
    plan = run.result.plan()
    pins = dict(st.session_state.get("pins", {}))
    forbids = set(st.session_state.get("forbids", set()))
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
            store, actor, n = records.store(), access.user().name, 0
            if kind == "accept":
                for case_id in families:
                    store.add_decision(run.db_id, actor, case_id, "accepted", reason=reason,
                                       locality_id=plan[case_id])
                    n += 1
            else:
                for case_id, lid in sorted(pins.items()):
                    store.add_decision(run.db_id, actor, case_id, "overridden", reason=reason, override="pin",
                                       locality_id=lid)
                    n += 1
                for case_id, lid in sorted(forbids):
                    store.add_decision(run.db_id, actor, case_id, "overridden", reason=reason, override="forbid",
                                       locality_id=lid)
                    n += 1
            st.success(t("decide_done", n=n))
    decisions = records.store().decisions(run.db_id)
    if decisions:
        st.markdown(f"**{t('decisions_header')}**")
        # Shown as data cells, never as Markdown or HTML: a reason is typed text.
        st.dataframe(pd.DataFrame([{"case_id": d.case_id, "decision": d.action, "override": d.override or "",
                                    "locality_id": d.locality_id or "", "by": d.actor,
                                    "at": d.created_at.astimezone().strftime("%Y-%m-%d %H:%M"), "why": d.reason}
                                   for d in decisions]), hide_index=True, width="stretch", key="decisions_table")


def _load(scenario_id: int) -> None:
    access.require("load_data")
    scenario = records.store().scenario(scenario_id)
    with tempfile.TemporaryDirectory(prefix="matcher-load-") as tmp:
        folder = Path(tmp)
        (folder / "c").mkdir()
        (folder / "l").mkdir()
        data_helpers.read_and_apply(scenario.cases.materialise(folder / "c"),
                                    scenario.localities.materialise(folder / "l"),
                                    {"restored": scenario.id, "source": scenario.source}, keep=False)
    st.session_state["scenario_id"] = scenario.id
    records.log(access.user().name, "scenario.load", f"scenario:{scenario.id}")


def _newer() -> None:
    latest = records.store().latest_scenario()
    current = st.session_state.get("scenario_id")
    if latest is None or current is None or latest.id <= current or latest.source != "capacities":
        return
    st.subheader(t("newer_header"))
    st.info(t("newer_scenario", id=latest.id, owner=latest.owner, source=latest.source))
    st.button(t("newer_load", id=latest.id), key="newer_load", on_click=_load, args=(latest.id,))


def _audit() -> None:
    st.subheader(t("audit_header"))
    store = records.store()
    ok, n, bad = store.verify_audit()
    if ok:
        st.success(t("audit_ok", n=n))
    else:
        st.error(t("audit_broken", seq=bad))
    events = store.audit(limit=50)
    st.dataframe(pd.DataFrame([{"seq": e.seq, "at": e.at[:19].replace("T", " "), "who": e.actor,
                                "action": e.action, "subject": e.subject} for e in reversed(events)]),
                 hide_index=True, width="stretch", key="audit_table")


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
