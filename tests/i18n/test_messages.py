"""Messages as data: every message the library marks is in the French catalog with the same placeholders, the
template is current, and a message is written in the language asked, numbers and plurals included."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from matcher.i18n import LANGS, Msg, _, _n, catalog, date, from_accept, join, number, render, resolve_lang
from matcher.i18n.catalogs import TEMPLATE, extract, marked_in_code, missing, placeholder_mismatches
from matcher.io import read_dataset
from matcher.io.spec import CASES
from matcher.io.validation import validate_workbook


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_every_message_the_code_uses_is_translated(lang: str) -> None:
    """A message marked in the code and missing from a catalog fails here (run `python -m
    matcher.i18n.catalogs`, then translate what it reports)."""
    assert missing(lang) == []


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_translations_keep_the_placeholders(lang: str) -> None:
    """A translation that drops or renames a placeholder would raise or lose a value when written."""
    assert placeholder_mismatches(lang) == []


def test_the_extraction_finds_every_message_the_code_marks() -> None:
    """Babel's extraction and the syntax tree agree: no message escapes the catalogs (Babel misses one marked
    inside the arguments of another, which must be written apart)."""
    extracted = {tuple(m.id) if isinstance(m.id, list | tuple) else m.id for m in extract() if m.id}
    assert marked_in_code() == extracted


def test_the_committed_template_is_the_code_s() -> None:
    """The template translators start from holds exactly the messages of the code."""
    with TEMPLATE.open("rb") as f:
        committed = {m.id for m in read_po(f) if m.id}
    assert committed == {m.id for m in extract() if m.id}


def test_a_catalog_lacking_a_message_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: with one message removed from the French catalog, it is reported."""
    fr = catalog("fr")
    gone = next(m.id for m in fr if m.id)
    with fr_path().open("rb") as f:
        copy = read_po(f, locale="fr", domain="matcher")
    del copy[gone]
    monkeypatch.setattr("matcher.i18n.catalogs.catalog", lambda lang: copy)
    assert missing("fr") == [gone if isinstance(gone, str) else gone[0]]


def fr_path() -> Path:
    from matcher.i18n import DOMAIN, LOCALE_DIR
    return LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po"


def test_a_message_is_written_in_each_language_with_its_values() -> None:
    said = _("case '{case}' is not in the cases sheet", case="C7")
    assert said.render("en") == "case 'C7' is not in the cases sheet"
    assert said.render("fr") == "le dossier 'C7' n'est pas dans la feuille cases"
    assert str(said) == said.render("en")
    assert render("typed by a user", "fr") == "typed by a user"


def test_numbers_dates_and_plurals_follow_the_language() -> None:
    assert number(1234.5, "fr") == "1\u202f234,5"
    assert number(1234.5, "en") == "1,234.5"
    assert number(0.5261, "fr", 2) == "0,53"
    assert date(dt.date(2026, 12, 3), "fr") == "03/12/2026"
    assert date(dt.date(2026, 12, 3), "en") == "3 Dec 2026"
    one = _n("a needed health service is offered by no locality",
             "{n} needed health services are offered by no locality", 1)
    many = Msg(one.text, {}, one.plural, 2)
    assert one.render("fr") == "un service de santé nécessaire n'est proposé par aucune commune"
    assert many.render("fr") == "2 services de santé nécessaires ne sont proposés par aucune commune"
    assert many.render("en") == "2 needed health services are offered by no locality"


def test_nested_messages_are_written_in_the_language_of_the_whole() -> None:
    both = join([_("a blank cell"), _("an impossible date")])
    assert both.render("fr") == "une cellule vide ; une date impossible"
    assert str(both) == "a blank cell; an impossible date"
    assert _("{first} or {second}", first="'a'", second="'b'").render("fr") == "'a' ou 'b'"


