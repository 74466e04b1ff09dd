"""The decision notices' download buttons on the Match page: the same PDF as `matcher notice`, in the app's
language (`docs/notices.md`)."""

from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st

from matcher.notice import commune_notice, commune_pdf, family_notice, family_pdf
from ui.components import state
from ui.components.i18n import add_labels, lang, t

add_labels({
    "notice_family": ("Decision notice (PDF)", "Avis de décision (PDF)"),
    "notice_family_help": (
        "The notice the family is owed: that an algorithm helped prepare the proposal, the criteria and their "
        "weights, the family's data they used, how they applied, that a person decides, and how to ask for a "
        "review. In the app's language.",
        "L'information due à la famille : l'aide d'un traitement algorithmique, les critères et leur poids, les "
        "données de la famille utilisées, leur application, la décision prise par un agent et la demande de "
        "réexamen. Dans la langue de l'application.",
    ),
    "notice_commune": ("Commune notice (PDF)", "Avis à la commune (PDF)"),
    "notice_commune_help": (
        "The families proposed to this commune and what it is asked to provide; no other commune's data.",
        "Les familles proposées à cette commune et ce qui lui est demandé ; aucune donnée sur les autres communes.",
    ),
})


def _file_name(kind: str, ident: str, language: str) -> str:
    """A download name made of safe characters only (ids are typed by users)."""
    return f"{kind}_{re.sub(r'[^A-Za-z0-9_-]+', '_', ident)[:60]}_{language}.pdf"


def _family_pdf(run: state.RunRecord, case_id: str, language: str) -> Callable[[], bytes]:
    """A function that writes the family's notice (called when its button is pressed)."""

    def build() -> bytes:
        return family_pdf(family_notice(state.problem_of(run), run.result, case_id), language)

    return build


def _commune_pdf(run: state.RunRecord, locality_id: str, language: str) -> Callable[[], bytes]:
    """A function that writes the commune's notice (called when its button is pressed)."""

    def build() -> bytes:
        problem = state.problem_of(run)
        return commune_pdf(commune_notice(problem.dataset, problem.policy, run.result, locality_id), language)

    return build


def notice_buttons(run: state.RunRecord, case_id: str, locality_id: str | None) -> None:
    """The family's notice, and its commune's when it is placed; each PDF is written when its button is
    pressed."""
    language = lang()
    cols = st.columns(2)
    cols[0].download_button(t("notice_family"), data=_family_pdf(run, case_id, language),
                            file_name=_file_name("avis" if language == "fr" else "notice", case_id, language),
                            mime="application/pdf", key=f"notice_family_{case_id}", help=t("notice_family_help"),
                            icon=":material/description:", on_click="ignore")
    if locality_id is not None:
        cols[1].download_button(t("notice_commune"), data=_commune_pdf(run, locality_id, language),
                                file_name=_file_name("commune", locality_id, language), mime="application/pdf",
                                key=f"notice_commune_{locality_id}", help=t("notice_commune_help"),
                                icon=":material/description:", on_click="ignore")
