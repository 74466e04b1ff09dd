"""The notices' message catalogs: one TOML file per language under ``matcher/notice/messages/``.

A catalog is a plain TOML file that a translator edits without touching the code: ``[text]`` holds the sentences,
by message id, with ``{name}`` placeholders (and the few tags ReportLab's paragraphs understand, ``<b>`` and
``<i>``); the other tables give the label of each code (``[component]``, ``[rule]``, ``[language]`` ...);
``[format]`` says how numbers and dates are written. TOML was chosen over gettext because the standard library
reads it (no compiled ``.mo`` files, no new dependency) and because a message id with its placeholders is exactly
what a key of a TOML table holds.

Every value a user typed (a commune's name, an id, the policy's review text) is *text*: :meth:`Catalog.text`
escapes every parameter before it enters a sentence, so that ``<font size=40>`` in a name is printed as written.
"""

from __future__ import annotations

import datetime as dt
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from matcher.i18n.labels import TABLES, label

MESSAGES = Path(__file__).parent / "messages"
#: The languages a notice is written in, French first.
LANGS: tuple[str, ...] = ("fr", "en")


class Markup(str):
    """A piece of text already made safe for a paragraph (a catalog's own sentence with its values escaped)."""

    __slots__ = ()


@dataclass(frozen=True)
class Code:
    """A code shown by its label in the reader's language: `table` names the catalog's table (``language``,
    ``service``, ``rule`` ...), `value` the code (``ti``, ``gp``); an unknown code is shown as written."""

    table: str
    value: str


@dataclass(frozen=True)
class Number:
    """A number written in the reader's locale with `digits` decimals."""

    value: float
    digits: int = 0


@dataclass(frozen=True)
class Msg:
    """A sentence of the catalog by its id, with its values: how the notices' content names what to say without
    saying it in any language."""

    id: str
    params: Mapping[str, object] = field(default_factory=dict)


class CatalogError(ValueError):
    """A catalog that cannot be used: the message names the file and the key."""


@cache
def _load(lang: str) -> dict[str, Any]:
    """The catalog of `lang`, read once per process."""
    path = MESSAGES / f"{lang}.toml"
    if lang not in LANGS:
        raise CatalogError(f"no notice catalog for language {lang!r} (languages: {', '.join(LANGS)})")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{path.name}: cannot be read ({exc})") from None


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a sentence of a catalog expects."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Catalog:
    """The sentences and labels of one language, and its way of writing numbers and dates."""

    def __init__(self, lang: str) -> None:
        """The catalog of `lang` (one of `LANGS`); raise CatalogError for another language or a bad file."""
        self.lang = lang
        self.data = _load(lang)
        fmt = self.data.get("format", {})
        self._decimal = str(fmt.get("decimal", "."))
        self._thousands = str(fmt.get("thousands", ","))
        self._date = str(fmt.get("date", "%Y-%m-%d"))

    def text(self, msg_id: str, **params: object) -> Markup:
        """The sentence `msg_id` with its placeholders filled, every value escaped (see the module's doc)."""
        try:
            template = self.data["text"][msg_id]
        except KeyError:
            raise CatalogError(f"{self.lang}.toml: no message {msg_id!r} in [text]") from None
        return Markup(template.format(**{k: self.value(v) for k, v in params.items()}))

    def plain(self, msg_id: str, **params: object) -> str:
        """The sentence `msg_id` as plain text, for places that draw text rather than parse it (a page's foot):
        its values as written, numbers in this language."""
        template = self.data["text"][msg_id]
        return str(template.format(**{k: self.number(v) if isinstance(v, int) else str(v) for k, v in params.items()}))

    def value(self, value: object) -> Markup:
        """One value as safe text: labels for codes, locale numbers and dates, lists joined, the rest escaped."""
        if isinstance(value, Markup):
            return value
        if isinstance(value, Msg):
            return self.text(value.id, **value.params)
        if isinstance(value, Code):
            return self.label(value.table, value.value)
        if isinstance(value, Number):
            return Markup(self.number(value.value, value.digits))
        if isinstance(value, bool):
            return self.text("yes" if value else "no")
        if isinstance(value, int):
            return Markup(self.number(value))
        if isinstance(value, float):
            return Markup(self.number(value, 2))
        if isinstance(value, dt.date):
            return Markup(value.strftime(self._date))
        if isinstance(value, list | tuple):
            return Markup(self.data["text"]["list_separator"].join(self.value(v) for v in value))
        return Markup(escape(str(value)))

    def label(self, table: str, code: str) -> Markup:
        """The label of `code` in the table `table`; the code itself, escaped, when the catalog has none. The
        names of languages, sectors and health services are the library's (:mod:`matcher.i18n.labels`)."""
        if table in TABLES:
            return Markup(escape(label(table, code, self.lang)))
        return Markup(escape(str(self.data.get(table, {}).get(code, code))))

    def number(self, x: float, digits: int = 0) -> str:
        """`x` with `digits` decimals in this language: ``1 234,5`` in French, ``1,234.5`` in English."""
        whole, _, frac = f"{abs(x):,.{digits}f}".partition(".")
        out = whole.replace(",", self._thousands) + (self._decimal + frac if frac else "")
        return ("-" if x < 0 and float(f"{abs(x):.{digits}f}") else "") + out

    def date(self, day: dt.date) -> str:
        """A date in this language's format (``03/12/2026`` in French)."""
        return day.strftime(self._date)
