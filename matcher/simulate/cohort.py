"""Synthetic refugee families: who they are, what they need and where they would like to live.

Every distribution is a named field of :class:`CohortParams` with its default and, in the field's description,
its source; a figure that could not be sourced precisely says ``ASSUMPTION``. The defaults draw the sample
workbooks and the benchmark instances (`matcher.simulate.population`); an experiment file of the policy lab
overrides any field in its ``[cohort]`` table.

One family is drawn in steps that every generator shares: its members (:func:`draw_household`), its needs
(:func:`draw_needs`) and its wishes (:func:`draw_tie`, :func:`draw_preferences`, :func:`draw_exclusions`);
:class:`CohortDrawer` composes them into the policy lab's monthly arrivals. Draws use a ``numpy`` generator
only: the same generator state gives the same families on any machine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from matcher.models import Case, Education, FrenchLevel, Member

HOUSEHOLD_TYPES = ("single", "couple", "single_parent", "couple_children", "extended")
FRENCH_LEVELS = ("none", "A1", "A2", "B1", "B2", "C1")
EDUCATION_LEVELS = ("none", "primary", "secondary", "vocational", "higher")


def _src(default: Any, text: str) -> Any:
    return Field(default=default, description=text)


class CohortParams(BaseModel):
    """Distributions of the families' make-up and needs; each field's description gives its source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nationality_shares: dict[str, float] = Field(
        default={"AFG": 0.24, "SYR": 0.18, "SDN": 0.12, "ERI": 0.08, "UKR": 0.10, "TUR": 0.06, "COD": 0.08,
                 "GIN": 0.07, "SOM": 0.07},
        description="Nationality mix. Source: OFPRA, Rapport d'activité 2023 (main nationalities protected); "
        "Ministère de l'Intérieur 2023 for Ukrainians under temporary protection; UNHCR Resettlement Data "
        "Finder, France 2023 (Syrians, Sudanese). ASSUMPTION: shares rounded from that ranking.")
    languages_by_nationality: dict[str, list[tuple[str, float]]] = Field(
        default={
            "AFG": [("fa", 0.62), ("ps", 0.38)], "SYR": [("ar", 1.0), ("ku", 0.15)], "SDN": [("ar", 1.0)],
            "ERI": [("ti", 1.0), ("ar", 0.15), ("am", 0.15)], "UKR": [("uk", 1.0), ("ru", 0.8)],
            "TUR": [("ku", 0.7), ("tr", 1.0)], "COD": [("ln", 0.8), ("fr", 0.85), ("sw", 0.2)],
            "GIN": [("ff", 0.7), ("fr", 0.75)], "SOM": [("so", 1.0), ("ar", 0.15)],
        },
        description="Languages per nationality, (ISO 639-1 code, share of families speaking it); Afghan "
        "families speak Dari (fa) or Pashto (ps) as main language. Source: Ethnologue and CIA World Factbook "
        "language profiles. ASSUMPTION: the shares.")
    household_shares: dict[str, tuple[float, float, float, float, float]] = Field(
        default={
            "default": (0.22, 0.09, 0.16, 0.46, 0.07), "AFG": (0.32, 0.07, 0.09, 0.44, 0.08),
            "SDN": (0.38, 0.08, 0.12, 0.39, 0.03), "ERI": (0.40, 0.10, 0.17, 0.33, 0.00),
            "GIN": (0.40, 0.08, 0.24, 0.28, 0.00), "UKR": (0.12, 0.08, 0.50, 0.15, 0.15),
            "SYR": (0.10, 0.08, 0.12, 0.60, 0.10),
        },
        description="Household types (single, couple, single parent, couple with children, with a grandparent) "
        "by nationality. Calibrated to a mean family of about 3.1 persons: above INSEE's 2.2 per household "
        "(recensement 2019), below the 4-5 of resettled Syrian families (UNHCR submissions); OFPRA 2023: two "
        "thirds of applicants are men. ASSUMPTION: the shares.")
    children_shares: tuple[float, ...] = Field(
        default=(0.27, 0.29, 0.21, 0.12, 0.06, 0.03, 0.02),
        description="Number of children (1, 2, ... 7) of a family with children. UNHCR resettlement family "
        "composition. ASSUMPTION: the shares.")
    head_age: tuple[int, int] = _src((20, 55), "Age range of the head of household, uniform. ASSUMPTION, consistent "
                                     "with OFPRA 2023 (median adult applicant about 30).")
    youngest_child_age: tuple[int, int] = _src((0, 11), "Age range of the youngest child, uniform. ASSUMPTION (UNHCR: "
                                               "about half of the refugees resettled are children).")
    french_shares_non_francophone: tuple[float, ...] = Field(
        default=(0.45, 0.30, 0.15, 0.07, 0.03, 0.00),
        description="French level of adults (none, A1, A2, B1, B2, C1) from non-French-speaking countries. "
        "Source: ELIPA 2 (DSED 2019-2022). ASSUMPTION: the exact shares.")
    french_shares_francophone: tuple[float, ...] = Field(
        default=(0.03, 0.07, 0.20, 0.35, 0.25, 0.10),
        description="French level of adults from French-speaking countries who list French. Source: ELIPA 2. "
        "ASSUMPTION: the exact shares.")
    francophone: tuple[str, ...] = _src(("COD", "GIN"), "Nationalities from French-speaking countries (DRC, Guinea).")
    education_shares: dict[str, tuple[float, float, float, float, float]] = Field(
        default={
            "default": (0.15, 0.25, 0.30, 0.15, 0.15), "AFG": (0.35, 0.25, 0.20, 0.10, 0.10),
            "SYR": (0.10, 0.25, 0.35, 0.10, 0.20), "UKR": (0.00, 0.02, 0.23, 0.30, 0.45),
            "SOM": (0.35, 0.30, 0.20, 0.08, 0.07), "ERI": (0.15, 0.35, 0.35, 0.10, 0.05),
        },
        description="Highest education (none, primary, secondary, vocational, higher) by nationality. ELIPA 2: "
        "refugees more often unschooled, Syrians and Ukrainians better schooled. ASSUMPTION: the shares.")
    sector_shares_men: dict[str, float] = Field(
        default={"construction": 0.24, "agriculture": 0.11, "hospitality": 0.12, "transport": 0.10,
                 "manufacturing": 0.10, "retail": 0.08, "crafts": 0.07, "cleaning": 0.05, "it": 0.04,
                 "health_care": 0.03, "education": 0.02, "admin": 0.02, "care_work": 0.02},
        description="Occupation sectors of men with one. Source: DARES, « Quels sont les métiers des immigrés "
        "? » (2021); ELIPA 2. ASSUMPTION: the shares.")
    sector_shares_women: dict[str, float] = Field(
        default={"care_work": 0.24, "cleaning": 0.18, "hospitality": 0.14, "retail": 0.10, "health_care": 0.09,
                 "education": 0.08, "agriculture": 0.06, "admin": 0.05, "manufacturing": 0.04, "crafts": 0.02},
        description="Occupation sectors of women with one. Source: DARES 2021; ELIPA 2. ASSUMPTION: shares.")
    has_sector: dict[str, float] = Field(
        default={"m": 0.80, "f": 0.55},
        description="Share of working-age adults with a sector, by sex. ELIPA 2 (refugee women less often "
        "worked before arrival). ASSUMPTION: the figures.")
    licence_share: dict[str, float] = Field(
        default={"m": 0.35, "f": 0.10},
        description="Driving licence valid in France, by sex. ASSUMPTION.")
    licence_share_ukr: dict[str, float] = Field(
        default={"m": 0.70, "f": 0.45},
        description="Driving licence among Ukrainians (exchangeable licences). ASSUMPTION.")
    p_mental_health: float = _src(0.22, "Families needing mental health care. Source: UNHCR Projected Global "
                                  "Resettlement Needs 2024 (survivors of violence and/or torture about a quarter "
                                  "of submissions). ASSUMPTION: the mapping to a service.")
    p_pediatrics_if_young_child: float = _src(0.18, "Families with a child under 11 needing pediatrics. ASSUMPTION.")
    p_maternity_if_woman_18_42: float = _src(0.07, "A pregnancy in a family with a woman of 18-42. ASSUMPTION.")
    p_physiotherapy: float = _src(0.05, "Families needing physiotherapy. ASSUMPTION.")
    p_dialysis: float = _src(0.012, "Families needing dialysis. UNHCR 2024: medical needs about 7 % of submissions. "
                             "ASSUMPTION: this share of them.")
    p_oncology: float = _src(0.015, "Families needing oncology. UNHCR 2024 medical needs. ASSUMPTION: this share.")
    p_step_free_base: float = _src(0.03, "Families needing step-free housing without an elder. ASSUMPTION.")
    p_step_free_if_elder: float = _src(0.45, "Families with a member over 64 needing step-free housing. ASSUMPTION.")
    p_priority_high: float = _src(0.1, "High-priority families. ASSUMPTION.")
    p_priority_urgent: float = _src(0.025, "Urgent families (medical or protection emergency). ASSUMPTION.")
    p_tie: float = _src(0.12, "Families with relatives in one of the communes. ASSUMPTION.")
    p_preferences: float = _src(0.33, "Families giving ranked preferences (mostly larger towns). ASSUMPTION.")
    max_preferences: int = _src(3, "Most preferences a family ranks. ASSUMPTION.")
    p_exclusions: float = _src(0.08, "Families excluding one or two communes (safety). ASSUMPTION.")
    linked_share: float = _src(0.145, "Share of families travelling linked to another of the same month (siblings' "
                               "households), placed together. ASSUMPTION (the sample data: 10 pairs and 3 "
                               "triples per 200 families).")
    month_weights: tuple[float, ...] = _src((1.0,) * 12, "Relative arrivals per month (January first); resettlement "
                                            "arrives by charter in batches. ASSUMPTION: even over the year.")

    @model_validator(mode="after")
    def _check(self) -> CohortParams:
        if set(self.nationality_shares) - set(self.languages_by_nationality):
            missing = sorted(set(self.nationality_shares) - set(self.languages_by_nationality))
            raise ValueError(f"languages_by_nationality has no entry for {', '.join(missing)}")
        for name in ("nationality_shares", "sector_shares_men", "sector_shares_women"):
            if sum(getattr(self, name).values()) <= 0:
                raise ValueError(f"{name} must have a positive share")
        for name, value in self.model_dump().items():
            if name.startswith("p_") and not 0 <= value <= 1:
                raise ValueError(f"{name} must be within [0, 1]")
        if len(self.french_shares_francophone) != 6 or len(self.french_shares_non_francophone) != 6:
            raise ValueError("french shares need 6 entries: none, A1, A2, B1, B2, C1")
        if len(self.month_weights) < 1 or sum(self.month_weights) <= 0:
            raise ValueError("month_weights needs a positive weight")
        return self



