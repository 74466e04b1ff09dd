"""The policy lab's own files (experiments, the list of schedulers): TOML read with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

__all__ = ["read_toml"]


def read_toml(path: Path, error: type[Exception], unreadable_as: str | None = None) -> dict[str, Any]:
    """The TOML document at `path`.

    Raises
    ------
    error
        When the file cannot be read (named `unreadable_as`, default its name) or is not valid TOML.
    """
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{unreadable_as or path.name}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path.name}: not valid TOML ({exc})") from None
