"""Hostile inputs: zip bombs, entity expansion and oversized files are refused before parsing, with bounded
memory; parsing runs in a memory-limited process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import malicious
import pytest

from matcher.io import safety, spec
from matcher.io.readers import read_workbook

PEAK_LIMIT_MB = 250


def peak_mb_of_reading(path: Path) -> tuple[float, list[str]]:
    """Read a workbook in a fresh interpreter: (its peak resident memory in MB, the issues' messages)."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (here, pytest) across exec.
    code = ("import json, sys\n"
            "from matcher.io import spec\nfrom matcher.io.readers import read_workbook\n"
            "r = read_workbook(sys.argv[1], spec.CASES)\n"
            "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
            "print(json.dumps([hwm / 1024, [i.message for i in r.issues]]))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                         check=True)
    peak, messages = json.loads(out.stdout.strip().splitlines()[-1])
    return peak, messages


def test_zip_bomb_is_refused_with_bounded_memory(bomb: Path) -> None:
    """400 MB of zeros in a 0.4 MB file: one clear error, and the reader never holds the inflated data."""
    peak, messages = peak_mb_of_reading(bomb)
    assert messages == ["refused: the workbook unpacks to an unreasonable size (possible zip bomb)"]
    assert peak < PEAK_LIMIT_MB


def test_sizes_are_counted_while_inflating_not_read_from_headers(tmp_path: Path) -> None:
    """The scan counts inflated bytes itself: a member over the budget is stopped whatever its header says."""
    import zipfile

    path = malicious.zip_bomb(tmp_path / "cases.xlsx", unpacked_mb=8)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        problem, seen = safety._scan_part(archive, info, 4 * 1024 * 1024)
        assert problem is not None and "zip bomb" in problem and seen <= 4 * 1024 * 1024 + 64 * 1024
        info.file_size = 10  # a header that under-states the size: inflating stops there and the CRC fails,
        with pytest.raises(zipfile.BadZipFile):  # which check_xlsx reports as an unreadable workbook
            safety._scan_part(archive, info, 4 * 1024 * 1024)


def test_too_many_parts_are_refused(tmp_path: Path) -> None:
    """Thousands of members in one archive are refused."""
    read = read_workbook(malicious.many_entries(tmp_path / "cases.xlsx", 5000), spec.CASES)
    assert [i.message for i in read.issues] == ["refused: the workbook holds more than 2,000 parts (possible zip bomb)"]


def test_entity_expansion_is_refused_before_parsing_with_bounded_memory(laughs: Path) -> None:
    """A DOCTYPE with nested entities is refused by the scan, without expanding anything."""
    peak, messages = peak_mb_of_reading(laughs)
    assert messages == ["refused: the workbook declares XML entities or a document type, which Excel never writes"]
    assert peak < PEAK_LIMIT_MB


def test_the_parser_itself_refuses_entities_in_its_limited_process(laughs: Path) -> None:
    """Even past the scan, the parsing process (defusedxml) refuses the entities, within its memory cap."""
    with pytest.raises(safety.ParseRefused, match="not a readable"):
        safety.read_xlsx_sheets(laughs)
    assert safety.last_parse_maxrss_kb is not None and safety.last_parse_maxrss_kb < 200 * 1024


def test_utf16_parts_cannot_hide_a_doctype(tmp_path: Path) -> None:
    """An XML part in UTF-16 is refused: the scan could not see a declaration in it."""
    assert "entities" in safety.check_xlsx(malicious.utf16_doctype(tmp_path / "x.xlsx"))


def test_parsing_past_its_memory_cap_is_refused(tmp_path: Path) -> None:
    """A parse that needs more than its address-space allowance stops with a clear message."""
    import openpyxl

    path = tmp_path / "big.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "cases"
    for i in range(20_000):
        sheet.append([f"C{i}", "2024-01-01", f"text {i} " * 5])
    book.save(path)
    with pytest.raises(safety.ParseRefused, match="more memory than allowed"):
        safety.read_xlsx_sheets(path, memory_bytes=4 * 1024 * 1024)
    # and with the normal allowance the same file reads
    assert len(safety.read_xlsx_sheets(path)[0].rows) == 20_000


def test_a_file_over_the_size_limit_is_refused(tiny_paths: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Files larger than the upload limit are refused before being opened."""
    monkeypatch.setattr(safety, "MAX_FILE_BYTES", 100)
    assert safety.check_xlsx(tiny_paths[0]).startswith("refused: the file is larger than")


def test_a_sound_workbook_passes_every_check(tiny_paths: tuple[Path, Path]) -> None:
    """The checks do not refuse ordinary workbooks, from a path, a stream or bytes."""
    import io

    data = tiny_paths[0].read_bytes()
    assert safety.check_xlsx(tiny_paths[0]) is None
    assert safety.check_xlsx(data) is None
    stream = io.BytesIO(data)
    assert safety.check_xlsx(stream) is None and stream.tell() == 0


def test_the_app_refuses_a_bomb_upload_with_the_reason(bomb: Path, tmp_path: Path) -> None:
    """An uploaded bomb never reaches the disk or a parser; the page names the reason."""
    from ui.components import data as data_helpers

    class Upload:
        name = "cases.xlsx"

        def getvalue(self) -> bytes:
            return bomb.read_bytes()

    with pytest.raises(data_helpers.UploadProblem) as refused:
        data_helpers.stage_upload([Upload()], spec.CASES, tmp_path)
    assert refused.value.key == "upload_refused" and "zip bomb" in refused.value.values["reason"]
    assert not list(tmp_path.iterdir())
