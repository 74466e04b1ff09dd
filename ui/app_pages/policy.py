"""Policy page: weights, rules, bedroom table, balance, objective and solver; presets; TOML in and out."""

from __future__ import annotations

import math
import numbers
import tomllib
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from matcher.models.policy import Policy, PolicyError, load_policy, policy_from_dict
from matcher.outcomes.table import OutcomeFileError, read_outcome_table
from ui.components import state
from ui.components.i18n import add_labels, t
from ui.components.text import plain_lines

add_labels({
    "outcomes_header": ("Predicted outcomes", "Résultats prédits"),
    "outcomes_help": (
        "A CSV of predicted outcomes per family and commune (case_id, locality_id, outcome from 0 to 1), as "
        "`matcher outcomes predict` writes it; the outcome weight scores it in every run.",
        "Un CSV des résultats prédits par famille et par commune (case_id, locality_id, outcome de 0 à 1), tel "
        "que l'écrit `matcher outcomes predict` ; le poids « outcome » le prend en compte à chaque calcul."),
    "outcomes_upload": ("Outcome CSV", "CSV des résultats prédits"),
    "outcomes_loaded": ("{name}: {pairs} pairs, for {families} of the {total} families of the data.",
                        "{name} : {pairs} paires, pour {families} des {total} familles des données."),
    "outcomes_weight_zero": ("The outcome weight is 0: the predictions do not change the plan.",
                             "Le poids « outcome » vaut 0 : les prédictions ne changent pas le plan."),
    "outcomes_clear": ("Remove the outcomes", "Retirer les résultats prédits"),
    "outcomes_bad": ("The outcome file cannot be used:", "Le fichier des résultats prédits est inutilisable :"),
    "outcomes_policy_names": (
        "This policy names {name}: upload that file here to use it (the app reads no path written in a policy).",
        "Cette politique désigne {name} : déposez ce fichier ici pour l'utiliser (l'application ne lit aucun "
        "chemin écrit dans une politique)."),
    "outcomes_models": (
        "A fitted model is not uploaded here: loading a model file runs code. Fit one below, or run `matcher "
        "outcomes predict` with it and upload the CSV it writes.",
        "Un modèle entraîné ne se dépose pas ici : charger un fichier de modèle exécute du code. Entraînez-en un "
        "ci-dessous, ou lancez `matcher outcomes predict` avec ce modèle et déposez le CSV qu'il écrit."),
    "fit_header": ("Fit a model on past placements", "Entraîner un modèle sur les placements passés"),
    "fit_help": (
        "A history workbook (sheets cases, members, outcomes, as `matcher outcomes template` writes it) of families "
        "placed in the communes of the data: a model of employed_12m is fitted on it, checked on later arrivals, "
        "and predicts every family and commune of the data.",
        "Un classeur d'historique (feuilles cases, members, outcomes, tel que l'écrit `matcher outcomes template`) "
        "des familles placées dans les communes des données : un modèle de employed_12m y est entraîné, vérifié "
        "sur les arrivées suivantes, et prédit chaque famille et commune des données."),
    "fit_upload": ("History (.xlsx, or its CSV files)", "Historique (.xlsx, ou ses fichiers CSV)"),
    "fit_run": ("Fit and predict", "Entraîner et prédire"),
    "fit_running": ("Fitting the model (up to a few minutes)…", "Entraînement du modèle (quelques minutes au plus)…"),
    "fit_no_data": ("Load the data first: the model predicts its families and communes.",
                    "Chargez d'abord les données : le modèle prédit leurs familles et communes."),
    "fit_bad": ("The history cannot be used:", "L'historique est inutilisable :"),
    "fit_scores": (
        "Fitted on {placements} placements ({first} to {last}). On {n} later arrivals: AUC {auc} (the commune's "
        "past rate: {base_auc}), Brier score {brier} ({base_brier}).",
        "Entraîné sur {placements} placements (du {first} au {last}). Sur {n} arrivées suivantes : AUC {auc} (taux "
        "passé de la commune : {base_auc}), score de Brier {brier} ({base_brier})."),
})

WEIGHTS = ("employment", "language", "mobility", "ties", "preferences", "outcome")
PAIRWISE = ("links", "exclusions")  # rules that can be hard or off, never soft
MODES = ("hard", "soft", "off")


