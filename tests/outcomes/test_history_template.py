"""`matcher outcomes template`: the history workbook's template reads back as a valid history with the
localities template, with the outcome columns explained in both languages and yes/no dropdowns."""

from __future__ import annotations

from openpyxl import load_workbook
from typer.testing import CliRunner

from matcher.cli import app
from matcher.io.spec import OUTCOMES
from matcher.io.templates import write_templates
from matcher.outcomes.history import KEYS, KNOWN_OUTCOMES, read_history

runner = CliRunner()


def test_history_template_reads_back_with_the_localities_template(tmp_path):
    res = runner.invoke(app, ["outcomes", "template", str(tmp_path / "t")])
    assert res.exit_code == 0, res.output
    assert res.output.strip().endswith("history.xlsx")
    write_templates(tmp_path / "t")
    history = read_history(tmp_path / "t" / "history.xlsx", tmp_path / "t" / "localities.xlsx")
    rows = history.placements
    assert list(rows["case_id"]) == ["EX-001", "EX-002"] and list(rows["employed_12m"]) == [1.0, 0.0]
    assert history.outcomes == KNOWN_OUTCOMES == ("employed_12m", "housed_12m", "moved_away_12m")
    assert KEYS == ("case_id", "locality_id", "placed_on")


def test_history_template_explains_the_outcome_columns_and_offers_yes_no(tmp_path):
    runner.invoke(app, ["outcomes", "template", str(tmp_path)])
    wb = load_workbook(tmp_path / "history.xlsx")
    assert wb.sheetnames[:4] == ["Instructions", "cases", "members", "outcomes"]
    text = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    for column in OUTCOMES.columns:
        assert column.help_en in text and column.help_fr in text
    ws = wb["outcomes"]
    assert [c.value for c in ws[1]][:6] == [c.name for c in OUTCOMES.columns]
    employed = "D"
    assert any(f"{employed}2" in str(v.sqref) for v in ws.data_validations.dataValidation)
