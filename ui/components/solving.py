"""Start a match in the background and record it when it ends, from whichever page the user is on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from matcher.models.records import Dataset
from matcher.models.result import Status
from ui.components import engine, records, state
from ui.components.guard import log_exception
from ui.components.i18n import t
from ui.components.runner import BackgroundRun, Job


@dataclass(frozen=True)
class MatchRequest:
    """What a run was started with, recorded beside its result when it ends."""

    started: dt.datetime
    policy_name: str
    seed: int
    time_limit: float
    pins: dict[str, str]
    forbids: list[tuple[str, str]]
    stable: bool


class MatchRun(BackgroundRun[engine.Solved]):
    """A match solving in the background (session state "runner"), with what it was started with."""

    def __init__(self, job: Job[engine.Solved], request: MatchRequest) -> None:
        super().__init__(job, label="match")
        self.request = request


def active() -> MatchRun | None:
    """The match in progress in this session, or that ended and is not yet recorded."""
    return st.session_state.get("runner")


def start(data: Dataset, *, stable: bool) -> MatchRun:
    """Start a run with the current policy, pins and forbids; a stable run starts from the shown plan."""
    pol = state.policy()
    previous_run = state.current_run()
    pins, forbids = state.pins(), state.forbids()
    previous = previous_run.result.plan() if stable and previous_run is not None else None
    provenance = st.session_state.get("provenance") or {}
    job = engine.solve_job(data, pol, pins=pins, forbids=forbids, previous=previous,
                           time_limit=pol.solver.time_limit, seed=pol.solver.seed,
                           input_sha256=str(provenance.get("input_sha256", "")),
                           inputs=list(provenance.get("inputs", [])), outcomes=state.outcome_frame())
    request = MatchRequest(started=dt.datetime.now(), policy_name=pol.name, seed=pol.solver.seed,
                           time_limit=pol.solver.time_limit, pins=pins, forbids=forbids, stable=stable)
    runner = MatchRun(job, request)
    st.session_state["runner"] = runner.start()
    return runner


def collect() -> None:
    """If the run in progress has ended, record it (or say why it failed); called on every script run."""
    runner = active()
    if runner is None or not runner.done:
        return
    st.session_state["runner"] = None
    if runner.error_kind is not None or runner.result is None:
        if runner.error is not None:
            log_exception(runner.error, "match run")
        st.session_state["match_flash"] = ("error", t("run_failed", kind=runner.error_kind or "no result"))
        return
    problem, result = runner.result
    request = runner.request
    record = state.RunRecord(
        run_id=0, started=request.started, policy_name=request.policy_name, seed=request.seed,
        time_limit=request.time_limit, result=result, problem=problem,
        kpis=state.compute_kpis(result, state.dataset()), pins=request.pins, forbids=request.forbids,
        stable=request.stable, policy=dict(result.provenance.policy),
    )
    kept = records.keep_run(record)  # the run is called by its id in the records everywhere
    record.run_id = kept if kept is not None else state.unkept_run_id()
    state.add_run(record)
    if result.status == Status.CANCELLED:
        st.session_state["match_flash"] = ("warning", t("run_cancelled"))
