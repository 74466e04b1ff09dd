"""The app's records: keep each scenario and run in the database, and restore them when the browser reloads.

A scenario (the two workbooks) is kept when valid data is loaded (sample, upload, edited tables); a run when it
ends; decisions when a coordinator takes them. New data inherits the capacity edits NGOs saved on the previous
data (`matcher.store.capacities.publish`): the session then works on the data with those edits, and the page says
which were carried, and which the new data changes too (its figures are kept). A new browser session of the same
user gets back their newest scenario and its runs. A failing database never loses the session's work silently:
the page says the record could not be kept.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from matcher.io import spec
from matcher.models.policy import policy_from_dict
from matcher.models.result import Result
from matcher.store.capacities import Change, Published, publish
from matcher.store.errors import FieldTooLong
from matcher.store.records import RunRow, ScenarioRecord, Store, StoredInput, input_hash, open_store, stored_input
from ui.components import state, workbooks
from ui.components.i18n import LABELS, add_labels, t
from ui.components.workbooks import frame_to_xlsx

_log = logging.getLogger("ui")

RECORD_LABELS: dict[str, tuple[str, str]] = {
    "record_failed": ("This {what} could not be kept in the records ({kind}); it stays in this session only.",
                      "Cet élément ({what}) n'a pas pu être enregistré ({kind}) ; il reste dans cette session "
                      "seulement."),
    "upload_refused": ("The file was refused before reading it: {reason}.",
                       "Le fichier a été refusé avant lecture : {reason}."),
    "restored": ("Restored your last scenario and its {n} runs.",
                 "Votre dernier scénario et ses {n} calculs ont été restaurés."),
    "field_too_long": ("{field} is longer than the records keep: at most {limit} characters (this one has {n}).",
                       "{field} est plus long que ce que le registre conserve : {limit} caractères au plus (celui-ci "
                       "en a {n})."),
    "number_too_large": ("{field} is larger than the records keep (at most {limit}).",
                         "{field} dépasse ce que le registre conserve ({limit} au plus)."),
    "capacity_change": ("{sheet} of {lid} by {owner} (scenario #{id})",
                        "{sheet} de {lid} par {owner} (scénario n° {id})"),
    "scenario_source_sample": ("sample data", "données d'exemple"),
    "scenario_source_upload": ("upload", "téléversement"),
    "scenario_source_edited": ("edited tables", "tableaux modifiés"),
    "scenario_source_capacities": ("capacities", "capacités"),
    "scenario_source_cli": ("command line", "ligne de commande"),
    "carried": ("Capacity edits saved on the previous data were kept in yours (scenario #{id}): {changes}.",
                "Les modifications de capacités enregistrées sur les données précédentes ont été reprises dans les "
                "vôtres (scénario n° {id}) : {changes}."),
    "carry_kept": ("Your data changes capacities that were also edited on the previous data; your figures were "
                   "kept: {changes}.",
                   "Vos données modifient des capacités qui avaient aussi été modifiées sur les données "
                   "précédentes ; vos chiffres ont été conservés : {changes}."),
}
add_labels(RECORD_LABELS)


def store() -> Store:
    return open_store()


def owner() -> str:
    u = st.session_state.get("user")
    return u.name if u is not None else "local"


def error_text(exc: BaseException) -> str:
    """What went wrong, in the user's language: the field and the limit for a value too long, else the kind.

    Plain text, to be placed by `t` (which escapes it once).
    """
    from ui.components.i18n import phrase

    if isinstance(exc, FieldTooLong):
        field = f"{exc.table}.{exc.column}"
        if exc.integer:
            return phrase("number_too_large", field=field, limit=exc.limit)
        return phrase("field_too_long", field=field, limit=exc.limit, n=exc.length)
    return type(exc).__name__


def _failed(what: str, exc: BaseException) -> None:
    _log.error("record %s failed with %s", what, type(exc).__name__)
    st.session_state["records_flash"] = ("warning", t("record_failed", what=what, kind=error_text(exc)))


def log(actor: str, action: str, subject: str = "", **detail: object) -> None:
    try:
        store().log(actor, action, subject, **detail)
    except Exception as exc:
        _failed("event", exc)


def keep_scenario(cases: StoredInput, localities: StoredInput, source: str, parent_id: int | None = None) -> None:
    """Keep the loaded data as the session's scenario, with the NGOs' saved capacity edits carried onto it.

    The newest identical scenario of this user is reused. When edits were carried, the session's data is
    replaced by the kept scenario's, so that what the coordinator matches is what the records hold.
    """
    set_provenance(input_hash(cases, localities), [cases.name, localities.name])  # kept or not
    try:
        s = store()
        done = publish(s, owner(), cases, localities, source, parent_id=parent_id,
                       reuse=s.latest_scenario(owner()))
        st.session_state["scenario_id"] = done.scenario_id
    except Exception as exc:
        st.session_state["scenario_id"] = None
        _failed("scenario", exc)
        return
    if done.carry.carried and not done.reused:
        _reload(s, done.scenario_id)
    try:
        scenario_provenance(s.scenario(done.scenario_id))
    except Exception as exc:
        _failed("scenario", exc)
    _say_carried(done)


def set_provenance(input_sha256: str, inputs: list[str]) -> None:
    """What the session's runs record as their inputs (`Result.provenance`), as the CLI's runs do: the hash of
    the two workbooks (names and bytes) and where they come from."""
    st.session_state["provenance"] = {"input_sha256": input_sha256, "inputs": list(inputs)}


def scenario_provenance(scenario: ScenarioRecord) -> None:
    """The provenance of a kept scenario's data: its hash, and its workbooks named in the records."""
    set_provenance(scenario.input_sha256, [f"records scenario {scenario.id}: {scenario.cases.name}",
                                           f"records scenario {scenario.id}: {scenario.localities.name}"])


