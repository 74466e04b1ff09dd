"""Time limits end to end through the command line: `matcher match` in a fresh process per run, at 2,000 to
100,000 families, against `--time-limit`; and whether the same seed gives the same plan.

Each run is ``python -c DRIVER match CASES LOCALITIES --time-limit S ...`` with ``PYTHONPATH`` set to the code
under test (this tree, and with ``--before DIR`` an older source tree too, run after run on the same instance,
so that both see the same machine). The driver is the command line itself; it only writes a marker on stderr
when the inputs have been read, so that the wall clock after reading (what ``--time-limit`` covers: building,
solving, reasons, check, writing) can be told from the reading (CSV parsing and validation, which
grows with the input and is not the engine's). Peak memory is the child's own high-water mark (``wait4``).

Instances: ``sample_data/generate.py``'s sample families (its documented distributions, links included) against
its 40 communes, as ``python sample_data/generate.py --families N`` makes them, written as CSV folders and kept
in ``--data`` (generated once; 100,000 families take about 90 s). With 40 communes most families beyond a few
thousand cannot be placed, which is the case that made the reasons quadratic.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: The command line, with a marker on stderr once the inputs are read (the clock of `--time-limit` starts there).
DRIVER = """
import sys, time
import matcher.io.readers as readers
_read = readers.read_dataset
def _marked(*args, **kwargs):
    out = _read(*args, **kwargs)
    sys.stderr.write(f"@@inputs-read {time.monotonic()!r}\\n")
    sys.stderr.flush()
    return out
