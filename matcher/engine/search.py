"""The engine's entry point on the low-level model: ``solve_model(model, params) -> ModelSolution``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from matcher.engine import lagrange, lns
from matcher.engine.cpsat import CpSatOutcome, build_cpsat, solve_cpsat
from matcher.engine.heuristic import greedy_plan
from matcher.engine.lp import LPResult, no_lp, solve_lp
from matcher.engine.model import AssignmentModel
from matcher.models import Status

# The constants below were tuned on the benchmark suites (GAP instances and placement tiers S, M and L, on
# 2-core machines); benchmarks/README.md says how to rerun them, and benchmarks/results/ keeps the figures.

#: CP-SAT deterministic time units granted per second of wall-clock budget in deterministic mode, for a model
#: solved in one search (the GAP, tier S, the app's usual sizes): CP-SAT runs at about one unit per second there,
#: so the deterministic budget normally ends near the wall clock. A lower rate left every unproved search stopping
#: well before its time limit; a run that the wall clock cuts short (a loaded machine, larger models) may differ.
DET_PER_SECOND = 0.95

#: The same for a model solved in two phases (tiers M and L): its neighbourhood rounds on the pruned model run
#: slower (more time in Python per round), so these searches end on the wall clock at either rate.
TWO_PHASE_DET_PER_SECOND = 0.6

#: Work-limited (no clock), the deterministic budget per second of the time limit on placement models, whose
#: values are scores: CP-SAT's units run far slower there than on the GAP (its proof settings in the whole-model
#: search; the phase searches and neighbourhood steps, counted whole). So that a work-limited run takes about its
#: time limit on a 2-core machine (more or less elsewhere: it never looks at the clock).
WORK_SCALED_DET_PER_SECOND = 0.12
WORK_TWO_PHASE_DET_PER_SECOND = 0.3

#: Seconds of CP-SAT presolve per matrix entry (and option) of the model searched, a little below what large
#: phase-1 models take: a search given less time than its presolve needs is not started (it would overrun).
PRESOLVE_SECONDS_PER_ENTRY = 1e-5

#: Above this many options (after exact pruning) CP-SAT searches the LP's neighbourhood: the best few options
#: of each item by reduced cost, plus those of the hint.
NEIGHBOURHOOD_MIN_OPTIONS = 40_000
NEIGHBOURHOOD_PER_ITEM = 10

#: From this many options (where the LP goes through column generation) a plain greedy plan is made before the
#: LP: a plan exists early, it seeds the column generation (far shorter LPs) and it competes with the LP-guided
#: first plan, which it often beats at that size.
EARLY_PLAN_MIN_OPTIONS = 30_000

#: Share of the time an LP may take (column generation stops there with a valid, looser bound), and the least
#: time worth starting one with (below it, the bound of every item's best option, from one pass).
LP_SHARE = 0.3
LP_MIN_SECONDS = 0.2
#: GLOP's deterministic time units per second of an LP's share of the time limit, in work-limited mode.
LP_WORK_PER_SECOND = 1.0

#: Time kept back at the end of a solve for what follows the last search (CP-SAT overshoots its own limit by a few
#: hundredths of a second, then the plan is mapped back and valued): this share of the limit, at most WRAP_UP_MAX.
WRAP_UP_SHARE = 0.05
WRAP_UP_MAX = 0.25

#: Neighbourhood search (lns.py) follows the whole-model search, which gets this share of the deterministic budget
#: (only it can prove optimality) but at least FULL_SEARCH_MIN_DET (all of a short solve's); LNS_ROUND_DET is the
#: shortest round of neighbourhood search between two exchanges of the best plan.
FULL_SEARCH_SHARE = 0.2
FULL_SEARCH_MIN_DET = 1.0
LNS_ROUND_DET = 0.5

#: The proof after neighbourhood search (`_proof`) counts its deterministic time at this many units to one of the
#: neighbourhoods': its searches run faster in CP-SAT's units than the neighbourhoods do, so that with the same
#: budget the proof would stop halfway to the time limit.
PROOF_DET_RATIO = 1.8
#: ... and it is tried only when reduced-cost fixing keeps at most this share of the options for plans as good as
#: the best one.
PROOF_MAX_SHARE = 0.7
#: ... or, without waiting for a stalled round, as soon as it keeps at most this share (with the Lagrangian reduced
#: costs of a GAP the share falls to 0.1-0.3 near the best plans): more proofs on the GAP instances at the same mean
#: gap; a proof from the first round cost plan quality.
PROOF_EARLY_SHARE = 0.3

#: Every other worker searches the LP's core: its neighbourhoods move each item only among its CORE_PER_ITEM best
#: options by reduced cost (and its option in the plan), so that they can free more bins at once. On the GAP
#: instances a core for one worker of two gave the lowest mean gap of the sizes tried (none, 2 to 5 per item, a
#: core for both workers).
CORE_PER_ITEM = 3

#: Wall-clock share of the time limit that the Lagrangian bound (lagrange.py) of a GAP-like model may take; its
#: steps normally end first, on their own count.
LAGRANGE_SHARE = 0.15

#: Share of the remaining time that phase 1 (placing the most people) may use before phase 2 (scores).
PHASE1_SHARE = 0.5

#: From this many options a lexicographic model is solved in two phases, whose LPs are better conditioned than one
#: mixing the placement weight with scores (at national size the weighted LP's first restricted LP alone outlasted
#: the primary LP several times over). Below it, one search on the weighted sum handles both parts at once, and
#: does better: phase 2 could not start from a proved phase 1.
TWO_PHASE_MIN_OPTIONS = 30_000


@dataclass(frozen=True)
class Progress:
    """What a long solve reports: the stage, a rough fraction done, and the best plan's value so far."""

    stage: str  # "lp", "first plan", "placing", "scoring", "done"
    fraction: float
    objective: float | None = None
    bound: float | None = None
    seconds: float = 0.0


