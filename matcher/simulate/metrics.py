"""Metrics of one policy's year: who is placed, how well, which needs stay unmet, how capacity is used.

Each metric is computed from the records and the final plan (case -> commune), not from a policy's own
bookkeeping, so that every policy is measured the same way.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from matcher.models import Case, Locality, PublicTransport
from matcher.problem import Problem

#: Column order of metrics.csv after `policy` and `replication`; `seconds` is the only column that depends on
#: the machine, every other one is identical for the same seeds whichever executor ran it.
METRICS: tuple[str, ...] = (
    "families", "families_placed", "placed_share", "persons", "persons_placed", "persons_share",
    "mean_score", "score_p10", "score_employment", "score_language", "score_mobility", "score_ties",
    "score_preferences", "unmet_needs", "unmet_french_class", "unmet_jobs", "unmet_mobility",
    "capacity_use", "capacity_gini", "worst_group_placed_share", "expected_employed", "employed_drawn",
    "expected_employment_rate", "seen_outcome_auc", "seconds",
)

#: What each metric means, for the summary and the app.
DESCRIPTIONS: dict[str, str] = {
    "families": "families arriving in the year",
    "families_placed": "families placed by the end of the year",
    "placed_share": "share of families placed",
    "persons": "persons arriving in the year",
    "persons_placed": "persons placed",
    "persons_share": "share of persons placed",
    "mean_score": "mean score (0-1) of placed families",
    "score_p10": "10th percentile of placed families' scores",
    "score_employment": "mean employment component of placed families",
    "score_language": "mean language component",
    "score_mobility": "mean mobility component",
    "score_ties": "mean family-ties component",
    "score_preferences": "mean preferences component",
    "unmet_needs": "persons with an unmet need where placed (sum of the three below)",
    "unmet_french_class": "adults below B1 beyond the French class seats",
    "unmet_jobs": "working-age adults with a trade and no vacancy for it (or no licence it needs)",
    "unmet_mobility": "persons of families with no licence in a commune without public transport",
    "capacity_use": "persons placed over persons agreed, all communes",
    "capacity_gini": "Gini index of the use of each commune's agreed places (0 = even)",
    "worst_group_placed_share": "placed share of the worst-off first-language group (5+ families)",
    "expected_employed": "families with an adult in work at 12 months, expected under the lab's true outcome model",
    "employed_drawn": "the same, drawn once (the same draws for every policy of a replication)",
    "expected_employment_rate": "expected share in work among placed families with a working-age adult",
    "seen_outcome_auc": "AUC of the outcomes the policy saw, on outcomes drawn for every pair (blank: saw none)",
    "seconds": "wall-clock seconds the policy took for the year",
}


def gini(values: np.ndarray) -> float:
    """Gini index of non-negative values: 0 when all equal, towards 1 when one holds everything."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1).dot(x) / (n * x.sum()))


def _unmet(placed: list[Case], loc: Locality) -> tuple[int, int, int]:
    french = sum(c.french_class_need for c in placed)
    un_french = max(0, french - loc.french_class_seats) if loc.french_class_seats is not None else 0
    jobs = {j.sector: j for j in loc.jobs if j.vacancies > 0}
    un_jobs = 0
    by_sector: dict[str, list[bool]] = defaultdict(list)
    for c in placed:
        for m in c.working_age_adults:
            if m.sector:
                by_sector[m.sector].append(m.driving_licence)
    for sector, licences in by_sector.items():
        job = jobs.get(sector)
        eligible = 0 if job is None else sum(1 for lic in licences if lic or not job.requires_licence)
        un_jobs += len(licences) - (min(eligible, job.vacancies) if job else 0)
    un_mob = 0
    if loc.public_transport is PublicTransport.NONE:
        un_mob = sum(c.persons for c in placed if c.licensed_adults == 0)
    return un_french, un_jobs, un_mob


def plan_metrics(problem: Problem, plan: dict[str, str]) -> dict[str, float]:
    """Every metric of METRICS but `seconds`, for a plan of the year's families."""
    cases, locs = problem.cases, problem.localities
    L = len(locs)
    persons = np.array([c.persons for c in cases])
    idx = np.array([problem.case_index[cid] for cid in plan], dtype=np.int64)
    lix = np.array([problem.loc_index[lid] for lid in plan.values()], dtype=np.int64)
    out: dict[str, float] = {
        "families": len(cases),
        "families_placed": len(idx),
        "placed_share": len(idx) / max(1, len(cases)),
        "persons": int(persons.sum()),
        "persons_placed": int(persons[idx].sum()),
        "persons_share": float(persons[idx].sum() / max(1, persons.sum())),
    }
    score = problem.pair_score.lookup(idx, lix, L, default=0.0)
    out["mean_score"] = float(score.mean()) if len(idx) else 0.0
    out["score_p10"] = float(np.percentile(score, 10)) if len(idx) else 0.0
    comps = problem.components_at(idx, lix)
    for name in ("employment", "language", "mobility", "ties", "preferences"):
        vals = comps.get(name, np.zeros(len(idx)))
        out[f"score_{name}"] = float(vals.mean()) if len(idx) else 0.0
    by_loc: dict[int, list[Case]] = defaultdict(list)
    for c, lo in zip(idx, lix, strict=True):
        by_loc[int(lo)].append(cases[c])
    unmet = np.zeros(3, dtype=np.int64)
    for lo, placed in by_loc.items():
        unmet += np.array(_unmet(placed, locs[lo]))
    out["unmet_french_class"], out["unmet_jobs"], out["unmet_mobility"] = (int(x) for x in unmet)
    out["unmet_needs"] = int(unmet.sum())
    used = np.bincount(lix, weights=persons[idx], minlength=L)
    agreed = np.array([lo.max_persons if lo.max_persons is not None else np.nan for lo in locs], dtype=float)
    ok = np.isfinite(agreed) & (agreed > 0)
    out["capacity_use"] = float(used[ok].sum() / agreed[ok].sum()) if ok.any() else 0.0
    out["capacity_gini"] = gini(used[ok] / agreed[ok]) if ok.any() else 0.0
    first = problem.case_arrays.first_language
    groups: dict[str, list[bool]] = defaultdict(list)
    for c, case in enumerate(cases):
        groups[first[c]].append(case.case_id in plan)
    shares = [float(np.mean(v)) for v in groups.values() if len(v) >= 5]
    out["worst_group_placed_share"] = min(shares) if shares else float(out["placed_share"])
    return out
