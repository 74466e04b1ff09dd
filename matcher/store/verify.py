"""Verifying the records: the audit chain, its MACs, every covered row against its event, and the chain's head.

What each check catches (`tests/store/test_tamper.py` performs each tampering in SQL):

- an event edited, inserted or removed in the middle: its hash, or the next event's link, no longer matches;
- the whole chain recomputed after a forged event: the MACs do not match (the key is not in the database);
- a row edited (a run's status, owner or result; a scenario replaced; a decision rewritten; a user's role or
  password): its content hash differs from the one its latest event carries;
- a row inserted outside the app (a coordinator user, a run): no event names it;
- a row deleted (a run, a decision): its latest event names a row that is gone;
- the last events removed: the chain ends before the head recorded outside the database, or before an anchor a
  coordinator kept (`matcher records anchor`).

Events written before keyed chaining (format 1) are checked as they always were: by their hashes and links.
The first keyed event after them (``audit.keyed``) snapshots every row that existed then, so that rows are
covered from that point on.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from matcher.store import chain, schema

__all__ = ["KEYED_START", "Problem", "Verification", "Walk", "check_heads", "check_rows", "walk_chain"]

#: The event that closes the events written before keyed chaining and snapshots the rows existing then.
KEYED_START = "audit.keyed"
_SINGULAR = {"scenarios": "scenario", "runs": "run", "decisions": "decision", "users": "user"}


@dataclass(frozen=True)
class Problem:
    """One finding: its kind (for the app's translated labels), an English sentence, and the event concerned."""

    kind: str
    text: str
    seq: int | None = None
    record: str | None = None  # "runs 3": the table and id of the row concerned


@dataclass
class Verification:
    """What `Store.verify` found. ``ok`` when there is no problem."""

    events: int = 0
    legacy_events: int = 0
    keyed_events: int = 0
    macs_checked: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    head: chain.Head | None = None
    keyed_start: tuple[int, str] | None = None
    heads_checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> int | None:
        """The first event concerned by a problem of the chain, or None."""
        seqs = [p.seq for p in self.problems if p.seq is not None and p.kind in _CHAIN_KINDS]
        return min(seqs) if seqs else None

    def add(self, kind: str, text: str, seq: int | None = None, record: str | None = None) -> None:
        self.problems.append(Problem(kind, text, seq, record))


_CHAIN_KINDS = frozenset({"chain", "format", "mac", "legacy"})


@dataclass
class Walk:
    """What the walk along the chain keeps: the hash and MAC of each event, the latest event of each row."""

    prev: str = chain.GENESIS
    expected: int = 1
    keyed_seen: bool = False
    hashes: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    latest: dict[tuple[str, int], tuple[str, int, int]] = field(default_factory=dict)


def walk_chain(conn: Connection, key: bytes | None, report: Verification) -> Walk:
    """Check every event's link, hash, format and MAC; keep the latest (row hash, seq, format) of each row.

    A broken link does not stop the walk: the next events are checked against the hashes stored, so that each
    independent alteration is reported once.
    """
    t = schema.audit_log
    walk = Walk()
    report.macs_checked = key is not None
    for r in conn.execution_options(yield_per=500).execute(select(t).order_by(t.c.seq)):
        report.events += 1
        _check_event(r, key, walk, report)
        walk.hashes[r.seq] = (r.hash, r.mac)
        walk.prev, walk.expected = r.hash, r.seq + 1
        if r.row_table is not None and r.row_id is not None:
            walk.latest[(r.row_table, int(r.row_id))] = (r.row_hash, r.seq, r.chain_format)
        report.head = chain.Head(r.seq, r.hash, r.mac, r.at)
    if report.legacy_events and not walk.keyed_seen:
        report.add("legacy", f"the {report.legacy_events} events have no keyed event after them: they were written "
                   "or rewritten without the key")
    return walk


def _check_event(r: Any, key: bytes | None, walk: Walk, report: Verification) -> None:
    if r.seq > walk.expected:
        gone = (f"event {walk.expected} was" if r.seq == walk.expected + 1
                else f"events {walk.expected}-{r.seq - 1} were")
        report.add("chain", f"event {r.seq} follows event {walk.expected - 1}: {gone} removed", r.seq)
    elif r.seq != walk.expected:
        report.add("chain", f"event {r.seq} is out of order", r.seq)
    elif r.prev_hash != walk.prev:
        report.add("chain", f"event {r.seq} does not link to event {r.seq - 1}: one of them was altered", r.seq)
    fmt = r.chain_format
    if fmt == 1:
        report.legacy_events += 1
        if walk.keyed_seen:
            report.add("format", f"event {r.seq} is in the format before keyed chaining, after keyed chaining began: "
                       "it was written without the key", r.seq)
        digest = chain.event_hash(1, r.seq, r.at, r.actor, r.action, r.subject, r.detail_json, r.prev_hash)
    elif fmt == chain.LATEST_FORMAT:
        report.keyed_events += 1
        if not walk.keyed_seen:
            walk.keyed_seen = True
            if report.legacy_events:
                _check_keyed_start(r, report)
        digest = chain.event_hash(fmt, r.seq, r.at, r.actor, r.action, r.subject, r.detail_json, r.prev_hash,
                                  r.row_table, r.row_id, r.row_hash)
        if key is not None and not (r.mac and hmac.compare_digest(r.mac, chain.event_mac(key, r.hash or ""))):
            report.add("mac", f"event {r.seq}: its MAC does not match the key (written or recomputed without it)",
                       r.seq)
    else:
        report.add("format", f"event {r.seq} has an unknown format {fmt}", r.seq)
        return
    if digest != r.hash:
        report.add("chain", f"event {r.seq} was altered: its content no longer matches its hash", r.seq)


def _check_keyed_start(r: Any, report: Verification) -> None:
    try:
        detail = json.loads(r.detail_json)
    except ValueError:
        detail = {}
    if r.action != KEYED_START or detail.get("legacy_events") != report.legacy_events:
        report.add("legacy", f"event {r.seq}: the events before keyed chaining are not closed by the keyed start "
                   f"event that counts them", r.seq)
    else:
        report.keyed_start = (r.seq, r.at)


def check_rows(conn: Connection, latest: dict[tuple[str, int], tuple[str, int, int]], report: Verification) -> None:
    """Every covered row against the content hash of its latest event; events whose row is gone."""
    pending = dict(latest)
    for name in schema.COVERED:
        table = schema.metadata.tables[name]
        count = 0
        for row in conn.execution_options(yield_per=50).execute(select(table).order_by(table.c.id)):
            count += 1
            found = pending.pop((name, int(row.id)), None)
            label = f"{_SINGULAR[name]} {row.id}"
            if found is None:
                report.add("row_unrecorded", f"{label}: no audit event records it (written outside the app)",
                           record=f"{name} {row.id}")
                continue
            digest, seq, fmt = found
            if fmt not in chain.ROW_COLUMNS or chain.row_hash(name, row._mapping, fmt) != digest:
                report.add("row_changed", f"{label}: changed outside the app since event {seq} recorded it", seq,
                           f"{name} {row.id}")
        report.rows[name] = count
    for (name, row_id), (_digest, seq, _fmt) in sorted(pending.items(), key=lambda item: item[1][1]):
        label = f"{_SINGULAR.get(name, name)} {row_id}"
        report.add("row_deleted", f"{label}: deleted outside the app (event {seq} recorded it)", seq,
                   f"{name} {row_id}")


def check_heads(heads: Iterable[tuple[str, chain.Head]], walk: Walk, key: bytes | None,
                report: Verification) -> None:
    """The chain must still hold each head kept outside the database, with the same hash."""
    hashes = walk.hashes
    last = report.head.seq if report.head is not None else 0
    for label, head in heads:
        report.heads_checked.append(f"event {head.seq} of {label}")
        found = hashes.get(head.seq)
        if found is None:
            report.add("truncated", f"the log ends at event {last}, but {label} holds event {head.seq} "
                       f"(of {head.at or 'unknown time'}): the last events were removed, or the database was "
                       "restored from an older copy")
        elif found[0] != head.hash:
            report.add("rewritten", f"event {head.seq} is not the one {label} holds: the log was rewritten from "
                       "there", head.seq)
        elif key is not None and head.mac is not None and not hmac.compare_digest(head.mac,
                                                                                   chain.event_mac(key, head.hash)):
            report.add("anchor_mac", f"{label}: its MAC does not match this key")
