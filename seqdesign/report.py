"""A campaign's report: PNG plots (matplotlib, Agg canvas: no display needed) and one HTML page.

Plots: best and top-K per round, proxy predicted vs measured (proposals measured later), score
distributions per round, and for several objectives the measured Pareto front. The library
writes the files it is asked for and prints nothing.
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from seqdesign.campaign.campaign import Campaign
from seqdesign.campaign.status import CampaignStatus, campaign_status, sequence_table
from seqdesign.io.output import atomic_write_bytes, atomic_write_text
from seqdesign.metrics import spearman


@dataclass
class Report:
    """The files written: the HTML page and each plot by name."""

    html: Path
    plots: dict[str, Path]


def non_dominated(values: np.ndarray, maximize: np.ndarray) -> np.ndarray:
    """(N,) bool: the rows of ``values`` (N, K) that no other row dominates.

    Row j dominates row i when it is at least as good on every objective and better on one
    (directions from ``maximize`` (K,)). Rows with a NaN are never on the front.
    """
    y: np.ndarray = np.where(maximize, values, -values)  # (N, K), all maximized
    ok = ~np.isnan(y).any(axis=1)
    front = np.zeros(len(y), dtype=bool)
    idx = np.flatnonzero(ok)
    z = y[idx]
    for start in range(0, len(z), 512):  # (chunk, N, K) comparisons, bounded memory
        block = z[start : start + 512]
        ge = np.all(z[None, :, :] >= block[:, None, :], axis=2)  # (chunk, N): j >= i everywhere
        gt = np.any(z[None, :, :] > block[:, None, :], axis=2)  # (chunk, N): j > i somewhere
        front[idx[start : start + 512]] = ~np.any(ge & gt, axis=1)
    return front


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _grid(k: int, width: float = 5.0, height: float = 3.6) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(width * k, height), layout="constrained")
    axes = fig.subplots(1, k, squeeze=False)[0]
    return fig, list(axes)


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_progress(seqs: pd.DataFrame, objectives: list[tuple[str, bool]], k: int) -> Figure:
    """Per objective: best measured so far, best of the round, mean of the round's top-K."""
    fig, axes = _grid(len(objectives))
    rounds = sorted(set(seqs["round"]))
    for ax, (name, up) in zip(axes, objectives):
        measured = seqs[seqs[name].notna()]
        if measured.empty:
            _empty(ax, f"no {name} measured yet")
            continue
        sign = 1.0 if up else -1.0
        so_far, in_round, top = [], [], []
        for r in rounds:
            v = measured.loc[measured["round"] == r, name].to_numpy() * sign
            upto = measured.loc[measured["round"] <= r, name].to_numpy() * sign
            so_far.append(sign * upto.max() if len(upto) else math.nan)
            in_round.append(sign * v.max() if len(v) else math.nan)
            top.append(sign * np.sort(v)[::-1][:k].mean() if len(v) else math.nan)
        ax.plot(rounds, so_far, "-o", label="best so far")
        ax.plot(rounds, in_round, "--s", label="best of round")
        ax.plot(rounds, top, ":^", label=f"top-{k} of round")
        ax.set_xticks(rounds)
        ax.set_xlabel("round (0: measured, not proposed)")
        ax.set_ylabel(f"{name} ({'max' if up else 'min'})")
        ax.legend(fontsize=8)
        ax.set_title(f"{name}: best and top-{k} per round")
    return fig


def plot_predicted(seqs: pd.DataFrame, objectives: list[tuple[str, bool]]) -> Figure:
    """Per objective: the proxy's prediction at proposal time against the measured value."""
    fig, axes = _grid(len(objectives), 4.6, 4.2)
    for ax, (name, _) in zip(axes, objectives):
        d = seqs[(seqs["round"] > 0) & seqs[name].notna() & seqs[f"pred_{name}"].notna()]
        if d.empty:
            _empty(ax, "no proposal measured yet")
            continue
        x, y = d[f"pred_{name}"].to_numpy(), d[name].to_numpy()
        sc = ax.scatter(x, y, c=d["round"], cmap="viridis", s=14, alpha=0.8)
        lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
        ax.plot([lo, hi], [lo, hi], color="0.5", lw=1)
        rho = spearman(x, y)
        ax.set_title(f"{name}: predicted vs measured (spearman {rho:.2f})")
        ax.set_xlabel(f"proxy pred_{name}")
        ax.set_ylabel(f"measured {name}")
        fig.colorbar(sc, ax=ax, label="round")
    return fig


