"""Policy lab page: choose policies and parameters, run a simulated year many times with progress and cancel,
and read the summary with 95 % intervals and the plots (`docs/lab.md#policy-lab`).

The run happens in a child process with no access to the store (`matcher.simulate.isolated`), which sends its
rows back as JSON: this server never unpickles what the lab's workers return. A Dask cluster can be chosen only
among the schedulers an administrator configured (`MATCHER_DASK_SCHEDULERS`), by name; no address is typed here.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from matcher.simulate import (
    DESCRIPTIONS,
    METRICS,
    POLICIES,
    POLICY_LABELS,
    Experiment,
    ExperimentError,
    experiment_from_dict,
    load_experiment,
    parameter_table,
    summarise,
    summary_table,
)
from matcher.simulate.isolated import LabProcess
from matcher.simulate.report import COLOURS, plot_html, plot_png
from matcher.simulate.schedulers import SchedulerConfig, SchedulerError, load_schedulers, resolve_page_scheduler
from ui.components.a11y import show_chart
from ui.components.figures import parameter_text
from ui.components.i18n import lang
from ui.components.text import fill, plain, plain_lines

log = logging.getLogger("ui")

POLL_SECONDS = 1.0
SMALL = Path(__file__).resolve().parents[2] / "sample_data" / "experiments" / "small.toml"

#: Labels of this page (English, French).
LABELS: dict[str, tuple[str, str]] = {
    "title": ("Policy lab", "Laboratoire de politiques"),
    "intro": ("Simulated years of arrivals in monthly batches against annual capacities. Every policy places the "
              "same families in the same communes; metrics are averaged over replications with 95 % intervals. "
              "Synthetic data only: no real family is used here.",
              "Des années simulées d'arrivées par lots mensuels face aux capacités annuelles. Chaque politique "
              "place les mêmes familles dans les mêmes communes ; les indicateurs sont moyennés sur les "
              "réplications avec des intervalles à 95 %. Données synthétiques uniquement."),
    "policies": ("Policies", "Politiques"),
    "replications": ("Replications", "Réplications"),
    "families": ("Families per year", "Familles par an"),
    "communes": ("Communes", "Communes"),
    "margin": ("Places agreed / persons expected", "Places accordées / personnes attendues"),
    "time_limit": ("Engine seconds per batch", "Secondes du moteur par lot"),
    "samples": ("Sampled futures (dynamic)", "Futurs échantillonnés (dynamique)"),
    "seed": ("Seed", "Graine"),
    "processes": ("Local processes", "Processus locaux"),
    "where": ("Run on", "Exécuter sur"),
    "where_help": ("This machine, or a Dask cluster configured by the administrator.",
                   "Cette machine, ou un cluster Dask configuré par l'administrateur."),
    "this_machine": ("This machine", "Cette machine"),
    "run": ("Run the experiment", "Lancer l'expérience"),
    "cancel": ("Cancel", "Annuler"),
    "running": ("{done} of {total} scenarios done", "{done} scénarios sur {total} terminés"),
    "cancelled": ("Cancelled after {done} scenarios.", "Annulé après {done} scénarios."),
    "not_configured": (
        "This scheduler is not configured on this server, so nothing was run. Choose this machine or a scheduler "
        "from the list; only an administrator can add one (MATCHER_DASK_SCHEDULERS).",
        "Cet ordonnanceur n'est pas configuré sur ce serveur : rien n'a été lancé. Choisissez cette machine ou un "
        "ordonnanceur de la liste ; seul un administrateur peut en ajouter un (MATCHER_DASK_SCHEDULERS)."),
    "config_broken": (
        "The list of Dask clusters cannot be read, so only this machine is offered. Ask the administrator to "
        "check the file named by MATCHER_DASK_SCHEDULERS (the server's log says what is wrong).",
        "La liste des clusters Dask est illisible : seule cette machine est proposée. Demandez à "
        "l'administrateur de vérifier le fichier indiqué par MATCHER_DASK_SCHEDULERS (le journal du serveur "
        "précise le problème)."),
    "failed_unreachable": (
        "The run failed: the scheduler {where} could not be reached. Check with the administrator that the "
        "cluster is running, or run on this machine.",
        "Le calcul a échoué : l'ordonnanceur {where} est injoignable. Vérifiez avec l'administrateur que le "
        "cluster fonctionne, ou exécutez sur cette machine."),
    "failed_tls": (
        "The run failed: the secure connection to the scheduler {where} was refused (certificates). Ask the "
        "administrator to check its TLS settings, or run on this machine.",
        "Le calcul a échoué : la connexion sécurisée à l'ordonnanceur {where} a été refusée (certificats). "
        "Demandez à l'administrateur de vérifier ses réglages TLS, ou exécutez sur cette machine."),
    "failed_worker_lost": (
        "The run failed: a worker process stopped before the end, most often for lack of memory. Run again "
        "with fewer local processes or fewer families per year.",
        "Le calcul a échoué : un processus de calcul s'est arrêté avant la fin, le plus souvent faute de "
        "mémoire. Relancez avec moins de processus locaux ou moins de familles par an."),
    "failed_rule_broken": (
        "The run failed: a policy produced a plan that breaks a hard rule, which is a bug. Please report it with "
        "the settings above; leaving that policy out lets the others run.",
        "Le calcul a échoué : une politique a produit un plan qui enfreint une règle stricte, ce qui est un "
        "bogue. Merci de le signaler avec les réglages ci-dessus ; en retirant cette politique, vous pouvez "
        "lancer les autres."),
    "failed_start": (
        "The run could not start its process ({kind}). Ask the administrator to check that the matcher is "
        "fully installed on this server, then try again.",
        "Le calcul n'a pas pu démarrer son processus ({kind}). Demandez à l'administrateur de vérifier que "
        "l'outil est entièrement installé sur ce serveur, puis réessayez."),
    "failed_other": (
        "The run stopped unexpectedly ({kind}). Try again with fewer local processes; if it fails again, "
        "report it with the settings above.",
        "Le calcul s'est arrêté de façon inattendue ({kind}). Réessayez avec moins de processus locaux ; si "
        "l'échec se répète, signalez-le avec les réglages ci-dessus."),
    "no_policy": ("Choose at least one policy.", "Choisissez au moins une politique."),
    "summary": ("Summary: mean ± half the 95 % interval", "Synthèse : moyenne ± demi-intervalle à 95 %"),
    "metric": ("Metric", "Indicateur"),
    "chart_caption": ("Dots: replications; diamond and bar: mean and 95 % interval.",
                      "Points : réplications ; losange et barre : moyenne et intervalle à 95 %."),
    "throughput": ("{tasks} scenarios in {seconds:.1f} s on {executor}: {rate:.1f} per minute.",
                   "{tasks} scénarios en {seconds:.1f} s sur {executor} : {rate:.1f} par minute."),
    "chart_summary": ("{metric}, by policy, mean [95 % interval]: {items}.",
                      "{metric}, par politique, moyenne [intervalle à 95 %] : {items}."),
    "downloads": ("Downloads", "Téléchargements"),
    "parameters": ("Cohort parameters and their sources", "Paramètres des cohortes et leurs sources"),
    "hindsight": ("“optimal” places the whole year's families at once, knowing every arrival in advance: a hindsight "
                  "benchmark that no policy run month by month can reach, not a policy to adopt.",
                  "« optimal » place toutes les familles de l'année d'un coup, en connaissant chaque arrivée à "
                  "l'avance : une référence a posteriori qu'aucune politique appliquée mois par mois ne peut "
                  "atteindre, et non une politique à adopter."),
    "optimal_tag": ("optimal (hindsight benchmark)", "optimal (référence a posteriori)"),
    "col_parameter": ("parameter", "paramètre"),
    "col_value": ("value", "valeur"),
    "col_source": ("source", "source"),
}


def tr(key: str, **values: object) -> str:
    en, fr = LABELS[key]
    text = fr if lang() == "fr" else en
    return fill(text, values) if values else text


LOCAL = ""  # the option "this machine" of the "run on" box


def scheduler_key() -> str:
    """The "run on" box's key, one per language: the browser sends back the option's label, and a label of the
    other language would be neither this machine nor a scheduler's name (a language switch resets the box)."""
    return f"lab_scheduler_{lang()}"


