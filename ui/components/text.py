"""Text from the workbooks (commune names, ids, reasons that quote them) shown inside Markdown, made inert.

Streamlit escapes HTML in Markdown (the app never passes ``unsafe_allow_html``), but Markdown itself would still
turn a cell such as ``![x](http://host/p.png)`` into an image the browser fetches, or ``[here](url)`` into a link.
`plain` escapes every Markdown control character so that such text shows as typed.
"""

from __future__ import annotations

import re

__all__ = ["plain"]

_CONTROL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def plain(value: object) -> str:
    """`value` as text that Markdown shows literally (newlines become spaces)."""
    text = " ".join(str(value).split())
    return _CONTROL.sub(r"\\\1", text)
