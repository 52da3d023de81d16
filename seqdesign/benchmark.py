"""Several design methods through the same simulated campaign, side by side.

A benchmark is a set of jobs (task x method x seed). Every job of a seed starts from the same
sequences (drawn by the task's oracle from the seed alone), so methods differ only in what they
propose. Jobs are independent: they run in parallel processes, one torch thread each. The
library never imports oracles: the caller passes ``oracle_factory(name) -> oracle``, a picklable
top-level function (``seqdesign.oracles.get_oracle``).

Methods:
    gfn, mogfn: ``round``'s default generator (one objective, several); gfn-scratch, gfn-edit,
        mogfn-pc, nsga2, exhaustive: ``round`` with that generator pinned (proxy-guided).
    adalead: ``round --generator evolution`` (AdaLead-style evolution on the proxy).
    evolution, random: the model-free baselines of BENCHMARKS.md (no proxy).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

import numpy as np
import pandas as pd

from seqdesign.errors import ConfigError
from seqdesign.executors import Executor

#: method name -> the ``round`` generator it runs (None: a model-free baseline). ``gfn`` is the
#: GFlowNet ``round`` uses by default (``auto``: written from scratch, or the edit process from
#: length 24 / near parents; MOGFN with several objectives); ``gfn-scratch`` and ``gfn-edit``
#: pin one of the two. ``mogfn`` is likewise ``round``'s default with several objectives
#: (MOGFN-PC, or edits of the measured front from length 24); ``mogfn-pc`` pins MOGFN-PC.
METHODS: dict[str, str | None] = {
    "gfn": "auto",
    "gfn-scratch": "gfn",
    "gfn-edit": "gfn-edit",
    "mogfn": "auto",
    "mogfn-pc": "mogfn",
    "mogfn-edit": "mogfn-edit",
    "nsga2": "nsga2",
    "exhaustive": "exhaustive",
    "adalead": "evolution",
    "evolution": None,
    "nsga2-free": None,
    "random": None,
}
DEFAULT_METHODS = ("gfn", "adalead", "evolution", "random")

#: Final-round metrics reported per run, in table order (absent ones are skipped).
METRICS = (
    "top_k",
    "max",
    "ratio_to_limit",
    "hypervolume",
    "hv_fraction",
    "diversity",
    "novelty",
    "waste",
    "seconds_per_round",
)


@dataclass(frozen=True)
class Preset:
    """A named benchmark task: oracle(s) and the campaign protocol.

    Attributes:
        name: the preset's name (``--task NAME``).
        tasks: oracle names, or shell patterns over the registry (``tfbind8-*_REF_R1``).
        init: starting sequences, drawn by the oracle's ``sample_start``.
        rounds: design rounds.
        n: batch size per round (K of top-K).
        budget: compute preset of every round.
        settings: TOML-style tables layered on the budget (``{"gflownet": {"steps": 50}}``).
        description: the protocol, in words, with the bar it is judged by.
    """

    name: str
    tasks: tuple[str, ...]
    init: int
    rounds: int
    n: int
    budget: str = "default"
    settings: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    methods: tuple[str, ...] = DEFAULT_METHODS


MO_METHODS = ("mogfn", "nsga2", "nsga2-free", "evolution", "random")
"""Default methods of the presets with several objectives."""

TF_PAIRS = tuple(
    f"tfpair-{a}-{b}"
    for a, b in (
        ("SIX6", "PAX6"),
        ("KLF1", "CRX"),
        ("FOXC1", "SIX6"),
        ("PAX6", "SIX6"),
        ("CRX", "KLF1"),
    )
)
"""The oracles of the ``tfpair`` preset (``oracles.tf_pair.PAIRS``)."""
_TFS = ("CRX", "FOXC1", "KLF1", "PAX6", "SIX6")
TF_OTHER_PAIRS = tuple(
    name
    for name in (f"tfpair-{a}-{b}" for a in _TFS for b in _TFS if a != b)
    if name not in TF_PAIRS
)
"""The other ordered pairs of the shipped TFs (the ``tfpair-others`` preset)."""

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "tfbind8",
            ("tfbind8-SIX6_REF_R1",),
            init=32_768,
            rounds=1,
            n=128,
            description="GFlowNet-AL protocol: the bottom half of the SIX6 landscape as offline "
            "data, one round of 128 (bar: top-128 >= 0.95, diversity >= 4.5, novelty >= 2)",
        ),
        Preset(
            "tf-small",
            ("tfbind8-*_REF_R1",),
            init=200,
            rounds=5,
            n=100,
            description="every shipped TF landscape: 200 starts from the bottom half, 5 rounds "
            "x 100 (bar: ratio to limit >= 0.95, ahead of evolution, diversity no lower)",
        ),
        Preset(
            "amp",
            ("amp",),
            init=500,
            rounds=5,
            n=100,
            description="antimicrobial peptides, length 12-50: 500 starts from the pool half, "
            "5 rounds x 100 (bar: top-100 P(AMP) ahead of evolution and AdaLead, diversity "
            ">= 15, novelty >= 10)",
        ),
        Preset(
            "rna-14",
            ("rna-binding-14",),
            init=200,
            rounds=5,
            n=100,
            description="RNA duplex binding, length 14: 200 random starts, 5 rounds x 100 "
            "(bar: ahead of evolution and AdaLead on top-100)",
        ),
        Preset(
            "rna-50",
            ("rna-binding-50",),
            init=200,
            rounds=5,
            n=100,
            description="RNA duplex binding, length 50: 200 random starts, 5 rounds x 100 "
            "(bar: ahead of evolution and AdaLead on top-100)",
        ),
        Preset(
            "ehrlich",
            ("ehrlich",),
            init=200,
            rounds=10,
            n=100,
            description="Ehrlich function, length 32, 4 motifs x 4, 20 letters: 200 feasible "
            "starts, 10 rounds x 100 (bar: top-100 >= 2x evolution's)",
        ),
        Preset(
            "tfpair",
            TF_PAIRS,
            init=200,
            rounds=5,
            n=100,
            methods=MO_METHODS,
            description="five TF pairs, two objectives: bind the first TF and "
            "avoid the second (an enumerable front): 200 starts from the bottom half of the "
            "first, 5 rounds x 100; hypervolume above (0.5, 0.5) (bar: hv_fraction >= 0.9, "
            "ahead of NSGA-II)",
        ),
        Preset(
            "tfpair-others",
            TF_OTHER_PAIRS,
            init=200,
            rounds=5,
            n=100,
            methods=("mogfn", "nsga2"),
            description="the 15 other ordered pairs of the five shipped TFs, as tfpair: a check "
            "that the five of the bar were not chosen to pass (not in make benchmarks)",
        ),
        Preset(
            "rnapair",
            ("rnapair-14",),
            init=200,
            rounds=5,
            n=100,
            methods=MO_METHODS,
            description="RNA allele-specific binding, length 14, two objectives: bind a target, "
            "avoid its 2-letter variant: 200 random starts, 5 rounds x 100; hypervolume above "
            "(0.5, 0.5) (bar: ahead of NSGA-II)",
        ),
        Preset(
            "amp-hydrophobicity",
            ("amp-hydrophobicity",),
            init=500,
            rounds=5,
            n=100,
            methods=MO_METHODS,
            description="P(AMP) against low hydrophobicity: 500 starts from the AMP pool, 5 "
            "rounds x 100; hypervolume above (0, 0) (bar: ahead of NSGA-II)",
        ),
        Preset(
            "tiny",
            ("tfbind8-SIX6_REF_R1",),
            init=40,
            rounds=2,
            n=10,
            budget="fast",
            settings={
                "proxy": {"members": 3, "hidden": 32, "max_steps": 200, "eval_every": 50},
                "evolution": {"queries": 1000, "walkers": 64},
                "gflownet": {"steps": 30},
            },
            description="a smoke test: SIX6, 40 starts, 2 rounds x 10, shrunk models",
        ),
    )
}


@dataclass(frozen=True)
class Job:
    """One simulated campaign: a task, a method, a seed and the protocol."""

    task: str
    method: str
    seed: int
    init: int
    rounds: int
    n: int
    budget: str = "default"
    settings: dict[str, Any] = field(default_factory=dict)


def resolve_tasks(patterns: Sequence[str], registry: Sequence[str]) -> list[str]:
    """Oracle names matching ``patterns`` (exact names, or shell patterns), in registry order.

    Raises:
        ConfigError: a pattern matches no oracle.
    """
    out: list[str] = []
    for pat in patterns:
        hits = (
            [r for r in registry if fnmatch.fnmatchcase(r, pat)]
            if any(c in pat for c in "*?[")
            else [pat]
        )
        if not hits:
            raise ConfigError(f"task pattern {pat!r} matches no oracle")
        out += [h for h in hits if h not in out]
    return out


def check_methods(methods: Sequence[str]) -> list[str]:
    """The methods, validated and deduplicated (order kept).

    Raises:
        ConfigError: an unknown method, or none.
    """
    methods = list(dict.fromkeys(m.strip() for m in methods if m.strip()))
    if not methods:
        raise ConfigError("--methods: expected at least one method")
    bad = [m for m in methods if m not in METHODS]
    if bad:
        raise ConfigError(
            f"--methods: unknown method(s) {', '.join(bad)}; expected some of {', '.join(METHODS)}"
        )
    return methods


def make_jobs(
    tasks: Sequence[str],
    methods: Sequence[str],
    seeds: Sequence[int],
    init: int,
    rounds: int,
    n: int,
    budget: str = "default",
    settings: dict[str, Any] | None = None,
) -> list[Job]:
    """Every task x method x seed, model-guided (slow) methods first for load balance."""
    jobs = [
        Job(t, m, s, init, rounds, n, budget, dict(settings or {}))
        for t in tasks
        for s in seeds
        for m in methods
    ]
    return sorted(jobs, key=lambda j: METHODS[j.method] is None)


def start_sequences(oracle: Any, init: int, seed: int) -> list[str]:
    """The starting sequences of a seed: the same for every method (as ``simulate`` draws them)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    return list(oracle.sample_start(init, rng))


