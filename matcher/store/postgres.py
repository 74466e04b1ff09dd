"""PostgreSQL roles: the tables belong to an owner role; the app's role may read and insert, and little else.

The app's role gets USAGE on the schema, SELECT and INSERT on the record tables and the audit log, SELECT on
``schema_version``, the id sequences, and UPDATE of exactly the users' columns the app changes (active flag,
password hash, communes, removed flag: each change goes through the audit chain). It gets no DELETE, TRUNCATE,
UPDATE of anything else, REFERENCES or TRIGGER, and owns nothing: ALTER TABLE, and so disabling the audit log's
triggers, needs ownership. A superuser, a role that bypasses row security, or a member of the owner role is
refused as the app's role: any of them could do all of that.

`grant_app_role` is idempotent: `matcher records setup-postgres` runs it after migrating, and `open_store` after
migrating with ``MATCHER_DATABASE_OWNER_URL``, so that tables added by a new migration are granted too.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

from matcher.store.errors import StoreError
from matcher.store.migrations import PG_LOCK

__all__ = ["APP_TABLES", "USER_UPDATES", "check_app_role", "grant_app_role", "privileges"]

#: What the app inserts into and reads.
APP_TABLES = ("scenarios", "runs", "decisions", "users", "audit_log")
#: The only columns the app updates.
USER_UPDATES = ("active", "password_hash", "localities_json", "removed")
_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _owner(conn: Connection) -> str | None:
    found = conn.execute(text("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
                              "AND tablename = 'audit_log'")).scalar()
    return None if found is None else str(found)


def check_app_role(conn: Connection, role: str) -> None:
    """Refuse a role that could change the records behind the chain's back.

    Raises
    ------
    StoreError
        When the role does not exist, is a superuser, bypasses row security, owns the tables or is a member of
        their owner.
    """
    row = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if row is None:
        raise StoreError(f"there is no PostgreSQL role '{role}': create it first (see the README)")
    if row.rolsuper or row.rolbypassrls:
        raise StoreError(f"the app's role '{role}' is a superuser (or bypasses row security): it could disable the "
                         "audit log's triggers; give the app a plain role")
    owner = _owner(conn)
    if owner is not None and (owner == role or conn.execute(
            text("SELECT pg_has_role(:r, :o, 'MEMBER')"), {"r": role, "o": owner}).scalar()):
        raise StoreError(f"the app's role '{role}' owns the tables, or is a member of their owner '{owner}': "
                         "it could alter them; give the app a role of its own")


def grant_app_role(owner_engine: Engine, role: str) -> None:
    """As the tables' owner, give `role` exactly the app's rights (revoking any other it had on them)."""
    with owner_engine.begin() as conn:
        conn.execute(text(f"SELECT pg_advisory_xact_lock({PG_LOCK})"))  # concurrent GRANTs would fail
        check_app_role(conn, role)
        who = _quote(conn, role)
        schema = _quote(conn, str(conn.execute(text("SELECT current_schema()")).scalar()))
        tables = ", ".join(_quote(conn, t) for t in APP_TABLES)
        conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}"))
        conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {who}"))
        conn.execute(text(f"GRANT SELECT, INSERT ON {tables} TO {who}"))
        conn.execute(text(f"GRANT SELECT ON schema_version TO {who}"))
        conn.execute(text(f"GRANT UPDATE ({', '.join(USER_UPDATES)}) ON users TO {who}"))
        conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {who}"))


def privileges(conn: Connection, role: str) -> dict[str, list[str]]:
    """What `role` may do on each table of the records (column UPDATEs as ``UPDATE(col)``), for a report."""
    found: dict[str, list[str]] = {}
    for table in (*APP_TABLES, "schema_version"):
        granted = [p for p in _PRIVILEGES if conn.execute(
            text("SELECT has_table_privilege(:r, :t, :p)"), {"r": role, "t": table, "p": p}).scalar()]
        if "UPDATE" not in granted:
            granted += [f"UPDATE({c})" for c in USER_UPDATES if table == "users" and conn.execute(
                text("SELECT has_column_privilege(:r, :t, :c, 'UPDATE')"), {"r": role, "t": table, "c": c}).scalar()]
        found[table] = granted
    schema = conn.execute(text("SELECT current_schema()")).scalar()
    if conn.execute(text("SELECT has_schema_privilege(:r, :s, 'CREATE')"), {"r": role, "s": schema}).scalar():
        found["schema"] = ["CREATE"]
    return found
