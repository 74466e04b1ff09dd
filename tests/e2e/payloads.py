"""Hostile text for the browser tests: Markdown, HTML and Streamlit syntax that would make a browser fetch from
`host` (a listener the test starts on loopback, standing for an outside machine) if rendered."""

from __future__ import annotations


def payloads(host: str) -> list[str]:
    """One of each kind: images (inline and by reference), a tag, links, autolinks, Streamlit's
    directives, icons and shortcodes, LaTeX, formatting, bare links, entities and a backslash."""
    return [
        f"![x]({host}/probe-img.png)", f"<img src={host}/probe-tag>", f"[link]({host}/probe-link)",
        f"<{host}/probe-auto>",
        f"![r][ref] [ref]: {host}/probe-ref.png", "[j](javascript:alert(1))",
        ":red[red] :material/home: :material_home:", ":streamlit: :smile: $x^2$ **b** _i_ `c` ~~s~~",
        f"www.example.com a@b.co {host}/probe-bare a -> b", "&lt;b&gt; back\\slash",
    ]


def joined(host: str) -> str:
    """All the payloads on one line."""
    return " ¦ ".join(payloads(host))