#: Not worth a parameter each: small conventions of the draw. ASSUMPTION all.
SPOUSE_AGE_GAP = (-3, 9)  # the spouse is this many years younger, uniform
GRANDPARENT_AGE = (56, 78)
#: Mother's age at the first birth (uniform) and years between births (UN World Fertility data put the mean age
#: at first birth at 19-25 in the countries of the cohort).
FIRST_BIRTH_AGE = (19, 27)
BIRTH_SPACING = (1, 4)
ENGLISH_IF_HIGHER = 0.5  # adults with higher education who also speak English
#: Main languages that exclude each other: a family speaks one as its main language, a quarter of them both.
EXCLUSIVE_MAIN = {"AFG": ("fa", "ps")}
P_BOTH_MAIN = 0.25
P_STEP_FREE_IF_PHYSIO = 0.5  # step-free housing for a family needing physiotherapy, at least
P_URGENT_IF_SERIOUS = 0.5  # urgent priority for a family needing dialysis or oncology
P_TIE_FIRST = 0.7  # a family with relatives in a commune ranks it first among its preferences
#: Preferences lean to larger towns: a commune's weight is its population to this power (ties: population).
PREFERENCE_POPULATION_POWER = 1.3


def parameter_table(params: CohortParams | None = None) -> list[dict[str, str]]:
    """Each cohort parameter with its value and source, for documentation and the app."""
    params = params or CohortParams()
    out = []
    for name, info in CohortParams.model_fields.items():
        out.append({"parameter": name, "value": str(getattr(params, name)), "source": info.description or ""})
    return out


