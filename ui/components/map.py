"""The map of communes on the outlines of their départements and regions: circles sized by persons placed and
coloured by how full each commune is, the largest named, the rest on hover; zoom with the wheel or the slider,
pan by dragging, double-click to go back. Everything is drawn by Vega-Lite (through Altair) from data shipped with
the package: no tiles, no network."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import pandas as pd

from ui.components import geo

ZOOM_MAX = 12.0
FIT = 0.92  # the share of the chart the first view fills
CIRCLE_AREA = (18, 900)  # square pixels, from an empty commune to the fullest one


@dataclass(frozen=True)
class MapTexts:
    """The words on the map, in the page's language."""

    persons: str
    fill: str
    commune: str
    departement: str
    capacity: str
    zoom: str
    description: str
    west_east: str = "West – east"
    south_north: str = "South – north"


@dataclass(frozen=True)
class MapLayout:
    """What the map shows, chosen from the scenario (`geo`): outlines, the first view, the named communes."""

    departements: list[geo.Feature]
    around: list[geo.Feature]
    regions: list[geo.Feature]
    view: geo.View
    labelled: list[str]


def layout(frame: pd.DataFrame, labels: int = 8) -> MapLayout:
    """The outlines holding the communes of `frame`, their neighbours, their regions, and the view fitting them."""
    codes = geo.departements_of(frame)
    shown = geo.features("departements", codes)
    located = frame.dropna(subset=["lat", "lon"])
    points = [(float(a), float(b)) for a, b in zip(located["lat"].tolist(), located["lon"].tolist(), strict=True)]
    view = geo.view_of(shown, points)
    return MapLayout(departements=shown, around=geo.features("departements", geo.neighbours(codes)),
                     regions=geo.features("regions", geo.regions_of(codes)), view=view,
                     labelled=geo.labelled(frame, view, most=labels))


def _navigation(view: geo.View, texts: MapTexts) -> list[dict[str, Any]]:
    """Vega signals for zoom (wheel, slider) and pan (drag, or two sliders: a finger on a phone and the keyboard
    move the map with them, while a finger drag keeps scrolling the page), reset by a double click.

    The view is kept as a centre (longitude, Mercator ordinate) and a zoom factor over the scale that fits the
    first view in the chart, whatever the chart's width. The pan sliders move the centre to the first view's
    edges (every commune is within it); their raw values are not shown (the map is what they move).
    """
    lon_half = view.width * 90 / math.pi  # half the first view's width, in degrees
    drag = "[mousedown, window:mouseup] > window:mousemove"
    # A wheel step moves the zoom by a factor, and by 0.01 at least, so that the slider's value stays short
    # (two decimals) and a touchpad's small steps still zoom.
    step = "abs(zoom * pow(1.0015, -event.deltaY * pow(16, event.deltaMode)) - zoom)"
    wheel = f"zoom + (event.deltaY < 0 ? 1 : -1) * max(0.01, {step})"
    return [
        {"name": "fit_scale", "expr": f"min(width / {view.width!r}, height / {view.height!r}) * {FIT}"},
        {"name": "zoom", "value": 1, "bind": {"input": "range", "min": 1, "max": ZOOM_MAX, "step": 0.1,
                                                "name": f"{texts.zoom} "},
         "on": [{"events": {"type": "wheel", "consume": True},
                 "update": f"clamp(round(100 * ({wheel})) / 100, 1, {ZOOM_MAX})"},
                {"events": "dblclick", "update": "1"}]},
        {"name": "grab", "value": None,
         "on": [{"events": "mousedown", "update": "[x(), y(), centre_lon, centre_y]"}]},
        {"name": "centre_lon", "value": view.lon,
         "bind": {"input": "range", "min": view.lon - lon_half, "max": view.lon + lon_half, "step": lon_half / 25,
                  "name": f"{texts.west_east} "},
         "on": [{"events": drag, "update": "grab[2] - (x() - grab[0]) / (fit_scale * zoom) * 180 / PI"},
                {"events": "dblclick", "update": repr(view.lon)}]},
        {"name": "centre_y", "value": view.y,
         "bind": {"input": "range", "min": view.y - view.height / 2, "max": view.y + view.height / 2,
                  "step": view.height / 50, "name": f"{texts.south_north} "},
         "on": [{"events": drag, "update": "grab[3] + (y() - grab[1]) / (fit_scale * zoom)"},
                {"events": "dblclick", "update": repr(view.y)}]},
        {"name": "centre_lat", "expr": "(2 * atan(exp(centre_y)) - PI / 2) * 180 / PI"},
    ]


