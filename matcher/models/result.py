"""The result of a match: the contract of `docs/results.md#result-json`, shared by the CLI, the app and every
other consumer, with its readable summary (`Result.summary`) and a table of its placements (`Result.to_frame`)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from matcher.i18n import Msg, Number, Said, _, _n, render

if TYPE_CHECKING:
    import pandas as pd

    from matcher.models.records import Dataset

#: What each kind of main reason for an unplaced family says in a count (``Unplaced.kind``), in words that name
#: no family and, for the kinds in `SENSITIVE_KINDS`, are never printed beside an id.
KIND_WORDS: dict[str, Msg] = {
    "nowhere:health_services": _("a health service they need is offered nowhere"),
    "nowhere:housing": _("no commune has a fitting housing unit"),
    "nowhere:housing_step_free": _("no commune has a fitting step-free housing unit"),
    "nowhere:interpreters": _("no commune offers an interpreter in their languages"),
    "nowhere:exclusions": _("every commune is excluded for them"),
    "nowhere:pin": _("pinned by the coordinator to a commune that cannot take them"),
    "nowhere:forbid": _("forbidden by the coordinator everywhere"),
    "nowhere:consent_persons": _("too many persons for any commune's agreement"),
    "nowhere:consent_cases": _("no commune takes families"),
    "nowhere:schools": _("not enough crèche or school seats in any commune"),
    "nowhere:gp": _("not enough GP capacity in any commune"),
    "nowhere:mobility": _("no commune with public transport, and no driving licence"),
    "nowhere:budget": _("over the budget of every commune"),
    "nowhere:regional_budget": _("over the regional budget everywhere"),
    "nowhere:combined": _("no single commune meets all their needs at once"),
    "no communes": _("there are no communes"),
    "linked": _("linked families that no commune can take together"),
    "full:service": _("the communes that could take them have no health service capacity left"),
    "full:housing_step_free": _("the communes that could take them have no fitting step-free unit left"),
    "full": _("the communes that could take them are full"),
    "room": _("room was left, but placing them would lower the plan's total, or the search ran out of time"),
    "not explained": _("not explained in detail: the time limit was reached (`matcher explain` gives the reasons)"),
    "timeout": _("the time limit ended before a plan could place them"),
    "conflict": _("the hard rules contradict each other (see the conflicts)"),
}
#: The kinds that tell a health need or a disability: counted, never listed with ids on the CLI's output.
SENSITIVE_KINDS = frozenset({"nowhere:health_services", "nowhere:housing_step_free", "nowhere:combined",
                             "full:service", "full:housing_step_free"})


class Status(StrEnum):
    """How the search ended."""

    OPTIMAL = "optimal"
    """No better plan exists (the gap to the bound is closed)."""
    FEASIBLE = "feasible"
    """A plan that keeps every hard rule; a better one may exist (see `Result.gap`)."""
    INFEASIBLE = "infeasible"
    """The hard rules contradict each other: no plan keeps them all (see `Result.diagnosis`)."""
    TIMEOUT = "timeout"
    """The time limit ended before a plan was found."""
    CANCELLED = "cancelled"
    """The user stopped the search."""


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Placement(_Out):
    """One family placed in one commune."""

    case_id: str
    """The family (``case_id`` of the cases workbook)."""
    locality_id: str
    """The commune (``locality_id`` of the localities workbook, usually its INSEE code)."""
    bedrooms: int | None = None
    """Bedrooms of the housing unit the family takes (None when the commune's housing has no unit sizes)."""
    score: float
    """How well the commune fits the family, the policy's weighted sum of the components (0 to 1)."""
    components: dict[str, float] = Field(default_factory=dict)
    """Each score component (employment, language, ...) before weighting, 0 to 1."""


class Unplaced(_Out):
    """A family left unplaced, with every reason, in words."""

    case_id: str
    """The family."""
    reasons: list[Said] = Field(default_factory=list)
    """Why no commune could take it (or why placing it would lower the plan's total): messages in memory, their
    English words in the result file (see :mod:`matcher.i18n`)."""
    kind: str = Field(default="", exclude=True)
    """The kind of the main reason (a key of `KIND_WORDS`), for counts that name no need; kept in memory only,
    not written to the result file."""


class LocalityUse(_Out):
    """What the plan uses of one commune's capacities."""

    locality_id: str
    """The commune."""
    used: dict[str, float] = Field(default_factory=dict)
    """Per resource (``persons``, ``housing:4``, ``school``, ...), what the placed families use."""
    capacity: dict[str, float | None] = Field(default_factory=dict)
    """Per resource, what the commune offers (None: no limit declared)."""


class Provenance(_Out):
    """Where a result came from, so that it can be traced and repeated."""

    input_sha256: str = ""
    """SHA-256 of the two input files (cases, then localities), hex."""
    inputs: list[str] = Field(default_factory=list)
    """Where the inputs were read from (absolute paths), so that `matcher explain` can find them again."""
    policy: dict[str, Any] = Field(default_factory=dict)
    """The policy the plan was made under, in full."""
    seed: int = 0
    """The random seed of the search."""
    workers: int = 1
    """The search's parallel workers."""
    matcher_version: str = ""
    """The version of this package."""
    ortools_version: str = ""
    """The version of OR-Tools."""


class Result(_Out):
    """A plan (placements, unplaced families with reasons, what each commune uses) and how good it is proven.

    Made by `matcher.engine`; written by `matcher.io.results.write_result`; read back with
    ``Result.model_validate_json``.
    """

    status: Status
    """How the search ended."""
    objective: float | None = None
    """The plan's value in the engine's units: the placement weights of the families placed plus their scores,
    less the penalties of soft rules (`docs/rules.md#objective`); None without a plan."""
    bound: float | None = None
    """An independent upper bound on `objective`: the LP relaxation, or the tighter Lagrangian bound where it
    applies (None: not computed)."""
    gap: float | None = None
    """``(bound - objective) / |bound|`` (relative to 1 when the bound is below 1): how far the plan can be from
    the best possible one, at most; 0 when proved optimal."""
    seconds: float = 0.0
    """Wall time from the start of building to the checked result."""
    placements: list[Placement] = Field(default_factory=list)
    """Every placed family."""
    unplaced: list[Unplaced] = Field(default_factory=list)
    """Every family not placed, with its reasons."""
    localities: list[LocalityUse] = Field(default_factory=list)
    """What the plan uses of each commune's capacities."""
    provenance: Provenance = Field(default_factory=Provenance)
    """Inputs, policy, seed and versions."""
    solver_bound: float | None = None
    """The solver's own proven bound (beyond the contract)."""
    soft_violations: list[dict[str, Any]] = Field(default_factory=list)
    """The soft rules the plan breaks, with their penalties (beyond the contract)."""
    diagnosis: list[str] = Field(default_factory=list)
    """When infeasible: which hard rules contradict each other (beyond the contract)."""
    deterministic: bool | None = None
    """The same seed and worker count give this plan again: no stage was stopped by the wall clock (always true
    in work-limited mode). None in results written before this field existed."""
    notes: list[str] = Field(default_factory=list)
    """What the status and gap mean where they could mislead (an optimum with nothing placed, a plan that the
    time limit cut and another run may not repeat)."""

    @property
    def placed_case_ids(self) -> set[str]:
        """The ids of the placed families."""
        return {p.case_id for p in self.placements}

    def plan(self) -> dict[str, str]:
        """The plan as family id -> commune id."""
        return {p.case_id: p.locality_id for p in self.placements}

    def summary(self, dataset: Dataset | None = None, lang: str = "en") -> str:
        """The readable summary `matcher match` prints, in `lang`: status, families (and persons, given the
        dataset) placed, mean score, objective, bound, gap and time, notes, and the unplaced families counted by
        kind of reason.

        Ids are listed (the first few) only beside kinds that tell no health need.
        """
        families = len(self.placements) + len(self.unplaced)
        placed = _("placed: {n} of {total} families", n=len(self.placements), total=families)
        if dataset is not None:
            persons = {c.case_id: c.persons for c in dataset.cases}
            placed = _("placed: {n} of {total} families, {persons} of {all_persons} persons",
                       n=len(self.placements), total=len(dataset.cases),
                       persons=sum(persons[p.case_id] for p in self.placements), all_persons=dataset.persons)
        lines: list[Msg | str] = [_("status: {status}", status=STATUS_WORDS[self.status]), placed]
        if self.placements:
            lines.append(_("mean score: {score}", score=Number(sum(p.score for p in self.placements)
                                                               / len(self.placements), 3)))
        gap = _("n/a") if self.gap is None else _("{value}%", value=Number(100 * self.gap, 3))
        lines.append(_("objective {objective}, LP bound {bound}, gap {gap}, {seconds} s",
                       objective=str(self.objective), bound=str(self.bound), gap=gap,
                       seconds=Number(self.seconds, 1)))
        lines += [_("note: {note}", note=note) for note in self.notes]
        if self.deterministic is False:
            lines.append(_("note: the time limit stopped the search: another run may give a different plan; use "
                           "--deterministic (work-limited) for a repeatable plan"))
        if self.unplaced:
            lines += unplaced_counts(self.unplaced)
        return "\n".join(render(line, lang) for line in lines)

    def to_frame(self, names: Mapping[str, str] | None = None) -> pd.DataFrame:
        """The placements as a table: one row per family with ``case_id``, ``locality_id`` (and
        ``locality_name`` given ``names``, commune id -> name), ``bedrooms``, ``score`` and one column per score
        component."""
        import pandas as pd

        rows = []
        for p in self.placements:
            row: dict[str, Any] = {"case_id": p.case_id, "locality_id": p.locality_id}
            if names is not None:
                row["locality_name"] = names.get(p.locality_id, "")
            row |= {"bedrooms": p.bedrooms, "score": p.score, **p.components}
            rows.append(row)
        columns = ["case_id", "locality_id", *(["locality_name"] if names is not None else []), "bedrooms", "score"]
        return pd.DataFrame(rows, columns=None if rows else columns)


#: Families listed by id per kind of reason in a summary (the rest are counted).
MAX_LISTED = 10


def unplaced_counts(unplaced: list[Unplaced]) -> list[Msg]:
    """The unplaced families counted by kind of reason, most frequent first; ids (the first few) only for kinds
    that tell no health need."""
    lines = [_("unplaced: {n}", n=len(unplaced))]
    by_kind: dict[str, list[str]] = {}
    for u in unplaced:
        by_kind.setdefault(u.kind or "other", []).append(u.case_id)
    for kind, ids in sorted(by_kind.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        reason = KIND_WORDS.get(kind) or _("other reasons")  # (apart: Babel misses a message nested in another)
        line = _n("  {n} family: {reason}", "  {n} families: {reason}", len(ids), reason=reason)
        if kind not in SENSITIVE_KINDS and kind in KIND_WORDS:
            more = len(ids) - MAX_LISTED
            listed = ", ".join(ids[:MAX_LISTED])
            line = (_("{line} ({ids} and {more} more)", line=line, ids=listed, more=more) if more > 0
                    else _("{line} ({ids})", line=line, ids=listed))
        lines.append(line)
    return lines


#: How each status reads in a summary.
STATUS_WORDS: dict[Status, Msg] = {
    Status.OPTIMAL: _("optimal"), Status.FEASIBLE: _("feasible"), Status.INFEASIBLE: _("infeasible"),
    Status.TIMEOUT: _("timeout"), Status.CANCELLED: _("cancelled"),
}
