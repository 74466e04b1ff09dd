"""Cell parsers: one per column kind of the spec, from whatever a cell holds to a value or a problem.

A parser never raises. It returns the parsed value, or a `CellError` saying what was expected and what
*kind* of value was found ("expected a whole number ≥ 1, got text"). The raw value is only quoted back
when the caller says it may be (`echo=True`, for the localities workbook): cells of the cases workbook
describe people and must never be echoed into messages or logs.

Values come from openpyxl (str, int, float, bool, datetime, and `UncachedFormula` for a formula whose workbook
holds no result), csv (str) or pandas (numpy scalars, NaN, NaT, NA).

Identifiers (case, member and locality ids, and lists of them) are normalised with Unicode NFKC, so that
full-width digits and letters read as their ASCII forms ('０９２２５' is '09225'), and refused when they hold a
character that shows nothing or looks like another: an invisible character (zero-width space, BOM, bidi
control, soft hyphen ...), a digit other than 0-9, a Cyrillic or Greek letter. Two ids that look the same are
then the same id, and the duplicate checks see them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matcher.i18n import Msg, _
from matcher.io.spec import FRENCH_LEVELS, MAX_ID_CHARS, Column, Kind
from matcher.models.records import HEALTH_SERVICES, LANGUAGES

__all__ = [
    "CODE_ALIASES",
    "FORMULA_WITHOUT_VALUE",
    "CellError",
    "UncachedFormula",
    "describe",
    "fold",
    "identifier_problem",
    "is_blank",
    "normalise_id",
    "parse_bool",
    "parse_cell",
    "parse_code",
    "parse_code_list",
    "parse_date",
    "parse_float",
    "parse_id",
    "parse_insee",
    "parse_insee_list",
    "parse_int",
    "parse_list",
    "parse_text",
    "plain",
    "shown_text",
    "suggest",
]


@dataclass(frozen=True, slots=True)
class CellError:
    """Why a cell could not be read: what was expected, what kind of value was found, and an optional hint."""

    expected: Msg
    found: Msg
    hint: Msg | None = None
    text: Msg | None = None  # the whole message, for a problem that is not about the kind of value

    @property
    def msg(self) -> Msg:
        """The whole message, to be written in the user's language (see :mod:`matcher.i18n`)."""
        if self.text is not None:
            return self.text
        if self.hint is not None:
            return _("expected {expected}, got {found}; {hint}", expected=self.expected, found=self.found,
                     hint=self.hint)
        return _("expected {expected}, got {found}", expected=self.expected, found=self.found)

    @property
    def message(self) -> str:
        """The whole message in English."""
        return str(self.msg)


#: The message for a formula cell whose workbook holds no saved result.
FORMULA_WITHOUT_VALUE = _("a formula without a saved value: open and save the workbook in a spreadsheet "
                          "program, or type the value")


@dataclass(frozen=True, slots=True)
class UncachedFormula:
    """A formula cell without a saved result: the workbook was written by a program that does not calculate
    (a script), and never opened and saved in a spreadsheet program.

    Readers pass it on instead of a value and `parse_cell` refuses it: read as blank, a capacity would silently
    become "no limit". `formula` is its text ('=1+1'), shown in the app's tables so the user sees what to replace.
    """

    formula: str

    def __str__(self) -> str:
        return self.formula or "="


# French and common spellings of codes, folded (see `fold`). Users type what they say, not our code lists.
CODE_ALIASES: dict[str, str] = {
    # french_level
    "aucun": "none", "aucune": "none", "neant": "none", "nul": "none", "sans": "none", "no": "none",
    "0": "none",
    # education
    "primaire": "primary", "secondaire": "secondary", "professionnel": "vocational",
    "professionnelle": "vocational", "formation_professionnelle": "vocational", "superieur": "higher",
    "superieure": "higher", "universitaire": "higher", "university": "higher",
    # public_transport
    "limite": "limited", "limitee": "limited", "bon": "good", "bons": "good", "bonne": "good",
    # health services
    "sante_mentale": "mental_health", "psychiatrie": "mental_health", "dialyse": "dialysis",
    "maternite": "maternity", "pediatrie": "pediatrics", "paediatrics": "pediatrics",
    "oncologie": "oncology", "kinesitherapie": "physiotherapy", "kine": "physiotherapy",
    "physiotherapie": "physiotherapy", "physical_therapy": "physiotherapy",
}