def _key(name: str) -> str:
    """Widget keys carry the policy version, so that loading a preset shows fresh widgets."""
    return f"pol{st.session_state.get('policy_version', 0)}_{name}"


def _load_preset() -> None:
    name = st.session_state.get("policy_preset")
    path = state.preset_paths().get(name or "")
    if path is None:
        return
    try:
        state.set_policy(load_policy(path), reset_widgets=True)
        st.session_state["policy_flash"] = ("success", t("policy_loaded", name=name))
    except PolicyError as exc:
        st.session_state["policy_flash"] = ("error", f"{t('policy_bad_file')}\n\n{plain_lines(exc)}")


def _reset() -> None:
    state.set_policy(Policy(), reset_widgets=True)


def _presets_and_files() -> None:
    presets = state.preset_paths()
    c1, c2, c3 = st.columns([2, 1, 2], vertical_alignment="bottom")
    with c1:
        if presets:
            current = state.policy().name
            names = list(presets)
            st.selectbox(t("presets"), names, index=names.index(current) if current in names else 0,
                         key="policy_preset")
        else:
            st.caption(t("preset_none"))
    with c2:
        if presets:
            st.button(t("preset_load"), on_click=_load_preset, key="policy_preset_load")
        st.button(t("policy_reset"), on_click=_reset, key="policy_reset")
    with c3:
        uploaded = st.file_uploader(t("policy_upload"), type=["toml"], key="policy_file")
    if uploaded is not None and st.session_state.get("policy_file_seen") != uploaded.file_id:
        st.session_state["policy_file_seen"] = uploaded.file_id
        try:
            data = tomllib.loads(uploaded.getvalue().decode("utf-8"))
            state.set_policy(policy_from_dict(data, source=uploaded.name), reset_widgets=True)
            st.session_state["policy_flash"] = ("success", t("policy_loaded", name=state.policy().name))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            st.session_state["policy_flash"] = ("error",
                                                f"{t('policy_bad_file')}\n\n{plain_lines(f'{uploaded.name}: {exc}')}")
        except PolicyError as exc:
            st.session_state["policy_flash"] = ("error", f"{t('policy_bad_file')}\n\n{plain_lines(exc)}")
        st.rerun()


def _beside(help_text: str) -> DeltaGenerator:
    """A widget column and a one-line description beside it; returns the widget column."""
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    c2.caption(help_text)
    return c1


def _weights(pol: Policy) -> dict[str, float]:
    st.header(t("weights_header"))
    st.caption(t("weights_help"))
    out = {}
    current = pol.weights.as_dict()
    for name in WEIGHTS:
        col = _beside(t(f"w_{name}"))
        out[name] = col.number_input(t(f"wn_{name}"), min_value=0.0, max_value=10.0, step=0.1, value=current[name],
                                     key=_key(f"w_{name}"))
    return out


def _outcomes(pol: Policy) -> None:
    """Upload an outcome CSV for the runs; say how much of the data it covers and whether the weight uses it."""
    st.header(t("outcomes_header"))
    st.caption(t("outcomes_help"))
    uploaded = st.file_uploader(t("outcomes_upload"), type=["csv"], key="outcome_file")
    if uploaded is not None and st.session_state.get("outcome_file_seen") != uploaded.file_id:
        st.session_state["outcome_file_seen"] = uploaded.file_id
        try:
            state.set_outcome_table((uploaded.name, read_outcome_table(uploaded, label=uploaded.name)))
        except OutcomeFileError as exc:
            state.set_outcome_table(None)
            st.error(f"{t('outcomes_bad')}\n\n{plain_lines(exc)}")
    found = state.outcome_table()
    if found is not None:
        name, frame = found
        data = state.dataset()
        ids = {c.case_id for c in data.cases} if data is not None else set()
        st.info(t("outcomes_loaded", name=name, pairs=f"{len(frame):,}",
                  families=frame.loc[frame["case_id"].isin(ids), "case_id"].nunique(), total=len(ids)))
        if pol.weights.outcome <= 0:
            st.warning(t("outcomes_weight_zero"))
        if st.button(t("outcomes_clear"), key="outcome_clear"):
            state.set_outcome_table(None)
            st.rerun()
    elif pol.outcome_csv or (pol.outcomes is not None and pol.outcomes.model):
        st.info(t("outcomes_policy_names", name=pol.outcome_csv or (pol.outcomes.model if pol.outcomes else "")))
    st.caption(t("outcomes_models"))
    _fit()


