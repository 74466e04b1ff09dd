"""The app's calls into the engine: build the problem and solve it in a background job, explain, export."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matcher.models.policy import Policy
from matcher.models.records import Dataset


@dataclass(frozen=True)
class Stage:
    """A progress report of the app's own steps, read like the engine's Progress."""

    stage: str
    fraction: float = 0.0


def engine_available() -> bool:
    """True when the problem builder and the solver are installed (explanations degrade on their own)."""
    try:
        from matcher.problem import build_problem  # noqa: F401
        from matcher.solve import SolveParams, solve  # noqa: F401
    except ImportError:
        return False
    return True


def solve_job(
    data: Dataset,
    policy: Policy,
    *,
    pins: dict[str, str] | None = None,
    forbids: set[tuple[str, str]] | None = None,
    previous: dict[str, str] | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
) -> Callable[[Callable[[Any], None], threading.Event], tuple[Any, Any]]:
    """A job for `BackgroundRun`: build the problem, solve it, return (problem, result)."""

    def job(report: Callable[[Any], None], cancel: threading.Event) -> tuple[Any, Any]:
        from matcher.problem import build_problem
        from matcher.solve import SolveParams, solve

        report(Stage("building"))
        problem = build_problem(data, policy, pins=dict(pins or {}) or None,
                                forbids=set(forbids or ()) or None, previous=dict(previous) if previous else None)
        params = SolveParams(time_limit=time_limit, seed=seed, workers=policy.solver.workers,
                             on_progress=report, cancel=cancel)
        return problem, solve(problem, params)

    return job


def exports_available() -> bool:
    try:
        from matcher.io.results import result_to_bytes  # noqa: F401
    except ImportError:
        return False
    return True


def explain_case(problem: Any, result: Any, case_id: str) -> Any:
    from matcher.explain import explain_case as _explain

    return _explain(problem, result, case_id)


def locality_report(problem: Any, result: Any) -> Any:
    from matcher.explain import locality_report as _report

    return _report(problem, result)


def result_bytes(result: Any, fmt: str, names: dict[str, str] | None = None) -> bytes:
    """The result as JSON, xlsx or CSV, with commune names beside their codes."""
    from matcher.io.results import result_to_bytes

    return result_to_bytes(result, fmt, names=names)
