"""Input records: families (cases) with their members, and localities with their capacities.

These are plain validated data. Derived quantities (persons, age bands, needs) are properties so that they can
never disagree with the members they come from.
"""

from __future__ import annotations

import datetime as dt
from enum import IntEnum, StrEnum

from pydantic import BaseModel, ConfigDict, Field


class FrenchLevel(IntEnum):
    """CEFR level of French, ordered so that levels compare."""

    NONE = 0
    A1 = 1
    A2 = 2
    B1 = 3
    B2 = 4
    C1 = 5
    C2 = 6

    @property
    def label(self) -> str:
        return "none" if self is FrenchLevel.NONE else self.name


class Education(StrEnum):
    NONE = "none"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    VOCATIONAL = "vocational"
    HIGHER = "higher"


class PublicTransport(StrEnum):
    NONE = "none"
    LIMITED = "limited"
    GOOD = "good"


#: Health service codes (`docs/spreadsheets.md#codes`). Other codes are accepted but warned about.
HEALTH_SERVICES: tuple[str, ...] = (
    "mental_health",
    "dialysis",
    "maternity",
    "pediatrics",
    "oncology",
    "physiotherapy",
)

#: ISO 639-1 codes of the languages most spoken by refugees in France, offered in dropdowns.
LANGUAGES: tuple[str, ...] = (
    "ar", "fa", "ps", "ti", "so", "uk", "ru", "ku", "tr", "en", "fr",
    "am", "ur", "bn", "sq", "ka", "hy", "ta", "es", "pt", "ln", "wo", "ff", "sw", "my",
)

#: Occupation sector codes used for members and job vacancies.
SECTORS: tuple[str, ...] = (
    "agriculture", "construction", "manufacturing", "retail", "hospitality", "transport",
    "health_care", "care_work", "cleaning", "it", "education", "admin", "crafts",
)

WORKING_AGE = (18, 64)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Member(_Record):
    """One person of a family."""

    case_id: str
    member_id: str
    age: int = Field(ge=0, le=120)
    languages: tuple[str, ...] = ()
    french_level: FrenchLevel = FrenchLevel.NONE
    sector: str | None = None
    education: Education | None = None
    driving_licence: bool = False

    @property
    def is_adult(self) -> bool:
        return self.age >= 18

    @property
    def is_working_age(self) -> bool:
        return WORKING_AGE[0] <= self.age <= WORKING_AGE[1]


class Case(_Record):
    """A family, placed whole in one locality or not at all."""

    case_id: str
    members: tuple[Member, ...] = ()
    arrival_date: dt.date | None = None
    tie_locality_id: str | None = None
    linked_case_ids: tuple[str, ...] = ()
    preferred_locality_ids: tuple[str, ...] = ()
    excluded_locality_ids: tuple[str, ...] = ()
    needs_step_free_housing: bool = False
    health_services: tuple[str, ...] = ()
    priority: int = Field(default=0, ge=0, le=2)

    # Derived quantities (`docs/rules.md#derived`).
    @property
    def persons(self) -> int:
        return len(self.members)

    def _count_ages(self, low: int, high: int) -> int:
        return sum(1 for m in self.members if low <= m.age <= high)

    @property
    def children_0_2(self) -> int:
        return self._count_ages(0, 2)

    @property
    def children_3_10(self) -> int:
        return self._count_ages(3, 10)

    @property
    def children_11_17(self) -> int:
        return self._count_ages(11, 17)

    @property
    def adults(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.is_adult)

    @property
    def working_age_adults(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.is_working_age)

    @property
    def sectors(self) -> tuple[str, ...]:
        """Sectors of the working-age adults who have one, one entry per adult."""
        return tuple(m.sector for m in self.working_age_adults if m.sector)

    @property
    def french_class_need(self) -> int:
        """Adults below B1, who need a seat in a French class."""
        return sum(1 for m in self.adults if m.french_level < FrenchLevel.B1)

    @property
    def needs_interpreter(self) -> bool:
        """No adult reaches A2 in French nor lists French among their languages: an interpreter is needed."""
        speakers = self.adults or self.members
        return not any(m.french_level >= FrenchLevel.A2 or "fr" in m.languages for m in speakers)

    @property
    def interpreter_languages(self) -> tuple[str, ...]:
        """Languages other than French that the family's adults speak (all members if no adult), in order."""
        speakers = self.adults or self.members
        seen: dict[str, None] = {}
        for m in speakers:
            for lang in m.languages:
                if lang != "fr":
                    seen.setdefault(lang, None)
        return tuple(seen)

    @property
    def licensed_adults(self) -> int:
        return sum(1 for m in self.adults if m.driving_licence)


class HousingUnit(_Record):
    """`units` dwellings of one kind available in a locality."""

    locality_id: str
    bedrooms: int = Field(ge=1)
    step_free: bool = False
    units: int = Field(ge=0)


class Service(_Record):
    """A health service offered in or near a locality; capacity in cases, None = no limit."""

    locality_id: str
    service: str
    capacity: int | None = Field(default=None, ge=0)


class Job(_Record):
    locality_id: str
    sector: str
    vacancies: int = Field(ge=0)
    requires_licence: bool = False


class Interpreter(_Record):
    """Interpreting in one language; capacity in cases, None = no limit."""

    locality_id: str
    language: str
    capacity: int | None = Field(default=None, ge=0)


class Locality(_Record):
    """A commune and what it offers. A capacity of None means no such limit."""

    locality_id: str
    name: str = ""
    departement: str = ""
    region: str = ""
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    population: int | None = Field(default=None, ge=0)
    max_persons: int | None = Field(default=None, ge=0)
    max_cases: int | None = Field(default=None, ge=0)
    gp_capacity: int | None = Field(default=None, ge=0)
    creche_seats: int | None = Field(default=None, ge=0)
    primary_seats: int | None = Field(default=None, ge=0)
    secondary_seats: int | None = Field(default=None, ge=0)
    french_class_seats: int | None = Field(default=None, ge=0)
    public_transport: PublicTransport = PublicTransport.LIMITED
    budget_eur: float | None = Field(default=None, ge=0)
    cost_per_person_eur: float | None = Field(default=None, ge=0)
    housing: tuple[HousingUnit, ...] = ()
    services: tuple[Service, ...] = ()
    jobs: tuple[Job, ...] = ()
    interpreters: tuple[Interpreter, ...] = ()

    @property
    def service_codes(self) -> frozenset[str]:
        return frozenset(s.service for s in self.services)

    @property
    def interpreter_languages(self) -> frozenset[str]:
        return frozenset(i.language for i in self.interpreters)


class Dataset(_Record):
    """Both workbooks, read and validated."""

    cases: tuple[Case, ...]
    localities: tuple[Locality, ...]

    @property
    def persons(self) -> int:
        return sum(c.persons for c in self.cases)