@dataclass
class SolveParams:
    """How to solve; ``None`` takes the policy's setting (or the default for the low-level model)."""

    time_limit: float | None = None
    seed: int | None = None
    workers: int | None = None
    on_progress: Callable[[Progress], None] | None = None
    cancel: threading.Event | None = None
    hint: np.ndarray | None = None  # a plan (option per item) to start from
    #: Same plan for the same seed and worker count: each worker is a single-threaded CP-SAT search with its own
    #: seed and a deterministic time budget, run side by side, and the best plan wins (ties to the first), as long
    #: as the wall clock does not stop a stage first (``ModelSolution.deterministic`` says whether it did).
    #: False runs one multi-threaded CP-SAT search on the wall clock alone.
    deterministic: bool = True
    #: Work-limited: no stage ever looks at the wall clock. The LP runs to its end, the searches stop on their
    #: deterministic budgets (from `time_limit`), so the plan is the same for the same seed and worker count on any
    #: machine, in a time that depends on the machine.
    work_limited: bool = False
    #: ``time.monotonic()`` when the time limit's clock started (before the problem was built, say); `solve`
    #: counts the time since then against `time_limit`. Default: when `solve` is called.
    started: float | None = None
    #: ``time.monotonic()`` by which `solve_model` returns (`solve` sets it to keep time for the reasons and the
    #: check); default: `time_limit` after it is called.
    deadline: float | None = None


@dataclass
class ModelSolution:
    status: Status
    choice: np.ndarray  # option per item, -1 for none
    objective: float
    bound: float  # LP bound: independent of the search
    solver_bound: float
    seconds: float
    lp: LPResult
    stats: dict[str, float] = field(default_factory=dict)
    #: No stage was stopped by the wall clock (and the searches were deterministic): the same seed and worker
    #: count give this plan again, also in work-limited mode with the same time limit.
    deterministic: bool = True

    @property
    def gap(self) -> float:
        return relative_gap(self.bound, self.objective)


def relative_gap(bound: float, objective: float) -> float:
    """``(bound - objective) / |bound|``, never below 0; relative to 1 when ``|bound| < 1`` (a bound near 0, as
    when nothing can be placed, would turn rounding noise into a 100 % gap), and 0 within rounding."""
    if not np.isfinite(bound):
        return float("inf")
    denom = max(abs(bound), 1.0)
    diff = bound - objective
    return 0.0 if diff <= 1e-9 * denom else diff / denom


def _search(
    model: AssignmentModel,
    hint: np.ndarray | None,
    budget: float,
    workers: int,
    seed: int,
    det_budget: float | None,
    cancel: threading.Event | None,
    on_solution: Callable[[float, float], None],
    target: float | None = None,
    proving: bool = False,
    reduced: tuple[float, np.ndarray] | None = None,
    step_charge: float = lns.MIN_STEP_CHARGE,
) -> CpSatOutcome:
    """CP-SAT within `budget` seconds: a portfolio of single-thread searches stopped after deterministic time
    units, then neighbourhood search on models with a few bins (the same plan every time), or one parallel search
    on the wall clock (`det_budget` None). Each neighbourhood step counts at least `step_charge` units."""
    if det_budget is not None and det_budget <= 0.01:
        return CpSatOutcome(None, False, False, float("inf"), False, True)
    if budget <= 0.05:
        return _CLOCK_CUT
    if det_budget is None:
        if _presolve_outlasts(model, budget):
            return _CLOCK_CUT
        return solve_cpsat(model, hint=hint, time_limit=budget, workers=workers, seed=seed, cancel=cancel,
                           on_solution=on_solution, target=target, proving=proving)
    if lns.applicable(model):
        return _search_with_lns(model, hint, budget, workers, seed, det_budget, cancel, on_solution, target,
                                proving=proving, reduced=reduced, step_charge=step_charge)
    if _presolve_outlasts(model, budget):
        return _CLOCK_CUT
    return _portfolio(model, hint, budget, workers, seed, det_budget, cancel, on_solution, target, proving=proving)


#: A search that the clock stopped before it began: no plan, no bound.
_CLOCK_CUT = CpSatOutcome(None, False, False, float("inf"), False, True, clock_cut=True)


def _presolve_outlasts(model: AssignmentModel, budget: float) -> bool:
    """CP-SAT's presolve of the whole model would take more than `budget` seconds (PRESOLVE_SECONDS_PER_ENTRY):
    the search could only return its hint, and some of its presolve steps cannot be interrupted, so that it would
    overrun its time limit by seconds. (Never in work-limited mode, whose budget is infinite.)"""
    return budget < PRESOLVE_SECONDS_PER_ENTRY * (model.A.nnz + model.n_options)


def _portfolio(model: AssignmentModel, hint: np.ndarray | None, budget: float, workers: int, seed: int,
               det_budget: float, cancel: threading.Event | None, on_solution: Callable[[float, float], None],
               target: float | None, *, proving: bool = False) -> CpSatOutcome:
    """Single-thread CP-SAT searches side by side, one seed each, each stopped after `det_budget`.

    The best plan wins, ties to the first. When `proving`, an exact proof halts the searches after the prover
    (their plans cannot win), and stops each one before it once its plan reaches the optimum, which is the plan it
    would end with anyway: so a proof by any search ends the portfolio early and the plan is still the same for
    the same seed. (Only exact proofs: after one within CP-SAT's gap limit, a better plan may still come. Only
    when `proving`: the deterministic time and bound reported then depend on when the searches were halted, and
    the two-phase search, which passes phase 1's deterministic time on to phase 2, does not prove.)
    """
    extra: dict[str, object] = {"max_deterministic_time": det_budget}
    n = max(1, workers)
    # One CP-SAT model for every search: building it is Python work under one lock, and each of 64 workers
    # building its own took longer than a 5 s limit.
    end = time.monotonic() + budget
    built = build_cpsat(model, hint=hint, deadline=end)
    if built is None:
        return CpSatOutcome(None, False, False, float("inf"), False, True, clock_cut=True)
    outcomes: list[CpSatOutcome | None] = [None] * n
    halts = [threading.Event() for _ in range(n)]
    proofs: list[float | None] = [None] * n  # the optimum, as proved by search k
    lock = threading.Lock()

    def proved_after(k: int) -> float | None:
        with lock:
            return next((v for v in proofs[k + 1:] if v is not None), None)

    def run(k: int) -> None:
        out = solve_cpsat(model, hint=hint, time_limit=budget, deadline=end, workers=1, seed=seed + k, cancel=cancel,
                          built=built,
                          on_solution=on_solution if k == 0 else None, parameters=extra, target=target,
                          proved_elsewhere=(lambda: proved_after(k)) if proving else None, halt=halts[k],
                          proving=proving)
        outcomes[k] = out
        if not proving:
            return
        if out.proved_infeasible:
            for h in halts:
                h.set()
        elif out.exact and out.choice is not None:
            with lock:
                proofs[k] = out.objective
            for h in halts[k + 1:]:
                h.set()

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(1, len(outcomes))]
    for t in threads:
        t.start()
    run(0)
    for t in threads:
        t.join()
    done = [o for o in outcomes if o is not None]
    optimum = max((o.objective for o in done if o.exact), default=None) if proving else None
    if optimum is not None:
        # The first plan at the optimum: the prover's, or one before it (whose plan does not depend on when the
        # proof came); a halted search after it may hold any plan.
        best = next(o for o in done if o.choice is not None and o.objective >= optimum - 1e-9)
    else:
        best = done[0]
        best_obj = model.evaluate(best.choice)[0] if best.choice is not None else -np.inf
        for o in done[1:]:
            if o.choice is not None and model.evaluate(o.choice)[0] > best_obj + 1e-9:
                best, best_obj = o, model.evaluate(o.choice)[0]
    return CpSatOutcome(
        choice=best.choice,
        proved_optimal=any(o.proved_optimal for o in done),
        proved_infeasible=any(o.proved_infeasible for o in done),
        bound=min(o.bound for o in done),
        cancelled=any(o.cancelled for o in done),
        timed_out=all(o.timed_out for o in done),
        det_time=max(o.det_time for o in done),
        objective=best.objective,
        exact=optimum is not None,
        clock_cut=any(o.clock_cut for o in done),
    )


