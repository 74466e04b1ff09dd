"""Policy lab page: choose policies and parameters, run a simulated year many times with progress and cancel,
and read the summary with 95 % intervals and the plots (DESIGN.md section 10)."""

from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from matcher.simulate import (
    DESCRIPTIONS,
    METRICS,
    POLICIES,
    Cancelled,
    Experiment,
    ExperimentError,
    RunStats,
    experiment_from_dict,
    run_experiment,
    summarise,
    summary_table,
)
from matcher.simulate.report import COLOURS, plot_html, plot_png
from ui.components.guard import log_exception
from ui.components.i18n import lang
from ui.components.text import fill, plain_lines

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
    "scheduler": ("Dask scheduler (optional)", "Ordonnanceur Dask (facultatif)"),
    "scheduler_help": ("tcp://host:8786 to run on a cluster; empty for this machine.",
                       "tcp://hôte:8786 pour un cluster ; vide pour cette machine."),
    "run": ("Run the experiment", "Lancer l'expérience"),
    "cancel": ("Cancel", "Annuler"),
    "running": ("{done} of {total} scenarios done", "{done} scénarios sur {total} terminés"),
    "cancelled": ("Cancelled after {done} scenarios.", "Annulé après {done} scénarios."),
    "failed": ("The run failed ({kind}).", "L'exécution a échoué ({kind})."),
    "no_policy": ("Choose at least one policy.", "Choisissez au moins une politique."),
    "summary": ("Summary: mean ± half the 95 % interval", "Synthèse : moyenne ± demi-intervalle à 95 %"),
    "metric": ("Metric", "Indicateur"),
    "chart_caption": ("Dots: replications; diamond and bar: mean and 95 % interval.",
                      "Points : réplications ; losange et barre : moyenne et intervalle à 95 %."),
    "throughput": ("{tasks} scenarios in {seconds:.1f} s on {executor}: {rate:.1f} per minute.",
                   "{tasks} scénarios en {seconds:.1f} s sur {executor} : {rate:.1f} par minute."),
    "downloads": ("Downloads", "Téléchargements"),
    "parameters": ("Cohort parameters and their sources", "Paramètres des cohortes et leurs sources"),
}


def tr(key: str, **values: Any) -> str:
    en, fr = LABELS[key]
    text = fr if lang() == "fr" else en
    return fill(text, values) if values else text


@dataclass
class LabJob:
    """A simulation running in a background thread; the page polls it."""

    experiment: Experiment
    total: int
    done: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)
    metrics: pd.DataFrame | None = None
    stats: RunStats | None = None
    error: str | None = None
    cancelled: bool = False
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


def _work(job: LabJob, scheduler: str | None, processes: int) -> None:
    def progress(done: int, total: int, row: dict[str, Any]) -> None:
        job.done = done

    try:
        job.metrics, job.stats = run_experiment(job.experiment, scheduler=scheduler, processes=processes,
                                                on_result=progress, cancel=job.cancel)
    except Cancelled:
        job.cancelled = True
    except Exception as exc:  # shown on the page by kind only
        log_exception(exc, "policy lab")
        job.error = type(exc).__name__


def _defaults() -> dict[str, Any]:
    try:
        from matcher.simulate import load_experiment

        exp = load_experiment(SMALL)
    except (ExperimentError, OSError):
        exp = Experiment()
    return {"policy": exp.policy, "seed": exp.seed, "families": exp.families_per_year,
            "replications": exp.replications, "communes": exp.territory.communes,
            "margin": exp.territory.capacity_margin, "time_limit": exp.engine.time_limit,
            "samples": exp.dynamic.samples}