def run_job(job: Job, oracle_factory: Callable[[str], Any]) -> pd.DataFrame:
    """Run one campaign; one row per round with the job's keys and the round's metrics."""
    import torch

    from seqdesign.baselines import propose_model_free
    from seqdesign.config import build_settings
    from seqdesign.loop import simulate

    torch.set_num_threads(1)
    oracle = oracle_factory(job.task)
    generator = METHODS[job.method]
    settings = build_settings(
        job.budget, job.settings, {"generator": generator or "random"}, source="benchmark"
    )
    start = start_sequences(oracle, job.init, job.seed)
    propose = None
    if generator is None:
        space = oracle.space

        def propose(data, r, round_seed):  # type: ignore[no-untyped-def]
            rng = np.random.default_rng(round_seed)
            return propose_model_free(job.method, data, space, job.n, rng, round_index=r)

    several = len(oracle.objectives) > 1
    ref = oracle.reference_point() if several else None
    t0 = time.perf_counter()
    res = simulate(
        oracle,
        oracle.space,
        list(oracle.objectives),
        start,
        job.rounds,
        job.n,
        settings,
        job.seed,
        limit=oracle.top_k_mean(job.n),
        propose=propose,
        reference=ref,
        true_hypervolume=oracle.true_hypervolume(ref) if ref is not None else None,
    )
    rows = res.summary.copy()
    rows.insert(0, "seed", job.seed)
    rows.insert(0, "method", job.method)
    rows.insert(0, "task", job.task)
    rows["wall_seconds"] = (time.perf_counter() - t0) / job.rounds
    if several:  # the final front travels with the rows (as text), for fronts.csv and the plot
        rows[FRONT] = ""
        rows.loc[rows.index[-1], FRONT] = json.dumps(
            final_front(res.rounds, list(oracle.objectives), start)
        )
    return rows


