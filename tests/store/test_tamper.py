"""Each tampering of the records, performed directly in the database, is reported by `verify`.

The tamperings are those of issue 22 (a run's status, owner or result edited; a run deleted; a scenario replaced;
decisions rewritten or deleted; a coordinator user inserted; the last audit events removed; the whole chain
recomputed after forging an event; events edited, removed, inserted or swapped) and a few more. They run as the
tables' owner on PostgreSQL (the app's role may not do any of them: see `test_app_role_*`), with the audit log's
triggers disabled where needed, as someone with full access to the database would.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from store_helpers import admin_engine, make_result, owner_engine, postgres_owner_url
from typer.testing import CliRunner

from matcher.store import chain, schema
from matcher.store.db import get_engine
from matcher.store.migrations import MIGRATIONS
from matcher.store.records import Store, StoredInput

CASES = StoredInput("cases.xlsx", "xlsx", b"PK\x03\x04 cases bytes")
LOCALITIES = StoredInput("localities.xlsx", "xlsx", b"PK\x03\x04 localities bytes")
EDITED = StoredInput("localities.xlsx", "xlsx", b"PK\x03\x04 localities bytes, max_persons 12")


@pytest.fixture
def populated(store: Store) -> Store:
    """Two scenarios, two runs, two decisions, two users (one disabled), and three logins: all verified."""
    sid = store.add_scenario("cora", CASES, LOCALITIES, "upload")
    store.add_scenario("nina", CASES, EDITED, "capacities", parent_id=sid)
    first = store.add_run(sid, "cora", "app", make_result({"C1": "09225", "C2": "31555"}), time_limit=5.0)
    store.add_run(sid, "cora", "cli", make_result({"C1": "31555"}, unplaced=("C2",)))
    store.add_decision(first, "cora", "C1", "accepted", reason="fits the family", locality_id="09225")
    store.add_decision(first, "cora", "C2", "overridden", reason="near relatives", override="pin",
                       locality_id="31555")
    store.add_user("admin", "cora", "coordinator", "$argon2id$cora")
    store.add_user("admin", "nina", "ngo", "$argon2id$nina", ["09225"])
    store.update_user("admin", "nina", active=False)
    for _ in range(3):
        store.log("cora", "login.ok", "user:cora")
    report = store.verify()
    assert report.ok, report.problems
    assert report.rows == {"scenarios": 2, "runs": 2, "decisions": 2, "users": 2}
    return store


@contextmanager
def audit_writable(conn: Connection) -> Iterator[None]:
    """Lift the audit log's append-only triggers for the block, as the tables' owner can."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        yield
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    else:
        conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        yield


def _sql(*statements: str, **params: object) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for statement in statements:
            conn.execute(text(statement), params)
    return run


def _audit_sql(*statements: str, **params: object) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        with audit_writable(conn):
            for statement in statements:
                conn.execute(text(statement), params)
    return run


def _events(conn: Connection) -> list[dict[str, object]]:
    return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM audit_log ORDER BY seq"))]


def _rewrite(conn: Connection, events: list[dict[str, object]], start: int) -> None:
    """Write `events` back from index `start` on, every hash recomputed with the public formula (no key)."""
    with audit_writable(conn):
        conn.execute(text("DELETE FROM audit_log WHERE seq >= :s"), {"s": events[start]["seq"]})
        prev = str(events[start - 1]["hash"]) if start else chain.GENESIS
        for event in events[start:]:
            fmt = int(event["chain_format"])  # type: ignore[call-overload]
            event["prev_hash"] = prev
            event["hash"] = chain.event_hash(fmt, event["seq"], event["at"], event["actor"], event["action"],  # type: ignore[arg-type]
                                             event["subject"], event["detail_json"], prev, event["row_table"],  # type: ignore[arg-type]
                                             event["row_id"], event["row_hash"])  # type: ignore[arg-type]
            conn.execute(text("INSERT INTO audit_log (seq, at, actor, action, subject, detail_json, prev_hash, hash, "
                              "chain_format, row_table, row_id, row_hash, mac) VALUES (:seq, :at, :actor, :action, "
                              ":subject, :detail_json, :prev_hash, :hash, :chain_format, :row_table, :row_id, "
                              ":row_hash, :mac)"), event)
            prev = str(event["hash"])


