"""The history contract (`docs/outcomes.md#history`): the families placed in past years and what became of them.

A history is an .xlsx workbook, or a folder of CSV files named after its sheets:

- ``cases`` and ``members``: the cases contract (`docs/spreadsheets.md`), for the families placed;
- ``outcomes``: ``case_id``, ``locality_id`` (where the family was placed), ``placed_on`` (a date), and one
  column per outcome, e.g. ``employed_12m`` (yes/no; blank when it does not apply), ``housed_12m``,
  ``moved_away_12m``.

The communes are those of a localities workbook read beside it. Columns naming a protected characteristic or a
stand-in for one (nationality, religion, ethnicity, languages ...) are refused, in any sheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.io import spec
from matcher.io.cells import is_blank
from matcher.io.readers import read_workbook
from matcher.io.safety import ParseRefused, check_xlsx, read_xlsx_sheets
from matcher.io.validation import validate
from matcher.models.records import Dataset
from matcher.outcomes.features import refused_columns

#: The outcome sheet's fixed columns (`spec.OUTCOMES`' required ones); every other column is an outcome.
KEYS: tuple[str, ...] = tuple(c.name for c in spec.OUTCOMES.columns if c.required)
#: Outcome columns the contract names (others are accepted as well).
KNOWN_OUTCOMES: tuple[str, ...] = tuple(c.name for c in spec.OUTCOMES.columns if not c.required)
_YES = {"yes", "y", "oui", "o", "true", "vrai", "1", "x"}
_NO = {"no", "n", "non", "false", "faux", "0"}
MAX_LINES = 30


class HistoryError(ValueError):
    """A history that cannot be used; one line per problem, naming the workbook, sheet, row and column."""


@dataclass(frozen=True)
class History:
    """Past placements: the families (with today's communes) and one row per placement with its outcomes."""

    dataset: Dataset
    """The families of the history and the communes of the localities workbook."""
    placements: pd.DataFrame
    """``case_id``, ``locality_id``, ``placed_on`` (datetime64) and one column per outcome (1.0, 0.0 or NaN)."""
    outcomes: tuple[str, ...]
    """The outcome columns found."""

    def span(self) -> tuple[dt.date, dt.date]:
        """The first and last placement dates."""
        d = self.placements["placed_on"]
        return d.min().date(), d.max().date()


def read_history(history: str | Path, localities: str | Path) -> History:
    """Read and check a history and the communes it refers to.

    Raises
    ------
    HistoryError
        Every problem found, one per line (cell values of the families are never quoted).
    """
    path = Path(history)
    label = path.name
    cases_read = read_workbook(path, spec.CASES, label=label)
    report = validate(cases_read, read_workbook(localities, spec.LOCALITIES))
    lines = [f"{i.severity}: {i}" for i in report.errors]
    for sheet in cases_read.sheets.values():
        for col in refused_columns(sheet.extra_columns):
            lines.append(_refusal(label, sheet.spec.name, col))
    rows, problem = _outcome_rows(path, label)
    if problem is not None:
        lines.append(f"error: {problem}")
    placements = None
    outcomes: tuple[str, ...] = ()
    if rows is not None:
        placements, outcomes, more = _outcome_frame(rows, label)
        lines += more
    if lines or report.dataset is None or placements is None:
        shown = lines[:MAX_LINES] + ([f"... and {len(lines) - MAX_LINES} more"] if len(lines) > MAX_LINES else [])
        raise HistoryError("\n".join(shown))
    known_cases = {c.case_id for c in report.dataset.cases}
    known_locs = {lo.locality_id for lo in report.dataset.localities}
    bad = [f"error: {label} › outcomes › row {n} › {col}: not a {what} of the history"
           for n, (cid, lid) in zip(placements["row"], zip(placements["case_id"], placements["locality_id"],
                                                             strict=True), strict=True)
           for col, what, ok in (("case_id", "family", cid in known_cases),
                                 ("locality_id", "commune (localities workbook)", lid in known_locs)) if not ok]
    if bad:
        raise HistoryError("\n".join(bad[:MAX_LINES]))
    return History(report.dataset, placements.drop(columns="row"), outcomes)


def _refusal(label: str, sheet: str, column: str) -> str:
    return (f"error: {label} › {sheet} › {column}: refused, a protected characteristic or a stand-in for one is "
            "never used to predict outcomes; delete the column")


def _outcome_rows(path: Path, label: str) -> tuple[list[list[Any]] | None, str | None]:
    """The outcome sheet's rows (header first), or a problem."""
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix.lower() == ".csv" and spec.normalise_header(p.stem) ==
                 "outcomes"]
        if not files:
            return None, f"{label}: missing required sheet outcomes (a file outcomes.csv)"
        try:
            text = files[0].read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            return None, f"{label} › outcomes: not a UTF-8 text file"
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:
            dialect = ","
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=dialect)), None
    problem = check_xlsx(path)
    if problem:
        return None, f"{label}: {problem}"
    try:
        sheets = read_xlsx_sheets(path)
    except ParseRefused as refused:
        return None, f"{label}: {refused}"
    for ws in sheets:
        if spec.normalise_header(ws.title) == "outcomes":
            return [list(r) for r in ws.rows], None
    return None, f"{label}: missing required sheet outcomes"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _flag(value: Any) -> float | None:
    """1.0 for yes, 0.0 for no, NaN for blank; None when it is neither."""
    if is_blank(value):
        return float("nan")
    if isinstance(value, bool):
        return float(value)
    text = str(value).strip().lower()
    if text.endswith(".0"):
        text = text[:-2]
    return 1.0 if text in _YES else 0.0 if text in _NO else None


