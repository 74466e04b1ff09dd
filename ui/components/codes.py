"""Readable names for the codes the engine uses (languages, health services, sectors, resource rows), in English
and French: "interpreter:ti" reads "interpreting in Tigrinya", "housing:4:4" reads "homes with 4+ bedrooms".

The engine's own sentences (explanations) are English and name languages by their ISO code; `readable` puts the
language's English name in their place, so that a coordinator never has to decode "an interpreter in ti".
"""

from __future__ import annotations

import re

from matcher.i18n import Msg
from matcher.i18n.labels import LANGUAGE_NAMES, SECTOR_NAMES, SERVICE_NAMES
from ui.components.i18n import lang, phrase

#: Health service and sector codes -> (English, French).
CODE_NAMES: dict[str, tuple[str, str]] = {**SERVICE_NAMES, **SECTOR_NAMES}

#: Resource rows without a code -> (English, French).
RESOURCE_NAMES: dict[str, tuple[str, str]] = {
    "persons": ("persons agreed", "personnes accordées"),
    "cases": ("families agreed", "familles accordées"),
    "gp": ("GP capacity (persons)", "capacité des généralistes (personnes)"),
    "creche": ("crèche seats", "places en crèche"),
    "primary": ("primary school seats", "places en école primaire"),
    "secondary": ("secondary school seats", "places au collège et au lycée"),
    "french_class": ("French class seats", "places en cours de français"),
    "budget": ("commune budget (€)", "budget communal (€)"),
    "regional_budget": ("regional budget (€)", "budget régional (€)"),
    "balance_max": ("area's share of arrivals (ceiling)", "part des arrivées du territoire (plafond)"),
    "balance_min": ("area's share of arrivals (floor)", "part des arrivées du territoire (plancher)"),
    "placed": ("families placed", "familles placées"),
}

#: Resource rows with a code: "kind:code" -> (English, French) with {name} for the code's name.
_KINDS: dict[str, tuple[str, str]] = {
    "interpreter": ("interpreting in {name}", "interprétariat en {name}"),
    "service": ("health service: {name}", "service de santé : {name}"),
    "jobs": ("vacancies in {name}", "postes vacants : {name}"),
}


def _pick(pair: tuple[str, str]) -> str:
    return pair[1] if lang() == "fr" else pair[0]


def language_name(code: str) -> str:
    """A language's name in the user's language; an unknown code as it is."""
    pair = LANGUAGE_NAMES.get(code)
    return _pick(pair) if pair else code


def code_name(code: str) -> str:
    """A health service's or sector's name in the user's language; an unknown code as it is."""
    pair = CODE_NAMES.get(code)
    return _pick(pair) if pair else code


def resource_label(resource: str) -> str:
    """A resource row in words, plain text: "housing:4:2" -> "homes with 4+ bedrooms (step-free: 2+)"."""
    if resource in RESOURCE_NAMES:
        return _pick(RESOURCE_NAMES[resource])
    kind, _, rest = resource.partition(":")
    if kind == "housing":
        need, step_free = [*rest.split(":"), ""][:2]
        return phrase("resource_housing", n=need, sf=step_free or need)
    if kind in _KINDS:
        name = language_name(rest) if kind == "interpreter" else code_name(rest)
        return _pick(_KINDS[kind]).format(name=name)
    return resource


#: "an interpreter in ti", "interpreting in ru/uk" in the engine's English sentences.
_LANGUAGE_CODES = re.compile(r"\b(interpreters? in|interpreting in) ([a-z]{2}(?:/[a-z]{2})*)\b")


def said(value: Msg | str) -> str:
    """A message of the library in the app's language; a plain string (a result read back from its file, in
    English) with its language codes named (:func:`readable`)."""
    return value.render(lang()) if isinstance(value, Msg) else readable(value)


def readable(text: str) -> str:
    """An engine sentence with language codes replaced by their English names (the sentence is English)."""

    def name(match: re.Match[str]) -> str:
        codes = match.group(2).split("/")
        return f"{match.group(1)} " + " or ".join(LANGUAGE_NAMES[c][0] if c in LANGUAGE_NAMES else c for c in codes)

    return _LANGUAGE_CODES.sub(name, text)


#: The readers' words for the things the app calls communes and families, outside sheet, column and file names.
_WORDS = {"locality": "commune", "localities": "communes", "case": "family", "cases": "families",
          "Locality": "Commune", "Localities": "Communes", "Case": "Family", "Cases": "Families"}
_WORD = re.compile(r"\b(locality|localities|case|cases|Locality|Localities|Case|Cases)\b(?! sheet)(?!\.\w)")


def app_words(text: str) -> str:
    """A reader's message in the app's words: "no locality can take case 'C7'" reads "no commune can take family
    'C7'"; sheet names ("the localities sheet"), columns (``locality_id``) and file names stay as written."""
    return _WORD.sub(lambda m: _WORDS[m.group(1)], text)
