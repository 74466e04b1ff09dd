"""`matcher ui`: start the browser app, the `ui` package installed beside matcher, without importing it.

The library never imports the app (the app imports the library): this process becomes the app's own launcher,
``python -m ui.launch``, which serves Streamlit until interrupted.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import NoReturn

import typer

__all__ = ["launch_app"]


def launch_app(port: int | None, address: str) -> NoReturn:
    """Replace this process with the app's launcher on `port` (None: Streamlit's default) and `address`.

    The launcher keeps this process's id, so a service manager's signals and the exit code are the app's; ``-P``
    keeps the current folder off the module path, so that only the installed ``ui`` can run.
    """
    if importlib.util.find_spec("ui") is None:
        typer.echo("the browser app is not installed: the `ui` package is missing beside matcher", err=True)
        raise typer.Exit(1)
    command = [sys.executable, "-P", "-m", "ui.launch", "--address", address]
    if port is not None:
        command += ["--port", str(port)]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)
