"""Capacity edits: versioned against the scenario they start from, merged by row block, refused on a conflict.

An NGO (or a coordinator) edits the capacities of a named *base*: the newest published scenario (see
`schema.PUBLISHED`) holding its communes. Saving keeps a new ``capacities`` scenario whose parent is the scenario
the edit was merged onto. A *block* is the rows of one commune in one sheet (a commune has one row in
``localities`` and several in ``housing``, ``services``, ``jobs``, ``interpreters``); merges compare blocks:

- `save_edit`: when scenarios were published since the edit began (another NGO saved, a coordinator loaded new
  data), the blocks the user changed replace the newest scenario's; the others' blocks are kept. When the newest
  scenario changed a block the user changed too, and differently, nothing is saved and the `Conflict` names the
  sheet, the commune and who changed it. The write itself checks that no scenario was published since the
  merge (`Store.add_scenario`'s ``expect_published``), else merges again: two saves at once both end up in the
  records, and "saved" is never said of a change that is not in the saved scenario.
- `carry_forward`: a coordinator's new data (upload, sample, edited tables) inherits the capacity edits saved
  on the previous line of scenarios: the blocks its ``capacities`` scenarios changed on top of their root, unless
  the new data changes that block too (then the new data's figures are kept and the coordinator is told which).
  So a coordinator's upload never silently resets the NGOs' figures, and the NGOs' next base holds them.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.io import spec
from matcher.io.cells import shown_text
from matcher.store import schema
from matcher.store.errors import HeadMoved, StoreError
from matcher.store.records import ScenarioInfo, ScenarioRecord, Store, StoredInput, input_hash

__all__ = ["Carry", "Change", "Conflict", "Foreign", "Invalid", "Published", "Saved", "Unchanged", "blocks",
           "carry_forward", "cell_text", "changed", "find_base", "locality_ids", "publish", "read_frames",
           "replace_blocks", "save_edit", "scenario_frames"]

Frames = dict[str, pd.DataFrame]
Key = tuple[str, str]  # (sheet, locality_id)
#: How far back a change is looked for to name who made it.
_ATTRIBUTION_STEPS = 50
_ATTEMPTS = 8
_COLUMNS = {sheet.name: tuple(c.name for c in sheet.columns) for sheet in spec.LOCALITIES.sheets}


@dataclass(frozen=True, order=True)
class Change:
    """A block changed by a scenario: which sheet and commune, in which scenario, by whom."""

    sheet: str
    locality_id: str
    scenario_id: int
    owner: str
    source: str


@dataclass(frozen=True)
class Saved:
    """The edit is kept as `scenario_id`, merged onto `merged_onto`; `merged` lists others' changes it includes."""

    scenario_id: int
    base_id: int
    merged_onto: int
    changed: tuple[Key, ...]
    merged: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Conflict:
    """Nothing saved: blocks the user changed were changed since `base_id` by others, as `changes` lists."""

    base_id: int
    newest_id: int
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Invalid:
    """Nothing saved: the merged localities workbook has these validation errors."""

    issues: tuple[Any, ...]


@dataclass(frozen=True)
class Foreign:
    """Nothing saved: rows name communes the user may not edit."""

    locality_ids: tuple[str, ...]


@dataclass(frozen=True)
class Unchanged:
    """Nothing saved: no capacity differs from the base."""

    base_id: int


@dataclass(frozen=True)
class Carry:
    """New data with the capacity edits of the previous line carried onto it (see `carry_forward`)."""

    localities: StoredInput
    parent_id: int | None
    expect_published: int | None
    carried: tuple[Change, ...] = ()
    kept: tuple[Change, ...] = ()


# --------------------------------------------------------------------------------------------------- frames


def cell_text(value: Any) -> str | None:
    """A cell as the text a spreadsheet shows, None when blank: the form the Capacities page edits and compares."""
    return shown_text(value, stripped=True)


