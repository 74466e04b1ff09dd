"""The notices' catalogs: French and English hold the same messages with the same placeholders, every message
and code the notices use, and write numbers and dates the way each language does."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

import matcher.notice
from matcher.explain.reasons import _RESOURCE_WORDS, _WHY_NOT_WORDS
from matcher.i18n.labels import TABLES
from matcher.models import HEALTH_SERVICES, LANGUAGES, SECTORS
from matcher.models.policy import Rules, Weights
from matcher.models.result import KIND_WORDS
from matcher.notice.catalog import LANGS, Catalog, CatalogError, Code, Msg, placeholders

NOTICE = Path(matcher.notice.__file__).parent
def _ids_in_code() -> set[str]:
    """The message ids written in the notice's modules: the first argument of every ``t(...)``, ``text(...)``,
    ``plain(...)`` and ``Msg(...)`` that is a literal, and the column ids listed in tuples."""
    out = set()
    for path in NOTICE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in {"t", "text", "plain", "Msg"}:
                    out.add(node.args[0].value)
            if isinstance(node, ast.Tuple) and any(isinstance(e, ast.Constant) and str(e.value).startswith("col_")
                                                   for e in node.elts):
                out |= {e.value for e in node.elts if isinstance(e, ast.Constant)}
    return out


def test_french_and_english_hold_the_same_messages_and_placeholders():
    fr, en = Catalog("fr").data, Catalog("en").data
    assert set(fr) == set(en)
    for table in fr:
        assert set(fr[table]) == set(en[table]), table
    for key, template in fr["text"].items():
        assert placeholders(template) == placeholders(en["text"][key]), key


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_and_code_the_notices_use_is_in_the_catalog(lang):
    """Literal ids of the code, the ids it completes, and every code the records, the policy and the reasons
    know have their text (a missing one would print the bare code)."""
    data = Catalog(lang).data
    used = _ids_in_code()
    assert {"placed", "page_footer", "col_case", "need_gp", "excluded_by_rule"} <= used  # the reader finds them
    used |= {f"why_not_{k}" for k in _WHY_NOT_WORDS} | {f"review_intro_{w}" for w in ("family", "commune")}
    used |= {f"review_default_{w}" for w in ("family", "commune")}
    assert sorted(used - set(data["text"])) == []
    chosen = {"algorithm_family", "algorithm_commune", "level_high", "level_mid", "level_low", "list_separator",
              "need_licence", "need_no_licence", "yes", "no"}  # picked by a condition, or read as data
    assert sorted(set(data["text"]) - used - chosen) == []  # no sentence a translator would translate in vain
    expected = {"component_help": set(Weights.model_fields),
                "rule": set(Rules.model_fields) | {"pin", "forbid"}, "kind": set(KIND_WORDS),
                "resource": set(_RESOURCE_WORDS) - {"service", "interpreter", "jobs"} | {"housing", "service"}}
    for table, codes in expected.items():
        assert sorted(codes - set(data[table])) == [], table
    names = {"language": set(LANGUAGES), "sector": set(SECTORS), "service": set(HEALTH_SERVICES),
             "component": set(Weights.model_fields)}
    for table, codes in names.items():  # the library's names of codes, shared with the app
        assert sorted(codes - set(TABLES[table])) == [], table


def test_numbers_and_dates_in_each_language():
    fr, en = Catalog("fr"), Catalog("en")
    assert fr.number(1234.5, 1) == "1\u00a0234,5" and en.number(1234.5, 1) == "1,234.5"
    assert fr.number(-0.004, 2) == "0,00" and fr.number(-2.5, 1) == "-2,5"
    assert fr.date(dt.date(2026, 12, 3)) == "03/12/2026"
    assert fr.value(0.5) == "0,50" and en.value(1234) == "1,234"


def test_values_are_escaped_and_codes_labelled():
    fr = Catalog("fr")
    assert fr.text("placed", commune="<b>X</b>", id="a&b") == (
        "<b>Placement proposé :</b> &lt;b&gt;X&lt;/b&gt; (a&amp;b).")
    assert fr.value(Code("language", "ti")) == "tigrigna" and fr.value(Code("language", "zz")) == "zz"
    assert fr.value([Code("sector", "retail"), "<i>"]) == "commerce, &lt;i&gt;"
    assert fr.value(Msg("full_interpreter", {"language": Code("language", "so")})) == (
        "plus d'interprétariat disponible en somali")


def test_unknown_language_or_message_is_refused_by_name():
    with pytest.raises(CatalogError, match="'de'"):
        Catalog("de")
    with pytest.raises(CatalogError, match="no message 'nope'"):
        Catalog("fr").text("nope")
