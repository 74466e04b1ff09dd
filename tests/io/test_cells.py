"""Cell parsers: each kind of cell to a value or a CellError, never an exception, never echoing personal values."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.io import cells
from matcher.io.cells import CellError, parse_cell
from matcher.io.spec import CASES, LOCALITIES, Column, Kind

ALL_COLUMNS = [c for wb in (CASES, LOCALITIES) for s in wb.sheets for c in s.columns]


def col(sheet: str, name: str) -> Column:
    """The spec column `name` of `sheet` in either workbook."""
    for wb in (CASES, LOCALITIES):
        for s in wb.sheets:
            if s.name == sheet:
                return s.column(name)
    raise KeyError(sheet)


BEDROOMS = col("housing", "bedrooms")
AGE = col("members", "age")
UNITS = col("housing", "units")
LAT = col("localities", "lat")
STEP_FREE = col("housing", "step_free")
LID = col("localities", "locality_id")
ARRIVAL = col("cases", "arrival_date")
FRENCH = col("members", "french_level")
EDUCATION = col("members", "education")
SECTOR = col("members", "sector")
SERVICE = col("services", "service")
LINKED = col("cases", "linked_case_ids")
PREFERRED = col("cases", "preferred_locality_ids")
HEALTH = col("cases", "health_services")
LANGUAGES = col("members", "languages")
CASE_ID = col("cases", "case_id")
DEPARTEMENT = col("localities", "departement")
PRIORITY = col("cases", "priority")

PARSERS: dict[Kind, Callable[..., Any]] = {
    Kind.ID: cells.parse_id,
    Kind.INSEE: cells.parse_insee,
    Kind.TEXT: cells.parse_text,
    Kind.INT: cells.parse_int,
    Kind.FLOAT: cells.parse_float,
    Kind.BOOL: cells.parse_bool,
    Kind.DATE: cells.parse_date,
    Kind.CODE: cells.parse_code,
    Kind.LIST: cells.parse_list,
    Kind.CODE_LIST: cells.parse_code_list,
    Kind.INSEE_LIST: cells.parse_insee_list,
}

# Anything a cell can hold: openpyxl, csv and pandas values, including the awkward ones.
any_cell = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="0123456789.,;- eE+/").map(str),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.sampled_from([float("nan"), pd.NA, pd.NaT, np.int64(3), np.float64(2.5), np.bool_(True), "  ", "x", "oui"]),
)


def test_every_kind_has_a_parser() -> None:
    """The public parsers cover every Kind of the spec."""
    assert set(PARSERS) == set(Kind)


@pytest.mark.parametrize("kind", list(Kind))
@given(value=any_cell, echo=st.booleans(), data=st.data())
def test_parsers_never_raise(kind: Kind, value: Any, echo: bool, data: st.DataObject) -> None:
    """Every parser turns any cell value into a value or a CellError, without an exception."""
    column = data.draw(st.sampled_from([c for c in ALL_COLUMNS if c.kind == kind] or [Column("x", kind)]))
    result = PARSERS[kind](value, column, echo)
    if isinstance(result, CellError):
        assert result.message.startswith("expected ")


@given(text=st.text(min_size=0), column=st.sampled_from(ALL_COLUMNS))
def test_errors_never_echo_text_unless_allowed(text: str, column: Column) -> None:
    """With echo off, a CellError never quotes the cell's text (a marker string never shows)."""
    result = parse_cell("ZQXCANARY" + text, column, echo=False)
    if isinstance(result, CellError):
        assert "ZQXCANARY" not in result.message.upper()


@given(n=st.integers(min_value=-10**6, max_value=10**6))
def test_int_errors_never_echo_numbers(n: int) -> None:
    """An out-of-range age is described, not quoted."""
    result = cells.parse_int(n * 1000 + 777, AGE, echo=False)
    if isinstance(result, CellError):
        assert str(n * 1000 + 777) not in result.message