def read_frames(localities: StoredInput) -> Frames:
    """The sheets of a localities workbook, every cell as text (`cell_text`)."""
    from matcher.io.readers import read_workbook

    with tempfile.TemporaryDirectory(prefix="matcher-capacities-") as tmp:
        read = read_workbook(localities.materialise(Path(tmp)), spec.LOCALITIES)
    return {name: frame.reset_index(drop=True).astype(object).map(cell_text)
            for name, frame in read.frames().items()}


@functools.lru_cache(maxsize=32)
def _cached_frames(database: str, scenario_id: int, digest: str, localities: StoredInput) -> Frames:
    return read_frames(localities)


def scenario_frames(store: Store, scenario: ScenarioRecord) -> Frames:
    """`read_frames` of a scenario's localities, kept for the next calls (scenarios never change)."""
    return _cached_frames(store.database, scenario.id, scenario.input_sha256, scenario.localities)


def _ids(frame: pd.DataFrame) -> pd.Series:
    if "locality_id" not in frame:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return frame["locality_id"].map(lambda v: cell_text(v) or "")


def locality_ids(frames: Mapping[str, pd.DataFrame]) -> set[str]:
    """The communes of a workbook (its ``localities`` sheet)."""
    frame = frames.get("localities")
    return set() if frame is None else {i for i in _ids(frame) if i}


def blocks(frames: Mapping[str, pd.DataFrame], communes: Iterable[str] | None = None) -> dict[Key, tuple[Any, ...]]:
    """Each (sheet, commune)'s rows, as a sorted tuple of the spec's cells (extra columns and row order ignored)."""
    keep = None if communes is None else set(communes)
    found: dict[Key, list[tuple[str, ...]]] = {}
    for sheet, frame in frames.items():
        columns = _COLUMNS.get(sheet)
        if columns is None:
            continue
        ids = _ids(frame)
        for position, lid in enumerate(ids):
            if not lid or (keep is not None and lid not in keep):
                continue
            row = frame.iloc[position]
            found.setdefault((sheet, lid), []).append(
                tuple(cell_text(row[c]) or "" if c in frame.columns else "" for c in columns))
    return {key: tuple(sorted(rows)) for key, rows in found.items()}


def changed(before: Mapping[str, pd.DataFrame], after: Mapping[str, pd.DataFrame],
            communes: Iterable[str] | None = None) -> set[Key]:
    """The blocks (of `communes`, default all) that differ between two workbooks."""
    keep = None if communes is None else set(communes)
    old, new = blocks(before, keep), blocks(after, keep)
    return {key for key in old.keys() | new.keys() if old.get(key, ()) != new.get(key, ())}


def replace_blocks(onto: Mapping[str, pd.DataFrame], source: Mapping[str, pd.DataFrame],
                   keys: Iterable[Key]) -> Frames:
    """`onto` with the blocks `keys` taken from `source` (rows of a block absent from `source` are removed)."""
    keys = set(keys)
    merged: Frames = {}
    for sheet in dict.fromkeys([*onto, *source]):
        base = onto.get(sheet)
        new = source.get(sheet)
        ids = {lid for s, lid in keys if s == sheet}
        if base is None:
            base = new.iloc[0:0] if new is not None else pd.DataFrame()
        kept = base[~_ids(base).isin(ids)] if ids else base
        if ids and new is not None:
            taken = new[_ids(new).isin(ids)]
            kept = pd.concat([kept, taken], ignore_index=True)
        merged[sheet] = kept.reset_index(drop=True)
    return merged


def _xlsx(frames: Mapping[str, pd.DataFrame]) -> StoredInput:
    from matcher.io.templates import write_workbook

    with tempfile.TemporaryDirectory(prefix="matcher-capacities-") as tmp:
        path = write_workbook(Path(tmp) / spec.LOCALITIES.filename, spec.LOCALITIES, dict(frames))
        return StoredInput(spec.LOCALITIES.filename, "xlsx", path.read_bytes())


