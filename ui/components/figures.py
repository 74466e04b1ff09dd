"""Figures as the pages show them: changes between two runs with their unit (nothing for no change), and the
lab's cohort parameters as text rather than Python."""

from __future__ import annotations

import ast


def score_delta(now: float | None, before: float | None) -> str | None:
    """The change of the mean score since the run before, to 3 decimals ("+0.001"); None when there is none or it
    rounds to nothing (never "-0.000")."""
    if now is None or before is None or abs(now - before) < 0.0005:
        return None
    return f"{now - before:+.3f}"


def difference(key: str, d: float) -> str:
    """B − A with its unit: percentage points for the gap, seconds for the time; "0" when it rounds to nothing
    (never "-0.000")."""
    if isinstance(d, int):
        return f"{d:+d}" if d else "0"
    if key == "gap":
        return f"{d * 100:+.1f} pt" if round(d * 100, 1) else "0"
    if key == "seconds":
        return f"{d:+.1f} s" if round(d, 1) else "0"
    return f"{d:+.3f}" if round(d, 3) else "0"


def parameter_text(name: str, value: str) -> str:
    """A cohort parameter's value as text, not Python: "AFG 24%; SYR 18%" for shares by key, "fa 62%, ps 38%" for
    (code, share) pairs, "20–55" for a range. Shares and probabilities (named ``p_*``, ``*share*``, or the languages'
    shares) read as percentages, other numbers as they are. `parameter_table` gives Python literals, read with
    `ast.literal_eval` (never evaluated); anything else is shown as given."""
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value
    percent = name.startswith("p_") or "share" in name or name == "languages_by_nationality"
    return _as_text(parsed, percent)


def _as_text(value: object, percent: bool) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_as_text(item, percent)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, list | tuple) and len(v) == 2 for v in value):
            return ", ".join(f"{a} {_as_text(b, percent)}" for a, b in value)
        if len(value) == 2 and all(isinstance(v, int) for v in value):
            return f"{value[0]}–{value[1]}"
        return " / ".join(_as_text(v, percent) for v in value)
    if isinstance(value, float) and percent:
        return f"{value:.0%}" if round(value * 100, 6).is_integer() else f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
