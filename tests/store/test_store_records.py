"""Scenarios, runs, decisions and users kept and read back, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import text
from store_helpers import admin_engine, make_result, owner_engine

from matcher.models.result import Result
from matcher.store.records import Store, StoredInput, StoreError, input_hash

CASES = StoredInput("cases.xlsx", "xlsx", b"PK\x03\x04 cases bytes")
LOCALITIES = StoredInput("localities.xlsx", "xlsx", b"PK\x03\x04 localities bytes")


def test_scenario_keeps_both_workbooks_and_their_hash(store: Store) -> None:
    """The two workbooks come back byte for byte, with the hash of names and bytes."""
    sid = store.add_scenario("ana", CASES, LOCALITIES, "upload")
    got = store.scenario(sid)
    assert got.cases == CASES and got.localities == LOCALITIES
    assert got.input_sha256 == input_hash(CASES, LOCALITIES) and got.owner == "ana"


def test_latest_scenario_is_per_owner(store: Store) -> None:
    """Each user gets back their own newest scenario; None before any."""
    assert store.latest_scenario("ana") is None
    first = store.add_scenario("ana", CASES, LOCALITIES, "sample")
    other = store.add_scenario("bob", CASES, LOCALITIES, "sample")
    second = store.add_scenario("ana", CASES, LOCALITIES, "edited", parent_id=first)
    assert store.latest_scenario("ana").id == second
    assert store.latest_scenario("bob").id == other
    assert store.latest_scenario().id == second
    assert store.scenario(second).parent_id == first


def test_run_keeps_policy_seed_versions_and_the_whole_result(store: Store) -> None:
    """A run reads back with its result JSON intact, pins and forbids included."""
    sid = store.add_scenario("ana", CASES, LOCALITIES, "upload")
    result = make_result({"C1": "09225", "C2": "31555"}, unplaced=("C3",), seed=7)
    rid = store.add_run(sid, "ana", "app", result, time_limit=5.0, pins={"C1": "09225"},
                        forbids={("C2", "09225")}, stable=True)
    run = store.run(rid)
    assert Result.model_validate_json(run.result_json) == result
    assert (run.seed, run.policy_name, run.status, run.time_limit) == (7, "balanced", "optimal", 5.0)
    assert run.pins == {"C1": "09225"} and run.forbids == [("C2", "09225")] and run.stable
    assert (run.matcher_version, run.ortools_version) == ("0.1.0", "9.x")
    assert [r.id for r in store.runs(sid)] == [rid]


def test_pins_and_forbids_read_back_in_the_order_they_were_made(store: Store, db_url: str) -> None:
    """Issue 29: a run's pins and forbids are kept in the order they were made (they were sorted by family, so an
    undo or a restore could drop another pin than the last); runs kept sorted before still read back."""
    sid = store.add_scenario("ana", CASES, LOCALITIES, "upload")
    result = make_result({"C1": "09225", "C2": "31555"})
    pins = {"C9": "31555", "C1": "09225", "C5": "09225"}
    forbids = [("C7", "31555"), ("C2", "09225"), ("C7", "09225"), ("C2", "09225")]
    rid = store.add_run(sid, "ana", "app", result, pins=pins, forbids=forbids)
    run = store.run(rid)
    assert list(run.pins.items()) == list(pins.items())
    assert run.forbids == [("C7", "31555"), ("C2", "09225"), ("C7", "09225")]  # each once, first place kept
    old = store.add_run(sid, "ana", "app", result)
    # A run kept before the order was: keys sorted, pairs sorted lists (written as the tables' owner: the app's
    # role may not update runs).
    with (owner_engine(db_url) or store.engine).begin() as conn:
        conn.execute(text("UPDATE runs SET pins_json = :p, forbids_json = :f WHERE id = :i"),
                     {"p": '{"C1": "09225", "C5": "09225", "C9": "31555"}',
                      "f": '[["C2", "09225"], ["C7", "09225"], ["C7", "31555"]]', "i": old})
    kept = store.run(old)
    assert list(kept.pins) == ["C1", "C5", "C9"]
    assert kept.forbids == [("C2", "09225"), ("C7", "09225"), ("C7", "31555")]


def test_a_run_needs_an_existing_scenario(store: Store) -> None:
    """Foreign keys are enforced: no run of a scenario that does not exist."""
    with pytest.raises(StoreError, match="no scenario 999"):
        store.add_run(999, "ana", "cli", make_result({}))


def test_decisions_accepted_and_overridden_with_who_and_why(store: Store) -> None:
    """Decisions keep action, override kind, commune, actor and reason, in order."""
    sid = store.add_scenario("ana", CASES, LOCALITIES, "upload")
    rid = store.add_run(sid, "ana", "app", make_result({"C1": "09225"}))
    store.add_decision(rid, "ana", "C1", "accepted", reason="fits", locality_id="09225")
    store.add_decision(rid, "ana", "C2", "overridden", reason="family nearby", override="pin", locality_id="31555")
    got = store.decisions(rid)
    assert [(d.action, d.override, d.locality_id, d.actor, d.reason) for d in got] == [
        ("accepted", None, "09225", "ana", "fits"), ("overridden", "pin", "31555", "ana", "family nearby")]


@pytest.mark.parametrize(("action", "override", "reason"), [
    ("approved", None, "x"), ("accepted", "pin", "x"), ("overridden", None, "x"), ("accepted", None, "  ")])
def test_malformed_decisions_are_refused(store: Store, action: str, override: str | None, reason: str) -> None:
    """Unknown actions, overrides without a kind and blank reasons are refused."""
    sid = store.add_scenario("ana", CASES, LOCALITIES, "upload")
    rid = store.add_run(sid, "ana", "app", make_result({"C1": "09225"}))
    with pytest.raises(StoreError):
        store.add_decision(rid, "ana", "C1", action, reason=reason, override=override)


def test_users_add_update_remove(store: Store) -> None:
    """Users are unique by name; roles are checked; updates and removal are logged."""
    store.add_user("admin", "alice", "ngo", "hash", ["09225", "09225", "31555"])
    assert store.user("alice").localities == ("09225", "31555")
    with pytest.raises(StoreError, match="already exists"):
        store.add_user("admin", "alice", "coordinator", "hash")
    with pytest.raises(StoreError, match="unknown role"):
        store.add_user("admin", "bob", "admin", "hash")
    store.update_user("admin", "alice", active=False)
    assert not store.user("alice").active
    store.remove_user("admin", "alice")
    assert store.user("alice") is None and not store.has_users()
    actions = [e.action for e in store.audit()]
    assert actions == ["user.add", "user.update", "user.remove"]


def test_every_record_has_its_audit_event_and_the_chain_verifies(store: Store) -> None:
    """Scenario, run and decision each add one chained event; the chain verifies."""
    sid = store.add_scenario("ana", CASES, LOCALITIES, "upload")
    rid = store.add_run(sid, "ana", "app", make_result({"C1": "09225"}))
    store.add_decision(rid, "ana", "C1", "accepted", reason="ok", locality_id="09225")
    events = store.audit()
    assert [e.action for e in events] == ["scenario.add", "run.add", "decision.accepted"]
    assert [e.seq for e in events] == [1, 2, 3]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert store.verify_audit() == (True, 3, None)


def test_audit_log_refuses_update_and_delete(store: Store, db_url: str) -> None:
    """The database itself refuses to change or remove an audit event, even to the tables' owner."""
    store.log("ana", "login.ok", "user:ana")
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), admin_engine(db_url).begin() as conn:
            conn.execute(text(statement))
    assert store.verify_audit() == (True, 1, None)


