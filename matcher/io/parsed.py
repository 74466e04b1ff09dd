"""What reading a workbook gives: its sheets matched to the spec, rows parsed cell by cell, and located issues.

The readers (`matcher.io.readers`) build these from any source; the cross-sheet checks (`matcher.io.validation`)
read them and add their own issues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from matcher.i18n import Msg, _
from matcher.io import spec
from matcher.io.cells import UncachedFormula

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PERSONAL_WORKBOOKS", "Issue", "ParsedRow", "ParsedSheet", "Severity", "WorkbookRead"]

#: Workbooks that describe people: their cell values are never quoted in messages.
PERSONAL_WORKBOOKS = frozenset({"cases"})

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One problem, located as precisely as possible: workbook › sheet › row › column: message.

    `row` is the Excel row number (the header is row 1), `column` the canonical column name; either is None
    when the problem concerns a whole sheet or row. `message` may be given as a :class:`~matcher.i18n.Msg`: the
    issue keeps it (`said`) to be written in the user's language (:meth:`text`, :meth:`describe`), and
    `message` holds its English words (the validation report's contract).
    """

    severity: Severity
    workbook: str
    sheet: str | None
    row: int | None
    column: str | None
    message: str | Msg  # a Msg is kept in `said`, and `message` becomes its English words
    said: Msg | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.message, Msg):
            object.__setattr__(self, "said", self.message)
            object.__setattr__(self, "message", str(self.message))

    def __str__(self) -> str:
        return self.describe("en")

    def text(self, lang: str = "en") -> str:
        """The message alone, in `lang`."""
        return self.said.render(lang) if self.said is not None else str(self.message)

    def describe(self, lang: str = "en") -> str:
        """workbook › sheet › row › column: message, in `lang`."""
        row = None if self.row is None else _("row {row}", row=self.row).render(lang)
        parts = [self.workbook, self.sheet, row, self.column]
        where = " › ".join(p for p in parts if p)
        return _("{where}: {message}", where=where, message=self.text(lang)).render(lang)

    @property
    def location(self) -> tuple[str, str | None, int | None, str | None]:
        return (self.workbook, self.sheet, self.row, self.column)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The issue as the validation report's JSON: `message` and `text` in `lang` (English by default)."""
        return {
            "severity": self.severity,
            "workbook": self.workbook,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.text(lang),
            "text": self.describe(lang),
        }


@dataclass
class ParsedRow:
    """One data row: parsed values by canonical column, raw cells, and the columns the spec does not know.

    `values` holds None for a cell that could not be parsed; `bad` names those columns.
    """

    row: int | None
    values: dict[str, Any]
    raw: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    bad: set[str] = field(default_factory=set)

    def get(self, column: str) -> Any:
        return self.values.get(column)


@dataclass
class ParsedSheet:
    """A sheet matched to the spec: which columns were found, and every non-blank row parsed."""

    spec: spec.Sheet
    columns: list[str]
    rows: list[ParsedRow]
    extra_columns: list[str] = field(default_factory=list)
    header_row: int = 1

    def editable_frame(self) -> pd.DataFrame:
        """A DataFrame for an editable table, one spec column each, indexed by Excel row number.

        Good cells show their parsed value (lists joined with '; ', so the frame reads back through
        `dataset_from_frames` unchanged); bad cells show what was typed, so the user can fix it.
        """
        import pandas as pd

        records = []
        for r in self.rows:
            record: dict[str, Any] = {}
            for col in self.spec.columns:
                if col.name in r.bad:
                    raw = r.raw.get(col.name)
                    # A formula without a saved value shows as its text, which reads back as an error again.
                    record[col.name] = str(raw) if isinstance(raw, UncachedFormula) else raw
                else:
                    value = r.values.get(col.name)
                    record[col.name] = "; ".join(value) if isinstance(value, tuple) else value
            records.append(record)
        names = [c.name for c in self.spec.columns]
        index = pd.Index([r.row for r in self.rows], name="row")
        return pd.DataFrame.from_records(records, columns=names, index=index)


@dataclass
class WorkbookRead:
    """One workbook read against its spec: the sheets found and every problem met while reading them."""

    spec: spec.Workbook
    label: str  # what messages call the workbook: its file or folder name
    sheets: dict[str, ParsedSheet]
    issues: list[Issue]

    def rows(self, sheet: str) -> list[ParsedRow]:
        found = self.sheets.get(sheet)
        return found.rows if found else []

    @property
    def personal(self) -> bool:
        return self.spec.name in PERSONAL_WORKBOOKS

    def frames(self) -> dict[str, pd.DataFrame]:
        """Editable DataFrames for every sheet found (see `ParsedSheet.editable_frame`)."""
        return {name: sheet.editable_frame() for name, sheet in self.sheets.items()}
