"""The `matcher` command line (`docs/cli.md#commands`).

Each command is a small function that composes the library: read and validate inputs, call the engine,
write results. Bad input ends with the list of problems and exit 1, bad usage with exit 2, and an unexpected
failure with a short "internal error" line and exit 1, never a traceback (it could quote personal data).
`matcher users ...` and `matcher records ...` live in `users` and `records`, `matcher ui`'s launch in `browser`.
"""

from __future__ import annotations

import functools
import gc
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import click
import typer

from matcher import __version__
from matcher.cli.browser import launch_app
from matcher.cli.notice import notice
from matcher.cli.options import CasesOption, LocalitiesOption, OutcomeModelOption, OutcomesOption
from matcher.cli.outcomes import outcomes_app
from matcher.cli.records import record_cli_run, records_app
from matcher.cli.users import users_app
from matcher.i18n import Msg, Number, _, _n, number, render, resolve_lang
from matcher.i18n.labels import label
from matcher.io.readers import read_dataset
from matcher.io.validation import Issue, ReadReport
from matcher.models.policy import MAX_SEED, MAX_WORKERS, Policy
from matcher.models.records import Dataset

if TYPE_CHECKING:
    from matcher.engine import Progress
    from matcher.models.result import Result
    from matcher.problem import Problem

#: The longest time limit the command accepts (a week).
MAX_TIME_LIMIT = 7 * 24 * 3600.0

__all__ = ["CasesPath", "LocalitiesPath", "app", "guarded", "load_dataset", "main", "print_issues"]

app = typer.Typer(
    name="matcher",
    help="Place refugee families in small French communes within every capacity, and explain why.\n\n"
    "CASES and LOCALITIES are an .xlsx workbook or a folder of CSV files named after the sheets; "
    "start from `matcher template OUT_DIR`.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback can show local variables, hence cell values: failures are reported by `guarded` instead.
    pretty_exceptions_enable=False,
)

# CASES and LOCALITIES arguments: an existing .xlsx file or CSV folder (a missing path is a usage error, 2).
CasesPath = Annotated[
    Path,
    typer.Argument(exists=True, readable=True, metavar="CASES", show_default=False,
                   help="Cases workbook: an .xlsx file or a folder of CSV files (cases, members)."),
]
LocalitiesPath = Annotated[
    Path,
    typer.Argument(exists=True, readable=True, metavar="LOCALITIES", show_default=False,
                   help="Localities workbook: an .xlsx file or a folder of CSV files (localities, housing, "
                   "services, jobs, interpreters)."),
]
#: Where `matcher match` writes its result.
ResultOut = Annotated[Path | None,
                      typer.Option("--out", dir_okay=False, help="Write the result: .json, .xlsx or .csv.")]

F = TypeVar("F", bound=Callable[..., Any])

# typer's own exits and usage errors keep their codes. Recent typer vendors click, so its exception classes are
# found from typer's own BadParameter rather than from the click package.
_TYPER_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_PASS_THROUGH: tuple[type[BaseException], ...] = (
    typer.Exit, typer.Abort, _TYPER_CLICK_ERROR, click.exceptions.Exit, click.exceptions.ClickException,
    click.exceptions.Abort,
)


def guarded(command: F) -> F:
    """Turn any unexpected exception of a command into a one-line message and exit 1.

    Only the exception's type is shown: its message or a traceback could quote a cell of the input.
    """

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except _PASS_THROUGH:
            raise
        except Exception as exc:
            typer.echo(_("internal error ({kind}) in `matcher {command}`: please report it with the command you "
                         "ran (no input data is shown here)", kind=type(exc).__name__,
                         command=command.__name__).render(_safe_language()), err=True)
            raise typer.Exit(1) from None

    return run  # type: ignore[return-value]


def print_issues(report: ReadReport, *, err: bool = False) -> None:
    """Print every error, then every warning, one per line, in the command's language."""
    lang = language()
    for issue in report.errors:
        typer.echo(_line(issue, lang), err=err)
    for issue in report.warnings:
        typer.echo(_line(issue, lang), err=err)


def _line(issue: Issue, lang: str) -> str:
    severity = _("error") if issue.severity == "error" else _("warning")
    return _("{severity}: {issue}", severity=severity, issue=issue.describe(lang)).render(lang)


