"""Guards for untrusted workbooks: checks before any parser runs, and parsing in a memory-limited process.

An .xlsx file is a zip of XML parts. Before openpyxl sees one, `check_xlsx` refuses (with a message that quotes
nothing from the file):

- a file larger than `MAX_FILE_BYTES` (the app's upload limit);
- an archive with more than `MAX_ENTRIES` members, that unpacks to more than `MAX_UNZIPPED_BYTES`, or that is
  compressed more than `MAX_RATIO` times overall or in any large member (zip bombs); the sizes are counted while
  decompressing, not trusted from the archive's headers;
- encrypted members, and archives without the parts every workbook has;
- any XML part with a document type declaration (``<!DOCTYPE``, ``<!ENTITY``: entity expansion, external
  entities) or in an encoding other than UTF-8 (which could hide one): Excel never writes either.

Then `read_xlsx_sheets` parses the workbook in a child process forked from a small parsing server
(`_xlsx_child.py`, started once per process, with only openpyxl loaded), with its address space, CPU time and
file writes limited; openpyxl parses XML with defusedxml in there too. The child sends back plain JSON (never a
pickle), so even a parser bug cannot reach this process. (multiprocessing's forkserver is not used: it re-imports
the `__main__` module, which inside Streamlit is the app script.)

On the way out, `neutralise` is the one guard of every exported text cell (results, templates, the app's
downloads): no text from the input can start a formula in the spreadsheet that opens the export.
"""

from __future__ import annotations

import atexit
import datetime as dt
import io
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from matcher.i18n import Msg, _
from matcher.io.cells import UncachedFormula

__all__ = [
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_RATIO",
    "MAX_UNZIPPED_BYTES",
    "PARSE_MEMORY_BYTES",
    "ParseRefused",
    "SheetRows",
    "check_xlsx",
    "neutralise",
    "read_xlsx_sheets",
]

#: Largest .xlsx accepted, in bytes (the app's upload limit, ui/.streamlit/config.toml maxUploadSize).
MAX_FILE_BYTES = 50 * 1024 * 1024
#: A workbook has a few dozen parts; thousands are only useful to an attacker.
MAX_ENTRIES = 2000
#: Total size once unpacked (a 10,000-family workbook is about 20 MB).
MAX_UNZIPPED_BYTES = 300 * 1024 * 1024
#: Compression ratio refused overall, and for any member larger than `_RATIO_FLOOR` once unpacked.
MAX_RATIO = 200
_RATIO_FLOOR = 1024 * 1024
#: Address space the parsing process may add to what it starts with.
PARSE_MEMORY_BYTES = int(os.environ.get("MATCHER_PARSE_MEMORY_MB", "1024")) * 1024 * 1024
#: Wall-clock and CPU limits of one parse, in seconds.
PARSE_SECONDS = 120

_NOT_XLSX = _("not a readable .xlsx workbook (save it as Excel .xlsx, or as CSV files in a folder)")
_BOMB = _("refused: the workbook unpacks to an unreasonable size (possible zip bomb)")
_DTD = _("refused: the workbook declares XML entities or a document type, which Excel never writes")
_XML_PART = re.compile(r"\.(xml|rels|vml)$", re.IGNORECASE)
_DECLARATION = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)
_CHUNK = 64 * 1024


def _size_of(source: Path | BinaryIO | bytes) -> int:
    if isinstance(source, bytes):
        return len(source)
    if isinstance(source, Path):
        return source.stat().st_size
    position = source.tell()
    size = source.seek(0, io.SEEK_END)
    source.seek(position)
    return size


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> tuple[Msg | None, int]:
    """Decompress one member in chunks: (why it is refused or None, bytes it unpacked to)."""
    seen = 0
    tail = b""
    check_xml = bool(_XML_PART.search(info.filename))
    with archive.open(info) as member:
        while True:
            chunk = member.read(_CHUNK)
            if not chunk:
                return None, seen
            if check_xml and seen == 0:
                head = chunk[:4]
                if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f\xa7\x94")) or b"\x00" in head:
                    return _DTD, seen  # UTF-16/32 or EBCDIC would hide a declaration from the scan below
            seen += len(chunk)
            if seen > budget:
                return _BOMB, seen
            if check_xml:
                window = tail + chunk
                if _DECLARATION.search(window):
                    return _DTD, seen
                tail = window[-16:]


def check_xlsx(source: str | Path | BinaryIO | bytes) -> Msg | None:
    """Why an .xlsx file must not be parsed, or None when it looks like a sound workbook.

    Parameters
    ----------
    source
        A path, an open binary stream (left at its position), or the file's bytes.

    Returns
    -------
    Msg or None
        A message naming the problem and quoting nothing from the file.
    """
    if isinstance(source, str):
        source = Path(source)
    try:
        if _size_of(source) > MAX_FILE_BYTES:
            return _("refused: the file is larger than {n} MB", n=MAX_FILE_BYTES // (1024 * 1024))
        stream: Path | BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source
        position = None if isinstance(stream, Path) else stream.tell()
        try:
            with zipfile.ZipFile(stream) as archive:
                return _check_archive(archive)
        finally:
            if position is not None and not isinstance(stream, Path):
                stream.seek(position)
    except Exception:  # any failure of the zip module on hostile bytes (BadZipFile, zlib.error ...): refuse
        return _NOT_XLSX


def _check_archive(archive: zipfile.ZipFile) -> Msg | None:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        return _("refused: the workbook holds more than {n} parts (possible zip bomb)", n=MAX_ENTRIES)
    declared = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if declared > MAX_UNZIPPED_BYTES or declared / packed > MAX_RATIO:
        return _BOMB
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.lower() == "xl/workbook.xml" for n in names):
        return _NOT_XLSX
    if any(i.flag_bits & 0x1 for i in infos):
        return _("refused: the workbook is encrypted (save it without a password)")
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        problem, seen = _scan_part(archive, info, MAX_UNZIPPED_BYTES - total)
        if problem:
            return problem
        total += seen
        if seen > _RATIO_FLOOR and seen / max(1, info.compress_size) > MAX_RATIO:
            return _BOMB
    if total / packed > MAX_RATIO:
        return _BOMB
    return None


