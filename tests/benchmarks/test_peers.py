"""Each solver, in its own worker process, on a tiny GAP and a tiny placement model; the JSON rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.__main__ import main
from benchmarks.peers import PEERS
from benchmarks.runner import Pool
from benchmarks.suite import available

# 2 agents, 3 jobs of weight 2; agent 0 holds two jobs, agent 1 one.
TINY = """2 3
 1 4 5
 3 2 1
 2 2 2
 2 2 2
 4 2
"""


def brute_force(sense: str) -> int:
    import itertools

    cost = [[1, 4, 5], [3, 2, 1]]
    cap = [4, 2]
    best = None
    for agents in itertools.product(range(2), repeat=3):
        load = [2 * agents.count(a) for a in range(2)]
        if all(load[a] <= cap[a] for a in range(2)):
            v = sum(cost[a][j] for j, a in enumerate(agents))
            best = v if best is None else (min(best, v) if sense == "min" else max(best, v))
    assert best is not None
    return best


@pytest.fixture(scope="module")
def pool():  # type: ignore[no-untyped-def]
    with Pool() as p:
        yield p


@pytest.mark.parametrize("sense", ["min", "max"])
@pytest.mark.parametrize("solver", list(PEERS))
def test_each_solver_solves_a_tiny_gap(solver: str, sense: str, tmp_path: Path, pool: Pool) -> None:
    """Every solver returns the brute-force optimum (greedy: a feasible plan) in the instance's own sense."""
    if not available(solver):
        pytest.skip(f"{solver} is not installed")
    f = tmp_path / "tiny"
    f.write_text(TINY)
    row = pool.run(solver, {"kind": "gap", "path": str(f), "sense": sense, "time_limit": 5, "workers": 1,
                            "seed": 0}, 60)
    best = brute_force(sense)
    if solver == "greedy":
        assert row["status"] in ("feasible", "failed")
        if row["objective"] is not None:
            assert (row["objective"] >= best) if sense == "min" else (row["objective"] <= best)
        return
    # Our engine must prove it; a peer slowed by a loaded machine may stop at the optimum unproved (CBC did once
    # in a full run of the suite).
    assert row["status"] == "optimal" if solver == "matcher" else row["status"] in ("optimal", "feasible"), row
    assert row["objective"] == best, row
    if row["status"] == "optimal":
        assert row["bound"] == pytest.approx(best)
    assert row["peak_rss_mb"] > 0


def test_every_solver_agrees_on_a_tiny_placement_model(tmp_path: Path, pool: Pool) -> None:
    """On the same exported placement model, the exact solvers reach the same objective as the engine."""
    from factories import commune, data, family

    from benchmarks.modelio import save_model
    from matcher.models import Policy
    from matcher.problem import build_problem

    ds = data([family("A", (30, 28, 3), sector="construction"), family("B", (40,)), family("C", (25, 2))],
              [commune("01001", units={1: 1, 2: 1}, max_persons=5, jobs={"construction": 1}),
               commune("01002", units={2: 1}, max_persons=3)])
    path = tmp_path / "m.npz"
    save_model(build_problem(ds, Policy()).model, path)
    objectives = {}
    for solver in ("matcher", "cpsat", "highs", "cbc"):
        if not available(solver):
            continue
        row = pool.run(solver, {"kind": "model", "npz": str(path), "sense": "max", "time_limit": 5, "workers": 1,
                                "seed": 0}, 60)
        # Our engine must prove it; a peer slowed by a loaded machine may stop at the optimum unproved.
        assert row["status"] == "optimal" if solver == "matcher" else row["status"] in ("optimal", "feasible"), (
            solver, row)
        objectives[solver] = row["objective"]
    assert max(objectives.values()) - min(objectives.values()) < 1e-3 * max(1.0, abs(objectives["matcher"]))


