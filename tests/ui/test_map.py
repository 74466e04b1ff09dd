"""The Match page's map (issue 29): which outlines it draws for a scenario, the view that fits them, which
communes it names, the size legend's steps, the sentence that says what it shows, and the Vega-Lite spec."""

from __future__ import annotations

import itertools
import json
from unittest.mock import patch

import pandas as pd
import pytest
import streamlit as st
from markdown_it import MarkdownIt

from ui.app_pages.match import map_summary
from ui.components import geo
from ui.components.map import MapTexts, commune_map, layout
from ui.components.text import JOINER

TEXTS = MapTexts(persons="persons placed", fill="full", commune="commune", departement="département",
                 capacity="persons agreed", zoom="Zoom", description="a summary")


def _frame(rows: list[tuple[str, str, str, float | None, float | None, int, float | None]]) -> pd.DataFrame:
    """Communes as the Match page builds them: id, name, département, lat, lon, persons placed, capacity."""
    out = []
    for lid, name, dep, lat, lon, persons, cap in rows:
        out.append({"locality_id": lid, "name": name, "departement": dep, "lat": lat, "lon": lon,
                    "persons": persons, "capacity": cap, "fill": persons / cap if cap else None})
    return pd.DataFrame(out)


THREE = _frame([
    ("63113", "Clermont-Ferrand", "63", 45.7772, 3.0870, 3, 4.0),
    ("63300", "Riom", "63", 45.8936, 3.1126, 1, 2.0),
    ("63178", "Issoire", "63", 45.5442, 3.2490, 0, 3.0),
])


def test_outlines_ship_with_the_package_and_are_closed_rings():
    """101 départements (with their region) and 18 regions, every ring closed, exterior rings clockwise."""
    deps, regions = geo.outlines("departements"), geo.outlines("regions")
    assert len(deps) == 101 and len(regions) == 18
    assert {f["properties"]["region"] for f in deps} == {f["properties"]["code"] for f in regions}
    for f in deps + regions:
        g = f["geometry"]
        polygons = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        for polygon in polygons:
            exterior = polygon[0]
            assert exterior[0] == exterior[-1] and len(exterior) >= 4
            twice_area = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(exterior))
            assert twice_area < 0, f["properties"]["name"]  # clockwise, as d3-geo reads a polygon
    with pytest.raises(ValueError, match="no outlines for 'cantons'"):
        geo.outlines("cantons")


@pytest.mark.parametrize(("cell", "code"), [
    ("63", "63"), ("9", "09"), ("09", "09"), ("2a", "2A"), ("Puy-de-Dôme", "63"), ("puy de dome", "63"),
    ("Ariège", "09"), ("", None), (None, None), (float("nan"), None), ("Atlantis", None),
])
def test_a_departement_is_recognised_by_code_or_name(cell, code):
    assert geo.departement_code(cell) == code


def test_a_departement_is_found_from_coordinates():
    """Inside its outline: Clermont-Ferrand in 63, Toulouse in 31, Ajaccio in 2A; at sea, none."""
    assert geo.departement_at(45.7772, 3.0870) == "63"
    assert geo.departement_at(43.6045, 1.4440) == "31"
    assert geo.departement_at(41.9192, 8.7386) == "2A"
    assert geo.departement_at(46.0, -6.0) is None


def test_the_map_draws_the_departements_of_the_communes_and_their_neighbours():
    """Named départements, or found from coordinates when the cell is empty; neighbours around; their region."""
    frame = pd.concat([THREE, _frame([("31555", "Toulouse", "", 43.6045, 1.4440, 5, 10.0)])])
    assert geo.departements_of(frame) == ["31", "63"]
    assert geo.neighbours(["63"]) == ["03", "15", "19", "23", "42", "43"]
    lay = layout(THREE)
    assert [f["properties"]["code"] for f in lay.departements] == ["63"]
    assert {f["properties"]["code"] for f in lay.around} == {"03", "15", "19", "23", "42", "43"}
    assert [f["properties"]["name"] for f in lay.regions] == ["Auvergne-Rhône-Alpes"]


def test_the_first_view_fits_the_departement_not_the_country():
    """Puy-de-Dôme is about 1.9° of longitude wide: the view is that, centred on it, not all of France."""
    view = layout(THREE).view
    assert 2.3 < view.lon < 3.6 and 0.025 < view.width < 0.045  # radians: 1.4° to 2.6°


