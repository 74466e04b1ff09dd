"""Tiny hand-checkable records for engine and explanation tests."""

from __future__ import annotations

from typing import Any

from matcher.models import Case, Dataset, FrenchLevel, HousingUnit, Interpreter, Job, Locality, Member, Service


def family(case_id: str, ages: tuple[int, ...] = (35,), *, french: str = "B1", languages: tuple[str, ...] = ("ar",),
           sector: str | None = None, licence: bool = False, **kw: Any) -> Case:
    """A family with one member per age; adults share the French level, languages, sector and licence."""
    members = tuple(
        Member(case_id=case_id, member_id=f"{case_id}-{i}", age=a, languages=languages,
               french_level=FrenchLevel[french.upper()] if french != "none" else FrenchLevel.NONE,
               sector=sector if a >= 18 else None, driving_licence=licence and a >= 18)
        for i, a in enumerate(ages)
    )
    return Case(case_id=case_id, members=members, **kw)


def commune(locality_id: str, *, units: dict[int, int] | None = None, step_free: dict[int, int] | None = None,
            services: dict[str, int | None] | None = None, jobs: dict[str, int] | None = None,
            interpreters: dict[str, int | None] | None = None, **kw: Any) -> Locality:
    """A commune with housing by bedrooms, services, jobs and interpreters given as small dicts."""
    housing = [HousingUnit(locality_id=locality_id, bedrooms=b, units=n) for b, n in (units or {}).items()]
    housing += [HousingUnit(locality_id=locality_id, bedrooms=b, step_free=True, units=n)
                for b, n in (step_free or {}).items()]
    kw.setdefault("name", f"Commune {locality_id}")
    kw.setdefault("departement", "09")
    kw.setdefault("region", "Occitanie")
    return Locality(
        locality_id=locality_id,
        housing=tuple(housing),
        services=tuple(Service(locality_id=locality_id, service=s, capacity=c) for s, c in (services or {}).items()),
        jobs=tuple(Job(locality_id=locality_id, sector=s, vacancies=v) for s, v in (jobs or {}).items()),
        interpreters=tuple(Interpreter(locality_id=locality_id, language=lang, capacity=c)
                           for lang, c in (interpreters or {}).items()),
        **kw,
    )


def data(cases: list[Case], localities: list[Locality]) -> Dataset:
    return Dataset(cases=tuple(cases), localities=tuple(localities))
