"""Capacities page: two NGOs editing at once both keep their edit, a conflict is refused with what changed, and a
coordinator's new upload keeps the NGOs' saved figures.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from apptest_helpers import XLSX, assert_clean, new_app, shown
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest
from workbooks import TINY_LOCALITIES, write_xlsx

from matcher.auth import failures, hash_password, throttle
from matcher.store import capacities
from matcher.store.records import open_store, stored_input

PASSWORD = "correct horse battery"
PAMIERS, TOULOUSE = "09225", "31555"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> None:
    """Logins asked (as when served beyond localhost); throttling starts fresh."""
    monkeypatch.setenv("MATCHER_AUTH", "on")
    throttle.reset()
    failures.reset()


@pytest.fixture
def base(tiny_paths: tuple[Path, Path]) -> int:
    """NGO users of Pamiers (nina, nadia) and Toulouse (omar), and a coordinator's upload of the tiny workbooks."""
    store = open_store()
    store.add_user("test", "nina", "ngo", hash_password(PASSWORD), [PAMIERS])
    store.add_user("test", "nadia", "ngo", hash_password(PASSWORD), [PAMIERS])
    store.add_user("test", "omar", "ngo", hash_password(PASSWORD), [TOULOUSE])
    cases, localities = (stored_input(p) for p in tiny_paths)
    return capacities.publish(store, "cora", cases, localities, "upload").scenario_id


def open_capacities(name: str) -> AppTest:
    at = new_app().run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(PASSWORD)
    at = at.button[0].click().run()
    assert at.session_state["user"].name == name
    return at.switch_page("app_pages/capacities.py").run()


def change(at: AppTest, sheet: str, column: str, value: str) -> AppTest:
    """Type `value` in the first row of the sheet's table, then save."""
    key = next(k for k in at.session_state if k.startswith("capacities_") and k.endswith(f"_{sheet}"))
    at.session_state[key] = {"edited_rows": {0: {column: value}}, "added_rows": [], "deleted_rows": []}
    return at.button(key="capacities_save").click().run()


def figure(scenario_id: int, sheet: str, locality_id: str, column: str) -> list[str | None]:
    store = open_store()
    frame = capacities.scenario_frames(store, store.scenario(scenario_id))[sheet]
    return list(frame.loc[frame["locality_id"] == locality_id, column])


def test_the_page_names_the_base_it_edits(served: None, base: int) -> None:
    """An NGO sees which scenario it edits, who kept it and how."""
    at = open_capacities("nina")
    assert_clean(at)
    assert any(f"You are editing scenario #{base}, kept by cora (upload)" in c.value for c in at.caption)


def test_two_ngos_editing_at_once_both_edits_are_kept(served: None, base: int) -> None:
    """nina and omar open the page on the same base; both save; the final scenario holds both figures."""
    nina, omar = open_capacities("nina"), open_capacities("omar")
    nina = change(nina, "localities", "max_persons", "12")
    assert_clean(nina)
    first = open_store().newest_published()
    assert any(s.value == f"Saved as scenario #{first}." for s in nina.success)
    omar = change(omar, "localities", "max_persons", "25")
    assert_clean(omar)
    final = open_store().newest_published()
    assert final == first + 1
    assert any(f"Saved as scenario #{final}, with the changes others saved meanwhile: localities of {PAMIERS} by "
               f"nina (scenario #{first})" in shown(s.value) for s in omar.success)
    assert figure(final, "localities", PAMIERS, "max_persons") == ["12"]
    assert figure(final, "localities", TOULOUSE, "max_persons") == ["25"]
    assert any(f"You are editing scenario #{final}" in c.value for c in omar.caption)  # the save is the new base


def test_the_same_row_changed_meanwhile_is_refused_with_what_changed(served: None, base: int) -> None:
    """nina and nadia change Pamiers' capacity from the same base: nadia's save is refused, naming nina's."""
    nina, nadia = open_capacities("nina"), open_capacities("nadia")
    change(nina, "localities", "max_persons", "12")
    first = open_store().newest_published()
    nadia = change(nadia, "localities", "max_persons", "8")
    assert [shown(e.value) for e in nadia.error] == [
        f"Not saved: since you opened scenario #{base}, the same rows were changed: localities of {PAMIERS} by nina "
        f"(scenario #{first}). Start again from the newest scenario to see their figures, then make your change "
        "again."]
    assert not nadia.success
    assert open_store().newest_published() == first
    nadia.button(key="capacities_refresh").click().run()
    nadia.run()
    assert any(f"You are editing scenario #{first}" in c.value for c in nadia.caption)


