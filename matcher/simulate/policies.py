"""Placement policies compared in the policy lab, each placing one monthly batch against what remains.

Every policy sees the same scenario (the year's families and the communes' annual capacities) and places the
families waiting this month: those arriving now and those left unplaced before, who wait for the next batch.
Every option a policy takes fits the remaining hard rows of the year's model (:class:`Ledger`), so every plan
respects every hard rule; :func:`matcher.checker.check` confirms it on the final plan.

- ``optimal``: the engine (LP bound, LP-guided first plan, CP-SAT) on the whole year's families at once, as if
  every arrival were known in January: the hindsight benchmark no online policy can beat on its objective.
  It places the most families first (``[engine] placement = "families"``, the default; ``"policy"`` keeps the
  placement policy's own order: persons weighted by priority), then follows the placement policy.
- ``greedy``: first come, best available: in arrival order, each family takes its best-scoring commune left.
- ``random``: in random order, each family takes a commune drawn uniformly among those it still fits.
- ``proportional``: a quota key by population (the national reception key): in arrival order, each family
  goes where placed persons lag furthest behind the commune's population share of arrivals so far.
- ``deferred_acceptance``: families propose in order of their score for each commune; communes keep, by
  priority (urgency, then the family's score there, then arrival), the families that fit their capacities.
- ``dynamic``: the engine on each batch alone (same objective as ``optimal``, so online and myopic when
  ``[dynamic] samples = 0``) with each capacity priced by its value to sampled future arrivals
  (the duals of an LP over the waiting families and K sampled futures), after Ahani, Andersson, Martinello,
  Teytelboym and Trapp, "Dynamic placement in refugee resettlement", Operations Research 72(3), 2024.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from matcher.engine import SolveParams, solve_model
from matcher.engine.lp import solve_lp
from matcher.engine.model import AssignmentModel
from matcher.models import Case, Dataset, Policy
from matcher.problem import Problem, build_problem
from matcher.simulate.cohort import CohortDrawer
from matcher.simulate.ledger import Ledger

POLICIES: tuple[str, ...] = ("optimal", "greedy", "random", "proportional", "deferred_acceptance", "dynamic")


@dataclass
class Scenario:
    """One replication's draws: the year's families, the communes, and the model over both."""

    dataset: Dataset
    policy: Policy
    problem: Problem
    months: int
    case_month: np.ndarray  # 1-based arrival month per case
    item_month: np.ndarray  # per item (linked families arrive together)
    item_rank: np.ndarray  # arrival order per item, earlier first
    drawer: CohortDrawer
    families_per_year: int


@dataclass
class Settings:
    """How the engine-based policies run inside a simulation (one worker each, deterministic)."""

    time_limit: float = 3.0
    seed: int = 0
    samples: int = 2  # sampled futures per batch for `dynamic`
    #: What the engine-based policies place first: "families" (most families, then the placement policy's
    #: priority-weighted persons, then scores) or "policy" (the placement policy's own objective).
    placement: str = "families"


PlaceBatch = Callable[[Scenario, Ledger, np.ndarray, int, np.random.Generator, Settings], None]


def _score_part(scn: Scenario, o: int) -> float:
    """Option value without the placement weight: the families' scores net of pair penalties."""
    model = scn.problem.model
    return float(model.opt_value[o] - scn.problem.placement_weight[model.opt_item[o]])


def place_greedy(scn: Scenario, led: Ledger, items: np.ndarray, month: int, rng: np.random.Generator,
                 settings: Settings) -> None:
    for g in items:
        fit = led.fitting(int(g))
        if len(fit):
            net = [scn.problem.model.opt_value[o] - led.soft_cost(int(o)) for o in fit]
            led.take(int(fit[int(np.argmax(net))]), month)


def place_random(scn: Scenario, led: Ledger, items: np.ndarray, month: int, rng: np.random.Generator,
                 settings: Settings) -> None:
    for g in items[rng.permutation(len(items))]:
        fit = led.fitting(int(g))
        if len(fit):
            led.take(int(fit[int(rng.integers(len(fit)))]), month)


def place_proportional(scn: Scenario, led: Ledger, items: np.ndarray, month: int, rng: np.random.Generator,
                       settings: Settings) -> None:
    model, ca = scn.problem.model, scn.problem.case_arrays
    pop = np.array([max(lo.population or 0, 1) for lo in scn.problem.localities], dtype=float)
    share = pop / pop.sum()
    item_persons = np.array([ca.persons[m].sum() for m in scn.problem.items], dtype=float)
    arrived = item_persons[scn.item_month <= month].sum()
    placed = np.zeros(model.n_bins)
    done = led.choice >= 0
    np.add.at(placed, model.opt_bin[led.choice[done]], item_persons[done])
    for g in items:
        fit = led.fitting(int(g))
        if not len(fit):
            continue
        bins = model.opt_bin[fit]
        lag = share[bins] * arrived - placed[bins]
        key = np.lexsort((-model.opt_value[fit], -lag))
        o = int(fit[key[0]])
        led.take(o, month)
        placed[model.opt_bin[o]] += item_persons[g]


