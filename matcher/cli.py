"""The `matcher` command line (DESIGN.md section 8).

Each command is a small function that composes the library: read and validate inputs, call the engine,
write results. Bad input ends with the list of problems and exit 1, bad usage with exit 2, and an unexpected
failure with a short "internal error" line and exit 1, never a traceback (it could quote personal data).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer

from matcher import __version__
from matcher.io.readers import read_dataset
from matcher.io.validation import Issue, ReadReport
from matcher.models.records import Dataset

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

F = TypeVar("F", bound=Callable[..., Any])


def guarded(command: F) -> F:
    """Turn any unexpected exception of a command into a one-line message and exit 1.

    Only the exception's type is shown: its message or a traceback could quote a cell of the input.
    """

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (click.exceptions.Exit, click.exceptions.ClickException, click.exceptions.Abort):
            raise  # typer's own exits and usage errors keep their codes
        except Exception as exc:
            typer.echo(f"internal error ({type(exc).__name__}) in `matcher {command.__name__}`: please report "
                       "it with the command you ran (no input data is shown here)", err=True)
            raise typer.Exit(1) from None

    return run  # type: ignore[return-value]


def print_issues(report: ReadReport, *, err: bool = False) -> None:
    """Print every error, then every warning, one per line."""
    for issue in report.errors:
        typer.echo(_line(issue), err=err)
    for issue in report.warnings:
        typer.echo(_line(issue), err=err)


def _line(issue: Issue) -> str:
    return f"{issue.severity}: {issue}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def load_dataset(cases: Path, localities: Path) -> Dataset:
    """Read and validate both inputs for a command; on any error print them all and exit 1.

    Warnings are printed to stderr and do not stop the command.
    """
    report = read_dataset(cases, localities)
    print_issues(report, err=True)
    if report.dataset is None:
        typer.echo(f"{_count(len(report.errors), 'error')}: fix them and run again "
                   "(`matcher validate` lists them too)", err=True)
        raise typer.Exit(1)
    return report.dataset


def _version(value: bool) -> None:
    if value:
        typer.echo(f"matcher {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Place refugee families in small French communes within every capacity, and explain why."""


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
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_issues(report)
        typer.echo(_summary(report))
    if not report.valid:
        raise typer.Exit(1)


def _summary(report: ReadReport) -> str:
    warnings = _count(len(report.warnings), "warning")
    if report.dataset is None:
        return f"not valid: {_count(len(report.errors), 'error')}, {warnings}"
    data = report.dataset
    return (f"valid: {_count(len(data.cases), 'case')} ({_count(data.persons, 'person')}), "
            f"{_count(len(data.localities), 'locality').replace('localitys', 'localities')}; {warnings}")


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


def main() -> None:
    """Console-script entry point: run the app, and keep even a failure outside a command traceback-free."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:
        typer.echo(f"internal error ({type(exc).__name__}): please report it with the command you ran", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
