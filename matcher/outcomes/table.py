"""The outcome table: one predicted outcome in [0, 1] per (family, commune) pair, as `matcher outcomes predict`
writes it and as the policy's `outcome` weight scores it (`docs/policy.md#outcome-csv`).

Bad files are refused with one line per problem naming the file, row and column; a cell's value is never quoted
(a case id beside an outcome is personal data).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from matcher.io.spec import normalise_header

#: The columns of the table, in order.
COLUMNS: tuple[str, ...] = ("case_id", "locality_id", "outcome")
#: Largest outcome file read (a national year is about 100,000 families x 40 communes of 25-byte rows).
MAX_BYTES = 256 * 1024 * 1024
#: Lines of problems listed before the rest are counted.
MAX_LINES = 20


class OutcomeFileError(ValueError):
    """An outcome table that cannot be used; the message names the file, and the row and column of each problem."""


def read_outcome_table(source: str | Path | BinaryIO, label: str | None = None) -> pd.DataFrame:
    """Read and check an outcome CSV: columns ``case_id``, ``locality_id``, ``outcome`` (headers matched ignoring
    case, spaces, ``-``/``_``; other columns are ignored).

    Parameters
    ----------
    source
        A path, or an open binary stream (an upload in the app).
    label
        What messages call the file; by default its name.

    Returns
    -------
    pandas.DataFrame
        ``case_id`` and ``locality_id`` as text, ``outcome`` as float in [0, 1], one row per pair.

    Raises
    ------
    OutcomeFileError
        Naming the file and each bad row and column (at most MAX_LINES lines, then a count).
    """
    name = label or Path(str(getattr(source, "name", source))).name
    data = _bytes(source, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OutcomeFileError(f"{name}: not a UTF-8 text file (save it as CSV UTF-8)") from None
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise OutcomeFileError(f"{name}: not a readable CSV file") from None
    if not rows:
        raise OutcomeFileError(f"{name}: the file is empty")
    position = _header(rows[0], name)
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    out: dict[str, list[object]] = {c: [] for c in COLUMNS}
    for number, cells in enumerate(rows[1:], start=2):
        if all(not c.strip() for c in cells):
            continue
        values = {c: (cells[i].strip() if i < len(cells) else "") for c, i in position.items()}
        bad = False
        for col in ("case_id", "locality_id"):
            if not values[col]:
                problems.append(f"{name} › row {number} › {col}: required, got a blank cell")
                bad = True
        outcome = _number(values["outcome"])
        if outcome is None:
            problems.append(f"{name} › row {number} › outcome: expected a number from 0 to 1")
            bad = True
        if bad:
            continue
        pair = (values["case_id"], values["locality_id"])
        if pair in seen:
            problems.append(f"{name} › row {number}: the same case_id and locality_id as row {seen[pair]}; "
                            "keep one")
            continue
        seen[pair] = number
        out["case_id"].append(pair[0])
        out["locality_id"].append(pair[1])
        out["outcome"].append(outcome)
    if problems:
        more = len(problems) - MAX_LINES
        shown = problems[:MAX_LINES] + ([f"... and {more} more problems"] if more > 0 else [])
        raise OutcomeFileError("\n".join(shown))
    return pd.DataFrame({"case_id": pd.Series(out["case_id"], dtype=str),
                         "locality_id": pd.Series(out["locality_id"], dtype=str),
                         "outcome": pd.Series(out["outcome"], dtype=float)})


def _bytes(source: str | Path | BinaryIO, name: str) -> bytes:
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise OutcomeFileError(f"{name}: refused, the file is larger than {MAX_BYTES // 2**20} MB")
            return path.read_bytes()
        except OutcomeFileError:
            raise
        except IsADirectoryError:
            raise OutcomeFileError(f"{name}: expected a CSV file, got a folder") from None
        except OSError as exc:
            raise OutcomeFileError(f"{name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    data = source.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise OutcomeFileError(f"{name}: refused, the file is larger than {MAX_BYTES // 2**20} MB")
    return data


def _header(cells: list[str], name: str) -> dict[str, int]:
    position: dict[str, int] = {}
    for i, cell in enumerate(cells):
        key = normalise_header(cell)
        for col in COLUMNS:
            if key == normalise_header(col):
                if col in position:
                    raise OutcomeFileError(f"{name} › row 1 › {col}: two columns are read as '{col}'; keep one")
                position[col] = i
    missing = [c for c in COLUMNS if c not in position]
    if missing:
        raise OutcomeFileError("\n".join(f"{name} › row 1 › {c}: missing required column" for c in missing))
    return position


def _number(text: str) -> float | None:
    """The cell as a number in [0, 1] (a decimal comma accepted), None when it is not one."""
    try:
        x = float(text.replace(",", "."))
    except ValueError:
        return None
    return x if math.isfinite(x) and 0.0 <= x <= 1.0 else None
