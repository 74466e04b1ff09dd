"""The placement policy: weights, rule modes, bedroom table, balance, objective and solver settings.

A policy is a TOML file validated here; unknown keys are rejected with their name (pydantic ``extra="forbid"``).
"""

from __future__ import annotations

import itertools
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class Mode(StrEnum):
    """How a rule binds."""

    HARD = "hard"
    """Never broken: a placement that breaks it is not an option."""
    SOFT = "soft"
    """May be broken, at a penalty per unit over."""
    OFF = "off"
    """Not checked."""


#: Workers (CP-SAT threads) a solve may use, and the largest seed: each worker searches with the seed plus its
#: number, and CP-SAT's seeds are 31-bit.
MAX_WORKERS = 64
MAX_SEED = 2**31 - 1 - MAX_WORKERS


class _Strict(BaseModel):
    # Numbers are finite: TOML's `inf` and `nan` are refused with the key's name.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False,
                              use_attribute_docstrings=True)


class Rule(_Strict):
    """How a placement rule binds: hard (never broken), soft (broken at `penalty` score per unit over), off."""

    mode: Mode = Mode.HARD
    """Hard, soft or off."""
    penalty: float = Field(default=1.0, ge=0)
    """Score units lost per unit over the capacity, when soft."""


def _hard() -> Rule:
    return Rule(mode=Mode.HARD)


def _soft(penalty: float) -> Rule:
    return Rule(mode=Mode.SOFT, penalty=penalty)


class Rules(_Strict):
    """One entry per rule of `docs/rules.md#rules`. Penalties are in score units (a family's score is in [0, 1])
    per unit over the capacity: per person, case, seat, adult or euro as the rule counts."""

    consent_persons: Rule = Field(default_factory=_hard, description="persons within max_persons")
    consent_cases: Rule = Field(default_factory=_hard, description="families within max_cases")
    housing: Rule = Field(default_factory=_hard, description="one unit with enough bedrooms, step-free if needed")
    schools: Rule = Field(default_factory=_hard, description="crèche, primary and secondary seats by age band")
    gp: Rule = Field(default_factory=_hard, description="GP capacity in persons")
    health_services: Rule = Field(default_factory=_hard, description="needed services offered, within capacity")
    interpreters: Rule = Field(default_factory=_hard, description="an interpreter in a family language")
    links: Rule = Field(default_factory=_hard, description="linked families in the same locality")
    exclusions: Rule = Field(default_factory=_hard, description="excluded localities never")
    budget: Rule = Field(default_factory=_hard, description="persons x cost within the locality budget")
    regional_budget: Rule = Field(default_factory=_hard, description="regional budgets of the policy")
    french_classes: Rule = Field(default_factory=lambda: _soft(0.2), description="French class seats")
    jobs: Rule = Field(default_factory=lambda: _soft(0.5), description="vacancies per sector")
    mobility: Rule = Field(default_factory=lambda: _soft(0.3), description="no transport and no licence")
    balance: Rule = Field(default_factory=lambda: _soft(0.02), description="share of persons per area")

    @model_validator(mode="after")
    def _no_soft_for_pairwise(self) -> Rules:
        for name in ("links", "exclusions"):
            if getattr(self, name).mode is Mode.SOFT:
                raise ValueError(f"rules.{name} can be 'hard' or 'off', not 'soft'")
        return self


class Weights(_Strict):
    """Weights of the score components; the score of a pair is their weighted mean, in [0, 1]."""

    employment: float = Field(default=1.0, ge=0)
    """Adults' qualifications against the commune's vacancies by sector."""
    language: float = Field(default=1.0, ge=0)
    """French classes and interpreters in the family's languages."""
    mobility: float = Field(default=0.5, ge=0)
    """Public transport, or a driving licence where there is none."""
    ties: float = Field(default=1.0, ge=0)
    """Relatives or community already in the commune."""
    preferences: float = Field(default=1.0, ge=0)
    """The family's stated preferences."""
    outcome: float = Field(default=0.0, ge=0)
    """Predicted outcome of the pair, from `Policy.outcome_csv` (0: not used)."""

    def as_dict(self) -> dict[str, float]:
        """The weights by component name."""
        return {k: float(v) for k, v in self.model_dump().items()}


