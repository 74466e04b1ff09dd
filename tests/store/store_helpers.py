"""Helpers of the store's tests (a module of its own: `conftest` names clash across test folders)."""

from __future__ import annotations

import os

from sqlalchemy import Engine

from matcher.models.result import LocalityUse, Placement, Provenance, Result, Unplaced
from matcher.store.db import get_engine

POSTGRES_OWNER_ENV = "MATCHER_TEST_POSTGRES_OWNER_URL"


def postgres_owner_url(url: str) -> str:
    """The owner's URL of the test database: ``MATCHER_TEST_POSTGRES_OWNER_URL``, else the app's URL itself."""
    return os.environ.get(POSTGRES_OWNER_ENV, "").strip() or url


def owner_engine(db_url: str) -> Engine | None:
    """The owner's engine of a PostgreSQL test database with two roles, else None (the app's engine migrates)."""
    if not db_url.startswith("postgresql"):
        return None
    owner = postgres_owner_url(db_url)
    return None if owner == db_url else get_engine(owner)


def admin_engine(db_url: str) -> Engine:
    """An engine that may do anything to the test database (the owner's): tamperings are performed with it."""
    return get_engine(postgres_owner_url(db_url)) if db_url.startswith("postgresql") else get_engine(db_url)


def make_result(placements: dict[str, str], unplaced: tuple[str, ...] = (), seed: int = 0) -> Result:
    """A small result with the given plan (case -> commune) and unplaced cases."""
    return Result(
        status="optimal", objective=10.0, bound=10.0, gap=0.0, seconds=0.1,
        placements=[Placement(case_id=c, locality_id=loc, bedrooms=2, score=0.5) for c, loc in placements.items()],
        unplaced=[Unplaced(case_id=c, reasons=["no unit left"]) for c in unplaced],
        localities=[LocalityUse(locality_id=loc, used={"persons": 1.0}, capacity={"persons": 5.0})
                    for loc in sorted(set(placements.values()))],
        provenance=Provenance(input_sha256="ab" * 32, policy={"name": "balanced"}, seed=seed,
                              matcher_version="0.1.0", ortools_version="9.x"),
    )
