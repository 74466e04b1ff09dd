"""`plain`: any text from users or workbooks shows literally in Streamlit's Markdown, and `t` applies it to every
value it places in a label.

Rendering is checked with markdown-it-py (a CommonMark implementation, with GitHub's tables and strikethrough),
then against the rewrites Streamlit's Markdown makes in text after escapes are resolved (icons, logo, emoji,
bare links, arrows) and the raw-source checks that decide whether it loads LaTeX and emoji at all. The browser
test `tests/e2e/test_plain_text.py` checks the same payloads in Streamlit itself.
"""

from __future__ import annotations

import ast
import html
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from ui.components import i18n
from ui.components.text import JOINER, fill, plain, plain_lines

HOST = "http://127.0.0.1:9"

#: Markdown, HTML and Streamlit syntax that must show as typed.
PAYLOADS = [
    f"![x]({HOST}/img.png)",
    f"![x]({HOST}/img.png \"title\")",
    f"<img src={HOST}/x>",
    "<img src=x onerror=alert(1)>",
    f"[link]({HOST}/)",
    f"<{HOST}/a>",
    "<mailto:a@b.co>",
    "[x](javascript:alert(1))",
    f"[x][1] [1]: {HOST}/ref",
    "[x]\n\n[x]: http://127.0.0.1:9/ref",
    "![y][r]\n\n[r]: http://127.0.0.1:9/ref.png",
    "<b>bold</b> <script>alert(1)</script> <!-- comment --> <a href=x>a</a>",
    ":red[red] :blue-background[b] :help[tip] :color[x]{foreground=red}",
    ":material/home: :material_home: :streamlit: :smile: :+1:",
    "$x^2$ and $$\\int x$$",
    "**bold** __bold__ *it* _it_ `code` ``co`de`` ~~strike~~ ~sub~",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "# heading",
    "> quote",
    "- item",
    "1. first",
    "---",
    "Title\n===",
    "    indented code",
    "```\nfence\n```",
    "back\\slash \\\\ \\* \\",
    "trailing two spaces  \nbreak",
    f"bare {HOST}/path www.example.com a@b.co https://example.org",
    "&lt;img src=x&gt; &amp; &#60; &copy;",
    "[^1] footnote\n\n[^1]: note",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    "Saint-Étienne (42218)",
    "",
]

#: What Streamlit's Markdown rewrites in text nodes, after escapes are resolved (StreamlitMarkdown.tsx, and the
#: GitHub autolink-literal transform of remark-gfm).
TEXT_REWRITES = [
    re.compile(r":material_\w+:"),
    re.compile(r":streamlit:"),
    re.compile(r":[\w+-]+:"),  # emoji shortcodes
    re.compile(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)"),
    re.compile(r"https?://|www\.", re.IGNORECASE),
    re.compile(r"[-.\w+]+@[-\w]+(\.[-\w]+)+"),
]

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def rendered_text(source: str) -> str:
    """The text a CommonMark renderer shows for `source`, asserting it is one paragraph of text, no element."""
    out = PARSER.render(source)
    if not out:
        return ""
    assert out.startswith("<p>") and out.endswith("</p>\n"), out
    inner = out[len("<p>"):-len("</p>\n")]
    assert "<" not in inner, out  # no <img>, <a>, <code>, <em>, <br>...
    return html.unescape(inner)