def recompute_after_forging(conn: Connection) -> None:
    """Forge a decision's event (another commune), then recompute every hash after it: only the MACs differ."""
    events = _events(conn)
    index = next(i for i, e in enumerate(events) if e["action"] == "decision.overridden")
    detail = json.loads(str(events[index]["detail_json"]))
    detail["locality_id"] = "09225"
    events[index]["detail_json"] = json.dumps(detail, sort_keys=True)
    _rewrite(conn, events, index)


def downgrade_to_unkeyed(conn: Connection) -> None:
    """Rewrite the whole log in the format before keyed chaining: no row hashes, no MACs."""
    events = _events(conn)
    for event in events:
        event.update(chain_format=1, row_table=None, row_id=None, row_hash=None, mac=None)
    _rewrite(conn, events, 0)


def swap_two_events(conn: Connection) -> None:
    """Exchange the content of two logins (the hashes stay where they were)."""
    events = _events(conn)
    a, b = events[-3], events[-1]
    b_at = b["at"]
    with audit_writable(conn):
        conn.execute(text("UPDATE audit_log SET at = :at WHERE seq = :seq"), {"at": "2000-01-01T00:00:00+00:00",
                                                                               "seq": b["seq"]})
        conn.execute(text("UPDATE audit_log SET at = :at WHERE seq = :seq"), {"at": b_at, "seq": a["seq"]})
        conn.execute(text("UPDATE audit_log SET at = :at WHERE seq = :seq"), {"at": a["at"], "seq": b["seq"]})


def append_forged_event(conn: Connection) -> None:
    """Add a coordinator's login at the end with a correct hash (the formula is public) but no key."""
    last = _events(conn)[-1]
    seq, at, prev = int(last["seq"]) + 1, str(last["at"]), str(last["hash"])  # type: ignore[call-overload]
    digest = chain.event_hash(2, seq, at, "mallory", "login.ok", "user:mallory", "{}", prev)
    conn.execute(text("INSERT INTO audit_log (seq, at, actor, action, subject, detail_json, prev_hash, hash, "
                      "chain_format, mac) VALUES (:seq, :at, 'mallory', 'login.ok', 'user:mallory', '{}', :prev, "
                      ":hash, 2, :mac)"), {"seq": seq, "at": at, "prev": prev, "hash": digest, "mac": "0" * 64})


INSERT_COORDINATOR = ("INSERT INTO users (name, role, password_hash, localities_json, active, created_at, removed) "
                      "VALUES ('mallory', 'coordinator', '$argon2id$x', '[]', TRUE, CURRENT_TIMESTAMP, FALSE)")
INSERT_RUN = ("INSERT INTO runs (scenario_id, created_at, owner, origin, policy_name, policy_json, seed, time_limit, "
              "status, result_json, pins_json, forbids_json, stable, matcher_version, ortools_version) SELECT "
              "scenario_id, created_at, owner, origin, policy_name, policy_json, seed, time_limit, status, "
              "result_json, pins_json, forbids_json, stable, matcher_version, ortools_version FROM runs WHERE id = 1")