def _fit() -> None:
    """Fit a model on an uploaded history and use its predictions as the session's outcomes."""
    from matcher.outcomes.history import HistoryError
    from matcher.outcomes.model import ModelError, finite
    from ui.components.data import UploadProblem, upload_label
    from ui.components.outcome_fit import fit_on_upload

    st.markdown(f"**{t('fit_header')}**")
    st.caption(t("fit_help"))
    files = st.file_uploader(t("fit_upload"), type=["xlsx", "csv"], accept_multiple_files=True, key="history_files")
    if files and st.button(t("fit_run"), key="history_fit"):
        data = state.dataset()
        if data is None:
            st.warning(t("fit_no_data"))
            return
        try:
            with st.spinner(t("fit_running")):
                fitted = fit_on_upload(files, data)
        except UploadProblem as exc:
            st.error(t(exc.key, **exc.values))
            return
        except (HistoryError, ModelError) as exc:
            st.error(f"{t('fit_bad')}\n\n{plain_lines(exc)}")
            return
        name = upload_label(files)  # raw text: the messages that show it escape it
        state.set_outcome_table((name, fitted.frame))
        sc = fitted.scores
        st.session_state["outcome_fit_scores"] = (name, {
            "placements": f"{fitted.placements:,}", "first": fitted.span[0], "last": fitted.span[1],
            "n": f"{sc.n:,}", "auc": finite(sc.auc), "base_auc": finite(sc.baseline_auc), "brier": finite(sc.brier),
            "base_brier": finite(sc.baseline_brier)})
        st.rerun()
    shown = st.session_state.get("outcome_fit_scores")
    found = state.outcome_table()
    if shown is not None and found is not None and found[0] == shown[0]:
        st.info(t("fit_scores", **shown[1]))


def _rules(pol: Policy) -> dict[str, dict[str, str | float]]:
    st.header(t("rules_header"))
    st.caption(t("rules_help"))
    out: dict[str, dict[str, str | float]] = {}
    for name, rule in pol.rules:
        c1, c2, c3 = st.columns([1.6, 0.9, 3], vertical_alignment="bottom")
        options = [m for m in MODES if not (name in PAIRWISE and m == "soft")]
        mode = c1.radio(t(f"rn_{name}"), options, index=options.index(str(rule.mode)), horizontal=True,
                        format_func=lambda m: t(f"mode_{m}"), key=_key(f"r_{name}_mode"))
        # A penalty box only where it counts (a soft rule); a hard or disabled rule keeps its penalty unchanged.
        penalty = rule.penalty
        if mode == "soft":
            penalty = c2.number_input(t("penalty"), min_value=0.0, max_value=100.0, step=0.05, value=rule.penalty,
                                      key=_key(f"r_{name}_penalty"))
        c3.caption(t(f"rule_{name}"))
        out[name] = {"mode": mode, "penalty": penalty}
    return out


def _bedrooms(pol: Policy) -> list[dict[str, int | None]]:
    st.header(t("bedrooms_header"))
    st.caption(t("bedrooms_help"))
    frame = pd.DataFrame(
        [{"max_persons": b.max_persons, "bedrooms": b.bedrooms} for b in pol.bedroom_table]
    ).astype({"max_persons": "Int64", "bedrooms": "Int64"})
    edited = st.data_editor(
        frame, num_rows="dynamic", hide_index=True, key=_key("bedrooms"), placeholder="",
        column_config={
            "max_persons": st.column_config.NumberColumn(t("bt_max_persons"), min_value=1, step=1),
            "bedrooms": st.column_config.NumberColumn(t("bt_bedrooms"), min_value=1, step=1, required=True),
        },
    )
    bands = []
    for row in edited.to_dict("records"):
        bedrooms, max_persons = _whole(row.get("bedrooms")), _whole(row.get("max_persons"))
        if bedrooms is None and max_persons is None:
            continue
        bands.append({"max_persons": max_persons, "bedrooms": bedrooms})
    return bands


