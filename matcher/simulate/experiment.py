"""Experiments: a TOML file naming the cohort, the communes, the policies and the replications, and one task per
(replication, policy) that any executor can run and that gives the same numbers wherever it runs.

Example (``sample_data/experiments/small.toml``)::

    name = "small"
    seed = 20250401
    replications = 6
    families_per_year = 90
    policies = ["optimal", "greedy", "random", "proportional", "deferred_acceptance", "dynamic"]
    [territory]
    communes = 14
    [engine]
    time_limit = 2.0

Paths (``policy_file``, ``localities_file``) are relative to the experiment file and are read once, on the
machine that starts the run, so that workers on other machines need no files.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from matcher.checker import check
from matcher.models import Dataset, Locality, Policy
from matcher.models.policy import PolicyError, load_policy, validation_lines
from matcher.problem import build_problem
from matcher.simulate.cohort import CohortDrawer, CohortParams
from matcher.simulate.files import read_toml
from matcher.simulate.ledger import Ledger
from matcher.simulate.metrics import plan_metrics
from matcher.simulate.outcome_lab import SOURCES, outcome_metrics, policy_model, predictions, split_label
from matcher.simulate.policies import PLACERS, POLICIES, Scenario, Settings
from matcher.simulate.territory import TerritoryError, TerritoryParams, generate_localities, read_localities

PolicyName = Literal["optimal", "greedy", "random", "proportional", "deferred_acceptance", "dynamic"]
#: Every policy label: a placer, alone or with the outcomes it sees (`matcher.simulate.outcome_lab`).
POLICY_LABELS: tuple[str, ...] = (*POLICIES, *(f"{p}+{s}" for p in POLICIES for s in SOURCES))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EngineSettings(_Strict):
    time_limit: float = Field(default=3.0, gt=0, description="seconds per batch for the engine (one worker)")
    placement: Literal["families", "policy"] = Field(
        default="families", description="what the engine places first: the most families, or the placement "
        "policy's own objective (persons weighted by priority)")


class DynamicSettings(_Strict):
    samples: int = Field(default=2, ge=0, le=50, description="sampled futures per batch to price capacities "
                         "(0: no prices, the engine on each batch alone)")


class OutcomeSettings(_Strict):
    """What policies labelled ``+fitted`` and ``+true`` see (`docs/lab.md#outcomes`)."""

    weight: float = Field(default=3.0, ge=0, description="the outcome weight of policies that see outcomes")
    history_families: int = Field(default=2500, ge=200, le=100_000, description="past placements of the "
                                  "simulated history the `+fitted` model is fitted on")
    history_years: int = Field(default=3, ge=2, le=20, description="years the history spans")


class Experiment(_Strict):
    """A policy-lab experiment; build it with :func:`load_experiment` or directly."""

    name: str = "experiment"
    description: str = ""
    seed: int = Field(default=0, ge=0)
    replications: int = Field(default=10, ge=1, le=10_000)
    months: int = Field(default=12, ge=1, le=36)
    families_per_year: int = Field(default=120, ge=1, le=100_000)
    policies: tuple[str, ...] = Field(default=POLICIES, description="placers, alone or as `optimal+fitted`, "
                                      "`optimal+true`, `optimal+model` (matching on a model fitted on a simulated "
                                      "history, the true outcomes, or the policy's [outcomes] model)")
    baseline: str | None = Field(default=None, description="the policy others are compared with, paired over "
                                 "replications (default: the first)")
    cohort: CohortParams = Field(default_factory=CohortParams)
    territory: TerritoryParams = Field(default_factory=TerritoryParams)
    localities: tuple[Locality, ...] | None = Field(default=None, description="given communes (from a "
                                                    "workbook) instead of generated ones")
    policy: Policy = Field(default_factory=Policy, description="the placement policy: weights and rules")
    engine: EngineSettings = Field(default_factory=EngineSettings)
    dynamic: DynamicSettings = Field(default_factory=DynamicSettings)
    outcomes: OutcomeSettings = Field(default_factory=OutcomeSettings)

    @field_validator("policies")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("name at least one policy")
        if len(set(v)) != len(v):
            raise ValueError("a policy is listed twice")
        unknown = [p for p in v if p not in POLICY_LABELS]
        if unknown:
            raise ValueError(f"unknown policy {unknown[0]!r}: one of {', '.join(POLICIES)}, optionally followed by "
                             f"{' or '.join('+' + s for s in SOURCES)}")
        return v

    @model_validator(mode="after")
    def _baseline_listed(self) -> Experiment:
        if self.baseline is not None and self.baseline not in self.policies:
            raise ValueError("baseline must be one of the policies")
        return self

    @model_validator(mode="after")
    def _outcome_sources(self) -> Experiment:
        """The policy's outcome keys are read, or refused: never silently left unused."""
        if self.policy.outcome_csv is not None:
            raise ValueError("the policy's outcome_csv names families of real data, and the lab draws its own: "
                             "give the policy [outcomes] model = \"DIR\" and a policy label '+model' instead")
        named = self.policy.outcomes is not None and self.policy.outcomes.model is not None
        wanted = [p for p in self.policies if split_label(p)[1] == "model"]
        if wanted and not named:
            raise ValueError(f"{wanted[0]} matches on the policy's [outcomes] model, which the policy does not "
                             "name")
        if named and not wanted:
            raise ValueError("the policy names [outcomes] model: list a policy label with '+model' (e.g. "
                             "optimal+model) to match on it, or remove the key")
        return self

    @property
    def baseline_policy(self) -> str:
        """The policy the others are compared with."""
        return self.baseline or self.policies[0]

    def fingerprint(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    def tasks(self) -> list[Task]:
        """One task per replication and policy, replications first so that early results cover every policy."""
        return [Task(self, r, p) for r in range(self.replications) for p in self.policies]


class ExperimentError(ValueError):
    """An experiment file that cannot be used; the message names the file and each bad key."""


def load_experiment(path: str | Path) -> Experiment:
    """Read an experiment TOML, resolve its files, and validate it (unknown keys are rejected by name)."""
    p = Path(path)
    data = read_toml(p, ExperimentError)
    policy_file = data.pop("policy_file", None)
    localities_file = data.pop("localities_file", None)
    policy_dir = p.parent
    if policy_file is not None:
        if "policy" in data:
            raise ExperimentError(f"{p.name}: give either policy_file or a [policy] table, not both")
        policy_dir = (p.parent / str(policy_file)).parent
        try:
            data["policy"] = load_policy(p.parent / str(policy_file))
        except PolicyError as exc:
            raise ExperimentError(f"{p.name} › policy_file: {exc}") from None
    if localities_file is not None:
        try:
            data["localities"] = tuple(read_localities(p.parent / str(localities_file)))
        except TerritoryError as exc:
            raise ExperimentError(f"{p.name} › localities_file:\n{exc}") from None
    return with_policy_model(experiment_from_dict(data, source=p.name), policy_dir, p.name)


def with_policy_model(exp: Experiment, policy_dir: Path, source: str) -> Experiment:
    """`exp` with its policy's `[outcomes] model` made absolute (relative to the policy file, or to the
    experiment file for a [policy] table) and checked now, on the machine that starts the run; worker processes
    load it from that path (a remote scheduler's workers need the folder at the same path)."""
    outcomes = exp.policy.outcomes
    if outcomes is None or outcomes.model is None:
        return exp
    from matcher.outcomes.model import ModelError

    folder = Path(outcomes.model)
    folder = (folder if folder.is_absolute() else policy_dir / folder).resolve()
    policy = exp.policy.model_copy(update={"outcomes": outcomes.model_copy(update={"model": str(folder)})})
    try:
        policy_model(policy)
    except ModelError as exc:
        raise ExperimentError(f"{source} › policy › outcomes › model: {exc}") from None
    return exp.model_copy(update={"policy": policy})


def experiment_from_dict(data: dict[str, Any], source: str = "experiment") -> Experiment:
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError(validation_lines(exc, source)) from None


@dataclass(frozen=True)
class Task:
    """One policy on one replication's draws."""

    experiment: Experiment
    replication: int
    policy: str


def _rng(exp: Experiment, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([exp.seed, *stream]))


def territory(exp: Experiment) -> list[Locality]:
    """The experiment's communes: the given ones, or generated once from the seed (the same every replication),
    sized on the persons of a reference cohort."""
    if exp.localities is not None:
        return list(exp.localities)
    pool = generate_localities(_rng(exp, 0), exp.territory.model_copy(update={"communes": 2}), 1.0)
    drawer = CohortDrawer(exp.cohort, [lo.locality_id for lo in pool], [lo.population or 1 for lo in pool])
    reference = drawer.draw_year(_rng(exp, 1), max(exp.families_per_year, 200), exp.months)
    persons = exp.families_per_year * sum(c.persons for c in reference) / len(reference)
    return generate_localities(_rng(exp, 2), exp.territory, persons)


_SCENARIOS: dict[tuple[str, int, str | None], Scenario] = {}


def scenario(exp: Experiment, replication: int, source: str | None = None) -> Scenario:
    """The replication's draws and the year's model, with the outcomes `source` lets a policy see (None:
    none); cached per process (tasks of one replication share it)."""
    key = (exp.fingerprint(), replication, source)
    if key in _SCENARIOS:
        return _SCENARIOS[key]
    locs = territory(exp)
    drawer = CohortDrawer(exp.cohort, [lo.locality_id for lo in locs], [lo.population or 1 for lo in locs])
    cases = drawer.draw_year(_rng(exp, 3, replication), exp.families_per_year, exp.months)
    dataset = Dataset(cases=tuple(cases), localities=tuple(locs))
    policy, outcomes = exp.policy, None
    if source is not None:
        outcomes = predictions(exp, dataset, source)
        policy = policy.model_copy(update={"weights": policy.weights.model_copy(
            update={"outcome": exp.outcomes.weight})})
    scn = make_scenario(dataset, policy, exp.months, drawer, exp.families_per_year, outcomes=outcomes)
    if len(_SCENARIOS) >= 4:
        _SCENARIOS.pop(next(iter(_SCENARIOS)))
    _SCENARIOS[key] = scn
    return scn


def make_scenario(dataset: Dataset, policy: Policy, months: int, drawer: CohortDrawer | None = None,
                  families_per_year: int | None = None, outcomes: pd.DataFrame | None = None) -> Scenario:
    """A scenario over given families (arrival months counted from the earliest arrival date) and communes,
    with predicted outcomes for the `outcome` component if given."""
    cases = list(dataset.cases)
    problem = build_problem(dataset, policy, outcomes=outcomes)
    dates = [c.arrival_date for c in cases if c.arrival_date is not None]
    start = min(dates) if dates else None
    case_month = np.array([min(_month(c.arrival_date, start), months) for c in cases], dtype=np.int64)
    item_month = np.array([case_month[m].min() for m in problem.items], dtype=np.int64)
    order = sorted(range(len(cases)), key=lambda c: (case_month[c], cases[c].arrival_date or start,
                                                     cases[c].case_id))
    case_rank = np.empty(len(cases), dtype=np.int64)
    case_rank[order] = np.arange(len(cases))
    item_rank = np.array([case_rank[m].min() for m in problem.items], dtype=np.int64)
    if drawer is None:
        locs = dataset.localities
        drawer = CohortDrawer(CohortParams(), [lo.locality_id for lo in locs], [lo.population or 1 for lo in locs])
    return Scenario(dataset, policy, problem, months, case_month, item_month, item_rank, drawer,
                    families_per_year if families_per_year is not None else len(cases))


def _month(date: Any, start: Any) -> int:
    if date is None or start is None:
        return 1
    return (date.year - start.year) * 12 + date.month - start.month + 1


class SimulationError(RuntimeError):
    """A policy produced a plan that breaks a hard rule: a bug, never expected."""


def run_policy(scn: Scenario, policy: str, settings: Settings,
               rng: np.random.Generator) -> tuple[dict[str, str], float]:
    """Place the scenario's families month by month with one policy; families that do not fit in their arrival
    month wait for the next batches. Returns the plan (case -> commune) and the policy's wall-clock seconds."""
    led = Ledger(scn.problem.model)
    place = PLACERS[policy]
    t0 = time.perf_counter()
    for month in range(1, scn.months + 1):
        waiting = np.nonzero((scn.item_month <= month) & (led.choice < 0))[0]
        waiting = waiting[np.argsort(scn.item_rank[waiting], kind="stable")]
        place(scn, led, waiting, month, rng, settings)
    seconds = time.perf_counter() - t0
    problem = scn.problem
    plan = {problem.cases[c].case_id: problem.localities[int(problem.model.opt_bin[led.choice[g]])].locality_id
            for g in np.nonzero(led.choice >= 0)[0] for c in problem.items[g]}
    return plan, seconds


def simulate_year(task: Task) -> tuple[Scenario, dict[str, str], float]:
    """Run a task's policy over its replication's year: the scenario, the final plan and the seconds taken."""
    exp, r = task.experiment, task.replication
    placer, source = split_label(task.policy)
    scn = scenario(exp, r, source)
    settings = Settings(time_limit=exp.engine.time_limit, seed=(exp.seed + r) % (2**31), samples=exp.dynamic.samples,
                        placement=exp.engine.placement)
    plan, seconds = run_policy(scn, placer, settings, _rng(exp, 4, r, zlib.crc32(task.policy.encode())))
    return scn, plan, seconds


def run_task(task: Task) -> dict[str, Any]:
    """Run one policy over the year of one replication, check its plan, and return its row of metrics."""
    scn, plan, seconds = simulate_year(task)
    violations = check(scn.dataset, task.experiment.policy, plan)
    if violations:
        raise SimulationError(f"{task.policy} broke hard rules: " + "; ".join(str(v) for v in violations[:3]))
    row: dict[str, Any] = {"policy": task.policy, "replication": task.replication}
    row.update(plan_metrics(scn.problem, plan))
    row.update(outcome_metrics(task.experiment, task.replication, scn.dataset.cases, scn.dataset.localities, plan,
                               split_label(task.policy)[1]))
    row["seconds"] = round(seconds, 4)
    return row
