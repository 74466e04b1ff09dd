"""The one column spec (`docs/spreadsheets.md#sheets`): every sheet, column, kind, alias and allowed code.

Readers, validation and templates all read this table, so that they can never disagree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from matcher.i18n import Msg, _
from matcher.models.records import HEALTH_SERVICES, LANGUAGES, SECTORS


class Kind(StrEnum):
    ID = "id"  # text identifier, kept as text (leading zeros kept)
    INSEE = "insee"  # locality id: text, a number that lost its leading zero is padded to 5 digits
    TEXT = "text"
    INT = "int"  # whole number
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"
    CODE = "code"  # one value from `choices`
    LIST = "list"  # ';'-separated list of free text (ids)
    CODE_LIST = "code_list"  # ';'-separated list of codes (validated against what localities offer)
    INSEE_LIST = "insee_list"  # ';'-separated list of locality ids


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    aliases: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    help_en: str = ""
    help_fr: str = ""

    def expected(self, lang: str = "en") -> str:
        """What the column expects, in words, for error messages and the Instructions sheet (`lang`: en, fr)."""
        return self.expects().render(lang)

    def expects(self) -> Msg:
        """What the column expects, as a message (see :mod:`matcher.i18n`)."""
        rng: Msg | str = ""
        if self.minimum is not None and self.maximum is not None:
            rng = _(" from {lo} to {hi}", lo=fmt_num(self.minimum), hi=fmt_num(self.maximum))
        elif self.minimum is not None:
            rng = _(" ≥ {lo}", lo=fmt_num(self.minimum))
        if self.kind is Kind.CODE:
            return _("one of {choices}", choices=", ".join(self.choices))
        if self.kind is Kind.INT:
            return _("a whole number{range}", range=rng)
        if self.kind is Kind.FLOAT:
            return _("a number{range}", range=rng)
        return _EXPECTED[self.kind]


#: What each other kind of column expects, in words.
_EXPECTED: dict[Kind, Msg] = {
    Kind.ID: _("an identifier"),
    Kind.INSEE: _("an INSEE commune code (5 characters, e.g. 09225 or 2A004)"),
    Kind.TEXT: _("text"),
    Kind.BOOL: _("yes/no (true/false, oui/non, vrai/faux, 1/0, x/blank)"),
    Kind.DATE: _("a date (YYYY-MM-DD)"),
    Kind.LIST: _("a ';'-separated list of identifiers"),
    Kind.CODE_LIST: _("a ';'-separated list of codes"),
    Kind.INSEE_LIST: _("a ';'-separated list of INSEE codes"),
}


def fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # columns that must be unique together
    help_en: str = ""
    help_fr: str = ""
    aliases: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class Workbook:
    name: str  # "cases" or "localities"
    sheets: tuple[Sheet, ...] = field(default_factory=tuple)

    @property
    def filename(self) -> str:
        return f"{self.name}.xlsx"

    def sheet(self, name: str) -> Sheet:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)


#: Longest identifier (case, member, linked case) read from a workbook, in characters. The records keep case ids
#: in a column of this size (``decisions.case_id``): a longer id would work on SQLite, which does not enforce
#: sizes, and fail on PostgreSQL. The store's schema takes its sizes from here, so the two cannot disagree.
MAX_ID_CHARS = 200
#: Longest locality id the records hold (``decisions.locality_id``). Readers accept INSEE codes only (5
#: characters), well within it; a longer text is refused as not an INSEE code.
MAX_LOCALITY_ID_CHARS = 40

FRENCH_LEVELS = ("none", "A1", "A2", "B1", "B2", "C1", "C2")
EDUCATION = ("none", "primary", "secondary", "vocational", "higher")
TRANSPORT = ("none", "limited", "good")
PRIORITY = ("0", "1", "2")

_LID = Column(
    "locality_id", Kind.INSEE, required=True, aliases=("code_insee", "insee", "code_commune", "commune_id"),
    help_en="INSEE code of the commune, as text (keep leading zeros)",
    help_fr="Code INSEE de la commune, en texte (garder les zéros)",
)

CASES = Workbook(
    "cases",
    (
        Sheet(
            "cases",
            (
                Column("case_id", Kind.ID, required=True, aliases=("id_dossier", "dossier", "numero_dossier"),
                       help_en="pseudonymous family id, unique", help_fr="identifiant pseudonyme du dossier, unique"),
                Column("arrival_date", Kind.DATE, aliases=("date_arrivee",),
                       help_en="expected arrival date", help_fr="date d'arrivée prévue"),
                Column("tie_locality_id", Kind.INSEE, aliases=("commune_attache", "code_insee_attache", "attache"),
                       help_en="commune where relatives live", help_fr="commune où vivent des proches"),
                Column("linked_case_ids", Kind.LIST, aliases=("dossiers_lies",),
                       help_en="families to place in the same commune",
                       help_fr="dossiers à placer dans la même commune"),
                Column("preferred_locality_ids", Kind.INSEE_LIST, aliases=("communes_preferees", "preferences"),
                       help_en="preferred communes, best first", help_fr="communes préférées, par ordre"),
                Column("excluded_locality_ids", Kind.INSEE_LIST, aliases=("communes_exclues", "exclusions"),
                       help_en="communes never to use (e.g. safety)",
                       help_fr="communes à exclure (sécurité par exemple)"),
                Column("needs_step_free_housing", Kind.BOOL, aliases=("logement_plain_pied", "pmr", "plain_pied"),
                       help_en="needs a step-free dwelling", help_fr="a besoin d'un logement sans marches"),
                Column("health_services", Kind.CODE_LIST, aliases=("services_sante", "besoins_sante"),
                       choices=HEALTH_SERVICES,
                       help_en="health services needed within reach (codes)",
                       help_fr="services de santé nécessaires à proximité (codes)"),
                Column("priority", Kind.INT, aliases=("priorite",), minimum=0, maximum=2, choices=PRIORITY,
                       help_en="0 normal, 1 high, 2 urgent", help_fr="0 normale, 1 haute, 2 urgente"),
            ),
            key=("case_id",),
            aliases=("dossiers", "familles", "menages"),
            help_en="One row per family (case).", help_fr="Une ligne par famille (dossier).",
        ),
        Sheet(
            "members",
            (
                Column("case_id", Kind.ID, required=True, aliases=("id_dossier", "dossier", "numero_dossier"),
                       help_en="the family's case_id", help_fr="le case_id de la famille"),
                Column("member_id", Kind.ID, required=True, aliases=("id_membre", "membre", "id_personne"),
                       help_en="pseudonymous person id, unique", help_fr="identifiant pseudonyme, unique"),
                Column("age", Kind.INT, required=True, minimum=0, maximum=120, aliases=("age_annees",),
                       help_en="age in years", help_fr="âge en années"),
                Column("languages", Kind.CODE_LIST, aliases=("langues", "langues_parlees"), choices=LANGUAGES,
                       help_en="ISO 639-1 codes (ar;fa;uk ...)", help_fr="codes ISO 639-1 (ar;fa;uk ...)"),
                Column("french_level", Kind.CODE, aliases=("niveau_francais", "francais"), choices=FRENCH_LEVELS,
                       help_en="CEFR level of French", help_fr="niveau de français (CECRL)"),
                Column("sector", Kind.CODE, aliases=("secteur", "metier", "secteur_activite"), choices=SECTORS,
                       help_en="occupation sector, blank if none", help_fr="secteur d'activité, vide si aucun"),
                Column("education", Kind.CODE, aliases=("education", "niveau_etudes", "etudes"), choices=EDUCATION,
                       help_en="highest education", help_fr="niveau d'études le plus élevé"),
                Column("driving_licence", Kind.BOOL, aliases=("permis", "permis_conduire", "driving_license"),
                       help_en="holds a driving licence valid in France",
                       help_fr="a un permis de conduire valable en France"),
            ),
            key=("member_id",),
            aliases=("membres", "personnes"),
            help_en="One row per person.", help_fr="Une ligne par personne.",
        ),
    ),
)


LOCALITIES = Workbook(
    "localities",
    (
        Sheet(
            "localities",
            (
                _LID,
                Column("name", Kind.TEXT, aliases=("nom", "commune", "nom_commune"),
                       help_en="commune name", help_fr="nom de la commune"),
                Column("departement", Kind.TEXT, aliases=("dept", "code_departement", "departement_code"),
                       help_en="département code", help_fr="code du département"),
                Column("region", Kind.TEXT, aliases=("nom_region",), help_en="region", help_fr="région"),
                Column("lat", Kind.FLOAT, minimum=-90, maximum=90, aliases=("latitude",),
                       help_en="latitude", help_fr="latitude"),
                Column("lon", Kind.FLOAT, minimum=-180, maximum=180, aliases=("longitude", "lng"),
                       help_en="longitude", help_fr="longitude"),
                Column("population", Kind.INT, aliases=("habitants",), minimum=0,
                       help_en="inhabitants", help_fr="nombre d'habitants"),
                Column("max_persons", Kind.INT, aliases=("personnes_max", "capacite_personnes"), minimum=0,
                       help_en="persons the commune agreed to receive",
                       help_fr="personnes que la commune accepte d'accueillir"),
                Column("max_cases", Kind.INT, aliases=("dossiers_max", "familles_max", "capacite_familles"), minimum=0,
                       help_en="families the commune agreed to receive",
                       help_fr="familles que la commune accepte d'accueillir"),
                Column("gp_capacity", Kind.INT, aliases=("capacite_medecin", "places_medecin", "medecin_generaliste"),
                       minimum=0, help_en="persons GPs can still take on",
                       help_fr="patients que les généralistes peuvent encore prendre"),
                Column("creche_seats", Kind.INT, aliases=("places_creche",), minimum=0,
                       help_en="crèche seats (ages 0-2)", help_fr="places en crèche (0-2 ans)"),
                Column("primary_seats", Kind.INT, aliases=("places_primaire", "places_ecole"), minimum=0,
                       help_en="school seats, ages 3-10", help_fr="places à l'école, 3-10 ans"),
                Column("secondary_seats", Kind.INT, aliases=("places_college_lycee", "places_secondaire"), minimum=0,
                       help_en="school seats, ages 11-17", help_fr="places au collège/lycée, 11-17 ans"),
                Column("french_class_seats", Kind.INT, aliases=("places_fle", "places_cours_francais"), minimum=0,
                       help_en="French class seats for adults", help_fr="places en cours de français (FLE)"),
                Column("public_transport", Kind.CODE, aliases=("transports", "transport_public", "transports_communs"),
                       choices=TRANSPORT, help_en="public transport: none, limited, good",
                       help_fr="transports en commun : none, limited, good"),
                Column("budget_eur", Kind.FLOAT, aliases=("budget",), minimum=0,
                       help_en="budget in euros", help_fr="budget en euros"),
                Column("cost_per_person_eur", Kind.FLOAT, aliases=("cout_par_personne",), minimum=0,
                       help_en="cost per person placed, euros", help_fr="coût par personne accueillie, euros"),
            ),
            key=("locality_id",),
            aliases=("communes", "territoires"),
            help_en="One row per commune.", help_fr="Une ligne par commune.",
        ),
        Sheet(
            "housing",
            (
                _LID,
                Column("bedrooms", Kind.INT, required=True, minimum=1, maximum=10, aliases=("chambres", "nb_chambres"),
                       help_en="bedrooms per unit", help_fr="chambres par logement"),
                Column("step_free", Kind.BOOL, aliases=("plain_pied", "accessible", "pmr"),
                       help_en="step-free access", help_fr="accessible sans marches"),
                Column("units", Kind.INT, required=True, minimum=0, aliases=("logements", "nb_logements", "nombre"),
                       help_en="units of this kind available", help_fr="logements de ce type disponibles"),
            ),
            key=("locality_id", "bedrooms", "step_free"),
            aliases=("logements", "logement"),
            help_en="Available dwellings, by size.", help_fr="Logements disponibles, par taille.",
        ),
        Sheet(
            "services",
            (
                _LID,
                Column("service", Kind.CODE, required=True, choices=HEALTH_SERVICES, aliases=("service_sante",),
                       help_en="health service code", help_fr="code du service de santé"),
                Column("capacity", Kind.INT, aliases=("capacite",), minimum=0,
                       help_en="families it can take on, blank = no limit",
                       help_fr="familles pouvant être suivies, vide = sans limite"),
            ),
            key=("locality_id", "service"),
            aliases=("services_sante", "sante"),
            help_en="Health services within reach.", help_fr="Services de santé à proximité.",
        ),
        Sheet(
            "jobs",
            (
                _LID,
                Column("sector", Kind.CODE, required=True, choices=SECTORS, aliases=("secteur",),
                       help_en="sector code", help_fr="code du secteur"),
                Column("vacancies", Kind.INT, required=True, minimum=0, aliases=("postes", "offres", "postes_vacants"),
                       help_en="open positions", help_fr="postes vacants"),
                Column("requires_licence", Kind.BOOL, aliases=("permis_requis", "requires_license"),
                       help_en="a driving licence is required", help_fr="le permis de conduire est exigé"),
            ),
            key=("locality_id", "sector"),
            aliases=("emplois", "emploi"),
            help_en="Job vacancies by sector.", help_fr="Offres d'emploi par secteur.",
        ),
        Sheet(
            "interpreters",
            (
                _LID,
                Column("language", Kind.CODE, required=True, choices=LANGUAGES, aliases=("langue",),
                       help_en="ISO 639-1 language code", help_fr="code de langue ISO 639-1"),
                Column("capacity", Kind.INT, aliases=("capacite",), minimum=0,
                       help_en="families it can serve, blank = no limit",
                       help_fr="familles pouvant être accompagnées, vide = sans limite"),
            ),
            key=("locality_id", "language"),
            aliases=("interpretes", "interpretariat"),
            help_en="Interpreters by language.", help_fr="Interprètes par langue.",
        ),
    ),
)

WORKBOOKS = {"cases": CASES, "localities": LOCALITIES}

#: The outcome sheet of a history workbook (`docs/outcomes.md#history`): the required columns, then the outcome
#: columns the contract names; any other column is read as an outcome too.
OUTCOMES = Sheet(
    "outcomes",
    (
        Column("case_id", Kind.ID, required=True, help_en="the family placed (a case_id of the cases sheet)",
               help_fr="la famille placée (un case_id de la feuille cases)"),
        Column("locality_id", Kind.INSEE, required=True, help_en="INSEE code of the commune where it was placed",
               help_fr="code INSEE de la commune où elle a été placée"),
        Column("placed_on", Kind.DATE, required=True, help_en="date of the placement",
               help_fr="date du placement"),
        Column("employed_12m", Kind.BOOL, help_en="at least one working-age adult in work 12 months after "
               "arrival; blank when it does not apply", help_fr="au moins un adulte d'âge actif en emploi 12 mois "
               "après l'arrivée ; vide si sans objet"),
        Column("housed_12m", Kind.BOOL, help_en="in lasting housing 12 months after arrival",
               help_fr="logée durablement 12 mois après l'arrivée"),
        Column("moved_away_12m", Kind.BOOL, help_en="left the commune within 12 months of arrival",
               help_fr="a quitté la commune dans les 12 mois suivant l'arrivée"),
    ),
    key=("case_id",),
    help_en="One row per family placed: where, when, and what became of it.",
    help_fr="Une ligne par famille placée : où, quand, et ce qu'elle est devenue.",
)
#: A history of past placements: the cases contract's sheets and the outcomes (`matcher outcomes template`).
HISTORY = Workbook("history", (*CASES.sheets, OUTCOMES))


def normalise_header(text: str) -> str:
    """Fold case and accents and drop spaces, '-' and '_': 'Code INSEE' and 'code_insee' both give 'codeinsee'."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\s\-_'’.]+", "", folded).lower()


def header_map(sheet: Sheet) -> dict[str, str]:
    """Normalised header or alias -> canonical column name."""
    out: dict[str, str] = {}
    for col in sheet.columns:
        for name in (col.name, *col.aliases):
            out.setdefault(normalise_header(name), col.name)
    return out


def sheet_lookup(workbook: Workbook) -> dict[str, str]:
    """Normalised sheet name or alias -> canonical sheet name."""
    out: dict[str, str] = {}
    for s in workbook.sheets:
        for name in (s.name, *s.aliases):
            out.setdefault(normalise_header(name), s.name)
    return out