def test_the_language_is_the_explicit_one_then_the_system_s_then_french() -> None:
    assert resolve_lang("EN") == "en"
    assert resolve_lang(None, {"LANG": "en_GB.UTF-8"}) == "en"
    assert resolve_lang(None, {"LANGUAGE": "de:en", "LANG": "fr_FR.UTF-8"}) == "en"
    assert resolve_lang(None, {"LANG": "C.UTF-8"}) == "fr"
    assert resolve_lang(None, {}) == "fr"
    with pytest.raises(ValueError, match="unknown language"):
        resolve_lang("de")
    assert from_accept("de-DE,fr;q=0.8,en;q=0.5") == "fr"
    assert from_accept("en-GB") == "en"
    assert from_accept("de") is None and from_accept(None) is None


def test_validation_issues_read_in_french(tmp_path: Path) -> None:
    """A workbook's problems, located by sheet, row and column, read in French with the same location."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "cases"
    ws.append(["case_id", "arrival_date"])
    ws.append(["C1", "31/02/2026"])
    members = book.create_sheet("members")
    members.append(["case_id", "member_id", "age"])
    members.append(["C2", "M1", "old"])
    path = tmp_path / "cases.xlsx"
    book.save(path)
    from matcher.io.readers import read_workbook

    report = validate_workbook(read_workbook(path, CASES))
    texts = {(i.sheet, i.row, i.column): i.text("fr") for i in report.issues}
    assert texts[("cases", 2, "arrival_date")] == "attendu : une date (AAAA-MM-JJ) ; trouvé : une date impossible"
    assert texts[("members", 2, "age")].startswith("attendu : un nombre entier de 0 à")
    assert texts[("members", 2, "case_id")] == "le dossier 'C2' n'est pas dans la feuille cases"
    issue = next(i for i in report.issues if i.column == "arrival_date")
    where = "cases.xlsx › cases › ligne 2 › arrival_date"
    assert issue.describe("fr") == f"{where} : " + texts[("cases", 2, "arrival_date")]
    assert issue.message == "expected a date (YYYY-MM-DD), got an impossible date"  # the report's contract
    assert issue.to_dict("fr")["message"] == texts[("cases", 2, "arrival_date")]


def test_an_unreadable_file_is_refused_in_french(tmp_path: Path) -> None:
    bad = tmp_path / "cases.xlsx"
    bad.write_bytes(b"not a zip")
    report = read_dataset(bad, tmp_path / "missing.xlsx")
    texts = [i.describe("fr") for i in report.issues]
    assert any("classeur .xlsx illisible" in t for t in texts), texts
    assert any("fichier ou dossier introuvable" in t for t in texts), texts


def test_the_cli_speaks_the_language_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`matcher --lang fr validate` lists the problems and the summary in French; without --lang, the system
    locale decides (French when it names neither language); the JSON report's codes stay, its words follow."""
    import json

    from typer.testing import CliRunner

    from matcher.cli import app

    cases, localities = Path("sample_data/cases.xlsx"), Path("sample_data/localities.xlsx")
    runner = CliRunner()
    fr = runner.invoke(app, ["--lang", "fr", "validate", str(cases), str(localities)])
    assert fr.exit_code == 0, fr.output
    assert "valide : 200 dossiers (630 personnes), 40 communes ; 3 avertissements" in fr.output
    assert "avertissement : cases.xlsx › cases › ligne" in fr.output
    assert "no locality" not in fr.output
    monkeypatch.delenv("MATCHER_LANG")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert "valide : 200 dossiers" in runner.invoke(app, ["validate", str(cases), str(localities)]).output
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    en = runner.invoke(app, ["validate", str(cases), str(localities)])
    assert "valid: 200 cases (630 persons), 40 localities; 3 warnings" in en.output
    report = json.loads(runner.invoke(app, ["--lang", "fr", "validate", "--json", str(cases),
                                            str(localities)]).output)
    warning = report["warnings"][0]
    assert warning["severity"] == "warning" and warning["sheet"] == "cases"
    assert warning["message"].startswith("aucune commune ne peut accueillir le dossier")
    bad = runner.invoke(app, ["--lang", "de", "validate", str(cases), str(localities)])
    assert bad.exit_code == 2 and "use fr or en" in bad.output
