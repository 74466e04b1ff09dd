"""What the map draws: the département and region outlines that hold a scenario's communes, the view that fits
them, the communes worth a label, and the sizes the legend shows.

The outlines ship with the package (``matcher/data/departements.geojson`` and ``regions.geojson``, public data
of IGN and INSEE; ``matcher/data/OUTLINES.md`` says where they come from and how they were simplified), so the
map needs no network. Nothing here draws: ``ui.components.map`` turns these choices into a chart.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

import pandas as pd

Feature = dict[str, Any]
LEVELS = ("departements", "regions")


@cache
def outlines(level: str) -> tuple[Feature, ...]:
    """The GeoJSON features of one level ("departements" or "regions"), read once from the package."""
    if level not in LEVELS:
        raise ValueError(f"no outlines for {level!r}: choose one of {', '.join(LEVELS)}")
    text = resources.files("matcher").joinpath(f"data/{level}.geojson").read_text("utf-8")
    return tuple(json.loads(text)["features"])


def _key(text: str) -> str:
    """A name or code compared without case, accents, spaces, hyphens or apostrophes."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain.lower() if ch.isalnum())


@cache
def _lookup() -> dict[str, str]:
    """Every way a workbook may name a département (code, "9" for "09", name) -> its code."""
    out: dict[str, str] = {}
    for f in outlines("departements"):
        code, name = f["properties"]["code"], f["properties"]["name"]
        out[_key(code)] = code
        out[_key(name)] = code
        if code.startswith("0"):
            out[_key(code[1:])] = code
    return out