FRONT = "_front"
"""The column of :func:`run_job`'s last row that carries the run's final front (JSON)."""


def final_front(
    tables: Sequence[pd.DataFrame], objectives: list[str], start: Sequence[str]
) -> dict[str, Any]:
    """The Pareto front of the true scores of every sequence a campaign proposed (unique, not
    in the start; objectives maximized, as the oracles orient them).

    Returns:
        ``{"objectives": names, "points": [[sequence, value, ...], ...]}``, best first on the
        first objective.
    """
    from seqdesign.loop import new_proposals
    from seqdesign.multiobjective import non_dominated

    seqs = [q for t in tables for q in t["sequence"]]
    new = new_proposals(seqs, start)
    if not new:
        return {"objectives": objectives, "points": []}
    y = np.vstack([t[objectives].to_numpy(dtype=np.float64) for t in tables])[new]
    seqs = [seqs[i] for i in new]
    keep = np.flatnonzero(non_dominated(y))
    keep = keep[np.lexsort((-y[keep, 1:].sum(axis=1), -y[keep, 0]))]
    return {
        "objectives": objectives,
        "points": [[seqs[i], *map(float, y[i])] for i in keep],
    }


def split_fronts(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``runs`` less the front column, and the fronts as a table.

    Returns:
        ``(runs, fronts)``; fronts has columns task, method, seed, sequence and one per
        objective (the union over tasks: a task's rows leave the others' objectives empty).
        Empty when no run has several objectives.
    """
    empty = pd.DataFrame(columns=["task", "method", "seed", "sequence"])
    if FRONT not in runs.columns:
        return runs, empty
    parts = []
    carried = runs[FRONT].fillna("").astype(str).str.len() > 0  # NaN: a run of one objective
    for _, r in runs[carried].iterrows():
        front = json.loads(r[FRONT])
        cols = ["sequence", *front["objectives"]]
        part = pd.DataFrame(front["points"], columns=cols)
        part.insert(0, "seed", r["seed"])
        part.insert(0, "method", r["method"])
        part.insert(0, "task", r["task"])
        parts.append(part)
    fronts = pd.concat(parts, ignore_index=True) if parts else empty
    return runs.drop(columns=FRONT), fronts


def _worker(args: tuple[Job, Callable[[str], Any]]) -> pd.DataFrame:
    return run_job(*args)


def run_jobs(
    jobs: Sequence[Job],
    oracle_factory: Callable[[str], Any],
    workers: int | None = None,
    on_done: Callable[[Job, pd.DataFrame], None] | None = None,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Run ``jobs`` (in parallel processes when ``workers`` > 1) and stack their rows.

    Args:
        jobs: from :func:`make_jobs`.
        oracle_factory: picklable ``name -> oracle``.
        workers: processes (default: the cores available, at most one per job); 1 runs in this
            process.
        on_done: called as each job finishes (in completion order; with ``executor``, in job
            order once all have finished).
        executor: run the jobs on this executor instead (a Ray cluster, for example: see
            :func:`seqdesign.executors.make_executor`); ``workers`` is then unused.

    Returns:
        The per-round rows of every job, in job order (independent of completion order).
    """
    workers = workers or len(os.sched_getaffinity(0))
    workers = max(1, min(workers, len(jobs)))
    results: list[pd.DataFrame | None] = [None] * len(jobs)
    if executor is not None:
        results = list(executor.map(_worker, [(job, oracle_factory) for job in jobs]))
        if on_done:
            for job, rows in zip(jobs, results):
                on_done(job, rows)  # type: ignore[arg-type]
    elif workers == 1:
        for i, job in enumerate(jobs):
            results[i] = run_job(job, oracle_factory)
            if on_done:
                on_done(job, results[i])  # type: ignore[arg-type]
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(_worker, (job, oracle_factory)): i for i, job in enumerate(jobs)}
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()
                if on_done:
                    on_done(jobs[i], results[i])  # type: ignore[arg-type]
    order = {m: i for i, m in enumerate(dict.fromkeys(j.method for j in jobs))}
    runs = pd.concat([r for r in results if r is not None], ignore_index=True)
    runs["_m"] = runs["method"].map(order)
    runs = runs.sort_values(["task", "_m", "seed", "round"], kind="stable").drop(columns="_m")
    return runs.reset_index(drop=True)


