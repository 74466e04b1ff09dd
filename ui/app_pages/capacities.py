"""Capacities page: an NGO edits the capacities of its own communes, on a base it can name.

The base is the newest published scenario holding the user's communes: a coordinator's data, or the capacities
saved on it since (`matcher.store.capacities`). The page pins it for the session when it first shows it and
names it, so that an edit is always saved against the scenario it started from: if others saved meanwhile, the
save is merged with theirs when they changed other rows, and refused, saying what changed and by whom, when they
changed the same rows. A coordinator's new data inherits the saved edits, so the next base still holds them.
Only rows of the user's communes are sent to the browser; on saving, the server checks again that every row
belongs to one of them and validates the localities workbook alone (so no family's id can appear in a message).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from matcher.auth import localities_of
from matcher.io import spec
from matcher.store import capacities
from matcher.store.capacities import Conflict, Foreign, Invalid, Saved, Unchanged
from matcher.store.records import ScenarioRecord, StoreError
from ui.components import access, records
from ui.components import data as data_helpers
from ui.components.i18n import add_labels, t

add_labels({
    "capacities_title": ("Capacities", "Capacités"),
    "capacities_intro": ("The capacities of your communes. Change them, then save: coordinators see the new "
                         "figures in their records, and their next data keeps them.",
                         "Les capacités de vos communes. Modifiez-les, puis enregistrez : les coordinateurs voient "
                         "les nouveaux chiffres dans leurs enregistrements, et leurs prochaines données les "
                         "conservent."),
    "capacities_none": ("No scenario holds your communes yet.", "Aucun scénario ne contient encore vos communes."),
    "capacities_base": ("You are editing scenario #{id}, kept by {owner} ({source}) on {at}.",
                        "Vous modifiez le scénario n° {id}, enregistré par {owner} ({source}) le {at}."),
    "capacities_newer": ("Scenario #{id} ({owner}, {source}) was saved since you opened this one: your save will "
                         "be merged with it, or refused if it changed the same rows.",
                         "Le scénario n° {id} ({owner}, {source}) a été enregistré depuis que vous avez ouvert "
                         "celui-ci : votre enregistrement sera fusionné avec lui, ou refusé s'il a modifié les "
                         "mêmes lignes."),
    "capacities_refresh": ("Start again from the newest scenario", "Repartir du scénario le plus récent"),
    "capacities_save": ("Save the capacities", "Enregistrer les capacités"),
    "capacities_saved": ("Saved as scenario #{id}.", "Enregistré comme scénario n° {id}."),
    "capacities_saved_merged": ("Saved as scenario #{id}, with the changes others saved meanwhile: {changes}.",
                                "Enregistré comme scénario n° {id}, avec les modifications enregistrées entre-temps "
                                "par d'autres : {changes}."),
    "capacities_conflict": ("Not saved: since you opened scenario #{base}, the same rows were changed: {changes}. "
                            "Start again from the newest scenario to see their figures, then make your change "
                            "again.",
                            "Non enregistré : depuis que vous avez ouvert le scénario n° {base}, les mêmes lignes "
                            "ont été modifiées : {changes}. Repartez du scénario le plus récent pour voir leurs "
                            "chiffres, puis refaites votre modification."),
    "capacities_unchanged": ("Nothing to save: no capacity was changed.",
                             "Rien à enregistrer : aucune capacité n'a été modifiée."),
    "capacities_foreign": ("Rows for communes that are not yours were refused: {ids}.",
                           "Les lignes de communes qui ne sont pas les vôtres ont été refusées : {ids}."),
    "capacities_invalid": ("Not saved: {n} problems, listed below.", "Non enregistré : {n} problèmes, listés "
                           "ci-dessous."),
    "capacities_failed": ("Not saved: {reason}", "Non enregistré : {reason}"),
})

#: The sheets whose rows belong to one commune each.
SHEETS = tuple(sheet.name for sheet in spec.LOCALITIES.sheets)
_BASE = "capacities_base"


def _base() -> ScenarioRecord | None:
    """The scenario this session edits: pinned when first shown, until a save or a fresh start.

    An NGO starts from the newest published scenario holding its communes; a coordinator from the scenario of
    the session when there is one (the data it works on), else the newest published.
    """
    s = records.store()
    pinned = st.session_state.get(_BASE)
    if pinned is None and access.allows("edit_capacities_any"):
        pinned = st.session_state.get("scenario_id")
    if pinned is not None:
        try:
            found: ScenarioRecord | None = s.scenario(pinned)
        except StoreError:
            found = None
    else:
        found = None
    if found is None:
        communes = None if access.allows("edit_capacities_any") else set(access.signed_in().localities)
        found = capacities.find_base(s, communes)
    st.session_state[_BASE] = None if found is None else found.id
    return found


def _start_again() -> None:
    st.session_state.pop(_BASE, None)


def _newer(base: ScenarioRecord, mine: set[str]) -> None:
    """Say when a newer scenario holds the user's communes: the save will merge with it."""
    s = records.store()
    if s.newest_published() == base.id:
        return
    newest = capacities.find_base(s, mine)
    if newest is None or newest.id <= base.id:
        return
    st.info(t("capacities_newer", id=newest.id, owner=newest.owner, source=records.source_label(newest.source)))
    st.button(t("capacities_refresh"), key="capacities_refresh", on_click=_start_again)