#: name -> (what it does, the kind of problem `verify` must report). The first ten went undetected before.
TAMPERINGS: dict[str, tuple[Callable[[Connection], None], str]] = {
    "run status edited": (_sql("UPDATE runs SET status = 'infeasible' WHERE id = 1"), "row_changed"),
    "run owner edited": (_sql("UPDATE runs SET owner = 'mallory' WHERE id = 1"), "row_changed"),
    "run result edited": (_sql("UPDATE runs SET result_json = replace(result_json, '09225', '31555') WHERE id = 1"),
                          "row_changed"),
    "run deleted": (_sql("DELETE FROM runs WHERE id = 2"), "row_deleted"),
    "scenario replaced": (_sql("UPDATE scenarios SET localities_data = :data WHERE id = 2", data=b"PK forged"),
                          "row_changed"),
    "decision rewritten": (_sql("UPDATE decisions SET reason = 'forged', locality_id = '31555' WHERE id = 1"),
                           "row_changed"),
    "decision deleted": (_sql("DELETE FROM decisions WHERE id = 2"), "row_deleted"),
    "coordinator user inserted": (_sql(INSERT_COORDINATOR), "row_unrecorded"),
    "last audit events truncated": (_audit_sql("DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 2 FROM "
                                               "audit_log)"), "truncated"),
    "whole chain recomputed after forging an event": (recompute_after_forging, "mac"),
    "event actor edited": (_audit_sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"), "chain"),
    "event detail edited": (_audit_sql("UPDATE audit_log SET detail_json = '{}' WHERE seq = 2"), "chain"),
    "event deleted in the middle": (_audit_sql("DELETE FROM audit_log WHERE seq = 4"), "chain"),
    "event appended without the key": (append_forged_event, "mac"),
    "event hash replaced": (_audit_sql("UPDATE audit_log SET hash = :h WHERE seq = (SELECT max(seq) FROM "
                                       "audit_log)", h="f" * 64), "chain"),
    "events swapped": (swap_two_events, "chain"),
    "user role raised": (_sql("UPDATE users SET role = 'coordinator', localities_json = '[]' WHERE name = 'nina'"),
                         "row_changed"),
    "disabled user enabled": (_sql("UPDATE users SET active = TRUE WHERE name = 'nina'"), "row_changed"),
    "password hash replaced": (_sql("UPDATE users SET password_hash = '$argon2id$mallory' WHERE name = 'cora'"),
                               "row_changed"),
    "run inserted": (_sql(INSERT_RUN), "row_unrecorded"),
    "user row deleted": (_sql("DELETE FROM users WHERE name = 'nina'"), "row_deleted"),
    "whole log rewritten without keys": (downgrade_to_unkeyed, "legacy"),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_verify_reports_each_tampering(populated: Store, db_url: str, name: str) -> None:
    """The tampering, done in SQL with full rights on the database, makes verify fail with the matching finding."""
    tamper, kind = TAMPERINGS[name]
    with admin_engine(db_url).begin() as conn:
        tamper(conn)
    report = populated.verify()
    assert not report.ok
    assert kind in {p.kind for p in report.problems}, report.problems


def test_truncation_is_detected_by_a_kept_anchor_alone(populated: Store, db_url: str, tmp_path: Path) -> None:
    """`records anchor` exports the head; with the local head file gone, `records verify --anchor` still sees it."""
    from matcher.cli import app

    os.environ["MATCHER_DATABASE_URL"] = db_url
    try:
        runner = CliRunner()
        out = runner.invoke(app, ["records", "anchor", "--out", str(tmp_path / "anchor.json")])
        assert out.exit_code == 0, out.output
        kept = json.loads((tmp_path / "anchor.json").read_text())
        assert kept["seq"] == populated.anchor().seq and kept["mac"] and kept["hash"]
        with admin_engine(db_url).begin() as conn:
            TAMPERINGS["last audit events truncated"][0](conn)
        populated.heads_file.unlink()
        assert populated.verify().ok  # without any head kept outside, a clean cut looks like a shorter log
        out = runner.invoke(app, ["records", "verify", "--anchor", str(tmp_path / "anchor.json")])
        assert out.exit_code == 1
        assert f"holds event {kept['seq']}" in out.output and "the last events were removed" in out.output
    finally:
        os.environ.pop("MATCHER_DATABASE_URL", None)


def test_a_missing_key_is_reported_not_replaced(populated: Store) -> None:
    """Without the key file, verify fails (MACs unchecked) and writing refuses rather than start a new key."""
    populated.key_file.unlink()
    report = populated.verify()
    assert not report.ok and {p.kind for p in report.problems} == {"key"}
    fresh = Store(populated.engine, key_file=populated.key_file)
    with pytest.raises(Exception, match=r"key file .* is missing"):
        fresh.log("cora", "login.ok", "user:cora")


def test_a_key_readable_by_others_is_refused(populated: Store) -> None:
    """The key file must be private to the service."""
    populated.key_file.chmod(0o644)
    report = populated.verify()
    assert any("may be read or written by others" in p.text for p in report.problems)


def test_key_file_is_created_private(store: Store) -> None:
    """The first event creates the key with mode 0600, and every event carries a MAC."""
    store.log("ana", "login.ok", "user:ana")
    assert store.key_file.stat().st_mode & 0o777 == 0o600
    assert all(e.mac for e in store.audit())


# ------------------------------------------------------------------------------------------ old databases


def _legacy_database(db_url: str) -> None:
    """A database as the previous matcher left it: schema version 1, rows, and events without keys."""
    engine = admin_engine(db_url)
    with engine.begin() as conn:
        MIGRATIONS[0][2](conn)
        conn.execute(text("INSERT INTO schema_version (version, description, applied_at) VALUES (1, 'v1', "
                          "CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO scenarios (created_at, owner, source, input_sha256, cases_name, cases_kind, "
                          "cases_data, localities_name, localities_kind, localities_data) VALUES (CURRENT_TIMESTAMP, "
                          "'cora', 'upload', :h, 'cases.xlsx', 'xlsx', :c, 'localities.xlsx', 'xlsx', :l)"),
                     {"h": "ab" * 32, "c": CASES.data, "l": LOCALITIES.data})
        conn.execute(text("INSERT INTO users (name, role, password_hash, localities_json, active, created_at) "
                          "VALUES ('nina', 'ngo', 'h', '[\"09225\"]', TRUE, CURRENT_TIMESTAMP)"))
        prev = chain.GENESIS
        for seq, (action, subject) in enumerate([("scenario.add", "scenario:1"), ("user.add", "user:nina"),
                                                 ("login.ok", "user:nina")], start=1):
            at = f"2026-01-0{seq}T10:00:00.000000+00:00"
            digest = chain.event_hash(1, seq, at, "cora", action, subject, "{}", prev)
            conn.execute(text("INSERT INTO audit_log (seq, at, actor, action, subject, detail_json, prev_hash, hash) "
                              "VALUES (:seq, :at, 'cora', :action, :subject, '{}', :prev, :hash)"),
                         {"seq": seq, "at": at, "action": action, "subject": subject, "prev": prev, "hash": digest})
            prev = digest


def test_an_old_database_migrates_and_says_what_is_covered(db_url: str) -> None:
    """Old events stay verifiable as they were; the rows existing then are snapshotted; new rows are covered."""
    _legacy_database(db_url)
    store = Store(get_engine(db_url), owner_engine(db_url))
    report = store.verify()
    assert report.ok, report.problems
    assert report.legacy_events == 3 and report.keyed_start is not None and report.keyed_start[0] == 4
    assert report.rows == {"scenarios": 1, "runs": 0, "decisions": 0, "users": 1}
    store.add_run(1, "cora", "app", make_result({"C1": "09225"}))
    assert store.verify().ok
    again = Store(get_engine(db_url), owner_engine(db_url))  # a second start snapshots nothing more
    assert [e.action for e in again.audit()].count("audit.keyed") == 1
    with admin_engine(db_url).begin() as conn:
        conn.execute(text("UPDATE users SET role = 'coordinator' WHERE name = 'nina'"))
    assert "row_changed" in {p.kind for p in again.verify().problems}


def test_cli_verify_on_an_old_database_names_the_covered_part(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`matcher records verify` says which events predate keyed chaining and from when rows are covered."""
    from matcher.cli import app

    _legacy_database(db_url)
    monkeypatch.setenv("MATCHER_DATABASE_URL", db_url)
    out = CliRunner().invoke(app, ["records", "verify"])
    assert out.exit_code == 0, out.output
    assert "events 1-3 predate keyed chaining" in out.output
    assert "snapshotted at event 4" in out.output


# ------------------------------------------------------------------------------------ the app's role


def _app_role_only(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("roles are PostgreSQL's")
    if postgres_owner_url(db_url) == db_url:
        if os.environ.get("MATCHER_REQUIRE_POSTGRES") == "1":
            pytest.fail("CI sets MATCHER_TEST_POSTGRES_OWNER_URL: the app's role must be tested")
        pytest.skip("MATCHER_TEST_POSTGRES_OWNER_URL is not set: one role does everything")


@pytest.mark.parametrize("statement", [
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
    "SET session_replication_role = replica",
    "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
    "DELETE FROM audit_log WHERE seq = 1",
    "TRUNCATE audit_log",
    "UPDATE runs SET status = 'infeasible' WHERE id = 1",
    "DELETE FROM runs WHERE id = 2",
    "DELETE FROM decisions",
    "UPDATE scenarios SET owner = 'mallory'",
    "UPDATE users SET role = 'coordinator' WHERE name = 'nina'",
    "DELETE FROM users WHERE name = 'nina'",
    "TRUNCATE runs CASCADE",
    "DROP TRIGGER audit_log_no_change ON audit_log",
    "ALTER TABLE runs ADD COLUMN forged TEXT",
    "CREATE TABLE forged (id INTEGER)",
])
def test_app_role_cannot_change_the_records_behind_the_chain(populated: Store, db_url: str, statement: str) -> None:
    """As the app's role: no trigger disabled, no event or record updated or deleted, nothing altered."""
    _app_role_only(db_url)
    with pytest.raises(Exception, match=r"permission denied|must be owner|must be superuser"), \
            populated.engine.begin() as conn:
        conn.execute(text(statement))
    assert populated.verify().ok


def test_app_role_has_exactly_the_apps_rights(populated: Store, db_url: str) -> None:
    """Insert and read everywhere, update only the users' columns the app changes, nothing else."""
    from matcher.store.postgres import privileges

    _app_role_only(db_url)
    role = populated.engine.url.username
    with admin_engine(db_url).connect() as conn:
        found = privileges(conn, str(role))
    assert found == {"scenarios": ["SELECT", "INSERT"], "runs": ["SELECT", "INSERT"],
                     "decisions": ["SELECT", "INSERT"], "audit_log": ["SELECT", "INSERT"],
                     "users": ["SELECT", "INSERT", "UPDATE(active)", "UPDATE(password_hash)",
                               "UPDATE(localities_json)", "UPDATE(removed)"],
                     "schema_version": ["SELECT"]}
    populated.update_user("admin", "nina", active=True)  # the app's own updates still work, and are chained
    populated.remove_user("admin", "nina")
    assert populated.verify().ok


def test_a_superuser_or_the_owner_is_refused_as_the_apps_role(db_url: str) -> None:
    """Granting the app's rights to the owner itself is refused: it could disable the triggers."""
    from matcher.store.errors import StoreError
    from matcher.store.postgres import grant_app_role

    _app_role_only(db_url)
    owner = admin_engine(db_url)
    Store(get_engine(db_url), owner)
    with pytest.raises(StoreError, match="owns the tables"):
        grant_app_role(owner, str(owner.url.username))


def test_schema_tables_are_all_covered_or_logged() -> None:
    """Every table is either covered by row hashes, the audit log itself, or the schema's version."""
    assert set(schema.metadata.tables) == {*schema.COVERED, "audit_log", "schema_version"}
    for name in schema.COVERED:
        assert chain.ROW_COLUMNS[chain.LATEST_FORMAT][name] == tuple(c.name for c in schema.metadata.tables[name].c)
