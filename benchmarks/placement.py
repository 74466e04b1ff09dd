"""Seeded synthetic placement instances at agency, regional and national size, and the runs on them.

Families, ties, preferences, exclusions, links and commune capacities come from ``matcher.simulate.population``
(the documented distributions of the sample data, the rule mix of docs/rules.md: consent, exact housing, schools,
GP, health services, interpreters, links, exclusions, budgets hard; French classes, jobs, mobility and regional
balance soft; the default policy). Beyond its 565 real communes, communes are cloned from real ones with a
jittered population and a synthetic id (``X00001`` ...).

Tiers: S = 500 families x 21 communes (an agency), M = 2,500 x 100 (a region's month), L = 10,000 x 1,000
(national), and ``national`` = a year of 10,000 arrivals in 12 monthly batches against 1,000 communes, each month
offered a twelfth of every annual capacity (stochastically rounded): 12 independent instances of about 830 x 1,000.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcher.simulate.population import build_instance as generate

TIERS: dict[str, tuple[int, int]] = {"S": (500, 21), "M": (2_500, 100), "L": (10_000, 1_000),
                                     "national": (10_000, 1_000)}
MONTHS = 12


def _share(rng: np.random.Generator, value: float | None, frac: float, whole: bool = True) -> Any:
    if value is None:
        return None
    x = value * frac
    return int(math.floor(x) + (rng.random() < x - math.floor(x))) if whole else float(x)


def monthly_batches(dataset: Any, seed: int) -> list[Any]:
    """A year's dataset cut into 12 monthly batches (linked families together), each against 1/12 of every
    annual capacity, stochastically rounded."""
    from matcher.models import Dataset

    rng = np.random.default_rng(seed + 7919)
    index = {c.case_id: i for i, c in enumerate(dataset.cases)}
    month = np.full(len(dataset.cases), -1)
    for i, c in enumerate(dataset.cases):
        if month[i] < 0:
            m = int(rng.integers(MONTHS))
            for j in [i, *(index[o] for o in c.linked_case_ids if o in index)]:
                month[j] = m
    f = 1.0 / MONTHS
    out = []
    for m in range(MONTHS):
        cases = tuple(c for i, c in enumerate(dataset.cases) if month[i] == m)
        locs = []
        for lo in dataset.localities:
            upd = {k: _share(rng, getattr(lo, k), f) for k in (
                "max_persons", "max_cases", "gp_capacity", "creche_seats", "primary_seats", "secondary_seats",
                "french_class_seats")}
            upd["budget_eur"] = _share(rng, lo.budget_eur, f, whole=False)
            upd["housing"] = tuple(h.model_copy(update={"units": _share(rng, h.units, f)}) for h in lo.housing)
            upd["services"] = tuple(s.model_copy(update={"capacity": _share(rng, s.capacity, f)})
                                    for s in lo.services)
            upd["jobs"] = tuple(j.model_copy(update={"vacancies": _share(rng, j.vacancies, f)}) for j in lo.jobs)
            upd["interpreters"] = tuple(i.model_copy(update={"capacity": _share(rng, i.capacity, f)})
                                        for i in lo.interpreters)
            locs.append(lo.model_copy(update=upd))
        out.append(Dataset(cases=cases, localities=tuple(locs)))
    return out


@dataclass
class Instance:
    name: str
    dataset: Any
    generate_seconds: float


def instance_dataset(tier: str, seed: int, name: str) -> Any:
    """The dataset of one instance of :func:`instances`, generated afresh (as a worker does)."""
    for inst in instances(tier, seed):
        if inst.name == name:
            return inst.dataset
    raise KeyError(name)


def instances(tier: str, seed: int) -> list[Instance]:
    n, L = TIERS[tier]
    t0 = time.monotonic()
    ds = generate(n, L, seed)
    if tier != "national":
        return [Instance(f"placement-{tier}-s{seed}", ds, time.monotonic() - t0)]
    months = monthly_batches(ds, seed)
    per = (time.monotonic() - t0) / MONTHS
    return [Instance(f"national-s{seed}-m{m + 1:02d}", d, per) for m, d in enumerate(months)]


def run_placement(args: argparse.Namespace) -> int:
    from benchmarks.modelio import save_model
    from benchmarks.suite import Job, finish, run_jobs
    from matcher.models import Policy
    from matcher.problem import build_problem

    policy = Policy()
    seeds = args.instance_seeds or [args.seed]
    with tempfile.TemporaryDirectory(prefix="bench-placement-") as tmp:
        jobs = []
        for tier in args.tier:
            for seed in seeds:
                for inst in instances(tier, seed):
                    t0 = time.monotonic()
                    problem = build_problem(inst.dataset, policy)
                    build = time.monotonic() - t0
                    model = problem.model
                    path = Path(tmp) / f"{inst.name}.npz"
                    save_model(model, path)
                    lp_bound, lp_seconds = reference_lp(model, path, args)
                    extra = {"tier": tier, "families": len(inst.dataset.cases),
                             "localities": len(inst.dataset.localities),
                             "generate_seconds": inst.generate_seconds, "lp_bound": lp_bound,
                             "reference_lp_seconds": lp_seconds}
                    print(f"{inst.name}: {len(inst.dataset.cases)} families x {len(inst.dataset.localities)} "
                          f"localities -> {model.n_items} items, {model.n_options} options, {model.n_rows} rows; "
                          f"generated in {inst.generate_seconds:.1f} s, problem built in {build:.1f} s, "
                          f"LP bound {lp_bound:.3f} in {lp_seconds:.1f} s", flush=True)
                    # Each solver's worker generates the same dataset and builds the problem itself, timed as part
                    # of its seconds and budget: the wall clock a user of the CLI sees, with no file in between.
                    jobs.append(Job(inst.name, "max", {"kind": "placement", "tier": tier, "instance_seed": seed,
                                                       "instance": inst.name}, lp_bound, "lp bound", extra))
        rows = run_jobs(jobs, args)
    return finish(rows, args, "Placement benchmark")


def reference_lp(model: Any, path: Path, args: argparse.Namespace) -> tuple[float, float]:
    """The LP relaxation's value: the physical limit every plan is judged against. Solved by HiGHS in a worker
    process (independent of the engine's own GLOP bound), or by GLOP here if highspy is missing."""
    from benchmarks.runner import Pool
    from benchmarks.suite import available

    t0 = time.monotonic()
    if available("highs"):
        with Pool() as pool:
            limit = float(getattr(args, "reference_limit", 900.0))
            out = pool.run("highs", {"kind": "model", "npz": str(path), "relax": True, "time_limit": limit,
                                     "workers": args.workers, "seed": 0}, limit + max(5.0, 0.1 * limit))
        if out.get("bound") is not None:
            return float(out["bound"]), time.monotonic() - t0
    from matcher.engine.lp import solve_lp

    lp = solve_lp(model, time_limit=float(getattr(args, "reference_limit", 900.0)))
    return (float(lp.bound) if lp.ok else float("nan")), time.monotonic() - t0


def _plan_of(problem: Any, choice: np.ndarray) -> dict[str, str]:
    model = problem.model
    out = {}
    for g, o in enumerate(choice):
        if o >= 0:
            for c in problem.items[g]:
                out[problem.cases[c].case_id] = problem.localities[int(model.opt_bin[o])].locality_id
    return out


def run_resolve(args: argparse.Namespace) -> int:
    """Solve, pin ``--pins`` placed families elsewhere, re-solve from the previous plan within ``--time-limit``,
    and compare with a fresh solve of the pinned problem (``--first-limit``): time, objective, families moved.

    Uses the engine's model-level entry point ``solve_model`` (with ``SolveParams.hint`` = the previous plan and
    ``build_problem(previous=)`` for the stability term), so that building the Result (unplaced reasons,
    checks) is not counted; ``solve()`` itself is timed once on the first plan as ``result_seconds``."""
    import json

    from matcher.engine import SolveParams, solve_model
    from matcher.match import plan_hint
    from matcher.models import Policy
    from matcher.problem import build_problem

    n, L = TIERS[args.tier]
    policy = Policy()
    ds = generate(n, L, args.seed)

    def params(limit: float, hint: np.ndarray | None = None) -> Any:
        return SolveParams(time_limit=limit, seed=args.seed, workers=args.workers, hint=hint)

    t0 = time.monotonic()
    problem0 = build_problem(ds, policy)
    first = solve_model(problem0.model, params(args.first_limit - (time.monotonic() - t0)))
    first_seconds = time.monotonic() - t0
    plan0 = _plan_of(problem0, first.choice)
    rng = np.random.default_rng(args.seed + 1)
    pins: dict[str, str] = {}
    placed = sorted(plan0)
    for k in rng.permutation(len(placed)):
        cid = placed[int(k)]
        c = problem0.case_index[cid]
        others = [lo for lo in np.nonzero(problem0.candidate[c])[0]
                  if problem0.localities[lo].locality_id != plan0[cid]]
        if len(problem0.items[problem0.item_of_case[c]]) == 1 and others:
            pins[cid] = problem0.localities[int(rng.choice(others))].locality_id
        if len(pins) == args.pins:
            break
    t0 = time.monotonic()
    problem1 = build_problem(ds, policy, pins=pins, previous=plan0)
    hint1 = plan_hint(problem1, plan0)
    build1 = time.monotonic() - t0  # building and the hint: the engine gets what is left of the limit
    again = solve_model(problem1.model, params(max(0.2, args.time_limit - build1), hint1))
    resolve_seconds = time.monotonic() - t0
    t0 = time.monotonic()
    problem2 = build_problem(ds, policy, pins=pins)
    fresh = solve_model(problem2.model, params(args.first_limit - (time.monotonic() - t0)))
    fresh_seconds = time.monotonic() - t0
    same_options = (np.array_equal(problem1.model.opt_item, problem2.model.opt_item)
                    and np.array_equal(problem1.model.opt_bin, problem2.model.opt_bin))
    # The re-solve's plan valued without the stability bonus: on the fresh problem's model (same options).
    again_value = problem2.model.evaluate(again.choice)[0] if same_options else float("nan")
    plan1, plan2 = _plan_of(problem1, again.choice), _plan_of(problem2, fresh.choice)
    untouched = [cid for cid in plan0 if cid not in pins]
    moved1 = sum(plan1.get(cid) != plan0[cid] for cid in untouched)
    moved2 = sum(plan2.get(cid) != plan0[cid] for cid in untouched)
    out = {
        "tier": args.tier, "seed": args.seed, "pins": len(pins), "first_status": str(first.status),
        "first_objective": first.objective, "first_seconds": first_seconds, "first_lp_bound": first.bound,
        "resolve_status": str(again.status), "resolve_seconds": resolve_seconds, "resolve_build_seconds": build1,
        "resolve_objective_without_stability": again_value, "resolve_pins_kept":
            sum(plan1.get(c) == lid for c, lid in pins.items()),
        "fresh_status": str(fresh.status), "fresh_objective": fresh.objective, "fresh_seconds": fresh_seconds,
        "fresh_lp_bound": fresh.bound,
        "resolve_below_fresh": (fresh.objective - again_value) / abs(fresh.objective) if fresh.objective else None,
        "resolve_below_lp_bound": (fresh.bound - again_value) / abs(fresh.bound) if fresh.bound else None,
        "untouched_placed": len(untouched), "moved_by_resolve": moved1,
        "moved_by_resolve_share": moved1 / max(1, len(untouched)), "moved_by_fresh": moved2,
        "moved_by_fresh_share": moved2 / max(1, len(untouched)),
    }
    for k, v in out.items():
        print(f"{k:40s} {v:.6g}" if isinstance(v, float) else f"{k:40s} {v}")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(out, indent=1, default=str) + "\n")
    return 0