def test_a_placement_worker_builds_the_same_model_itself_and_counts_the_build(tmp_path: Path, pool: Pool) -> None:
    """A placement task makes the worker generate the instance and build the problem in its own process: the
    same arrays as the parent's (the baseline's plan is the same as from the saved model), and the build is
    part of the solver's seconds."""
    from benchmarks.modelio import save_model
    from benchmarks.placement import instance_dataset
    from matcher.models import Policy
    from matcher.problem import build_problem

    model = build_problem(instance_dataset("S", 1, "placement-S-s1"), Policy()).model
    save_model(model, tmp_path / "s1.npz")
    common = {"sense": "max", "time_limit": 20, "workers": 1, "seed": 0}
    built = pool.run("greedy", {"kind": "placement", "tier": "S", "instance_seed": 1, "instance": "placement-S-s1",
                                **common}, 120)
    read = pool.run("greedy", {"kind": "model", "npz": str(tmp_path / "s1.npz"), **common}, 120)
    assert built["status"] == read["status"] == "feasible", (built, read)
    assert built["objective"] == read["objective"]
    assert (built["n_options"], built["n_rows"]) == (read["n_options"], read["n_rows"]) == (model.n_options,
                                                                                            model.n_rows)
    assert 0 < built["build_seconds"] == built["load_seconds"] <= built["seconds"]
    assert "build_seconds" not in read


def test_exported_placement_model_keeps_its_lexicographic_split(tmp_path: Path) -> None:
    """A placement model saved for the workers comes back with the same arrays and its primary values and
    weight, so that the engine solves what the app would; a model without them comes back without."""
    from factories import commune, data, family

    from benchmarks.modelio import load_model, save_model
    from matcher.models import Policy
    from matcher.problem import build_problem

    ds = data([family("A", (30, 28, 3)), family("B", (40,))], [commune("01001", units={1: 1, 2: 1})])
    model = build_problem(ds, Policy()).model
    save_model(model, tmp_path / "m.npz")
    back = load_model(tmp_path / "m.npz")
    assert back.opt_primary is not None and model.opt_primary is not None
    assert np.array_equal(back.opt_primary, model.opt_primary)
    assert back.primary_weight == model.primary_weight
    assert np.array_equal(back.opt_value, model.opt_value) and (back.A != model.A).nnz == 0
    model.opt_primary = None
    model.primary_weight = 0.0
    save_model(model, tmp_path / "flat.npz")
    assert load_model(tmp_path / "flat.npz").opt_primary is None


def test_json_has_one_row_per_instance_and_solver(tmp_path: Path) -> None:
    """--json writes one object per (instance, solver) with the documented keys."""
    f = tmp_path / "tiny"
    f.write_text(TINY)
    out = tmp_path / "out.json"
    assert main(["gap", str(f), "--data", str(tmp_path), "--solvers", "greedy,matcher", "--time-limit", "2",
                 "--json", str(out), "--quiet"]) == 0
    rows = json.loads(out.read_text())
    assert [r["solver"] for r in rows] == ["greedy", "matcher"]
    for r in rows:
        assert {"instance", "solver", "status", "objective", "bound", "seconds", "peak_rss_mb"} <= set(r)
        assert r["instance"] == "tiny" and r["sense"] == "min"


def test_unknown_solver_is_a_usage_error() -> None:
    """A solver name outside the list ends with argparse's usage error."""
    with pytest.raises(SystemExit) as exc:
        main(["gap", "x", "--solvers", "gurobi"])
    assert exc.value.code == 2


def test_a_solver_over_its_wall_clock_is_killed() -> None:
    """A task that does not answer within its wall-clock limit is killed and reported; the worker restarts."""
    import time

    with Pool() as p:
        t0 = time.monotonic()
        row = p.run("greedy", {"kind": "sleep", "seconds": 60}, 1.0)
        assert row["status"] == "killed" and time.monotonic() - t0 < 20
        again = p.run("greedy", {"kind": "sleep", "seconds": 0}, 60)
        assert again["status"] == "slept"


def test_the_wall_clock_starts_after_the_untimed_set_up() -> None:
    """Generating a placement instance is not timed: a set-up longer than the wall-clock limit does not get the
    task killed, the limit starts once the worker says its timed part has started, and a set-up past its own
    timeout is killed."""
    from benchmarks.runner import Worker

    w = Worker("greedy", setup_timeout=30.0)
    try:
        row = w.run({"kind": "sleep", "setup": 2.5, "seconds": 0.2}, 1.5)
        assert row["status"] == "slept" and 0.2 <= row["wall_seconds"] < 1.5, row
        row = w.run({"kind": "sleep", "setup": 0.0, "seconds": 60}, 1.5)
        assert row["status"] == "killed" and "wall clock" in row["error"] and row["wall_seconds"] < 10
        w.setup_timeout = 1.0
        row = w.run({"kind": "sleep", "setup": 60, "seconds": 0}, 60)
        assert row["status"] == "killed" and "set-up" in row["error"], row
    finally:
        w.close()