# ------------------------------------------------------------------------------------------ isolated parsing


class ParseRefused(Exception):
    """The parsing process ran out of memory or time, or failed; `args[0]` is a message for the user."""


@dataclass(frozen=True)
class SheetRows:
    """One worksheet as the parsing process read it: its title and every row of cell values."""

    title: str
    rows: list[list[Any]]


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        (key, value), = obj.items()
        if key == "$dt":
            return dt.datetime.fromisoformat(value)
        if key == "$d":
            return dt.date.fromisoformat(value)
        if key == "$t":
            return dt.time.fromisoformat(value)
        if key == "$td":
            return dt.timedelta(seconds=value)
        if key == "$f":
            return UncachedFormula(str(value))
    return obj


_CHILD = Path(__file__).with_name("_xlsx_child.py")


class _Server:
    """The parsing server (`_xlsx_child.py`) of this process: started on first use, one request at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            # -I: no user site, no PYTHONPATH, no current folder: the server imports openpyxl and nothing else.
            self._proc = subprocess.Popen([sys.executable, "-I", str(_CHILD)], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True)
        return self._proc

    def request(self, path: str, memory: int, seconds: float) -> tuple[bytes, bytes]:
        with self._lock:
            proc = self._start()
            assert proc.stdin is not None and proc.stdout is not None
            line = json.dumps({"path": path, "memory": memory, "seconds": int(seconds)}) + "\n"
            try:
                proc.stdin.write(line.encode())
                proc.stdin.flush()
                head = _read_exactly(proc.stdout, 9)
                status, size = head[:1], struct.unpack(">Q", head[1:])[0]
                return status, _read_exactly(proc.stdout, size)
            except (OSError, EOFError, struct.error):
                proc.kill()
                self._proc = None
                return b"e", b'{"error": "unreadable", "kind": "ParserDied"}'

    def close(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
            self._proc = None


def _read_exactly(stream: Any, size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError("the parsing server stopped")
    return bytes(data)


_server = _Server()
atexit.register(_server.close)


#: Peak resident memory (KB) of the last parsing process, for tests and the security report.
last_parse_maxrss_kb: int | None = None


def read_xlsx_sheets(source: str | Path | bytes, wanted: set[str] | None = None,
                     memory_bytes: int = PARSE_MEMORY_BYTES, seconds: float = PARSE_SECONDS) -> list[SheetRows]:
    """Parse a workbook in a memory-limited child process; return its worksheets' rows.

    Parameters
    ----------
    source
        A path or the file's bytes; run `check_xlsx` on it first.
    wanted
        Titles of the worksheets to read; the others come back with no rows. None reads them all.
    memory_bytes
        Address space the child may add to what it starts with.
    seconds
        Wall-clock limit.

    Raises
    ------
    ParseRefused
        When the child runs out of memory or time, dies, or cannot read the file as a workbook.
    """
    global last_parse_maxrss_kb
    if isinstance(source, bytes):
        with tempfile.TemporaryDirectory(prefix="matcher-parse-") as tmp:  # private: mode 0700
            path = Path(tmp) / "upload.xlsx"
            path.write_bytes(source)
            return read_xlsx_sheets(path, wanted, memory_bytes, seconds)
    status, raw = _server.request(str(Path(source).resolve()), memory_bytes, seconds)
    payload = json.loads(raw, object_hook=_decode)
    last_parse_maxrss_kb = payload.get("maxrss_kb")
    error = payload.get("error")
    if error == "time":
        raise ParseRefused(_("refused: reading the workbook took too long"))
    if error == "memory" or (status != b"o" and error is None):
        raise ParseRefused(_("refused: reading the workbook needed more memory than allowed"))
    if error is not None:
        raise ParseRefused(_("not a readable .xlsx workbook ({kind})", kind=payload.get("kind", "error")))
    return [SheetRows(title, rows) for title, rows in payload["sheets"]
            if wanted is None or title in wanted]


# ------------------------------------------------------------------------------------------ exported cells

# The signs that start a formula (`docs/results.md#exports`). Their full-width, small, superscript and subscript
# forms ('＝', '﹦', '⁺' ...) are folded to them by NFKC; the minus signs and dashes NFKC keeps are listed.
_FORMULA_SIGNS = frozenset("=+-@")
_MINUS_LIKE = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u207b\u208b\u2795\u2796\ufe58")
# Characters a spreadsheet may skip or trim before the sign: spaces, tab, CR, LF, and invisible ones (BOM ...).
_SKIPPED_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


def _starts_formula(text: str) -> bool:
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) in _SKIPPED_CATEGORIES:
            continue
        return ch in _FORMULA_SIGNS or ch in _MINUS_LIKE or unicodedata.normalize("NFKC", ch)[:1] in _FORMULA_SIGNS
    return False


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet could run as a formula, made inert with a leading apostrophe.

    That is text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, with any look-alike of
    those signs (full-width '＝HYPERLINK(...)', '＋', '－', '＠', small forms, minus signs and dashes), or with
    such a sign after spaces, tabs, line breaks or invisible characters. Other values are returned unchanged.
    """
    if isinstance(value, str) and (value.startswith(("\t", "\r")) or _starts_formula(value)):
        return "'" + value
    return value
