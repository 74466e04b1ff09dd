"""The OR-Library Generalized Assignment Problem format, best-known values, and the GAP as an AssignmentModel.

Format (Beasley's OR-Library ``gap*.txt``, one instance per file here): ``m n``, then the ``m x n`` costs (or
profits) of assigning job j to agent i, then the ``m x n`` resource weights, then the ``m`` agent capacities;
whitespace-separated integers, line breaks anywhere. Every job is assigned to exactly one agent and each agent's
weights stay within its capacity. ``best_known.csv`` lists values for minimisation (the convention of the Chu and
Beasley and the Yagiura sets); ``orlib_gap1-12_max_optima.csv`` the optima of gap1..gap12 when maximised (their
original OR-Library sense).
"""

from __future__ import annotations

import argparse
import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The environment variable naming the GAP data folder when ``--data`` is not given.
DATA_ENV = "MATCHER_GAP_DATA"


class GapDataError(ValueError):
    """The GAP data folder, or a file asked for, cannot be found: the message says what to pass."""


def data_folder(given: Path | None, environ: Mapping[str, str] = os.environ) -> Path:
    """The GAP data folder: ``--data`` if given, else ``$MATCHER_GAP_DATA``.

    The data is not part of the repository and lives wherever its user put it, so there is no default: without
    either, the message says what to pass.
    """
    if given is None:
        named = environ.get(DATA_ENV, "").strip()
        if not named:
            raise GapDataError(f"no GAP data folder: pass --data DIR or set {DATA_ENV}=DIR, the folder that holds "
                               "best_known.csv and the instance sets (cattrysse1994/, chu1997/, yagiura2004/)")
        given, source = Path(named).expanduser(), DATA_ENV
    else:
        source = "--data"
    if not given.is_dir():
        raise GapDataError(f"{source} names {given}, which is not a folder: give the folder that holds "
                           "best_known.csv and the instance sets")
    return given


def find_files(paths: list[Path], data: Path) -> list[Path]:
    """Each path as given if it exists, else relative to the data folder (``cattrysse1994``, ``chu1997/a05100``)."""
    out = []
    for p in paths:
        if not p.exists() and not p.is_absolute() and (data / p).exists():
            p = data / p
        if not p.exists():
            raise GapDataError(f"no GAP file or folder {p}, as given or in the data folder {data}")
        out.append(p)
    return out


@dataclass(frozen=True)
class GapInstance:
    name: str  # e.g. "chu1997/a05100": the path relative to the data folder when known
    cost: np.ndarray  # int64 [m agents, n jobs]
    weight: np.ndarray  # int64 [m, n]
    capacity: np.ndarray  # int64 [m]

    @property
    def n_agents(self) -> int:
        return int(self.cost.shape[0])

    @property
    def n_jobs(self) -> int:
        return int(self.cost.shape[1])

    def value(self, agent_of_job: np.ndarray) -> int:
        """Total cost (or profit) of an assignment given as the agent of each job."""
        return int(self.cost[agent_of_job, np.arange(self.n_jobs)].sum())

    def feasible(self, agent_of_job: np.ndarray) -> bool:
        if (agent_of_job < 0).any():
            return False
        load = np.bincount(agent_of_job, weights=self.weight[agent_of_job, np.arange(self.n_jobs)],
                           minlength=self.n_agents)
        return bool((load <= self.capacity).all())


class GapFormatError(ValueError):
    """A file that is not one OR-Library GAP instance."""


def instance_name(path: Path, data: Path | None = None) -> str:
    """``set/file`` relative to the data folder when the file is in it, else the file name."""
    if data is None:
        return path.name
    try:
        return path.resolve().relative_to(data.resolve()).as_posix()
    except ValueError:
        return path.name


def read_gap(path: str | Path, data: Path | None = None) -> GapInstance:
    """Read one OR-Library GAP instance (``m n``, costs, weights, capacities)."""
    p = Path(path)
    try:
        tokens = np.array(p.read_text().split(), dtype=np.int64)
    except ValueError as exc:
        raise GapFormatError(f"{p}: not whole numbers ({exc})") from None
    if len(tokens) < 2:
        raise GapFormatError(f"{p}: empty")
    m, n = int(tokens[0]), int(tokens[1])
    expected = 2 + 2 * m * n + m
    if m < 1 or n < 1 or len(tokens) != expected:
        raise GapFormatError(f"{p}: {len(tokens)} numbers, expected {expected} for m={m}, n={n}")
    cost = tokens[2 : 2 + m * n].reshape(m, n)
    weight = tokens[2 + m * n : 2 + 2 * m * n].reshape(m, n)
    capacity = tokens[2 + 2 * m * n :]
    return GapInstance(instance_name(p, data), cost, weight, capacity)


