"""The records: scenarios (the two workbooks and their hash), runs, decisions, users, and the audit log.

Every write goes with its audit event in the same transaction: a record exists if and only if the log says
who made it and when. The log is a hash chain: each event's hash covers its content and the previous event's
hash, so that editing or removing an event (which the database also refuses, by trigger) breaks `verify_audit`.
Audit events carry ids (scenario, run, pseudonymous case ids, INSEE codes, user names) and never a cell of a
workbook; decision reasons are kept in the decisions table, not in the log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import threading
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from matcher.store import schema
from matcher.store.db import database_url, get_engine
from matcher.store.migrations import migrate

__all__ = [
    "GENESIS",
    "AuditEvent",
    "DecisionRecord",
    "RunRow",
    "ScenarioRecord",
    "Store",
    "StoreError",
    "StoredInput",
    "UserRecord",
    "input_hash",
    "open_store",
    "stored_input",
]

#: The "previous hash" of the first audit event.
GENESIS = "0" * 64
#: PostgreSQL advisory lock key of the audit chain ("audit" in ASCII).
_AUDIT_LOCK = 0x6175646974


class StoreError(RuntimeError):
    """A record that cannot be written or found; the message quotes ids only."""


@dataclass(frozen=True)
class StoredInput:
    """One workbook as kept in the store: its file name, kind (xlsx, or csvzip for a CSV folder) and bytes."""

    name: str
    kind: str
    data: bytes

    def materialise(self, folder: Path) -> Path:
        """Write it back where the readers expect it: ``folder/name`` (an .xlsx file or a folder of CSVs)."""
        target = folder / Path(self.name).name
        if self.kind == "xlsx":
            target.write_bytes(self.data)
            return target
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            for info in archive.infolist():
                name = Path(info.filename).name
                if name.lower().endswith(".csv"):
                    (target / name).write_bytes(archive.read(info))
        return target


def stored_input(path: str | Path) -> StoredInput:
    """Read an .xlsx file, or zip a folder's CSV files, for the store."""
    path = Path(path)
    if path.is_dir():
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for f in sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv"):
                archive.writestr(f.name, f.read_bytes())
        return StoredInput(path.name, "csvzip", buf.getvalue())
    return StoredInput(path.name, "xlsx", path.read_bytes())


def input_hash(cases: StoredInput, localities: StoredInput) -> str:
    """SHA-256 over each input's name and bytes (for two .xlsx files, the hash a result's provenance carries)."""
    h = hashlib.sha256()
    for item in (cases, localities):
        h.update(item.name.encode())
        h.update(item.data)
    return h.hexdigest()


@dataclass(frozen=True)
class ScenarioRecord:
    id: int
    created_at: dt.datetime
    owner: str
    source: str
    parent_id: int | None
    input_sha256: str
    cases: StoredInput
    localities: StoredInput


@dataclass(frozen=True)
class RunRow:
    id: int
    scenario_id: int
    created_at: dt.datetime
    owner: str
    origin: str
    policy_name: str
    policy: dict[str, Any]
    seed: int
    time_limit: float | None
    status: str
    result_json: str
    pins: dict[str, str]
    forbids: set[tuple[str, str]]
    stable: bool
    matcher_version: str
    ortools_version: str


