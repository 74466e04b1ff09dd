"""Capacities page: an NGO sees and edits the capacities of its own communes, and nothing else.

The rows come from the newest scenario in the records (a coordinator's own scenario for a coordinator). Only
rows of the user's communes are sent to the browser; on saving, the server checks again that every row belongs
to one of them, validates the localities workbook alone (so no family's id can appear in a message), and keeps
the result as a new scenario that coordinators can load from the Records page.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from matcher.auth import localities_of
from matcher.io import spec
from matcher.store.records import StoredInput
from ui.components import access, records
from ui.components import data as data_helpers
from ui.components.i18n import LABELS, t

LABELS.update({
    "capacities_title": ("Capacities", "Capacités"),
    "capacities_intro": ("The capacities of your communes in the newest scenario. Change them, then save: "
                         "coordinators see the new figures in their records.",
                         "Les capacités de vos communes dans le scénario le plus récent. Modifiez-les, puis "
                         "enregistrez : les coordinateurs voient les nouveaux chiffres dans leurs enregistrements."),
    "capacities_none": ("No scenario holds your communes yet.", "Aucun scénario ne contient encore vos communes."),
    "capacities_save": ("Save the capacities", "Enregistrer les capacités"),
    "capacities_saved": ("Saved as scenario #{id}.", "Enregistré comme scénario n° {id}."),
    "capacities_foreign": ("Rows for communes that are not yours were refused: {ids}.",
                           "Les lignes de communes qui ne sont pas les vôtres ont été refusées : {ids}."),
    "capacities_invalid": ("Not saved: {n} problems, listed below.", "Non enregistré : {n} problèmes, listés "
                           "ci-dessous."),
    "capacities_scenario": ("Scenario #{id}", "Scénario n° {id}"),
})

#: The sheets whose rows belong to one commune each.
SHEETS = tuple(sheet.name for sheet in spec.LOCALITIES.sheets)


def _scenario():  # type: ignore[no-untyped-def]
    s = records.store()
    if access.allows("edit_capacities_any") and st.session_state.get("scenario_id"):
        return s.scenario(st.session_state["scenario_id"])
    return s.latest_scenario()


def _frames(localities: StoredInput) -> dict[str, pd.DataFrame]:
    from matcher.io.readers import read_workbook

    with tempfile.TemporaryDirectory(prefix="matcher-capacities-") as tmp:
        read = read_workbook(localities.materialise(Path(tmp)), spec.LOCALITIES)
    return {name: data_helpers.as_text_frame(frame) for name, frame in read.frames().items()}


def _ids(frame: pd.DataFrame) -> pd.Series:
    return frame["locality_id"].map(lambda v: "" if v is None or v != v else str(v).strip())


def _save(scenario, frames: dict[str, pd.DataFrame], edited: dict[str, pd.DataFrame], mine: set[str]) -> None:  # type: ignore[no-untyped-def]
    from matcher.io.readers import workbook_from_frames
    from matcher.io.validation import validate

    access.require("edit_capacities")
    foreign = sorted({i for frame in edited.values() for i in _ids(frame) if i and i not in mine})
    if foreign:
        st.error(t("capacities_foreign", ids=", ".join(foreign)))
        return
    merged = {}
    for name, frame in frames.items():
        others = frame[~_ids(frame).isin(mine)]
        new = edited.get(name, frame.iloc[0:0])
        new = new[_ids(new) != ""] if "locality_id" in new else new
        merged[name] = pd.concat([others, new], ignore_index=True)
    no_cases = workbook_from_frames({"cases": pd.DataFrame(columns=["case_id"]),
                                     "members": pd.DataFrame(columns=["case_id", "member_id", "age"])}, spec.CASES)
    report = validate(no_cases, workbook_from_frames(merged, spec.LOCALITIES))
    problems = [i for i in report.errors if i.workbook != spec.CASES.filename]
    if problems:
        st.error(t("capacities_invalid", n=len(problems)))
        st.dataframe(data_helpers.issues_frame(problems), hide_index=True, key="capacities_issues")
        return
    localities = StoredInput(spec.LOCALITIES.filename, "xlsx", data_helpers.frame_to_xlsx(spec.LOCALITIES, merged))
    s = records.store()
    user = access.user()
    new_id = s.add_scenario(user.name, scenario.cases, localities, "capacities", parent_id=scenario.id)
    s.log(user.name, "capacities.edit", f"scenario:{new_id}", localities=sorted(mine))
    st.session_state["capacities_flash"] = t("capacities_saved", id=new_id)
    st.rerun()


def render() -> None:
    access.require("edit_capacities")
    st.title(t("capacities_title"))
    st.caption(t("capacities_intro"))
    flash = st.session_state.pop("capacities_flash", None)
    if flash:
        st.success(flash)
    scenario = _scenario()
    if scenario is None:
        st.info(t("capacities_none"))
        return
    frames = _frames(scenario.localities)
    all_ids = set(_ids(frames["localities"])) if "localities" in frames else set()
    mine = localities_of(access.user(), all_ids)
    if not mine:
        st.info(t("capacities_none"))
        return
    st.caption(t("capacities_scenario", id=scenario.id))
    edited: dict[str, pd.DataFrame] = {}
    names = [n for n in SHEETS if n in frames]
    tabs = st.tabs(names)
    for tab, name in zip(tabs, names, strict=True):
        frame = frames[name]
        own = frame[_ids(frame).isin(mine)].reset_index(drop=True)
        with tab:
            edited[name] = st.data_editor(
                own, num_rows="fixed" if name == "localities" else "dynamic", width="stretch", hide_index=True,
                disabled=["locality_id"] if name == "localities" else False,
                key=f"capacities_{scenario.id}_{name}")
    if st.button(t("capacities_save"), type="primary", key="capacities_save"):
        _save(scenario, frames, edited, mine)


render()
