"""The workbook parsing server: run as a script (``python -I _xlsx_child.py``), never imported by the package.

It imports openpyxl and nothing of the matcher, then serves requests from stdin, one at a time: a JSON line
``{"path": .., "memory": bytes, "seconds": s}``. For each it forks a child that limits its own address space,
CPU time and file writes, parses the workbook with openpyxl (defusedxml underneath) and writes JSON to a pipe.
The server answers on stdout with a frame: one status byte (``o`` ok, ``e`` failed), eight bytes of length, the
JSON. Forking from this small single-threaded process is cheap and safe, unlike forking the app's server.

Cells are read as their saved values (``data_only``), except a formula without a saved value, which comes back
as ``{"$f": "=formula"}`` rather than as a blank cell (see `_Parser`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import select
import signal
import struct
import sys
import time
from decimal import Decimal
from typing import Any

import openpyxl
from openpyxl.worksheet import _read_only, _reader


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$t": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$td": value.total_seconds()}
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


class _Parser(_reader.WorkSheetParser):
    """openpyxl's worksheet parser, telling a formula without a saved value from a blank cell.

    With ``data_only``, openpyxl reads a formula's saved value (``<v>``) and, when there is none (a workbook
    written by a script and never opened in a spreadsheet program), a blank: a capacity would silently become
    "no limit". An empty ``<v/>`` is a saved value only when the cell says its result is a string (``t="str"``):
    an empty text. Read-only worksheets look the parser up in their module, so replacing it there is enough.
    """

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell: dict[str, Any] = super().parse_cell(element)
        if (cell["value"] is None and self.data_only and element.get("t", "n") not in ("str", "s", "inlineStr")
                and element.find(_reader.FORMULA_TAG) is not None):
            formula = element.findtext(_reader.FORMULA_TAG) or ""
            cell["value"] = {"$f": "=" + formula}
        return cell


_read_only.WorkSheetParser = _Parser


def _vm_size() -> int:
    with open("/proc/self/status") as fh:
        return next((int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:")), 0)


def _parse(path: str, memory: int, seconds: int, out: int) -> None:
    """In the forked child: limit, parse, write JSON to `out`, exit."""
    try:
        limit = _vm_size() + memory
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheets = []
        for ws in book.worksheets:
            # Some writers store a wrong sheet size; without this, read-only mode silently drops rows.
            ws.reset_dimensions()
            sheets.append([ws.title, [list(r) for r in ws.iter_rows(values_only=True)]])
        book.close()
        payload: dict[str, Any] = {"sheets": sheets}
    except MemoryError:
        payload = {"error": "memory"}
    except Exception as exc:  # the kind only: a message could quote a cell
        payload = {"error": "unreadable", "kind": type(exc).__name__}
    try:
        payload["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        data = json.dumps(payload, default=_encode).encode("utf-8")
    except MemoryError:
        data = b'{"error": "memory"}'
    view = memoryview(data)
    while view:
        written = os.write(out, view)
        view = view[written:]
    os._exit(0)


def _run_one(request: dict[str, Any]) -> tuple[bytes, bytes]:
    read_end, write_end = os.pipe()
    seconds = int(request.get("seconds", 120))
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _parse(str(request["path"]), int(request["memory"]), seconds, write_end)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([read_end], [], [], left)
        if not ready:
            continue
        chunk = os.read(read_end, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    if timed_out:
        return b"e", json.dumps({"error": "time", "maxrss_kb": usage.ru_maxrss}).encode()
    data = b"".join(chunks)
    if os.WIFSIGNALED(status) or not data:  # killed by a limit (CPU, memory) before it could answer
        return b"e", json.dumps({"error": "memory", "maxrss_kb": usage.ru_maxrss}).encode()
    return b"o", data


def serve() -> None:
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            status, data = _run_one(request)
        except Exception as exc:  # a malformed request: answer, and keep serving
            status, data = b"e", json.dumps({"error": "unreadable", "kind": type(exc).__name__}).encode()
        out.write(status + struct.pack(">Q", len(data)) + data)
        out.flush()


if __name__ == "__main__":
    serve()
