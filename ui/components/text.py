"""Text from users and workbooks (commune names, ids, file names, policy and user names, reasons and messages
that quote them) shown by Streamlit elements that render Markdown, made inert.

Streamlit renders Markdown in `st.markdown`, captions, alerts, titles, tab and expander labels, metric values and
in every widget label (buttons included, where an image shows as an icon). The app never passes
``unsafe_allow_html``, so HTML stays text, but Markdown alone would turn a commune named
``![x](http://host/p.png)`` into an image the browser fetches, ``[here](url)`` into a link, ``:red[..]`` into
coloured text, ``$..$`` into LaTeX. `plain` makes such text show exactly as typed:

- every ASCII punctuation character is backslash-escaped (CommonMark lets any of them be escaped, and only they
  take part in Markdown's syntax, GitHub's extensions and Streamlit's directives), so no image, link, autolink,
  tag, emphasis, code, table, heading, list, directive or formula can start;
- a word joiner (U+2060, invisible and zero width) goes after each colon and ``@``, after ``www`` before a dot,
  and inside ``->``-like pairs: Streamlit and GitHub's Markdown rewrite some patterns in text *after* escapes
  are resolved (``:material_x:`` icons, the ``:streamlit:`` logo, emoji shortcodes, bare ``http://..``,
  ``www.``.. and ``a@b.c`` links, ``->`` arrows), and the joiner breaks each pattern without changing what is read.

Elements that never render Markdown (st.text, st.code, dataframe cells and headers, selectbox and multiselect
options, chart text) take the text as it is: `plain` there would show its backslashes.
"""

from __future__ import annotations

import numbers
import re
import string
from collections.abc import Mapping

__all__ = ["JOINER", "fill", "plain", "plain_lines"]

#: U+2060 WORD JOINER: zero width, no line break, ignored by screen readers.
JOINER = "\u2060"

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
#: Where a joiner goes, found in the escaped text: after an escaped ``:`` or ``@``; between ``www`` and an
#: escaped dot; between two escaped characters of the typographic pairs (``->``, ``<-``, ``--``, ``>=``, ``~=``).
_BREAKS = re.compile(r"(?<=\\[:@])|(?<=www)(?=\\\.)|(?<=\\[-<>~])(?=\\[-<>=])", re.IGNORECASE)


def plain(value: object) -> str:
    """`value` as Markdown that Streamlit shows literally, on one line (newlines and runs of spaces become one
    space).

    Parameters
    ----------
    value
        Any value; it is shown as ``str(value)``.

    Returns
    -------
    str
        Markdown source whose rendering reads as the text of `value`.
    """
    text = " ".join(str(value).replace(JOINER, "").split())
    return _BREAKS.sub(JOINER, _PUNCTUATION.sub(r"\\\1", text))


def plain_lines(text: object) -> str:
    """A multi-line message (one problem per line) as a Markdown list, each line shown literally."""
    return "\n".join(f"- {plain(line)}" for line in str(text).splitlines() if line.strip())


class LocalNumber:
    """A number placed in a label: its format specification (``{score:.2f}``, ``{share:.0%}``) applies, and the
    result is written in the language's way (``0,53`` and ``12 %`` in French)."""

    def __init__(self, value: object, lang: str) -> None:
        self.value, self.lang = value, lang

    def __format__(self, spec: str) -> str:
        text = format(self.value, spec)
        if self.lang != "fr":
            return text
        text = text.translate(_FRENCH_NUMBER)
        return text[:-1] + "\u00a0%" if text.endswith("%") else text

    def __str__(self) -> str:
        return self.__format__("")


#: Python's "1,234.5" written the French way: "1 234,5" (a narrow no-break space between thousands).
_FRENCH_NUMBER = str.maketrans({",": "\u202f", ".": ","})


def fill(template: str, values: Mapping[str, object], lang: str = "en") -> str:
    """`template` (trusted Markdown) with its ``{placeholders}`` filled from `values`, each made `plain`.

    Numbers stay numbers, so that format specifications (``{score:.2f}``) apply, written in `lang`'s way
    (:class:`LocalNumber`); anything else is data, shown as its text and never read as Markdown.
    """
    return template.format(**{k: LocalNumber(v, lang) if _is_number(v) else plain(v) for k, v in values.items()})


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)
