"""Outputs: no exported cell can start a formula, and no text from a workbook is rendered as HTML."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pytest
from malicious import FORMULAS
from typer.testing import CliRunner
from workbooks import write_csv_dir

from matcher.cli import app

ROOT = Path(__file__).resolve().parents[2]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _formula_laden(tmp_path: Path, tiny_cases, tiny_localities) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    """The tiny workbooks with formulas as commune names and as a family's id, as CSV folders: an .xlsx cell
    that starts with '=' is a formula, which the readers take as its cached value, while CSV keeps the text."""
    tiny_localities["localities"][1][1] = FORMULAS[0]
    tiny_localities["localities"][2][1] = FORMULAS[6]
    for sheet in ("cases", "members"):
        for row in tiny_cases[sheet][1:]:
            if row[0] == "C3":
                row[0] = FORMULAS[3]
    return write_csv_dir(tmp_path / "cases", tiny_cases), write_csv_dir(tmp_path / "localities", tiny_localities)


def _cells_xlsx(path: Path) -> list[object]:
    book = openpyxl.load_workbook(path)
    cells = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                cells.append(cell.value)
    return cells


def test_formula_laden_workbook_exports_inert_xlsx_and_csv(tmp_path: Path, tiny_cases, tiny_localities) -> None:  # type: ignore[no-untyped-def]
    """Formulas typed as names and ids come out of `matcher match` as text with a leading apostrophe."""
    cases, localities = _formula_laden(tmp_path, tiny_cases, tiny_localities)
    runner = CliRunner()
    for name in ("result.xlsx", "result.csv"):
        out = runner.invoke(app, ["match", str(cases), str(localities), "--out", str(tmp_path / name), "-q",
                                  "--time-limit", "5"])
        assert out.exit_code == 0, out.output
    cells = [c for c in _cells_xlsx(tmp_path / "result.xlsx") if isinstance(c, str)]
    assert not [c for c in cells if c.startswith(DANGEROUS)]
    assert {"'" + FORMULAS[0], "'" + FORMULAS[6]} & set(cells), cells  # kept, readable, inert
    with (tmp_path / "result.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert not [c for r in rows for c in r if c.startswith(DANGEROUS)]
    assert any(c == "'" + FORMULAS[3] for r in rows for c in r)


@pytest.mark.parametrize("formula", FORMULAS)
def test_every_dangerous_start_is_neutralised(formula: str) -> None:
    """Each of =, +, -, @, tab and CR at the start of a text cell gets an apostrophe."""
    from matcher.io.results import neutralise

    assert neutralise(formula) == "'" + formula
    assert neutralise("Pamiers") == "Pamiers" and neutralise(3) == 3


def test_edited_tables_download_as_inert_xlsx(tmp_path: Path) -> None:
    """The app's 'download edited workbook' writes formulas typed in a table as text."""
    import pandas as pd

    from matcher.io import spec
    from ui.components.workbooks import frame_to_xlsx

    frames = {"localities": pd.DataFrame({"locality_id": ["09225"], "name": [FORMULAS[0]]})}
    path = tmp_path / "edited.xlsx"
    path.write_bytes(frame_to_xlsx(spec.LOCALITIES, frames))
    cells = [c for c in _cells_xlsx(path) if isinstance(c, str)]
    assert not [c for c in cells if c.startswith(DANGEROUS)]


def test_no_page_renders_html_or_runs_scripts() -> None:
    """The app never opts into raw HTML: no unsafe_allow_html, st.html, components.html or iframes, except the
    page setup of `ui/components/a11y.py`, which sends only the app's own constant style and a script built from
    a language code checked against the two the app speaks (no text of a user or a file)."""
    from ui.components.a11y import language_script

    pattern = re.compile(r"unsafe_allow_html\s*=\s*True|st\.html\(|components\.v1|components\.html|\.iframe\(")
    offenders = [f"{p.relative_to(ROOT)}:{line.strip()}" for p in (ROOT / "ui").rglob("*.py")
                 for line in p.read_text(encoding="utf-8").splitlines() if pattern.search(line)]
    assert offenders == ["ui/components/a11y.py:st.html(_STYLE)",
                         "ui/components/a11y.py:st.html(language_script(lang), unsafe_allow_javascript=True)"]
    with pytest.raises(ValueError):
        language_script('fr"; alert(1); "')


def test_markdown_control_characters_from_workbooks_show_as_typed() -> None:
    """A commune name that is Markdown for an image or a link is escaped before it reaches st.markdown."""
    from ui.components.text import JOINER, plain

    assert plain("![x](http://host/p.png)") == r"\!\[x\]\(http\:" + JOINER + r"\/\/host\/p\.png\)"
    assert plain("<b>Pamiers</b>") == r"\<b\>Pamiers\<\/b\>"
    assert plain("Saint-Flour\nline") == r"Saint\-Flour line"


