"""Changes between two runs as the pages show them: with their unit, and nothing for no change."""

from __future__ import annotations


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