@dataclass
class Person:
    """A member as drawn; `sex` steers the draws and is never written."""

    age: int
    sex: str  # "f" or "m"
    languages: tuple[str, ...] = ()
    french: str = "none"
    sector: str | None = None
    education: str | None = None
    licence: bool = False

    def to_member(self, case_id: str, k: int) -> Member:
        """The `k`-th member (1-based) of case `case_id`."""
        return Member(
            case_id=case_id, member_id=f"{case_id}-{k}", age=self.age, languages=self.languages,
            french_level=FrenchLevel[self.french.upper()] if self.french != "none" else FrenchLevel.NONE,
            sector=self.sector, education=Education(self.education) if self.education else None,
            driving_licence=self.licence,
        )


@dataclass
class Family:
    """A family as drawn, before it becomes a :class:`~matcher.models.Case`."""

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
        """The validated record."""
        return Case(
            case_id=self.case_id,
            members=tuple(p.to_member(self.case_id, k) for k, p in enumerate(self.persons, start=1)),
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


# ------------------------------------------------------------------------------------------------ members


def draw_household(rng: np.random.Generator, p: CohortParams, nat: str | None = None) -> tuple[str, list[Person]]:
    """A family's nationality (drawn unless given) and members: household type, ages, languages, French,
    education, sectors and licences. Children are drawn first so that the parents' ages fit them."""
    if nat is None:
        nat = _choice(rng, list(p.nationality_shares), list(p.nationality_shares.values()))
    kind = _choice(rng, HOUSEHOLD_TYPES, p.household_shares.get(nat, p.household_shares["default"]))
    langs = _languages(rng, p, nat)
    child_ages: list[int] = []
    if kind in ("single_parent", "couple_children", "extended"):
        age = int(rng.integers(p.youngest_child_age[0], p.youngest_child_age[1] + 1))
        for _ in range(int(_choice(rng, range(1, len(p.children_shares) + 1), p.children_shares))):
            if age > 22:  # older children have left home
                break
            child_ages.append(age)
            age += int(rng.integers(BIRTH_SPACING[0], BIRTH_SPACING[1] + 1))
    mother_min = 18
    if child_ages:
        mother_min = max(child_ages) + int(rng.integers(FIRST_BIRTH_AGE[0], FIRST_BIRTH_AGE[1] + 1))
    head_age = int(rng.integers(p.head_age[0], p.head_age[1] + 1))
    if kind == "single":
        head_sex = "m" if rng.random() < (0.8 if nat != "UKR" else 0.3) else "f"
    elif kind == "single_parent":
        head_sex = "f" if rng.random() < 0.85 else "m"
        head_age = max(head_age, mother_min)
    else:
        head_sex = "m"
    gap = int(rng.integers(SPOUSE_AGE_GAP[0], SPOUSE_AGE_GAP[1] + 1))
    couple = kind in ("couple", "couple_children", "extended")
    if couple:
        head_age = max(head_age, mother_min + gap, 18 + gap)
    persons = [_adult(rng, p, nat, head_age, head_sex, langs)]
    if couple:
        persons.append(_adult(rng, p, nat, head_age - gap, "f", langs))
    for age in sorted(child_ages, reverse=True):
        if age <= 17:
            persons.append(draw_child(rng, p, nat, age, langs))
        else:  # an adult child still living with the family
            persons.append(_adult(rng, p, nat, age, _choice(rng, ("f", "m"), (1, 1)), langs))
    if kind == "extended":
        low = max(GRANDPARENT_AGE[0], head_age + 18)
        gp_age = int(rng.integers(low, max(GRANDPARENT_AGE[1], low + 2)))
        persons.append(_adult(rng, p, nat, min(gp_age, 90), _choice(rng, ("f", "m"), (2, 1)), langs))
    return nat, persons


def _languages(rng: np.random.Generator, p: CohortParams, nat: str) -> tuple[str, ...]:
    langs = p.languages_by_nationality[nat]
    if nat in EXCLUSIVE_MAIN:
        options = EXCLUSIVE_MAIN[nat]
        main = _choice(rng, options, [dict(langs).get(code, 0.5) for code in options])
        other = [code for code in options if code != main]
        return (main, *other) if rng.random() < P_BOTH_MAIN else (main,)
    out = [code for code, share in langs if share >= 1.0 or rng.random() < share]
    return tuple(out) if out else (langs[0][0],)


def _adult(rng: np.random.Generator, p: CohortParams, nat: str, age: int, sex: str,
           langs: tuple[str, ...]) -> Person:
    fr = p.french_shares_francophone if nat in p.francophone and "fr" in langs else p.french_shares_non_francophone
    french = _choice(rng, FRENCH_LEVELS, fr)
    education = _choice(rng, EDUCATION_LEVELS, p.education_shares.get(nat, p.education_shares["default"]))
    # French among the languages means a working level (A2+), so that it never contradicts `french_level`.
    spoken = tuple(code for code in langs if code != "fr" or french not in ("none", "A1"))
    if education == "higher" and "en" not in spoken and rng.random() < ENGLISH_IF_HIGHER:
        spoken = (*spoken, "en")
    sector = None
    if age <= 64 and rng.random() < p.has_sector.get(sex, 0.0):
        table = p.sector_shares_men if sex == "m" else p.sector_shares_women
        sector = _choice(rng, list(table), list(table.values()))
    lic = (p.licence_share_ukr if nat == "UKR" else p.licence_share).get(sex, 0.0)
    return Person(age, sex, spoken, french, sector, education, bool(rng.random() < lic))


def draw_child(rng: np.random.Generator, p: CohortParams, nat: str, age: int, langs: tuple[str, ...]) -> Person:
    """A child of `age` in a family speaking `langs`: French only from school age in French-speaking countries."""
    french = "none"
    if nat in p.francophone and "fr" in langs and age >= 6:
        french = _choice(rng, FRENCH_LEVELS, p.french_shares_francophone)
    spoken = tuple(code for code in langs if code != "fr" or french not in ("none", "A1"))
    return Person(age, _choice(rng, ("f", "m"), (1, 1)), spoken or langs[:1], french)


# -------------------------------------------------------------------------------------------------- needs


def draw_needs(rng: np.random.Generator, p: CohortParams, persons: Sequence[Person]) -> tuple[list[str], bool, int]:
    """A family's health services, step-free housing need and priority (0 normal, 1 high, 2 urgent)."""
    ages = [x.age for x in persons]
    health: list[str] = []
    if rng.random() < p.p_mental_health:
        health.append("mental_health")
    if any(a <= 10 for a in ages) and rng.random() < p.p_pediatrics_if_young_child:
        health.append("pediatrics")
    if any(18 <= x.age <= 42 and x.sex == "f" for x in persons) and rng.random() < p.p_maternity_if_woman_18_42:
        health.append("maternity")
    if rng.random() < p.p_physiotherapy:
        health.append("physiotherapy")
    if rng.random() < p.p_dialysis:
        health.append("dialysis")
    if rng.random() < p.p_oncology:
        health.append("oncology")
    p_step = p.p_step_free_if_elder if any(a > 64 for a in ages) else p.p_step_free_base
    if "physiotherapy" in health:
        p_step = max(p_step, P_STEP_FREE_IF_PHYSIO)
    step_free = bool(rng.random() < p_step)
    priority = 0
    serious = {"dialysis", "oncology"} & set(health)
    if (serious and rng.random() < P_URGENT_IF_SERIOUS) or rng.random() < p.p_priority_urgent:
        priority = 2
    elif rng.random() < p.p_priority_high:
        priority = 1
    return health, step_free, priority


# ------------------------------------------------------------------------------------------------- wishes


@dataclass(frozen=True)
class Destinations:
    """The communes a family may name, with the draw weights of ties (population) and preferences."""

    ids: list[str]
    w_tie: np.ndarray
    w_pref: np.ndarray

    @classmethod
    def of(cls, ids: Sequence[str], populations: Sequence[float]) -> Destinations:
        """Communes `ids` of the given populations (at least 1 each)."""
        pop = np.maximum(np.asarray(populations, dtype=float), 1.0)
        pref = pop**PREFERENCE_POPULATION_POWER
        return cls(list(ids), pop / pop.sum(), pref / pref.sum())


def draw_tie(rng: np.random.Generator, p: CohortParams, places: Destinations) -> str | None:
    """The commune where a family has relatives, or None."""
    if rng.random() < p.p_tie:
        return places.ids[int(rng.choice(len(places.ids), p=places.w_tie))]
    return None


def draw_preferences(rng: np.random.Generator, p: CohortParams, places: Destinations, tie: str | None) -> list[str]:
    """A family's ranked preferences (often none); its relatives' commune comes first more often than not."""
    if not (rng.random() < p.p_preferences and places.ids):
        return []
    k = min(int(rng.integers(1, p.max_preferences + 1)), len(places.ids))
    prefs = [places.ids[j] for j in rng.choice(len(places.ids), size=k, replace=False, p=places.w_pref)]
    if tie and rng.random() < P_TIE_FIRST:
        prefs = [tie, *[x for x in prefs if x != tie]][: p.max_preferences]
    return prefs


def draw_exclusions(rng: np.random.Generator, p: CohortParams, places: Destinations, keep: Collection[str | None],
                    linked: bool, min_communes: int = 0) -> list[str]:
    """One or two communes a family refuses (for its safety), never one in `keep`; none for a linked family, nor
    among fewer than `min_communes` communes."""
    if linked or not rng.random() < p.p_exclusions or len(places.ids) < min_communes:
        return []
    options = [x for x in places.ids if x not in keep]
    k = min(int(rng.integers(1, 3)), len(options))
    return [options[j] for j in sorted(rng.choice(len(options), size=k, replace=False))]


# --------------------------------------------------------------------------------------------- the lab


class CohortDrawer:
    """Draws the policy lab's families with :class:`CohortParams` for a given set of localities (ties and
    preferences name them), month by month."""

    #: Exclusions only where more than three communes are left to choose from.
    MIN_COMMUNES_TO_EXCLUDE = 4

    def __init__(self, params: CohortParams, locality_ids: Sequence[str], populations: Sequence[float],
                 year: int = 2025) -> None:
        self.p = params
        self.places = Destinations.of(locality_ids, populations)
        self.year = year

    def month_counts(self, rng: np.random.Generator, n_families: int, months: int) -> np.ndarray:
        """Families arriving each month: the annual number split by `month_weights` (multinomial)."""
        w = np.resize(np.asarray(self.p.month_weights, dtype=float), months)
        return rng.multinomial(n_families, w / w.sum())

    def draw_month(self, rng: np.random.Generator, month: int, n: int, prefix: str) -> list[Case]:
        """`n` families arriving in `month` (1-based), some linked in pairs of the same month."""
        drawn = [draw_household(rng, self.p) for _ in range(n)]
        ids = [f"{prefix}{month:02d}-{i:04d}" for i in range(1, n + 1)]
        links = self._link_pairs(rng, [nat for nat, _ in drawn])
        start = dt.date(self.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        cases = []
        ties: dict[int, str | None] = {}
        for i, (nat, persons) in enumerate(drawn):
            tie = draw_tie(rng, self.p, self.places)
            if links[i] and links[i][0] in ties:
                tie = ties[links[i][0]] or tie  # linked families share their relatives
            ties[i] = tie
            prefs = draw_preferences(rng, self.p, self.places, tie)
            excl = draw_exclusions(rng, self.p, self.places, {tie, *prefs}, bool(links[i]),
                                   self.MIN_COMMUNES_TO_EXCLUDE)
            health, step_free, priority = draw_needs(rng, self.p, persons)
            arrival = start + dt.timedelta(days=int(rng.integers(0, 28)))
            cases.append(Family(ids[i], nat, persons, arrival, health, step_free, priority, tie, prefs, excl,
                                [ids[j] for j in links[i]]).to_case())
        return cases

    def _link_pairs(self, rng: np.random.Generator, nationalities: Sequence[str]) -> list[list[int]]:
        """Pairs of families of the same nationality travelling together: each family's partner, if any."""
        n = len(nationalities)
        links: list[list[int]] = [[] for _ in range(n)]
        by_nat: dict[str, list[int]] = {}
        for i, nat in enumerate(nationalities):
            by_nat.setdefault(nat, []).append(i)
        n_pairs = int(rng.binomial(n // 2, self.p.linked_share)) if n >= 2 else 0
        for _ in range(n_pairs):
            nats = [k for k, v in sorted(by_nat.items()) if len(v) >= 2]
            if not nats:
                break
            pool = by_nat[nats[int(rng.integers(len(nats)))]]
            a = pool.pop(int(rng.integers(len(pool))))
            b = pool.pop(int(rng.integers(len(pool))))
            links[a], links[b] = [b], [a]
        return links

    def draw_year(self, rng: np.random.Generator, n_families: int, months: int, prefix: str = "F") -> list[Case]:
        """A year's cohort: monthly counts, then each month's families."""
        counts = self.month_counts(rng, n_families, months)
        return [c for m, k in enumerate(counts, start=1) for c in self.draw_month(rng, m, int(k), prefix)]
