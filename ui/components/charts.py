"""Charts that render offline (Altair/Vega-Lite) in palettes readable with colour-vision deficiencies.

Categories use the Okabe-Ito palette; quantities use viridis, which stays ordered in grey and for
deuteranopia.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

#: Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
BLUE, ORANGE, GREEN, VERMILLION, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#BBBBBB"


def capacity_heatmap(frame: pd.DataFrame, *, share_title: str, height_per_row: int = 18) -> alt.Chart:
    """Share of each capacity used, commune by resource (viridis; beyond 100 % stays the top colour)."""
    data = frame.copy()
    data["share_shown"] = data["share"].astype(float).clip(lower=0, upper=1)
    return (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("resource:N", title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=False, labelLimit=160)),
            y=alt.Y("name:N", title=None, sort="ascending", axis=alt.Axis(labelOverlap=False, labelLimit=180)),
            color=alt.Color("share_shown:Q", title=share_title,
                            scale=alt.Scale(scheme="viridis", domain=[0, 1]), legend=alt.Legend(format="%")),
            tooltip=[alt.Tooltip("name:N"), alt.Tooltip("resource:N"), alt.Tooltip("used:Q"),
                     alt.Tooltip("capacity:Q"), alt.Tooltip("share:Q", format=".0%", title=share_title)],
        )
        .properties(height=max(160, height_per_row * data["name"].nunique()),
                    width=alt.Step(22))
    )


def use_bars(frame: pd.DataFrame, *, used_title: str, capacity_title: str) -> alt.Chart:
    """Used against capacity per commune for one resource: a grey bar for the capacity, blue for the use
    (vermillion where a soft rule let it go over)."""
    data = frame.copy()
    data["over"] = data["used"] > data["capacity"]
    order = data.sort_values("share", ascending=False)["name"].tolist()
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=180))
    capacity = alt.Chart(data).mark_bar(color=GREY, opacity=0.8).encode(
        x=alt.X("capacity:Q", title=f"{used_title} / {capacity_title}"), y=y,
        tooltip=["name:N", "used:Q", "capacity:Q"])
    used = alt.Chart(data).mark_bar(height={"band": 0.55}).encode(
        x="used:Q", y=y,
        color=alt.Color("over:N", scale=alt.Scale(domain=[False, True], range=[BLUE, VERMILLION]),
                        legend=None),
        tooltip=["name:N", "used:Q", "capacity:Q"])
    return (capacity + used).properties(height=max(160, 20 * len(data)))


def component_bars(components: dict[str, float], *, value_title: str) -> alt.Chart:
    """A family's score by component, each in [0, 1]."""
    data = pd.DataFrame({"component": list(components), "value": [float(v) for v in components.values()]})
    palette = list(OKABE_ITO[: max(1, len(data))])
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=value_title, scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("component:N", title=None, sort=None, axis=alt.Axis(labelOverlap=False, labelLimit=200)),
            color=alt.Color("component:N", scale=alt.Scale(range=palette), legend=None),
            tooltip=["component:N", alt.Tooltip("value:Q", format=".2f")],
        )
        .properties(height=max(140, 34 * len(data)))
    )
