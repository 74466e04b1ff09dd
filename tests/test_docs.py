"""The documentation site: it builds strictly, fetches nothing from another host, and covers every contract."""

from __future__ import annotations

import html
import importlib.util
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = ("index", "architecture", "spreadsheets", "rules", "policy", "cli", "results", "records", "lab",
         "benchmarks", "api")
FRONT_DOOR = ("read_dataset", "validate", "load_policy", "Policy", "build_problem", "solve", "SolveParams",
              "Result", "Status", "explain_case", "check")


def _load(name: str) -> ModuleType:
    """A module of docs/ (not a package), loaded by path."""
    spec = importlib.util.spec_from_file_location(f"docs_{name}", DOCS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with `mkdocs build --strict` (any warning fails the build)."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def _html(site: Path, page: str) -> str:
    return (site / f"{page}.html").read_text(encoding="utf-8")


def _section(html: str, anchor: str) -> str:
    """The HTML from the heading with id `anchor` to the next heading of the same or a higher level."""
    match = re.search(rf'<h([1-6])[^>]*\bid="{re.escape(anchor)}"', html)
    assert match, f"no heading #{anchor}"
    level = int(match.group(1))
    rest = html[match.end():]
    end = re.search(rf"<h[1-{level}][\s>]", rest)
    return rest[: end.start()] if end else rest


#: Attributes by which a tag makes the browser load a URL by itself.
_LOADED: dict[str, tuple[str, ...]] = {
    "script": ("src",), "img": ("src", "srcset"), "iframe": ("src",), "frame": ("src",),
    "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",), "embed": ("src",),
    "object": ("data",), "track": ("src",), "input": ("src",),
}


class _Fetches(HTMLParser):
    """Every URL an HTML page makes the browser load by itself (scripts, stylesheets, images, frames, fonts)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        names = _LOADED.get(tag, ())
        if tag == "link" and (values.get("rel") or "").lower() not in ("canonical", "alternate", "next", "prev"):
            names = ("href",)
        self.urls += [values[n] or "" for n in names if values.get(n)]
        self.urls += _css_urls(values.get("style") or "")
        self._in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls += _css_urls(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False


def _css_urls(css: str) -> list[str]:
    return re.findall(r"url\(\s*['\"]?([^'\")]+)", css) + re.findall(r"@import\s+['\"]([^'\"]+)", css)


def _outside(url: str) -> bool:
    return bool(re.match(r"^\s*(https?:)?//", url, re.IGNORECASE))


def test_site_builds_with_every_page(site: Path) -> None:
    """`mkdocs build --strict` writes every page of the navigation, each with its title."""
    for page in PAGES:
        html = _html(site, page)
        assert re.search(r"<h1[^>]*>", html), page
    assert (site / "img" / "architecture.svg").is_file()
    assert (site / "css" / "pygments.css").stat().st_size > 0


def test_every_heading_of_the_sources_is_a_heading_of_the_site(site: Path) -> None:
    """No generated table swallows the text after it: each page has at least the headings its source writes."""
    for page in PAGES:
        source = re.sub(r"```.*?```", "", (DOCS / f"{page}.md").read_text(encoding="utf-8"), flags=re.DOTALL)
        written = len(re.findall(r"^#{1,6} ", source, re.MULTILINE))
        built = len(re.findall(r'<h[1-6] id="(?!searchModalLabel|keyboardModalLabel)', _html(site, page)))
        assert built >= written, page


def test_no_page_fetches_from_another_host(site: Path) -> None:
    """No page, stylesheet or diagram loads a script, font, stylesheet or image from another host."""
    outside: list[str] = []
    for html_file in site.rglob("*.html"):
        parser = _Fetches()
        parser.feed(html_file.read_text(encoding="utf-8"))
        outside += [f"{html_file.name}: {u}" for u in parser.urls if _outside(u)]
    for css_file in site.rglob("*.css"):
        outside += [f"{css_file.name}: {u}" for u in _css_urls(css_file.read_text(encoding="utf-8")) if _outside(u)]
    for svg_file in site.rglob("*.svg"):
        text = svg_file.read_text(encoding="utf-8")
        outside += [f"{svg_file.name}: {u}" for u in re.findall(r'(?:href|src)="([^"]+)"', text) if _outside(u)]
    assert outside == []


def test_fetch_check_sees_a_cdn_script() -> None:
    """The check above would catch what the theme's highlight.js option writes (a CDN script and stylesheet)."""
    parser = _Fetches()
    parser.feed('<link rel="stylesheet" href="https://cdnjs.example/x.css"><script src="//cdn.example/h.js">'
                '</script><div style="background: url(https://x.example/a.png)"></div><a href="https://ok.example">')
    assert [u for u in parser.urls if _outside(u)] == ["https://cdnjs.example/x.css", "//cdn.example/h.js",
                                                        "https://x.example/a.png"]