_TRUE = frozenset({"true", "yes", "oui", "vrai", "1", "x", "y", "o", "t", "v", "✓", "✔"})
_FALSE = frozenset({"false", "no", "non", "faux", "0", "n", "f"})
_INSEE = re.compile(r"^([0-9]{5}|2[AB][0-9]{3})$")
_CODE_SHAPE = re.compile(r"^[a-z][a-z0-9_]*$")
_LANGUAGE_SHAPE = re.compile(r"^[a-z]{2,3}$")  # ISO 639-1 or 639-3
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[ T].*)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0, accounting for its fictitious 29 February 1900
_EXCEL_SERIALS = (1, 73050)  # 1900-01-01 .. 2100-01-01: numbers outside are not dates


# Characters Unicode calls default-ignorable (they show nothing) beyond the categories refused below: the
# combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian and other variation selectors.
_IGNORABLE = frozenset(chr(c) for c in (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F,
                                        0x3164, 0xFFA0, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)))
# Controls, format characters (zero-width space and joiners, BOM, bidi controls, soft hyphen ...), private use,
# surrogates, unassigned code points, line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# Scripts with letters that look like Latin ones: Cyrillic 'С' and 'о', Greek 'Ο', Armenian 'օ', Cherokee 'Ꭺ' ...
_LOOKALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC", "LISU"})
_ID_HINT = _("type identifiers with Latin letters and the digits 0-9")


def normalise_id(text: str) -> str:
    """An identifier as compared and stored: Unicode NFKC (full-width and other compatibility forms become
    their plain forms: '０９２２５' -> '09225', 'Ｃ１' -> 'C1'), spaces around it removed."""
    return unicodedata.normalize("NFKC", text).strip()


