"""Fuzzing the readers with hypothesis: whatever the bytes, reading reports problems and never raises.

Four generators: raw bytes given as an .xlsx upload; a real workbook with bytes flipped; a real workbook whose
XML parts are rewritten with random text (a valid zip, so the parser in its limited process really runs); and
CSV folders of random text (quotes, NULs, delimiters, huge fields, odd encodings). The number of inputs tried
and of crashes (an exception out of the reader) is written to test-artifacts/fuzz.json.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbooks import TINY_CASES, write_xlsx

from matcher.io import spec
from matcher.io.readers import WorkbookRead, read_workbook

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "test-artifacts" / "fuzz.json"
FIGURES = {"inputs": 0, "crashes": 0, "by_target": {}}
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(FIGURES, indent=2))


@pytest.fixture(scope="module")
def sound_xlsx(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_xlsx(tmp_path_factory.mktemp("fuzz") / "cases.xlsx", TINY_CASES).read_bytes()


def _read(target: str, source) -> WorkbookRead:  # type: ignore[no-untyped-def]
    FIGURES["inputs"] += 1
    FIGURES["by_target"][target] = FIGURES["by_target"].get(target, 0) + 1
    try:
        read = read_workbook(source, spec.CASES, label="upload.xlsx")
    except BaseException:
        FIGURES["crashes"] += 1
        raise
    assert isinstance(read, WorkbookRead)
    return read


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_as_an_upload(data: bytes) -> None:
    """Any bytes given as an .xlsx upload give a report, never an exception."""
    read = _read("bytes", io.BytesIO(data))
    assert read.issues  # random bytes are never a valid cases workbook


@FUZZ
@given(st.data())
def test_flipped_bytes_of_a_real_workbook(sound_xlsx: bytes, data: st.DataObject) -> None:
    """A real workbook with a few bytes changed gives a report, never an exception."""
    buf = bytearray(sound_xlsx)
    for _ in range(data.draw(st.integers(1, 8))):
        buf[data.draw(st.integers(0, len(buf) - 1))] = data.draw(st.integers(0, 255))
    _read("flipped", io.BytesIO(bytes(buf)))


XML_NOISE = st.lists(st.sampled_from([*"<>/=\"' &;#x0123456789abcdefrcvtis:\n", '<c r="A1">', "<row>", "</row>",
                                      "<v>", "</v>", "<!--", "-->", "<![CDATA[", "]]>", "&#0;", "&amp;"]),
                     max_size=80).map("".join)


@FUZZ
@given(st.data())
def test_rewritten_xml_parts_reach_the_parser(sound_xlsx: bytes, data: st.DataObject) -> None:
    """A valid zip whose sheet, strings or workbook XML is rewritten: the limited parser reports, never raises."""
    with zipfile.ZipFile(io.BytesIO(sound_xlsx)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    name = data.draw(st.sampled_from(sorted(n for n in parts if n.endswith(".xml"))))
    original = parts[name].decode("utf-8")
    cut = data.draw(st.integers(0, len(original)))
    parts[name] = (original[:cut] + data.draw(XML_NOISE) + original[cut + data.draw(st.integers(0, 200)):]).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for n, content in parts.items():
            z.writestr(n, content)
    _read("xml", io.BytesIO(out.getvalue()))


CSV_TEXT = st.lists(st.sampled_from([*"ab,;\"\n\r\t0123456789-é\x00 ", "case_id", "member_id", "age", "\ufeff",
                                     "x" * 200_000]), max_size=60).map("".join)


@FUZZ
@given(cases=CSV_TEXT, members=CSV_TEXT, encoding=st.sampled_from(["utf-8", "cp1252", "utf-16"]))
def test_random_csv_folders(tmp_path_factory: pytest.TempPathFactory, cases: str, members: str,
                            encoding: str) -> None:
    """CSV sheets of random text in any encoding give a report, never an exception."""
    folder = tmp_path_factory.mktemp("csv")
    (folder / "cases.csv").write_bytes(cases.encode(encoding, errors="replace"))
    (folder / "members.csv").write_bytes(members.encode(encoding, errors="replace"))
    _read("csv", folder)


@pytest.mark.parametrize("path", sorted((Path(__file__).parent / "regressions").glob("*")), ids=lambda p: p.name)
def test_inputs_that_once_crashed_a_reader(path: Path) -> None:
    """Inputs the fuzzers found (e.g. atheris: a zip member with an empty name) now give a report."""
    read = _read("regression", io.BytesIO(path.read_bytes()))
    assert read.issues


def test_fuzzing_found_no_crash() -> None:
    """Every generator ran, and no input made a reader raise."""
    assert FIGURES["crashes"] == 0
    assert FIGURES["inputs"] >= 4 * 100
