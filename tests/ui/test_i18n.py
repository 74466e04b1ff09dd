"""French and English labels."""

from __future__ import annotations

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
    assert i18n.t("sidebar_runs", n=3) == "Exécutions : 3"
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    assert i18n.t("sidebar_runs", n=3) == "Runs: 3"