def _whole(value: object) -> int | None:
    """A cell of the bedroom table (a number column: a number, or blank) as a whole number; None when blank."""
    if isinstance(value, numbers.Real) and not math.isnan(value):
        return int(float(value))
    return None


def _balance(pol: Policy) -> dict[str, str | float]:
    st.header(t("balance_header"))
    levels, targets = ["region", "departement", "none"], ["population", "equal"]
    level = _beside(t("balance_level_help")).selectbox(
        t("balance_level"), levels, index=levels.index(pol.balance.level), key=_key("b_level"),
        format_func=lambda v: t(f"bl_{v}"))
    target = _beside(t("balance_target_help")).selectbox(
        t("balance_target"), targets, index=targets.index(pol.balance.target), key=_key("b_target"),
        format_func=lambda v: t(f"bt_{v}"))
    tolerance = _beside(t("balance_tolerance_help")).number_input(
        t("balance_tolerance"), min_value=0.0, max_value=1.0, step=0.01, value=pol.balance.tolerance,
        key=_key("b_tolerance"))
    return {"level": level, "target": target, "tolerance": tolerance}


def _objective_and_solver(pol: Policy) -> tuple[dict[str, Any], dict[str, float | int]]:
    st.header(t("objective_header"))
    pin_modes = ["keep_what_fits", "fail"]
    obj = pol.objective.model_dump(mode="json")
    obj["pins"] = _beside(t("objective_pins_help")).selectbox(
        t("objective_pins"), pin_modes, index=pin_modes.index(pol.objective.pins), key=_key("o_pins"),
        format_func=lambda v: t(f"op_{v}"))
    obj["require_all_placed"] = _beside(t("require_all_help")).checkbox(
        t("require_all"), value=pol.objective.require_all_placed, key=_key("o_require"))
    obj["stability_weight"] = _beside(t("stability_weight_help")).number_input(
        t("stability_weight"), min_value=0.0, max_value=100.0, step=0.1, value=pol.objective.stability_weight,
        key=_key("o_stability"))
    solver = {
        "time_limit": _beside(t("time_limit_help")).number_input(
            t("time_limit"), min_value=1.0, max_value=3600.0, step=1.0, value=float(pol.solver.time_limit),
            key=_key("s_time")),
        "seed": int(_beside(t("seed_help")).number_input(
            t("seed"), min_value=0, max_value=2**31 - 1, step=1, value=pol.solver.seed, key=_key("s_seed"))),
        "workers": int(_beside(t("workers_help")).number_input(
            t("workers"), min_value=1, max_value=64, step=1, value=pol.solver.workers,
            key=_key("s_workers"))),
    }
    return obj, solver


def render() -> None:
    st.title(t("policy_title"))
    st.caption(t("policy_intro"))
    flash = st.session_state.pop("policy_flash", None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])
    _presets_and_files()
    pol = state.policy()

    c1, c2 = st.columns([1, 2])
    name = c1.text_input(t("policy_name"), value=pol.name, max_chars=80, key=_key("name"))
    description = c2.text_input(t("policy_description"), value=pol.description, max_chars=300,
                                key=_key("description"))
    left, right = st.columns(2, gap="large")
    with left:
        weights = _weights(pol)
        _outcomes(pol)
        bands = _bedrooms(pol)
    with right:
        balance = _balance(pol)
        objective, solver = _objective_and_solver(pol)
    st.divider()
    rules = _rules(pol)

    data = pol.model_dump(mode="json")
    data.update(name=name.strip() or "custom", description=description, weights=weights, rules=rules,
                bedroom_table=bands, balance=balance, objective=objective, solver=solver)
    try:
        new = policy_from_dict(data, source="policy")
    except PolicyError as exc:
        st.error(f"{t('policy_invalid')}\n\n{plain_lines(exc)}")
    else:
        if new != pol:
            state.set_policy(new)
    current = state.policy()
    st.download_button(t("policy_save"), data=current.to_toml().encode("utf-8"),
                       file_name=f"{current.name or 'policy'}.toml", mime="application/toml",
                       key="policy_download", on_click="ignore", icon=":material/download:")


render()
