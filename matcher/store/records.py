"""The records: scenarios (the two workbooks and their hash), runs, decisions, users, and the audit log.

Every write goes with its audit event in the same transaction: a record exists if and only if the log says
who made it and when. The log is a hash chain (`matcher.store.chain`): each event's hash covers its content,
the content hash of the row it created or changed, and the previous event's hash; its HMAC, with a key kept
outside the database, covers the hash. `Store.verify` checks the chain, the MACs, every row against its latest
event, and that the chain still reaches the head recorded outside the database (`matcher.store.verify`).
Audit events carry ids (scenario, run, pseudonymous case ids, INSEE codes, user names) and never a cell of a
workbook; decision reasons are kept in the decisions table, not in the log.

Values longer than their column are refused here, with a `FieldTooLong` naming the field and the limit, on
SQLite as PostgreSQL would refuse them: the schema's lengths are the single source.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import os
import threading
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Integer, Table, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from matcher.store import chain, schema
from matcher.store.chain import GENESIS, Head
from matcher.store.db import database_url, get_engine, owner_database_url
from matcher.store.errors import FieldTooLong, HeadMoved, StoreError
from matcher.store.migrations import LATEST, current_version, migrate
from matcher.store.verify import KEYED_START, Verification, check_heads, check_rows, walk_chain

__all__ = [
    "GENESIS",
    "AuditEvent",
    "DecisionRecord",
    "FieldTooLong",
    "Head",
    "HeadMoved",
    "RunRow",
    "ScenarioInfo",
    "ScenarioRecord",
    "Store",
    "StoreError",
    "StoredInput",
    "UserRecord",
    "Verification",
    "check_lengths",
    "input_hash",
    "open_store",
    "ordered_pairs",
    "stored_input",
]

_log = logging.getLogger("matcher.store")
#: PostgreSQL advisory lock key of the audit chain ("audit" in ASCII).
_AUDIT_LOCK = 0x6175646974
#: PostgreSQL advisory lock key of publishing a scenario ("scenario" in ASCII, folded to 63 bits).
_SCENARIO_LOCK = 0x7363656E6172696F & 0x7FFFFFFFFFFFFFFF
#: The range of an INTEGER column on PostgreSQL (SQLite would keep any size).
_INT_LIMIT = 2**31 - 1
#: The `expect_published` default: publish whatever the newest scenario is.
_ANY: Any = object()


@dataclass(frozen=True)
class StoredInput:
    """One workbook as kept in the store: its file name, kind (xlsx, or csvzip for a CSV folder) and bytes."""

    name: str
    kind: str
    data: bytes = field(repr=False)  # a workbook's bytes hold personal data: never in a log or a traceback

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
class ScenarioInfo:
    """A scenario without its workbooks: who kept it, when, how, and on which scenario it builds."""

    id: int
    created_at: dt.datetime
    owner: str
    source: str
    parent_id: int | None


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
    #: Pins and forbids in the order they were made (a run kept before that order was recorded has them sorted).
    forbids: list[tuple[str, str]]
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
    row_table: str | None = None
    row_id: int | None = None
    row_hash: str | None = None
    mac: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without their zone: they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def ordered_pairs(pairs: Iterable[Iterable[str]]) -> list[tuple[str, str]]:
    """Pairs (a run's forbids: case_id, locality_id) as tuples in their given order, each once (its first place).

    A run's pins and forbids are kept in the order they were made; runs kept before that have them sorted,
    which reads the same way."""
    found: dict[tuple[str, str], None] = {}
    for first, second in pairs:
        found.setdefault((str(first), str(second)), None)
    return list(found)


def check_lengths(table: Table, values: Mapping[str, Any]) -> None:
    """Refuse a value longer than its column, or an integer beyond PostgreSQL's INTEGER, naming the field.

    SQLite keeps any length; PostgreSQL would fail with a DataError. Checking here, from the schema's own column
    types, gives both databases the same limits and the user a message that says which field and how long.

    Raises
    ------
    FieldTooLong
        For the first value that does not fit.
    """
    for name, value in values.items():
        column = table.c[name]
        limit = getattr(column.type, "length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise FieldTooLong(table.name, name, limit, len(value))
        if (isinstance(column.type, Integer) and isinstance(value, int) and not isinstance(value, bool)
                and abs(value) > _INT_LIMIT):
            raise FieldTooLong(table.name, name, _INT_LIMIT, len(str(value)), integer=True)


_SINGULAR = {"scenarios": "scenario", "runs": "run", "decisions": "decision", "users": "user"}


class Store:
    """The records of one database. Thread-safe; open it with `open_store`.

    Parameters
    ----------
    engine
        A SQLAlchemy engine from `matcher.store.db.get_engine`: the app's connection.
    owner_engine
        On PostgreSQL, the tables' owner: it migrates the schema and grants the app's role what it may do (insert
        and read; update users' active flag, password and communes). None: the app's engine migrates (SQLite, or
        one role for everything).
    key_file
        The HMAC key of the audit chain; default `matcher.store.chain.key_path()`.
    """

    def __init__(self, engine: Engine, owner_engine: Engine | None = None, key_file: Path | None = None) -> None:
        self.engine = engine
        self.key_file = key_file if key_file is not None else chain.key_path()
        self.heads_file = chain.heads_path()
        self.database = engine.url.render_as_string(hide_password=True)
        self._key: bytes | None = None
        self._key_lock = threading.Lock()
        self.version = self._migrate(owner_engine)
        _private_sqlite_file(engine)
        self._cover_legacy()

    def _migrate(self, owner_engine: Engine | None) -> int:
        """Bring the schema up to date as the owner when there is one; then grant the app's role its rights."""
        try:
            version = migrate(owner_engine or self.engine)
        except DBAPIError as exc:
            if owner_engine is None and getattr(exc.orig, "sqlstate", None) == "42501":
                with self.engine.connect() as conn:
                    found = current_version(conn)
                raise StoreError(
                    f"the records' schema is at version {found} and this matcher needs {LATEST}, but this database "
                    "role may not change the tables: run `matcher records setup-postgres --owner-url URL "
                    "--app-role ROLE` (or set MATCHER_DATABASE_OWNER_URL)") from None
            raise
        if owner_engine is not None and owner_engine.dialect.name == "postgresql":
            from matcher.store.postgres import grant_app_role

            role = self.engine.url.username
            if role and role != owner_engine.url.username:
                grant_app_role(owner_engine, role)
        return version

    # ------------------------------------------------------------------------------------------- audit log

    @staticmethod
    def _lock_chain(conn: Connection) -> None:
        """Serialise appends: SQLite's IMMEDIATE transactions hold the write lock already; PostgreSQL locks here."""
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK})

    def _signing_key(self, conn: Connection) -> bytes:
        """The HMAC key, created on the first keyed event; never silently replaced once events carry MACs."""
        with self._key_lock:
            if self._key is not None:
                return self._key
            key = chain.read_key(self.key_file)
            if key is None:
                t = schema.audit_log
                if conn.execute(select(t.c.seq).where(t.c.mac.is_not(None)).limit(1)).first() is not None:
                    raise StoreError(f"the audit key file {self.key_file} is missing, and the records were written "
                                     "with a key: restore the file (or point MATCHER_AUDIT_KEY_FILE at it)")
                key = chain.create_key(self.key_file)
            self._key = key
            return key

    def _append(self, conn: Connection, actor: str, action: str, subject: str, detail: Mapping[str, Any],
                row: tuple[Table, int] | None = None) -> Head:
        """Add an event at the end of the chain, inside the caller's transaction.

        `row` names the row the event creates or changes: its content, as the database now holds it, is hashed
        into the event. The unique sequence number and previous hash would refuse a fork anyway.
        """
        self._lock_chain(conn)
        t = schema.audit_log
        last = conn.execute(select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)).first()
        seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
        at = _now().isoformat(timespec="microseconds")
        detail_json = json.dumps(dict(detail), sort_keys=True, ensure_ascii=False, default=str)
        row_table: str | None = None
        row_id: int | None = None
        row_digest: str | None = None
        if row is not None:
            table, row_id = row[0], int(row[1])
            found = conn.execute(select(table).where(table.c.id == row_id)).first()
            if found is None:
                raise StoreError(f"no {_SINGULAR.get(table.name, table.name)} {row_id} to record")
            row_table, row_digest = table.name, chain.row_hash(table.name, found._mapping)
        digest = chain.event_hash(chain.LATEST_FORMAT, seq, at, actor, action, subject, detail_json, prev, row_table,
                                  row_id, row_digest)
        mac = chain.event_mac(self._signing_key(conn), digest)
        values = {"seq": seq, "at": at, "actor": actor, "action": action, "subject": subject,
                  "detail_json": detail_json, "prev_hash": prev, "hash": digest, "chain_format": chain.LATEST_FORMAT,
                  "row_table": row_table, "row_id": row_id, "row_hash": row_digest, "mac": mac}
        check_lengths(t, values)
        conn.execute(insert(t).values(**values))
        head = Head(seq, digest, mac, at)
        conn.info["matcher_head"] = head
        return head

    def _write(self, work: Any, attempts: int = 8) -> Any:
        """Run `work(conn)` in a transaction; retry when a concurrent writer took the same audit slot.

        After the commit, the new head of the chain is recorded outside the database.
        """
        for attempt in range(attempts):
            try:
                with self.engine.begin() as conn:
                    conn.info.pop("matcher_head", None)
                    result = work(conn)
                    head = conn.info.pop("matcher_head", None)
            except (IntegrityError, OperationalError) as exc:
                retry = _is_audit_race(exc) or _is_locked(exc)
                if not retry or attempt == attempts - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))
                continue
            if head is not None:
                self._record_head(head)
            return result
        raise AssertionError("unreachable")

    def _record_head(self, head: Head) -> None:
        try:
            chain.advance_head(self.heads_file, self.database, head)
        except (OSError, StoreError) as exc:  # the records are kept; only the outside copy of the head lags
            _log.warning("the audit head could not be recorded in %s (%s)", self.heads_file, type(exc).__name__)

    def _cover_legacy(self) -> None:
        """Once, on a database whose events predate keyed chaining: close them and snapshot every row.

        The ``audit.keyed`` event counts the events before it; one ``row.snapshot`` event per existing row
        carries the row's content hash, so that rows are covered from then on (their earlier history only by the
        old events).
        """
        t = schema.audit_log
        with self.engine.connect() as conn:
            if conn.execute(select(t.c.seq).where(t.c.chain_format == 1).limit(1)).first() is None:
                return
            if conn.execute(select(t.c.seq).where(t.c.action == KEYED_START).limit(1)).first() is not None:
                return

        def work(conn: Connection) -> None:
            self._lock_chain(conn)
            if conn.execute(select(t.c.seq).where(t.c.action == KEYED_START).limit(1)).first() is not None:
                return  # another process did it meanwhile
            legacy = conn.execute(select(func.count()).select_from(t).where(t.c.chain_format == 1)).scalar_one()
            ids = {name: [int(i) for i in conn.execute(select(schema.metadata.tables[name].c.id)
                                                       .order_by(schema.metadata.tables[name].c.id)).scalars()]
                   for name in schema.COVERED}
            self._append(conn, "matcher", KEYED_START, "audit",
                         {"legacy_events": int(legacy), "rows": {name: len(v) for name, v in ids.items()}})
            for name, row_ids in ids.items():
                for row_id in row_ids:
                    self._append(conn, "matcher", "row.snapshot", f"{_SINGULAR[name]}:{row_id}", {},
                                 row=(schema.metadata.tables[name], row_id))

        self._write(work)

    def log(self, actor: str, action: str, subject: str = "", **detail: Any) -> None:
        """Record an event that has no other record (a login, a refused upload ...)."""
        self._write(lambda conn: self._append(conn, actor, action, subject, detail))

    def audit(self, limit: int | None = None) -> list[AuditEvent]:
        """Events, oldest first (the last `limit` ones when given)."""
        t = schema.audit_log
        query = select(t).order_by(t.c.seq.desc()).limit(limit) if limit else select(t).order_by(t.c.seq)
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
        events = [AuditEvent(r.seq, r.at, r.actor, r.action, r.subject, json.loads(r.detail_json), r.prev_hash,
                             r.hash, r.row_table, r.row_id, r.row_hash, r.mac) for r in rows]
        return sorted(events, key=lambda e: e.seq)

    def anchor(self) -> Head | None:
        """The last event of the chain (sequence number, hash, MAC, time), to keep outside the database."""
        t = schema.audit_log
        with self.engine.connect() as conn:
            r = conn.execute(select(t).order_by(t.c.seq.desc()).limit(1)).first()
        return None if r is None else Head(r.seq, r.hash, r.mac, r.at)

    def verify(self, anchors: Iterable[tuple[str, Head]] = ()) -> Verification:
        """Check the chain, the MACs, every covered row, and the heads kept outside the database.

        Parameters
        ----------
        anchors
            (label, head) pairs the chain must still hold, e.g. a file from `matcher records anchor`; the head
            recorded in `heads_file` by this machine's writers is always checked too.
        """
        report = Verification()
        try:
            key = chain.read_key(self.key_file)
        except StoreError as exc:
            report.add("key", str(exc))
            key = None
        # One snapshot for the whole check: a write committed halfway must not look like a row without its event.
        connection = self.engine.connect()
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection as conn, conn.begin():
            walk = walk_chain(conn, key, report)
            check_rows(conn, walk.latest, report)
        if key is None and report.keyed_events and not report.problems:
            report.add("key", f"the audit key file {self.key_file} is missing: the MACs cannot be checked")
        heads: list[tuple[str, Head]] = []
        try:
            recorded = chain.read_head(self.heads_file, self.database)
        except (StoreError, ValueError) as exc:
            report.add("head", str(exc))
            recorded = None
        if recorded is not None:
            heads.append((f"the head recorded in {self.heads_file}", recorded))
        heads.extend(anchors)
        check_heads(heads, walk, key, report)
        return report

    def verify_audit(self) -> tuple[bool, int, int | None]:
        """(intact, events checked up to the first bad one, first bad sequence number or None): see `verify`."""
        report = self.verify()
        bad = report.first_bad
        return report.ok, (bad if bad is not None else report.events), bad

    # ------------------------------------------------------------------------------------------- scenarios

    @staticmethod
    def _newest_published(conn: Connection) -> int | None:
        t = schema.scenarios
        found = conn.execute(select(func.max(t.c.id)).where(t.c.source.in_(schema.PUBLISHED))).scalar()
        return None if found is None else int(found)

    def add_scenario(self, owner: str, cases: StoredInput, localities: StoredInput, source: str,
                     parent_id: int | None = None, *, expect_published: int | None = _ANY,
                     detail: Mapping[str, Any] | None = None) -> int:
        """Keep both workbooks as a scenario; return its id.

        Parameters
        ----------
        expect_published
            When given, the id of the newest published scenario (see `schema.PUBLISHED`) the caller built on:
            if another was published since, nothing is written and `HeadMoved` is raised, so that the caller
            merges with it and tries again. Publishing is serialised, so that two writers cannot both pass.
        detail
            More facts for the audit event (ids and codes only).

        Raises
        ------
        HeadMoved
            See `expect_published`.
        FieldTooLong
            A file name longer than the records keep.
        """
        digest = input_hash(cases, localities)
        values = {"owner": owner, "source": source, "parent_id": parent_id, "input_sha256": digest,
                  "cases_name": cases.name, "cases_kind": cases.kind, "cases_data": cases.data,
                  "localities_name": localities.name, "localities_kind": localities.kind,
                  "localities_data": localities.data}
        check_lengths(schema.scenarios, values)

        def work(conn: Connection) -> int:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCENARIO_LOCK})
            if expect_published is not _ANY:
                found = self._newest_published(conn)
                if found != expect_published:
                    raise HeadMoved(expect_published, found)
            new_id = _new_id(conn.execute(insert(schema.scenarios).values(created_at=_now(), **values)))
            self._append(conn, owner, "scenario.add", f"scenario:{new_id}",
                         {"source": source, "input_sha256": digest, "parent_id": parent_id, **dict(detail or {})},
                         row=(schema.scenarios, new_id))
            return int(new_id)

        try:
            return int(self._write(work))
        except IntegrityError:
            raise StoreError(f"the scenario cannot be kept: no scenario {parent_id}") from None

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

    def published(self, limit: int | None = None) -> list[ScenarioInfo]:
        """Published scenarios (see `schema.PUBLISHED`), newest first, without their workbooks."""
        t = schema.scenarios
        query = (select(t.c.id, t.c.created_at, t.c.owner, t.c.source, t.c.parent_id)
                 .where(t.c.source.in_(schema.PUBLISHED)).order_by(t.c.id.desc()))
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
        return [ScenarioInfo(r.id, _utc(r.created_at), r.owner, r.source, r.parent_id) for r in rows]

    def newest_published(self) -> int | None:
        """The id of the newest published scenario, or None."""
        with self.engine.connect() as conn:
            return self._newest_published(conn)

    # ------------------------------------------------------------------------------------------------ runs

    def add_run(self, scenario_id: int, owner: str, origin: str, result: Any, *, time_limit: float | None = None,
                pins: Mapping[str, str] | None = None, forbids: Iterable[tuple[str, str]] | None = None,
                stable: bool = False) -> int:
        """Keep a run of a scenario: its policy, seed, versions and whole result (the JSON contract)."""
        prov = result.provenance
        status = str(getattr(result.status, "value", result.status))
        values = {"scenario_id": scenario_id, "owner": owner, "origin": origin,
                  "policy_name": str(prov.policy.get("name", "")),
                  "policy_json": json.dumps(prov.policy, sort_keys=True), "seed": int(prov.seed),
                  "time_limit": time_limit, "status": status, "result_json": result.model_dump_json(),
                  "pins_json": json.dumps(dict(pins or {})),  # in the order they were made, as are the forbids
                  "forbids_json": json.dumps(ordered_pairs(forbids or ())), "stable": stable,
                  "matcher_version": prov.matcher_version, "ortools_version": prov.ortools_version}
        check_lengths(schema.runs, values)

        def work(conn: Connection) -> int:
            new_id = _new_id(conn.execute(insert(schema.runs).values(created_at=_now(), **values)))
            self._append(conn, owner, "run.add", f"run:{new_id}",
                         {"scenario_id": scenario_id, "origin": origin, "status": status, "seed": int(prov.seed),
                          "policy": values["policy_name"], "placed": len(result.placements),
                          "unplaced": len(result.unplaced)}, row=(schema.runs, new_id))
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
                      dict(json.loads(r.pins_json)), ordered_pairs(json.loads(r.forbids_json)), bool(r.stable),
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
        values = {"run_id": run_id, "actor": actor, "case_id": case_id, "action": action, "override": override,
                  "locality_id": locality_id, "reason": reason.strip()}
        check_lengths(schema.decisions, values)

        def work(conn: Connection) -> int:
            new_id = _new_id(conn.execute(insert(schema.decisions).values(created_at=_now(), **values)))
            self._append(conn, actor, f"decision.{action}", f"run:{run_id}",
                         {"decision_id": int(new_id), "case_id": case_id, "override": override,
                          "locality_id": locality_id}, row=(schema.decisions, new_id))
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
        """Add a user. A removed user's name stays taken: the audit log refers to users by name."""
        if role not in schema.ROLES:
            raise StoreError(f"unknown role '{role}': use {', '.join(schema.ROLES)}")
        codes = sorted(set(localities))
        values = {"name": name, "role": role, "password_hash": password_hash, "localities_json": json.dumps(codes),
                  "active": True, "removed": False}
        check_lengths(schema.users, values)

        def work(conn: Connection) -> int:
            t = schema.users
            taken = conn.execute(select(t.c.removed).where(t.c.name == name)).first()
            if taken is not None:
                raise StoreError(f"the name '{name}' belonged to a removed user, and the audit log refers to it: "
                                 "choose another name" if taken.removed else f"a user named '{name}' already exists")
            new_id = _new_id(conn.execute(insert(t).values(created_at=_now(), **values)))
            self._append(conn, actor, "user.add", f"user:{name}", {"role": role, "localities": codes},
                         row=(t, new_id))
            return int(new_id)

        try:
            return int(self._write(work))
        except IntegrityError:
            raise StoreError(f"a user named '{name}' already exists") from None

    def user(self, name: str) -> UserRecord | None:
        t = schema.users
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.name == name, t.c.removed.is_(False))).first()
        return None if row is None else self._user(row)

    def users(self) -> list[UserRecord]:
        t = schema.users
        with self.engine.connect() as conn:
            rows = list(conn.execute(select(t).where(t.c.removed.is_(False)).order_by(t.c.name)))
        return [self._user(r) for r in rows]

    def has_users(self) -> bool:
        t = schema.users
        with self.engine.connect() as conn:
            return conn.execute(select(t.c.id).where(t.c.removed.is_(False)).limit(1)).first() is not None

    @staticmethod
    def _user(r: Any) -> UserRecord:
        return UserRecord(r.id, r.name, r.role, r.password_hash, tuple(json.loads(r.localities_json)), bool(r.active))

    def _change_user(self, actor: str, name: str, action: str, values: Mapping[str, Any],
                     detail: Mapping[str, Any]) -> None:
        """Update a user's row (the columns the app's role may update) and chain the change."""
        check_lengths(schema.users, values)

        def work(conn: Connection) -> None:
            t = schema.users
            found = conn.execute(select(t.c.id).where(t.c.name == name, t.c.removed.is_(False))).first()
            if found is None:
                raise StoreError(f"no user named '{name}'")
            conn.execute(update(t).where(t.c.id == found.id).values(**values))
            self._append(conn, actor, action, f"user:{name}", detail, row=(t, found.id))

        self._write(work)

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
        if values:
            self._change_user(actor, name, "user.update", values, detail)

    def remove_user(self, actor: str, name: str) -> None:
        """Remove a user: they can no longer log in and are not listed; the row and its name stay for the log."""
        self._change_user(actor, name, "user.remove", {"removed": True, "active": False, "password_hash": None}, {})


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
    """The store of `url` (default: ``MATCHER_DATABASE_URL`` or the SQLite file), migrated; one per process.

    On PostgreSQL, ``MATCHER_DATABASE_OWNER_URL`` (the tables' owner, same database) migrates and grants; without
    it the app's role must find the schema up to date.
    """
    key = url or database_url()
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            owner = owner_database_url(key)
            store = Store(get_engine(key), get_engine(owner) if owner else None)
            _stores[key] = store
        return store
