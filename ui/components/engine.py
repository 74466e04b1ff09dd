"""The app's calls into the engine: build the problem and solve it in a background job, explain, export."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from matcher.engine import Progress, SolveParams
from matcher.explain import CaseExplanation
from matcher.explain import explain_case as _explain_case
from matcher.i18n import Msg
from matcher.io.results import Format, result_to_bytes
from matcher.match import locality_report as _locality_report
from matcher.match import solve
from matcher.models.policy import Policy
from matcher.models.records import Dataset
from matcher.models.result import Result
from matcher.problem import PinDiagnosis, Problem, build_problem
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
    input_sha256: str = "",
    inputs: list[str] | None = None,
    outcomes: pd.DataFrame | None = None,
) -> Job[Solved]:
    """A job for `BackgroundRun`: build the problem (with the predicted outcomes of `outcomes`, if any), solve it,
    return (problem, result); the result's provenance names the inputs (`input_sha256`, `inputs`) as the CLI's does."""

    def job(report: Report, cancel: threading.Event) -> Solved:
        report(Progress("building", 0.0))
        problem = build_problem(data, policy, pins=dict(pins or {}) or None,
                                forbids=set(forbids or ()) or None, previous=dict(previous) if previous else None,
                                outcomes=outcomes)
        params = SolveParams(time_limit=time_limit, seed=seed, workers=policy.solver.workers,
                             on_progress=report, cancel=cancel)
        return problem, solve(problem, params, input_sha256=input_sha256, inputs=list(inputs or []))

    return job


def explain_case(problem: Problem, result: Result, case_id: str) -> CaseExplanation:
    """Why the family is where it is (or unplaced), its next best communes and why not."""
    return _explain_case(problem, result, case_id)


#: Pair rules that are the coordinator's own pins and forbids: a new pin replaces them, so they never refuse it.
_OVERRIDES = frozenset({"pin", "forbid"})


def pin_refusal(problem: Problem, case_id: str, locality_id: str) -> list[tuple[str, Msg | str]]:
    """Why the family cannot be pinned to the commune: the hard rules its explanation names there (`explain_case`
    gives the same words for that commune), for the family and for each family linked with it, as (case_id,
    why) pairs. Empty when the pin can hold; its capacity may still be taken by others, which the run decides.
    """
    c = problem.case_index[case_id]
    lo = problem.loc_index[locality_id]
    refused: list[tuple[str, Msg | str]] = []
    for m in (int(x) for x in problem.items[int(problem.item_of_case[c])]):
        ci = np.array([m])
        refused += [(problem.cases[m].case_id, rule.why(m, lo)) for rule in problem.pair_rules
                    if rule.name not in _OVERRIDES and rule.blocked(ci)[0, lo]]
    return refused


def pins_over_capacity(data: Dataset, policy: Policy, pins: Mapping[str, str],
                       forbids: Iterable[tuple[str, str]]) -> list[PinDiagnosis]:
    """The pins that together exceed a capacity, found as a run finds them before its search (the problem is
    built with them): one diagnosis per capacity, with the commune and the figures. Empty without pins."""
    if not pins:
        return []
    problem = build_problem(data, policy, pins=dict(pins), forbids=set(forbids) or None)
    return [d for d in problem.pin_diagnosis if d.resource]


def locality_report(problem: Problem, result: Result) -> pd.DataFrame:
    """Use against capacity of every resource row, with the LP's value of one more unit (``shadow_price``)."""
    return _locality_report(problem, result)


def result_bytes(result: Result, fmt: Format, names: dict[str, str] | None = None) -> bytes:
    """The result as JSON, xlsx or CSV, with commune names beside their codes."""
    return result_to_bytes(result, fmt, names=names)
