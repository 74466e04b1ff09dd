"""`matcher notice` (`docs/notices.md`): the decision notice a family, or a commune, is owed, as a PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matcher.cli.options import CasesOption, LocalitiesOption, OutcomeModelOption, OutcomesOption


def notice(
    result_path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, metavar="RESULT",
                                                 help="A result JSON written by `matcher match --out`.")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="The PDF to write.")],
    case_id: Annotated[str | None, typer.Argument(metavar="CASE_ID", help="The family whose notice to write "
                                                  "(leave out with --locality).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="fr or en (default: `matcher --lang`, else "
                                             "MATCHER_LANG, else the system locale's, else French).")] = None,
    locality: Annotated[str | None, typer.Option("--locality", metavar="LOCALITY_ID",
                                                 help="Write the commune's notice instead: the families "
                                                 "proposed to it and what it is asked to provide.")] = None,
    cases: CasesOption = None,
    localities: LocalitiesOption = None,
    outcomes: OutcomesOption = None,
    outcome_model: OutcomeModelOption = None,
) -> None:
    """Write the decision notice of family CASE_ID (or, with --locality, of a commune) as a PDF: that an
    algorithm helped prepare the proposal, the criteria and their weights, the family's data they used, how they
    applied, that a person decides, and how to ask for a review.

    The inputs are found again as `matcher explain` finds them: from the result's provenance when unchanged,
    else give --cases and --localities.
    """
    from matcher.cli import language, problem_again, read_result_or_exit
    from matcher.notice import NoticeError, commune_notice, commune_pdf, family_notice, family_pdf

    lang = language(lang)
    if (case_id is None) == (locality is None):
        raise typer.BadParameter("give either CASE_ID or --locality, not both", param_hint="CASE_ID")
    if out.suffix.lower() != ".pdf":
        raise typer.BadParameter(f"{out.name}: a notice is a .pdf file", param_hint="--out")
    result = read_result_or_exit(result_path)
    found = problem_again(result, cases, localities, outcomes, outcome_model)
    if found is None:
        typer.echo("the inputs of this result are not found (moved or changed since the run): give --cases and "
                   "--localities", err=True)
        raise typer.Exit(1)
    dataset, problem = found
    try:
        if locality is not None:
            pdf = commune_pdf(commune_notice(dataset, problem.policy, result, locality), lang)
        else:
            pdf = family_pdf(family_notice(problem, result, str(case_id)), lang)
    except NoticeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    out.write_bytes(pdf)
    typer.echo(f"written: {out}")