def _projection() -> dict[str, Any]:
    """Mercator, at the zoom and centre of the navigation signals (each mark clips itself to the chart, so that
    no outline is cut with a line along the chart's edge)."""
    return {"type": "mercator", "scale": alt.ExprRef("fit_scale * zoom"),
            "center": alt.ExprRef("[centre_lon, centre_lat]"), "translate": alt.ExprRef("[width / 2, height / 2]")}


def _outline_layers(lay: MapLayout, texts: MapTexts) -> list[alt.Chart]:
    tooltip = [alt.Tooltip("properties.name:N", title=texts.departement)]
    around = alt.Chart(alt.Data(values=lay.around)).mark_geoshape(
        fill="#eeeeee", stroke="#c4c4c4", strokeWidth=0.6, clip=True).encode(tooltip=tooltip)
    inside = alt.Chart(alt.Data(values=lay.departements)).mark_geoshape(
        fill="#fbfaf6", stroke="#8c8c8c", strokeWidth=0.9, clip=True).encode(tooltip=tooltip)
    regions = alt.Chart(alt.Data(values=lay.regions)).mark_geoshape(
        filled=False, fill=None, stroke="#3d3d3d", strokeWidth=1.8, clip=True, tooltip=None, aria=False)
    return [around, inside, regions]


def _commune_layers(frame: pd.DataFrame, lay: MapLayout, texts: MapTexts) -> list[alt.Chart]:
    data = frame.dropna(subset=["lat", "lon"]).copy()
    data["fill_shown"] = data["fill"].astype(float).clip(lower=0, upper=1.2)
    named = data["locality_id"].isin(lay.labelled)
    on_left = pd.Series([geo.label_on_left(lay.view, float(a), float(b)) for a, b in zip(data["lat"], data["lon"],
                                                                                          strict=True)],
                        index=data.index, dtype=bool)
    data["label"] = data["name"].where(named & ~on_left, "")
    data["label_left"] = data["name"].where(named & on_left, "")
    most = float(data["persons"].max()) if len(data) else 0.0
    base = alt.Chart(data).encode(longitude="lon:Q", latitude="lat:Q")
    points = base.mark_circle(stroke="#222222", strokeWidth=0.7, opacity=0.9, clip=True).encode(
        size=alt.Size("persons:Q", title=texts.persons,
                      scale=alt.Scale(range=list(CIRCLE_AREA), domain=[0, max(most, 1.0)], zero=True),
                      legend=alt.Legend(values=geo.size_steps(most), format="d", orient="bottom",
                                        direction="horizontal", symbolFillColor="#9a9a9a")),
        color=alt.Color("fill_shown:Q", title=texts.fill,
                        scale=alt.Scale(scheme="viridis", domain=[0, 1], clamp=True),
                        legend=alt.Legend(format="%", orient="bottom", direction="horizontal", gradientLength=140)),
        tooltip=[alt.Tooltip("name:N", title=texts.commune), alt.Tooltip("persons:Q", title=texts.persons),
                 alt.Tooltip("capacity:Q", title=texts.capacity),
                 alt.Tooltip("fill:Q", title=texts.fill, format=".0%")],
    )
    return [points, *_label_layers(base, "label", "left"), *_label_layers(base, "label_left", "right")]


def _label_layers(base: alt.Chart, field: str, align: Literal["left", "right"]) -> list[alt.Chart]:
    """Names beside their circles (on the side `align` says), in dark text on a white halo."""
    offset = (math.sqrt(CIRCLE_AREA[1]) / 2 + 3) * (1 if align == "left" else -1)
    halo = base.mark_text(align=align, dx=offset, fontSize=12, clip=True, stroke="white", strokeWidth=3,
                          strokeOpacity=0.9, tooltip=None, aria=False).encode(text=f"{field}:N")
    names = base.mark_text(align=align, dx=offset, fontSize=12, clip=True, color="#1a1a1a", tooltip=None).encode(
        text=f"{field}:N")
    return [halo, names]


def commune_map(frame: pd.DataFrame, lay: MapLayout, texts: MapTexts, *, height: int = 540) -> dict[str, Any]:
    """The map as a Vega-Lite spec, for `st.vega_lite_chart`.

    `frame` has columns name, locality_id, lat, lon, persons, capacity, fill (persons / capacity, or None). The
    spec is Altair's, with the zoom and pan signals added (Altair's parameters cannot carry event handlers).
    """
    layers = [*_outline_layers(lay, texts), *_commune_layers(frame, lay, texts)]
    chart = alt.layer(*layers).project(**_projection()).properties(height=height, description=texts.description)
    spec: dict[str, Any] = chart.to_dict()
    spec["params"] = [*spec.get("params", []), *_navigation(lay.view, texts)]
    return spec
