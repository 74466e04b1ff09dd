"""Start a match in the background and record it when it ends, from whichever page the user is on."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from matcher.models.records import Dataset
from matcher.models.result import Status
from ui.components import engine, records, state
from ui.components.guard import log_exception
from ui.components.i18n import t
from ui.components.runner import BackgroundRun


def start(data: Dataset, *, stable: bool) -> BackgroundRun:
    """Start a run with the current policy, pins and forbids; a stable run starts from the shown plan."""
    pol = state.policy()
    previous_run = state.current_run()
    pins = dict(st.session_state.get("pins", {}))
    forbids = set(st.session_state.get("forbids", set()))
    previous = previous_run.result.plan() if stable and previous_run is not None else None
    job = engine.solve_job(data, pol, pins=pins, forbids=forbids, previous=previous,
                           time_limit=pol.solver.time_limit, seed=pol.solver.seed)
    runner = BackgroundRun(job, label="match")
    runner.meta = {  # type: ignore[attr-defined]
        "started": dt.datetime.now(), "policy": pol.name, "seed": pol.solver.seed,
        "time_limit": pol.solver.time_limit, "pins": pins, "forbids": forbids, "stable": stable,
    }
    st.session_state["runner"] = runner.start()
    return runner


def collect() -> None:
    """If the run in progress has ended, record it (or say why it failed); called on every script run."""
    runner: BackgroundRun | None = st.session_state.get("runner")
    if runner is None or not runner.done:
        return
    st.session_state["runner"] = None
    if runner.error_kind is not None or runner.result is None:
        if runner.error is not None:
            log_exception(runner.error, "match run")
        st.session_state["match_flash"] = ("error", t("run_failed", kind=runner.error_kind or "no result"))
        return
    problem, result = runner.result
    meta = getattr(runner, "meta", {})
    record = state.RunRecord(
        run_id=state.next_run_id(), started=meta.get("started", dt.datetime.now()),
        policy_name=meta.get("policy", ""), seed=meta.get("seed", 0), time_limit=meta.get("time_limit", 0.0),
        result=result, problem=problem, kpis=state.compute_kpis(result, state.dataset()),
        pins=meta.get("pins", {}), forbids=meta.get("forbids", set()), stable=meta.get("stable", False),
        policy=dict(result.provenance.policy),
    )
    state.add_run(record)
    records.keep_run(record)
    if result.status == Status.CANCELLED:
        st.session_state["match_flash"] = ("warning", t("run_cancelled"))
