"""``seqdesign simulate``: a closed loop of `round` and an oracle, every round written to disk."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seqdesign import __version__
from seqdesign.cli.common import (
    AcquisitionOpt,
    Budget,
    BudgetOpt,
    ConfigOpt,
    DeviceChoice,
    DeviceOpt,
    GeneratorOpt,
    KappaOpt,
    Quiet,
    Seed,
    Verbose,
    err_console,
    errors_to_exit,
    progress_bars,
    set_threads,
    settings_from_options,
    setup_logging,
    split_config,
)
from seqdesign.cli.constraint_options import (
    AllowedOpt,
    FixedOpt,
    ForbidOpt,
    ForbidRegexOpt,
    ForbidSiteOpt,
    GcOpt,
    GcWindowOpt,
    MaxEditsOpt,
    MaxHomopolymerOpt,
    ParentOpt,
    build_constraints,
)

SUMMARY_COLUMNS = [
    "round",
    "top_k",
    "max",
    "ratio_to_limit",
    "diversity",
    "novelty",
    "waste",
    "hypervolume",
    "hv_fraction",
    "heldout_spearman",
    "heldout_coverage_2sd",
    "seconds",
]


def simulate_command(
    oracle: Annotated[
        str,
        typer.Option(
            "--oracle", help="Ground truth that plays the lab (see `seqdesign oracle --list`)."
        ),
    ],
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out-dir",
            help="Folder for every round's files and summary.csv (created; must be empty if it exists).",
            file_okay=False,
        ),
    ],
    rounds: Annotated[int, typer.Option("--rounds", help="Design rounds.", min=1)] = 5,
    n: Annotated[int, typer.Option("-n", help="Sequences proposed per round.", min=1)] = 100,
    init: Annotated[
        int,
        typer.Option(
            "--init",
            help="Starting labeled sequences (drawn by the oracle's protocol, e.g. the bottom half of a TF landscape).",
            min=2,
        ),
    ] = 200,
    generator: GeneratorOpt = None,
    acquisition: AcquisitionOpt = None,
    kappa: KappaOpt = None,
    seed: Seed = 0,
    device: DeviceOpt = DeviceChoice.auto,
    config: ConfigOpt = None,
    budget: BudgetOpt = Budget.default,
    fixed: FixedOpt = None,
    allowed: AllowedOpt = None,
    forbid: ForbidOpt = None,
    forbid_regex: ForbidRegexOpt = None,
    forbid_site: ForbidSiteOpt = None,
    gc: GcOpt = None,
    gc_window: GcWindowOpt = None,
    max_homopolymer: MaxHomopolymerOpt = None,
    parent: ParentOpt = None,
    max_edits: MaxEditsOpt = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Run ROUNDS simulated rounds against an oracle and report the metrics of each.

    The design constraints of `round` (flags or a [constraints] table in --config) apply to
    every round's proposals; the starting sequences are the oracle's and may break them.

    With several objectives, top_k, max and ratio_to_limit are the oracle's first objective's;
    hypervolume (and hv_fraction, where the whole space's front is known) measure them all.
    """
    setup_logging(quiet, verbose)
    with errors_to_exit(verbose):
        import numpy as np

        from seqdesign.config import check_seed, load_toml, to_toml
        from seqdesign.errors import ConfigError
        from seqdesign.io import atomic_write_text, fresh_folder, write_fasta_records
        from seqdesign.loop import resolve_generator, simulate
        from seqdesign.oracles import get_oracle
        from seqdesign.space import SequenceSpace

        set_threads()
        check_seed(seed)
        loaded = load_toml(config) if config else {}
        constraint_table = loaded.pop("constraints", {})
        table, _ = split_config(loaded, str(config))
        settings = settings_from_options(
            table, str(config or "config"), budget, generator, acquisition, kappa, device
        )
        orc = get_oracle(oracle)
        constraints = build_constraints(
            constraint_table,
            str(config or "config"),
            orc.space.alphabet,
            fixed=fixed,
            allowed=allowed,
            forbid=forbid,
            forbid_regex=forbid_regex,
            forbid_site=forbid_site,
            gc=gc,
            gc_window=gc_window,
            max_homopolymer=max_homopolymer,
            parent=parent,
            max_edits=max_edits,
        )
        space = SequenceSpace(orc.space.alphabet, orc.space.min_len, orc.space.max_len, constraints)
        # a wrong combination fails before work
        generator_name = resolve_generator(settings, orc.n_objectives, space)
        if init + rounds * n > space.size():
            raise ConfigError(
                f"--init {init} + --rounds {rounds} x -n {n} = {init + rounds * n} distinct "
                f"sequences, but the space of {orc.name} holds "
                f"{'at most ' if space.rules.filters else ''}{space.size()}; ask for fewer"
            )
        ref = orc.reference_point() if orc.n_objectives > 1 else None
        with fresh_folder(out_dir):  # a failure or Ctrl-C leaves it as it was found
            atomic_write_text(
                out_dir / "settings.toml",
                to_toml(
                    settings.for_objectives(orc.n_objectives),
                    {
                        "seed": seed,
                        "version": __version__,
                        "oracle": orc.name,
                        "rounds": rounds,
                        "n": n,
                        "init": init,
                        **({"hv_reference": [float(v) for v in ref]} if ref is not None else {}),
                    },
                )
                + constraints.to_toml(),
            )
            start = orc.sample_start(
                init, np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
            )
            names = list(orc.objectives)
            y0 = orc(start)
            atomic_write_text(
                out_dir / "start.fasta",
                write_fasta_records(
                    (f"start_{i + 1:05d}", dict(zip(names, map(float, y0[i]))), q)
                    for i, q in enumerate(start)
                ),
            )
            orc.calls = 0
            rows: list[dict] = []

            def on_round(r: int, result, metrics: dict) -> None:
                rows.append(metrics)
                hv = ""
                if "hypervolume" in metrics:
                    frac = metrics["hv_fraction"]  # NaN where the true front is not known
                    share = "" if frac != frac else f" ({frac:.2f} of the true front)"
                    hv = f"hypervolume {metrics['hypervolume']:.4f}{share}  "
                err_console.print(
                    f"round {r}: {hv}top-{n} {metrics['top_k']:.3f}  max {metrics['max']:.3f}  "
                    f"diversity {metrics['diversity']:.2f}  novelty {metrics['novelty']:.2f}  "
                    f"({metrics['seconds']:.1f} s)",
                    markup=False,
                    highlight=False,
                )

            with progress_bars(quiet) as progress:
                res = simulate(
                    orc,
                    space,
                    names,
                    start,
                    rounds,
                    n,
                    settings,
                    seed,
                    limit=orc.top_k_mean(n, space),
                    on_round=on_round,
                    progress=progress,
                    reference=ref,
                    true_hypervolume=orc.true_hypervolume(ref, space) if ref is not None else None,
                )
            for r, table in enumerate(res.rounds, start=1):
                atomic_write_text(
                    out_dir / f"round_{r}.csv", table.to_csv(index=False, float_format="%.6g")
                )
                atomic_write_text(
                    out_dir / f"round_{r}.fasta",
                    write_fasta_records(
                        (row["id"], {k: float(row[k]) for k in names}, row["sequence"])
                        for _, row in table.iterrows()
                    ),
                )
            summary = res.summary[[c for c in SUMMARY_COLUMNS if c in res.summary.columns]]
            atomic_write_text(
                out_dir / "summary.csv", summary.to_csv(index=False, float_format="%.6g")
            )
        print_summary(summary, f"{orc.name}, {generator_name}, seed {seed}")


def print_summary(summary, title: str) -> None:
    """The per-round table on stdout."""
    from rich.console import Console

    table = Table(title=title)
    for c in summary.columns:
        table.add_column(c, justify="right")
    for _, row in summary.iterrows():
        table.add_row(
            *[f"{int(v)}" if c in ("round", "waste") else f"{v:.3f}" for c, v in row.items()]
        )
    Console(file=sys.stdout, width=160).print(table)