def _search_with_lns(model: AssignmentModel, hint: np.ndarray | None, budget: float, workers: int, seed: int,
                     det_budget: float, cancel: threading.Event | None,
                     on_solution: Callable[[float, float], None], target: float | None, *,
                     proving: bool = False, reduced: tuple[float, np.ndarray] | None = None,
                     step_charge: float = lns.MIN_STEP_CHARGE) -> CpSatOutcome:
    """The portfolio on the whole model first (it alone can prove optimality) for part of the budget; without a
    proof, every worker goes on with neighbourhood search (lns.py) from the best plan, in rounds that end on
    deterministic time and then share the best plan, so that the plan is the same for the same seed.

    With the LP's reduced costs (`reduced`: its bound and reduced costs), the neighbourhoods leave out the options
    that no plan better than the best one can use, every other worker keeps to the LP's core (`_core`), and once a
    round ends without a better plan (or once few options are left), the last worker spends the rest of the budget
    on a proof (`_proof`) while the others go on searching."""
    deadline = time.monotonic() + budget
    workers = max(1, workers)
    full_det = min(det_budget, max(FULL_SEARCH_SHARE * det_budget, FULL_SEARCH_MIN_DET))
    if _presolve_outlasts(model, budget):
        out = _CLOCK_CUT  # no time for the whole model: the neighbourhoods (small models) from the hint
    else:
        out = _portfolio(model, hint, budget, workers, seed, full_det, cancel, on_solution, target, proving=proving)
    best = _best_of(model, [out.choice, hint])  # a large model's search may end before its first plan
    if (out.proved_optimal or out.proved_infeasible or out.cancelled or best is None
            or full_det >= det_budget - 0.02):
        return out
    if time.monotonic() > deadline - 0.1:
        return replace(out, clock_cut=True)
    model.columns()  # computed once, before the threads share it
    rounds = _Rounds(model, lns.Plan.of(model, best), workers, seed, deadline, cancel, on_solution, target, reduced,
                     step_charge, used=[out.det_time] * workers)
    clock_cut = rounds.run(det_budget) or out.clock_cut
    return rounds.outcome(out, clock_cut)


class _Rounds:
    """Rounds of neighbourhood search by every worker from the best plan, each ending on deterministic time, then
    the best plan shared (ties to the first worker); the last worker may spend the last round on a proof."""

    def __init__(self, model: AssignmentModel, incumbent: lns.Plan, workers: int, seed: int, deadline: float,
                 cancel: threading.Event | None, on_solution: Callable[[float, float], None], target: float | None,
                 reduced: tuple[float, np.ndarray] | None, step_charge: float, used: list[float]) -> None:
        self.model, self.incumbent, self.workers, self.seed = model, incumbent, workers, seed
        self.deadline, self.cancel, self.on_solution, self.target = deadline, cancel, on_solution, target
        self.reduced, self.step_charge, self.used = reduced, step_charge, used
        self.streams = [lns.Stream(seed=seed * 7919 + 104729 * (w + 1)) for w in range(workers)]
        self.plans: list[lns.Plan] = []
        self.allowed: np.ndarray | None = None
        self.proof: CpSatOutcome | None = None
        self.proved = threading.Event()
        self.core = None if reduced is None else _core(model, reduced[1], CORE_PER_ITEM)

    def stopped(self) -> bool:
        """Cancelled by the user, or a proof made the others pointless."""
        return (self.cancel is not None and self.cancel.is_set()) or self.proved.is_set()

    def _report(self, obj: float) -> None:
        self.on_solution(obj, float("inf"))

    def neighbourhoods(self, w: int, det: float) -> None:
        """Worker `w`'s neighbourhood steps for `det` units (every other worker within the LP's core)."""
        core, allowed = self.core, self.allowed
        mask = allowed if core is None or allowed is None or w % 2 == 0 else allowed & core
        self.used[w] += lns.run(self.model, self.plans[w], self.streams[w], det, self.deadline, stop=self.stopped,
                                step_charge=self.step_charge, on_improve=self._report if w == 0 else None,
                                target=self.target, allowed=mask)

    def prove(self, det: float) -> None:
        """The last worker's proof (`_proof`) for `det` units (counted as neighbourhood units)."""
        assert self.reduced is not None
        out = self.proof = _proof(self.model, self.reduced, self.incumbent, det * PROOF_DET_RATIO, self.deadline,
                                  self.seed + self.workers, self.cancel)
        self.used[-1] += out.det_time / PROOF_DET_RATIO
        if out.exact or out.proved_infeasible:
            # No plan beats the proof's: the other workers stop. (Not after a proof within CP-SAT's gap limit: a
            # better plan may still come, and which one would depend on when they stopped.)
            self.proved.set()

    def run(self, det_budget: float) -> bool:
        """Rounds until the budget, the target, a proof, a cancel or the clock ends them; whether the clock did."""
        stalled = False
        while not self.stopped():
            left = det_budget - max(self.used)
            if left <= 0.02 or (self.target is not None and self.incumbent.objective >= self.target - 1e-9):
                break
            if time.monotonic() >= self.deadline - 0.1:
                return True
            if self.reduced is not None:
                self.allowed = _may_improve(self.reduced, self.incumbent.objective)
            # A proof is in reach only when reduced-cost fixing leaves out a good part of the options (a large
            # part: without waiting for a stalled round).
            allowed = self.allowed
            final = ((stalled and allowed is not None and allowed.mean() <= PROOF_MAX_SHARE)
                     or (allowed is not None and allowed.mean() <= PROOF_EARLY_SHARE)) and self.workers > 1
            det = left if final else min(left, max(LNS_ROUND_DET, left / 4))
            stalled = self._round(det, final)
            if final:
                break
        return False

    def _round(self, det: float, final: bool) -> bool:
        """One round: every worker from the best plan (the last on a proof if `final`); whether it stalled."""
        self.plans = [self.incumbent.copy() for _ in range(self.workers - 1 if final else self.workers)]
        threads = [threading.Thread(target=self.neighbourhoods, args=(w, det), daemon=True)
                   for w in range(1, len(self.plans))]
        if final:
            threads.append(threading.Thread(target=self.prove, args=(det,), daemon=True))
        for t in threads:
            t.start()
        self.neighbourhoods(0, det)
        for t in threads:
            t.join()
        # Every stream keeps its plan complete and never worse (lns.step): the best one, ties to the first.
        start = self.incumbent.objective
        for p in self.plans:
            if p.objective > self.incumbent.objective + 1e-9:
                self.incumbent = p
        self.on_solution(self.incumbent.objective, float("inf"))
        return self.incumbent.objective <= start + 1e-9

    def outcome(self, out: CpSatOutcome, clock_cut: bool) -> CpSatOutcome:
        """The whole search's outcome: the best plan of the rounds or of the proof, and whether it is proved."""
        incumbent, target, got = self.incumbent, self.target, self.proof
        reached = target is not None and incumbent.objective >= target - 1e-9
        if got is not None and got.choice is not None:
            # The proof's plan if better than the neighbourhoods', or if proved the best: theirs can then only tie
            # it, and which of them ties depends on when the proof stopped them.
            found = lns.Plan.of(self.model, got.choice)
            if found.objective > incumbent.objective + 1e-9 or (got.exact and found.objective
                                                                   >= incumbent.objective - 1e-9):
                incumbent = found
        exact = reached or (got is not None and (got.exact or got.proved_infeasible))
        # (A proof halts the other streams by `stopped`, not by the clock: their plans can only tie with it.)
        clock_cut = clock_cut or any(s.clock_cut for s in self.streams) or (got is not None and got.clock_cut)
        return replace(out, choice=incumbent.choice, proved_optimal=exact, timed_out=not exact,
                       cancelled=self.cancel is not None and self.cancel.is_set(), det_time=max(self.used),
                       objective=incumbent.objective, exact=exact, clock_cut=clock_cut)


