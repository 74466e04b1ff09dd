"""Capacity edits against a named base: two NGOs saving at once both keep their edit, a conflict is refused, and a
coordinator's new data inherits the NGOs' saved edits. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path

import pandas as pd
import pytest
from workbooks import TINY_CASES, TINY_LOCALITIES, write_xlsx

from matcher.store import capacities
from matcher.store.capacities import Conflict, Foreign, Invalid, Saved, Unchanged
from matcher.store.records import Store, StoredInput, stored_input

PAMIERS, TOULOUSE = "09225", "31555"


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[StoredInput, StoredInput]:
    """The tiny workbooks, as the store keeps them."""
    return (stored_input(write_xlsx(tmp_path / "cases.xlsx", TINY_CASES)),
            stored_input(write_xlsx(tmp_path / "localities.xlsx", TINY_LOCALITIES)))


@pytest.fixture
def base(store: Store, inputs: tuple[StoredInput, StoredInput]) -> int:
    """A coordinator's upload of the tiny workbooks: the base every NGO starts from."""
    return capacities.publish(store, "cora", inputs[0], inputs[1], "upload").scenario_id


def own_rows(store: Store, scenario_id: int, communes: set[str]) -> dict[str, pd.DataFrame]:
    """What the Capacities page shows a user: the rows of their communes, every sheet."""
    frames = capacities.scenario_frames(store, store.scenario(scenario_id))
    return {name: frame[frame["locality_id"].isin(communes)].reset_index(drop=True) for name, frame in frames.items()}


def edit(rows: dict[str, pd.DataFrame], sheet: str, locality_id: str, column: str, value: str) -> dict:
    out = {name: frame.copy() for name, frame in rows.items()}
    frame = out[sheet]
    frame.loc[frame["locality_id"] == locality_id, column] = value
    return out


def cell(store: Store, scenario_id: int, sheet: str, locality_id: str, column: str) -> list[str | None]:
    frame = capacities.scenario_frames(store, store.scenario(scenario_id))[sheet]
    return list(frame.loc[frame["locality_id"] == locality_id, column])