#: Look-alikes of the formula signs, and signs after characters a spreadsheet may skip: each must be made inert.
LOOK_ALIKES = ("＝HYPERLINK(\"http://attacker.example/\",\"x\")", "＋1+1", "－2+3", "＠SUM(1,1)", "﹦1+1", "﹢1", "﹣1",
               "﹫SUM(1)", "⁼1", "₊1", "\u22121+1", "\u20131", " =1+1", "  ＝1+1", "\n=1+1", "\r\n+1", "\u200b=1+1",
               "\ufeff@SUM(1)", "\u00a0-1")


@pytest.mark.parametrize("formula", LOOK_ALIKES)
def test_look_alike_formula_signs_are_neutralised(formula: str) -> None:
    """Full-width '＝HYPERLINK(...)', small and super/subscript signs, minus signs and dashes, and a sign after
    spaces, line breaks or invisible characters all get the apostrophe."""
    from matcher.io import neutralise

    assert neutralise(formula) == "'" + formula
    for harmless in ("Pamiers", "Saint-Flour", "2A004", "A=B", "'=1", "", "  "):
        assert neutralise(harmless) == harmless


def test_one_neutralising_function_serves_every_export() -> None:
    """Results, templates and the app's downloads use the same function: no second list of signs to forget."""
    import matcher.io
    import matcher.io.results
    import matcher.io.templates
    from matcher.io import safety

    assert matcher.io.neutralise is safety.neutralise is matcher.io.results.neutralise
    assert matcher.io.templates.neutralise is safety.neutralise
    sources = [p for p in (ROOT / "matcher").rglob("*.py")] + [p for p in (ROOT / "ui").rglob("*.py")]
    defined = [f"{p.relative_to(ROOT)}" for p in sources
               if re.search(r"^def _?neutrali[sz]e\(", p.read_text(encoding="utf-8"), re.MULTILINE)]
    assert defined == ["matcher/io/safety.py"]


def _starts_a_formula(text: str) -> bool:
    from matcher.io.safety import _starts_formula

    return text.startswith(("\t", "\r")) or _starts_formula(text)


def test_full_width_hyperlink_in_names_and_ids_exports_inert(tmp_path: Path, tiny_cases, tiny_localities) -> None:  # type: ignore[no-untyped-def]
    """The attack: a commune named '＝HYPERLINK(...)' came out of the .xlsx and .csv exports as is. Now every
    text cell starting with a look-alike sign carries the apostrophe, in both formats."""
    tiny_localities["localities"][1][1] = LOOK_ALIKES[0]
    tiny_localities["localities"][2][1] = "＋1+1"
    for sheet in ("cases", "members"):
        for row in tiny_cases[sheet][1:]:
            if row[0] == "C3":
                row[0] = "＠SUM(1,1)"  # an id: NFKC reads it as '@SUM(1,1)'
    cases = write_csv_dir(tmp_path / "cases", tiny_cases)
    localities = write_csv_dir(tmp_path / "localities", tiny_localities)
    runner = CliRunner()
    for name in ("result.xlsx", "result.csv"):
        out = runner.invoke(app, ["match", str(cases), str(localities), "--out", str(tmp_path / name), "-q",
                                  "--time-limit", "5"])
        assert out.exit_code == 0, out.output
    cells = [c for c in _cells_xlsx(tmp_path / "result.xlsx") if isinstance(c, str)]
    assert {"'" + LOOK_ALIKES[0], "'＋1+1", "'@SUM(1,1)"} <= set(cells), cells
    assert not [c for c in cells if _starts_a_formula(c)]
    with (tmp_path / "result.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert {"'" + LOOK_ALIKES[0], "'@SUM(1,1)"} <= {c for r in rows for c in r}
    assert not [c for r in rows for c in r if _starts_a_formula(c)]


def test_full_width_hyperlink_in_templates_and_edited_workbooks_is_inert(tmp_path: Path) -> None:
    """Workbooks written with the templates' styling (the app's edited tables) neutralise look-alikes too,
    in cells and in the headers of extra columns."""
    import pandas as pd

    from matcher.io import spec
    from matcher.io.templates import write_workbook

    frames = {"localities": pd.DataFrame({"locality_id": ["09225"], "name": [LOOK_ALIKES[0]],
                                          LOOK_ALIKES[3]: [LOOK_ALIKES[2]]})}
    path = write_workbook(tmp_path / "localities.xlsx", spec.LOCALITIES, frames)
    cells = [c for c in _cells_xlsx(path) if isinstance(c, str)]
    assert {"'" + LOOK_ALIKES[0], "'" + LOOK_ALIKES[2], "'" + LOOK_ALIKES[3]} <= set(cells)
    assert not [c for c in cells if _starts_a_formula(c)]