def _problems(frames: Mapping[str, pd.DataFrame]) -> list[Any]:
    """The validation errors of a localities workbook alone (no family's id can appear in them)."""
    from matcher.io.readers import workbook_from_frames
    from matcher.io.validation import validate

    no_cases = workbook_from_frames({"cases": pd.DataFrame(columns=["case_id"]),
                                     "members": pd.DataFrame(columns=["case_id", "member_id", "age"])}, spec.CASES)
    report = validate(no_cases, workbook_from_frames(dict(frames), spec.LOCALITIES))
    return [i for i in report.errors if i.workbook != spec.CASES.filename]


# ------------------------------------------------------------------------------------------------ the line


def find_base(store: Store, communes: Iterable[str] | None = None) -> ScenarioRecord | None:
    """The newest published scenario holding one of `communes` (any published scenario when None)."""
    wanted = None if communes is None else set(communes)
    for info in store.published():
        scenario = store.scenario(info.id)
        if wanted is None or locality_ids(scenario_frames(store, scenario)) & wanted:
            return scenario
    return None


def _attribute(store: Store, older_id: int | None, newer: ScenarioRecord, keys: set[Key]) -> tuple[Change, ...]:
    """Who changed each block since `older_id`: walk back the parents of `newer`, newest change first."""
    left, found = set(keys), []
    current, steps = newer, 0
    while left and current.parent_id is not None and current.id != older_id and steps < _ATTRIBUTION_STEPS:
        parent = store.scenario(current.parent_id)
        step = changed(scenario_frames(store, parent), scenario_frames(store, current)) & left
        found += [Change(sheet, lid, current.id, current.owner, current.source) for sheet, lid in step]
        left -= step
        current, steps = parent, steps + 1
    found += [Change(sheet, lid, newer.id, newer.owner, newer.source) for sheet, lid in left]
    return tuple(sorted(found))


def save_edit(store: Store, actor: str, communes: Iterable[str], base: ScenarioRecord,
              edited: Mapping[str, pd.DataFrame]) -> Saved | Conflict | Invalid | Foreign | Unchanged:
    """Keep an edit of `communes`' capacities, started from `base`, merged onto the newest scenario.

    Parameters
    ----------
    edited
        The user's rows, sheet by sheet (text cells, as `read_frames` gives them); rows without a commune are
        ignored (a blank row added in a table).

    Returns
    -------
    Saved, or why nothing was saved: a `Conflict` with changes made since `base` to the same blocks, `Invalid`
    merged data, `Foreign` rows, or `Unchanged`.
    """
    mine = set(communes)
    foreign = sorted({i for frame in edited.values() for i in _ids(frame) if i and i not in mine})
    if foreign:
        return Foreign(tuple(foreign))
    base_frames = scenario_frames(store, base)
    ours = changed(base_frames, edited, mine)
    if not ours:
        return Unchanged(base.id)
    for _ in range(_ATTEMPTS):
        expect = store.newest_published()
        head = find_base(store, mine) or base
        head_frames = scenario_frames(store, head)
        merged_changes: tuple[Change, ...] = ()
        if head.id != base.id:
            theirs = changed(base_frames, head_frames)  # all communes: the user is told what the save includes
            mine_blocks, head_blocks = blocks(edited, mine), blocks(head_frames, mine)
            clash = {k for k in ours & theirs if mine_blocks.get(k, ()) != head_blocks.get(k, ())}
            if clash:
                return Conflict(base.id, head.id, _attribute(store, base.id, head, clash))
            merged_changes = _attribute(store, base.id, head, theirs - ours)
        merged = replace_blocks(head_frames, edited, ours)
        problems = _problems(merged)
        if problems:
            return Invalid(tuple(problems))
        try:
            new_id = store.add_scenario(actor, head.cases, _xlsx(merged), "capacities", parent_id=head.id,
                                        expect_published=expect,
                                        detail={"base_id": base.id, "communes": sorted({lid for _, lid in ours})})
        except HeadMoved:
            continue  # someone published meanwhile: merge again with it
        return Saved(new_id, base.id, head.id, tuple(sorted(ours)), merged_changes)
    raise StoreError(f"the capacities could not be saved: {_ATTEMPTS} other saves came first; try again")


