"""Options that several commands share: the inputs of a result found again (`matcher explain`, `matcher notice`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: A moved cases input.
CasesOption = Annotated[Path | None, typer.Option("--cases", exists=True, help="Cases input, if moved since the run.")]
#: A moved localities input.
LocalitiesOption = Annotated[Path | None, typer.Option("--localities", exists=True,
                                                       help="Localities input, if moved since the run.")]
#: The outcome CSV the run used.
OutcomesOption = Annotated[Path | None, typer.Option("--outcomes", exists=True, dir_okay=False,
                                                     help="The outcome CSV the run used.")]
#: The outcome model folder the run used.
OutcomeModelOption = Annotated[Path | None, typer.Option("--outcome-model", exists=True, file_okay=False,
                                                         help="The outcome model folder the run used.")]