def test_a_user_name_in_the_messages_shows_as_typed(served: None, base: int) -> None:
    """A user name that is Markdown (an e-mail-like name with a payload) is escaped once in every message that
    names it: the base, the newer scenario, a merge and a conflict read it as typed, with no image, link or
    stray backslash."""
    store = open_store()
    hostile = "![n](http://127.0.0.1:9/n.png) *n.dupont*@ngo.example"
    store.add_user("test", hostile, "ngo", hash_password(PASSWORD), [PAMIERS])
    writer, nadia, omar = open_capacities(hostile), open_capacities("nadia"), open_capacities("omar")
    change(writer, "localities", "max_persons", "12")
    first = open_store().newest_published()
    nadia.run()
    notices = [i.value for i in nadia.info]
    nadia = change(nadia, "localities", "max_persons", "8")
    errors = [e.value for e in nadia.error]
    nadia.button(key="capacities_refresh").click().run()
    nadia.run()
    omar = change(omar, "localities", "max_persons", "25")
    named = f"localities of {PAMIERS} by {hostile} (scenario #{first})"
    texts = {
        "merged": [shown(s.value) for s in omar.success],
        "newer": [shown(i) for i in notices],
        "conflict": [shown(e) for e in errors],
        "base": [shown(c.value) for c in nadia.caption],
    }
    assert any(named in x for x in texts["merged"]), texts
    assert any(f"Scenario #{first} ({hostile}, capacities) was saved since" in x for x in texts["newer"]), texts
    assert any(named in x for x in texts["conflict"]), texts
    assert any(f"You are editing scenario #{first}, kept by {hostile} (capacities)" in x for x in texts["base"]), texts
    markdown = MarkdownIt("commonmark")
    for source in [*(s.value for s in omar.success), *notices, *errors,
                   *(c.value for c in nadia.caption)]:
        assert not re.search(r"<(img|a|em|code)\b", markdown.render(source)), source


def test_a_newer_scenario_is_announced_before_saving(served: None, base: int) -> None:
    """When someone saved since the page was opened, the page says the save will be merged with it."""
    omar = open_capacities("omar")
    change(open_capacities("nina"), "housing", "units", "4")
    omar.run()
    assert any("was saved since you opened this one" in i.value for i in omar.info)


def test_a_coordinators_upload_keeps_the_ngos_saved_figures(base: int, tiny_paths: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    """After nina saved Pamiers' capacity, the coordinator uploads new workbooks: the session's data keeps 12."""
    store = open_store()
    rows = capacities.scenario_frames(store, store.scenario(base))
    own = {name: f[f["locality_id"] == PAMIERS].reset_index(drop=True) for name, f in rows.items()}
    own["localities"].loc[0, "max_persons"] = "12"
    assert isinstance(capacities.save_edit(store, "nina", {PAMIERS}, store.scenario(base), own), capacities.Saved)
    sheets = copy.deepcopy(TINY_LOCALITIES)
    sheets["localities"][2][7] = 30
    (tmp_path / "new").mkdir()
    localities = write_xlsx(tmp_path / "new" / "localities.xlsx", sheets)
    at = new_app().run()
    at.file_uploader(key="upload_cases").set_value(("cases.xlsx", tiny_paths[0].read_bytes(), XLSX))
    at.file_uploader(key="upload_localities").set_value(("localities.xlsx", localities.read_bytes(), XLSX))
    at = at.button(key="upload_validate").click().run()
    assert any(f"localities of {PAMIERS} by nina" in i.value for i in at.info), [i.value for i in at.info]
    persons = {loc.locality_id: loc.max_persons for loc in at.session_state["dataset"].localities}
    assert persons == {PAMIERS: 12, TOULOUSE: 30}
    kept = store.scenario(at.session_state["scenario_id"])
    assert kept.source == "upload" and figure(kept.id, "localities", PAMIERS, "max_persons") == ["12"]