def _character(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def identifier_problem(text: str) -> tuple[Msg, Msg] | None:
    """Why a normalised identifier could look like another one: (what was found, a hint), or None.

    The answer names a character by its code point and position, never the identifier itself.
    """
    if text.isascii() and text.isprintable():  # the usual id: nothing hidden, no look-alike
        return None
    for position, ch in enumerate(text, start=1):
        category = unicodedata.category(ch)
        if category in _HIDDEN_CATEGORIES or ch in _IGNORABLE or (category == "Zs" and ch != " "):
            return (_("an invisible character ({character}) at position {position}", character=_character(ch),
                      position=position),
                    _("delete it, or type the identifier again"))
        if category == "Nd" and not ch.isascii():
            script = unicodedata.name(ch, "").split(" DIGIT", 1)[0].capitalize()
            return _("a digit other than 0-9 ({script}) at position {position}", script=script,
                     position=position), _ID_HINT
        if ch.isalpha() and not ch.isascii():
            script = unicodedata.name(ch, "").split(" ", 1)[0]
            if script in _LOOKALIKE_SCRIPTS:
                return (_("a {script} letter at position {position}, which can look like a Latin one",
                          script=script.capitalize(), position=position), _ID_HINT)
    return None


def _checked_id(text: str, column: Column, item: int | None = None) -> str | CellError:
    """`text` (normalised) when it is a trustworthy identifier the records can hold, else why not."""
    problem = identifier_problem(text)
    if problem is not None:
        return CellError(column.expects(), _of_item(problem[0], item), problem[1])
    if len(text) > MAX_ID_CHARS:
        return CellError(column.expects(), _of_item(_("an identifier of {n} characters", n=len(text)), item),
                         _("at most {n} characters", n=MAX_ID_CHARS))
    return text


def _of_item(found: Msg, item: int | None) -> Msg:
    """What was found, in item `item` of a list cell when there is one."""
    return found if item is None else _("{found} of item {item}", found=found, item=item)


@functools.lru_cache(maxsize=4096)  # the same few codes repeat on every row of a large sheet
def fold(text: str) -> str:
    """Lower-case, strip accents, and turn spaces and '-' into '_': 'Santé mentale' -> 'sante_mentale'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\s\-]+", "_", ascii_text.strip().lower())


def plain(value: object) -> object:
    """Unwrap numpy scalars (and 0-d arrays) so the parsers and writers only see Python types."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        try:
            return value.item()
        except (TypeError, ValueError):  # an array of several values stays what it is
            return value
    return value


def is_blank(value: object) -> bool:
    """True for None, NaN, pandas NA/NaT and text made only of spaces."""
    value = plain(value)
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    # pandas' NA and NaT without importing pandas here
    return type(value).__name__ in ("NAType", "NaTType")


def shown_text(value: object, *, stripped: bool = False) -> str | None:
    """A cell as the text a spreadsheet shows: yes/no, whole numbers without '.0', dates as YYYY-MM-DD, lists
    joined with '; '; None when there is no value (None, NaN, pandas' NA).

    With `stripped`, text loses its surrounding spaces and is None when nothing is left: the form in which the
    Capacities page compares cells.
    """
    if value is None or type(value).__name__ == "NAType" or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    if isinstance(value, tuple | list):
        return "; ".join(str(v) for v in value)
    text = str(value)
    return (text.strip() or None) if stripped else text


def describe(value: object) -> Msg:
    """The kind of a value in words, for 'got ...': never the value itself."""
    value = plain(value)
    if is_blank(value):
        return _("a blank cell")
    if isinstance(value, bool):
        return _("a yes/no value")
    if isinstance(value, int):
        return _("a whole number")
    if isinstance(value, float):
        if not math.isfinite(value):
            return _("a number that is not finite")
        return _("a whole number") if value.is_integer() else _("a decimal number")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return _("a date")
    if isinstance(value, str):
        number = _text_number(value)
        if number is not None:
            return describe(number)
        return _("text")
    return _("a value of an unexpected type")


def _got(value: object, echo: bool) -> Msg:
    """What kind of value was found, with the value itself when it may be echoed."""
    kind = describe(value)
    if echo and isinstance(value, str) and not is_blank(value):
        return _("{kind} '{value}'", kind=kind, value=_shorten(value.strip()))
    if echo and isinstance(value, int | float) and not isinstance(value, bool):
        return _("{kind} {value}", kind=kind, value=str(value))
    return kind


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_number(text: str) -> float | None:
    """A number written as text ('3', ' 3.0 ', '1 200', '3,5'), or None when it is not one."""
    compact = re.sub(r"[\s\u00a0\u202f]", "", text)
    if not _NUMBER.match(compact):
        return None
    if "," in compact and "." not in compact:
        compact = compact.replace(",", ".")  # French decimal comma
    try:
        return float(compact)
    except ValueError:
        return None


def suggest(word: str, candidates: tuple[str, ...] | list[str], cutoff: float = 0.75) -> str | None:
    """The closest candidate to a mistyped code, or None when nothing is close enough."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return found[0] if found else None


# ---------------------------------------------------------------------------------------------------- parsers
# Every parser has the signature (value, column, echo) -> value | CellError and handles blank cells itself,
# so that `parse_cell` can dispatch without special cases.


def parse_id(value: object, column: Column, echo: bool = False) -> str | CellError | None:
    """An identifier kept as text: 12 and 12.0 both become '12', 'Ｃ１' becomes 'C1' (see `normalise_id`);
    dates, yes/no values, invisible characters, look-alike letters and ids over `MAX_ID_CHARS` are refused."""
    value = plain(value)
    if is_blank(value):
        return None
    if isinstance(value, (bool, dt.date | dt.datetime | dt.time)):
        return CellError(column.expects(), _got(value, echo))
    if isinstance(value, float):
        if not math.isfinite(value):
            return CellError(column.expects(), _got(value, echo))
        return _checked_id(str(int(value)) if value.is_integer() else str(value), column)
    if isinstance(value, int | str):
        return _checked_id(normalise_id(str(value)), column)
    return CellError(column.expects(), _got(value, echo))


def parse_text(value: object, column: Column, echo: bool = False) -> str | CellError | None:
    """Free text; a number is written without a spurious '.0'."""
    value = plain(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return CellError(column.expects(), _got(value, echo))
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and column.name == "departement" and 0 < value < 10:
        return f"{value:02d}"  # a département code stored as a number lost its leading zero
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _insee_text(value: object) -> str | None:
    """The INSEE code a cell holds, padded when a number lost its leading zero, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = normalise_id(value).upper()
        if re.fullmatch(r"[0-9]+\.0+", text):  # a CSV written from a float column: '9225.0'
            text = text.split(".")[0]
    else:
        return None
    if re.fullmatch(r"[0-9]{4}", text):
        text = "0" + text
    if _INSEE.match(text) and not text.startswith("00"):
        return text
    return None


def parse_insee(value: object, column: Column, echo: bool = False) -> str | CellError | None:
    """An INSEE commune code as text: 9225, 9225.0 and '9225' give '09225'; '2a004' gives '2A004'."""
    value = plain(value)
    if is_blank(value):
        return None
    code = _insee_text(value)
    if code is None:
        problem = identifier_problem(normalise_id(value)) if isinstance(value, str) else None
        if problem is not None:
            return CellError(column.expects(), *problem)
        return CellError(column.expects(), _got(value, echo))
    return code


def _number(value: object) -> float | None:
    """A number from a number or numeric text, or None when the value is not a number at all."""
    if isinstance(value, (bool, dt.date | dt.datetime | dt.time)):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return _text_number(value)
    return None


def _range_problem(x: float, column: Column, echo: bool) -> Msg | None:
    """Why `x` is outside the column's range (with `x` itself when it may be echoed), or None."""
    problem = None
    if column.minimum is not None and x < column.minimum:
        problem = _("a negative number") if column.minimum == 0 else _("a number below the minimum")
    elif column.maximum is not None and x > column.maximum:
        problem = _("a number above the maximum")
    if problem is None or not echo:
        return problem
    return _("{kind} {value}", kind=problem, value=_fmt(x))


def parse_int(value: object, column: Column, echo: bool = False) -> int | CellError | None:
    """A whole number within the column's range: 3, 3.0, '3' and ' 3 ' are accepted; 3.5 and text are not."""
    value = plain(value)
    if is_blank(value):
        return None
    # Python ints are exact; going through float would round ids beyond 2**53
    if isinstance(value, int) and not isinstance(value, bool):
        x: float = value
    else:
        number = _number(value)
        if number is None or not math.isfinite(number) or not number.is_integer():
            return CellError(column.expects(), _got(value, echo))
        x = number
    problem = _range_problem(x, column, echo)
    if problem:
        return CellError(column.expects(), problem)
    return int(x)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def parse_float(value: object, column: Column, echo: bool = False) -> float | CellError | None:
    """A finite number within the column's range; '3,5' (French decimal comma) reads as 3.5."""
    value = plain(value)
    if is_blank(value):
        return None
    number = _number(value)
    if number is None or not math.isfinite(number):
        return CellError(column.expects(), _got(value, echo))
    problem = _range_problem(number, column, echo)
    if problem:
        return CellError(column.expects(), problem)
    return number


def parse_bool(value: object, column: Column, echo: bool = False) -> bool | CellError:
    """Yes or no: true/false, yes/no, oui/non, vrai/faux, 1/0, x/blank, in any case, accents ignored."""
    value = plain(value)
    if is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = fold(value)
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        number = _text_number(value)
        if number in (0.0, 1.0):
            return number == 1.0
    return CellError(column.expects(), _got(value, echo))


def parse_date(value: object, column: Column, echo: bool = False) -> dt.date | CellError | None:
    """A date: a spreadsheet date, an Excel day number, 'YYYY-MM-DD' or 'dd/mm/yyyy'."""
    value = plain(value)
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return CellError(column.expects(), _got(value, echo))
    serial: float | None = None
    if isinstance(value, int | float):
        serial = float(value)
    elif isinstance(value, str):
        text = value.strip()
        ymd, dmy = _YMD.match(text), _DMY.match(text)
        try:
            if ymd:
                return dt.date(int(ymd[1]), int(ymd[2]), int(ymd[3]))
            if dmy:
                return dt.date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
        except ValueError:
            return CellError(column.expects(), _("an impossible date"))
        serial = _text_number(text)
    if serial is not None and math.isfinite(serial) and _EXCEL_SERIALS[0] <= serial <= _EXCEL_SERIALS[1]:
        return _EXCEL_EPOCH + dt.timedelta(days=int(serial))
    return CellError(column.expects(), _got(value, echo))


@functools.lru_cache(maxsize=64)
def _folded(choices: tuple[str, ...]) -> dict[str, str]:
    return {fold(c): c for c in choices}


def _canonical_code(word: str, choices: tuple[str, ...]) -> str | None:
    """The choice a folded word names, ignoring case, accents, aliases: 'b1' -> 'B1', 'aucun' -> 'none'."""
    by_fold = _folded(choices)
    if word in by_fold:
        return by_fold[word]
    alias = CODE_ALIASES.get(word)
    if alias is not None and fold(alias) in by_fold:
        return by_fold[fold(alias)]
    return None


def parse_code(value: object, column: Column, echo: bool = False) -> str | CellError | None:
    """One code of the column's list, matched ignoring case and accents; blank French level means 'none'."""
    value = plain(value)
    if is_blank(value):
        return "none" if column.choices == FRENCH_LEVELS else None
    if isinstance(value, (bool, dt.date | dt.datetime | dt.time)):
        return CellError(column.expects(), _got(value, echo))
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    word = fold(str(value))
    code = _canonical_code(word, column.choices)
    if code is not None:
        return code
    close = suggest(word, [fold(c) for c in column.choices])
    hint = _("did you mean '{code}'?", code=_canonical_code(close, column.choices)) if close else None
    found = _("an unknown code '{code}'", code=_shorten(str(value).strip())) if echo else _("an unknown code")
    return CellError(column.expects(), found, hint)


def _items(value: object, column: Column, echo: bool) -> list[str] | CellError:
    """The ';'-separated items of a list cell, stripped, blanks dropped, duplicates dropped keeping order."""
    if isinstance(value, (bool, dt.date | dt.datetime | dt.time)):
        return CellError(column.expects(), _got(value, echo))
    if isinstance(value, float):
        if not math.isfinite(value):
            return CellError(column.expects(), _got(value, echo))
        value = int(value) if value.is_integer() else value
    items = [part.strip() for part in str(value).split(";")]
    if any("," in item for item in items):
        return CellError(column.expects(), _("items separated by ','"), _("use ';' between items"))
    return list(dict.fromkeys(item for item in items if item))


def parse_list(value: object, column: Column, echo: bool = False) -> tuple[str, ...] | CellError:
    """A ';'-separated list of identifiers, each checked like `parse_id`; blank is the empty list."""
    value = plain(value)
    if is_blank(value):
        return ()
    items = _items(normalise_id(value) if isinstance(value, str) else value, column, echo)
    if isinstance(items, CellError):
        return items
    ids: list[str] = []
    for position, item in enumerate(items, start=1):
        checked = _checked_id(item, column, position)
        if isinstance(checked, CellError):
            return checked
        ids.append(checked)
    return tuple(dict.fromkeys(ids))


def parse_insee_list(value: object, column: Column, echo: bool = False) -> tuple[str, ...] | CellError:
    """A ';'-separated list of INSEE codes, each padded like `parse_insee`."""
    value = plain(value)
    if is_blank(value):
        return ()
    if isinstance(value, str):
        value = normalise_id(value)  # before splitting: a full-width '；' separates items too
    items = value if isinstance(value, int) and not isinstance(value, bool) else _items(value, column, echo)
    if isinstance(items, CellError):
        return items
    raw_items = [items] if isinstance(items, int) else items
    codes: list[str] = []
    for position, item in enumerate(raw_items, start=1):
        code = _insee_text(item)
        problem = identifier_problem(item) if code is None and isinstance(item, str) else None
        if problem is not None:
            return CellError(column.expects(), _of_item(problem[0], position), problem[1])
        if code is None:
            found = (_("item {item} '{value}'", item=position, value=_shorten(str(item))) if echo
                     else _("text in item {item}", item=position))
            return CellError(column.expects(), found, _("each item must be a 5-character INSEE code"))
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def parse_code_list(value: object, column: Column, echo: bool = False) -> tuple[str, ...] | CellError:
    """A ';'-separated list of codes, folded to the code list's spelling.

    A code outside the column's list is accepted when it is well formed (a family may speak a language
    that is not in the dropdown); one that looks like a typo of a listed code is refused with a
    suggestion. Whether any locality offers the code is checked later, across sheets.
    """
    value = plain(value)
    if is_blank(value):
        return ()
    items = _items(value, column, echo)
    if isinstance(items, CellError):
        return items
    shape = _LANGUAGE_SHAPE if column.choices == LANGUAGES else _CODE_SHAPE
    codes: list[str] = []
    for position, item in enumerate(items, start=1):
        word = fold(item)
        code = _canonical_code(word, column.choices)
        if code is None:
            if not shape.match(word):
                found = (_("item {item} '{value}'", item=position, value=_shorten(item)) if echo
                         else _("a malformed code in item {item}", item=position))
                return CellError(column.expects(), found, _shape_hint(column))
            close = suggest(word, column.choices)
            if close is not None:
                found = (_("an unknown code '{code}'", code=_shorten(item)) if echo
                         else _("an unknown code in item {item}", item=position))
                return CellError(column.expects(), found, _("did you mean '{code}'?", code=close))
            code = word
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _shape_hint(column: Column) -> Msg:
    """How the codes of a column are written."""
    if column.choices == LANGUAGES:
        return _("use ISO 639 language codes such as ar, fa, uk")
    if column.choices == HEALTH_SERVICES:
        return _("use codes such as {codes}", codes=", ".join(HEALTH_SERVICES[:3]))
    return _("codes are lower-case words joined by '_'")


_PARSERS: dict[Kind, Callable[[object, Column, bool], Any]] = {
    Kind.ID: parse_id,
    Kind.INSEE: parse_insee,
    Kind.TEXT: parse_text,
    Kind.INT: parse_int,
    Kind.FLOAT: parse_float,
    Kind.BOOL: parse_bool,
    Kind.DATE: parse_date,
    Kind.CODE: parse_code,
    Kind.LIST: parse_list,
    Kind.CODE_LIST: parse_code_list,
    Kind.INSEE_LIST: parse_insee_list,
}


def parse_cell(value: object, column: Column, echo: bool = False) -> Any:
    """Parse one cell for a column: the value (None when blank and optional) or a `CellError`.

    Parameters
    ----------
    value
        What the spreadsheet, CSV or DataFrame holds.
    column
        The spec column, which gives the kind, range and code list.
    echo
        Whether the raw value may be quoted in the error (never for the cases workbook: personal data).
    """
    if isinstance(value, UncachedFormula):
        return CellError(column.expects(), _("a formula without a saved value"), text=FORMULA_WITHOUT_VALUE)
    try:
        if column.required and is_blank(value):
            return CellError(column.expects(), _("a blank cell"), _("this column is required"))
        return _PARSERS[column.kind](value, column, echo)
    except Exception:  # a parser bug must surface as a located problem, not a crash of the whole read
        return CellError(column.expects(), describe(value))
