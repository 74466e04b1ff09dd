"""Session state of the app: the scenario (data, policy), pins and forbids, the run in progress and past runs.

Every page reads and writes state through these helpers so that key names live in one place.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from matcher.explain import CaseExplanation
from matcher.i18n import from_accept, resolve_lang
from matcher.models.policy import Policy, load_policy, policy_from_dict
from matcher.models.records import Dataset
from matcher.models.result import Result
from matcher.problem import Problem, build_problem
from matcher.store import ordered_pairs
from ui.components.i18n import phrase

UI_DIR = Path(__file__).resolve().parents[1]
SAMPLE_DIR = UI_DIR.parent / "sample_data"
#: Another folder of demo data (cases.xlsx, localities.xlsx, policies/*.toml) for a deployment or a demo.
SAMPLE_ENV = "MATCHER_SAMPLE_DIR"


def sample_dir() -> Path:
    return Path(os.environ.get(SAMPLE_ENV) or SAMPLE_DIR)

_DEFAULTS: dict[str, object] = {
    "dataset": None,  # Dataset | None: the last valid data
    "frames": None,  # {"cases": {sheet: DataFrame}, "localities": {...}}: what the editor shows
    "issues": [],  # validation issues of the last read, as plain rows (see components.data)
    "report_of": None,  # what the shown report is about: a Source, or {"alone": name, "workbook": ...}
    "data_source": None,  # "sample" or the uploaded file names
    "data_version": 0,  # bumped on every new read so that editors start fresh
    "policy": None,  # Policy
    "policy_version": 0,  # bumped when a preset or file replaces the policy, to reset its widgets
    "pins": {},  # case_id -> locality_id, in the order they were made
    "forbids": [],  # [(case_id, locality_id)], in the order they were made
    "runner": None,  # BackgroundRun | None
    "runs": [],  # list[RunRecord]
    "current_run": None,  # run_id shown on the Match page
    "sample_tried": False,
    "scenario_id": None,  # the scenario's id in the records, None when it could not be kept
    "provenance": {},  # {"input_sha256": ..., "inputs": [...]} of the data in use, for the runs' results
    "user": None,  # matcher.store.UserRecord of whoever uses this session (see components.access)
    "outcome_table": None,  # (file name, DataFrame case_id, locality_id, outcome) uploaded on the Policy page
}


def init_state() -> None:
    """Put a default for every key the pages use (first run of a session only)."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = first_language()
    for key, value in _DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = value.copy() if isinstance(value, dict | set | list) else value
    if st.session_state["policy"] is None:
        st.session_state["policy"] = default_policy()


def first_language() -> str:
    """The language of a new session: the one kept in the address (``?lang=fr``, written when the user chooses),
    else the browser's (its ``navigator.language``, then its Accept-Language header), else the server's
    (MATCHER_LANG, the system locale), else French."""
    asked = st.query_params.get("lang")
    if asked in ("fr", "en"):
        return str(asked)
    try:
        browser = from_accept(st.context.locale) or from_accept(st.context.headers.get("Accept-Language"))
    except Exception:  # no browser behind the session (a script run, a test): the server's language
        browser = None
    if browser:
        return browser
    try:
        return resolve_lang()
    except ValueError:  # MATCHER_LANG names a language the app does not speak
        return "fr"


def remember_language() -> None:
    """Keep the language chosen in the address, so that a reload or a bookmark opens the app in it."""
    st.query_params["lang"] = st.session_state["lang"]


def default_policy() -> Policy:
    """The 'balanced' preset when it is shipped, else the built-in defaults."""
    path = preset_paths().get("balanced")
    if path is not None:
        try:
            return load_policy(path)
        except Exception:  # a broken preset must not stop the app; defaults are safe
            return Policy()
    return Policy()


def sample_paths() -> tuple[Path, Path] | None:
    """The sample workbooks (cases, localities) if they are shipped next to the package."""
    folder = sample_dir()
    cases, localities = folder / "cases.xlsx", folder / "localities.xlsx"
    if cases.is_file() and localities.is_file():
        return cases, localities
    return None


