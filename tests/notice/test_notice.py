"""Decision notices: written as PDF, read back as text, in French and English, for a placed family, an unplaced
family and a commune; user values printed as text, never as markup."""

from __future__ import annotations

import io
import re

import pytest
from factories import commune, data, family
from pdftext import text_of
from pypdf import PdfReader

from matcher.engine import SolveParams
from matcher.match import solve
from matcher.models import Policy
from matcher.models.policy import NoticeSettings
from matcher.notice import NoticeError, commune_notice, commune_pdf, family_notice, family_pdf
from matcher.problem import build_problem

FAST = SolveParams(time_limit=5, workers=1)
HOSTILE = '<font size=40>X</font> <a href="https://example.invalid/">Y</a>'


def _placed_case(policy: Policy | None = None):
    """A placed by preference in 1 (3 is full, 2 excluded); B placed in 3; C needs oncology, offered nowhere."""
    ds = data(
        [family("A", (30, 4), preferred_locality_ids=("3", "1", "2"), excluded_locality_ids=("2",),
                languages=("ti",), french="none", sector="retail"),
         family("B", (30,), preferred_locality_ids=("3",), priority=2),
         family("C", (40,), health_services=("oncology",), needs_step_free_housing=True)],
        [commune("1", units={2: 1}, step_free={1: 1}, interpreters={"ti": None}, name="Foix"),
         commune("2", units={2: 1}, interpreters={"ti": None}, name=HOSTILE),
         commune("3", units={1: 1}, interpreters={"ti": None}, name="Pamiers")],
    )
    problem = build_problem(ds, policy or Policy())
    result = solve(problem, FAST)
    assert result.plan() == {"A": "1", "B": "3"}
    return ds, problem, result


def test_placed_family_in_french_names_criteria_weights_needs_and_why_not_elsewhere():
    """A placed family's notice says an algorithm helped, gives every criterion with its weight and share, its
    needs, its commune and score by component, the communes not proposed and why, who decides, and the review."""
    _, problem, result = _placed_case()
    text = text_of(family_pdf(family_notice(problem, result, "A"), "fr"))
    assert "traitement algorithmique" in text and "L311-3-1" in text and "R311-3-1-2" in text
    for label, weight, share in (("Emploi", "1,00", "22 %"), ("Langue", "1,00", "22 %"),
                                 ("Mobilité", "0,50", "11 %"), ("Liens familiaux", "1,00", "22 %"),
                                 ("Préférences", "1,00", "22 %")):
        assert re.search(f"{label} {weight} {share}", text), label
    assert "Résultat prédit" not in text  # weight 0: not a criterion of this policy
    assert "Placement proposé : Foix (1)" in text
    assert "Un interprète dans l'une de vos langues : tigrigna." in text
    assert "Une expérience professionnelle dans les secteurs suivants : commerce." in text
    assert "Des places d'accueil pour les enfants : 0 en crèche, 1 en école maternelle ou élémentaire" in text
    assert "Pamiers (3), note" in text and "capacité épuisée : logement adapté" in text
    assert "règle non respectée : communes exclues pour la famille" in text
    assert "La décision est prise par un agent" in text and "Demander un réexamen" in text


def test_placed_family_in_english():
    """The same notice in English, numbers written the English way."""
    _, problem, result = _placed_case()
    text = text_of(family_pdf(family_notice(problem, result, "A"), "en"))
    for label, weight in (("Employment", "1.00"), ("Language", "1.00"), ("Mobility", "0.50"),
                          ("Family ties", "1.00"), ("Preferences", "1.00")):
        assert f"{label} {weight} 22 %" in text or f"{label} {weight} 11 %" in text, label
    assert "Proposed placement: Foix (1)" in text
    assert "An interpreter in one of your languages: Tigrinya." in text
    assert "rule not met: communes excluded for the family" in text
    assert "The decision is taken by an officer" in text


def test_unplaced_family_says_why_and_names_no_condition():
    """An unplaced family's notice says why no commune could take it, in words that name its need, never the
    condition behind it (the service is "a specialised health service", not its name)."""
    _, problem, result = _placed_case()
    notice = family_notice(problem, result, "C")
    assert notice.locality_id is None and notice.unplaced_kind == "nowhere:health_services"
    fr = text_of(family_pdf(notice, "fr"))
    assert "Pourquoi aucune commune n'a pu être proposée" in fr
    assert "Raison principale : un service de santé nécessaire n'est proposé dans aucune commune" in fr
    assert "services de santé nécessaires proposés : règle non respectée dans 3 commune(s) sur 3" in fr
    assert "L'accès à 1 service(s) de santé spécialisé(s)" in fr and "Un logement accessible de plain-pied" in fr
    assert "Emploi 1,00 22 %" in fr  # the criteria, as for a placed family
    en = text_of(family_pdf(notice, "en"))
    assert "Main reason: a health service the family needs is offered in no commune" in en
    for text in (fr, en):
        assert "oncolog" not in text.lower()