def load_dataset(cases: Path, localities: Path) -> Dataset:
    """Read and validate both inputs for a command; on any error print them all and exit 1.

    Warnings are printed to stderr and do not stop the command.
    """
    report = read_dataset(cases, localities)
    print_issues(report, err=True)
    if report.dataset is None:
        typer.echo(_n("{n} error: fix it and run again (`matcher validate` lists it too)",
                      "{n} errors: fix them and run again (`matcher validate` lists them too)",
                      len(report.errors)).render(language()), err=True)
        raise typer.Exit(1)
    return report.dataset


def _version(value: bool) -> None:
    if value:
        typer.echo(f"matcher {__version__}")
        raise typer.Exit()


#: The language asked with `matcher --lang`, for the commands to read (see :func:`language`).
_ASKED: dict[str, str | None] = {"lang": None}


def _safe_language() -> str:
    """The language of a last-resort message: never fails."""
    try:
        return resolve_lang(_ASKED["lang"])
    except ValueError:
        return "fr"


def language(explicit: str | None = None) -> str:
    """The language a command speaks: its own `--lang`, else `matcher --lang`, else MATCHER_LANG, else the
    system locale's, else French; a language the tool does not speak is a usage error."""
    try:
        return resolve_lang(explicit or _ASKED["lang"])
    except ValueError:
        raise typer.BadParameter(f"{explicit or _ASKED['lang']!r}: use fr or en", param_hint="--lang") from None


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="fr or en: the language of messages (default: MATCHER_LANG, else the system locale's, "
        "else French).")] = None,
) -> None:
    """Place refugee families in small French communes within every capacity, and explain why."""
    _ASKED["lang"] = lang
    language()  # a language the tool does not speak stops here, before any command runs


@app.command()
@guarded
def validate(
    cases: CasesPath,
    localities: LocalitiesPath,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report instead of text.")] = False,
) -> None:
    """Check CASES and LOCALITIES against the spreadsheet contract and list every problem.

    Exit 0 when valid (warnings are printed), 1 when there is any error, 2 on bad usage.
    """
    report = read_dataset(cases, localities)
    if as_json:
        typer.echo(json.dumps(report.to_dict(language()), ensure_ascii=False, indent=2))
    else:
        print_issues(report)
        typer.echo(_summary(report).render(language()))
    if not report.valid:
        raise typer.Exit(1)


def _summary(report: ReadReport) -> Msg:
    """The last line of `matcher validate`: valid or not, with the counts."""
    warnings = _n("{n} warning", "{n} warnings", len(report.warnings))
    if report.dataset is None:
        return _("not valid: {errors}, {warnings}", errors=_n("{n} error", "{n} errors", len(report.errors)),
                 warnings=warnings)
    data = report.dataset
    return _("valid: {cases} ({persons}), {localities}; {warnings}",
             cases=_n("{n} case", "{n} cases", len(data.cases)),
             persons=_n("{n} person", "{n} persons", data.persons),
             localities=_n("{n} locality", "{n} localities", len(data.localities)), warnings=warnings)


@app.command()
@guarded
def template(
    out_dir: Annotated[
        Path, typer.Argument(file_okay=False, metavar="OUT_DIR",
                             help="Folder to write cases.xlsx and localities.xlsx into (created if needed).")
    ],
) -> None:
    """Write the cases.xlsx and localities.xlsx templates (instructions, dropdowns, example rows)."""
    from matcher.io.templates import write_templates  # openpyxl styling is only needed here

    out_dir.mkdir(parents=True, exist_ok=True)
    for path in write_templates(out_dir):
        typer.echo(str(path))


