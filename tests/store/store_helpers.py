"""Helpers of the store's tests (a module of its own: `conftest` names clash across test folders)."""

from __future__ import annotations

from matcher.models.result import LocalityUse, Placement, Provenance, Result, Unplaced


def make_result(placements: dict[str, str], unplaced: tuple[str, ...] = (), seed: int = 0) -> Result:
    """A small result with the given plan (case -> commune) and unplaced cases."""
    return Result(
        status="optimal", objective=10.0, bound=10.0, gap=0.0, seconds=0.1,
        placements=[Placement(case_id=c, locality_id=loc, bedrooms=2, score=0.5) for c, loc in placements.items()],
        unplaced=[Unplaced(case_id=c, reasons=["no unit left"]) for c in unplaced],
        localities=[LocalityUse(locality_id=loc, used={"persons": 1.0}, capacity={"persons": 5.0})
                    for loc in sorted(set(placements.values()))],
        provenance=Provenance(input_sha256="ab" * 32, policy={"name": "balanced"}, seed=seed,
                              matcher_version="0.1.0", ortools_version="9.x"),
    )