def _schedulers() -> tuple[dict[str, SchedulerConfig], bool]:
    """The configured schedulers by name, and whether their file is broken (then none is offered)."""
    try:
        return load_schedulers(), False
    except SchedulerError as exc:
        log.error("policy lab: the schedulers' file cannot be used: %s", exc)  # the administrator's file only
        return {}, True


def _defaults() -> Experiment:
    """The form's first values: the small sample experiment, else the built-in defaults."""
    try:
        return load_experiment(SMALL)
    except (ExperimentError, OSError):
        return Experiment()


def _form() -> None:
    d = _defaults()
    schedulers, broken = _schedulers()
    # What the browser sent for the "run on" box, read before the box is drawn: Streamlit would quietly replace
    # a value that is not among the options, and a run must never go where the user did not choose.
    chosen = st.session_state.get(scheduler_key(), LOCAL)
    if broken:
        st.warning(tr("config_broken"))
    with st.form("lab_form"):
        # A placer alone, or matching on a model fitted on a simulated history (+fitted) or the true outcomes (+true);
        # not on a policy's own model folder (+model): the app takes no model folder (loading one runs code).
        labels = [p for p in POLICY_LABELS if not p.endswith("+model")]
        # Shown by their codes: the browser sends the selected labels back, so a label that changed with the
        # language dropped "optimal" from the selection on a switch (the summary and its caption name it).
        policies = st.multiselect(tr("policies"), labels, default=list(POLICIES), key="lab_policies")
        c1, c2, c3, c4 = st.columns(4)
        reps = c1.number_input(tr("replications"), 1, 500, int(d.replications), key="lab_reps")
        families = c2.number_input(tr("families"), 5, 5000, int(d.families_per_year), key="lab_families")
        communes = c3.number_input(tr("communes"), 2, 500, int(d.territory.communes), key="lab_communes")
        margin = c4.number_input(tr("margin"), 0.3, 3.0, float(d.territory.capacity_margin), 0.05,
                                 key="lab_margin")
        c5, c6, c7, c8 = st.columns(4)
        time_limit = c5.number_input(tr("time_limit"), 0.2, 60.0, float(d.engine.time_limit), 0.1, key="lab_time")
        samples = c6.number_input(tr("samples"), 0, 20, int(d.dynamic.samples), key="lab_samples")
        seed = c7.number_input(tr("seed"), 0, 2**31 - 1, int(d.seed), key="lab_seed")
        processes = c8.number_input(tr("processes"), 1, 64, os.cpu_count() or 1, key="lab_processes")
        if schedulers:  # names only, never an address: no configuration, no box
            here = tr("this_machine")
            st.selectbox(tr("where"), [LOCAL, *sorted(schedulers)], help=tr("where_help"), key=scheduler_key(),
                         format_func=lambda name: here if name == LOCAL else name)
        submitted = st.form_submit_button(tr("run"), type="primary")
    if not submitted:
        return
    if not policies:
        st.warning(tr("no_policy"))
        return
    scheduler: SchedulerConfig | None = None
    if chosen != LOCAL:
        try:
            scheduler = resolve_page_scheduler(chosen, load_schedulers())  # read again: the file may have changed
        except SchedulerError:
            st.session_state.pop(scheduler_key(), None)
            st.error(tr("not_configured"), icon="⚠️")  # the value itself is not echoed: it may be forged
            return
    try:
        exp = experiment_from_dict({
            "name": "policy lab", "seed": int(seed), "replications": int(reps), "families_per_year": int(families),
            "policies": policies, "territory": {"communes": int(communes), "capacity_margin": float(margin)},
            "engine": {"time_limit": float(time_limit)}, "dynamic": {"samples": int(samples)},
            "policy": d.policy,
        })
    except ExperimentError as exc:
        st.error(plain_lines(exc))
        return
    st.session_state["lab_job"] = LabProcess(exp, processes=int(processes), scheduler=scheduler).start()


