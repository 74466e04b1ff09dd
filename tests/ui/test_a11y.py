"""Issue 27's accessibility helpers: the page's language script, charts said in words, readable chart text."""

from __future__ import annotations

import pandas as pd
import pytest
import streamlit as st

from ui.components import a11y


def _contrast(foreground: str, background: str = "#FFFFFF") -> float:
    """WCAG 2.1's contrast ratio of two sRGB colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_language_script_sets_the_chosen_code_only():
    assert a11y.language_script("fr") == '<script>document.documentElement.lang = "fr";</script>'
    assert '"en"' in a11y.language_script("en")
    with pytest.raises(ValueError, match="unknown language code"):
        a11y.language_script('fr"; alert(1); "')


def test_captions_and_chart_text_reach_aa_on_white_and_on_the_sidebar():
    for colour in (a11y.CAPTION_COLOUR, a11y.CHART_TEXT):
        assert _contrast(colour) >= 4.5 and _contrast(colour, "#F0F2F6") >= 4.5
    assert _contrast("#828180") < 4.5  # Streamlit's own caption grey, which the style replaces


FRAME = pd.DataFrame({"name": ["Foix", "Foix", "Pamiers"], "resource": ["persons", "housing", "persons"],
                      "used": [10.0, 2.0, 3.0], "capacity": [10.0, 4.0, 12.0], "share": [1.0, 0.5, 0.25]})


@pytest.fixture
def language():  # type: ignore[no-untyped-def]
    """The language in the session state, removed after the test (other tests expect the default)."""
    yield st.session_state
    st.session_state.pop("lang", None)


def test_charts_said_in_words_in_english_and_french(language):  # type: ignore[no-untyped-def]
    language["lang"] = "en"
    assert a11y.heatmap_summary(FRAME, markdown=False) == (
        "Share of each capacity used: 3 capacities in 2 communes, 1 used to the full or beyond. "
        "Fullest: Foix · persons (100%), Foix · housing (50%), Pamiers · persons (25%).")
    persons = FRAME[FRAME["resource"] == "persons"]
    assert a11y.use_summary(persons, "persons", markdown=False) == (
        "persons: 13 used of 22 in 2 communes (59% overall). Fullest: Foix (100%), Pamiers (25%).")
    assert a11y.components_summary({"employment": 1.0, "ties": 0.25}, markdown=False) == \
        "Score by component (0 to 1): employment 1.00, ties 0.25."
    language["lang"] = "fr"
    assert a11y.use_summary(persons, "persons", markdown=False).startswith(
        "persons : 13 utilisés sur 22 dans 2 communes (59% au total). Les plus remplies : Foix")


def test_chart_text_colour_goes_into_charts_and_the_map_spec():
    import altair as alt

    chart = a11y.readable_chart(alt.Chart(FRAME).mark_bar().encode(x="used:Q", y="name:N")).to_dict()
    assert chart["config"]["axis"]["labelColor"] == a11y.CHART_TEXT
    spec = a11y.readable_spec({"mark": "point", "config": {"axis": {"grid": False}}})
    assert spec["config"]["axis"] == {"grid": False, "labelColor": a11y.CHART_TEXT, "titleColor": a11y.CHART_TEXT}
    assert spec["config"]["legend"]["titleColor"] == a11y.CHART_TEXT