def _reload(s: Store, scenario_id: int) -> None:
    """Replace the session's data by a kept scenario's (edits were carried onto it)."""
    scenario = s.scenario(scenario_id)
    source = st.session_state.get("data_source")
    with tempfile.TemporaryDirectory(prefix="matcher-carried-") as tmp:
        folder = Path(tmp)
        (folder / "c").mkdir()
        (folder / "l").mkdir()
        workbooks.read_into_session(scenario.cases.materialise(folder / "c"),
                                    scenario.localities.materialise(folder / "l"), source)
    st.session_state["scenario_id"] = scenario_id


def source_label(source: str) -> str:
    """A scenario's source in the user's language, as plain text (to be placed by `t`)."""
    from ui.components.i18n import phrase

    key = f"scenario_source_{source}"
    return phrase(key) if key in LABELS else source


def changes_text(changes: Sequence[Change], limit: int = 8) -> str:
    """Changes as "housing of 09225 by nina (scenario #13)", in the user's language.

    Plain text, to be placed by `t`, which makes it inert once (user names included).
    """
    from ui.components.i18n import phrase

    shown = [phrase("capacity_change", sheet=c.sheet, lid=c.locality_id, owner=c.owner, id=c.scenario_id)
             for c in changes[:limit]]
    more = len(changes) - limit
    return "; ".join(shown) + (f"; … (+{more})" if more > 0 else "")


def _say_carried(done: Published) -> None:
    lines = []
    if done.carry.carried:
        lines.append(t("carried", id=done.scenario_id, changes=changes_text(done.carry.carried)))
    if done.carry.kept:
        lines.append(t("carry_kept", changes=changes_text(done.carry.kept)))
    if lines:
        st.session_state["records_flash"] = ("warning" if done.carry.kept else "info", "  \n".join(lines))


def keep_scenario_paths(cases_path: Path, localities_path: Path, source: str) -> None:
    try:
        cases, localities = stored_input(cases_path), stored_input(localities_path)
    except OSError as exc:
        _failed("scenario", exc)
        return
    keep_scenario(cases, localities, source)


def keep_scenario_frames(frames: Mapping[str, Mapping[str, pd.DataFrame]], source: str) -> None:
    """Keep edited tables as a scenario: each workbook written as .xlsx (formulas neutralised)."""
    try:
        cases = StoredInput(spec.CASES.filename, "xlsx", frame_to_xlsx(spec.CASES, dict(frames["cases"])))
        localities = StoredInput(spec.LOCALITIES.filename, "xlsx",
                                 frame_to_xlsx(spec.LOCALITIES, dict(frames["localities"])))
    except Exception as exc:
        _failed("scenario", exc)
        return
    keep_scenario(cases, localities, source)


def keep_run(record: state.RunRecord) -> int | None:
    """Keep a finished run of the session's scenario; its id in the records, None when it could not be kept."""
    scenario_id = st.session_state.get("scenario_id")
    if scenario_id is None:
        _failed("run", RuntimeError("no scenario"))
        return None
    try:
        return store().add_run(scenario_id, owner(), "app", record.result, time_limit=record.time_limit,
                                       pins=record.pins, forbids=record.forbids, stable=record.stable)
    except Exception as exc:
        _failed("run", exc)
        return None


def restore() -> bool:
    """Load this user's newest scenario and its runs into the session; False when there is none."""
    try:
        s = store()
        scenario = s.latest_scenario(owner())
        if scenario is None:
            return False
        rows = s.runs(scenario.id)
    except Exception as exc:
        _failed("scenario", exc)
        return False
    with tempfile.TemporaryDirectory(prefix="matcher-restore-") as tmp:
        folder = Path(tmp)
        cases_dir, localities_dir = folder / "cases", folder / "localities"
        cases_dir.mkdir()
        localities_dir.mkdir()
        source = "sample" if scenario.source == "sample" else {"restored": scenario.id, "source": scenario.source}
        workbooks.read_into_session(scenario.cases.materialise(cases_dir),
                                    scenario.localities.materialise(localities_dir), source)
    st.session_state["scenario_id"] = scenario.id
    scenario_provenance(scenario)
    _restore_runs(rows)
    return True


def _restore_runs(rows: list[RunRow]) -> None:
    data = state.dataset()
    restored = []
    for row in rows:
        result = Result.model_validate_json(row.result_json)
        restored.append(state.RunRecord(
            run_id=row.id,
            started=row.created_at.astimezone().replace(tzinfo=None), policy_name=row.policy_name,
            seed=row.seed, time_limit=row.time_limit or 0.0, result=result, problem=None,
            kpis=state.compute_kpis(result, data), pins=dict(row.pins), forbids=list(row.forbids), stable=row.stable,
            policy=row.policy))
    if restored:
        st.session_state["runs"] = restored
        st.session_state["current_run"] = restored[-1].run_id
        state.set_overrides(restored[-1].pins, restored[-1].forbids)
        try:
            state.set_policy(policy_from_dict(restored[-1].policy), reset_widgets=True)
        except Exception as exc:  # a policy of an older version: keep the current one
            _log.warning("restored policy not usable: %s", type(exc).__name__)