@app.command()
@guarded
def match(
    cases: CasesPath,
    localities: LocalitiesPath,
    policy: Annotated[
        Path | None, typer.Option("--policy", exists=True, dir_okay=False, help="Policy TOML (default: balanced).")
    ] = None,
    out: ResultOut = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", min=0.1, max=MAX_TIME_LIMIT, callback=_finite,
                                   help="Seconds for building, solving, explaining and checking the plan, counted "
                                   "once the inputs are read (default: the policy's).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, max=MAX_SEED,
                                             help="Random seed (default: the policy's).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=MAX_WORKERS,
                                                help="CP-SAT workers (default: the policy's).")] = None,
    deterministic: Annotated[bool, typer.Option(
        "--deterministic", help="Work-limited: the search stops on an amount of work set by the time limit, never "
        "on the clock, so the same seed and workers give the same plan on any machine (in a time that depends "
        "on the machine).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    outcomes: Annotated[Path | None, typer.Option(
        "--outcomes", exists=True, dir_okay=False, help="Outcome CSV (case_id, locality_id, outcome in [0, 1]) "
        "scored by the policy's outcome weight; replaces the policy's outcome_csv or [outcomes] model.")] = None,
    outcome_model: Annotated[Path | None, typer.Option(
        "--outcome-model", exists=True, file_okay=False, help="A model folder written by `matcher outcomes fit`: "
        "the pairs' outcomes are predicted with it.")] = None,
    pin: Annotated[list[str] | None, typer.Option(
        "--pin", metavar="CASE=LOCALITY", help="Pin a family to a commune (repeatable, kept in the order given). "
        "Pins that cannot all be kept are diagnosed before the search; the policy's objective.pins keeps those "
        "that fit (default) or fails.")] = None,
) -> None:
    """Place the families of CASES in the communes of LOCALITIES and print a summary.

    Exit 0 with a plan (even when some families stay unplaced), 1 on bad input or when the hard rules
    contradict each other (the diagnosis is printed). The summary counts the unplaced families by reason; each
    family's reasons are in the result file and in `matcher explain`.
    """
    from matcher.engine import SolveParams
    from matcher.io.results import write_result
    from matcher.match import solve
    from matcher.problem import build_problem, sha256_of_files

    pol = _match_policy(policy, out)
    dataset = load_dataset(cases, localities)
    frame = _outcomes(dataset, pol, policy, outcomes, outcome_model)
    # The records live until the command ends: out of the collector's sight, its full collections no longer walk
    # them all (at 100,000 families, 1.7 of the 7.5 s of CPU from building to the result).
    gc.freeze()
    input_sha256 = sha256_of_files(cases, localities)
    started = time.monotonic()  # the time limit counts from here: building, solving, reasons, check
    problem = build_problem(dataset, pol, outcomes=frame, pins=_pins(dataset, pin or []))
    for line in _pin_lines(problem):
        typer.echo(_("pins: {line}", line=line).render(language()), err=True)
    limit = time_limit if time_limit is not None else pol.solver.time_limit
    try:
        result = solve(problem, SolveParams(time_limit=limit - _output_seconds(len(dataset.cases), limit),
                                            seed=seed, workers=workers, on_progress=_progress_printer(quiet),
                                            work_limited=deterministic, started=started),
                       input_sha256=input_sha256, inputs=[str(cases.resolve()), str(localities.resolve())])
    except ValueError as exc:  # a policy's solver settings out of the engine's range (the message names them)
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if out is not None:
        names = {lo.locality_id: lo.name for lo in dataset.localities}
        write_result(result, out, names)
    typer.echo(result.summary(dataset, language()))
    if result.unplaced:
        where = str(out) if out is not None and out.suffix.lower() == ".json" else "RESULT.json"
        typer.echo(_("  each family's reasons: matcher explain {where} CASE_ID", where=where).render(language()))
    for line in _conflict_lines(problem, result.diagnosis):
        typer.echo(_("conflict: {line}", line=line).render(language()))
    if out is not None:
        typer.echo(_("written: {path}", path=str(out)).render(language()))
    run_id = record_cli_run(cases, localities, result, time_limit, problem.pins)
    if run_id is not None:
        typer.echo(_("recorded: run {id}", id=str(run_id)).render(language()))
    if result.status.value == "infeasible":
        raise typer.Exit(1)


