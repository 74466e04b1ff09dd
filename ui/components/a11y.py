"""What the app adds to Streamlit's page for accessibility (RGAA / WCAG 2.1 AA, issue 27): the page's language
attribute, captions and help text dark enough to read, and each chart said in words with its figures as a
table.

Pages title themselves with `st.title` (level 1) and their sections with `st.header` (level 2: headings go down
one level at a time, WCAG 1.3.1); the style draws those at the size of Streamlit's level-3 headings.

Streamlit serves one index.html with ``<html lang="en">`` whatever the app's language, so a screen reader reads
French text with English rules: `page_setup` sets ``document.documentElement.lang`` to the language chosen in the
sidebar, on every run (the script's text changes with the language, so Streamlit runs it again on a switch). The
script is the app's own constant text with a code from `LANGUAGES`, never user input.

Streamlit draws captions (`st.caption`, a widget's help) in a faded grey (its text colour at 60 % opacity,
#828180 on white: 3.9:1, under the 4.5:1 WCAG 1.4.3 asks); the style here draws them opaque in `CAPTION_COLOUR`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from matcher.i18n import number
from ui.components.i18n import LANGUAGES, add_labels, lang, phrase, t

#: 7.0:1 on white, 6.3:1 on the sidebar's grey (#F0F2F6): AA for text of any size.
CAPTION_COLOUR = "#595959"

_STYLE = f"""<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] [data-testid="stCaptionContainer"] {{ color: {CAPTION_COLOUR}; opacity: 1; }}
.st-key-a11y_page_lang {{ display: none; }}
[data-testid="stMain"] [data-testid="stHeading"] h2 {{ font-size: 1.75rem; }}
.vega-bind input[type="range"] + span {{ display: none; }}
</style>"""


def language_script(lang: str) -> str:
    """The script that sets the page's language attribute to `lang` (a code of `LANGUAGES`)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language code {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return f"<script>document.documentElement.lang = {json.dumps(lang)};</script>"


def page_setup(lang: str) -> None:
    """The style (sent with no space on the page) and the language script, in a hidden container."""
    st.html(_STYLE)
    with st.container(key="a11y_page_lang"):
        st.html(language_script(lang), unsafe_allow_javascript=True)


# ------------------------------------------------------------------------------------ charts in words and tables

A11Y_LABELS: dict[str, tuple[str, str]] = {
    "a11y_chart_table": ("The chart's figures as a table", "Les chiffres du graphique sous forme de tableau"),
    "a11y_heatmap_summary": (
        "Share of each capacity used: {capacities} capacities in {communes} communes, {full} used to the full or "
        "beyond.",
        "Part de chaque capacité utilisée : {capacities} capacités dans {communes} communes, dont {full} "
        "utilisées en totalité ou au-delà."),
    "a11y_fullest": ("Fullest: {items}.", "Les plus remplies : {items}."),
    "a11y_use_summary": (
        "{resource}: {used} used of {capacity} in {communes} communes ({share} overall).",
        "{resource} : {used} utilisés sur {capacity} dans {communes} communes ({share} au total)."),
    "a11y_components_summary": ("Score by component (0 to 1): {items}.",
                                "Score par composante (de 0 à 1) : {items}."),
    "a11y_col_component": ("component", "composante"),
    "a11y_col_share": ("share used", "part utilisée"),
}
add_labels(A11Y_LABELS)


def _say(markdown: bool) -> Callable[..., str]:
    """`t` for the page (values shown literally in Markdown), `phrase` for a chart's own description (plain)."""
    return t if markdown else phrase


def _fullest(frame: pd.DataFrame, label: str, markdown: bool, count: int = 3) -> str:
    """" Fullest: a (120 %), b (100 %)." for the `count` rows with the largest share, or "" when none is used."""
    used = frame[frame["used"] > 0].sort_values(["share", label], ascending=[False, True]).head(count)
    if used.empty:
        return ""
    items = ", ".join(f"{row[label]} ({float(row['share']):.0%})" for _, row in used.iterrows())
    return " " + _say(markdown)("a11y_fullest", items=items)


def heatmap_summary(frame: pd.DataFrame, *, markdown: bool = True) -> str:
    """The capacity heatmap in words: how many capacities, in how many communes, how many full, the fullest.
    `frame` has columns name, resource, used, capacity, share (one row per capacity)."""
    cells = frame.assign(cell=frame["name"].astype(str) + " · " + frame["resource"].astype(str))
    return _say(markdown)("a11y_heatmap_summary", capacities=len(frame), communes=frame["name"].nunique(),
                          full=int((frame["share"] >= 1 - 1e-9).sum())) + _fullest(cells, "cell", markdown)


def use_summary(frame: pd.DataFrame, resource: str, *, markdown: bool = True) -> str:
    """The use bars of one resource in words: total used against total capacity, the fullest communes."""
    used, capacity = float(frame["used"].sum()), float(frame["capacity"].sum())
    text = _say(markdown)("a11y_use_summary", resource=resource, used=f"{used:g}", capacity=f"{capacity:g}",
                          communes=frame["name"].nunique(), share=f"{used / capacity:.0%}" if capacity else "—")
    return text + _fullest(frame, "name", markdown)


def components_summary(components: dict[str, float], *, markdown: bool = True) -> str:
    """A family's score components in words, in the order of the chart."""
    items = ", ".join(f"{k} {number(float(v), lang(), 2)}" for k, v in components.items())
    return _say(markdown)("a11y_components_summary", items=items)


def chart_table(frame: pd.DataFrame, key: str, column_config: Mapping[str, Any] | None = None) -> None:
    """A chart's figures as a table, in a closed expander under the chart (WCAG 1.1.1: a text alternative)."""
    with st.expander(t("a11y_chart_table")):
        st.dataframe(frame, hide_index=True, width="stretch", key=key, placeholder="", column_config=column_config)


#: Axis and legend text on charts: Streamlit's chart theme draws them in a faded grey (under 4.5:1 on white).
CHART_TEXT = "#31333F"


def readable_chart(chart: alt.Chart | alt.LayerChart) -> alt.Chart | alt.LayerChart:
    """`chart` with its axis and legend labels and titles in `CHART_TEXT` (12:1 on white)."""
    return chart.configure_axis(labelColor=CHART_TEXT, titleColor=CHART_TEXT).configure_legend(
        labelColor=CHART_TEXT, titleColor=CHART_TEXT)


def readable_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The same for a Vega-Lite spec given as a dict (the map)."""
    config = dict(spec.get("config", {}))
    for part in ("axis", "legend"):
        config[part] = {**config.get(part, {}), "labelColor": CHART_TEXT, "titleColor": CHART_TEXT}
    return {**spec, "config": config}


def show_chart(chart: alt.Chart | alt.LayerChart, description: str, key: str | None = None) -> None:
    """An Altair chart at the page's width, readable, with `description` (plain text) as its accessible name."""
    st.altair_chart(readable_chart(chart.properties(description=description)), width="stretch", key=key)