def final_metrics(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, method, seed): the last round's metrics and seconds per round."""
    keys = ["task", "method", "seed"]
    last = runs.groupby(keys, sort=False).tail(1).set_index(keys)
    last["seconds_per_round"] = runs.groupby(keys, sort=False)["seconds"].mean()
    cols = [c for c in METRICS if c in last.columns and last[c].notna().any()]
    return last[cols].reset_index()


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd over seeds per (task, method): columns ``<metric>`` and ``<metric>_sd``."""
    final = final_metrics(runs)
    cols = [c for c in METRICS if c in final.columns]
    g = final.groupby(["task", "method"], sort=False)[cols]
    mean, sd = g.mean(), g.std(ddof=1)
    out = mean.copy()
    for c in cols:
        out[f"{c}_sd"] = sd[c]
    out["seeds"] = g.size()
    return out.reset_index()


def format_cell(mean: float, sd: float, digits: int = 3) -> str:
    """``mean ± sd`` (``mean`` alone with one seed; ``-`` when unknown)."""
    if mean is None or np.isnan(mean):
        return "-"
    if sd is None or np.isnan(sd):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def table_rows(summary: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Header and text rows of the summary (mean ± sd), for a terminal or Markdown table."""
    metrics = [c for c in METRICS if c in summary.columns]
    header = ["task", "method", *metrics]
    rows = []
    for _, r in summary.iterrows():
        digits = {"seconds_per_round": 1, "diversity": 2, "novelty": 2, "waste": 0}
        rows.append(
            [r["task"], r["method"]]
            + [format_cell(r[c], r[f"{c}_sd"], digits.get(c, 3)) for c in metrics]
        )
    return header, rows