def departement_code(value: object) -> str | None:
    """The code of the département a workbook's cell names ("63", "9", "2a", "Puy-de-Dôme"), or None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return _lookup().get(_key(str(value)))


def _rings(feature: Feature) -> list[list[list[float]]]:
    geometry = feature["geometry"]
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for polygon in polygons for ring in polygon]


def _inside(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    """Whether the point is inside the ring (even-odd rule, planar in degrees: fine at a département's size)."""
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def departement_at(lat: float, lon: float) -> str | None:
    """The code of the département whose outline holds the point, or None (at sea, abroad)."""
    for f in outlines("departements"):
        if sum(_inside(lon, lat, ring) for ring in _rings(f)) % 2:
            return str(f["properties"]["code"])
    return None


def departements_of(frame: pd.DataFrame) -> list[str]:
    """The départements of the communes in `frame` (columns departement, lat, lon): from the workbook's
    département when it names one, else from the commune's coordinates."""
    found = set()
    names = frame["departement"].tolist() if "departement" in frame else [None] * len(frame)
    for name, lat, lon in zip(names, frame["lat"].tolist(), frame["lon"].tolist(), strict=True):
        code = departement_code(name)
        if code is None and pd.notna(lat) and pd.notna(lon):
            code = departement_at(float(lat), float(lon))
        if code is not None:
            found.add(code)
    return sorted(found)


@cache
def _vertices() -> dict[str, frozenset[tuple[float, float]]]:
    return {f["properties"]["code"]: frozenset((p[0], p[1]) for ring in _rings(f) for p in ring)
            for f in outlines("departements")}


def neighbours(codes: Iterable[str]) -> list[str]:
    """The départements that share a border with any of `codes` (the outlines share their border points)."""
    chosen = set(codes)
    vertices = _vertices()
    near = set().union(*(vertices[c] for c in chosen if c in vertices)) if chosen else set()
    return sorted(c for c, points in vertices.items() if c not in chosen and points & near)


def features(level: str, codes: Iterable[str]) -> list[Feature]:
    """The outlines of `codes` at `level`, in the package's order."""
    wanted = set(codes)
    return [f for f in outlines(level) if f["properties"]["code"] in wanted]


def regions_of(codes: Iterable[str]) -> list[str]:
    """The regions of the départements `codes`."""
    wanted = set(codes)
    return sorted({f["properties"]["region"] for f in outlines("departements") if f["properties"]["code"] in wanted})


def departement_names() -> dict[str, str]:
    """Code -> name of every département."""
    return {f["properties"]["code"]: f["properties"]["name"] for f in outlines("departements")}


def mercator_y(lat: float) -> float:
    """The Mercator ordinate of a latitude (radians of the projection's unit sphere)."""
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


@dataclass(frozen=True)
class View:
    """The part of the map shown first: its centre (longitude in degrees, Mercator ordinate) and its size (radians
    of longitude, Mercator units), the same units as a d3 Mercator projection's scale."""

    lon: float
    y: float
    width: float
    height: float

    def position(self, lat: float, lon: float) -> tuple[float, float]:
        """A point's place in the view, in the view's units, from its centre (x east, y north)."""
        return math.radians(lon - self.lon), mercator_y(lat) - self.y


def view_of(shapes: Iterable[Feature], points: Iterable[tuple[float, float]] = ()) -> View:
    """The view that holds the outlines `shapes` and the (lat, lon) `points`."""
    lons: list[float] = []
    ys: list[float] = []
    for f in shapes:
        for ring in _rings(f):
            lons += [p[0] for p in ring]
            ys += [mercator_y(p[1]) for p in ring]
    for lat, lon in points:
        lons.append(lon)
        ys.append(mercator_y(lat))
    if not lons:
        raise ValueError("nothing to fit the map on: no outline and no commune with coordinates")
    west, east, south, north = min(lons), max(lons), min(ys), max(ys)
    return View(lon=(west + east) / 2, y=(south + north) / 2, width=max(math.radians(east - west), 1e-3),
                height=max(north - south, 1e-3))


LABEL_WIDTH = 0.17  # a label's box, as a share of the view's larger side: about 16 characters at 700 px
LABEL_HEIGHT = 0.045


def label_on_left(view: View, lat: float, lon: float) -> bool:
    """Whether a commune's label goes to the left of its circle: in the east of the view, where a label to the
    right would run off the map."""
    return view.position(lat, lon)[0] > 0.2 * view.width


def labelled(frame: pd.DataFrame, view: View, most: int = 8) -> list[str]:
    """The locality ids of at most `most` communes to name on the map: the ones with the most persons placed,
    skipping any whose label (beside its circle, see `label_on_left`) would overlap one already chosen. The
    others are named on hover only."""
    side = max(view.width, view.height)
    placed = frame[(frame["persons"] > 0) & frame["lat"].notna() & frame["lon"].notna()]
    placed = placed.sort_values(["persons", "name"], ascending=[False, True])
    chosen: list[str] = []
    boxes: list[tuple[float, float]] = []  # each label's left edge and middle height
    for locality_id, lat, lon in zip(placed["locality_id"].tolist(), placed["lat"].tolist(), placed["lon"].tolist(),
                                     strict=True):
        x, y = view.position(float(lat), float(lon))
        left = x - LABEL_WIDTH * side if label_on_left(view, float(lat), float(lon)) else x
        if all(abs(left - bx) >= LABEL_WIDTH * side or abs(y - by) >= LABEL_HEIGHT * side for bx, by in boxes):
            chosen.append(str(locality_id))
            boxes.append((left, y))
            if len(chosen) == most:
                break
    return chosen


def size_steps(most: float) -> list[int]:
    """Whole numbers of persons for the size legend, up to `most`: at most four, evenly spaced (never "0.5")."""
    top = int(most)
    if top <= 0:
        return [0]
    step = next(s for m in (1, 10, 100, 1000, 10_000, 100_000) for s in (m, 2 * m, 5 * m) if top // s <= 4)
    return list(range(step, top + 1, step))


def fullest(frame: pd.DataFrame, count: int = 3) -> list[tuple[str, float]]:
    """The `count` communes used most against their agreed persons: (name, share used), fullest first."""
    rows = frame[frame["fill"].notna() & (frame["persons"] > 0)]
    rows = rows.sort_values(["fill", "persons", "name"], ascending=[False, False, True]).head(count)
    return [(str(name), float(share)) for name, share in zip(rows["name"].tolist(), rows["fill"].tolist(), strict=True)]