def test_every_spreadsheet_column_is_documented(site: Path) -> None:
    """Every sheet and column of the spec, with its aliases and codes, appears in its sheet's section."""
    from matcher.io import spec

    html = _html(site, "spreadsheets")
    for workbook in spec.WORKBOOKS.values():
        for sheet in workbook.sheets:
            section = _section(html, f"sheet-{sheet.name}")
            for name in (*sheet.aliases, *sheet.key):
                assert f"<code>{name}</code>" in section, (sheet.name, name)
            for column in sheet.columns:
                for name in (column.name, *column.aliases):
                    assert f"<code>{name}</code>" in section, (sheet.name, name)
                assert column.help_fr.replace("'", "&#x27;") in section or column.help_fr in section
            for code in {c for col in sheet.columns for c in col.choices}:
                assert f"<code>{code}</code>" in html, code


def test_every_cell_kind_is_documented() -> None:
    """The hand-written table of cell kinds names every kind of the spec."""
    from matcher.io.spec import Kind

    text = (DOCS / "spreadsheets.md").read_text(encoding="utf-8")
    assert [k.value for k in Kind if f"| `{k.value}` |" not in text] == []


def test_every_policy_key_is_described_by_hand() -> None:
    """Each key of the policy model is named in the hand-written part of the policy page, not only in the
    generated reference."""
    from matcher.models.policy import Policy, Rule, Rules

    reference = _load("reference")
    text = re.sub(r"<!-- generated: [\w-]+ -->", "", (DOCS / "policy.md").read_text(encoding="utf-8"))
    keys = reference.leaf_keys(Policy, skip=reference.POLICY_SKIP)
    keys += [f"rules.{name}" for name in Rules.model_fields] + list(Rule.model_fields)
    assert [k for k in keys if f"`{k}`" not in text] == []


def test_every_cli_command_and_option_is_documented(site: Path) -> None:
    """Each command of the typer app has its section on the CLI page, naming each of its options."""
    reference = _load("reference")
    html = _html(site, "cli")
    commands = reference.cli_commands()
    assert {p for p, _, _ in commands} >= {"matcher match", "matcher validate", "matcher records verify"}
    for path, command, _ in commands:
        section = _section(html, reference.anchor_of(path))
        for param in command.params:
            for opt in (*param.opts, *param.secondary_opts) if param.param_type_name == "option" else ():
                assert opt in section, (path, opt)


def test_every_result_field_is_documented() -> None:
    """The results page names every field of the result and of its parts."""
    from matcher.models.result import LocalityUse, Placement, Provenance, Result, Status, Unplaced

    text = (DOCS / "results.md").read_text(encoding="utf-8")
    missing = [f for f in Result.model_fields if f"`{f}`" not in text]
    for prefix, model in (("placements[]", Placement), ("unplaced[]", Unplaced), ("localities[]", LocalityUse),
                          ("provenance", Provenance)):
        missing += [f"{prefix}.{f}" for f, info in model.model_fields.items()
                    if f"`{prefix}.{f}`" not in text and not info.exclude]  # (`exclude`: not in the file)
    missing += [s.value for s in Status if f"`{s.value}`" not in text]
    assert missing == []


def test_every_rule_and_component_is_explained() -> None:
    """The rules page explains every rule of the policy and every score component by hand."""
    from matcher.models.policy import Rules
    from matcher.scoring import COMPONENTS

    text = re.sub(r"<!-- generated: [\w-]+ -->", "", (DOCS / "rules.md").read_text(encoding="utf-8"))
    assert [r for r in Rules.model_fields if f"| `{r}` |" not in text] == []
    assert [c for c in COMPONENTS if f"**{c}**" not in text] == []


def test_api_page_documents_the_front_door(site: Path) -> None:
    """The Python API page has a reference entry, from the docstrings, for each name of the front door."""
    ids = re.findall(r'id="(matcher\.[\w.]+)"', _html(site, "api"))
    assert [name for name in FRONT_DOOR if not any(i.endswith(f".{name}") for i in ids)] == []


def test_api_example_is_the_readmes(site: Path) -> None:
    """The API page shows the README's example (one copy, which tests/test_front_door.py runs)."""
    from tests.test_front_door import readme_snippet

    page = html.unescape(re.sub(r"<[^>]+>", "", _section(_html(site, "api"), "example")))
    for line in readme_snippet().splitlines():
        assert line.strip() in page, line


def test_architecture_diagram_is_current() -> None:
    """The committed SVG is what docs/gen_architecture.py draws, and it is a self-contained SVG."""
    gen = _load("gen_architecture")
    committed = (DOCS / "img" / "architecture.svg").read_text(encoding="utf-8")
    assert committed == gen.svg(), "run `python docs/gen_architecture.py`"
    root = ET.fromstring(committed)
    tags = {element.tag.split("}")[-1] for element in root.iter()}
    assert "script" not in tags and "image" not in tags and "foreignObject" not in tags
    boxes = {box.key for _, floor in gen.FLOORS for box in floor}
    assert {"models", "io", "scoring", "checker", "engine", "problem", "explain", "match", "store", "auth", "cli",
            "ui"} <= boxes