def _match_policy(policy: Path | None, out: Path | None) -> Policy:
    """The policy of `matcher match` (default: balanced), after checking that `out` names a known format; a bad
    policy file ends the command with its message."""
    from matcher.io.results import format_of
    from matcher.models.policy import PolicyError, load_policy

    if out is not None:
        try:
            format_of(out)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--out") from None
    try:
        return load_policy(policy) if policy is not None else Policy()
    except PolicyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def _progress_printer(quiet: bool) -> Callable[[Progress], None]:
    """The engine's progress on stderr, at most once a second (and when done); nothing when `quiet`."""
    state = {"last": -1.0}

    def progress(p: Progress) -> None:
        if quiet or (p.seconds - state["last"] < 1.0 and p.stage != "done"):
            return
        state["last"] = p.seconds
        best = "" if p.objective is None else f", best {p.objective:,.2f}"
        typer.echo(f"  [{p.seconds:5.1f}s] {p.stage}{best}", err=True)

    return progress


def _outcomes(dataset: Dataset, pol: Any, policy: Path | None, csv: Path | None,
              model: Path | None) -> Any:
    """The match's outcome predictions (a DataFrame or None), from the options or the policy; a bad file or
    model folder ends the command with its message."""
    from matcher.outcomes.sources import load_outcomes
    from matcher.outcomes.table import OutcomeFileError

    if csv is not None and model is not None:
        raise typer.BadParameter("give either --outcomes or --outcome-model", param_hint="--outcomes")
    try:
        found = load_outcomes(dataset, pol, policy.parent if policy is not None else None, csv=csv, model=model)
    except OutcomeFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if found is None:
        return None
    typer.echo(found.summary(dataset, pol.weights.outcome), err=True)
    return found.frame


def _echo_drivers(model_dir: Path, dataset: Dataset, case_id: str, locality_id: str) -> None:
    """The main drivers of the placement's predicted outcome, in words (the model folder was checked by
    `_outcomes` already)."""
    from matcher.outcomes.drivers import drivers
    from matcher.outcomes.model import load_model

    typer.echo(f"  outcome drivers: {drivers(load_model(model_dir), dataset, case_id, locality_id).text()}")


#: Seconds the command keeps from the engine's time limit to write the result and record the run once it is
#: solved: measured at 33,334 families (0.16 s to write the JSON, 1.15 s to record), at most OUTPUT_MAX_SHARE.
OUTPUT_PER_CASE = 4e-5
OUTPUT_MAX_SHARE = 0.2


def _output_seconds(n_cases: int, limit: float) -> float:
    return min(0.05 + OUTPUT_PER_CASE * n_cases, OUTPUT_MAX_SHARE * limit)


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter("must be a finite number of seconds")
    return value


def _pins(dataset: Dataset, given: list[str]) -> dict[str, str]:
    """The pins of `--pin CASE=LOCALITY`, in the order given; a malformed one or an unknown id is refused."""
    cases = {c.case_id for c in dataset.cases}
    localities = {lo.locality_id for lo in dataset.localities}
    pins: dict[str, str] = {}
    for text in given:
        case_id, sep, locality_id = (part.strip() for part in text.partition("="))
        if not sep or not case_id or not locality_id:
            raise typer.BadParameter(f"{text!r}: expected CASE=LOCALITY", param_hint="--pin")
        if case_id not in cases:
            raise typer.BadParameter(f"{case_id!r} is not a family of the cases workbook", param_hint="--pin")
        if locality_id not in localities:
            raise typer.BadParameter(f"{locality_id!r} is not a commune of the localities workbook",
                                     param_hint="--pin")
        pins[case_id] = locality_id
    return pins


def _pin_lines(problem: Problem) -> list[str]:
    """The pins that cannot all be kept, as found before the search, and what the policy does with them; a line
    that tells a health need beside an id is replaced by one that names neither."""
    if not problem.pin_diagnosis:
        return []
    keep = problem.policy.objective.pins == "keep_what_fits"
    lines = [d.text if not d.sensitive else "a pinned family has a health need that its commune cannot meet (the "
             "result file names it)" for d in problem.pin_diagnosis]
    return [*lines, "the pins that fit are kept; the others' families are left unplaced (objective.pins)" if keep
            else "the run fails with this diagnosis (objective.pins = \"fail\")"]


def _conflict_lines(problem: Problem, diagnosis: list[str]) -> list[str]:
    """The diagnosis, without a health need next to an id: such a line is replaced by one that names neither
    (the result file's diagnosis has it in full)."""
    hidden = {line for line, sensitive in zip(problem.conflicts, problem.conflicts_sensitive, strict=True)
              if sensitive}
    return [line if line not in hidden else "a family that must be placed has a health need that no commune it may "
            "go to meets (the result file's diagnosis names it)" for line in diagnosis]