def _proof(model: AssignmentModel, reduced: tuple[float, np.ndarray], incumbent: lns.Plan, det: float,
           deadline: float, seed: int, cancel: threading.Event | None) -> CpSatOutcome:
    """One CP-SAT search for a plan better than `incumbent` among the options that reduced-cost fixing keeps
    for such plans: each of them is there, so a search that ends without one proves `incumbent` optimal.

    With whole values a better plan is worth at least one more, which fixes more options and turns the search
    into a question of feasibility (``proved_infeasible`` is then the proof). Otherwise the search starts from
    `incumbent` and a proof of the restricted model is a proof overall. The plan, if any, is on `model`."""
    whole = _whole_values(model)
    keep = np.nonzero(_may_improve(reduced, incumbent.objective + (1.0 if whole else 0.0)))[0]
    pos = np.full(model.n_options, -1, dtype=np.int64)
    pos[keep] = np.arange(len(keep))
    cur = incumbent.choice
    hint = None if whole else np.where(cur >= 0, pos[np.maximum(cur, 0)], -1)
    if hint is not None and ((hint < 0) & (cur >= 0)).any():
        hint = None  # an option of the plan was left out (rounding): search without it
    # Linearisation level 2 (cuts in CP-SAT's LP): on the 8 small GAP instances, engine seeds 0-3, 11 proofs of 32
    # against 7, mean gap level (0.153 against 0.151 %). Scaled models had it already (SCALED_PARAMETERS).
    out = solve_cpsat(model.subset(keep), hint=hint, time_limit=max(0.05, deadline - time.monotonic()), workers=1,
                      seed=seed, cancel=cancel, parameters={"max_deterministic_time": det, "linearization_level": 2},
                      proving=True,
                      at_least=incumbent.objective + 1.0 if whole else None)
    choice = None if out.choice is None else np.where(out.choice >= 0, keep[np.maximum(out.choice, 0)], -1)
    return replace(out, choice=choice if _complete(model, choice) else None)


def _core(model: AssignmentModel, reduced_costs: np.ndarray, per_item: int) -> np.ndarray:
    """Mask of each item's `per_item` best options by LP reduced cost (ties to the first)."""
    mask = np.zeros(model.n_options, dtype=bool)
    mask[_best_per_item(model, np.arange(model.n_options), reduced_costs, per_item, np.empty(0, dtype=np.int64))] = True
    return mask


def _best_of(model: AssignmentModel, plans: Sequence[np.ndarray | None]) -> np.ndarray | None:
    """The best complete plan of `plans`, ties to the first."""
    best, best_obj = None, -np.inf
    for p in plans:
        obj = _complete_value(model, p)
        if np.isfinite(obj) and (best is None or obj > best_obj + 1e-9):
            best, best_obj = p, obj
    return best


def _may_improve(reduced: tuple[float, np.ndarray], incumbent: float) -> np.ndarray:
    """Mask of the options that may appear in a plan worth at least `incumbent`, by the LP bound and reduced
    costs `reduced` (see `prune_by_reduced_cost`)."""
    bound, rc = reduced
    tol = 1e-7 * max(1.0, abs(bound))
    return bound + np.minimum(rc, 0.0) >= incumbent - tol


def prune_by_reduced_cost(model: AssignmentModel, lp: LPResult, incumbent: float) -> np.ndarray:
    """Options that may still appear in a plan better than `incumbent`.

    Taking an option whose LP reduced cost is ``rc`` bounds any plan that uses it by ``lp.bound + rc``; when that
    is below the incumbent, no improving plan uses it (exact reduced-cost fixing), so it need not be searched.
    """
    if not lp.ok or not np.isfinite(incumbent):
        return np.arange(model.n_options)
    return np.nonzero(_may_improve((lp.bound, lp.reduced_costs), incumbent))[0]


