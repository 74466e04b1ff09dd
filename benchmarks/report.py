"""Result rows: the printed table, the markdown table and the JSON file."""

from __future__ import annotations

import json
import math
import platform
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

COLUMNS = ("instance", "sense", "solver", "status", "objective", "bound", "reference", "gap_%", "seconds",
           "peak_rss_mb")


def _fmt(v: Any, key: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if key == "gap_%":
            return f"{v:.3f}"
        if key in ("seconds",):
            return f"{v:.2f}"
        if key == "peak_rss_mb":
            return f"{v:.0f}"
        if not math.isfinite(v):
            return "-" if math.isnan(v) else str(v)  # no reference LP in its time
        return f"{v:.0f}" if abs(v) >= 1e5 or v == int(v) else f"{v:.3f}"
    return str(v)


def table_rows(rows: Sequence[dict[str, Any]]) -> list[list[str]]:
    out = []
    for r in rows:
        gap = r.get("gap")
        out.append([_fmt(r.get("instance")), _fmt(r.get("sense")), _fmt(r.get("solver")), _fmt(r.get("status")),
                    _fmt(r.get("objective")), _fmt(r.get("bound")), _fmt(r.get("reference")),
                    _fmt(None if gap is None else 100.0 * gap, "gap_%"), _fmt(r.get("seconds"), "seconds"),
                    _fmt(r.get("peak_rss_mb"), "peak_rss_mb")])
    return out


def text_table(rows: Sequence[dict[str, Any]]) -> str:
    body = table_rows(rows)
    widths = [max(len(c), *(len(b[i]) for b in body)) if body else len(c) for i, c in enumerate(COLUMNS)]
    line = "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) if i >= 4 else c.ljust(w) for i, (c, w) in enumerate(zip(b, widths, strict=True)))
            for b in body]
    return "\n".join(out)


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    out += ["| " + " | ".join(b) + " |" for b in table_rows(rows)]
    return "\n".join(out)


def summary(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per solver (and sense): runs, plans, proved optimal, mean / worst gap, median and max seconds."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r.get("solver", ""), r.get("sense", ""))].append(r)
    out = []
    for (solver, sense), rs in sorted(groups.items()):
        gaps = [r["gap"] for r in rs if r.get("gap") is not None]
        secs = [r["seconds"] for r in rs if r.get("seconds") is not None]
        out.append({
            "solver": solver, "sense": sense, "runs": len(rs),
            "plans": sum(r.get("objective") is not None for r in rs),
            "optimal": sum(r.get("status") == "optimal" for r in rs),
            "at_reference": sum(g is not None and g <= 1e-9 for g in gaps),
            "mean_gap_%": 100 * statistics.fmean(gaps) if gaps else None,
            "worst_gap_%": 100 * max(gaps) if gaps else None,
            "median_s": statistics.median(secs) if secs else None, "max_s": max(secs) if secs else None,
            "max_rss_mb": max((r["peak_rss_mb"] for r in rs if r.get("peak_rss_mb")), default=None),
        })
    return out


def summary_markdown(rows: Iterable[dict[str, Any]]) -> str:
    s = summary(rows)
    cols = ["solver", "sense", "runs", "plans", "optimal", "at_reference", "mean_gap_%", "worst_gap_%", "median_s",
            "max_s", "max_rss_mb"]
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in s:
        cells = []
        for c in cols:
            v = r[c]
            cells.append("-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def environment() -> dict[str, Any]:
    import os

    info: dict[str, Any] = {"python": platform.python_version(), "machine": platform.machine(),
                            "cpus": os.cpu_count()}
    for pkg in ("ortools", "highspy", "pulp", "numpy", "scipy"):
        try:
            from importlib.metadata import version

            info[pkg] = version(pkg)
        except Exception:
            info[pkg] = None
    return info


def write_json(path: str | Path, rows: Sequence[dict[str, Any]]) -> None:
    """A JSON list with one object per (instance, solver) run."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(list(rows), indent=1, default=str) + "\n")