def plot_distributions(seqs: pd.DataFrame, objectives: list[tuple[str, bool]]) -> Figure:
    """Per objective: the measured values of each round as box plots."""
    fig, axes = _grid(len(objectives))
    for ax, (name, _) in zip(axes, objectives):
        groups = [
            (r, g[name].dropna().to_numpy())
            for r, g in seqs.groupby("round")
            if g[name].notna().any()
        ]
        if not groups:
            _empty(ax, f"no {name} measured yet")
            continue
        ax.boxplot([v for _, v in groups], tick_labels=[str(r) for r, _ in groups])
        for i, (_, v) in enumerate(groups, start=1):
            jitter = np.linspace(-0.15, 0.15, len(v)) if len(v) > 1 else np.zeros(1)
            ax.scatter(i + jitter, v, s=6, alpha=0.4, color="tab:blue")
        ax.set_xlabel("round (0: measured, not proposed)")
        ax.set_ylabel(name)
        ax.set_title(f"{name}: measured values per round")
    return fig


def plot_pareto(seqs: pd.DataFrame, objectives: list[tuple[str, bool]]) -> Figure:
    """The first two objectives of every measured sequence, the Pareto front (all objectives)."""
    (a, up_a), (b, up_b) = objectives[:2]
    fig = Figure(figsize=(6, 4.8), layout="constrained")
    ax = fig.subplots()
    names = [n for n, _ in objectives]
    d = seqs[seqs[names].notna().all(axis=1)]
    if d.empty:
        _empty(ax, "no sequence has every objective measured yet")
        return fig
    front = non_dominated(d[names].to_numpy(), np.array([up for _, up in objectives]))
    rounds = d["round"]
    sc = ax.scatter(
        d[a], d[b], c=rounds, cmap="viridis", s=14, alpha=0.7,
        vmin=rounds.min(), vmax=max(rounds.max(), rounds.min() + 1),
    )  # fmt: skip
    f = d[front].sort_values(a)
    # a line joins the front only where it is the front's own trade-off (two objectives); with
    # more, the front projected on two of them is points, not a curve
    style = "-o" if len(objectives) == 2 else "o"
    ax.plot(f[a], f[b], style, color="tab:red", mfc="none", ms=8, label=f"Pareto front ({len(f)})")
    ax.set_xlabel(f"{a} ({'max' if up_a else 'min'})")
    ax.set_ylabel(f"{b} ({'max' if up_b else 'min'})")
    more = f" (first 2 of {len(objectives)} objectives)" if len(objectives) > 2 else ""
    ax.set_title(f"measured Pareto front{more}")
    ax.legend(fontsize=8)
    fig.colorbar(sc, ax=ax, label="round")
    return fig


def write_report(campaign: Campaign, out_dir: Path, top_k: int = 10) -> Report:
    """Write the plots and ``report.html`` into ``out_dir`` (created); each file atomically."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    status = campaign_status(campaign)
    seqs = sequence_table(campaign)
    objectives = campaign.objectives
    figures = {
        "progress": plot_progress(seqs, objectives, top_k),
        "predicted_vs_measured": plot_predicted(seqs, objectives),
        "distributions": plot_distributions(seqs, objectives),
    }
    if len(objectives) >= 2:
        figures["pareto"] = plot_pareto(seqs, objectives)
    plots = {}
    for name, fig in figures.items():
        path = out_dir / f"{name}.png"
        atomic_write_bytes(path, _png(fig))
        plots[name] = path
    page = out_dir / "report.html"
    atomic_write_text(page, render_html(campaign, status, plots))
    return Report(page, plots)


def render_html(campaign: Campaign, status: CampaignStatus, plots: dict[str, Path]) -> str:
    """One self-describing page: the totals, the status table, the plots (by relative path)."""
    t = status.totals
    table = status.rounds.to_html(index=False, na_rep="-", float_format=lambda v: f"{v:.4g}")
    best = "".join(
        f"<li>best {html.escape(n)}: {v:.4g} ({html.escape(rid)} <code>{html.escape(q)}</code>)</li>"
        for n, (v, rid, q) in t["best"].items()
    )
    figs = "".join(
        f'<figure><img src="{html.escape(p.name)}" alt="{html.escape(name)}">'
        f"<figcaption>{html.escape(name.replace('_', ' '))}</figcaption></figure>"
        for name, p in plots.items()
    )
    title = html.escape(f"seqdesign campaign {campaign.root.name}")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}img{{max-width:100%}}</style>
</head><body>
<h1>{title}</h1>
<p>alphabet {html.escape(str(t["alphabet"]))}; objectives {html.escape(", ".join(t["objectives"]))};
{t["rounds"]} rounds; {t["sequences"]} sequences, {t["measured_sequences"]} measured
({t["measurements"]} measurements from {t["files"]} files);
{t["measured_not_proposed"]} measured but never proposed.</p>
<ul>{best}</ul>
<h2>Rounds</h2>
{table}
<h2>Plots</h2>
{figs}
</body></html>
"""