@given(n=st.integers(min_value=1, max_value=10))
def test_int_accepts_whole_numbers_in_every_spelling(n: int) -> None:
    """3, 3.0, '3' and ' 3 ' all read as 3."""
    for value in (n, float(n), str(n), f" {n} ", f"{n}.0", np.int64(n)):
        assert cells.parse_int(value, BEDROOMS) == n


@pytest.mark.parametrize(
    ("value", "found"),
    [("three", "got text"), (3.5, "got a decimal number"), ("3.5", "got a decimal number"),
     (0, "got a number below the minimum"), (True, "got a yes/no value"), (dt.date(2024, 1, 1), "got a date")],
)
def test_int_refuses_with_the_kind_found(value: Any, found: str) -> None:
    """Bedrooms say what they expect and what kind of value they got."""
    result = cells.parse_int(value, BEDROOMS)
    assert isinstance(result, CellError)
    assert result.message == f"expected a whole number from 1 to 10, {found}"


def test_int_units_message_matches_design() -> None:
    """A text in a count column reads 'expected a whole number ≥ 0, got text'."""
    result = cells.parse_int("plenty", UNITS)
    assert isinstance(result, CellError)
    assert result.message == "expected a whole number ≥ 0, got text"


def test_int_range_quotes_value_only_with_echo() -> None:
    """A negative count is quoted for a locality sheet, described for a personal one."""
    assert "-2" in cells.parse_int(-2, UNITS, echo=True).message  # type: ignore[union-attr]
    assert "130" not in cells.parse_int(130, AGE, echo=False).message  # type: ignore[union-attr]


def test_blank_int_is_none_and_required_blank_is_an_error() -> None:
    """An optional blank is None; a required blank is reported."""
    assert parse_cell(None, col("localities", "max_persons")) is None
    assert parse_cell(float("nan"), col("localities", "max_persons")) is None
    result = parse_cell("  ", BEDROOMS)
    assert isinstance(result, CellError)
    assert str(result.found) == "a blank cell"


def test_float_reads_decimal_comma_and_refuses_out_of_range() -> None:
    """'43,6' is 43.6; a latitude of 143 is out of range."""
    assert cells.parse_float("43,6", LAT) == pytest.approx(43.6)
    assert cells.parse_float(" 1.5 ", LAT) == 1.5
    assert isinstance(cells.parse_float(143, LAT), CellError)
    assert isinstance(cells.parse_float("north", LAT), CellError)
    assert isinstance(cells.parse_float(float("inf"), LAT), CellError)


@pytest.mark.parametrize("word", ["true", "Yes", "OUI", "vrai", "1", "x", "X", 1, 1.0, True, "Oui "])
def test_bool_true_words(word: Any) -> None:
    """Every documented spelling of yes reads as True."""
    assert cells.parse_bool(word, STEP_FREE) is True


@pytest.mark.parametrize("word", ["false", "No", "NON", "faux", "0", "", None, 0, False, float("nan")])
def test_bool_false_words_and_blank(word: Any) -> None:
    """Every documented spelling of no, and a blank cell, reads as False."""
    assert cells.parse_bool(word, STEP_FREE) is False


@given(word=st.sampled_from(["true", "yes", "oui", "vrai", "false", "no", "non", "faux"]), data=st.data())
def test_bool_ignores_case(word: str, data: st.DataObject) -> None:
    """Any capitalisation of a yes/no word reads the same."""
    flips = data.draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    mixed = "".join(ch.upper() if f else ch for ch, f in zip(word, flips, strict=True))
    assert cells.parse_bool(mixed, STEP_FREE) is (word in ("true", "yes", "oui", "vrai"))


def test_bool_refuses_other_words() -> None:
    """'maybe' and 2 are neither yes nor no."""
    assert isinstance(cells.parse_bool("maybe", STEP_FREE), CellError)
    assert isinstance(cells.parse_bool(2, STEP_FREE), CellError)


@pytest.mark.parametrize("value", [9225, 9225.0, "9225", " 09225 ", "9225.0", np.int64(9225)])
def test_insee_pads_lost_leading_zero(value: Any) -> None:
    """An INSEE code stored as a number gets its leading zero back."""
    assert cells.parse_insee(value, LID) == "09225"


