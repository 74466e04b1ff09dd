"""The result contract of DESIGN.md section 6, shared by the CLI, the app and every other consumer."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Status(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Placement(_Out):
    case_id: str
    locality_id: str
    bedrooms: int | None = None
    score: float
    components: dict[str, float] = Field(default_factory=dict)


class Unplaced(_Out):
    case_id: str
    reasons: list[str] = Field(default_factory=list)
    #: The kind of the main reason (a key of ``matcher.explain.reasons.KIND_WORDS``), for counts that name no
    #: need; kept in memory only, not written to the result file.
    kind: str = Field(default="", exclude=True)


class LocalityUse(_Out):
    locality_id: str
    used: dict[str, float] = Field(default_factory=dict)
    capacity: dict[str, float | None] = Field(default_factory=dict)


class Provenance(_Out):
    input_sha256: str = ""
    #: Where the inputs were read from (absolute paths), so that `matcher explain` can find them again.
    inputs: list[str] = Field(default_factory=list)
    policy: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0
    workers: int = 1
    matcher_version: str = ""
    ortools_version: str = ""


class Result(_Out):
    status: Status
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    placements: list[Placement] = Field(default_factory=list)
    unplaced: list[Unplaced] = Field(default_factory=list)
    localities: list[LocalityUse] = Field(default_factory=list)
    provenance: Provenance = Field(default_factory=Provenance)
    #: Extras beyond the contract: the solver's own proven bound, the violations of soft rules, a diagnosis.
    solver_bound: float | None = None
    soft_violations: list[dict[str, Any]] = Field(default_factory=list)
    diagnosis: list[str] = Field(default_factory=list)
    #: The same seed and worker count give this plan again: no stage was stopped by the wall clock (always true in
    #: work-limited mode). None in results written before this field existed.
    deterministic: bool | None = None
    #: What the status and gap mean where they could mislead (an optimum with nothing placed, a plan that the
    #: time limit cut and another run may not repeat).
    notes: list[str] = Field(default_factory=list)

    @property
    def placed_case_ids(self) -> set[str]:
        return {p.case_id for p in self.placements}

    def plan(self) -> dict[str, str]:
        return {p.case_id: p.locality_id for p in self.placements}
