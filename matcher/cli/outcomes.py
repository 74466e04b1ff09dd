"""`matcher outcomes fit|predict|backtest` (`docs/outcomes.md`): fit an outcome model on a history of past
placements, predict the outcome of every (family, commune) pair for a match, and replay a history's later
arrivals against where the matcher would have placed them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

outcomes_app = typer.Typer(help="Learned outcomes: fit a model on past placements, predict pairs for a match, "
                                "back-test on later arrivals.",
                           no_args_is_help=True)


def _guarded(body: Callable[..., None], name: str) -> Callable[..., None]:
    """`body` under the CLI's guard (no traceback reaches the user), named as the user typed it."""
    from matcher.cli import guarded  # here: matcher.cli imports this module

    def command(*args: Any) -> None:
        body(*args)

    command.__name__ = name
    return guarded(command)


@outcomes_app.command("template")
def template(
    out_dir: Annotated[Path, typer.Argument(file_okay=False, metavar="OUT_DIR",
                                            help="Folder to write history.xlsx into (created if needed).")],
) -> None:
    """Write the history.xlsx template: sheets cases, members (the cases contract) and outcomes, with two
    example placements (instructions, dropdowns)."""
    from matcher.io.templates import write_history_template

    typer.echo(str(write_history_template(out_dir)))


@outcomes_app.command("fit")
def fit(
    history: Annotated[Path, typer.Argument(exists=True, metavar="HISTORY", help="History workbook (.xlsx with "
                                            "sheets cases, members, outcomes) or a folder of those CSV files.")],
    localities: Annotated[Path, typer.Argument(exists=True, metavar="LOCALITIES",
                                               help="Localities workbook of the history's communes.")],
    target: Annotated[str, typer.Option("--target", help="The outcome column to predict.")] = "employed_12m",
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Model folder to write (model.joblib, "
                                      "manifest.json, card.md, calibration.png).")] = Path("outcome_model"),
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**31 - 1, help="Random seed.")] = 0,
    until: Annotated[str | None, typer.Option("--until", metavar="YYYY-MM-DD", help="Fit on the placements "
                                              "before this date only (to back-test on the later ones).")] = None,
) -> None:
    """Fit a calibrated model of TARGET on HISTORY, check it on later arrivals, write it with its model card."""
    _guarded(_fit, "outcomes fit")(history, localities, target, out, seed, _date(until, "--until"))


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("expected a date YYYY-MM-DD", param_hint=option) from None


def _fit(history: Path, localities: Path, target: str, out: Path, seed: int, until: dt.date | None) -> None:
    from matcher.outcomes.card import write_card
    from matcher.outcomes.features import COMMUNE_ID, FEATURES
    from matcher.outcomes.history import HistoryError, read_history
    from matcher.outcomes.model import ModelError, finite, fit_model, save_model

    try:
        hist = read_history(history, localities)
        if until is not None:
            hist = dataclasses.replace(hist, placements=hist.placements[hist.placements["placed_on"] <
                                                                        pd.Timestamp(until)])
        typer.echo(f"features ({len(FEATURES) + 1}, fixed): {', '.join((*FEATURES, COMMUNE_ID))}")
        model, scores = fit_model(hist, target, seed)
    except (HistoryError, ModelError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    paths = save_model(model, out) + write_card(model, scores, out)
    typer.echo(f"{model.manifest['placements']:,} placements from {model.manifest['span'][0]} to "
               f"{model.manifest['span'][1]}; checked on {scores.n:,} later arrivals:")
    typer.echo(f"  AUC    model {finite(scores.auc)}   baseline (commune's rate) {finite(scores.baseline_auc)}")
    typer.echo(f"  Brier  model {finite(scores.brier)}   baseline (commune's rate) {finite(scores.baseline_brier)}")
    typer.echo("  calibration (predicted -> observed): " + ", ".join(
        f"{r.predicted:.2f}->{r.observed:.2f}" for r in scores.calibration.itertuples()))
    for p in paths:
        typer.echo(f"written: {p}")


@outcomes_app.command("predict")
def predict(
    model_dir: Annotated[Path, typer.Argument(exists=True, file_okay=False, metavar="MODEL_DIR",
                                              help="A folder written by `matcher outcomes fit`.")],
    cases: Annotated[Path, typer.Argument(exists=True, metavar="CASES", help="Cases workbook.")],
    localities: Annotated[Path, typer.Argument(exists=True, metavar="LOCALITIES", help="Localities workbook.")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="The outcome CSV to write.")]
    = Path("outcomes.csv"),
) -> None:
    """Predict the outcome of every (family, commune) pair: case_id, locality_id, outcome in [0, 1]."""
    _guarded(_predict, "outcomes predict")(model_dir, cases, localities, out)


