"""``seqdesign benchmark``: several methods through the same simulated campaign, side by side."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from seqdesign import __version__
from seqdesign.cli.common import (
    Budget,
    ConfigOpt,
    Quiet,
    Verbose,
    err_console,
    errors_to_exit,
    setup_logging,
    split_config,
)
from seqdesign.errors import ConfigError

METHODS_HELP = (
    "Comma-separated methods: gfn (the GFlowNet round uses by default: written from scratch, "
    "or editing the best measured sequences from length 24), gfn-scratch and gfn-edit (one of "
    "the two, pinned), adalead (round --generator "
    "evolution: AdaLead-style evolution on the proxy), exhaustive (round --generator exhaustive: "
    "every sequence scored by the proxy, small spaces only), evolution (model-free: mutation ~1/L and "
    "uniform recombination of the top 10% measured), random (uniform unseen sequences, no "
    "proxy); for several objectives mogfn (the default of round: MOGFN-PC, or edits of the "
    "measured front from length 24), mogfn-pc (pinned), mogfn-edit (preference-conditioned "
    "edits, pinned), nsga2 (NSGA-II on the proxy) and nsga2-free (model-free NSGA-II: each "
    "round one generation bred from the measured sequences by Pareto rank and crowding)."
)


def benchmark_command(
    task: Annotated[
        str | None,
        typer.Option(
            "--task",
            help="A preset (see --list) or an oracle name (see `seqdesign oracle --list`).",
        ),
    ] = None,
    methods: Annotated[
        str | None,
        typer.Option(
            "--methods",
            help=METHODS_HELP + " Default: the preset's (gfn,adalead,evolution,random for one "
            "objective; mogfn,nsga2,nsga2-free,evolution,random for several).",
        ),
    ] = None,
    seeds: Annotated[
        int, typer.Option("--seeds", help="Seeds 0..S-1; each seed's starts are shared.", min=1)
    ] = 3,
    rounds: Annotated[
        int | None, typer.Option("--rounds", help="Rounds (default: the preset's, else 5).", min=1)
    ] = None,
    n: Annotated[
        int | None, typer.Option("-n", help="Batch size (default: the preset's, else 100).", min=1)
    ] = None,
    init: Annotated[
        int | None,
        typer.Option("--init", help="Starting sequences (default: the preset's, else 200).", min=2),
    ] = None,
    budget: Annotated[
        Budget | None,
        typer.Option("--budget", help="Compute preset of every round (default: the preset's)."),
    ] = None,
    config: ConfigOpt = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", help="Parallel processes (default: the cores available).", min=1),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            help="Folder for runs.csv, summary.csv, table.md and topk.png "
            "(default: bench-out/TASK; files there are replaced).",
            file_okay=False,
        ),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            help="local (processes on this machine) or ray (a Ray cluster: needs "
            "pip install 'seqdesign[ray]'; starts a local Ray instance unless --ray-address or "
            "RAY_ADDRESS names one).",
        ),
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Address of a running Ray cluster (ray://HOST:10001)."),
    ] = None,
    list_presets: Annotated[
        bool, typer.Option("--list", help="List the presets and exit.")
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Run each method through the same simulated campaign and compare them (mean ± sd over seeds).

    With several objectives, top_k, max and ratio_to_limit are the task's first objective's;
    hypervolume (and hv_fraction, where the whole space's front is known) measure them all.
    """
    setup_logging(quiet, verbose)
    with errors_to_exit(verbose):
        from seqdesign import benchmark as bm

        if list_presets:
            for p in bm.PRESETS.values():
                typer.echo(
                    f"{p.name}\t{','.join(p.tasks)}\tinit {p.init}, {p.rounds} x {p.n}, "
                    f"budget {p.budget}\t{p.description}"
                )
            return
        if not task:
            raise ConfigError("--task: expected a preset or an oracle name (see --list)")
        from seqdesign.config import load_toml
        from seqdesign.io import atomic_write_bytes, check_output_folder, check_output_path
        from seqdesign.oracles import get_oracle, names

        registry = names()
        if task in bm.PRESETS:
            base = bm.PRESETS[task]
        elif task in registry or task.lower() in {r.lower() for r in registry}:
            several = len(get_oracle(task).objectives) > 1
            base = bm.Preset(
                task,
                (task,),
                init=200,
                rounds=5,
                n=100,
                methods=bm.MO_METHODS if several else bm.DEFAULT_METHODS,
            )
        else:
            raise ConfigError(
                f"--task: unknown {task!r}; presets: {', '.join(bm.PRESETS)}; "
                "or an oracle name from `seqdesign oracle --list`"
            )
        table, _ = split_config(load_toml(config) if config else {}, str(config))
        merged = _merge(base.settings, table)
        spec = bm.with_overrides(
            base, rounds=rounds, n=n, init=init, budget=budget.value if budget else None
        )
        tasks = bm.resolve_tasks(spec.tasks, registry)
        chosen = bm.check_methods(methods.split(",") if methods is not None else spec.methods)
        from seqdesign.generators import VECTOR_GENERATORS
        from seqdesign.generators.exhaustive import check_enumerable

        # fail fast, before any process starts: unknown oracle, missing extra, and a space that
        # the exhaustive method cannot list
        multi: dict[str, Any] = {}  # the oracles of several objectives: their fronts are written
        vector_methods = [m for m in chosen if m == "mogfn" or bm.METHODS[m] in VECTOR_GENERATORS]
        for t in tasks:
            oracle = get_oracle(t)
            if "exhaustive" in chosen:
                check_enumerable(oracle.space)
            if vector_methods and len(oracle.objectives) == 1:
                raise ConfigError(
                    f"--methods {', '.join(vector_methods)}: need several objectives; task {t} has one "
                    "(use gfn, gfn-scratch or gfn-edit there)"
                )
            if len(oracle.objectives) > 1:
                multi[t] = oracle
        jobs_list = bm.make_jobs(
            tasks, chosen, range(seeds), spec.init, spec.rounds, spec.n, spec.budget, merged
        )
        # settings are validated once here so a bad --config fails before the pool starts
        from seqdesign.config import build_settings

        build_settings(spec.budget, merged, source=str(config or "preset"))
        pool = None
        if executor != "local" or ray_address:
            from seqdesign.executors import make_executor

            if executor == "local":
                raise ConfigError("--ray-address: only with --executor ray")
            if executor not in ("local", "ray"):
                raise ConfigError(f"--executor: expected local or ray, got {executor!r}")
            pool = make_executor(executor, workers=jobs, address=ray_address)
        out = out_dir or Path("bench-out") / task
        names = ("runs.csv", "summary.csv", "table.md", "benchmark.toml", "topk.png")
        front_names = ("fronts.csv", "fronts.png")
        if multi:
            names += front_names
        check_output_folder(out)
        if out.is_dir():  # nothing may stand in the way of a result, found only at the end
            for name in names + front_names:  # an earlier run's fronts are removed: checked too
                check_output_path(out / name, "--out-dir")
        err_console.print(
            f"benchmark {task}: {len(tasks)} task(s) x {len(chosen)} method(s) x {seeds} seed(s), "
            f"init {spec.init}, {spec.rounds} round(s) x {spec.n}, budget {spec.budget}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        done = [0]

        def on_done(job, rows) -> None:  # type: ignore[no-untyped-def]
            done[0] += 1
            if not quiet:
                last = rows.iloc[-1]
                err_console.print(
                    f"[{done[0]}/{len(jobs_list)}] {job.task} {job.method} seed {job.seed}: "
                    f"top-{spec.n} {last['top_k']:.3f}  ({rows['wall_seconds'].iloc[0]:.1f} s/round)",
                    markup=False,
                    highlight=False,
                )

        runs = bm.run_jobs(jobs_list, get_oracle, workers=jobs, on_done=on_done, executor=pool)
        runs, fronts = bm.split_fronts(runs)
        summary = bm.summarize(runs)
        # every result is made before the folder is touched: a failure or Ctrl-C during the
        # runs or the plot leaves no folder, and no mix of new files with an earlier run's
        results = [
            runs.to_csv(index=False, float_format="%.6g").encode(),
            summary.to_csv(index=False, float_format="%.6g").encode(),
            bm.to_markdown(summary).encode(),
            _record(task, spec, chosen, seeds, merged, __version__).encode(),
            bm.plot_top_k(runs, title=f"{task}: {bm.plotted_metric(runs, spec.n)} per round"),
        ]
        if multi:
            results += [
                fronts.to_csv(index=False, float_format="%.6g").encode(),
                bm.plot_fronts(fronts, _truth(multi), title=f"{task}: final Pareto fronts"),
            ]
        out.mkdir(parents=True, exist_ok=True)
        for name, data in zip(names, results, strict=True):
            atomic_write_bytes(out / name, data)
        if not multi:  # an earlier run's fronts beside these results would read as theirs
            for name in front_names:
                (out / name).unlink(missing_ok=True)
        _print_table(summary)
        if not quiet:
            err_console.print(
                f"wrote {out}/{', '.join(n for n in names if n != 'benchmark.toml')}",
                markup=False,
                soft_wrap=True,
            )


def _truth(oracles: dict[str, Any]) -> dict[str, tuple[list[str], Any, Any]]:
    """task -> (objectives, true front values or None, reference point or None), for the plot."""
    out = {}
    for t, oracle in oracles.items():
        front = oracle.true_front()
        out[t] = (
            list(oracle.objectives),
            None if front is None else front[1],
            oracle.reference_point(),
        )
    return out


def _merge(base: dict, over: dict) -> dict:
    """``over`` layered on ``base`` (sub-tables merged key by key)."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}
        else:
            out[k] = v
    return out


def _record(task, spec, methods, seeds, settings, version) -> str:  # type: ignore[no-untyped-def]
    """benchmark.toml: what ran, to re-run it."""
    from seqdesign.tomlfmt import toml_value as fmt

    lines = [
        f"task = {fmt(task)}",
        f"tasks = {fmt(list(spec.tasks))}",
        f"methods = {fmt(methods)}",
        f"seeds = {seeds}",
        f"init = {spec.init}",
        f"rounds = {spec.rounds}",
        f"n = {spec.n}",
        f"budget = {fmt(spec.budget)}",
        f"version = {fmt(version)}",
        f"commit = {fmt(source_commit())}",
    ]
    scalars = {k: v for k, v in settings.items() if not isinstance(v, dict)}
    if scalars:
        lines.append("\n[settings]")
        lines += [f"{k} = {fmt(v)}" for k, v in scalars.items()]
    for name, sub in settings.items():
        if isinstance(sub, dict):
            lines.append(f"\n[settings.{name}]")
            lines += [f"{k} = {fmt(v)}" for k, v in sub.items()]
    return "\n".join(lines) + "\n"


def source_commit() -> str:
    """The git commit of the seqdesign source when it runs from a checkout, else "unknown"."""
    import subprocess

    import seqdesign

    here = Path(seqdesign.__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+uncommitted changes" if dirty else "")


def _print_table(summary) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    from seqdesign.benchmark import table_rows

    header, rows = table_rows(summary)
    t = Table(*header)
    for r in rows:
        t.add_row(*r)
    Console(file=sys.stdout, width=200).print(t)
