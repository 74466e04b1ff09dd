"""Fixtures of the store's tests: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``MATCHER_TEST_POSTGRES_URL`` (.ci/run starts Debian's server on loopback and sets it).
Without it the PostgreSQL half skips, unless ``MATCHER_REQUIRE_POSTGRES=1`` (set by CI), where it fails.
``MATCHER_TEST_POSTGRES_OWNER_URL``, when set, is the role owning the test database: it migrates and grants,
and the tests' tamperings run as it, while the store works as the app's role of ``MATCHER_TEST_POSTGRES_URL``
(.ci/run sets both). Without it one role does everything.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from store_helpers import owner_engine, postgres_owner_url

from matcher.store import records
from matcher.store.db import dispose_all, get_engine
from matcher.store.records import Store

POSTGRES_ENV = "MATCHER_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        if os.environ.get("MATCHER_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{POSTGRES_ENV} is not set, and CI requires the PostgreSQL tests")
        pytest.skip(f"{POSTGRES_ENV} is not set (CI starts PostgreSQL and sets it)")
    return url


def reset_postgres(url: str) -> None:
    """An empty public schema: every test starts from a database that was never migrated."""
    dispose_all()
    records._stores.clear()  # a store opened by an earlier test would skip migrating the new schema
    engine = create_engine(postgres_owner_url(url).replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("DROP FUNCTION IF EXISTS matcher_audit_append_only() CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or the PostgreSQL test database wiped clean.

    On PostgreSQL, ``MATCHER_DATABASE_OWNER_URL`` is set to the owner's URL for `open_store`.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.db'}"
        return
    url = postgres_url()
    assert url is not None
    reset_postgres(url)
    if postgres_owner_url(url) != url:
        monkeypatch.setenv("MATCHER_DATABASE_OWNER_URL", postgres_owner_url(url))
    yield url
    dispose_all()


@pytest.fixture
def store(db_url: str) -> Store:
    """A migrated, empty store."""
    return Store(get_engine(db_url), owner_engine(db_url))