def _root(store: Store, head: ScenarioRecord) -> ScenarioRecord | None:
    """The scenario a line of capacities scenarios builds on: the first ancestor that is not one."""
    current, steps = head, 0
    while current.source == "capacities":
        if current.parent_id is None or steps > 10_000:
            return None
        current, steps = store.scenario(current.parent_id), steps + 1
    return current


def _line_head(store: Store, published: list[ScenarioInfo], ids: set[str]) -> ScenarioRecord | None:
    """The newest published scenario sharing a commune with `ids`, when it is a capacities scenario."""
    for info in published:
        scenario = store.scenario(info.id)
        if locality_ids(scenario_frames(store, scenario)) & ids:
            return scenario if info.source == "capacities" else None
    return None


def carry_forward(store: Store, localities: StoredInput) -> Carry:
    """New data with the capacity edits saved on the previous line carried onto it, block by block.

    The line is that of the newest published scenario sharing a commune with the new data, when that scenario
    is a capacities scenario: its edits are the blocks it differs in from its root. Each is carried when the new
    data holds the root's rows for that block; kept as the new data has it (and reported) when the new data
    changes that block too; nothing is done when the new data already has the edit.
    """
    expect = store.newest_published()
    published = store.published()
    if not any(info.source == "capacities" for info in published):
        return Carry(localities, None, expect)
    new_frames = read_frames(localities)
    ids = locality_ids(new_frames)
    head = _line_head(store, published, ids)
    root = _root(store, head) if head is not None else None
    if head is None or root is None:
        return Carry(localities, None, expect)
    root_frames, head_frames = scenario_frames(store, root), scenario_frames(store, head)
    theirs = changed(root_frames, head_frames, ids)
    if not theirs:
        return Carry(localities, None, expect)
    old, edit, new = blocks(root_frames, ids), blocks(head_frames, ids), blocks(new_frames, ids)
    carry = {k for k in theirs if new.get(k, ()) == old.get(k, ())}
    kept = {k for k in theirs - carry if new.get(k, ()) != edit.get(k, ())}
    changes = _attribute(store, root.id, head, carry | kept)
    out = _xlsx(replace_blocks(new_frames, head_frames, carry)) if carry else localities
    return Carry(out, head.id, expect, tuple(c for c in changes if (c.sheet, c.locality_id) in carry),
                 tuple(c for c in changes if (c.sheet, c.locality_id) in kept))


@dataclass(frozen=True)
class Published:
    """A coordinator's data kept as a scenario, and what was carried onto it."""

    scenario_id: int
    carry: Carry
    reused: bool = False


def publish(store: Store, owner: str, cases: StoredInput, localities: StoredInput, source: str,
            parent_id: int | None = None, reuse: ScenarioRecord | None = None) -> Published:
    """Keep a coordinator's new data as a scenario, with the capacity edits of the previous line carried onto it.

    `reuse`: the owner's newest scenario, taken instead of a new one when it holds exactly the same workbooks.
    """
    if source not in schema.PUBLISHED:  # the sample: nothing to inherit, and nothing the NGOs build on
        if reuse is not None and parent_id is None and reuse.input_sha256 == input_hash(cases, localities):
            return Published(reuse.id, Carry(localities, None, None), reused=True)
        new_id = store.add_scenario(owner, cases, localities, source, parent_id=parent_id)
        return Published(new_id, Carry(localities, None, None))
    for _ in range(_ATTEMPTS):
        carry = carry_forward(store, localities)
        if reuse is not None and parent_id is None and reuse.input_sha256 == input_hash(cases, carry.localities):
            return Published(reuse.id, carry, reused=True)
        detail = {"carried": sorted({c.locality_id for c in carry.carried})} if carry.carried else {}
        try:
            new_id = store.add_scenario(owner, cases, carry.localities, source,
                                        parent_id=parent_id if parent_id is not None else carry.parent_id,
                                        expect_published=carry.expect_published, detail=detail)
        except HeadMoved:
            continue
        return Published(new_id, carry)
    raise StoreError(f"the data could not be kept: {_ATTEMPTS} other saves came first; try again")
