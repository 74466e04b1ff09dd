"""`matcher outcomes fit|predict` (`docs/outcomes.md`): fit an outcome model on a history of past placements,
and predict the outcome of every (family, commune) pair for a match."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

outcomes_app = typer.Typer(help="Learned outcomes: fit a model on past placements, predict pairs for a match.",
                           no_args_is_help=True)


def _guarded(body: Callable[..., None], name: str) -> Callable[..., None]:
    """`body` under the CLI's guard (no traceback reaches the user), named as the user typed it."""
    from matcher.cli import guarded  # here: matcher.cli imports this module

    def command(*args: Any) -> None:
        body(*args)

    command.__name__ = name
    return guarded(command)


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
) -> None:
    """Fit a calibrated model of TARGET on HISTORY, check it on later arrivals, write it with its model card."""
    _guarded(_fit, "outcomes fit")(history, localities, target, out, seed)


def _fit(history: Path, localities: Path, target: str, out: Path, seed: int) -> None:
    from matcher.outcomes.card import write_card
    from matcher.outcomes.features import COMMUNE_ID, FEATURES
    from matcher.outcomes.history import HistoryError, read_history
    from matcher.outcomes.model import ModelError, finite, fit_model, save_model

    try:
        hist = read_history(history, localities)
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
