"""Messages as data: what the library says to a user is a :class:`Msg` (an English sentence with named
placeholders, and its values), put in words only at the edge, in the user's language.

The sentences are gettext messages: the English text is the message id (as gettext and every translation tool
expect), the translations are PO catalogs (``matcher/i18n/locale/<lang>/LC_MESSAGES/matcher.po``) that translators
edit with any PO editor (Poedit, Weblate) and that Babel reads at first use, with no compile step. Numbers and dates
are written in the language's way by Babel (``1 234,5`` and ``03/12/2026`` in French).

Code marks a sentence with :func:`_` (or :func:`_n` for one whose words follow a count), which only records it:
``_("case '{case}' is not in the cases sheet", case=cid)``. :meth:`Msg.render` (or :func:`render`) writes it in a
language; ``str(msg)`` writes it in English. `pybabel extract` (and the test that compares the catalogs with the
code) finds every sentence by these two names.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from gettext import c2py
from pathlib import Path
from typing import Annotated, Any

from babel import Locale
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from pydantic import PlainSerializer, SkipValidation

from matcher.i18n.labels import Code

#: The languages the library speaks, the first the default.
LANGS = ("fr", "en")
#: Where the PO catalogs are.
LOCALE_DIR = Path(__file__).with_name("locale")
#: The gettext domain of the library's messages.
DOMAIN = "matcher"


class Msg(str):
    """A sentence to show a user: its English words (so that it reads, compares and serialises as the English
    string it is), and what it takes to say it in another language: its English text (the gettext message id,
    with ``{name}`` placeholders), the values of its placeholders, and for a sentence whose words follow a count,
    its English plural and the count (the placeholder ``{n}``). Values may be numbers, dates, codes, other messages
    or lists of them: each is written in the language of the whole."""

    text: str
    params: Mapping[str, Any]
    plural: str | None
    n: int | None

    def __new__(cls, text: str, params: Mapping[str, Any] | None = None, plural: str | None = None,
                n: int | None = None) -> Msg:
        values = dict(params or {})
        self = super().__new__(cls, _words(text, values, plural, n, "en"))
        self.text, self.params, self.plural, self.n = text, values, plural, n
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self.text, self.params, self.plural, self.n)

    def render(self, lang: str = "en") -> str:
        """The sentence in `lang` (``fr`` or ``en``); English where the catalog has no translation."""
        return str(self) if lang == "en" else _words(self.text, self.params, self.plural, self.n, lang)


def _words(text: str, params: Mapping[str, Any], plural: str | None, n: int | None, lang: str) -> str:
    """A message's words in `lang`: its translation with every value written in that language."""
    template = _translate(text, plural, n, lang)
    values = {k: _value(v, lang) for k, v in params.items()}
    if n is not None:
        values.setdefault("n", number(n, lang))
    return template.format(**values)


@dataclass(frozen=True)
class Number:
    """A number given to a message with a fixed count of decimals (a score: ``0,53``)."""

    value: float
    digits: int

    def render(self, lang: str = "en") -> str:
        return number(self.value, lang, self.digits)

    def __str__(self) -> str:
        return self.render("en")


#: A message kept as data in a record (pydantic): a :class:`Msg` in memory, its English words when written out
#: (the files' contract), a plain string when read back.
Said = Annotated[str, SkipValidation, PlainSerializer(lambda m: str(m), return_type=str)]


def _(text: str, **params: Any) -> Msg:
    """Mark `text` as a message to translate, with the values of its placeholders."""
    return Msg(text, params)


def _n(singular: str, plural: str, n: int, **params: Any) -> Msg:
    """Mark a message whose words follow the count `n` (its placeholder ``{n}``)."""
    return Msg(singular, params, plural, n)


def render(value: Msg | str, lang: str = "en") -> str:
    """A message in `lang`; a plain string as it is (text typed by a user, or a message read back from a file)."""
    return value.render(lang) if isinstance(value, Msg) else str(value)


def join(values: Sequence[Msg | str]) -> Msg:
    """Several messages as one, separated by ``;`` in the language of the whole (``" ; "`` in French)."""
    out = Msg("{only}", {"only": values[0] if values else ""})  # (no words of its own: nothing to translate)
    for value in values[1:]:
        out = _("{first}; {second}", first=out, second=value)
    return out


def either(values: Sequence[Msg | Code | str]) -> Msg | Code | str:
    """'a' or 'b' (or 'c'), in the language of the whole message."""
    out: Msg | Code | str = values[0]
    for value in values[1:]:
        out = _("{first} or {second}", first=out, second=value)
    return out


def number(x: float, lang: str = "en", digits: int | None = None) -> str:
    """`x` in the language's way: ``1 234,5`` in French, ``1,234.5`` in English (`digits`: fixed decimals)."""
    if digits is None:
        return format_decimal(x, locale=_locale(lang))
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(round(x, digits), format=fmt, locale=_locale(lang))


def date(day: dt.date, lang: str = "en") -> str:
    """A date in the language's way: ``03/12/2026`` in French, ``3 Dec 2026`` in English (whose short numeric
    forms differ between countries)."""
    return format_date(day, format="dd/MM/yyyy" if lang == "fr" else "d MMM yyyy", locale=_locale(lang))


def resolve_lang(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to speak: `explicit` when given, else ``MATCHER_LANG``, else the system locale
    (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as gettext reads them), else French (the tool's first
    language). Raise ValueError for a language the library does not speak."""
    env = os.environ if environ is None else environ
    explicit = explicit or env.get("MATCHER_LANG") or None
    if explicit:
        code = explicit.strip().lower()[:2]
        if code not in LANGS:
            raise ValueError(f"unknown language {explicit!r}: choose one of {', '.join(LANGS)}")
        return code
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for part in env.get(var, "").split(":"):
            code = part.strip().lower()[:2]
            if code in LANGS:
                return code
    return LANGS[0]


def from_accept(header: str | None) -> str | None:
    """The first of our languages in a browser's preference (``fr-FR``, ``en-GB,en;q=0.9``), or None."""
    for part in (header or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return None


def _value(value: Any, lang: str) -> str:
    """One placeholder's value written in `lang`."""
    if isinstance(value, Msg | Code | Number):
        return value.render(lang)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value, lang)
    if isinstance(value, dt.date):
        return date(value, lang)
    if isinstance(value, list | tuple):
        return ", ".join(_value(v, lang) for v in value)
    return str(value)


def _translate(text: str, plural: str | None, n: int | None, lang: str) -> str:
    """The translation of a message id in `lang`, with the plural form for `n`."""
    if lang != "en":
        found = catalog(lang).get(text)
        if found is not None and found.string:
            if plural is None or isinstance(found.string, str):
                return str(found.string)
            form = _plural_index(lang)(n or 0)
            forms = found.string
            return str(forms[min(form, len(forms) - 1)] or (text if n == 1 else plural))
    if plural is not None and n != 1:
        return plural
    return text


@cache
def catalog(lang: str) -> Catalog:
    """The PO catalog of `lang`, read once."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


@cache
def _plural_index(lang: str) -> Callable[[int], int]:
    """Which plural form of `lang`'s catalog a count takes (gettext's rule from the catalog's header)."""
    return c2py(catalog(lang).plural_expr)


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse("fr_FR" if lang == "fr" else "en_GB")

