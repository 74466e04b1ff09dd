"""Versioned migrations: each step brings the database from one schema version to the next, in one transaction.

A small module rather than Alembic: the schema is a handful of tables, the package must migrate itself on
first use (the app and the CLI call `migrate` when they open the store), and the steps must run on SQLite and
PostgreSQL alike without a migration environment to ship. Rules for a new step: append it to `MIGRATIONS` with
the next number, never edit an applied step (step 1 keeps its own frozen copy of the tables), and update
`schema.py` to the result; `tests/store/test_migrations.py` checks that both agree.

The ``schema_version`` table lists the applied steps. Concurrent first starts are serialised: SQLite by its
IMMEDIATE transactions, PostgreSQL by an advisory lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

__all__ = ["LATEST", "MIGRATIONS", "PG_LOCK", "SchemaTooNew", "current_version", "migrate"]

#: The advisory lock key PostgreSQL migrations hold ("matcher" in ASCII).
PG_LOCK = 0x6D617463686572


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer matcher than this one."""


# The tables exactly as version 1 created them, frozen: not derived from `schema`, which holds today's shape (since
# then decisions' ids follow validation's limits, users gained `removed` and the audit log its keyed columns). A
# database migrated step by step must end where `schema` is, whatever `schema` becomes.
_V1 = MetaData()
Table(
    "schema_version", _V1,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

Table(
    "scenarios", _V1,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("owner", String(200), nullable=False, index=True),
    Column("source", String(40), nullable=False),  # sample, upload, edited, capacities, cli
    Column("parent_id", Integer, ForeignKey("scenarios.id", ondelete="RESTRICT"), nullable=True),
    Column("input_sha256", String(64), nullable=False, index=True),
    Column("cases_name", String(255), nullable=False),
    Column("cases_kind", String(8), nullable=False),  # xlsx, or csvzip: a folder of CSV files zipped
    Column("cases_data", LargeBinary, nullable=False),
    Column("localities_name", String(255), nullable=False),
    Column("localities_kind", String(8), nullable=False),
    Column("localities_data", LargeBinary, nullable=False),
    CheckConstraint("cases_kind in ('xlsx', 'csvzip') and localities_kind in ('xlsx', 'csvzip')",
                    name="scenarios_kind"),
)

Table(
    "runs", _V1,
    Column("id", Integer, primary_key=True),
    Column("scenario_id", Integer, ForeignKey("scenarios.id", ondelete="RESTRICT"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("origin", String(10), nullable=False),  # app or cli
    Column("policy_name", String(200), nullable=False),
    Column("policy_json", Text, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("time_limit", Float, nullable=True),
    Column("status", String(20), nullable=False),
    Column("result_json", Text, nullable=False),
    Column("pins_json", Text, nullable=False),
    Column("forbids_json", Text, nullable=False),
    Column("stable", Boolean, nullable=False),
    Column("matcher_version", String(40), nullable=False),
    Column("ortools_version", String(40), nullable=False),
    CheckConstraint("origin in ('app', 'cli')", name="runs_origin"),
)

Table(
    "decisions", _V1,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="RESTRICT"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("case_id", String(200), nullable=False),
    Column("action", String(20), nullable=False),
    Column("override", String(10), nullable=True),
    Column("locality_id", String(40), nullable=True),
    Column("reason", Text, nullable=False),
    CheckConstraint("action in ('accepted', 'overridden')", name="decisions_action"),
    CheckConstraint("(action = 'accepted' and override is null) or "
                    "(action = 'overridden' and override in ('pin', 'forbid'))", name="decisions_override"),
)

Table(
    "users", _V1,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(255), nullable=True),  # None: signs in through the identity provider only
    Column("localities_json", Text, nullable=False),  # an NGO's INSEE codes
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("role in ('coordinator', 'ngo', 'researcher')", name="users_role"),
)

Table(
    "audit_log", _V1,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(60), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("detail_json", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False, unique=True),
)


def _v1(conn: Connection) -> None:
    """Scenarios, runs, decisions, users and the audit log, which no one may update or delete."""
    _V1.create_all(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(text(
            "CREATE FUNCTION matcher_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"))
        conn.execute(text("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
                          "FOR EACH ROW EXECUTE FUNCTION matcher_audit_append_only()"))
        conn.execute(text("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                          "FOR EACH STATEMENT EXECUTE FUNCTION matcher_audit_append_only()"))
    else:
        for event in ("UPDATE", "DELETE"):
            conn.execute(text(f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                              "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"))


def _v2(conn: Connection) -> None:
    """Keyed chaining: each event names the row it creates or changes with the row's content hash, and carries an
    HMAC; users are removed by a flag, so that the app's role needs no DELETE.

    Existing events keep ``chain_format`` 1 and stay verifiable as they were; `Store` snapshots the rows that
    exist at that point into the chain once (see `matcher.store.records.Store`). The subject grows to 250
    characters: "user:" and a 200-character name must fit (SQLite does not enforce lengths, PostgreSQL does).
    """
    false = "false" if conn.dialect.name == "postgresql" else "0"
    conn.execute(text("ALTER TABLE audit_log ADD COLUMN chain_format INTEGER NOT NULL DEFAULT 1"))
    for column, kind in (("row_table", "VARCHAR(20)"), ("row_id", "INTEGER"), ("row_hash", "VARCHAR(64)"),
                         ("mac", "VARCHAR(64)")):
        conn.execute(text(f"ALTER TABLE audit_log ADD COLUMN {column} {kind}"))
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_log ALTER COLUMN subject TYPE VARCHAR(250)"))
    conn.execute(text(f"ALTER TABLE users ADD COLUMN removed BOOLEAN NOT NULL DEFAULT {false}"))


#: (version, description, step), in order.
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "scenarios, runs, decisions, users, append-only audit log", _v1),
    (2, "row hashes and HMACs in the audit chain; users removed by a flag", _v2),
]
LATEST = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    """The highest applied step, 0 for an empty database."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    found = conn.execute(text("SELECT max(version) FROM schema_version")).scalar()
    return int(found or 0)


def migrate(engine: Engine) -> int:
    """Apply every missing step, each in its own transaction; return the version reached.

    Raises
    ------
    SchemaTooNew
        When the database is at a version this matcher does not know.
    """
    version = 0
    for number, description, step in MIGRATIONS:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(select(text(f"pg_advisory_xact_lock({PG_LOCK})")))
            version = current_version(conn)
            if version > LATEST:
                raise SchemaTooNew(f"the database is at schema version {version}; this matcher knows up to "
                                   f"{LATEST}: upgrade the matcher")
            if version >= number:
                continue
            step(conn)
            conn.execute(text("INSERT INTO schema_version (version, description, applied_at) "
                              "VALUES (:v, :d, :at)"),
                         {"v": number, "d": description, "at": dt.datetime.now(dt.UTC)})
            version = number
    return version
