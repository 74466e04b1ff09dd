"""The architecture diagram (docs/img/architecture.svg) and the import-rules table, from one description.

Run ``python docs/gen_architecture.py`` after changing the floors below; ``tests/test_docs.py`` checks that the
committed SVG is what this script draws. Plain Python: the SVG is written by hand (system fonts, no script, no
external reference), so that it opens in any browser or image viewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

SVG_PATH = Path(__file__).parent / "img" / "architecture.svg"


@dataclass(frozen=True)
class Box:
    """One package or module of the code."""

    key: str
    label: str  # as written in the tree, e.g. "engine/"
    role: str  # what it does, in a few words
    imports: str  # what it may import, in words (the table of the architecture page)


#: Floors from the top (views) to the bottom (records). A box imports only boxes on floors below its own.
FLOORS: tuple[tuple[str, tuple[Box, ...]], ...] = (
    ("views", (
        Box("ui", "ui/", "the Streamlit app", "anything in `matcher`; `matcher` never imports `ui`"),
        Box("cli", "cli", "the typer commands", "anything in `matcher` below it; never `ui`"),
    )),
    ("access", (
        Box("auth", "auth.py", "users, roles, logins", "`store`, `models`"),
    )),
    ("services", (
        Box("simulate", "simulate/", "the policy lab", "`match`, `explain`, `problem`, `engine`, `scoring`, `checker`, "
            "`io`, `models`; never `store` (the lab runs without access to the records)"),
        Box("store", "store/", "records, audit chain", "`io`, `models`; never `auth`"),
    )),
    ("composition", (
        Box("match", "match.py", "solve(problem, params) -> Result", "`engine`, `explain`, `problem`, `checker`, "
            "`scoring`, `models`"),
        Box("notice", "notice/", "decision notices (PDF)", "`explain`, `problem`, `scoring`, `checker`, `io`, "
            "`models`, `i18n`; never `engine` (a notice re-explains, it never solves)"),
    )),
    ("explanations", (
        Box("explain", "explain/", "reasons, alternatives, duals", "`problem`, `checker`, `scoring`, `models`, "
            "`i18n`; "
            "never `engine` (duals are computed by the caller)"),
    )),
    ("problem", (
        Box("problem", "problem.py", "records + policy -> model", "`engine.model` only of `engine`, `scoring`, "
            "`models`, `i18n`"),
    )),
    ("parts", (
        Box("engine", "engine/", "the engine", "`models` and its own modules only"),
        Box("scoring", "scoring/", "score components", "`models`, `i18n`"),
        Box("checker", "checker.py", "independent rule checker", "`models`"),
        Box("io", "io/", "spreadsheets in and out", "`models`, `i18n`"),
    )),
    ("records", (
        Box("models", "models/", "records, policy, result", "`i18n`"),
    )),
    ("messages", (
        Box("i18n", "i18n/", "messages as data, catalogs", "nothing else in `matcher`"),
    )),
)

#: Pairs (importer, imported) that the floors alone would allow but the layering forbids.
FORBIDDEN: tuple[tuple[str, str], ...] = (("explain", "engine"),)

#: The data flow, left to right: (stage, where it happens).
FLOW: tuple[tuple[str, str], ...] = (
    ("records", "io/ -> models/"),
    ("problem", "problem.py"),
    ("engine", "engine/"),
    ("result", "match.py"),
    ("explain", "explain/"),
    ("views", "cli, ui/"),
)

WIDTH = 980
FLOOR_H = 64
LABEL_W = 150
MARGIN = 20
FLOW_TOP = 76
FLOW_H = 58
FLOORS_TOP = 206
BOX_H = 46
GAP = 18
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
# Okabe-Ito colours (readable with every common colour-vision deficiency), as light fills with dark outlines.
FILL = ("#e8f1fa", "#fdf0dc", "#e3f4ee", "#fbe6ef", "#f3f0d6", "#eeeeee")
STROKE = "#3a3a3a"
FORBID = "#d55e00"
ARROW = "#0072b2"


def _text(x: float, y: float, text: str, *, size: float = 13, weight: str = "normal", anchor: str = "middle",
          family: str = FONT, fill: str = "#1a1a1a") -> str:
    return (f'<text x="{x:.0f}" y="{y:.0f}" font-family="{family}" font-size="{size}" font-weight="{weight}" '
            f'text-anchor="{anchor}" fill="{fill}">{escape(text)}</text>')


def _box_positions() -> dict[str, tuple[float, float, float, float]]:
    """(x, y, width, height) of every box, centred on its floor."""
    out: dict[str, tuple[float, float, float, float]] = {}
    area = WIDTH - LABEL_W - 2 * MARGIN - 40  # room for the arrow on the right
    for level, (_, boxes) in enumerate(FLOORS):
        n = len(boxes)
        w = min(230.0, (area - (n - 1) * GAP) / n)
        total = n * w + (n - 1) * GAP
        x0 = LABEL_W + MARGIN + (area - total) / 2
        y = FLOORS_TOP + level * FLOOR_H + (FLOOR_H - BOX_H) / 2
        for i, box in enumerate(boxes):
            out[box.key] = (x0 + i * (w + GAP), y, w, BOX_H)
    return out


def _flow() -> list[str]:
    """The data flow strip: one rounded box per stage, arrows between them."""
    parts = [_text(MARGIN, FLOW_TOP - 14, "Data flows one way", size=15, weight="bold", anchor="start")]
    n = len(FLOW)
    gap = 30
    w = (WIDTH - 2 * MARGIN - (n - 1) * gap) / n
    for i, (stage, where) in enumerate(FLOW):
        x = MARGIN + i * (w + gap)
        parts.append(f'<rect x="{x:.0f}" y="{FLOW_TOP}" width="{w:.0f}" height="{FLOW_H}" rx="10" '
                     f'fill="{FILL[i % len(FILL)]}" stroke="{STROKE}" stroke-width="1.2"/>')
        parts.append(_text(x + w / 2, FLOW_TOP + 24, f"{i + 1}. {stage}", size=14, weight="bold"))
        parts.append(_text(x + w / 2, FLOW_TOP + 44, where, size=12, family=MONO))
        if i < n - 1:
            y = FLOW_TOP + FLOW_H / 2
            parts.append(f'<line x1="{x + w + 3:.0f}" y1="{y:.0f}" x2="{x + w + gap - 5:.0f}" y2="{y:.0f}" '
                         f'stroke="{ARROW}" stroke-width="2.2" marker-end="url(#arrow)"/>')
    return parts


def _floors() -> list[str]:
    parts = [_text(MARGIN, FLOORS_TOP - 26, "Floors: a package imports only packages on floors below its own",
                   size=15, weight="bold", anchor="start")]
    for level, (name, _) in enumerate(FLOORS):
        top = FLOORS_TOP + level * FLOOR_H
        fill = "#f7f7f7" if level % 2 == 0 else "#ffffff"
        parts.append(f'<rect x="{MARGIN}" y="{top}" width="{WIDTH - 2 * MARGIN}" height="{FLOOR_H}" fill="{fill}" '
                     f'stroke="#c8c8c8" stroke-width="0.8"/>')
        parts.append(_text(MARGIN + 12, top + FLOOR_H / 2 + 5, name, size=13, weight="bold", anchor="start",
                           fill="#444444"))
    positions = _box_positions()
    for level, (_, boxes) in enumerate(FLOORS):
        for box in boxes:
            x, y, w, h = positions[box.key]
            parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="6" '
                         f'fill="{FILL[level % len(FILL)]}" stroke="{STROKE}" stroke-width="1.2"/>')
            parts.append(_text(x + w / 2, y + 19, box.label, size=14, weight="bold", family=MONO))
            parts.append(_text(x + w / 2, y + 36, box.role, size=11.5 if len(box.role) > 26 else 12))
    for src, dst in FORBIDDEN:
        sx, sy, sw, sh = positions[src]
        dx, dy, dw, _ = positions[dst]
        x1, y1 = sx + sw * 0.25, sy + sh
        x2, y2 = dx + dw / 2, dy
        parts.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2 - 4:.0f}" stroke="{FORBID}" '
                     f'stroke-width="2" stroke-dasharray="6 4" marker-end="url(#cross)"/>')
        parts.append(_text((x1 + x2) / 2 - 12, (y1 + y2) / 2, f"{src}/ never imports {dst}/", size=12,
                           weight="bold", anchor="end", fill=FORBID))
    bottom = FLOORS_TOP + len(FLOORS) * FLOOR_H
    x = WIDTH - MARGIN - 14
    parts.append(f'<line x1="{x}" y1="{FLOORS_TOP + 10}" x2="{x}" y2="{bottom - 12}" stroke="{ARROW}" '
                 f'stroke-width="2.2" marker-end="url(#arrow)"/>')
    parts.append(f'<text x="{x - 8}" y="{(FLOORS_TOP + bottom) / 2:.0f}" font-family="{FONT}" font-size="12" '
                 f'fill="{ARROW}" text-anchor="middle" transform="rotate(-90 {x - 8} '
                 f'{(FLOORS_TOP + bottom) / 2:.0f})">imports point down</text>')
    return parts


def svg() -> str:
    """The whole diagram as SVG text."""
    height = FLOORS_TOP + len(FLOORS) * FLOOR_H + MARGIN
    defs = (
        "<defs>"
        f'<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{ARROW}"/></marker>'
        f'<marker id="cross" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="9" markerHeight="9">'
        f'<path d="M1,1 L9,9 M9,1 L1,9" stroke="{FORBID}" stroke-width="2"/></marker>'
        "</defs>"
    )
    title = _text(MARGIN, 28, "Resettlement placement matcher: architecture", size=18, weight="bold",
                  anchor="start")
    body = [defs, f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>', title, *_flow(), *_floors()]
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="title">')
    return "\n".join([head, '<title id="title">Architecture: data flow and import floors</title>', *body,
                      "</svg>"]) + "\n"


def import_rules() -> str:
    """The architecture page's table: each floor's packages, what they do and what they may import."""
    rows = ["| Floor | Package | Does | May import |", "|---|---|---|---|"]
    for name, boxes in FLOORS:
        for box in boxes:
            rows.append(f"| {name} | `{box.label}` | {box.role.replace('->', '→')} | {box.imports} |")
    return "\n".join(rows)


def main() -> None:
    SVG_PATH.parent.mkdir(parents=True, exist_ok=True)
    SVG_PATH.write_text(svg(), encoding="utf-8")
    print(f"written: {SVG_PATH}")


if __name__ == "__main__":
    main()