readers.read_dataset = _marked
from matcher.cli import main
sys.argv = ["matcher", *sys.argv[1:]]
main()
"""

MARKER = re.compile(r"^@@inputs-read (\S+)$", re.M)


@dataclass
class Run:
    """One `matcher match` process and what it reported."""

    code: str  # "after" (this tree) or "before"
    group: str  # "sizes", "workers" (many workers) or "repeat" (the same run again and again)
    families: int
    time_limit: float
    workers: int
    deterministic_mode: bool
    wall_seconds: float  # the whole process: start-up, reading, everything
    read_seconds: float | None  # from the start to the inputs read (None when it never got there)
    after_read_seconds: float | None  # from the inputs read to the end: what the time limit covers
    within_limit: bool | None  # after_read_seconds <= 1.1 * limit + 2
    peak_rss_mb: float
    exit_code: int | None  # None: killed
    status: str | None
    placed: int | None
    gap_percent: float | None
    result_seconds: float | None  # the result's own `seconds`
    deterministic: bool | None  # the result's flag (this tree only)
    plan_sha256: str | None  # of the sorted (case, commune) pairs


def sample_instance(families: int, data: Path, seed: int = 0) -> tuple[Path, Path]:
    """The sample-data instance of that many families as CSV folders under `data` (made once)."""
    folder = data / f"sample-{families}-s{seed}"
    cases, localities = folder / "cases", folder / "localities"
    if (folder / "done").exists():
        return cases, localities
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import sample_data.generate as g
    from matcher.io.templates import dataset_frames

    dataset = g.build_sample(families, 40, seed)
    for book, sheets in dataset_frames(dataset).items():
        (folder / book).mkdir(parents=True, exist_ok=True)
        for sheet, frame in sheets.items():
            frame.to_csv(folder / book / f"{sheet}.csv", index=False)
    (folder / "done").write_text("")
    return cases, localities


def run_match(code_dir: Path, code: str, cases: Path, localities: Path, families: int, time_limit: float,
              workers: int, seed: int, kill_after: float, deterministic_mode: bool = False,
              group: str = "sizes") -> Run:
    """One fresh `matcher match` process of the code in `code_dir`; killed `kill_after` seconds after its inputs
    are read (or after start, if it never reads them)."""
    with tempfile.TemporaryDirectory(prefix="bench-timelimits-") as tmp:
        out = Path(tmp) / "result.json"
        # (Absolute: the run's working folder is its temporary one.)
        args = ["match", str(cases.resolve()), str(localities.resolve()), "--time-limit", f"{time_limit:g}",
                "--workers", str(workers),
                "--seed", str(seed), "--quiet", "--out", str(out)]
        if deterministic_mode:
            args.append("--deterministic")
        env = dict(os.environ, PYTHONPATH=str(code_dir), MATCHER_DATA_DIR=str(Path(tmp) / "records"))
        stderr_path, stdout_path = Path(tmp) / "stderr", Path(tmp) / "stdout"
        start = time.monotonic()
        with stderr_path.open("w") as err, stdout_path.open("w") as so:
            proc = subprocess.Popen([sys.executable, "-c", DRIVER, *args], stdout=so, stderr=err, env=env,
                                    cwd=tmp)
            killed = False
            rusage = None
            while True:
                pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                read_at = _read_at(stderr_path)
                if time.monotonic() > (read_at if read_at is not None else start) + kill_after:
                    proc.kill()
                    killed = True
                    pid, status, rusage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.05)
            end = time.monotonic()
        read_at = _read_at(stderr_path)
        stdout = stdout_path.read_text(errors="replace")
        result = _read_result(out) if not killed else {}
        after = None if read_at is None else end - read_at
        return Run(
            code=code, group=group, families=families, time_limit=time_limit, workers=workers,
            deterministic_mode=deterministic_mode, wall_seconds=round(end - start, 2),
            read_seconds=None if read_at is None else round(read_at - start, 2),
            after_read_seconds=None if after is None else round(after, 2),
            within_limit=None if after is None else after <= 1.1 * time_limit + 2.0,
            peak_rss_mb=round(rusage.ru_maxrss / 1024, 1) if rusage is not None else 0.0,
            exit_code=None if killed else os.waitstatus_to_exitcode(status),
            status=result.get("status") or _line(stdout, r"^status: (\S+)"),
            placed=len(result["placements"]) if "placements" in result else None,
            gap_percent=None if result.get("gap") is None else round(100 * float(result["gap"]), 4),
            result_seconds=result.get("seconds"),
            deterministic=result.get("deterministic"),
            plan_sha256=_plan_hash(result) if result else None,
        )


def _read_at(path: Path) -> float | None:
    found = MARKER.search(path.read_text(errors="replace")) if path.exists() else None
    return float(found.group(1)) if found else None


def _read_result(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        return {}


def _line(text: str, pattern: str) -> str | None:
    found = re.search(pattern, text, re.M)
    return found.group(1) if found else None


def _plan_hash(result: dict[str, Any]) -> str:
    pairs = sorted((p["case_id"], p["locality_id"]) for p in result.get("placements", []))
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:16]


def run_timelimits(args: argparse.Namespace) -> int:
    """The runs of ``python -m benchmarks timelimits`` (see benchmarks/README.md)."""
    data = args.data
    data.mkdir(parents=True, exist_ok=True)
    codes = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    runs: list[Run] = []

    def record(run: Run) -> None:
        runs.append(run)
        print(_row(run), flush=True)
        if args.json_out:
            args.json_out.write_text(json.dumps([asdict(r) for r in runs], indent=1) + "\n", encoding="utf-8")

    print(HEADER, flush=True)
    for families in args.sizes:
        cases, localities = sample_instance(families, data)
        for limit in args.limits:
            for code, where in codes:  # interleaved: the same machine for both, run after run
                record(run_match(where, code, cases, localities, families, limit, args.workers, args.seed,
                                 args.kill_after))
    if args.many_workers:
        workers, limit, families = args.many_workers
        cases, localities = sample_instance(int(families), data)
        for code, where in codes:
            record(run_match(where, code, cases, localities, int(families), limit, int(workers), args.seed,
                             args.kill_after, group="workers"))
    if args.repeat:
        cases, localities = sample_instance(args.repeat_families, data)
        for mode in (False, True):
            for code, where in codes:
                if mode and code == "before":
                    continue  # (no work-limited mode before)
                for _ in range(args.repeat):
                    record(run_match(where, code, cases, localities, args.repeat_families, args.repeat_limit,
                                     args.workers, args.seed, args.kill_after, deterministic_mode=mode,
                                     group="repeat"))
    if args.markdown:
        args.markdown.write_text(markdown(runs), encoding="utf-8")
    return 0


HEADER = (f"{'code':6} {'families':>8} {'limit':>5} {'wk':>3} {'mode':5} {'wall':>7} {'read':>6} {'after':>7} "
          f"{'ok':3} {'MiB':>6} {'status':9} {'placed':>7} {'gap %':>8} {'det':5} plan")


def _row(r: Run) -> str:
    def f(v: Any, spec: str = "") -> str:
        return "-" if v is None else format(v, spec)

    ok = "-" if r.within_limit is None else ("yes" if r.within_limit else "NO")
    mode = "work" if r.deterministic_mode else "clock"
    return (f"{r.code:6} {r.families:>8} {r.time_limit:>5g} {r.workers:>3} {mode:5} {r.wall_seconds:>7.1f} "
            f"{f(r.read_seconds, '.1f'):>6} {f(r.after_read_seconds, '.1f'):>7} {ok:3} "
            f"{r.peak_rss_mb:>6.0f} {f(r.status if r.exit_code is not None else 'killed'):9} {f(r.placed):>7} "
            f"{f(r.gap_percent, '.3f'):>8} {f(r.deterministic):5} {f(r.plan_sha256)}")


def markdown(runs: list[Run]) -> str:
    """The runs as a markdown table, the ratios after/before per (families, limit, workers), and the distinct
    plans among the repeated runs."""
    lines = ["| code | families | limit s | workers | mode | wall s | reading s | after reading s | within 10 % + 2 s "
             "| peak MiB | status | placed | gap % | deterministic | plan |", "|" + "---|" * 15]
    for r in runs:
        cells = [r.code, str(r.families), f"{r.time_limit:g}", str(r.workers),
                 "work" if r.deterministic_mode else "clock", f"{r.wall_seconds:.1f}", _num(r.read_seconds),
                 _num(r.after_read_seconds), "-" if r.within_limit is None else ("yes" if r.within_limit else "**no**"),
                 f"{r.peak_rss_mb:.0f}", "killed" if r.exit_code is None else str(r.status),
                 "-" if r.placed is None else str(r.placed),
                 "-" if r.gap_percent is None else f"{r.gap_percent:.3f}",
                 "-" if r.deterministic is None else str(r.deterministic).lower(), r.plan_sha256 or "-"]
        lines.append("| " + " | ".join(cells) + " |")
    pairs: dict[tuple[int, float, int], dict[str, Run]] = {}
    for r in runs:
        if r.group != "repeat":
            pairs.setdefault((r.families, r.time_limit, r.workers), {}).setdefault(r.code, r)
    ratios = [f"| {n} | {t:g} | {w} | {_num(p['before'].after_read_seconds)} | {_num(p['after'].after_read_seconds)} | "
              f"{_ratio(p['after'].after_read_seconds, p['before'].after_read_seconds)} | "
              f"{_ratio(p['after'].peak_rss_mb, p['before'].peak_rss_mb)} |"
              for (n, t, w), p in pairs.items() if {"before", "after"} <= set(p)]
    if ratios:
        lines += ["", "| families | limit s | workers | before: after reading s | after: after reading s | "
                  "time after/before | peak memory after/before |", "|---|---|---|---|---|---|---|", *ratios]
    plans: dict[tuple[str, bool], list[str]] = {}
    for r in runs:
        if r.group == "repeat":
            plans.setdefault((r.code, r.deterministic_mode), []).append(r.plan_sha256 or "none")
    if plans:
        lines += ["", "| code | mode | runs | distinct plans |", "|---|---|---|---|",
                  *(f"| {c} | {'work-limited' if m else 'clock'} | {len(p)} | {len(set(p))} |"
                    for (c, m), p in plans.items())]
    return "\n".join(lines) + "\n"


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"
