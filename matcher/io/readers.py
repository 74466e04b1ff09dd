"""Read the two workbooks from an .xlsx file, a folder of CSV files, or pandas DataFrames.

Every source is first turned into raw sheets (header cells, and rows of cells with their Excel row
numbers); one code path then matches headers to the spec, parses each cell and reports located problems.
So an .xlsx file, a CSV folder and the app's edited tables are read and judged exactly alike.

The header is the first non-blank row, unless that row lacks a required column and one of the next few rows
has them all: a title above the table ("Capacités 2026 — DDETS", merged over the columns) is then skipped with
a warning. CSV files are read in UTF-8, UTF-16 or UTF-32 (with or without a byte order mark) or Windows-1252,
separated by ',', ';' or tabs; a file that still reads as one column gets a hint on how to save it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from matcher.i18n import Msg, _
from matcher.io import safety, spec
from matcher.io.cells import CellError, is_blank, parse_cell, suggest
from matcher.io.parsed import PERSONAL_WORKBOOKS, Issue, ParsedRow, ParsedSheet, WorkbookRead
from matcher.io.validation import ReadReport, validate

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "REQUIRED_SHEETS",
    "ParsedRow",
    "ParsedSheet",
    "WorkbookRead",
    "dataset_from_frames",
    "read_dataset",
    "read_workbook",
    "workbook_from_frames",
]

#: Sheets without which a workbook cannot be used. The others are optional: missing means "none offered".
REQUIRED_SHEETS: dict[str, tuple[str, ...]] = {
    "cases": ("cases", "members"),
    "localities": ("localities", "housing"),
}

# A CSV file larger than this is refused before it is read. Workbooks (.xlsx) are checked for size, zip bombs
# and XML entity declarations by `matcher.io.safety` before any parser runs, then parsed in a memory-limited
# process.
MAX_CSV_BYTES = 100 * 1024 * 1024
#: Rows above the header that may be skipped as a title (non-blank rows; blank ones are always skipped).
MAX_TITLE_ROWS = 4


@dataclass
class _RawSheet:
    """A sheet as the source holds it: header cells and data rows with their Excel row numbers."""

    name: str
    source: str
    header: list[Any]
    header_row: int
    rows: list[tuple[int | None, list[Any]]]
    hint: Msg | None = None  # shown when no column is recognised: how to save a file that was not read as a table


# ------------------------------------------------------------------------------------------------- sources


def _raw_sheet(name: str, source: str, numbered_rows: Iterable[tuple[int | None, list[Any]]]) -> _RawSheet:
    """Split rows into the header (first non-blank row) and the non-blank data rows after it."""
    header: list[Any] | None = None
    header_row = 1
    data: list[tuple[int | None, list[Any]]] = []
    for number, cells in numbered_rows:
        if all(is_blank(c) for c in cells):
            continue
        if header is None:
            header, header_row = list(cells), number or 1
        else:
            data.append((number, list(cells)))
    return _RawSheet(name, source, header or [], header_row, data)


def _match_sheets(
    named: Iterable[tuple[str, Any]], workbook: spec.Workbook, label: str, issues: list[Issue]
) -> dict[str, tuple[str, Any]]:
    """Canonical sheet name -> (source name, handle); unknown sheets (Instructions) are skipped."""
    lookup = spec.sheet_lookup(workbook)
    others = {k for wb in spec.WORKBOOKS.values() if wb.name != workbook.name for k in spec.sheet_lookup(wb)}
    found: dict[str, tuple[str, Any]] = {}
    foreign = False
    for source_name, handle in named:
        canonical = lookup.get(spec.normalise_header(source_name))
        if canonical is None:
            foreign = foreign or spec.normalise_header(source_name) in others
            continue
        if canonical in found:
            issues.append(Issue("error", label, canonical, None, None,
                                _("two sheets are read as '{sheet}': '{first}' and '{second}'; keep one",
                                  sheet=canonical, first=found[canonical][0], second=source_name)))
            continue
        found[canonical] = (source_name, handle)
    if not found and foreign:
        issues.append(Issue("error", label, None, None, None,
                            _("this looks like another workbook, not the {workbook} workbook: are the two inputs "
                              "swapped?", workbook=workbook.name)))
    return found


def _raw_from_xlsx(
    path: Path | BinaryIO, workbook: spec.Workbook, label: str, issues: list[Issue]
) -> list[_RawSheet]:
    """Check the file (size, zip bomb, XML declarations), then parse it in a memory-limited process."""
    problem = safety.check_xlsx(path)
    if problem:
        issues.append(Issue("error", label, None, None, None, problem))
        return []
    source: Path | bytes = path if isinstance(path, Path) else _stream_bytes(path)
    try:
        worksheets = safety.read_xlsx_sheets(source)
    except safety.ParseRefused as refused:
        issues.append(Issue("error", label, None, None, None, refused.args[0]))
        return []
    matched = _match_sheets(((ws.title, ws) for ws in worksheets), workbook, label, issues)
    sheets = []
    for canonical, (title, ws) in matched.items():
        numbered = ((n, list(cells)) for n, cells in enumerate(ws.rows, start=1))
        sheets.append(_raw_sheet(canonical, title, numbered))
    return sheets


def _stream_bytes(stream: BinaryIO) -> bytes:
    position = stream.tell()
    try:
        return stream.read()
    finally:
        stream.seek(position)


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or '-be' when the bytes look like UTF-16 text without a byte order mark, else None.

    Text in Latin letters is then every other byte zero (the high byte of each character): zeros at odd
    positions are little-endian, at even positions big-endian. UTF-8 and Windows-1252 text has no zero bytes.
    """
    head = data[:4096]
    half = len(head) // 2
    if half < 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd >= 0.3 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.3 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def _decode(data: bytes) -> str:
    """CSV text: by its byte order mark (UTF-8, UTF-16, UTF-32), as UTF-16 when it looks so (Excel's "Unicode
    text"), else UTF-8, else Windows-1252, which Excel in French uses. Text that cannot be decoded keeps
    replacement characters, and `_csv_hint` explains."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None) or _utf16_without_bom(data)
    if encoding is not None:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_SEPARATOR_LINE = re.compile(r"^sep=(.)\s*$")


def _delimiter(text: str) -> str:
    """The separator of the header line: a tab when it has more tabs than ',' and ';', else ';' when it has
    more ';' than ',' (Excel's CSV in French locales), else ','."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    tabs, commas, semicolons = first.count("\t"), first.count(","), first.count(";")
    if tabs > max(commas, semicolons):
        return "\t"
    return ";" if semicolons > commas else ","


def _csv_dialect(text: str) -> tuple[str, str]:
    """(text without Excel's 'sep=;' first line, the separator): that line names the separator."""
    first, _sep, rest = text.partition("\n")
    named = _SEPARATOR_LINE.match(first.strip("\ufeff\r"))
    if named is not None:
        return rest, named.group(1)
    return text, _delimiter(text)


def _csv_hint(header: list[Any]) -> Msg | None:
    """How to save a CSV file that was not read as text, or whose header did not split into columns; None when
    neither (it is only shown when no column was recognised)."""
    line = "".join(str(c) for c in header)
    if "\x00" in line:  # never in text: UTF-16 that could not be decoded, or a binary file
        return _("this file looks UTF-16 or binary, not CSV text: save it as CSV UTF-8 (comma-separated), or as "
                 "an .xlsx workbook")
    if sum(not is_blank(c) for c in header) > 1:
        return None
    if "\ufffd" in line:
        return _("this file is in an encoding that was not recognised: save it as CSV UTF-8 (comma-separated)")
    other = next((c for c in "|:^~#" if c in line), None)
    if other:
        return _("this file looks separated by '{separator}': save it as CSV UTF-8 (comma-separated), or "
                 "separate the columns with ',', ';' or a tab", separator=other)
    return _("this file reads as a single column: save it as CSV UTF-8 (comma-separated), or separate the "
             "columns with ',', ';' or a tab")


def _raw_from_csv_dir(path: Path, workbook: spec.Workbook, label: str, issues: list[Issue]) -> list[_RawSheet]:
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    matched = _match_sheets(((p.stem, p) for p in files), workbook, label, issues)
    sheets = []
    for canonical, (_stem, file) in matched.items():
        if file.stat().st_size > MAX_CSV_BYTES:
            issues.append(Issue("error", label, canonical, None, None, _("refused: the CSV file is too large")))
            continue
        text, delimiter = _csv_dialect(_decode(file.read_bytes()))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        numbered = ((n, list(cells)) for n, cells in enumerate(reader, start=1))
        try:
            raw = _raw_sheet(canonical, file.name, numbered)
            raw.hint = _csv_hint(raw.header)
            sheets.append(raw)
        except csv.Error:  # a field over the csv module's size limit, a stray quote: the message quotes nothing
            issues.append(Issue("error", label, canonical, None, None, _("not a readable CSV file")))
    return sheets


def _frame_rows(frame: pd.DataFrame) -> list[tuple[int | None, list[Any]]]:
    """Rows of a DataFrame with their Excel row numbers: its index when it carries them, else position + 2."""
    import pandas as pd

    index = frame.index
    default = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    rows: list[tuple[int | None, list[Any]]] = []
    cells = frame.itertuples(index=False, name=None)
    for position, (label, values) in enumerate(zip(index, cells, strict=True)):
        number: int | None
        if default:
            number = position + 2
        elif isinstance(label, int | float) and not isinstance(label, bool) and label == label:
            number = int(label)
        else:
            number = None  # a row added in the app has no place in the original sheet
        rows.append((number, list(values)))
    return rows


def _raw_from_frames(
    frames: Mapping[str, pd.DataFrame], workbook: spec.Workbook, label: str, issues: list[Issue]
) -> list[_RawSheet]:
    matched = _match_sheets(frames.items(), workbook, label, issues)
    sheets = []
    for canonical, (name, frame) in matched.items():
        header = [str(c) for c in frame.columns]
        sheets.append(_RawSheet(canonical, name, header, 1, _frame_rows(frame)))
    return sheets


# ----------------------------------------------------------------------------------------- shared parsing


def _columns_named(cells: list[Any], names: dict[str, str]) -> set[str]:
    """The spec columns a row's cells name, as a header would."""
    return {names[key] for c in cells if not is_blank(c) and (key := spec.normalise_header(str(c).strip())) in names}


def _locate_header(raw: _RawSheet, sheet: spec.Sheet, label: str, issues: list[Issue]) -> _RawSheet:
    """The sheet with its header on the right row: the first non-blank row, or a title skipped.

    When the first non-blank row lacks a required column and one of the next `MAX_TITLE_ROWS` rows names them
    all, the rows above that one are a title (a merged "Capacités 2026 — DDETS" row, a date, a note): they are
    skipped, with a warning. Otherwise the first row stays the header, and its missing columns are reported.
    """
    names = spec.header_map(sheet)
    required = {c.name for c in sheet.columns if c.required}
    if required <= _columns_named(raw.header, names):
        return raw
    for k, (number, cells) in enumerate(raw.rows[:MAX_TITLE_ROWS]):
        if number is not None and required <= _columns_named(cells, names):
            above = [raw.header_row, *(n for n, _cells in raw.rows[:k] if n is not None)]
            said = (_("the header is on row {row}: row {first} above it was skipped as a title", row=number,
                      first=above[0]) if len(above) == 1 else
                    _("the header is on row {row}: rows {first}-{last} above it were skipped as a title",
                      row=number, first=above[0], last=above[-1]))
            issues.append(Issue("warning", label, sheet.name, number, None, said))
            return _RawSheet(raw.name, raw.source, list(cells), number, raw.rows[k + 1:], raw.hint)
    if not raw.hint and sum(not is_blank(c) for c in raw.header) == 1 and not _columns_named(raw.header, names):
        raw.hint = _("row {row} looks like a title: the header must be on the first row, or below at most {n} "
                     "title rows", row=raw.header_row, n=MAX_TITLE_ROWS)
    return raw


def _parse_sheet(
    raw: _RawSheet, sheet: spec.Sheet, label: str, echo: bool, issues: list[Issue]
) -> ParsedSheet:
    """Find the header and match it to the spec, then parse every cell, collecting one issue per bad cell."""
    raw = _locate_header(raw, sheet, label, issues)
    names = spec.header_map(sheet)
    position: dict[str, int] = {}
    extra: dict[int, str] = {}
    for i, cell in enumerate(raw.header):
        if is_blank(cell):
            continue
        header = str(cell).strip()
        canonical = names.get(spec.normalise_header(header))
        if canonical is None:
            extra[i] = header
            close = suggest(spec.normalise_header(header), list(names), cutoff=0.8)
            if close is not None:
                issues.append(Issue("warning", label, sheet.name, raw.header_row, None,
                                    _("column '{header}' is not used: did you mean '{close}'?", header=header,
                                      close=names[close])))
        elif canonical in position:
            issues.append(Issue("error", label, sheet.name, raw.header_row, canonical,
                                _("two columns are read as '{column}' (columns {first} and {second}); keep one",
                                  column=canonical, first=position[canonical] + 1, second=i + 1)))
        else:
            position[canonical] = i
    if raw.hint and not position:
        # Nothing was read as a column: one message says why, rather than one per missing column.
        required = ", ".join(c.name for c in sheet.columns if c.required)
        issues.append(Issue("error", label, sheet.name, raw.header_row, None,
                            _("no column was recognised (required: {required}); {hint}", required=required,
                              hint=raw.hint)))
    else:
        for col in sheet.columns:
            if col.required and col.name not in position:
                accepted = ", ".join((col.name, *col.aliases))
                issues.append(Issue("error", label, sheet.name, None, col.name,
                                    _("missing required column (accepted headers: {accepted})",
                                      accepted=accepted)))

    rows: list[ParsedRow] = []
    used = sorted(position.values())
    for number, cells in raw.rows:
        # A row blank in every spec column is skipped: an empty row, a row added and left empty in the app,
        # or a note typed beside the table in a column the matcher ignores.
        if all(i >= len(cells) or is_blank(cells[i]) for i in used):
            continue
        parsed = ParsedRow(number, {}, {})
        for col in sheet.columns:
            if col.name not in position:
                continue
            i = position[col.name]
            value = cells[i] if i < len(cells) else None
            parsed.raw[col.name] = value
            result = parse_cell(value, col, echo=echo)
            if isinstance(result, CellError):
                parsed.bad.add(col.name)
                parsed.values[col.name] = None
                issues.append(Issue("error", label, sheet.name, number, col.name, result.msg))
            else:
                parsed.values[col.name] = result
        for col in sheet.columns:
            # A missing optional column reads as if every cell were blank.
            if col.name not in position and not col.required:
                parsed.values[col.name] = parse_cell(None, col)
        parsed.extra = {n: cells[i] for i, n in extra.items() if i < len(cells) and not is_blank(cells[i])}
        rows.append(parsed)
    columns = [c.name for c in sheet.columns if c.name in position]
    return ParsedSheet(sheet, columns, rows, list(extra.values()), raw.header_row)


def _parse_workbook(
    raw_sheets: list[_RawSheet], workbook: spec.Workbook, label: str, issues: list[Issue]
) -> WorkbookRead:
    if any(i.sheet is None and i.severity == "error" for i in issues):
        # The file itself could not be used: listing every sheet as missing would only bury that.
        return WorkbookRead(workbook, label, {}, issues)
    echo = workbook.name not in PERSONAL_WORKBOOKS
    by_name = {r.name: r for r in raw_sheets}
    sheets: dict[str, ParsedSheet] = {}
    for sheet in workbook.sheets:
        raw = by_name.get(sheet.name)
        if raw is None:
            if sheet.name in REQUIRED_SHEETS.get(workbook.name, ()):
                accepted = ", ".join((sheet.name, *sheet.aliases))
                issues.append(Issue("error", label, sheet.name, None, None,
                                    _("missing required sheet (accepted names: {accepted})", accepted=accepted)))
            continue
        if not raw.header:
            if sheet.name in REQUIRED_SHEETS.get(workbook.name, ()):
                issues.append(Issue("error", label, sheet.name, None, None, _("the sheet is empty")))
            continue
        sheets[sheet.name] = _parse_sheet(raw, sheet, label, echo, issues)
    return WorkbookRead(workbook, label, sheets, issues)


# ------------------------------------------------------------------------------------------------ public API


def read_workbook(
    path: str | Path | BinaryIO, workbook: spec.Workbook, label: str | None = None
) -> WorkbookRead:
    """Read one workbook, from an .xlsx file or a folder of CSV files named after its sheets.

    Parameters
    ----------
    path
        An .xlsx (or .xlsm) file, a folder holding e.g. ``cases.csv`` and ``members.csv``, or an open
        binary stream of an .xlsx file (an upload in the app).
    workbook
        The spec to read against: `spec.CASES` or `spec.LOCALITIES`.
    label
        What messages call the workbook; by default the file or folder name.

    Returns
    -------
    WorkbookRead
        Parsed rows per sheet with their Excel row numbers, and every problem found while reading. Problems
        are reported, never raised.
    """
    issues: list[Issue] = []
    if not isinstance(path, str | Path):
        label = label or Path(str(getattr(path, "name", "") or workbook.filename)).name
        return _parse_workbook(_raw_from_xlsx(path, workbook, label, issues), workbook, label, issues)
    path = Path(path)
    label = label or path.name or str(path)
    if path.is_dir():
        raw = _raw_from_csv_dir(path, workbook, label, issues)
    elif path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        raw = _raw_from_xlsx(path, workbook, label, issues)
    elif not path.exists():
        issues.append(Issue("error", label, None, None, None, _("no such file or folder")))
        raw = []
    else:
        issues.append(Issue("error", label, None, None, None,
                            _("expected an .xlsx workbook or a folder of CSV files, got {kind}",
                              kind=_kind_of_path(path))))
        raw = []
    try:
        return _parse_workbook(raw, workbook, label, issues)
    except OSError as exc:  # a file vanished or became unreadable while reading
        issues.append(Issue("error", label, None, None, None,
                            _("could not be read ({kind})", kind=type(exc).__name__)))
        return WorkbookRead(workbook, label, {}, issues)


def _kind_of_path(path: Path) -> Msg:
    """What kind of file a path that is not a workbook is, in words."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        return _("an old .xls file (save it as .xlsx)")
    if suffix == ".csv":
        return _("a single CSV file (put one CSV per sheet in a folder)")
    return _("a '{suffix}' file", suffix=suffix) if suffix else _("a file without extension")


def workbook_from_frames(
    frames: Mapping[str, pd.DataFrame], workbook: spec.Workbook, label: str | None = None
) -> WorkbookRead:
    """Read one workbook from DataFrames keyed by sheet name (aliases accepted), as the app edits them.

    Row numbers come from the frames' index when it is not the default 0..n-1 one (see
    `ParsedSheet.editable_frame`), else from the position, as if the header were on row 1.
    """
    label = label or workbook.filename
    issues: list[Issue] = []
    return _parse_workbook(_raw_from_frames(frames, workbook, label, issues), workbook, label, issues)


def read_dataset(cases_path: str | Path | BinaryIO, localities_path: str | Path | BinaryIO) -> ReadReport:
    """Read and validate both workbooks; the report holds the dataset only when there is no error.

    Each input is an .xlsx file, a folder of CSV files, or an open binary stream of an .xlsx file.
    """
    return validate(read_workbook(cases_path, spec.CASES), read_workbook(localities_path, spec.LOCALITIES))


def dataset_from_frames(
    cases_frames: Mapping[str, pd.DataFrame],
    localities_frames: Mapping[str, pd.DataFrame],
    names: tuple[str, str] = ("cases.xlsx", "localities.xlsx"),
) -> ReadReport:
    """Validate both workbooks given as DataFrames per sheet, e.g. after the user edited cells in the app.

    Parameters
    ----------
    cases_frames, localities_frames
        DataFrames keyed by sheet name (``cases``, ``members`` / ``localities``, ``housing`` ...).
    names
        What messages call the two workbooks, usually the names of the files they came from.
    """
    cases = workbook_from_frames(cases_frames, spec.CASES, names[0])
    localities = workbook_from_frames(localities_frames, spec.LOCALITIES, names[1])
    return validate(cases, localities)