def _save(base: ScenarioRecord, edited: dict[str, pd.DataFrame], mine: set[str]) -> None:
    access.require("edit_capacities")
    try:
        outcome = capacities.save_edit(records.store(), access.signed_in().name, mine, base, edited)
    except StoreError as exc:
        st.error(t("capacities_failed", reason=records.error_text(exc)))
        return
    if isinstance(outcome, Saved):
        st.session_state[_BASE] = outcome.scenario_id
        message = (t("capacities_saved_merged", id=outcome.scenario_id, changes=records.changes_text(outcome.merged))
                   if outcome.merged else t("capacities_saved", id=outcome.scenario_id))
        st.session_state["capacities_flash"] = message
        st.rerun()
    elif isinstance(outcome, Conflict):
        # The notice of the newer scenario above offers to start again from it.
        st.error(t("capacities_conflict", base=outcome.base_id, changes=records.changes_text(outcome.changes)))
    elif isinstance(outcome, Foreign):
        st.error(t("capacities_foreign", ids=", ".join(outcome.locality_ids)))
    elif isinstance(outcome, Invalid):
        st.error(t("capacities_invalid", n=len(outcome.issues)))
        st.dataframe(data_helpers.issues_frame(outcome.issues), hide_index=True, key="capacities_issues",
                     placeholder="")
    elif isinstance(outcome, Unchanged):
        st.info(t("capacities_unchanged"))


def render() -> None:
    access.require("edit_capacities")
    st.title(t("capacities_title"))
    st.caption(t("capacities_intro"))
    flash = st.session_state.pop("capacities_flash", None)
    if flash:
        st.success(flash)
    base = _base()
    if base is None:
        st.info(t("capacities_none"))
        return
    frames = capacities.scenario_frames(records.store(), base)
    mine = localities_of(access.signed_in(), capacities.locality_ids(frames))
    if not mine:
        st.info(t("capacities_none"))
        return
    st.caption(t("capacities_base", id=base.id, owner=base.owner, source=records.source_label(base.source),
                 at=base.created_at.astimezone().strftime("%Y-%m-%d %H:%M")))
    _newer(base, mine)
    edited: dict[str, pd.DataFrame] = {}
    names = [n for n in SHEETS if n in frames]
    tabs = st.tabs(names)
    for tab, name in zip(tabs, names, strict=True):
        frame = frames[name]
        own = frame[frame["locality_id"].isin(mine)].reset_index(drop=True)
        with tab:
            edited[name] = st.data_editor(
                own, num_rows="fixed" if name == "localities" else "dynamic", width="stretch", hide_index=True,
                disabled=["locality_id"] if name == "localities" else False,
                key=f"capacities_{base.id}_{name}", placeholder="")
    if st.button(t("capacities_save"), type="primary", key="capacities_save"):
        _save(base, edited, mine)


render()