def preset_paths() -> dict[str, Path]:
    """Named policy presets: file stem -> path."""
    folder = sample_dir() / "policies"
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def dataset() -> Dataset | None:
    return st.session_state.get("dataset")


def policy() -> Policy:
    pol = st.session_state.get("policy")
    return pol if pol is not None else Policy()


def outcome_table() -> tuple[str, pd.DataFrame] | None:
    """The outcome CSV uploaded on the Policy page (its name and table), scored by the policy's outcome weight."""
    found = st.session_state.get("outcome_table")
    return found if isinstance(found, tuple) else None


def set_outcome_table(found: tuple[str, pd.DataFrame] | None) -> None:
    st.session_state["outcome_table"] = found


def outcome_frame() -> pd.DataFrame | None:
    """The uploaded outcomes as `build_problem` takes them, or None."""
    found = outcome_table()
    return None if found is None else found[1]


def set_policy(pol: Policy, *, reset_widgets: bool = False) -> None:
    st.session_state["policy"] = pol
    if reset_widgets:
        st.session_state["policy_version"] = st.session_state.get("policy_version", 0) + 1


# ------------------------------------------------------------------------------------------------ KPIs


@dataclass(frozen=True)
class Kpis:
    """The headline figures of a run."""

    status: str
    families_placed: int
    persons_placed: int
    families_unplaced: int
    persons_unplaced: int
    mean_score: float | None
    objective: float | None
    gap: float | None
    seconds: float

    def as_dict(self) -> dict[str, str | int | float | None]:
        """The figures by name (the Runs page compares two runs figure by figure)."""
        return dataclasses.asdict(self)


def compute_kpis(result: Result, data: Dataset | None) -> Kpis:
    """Families and persons placed, unplaced, mean score, gap and time of a result."""
    persons = {c.case_id: c.persons for c in data.cases} if data is not None else {}
    placed = result.placements
    scores = [p.score for p in placed]
    return Kpis(
        status=str(result.status),
        families_placed=len(placed),
        persons_placed=sum(persons.get(p.case_id, 0) for p in placed),
        families_unplaced=len(result.unplaced),
        persons_unplaced=sum(persons.get(u.case_id, 0) for u in result.unplaced),
        mean_score=(sum(scores) / len(scores)) if scores else None,
        objective=result.objective,
        gap=result.gap,
        seconds=result.seconds,
    )


@dataclass
class RunRecord:
    """A run of this scenario, kept in memory for the Runs page."""

    #: The run's id in the records (the audit log's ``run:N``, the CLI's ``matcher records runs``), so that it
    #: is the same on every page, in export names and after a reload; negative (-1, -2, ...) for a run the
    #: records could not keep, which then lives in this session only.
    run_id: int
    started: dt.datetime
    policy_name: str
    seed: int
    time_limit: float
    result: Result
    problem: Problem | None
    kpis: Kpis
    #: Its pins and forbids in the order they were made (kept so in the records, restored so, shown so).
    pins: dict[str, str] = field(default_factory=dict)
    forbids: list[tuple[str, str]] = field(default_factory=list)
    stable: bool = False
    #: Views computed once per run: the locality report (it solves an LP), and the explanation of each family.
    locality_report: pd.DataFrame | None = None
    explanations: dict[str, CaseExplanation] = field(default_factory=dict)
    #: The policy it ran with (a restored run rebuilds its problem).
    policy: dict[str, Any] = field(default_factory=dict)

    @property
    def db_id(self) -> int | None:
        """Its id in the records, None when they could not keep it."""
        return self.run_id if self.run_id > 0 else None

    @property
    def tag(self) -> str:
        """"#12" for the records' run 12; "#12" never names two runs (an unkept run says so instead)."""
        return f"#{self.run_id}" if self.run_id > 0 else phrase("run_unkept", n=-self.run_id)

    @property
    def file_stem(self) -> str:
        """The run in export file names: ``run12``, or ``unkept-run1`` for a run the records do not hold."""
        return f"run{self.run_id}" if self.run_id > 0 else f"unkept-run{-self.run_id}"

    @property
    def label(self) -> str:
        """Plain text (not Markdown): the run's tag, start time and policy."""
        return f"{self.tag} · {self.started:%H:%M:%S} · {self.policy_name}"


