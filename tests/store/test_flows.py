"""The CLI and the app keep their runs and decisions; a new browser session gets its scenario and runs back.

Each flow runs on SQLite and on PostgreSQL (through MATCHER_DATABASE_URL, as a deployment would set it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.store.records import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))


@pytest.fixture
def records_at(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI and the app at the test database."""
    monkeypatch.setenv("MATCHER_DATABASE_URL", db_url)
    return db_url


def test_cli_match_records_scenario_and_run_then_decisions_and_verify(records_at: str,
                                                                      tiny_paths: tuple[Path, Path]) -> None:
    """`matcher match` keeps its run; `matcher records decide` keeps decisions; `records verify` passes."""
    runner = CliRunner()
    cases, localities = tiny_paths
    for _ in range(2):
        out = runner.invoke(app, ["match", str(cases), str(localities), "-q", "--time-limit", "5"])
        assert out.exit_code == 0, out.output
        assert "recorded: run" in out.output
    store = open_store(records_at)
    runs = store.recent_runs()
    assert len(runs) == 2 and {r.origin for r in runs} == {"cli"}
    assert runs[0].scenario_id == runs[1].scenario_id  # the same inputs are one scenario
    run = runs[0]
    case_id = json.loads(run.result_json)["placements"][0]["case_id"]
    out = runner.invoke(app, ["records", "decide", str(run.id), case_id, "--accept", "--reason", "fits the family"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["records", "decide", str(run.id), case_id, "--forbid", "31555", "--reason", "safety"])
    assert out.exit_code == 0, out.output
    assert [(d.action, d.override) for d in store.decisions(run.id)] == [("accepted", None), ("overridden", "forbid")]
    out = runner.invoke(app, ["records", "decide", str(run.id), "NOPE", "--accept", "--reason", "x"])
    assert out.exit_code == 1 and "not a case of run" in out.output
    out = runner.invoke(app, ["records", "verify"])
    assert out.exit_code == 0 and "audit log intact" in out.output
    out = runner.invoke(app, ["records", "runs"])
    assert f"run {run.id}" in out.output


def test_app_runs_are_kept_and_a_reload_restores_scenario_and_runs(records_at: str) -> None:
    """A run in one browser session comes back, with its scenario and policy, in the next session."""
    from apptest_helpers import assert_clean, new_app, quick_policy, wait_for_run
    from streamlit import config

    config.set_option("server.address", "127.0.0.1")
    at = new_app(policy=quick_policy(3)).run().switch_page("app_pages/match.py").run()
    at.button(key="match_run").click().run()
    at = wait_for_run(at)
    assert_clean(at)
    first = at.session_state["runs"][-1]
    assert first.db_id is not None
    plan = first.result.plan()

    again = new_app().run()  # a reload: a new session
    assert_clean(again)
    restored = again.session_state["runs"]
    assert [r.db_id for r in restored] == [first.db_id]
    assert restored[0].result.plan() == plan
    assert again.session_state["scenario_id"] == at.session_state["scenario_id"]
    assert again.session_state["dataset"] is not None
    # the restored run explains itself (its problem is rebuilt from the data and its policy)
    again.switch_page("app_pages/match.py").run()
    assert_clean(again)


def test_app_decisions_are_kept_with_who_and_why(records_at: str) -> None:
    """On the Records page a coordinator accepts placements with a reason; the audit log stays intact."""
    from apptest_helpers import assert_clean, new_app, quick_policy, wait_for_run
    from streamlit import config

    config.set_option("server.address", "127.0.0.1")
    at = new_app(policy=quick_policy(3)).run().switch_page("app_pages/match.py").run()
    at.button(key="match_run").click().run()
    at = wait_for_run(at)
    run = at.session_state["runs"][-1]
    families = sorted(run.result.plan())[:2]
    at.switch_page("app_pages/records.py").run()
    at.multiselect(key="decide_families").set_value(families)
    at.text_area(key="decide_reason").input("meets the families' needs")
    at.button[0].click().run()
    assert_clean(at)
    decisions = open_store(records_at).decisions(run.db_id)
    assert [(d.case_id, d.action, d.actor) for d in decisions] == [(c, "accepted", "local") for c in families]
    assert open_store(records_at).verify_audit()[0]


def test_app_run_ids_are_the_records_ids_and_survive_reloads(records_at: str) -> None:
    """Issue 29: a run is called by its id in the records everywhere (pages, export names, the audit log), and
    reloading the app twice shows the same numbers (they changed on every reload)."""
    from apptest_helpers import assert_clean, new_app, quick_policy, wait_for_run
    from streamlit import config

    config.set_option("server.address", "127.0.0.1")
    at = new_app(policy=quick_policy(3)).run().switch_page("app_pages/match.py").run()
    for _ in range(2):
        at.button(key="match_run").click().run()
        at = wait_for_run(at)
    assert_clean(at)
    ids = [r.run_id for r in at.session_state["runs"]]
    kept = [e.subject for e in open_store(records_at).audit() if e.action == "run.add"]
    assert kept[-2:] == [f"run:{i}" for i in ids]
    assert [r.db_id for r in at.session_state["runs"]] == ids
    assert any(f"#{ids[-1]} ·" in c.value for c in at.caption)  # the Match page names the shown run
    assert at.session_state["runs"][-1].file_stem == f"run{ids[-1]}"  # exports: placements_run<id>.json
    for _ in range(2):  # reload twice: a new session each time, nothing renumbered
        again = new_app().run()
        assert_clean(again)
        assert [r.run_id for r in again.session_state["runs"]] == ids
        again.switch_page("app_pages/runs.py").run()
        assert list(again.dataframe[0].value["run"]) == [f"#{i}" for i in ids]


def test_app_exports_carry_their_provenance(records_at: str) -> None:
    """Issue 29: a result exported from the app names its inputs as the CLI's do: the hash of the two workbooks
    (for the sample, the very hash `matcher match` gives the same files) and where they come from."""
    from apptest_helpers import assert_clean, new_app, quick_policy, wait_for_run
    from streamlit import config

    from matcher.problem import sha256_of_files
    from ui.components import engine, state

    config.set_option("server.address", "127.0.0.1")
    at = new_app(policy=quick_policy(3)).run().switch_page("app_pages/match.py").run()
    at.button(key="match_run").click().run()
    at = wait_for_run(at)
    assert_clean(at)
    run = at.session_state["runs"][-1]
    scenario = open_store(records_at).scenario(at.session_state["scenario_id"])
    exported = json.loads(engine.result_bytes(run.result, "json"))["provenance"]
    assert exported["input_sha256"] == scenario.input_sha256 == sha256_of_files(*state.sample_paths())
    assert exported["inputs"] == [f"records scenario {scenario.id}: cases.xlsx",
                                  f"records scenario {scenario.id}: localities.xlsx"]
    again = new_app(policy=quick_policy(3)).run()  # a reload: the restored scenario gives the same provenance
    assert again.session_state["provenance"]["input_sha256"] == scenario.input_sha256


def test_app_pins_and_forbids_keep_the_order_they_were_made_through_a_reload(records_at: str) -> None:
    """Issue 29: pins and forbids were stored sorted by family, so a restored run could drop another pin than the
    user meant. Made in reverse family order, they are kept, restored and listed in that order."""
    from apptest_helpers import assert_clean, new_app, quick_policy, wait_for_run
    from streamlit import config

    config.set_option("server.address", "127.0.0.1")
    at = new_app(policy=quick_policy(3)).run().switch_page("app_pages/match.py").run()
    at.button(key="match_run").click().run()
    at = wait_for_run(at)
    plan = at.session_state["runs"][-1].result.plan()
    families = sorted(plan, reverse=True)  # the newest pin sorts first by family: sorting would reverse them
    at.session_state["pins"] = {c: plan[c] for c in families[:3]}
    at.session_state["forbids"] = [(c, plan[c]) for c in families[3:6]]
    at.run()
    at.button(key="match_run").click().run()
    at = wait_for_run(at)
    assert_clean(at)
    made = list(at.session_state["runs"][-1].pins), list(at.session_state["runs"][-1].forbids)
    assert made == (families[:3], [(c, plan[c]) for c in families[3:6]])

    again = new_app().run()  # a reload: the run and the pins for the next run come back in the same order
    assert_clean(again)
    restored = again.session_state["runs"][-1]
    assert (list(restored.pins), restored.forbids) == made
    assert (list(again.session_state["pins"]), again.session_state["forbids"]) == made
    again.switch_page("app_pages/match.py").run()
    again.session_state["match_tab"] = "Pins and forbids"
    again.run()
    shown = [m.value for m in again.markdown if (" → " in m.value or " ✕ " in m.value) and "**" not in m.value]
    assert [s.split(" ")[0] for s in shown] == families[:6], shown  # pins first, then forbids, each as made