def _best_per_item(model: AssignmentModel, keep: np.ndarray, score: np.ndarray, k: int,
                   hint: np.ndarray) -> np.ndarray:
    """Of the options `keep`, the `k` best of each item by `score`, and the hint's options."""
    order = keep[np.lexsort((-score[keep], model.opt_item[keep]))]
    items = model.opt_item[order]
    first = np.searchsorted(items, items)
    chosen = order[np.arange(len(order)) - first < k]
    return np.union1d(chosen, hint[hint >= 0])


def _search_pruned(model: AssignmentModel, lp: LPResult | None, hint: np.ndarray, budget: float, workers: int,
                   seed: int, det_budget: float | None, cancel: threading.Event | None,
                   on_solution: Callable[[float, float], None], stats: dict[str, float], tag: str,
                   target: float | None = None, proving: bool = False,
                   step_charge: float = lns.MIN_STEP_CHARGE) -> CpSatOutcome:
    """CP-SAT on the options that reduced-cost fixing keeps, with the plan mapped back to the full model.

    A model still too large after the pruning is searched in the LP's neighbourhood only.
    """
    deadline = time.monotonic() + budget  # pruning and slicing a national-size model take seconds of it
    incumbent = _complete_value(model, hint)
    keep = prune_by_reduced_cost(model, lp, incumbent) if lp is not None else np.arange(model.n_options)
    stats[f"{tag}_options"] = float(model.n_options)
    restricted = False
    if lp is not None and len(keep) > NEIGHBOURHOOD_MIN_OPTIONS:
        # Too many options for CP-SAT in the time: search the neighbourhood of the LP instead, the few options of
        # each item with the best reduced costs (best values without an LP) plus the hint's. A proof there is no
        # proof overall.
        keep = _best_per_item(model, keep, lp.reduced_costs if lp.ok else model.opt_value, NEIGHBOURHOOD_PER_ITEM,
                              hint)
        restricted = True
    stats[f"{tag}_options_kept"] = float(len(keep))
    reduced = (lp.bound, lp.reduced_costs) if lp is not None and lp.ok and not restricted else None
    if len(keep) == model.n_options:
        return _search(model, hint, deadline - time.monotonic(), workers, seed, det_budget, cancel, on_solution,
                       target, proving, reduced, step_charge)
    position = np.full(model.n_options, -1, dtype=np.int64)
    position[keep] = np.arange(len(keep))
    sub_hint = np.where(hint >= 0, position[np.maximum(hint, 0)], -1)
    sub = model.subset(keep)
    out = _search(sub, sub_hint, deadline - time.monotonic(), workers, seed, det_budget, cancel, on_solution,
                  target, proving and not restricted, None if reduced is None else (reduced[0], reduced[1][keep]),
                  step_charge)
    choice = None
    if out.choice is not None:  # (no option kept: the plan places no item)
        choice = np.where(out.choice >= 0, keep[np.maximum(out.choice, 0)], -1) if len(keep) else out.choice
    # A proof on the kept options is a proof overall only if it beats the incumbent the pruning relied on.
    value = -np.inf
    if choice is not None and (out.proved_optimal or target is not None):  # a pass over A at national size
        value = model.evaluate(choice)[0]
    # Reaching the target (an upper bound of the whole model) proves optimality even in a neighbourhood.
    reached = target is not None and value >= target - 1e-9
    proved = out.proved_optimal and value >= incumbent - 1e-9 and (not restricted or reached)
    infeasible = out.proved_infeasible and not restricted and not np.isfinite(incumbent)
    return replace(out, choice=choice, proved_optimal=proved, proved_infeasible=infeasible)


def _full_rows(model: AssignmentModel, hard_model: AssignmentModel, hard_prices: np.ndarray) -> np.ndarray:
    """Prices of the hard rows of `model` (as solved in its hard part) spread back over all its rows."""
    out = np.zeros(model.n_rows)
    out[~np.isfinite(model.penalty)] = hard_prices
    return out


def _complete(model: AssignmentModel, choice: np.ndarray | None) -> bool:
    return np.isfinite(_complete_value(model, choice))


def _complete_value(model: AssignmentModel, choice: np.ndarray | None) -> float:
    """The value of a plan that places every must-place item within every hard row, else -inf (one pass over
    the model's rows: at national size each pass takes a tenth of a second)."""
    if choice is None or (model.must_place & (choice < 0)).any():
        return -np.inf
    obj, excess = model.evaluate(choice)
    return obj if not ((excess > 1e-6) & ~np.isfinite(model.penalty)).any() else -np.inf


@dataclass
class _Search:
    """The state of one `solve_model` call, shared by its stages: the clock, the stages the clock cut, the
    statistics, the best complete plan so far and the bound."""

    model: AssignmentModel
    params: SolveParams
    time_limit: float
    seed: int
    workers: int
    t0: float  # time.monotonic() at the start
    span: float  # seconds from the start to the deadline of every stage (infinite in work-limited mode)
    search_end: float  # the searches end here, leaving time to map the plan back and value it
    lp_work: float | None  # work-limited: each LP's budget of GLOP's units, in place of its share of the clock
    report: Callable[[Progress], None]
    cuts: list[str] = field(default_factory=list)  # the stages that the wall clock stopped before their own end
    stats: dict[str, float] = field(default_factory=dict)
    best: np.ndarray | None = None
    best_obj: float = -np.inf
    lp_bound: float = np.inf
    #: The phase-1 model of a two-phase solve, dropped once phase 1 is done: at national size its hard rows alone
    #: take 0.5 GB.
    phase1: AssignmentModel | None = None

    @classmethod
    def start(cls, model: AssignmentModel, params: SolveParams, time_limit: float, seed: int,
              workers: int) -> _Search:
        """The state at the start: one deadline for every stage; none in work-limited mode, where the
        deterministic budgets alone stop the searches and the LP runs to its end."""
        t0 = time.monotonic()
        end = np.inf if params.work_limited else (params.deadline if params.deadline is not None else t0 + time_limit)
        span = max(0.0, end - t0)
        return cls(model=model, params=params, time_limit=time_limit, seed=seed, workers=workers, t0=t0, span=span,
                   search_end=end - min(WRAP_UP_MAX, WRAP_UP_SHARE * span),
                   lp_work=LP_SHARE * time_limit * LP_WORK_PER_SECOND if params.work_limited else None,
                   report=params.on_progress or (lambda p: None))

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.t0

    def left(self) -> float:
        """Seconds left for the searches."""
        return self.search_end - time.monotonic()

    def take(self, choice: np.ndarray | None) -> None:
        """Keep `choice` as the best plan if it is complete and better."""
        obj = _complete_value(self.model, choice)
        if not np.isfinite(obj):
            return
        if self.best is None or obj > self.best_obj + 1e-9:
            self.best, self.best_obj = choice, obj

    def on_solution_for(self, stage: str, to_full: Callable[[float], float]) -> Callable[[float, float], None]:
        """A search's callback: report its plans' values (on the full model's scale, by `to_full`)."""
        def cb(obj: float, bnd: float) -> None:
            frac = 0.12 + 0.88 * min(1.0, self.elapsed() / max(self.time_limit, 1e-9))
            self.report(Progress(stage, frac, objective=to_full(obj), bound=self.lp_bound, seconds=self.elapsed()))
        return cb