def test_a_tampered_chain_is_detected(store: Store, db_url: str) -> None:
    """An event rewritten behind the triggers' back breaks verification at that event."""
    for i in range(3):
        store.log("ana", "login.ok", f"user:{i}")
    with admin_engine(db_url).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
            conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    assert store.verify_audit() == (False, 2, 2)


def test_concurrent_writers_keep_one_unbroken_chain(store: Store) -> None:
    """Eight threads logging at once: every event kept, numbered 1..n, chain intact."""
    def work(k: int) -> None:
        for i in range(10):
            store.log(f"user{k}", "login.ok", f"n:{i}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = store.audit()
    assert [e.seq for e in events] == list(range(1, 81))
    assert store.verify_audit() == (True, 80, None)


def test_sqlite_runs_with_wal_full_sync_and_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The SQLite file is in WAL mode, synchronous FULL, foreign keys on, and private to its owner."""
    import os

    from matcher.store.db import get_engine

    path = tmp_path / "r.db"
    st = Store(get_engine(f"sqlite:///{path}"))
    with st.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert os.stat(path).st_mode & 0o077 == 0


def test_default_database_is_a_sqlite_file_in_the_data_dir(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Without MATCHER_DATABASE_URL the records live in MATCHER_DATA_DIR/matcher.db; the URL wins when set."""
    from matcher.store.db import database_url, describe_url

    monkeypatch.delenv("MATCHER_DATABASE_URL", raising=False)
    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path))
    assert database_url() == f"sqlite:///{tmp_path / 'matcher.db'}"
    monkeypatch.setenv("MATCHER_DATABASE_URL", "postgresql://u:secret@127.0.0.1/db")
    assert database_url().startswith("postgresql://") and "secret" not in describe_url(database_url())
