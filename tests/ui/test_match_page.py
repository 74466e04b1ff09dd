"""Match page: run in the background, results, explanations, pins and forbids, a stable re-run, exports."""

from __future__ import annotations

import json
import re
import threading

from apptest_helpers import XLSX, assert_clean, new_app, quick_policy, shown, wait_for_run
from markdown_it import MarkdownIt

from ui.components import engine
from ui.components.codes import readable
from ui.components.figures import difference, score_delta


def _match(seconds: float = 5.0, **session):
    at = new_app(policy=quick_policy(seconds), **session).run()
    return at.switch_page("app_pages/match.py").run()


def _run(at, key: str = "match_run"):
    at.button(key=key).click().run()
    return wait_for_run(at)


def _open(at, tab: str):
    at.session_state["match_tab"] = tab
    return at.run()


def test_sample_run_shows_kpis_and_every_family():
    """Sample loaded, validated, run: KPIs and a table row for every family, placed or not."""
    at = _run(_match())
    assert_clean(at)
    runs = at.session_state["runs"]
    assert len(runs) == 1
    result = runs[0].result
    data = at.session_state["dataset"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Families placed"] == str(len(result.placements))
    assert metrics["Families unplaced"] == str(len(result.unplaced))
    assert int(metrics["Persons placed"]) > 0
    assert metrics["Status"] in {"optimal", "feasible", "time limit reached"}
    table = at.dataframe[0].value
    assert set(table["case_id"]) == {c.case_id for c in data.cases}


def test_progress_and_cancel_keep_the_best_plan():
    """While running, the page shows progress and a cancel button; a cancel keeps the best plan found."""
    at = _match(seconds=120)
    at.button(key="match_run").click().run()
    assert at.session_state["runner"] is not None
    assert at.button(key="match_run").disabled
    at.button(key="match_cancel").click().run()
    at = wait_for_run(at, timeout=60)
    assert not at.exception
    run = at.session_state["runs"][-1]
    assert run.result.status in {"cancelled", "optimal"}
    assert run.result.seconds < 60


def test_family_explanation_shows_score_alternatives_and_why_not():
    """For a placed family: where, score by component, reasons, alternatives and why not."""
    at = _open(_run(_match()), "Family")
    assert_clean(at)
    text = " ".join(m.value for m in at.markdown)
    assert "Placed in" in text and "Alternatives and why not" in text and "Score by component" in text
    assert " — " in text  # each alternative and component comes with its reason


def test_unplaced_family_shows_its_reasons():
    """For an unplaced family, the page gives why it could not be placed."""
    at = _run(_match())
    unplaced = at.session_state["runs"][-1].result.unplaced
    assert unplaced, "the sample leaves some families unplaced"
    at.session_state["family_pick"] = unplaced[0].case_id
    at = _open(at, "Family")
    assert_clean(at)
    text = " ".join(m.value for m in at.markdown)
    assert "Not placed." in text and "Why not placed" in text


def test_family_view_offers_the_decision_notices_in_the_apps_language():
    """The family view offers the family's notice and, when placed, its commune's; the PDFs are those of
    `matcher notice`, in the app's language."""
    from pdftext import text_of

    from ui.components.notice import _commune_pdf, _family_pdf

    at = _open(_run(_match()), "Family")
    assert_clean(at)
    run = at.session_state["runs"][-1]
    case_id, lid = next(iter(sorted(run.result.plan().items())))
    buttons = {b.key: b.label for b in at.download_button}
    assert buttons[f"notice_family_{case_id}"] == "Decision notice (PDF)"
    assert buttons[f"notice_commune_{lid}"] == "Commune notice (PDF)"
    family = text_of(_family_pdf(run, case_id, "fr")())
    assert f"Dossier {case_id}" in family and "Les critères et leur poids" in family and f"({lid})" in family
    commune = text_of(_commune_pdf(run, lid, "en")())
    assert "Families proposed to the commune" in commune and f" {case_id} " in commune
    unplaced = run.result.unplaced[0].case_id
    at.session_state["family_pick"] = unplaced
    keys = {b.key for b in at.run().download_button}
    assert f"notice_family_{unplaced}" in keys and not any(k.startswith("notice_commune_") for k in keys)
    assert "Pourquoi aucune commune" in text_of(_family_pdf(run, unplaced, "fr")())


def test_pin_and_forbid_then_stable_rerun_respects_them():
    """A pinned family stays where pinned; a forbidden commune is left; a re-run is recorded as such."""
    at = _run(_match())
    first = at.session_state["runs"][-1].result.plan()
    pinned, moved = sorted(first)[:2]
    at.session_state["family_pick"] = pinned
    at = _open(at, "Family")
    at.button(key="family_pin").click().run()
    assert at.session_state["pins"] == {pinned: first[pinned]}
    at.session_state["family_pick"] = moved
    at.run()
    at.button(key="family_forbid").click().run()
    assert (moved, first[moved]) in at.session_state["forbids"]
    assert any("re-run to apply" in i.value for i in at.info)

    at = _run(at, key="match_run")  # one Run: from the shown plan, with pins and forbids
    assert_clean(at)
    run = at.session_state["runs"][-1]
    assert run.stable and len(at.session_state["runs"]) == 2
    second = run.result.plan()
    assert second[pinned] == first[pinned]
    assert second.get(moved) != first[moved]
    at = _open(at, "Pins and forbids")
    assert any(pinned in m.value for m in at.markdown)


def test_pin_selected_rows_from_the_table():
    """Rows selected in the placements table are pinned where they are."""
    at = _run(_match())
    run = at.session_state["runs"][-1]
    table = at.dataframe[0].value
    placed_rows = [i for i, lid in enumerate(table["locality_id"]) if lid is not None and lid == lid][:2]
    at.session_state[f"placements_table_{run.run_id}"] = {"selection": {"rows": placed_rows, "columns": []}}
    at.run()
    at.button(key="pin_selected").click().run()
    assert_clean(at)
    expected = {table["case_id"][i]: table["locality_id"][i] for i in placed_rows}
    assert at.session_state["pins"] == expected


def test_map_and_capacity_views_render():
    """The map and the use-of-capacity charts draw without error."""
    at = _run(_match())
    for tab in ("Map", "Use of capacity", "Pins and forbids", "Export"):
        at = _open(at, tab)
        assert_clean(at)
    at = _open(at, "Map")
    assert at.get("vega_lite_chart")


def test_export_buttons_and_bytes():
    """JSON, xlsx and CSV exports are offered, and the JSON follows the result contract."""
    at = _open(_run(_match()), "Export")
    keys = {b.key for b in at.download_button}
    assert {"export_json", "export_xlsx", "export_csv"} <= keys
    result = at.session_state["runs"][-1].result
    payload = json.loads(engine.result_bytes(result, "json"))
    assert payload["status"] == str(result.status) and len(payload["placements"]) == len(result.placements)
    assert engine.result_bytes(result, "xlsx")[:2] == b"PK"
    assert b"case_id" in engine.result_bytes(result, "csv")


def test_a_failing_run_shows_a_clear_message_without_details(monkeypatch):
    """An engine failure is reported by kind only: no traceback, no personal value."""

    gate = threading.Event()

    def broken_job(*args, **kwargs):
        def job(report, cancel):
            gate.wait(10)
            raise ValueError("family C0001 of Mrs Example")

        return job

    monkeypatch.setattr(engine, "solve_job", broken_job)
    at = _match()
    at.button(key="match_run").click().run()
    gate.set()
    at = wait_for_run(at)
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "could not finish (ValueError)" in errors and "Example" not in errors
    assert at.session_state["runs"] == []


def test_without_data_the_page_points_to_the_data_page(no_sample):
    """No data: the Match page says to load data first."""
    at = new_app().run().switch_page("app_pages/match.py").run()
    assert_clean(at)
    assert any("Load valid data" in i.value for i in at.info)


def test_hostile_names_in_buttons_and_captions_show_as_typed(tmp_path, tiny_cases, tiny_localities):
    """Commune names and file names that are Markdown reach the Pin/Forbid buttons and the captions escaped:
    read as Markdown they give the text typed, never an image or a link (the browser test proves no fetch)."""
    from workbooks import write_xlsx

    names = {"09225": "![x](http://127.0.0.1:9/p.png) :red[Pamiers]", "31555": "<img src=http://127.0.0.1:9/t>"}
    for row in tiny_localities["localities"][1:]:
        row[1] = names[row[0]]
    cases = write_xlsx(tmp_path / "cases.xlsx", tiny_cases)
    localities = write_xlsx(tmp_path / "localities.xlsx", tiny_localities)
    file_name = "[f](http://127.0.0.1:9/f).xlsx"
    at = new_app(policy=quick_policy()).run()
    at.file_uploader(key="upload_cases").set_value((cases.name, cases.read_bytes(), XLSX))
    at.file_uploader(key="upload_localities").set_value((file_name, localities.read_bytes(), XLSX))
    at.button(key="upload_validate").click().run()
    assert any(shown(c.value) == f"Using uploaded files: cases.xlsx, {file_name}" for c in at.caption)
    at = _open(_run(at.switch_page("app_pages/match.py").run()), "Family")
    assert_clean(at)
    pin, forbid = at.button(key="family_pin").label, at.button(key="family_forbid").label
    assert shown(pin).removeprefix("Pin to ") in names.values()
    assert shown(forbid) == "Forbid " + shown(pin).removeprefix("Pin to ")
    markdown = MarkdownIt("commonmark")
    for source in (pin, forbid, *(m.value for m in at.markdown), *(c.value for c in at.caption)):
        assert not re.search(r"<(img|a|code|span)\b", markdown.render(source)), source


def test_one_run_button_says_what_it_does_and_can_start_fresh():
    """Issue 29: one Run. Before any plan it is "Run the match"; after one it starts from the shown plan (a stable
    re-run) and says so, with how many pins and forbids apply; "Start fresh" runs from scratch, pins kept."""
    at = _match()
    assert at.button(key="match_run").label == "Run the match"
    assert at.toggle(key="match_fresh").disabled
    at = _run(at)
    first = at.session_state["runs"][-1]
    assert not first.stable
    case_id = sorted(first.result.plan())[0]
    at.session_state["pins"] = {case_id: first.result.plan()[case_id]}
    at.run()
    assert shown(at.button(key="match_run").label) == f"Re-run from run {first.tag}"  # as the button renders it
    notes = [shown(c.value) for c in at.caption]
    assert f"Starts from the plan of run {first.tag} and moves as few families as possible. 1 pin(s) and " \
           "0 forbid(s) apply." in notes
    at = _run(at)
    second = at.session_state["runs"][-1]
    assert second.stable and second.pins == {case_id: first.result.plan()[case_id]}
    at.toggle(key="match_fresh").set_value(True).run()
    assert at.button(key="match_run").label == "Run the match"
    assert "Starts from scratch: any family may move. 1 pin(s) and 0 forbid(s) apply." in \
        [shown(c.value) for c in at.caption]
    at = _run(at)
    third = at.session_state["runs"][-1]
    assert not third.stable and third.pins == second.pins


def _blocked_pair(problem):
    """A family and a commune that a hard rule of the family itself keeps apart, and a commune that it can take."""
    for case in problem.cases:
        c = problem.case_index[case.case_id]
        if len(problem.items[int(problem.item_of_case[c])]) > 1:
            continue
        blocked = [loc.locality_id for loc in problem.localities
                   if problem.blocking(c, problem.loc_index[loc.locality_id])]
        open_ = [loc.locality_id for loc in problem.localities
                 if not problem.blocking(c, problem.loc_index[loc.locality_id])]
        if blocked and len(open_) > 1:
            return case.case_id, blocked[0], open_, problem.blocking(c, problem.loc_index[blocked[0]])[0]
    raise AssertionError("the sample has no family a hard rule keeps out of a commune")


def test_a_pin_that_breaks_a_hard_rule_is_refused_with_its_reason():
    """Issue 29: pinning a family where its own explanation says a hard rule fails (no fitting unit, no
    interpreter ...) is refused with that reason; a pin that can hold is taken."""
    at = _run(_match())
    run = at.session_state["runs"][-1]
    case_id, blocked, open_, reason = _blocked_pair(run.problem)
    at.session_state["family_pick"] = case_id
    at = _open(at, "Family")
    at.selectbox(key="family_pin_target").set_value(blocked).run()  # the browser reruns on a choice
    at.button(key="family_pin_other").click().run()
    assert not at.exception
    assert at.session_state["pins"] == {}
    refused = [shown(e.value) for e in at.error]
    assert any(f"Not pinned: family {case_id} cannot go to" in e and f"({blocked}): {readable(reason)}." in e
               for e in refused)
    target = next(lid for lid in open_ if lid != run.result.plan().get(case_id))
    at.selectbox(key="family_pin_target").set_value(target).run()
    at.button(key="family_pin_other").click().run()
    assert at.session_state["pins"] == {case_id: target}


def test_old_results_are_hidden_while_a_new_run_works():
    """Issue 29: under the progress bar the previous plan is not shown as if current; it comes back after."""
    at = _run(_match(seconds=3))
    assert at.dataframe  # the placements of run 1
    policy = at.session_state["policy"]
    at.session_state["policy"] = policy.model_copy(
        update={"solver": policy.solver.model_copy(update={"time_limit": 120.0})})
    at.toggle(key="match_fresh").set_value(True).run()
    at.button(key="match_run").click().run()
    assert at.session_state["runner"] is not None
    assert not at.dataframe and not at.metric
    assert any("hidden while the new run works" in c.value for c in at.caption)
    at.button(key="match_cancel").click().run()
    at = wait_for_run(at, timeout=60)
    assert at.metric


def test_codes_read_in_french(monkeypatch):
    """The same names in French."""
    from ui.components import codes

    monkeypatch.setattr(codes, "lang", lambda: "fr")
    assert codes.resource_label("interpreter:ti") == "interprétariat en tigrigna"
    assert codes.resource_label("jobs:care_work") == "postes vacants : aide à la personne"
    assert codes.resource_label("persons") == "personnes accordées"


def test_figures_read_with_units_and_codes_read_as_names():
    """Issue 29: score deltas to 3 decimals and none for no change (no "0.0", no "-0.000"); runs compared with
    units; resource codes and language codes as words, in English and French."""
    from ui.components import codes

    assert score_delta(0.527, 0.526) == "+0.001" and score_delta(0.5261, 0.5262) is None
    assert difference("gap", -0.00001) == "0" and difference("gap", 0.004) == "+0.4 pt"
    assert difference("seconds", 1.25) == "+1.2 s" and difference("mean_score", -0.0001) == "0"
    assert difference("families_placed", -2) == "-2"
    assert codes.resource_label("housing:4:2") == "homes with 4+ bedrooms (step-free: 2+)"
    assert codes.resource_label("interpreter:so") == "interpreting in Somali"
    assert codes.resource_label("service:mental_health") == "health service: mental health"
    assert codes.readable("needs an interpreter in ti: none here") == "needs an interpreter in Tigrinya: none here"
    assert codes.readable("interpreting in ru/uk is used up") == "interpreting in Russian or Ukrainian is used up"
    assert codes.readable("a quiet interpreter in the town") == "a quiet interpreter in the town"
    at = _open(_run(_match()), "Use of capacity")
    assert_clean(at)
    assert not any(":" in str(r) and str(r).split(":")[0] in ("housing", "interpreter", "service", "jobs")
                   for df in at.dataframe for r in df.value.get("resource", []))



def _crowding_pins(problem):
    """Single families that can each go to one commune whose agreed persons they exceed together: (commune id,
    the pins in order), the last one past the capacity."""
    for loc in problem.localities:
        if loc.max_persons is None:
            continue
        lo, pins, persons = problem.loc_index[loc.locality_id], {}, 0
        for case in problem.cases:
            c = problem.case_index[case.case_id]
            if len(problem.items[int(problem.item_of_case[c])]) == 1 and problem.candidate[c, lo]:
                pins[case.case_id] = loc.locality_id
                persons += case.persons
                if persons > loc.max_persons:
                    return loc.locality_id, pins
    raise AssertionError("the sample has no commune that its candidate families overfill")


def test_pins_over_a_capacity_are_diagnosed_when_made_and_on_run_and_the_run_keeps_what_fits():
    """Issue 29: pins that together exceed a commune's capacity are said when the last is made (commune,
    capacity, figures) and again on Run; the run keeps the pins that fit and leaves the others unplaced with the
    reason, never an empty plan. Under `objective.pins = "fail"` Run refuses to start, saying why."""
    at = _run(_match())
    run = at.session_state["runs"][-1]
    lid, pins = _crowding_pins(run.problem)
    *first, (last, _) = pins.items()
    at.session_state["pins"] = dict(first)
    at.session_state["family_pick"] = last
    at = _open(at, "Family")
    at.selectbox(key="family_pin_target").set_value(lid).run()
    at.button(key="family_pin_other").click().run()
    assert not at.exception and at.session_state["pins"] == pins
    said = [shown(w.value) for w in at.warning]
    assert any("These pins exceed a capacity together: see under the Run button." in w for w in said), said
    assert any("Pins over a capacity:" in w and f"({lid}): " in w and "families pinned there need" in w
               and "the capacity is" in w and "keeps the pins that fit" in w for w in said), said
    at = _run(at)
    after = at.session_state["runs"][-1]
    assert after.result.status.value in ("optimal", "feasible") and after.result.placements
    problem = after.problem
    dropped = {cid for d in problem.pin_diagnosis for cid in d.dropped}
    assert dropped and {u.case_id for u in after.result.unplaced} >= dropped
    plan = after.result.plan()
    assert all(plan[cid] == where for cid, where in problem.kept_pins.items())
    pol = at.session_state["policy"]
    at.session_state["policy"] = pol.model_copy(update={"objective": pol.objective.model_copy(
        update={"pins": "fail"})})
    n_runs = len(at.session_state["runs"])
    at.button(key="match_run").click().run()
    assert at.session_state.get("runner") is None and len(at.session_state["runs"]) == n_runs
    assert any("Pins over a capacity:" in shown(e.value) and "the run would fail" in shown(e.value)
               for e in at.error)


def _lower_open_commune(problem, case_id: str, placed: str) -> str:
    """A commune no hard rule keeps the family out of, where it scores clearly below where it is placed."""
    c = problem.case_index[case_id]
    here = problem.score_of(c, problem.loc_index[placed])[0]
    for loc in problem.localities:
        lo = problem.loc_index[loc.locality_id]
        if loc.locality_id != placed and not problem.blocking(c, lo) and problem.score_of(c, lo)[0] < here - 0.05:
            return loc.locality_id
    raise AssertionError(f"no lower-scoring open commune for {case_id}")


def test_a_family_pinned_to_a_lower_scoring_commune_is_said_imposed_and_its_alternatives_rank_by_score():
    """Issue 29: after a pin to a commune where the family scores lower, the family view said "why here" while
    the alternatives listed communes scoring higher: now it says the coordinator imposed the commune (placement
    imposed), how many listed communes score higher, and that the alternatives rank as listed, by score. A
    placement the matcher chose still reads as before. (French: the browser walk, tests/e2e/test_walk.py.)"""
    at = _run(_match())
    run = at.session_state["runs"][-1]
    case_id = sorted(run.result.plan())[0]
    placed = run.result.plan()[case_id]
    at.session_state["family_pick"] = case_id
    at = _open(at, "Family")
    assert any(m.value == "**Why here**" for m in at.markdown)
    assert not any("placement imposed" in m.value for m in at.markdown)
    lower = _lower_open_commune(run.problem, case_id, placed)
    at.selectbox(key="family_pin_target").set_value(lower).run()
    at.button(key="family_pin_other").click().run()
    at = _run(at)
    assert_clean(at)
    run = at.session_state["runs"][-1]
    assert run.result.plan()[case_id] == lower
    at = _open(at, "Family")
    ex = run.explanations[case_id]
    higher = [a for a in ex.alternatives if a.score > ex.score + 1e-9]
    assert higher  # the contradiction the walk saw: communes listed above the one the family is in
    said = [shown(m.value) for m in at.markdown]
    assert any(f"({lower}) with score {ex.score:.2f}: **placement imposed** by the coordinator (a pin)" in m
               for m in said), said
    assert any(f"{len(higher)} of the communes listed would score higher for this family; they rank as listed"
               in c.value for c in at.caption)
    assert "**Alternatives by score, set aside by the pin**" in said
    assert "**Its score in the imposed commune**" in said and "**Why here**" not in said
    scores = [a.score for a in ex.alternatives]
    assert scores == sorted(scores, reverse=True)  # "as listed" is by score