def test_insee_corsica_and_refusals() -> None:
    """Corsican codes keep their letter; other shapes are refused."""
    assert cells.parse_insee("2a004", LID) == "2A004"
    assert cells.parse_insee("2B033", LID) == "2B033"
    for bad in ("Pamiers", 123, "123456", "00123", 9225.5, True, "2C004"):
        assert isinstance(cells.parse_insee(bad, LID), CellError), bad


@given(n=st.integers(min_value=1001, max_value=99999))
def test_insee_numbers_round_trip(n: int) -> None:
    """Any 4- or 5-digit number reads as its 5-digit code (unless it starts with 00)."""
    result = cells.parse_insee(n, LID)
    assert result == f"{n:05d}"


def test_dates_in_every_supported_shape() -> None:
    """ISO text, dd/mm/yyyy, Excel day numbers and spreadsheet dates all read as the same date."""
    want = dt.date(2024, 3, 5)
    for value in ("2024-03-05", "05/03/2024", "5.3.2024", "2024-03-05T00:00:00", dt.datetime(2024, 3, 5, 9),
                  want, 45356, 45356.0, "45356", pd.Timestamp("2024-03-05")):
        assert cells.parse_date(value, ARRIVAL) == want, value


def test_dates_refused() -> None:
    """An impossible date, text or a small number is not a date."""
    impossible = cells.parse_date("31/02/2024", ARRIVAL)
    assert isinstance(impossible, CellError) and str(impossible.found) == "an impossible date"
    assert isinstance(cells.parse_date("soon", ARRIVAL), CellError)
    assert isinstance(cells.parse_date(-3, ARRIVAL), CellError)
    assert isinstance(cells.parse_date(True, ARRIVAL), CellError)


def test_codes_ignore_case_accents_and_french_words() -> None:
    """'b1' is B1, 'aucun' and blank are none for the French level; French words map to codes."""
    assert cells.parse_code("b1", FRENCH) == "B1"
    assert cells.parse_code("aucun", FRENCH) == "none"
    assert cells.parse_code("NONE", FRENCH) == "none"
    assert cells.parse_code(None, FRENCH) == "none"
    assert cells.parse_code("Supérieur", EDUCATION) == "higher"
    assert cells.parse_code(None, EDUCATION) is None
    assert cells.parse_code("Health care", SECTOR) == "health_care"
    assert cells.parse_code("Dialyse", SERVICE) == "dialysis"


def test_code_typo_gets_a_suggestion_and_quotes_only_with_echo() -> None:
    """A misspelt service is refused with 'did you mean'; the typed value is quoted only when allowed."""
    result = cells.parse_code("dyalisis", SERVICE, echo=True)
    assert isinstance(result, CellError)
    assert "'dyalisis'" in result.message and "did you mean 'dialysis'?" in result.message
    private = cells.parse_code("higer", EDUCATION, echo=False)
    assert isinstance(private, CellError)
    assert "higer" not in private.message


def test_lists_split_on_semicolons_only() -> None:
    """Items are split on ';', stripped, blanks and repeats dropped; ',' is refused with a hint."""
    assert cells.parse_list(" C1 ; C2;;C1 ", LINKED) == ("C1", "C2")
    assert cells.parse_list(None, LINKED) == ()
    assert cells.parse_list(12.0, LINKED) == ("12",)
    comma = cells.parse_list("C1, C2", LINKED)
    assert isinstance(comma, CellError) and "use ';'" in comma.message


def test_insee_lists_pad_each_item() -> None:
    """Every item of a locality list is an INSEE code, padded when needed."""
    assert cells.parse_insee_list("9225; 31555", PREFERRED) == ("09225", "31555")
    assert cells.parse_insee_list(9225, PREFERRED) == ("09225",)
    bad = cells.parse_insee_list("09225;Toulouse", PREFERRED)
    assert isinstance(bad, CellError) and "item 2" in bad.message and "Toulouse" not in bad.message