@dataclass
class _Ending:
    """How the searches ended."""

    infeasible: bool = False
    cancelled: bool = False
    proved: bool = False
    solver_bound: float = np.inf


def solve_model(
    model: AssignmentModel,
    params: SolveParams | None = None,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    workers: int = 2,
) -> ModelSolution:
    """LP bound, LP-guided first plan, then CP-SAT from that hint within the time limit.

    A lexicographic model (``opt_primary`` set) is solved in two phases: first the most people placed, proved
    when the search can, then the best scores among plans that place as many.

    The stages: an early plan on large models (:func:`_early_plan`), the LP (:func:`_root_lp`) and the bound
    (:func:`_bound_and_prices`), the first plan (:func:`_first_plan`), then the searches (:func:`_two_phases` or
    :func:`_one_search`) within their budgets (:func:`_budgets`), and the solution (:func:`_solution`).
    """
    params = params or SolveParams()
    s = _Search.start(model, params, params.time_limit if params.time_limit is not None else time_limit,
                      params.seed if params.seed is not None else seed,
                      params.workers if params.workers is not None else workers)
    early, early_obj, early_seconds = _early_plan(s)
    s.report(Progress("lp", 0.02, seconds=s.elapsed()))
    lexicographic = model.opt_primary is not None and model.n_options >= TWO_PHASE_MIN_OPTIONS
    # A plan already made (the early plan, else the caller's hint) seeds the column generation of a large LP.
    lp = _root_lp(s, lexicographic, early if early is not None else params.hint)
    s.stats["lp_seconds"] = s.elapsed()  # from the start (after the early plan, if any)
    if early is not None:
        s.stats["early_plan_seconds"] = early_seconds
        s.stats["early_plan_objective"] = early_obj
    if lp.infeasible:
        return ModelSolution(Status.INFEASIBLE, np.full(model.n_items, -1), float("nan"), float("inf"),
                             float("inf"), s.elapsed(), lp, s.stats, deterministic=not s.cuts)
    primary_cap, prices = _bound_and_prices(s, lp, lexicographic)
    s.report(Progress("first plan", 0.08, bound=s.lp_bound, seconds=s.elapsed()))
    first = _first_plan(s, lp, prices, early, early_obj)
    det_total, step_charge = _budgets(s, lexicographic)
    ending = _Ending(cancelled=params.cancel is not None and params.cancel.is_set(), solver_bound=s.lp_bound)
    in_time = s.left() > 0.05
    if not ending.cancelled and model.n_options and not in_time:
        s.cuts.append("search")  # no time left for any search: the first plan is the answer
    if not ending.cancelled and model.n_options and in_time:
        if lexicographic:
            ending = _two_phases(s, lp, first, primary_cap, det_total, step_charge)
        else:
            ending = _one_search(s, lp, first, det_total, step_charge)
    elif model.n_options == 0 and s.best is not None:
        ending.proved = True
    s.stats["search_seconds"] = s.elapsed() - s.stats["lp_seconds"] - s.stats["first_plan_seconds"]
    return _solution(s, lp, ending)


def _early_plan(s: _Search) -> tuple[np.ndarray | None, float, float]:
    """A large LP takes a while: on a model of many options, a plan (by value, within every hard row) before
    it. Returns the plan (None on smaller models), its value if complete (else -inf) and the seconds taken."""
    if s.model.n_options < EARLY_PLAN_MIN_OPTIONS:
        return None, -np.inf, 0.0
    s.report(Progress("first plan", 0.01, seconds=s.elapsed()))
    early = greedy_plan(s.model, None, None, s.params.hint, deadline=s.search_end)
    if time.monotonic() >= s.search_end:
        s.cuts.append("first plan")
    early_seconds = s.elapsed()
    early_obj = _complete_value(s.model, early)  # checked once: each check is a pass over A at national size
    if np.isfinite(early_obj):
        s.report(Progress("first plan", 0.02, objective=early_obj, seconds=s.elapsed()))
    return early, early_obj, early_seconds


def _root_lp(s: _Search, lexicographic: bool, seed_plan: np.ndarray | None) -> LPResult:
    """The LP relaxation of the model, or of its phase-1 model (kept in ``s.phase1``) when solved in two phases:
    a lexicographic model needs no LP of its weighted sum, the LP of each phase bounds it, and those are better
    conditioned than one LP mixing the placement weight with scores."""
    m1 = s.model.primary_model() if lexicographic else s.model
    s.phase1 = m1 if lexicographic else None
    if s.left() > LP_MIN_SECONDS:
        lp = solve_lp(m1, time_limit=min(s.left(), max(LP_MIN_SECONDS, LP_SHARE * s.span)), start=seed_plan,
                      work=s.lp_work)
    else:
        lp = no_lp(m1)  # no time left for an LP: the bound of every item's best option, one pass
    if lp.clock_cut:
        s.cuts.append("lp")
    return lp


def _bound_and_prices(s: _Search, lp: LPResult, lexicographic: bool) -> tuple[float, np.ndarray | None]:
    """Set the bound ``s.lp_bound`` from the LP; return the cap on the primary value (infinite unless solved in
    two phases) and the rows' prices that guide the first plan (None without an LP solution)."""
    model = s.model
    primary_cap = np.inf
    if lexicographic:
        assert s.phase1 is not None
        primary_cap, s.lp_bound = _lexicographic_bound(model, s.phase1, lp)
        prices = lp.row_duals * model.primary_weight if lp.ok else None
        return primary_cap, None if prices is None else _full_rows(model, s.phase1, prices)
    s.lp_bound = lp.bound  # without an LP solution, a looser valid bound (or infinity)
    prices = lp.row_duals if lp.ok else None
    if model.opt_primary is not None and s.left() > LP_MIN_SECONDS:
        # A lexicographic model solved in one search: the bound of its two phases may be tighter (it knows the
        # number of people placed is a whole number). Only the bound depends on this LP, not the plan: a cut
        # here is not a cut of the search.
        p1 = model.primary_model()
        lp1 = solve_lp(p1, time_limit=max(0.1, LP_SHARE * s.left()), work=s.lp_work)
        s.lp_bound = min(s.lp_bound, _lexicographic_bound(model, p1, lp1)[1])
    return primary_cap, prices