def to_model(inst: GapInstance, sense: str = "min"):
    """The GAP as the engine's AssignmentModel: one option per (job, agent) pair whose weight fits the agent,
    value ``-cost`` (min) or ``profit`` (max), one row per agent, every job placed exactly once."""
    import scipy.sparse as sp

    from matcher.engine.model import AssignmentModel

    if sense not in ("min", "max"):
        raise ValueError(f"sense must be 'min' or 'max', got {sense!r}")
    agent, job = np.nonzero(inst.weight <= inst.capacity[:, None])
    order = np.lexsort((agent, job))  # options grouped by job, agents in order
    agent, job = agent[order], job[order]
    O = len(job)
    value = inst.cost[agent, job].astype(float)
    A = sp.csr_matrix((inst.weight[agent, job].astype(float), (agent, np.arange(O))), shape=(inst.n_agents, O))
    return AssignmentModel(
        n_items=inst.n_jobs, n_bins=inst.n_agents, opt_item=job.astype(np.int64), opt_bin=agent.astype(np.int64),
        opt_value=-value if sense == "min" else value, must_place=np.ones(inst.n_jobs, dtype=bool),
        A=A, rhs=inst.capacity.astype(float), penalty=np.full(inst.n_agents, np.inf),
        row_resource=np.full(inst.n_agents, "capacity", dtype=object), row_bin=np.arange(inst.n_agents),
        row_rule=np.full(inst.n_agents, "capacity", dtype=object),
    )


@dataclass(frozen=True)
class BestKnown:
    value: float | None  # best known solution value in this sense
    optimal: bool  # the value is a proven optimum


def best_known(data: Path) -> dict[tuple[str, str], BestKnown]:
    """(instance, sense) -> best known value, from the two CSV files shipped with the data."""
    out: dict[tuple[str, str], BestKnown] = {}
    mins = data / "best_known.csv"
    if mins.exists():
        with mins.open() as f:
            for row in csv.DictReader(f):
                opt = (row.get("Optimum") or "").strip()
                best = (row.get("Best known solution value") or "").strip()
                value = float(opt or best) if (opt or best) else None
                out[(row["Path"], "min")] = BestKnown(value, bool(opt))
    maxs = data / "orlib_gap1-12_max_optima.csv"
    if maxs.exists():
        with maxs.open() as f:
            for row in csv.DictReader(f):
                out[(row["file"], "max")] = BestKnown(float(row["optimum_when_maximised"]), True)
    return out


def gap_to_best(objective: float | None, best: float | None, sense: str) -> float | None:
    """Relative distance above (min) or below (max) the best known value; negative means better than it."""
    if objective is None or best is None or best == 0:
        return None
    return (objective - best) / abs(best) if sense == "min" else (best - objective) / abs(best)


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; folders become their files, sorted naturally (gap2 before gap10)."""
    import re

    def key(p: Path) -> list[object]:
        return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.as_posix())]

    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted((f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
                           and f.suffix not in (".csv", ".md")), key=key)
        else:
            out.append(p)
    return out


def run_gap(args: argparse.Namespace) -> int:
    """The runs of ``python -m benchmarks gap``: ``args.files`` and ``args.data`` as :func:`find_files` and
    :func:`data_folder` resolved them."""
    from benchmarks.suite import Job, finish, run_jobs

    files = expand(args.files)
    data = args.data
    known = best_known(data)
    senses = ["min", "max"] if args.sense == "both" else [args.sense]
    jobs = []
    for sense in senses:
        for f in files:
            name = instance_name(f, data)
            bk = known.get((name, sense))
            jobs.append(Job(name, sense, {"kind": "gap", "path": str(f.resolve()), "data": str(data.resolve())},
                            bk.value if bk else None, ("optimum" if bk.optimal else "best known") if bk else ""))
    rows = run_jobs(jobs, args)
    return finish(rows, args, "GAP benchmark")