def test_two_ngos_saving_at_once_both_edits_are_in_the_final_scenario(store: Store, base: int,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sessions save against the same base at the same moment: the second merges, neither edit is lost."""
    barrier = threading.Barrier(2, timeout=60)
    original = Store.add_scenario
    waited: set[int] = set()

    def add_scenario_together(self: Store, *args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.get_ident() not in waited:  # both merges are done on the same base before either writes
            waited.add(threading.get_ident())
            barrier.wait()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "add_scenario", add_scenario_together)
    start = store.scenario(base)
    jobs = {"nina": (PAMIERS, "max_persons", "12"), "omar": (TOULOUSE, "max_persons", "25")}
    outcomes: dict[str, object] = {}

    def save(name: str) -> None:
        lid, column, value = jobs[name]
        rows = edit(own_rows(store, base, {lid}), "localities", lid, column, value)
        outcomes[name] = capacities.save_edit(store, name, {lid}, start, rows)

    threads = [threading.Thread(target=save, args=(name,)) for name in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(o, Saved) for o in outcomes.values()), outcomes
    (first_name, first), (_, second) = sorted(outcomes.items(), key=lambda kv: kv[1].scenario_id)  # type: ignore[attr-defined]
    assert first.merged_onto == base and not first.merged  # type: ignore[attr-defined]
    assert second.merged_onto == first.scenario_id  # type: ignore[attr-defined]
    assert [(c.locality_id, c.owner) for c in second.merged] == [(jobs[first_name][0], first_name)]  # type: ignore[attr-defined]
    final = store.newest_published()
    assert final == second.scenario_id  # type: ignore[attr-defined]
    assert cell(store, final, "localities", PAMIERS, "max_persons") == ["12"]
    assert cell(store, final, "localities", TOULOUSE, "max_persons") == ["25"]
    assert store.verify().ok


def test_the_same_row_changed_by_someone_else_is_refused_with_what_changed(store: Store, base: int) -> None:
    """Two members of one NGO change Pamiers' capacity from the same base: the second is refused, nothing lost."""
    start = store.scenario(base)
    first = capacities.save_edit(store, "nina", {PAMIERS}, start,
                                 edit(own_rows(store, base, {PAMIERS}), "localities", PAMIERS, "max_persons", "12"))
    assert isinstance(first, Saved)
    second = capacities.save_edit(store, "nadia", {PAMIERS}, start,
                                  edit(own_rows(store, base, {PAMIERS}), "localities", PAMIERS, "max_persons", "8"))
    assert isinstance(second, Conflict)
    assert second.base_id == base and second.newest_id == first.scenario_id
    assert [(c.sheet, c.locality_id, c.owner, c.scenario_id) for c in second.changes] == [
        ("localities", PAMIERS, "nina", first.scenario_id)]
    assert store.newest_published() == first.scenario_id  # nothing was saved
    assert cell(store, first.scenario_id, "localities", PAMIERS, "max_persons") == ["12"]


def test_a_save_on_a_stale_base_merges_the_other_communes(store: Store, base: int) -> None:
    """An NGO that opened the page before another NGO saved gets both edits in its saved scenario."""
    start = store.scenario(base)
    first = capacities.save_edit(store, "nina", {PAMIERS}, start,
                                 edit(own_rows(store, base, {PAMIERS}), "housing", PAMIERS, "units", "4"))
    second = capacities.save_edit(store, "omar", {TOULOUSE}, start,
                                  edit(own_rows(store, base, {TOULOUSE}), "housing", TOULOUSE, "units", "7"))
    assert isinstance(first, Saved) and isinstance(second, Saved)
    assert second.merged_onto == first.scenario_id
    assert [(c.sheet, c.locality_id, c.owner) for c in second.merged] == [("housing", PAMIERS, "nina")]
    assert cell(store, second.scenario_id, "housing", PAMIERS, "units") == ["4", "4"]
    assert cell(store, second.scenario_id, "housing", TOULOUSE, "units") == ["7"]


def test_a_coordinators_new_upload_inherits_the_ngos_saved_edits(store: Store, base: int,
                                                                 inputs: tuple[StoredInput, StoredInput],
                                                                 tmp_path: Path) -> None:
    """Uploading new data after an NGO saved keeps the NGO's figures where the new data has the old ones."""
    saved = capacities.save_edit(store, "nina", {PAMIERS}, store.scenario(base),
                                 edit(own_rows(store, base, {PAMIERS}), "localities", PAMIERS, "max_persons", "12"))
    assert isinstance(saved, Saved)
    sheets = copy.deepcopy(TINY_LOCALITIES)
    sheets["localities"][2][7] = 30  # the coordinator's new figure for Toulouse
    upload = stored_input(write_xlsx(tmp_path / "localities-new.xlsx", sheets))
    done = capacities.publish(store, "cora", inputs[0], upload, "upload")
    assert [(c.sheet, c.locality_id, c.owner) for c in done.carry.carried] == [("localities", PAMIERS, "nina")]
    assert not done.carry.kept
    assert store.scenario(done.scenario_id).parent_id == saved.scenario_id
    assert cell(store, done.scenario_id, "localities", PAMIERS, "max_persons") == ["12"]
    assert cell(store, done.scenario_id, "localities", TOULOUSE, "max_persons") == ["30"]
    assert capacities.find_base(store, {PAMIERS}).id == done.scenario_id  # the NGO's next base holds its edit


def test_an_upload_changing_the_same_row_keeps_the_coordinators_figure_and_says_so(
        store: Store, base: int, inputs: tuple[StoredInput, StoredInput], tmp_path: Path) -> None:
    """Where the new data changes a row an NGO changed too, the new data wins, and the change is reported."""
    capacities.save_edit(store, "nina", {PAMIERS}, store.scenario(base),
                         edit(own_rows(store, base, {PAMIERS}), "localities", PAMIERS, "max_persons", "12"))
    sheets = copy.deepcopy(TINY_LOCALITIES)
    sheets["localities"][1][7] = 15
    upload = stored_input(write_xlsx(tmp_path / "localities-new.xlsx", sheets))
    done = capacities.publish(store, "cora", inputs[0], upload, "upload")
    assert not done.carry.carried
    assert [(c.locality_id, c.owner) for c in done.carry.kept] == [(PAMIERS, "nina")]
    assert cell(store, done.scenario_id, "localities", PAMIERS, "max_persons") == ["15"]


def test_foreign_rows_unchanged_and_invalid_edits_are_not_saved(store: Store, base: int) -> None:
    """Rows of another commune, no change at all, or a bad value: nothing is saved, and the reason is given."""
    start = store.scenario(base)
    rows = own_rows(store, base, {PAMIERS})
    foreign = {**rows, "housing": pd.concat([rows["housing"], pd.DataFrame(
        [{"locality_id": TOULOUSE, "bedrooms": "2", "step_free": "no", "units": "9"}])], ignore_index=True)}
    assert capacities.save_edit(store, "nina", {PAMIERS}, start, foreign) == Foreign((TOULOUSE,))
    assert capacities.save_edit(store, "nina", {PAMIERS}, start, rows) == Unchanged(base)
    invalid = capacities.save_edit(store, "nina", {PAMIERS}, start,
                                   edit(rows, "localities", PAMIERS, "max_persons", "many"))
    assert isinstance(invalid, Invalid) and any(i.column == "max_persons" for i in invalid.issues)
    assert store.newest_published() == base