@dataclass(frozen=True)
class DecisionRecord:
    id: int
    run_id: int
    created_at: dt.datetime
    actor: str
    case_id: str
    action: str
    override: str | None
    locality_id: str | None
    reason: str


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    role: str
    password_hash: str | None
    localities: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _event_hash(seq: int, at: str, actor: str, action: str, subject: str, detail_json: str, prev: str) -> str:
    body = json.dumps([seq, at, actor, action, subject, detail_json, prev], separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without their zone: they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class Store:
    """The records of one database. Thread-safe; open it with `open_store`.

    Parameters
    ----------
    engine
        A SQLAlchemy engine from `matcher.store.db.get_engine`; migrated to the latest schema here.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.version = migrate(engine)
        _private_sqlite_file(engine)

    # ------------------------------------------------------------------------------------------- audit log

    def _append(self, conn: Connection, actor: str, action: str, subject: str, detail: Mapping[str, Any]) -> None:
        """Add an event at the end of the chain, inside the caller's transaction.

        Appends are serialised: SQLite's IMMEDIATE transactions hold the write lock already; PostgreSQL takes a
        transaction-scoped advisory lock. The unique sequence number and previous hash would refuse a fork anyway.
        """
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK})
        last = conn.execute(select(schema.audit_log.c.seq, schema.audit_log.c.hash)
                            .order_by(schema.audit_log.c.seq.desc()).limit(1)).first()
        seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
        at = _now().isoformat(timespec="microseconds")
        detail_json = json.dumps(dict(detail), sort_keys=True, ensure_ascii=False, default=str)
        conn.execute(insert(schema.audit_log).values(
            seq=seq, at=at, actor=actor, action=action, subject=subject, detail_json=detail_json, prev_hash=prev,
            hash=_event_hash(seq, at, actor, action, subject, detail_json, prev)))

    def _write(self, work: Any, attempts: int = 8) -> Any:
        """Run `work(conn)` in a transaction; retry when a concurrent writer took the same audit slot."""
        for attempt in range(attempts):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except (IntegrityError, OperationalError) as exc:
                retry = _is_audit_race(exc) or _is_locked(exc)
                if not retry or attempt == attempts - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def log(self, actor: str, action: str, subject: str = "", **detail: Any) -> None:
        """Record an event that has no other record (a login, a refused upload, a user disabled ...)."""
        self._write(lambda conn: self._append(conn, actor, action, subject, detail))

    def audit(self, limit: int | None = None) -> list[AuditEvent]:
        """Events, oldest first (the last `limit` ones when given)."""
        t = schema.audit_log
        query = select(t).order_by(t.c.seq.desc()).limit(limit) if limit else select(t).order_by(t.c.seq)
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
        events = [AuditEvent(r.seq, r.at, r.actor, r.action, r.subject, json.loads(r.detail_json), r.prev_hash,
                             r.hash) for r in rows]
        return sorted(events, key=lambda e: e.seq)

    def verify_audit(self) -> tuple[bool, int, int | None]:
        """Walk the chain: (intact, events checked, first bad sequence number or None)."""
        t = schema.audit_log
        prev, expected_seq, count = GENESIS, 1, 0
        with self.engine.connect() as conn:
            for r in conn.execute(select(t).order_by(t.c.seq)):
                count += 1
                digest = _event_hash(r.seq, r.at, r.actor, r.action, r.subject, r.detail_json, r.prev_hash)
                if r.seq != expected_seq or r.prev_hash != prev or digest != r.hash:
                    return False, count, r.seq
                prev, expected_seq = r.hash, expected_seq + 1
        return True, count, None

    # ------------------------------------------------------------------------------------------- scenarios

    def add_scenario(self, owner: str, cases: StoredInput, localities: StoredInput, source: str,
                     parent_id: int | None = None) -> int:
        """Keep both workbooks as a scenario; return its id."""
        digest = input_hash(cases, localities)

        def work(conn: Connection) -> int:
            new_id = _new_id(conn.execute(insert(schema.scenarios).values(
                created_at=_now(), owner=owner, source=source, parent_id=parent_id, input_sha256=digest,
                cases_name=cases.name, cases_kind=cases.kind, cases_data=cases.data,
                localities_name=localities.name, localities_kind=localities.kind,
                localities_data=localities.data)))
            self._append(conn, owner, "scenario.add", f"scenario:{new_id}",
                         {"source": source, "input_sha256": digest, "parent_id": parent_id})
            return int(new_id)

        return int(self._write(work))

    def _scenario(self, row: Any) -> ScenarioRecord:
        return ScenarioRecord(row.id, _utc(row.created_at), row.owner, row.source, row.parent_id,
                              row.input_sha256, StoredInput(row.cases_name, row.cases_kind, bytes(row.cases_data)),
                              StoredInput(row.localities_name, row.localities_kind, bytes(row.localities_data)))

    def scenario(self, scenario_id: int) -> ScenarioRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.scenarios).where(schema.scenarios.c.id == scenario_id)).first()
        if row is None:
            raise StoreError(f"no scenario {scenario_id}")
        return self._scenario(row)

    def latest_scenario(self, owner: str | None = None) -> ScenarioRecord | None:
        """The newest scenario of `owner` (of anyone when None)."""
        t = schema.scenarios
        query = select(t).order_by(t.c.id.desc()).limit(1)
        if owner is not None:
            query = query.where(t.c.owner == owner)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else self._scenario(row)

    # ------------------------------------------------------------------------------------------------ runs

    def add_run(self, scenario_id: int, owner: str, origin: str, result: Any, *, time_limit: float | None = None,
                pins: Mapping[str, str] | None = None, forbids: Iterable[tuple[str, str]] | None = None,
                stable: bool = False) -> int:
        """Keep a run of a scenario: its policy, seed, versions and whole result (the JSON contract)."""
        prov = result.provenance
        status = str(getattr(result.status, "value", result.status))
        pins_json = json.dumps(dict(pins or {}), sort_keys=True)
        forbids_json = json.dumps(sorted([list(p) for p in (forbids or ())]))

        def work(conn: Connection) -> int:
            new_id = _new_id(conn.execute(insert(schema.runs).values(
                scenario_id=scenario_id, created_at=_now(), owner=owner, origin=origin,
                policy_name=str(prov.policy.get("name", "")), policy_json=json.dumps(prov.policy, sort_keys=True),
                seed=int(prov.seed), time_limit=time_limit, status=status, result_json=result.model_dump_json(),
                pins_json=pins_json, forbids_json=forbids_json, stable=stable,
                matcher_version=prov.matcher_version, ortools_version=prov.ortools_version,
            )))
            self._append(conn, owner, "run.add", f"run:{new_id}",
                         {"scenario_id": scenario_id, "origin": origin, "status": status, "seed": int(prov.seed),
                          "policy": str(prov.policy.get("name", "")), "placed": len(result.placements),
                          "unplaced": len(result.unplaced)})
            return int(new_id)

        try:
            return int(self._write(work))
        except IntegrityError:
            raise StoreError(f"the run cannot be kept: no scenario {scenario_id}") from None

    def runs(self, scenario_id: int) -> list[RunRow]:
        t = schema.runs
        with self.engine.connect() as conn:
            rows = list(conn.execute(select(t).where(t.c.scenario_id == scenario_id).order_by(t.c.id)))
        return [self._run(r) for r in rows]

    def run(self, run_id: int) -> RunRow:
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.runs).where(schema.runs.c.id == run_id)).first()
        if row is None:
            raise StoreError(f"no run {run_id}")
        return self._run(row)

    def recent_runs(self, limit: int = 20) -> list[RunRow]:
        t = schema.runs
        with self.engine.connect() as conn:
            rows = list(conn.execute(select(t).order_by(t.c.id.desc()).limit(limit)))
        return [self._run(r) for r in rows]

    @staticmethod
    def _run(r: Any) -> RunRow:
        return RunRow(r.id, r.scenario_id, _utc(r.created_at), r.owner, r.origin, r.policy_name,
                      json.loads(r.policy_json), r.seed, r.time_limit, r.status, r.result_json,
                      dict(json.loads(r.pins_json)), {(a, b) for a, b in json.loads(r.forbids_json)}, bool(r.stable),
                      r.matcher_version, r.ortools_version)

    # ------------------------------------------------------------------------------------------- decisions

    def add_decision(self, run_id: int, actor: str, case_id: str, action: str, *, reason: str,
                     override: str | None = None, locality_id: str | None = None) -> int:
        """A coordinator's decision on a family of a run: accepted, or overridden by a pin or a forbid."""
        if action not in schema.ACTIONS:
            raise StoreError(f"unknown decision '{action}': use {', '.join(schema.ACTIONS)}")
        if (action == "overridden") != (override in schema.OVERRIDES):
            raise StoreError("an override is a pin or a forbid, and only an override has one")
        if not reason.strip():
            raise StoreError("a decision needs a reason")

        def work(conn: Connection) -> int:
            new_id = _new_id(conn.execute(insert(schema.decisions).values(
                run_id=run_id, created_at=_now(), actor=actor, case_id=case_id, action=action, override=override,
                locality_id=locality_id, reason=reason.strip())))
            self._append(conn, actor, f"decision.{action}", f"run:{run_id}",
                         {"decision_id": int(new_id), "case_id": case_id, "override": override,
                          "locality_id": locality_id})
            return int(new_id)

        try:
            return int(self._write(work))
        except IntegrityError:
            raise StoreError(f"the decision cannot be kept: no run {run_id}") from None

    def decisions(self, run_id: int) -> list[DecisionRecord]:
        t = schema.decisions
        with self.engine.connect() as conn:
            rows = list(conn.execute(select(t).where(t.c.run_id == run_id).order_by(t.c.id)))
        return [DecisionRecord(r.id, r.run_id, _utc(r.created_at), r.actor, r.case_id, r.action, r.override,
                               r.locality_id, r.reason) for r in rows]

    # ----------------------------------------------------------------------------------------------- users

    def add_user(self, actor: str, name: str, role: str, password_hash: str | None,
                 localities: Iterable[str] = ()) -> int:
        if role not in schema.ROLES:
            raise StoreError(f"unknown role '{role}': use {', '.join(schema.ROLES)}")
        codes = sorted(set(localities))

        def work(conn: Connection) -> int:
            new_id = _new_id(conn.execute(insert(schema.users).values(
                name=name, role=role, password_hash=password_hash, localities_json=json.dumps(codes), active=True,
                created_at=_now())))
            self._append(conn, actor, "user.add", f"user:{name}", {"role": role, "localities": codes})
            return int(new_id)

        try:
            return int(self._write(work))
        except IntegrityError:
            raise StoreError(f"a user named '{name}' already exists") from None

    def user(self, name: str) -> UserRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.users).where(schema.users.c.name == name)).first()
        return None if row is None else self._user(row)

    def users(self) -> list[UserRecord]:
        with self.engine.connect() as conn:
            rows = list(conn.execute(select(schema.users).order_by(schema.users.c.name)))
        return [self._user(r) for r in rows]

    def has_users(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(schema.users.c.id).limit(1)).first() is not None

    @staticmethod
    def _user(r: Any) -> UserRecord:
        return UserRecord(r.id, r.name, r.role, r.password_hash, tuple(json.loads(r.localities_json)), bool(r.active))

    def update_user(self, actor: str, name: str, *, active: bool | None = None, password_hash: str | None = None,
                    localities: Iterable[str] | None = None) -> None:
        values: dict[str, Any] = {}
        detail: dict[str, Any] = {}
        if active is not None:
            values["active"] = detail["active"] = active
        if password_hash is not None:
            values["password_hash"] = password_hash
            detail["password"] = "changed"
        if localities is not None:
            values["localities_json"] = json.dumps(sorted(set(localities)))
            detail["localities"] = sorted(set(localities))
        if not values:
            return

        def work(conn: Connection) -> None:
            done = conn.execute(update(schema.users).where(schema.users.c.name == name).values(**values))
            if done.rowcount != 1:
                raise StoreError(f"no user named '{name}'")
            self._append(conn, actor, "user.update", f"user:{name}", detail)

        self._write(work)

    def remove_user(self, actor: str, name: str) -> None:
        def work(conn: Connection) -> None:
            done = conn.execute(delete(schema.users).where(schema.users.c.name == name))
            if done.rowcount != 1:
                raise StoreError(f"no user named '{name}'")
            self._append(conn, actor, "user.remove", f"user:{name}", {})

        self._write(work)


def _new_id(result: Any) -> int:
    """The id the database gave the row just inserted."""
    key = result.inserted_primary_key
    if key is None:
        raise StoreError("the database returned no id for a new record")
    return int(key[0])


def _is_audit_race(exc: Exception) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "audit_log" in text


def _is_locked(exc: Exception) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "could not serialize" in text or "deadlock" in text


def _private_sqlite_file(engine: Engine) -> None:
    """The SQLite file holds workbooks: readable by its owner only."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    for suffix in ("", "-wal", "-shm"):
        path = Path(url.database + suffix)
        if path.exists():
            with contextlib.suppress(OSError):  # a file owned by someone else: leave it as its owner set it
                os.chmod(path, 0o600)


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def open_store(url: str | None = None) -> Store:
    """The store of `url` (default: ``MATCHER_DATABASE_URL`` or the SQLite file), migrated; one per process."""
    key = url or database_url()
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = Store(get_engine(key))
            _stores[key] = store
        return store