def deferred_acceptance(
    led: Ledger,
    items: Sequence[int],
    prefs: dict[int, list[list[int]]],
    priority: Callable[[int, int], tuple[float, ...]],
) -> dict[int, int]:
    """Family-proposing deferred acceptance over the ledger's remaining capacities.

    Parameters
    ----------
    led
        Remaining capacities; not changed (the caller takes the options returned).
    items
        The proposing items, in the order they first propose.
    prefs
        Per item, its acceptable communes best first, each as its options there in the order to try them
        (several options of one commune differ by the interpreter language used).
    priority
        ``priority(item, bin)``: the commune's ranking key, smaller first.

    Returns
    -------
    dict
        Option held per item at the end; items rejected everywhere are absent.

    Each commune keeps the best set it can, admitted greedily in priority order within its hard rows (rows
    shared by several communes, such as a regional budget, count what the others hold). With one capacity row
    per commune and one unit per family this is the hospital-resident algorithm (Gale and Shapley 1962).
    """
    model = led.model
    rem = led.rem.copy()
    held: dict[int, dict[int, int]] = {}  # bin -> item -> option
    nxt = dict.fromkeys(items, 0)
    free = deque(items)
    while free:
        g = free.popleft()
        if nxt[g] >= len(prefs[g]):
            continue
        opts = prefs[g][nxt[g]]
        lo = int(model.opt_bin[opts[0]])
        current = held.setdefault(lo, {})
        for o in current.values():
            led.use(o, rem, sign=-1.0)
        ranked = sorted([*current, g], key=lambda h: priority(h, lo))
        kept: dict[int, int] = {}
        for h in ranked:
            tries = prefs[h][nxt[h]]
            fit = next((int(x) for x in tries if led.fits(int(x), rem)), None)
            if fit is None:
                nxt[h] += 1
                free.append(h)
            else:
                led.use(fit, rem)
                kept[h] = fit
        held[lo] = kept
    return {g: o for kept in held.values() for g, o in kept.items()}


def place_deferred_acceptance(scn: Scenario, led: Ledger, items: np.ndarray, month: int,
                              rng: np.random.Generator, settings: Settings) -> None:
    model = scn.problem.model
    prefs: dict[int, list[list[int]]] = {}
    best: dict[tuple[int, int], float] = {}
    for g in items:
        by_bin: dict[int, list[int]] = {}
        for o in sorted(led.fitting(int(g)), key=lambda o: (-model.opt_value[o], o)):
            by_bin.setdefault(int(model.opt_bin[o]), []).append(int(o))
        for lo, opts in by_bin.items():
            best[(int(g), lo)] = _score_part(scn, opts[0])
        prefs[int(g)] = sorted(by_bin.values(), key=lambda opts: (-model.opt_value[opts[0]], opts[0]))
    urgency = np.array([scn.problem.case_arrays.priority[m].max() for m in scn.problem.items])

    def priority(g: int, lo: int) -> tuple[float, ...]:
        return (-float(urgency[g]), -best[(g, lo)], float(scn.item_rank[g]))

    for _, o in sorted(deferred_acceptance(led, [int(g) for g in items], prefs, priority).items()):
        led.take(o, month)


def _engine(scn: Scenario, led: Ledger, items: np.ndarray, month: int, settings: Settings,
            value: np.ndarray | None, time_limit: float | None = None) -> None:
    if not len(items):
        return
    model = scn.problem.model
    value = model.opt_value if value is None else value
    primary, weight = None, 0.0
    if settings.placement == "families":
        # A lexicographic objective for the engine's two phases: the most families first, then the placement
        # policy's own value (priority-weighted persons, then scores net of penalties and capacity prices).
        families = np.array([len(m) for m in scn.problem.items], dtype=float)[model.opt_item]
        soft = np.isfinite(model.penalty)
        worst_penalty = float((model.penalty[soft] * np.asarray(abs(model.A[soft]).sum(axis=1)).ravel()).sum())
        weight = float(np.ceil(np.abs(value).sum() + worst_penalty + 1.0))
        primary, value = families, value + weight * families
    sub, opts = led.sub_model(items, value, primary, weight)
    if sub.n_options == 0:
        return
    sol = solve_model(sub, SolveParams(time_limit=time_limit or settings.time_limit, seed=settings.seed, workers=1,
                                       deterministic=True))
    for o in sol.choice[sol.choice >= 0]:
        led.take(int(opts[o]), month)