@st.fragment(run_every=POLL_SECONDS)
def _progress() -> None:
    job: LabProcess | None = st.session_state.get("lab_job")
    # One slot, drawn on every tick: once the run is over it is drawn empty, which removes the progress bar and
    # the Cancel button (a fragment run that draws nothing would leave them on screen, greyed).
    slot = st.empty()
    if job is None:
        return
    if job.running:
        with slot.container():
            st.progress(job.done / max(job.total, 1), text=tr("running", done=job.done, total=job.total))
            if st.button(tr("cancel"), key="lab_cancel"):
                job.cancel()
        return
    if st.session_state.get("lab_shown") is not job:
        st.session_state["lab_shown"] = job
        st.rerun()  # a full rerun draws the results outside this fragment


def policy_name(policy: str) -> str:
    """A policy as the page names it: "optimal" says it is the hindsight benchmark."""
    return tr("optimal_tag") if policy == "optimal" else policy


def _chart(metrics: pd.DataFrame, summary: pd.DataFrame, metric: str, policies: list[str]) -> alt.LayerChart:
    scale = alt.Scale(domain=policies, range=list(COLOURS[: len(policies)]))
    x = alt.X("policy:N", sort=policies, title=None, axis=alt.Axis(labelAngle=-20, labelLimit=220))
    dots = alt.Chart(metrics).mark_circle(size=45, opacity=0.5).encode(
        x=x, y=alt.Y(f"{metric}:Q", title=DESCRIPTIONS[metric], scale=alt.Scale(zero=False),
                     axis=alt.Axis(titleLimit=300)),
        color=alt.Color("policy:N", scale=scale, legend=None),
        tooltip=["policy", "replication", alt.Tooltip(f"{metric}:Q", format=".4g")],
    )
    s = summary[summary["metric"] == metric]
    bars = alt.Chart(s).mark_rule(strokeWidth=2, color="black").encode(x=x, y="ci_low:Q", y2="ci_high:Q")
    means = alt.Chart(s).mark_point(shape="diamond", size=140, filled=True, stroke="black").encode(
        x=x, y="mean:Q", color=alt.Color("policy:N", scale=scale, legend=None),
        tooltip=["policy", alt.Tooltip("mean:Q", format=".4g"), alt.Tooltip("ci_low:Q", format=".4g"),
                 alt.Tooltip("ci_high:Q", format=".4g")],
    )
    return (dots + bars + means).properties(height=320)


