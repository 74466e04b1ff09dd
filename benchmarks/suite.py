"""Run every solver on every instance (interleaved, so that load on a shared machine hits all alike) and report."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks import report
from benchmarks.peers import REQUIRES
from benchmarks.runner import Pool, grace


@dataclass
class Job:
    instance: str
    sense: str  # "min" or "max": the instance's own sense
    task: dict[str, Any]  # what the worker needs besides the limits
    reference: float | None = None  # best known value, or the LP bound
    reference_kind: str = ""  # "best known", "optimum", "lp bound"
    extra: dict[str, Any] = field(default_factory=dict)  # copied into every row of the instance
    time_limit: float | None = None  # the solvers' budget if not the run's


def _engine_commit() -> str:
    """The commit the engine was at, with ``+dirty`` if ``matcher/`` had uncommitted changes."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "matcher"], cwd=root, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


ENGINE_COMMIT = _engine_commit()


def available(solver: str) -> bool:
    return importlib.util.find_spec(REQUIRES[solver]) is not None


def relative_gap(objective: float | None, reference: float | None, sense: str) -> float | None:
    """How far from the reference in the instance's sense, relative to it; negative if better than it."""
    if objective is None or reference is None or reference == 0:
        return None
    d = objective - reference if sense == "min" else reference - objective
    return d / abs(reference)


def run_jobs(jobs: Sequence[Job], args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    solvers = [s for s in args.solvers]
    missing = [s for s in solvers if not available(s)]
    for s in missing:
        print(f"skipping {s}: package {REQUIRES[s]!r} is not installed", file=sys.stderr)
    with Pool() as pool:
        for job in jobs:
            limit = job.time_limit if job.time_limit is not None else args.time_limit
            for solver in solvers:
                base = {"instance": job.instance, "sense": job.sense, "solver": solver, "time_limit": limit,
                        "workers": args.workers, "seed": args.seed, "reference": job.reference,
                        "reference_kind": job.reference_kind, **job.extra}
                if solver in missing:
                    rows.append({**base, "status": "skipped", "objective": None, "bound": None, "seconds": None,
                                 "peak_rss_mb": None})
                    continue
                task = {**job.task, "sense": job.sense, "time_limit": limit, "workers": args.workers,
                        "seed": args.seed}
                out = pool.run(solver, task, limit + grace(limit))
                row = {**base, **out}
                row["gap"] = relative_gap(row.get("objective"), job.reference, job.sense)
                row["engine_commit"] = ENGINE_COMMIT
                obj, bnd = row.get("objective"), row.get("bound")
                if obj is not None and bnd is not None:
                    # A bound on the wrong side of a checked plan is not a bound: flag it, keep the number.
                    wrong = bnd < obj - 1e-6 * max(1.0, abs(obj)) if job.sense == "max" else (
                        bnd > obj + 1e-6 * max(1.0, abs(obj)))
                    row["bound_invalid"] = bool(wrong)
                rows.append(row)
                if not args.quiet:
                    print(report.text_table([row]).splitlines()[-1], flush=True)
    return rows


def command_line(args: argparse.Namespace) -> str:
    """The command's arguments as typed, with the GAP data folder written ``$MATCHER_GAP_DATA``: a results file
    names no folder of the machine it was made on."""
    text = " ".join(getattr(args, "argv", sys.argv[1:]))
    data = getattr(args, "data", None) if getattr(args, "command", None) == "gap" else None
    if data is not None:
        for folder in sorted({str(data), str(data.resolve())}, key=len, reverse=True):
            text = text.replace(folder, "$MATCHER_GAP_DATA")
    return text


def finish(rows: list[dict[str, Any]], args: argparse.Namespace, title: str) -> int:
    print()
    print(report.text_table(rows))
    print()
    print(report.summary_markdown(rows))
    if args.json_out:
        report.write_json(args.json_out, rows)
    if args.markdown:
        env = report.environment()
        md = [f"# {title}", "", f"Command: `python -m benchmarks {command_line(args)}`", "",
              "Environment: " + ", ".join(f"{k} {v}" for k, v in env.items()), "",
              f"Engine at commit {ENGINE_COMMIT}.", "",
              "## Summary", "", report.summary_markdown(rows), "", "## Runs", "", report.markdown_table(rows), ""]
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(md))
    return 0