def to_markdown(summary: pd.DataFrame) -> str:
    """The summary as a Markdown table (best top-K per task in bold; hypervolume if present)."""
    header, rows = table_rows(summary)
    key = "top_k"
    if "hypervolume" in summary.columns and summary["hypervolume"].notna().any():
        key = "hypervolume"
    best = summary.groupby("task")[key].transform("max") == summary[key]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row, is_best in zip(rows, best):
        cells = list(row)
        if is_best:
            cells[header.index(key)] = f"**{cells[header.index(key)]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plotted_metric(runs: pd.DataFrame, k: int) -> str:
    """What :func:`plot_top_k` draws for these runs, in words: ``hypervolume`` where every task
    has several objectives, ``top-K`` where none has, ``top-K or hypervolume`` for a mix."""
    if "hypervolume" not in runs.columns:
        return f"top-{k}"
    has = runs.groupby("task", sort=False)["hypervolume"].apply(lambda v: v.notna().any())
    if has.all():
        return "hypervolume"
    return f"top-{k} or hypervolume" if has.any() else f"top-{k}"


def plot_top_k(runs: pd.DataFrame, title: str = "") -> bytes:
    """A PNG of top-K per round (mean ± sd over seeds), one panel per task, a line per method.

    With several objectives (a ``hypervolume`` column) the panels show hypervolume instead.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    tasks = list(dict.fromkeys(runs["task"]))
    cols = min(3, len(tasks))
    nrows = -(-len(tasks) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(5 * cols, 3.6 * nrows), squeeze=False)
    for ax, task in zip(axes.flat, tasks):
        sub = runs[runs["task"] == task]
        metric = (
            "hypervolume"
            if "hypervolume" in sub.columns and sub["hypervolume"].notna().any()
            else "top_k"
        )
        for method, g in sub.groupby("method", sort=False):
            stats = g.groupby("round")[metric].agg(["mean", "std"]).fillna({"std": 0.0})
            x = stats.index.to_numpy()
            ax.plot(x, stats["mean"], marker="o", label=str(method))
            ax.fill_between(
                x, stats["mean"] - stats["std"], stats["mean"] + stats["std"], alpha=0.2
            )
        ax.set_title(task, fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("round")
        ax.set_ylabel("hypervolume" if metric == "hypervolume" else "top-K true score")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _png(fig, axes, len(tasks), title)


def plot_fronts(
    fronts: pd.DataFrame,
    truth: dict[str, tuple[list[str], np.ndarray | None, np.ndarray | None]],
    title: str = "",
) -> bytes:
    """A PNG of the final Pareto fronts: one panel per task, one line per method (its first
    seed), the true front in black where it is known, the reference point dotted.

    Args:
        fronts: :func:`split_fronts`'s table.
        truth: task -> (objective names, true front (F, K) or None, reference point or None).
            Tasks with three or more objectives are drawn on their first two.
        title: the figure's title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(fronts["task"]))
    cols = max(1, min(3, len(tasks)))
    nrows = max(1, -(-len(tasks) // cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(5 * cols, 4 * nrows), squeeze=False)
    for ax, task in zip(axes.flat, tasks):
        names, true, ref = truth[task]
        x, y = names[0], names[1]
        sub = fronts[fronts["task"] == task]
        seed = int(sub["seed"].min())
        if true is not None:
            t = true[np.argsort(-true[:, 0], kind="stable")]
            ax.plot(t[:, 0], t[:, 1], "kx", markersize=5, label="true front", zorder=3)
        for method, g in sub[sub["seed"] == seed].groupby("method", sort=False):
            pts = g[[x, y]].to_numpy(dtype=np.float64)
            pts = pts[np.argsort(-pts[:, 0], kind="stable")]
            style = "o-" if len(names) == 2 else "o"
            ax.plot(pts[:, 0], pts[:, 1], style, drawstyle="steps-post", markersize=3,
                    label=str(method), alpha=0.8)  # fmt: skip
        if ref is not None:
            ax.axvline(ref[0], color="grey", linestyle=":", linewidth=1)
            ax.axhline(ref[1], color="grey", linestyle=":", linewidth=1)
        more = f" (first 2 of {len(names)} objectives)" if len(names) > 2 else ""
        ax.set_title(f"{task}, seed {seed}{more}", fontsize=10)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _png(fig, axes, len(tasks), title)


def _png(fig: Any, axes: Any, used: int, title: str) -> bytes:
    """The figure as PNG bytes, its panels past the first ``used`` hidden, then closed."""
    import io

    import matplotlib.pyplot as plt

    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def preset(name: str) -> Preset:
    """A preset by name.

    Raises:
        ConfigError: no preset has that name.
    """
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    return PRESETS[name]


def with_overrides(p: Preset, **changes: Any) -> Preset:
    """``p`` with the non-None ``changes`` applied."""
    return dataclasses.replace(p, **{k: v for k, v in changes.items() if v is not None})