def chart_summary(summary: pd.DataFrame, metric: str, policies: list[str]) -> str:
    """The chart in words, as plain text: the metric, then each policy's mean and 95 % interval."""
    rows = {str(r["policy"]): (float(r["mean"]), float(r["ci_low"]), float(r["ci_high"]))
            for r in summary[summary["metric"] == metric].to_dict("records")}
    items = "; ".join(f"{policy_name(p)} {rows[p][0]:.4g} [{rows[p][1]:.4g} – {rows[p][2]:.4g}]"
                      for p in policies if p in rows)
    en, fr = LABELS["chart_summary"]
    return (fr if lang() == "fr" else en).format(metric=DESCRIPTIONS[metric], items=items)


def failure_text(job: LabProcess) -> str:
    """What to do next after a failed run, in the page's language; no value of the run, no address."""
    assert job.failure is not None
    where = job.scheduler.name if job.scheduler is not None else tr("this_machine")
    return tr(f"failed_{job.failure.reason}", where=where, kind=job.failure.kind)


def _results(job: LabProcess) -> None:
    if job.failure is not None:
        st.error(failure_text(job), icon="⚠️")
        return
    if job.cancelled:
        st.info(tr("cancelled", done=job.done))
        return
    if job.metrics is None or job.stats is None:
        return
    exp, metrics, stats = job.experiment, job.metrics, job.stats
    summary = summarise(metrics, exp.policies)
    st.caption(tr("throughput", tasks=stats.tasks, seconds=stats.seconds, executor=stats.executor,
                  rate=stats.scenarios_per_minute))
    st.header(tr("summary"))
    if "optimal" in exp.policies:
        st.caption(tr("hindsight"))
    # Metrics as rows, named in words, and one column per policy: it fits the page without scrolling sideways.
    table = summary_table(summary, METRICS).T
    table.index = [DESCRIPTIONS[m] for m in table.index]
    table.columns = [policy_name(p) for p in table.columns]
    st.dataframe(table, width="stretch", key="lab_summary", placeholder="",
                 column_config={"_index": st.column_config.TextColumn(tr("metric"), width="large")})
    metric = st.selectbox(tr("metric"), list(METRICS), index=METRICS.index("placed_share"),
                          format_func=lambda m: f"{m}: {DESCRIPTIONS[m]}", key="lab_metric")
    said = chart_summary(summary, metric, list(exp.policies))
    show_chart(_chart(metrics, summary, metric, list(exp.policies)), said)
    st.caption(tr("chart_caption"))
    st.markdown(plain(said))  # the chart in words; the summary table above holds its figures
    st.markdown(f"**{tr('downloads')}**")
    png = io.BytesIO()
    plot_png(metrics, summary, png, exp.policies, title=exp.name)
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button("metrics.csv", metrics.to_csv(index=False), "metrics.csv", "text/csv", key="lab_dl_m")
    c2.download_button("summary.csv", summary.to_csv(index=False), "summary.csv", "text/csv", key="lab_dl_s")
    c3.download_button("plots.png", png.getvalue(), "plots.png", "image/png", key="lab_dl_png")
    c4.download_button("plots.html", plot_html(metrics, summary, exp, stats), "plots.html", "text/html",
                       key="lab_dl_html")


st.title(tr("title"))
st.caption(tr("intro"))
_form()
_progress()
job: LabProcess | None = st.session_state.get("lab_job")
if job is not None and not job.running:
    _results(job)
with st.expander(tr("parameters")):
    rows = [{tr("col_parameter"): r["parameter"], tr("col_value"): parameter_text(str(r["parameter"]), str(r["value"])),
             tr("col_source"): r["source"]} for r in parameter_table()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="lab_params", placeholder="",
                 row_height=70)