def shown(value: str) -> str:
    """What a user should read: the value on one line, spaces collapsed."""
    return " ".join(value.split())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_renders_as_the_text_typed(payload: str) -> None:
    """Every payload is one paragraph of plain text whose words are the payload's."""
    assert rendered_text(plain(payload)).replace(JOINER, "") == shown(payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_streamlit_rewrite_applies(payload: str) -> None:
    """Icons, the logo, emoji, bare links and arrows cannot form in the text Streamlit's Markdown sees."""
    text = rendered_text(plain(payload))
    assert [p.pattern for p in TEXT_REWRITES if p.search(text)] == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_streamlit_loads_neither_latex_nor_emoji(payload: str) -> None:
    """Streamlit decides from the raw source whether to load KaTeX and the emoji plugin, and rewrites
    ':material/' before parsing: the escaped source triggers none of them."""
    source = plain(payload)
    assert ":material/" not in source
    assert not re.search(r":(?!material/|streamlit:)[\w+-][\w_+-]*:", source)
    assert "$" not in re.sub(r"\\[\\$`]", "_", source)  # Streamlit's test for formulas, escapes left out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60))
def test_any_text_renders_literally(value: str) -> None:
    """Whatever the text, its rendering reads as the text itself."""
    assert rendered_text(plain(value)).replace(JOINER, "") == shown(value.replace(JOINER, ""))


def test_plain_is_stable_on_ordinary_names() -> None:
    """Names with no Markdown syntax show unchanged; punctuation is escaped but reads the same."""
    assert plain("Pamiers") == "Pamiers"
    assert plain("Saint-Flour\nCantal") == r"Saint\-Flour Cantal"
    assert plain("![x](http://h/p.png)") == r"\!\[x\]\(http\:" + JOINER + r"\/\/h\/p\.png\)"


def test_plain_lines_keeps_one_line_per_problem() -> None:
    """A multi-line message becomes a list, each line literal."""
    source = plain_lines("a.toml › ![k](http://h/i.png): unknown key\n\n<b>x</b>: bad")
    items = [li for li in PARSER.render(source).split("<li>")[1:]]
    assert len(items) == 2
    assert "<img" not in source and "<b>" not in PARSER.render(source)


def test_fill_escapes_text_and_formats_numbers() -> None:
    """Template Markdown is kept; text values are escaped; numbers keep their format."""
    out = fill("Placed in **{name}** with score {score:.2f} ({n})", {"name": "![x](http://h/i.png)",
                                                                       "score": 0.5, "n": 3})
    html_out = PARSER.render(out)
    assert "<strong>![x](http://h/i.png)</strong>" in html_out.replace(JOINER, "")
    assert "score 0.50 (3)" in out


def _label_tables() -> dict[str, tuple[bool, dict[str, tuple[str, str]]]]:
    """Every table of labels in the app's source, read without running it (pages run their script on import):
    where it is defined -> (whether it joins the shared labels of `i18n`, key -> (English, French)).

    A table is a dict literal assigned to a name ending in ``LABELS`` or passed to `i18n.add_labels`; it is shared
    when it is `i18n.LABELS` itself or passed to `add_labels` (the Policy lab keeps its own, read by its `tr`).
    """
    tables: dict[str, tuple[bool, dict[str, tuple[str, str]]]] = {}
    root = Path(i18n.__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named: dict[str, ast.expr] = {}
        for node in tree.body:
            target = node.target if isinstance(node, ast.AnnAssign) else (
                node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
            if isinstance(target, ast.Name) and target.id.endswith("LABELS") and isinstance(node.value, ast.Dict):
                named[target.id] = node.value
        shared = {"LABELS"} if path.name == "i18n.py" else set()
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "add_labels" and call.args:
                arg = call.args[0]
                if isinstance(arg, ast.Name):
                    shared.add(arg.id)
                else:
                    named[f"add_labels@{arg.lineno}"] = arg
                    shared.add(f"add_labels@{arg.lineno}")
        for name, value in named.items():
            tables[f"{where}:{name}"] = (name in shared, ast.literal_eval(value))
    return tables


TABLES = _label_tables()


def test_the_tables_found_are_the_labels_the_app_uses() -> None:
    """The source read holds the labels registered at run time (the components' among them), text for text."""
    import ui.components.access
    import ui.components.records  # noqa: F401  (registers its labels)

    shared = {k: v for is_shared, table in TABLES.values() if is_shared for k, v in table.items()}
    assert {"pin_here", "capacity_change", "signed_in_as", "capacities_conflict", "newer_scenario"} <= set(shared)
    assert all(shared[k] == v for k, v in i18n.LABELS.items()), [k for k, v in i18n.LABELS.items()
                                                                  if shared.get(k) != v]


def test_no_label_key_is_defined_twice_with_other_texts() -> None:
    """All shared labels live in one namespace: a key defined again elsewhere would replace a label of another
    page (the Data page's "Using uploaded files: ..." once became "upload")."""
    seen: dict[str, tuple[str, tuple[str, str]]] = {}
    clashes = []
    for where, (is_shared, table) in TABLES.items():
        for key, texts in table.items():
            if is_shared and key in seen and seen[key][1] != texts:
                clashes.append(f"{key}: {seen[key][0]} and {where}")
            seen.setdefault(key, (where, texts)) if is_shared else None
    assert clashes == []


def test_add_labels_refuses_a_key_with_other_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adding a key again with its own texts is allowed (a page reruns); with other texts it is refused."""
    monkeypatch.setattr(i18n, "LABELS", {"a": ("A", "A fr")})
    i18n.add_labels({"a": ("A", "A fr"), "b": ("B", "B fr")})
    with pytest.raises(ValueError, match="a"):
        i18n.add_labels({"a": ("other", "autre")})
    assert i18n.LABELS == {"a": ("A", "A fr"), "b": ("B", "B fr")}


PLACING = sorted((where, key) for where, (_, table) in TABLES.items() for key, (en, fr) in table.items()
                 if re.search(r"\{\w", en + fr))


@pytest.mark.parametrize(("where", "key"), PLACING, ids=[f"{w}:{k}" for w, k in PLACING])
def test_every_label_value_is_shown_literally(where: str, key: str) -> None:
    """Every label that places a value escapes it, in English and in French: a payload reads as typed and makes
    no image or link (the Pin/Forbid buttons, the file names, the Capacities page's user names among them).
    Placeholders with a format specification take numbers."""
    payload = f"![x]({HOST}/img.png)"
    for text in TABLES[where][1][key]:
        fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name]
        assert fields, text
        filled = fill(text, {name: 1.5 if spec else payload for name, spec in fields})
        rendered = PARSER.render(filled)
        assert not re.search(r"<(img|a)\b", rendered), rendered
        if any(not spec for _, spec in fields):
            assert payload in html.unescape(rendered).replace(JOINER, ""), rendered


def test_t_escapes_the_pin_buttons_value() -> None:
    """`t` itself places values through `fill`."""
    assert "![" not in i18n.t("pin_here", name=f"![x]({HOST}/img.png)")
    assert i18n.phrase("pin_here", name="a.b") == "Pin to a.b"  # the plain-text form places values as they are
