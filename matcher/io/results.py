"""Results out and back in: the JSON contract, a four-sheet workbook, or a CSV of placements.

Every exported text cell is neutralised so that no spreadsheet formula can ride along from the input
(`docs/results.md#exports`): a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, or a
look-alike of those signs, gets a leading apostrophe (`matcher.io.safety.neutralise`, the one such guard).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from matcher.io.safety import neutralise
from matcher.models import Result

__all__ = [
    "Format",
    "ResultFileError",
    "format_of",
    "localities_frame",
    "neutralise",
    "placements_frame",
    "read_result",
    "result_to_bytes",
    "summary_frame",
    "unplaced_frame",
    "write_result",
]

Format = Literal["json", "xlsx", "csv"]


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def placements_frame(result: Result, names: dict[str, str] | None = None) -> pd.DataFrame:
    names = names or {}
    rows = []
    for p in result.placements:
        row: dict[str, Any] = {"case_id": p.case_id, "locality_id": p.locality_id,
                               "locality_name": names.get(p.locality_id, ""), "bedrooms": p.bedrooms,
                               "score": p.score}
        row.update({f"score_{k}": v for k, v in p.components.items()})
        rows.append(row)
    cols = ["case_id", "locality_id", "locality_name", "bedrooms", "score"]
    return pd.DataFrame(rows, columns=cols if not rows else None)


def unplaced_frame(result: Result) -> pd.DataFrame:
    """One row per unplaced family, its reasons in English (the export's contract)."""
    rows = [{"case_id": u.case_id, "reasons": "; ".join(str(r) for r in u.reasons)} for u in result.unplaced]
    return pd.DataFrame(rows, columns=["case_id", "reasons"])


def localities_frame(result: Result) -> pd.DataFrame:
    rows = []
    for lo in result.localities:
        for resource in sorted(set(lo.used) | set(lo.capacity)):
            cap = lo.capacity.get(resource)
            used = lo.used.get(resource, 0.0)
            rows.append({"locality_id": lo.locality_id, "resource": resource, "used": used, "capacity": cap,
                         "share_used": (used / cap) if cap else None})
    return pd.DataFrame(rows, columns=["locality_id", "resource", "used", "capacity", "share_used"])


def summary_frame(result: Result) -> pd.DataFrame:
    placed_persons = sum(lo.used.get("persons", 0) for lo in result.localities)
    items: Iterable[tuple[str, Any]] = [
        ("status", result.status.value), ("objective", result.objective), ("bound", result.bound),
        ("gap", result.gap), ("seconds", result.seconds), ("families placed", len(result.placements)),
        ("persons placed", placed_persons), ("families unplaced", len(result.unplaced)),
        ("input sha256", result.provenance.input_sha256), ("policy", result.provenance.policy.get("name", "")),
        ("seed", result.provenance.seed), ("workers", result.provenance.workers),
        ("matcher version", result.provenance.matcher_version),
        ("ortools version", result.provenance.ortools_version),
    ]
    return pd.DataFrame(list(items), columns=["item", "value"]).astype({"value": object})


def result_to_bytes(result: Result, fmt: Format, names: dict[str, str] | None = None) -> bytes:
    """The result in one of the export formats, as bytes (for downloads and files alike)."""
    if fmt == "json":
        return result.model_dump_json(indent=2).encode("utf-8")
    if fmt == "csv":
        return _safe(placements_frame(result, names)).to_csv(index=False).encode("utf-8")
    if fmt == "xlsx":
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xw:
            for sheet, frame in (("Placements", placements_frame(result, names)), ("Unplaced", unplaced_frame(result)),
                                 ("Localities", localities_frame(result)), ("Summary", summary_frame(result))):
                _safe(frame).to_excel(xw, sheet_name=sheet, index=False)
                xw.sheets[sheet].freeze_panes = "A2"
        return buf.getvalue()
    raise ValueError(f"unknown format {fmt!r}: use json, xlsx or csv")


def format_of(path: Path) -> Format:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("json", "xlsx", "csv"):
        raise ValueError(f"{path.name}: the output must end in .json, .xlsx or .csv")
    return suffix  # type: ignore[return-value]


def write_result(result: Result, path: str | Path, names: dict[str, str] | None = None) -> Path:
    """Write the result atomically (a temporary file renamed into place): never a half-written file."""
    path = Path(path)
    data = result_to_bytes(result, format_of(path), names)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class ResultFileError(ValueError):
    """A result file that cannot be read; the message names the file."""


def read_result(path: str | Path) -> Result:
    path = Path(path)
    try:
        return Result.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ResultFileError(f"{path.name}: cannot be read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ResultFileError(f"{path.name}: not a JSON result file") from None
    except ValueError as exc:
        raise ResultFileError(f"{path.name}: not a matcher result ({str(exc).splitlines()[0]})") from None