def test_code_lists_fold_accept_rare_codes_and_catch_typos() -> None:
    """'AR; Fa' reads as ar, fa; a rare ISO code is kept; a near miss of a listed code is an error."""
    assert cells.parse_code_list("AR; Fa", LANGUAGES) == ("ar", "fa")
    assert cells.parse_code_list("ne", LANGUAGES) == ("ne",)
    assert isinstance(cells.parse_code_list("arabic", LANGUAGES), CellError)
    assert cells.parse_code_list("Santé mentale;dialyse", HEALTH) == ("mental_health", "dialysis")
    typo = cells.parse_code_list("dialysiss", HEALTH)
    assert isinstance(typo, CellError) and "did you mean 'dialysis'?" in typo.message
    assert "dialysiss" not in typo.message


def test_ids_are_text() -> None:
    """Ids stay text: 12 and 12.0 are '12'; dates are refused."""
    assert cells.parse_id(12, CASE_ID) == "12"
    assert cells.parse_id(12.0, CASE_ID) == "12"
    assert cells.parse_id(" A-1 ", CASE_ID) == "A-1"
    assert isinstance(cells.parse_id(dt.date(2024, 1, 1), CASE_ID), CellError)


def test_text_keeps_departement_zero() -> None:
    """A département typed as the number 9 reads as '09'; other numbers lose a spurious '.0'."""
    assert cells.parse_text(9, DEPARTEMENT) == "09"
    assert cells.parse_text(31.0, DEPARTEMENT) == "31"
    assert cells.parse_text("2A", DEPARTEMENT) == "2A"


def test_priority_is_a_whole_number_from_0_to_2() -> None:
    """Priority 2 is read, 3 is out of range."""
    assert parse_cell("2", PRIORITY) == 2
    assert isinstance(parse_cell(3, PRIORITY), CellError)


def test_blank_detection_covers_pandas_missing_values() -> None:
    """None, NaN, NA, NaT and spaces are blank; 0 and False are not."""
    for value in (None, float("nan"), np.float64("nan"), pd.NA, pd.NaT, " \t"):
        assert cells.is_blank(value)
    for value in (0, False, "0", math.pi):
        assert not cells.is_blank(value)


# ------------------------------------------------------------------------------------------- identifiers
MEMBER_ID = col("members", "member_id")
TIE = col("cases", "tie_locality_id")
EXCLUDED = col("cases", "excluded_locality_ids")

#: Characters that show nothing, or reorder what is shown: each must be refused inside an identifier.
INVISIBLE = {
    "\u200b": "ZERO WIDTH SPACE", "\u200c": "ZERO WIDTH NON-JOINER", "\u200d": "ZERO WIDTH JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE", "\u2060": "WORD JOINER", "\u00ad": "SOFT HYPHEN",
    "\u200e": "LEFT-TO-RIGHT MARK", "\u202e": "RIGHT-TO-LEFT OVERRIDE", "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u034f": "COMBINING GRAPHEME JOINER", "\ufe0f": "VARIATION SELECTOR-16",
    "\u3164": "HANGUL JUNGSEONG FILLER",  # NFKC folds the Hangul filler U+3164 to U+1160
    "\x07": "U+0007", "\x1b": "U+001B", "\ue000": "U+E000", "\u2028": "LINE SEPARATOR",
}


def test_full_width_ids_read_as_ascii() -> None:
    """NFKC: full-width digits and letters, and a full-width ';', read as their plain forms."""
    assert cells.parse_id("Ｃ０００１", CASE_ID) == "C0001"
    assert cells.parse_id("ＥＸ－００１－１", MEMBER_ID) == "EX-001-1"
    assert cells.parse_insee("０９２２５", LID) == "09225"
    assert cells.parse_insee("２ａ００４", TIE) == "2A004"
    assert cells.parse_insee_list("０９２２５；３１５５５", PREFERRED) == ("09225", "31555")
    assert cells.parse_list("Ｃ１；C2", LINKED) == ("C1", "C2")
    assert cells.parse_id("dossier-é", CASE_ID) == "dossier-é"  # accented Latin letters stay as typed