def _form() -> None:
    d = _defaults()
    with st.form("lab_form"):
        policies = st.multiselect(tr("policies"), list(POLICIES), default=list(POLICIES), key="lab_policies")
        c1, c2, c3, c4 = st.columns(4)
        reps = c1.number_input(tr("replications"), 1, 500, int(d["replications"]), key="lab_reps")
        families = c2.number_input(tr("families"), 5, 5000, int(d["families"]), key="lab_families")
        communes = c3.number_input(tr("communes"), 2, 500, int(d["communes"]), key="lab_communes")
        margin = c4.number_input(tr("margin"), 0.3, 3.0, float(d["margin"]), 0.05, key="lab_margin")
        c5, c6, c7, c8 = st.columns(4)
        time_limit = c5.number_input(tr("time_limit"), 0.2, 60.0, float(d["time_limit"]), 0.1, key="lab_time")
        samples = c6.number_input(tr("samples"), 0, 20, int(d["samples"]), key="lab_samples")
        seed = c7.number_input(tr("seed"), 0, 2**31 - 1, int(d["seed"]), key="lab_seed")
        processes = c8.number_input(tr("processes"), 1, 64, os.cpu_count() or 1, key="lab_processes")
        scheduler = st.text_input(tr("scheduler"), "", help=tr("scheduler_help"), key="lab_scheduler")
        submitted = st.form_submit_button(tr("run"), type="primary")
    if not submitted:
        return
    if not policies:
        st.warning(tr("no_policy"))
        return
    try:
        exp = experiment_from_dict({
            "name": "policy lab", "seed": int(seed), "replications": int(reps), "families_per_year": int(families),
            "policies": policies, "territory": {"communes": int(communes), "capacity_margin": float(margin)},
            "engine": {"time_limit": float(time_limit)}, "dynamic": {"samples": int(samples)},
            "policy": d["policy"],
        })
    except ExperimentError as exc:
        st.error(plain_lines(exc))
        return
    job = LabJob(exp, total=len(exp.tasks()))
    job.thread = threading.Thread(target=_work, args=(job, scheduler.strip() or None, int(processes)),
                                  daemon=True, name="policy-lab")
    st.session_state["lab_job"] = job
    job.thread.start()


@st.fragment(run_every=POLL_SECONDS)
def _progress() -> None:
    job: LabJob | None = st.session_state.get("lab_job")
    if job is None:
        return
    if job.running:
        st.progress(job.done / max(job.total, 1), text=tr("running", done=job.done, total=job.total))
        if st.button(tr("cancel"), key="lab_cancel"):
            job.cancel.set()
        return
    if st.session_state.get("lab_shown") is not job:
        st.session_state["lab_shown"] = job
        st.rerun()  # a full rerun draws the results outside this fragment


def _chart(metrics: pd.DataFrame, summary: pd.DataFrame, metric: str, policies: list[str]) -> alt.LayerChart:
    scale = alt.Scale(domain=policies, range=list(COLOURS[: len(policies)]))
    x = alt.X("policy:N", sort=policies, title=None)
    dots = alt.Chart(metrics).mark_circle(size=45, opacity=0.5).encode(
        x=x, y=alt.Y(f"{metric}:Q", title=metric, scale=alt.Scale(zero=False)),
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


def _results(job: LabJob) -> None:
    if job.error:
        st.error(tr("failed", kind=job.error), icon="⚠️")
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
    st.subheader(tr("summary"))
    st.dataframe(summary_table(summary, METRICS), width="stretch", key="lab_summary")
    metric = st.selectbox(tr("metric"), list(METRICS), index=METRICS.index("placed_share"),
                          format_func=lambda m: f"{m}: {DESCRIPTIONS[m]}", key="lab_metric")
    st.altair_chart(_chart(metrics, summary, metric, list(exp.policies)), width="stretch")
    st.caption(tr("chart_caption"))
    st.markdown(f"**{tr('downloads')}**")
    png = io.BytesIO()
    plot_png(metrics, summary, png, exp.policies, title=exp.name)  # type: ignore[arg-type]
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
job: LabJob | None = st.session_state.get("lab_job")
if job is not None and not job.running:
    _results(job)
with st.expander(tr("parameters")):
    from matcher.simulate import parameter_table

    st.dataframe(pd.DataFrame(parameter_table()), hide_index=True, width="stretch", key="lab_params")
