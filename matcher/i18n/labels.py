"""The names of the codes the records and the scores use (languages, sectors, health services, score components),
in English and French: one table for the library, the app and the notices, so that "ti" reads "Tigrinya" /
"tigrigna" everywhere."""

from __future__ import annotations

from dataclasses import dataclass

#: ISO 639-1 code -> (English, French), for every code of `matcher.models.records.LANGUAGES`.
LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "ar": ("Arabic", "arabe"), "fa": ("Persian", "persan"), "ps": ("Pashto", "pachto"),
    "ti": ("Tigrinya", "tigrigna"), "so": ("Somali", "somali"), "uk": ("Ukrainian", "ukrainien"),
    "ru": ("Russian", "russe"), "ku": ("Kurdish", "kurde"), "tr": ("Turkish", "turc"), "en": ("English", "anglais"),
    "fr": ("French", "français"), "am": ("Amharic", "amharique"), "ur": ("Urdu", "ourdou"),
    "bn": ("Bengali", "bengali"), "sq": ("Albanian", "albanais"), "ka": ("Georgian", "géorgien"),
    "hy": ("Armenian", "arménien"), "ta": ("Tamil", "tamoul"), "es": ("Spanish", "espagnol"),
    "pt": ("Portuguese", "portugais"), "ln": ("Lingala", "lingala"), "wo": ("Wolof", "wolof"),
    "ff": ("Fula", "peul"), "sw": ("Swahili", "swahili"), "my": ("Burmese", "birman"),
}

#: Sector codes -> (English, French), for every code of `matcher.models.records.SECTORS`.
SECTOR_NAMES: dict[str, tuple[str, str]] = {
    "agriculture": ("agriculture", "agriculture"), "construction": ("construction", "bâtiment"),
    "manufacturing": ("manufacturing", "industrie"), "retail": ("retail", "commerce"),
    "hospitality": ("hospitality", "hôtellerie-restauration"), "transport": ("transport", "transport"),
    "health_care": ("health care", "santé"), "care_work": ("care work", "aide à la personne"),
    "cleaning": ("cleaning", "propreté"), "it": ("IT", "informatique"), "education": ("education", "enseignement"),
    "admin": ("administration", "administration"), "crafts": ("crafts", "artisanat"),
}

#: Health service codes -> (English, French), for every code of `matcher.models.records.HEALTH_SERVICES`.
SERVICE_NAMES: dict[str, tuple[str, str]] = {
    "dialysis": ("dialysis", "dialyse"), "maternity": ("maternity", "maternité"),
    "mental_health": ("mental health", "santé mentale"), "pediatrics": ("paediatrics", "pédiatrie"),
    "oncology": ("oncology", "oncologie"), "physiotherapy": ("physiotherapy", "kinésithérapie"),
}

#: Score components -> (English, French), for every weight of the policy (`matcher.models.policy.Weights`).
COMPONENT_NAMES: dict[str, tuple[str, str]] = {
    "employment": ("Employment", "Emploi"), "language": ("Language", "Langue"), "mobility": ("Mobility", "Mobilité"),
    "ties": ("Family ties", "Liens familiaux"), "preferences": ("Preferences", "Préférences"),
    "outcome": ("Predicted outcome", "Résultat prédit"),
}

#: The tables by name, as messages name them (:class:`Code`).
TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "language": LANGUAGE_NAMES, "sector": SECTOR_NAMES, "service": SERVICE_NAMES, "component": COMPONENT_NAMES,
}


def label(table: str, code: str, lang: str = "en") -> str:
    """The name of `code` in the table `table` (language, sector, service, component), in `lang`; an unknown
    code as it is (a family may speak a language outside the list)."""
    pair = TABLES[table].get(code)
    if pair is None:
        return code
    return pair[1] if lang == "fr" else pair[0]


@dataclass(frozen=True)
class Code:
    """A code given to a message as a value: written as its name in the message's language."""

    table: str
    value: str

    def render(self, lang: str = "en") -> str:
        return label(self.table, self.value, lang)

    def __str__(self) -> str:
        return self.value