def read_result_or_exit(path: Path) -> Result:
    """The result file at `path`; one that cannot be read ends the command with its message (exit 1)."""
    from matcher.io.results import ResultFileError, read_result

    try:
        return read_result(path)
    except ResultFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def result_inputs(result: Result, cases: Path | None, localities: Path | None) -> tuple[Path, Path] | None:
    """The cases and localities a result was made from: those given, else the ones its provenance names when
    they are unchanged (same hash); None when neither."""
    if cases is None and localities is None and len(result.provenance.inputs) == 2:
        from matcher.problem import sha256_of_files

        found = [Path(p) for p in result.provenance.inputs]
        if all(p.exists() for p in found) and sha256_of_files(*found) == result.provenance.input_sha256:
            cases, localities = found
    return (cases, localities) if cases is not None and localities is not None else None


def problem_again(result: Result, cases: Path | None, localities: Path | None, outcomes: Path | None,
                  outcome_model: Path | None) -> tuple[Dataset, Problem] | None:
    """The records and the problem a result was made from, built again under its policy (the inputs as
    :func:`result_inputs` finds them; the outcomes from the options); None when the inputs are not found."""
    paths = result_inputs(result, cases, localities)
    if paths is None:
        return None
    from matcher.models.policy import policy_from_dict
    from matcher.problem import build_problem

    dataset = load_dataset(*paths)
    pol = policy_from_dict(result.provenance.policy)
    frame = None
    if outcomes is not None or outcome_model is not None:
        frame = _outcomes(dataset, pol, None, outcomes, outcome_model)
    elif pol.weights.outcome > 0 and (pol.outcome_csv or pol.outcomes):
        typer.echo("(the run used predicted outcomes: give --outcomes or --outcome-model to score the next "
                   "best communes with them; the placement's outcome below is the result's)", err=True)
    return dataset, build_problem(dataset, pol, outcomes=frame)


@app.command()
@guarded
def explain(
    result_path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, metavar="RESULT",
                                                 help="A result JSON written by `matcher match --out`.")],
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="The family to explain.")],
    cases: CasesOption = None,
    localities: LocalitiesOption = None,
    outcomes: OutcomesOption = None,
    outcome_model: OutcomeModelOption = None,
) -> None:
    """Why a family was placed where it was (score by component, next best communes and why not), or why it
    was left unplaced.

    The inputs are found again from the result's provenance when they are unchanged (same hash); otherwise
    give --cases and --localities, or the explanation uses the result alone (placements, components, reasons).
    """
    result = read_result_or_exit(result_path)
    known = result.placed_case_ids | {u.case_id for u in result.unplaced}
    lang = language()
    if case_id not in known:
        typer.echo(_("{case}: not a case of this result", case=case_id).render(lang), err=True)
        raise typer.Exit(1)
    found = problem_again(result, cases, localities, outcomes, outcome_model)
    if found is None:
        _echo_result_only(result, case_id, lang)
        return
    from matcher.explain import explain_case

    dataset, problem = found
    exp = explain_case(problem, result, case_id)
    if exp.locality_id:
        typer.echo(_("{case}: placed in {name} ({id}), score {score}", case=case_id, name=exp.locality_name or "",
                     id=exp.locality_id, score=Number(exp.score or 0.0, 3)).render(lang))
        for k, v in exp.components.items():
            name, why = label("component", k, lang), render(exp.reasons.get(k, ""), lang)
            typer.echo(f"  {name:<18} {number(v, lang, 3)}  {why}")
        if outcome_model is not None:
            _echo_drivers(outcome_model, dataset, case_id, exp.locality_id)
    else:
        typer.echo(_("{case}: not placed", case=case_id).render(lang))
        for r in exp.unplaced_reasons:
            typer.echo(f"  - {render(r, lang)}")
    if exp.linked_with:
        typer.echo(_("  linked with {ids}: placed together or not at all",
                     ids=", ".join(exp.linked_with)).render(lang))
    typer.echo(_("next best communes:").render(lang))
    for a in exp.alternatives:
        typer.echo(_("  {name} ({id}) score {score}: {why}", name=a.name, id=a.locality_id,
                     score=Number(a.score, 3), why=a.why_not).render(lang))