def unkept_run_id() -> int:
    """A session-only id for a run the records could not keep: below every id in use (never a store id)."""
    return min([0, *(r.run_id for r in st.session_state.get("runs", []))]) - 1


def problem_of(run: RunRecord) -> Problem:
    """The run's problem arrays; a run restored from the records builds them again from its data and policy
    (explanations then leave out the stability term of a stable re-run, which only breaks ties)."""
    if run.problem is None:
        data = dataset()
        if data is None:
            raise LookupError("no data for this run")
        run.problem = build_problem(data, policy_from_dict(run.policy) if run.policy else policy(),
                                    pins=dict(run.pins) or None, forbids=set(run.forbids) or None,
                                    outcomes=outcome_frame())
    return run.problem


def runs() -> list[RunRecord]:
    return list(st.session_state.get("runs", []))


def current_run() -> RunRecord | None:
    rid = st.session_state.get("current_run")
    for run in st.session_state.get("runs", []):
        if run.run_id == rid:
            return run
    return None


def add_run(record: RunRecord) -> None:
    st.session_state["runs"] = [*st.session_state.get("runs", []), record]
    st.session_state["current_run"] = record.run_id


def clear_scenario_runs() -> None:
    """New data is a new scenario: its runs, pins and forbids start empty."""
    st.session_state["runs"] = []
    st.session_state["current_run"] = None
    clear_overrides()


# ------------------------------------------------------------------------------------ pins and forbids
# The coordinator's overrides for the next run: a family pinned to a commune, or forbidden from one. They live
# under the keys "pins" and "forbids" in the order they were made (the newest last: the Match page lists them so,
# the records keep them so and a restored run brings them back so); pages read copies and change them only
# through these functions, which keep the two consistent (a family is never pinned where it is forbidden).


def pins() -> dict[str, str]:
    """The pins for the next run, case_id -> locality_id, oldest first (a copy)."""
    return dict(st.session_state.get("pins", {}))


def forbids() -> list[tuple[str, str]]:
    """The forbidden pairs (case_id, locality_id) for the next run, oldest first, each once (a copy)."""
    return ordered_pairs(st.session_state.get("forbids", ()))


def set_overrides(new_pins: Mapping[str, str], new_forbids: Iterable[tuple[str, str]]) -> None:
    """Replace the pins and forbids, keeping their order (a restored run brings back its own)."""
    st.session_state["pins"] = dict(new_pins)
    st.session_state["forbids"] = ordered_pairs(new_forbids)


def pin(pairs: Iterable[tuple[str, str]]) -> None:
    """Pin each family to a commune (a family pinned again moves to the end: its newest pin); a forbid of that
    same pair is lifted."""
    new_pins, new_forbids = pins(), forbids()
    for case_id, locality_id in pairs:
        new_pins.pop(case_id, None)
        new_pins[case_id] = locality_id
        new_forbids = [p for p in new_forbids if p != (case_id, locality_id)]
    set_overrides(new_pins, new_forbids)


def forbid(pairs: Iterable[tuple[str, str]]) -> None:
    """Forbid each family from a commune (after the forbids already made); a pin of that same pair is lifted."""
    new_pins, new_forbids = pins(), forbids()
    for case_id, locality_id in pairs:
        new_forbids.append((case_id, locality_id))
        if new_pins.get(case_id) == locality_id:
            del new_pins[case_id]
    set_overrides(new_pins, new_forbids)


def unpin(case_id: str) -> None:
    """Lift the family's pin."""
    new_pins = pins()
    new_pins.pop(case_id, None)
    set_overrides(new_pins, forbids())


def unforbid(pair: tuple[str, str]) -> None:
    """Lift one forbid."""
    set_overrides(pins(), [p for p in forbids() if p != tuple(pair)])


def clear_overrides() -> None:
    """No pin, no forbid."""
    set_overrides({}, ())


def overrides_changed(run: RunRecord) -> bool:
    """True when the pins or forbids differ from those the run was made with (their order does not change a run)."""
    return run.pins != pins() or set(run.forbids) != set(forbids())
