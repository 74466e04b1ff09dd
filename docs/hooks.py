"""MkDocs hooks: reference tables generated from the code, and the stylesheet of the code highlighting.

A page line ``<!-- generated: NAME -->`` is replaced by the Markdown of ``reference.GENERATORS[NAME]``; an
unknown name fails the build. Pygments' stylesheet is written into the site at build time (highlight.js, the
theme's own choice, would be fetched from a CDN when a page is viewed).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from mkdocs.exceptions import PluginError

MARKER = re.compile(r"^<!--[ \t]*generated:[ \t]*([\w-]+)[ \t]*-->[ \t]*$", re.MULTILINE)
HERE = Path(__file__).resolve().parent


def _reference() -> ModuleType:
    """docs/reference.py, loaded by path (the docs folder is not a package)."""
    root = str(HERE.parent)
    if root not in sys.path:  # the matcher package, when it is not installed
        sys.path.insert(0, root)
    spec = importlib.util.spec_from_file_location("matcher_docs_reference", HERE / "reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace each generated marker by its table."""
    if not MARKER.search(markdown):
        return markdown
    generators = _reference().GENERATORS

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in generators:
            raise PluginError(f"{page.file.src_path}: unknown generated section '{name}'")
        return "\n" + str(generators[name]()).strip("\n") + "\n"  # blank lines keep it a block of its own

    return MARKER.sub(expand, markdown)


def on_post_build(config: Any) -> None:
    """Write the stylesheet of the code blocks (Pygments' default style)."""
    from pygments.formatters import HtmlFormatter

    css = Path(config["site_dir"]) / "css" / "pygments.css"
    css.parent.mkdir(parents=True, exist_ok=True)
    css.write_text(HtmlFormatter(style="default").get_style_defs(".codehilite"), encoding="utf-8")