class BedroomBand(_Strict):
    """Families of up to `max_persons` persons (None: any larger) need `bedrooms` bedrooms."""

    max_persons: int | None = Field(default=None, ge=1)
    """The largest family of the band (None: any larger)."""
    bedrooms: int = Field(ge=1)
    """Bedrooms such a family needs."""


def _default_bedrooms() -> list[BedroomBand]:
    return [
        BedroomBand(max_persons=2, bedrooms=1),
        BedroomBand(max_persons=4, bedrooms=2),
        BedroomBand(max_persons=6, bedrooms=3),
        BedroomBand(max_persons=None, bedrooms=4),
    ]


class Balance(_Strict):
    """Keep each area's share of placed persons near a target share (the national reception key)."""

    level: Literal["region", "departement", "none"] = "region"
    """The areas whose shares are kept near their targets."""
    target: Literal["population", "equal"] = "population"
    """Each area's target share: by population, or equal."""
    tolerance: float = Field(default=0.10, ge=0, le=1)
    """How far (as a share of placed persons) an area may be from its target before the penalty counts."""


#: What a re-run does with pins that cannot all be kept (`objective.pins`): keep what fits and leave the rest
#: unplaced with reasons, or fail with the diagnosis.
PinsMode = Literal["keep_what_fits", "fail"]


class Objective(_Strict):
    """What the search maximises: placing persons by priority first, then the total score (utilitarian)."""

    placement_weight: float | Literal["auto"] = Field(
        default="auto",
        description="value of placing one person, in score units; 'auto' makes placing always come first",
    )
    priority_weights: tuple[float, float, float] = (1.0, 2.0, 4.0)
    """How much placing a person of priority 1, 2 and 3 counts."""
    require_all_placed: bool = False
    """Every family must be placed (a hard rule: infeasible when one cannot be)."""
    stability_weight: float = Field(default=1.0, ge=0, description="re-solve bonus for staying put")
    pins: PinsMode = "keep_what_fits"
    """Pins that cannot all be kept (one breaks a hard rule, or together they exceed a capacity): keep those that
    fit and leave the others unplaced with the reason, or fail with the diagnosis."""

    @model_validator(mode="before")
    @classmethod
    def _no_maxmin(cls, data: Any) -> Any:
        """Files from before `maxmin` was withdrawn: `mode = "utilitarian"` (what the engine does) and its unused
        `groups` are read and dropped; `mode = "maxmin"` is refused, naming the key."""
        if not isinstance(data, dict) or ("mode" not in data and "groups" not in data):
            return data
        if data.get("mode", "utilitarian") != "utilitarian":
            raise ValueError(f"objective.mode = {data['mode']!r} is not supported: the engine maximises the total "
                             "score (utilitarian) only; remove objective.mode and objective.groups")
        if data.get("groups", "first_language") not in ("first_language", "priority", "size"):
            raise ValueError(f"objective.groups = {data['groups']!r} is not a known value, and maxmin groups are "
                             "not supported: remove objective.groups")
        return {k: v for k, v in data.items() if k not in ("mode", "groups")}


class SolverSettings(_Strict):
    """The search's limits, used when the command line or the app gives none."""

    time_limit: float = Field(default=45.0, gt=0)
    """Seconds from building the model to the checked result (a search that proves its plan optimal ends
    sooner). 45 s: on a 2-core machine shared with other work, the shortest limit that reached the optimum of a
    300-family, 45-commune scenario (`docs/policy.md#solver`)."""
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    """The random seed (the same seed and workers give the same plan when the clock stops no stage)."""
    workers: int = Field(default=2, ge=1, le=MAX_WORKERS)
    """Parallel search workers."""


class OutcomeSettings(_Strict):
    """Where the `outcome` component's predictions come from besides `Policy.outcome_csv` (`docs/outcomes.md`)."""

    model: str | None = None
    """A model folder written by `matcher outcomes fit`, relative to the policy file: the families' outcomes are
    predicted with it at each match."""


class NoticeSettings(_Strict):
    """What the decision notices (`matcher notice`, `docs/notices.md`) say about who decides and how to ask for
    a review. Written as given, in the notice's language or not: leave empty for the notice's own wording."""

    authority: str = Field(default="", max_length=300)
    """Who takes the decision, as the notices name it (e.g. "la préfecture de l'Ariège"); empty: "the
    administration that sent you this notice"."""
    review: str = Field(default="", max_length=2000)
    """How to ask for a review of the proposal: to whom, where, by when; empty: the notice's default wording
    (write to the administration that sent the notice)."""


