"""Reading a PDF's text back, for the tests of the decision notices."""

from __future__ import annotations

import io

from pypdf import PdfReader


def text_of(pdf: bytes) -> str:
    """The PDF's text, whitespace (line breaks, no-break spaces) made single spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())
