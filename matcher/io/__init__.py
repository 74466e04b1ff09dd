"""Spreadsheets and CSV in: the column spec, cell parsers, readers and validation with located issues."""

from matcher.io.readers import (
    ParsedRow,
    ParsedSheet,
    WorkbookRead,
    dataset_from_frames,
    read_dataset,
    read_workbook,
    workbook_from_frames,
)
from matcher.io.safety import neutralise
from matcher.io.spec import CASES, LOCALITIES, WORKBOOKS
from matcher.io.validation import Issue, ReadReport, validate

__all__ = [
    "CASES",
    "LOCALITIES",
    "WORKBOOKS",
    "Issue",
    "ParsedRow",
    "ParsedSheet",
    "ReadReport",
    "WorkbookRead",
    "dataset_from_frames",
    "neutralise",
    "read_dataset",
    "read_workbook",
    "validate",
    "workbook_from_frames",
]