class Policy(_Strict):
    """How families are placed: score weights, which rules bind and how, the bedroom table, balance between areas,
    the objective and the solver's limits (`docs/policy.md`). Read from TOML with `load_policy`."""

    name: str = "balanced"
    """A short name, shown in results and the app."""
    description: str = ""
    """What the policy is for, in words."""
    weights: Weights = Field(default_factory=Weights)
    """Score weights by component."""
    rules: Rules = Field(default_factory=Rules)
    """How each placement rule binds."""
    bedroom_table: list[BedroomBand] = Field(default_factory=_default_bedrooms)
    """Bedrooms needed by family size, in increasing bands."""
    balance: Balance = Field(default_factory=Balance)
    """Balance of placed persons between areas."""
    regional_budgets: dict[str, float] = Field(default_factory=dict)
    """Budget per region code, in euros (the `regional_budget` rule)."""
    objective: Objective = Field(default_factory=Objective)
    """What the search maximises."""
    solver: SolverSettings = Field(default_factory=SolverSettings)
    """The search's default limits."""
    outcome_csv: str | None = Field(default=None, description="CSV case_id,locality_id,outcome in [0, 1], "
                                    "relative to the policy file")
    outcomes: OutcomeSettings | None = None
    """A fitted outcome model to predict the `outcome` component with (`[outcomes] model = "DIR"`)."""
    notice: NoticeSettings = Field(default_factory=NoticeSettings)
    """Who decides and how to ask for a review, as the decision notices say it."""

    @model_validator(mode="after")
    def _one_outcome_source(self) -> Policy:
        if self.outcome_csv is not None and self.outcomes is not None and self.outcomes.model is not None:
            raise ValueError("give either outcome_csv or [outcomes] model, not both")
        return self

    @field_validator("bedroom_table")
    @classmethod
    def _table_ordered(cls, table: list[BedroomBand]) -> list[BedroomBand]:
        if not table:
            raise ValueError("bedroom_table needs at least one band")
        if any(b.max_persons is None for b in table[:-1]):
            raise ValueError("only the last bedroom_table band may leave max_persons blank")
        bounded = [b.max_persons for b in table if b.max_persons is not None]
        if any(a >= b for a, b in itertools.pairwise(bounded)):
            raise ValueError("bedroom_table bands must be in increasing max_persons")
        return table

    def bedrooms_for(self, persons: int) -> int:
        """Bedrooms a family of `persons` persons needs."""
        for band in self.bedroom_table:
            if band.max_persons is None or persons <= band.max_persons:
                return band.bedrooms
        return self.bedroom_table[-1].bedrooms

    def to_toml(self) -> str:
        """The policy as a TOML file that `load_policy` reads back."""
        return dumps_toml(self.model_dump(mode="json", exclude_none=True))


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and each bad key."""


def load_policy(path: str | Path) -> Policy:
    """Read and validate a TOML policy; raise PolicyError naming the file and every bad key."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{p.name}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{p.name}: not valid TOML ({exc})") from None
    return policy_from_dict(data, source=p.name)


def validation_lines(exc: ValidationError, source: str) -> str:
    """One line per problem of a TOML-born model, naming the file and the key: `policy.toml › weights.foo:
    unknown key`."""
    lines = []
    for err in exc.errors():
        key = ".".join(str(x) for x in err["loc"]) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"{source} › {key}: {msg}")
    return "\n".join(lines)


def policy_from_dict(data: dict[str, Any], source: str = "policy") -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(validation_lines(exc, source)) from None


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        escaped = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(type(v))


def _toml_key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else _toml_value(k)


def dumps_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer for policy dictionaries (scalars, lists, tables and arrays of tables)."""
    scalars, tables, arrays = [], [], []
    for k, v in data.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            arrays.append((k, v))
        else:
            scalars.append(f"{_toml_key(k)} = {_toml_value(v)}")
    out = "\n".join(scalars)
    for k, v in tables:
        name = f"{prefix}{_toml_key(k)}"
        body = dumps_toml(v, prefix=name + ".")
        out += f"\n\n[{name}]\n{body}" if body else f"\n\n[{name}]"
    for k, items in arrays:
        for item in items:
            out += f"\n\n[[{prefix}{_toml_key(k)}]]\n" + dumps_toml(item)
    return out.strip() + "\n"
