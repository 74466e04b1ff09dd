"""Migrations: an empty database reaches the schema of `schema.py`; migrating twice changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from store_helpers import admin_engine

from matcher.store import schema
from matcher.store.migrations import LATEST, SchemaTooNew, current_version, migrate


def test_empty_database_migrates_to_exactly_the_current_schema(db_url: str) -> None:
    """Every table and column of schema.py exists after migrating, and nothing else."""
    engine = admin_engine(db_url)
    assert migrate(engine) == LATEST
    found = inspect(engine)
    assert set(found.get_table_names()) == set(schema.metadata.tables)
    for name, table in schema.metadata.tables.items():
        columns = {c["name"]: c for c in found.get_columns(name)}
        assert set(columns) == {c.name for c in table.columns}, name
        for col in table.columns:
            assert columns[col.name]["nullable"] == col.nullable, (name, col.name)


def test_migrating_again_is_a_no_op(db_url: str) -> None:
    """A second migrate keeps the version and adds no row to schema_version."""
    engine = admin_engine(db_url)
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        assert current_version(conn) == LATEST
        assert conn.execute(text("SELECT count(*) FROM schema_version")).scalar() == LATEST


def test_a_newer_database_is_refused(db_url: str) -> None:
    """A database migrated by a newer matcher is not touched."""
    engine = admin_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO schema_version (version, description, applied_at) "
                          "VALUES (:v, 'future', CURRENT_TIMESTAMP)"), {"v": LATEST + 1})
    with pytest.raises(SchemaTooNew):
        migrate(engine)
