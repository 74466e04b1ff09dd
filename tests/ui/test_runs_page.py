"""Runs page: the runs of this scenario, and two runs compared."""

from __future__ import annotations

from apptest_helpers import assert_clean, new_app, quick_policy, wait_for_run


def _two_runs_with_a_move():
    at = new_app(policy=quick_policy(5)).run().switch_page("app_pages/match.py").run()
    at.button(key="match_run").click().run()
    at = wait_for_run(at)
    plan = at.session_state["runs"][-1].result.plan()
    case_id = sorted(plan)[0]
    at.session_state["forbids"] = {(case_id, plan[case_id])}
    at.button(key="match_run").click().run()  # from the shown plan: a stable re-run
    return wait_for_run(at), case_id


def test_runs_are_listed_and_compared():
    """Two runs: both listed, KPIs side by side, and the family that had to move is named."""
    at, moved = _two_runs_with_a_move()
    at.switch_page("app_pages/runs.py").run()
    assert_clean(at)
    history = at.dataframe[0].value
    assert list(history["run"]) == [r.tag for r in at.session_state["runs"]]  # "#<records id>"
    kpis = at.dataframe[1].value
    assert "Families placed" in set(kpis["indicator"])
    moved_table = at.dataframe[2].value
    assert moved in set(moved_table["family"])


def test_no_run_yet():
    """Before any run, the page says so."""
    at = new_app().run().switch_page("app_pages/runs.py").run()
    assert_clean(at)
    assert any("No run yet" in i.value for i in at.info)


def test_show_a_past_run_on_the_match_page():
    """Choosing a past run shows it on the Match page."""
    at, _ = _two_runs_with_a_move()
    first = at.session_state["runs"][0].run_id
    at.switch_page("app_pages/runs.py").run()
    at.selectbox(key="runs_show_pick").set_value(first)
    at.button(key="runs_show").click().run()
    assert_clean(at)
    assert at.session_state["current_run"] == first


def test_runs_the_records_cannot_keep_are_named_apart(monkeypatch):
    """With the records down, runs still happen, named "unkept run 1", "unkept run 2" (never "#1", which names the
    records' run 1), and the page says they stay in this session only."""
    from ui.components import records

    def down():
        raise ConnectionError("records down")

    monkeypatch.setattr(records, "store", down)
    at = new_app(policy=quick_policy(3)).run().switch_page("app_pages/match.py").run()
    for _ in range(2):
        at.button(key="match_run").click().run()
        at = wait_for_run(at)
        assert any("could not be kept" in w.value and "session only" in w.value for w in at.warning)
    assert [r.run_id for r in at.session_state["runs"]] == [-1, -2]
    assert [r.db_id for r in at.session_state["runs"]] == [None, None]
    assert at.session_state["runs"][0].file_stem == "unkept-run1"
    provenance = at.session_state["runs"][0].result.provenance  # the inputs are named all the same
    assert len(provenance.input_sha256) == 64 and provenance.inputs == ["cases.xlsx", "localities.xlsx"]
    at.switch_page("app_pages/runs.py").run()
    assert list(at.dataframe[0].value["run"]) == ["unkept run 1", "unkept run 2"]