def _echo_result_only(result: Result, case_id: str, lang: str) -> None:
    """What the result file alone says of a family, when its inputs cannot be found again."""
    placement = next((p for p in result.placements if p.case_id == case_id), None)
    if placement is not None:
        typer.echo(_("{case}: placed in {id}, score {score}, unit of {bedrooms} bedrooms", case=case_id,
                     id=placement.locality_id, score=Number(placement.score, 3),
                     bedrooms=str(placement.bedrooms)).render(lang))
        for k, v in placement.components.items():
            typer.echo(f"  {label('component', k, lang):<18} {number(v, lang, 3)}")
        typer.echo(_("(give --cases and --localities to see the next best communes and why not)").render(lang))
    else:
        unplaced = next(u for u in result.unplaced if u.case_id == case_id)
        typer.echo(_("{case}: not placed", case=case_id).render(lang))
        for r in unplaced.reasons:
            typer.echo(f"  - {render(r, lang)}")


@app.command()
@guarded
def ui(
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535, help="Port (default: 8501).")] = None,
    address: Annotated[str, typer.Option("--address", help="Listen address (default: localhost only).")]
    = "127.0.0.1",
) -> None:
    """Open the browser app with the sample data preloaded."""
    launch_app(port, address)


@app.command()
@guarded
def simulate(
    experiment: Annotated[Path, typer.Argument(exists=True, dir_okay=False, metavar="EXPERIMENT",
                                               help="Experiment TOML (see sample_data/experiments/).")],
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="A Dask scheduler: a name from the file named by MATCHER_DASK_SCHEDULERS (its TLS "
        "settings apply), or an address such as tls://host:8786 (Dask's own security settings apply). "
        "Default: local processes.")] = None,
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Folder for metrics.csv, summary.csv and "
                                      "plots (created if needed).")] = Path("simulation"),
    processes: Annotated[int | None, typer.Option("--processes", min=1, help="Local worker processes "
                                                  "(default: one per CPU).")] = None,
) -> None:
    """Run a policy-lab EXPERIMENT: every policy on the same draws, metrics with 95% intervals, and plots."""
    import sys

    from matcher.simulate import ExperimentError, load_experiment, run_experiment, summary_table, write_outputs
    from matcher.simulate.report import summarise
    from matcher.simulate.schedulers import SchedulerConfig, SchedulerError, resolve_cli_scheduler

    target: str | SchedulerConfig | None = None
    try:
        exp = load_experiment(experiment)
        if scheduler is not None:
            target = resolve_cli_scheduler(scheduler)
    except (ExperimentError, SchedulerError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    total = exp.replications * len(exp.policies)
    typer.echo(f"{exp.name}: {exp.replications} replications x {len(exp.policies)} policies = {total} scenarios",
               err=True)
    try:
        with typer.progressbar(length=total, label="simulating", file=sys.stderr) as bar:
            metrics, stats = run_experiment(exp, scheduler=target, processes=processes,
                                            on_result=lambda done, n, row: bar.update(1))
    except (OSError, TimeoutError) as exc:
        if target is None:
            raise
        where = target if isinstance(target, str) else f"{target.name} ({target.address})"
        typer.echo(f"cannot reach the Dask scheduler {where} ({type(exc).__name__}): check that it runs and, "
                   "for tls://, that the certificates match", err=True)
        raise typer.Exit(1) from None
    for path in write_outputs(exp, metrics, out, stats):
        typer.echo(f"written: {path}")
    typer.echo(summary_table(summarise(metrics, exp.policies)).to_string())
    typer.echo(f"{stats.tasks} scenarios in {stats.seconds:.1f} s on {stats.executor}: "
               f"{stats.scenarios_per_minute:.1f} scenarios per minute")


app.command("notice")(guarded(notice))
app.add_typer(users_app, name="users")
app.add_typer(records_app, name="records")
app.add_typer(outcomes_app, name="outcomes")


def main() -> None:
    """Console-script entry point: run the app, and keep even a failure outside a command traceback-free."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:
        typer.echo(f"internal error ({type(exc).__name__}): please report it with the command you ran", err=True)
        raise SystemExit(1) from None