def _first_plan(s: _Search, lp: LPResult, prices: np.ndarray | None, early: np.ndarray | None,
                early_obj: float) -> np.ndarray:
    """The LP-guided greedy plan (or the early plan, if better or if there is no LP solution); it becomes the
    best plan if complete. Returns it, complete or not: the searches start from it."""
    model = s.model
    if early is None or lp.ok:
        first = greedy_plan(model, lp.x if lp.ok else None, prices, s.params.hint, deadline=s.search_end)
        if time.monotonic() >= s.search_end:
            s.cuts.append("first plan")
    else:
        first = early
    best_obj = early_obj if first is early else _complete_value(model, first)
    if early is not None and first is not early and np.isfinite(early_obj) and early_obj > best_obj:
        first, best_obj = early, early_obj
    s.stats["first_plan_seconds"] = s.elapsed() - s.stats["lp_seconds"]
    best: np.ndarray | None = first if np.isfinite(best_obj) else None
    if best is not None and "first plan" in s.cuts and not (best >= 0).any() and model.n_options:
        best = None  # the clock stopped the first plan before it placed anything: no plan in time
    s.best, s.best_obj = best, best_obj
    s.stats["first_plan_objective"] = best_obj
    s.report(Progress("first plan", 0.12, objective=best_obj if best is not None else None, bound=s.lp_bound,
                      seconds=s.elapsed()))
    return first


def _budgets(s: _Search, lexicographic: bool) -> tuple[float | None, float]:
    """The searches' deterministic budget (None: on the wall clock alone) and the least charge of a
    neighbourhood step.

    Deterministic budgets come from the nominal time limit, never from the time left on the clock, so that the
    same seed gives the same plan however fast the machine runs (as long as the wall clock is not hit)."""
    params = s.params
    rate = TWO_PHASE_DET_PER_SECOND if lexicographic else DET_PER_SECOND
    if params.work_limited and not _whole_values(s.model):
        # No clock to stop the searches: CP-SAT's units at their own pace on placement models.
        rate = WORK_TWO_PHASE_DET_PER_SECOND if lexicographic else WORK_SCALED_DET_PER_SECOND
    det_total = s.time_limit * rate if params.deterministic or params.work_limited else None
    # Work-limited, a neighbourhood step counts as the whole budget it may use: CP-SAT's deterministic time
    # leaves out part of a small step's work (on the 200-family sample, steps that counted 0.06 units took a
    # second each), so that counting it alone made a 3 s budget run for a minute.
    step_charge = lns.STEP_DET if params.work_limited else lns.MIN_STEP_CHARGE
    if det_total is None:
        s.cuts.append("search on the wall clock")
    return det_total, step_charge


@dataclass
class _Phase1:
    """Where phase 1 (the most people placed) ended."""

    start: np.ndarray  # the plan phase 2 starts from
    placed: float  # its primary value
    proved: bool  # no plan places more
    det_left: float | None  # the deterministic budget left for phase 2
    infeasible: bool = False
    cancelled: bool = False


def _two_phases(s: _Search, lp: LPResult, first: np.ndarray, primary_cap: float, det_total: float | None,
                step_charge: float) -> _Ending:
    """Phase 1 (:func:`_phase1`), then phase 2: the best scores among plans placing as many. When phase 1 could
    not prove that no plan places more, phase 2 keeps the placement weight in its objective so that it can still
    place more."""
    model = s.model
    ending = _Ending(solver_bound=s.lp_bound)
    p1 = _phase1(s, lp, first, primary_cap, det_total, step_charge)
    ending.infeasible, ending.cancelled = p1.infeasible, p1.cancelled
    if p1.infeasible:
        return ending
    s.take(p1.start)
    m2 = model.secondary_model(p1.placed)
    offset = model.primary_weight * p1.placed
    if not p1.proved:
        m2 = replace(m2, opt_value=model.opt_value)
        offset = 0.0
    if not ending.cancelled and s.left() <= 0.2:
        s.cuts.append("phase 2")
    if ending.cancelled or s.left() <= 0.2:
        return ending
    lp2 = solve_lp(m2, time_limit=max(0.1, LP_SHARE * s.left()), start=p1.start, work=s.lp_work)
    if lp2.clock_cut:
        s.cuts.append("phase 2 lp")
    if np.isfinite(lp2.bound):
        # Valid for the best plan, which places at least p1.placed: no plan places more than primary_cap, and
        # the placement weight outweighs any difference in scores.
        s.lp_bound = min(s.lp_bound, lp2.bound + (model.primary_weight * primary_cap if p1.proved else 0.0))
    out2 = _search_pruned(m2, lp2, p1.start, s.left(), s.workers, s.seed, p1.det_left, s.params.cancel,
                          s.on_solution_for("scoring", lambda v: v + offset), s.stats, "phase2",
                          step_charge=step_charge)
    if out2.clock_cut:
        s.cuts.append("phase 2")
    ending.cancelled = out2.cancelled
    s.take(out2.choice)
    # Either way a proof on phase 2 is a proof overall (see the phase-2 model above).
    ending.proved = out2.proved_optimal
    ending.solver_bound = s.best_obj if ending.proved else min(s.lp_bound, out2.bound + offset)
    return ending


