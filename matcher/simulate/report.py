"""What an experiment writes: the tidy metrics, the summary with 95 % intervals, and plots (PNG and HTML).

The HTML is self-contained (inline SVG and a few lines of script, no network): choose a metric, hover a point
to see its replication and value, sort the table by a column.
"""

from __future__ import annotations

import html
import json
import textwrap
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from scipy import stats

from matcher.simulate.experiment import Experiment
from matcher.simulate.metrics import DESCRIPTIONS, METRICS
from matcher.simulate.outcome_lab import gain_share
from matcher.simulate.runner import RunStats

#: Okabe-Ito colours, distinguishable with the common colour-vision deficiencies.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: Metrics shown in the PNG, in this order.
PLOTTED = ("placed_share", "persons_placed", "mean_score", "unmet_needs", "capacity_gini", "seconds",
           "expected_employed")
#: The metric whose paired difference to the baseline has a panel of its own.
COMPARED = "expected_employed"


def summarise(metrics: pd.DataFrame, policies: tuple[str, ...] | None = None,
              baseline: str | None = None) -> pd.DataFrame:
    """Mean and Student-t 95 % interval over replications, one row per policy and metric (tidy), and each
    policy's difference to the baseline (default: the first policy) paired over replications (the same draws),
    with its paired-t 95 % interval (``diff``, ``diff_low``, ``diff_high``; blank for the baseline itself)."""
    out = []
    policies = policies or tuple(dict.fromkeys(metrics["policy"]))
    baseline = baseline or policies[0]
    base = metrics[metrics["policy"] == baseline].set_index("replication")
    for policy in policies:
        sub = metrics[metrics["policy"] == policy]
        for metric in METRICS:
            x = sub[metric].to_numpy(dtype=float)
            mean, half = _mean_interval(x)
            row = {"policy": policy, "metric": metric, "n": len(x), "mean": mean,
                   "sd": float(x.std(ddof=1)) if len(x) > 1 else 0.0, "ci_low": mean - half, "ci_high": mean + half,
                   "diff": float("nan"), "diff_low": float("nan"), "diff_high": float("nan")}
            if policy != baseline and len(base):
                paired = sub.set_index("replication")[metric].astype(float) - base[metric].astype(float)
                d, dh = _mean_interval(paired.dropna().to_numpy())
                row.update(diff=d, diff_low=d - dh, diff_high=d + dh)
            out.append(row)
    return pd.DataFrame(out)


def _mean_interval(x: np.ndarray) -> tuple[float, float]:
    """Mean and half-width of the Student-t 95 % interval (0 with fewer than two values)."""
    n = len(x)
    mean = float(x.mean()) if n else float("nan")
    sd = float(x.std(ddof=1)) if n > 1 else 0.0
    return mean, float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)) if n > 1 else 0.0


def summary_table(summary: pd.DataFrame, metrics: tuple[str, ...] = PLOTTED) -> pd.DataFrame:
    """Wide view for people: one row per policy, 'mean ± half-interval' per metric."""
    sub = summary[summary["metric"].isin(metrics)].copy()
    sub["text"] = [_pm(m, lo, hi, metric) for m, lo, hi, metric in
                   zip(sub["mean"], sub["ci_low"], sub["ci_high"], sub["metric"], strict=True)]
    wide = sub.pivot(index="policy", columns="metric", values="text")
    order = list(dict.fromkeys(summary["policy"]))
    return wide.loc[order, [m for m in metrics if m in wide.columns]]


def _pm(mean: float, lo: float, hi: float, metric: str) -> str:
    digits = 3 if ("share" in metric or "score" in metric or metric == "capacity_gini") else 1 if (
        metric == "seconds" or "persons" in metric or "unmet" in metric) else 2
    return f"{mean:.{digits}f} ± {(hi - lo) / 2:.{digits}f}"


