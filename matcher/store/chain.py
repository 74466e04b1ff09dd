"""The audit chain's cryptography: event and row hashes, the HMAC key kept outside the database, the head file.

Formats of an event (its ``chain_format`` column):

1. events written before keyed chaining: ``sha256([seq, at, actor, action, subject, detail_json, prev_hash])``;
2. since then: ``sha256([2, seq, at, actor, action, subject, detail_json, row_table, row_id, row_hash,
   prev_hash])`` and ``mac = HMAC-SHA256(key, hash)``. ``row_hash`` is the content hash of the row the event
   created or changed: SHA-256 over its columns of `ROW_COLUMNS` [2], canonically serialised (`canonical`).

Without the key, anyone who can write to the database can recompute every hash, but not the MACs. The key is a
file readable by the service only: ``MATCHER_AUDIT_KEY_FILE``, else ``audit.key`` in the data folder, created
with mode 0600 on first use. The head of each database's chain (its last event's sequence number, hash and MAC)
is also written after every commit to ``audit-heads.json`` in the data folder, so that removing the last events
from the database is seen even by someone who kept no anchor (`matcher records anchor` exports one).

A new column in a covered table needs a new format with its own column list, never a change of an old one: rows
already hashed must keep their hashes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from matcher.store.db import data_dir
from matcher.store.errors import StoreError

__all__ = ["GENESIS", "HEADS_NAME", "KEY_ENV", "KEY_NAME", "LATEST_FORMAT", "ROW_COLUMNS", "Head", "advance_head",
           "canonical", "create_key", "event_hash", "event_mac", "heads_path", "key_path", "read_head", "read_key",
           "row_hash"]

#: The "previous hash" of the first audit event.
GENESIS = "0" * 64
KEY_ENV = "MATCHER_AUDIT_KEY_FILE"
KEY_NAME = "audit.key"
HEADS_NAME = "audit-heads.json"
LATEST_FORMAT = 2
_MIN_KEY_CHARS = 32

#: The columns a row's content hash covers, per format (frozen: see the module's docstring).
ROW_COLUMNS: dict[int, dict[str, tuple[str, ...]]] = {
    2: {
        "scenarios": ("id", "created_at", "owner", "source", "parent_id", "input_sha256", "cases_name", "cases_kind",
                      "cases_data", "localities_name", "localities_kind", "localities_data"),
        "runs": ("id", "scenario_id", "created_at", "owner", "origin", "policy_name", "policy_json", "seed",
                 "time_limit", "status", "result_json", "pins_json", "forbids_json", "stable", "matcher_version",
                 "ortools_version"),
        "decisions": ("id", "run_id", "created_at", "actor", "case_id", "action", "override", "locality_id",
                      "reason"),
        "users": ("id", "name", "role", "password_hash", "localities_json", "active", "created_at", "removed"),
    },
}


def canonical(value: Any) -> Any:
    """A column's value as JSON that reads the same from SQLite and PostgreSQL.

    Datetimes become UTC ISO text to the microsecond (SQLite hands them back without their zone: they were
    written in UTC), bytes their SHA-256, booleans stay booleans (SQLAlchemy reads both databases' alike).
    """
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, bytes | bytearray | memoryview):
        return {"sha256": hashlib.sha256(bytes(value)).hexdigest()}
    return value


def row_hash(table: str, row: Mapping[Any, Any], chain_format: int = LATEST_FORMAT) -> str:
    """The content hash of one row of a covered table."""
    columns = ROW_COLUMNS[chain_format][table]
    body = json.dumps([table, {c: canonical(row[c]) for c in columns}], sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def event_hash(chain_format: int, seq: int, at: str, actor: str, action: str, subject: str, detail_json: str,
               prev: str, row_table: str | None = None, row_id: int | None = None,
               row_digest: str | None = None) -> str:
    """The hash of an event in its format (see the module's docstring)."""
    if chain_format == 1:
        fields: list[Any] = [seq, at, actor, action, subject, detail_json, prev]
    elif chain_format == 2:
        fields = [2, seq, at, actor, action, subject, detail_json, row_table, row_id, row_digest, prev]
    else:
        raise ValueError(f"unknown chain format {chain_format}")
    body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def event_mac(key: bytes, digest: str) -> str:
    """HMAC-SHA256 of an event's hash (which covers the whole chain before it)."""
    return hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------------------------------------------ the key


def key_path() -> Path:
    """``MATCHER_AUDIT_KEY_FILE``, else ``audit.key`` in the data folder."""
    explicit = os.environ.get(KEY_ENV, "").strip()
    return Path(explicit).expanduser() if explicit else data_dir() / KEY_NAME


def read_key(path: Path) -> bytes | None:
    """The key in `path`, or None when there is no such file.

    Raises
    ------
    StoreError
        When others may read the file or anyone but its owner may write it, or when it holds too short a key.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if info.st_mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IWGRP):
        raise StoreError(f"the audit key file {path} may be read or written by others: chmod 600 it")
    key = path.read_text(encoding="utf-8").strip().encode("utf-8")
    if len(key) < _MIN_KEY_CHARS:
        raise StoreError(f"the audit key file {path} holds fewer than {_MIN_KEY_CHARS} characters")
    return key


def create_key(path: Path) -> bytes:
    """Create `path` with 32 random bytes (hex), mode 0600, unless another process just did; return the key.

    The key is written to a private temporary file first and linked into place, so that no process ever reads a
    half-written key, and two first starts agree on one key.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    key = read_key(path)
    assert key is not None
    return key


# ----------------------------------------------------------------------------------------------------- the head


@dataclass(frozen=True)
class Head:
    """The last event of a chain as kept outside the database: enough to prove later that it is still there."""

    seq: int
    hash: str
    mac: str | None
    at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Head:
        """Read an anchor or a head file's entry; raise ValueError when it is not one."""
        try:
            seq, digest = int(data["seq"]), str(data["hash"])
        except (KeyError, TypeError, ValueError):
            raise ValueError("not an audit anchor: it needs a sequence number and a hash") from None
        if seq < 1 or len(digest) != 64:
            raise ValueError("not an audit anchor: a sequence number from 1 and a 64-character hash are needed")
        mac = data.get("mac")
        return Head(seq, digest, None if mac is None else str(mac), str(data.get("at", "")))


def heads_path() -> Path:
    """Where the heads of the chains this machine wrote are kept: ``audit-heads.json`` in the data folder."""
    return data_dir() / HEADS_NAME


def _load_heads(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        raise StoreError(f"the head file {path} cannot be read") from None
    return data if isinstance(data, dict) else {}


def read_head(path: Path, database: str) -> Head | None:
    """The head recorded for `database`, or None."""
    entry = _load_heads(path).get(database)
    return None if entry is None else Head.from_dict(entry)


def advance_head(path: Path, database: str, head: Head) -> None:
    """Record `head` for `database` unless a later one is recorded (writers of several processes may race)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = path.with_name(path.name + ".lock")
    with os.fdopen(os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        heads = _load_heads(path)
        current = heads.get(database)
        if current is not None and int(current.get("seq", 0)) >= head.seq:
            return
        heads[database] = head.as_dict()
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(heads, out, indent=1, sort_keys=True)
        os.replace(tmp, path)