def _predict(model_dir: Path, cases: Path, localities: Path, out: Path) -> None:
    from matcher.cli import load_dataset
    from matcher.outcomes.model import ModelError, load_model

    try:
        model = load_model(model_dir)
    except ModelError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    dataset = load_dataset(cases, localities)
    frame = model.predict(dataset)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    unknown = sorted({lo.locality_id for lo in dataset.localities} - set(model.communes))
    if unknown:
        typer.echo(f"{len(unknown)} communes were not in the history: predicted from their features alone",
                   err=True)
    typer.echo(f"{len(frame):,} pairs ({len(dataset.cases)} families x {len(dataset.localities)} communes), "
               f"mean predicted {model.target} {frame['outcome'].mean():.3f}")
    typer.echo(f"written: {out}")


@outcomes_app.command("backtest")
def backtest(
    history: Annotated[Path, typer.Argument(exists=True, metavar="HISTORY", help="History workbook or folder.")],
    localities: Annotated[Path, typer.Argument(exists=True, metavar="LOCALITIES", help="Localities workbook.")],
    model_dir: Annotated[Path, typer.Argument(exists=True, file_okay=False, metavar="MODEL_DIR",
                                              help="A folder written by `matcher outcomes fit`.")],
    since: Annotated[str | None, typer.Option("--since", metavar="YYYY-MM-DD", help="Replay the placements from "
                                              "this date (default: the day after the model's data).")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", exists=True, dir_okay=False, help="Policy TOML "
                                                "(default: balanced); an outcome weight of 0 becomes 1.")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1, max=3600.0, help="Seconds for the match.")]
    = 20.0,
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False, help="CSV of each family's actual and "
                                             "matched commune with their predicted outcomes.")] = None,
) -> None:
    """Replay HISTORY's arrivals: where families were placed against where the matcher would have placed them
    within what each commune took, both by the model's predicted outcome (GeoMatch's back-test)."""
    _guarded(_backtest, "outcomes backtest")(history, localities, model_dir, _date(since, "--since"), policy,
                                             time_limit, out)


def _backtest(history: Path, localities: Path, model_dir: Path, since: dt.date | None, policy: Path | None,
              time_limit: float, out: Path | None) -> None:
    from matcher.models.policy import Policy, PolicyError, load_policy
    from matcher.outcomes.backtest import CAVEATS, replay
    from matcher.outcomes.history import HistoryError, read_history
    from matcher.outcomes.model import ModelError, load_model

    try:
        model = load_model(model_dir)
        hist = read_history(history, localities)
        pol = load_policy(policy) if policy is not None else Policy()
    except (ModelError, HistoryError, PolicyError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if since is None:
        since = dt.date.fromisoformat(str(model.manifest["span"][1])) + dt.timedelta(days=1)
        if (hist.placements["placed_on"] >= pd.Timestamp(since)).sum() == 0:
            typer.echo("the model was fitted on the whole history: give --since (the replay is then in-sample), "
                       "or fit with --until", err=True)
            raise typer.Exit(1)
    try:
        bt = replay(hist, model, since, pol, time_limit)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{bt.families} families placed from {since.isoformat()}; the matcher places {bt.placed} of them "
               f"within what each commune took (outcome weight {bt.outcome_weight:g})")
    typer.echo(f"  mean predicted {model.target} of these {bt.placed}: actual placements {bt.actual:.3f}, "
               f"matcher {bt.matched:.3f} ({bt.matched - bt.actual:+.3f})")
    if math.isfinite(bt.observed):
        typer.echo(f"  observed {model.target} of their actual placements: {bt.observed:.3f} (the model's check)")
    if bt.in_sample:
        typer.echo("  in-sample: the model was fitted on some of these placements, which flatters both figures "
                   "(fit with --until the back-test's start)", err=True)
    typer.echo("  caveats:")
    for caveat in CAVEATS:
        typer.echo(f"  - {caveat}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        bt.placements.to_csv(out, index=False)
        typer.echo(f"written: {out}")
