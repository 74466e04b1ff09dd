"""Decision notices as PDF (ReportLab), every word from the catalogs of :mod:`matcher.notice.catalog`.

The fonts are the Bitstream Vera fonts that ReportLab ships, embedded in the file, so that the PDF looks the same
wherever it is opened and its text can be read back (by a screen reader or a test). Every value a user typed goes
through :meth:`Catalog.text`, which escapes it: ReportLab's paragraphs parse tags.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, ListFlowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from matcher.notice.catalog import Catalog, Code, Markup, Msg, Number
from matcher.notice.content import Common, CommuneNotice, FamilyNotice, Proposed

FONT, BOLD, ITALIC = "NoticeVera", "NoticeVera-Bold", "NoticeVera-Italic"
#: Component values at or above the first are a good fit, at or above the second a partial one.
LEVELS = (0.67, 0.33)


def _fonts() -> None:
    """Register the Vera fonts once, as one family (so that ``<b>`` and ``<i>`` find their faces)."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(reportlab.__file__).parent / "fonts"
    for name, file in ((FONT, "Vera.ttf"), (BOLD, "VeraBd.ttf"), (ITALIC, "VeraIt.ttf"), (FONT + "-BI", "VeraBI.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic=FONT + "-BI")


def _styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of the notices: title, headings, body, table cells, small print."""
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5, spaceAfter=4)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=16, leading=20, spaceAfter=6),
        "h": ParagraphStyle("h", parent=body, fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=8,
                            spaceAfter=4, textColor=colors.HexColor("#1f3a5f")),
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#333333")),
    }


class _Writer:
    """Collects the flowables of one notice, in one language."""

    def __init__(self, lang: str, pagesize: tuple[float, float] = A4) -> None:
        """A notice in `lang` on pages of `pagesize` (points)."""
        _fonts()
        self.pagesize = pagesize
        self.cat = Catalog(lang)
        self.st = _styles()
        self.out: list[Flowable] = []

    def p(self, markup: str, style: str = "body") -> None:
        """A paragraph of catalog text (already escaped)."""
        self.out.append(Paragraph(markup, self.st[style]))

    def t(self, msg_id: str, style: str = "body", **params: object) -> None:
        """A paragraph of the catalog's sentence `msg_id` with its values."""
        self.p(self.cat.text(msg_id, **params), style)

    def bullets(self, items: Sequence[str]) -> None:
        """A bulleted list of catalog text (nothing when empty)."""
        if items:
            self.out.append(ListFlowable([Paragraph(i, self.st["body"]) for i in items], bulletType="bullet",
                                         start="•", leftIndent=12, bulletFontName=FONT))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float], *,
              total: bool = False) -> None:
        """A table of catalog text (header row repeated on every page; the last row shaded when `total`)."""
        cells = [[Paragraph(f"<b>{h}</b>", self.st["cell"]) for h in header]]
        cells += [[Paragraph(c, self.st["cell"]) for c in row] for row in rows]
        style = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a8a8a")),
                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                 ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if total:
            style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f2f2")))
        self.out.append(Table(cells, colWidths=[w * mm for w in widths], repeatRows=1, style=TableStyle(style),
                              hAlign="LEFT"))
        self.out.append(Spacer(1, 4))

    def msgs(self, items: Sequence[Msg]) -> list[str]:
        """The sentences of `items` in this language."""
        return [self.cat.value(m) for m in items]

    def pdf(self, title: str, ref: str) -> bytes:
        """The PDF of everything collected, with its title and language in its metadata (and no timestamp), and
        `ref` (the case or commune, plain text) with the page number at the foot of every page."""
        buf = io.BytesIO()
        doc = SimpleDocTemplate(buf, pagesize=self.pagesize, leftMargin=18 * mm, rightMargin=18 * mm,
                                topMargin=16 * mm, bottomMargin=16 * mm, title=title, lang=self.cat.lang,
                                invariant=1, creator="resettlement-matcher", displayDocTitle=1)

        def foot(canvas: Any, document: Any) -> None:
            canvas.saveState()
            canvas.setFont(FONT, 7.5)
            canvas.drawRightString(self.pagesize[0] - 18 * mm, 9 * mm,
                                   self.cat.plain("page_footer", ref=ref, page=document.page))
            canvas.restoreState()

        doc.build(self.out, onFirstPage=foot, onLaterPages=foot)
        return buf.getvalue()


def _algorithm_and_decision(w: _Writer, c: Common, body: str) -> None:
    """That an algorithm helped (`body`: the family's or the commune's wording), its purpose, and who decides."""
    w.t("s_algorithm", "h")
    w.t(body)
    w.t("purpose")
    w.t("s_decision", "h")
    authority = c.authority if c.authority else w.cat.text("authority_default")
    w.t("decision", authority=authority)


def _criteria(w: _Writer, c: Common) -> None:
    """The criteria with their weights and shares, then the rules in force and how they bind."""
    cat = w.cat
    w.t("s_criteria", "h")
    w.t("criteria_intro", policy=c.policy_name)
    rows = [[cat.label("component", k.name), cat.number(k.weight, 2), cat.number(100 * k.share, 0) + " %",
             cat.label("component_help", k.name)] for k in c.criteria]
    w.table([cat.text(h) for h in ("col_criterion", "col_weight", "col_share", "col_meaning")], rows,
            [32, 18, 24, 100])
    w.t("rules_intro")
    lines = [cat.text("rule_hard", rule=Code("rule", r.name)) if r.mode == "hard"
             else cat.text("rule_soft", rule=Code("rule", r.name), penalty=Number(r.penalty, 2))
             for r in c.rules if r.mode != "off"]
    w.bullets(lines)
    off = [Code("rule", r.name) for r in c.rules if r.mode == "off"]
    if off:
        w.t("rules_off", rules=off)