def _phase1(s: _Search, lp: LPResult, first: np.ndarray, primary_cap: float, det_total: float | None,
            step_charge: float) -> _Phase1:
    """Phase 1: the most people placed (weighted by priority), within the hard rules, from the best plan (or the
    first), unless it already reaches the LP's cap. The phase-1 model is dropped at the end."""
    m1, model = s.phase1, s.model
    assert m1 is not None
    start = s.best if s.best is not None else first
    p1 = _Phase1(start=start, placed=float(m1.opt_value[start[start >= 0]].sum()), proved=False, det_left=det_total)
    p1.proved = p1.placed >= primary_cap
    if not p1.proved:
        out1 = _search_pruned(m1, lp, start, s.left() * PHASE1_SHARE, s.workers, s.seed,
                              None if det_total is None else PHASE1_SHARE * det_total, s.params.cancel,
                              s.on_solution_for("placing", lambda v: v * model.primary_weight), s.stats, "phase1",
                              target=primary_cap if np.isfinite(primary_cap) else None, step_charge=step_charge)
        if out1.clock_cut:
            s.cuts.append("phase 1")
        p1.infeasible, p1.cancelled = out1.proved_infeasible, out1.cancelled
        if _complete(m1, out1.choice):
            assert out1.choice is not None
            v1 = float(m1.opt_value[out1.choice[out1.choice >= 0]].sum())
            if v1 > p1.placed:
                p1.start, p1.placed = out1.choice, v1
        p1.proved = out1.proved_optimal or p1.placed >= primary_cap
        p1.det_left = None if det_total is None else det_total - out1.det_time
    s.stats["phase1_seconds"] = s.elapsed() - s.stats["lp_seconds"] - s.stats["first_plan_seconds"]
    s.stats["placed_value"] = p1.placed
    s.stats["placed_value_proved"] = float(p1.proved)
    s.phase1 = None  # phase 2 needs it no more
    return p1


def _one_search(s: _Search, lp: LPResult, first: np.ndarray, det_total: float | None,
                step_charge: float) -> _Ending:
    """One search on the whole model (its lexicographic objective as the weighted sum), pruned by the LP's
    reduced costs (tightened by a Lagrangian bound on GAP-like models), unless the best plan reaches the bound."""
    model = s.model
    ending = _Ending(solver_bound=s.lp_bound)
    fixing = lp
    if lp.ok:
        fixing, s.lp_bound = _lagrangian(model, lp, s.best_obj, s.lp_bound, min(s.left(), LAGRANGE_SHARE * s.span),
                                         s.stats)
        if s.stats.get("lagrangian_clock_cut"):
            s.cuts.append("lagrangian")
    target = _round_down(s.lp_bound) if _whole_values(model) and np.isfinite(s.lp_bound) else None
    if s.best is not None and target is not None and s.best_obj >= target - 1e-9:
        ending.proved = True  # the first plan reaches the bound
        return ending
    out = _search_pruned(model, fixing, s.best if s.best is not None else first, s.left(), s.workers, s.seed,
                         det_total, s.params.cancel, s.on_solution_for("improving", lambda v: v), s.stats, "search",
                         target=target, proving=True, step_charge=step_charge)
    if out.clock_cut:
        s.cuts.append("search")
    s.take(out.choice)
    ending.infeasible, ending.cancelled, ending.proved = out.proved_infeasible, out.cancelled, out.proved_optimal
    ending.solver_bound = min(s.lp_bound, out.bound)
    return ending


def _solution(s: _Search, lp: LPResult, ending: _Ending) -> ModelSolution:
    """The status, plan, value and bounds, and whether the same seed gives this plan again."""
    solver_bound = ending.solver_bound
    if ending.infeasible:
        status = Status.INFEASIBLE
    elif ending.cancelled:
        status = Status.CANCELLED
    elif s.best is None:
        status = Status.TIMEOUT
    elif ending.proved:
        status = Status.OPTIMAL
        solver_bound = s.best_obj
    else:
        status = Status.FEASIBLE
    choice = s.best if s.best is not None else np.full(s.model.n_items, -1, dtype=np.int64)
    objective = float(s.best_obj) if s.best is not None else float("nan")
    s.report(Progress("done", 1.0, objective=objective, bound=s.lp_bound, seconds=s.elapsed()))
    # A cancelled run's plan depends on when the user stopped it; a proof that the plan is optimal does not make
    # it deterministic (another run may prove another optimal plan).
    deterministic = not s.cuts and not ending.cancelled
    s.stats["clock_cut"] = float(bool(s.cuts))
    return ModelSolution(status, choice, objective, s.lp_bound, float(solver_bound), s.elapsed(), lp, s.stats,
                         deterministic=deterministic)


def _lagrangian(model: AssignmentModel, lp: LPResult, incumbent: float, lp_bound: float, time_limit: float,
                stats: dict[str, float]) -> tuple[LPResult, float]:
    """For a model of knapsack rows (the GAP), the Lagrangian bound from the LP's item duals (lagrange.py): the LP
    to prune by, with that bound and each option's tighter reduced cost, and the model's bound. Else `lp` as is."""
    ks = lagrange.knapsacks(model)
    if ks is None:
        return lp, lp_bound
    lag = lagrange.relax(model, ks, lp.item_duals, incumbent, time_limit)
    stats["lagrangian_seconds"] = lag.seconds
    stats["lagrangian_steps"] = float(lag.steps)
    stats["lagrangian_bound"] = lag.bound
    stats["lagrangian_clock_cut"] = float(lag.clock_cut)
    if not lag.bound < lp.bound:
        return lp, lp_bound
    # Both bound a plan using an option: keep the tighter of the two, each against the Lagrangian bound.
    rc = np.minimum(lag.reduced_costs, lp.bound + np.minimum(lp.reduced_costs, 0.0) - lag.bound)
    return replace(lp, bound=lag.bound, reduced_costs=rc), min(lp_bound, lag.bound)


def _lexicographic_bound(model: AssignmentModel, m1: AssignmentModel, lp1: LPResult) -> tuple[float, float]:
    """The most primary value a plan can have (``lp1`` is the LP of the primary model `m1`, rounded down when
    primary values are whole), and the bound it gives the weighted model: that many times the placement weight,
    plus every item's best secondary value (soft penalties only lower a plan's value)."""
    whole = np.isfinite(lp1.bound) and _integral(m1.opt_value)
    cap = _round_down(lp1.bound) if whole else lp1.bound
    secondary = model.opt_value - model.primary_weight * m1.opt_value
    top = np.zeros(model.n_items)
    np.maximum.at(top, model.opt_item, secondary)
    return cap, model.primary_weight * cap + float(top.sum())


def _round_down(bound: float) -> float:
    """The whole number at or below `bound`, with a tolerance relative to it (an LP solved to ~1e-9 may sit just
    below a whole number)."""
    return float(np.floor(bound + 1e-6 * max(1.0, abs(bound))))


def _whole_values(model: AssignmentModel) -> bool:
    """Every plan's value is a whole number: whole option values and no soft rows."""
    return _integral(model.opt_value) and not np.isfinite(model.penalty).any()


def _integral(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values - np.round(values)) < 1e-9))
