"""French and English labels."""

from __future__ import annotations

import re
import string

import pytest

from ui.components import i18n


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(i18n.LABELS))
def test_every_label_has_both_languages_with_the_same_placeholders(key):
    """Each label is non-empty in English and French and fills the same {placeholders}."""
    en, fr = i18n.LABELS[key]
    assert en.strip() and fr.strip()
    assert _fields(en) == _fields(fr)


def test_unknown_key_falls_back_to_the_key(monkeypatch):
    """A missing label shows its key rather than failing."""
    monkeypatch.setattr(i18n, "lang", lambda: "fr")
    assert i18n.t("no_such_label") == "no_such_label"


def test_t_uses_the_chosen_language(monkeypatch):
    """t() returns the French text when French is chosen, with values filled in."""
    monkeypatch.setattr(i18n, "lang", lambda: "fr")
    assert i18n.t("sidebar_runs", n=3) == "Calculs : 3"
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    assert i18n.t("sidebar_runs", n=3) == "Runs: 3"


@pytest.mark.parametrize(("lang", "field", "changes"), [
    ("en", "(decisions.case_id is longer than the records keep: at most 64 characters (this one has 80).)",
     "kept in yours (scenario #5): localities of 09225 by n.dupont@ngo.example (scenario #3); housing of 09225 by "
     "![x](http://127.0.0.1:9/x.png) (scenario #4)."),
    ("fr", "(decisions.case_id est plus long que ce que le registre conserve : 64 caractères au plus (celui-ci en a "
     "80).)", "reprises dans les vôtres (scénario n° 5) : localities de 09225 par n.dupont@ngo.example (scénario n° "
     "3); housing de 09225 par ![x](http://127.0.0.1:9/x.png) (scénario n° 4)."),
])
def test_messages_made_of_labels_are_escaped_once(monkeypatch, lang, field, changes):
    """A message placed in another label (a field's limit, the capacity edits carried) reads as written: its
    values are escaped once, not once per label (no backslash shows), and nothing in it renders as Markdown."""
    from apptest_helpers import shown
    from markdown_it import MarkdownIt

    from matcher.store.capacities import Change
    from matcher.store.errors import FieldTooLong
    from ui.components import records

    monkeypatch.setattr(i18n, "lang", lambda: lang)
    refused = i18n.t("record_failed", what="decision", kind=records.error_text(FieldTooLong("decisions", "case_id",
                                                                                           64, 80)))
    carried = i18n.t("carried", id=5, changes=records.changes_text([
        Change("localities", "09225", 3, "n.dupont@ngo.example", "capacities"),
        Change("housing", "09225", 4, "![x](http://127.0.0.1:9/x.png)", "capacities")]))
    assert field in shown(refused)
    assert changes in shown(carried)
    for source in (refused, carried):
        assert not re.search(r"<(img|a|em)\b", MarkdownIt("commonmark").render(source)), source