def test_commune_notice_lists_its_families_and_what_to_provide_and_nothing_else():
    """A commune's notice lists the families proposed to it with what it must provide, the criteria and
    weights, and no other commune's name or id."""
    ds, problem, result = _placed_case()
    notice = commune_notice(ds, problem.policy, result, "1")
    assert [f.case_id for f in notice.families] == ["A"]
    fr = text_of(commune_pdf(notice, "fr"))
    assert "Familles proposées à la commune" in fr and "Foix (1)" in fr
    assert re.search(r"A 2 1 0 / 1 / 0 1 2 — tigrigna", fr)
    assert "Emploi 1,00 22 %" in fr and "Mobilité 0,50 11 %" in fr
    assert "Pamiers" not in fr and "(3)" not in fr and "font" not in fr
    en = text_of(commune_pdf(notice, "en"))
    assert "Families proposed to the commune" in en and "Employment 1.00 22 %" in en and "Tigrinya" in en


def test_commune_notice_names_the_services_it_must_provide():
    """A commune is told the health services it is asked to provide (and a step-free home), by their names."""
    ds = data([family("A", (30,), health_services=("dialysis",), needs_step_free_housing=True)],
              [commune("1", step_free={1: 1}, services={"dialysis": None})])
    problem = build_problem(ds, Policy())
    result = solve(problem, FAST)
    text = text_of(commune_pdf(commune_notice(ds, problem.policy, result, "1"), "fr"))
    assert "1, de plain-pied" in text and "dialyse" in text


def test_user_values_are_printed_as_text_never_as_markup():
    """A commune named with ReportLab tags shows the tags as written, makes no link, and the policy's own
    review text too."""
    hostile = Policy(name=HOSTILE, notice=NoticeSettings(authority=HOSTILE, review=f"Écrire à {HOSTILE}"))
    ds, problem, result = _placed_case(hostile)
    notice = family_notice(problem, result, "A")
    assert any(e.name == HOSTILE for e in notice.elsewhere)
    pdf = family_pdf(notice, "fr")
    text = text_of(pdf)
    assert text.count(HOSTILE) >= 4  # the policy's name, the authority, the review text, the commune
    assert b"/URI" not in pdf and b"/Annots" not in pdf
    commune_text = text_of(commune_pdf(commune_notice(ds, problem.policy, result, "2"), "en"))
    assert f"{HOSTILE} (2) — page 1" in commune_text  # the foot of the page, drawn as plain text


def test_review_and_authority_come_from_the_policy_or_the_default_wording():
    """The policy's notice settings name who decides and how to ask for a review; empty, the catalog's own
    wording is used."""
    _, problem, result = _placed_case()
    default = text_of(family_pdf(family_notice(problem, result, "A"), "fr"))
    assert "adressez votre demande, par écrit, à l'administration qui vous a remis ce document" in default
    own = Policy(notice=NoticeSettings(authority="la préfecture de l'Ariège",
                                       review="Écrire au bureau de l'asile, 2 rue de la Préfecture, 09000 Foix."))
    _, problem, result = _placed_case(own)
    text = text_of(family_pdf(family_notice(problem, result, "A"), "fr"))
    assert "un agent de la préfecture de l'Ariège" in text
    assert "Écrire au bureau de l'asile, 2 rue de la Préfecture, 09000 Foix." in text
    assert "adressez votre demande" not in text


def test_unknown_family_or_commune_is_refused_by_name():
    """A family not in the result, or a commune not in the workbook, is refused with its id."""
    ds, problem, result = _placed_case()
    with pytest.raises(NoticeError, match=r"^Z: not a family of this result"):
        family_notice(problem, result, "Z")
    with pytest.raises(NoticeError, match=r"^9: not a commune"):
        commune_notice(ds, problem.policy, result, "9")


def test_the_pdf_declares_its_language_and_title():
    """The PDF's metadata give its title and language (for screen readers); each page's foot names the case."""
    _, problem, result = _placed_case()
    pdf = family_pdf(family_notice(problem, result, "A"), "fr")
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None and reader.metadata.title == "Information sur la proposition de placement"
    assert reader.trailer["/Root"].get("/Lang") == "fr"
    assert len(reader.pages) >= 2
    assert all(f"A — page {n}" in p.extract_text() for n, p in enumerate(reader.pages, start=1))
