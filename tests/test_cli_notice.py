"""`matcher notice` end to end on the tiny workbooks: a placed family, an unplaced family and a commune, in
French and English, read back from the PDF; bad usage and missing inputs."""

from __future__ import annotations

import shutil

import pytest
from pdftext import text_of
from test_cli_match import _health_inputs, _inputs
from typer.testing import CliRunner

from matcher.cli import app
from matcher.i18n import resolve_lang

runner = CliRunner()


def _match(tmp_path, inputs=_inputs):
    cases, localities = inputs(tmp_path)
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["match", str(cases), str(localities), "--out", str(out), "--time-limit", "5", "-q"])
    assert res.exit_code == 0, res.output
    return out, cases, localities


def _notice(tmp_path, *args: str) -> str:
    pdf = tmp_path / "n.pdf"
    res = runner.invoke(app, ["notice", *args, "--out", str(pdf)])
    assert res.exit_code == 0, res.output
    assert f"written: {pdf}" in res.output
    return text_of(pdf.read_bytes())


def test_placed_family_notice_in_french_and_english(tmp_path):
    """C3 is placed in Toulouse: the notice names the criteria with their weights, the commune and why not
    Pamiers; the run's trace names its policy and input fingerprint."""
    out, _, _ = _match(tmp_path)
    fr = _notice(tmp_path, str(out), "C3", "--lang", "fr")
    assert "Les critères et leur poids" in fr and "Emploi 1,00 22 %" in fr and "Mobilité 0,50 11 %" in fr
    assert "Placement proposé : Toulouse (31555)" in fr
    assert "Pamiers (09225), note" in fr and "règle non respectée : communes exclues pour la famille" in fr
    assert "dialys" not in fr.lower()  # C3's need is "a specialised health service", never named
    en = _notice(tmp_path, str(out), "C3", "--lang", "en")
    assert "The criteria and their weights" in en and "Employment 1.00 22 %" in en
    assert "Proposed placement: Toulouse (31555)" in en


def test_unplaced_family_notice_says_why(tmp_path):
    """C4 excludes both communes: its notice says why no commune could take it, with the criteria."""
    out, _, _ = _match(tmp_path, _health_inputs)
    fr = _notice(tmp_path, str(out), "C4", "--lang", "fr")
    assert "Raison principale : toutes les communes sont exclues pour la famille" in fr
    assert "communes exclues pour la famille : règle non respectée dans 2 commune(s) sur 2" in fr
    assert "Préférences 1,00 22 %" in fr
    en = _notice(tmp_path, str(out), "C4", "--lang", "en")
    assert "Main reason: every commune is excluded for the family" in en and "Preferences 1.00 22 %" in en


def test_commune_notice(tmp_path):
    """--locality writes the commune's notice: its families, the criteria and weights, no other commune."""
    out, _, _ = _match(tmp_path)
    fr = _notice(tmp_path, str(out), "--locality", "09225", "--lang", "fr")
    assert "Familles proposées à la commune" in fr and "Pamiers (09225)" in fr
    assert " C1 " in fr and " C2 " in fr and " C3 " not in fr
    assert "Toulouse" not in fr and "31555" not in fr
    assert "Emploi 1,00 22 %" in fr
    en = _notice(tmp_path, str(out), "--locality", "09225", "--lang", "en")
    assert "Families proposed to the commune" in en and "Employment 1.00 22 %" in en


def test_moved_inputs_are_asked_for_and_can_be_given(tmp_path):
    """Inputs moved since the run: the command asks for them (exit 1); given, it writes the notice."""
    out, cases, localities = _match(tmp_path)
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(cases, moved / cases.name)
    res = runner.invoke(app, ["notice", str(out), "C1", "--out", str(tmp_path / "n.pdf")])
    assert res.exit_code == 1 and "give --cases and --localities" in res.output
    text = _notice(tmp_path, str(out), "C1", "--cases", str(moved / cases.name), "--localities", str(localities))
    assert "Pamiers (09225)" in text


@pytest.mark.parametrize(("args", "code", "words"), [
    (["C1", "--locality", "09225"], 2, "give either CASE_ID or --locality"),
    ([], 2, "give either CASE_ID or --locality"),
    (["C1", "--lang", "de"], 2, "use fr or en"),
    (["NOPE"], 1, "NOPE: not a family of this result"),
    (["--locality", "99999"], 1, "99999: not a commune"),
])
def test_bad_usage_and_unknown_ids(tmp_path, args, code, words):
    out, _, _ = _match(tmp_path)
    res = runner.invoke(app, ["notice", str(out), *args, "--out", str(tmp_path / "n.pdf")])
    assert res.exit_code == code
    assert words in " ".join(res.output.replace("│", " ").split())
    assert not (tmp_path / "n.pdf").exists()


def test_the_language_follows_the_system_locale(monkeypatch):
    """French unless the locale is English (LC_ALL first, then LC_MESSAGES, then LANG)."""
    for name in ("MATCHER_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert resolve_lang() == "fr"
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert resolve_lang() == "en"
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    assert resolve_lang() == "fr"
