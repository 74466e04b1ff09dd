"""``python -m benchmarks gap|placement|resolve|profile|timelimits ...``: see benchmarks/README.md."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.peers import PEERS


def _solvers(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    bad = [n for n in names if n not in PEERS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown solver(s) {', '.join(bad)}; choose from {', '.join(PEERS)}")
    return names


def _common(p: argparse.ArgumentParser, time_limit: float) -> None:
    p.add_argument("--time-limit", type=float, default=time_limit, help="wall-clock seconds per run (default "
                   f"{time_limit:g}), including reading and model building")
    p.add_argument("--solvers", type=_solvers, default=list(PEERS), help="comma-separated: " + ",".join(PEERS))
    p.add_argument("--workers", type=int, default=2, help="threads every solver may use (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", dest="json_out", type=Path, help="write one JSON object per (instance, solver)")
    p.add_argument("--markdown", type=Path, help="also write the table and a summary as markdown")
    p.add_argument("--quiet", action="store_true", help="print only the final table")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("gap", help="OR-Library GAP files, every solver on each")
    g.add_argument("files", nargs="+", type=Path, help="GAP files or folders of them, as given or relative to the "
                   "data folder (cattrysse1994, chu1997/a05100)")
    g.add_argument("--sense", choices=["min", "max", "both"], default="min",
                   help="min (default, as best_known.csv), max (the original sense of gap1..gap12), or both")
    g.add_argument("--data", type=Path, default=None, help="the GAP data folder, with best_known.csv and the "
                   "instance sets (default: $MATCHER_GAP_DATA)")
    _common(g, 10.0)

    pl = sub.add_parser("placement", help="seeded synthetic placement instances, every solver on the same model")
    pl.add_argument("--tier", choices=["S", "M", "L", "national"], action="append", required=True,
                    help="S 500x21, M 2500x100, L 10000x1000, national 12 monthly batches of a year (repeatable)")
    pl.add_argument("--instance-seeds", type=int, nargs="+", default=None,
                    help="data seeds (default: --seed); one instance per seed")
    pl.add_argument("--reference-limit", type=float, default=900.0,
                    help="seconds for the reference LP bound (HiGHS interior point; default 900)")
    _common(pl, 30.0)

    rs = sub.add_parser("resolve", help="re-solve after pins: time, objective and stability against a fresh solve")
    rs.add_argument("--tier", choices=["S", "M", "L"], default="M")
    rs.add_argument("--pins", type=int, default=10)
    rs.add_argument("--first-limit", type=float, default=30.0, help="time limit of the first and fresh solves")
    _common(rs, 3.0)

    pr = sub.add_parser("profile", help="where the engine spends its time on a placement tier")
    pr.add_argument("--tier", choices=["S", "M", "L"], default="M")
    _common(pr, 30.0)

    tl = sub.add_parser("timelimits", help="`matcher match` in a fresh process at 2,000 to 100,000 families against "
                        "--time-limit (wall clock, peak memory, placed, gap), and the same seed run again and again")
    tl.add_argument("--sizes", type=int, nargs="+", default=[2_000, 6_000, 33_334, 100_000], help="families")
    tl.add_argument("--limits", type=float, nargs="+", default=[10.0, 30.0], help="--time-limit values")
    tl.add_argument("--workers", type=int, default=2)
    tl.add_argument("--seed", type=int, default=0)
    tl.add_argument("--many-workers", type=float, nargs=3, default=[64, 5, 2_000],
                    metavar=("WORKERS", "LIMIT", "FAMILIES"), help="one more run with many workers (default 64 5 2000)")
    tl.add_argument("--repeat", type=int, default=8, help="runs of the same seed, clock and work-limited (0: none)")
    tl.add_argument("--repeat-limit", type=float, default=3.0)
    tl.add_argument("--repeat-families", type=int, default=200, help="the sample data's size")
    tl.add_argument("--before", type=Path, default=None, help="an older source tree to run in turn, on the same "
                    "instances (e.g. `git worktree add --detach ../before main`)")
    tl.add_argument("--data", type=Path, default=Path("benchmarks/data"), help="where the generated instances "
                    "are kept (default benchmarks/data, not committed)")
    tl.add_argument("--kill-after", type=float, default=300.0, help="seconds after reading the inputs before a run "
                    "is killed (default 300)")
    tl.add_argument("--json", dest="json_out", type=Path)
    tl.add_argument("--markdown", type=Path)

    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for the markdown's command line
    if args.command == "timelimits":
        from benchmarks.timelimits import run_timelimits

        return run_timelimits(args)
    if args.command == "gap":
        from benchmarks.gap import GapDataError, data_folder, find_files, run_gap

        try:
            args.data = data_folder(args.data)
            args.files = find_files(args.files, args.data)
        except GapDataError as exc:
            g.error(str(exc))  # usage and message on stderr, exit status 2
        return run_gap(args)
    if args.command == "placement":
        from benchmarks.placement import run_placement

        return run_placement(args)
    if args.command == "resolve":
        from benchmarks.placement import run_resolve

        return run_resolve(args)
    from benchmarks.placement import run_profile

    return run_profile(args)


if __name__ == "__main__":
    sys.exit(main())
