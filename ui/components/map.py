"""The map of communes: circles at their coordinates, no basemap tiles, so it renders with no internet."""

from __future__ import annotations

import altair as alt
import pandas as pd


def commune_map(frame: pd.DataFrame, *, size_title: str, colour_title: str, height: int = 520) -> alt.Chart:
    """Communes at their coordinates (Mercator), sized by persons placed and coloured by how full they are.

    `frame` has columns name, locality_id, lat, lon, persons, capacity, fill (persons / capacity, or None).
    """
    data = frame.dropna(subset=["lat", "lon"]).copy()
    data["fill_shown"] = data["fill"].astype(float).clip(lower=0, upper=1.2)
    base = alt.Chart(data).encode(longitude="lon:Q", latitude="lat:Q")
    points = base.mark_circle(stroke="#222222", strokeWidth=0.7, opacity=0.9).encode(
        size=alt.Size("persons:Q", title=size_title, scale=alt.Scale(range=[25, 1200], zero=True)),
        color=alt.Color("fill_shown:Q", title=colour_title,
                        scale=alt.Scale(scheme="viridis", domain=[0, 1], clamp=True),
                        legend=alt.Legend(format="%")),
        tooltip=[
            alt.Tooltip("name:N"), alt.Tooltip("locality_id:N"), alt.Tooltip("persons:Q", title=size_title),
            alt.Tooltip("capacity:Q"), alt.Tooltip("fill:Q", title=colour_title, format=".0%"),
        ],
    )
    labels = base.mark_text(dy=-13, fontSize=11, color="#222222").encode(text="name:N")
    layers = points + labels if len(data) <= 60 else points
    return layers.project(type="mercator").properties(height=height)