def write_outputs(experiment: Experiment, metrics: pd.DataFrame, out_dir: Path,
                  run: RunStats | None = None) -> list[Path]:
    """Write metrics.csv (and .parquet), summary.csv, plots.png, plots.html and experiment.json into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summarise(metrics, experiment.policies, experiment.baseline_policy)
    paths = [out_dir / "metrics.csv", out_dir / "summary.csv", out_dir / "plots.png", out_dir / "plots.html",
             out_dir / "experiment.json"]
    metrics.to_csv(paths[0], index=False)
    try:
        metrics.to_parquet(out_dir / "metrics.parquet", index=False)
        paths.append(out_dir / "metrics.parquet")
    except ImportError:  # pyarrow comes with streamlit; without it the CSV is the tidy output
        pass
    summary.to_csv(paths[1], index=False)
    gain = gain_share(metrics)
    if gain is not None:
        pd.DataFrame([gain]).to_csv(out_dir / "outcome_gain.csv", index=False)
        paths.append(out_dir / "outcome_gain.csv")
    plot_png(metrics, summary, paths[2], experiment.policies, title=experiment.name)
    paths[3].write_text(plot_html(metrics, summary, experiment, run), encoding="utf-8")
    meta = {"experiment": json.loads(experiment.model_dump_json()),
            "run": None if run is None else {"tasks": run.tasks, "seconds": round(run.seconds, 2),
                                             "executor": run.executor,
                                             "scenarios_per_minute": round(run.scenarios_per_minute, 2)}}
    paths[4].write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
    return paths


def plot_png(metrics: pd.DataFrame, summary: pd.DataFrame, path: Path | BinaryIO, policies: tuple[str, ...],
             title: str = "") -> None:
    """One panel per metric: each replication a dot, the mean with its 95 % interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(17, 7.5), constrained_layout=True)
    x = np.arange(len(policies))
    for ax, metric in zip(axes.ravel(), PLOTTED, strict=False):
        for i, policy in enumerate(policies):
            vals = metrics.loc[metrics["policy"] == policy, metric].to_numpy(dtype=float)
            jitter = (np.arange(len(vals)) - (len(vals) - 1) / 2) * (0.25 / max(len(vals), 1))
            colour = COLOURS[i % len(COLOURS)]
            ax.scatter(i + jitter, vals, s=14, color=colour, alpha=0.5, linewidths=0)
            row = summary[(summary["policy"] == policy) & (summary["metric"] == metric)].iloc[0]
            ax.errorbar(i, row["mean"], yerr=[[row["mean"] - row["ci_low"]], [row["ci_high"] - row["mean"]]],
                        fmt="D", color=colour, markeredgecolor="black", capsize=5, markersize=7)
        ax.set_xticks(x, [p.replace("_", "\n") for p in policies], fontsize=8)
        ax.set_title(f"{metric}\n{textwrap.fill(DESCRIPTIONS[metric], 48)}", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    _plot_differences(axes.ravel()[-1], summary, policies)
    fig.suptitle(f"{title}: mean and 95 % interval over replications (dots: replications)", fontsize=11)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_differences(ax: Any, summary: pd.DataFrame, policies: tuple[str, ...]) -> None:
    """COMPARED's difference to the baseline per policy, with its paired 95 % interval."""
    rows = summary[summary["metric"] == COMPARED].set_index("policy")
    for i, policy in enumerate(policies):
        row = rows.loc[policy]
        if pd.isna(row["diff"]):
            continue
        ax.errorbar(i, row["diff"], yerr=[[row["diff"] - row["diff_low"]], [row["diff_high"] - row["diff"]]],
                    fmt="D", color=COLOURS[i % len(COLOURS)], markeredgecolor="black", capsize=5, markersize=7)
    ax.axhline(0, color="#999999", lw=1)
    ax.set_xticks(np.arange(len(policies)), [p.replace("_", "\n") for p in policies], fontsize=8)
    missing = rows["diff"].isna()
    baseline = next((p for p in policies if bool(missing[p])), policies[0])
    ax.set_title(f"{COMPARED} minus {baseline}\npaired over replications (the same draws), 95 % interval",
                 fontsize=9)
    ax.grid(axis="y", alpha=0.3)


def _svg(metrics: pd.DataFrame, summary: pd.DataFrame, metric: str, policies: tuple[str, ...]) -> str:
    w, h, left, bottom, top = 760, 320, 70, 60, 20
    vals = metrics[metric].to_numpy(dtype=float)
    srow = summary[summary["metric"] == metric]
    lo = float(min(vals.min(), srow["ci_low"].min())) if len(vals) else 0.0
    hi = float(max(vals.max(), srow["ci_high"].max())) if len(vals) else 1.0
    if hi - lo < 1e-12:
        lo, hi = lo - 1.0, hi + 1.0
    pad = 0.05 * (hi - lo)
    lo, hi = lo - pad, hi + pad

    def y(v: float) -> float:
        return top + (h - top - bottom) * (1 - (v - lo) / (hi - lo))

    step = (w - left - 20) / max(1, len(policies))
    parts = [f'<svg class="chart" data-metric="{metric}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
             'role="img" xmlns="http://www.w3.org/2000/svg">']
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        parts.append(f'<line x1="{left}" x2="{w - 10}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{v:.4g}</text>')
    for i, policy in enumerate(policies):
        cx = left + step * (i + 0.5)
        colour = COLOURS[i % len(COLOURS)]
        sub = metrics[metrics["policy"] == policy]
        n = len(sub)
        for j, (rep, v) in enumerate(zip(sub["replication"], sub[metric], strict=True)):
            jx = cx - 18 + 36 * (j + 0.5) / max(n, 1)
            parts.append(f'<circle cx="{jx:.1f}" cy="{y(float(v)):.1f}" r="4" fill="{colour}" fill-opacity="0.55">'
                         f'<title>{html.escape(policy)}, replication {rep}: {float(v):.6g}</title></circle>')
        row = srow[srow["policy"] == policy].iloc[0]
        parts.append(
            f'<line x1="{cx + 26:.1f}" x2="{cx + 26:.1f}" y1="{y(row["ci_low"]):.1f}" y2="{y(row["ci_high"]):.1f}" '
            f'stroke="black" stroke-width="2"/><rect x="{cx + 21:.1f}" y="{y(row["mean"]) - 5:.1f}" width="10" '
            f'height="10" fill="{colour}" stroke="black"><title>{html.escape(policy)}: mean {row["mean"]:.6g}, '
            f'95 % interval [{row["ci_low"]:.6g}, {row["ci_high"]:.6g}]</title></rect>'
            f'<text x="{cx:.1f}" y="{h - bottom + 18}" text-anchor="middle" font-size="12">{html.escape(policy)}'
            '</text>')
    parts.append("</svg>")
    return "".join(parts)


def plot_html(metrics: pd.DataFrame, summary: pd.DataFrame, experiment: Experiment,
              run: RunStats | None = None) -> str:
    """A self-contained interactive page: a metric menu, a chart per metric, and the summary table."""
    charts = "".join(_svg(metrics, summary, m, experiment.policies) for m in METRICS)
    options = "".join(f'<option value="{m}">{m}: {html.escape(DESCRIPTIONS[m])}</option>' for m in METRICS)
    table = summary_table(summary, METRICS)
    head = "".join(f"<th onclick=\"sortBy({k + 1})\">{html.escape(c)}</th>" for k, c in enumerate(table.columns))
    body = "".join("<tr><td>" + html.escape(str(p)) + "</td>" + "".join(f"<td>{html.escape(str(v))}</td>"
                                                                          for v in r) + "</tr>"
                   for p, r in zip(table.index, table.to_numpy(), strict=True))
    run_line = "" if run is None else (f"<p>{run.tasks} scenarios in {run.seconds:.1f} s on {html.escape(run.executor)}"
                                       f" ({run.scenarios_per_minute:.1f} per minute).</p>")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(experiment.name)}: policy lab</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5em}} table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px}} th{{cursor:pointer;background:#f3f3f3}} .chart{{display:none}}</style>
</head><body><h1>{html.escape(experiment.name)}</h1><p>{html.escape(experiment.description)}</p>
<p>{experiment.replications} replications, {experiment.families_per_year} families a year over {experiment.months}
months. Dots: replications (hover for values); squares and bars: mean and 95 % interval.</p>{run_line}
<label>Metric <select id="metric" onchange="show(this.value)">{options}</select></label>
<div>{charts}</div>
<h2>Summary (mean ± half the 95 % interval)</h2>
<table id="summary"><thead><tr><th onclick="sortBy(0)">policy</th>{head}</tr></thead><tbody>{body}</tbody></table>
<script>
function show(m){{document.querySelectorAll('.chart').forEach(c=>c.style.display=c.dataset.metric===m?'block':'none');}}
function sortBy(k){{const tb=document.querySelector('#summary tbody');const rows=[...tb.rows];
const key=r=>{{const t=r.cells[k].textContent;const v=parseFloat(t);return isNaN(v)?t:v;}};
const asc=tb.dataset.k!=String(k)||tb.dataset.asc!=='1';
rows.sort((a,b)=>(key(a)>key(b)?1:key(a)<key(b)?-1:0)*(asc?1:-1));rows.forEach(r=>tb.appendChild(r));
tb.dataset.k=k;tb.dataset.asc=asc?'1':'0';}}
show('{METRICS[2]}');document.getElementById('metric').value='{METRICS[2]}';
</script></body></html>
"""
