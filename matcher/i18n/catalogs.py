"""Keeping the catalogs in step with the code: extract every marked message with Babel, and compare.

``python -m matcher.i18n.catalogs`` writes the template (``locale/matcher.pot``) from the code and merges it into
each language's PO file (``pybabel update``), so that a translator sees what is new or changed; the tests call
:func:`missing` and :func:`placeholder_mismatches` to fail when a catalog lacks a message the code uses.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from matcher.i18n import DOMAIN, LANGS, LOCALE_DIR, catalog

#: The package whose messages are extracted.
PACKAGE = Path(__file__).resolve().parents[1]
#: The marking functions, as Babel's keywords: `_(text)` and `_n(singular, plural, n)`.
KEYWORDS = {"_": None, "_n": (1, 2)}
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"


def extract() -> Catalog:
    """Every message the code marks, as a template catalog."""
    template = Catalog(project="resettlement-matcher", domain=DOMAIN, fuzzy=False)
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()):
        template.add(message, flags=("python-brace-format",))
    return template


def marked_in_code() -> set[str | tuple[str, str]]:
    """Every message the code marks, read from the syntax tree (a check on the extraction: Babel misses a
    message marked inside the arguments of another)."""
    found: set[str | tuple[str, str]] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEYWORDS):
                continue
            texts = [a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if node.func.id == "_" and texts:
                found.add(texts[0])
            elif node.func.id == "_n" and len(texts) == 2:
                found.add((texts[0], texts[1]))
    return found


def missing(lang: str) -> list[str]:
    """The messages the code uses that `lang`'s catalog does not translate (a fuzzy entry, a guess, counts as
    untranslated)."""
    found = catalog(lang)
    out = []
    for message in extract():
        if not message.id:
            continue
        entry = found.get(message.id)
        strings = entry.string if entry is not None and not entry.fuzzy else None
        if not strings or (isinstance(strings, list | tuple) and not all(strings)):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def placeholder_mismatches(lang: str) -> list[str]:
    """The translations whose ``{placeholders}`` differ from their English message's."""
    out: list[str] = []
    for entry in catalog(lang):
        if not entry.id:
            continue
        ids = [str(i) for i in entry.id] if isinstance(entry.id, list | tuple) else [str(entry.id)]
        strings = [str(t) for t in entry.string] if isinstance(entry.string, list | tuple) else [str(entry.string)]
        wanted = set().union(*(_names(i) for i in ids)) - {"n"}
        if any(text and _names(text) - {"n"} != wanted for text in strings):
            out.append(ids[0])
    return out


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def update() -> None:
    """Write the template from the code and merge it into each language's catalog (new messages untranslated)."""
    template = extract()
    with TEMPLATE.open("wb") as f:
        write_po(f, template, width=120, no_location=True, sort_output=True, omit_header=False)
    for lang in LANGS:
        if lang == "en":
            continue  # English is the messages' own language
        path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        with path.open("rb") as f:
            current = read_po(f, locale=lang, domain=DOMAIN)
        current.update(template, no_fuzzy_matching=True)  # a guessed translation would read as done
        with path.open("wb") as f:
            write_po(f, current, width=120, no_location=True, sort_output=True, ignore_obsolete=True)


if __name__ == "__main__":
    update()
    for lang in LANGS:
        if lang != "en" and (gaps := missing(lang)):
            print(f"{lang}: {len(gaps)} messages to translate")
