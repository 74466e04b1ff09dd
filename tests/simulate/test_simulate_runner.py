"""The runner: in-process, local pool and a real Dask cluster give identical metrics; the CLI writes its files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import clusters
import pandas as pd
import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.simulate import Experiment, run_experiment

EXP = Experiment(name="tiny", seed=5, replications=2, families_per_year=30, territory={"communes": 6},
                 engine={"time_limit": 0.5}, dynamic={"samples": 1})
MACHINE = ["seconds"]  # the only column that measures the machine rather than the draws


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[str]:
    """A scheduler and two single-threaded workers as separate processes on loopback, stopped afterwards."""
    with clusters.dask_cluster(workers=2) as address:
        yield address


@pytest.fixture(scope="module")
def in_process() -> pd.DataFrame:
    """The tiny experiment's metrics computed in this process."""
    return run_experiment(EXP, processes=1)[0]


def test_local_pool_matches_in_process(in_process: pd.DataFrame) -> None:
    """Two spawned worker processes give exactly the in-process metrics."""
    pooled, stats = run_experiment(EXP, processes=2)
    assert stats.executor.startswith("local pool")
    pd.testing.assert_frame_equal(pooled.drop(columns=MACHINE), in_process.drop(columns=MACHINE))


def test_dask_cluster_matches_in_process(in_process: pd.DataFrame, dask_cluster: str) -> None:
    """A real Dask scheduler with two worker processes gives exactly the in-process metrics."""
    seen: list[int] = []
    remote, stats = run_experiment(EXP, scheduler=dask_cluster, on_result=lambda done, n, row: seen.append(done))
    assert "2 workers" in stats.executor and seen == list(range(1, len(EXP.tasks()) + 1))
    pd.testing.assert_frame_equal(remote.drop(columns=MACHINE), in_process.drop(columns=MACHINE))


def test_metrics_table_is_tidy(in_process: pd.DataFrame) -> None:
    """One row per policy and replication, with the required columns and shares within [0, 1]."""
    assert len(in_process) == EXP.replications * len(EXP.policies)
    required = {"policy", "replication", "placed_share", "persons_placed", "mean_score", "unmet_needs",
                "capacity_gini", "seconds"}
    assert required <= set(in_process.columns)
    assert in_process.groupby("policy").size().eq(EXP.replications).all()
    assert in_process["placed_share"].between(0, 1).all() and in_process["capacity_gini"].between(0, 1).all()


def test_cli_writes_metrics_summary_and_plots(tmp_path: Path) -> None:
    """`matcher simulate EXP.toml --out DIR` writes metrics.csv, summary.csv and PNG and HTML plots."""
    toml = tmp_path / "exp.toml"
    toml.write_text('name = "cli"\nseed = 3\nreplications = 2\nfamilies_per_year = 20\n'
                    'policies = ["greedy", "random"]\n[territory]\ncommunes = 5\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["simulate", str(toml), "--out", str(out), "--processes", "1"])
    assert result.exit_code == 0, result.output
    for name in ("metrics.csv", "summary.csv", "plots.png", "plots.html"):
        assert (out / name).stat().st_size > 0
    summary = pd.read_csv(out / "summary.csv")
    assert {"policy", "metric", "mean", "ci_low", "ci_high"} <= set(summary.columns)
    assert "scenarios per minute" in result.output


def test_cli_rejects_unknown_keys(tmp_path: Path) -> None:
    """An unknown key in the experiment file is named and the command exits 1."""
    toml = tmp_path / "bad.toml"
    toml.write_text('name = "bad"\nreplicatons = 2\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["simulate", str(toml), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "replicatons: unknown key" in result.output
