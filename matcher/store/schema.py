"""The tables, as SQLAlchemy Core: scenarios, runs, decisions, users and the append-only audit log.

This module is the current shape of the database; `migrations` brings any database to it, step by step. A test
checks that a database migrated from empty has exactly these tables and columns.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)

from matcher.io.spec import MAX_ID_CHARS, MAX_LOCALITY_ID_CHARS  # the limits validation enforces
from matcher.store.roles import ROLES

__all__ = ["ACTIONS", "COVERED", "OVERRIDES", "PUBLISHED", "ROLES", "audit_log", "decisions", "metadata", "runs",
           "scenarios", "schema_version", "users"]

#: A decision on a placement: the coordinator accepts it, or overrides it with a pin or a forbid.
ACTIONS = ("accepted", "overridden")
OVERRIDES = ("pin", "forbid")
#: Scenarios the Capacities page builds on: a coordinator's data (uploaded, or tables edited) and the capacities
#: saved on it. The sample data (loaded for a demonstration) and a scenario of `matcher match` (source "cli") are
#: records of what was run, not data for the NGOs.
PUBLISHED = ("upload", "edited", "capacities")
#: The tables whose every row is covered by the audit chain (an event carries each row's content hash).
COVERED = ("scenarios", "runs", "decisions", "users")

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

scenarios = Table(
    "scenarios", metadata,
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

runs = Table(
    "runs", metadata,
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

decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="RESTRICT"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("case_id", String(MAX_ID_CHARS), nullable=False),
    Column("action", String(20), nullable=False),
    Column("override", String(10), nullable=True),
    Column("locality_id", String(MAX_LOCALITY_ID_CHARS), nullable=True),
    Column("reason", Text, nullable=False),
    CheckConstraint("action in ('accepted', 'overridden')", name="decisions_action"),
    CheckConstraint("(action = 'accepted' and override is null) or "
                    "(action = 'overridden' and override in ('pin', 'forbid'))", name="decisions_override"),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(255), nullable=True),  # None: signs in through the identity provider only
    Column("localities_json", Text, nullable=False),  # an NGO's INSEE codes
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A removed user keeps its row (and its name, which the audit log refers to): the app may not delete.
    Column("removed", Boolean, nullable=False, server_default=false()),
    CheckConstraint(f"role in ({', '.join(repr(role) for role in ROLES)})", name="users_role"),
)

# Timestamps are ISO text here: the hash covers them byte for byte on every database. `chain_format` says how an
# event is hashed (see `matcher.store.chain`): 1 for the events written before keyed chaining (no row hash, no
# HMAC), 2 since. `row_table`/`row_id`/`row_hash` name the row the event created or changed and its content hash.
audit_log = Table(
    "audit_log", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(60), nullable=False),
    Column("subject", String(250), nullable=False),
    Column("detail_json", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("chain_format", Integer, nullable=False, server_default=text("1")),
    Column("row_table", String(20), nullable=True),
    Column("row_id", Integer, nullable=True),
    Column("row_hash", String(64), nullable=True),
    Column("mac", String(64), nullable=True),
)