def place_optimal(scn: Scenario, led: Ledger, items: np.ndarray, month: int, rng: np.random.Generator,
                  settings: Settings) -> None:
    if "year_plan" not in led.state:
        # Hindsight: the engine on the whole year's families at once, within the year's capacities; each
        # family then takes its planned commune when it arrives. The plan fits as a whole, so any part of it
        # fits what remains.
        year = np.arange(scn.problem.model.n_items)
        planner = Ledger(scn.problem.model)
        _engine(scn, planner, year, month, settings, None, time_limit=settings.time_limit * scn.months)
        led.state["year_plan"] = planner.choice
    plan = led.state["year_plan"]
    for g in items:
        if plan[g] >= 0:
            led.take(int(plan[g]), month)


def capacity_prices(scn: Scenario, led: Ledger, items: np.ndarray, month: int, rng: np.random.Generator,
                    settings: Settings) -> np.ndarray:
    """Per row of the year's model, the score one more unit of remaining capacity is worth to the families
    waiting now and to sampled future arrivals: the mean LP dual over `samples` sampled futures.

    Each sample is a model over the families already placed (pinned where they are, so that capacities are
    what remains), those waiting now and one draw of the months still to come; placing is worth its score
    only, so that prices are in score units and never outweigh placing a family now.
    """
    model, problem = scn.problem.model, scn.problem
    samples = settings.samples
    if month >= scn.months or samples < 1:  # nothing comes after the last batch
        return np.zeros(model.n_rows)
    placed = {problem.cases[c].case_id: problem.localities[model.opt_bin[led.choice[g]]].locality_id
              for g in np.nonzero(led.choice >= 0)[0] for c in problem.items[g]}
    waiting = [problem.cases[c] for g in items for c in problem.items[g]]
    known = [problem.cases[c] for c in range(len(problem.cases)) if problem.cases[c].case_id in placed]
    w = np.resize(np.asarray(scn.drawer.p.month_weights, dtype=float), scn.months)
    expected = scn.families_per_year * w / w.sum()
    price_policy = scn.policy.model_copy(deep=True)
    price_policy.objective.placement_weight = 0.0
    price_policy.objective.require_all_placed = False
    total: dict[tuple[str, int], float] = {}
    for k in range(samples):
        future: list[Case] = []
        for m in range(month + 1, scn.months + 1):
            future += scn.drawer.draw_month(rng, m, int(rng.poisson(expected[m - 1])), prefix=f"S{k}-")
        data = Dataset(cases=tuple(known + waiting + future), localities=scn.dataset.localities)
        sample = build_problem(data, price_policy, pins=placed)
        lp = solve_lp(sample.model, time_limit=max(1.0, 2 * settings.time_limit))
        if not lp.ok:
            continue
        for r in np.nonzero(lp.row_duals > 1e-9)[0]:
            b = int(sample.model.row_bin[r])
            if b >= 0:
                key = (str(sample.model.row_resource[r]), b)
                total[key] = total.get(key, 0.0) + float(lp.row_duals[r])
    prices = np.zeros(model.n_rows)
    for row in range(model.n_rows):
        key = (str(model.row_resource[row]), int(model.row_bin[row]))
        prices[row] = total.get(key, 0.0) / samples
    return prices


def place_dynamic(scn: Scenario, led: Ledger, items: np.ndarray, month: int, rng: np.random.Generator,
                  settings: Settings) -> None:
    prices = capacity_prices(scn, led, items, month, rng, settings)
    value = scn.problem.model.opt_value - led.A.T @ prices
    _engine(scn, led, items, month, settings, value)


PLACERS: dict[str, PlaceBatch] = {
    "optimal": place_optimal,
    "greedy": place_greedy,
    "random": place_random,
    "proportional": place_proportional,
    "deferred_acceptance": place_deferred_acceptance,
    "dynamic": place_dynamic,
}


def one_dimensional_model(prefs: Sequence[Sequence[int]], capacities: Sequence[int]) -> AssignmentModel:
    """A plain hospital-resident instance as an assignment model: one option per acceptable (family, commune),
    valued by rank, one capacity row per commune. Used to check deferred acceptance against a reference."""
    import scipy.sparse as sp

    opt_item, opt_bin, value = [], [], []
    for g, ranked in enumerate(prefs):
        for r, lo in enumerate(ranked):
            opt_item.append(g)
            opt_bin.append(lo)
            value.append(float(len(ranked) - r))
    O, L = len(opt_item), len(capacities)
    A = sp.csr_matrix((np.ones(O), (np.array(opt_bin, dtype=np.int64), np.arange(O))), shape=(L, O))
    return AssignmentModel(
        n_items=len(prefs), n_bins=L, opt_item=np.array(opt_item, dtype=np.int64),
        opt_bin=np.array(opt_bin, dtype=np.int64), opt_value=np.array(value), must_place=np.zeros(len(prefs), bool),
        A=A, rhs=np.array(capacities, dtype=float), penalty=np.full(L, np.inf),
        row_resource=np.full(L, "persons", dtype=object), row_bin=np.arange(L),
        row_rule=np.full(L, "consent_persons", dtype=object),
    )