def run_profile(args: argparse.Namespace) -> int:
    """Time each stage of the engine on one tier: generation, problem building, LP, first plan, CP-SAT model
    building and CP-SAT search (by wrapping the engine's stage functions; nothing in the engine is changed)."""
    import cProfile
    import io
    import json
    import pstats

    from ortools.sat.python import cp_model

    import matcher.engine.search as engine
    from matcher.engine import SolveParams, solve_model
    from matcher.models import Policy
    from matcher.problem import build_problem

    n, L = TIERS[args.tier]
    times: dict[str, float] = {}

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*a: Any, **kw: Any) -> Any:
            t = time.monotonic()
            try:
                return fn(*a, **kw)
            finally:
                times[name] = times.get(name, 0.0) + time.monotonic() - t
        return wrapper

    t0 = time.monotonic()
    ds = generate(n, L, args.seed)
    times["generate"] = time.monotonic() - t0
    prof = cProfile.Profile()
    t0 = time.monotonic()
    problem = build_problem(ds, Policy())
    times["build_problem"] = time.monotonic() - t0
    prof.enable()
    build_problem(ds, Policy())
    prof.disable()
    hot = io.StringIO()
    pstats.Stats(prof, stream=hot).sort_stats("cumulative").print_stats(18)
    originals = {}
    for name in ("solve_lp", "greedy_plan", "solve_cpsat"):
        if hasattr(engine, name):
            originals[name] = getattr(engine, name)
            setattr(engine, name, timed(name, originals[name]))
    solver_solve = cp_model.CpSolver.solve
    cp_model.CpSolver.solve = timed("cpsat_search", solver_solve)  # type: ignore[method-assign]
    try:
        t0 = time.monotonic()
        sol = solve_model(problem.model, SolveParams(time_limit=max(0.5, args.time_limit - times["build_problem"]),
                                                     seed=args.seed, workers=args.workers))
        times["solve_model"] = time.monotonic() - t0
    finally:
        for name, fn in originals.items():
            setattr(engine, name, fn)
        cp_model.CpSolver.solve = solver_solve  # type: ignore[method-assign]
    if "solve_cpsat" in times:
        times["cpsat_model_building"] = times["solve_cpsat"] - times.get("cpsat_search", 0.0)
    total = times["build_problem"] + times["solve_model"]
    model = problem.model
    print(f"tier {args.tier}: {len(ds.cases)} families x {len(ds.localities)} localities -> {model.n_items} items, "
          f"{model.n_options} options, {model.n_rows} rows, {model.A.nnz} nonzeros")
    print(f"status {sol.status}, objective {sol.objective:.3f}, LP bound {sol.bound:.3f}, gap {sol.gap:.4%}")
    print(f"{'stage':28s} {'seconds':>8s} {'share of build+solve':>20s}")
    for k, v in times.items():
        print(f"{k:28s} {v:8.2f} {v / total:20.1%}")
    print("engine stats:", {k: round(float(v), 3) for k, v in (sol.stats or {}).items()})
    print("\nbuild_problem hot spots (cProfile, cumulative):")
    print("\n".join(hot.getvalue().splitlines()[:40]))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps({
            "tier": args.tier, "seed": args.seed, "time_limit": args.time_limit, "n_items": model.n_items,
            "n_options": model.n_options, "n_rows": model.n_rows, "nnz": int(model.A.nnz),
            "status": str(sol.status), "objective": sol.objective, "lp_bound": sol.bound, "times": times,
            "engine_stats": {k: float(v) for k, v in (sol.stats or {}).items()}}, indent=1) + "\n")
    return 0