def _review(w: _Writer, c: Common, who: str) -> None:
    """How to ask for a review (`who`: ``family`` or ``commune``), the legal references and the run's trace."""
    w.t("s_review", "h")
    w.t(f"review_intro_{who}")
    w.p(w.cat.value(c.review) if c.review else w.cat.text(f"review_default_{who}"))
    w.out.append(Spacer(1, 8))
    w.t("legal", "small")
    w.t("provenance", "small", policy=c.policy_name, sha=c.input_sha256[:12] or "—", version=c.matcher_version or "—")


def _level(value: float) -> str:
    """The message id of a component value's assessment in words (see `LEVELS`)."""
    return "level_high" if value >= LEVELS[0] else "level_mid" if value >= LEVELS[1] else "level_low"


def _placement(w: _Writer, n: FamilyNotice) -> None:
    """The proposed commune, the score by component in words, and the communes not proposed with why."""
    cat = w.cat
    w.t("placed", commune=n.locality_name, id=n.locality_id)
    if n.bedrooms is not None:
        w.t("placed_unit", bedrooms=n.bedrooms)
    w.t("placed_score", score=Number(n.score or 0.0, 2))
    rows = [[cat.label("component", k.name), cat.number(k.value, 2), cat.number(k.weight, 2),
             cat.text(_level(k.value))] for k in n.components]
    w.table([cat.text(h) for h in ("col_criterion", "col_value", "col_weight", "col_appreciation")], rows,
            [40, 30, 20, 84])


def _elsewhere(w: _Writer, n: FamilyNotice) -> None:
    """The best-scored communes not proposed to the family, each with why not."""
    w.t("s_elsewhere", "h")
    if not n.elsewhere:
        w.t("no_elsewhere")
        return
    w.t("elsewhere_intro")
    sep = w.cat.text("reason_separator")
    w.bullets([w.cat.text("elsewhere_line", commune=e.name or e.locality_id, id=e.locality_id,
                          score=Number(e.score, 2), why=Markup(sep.join(w.msgs(e.why)))) for e in n.elsewhere])


def family_pdf(notice: FamilyNotice, lang: str, today: dt.date | None = None) -> bytes:
    """The notice of one family as a PDF in `lang` (``fr`` or ``en``)."""
    w = _Writer(lang)
    title = w.cat.text("title_family")
    w.p(title, "title")
    w.t("ref_family", case_id=notice.case_id, date=today or dt.date.today())
    _algorithm_and_decision(w, notice.common, "algorithm_family")
    _criteria(w, notice.common)
    w.t("s_needs", "h")
    w.t("needs_intro")
    w.bullets(w.msgs(notice.needs))
    if notice.locality_id is not None:
        w.t("s_applied", "h")
        _placement(w, notice)
    else:
        w.t("s_unplaced", "h")
        w.t("unplaced_intro", kind=Code("kind", notice.unplaced_kind))
        w.bullets(w.msgs(notice.unplaced))
    if notice.linked_with:
        w.t("linked", ids=notice.linked_with)
    _elsewhere(w, notice)
    _review(w, notice.common, "family")
    return w.pdf(str(title), notice.case_id)  # (the titles hold no tags)


def _family_row(cat: Catalog, f: Proposed) -> list[str]:
    """A family's row of the commune's table: what the commune is asked to provide for it."""
    unit = cat.text("unit_step_free", bedrooms=f.bedrooms) if f.step_free else cat.value(f.bedrooms)
    dash = cat.text("none")
    return [cat.value(f.case_id), cat.value(f.persons), unit, " / ".join(cat.value(s) for s in f.school),
            cat.value(f.french_class), cat.value(f.gp),
            cat.value([Code("service", s) for s in f.services]) or dash,
            cat.value([Code("language", s) for s in f.interpreter]) or dash]


def _total_row(cat: Catalog, families: list[Proposed]) -> list[str]:
    """The totals of the commune's table."""
    def total(attr: str) -> Any:
        """The sum of one count over the families."""
        return sum(getattr(f, attr) for f in families)

    school = " / ".join(cat.value(sum(f.school[k] for f in families)) for k in range(3))
    return [cat.text("total"), cat.value(total("persons")), cat.text("total_units", n=len(families)), school,
            cat.value(total("french_class")), cat.value(total("gp")), "", ""]


def commune_pdf(notice: CommuneNotice, lang: str, today: dt.date | None = None) -> bytes:
    """The notice of one commune as a PDF in `lang`: the families proposed to it and what it is asked for."""
    w = _Writer(lang, landscape(A4))  # (the table of families is wide)
    cat = w.cat
    title = cat.text("title_commune")
    w.p(title, "title")
    w.t("ref_commune", commune=notice.name, id=notice.locality_id, date=today or dt.date.today())
    _algorithm_and_decision(w, notice.common, "algorithm_commune")
    w.t("s_families", "h")
    if notice.families:
        w.t("commune_intro")
        header = [cat.text(h) for h in ("col_case", "col_persons", "col_unit", "col_school", "col_french", "col_gp",
                                        "col_services", "col_interpreter")]
        rows = [_family_row(cat, f) for f in notice.families] + [_total_row(cat, notice.families)]
        w.table(header, rows, [28, 22, 32, 36, 28, 34, 42, 39], total=True)
    else:
        w.t("no_families")
    _criteria(w, notice.common)
    _review(w, notice.common, "commune")
    return w.pdf(str(title), f"{notice.name} ({notice.locality_id})")  # (the titles hold no tags)
