"""The app's calls into the engine: build the problem and solve it in a background job, explain, export."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

import pandas as pd

from matcher.explain import CaseExplanation
from matcher.explain import explain_case as _explain_case
from matcher.explain import locality_report as _locality_report
from matcher.io.results import Format, result_to_bytes
from matcher.models.policy import Policy
from matcher.models.records import Dataset
from matcher.models.result import Result
from matcher.problem import Problem, build_problem
from matcher.solve import Progress, SolveParams, solve
from ui.components.runner import Job, Report

#: What a match job returns: the problem it built (explanations read it) and the engine's result.
Solved = tuple[Problem, Result]


def solve_job(
    data: Dataset,
    policy: Policy,
    *,
    pins: Mapping[str, str] | None = None,
    forbids: Iterable[tuple[str, str]] | None = None,
    previous: Mapping[str, str] | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    outcomes: pd.DataFrame | None = None,
) -> Job[Solved]:
    """A job for `BackgroundRun`: build the problem (with the predicted outcomes of `outcomes`, if any), solve
    it, return (problem, result)."""

    def job(report: Report, cancel: threading.Event) -> Solved:
        report(Progress("building", 0.0))
        problem = build_problem(data, policy, pins=dict(pins or {}) or None,
                                forbids=set(forbids or ()) or None, previous=dict(previous) if previous else None,
                                outcomes=outcomes)
        params = SolveParams(time_limit=time_limit, seed=seed, workers=policy.solver.workers,
                             on_progress=report, cancel=cancel)
        return problem, solve(problem, params)

    return job


def explain_case(problem: Problem, result: Result, case_id: str) -> CaseExplanation:
    """Why the family is where it is (or unplaced), its next best communes and why not."""
    return _explain_case(problem, result, case_id)


def locality_report(problem: Problem, result: Result) -> pd.DataFrame:
    """Use against capacity of every resource row, with the LP's value of one more unit (``shadow_price``)."""
    return _locality_report(problem, result)


def result_bytes(result: Result, fmt: Format, names: dict[str, str] | None = None) -> bytes:
    """The result as JSON, xlsx or CSV, with commune names beside their codes."""
    return result_to_bytes(result, fmt, names=names)
