"""The policy lab: synthetic cohorts arriving month by month, placement policies side by side on the same draws,
metrics with 95 % intervals, and a runner on local processes or a Dask cluster (`docs/lab.md#policy-lab`).

    from matcher.simulate import load_experiment, run_experiment, write_outputs
    exp = load_experiment("sample_data/experiments/small.toml")
    metrics, stats = run_experiment(exp)    # or scheduler=load_schedulers()["campus"] (see schedulers.py)
    write_outputs(exp, metrics, Path("out"), stats)
"""

from matcher.simulate.cohort import CohortDrawer, CohortParams, parameter_table
from matcher.simulate.experiment import (
    POLICY_LABELS,
    Experiment,
    ExperimentError,
    SimulationError,
    Task,
    experiment_from_dict,
    load_experiment,
    run_task,
    scenario,
    simulate_year,
)
from matcher.simulate.metrics import DESCRIPTIONS, METRICS, gini
from matcher.simulate.policies import POLICIES, deferred_acceptance
from matcher.simulate.report import summarise, summary_table, write_outputs
from matcher.simulate.runner import Cancelled, RunStats, run_experiment
from matcher.simulate.territory import TerritoryParams, generate_localities, read_localities

__all__ = [
    "DESCRIPTIONS",
    "METRICS",
    "POLICIES",
    "POLICY_LABELS",
    "Cancelled",
    "CohortDrawer",
    "CohortParams",
    "Experiment",
    "ExperimentError",
    "RunStats",
    "SimulationError",
    "Task",
    "TerritoryParams",
    "deferred_acceptance",
    "experiment_from_dict",
    "generate_localities",
    "gini",
    "load_experiment",
    "parameter_table",
    "read_localities",
    "run_experiment",
    "run_task",
    "scenario",
    "simulate_year",
    "summarise",
    "summary_table",
    "write_outputs",
]