def _outcome_frame(rows: list[list[Any]], label: str) -> tuple[pd.DataFrame | None, tuple[str, ...], list[str]]:
    where = f"{label} › outcomes"
    rows = [r for r in rows if not all(is_blank(c) for c in r)]
    if not rows:
        return None, (), [f"error: {where}: the sheet is empty"]
    header = ["" if is_blank(c) else str(c).strip() for c in rows[0]]
    names = {spec.normalise_header(h): i for i, h in enumerate(header) if h}
    lines = [_refusal(label, "outcomes", h) for h in refused_columns(header)]
    missing = [k for k in KEYS if spec.normalise_header(k) not in names]
    lines += [f"error: {where} › {k}: missing required column" for k in missing]
    targets = tuple(h for h in header if h and spec.normalise_header(h) not in {spec.normalise_header(k) for k in KEYS}
                    and not refused_columns([h]))
    if not targets:
        lines.append(f"error: {where}: no outcome column (e.g. {', '.join(KNOWN_OUTCOMES)})")
    if lines:
        return None, (), lines
    pos = {k: names[spec.normalise_header(k)] for k in KEYS}
    tpos = {t: header.index(t) for t in targets}
    data: dict[str, list[Any]] = {"row": [], **{k: [] for k in KEYS}, **{t: [] for t in targets}}
    seen: dict[str, int] = {}
    for n, cells in enumerate(rows[1:], start=2):
        def cell(i: int, cells: list[Any] = cells) -> Any:
            return cells[i] if i < len(cells) else None

        ok = True
        for k in ("case_id", "locality_id"):
            if is_blank(cell(pos[k])):
                lines.append(f"error: {where} › row {n} › {k}: required, got a blank cell")
                ok = False
        placed = _date(cell(pos["placed_on"]))
        if placed is None:
            lines.append(f"error: {where} › row {n} › placed_on: expected a date (YYYY-MM-DD or DD/MM/YYYY)")
            ok = False
        flags = {t: _flag(cell(i)) for t, i in tpos.items()}
        for t, v in flags.items():
            if v is None:
                lines.append(f"error: {where} › row {n} › {t}: expected yes, no or a blank cell")
                ok = False
        if not ok:
            continue
        cid = str(cell(pos["case_id"])).strip()
        if cid in seen:
            lines.append(f"error: {where} › row {n} › case_id: the same family as row {seen[cid]}; keep one "
                         "placement per family")
            continue
        seen[cid] = n
        data["row"].append(n)
        data["case_id"].append(cid)
        data["locality_id"].append(str(cell(pos["locality_id"])).strip())
        data["placed_on"].append(placed)
        for t, v in flags.items():
            data[t].append(v)
    if lines:
        return None, (), lines
    frame = pd.DataFrame(data)
    frame["placed_on"] = pd.to_datetime(frame["placed_on"])
    return frame, targets, []