def test_only_the_largest_communes_are_named_and_labels_do_not_collide():
    """The most persons first; a commune whose label would overlap a chosen one is left to the tooltip."""
    frame = _frame([
        ("A", "Big", "31", 43.60, 1.44, 50, 60.0),
        ("B", "Next door", "31", 43.61, 1.45, 40, 60.0),  # 1 km from Big: its label would overlap
        ("C", "Far", "31", 43.10, 0.72, 30, 60.0),
        ("D", "Empty", "31", 43.30, 1.00, 0, 60.0),
        ("E", "Small", "31", 43.40, 1.80, 5, 60.0),
    ])
    view = layout(frame).view
    assert geo.labelled(frame, view, most=8) == ["A", "C", "E"]
    assert geo.labelled(frame, view, most=1) == ["A"]


@pytest.mark.parametrize(("most", "steps"), [
    (0, [0]), (1, [1]), (3, [1, 2, 3]), (4, [1, 2, 3, 4]), (5, [2, 4]), (9, [2, 4, 6, 8]), (38, [10, 20, 30]),
    (122, [50, 100]), (2.5, [1, 2]),
])
def test_the_size_legend_shows_whole_persons(most, steps):
    assert geo.size_steps(most) == steps


def test_the_summary_says_what_the_map_shows():
    """As plain text for the chart's description, as Markdown that reads the same on the page, in EN and FR."""
    text = map_summary(THREE, families=2, markdown=False)
    assert text == "3 communes, 2 families placed (4 persons). Fullest: Clermont-Ferrand (75%), Riom (50%)."
    rendered = MarkdownIt().render(map_summary(THREE, families=2)).replace(JOINER, "")
    assert rendered.strip() == f"<p>{text}</p>"
    with patch.dict(st.session_state, {"lang": "fr"}):  # the French catalog
        assert map_summary(THREE, families=2, markdown=False).startswith(
            "3 communes, 2 familles placées (4 personnes). Les plus remplies : Clermont-Ferrand")


def test_the_spec_has_outlines_whole_persons_zoom_and_pan():
    """Vega-Lite spec: the three outline layers, the communes, labels only on the chosen ones, the legend's
    whole numbers, the zoom slider and the drag signals, and no data fetched from anywhere."""
    spec = commune_map(THREE, layout(THREE), TEXTS)
    text = json.dumps(spec)
    assert "http" not in text.replace("https://vega.github.io/schema", "")
    assert spec["description"] == "a summary"
    assert spec["projection"]["type"] == "mercator"
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["geoshape", "geoshape", "geoshape", "circle", "text", "text", "text", "text"]
    assert all(layer["mark"]["tooltip"] is None for layer in spec["layer"][4:])  # names add no tooltip of their own
    regions = spec["layer"][2]["mark"]
    assert regions["fill"] is None  # borders only: hovering inside a region reaches the département under it
    circles = spec["layer"][3]["encoding"]
    assert circles["size"]["legend"]["values"] == [1, 2, 3]
    params = {p["name"]: p for p in spec["params"]}
    assert params["zoom"]["bind"]["input"] == "range" and params["zoom"]["on"][0]["events"]["type"] == "wheel"
    assert {"grab", "centre_lon", "centre_y"} <= set(params)
    view = layout(THREE).view
    for name, centre in (("centre_lon", view.lon), ("centre_y", view.y)):  # pan sliders, for a phone's finger
        bind = params[name]["bind"]
        assert bind["input"] == "range" and bind["min"] < centre < bind["max"]
    assert params["centre_lon"]["bind"]["name"].strip() == "West – east"
    rows = next(iter(spec["datasets"].values()))
    named = {r["name"] for r in rows if r.get("label") or r.get("label_left")}
    assert named == {"Clermont-Ferrand", "Riom"}  # Issoire has no one placed: on hover only


def test_labels_in_the_east_go_left_of_their_circle():
    """A name to the right of a commune near the map's east edge would run off the map: it goes to the left."""
    frame = _frame([("W", "West", "34", 43.6, 3.0, 10, 20.0), ("E", "East", "30", 43.6, 4.6, 10, 20.0),
                    ("M", "Middle", "34", 43.6, 3.8, 10, 20.0)])
    view = layout(frame).view
    assert [geo.label_on_left(view, 43.6, lon) for lon in (3.0, 3.8, 4.6)] == [False, False, True]
    spec = commune_map(frame, layout(frame), TEXTS)
    rows = next(iter(spec["datasets"].values()))
    assert {r["name"]: (r["label"], r["label_left"]) for r in rows} == {
        "West": ("West", ""), "Middle": ("Middle", ""), "East": ("", "East")}