@pytest.mark.parametrize("char", list(INVISIBLE))
def test_invisible_characters_in_ids_are_refused(char: str) -> None:
    """An invisible character inside a case, member or locality id, or in an id list, is an error naming the
    character and its place, never the id (spaces and line breaks around an id are trimmed, as before)."""
    for parse, column, value in ((cells.parse_id, CASE_ID, f"C0{char}001"), (cells.parse_id, MEMBER_ID, f"M{char}1"),
                                 (cells.parse_insee, LID, f"63{char}178"), (cells.parse_insee, TIE, f"6{char}3178"),
                                 (cells.parse_list, LINKED, f"C2;C{char}1"),
                                 (cells.parse_insee_list, PREFERRED, f"31555;6317{char}8"),
                                 (cells.parse_insee_list, EXCLUDED, f"6317{char}8")):
        result = parse(value, column, True)
        assert isinstance(result, CellError), (column.name, value)
        assert "an invisible character" in result.message and INVISIBLE[char] in result.message
        assert "63178" not in result.message and "C0" not in result.message and "M1" not in result.message
    listed = cells.parse_list(f"C2;C{char}1", LINKED)
    assert isinstance(listed, CellError) and "at position 2 of item 2" in listed.message


@pytest.mark.parametrize("value", ["С1", "C0О01", "Ρamiers", "Pаmiers", "Օ1", "ᏟᎪ"])
def test_look_alike_letters_in_ids_are_refused(value: str) -> None:
    """Cyrillic, Greek, Armenian or Cherokee letters that look like Latin ones make two ids look the same."""
    result = cells.parse_id(value, CASE_ID)
    assert isinstance(result, CellError) and "can look like a Latin one" in result.message
    assert value not in result.message
    linked = cells.parse_list(f"C1;{value}", LINKED)
    assert isinstance(linked, CellError) and "of item 2" in linked.message


def test_digits_other_than_ascii_are_refused_in_ids() -> None:
    """Arabic-Indic and other decimal digits are not NFKC-folded: refused, named by their script."""
    result = cells.parse_id("C٣", CASE_ID)
    assert isinstance(result, CellError) and "a digit other than 0-9 (Arabic-indic)" in result.message
    insee = cells.parse_insee("٠٩٢٢٥", LID, echo=True)
    assert isinstance(insee, CellError) and "a digit other than 0-9" in insee.message


def test_ids_longer_than_the_records_hold_are_refused() -> None:
    """Ids up to `MAX_ID_CHARS` characters are kept; one more is an error naming the length and the limit."""
    from matcher.io.spec import MAX_ID_CHARS, MAX_LOCALITY_ID_CHARS

    assert cells.parse_id("C" * MAX_ID_CHARS, CASE_ID) == "C" * MAX_ID_CHARS
    for value in ("C" * (MAX_ID_CHARS + 1), "Ｃ" * 300):
        result = cells.parse_id(value, CASE_ID)
        assert isinstance(result, CellError)
        assert result.message.endswith(f"characters; at most {MAX_ID_CHARS} characters")
    linked = cells.parse_list("C1;" + "C" * 300, LINKED)
    assert isinstance(linked, CellError) and "an identifier of 300 characters of item 2" in linked.message
    # Locality ids are INSEE codes: 5 characters, well within the records' column; 60 are refused.
    assert len(cells.parse_insee("2A004", LID)) <= MAX_LOCALITY_ID_CHARS
    long = cells.parse_insee("0" * 60, LID, echo=True)
    assert isinstance(long, CellError) and "(5 characters" in long.message


def test_formula_without_a_saved_value_is_an_error_in_every_column() -> None:
    """A formula cell with no saved result is never read as blank, whatever the column."""
    for column in ALL_COLUMNS:
        result = parse_cell(cells.UncachedFormula("=1+1"), column)
        assert isinstance(result, CellError), column.name
        assert result.message == str(cells.FORMULA_WITHOUT_VALUE)
