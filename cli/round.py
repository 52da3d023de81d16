"""``seqdesign round``: labeled sequences in, a batch of proposals out (FASTA + CSV sidecar)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from seqdesign import __version__
from seqdesign.alphabet import Alphabet, get_alphabet
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
    WaitOpt,
    errors_to_exit,
    log,
    progress_bars,
    read_input_text,
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
    table_parent,
)
from seqdesign.errors import ConfigError, InputError

if TYPE_CHECKING:  # the heavy modules (torch) load inside the command: --help stays instant
    from seqdesign.constraints import Constraints
    from seqdesign.dataset import Dataset
    from seqdesign.loop import Objective, RoundResult
    from seqdesign.space import SequenceSpace

_ROUND_ID = re.compile(r"^sd_r(\d+)_\d+$")


def parse_objectives(specs: list[str] | None) -> list[Objective] | None:
    """``NAME[:max|:min]`` specs -> objectives (None when no spec was given)."""
    from seqdesign.campaign.settings import check_once, split_objective
    from seqdesign.io.records import objective_clash
    from seqdesign.loop import Objective

    if not specs:
        return None
    # any column name (a CSV header may hold spaces); a campaign's are stricter
    out = [Objective(*split_objective(spec)) for spec in specs]
    check_once([o.name for o in out])
    clash = objective_clash([o.name for o in out])
    if clash:
        raise ConfigError(f"--objective: {clash}")
    return out


def resolve_space(
    dataset: Dataset,
    alphabet: Alphabet,
    source: str,
    length: int | None,
    min_length: int | None,
    max_length: int | None,
    constraints: Constraints | None = None,
) -> SequenceSpace:
    """The length range from the flags, else the range seen in the input; every record checked.

    Records may break ``constraints`` (they were measured); proposals will not.
    """
    from seqdesign.space import SequenceSpace

    if length is not None and (min_length is not None or max_length is not None):
        raise ConfigError("--length cannot be combined with --min-length/--max-length")
    lengths = [len(q) for q in dataset.sequences]
    lo = length if length is not None else min_length if min_length is not None else min(lengths)
    hi = length if length is not None else max_length if max_length is not None else max(lengths)
    if constraints is None:
        space = SequenceSpace(alphabet, lo, hi)
    else:
        space = SequenceSpace(alphabet, lo, hi, constraints)
    for rid, q in zip(dataset.ids, dataset.sequences):
        if not lo <= len(q) <= hi:
            want = f"length {lo}" if lo == hi else f"length {lo}-{hi}"
            raise InputError(
                f"{source}: record ({rid}): length {len(q)}; expected {want} "
                "(set --length or --min-length/--max-length)"
            )
    return space


def next_round_index(ids: list[str]) -> int:
    """One more than the largest ``sd_rN_`` round among the input ids (1 when none)."""
    rounds = [int(m.group(1)) for m in map(_ROUND_ID.match, ids) if m]
    return max(rounds, default=0) + 1


def is_campaign(folder: Path) -> bool:
    """A folder made by ``seqdesign init`` (it holds the ledger)."""
    from seqdesign.campaign.ledger import LEDGER_NAME

    return (folder / LEDGER_NAME).exists()


def read_exclude(path: Path | None, alphabet: Alphabet) -> set[str]:
    """The sequences of an --exclude file (FASTA/CSV/TSV; any values ignored)."""
    if path is None:
        return set()
    from seqdesign.io import read_records

    records, _ = read_records(path, alphabet=alphabet, objectives=[])
    return {q for _, q, _ in records}


def check_output(
    output: str, inputs: Iterable[str | Path | None] = (), config: str | Path | None = None
) -> None:
    """Fail before any work when -o or its sidecars cannot be written as promised, or would
    overwrite one of ``inputs`` (``round base.csv -o base.fasta`` would replace base.csv).

    ``config`` is an input of the FASTA and the CSV, not of the settings sidecar: a round's
    ``.settings.toml`` passed back as ``--config`` is read whole, then rewritten.
    """
    from seqdesign.io import check_output_path

    if output == "-":
        return
    out = Path(output)
    if out.suffix.lower() in (".csv", ".toml"):
        raise ConfigError(
            f"-o {output}: the output is FASTA and its sidecars are <stem>.csv and "
            "<stem>.settings.toml; name it .fasta or .fa"
        )
    inputs = list(inputs)
    csv_path, settings_path = sidecar_paths(out)
    check_output_path(out, "-o", [*inputs, config])
    check_output_path(csv_path, f"-o {output} (sidecar)", [*inputs, config])
    check_output_path(settings_path, f"-o {output} (sidecar)", inputs)


def sidecar_paths(output: Path) -> tuple[Path, Path]:
    """``out.fasta`` -> (``out.csv``, ``out.settings.toml``)."""
    return output.with_suffix(".csv"), output.with_suffix(".settings.toml")


def round_command(
    labeled: Annotated[
        str,
        typer.Argument(
            help="Labeled sequences: FASTA (key=value headers), CSV or TSV; '-' for stdin. Or a "
            "campaign folder (seqdesign init): everything measured so far, and the proposals go "
            "to DIR/rounds/round_NNN.fasta (+ .csv, .settings.toml)."
        ),
    ],
    n: Annotated[int, typer.Option("-n", help="Number of sequences to propose.", min=1)],
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            help="Proposed FASTA ('-' for stdout); a CSV sidecar and the settings are written "
            "beside it. Required unless LABELED is a campaign folder.",
        ),
    ] = None,
    alphabet: Annotated[
        str | None,
        typer.Option("--alphabet", help="dna, rna or protein [default: inferred from the data]."),
    ] = None,
    length: Annotated[
        int | None, typer.Option("--length", help="Fixed length of the proposals.", min=1)
    ] = None,
    min_length: Annotated[
        int | None,
        typer.Option("--min-length", help="Shortest proposal [default: shortest input].", min=1),
    ] = None,
    max_length: Annotated[
        int | None,
        typer.Option("--max-length", help="Longest proposal [default: longest input].", min=1),
    ] = None,
    objective: Annotated[
        list[str] | None,
        typer.Option(
            "--objective",
            help="NAME[:max|:min], repeatable; other columns (notes, ...) are then ignored "
            "[default: every labeled column, maximized].",
        ),
    ] = None,
    generator: GeneratorOpt = None,
    acquisition: AcquisitionOpt = None,
    kappa: KappaOpt = None,
    seed: Seed = None,
    device: DeviceOpt = DeviceChoice.auto,
    config: ConfigOpt = None,
    budget: BudgetOpt = Budget.default,
    round_index: Annotated[
        int | None,
        typer.Option(
            "--round",
            help="Round number used in the ids sd_r<N>_<i> [default: one more than the input's].",
            min=1,
        ),
    ] = None,
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
    exclude: Annotated[
        Path | None,
        typer.Option(
            "--exclude",
            help="FASTA/CSV/TSV of sequences never to propose (values, if any, are ignored).",
            dir_okay=False,
        ),
    ] = None,
    wait: WaitOpt = 0.0,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Fit the proxy on LABELED, train the generator, and write N new sequences, best first.

    Design constraints (--fixed, --allowed, --forbid*, --gc*, --max-homopolymer, --parent with
    --max-edits, or a [constraints] table in --config) hold for every proposal: the generators
    honour them and selection checks them again. An infeasible set is an error naming the rules.

    With a campaign folder DIR instead of LABELED: learn from everything DIR has measured, record
    the round in its ledger (all or nothing; a rerun after a crash completes it) and write
    DIR/rounds/round_NNN.fasta. The campaign's settings (seqdesign init) apply; flags win.
    """
    setup_logging(quiet, verbose)
    constraint_flags = {
        "fixed": fixed,
        "allowed": allowed,
        "forbid": forbid,
        "forbid_regex": forbid_regex,
        "forbid_site": forbid_site,
        "gc": gc,
        "gc_window": gc_window,
        "max_homopolymer": max_homopolymer,
        "parent": parent,
        "max_edits": max_edits,
    }
    with errors_to_exit(verbose):
        folder = Path(labeled)
        if labeled != "-" and folder.is_dir() and (output is None or is_campaign(folder)):
            from seqdesign.cli.round_campaign import campaign_round

            campaign_round(
                Path(labeled),
                n,
                output,
                {
                    "alphabet": alphabet,
                    "length": length,
                    "min_length": min_length,
                    "max_length": max_length,
                    "objective": objective,
                },
                generator,
                acquisition,
                kappa,
                seed,
                device,
                config,
                budget,
                round_index,
                exclude,
                wait,
                quiet,
                constraint_flags,
            )
            return
        if output is None:
            raise ConfigError(
                "round LABELED: -o OUT is required (or give a campaign folder instead of LABELED)"
            )
        from seqdesign.campaign.settings import objective_spec
        from seqdesign.config import check_seed, load_toml, to_toml
        from seqdesign.dataset import Dataset
        from seqdesign.io import read_measurements
        from seqdesign.io.records import objective_clash
        from seqdesign.loop import Objective, resolve_generator, run_round

        set_threads()
        loaded = load_toml(config) if config else {}
        constraint_table = loaded.pop("constraints", {})
        config_source = str(config or "config")
        parents = [constraint_flags.get("parent"), table_parent(constraint_table, config_source)]
        check_output(output, [labeled, exclude, *parents], config)
        table, cli = split_config(loaded, str(config))
        seed = seed if seed is not None else cli.get("seed", 0)
        check_seed(seed)
        alphabet = alphabet if alphabet is not None else cli.get("alphabet")
        if length is None and min_length is None and max_length is None:
            length, min_length, max_length = (
                cli.get("length"),
                cli.get("min_length"),
                cli.get("max_length"),
            )
        objective = objective or cli.get("objective")
        round_index = round_index or cli.get("round")
        settings = settings_from_options(
            table, config_source, budget, generator, acquisition, kappa, device
        )
        objectives = parse_objectives(objective)
        name, text = read_input_text(labeled)
        alpha = get_alphabet(alphabet) if alphabet else None
        names = [o.name for o in objectives] if objectives else None
        read = read_measurements(name, text=text, alphabet=alpha, objectives=names)
        if read.ignored:
            log.info(
                "%s: ignored column(s) (not an --objective): %s", name, ", ".join(read.ignored)
            )
        dataset, alpha = Dataset.from_records(read.records, names), read.alphabet
        if not dataset.objectives:
            raise InputError(
                f"{name}: no measurements found; expected key=value labels or value columns"
            )
        clash = objective_clash(list(dataset.objectives))
        if clash:  # the columns of the file, no --objective: the sidecar would mislabel one
            raise InputError(f"{name}: {clash} (or pick the objectives with --objective)")
        dataset.check_fittable(name)  # before the slow steps, naming the file
        constraints = build_constraints(constraint_table, config_source, alpha, **constraint_flags)
        space = resolve_space(dataset, alpha, name, length, min_length, max_length, constraints)
        if space.constrained:
            log.info("constraints: %s", constraints.describe())
        excluded = read_exclude(exclude, alpha)
        rnd = round_index or next_round_index(dataset.ids)
        log.info(
            "%s: %d sequences (%d measured), objectives %s; %s length %d-%d; generator %s",
            name,
            len(dataset),
            int(dataset.measured.sum()),
            ", ".join(dataset.objectives),
            alpha.name,
            space.min_len,
            space.max_len,
            resolve_generator(settings, len(dataset.objectives), space),
        )
        with progress_bars(quiet) as progress:
            result = run_round(
                dataset,
                space,
                n,
                settings,
                seed,
                objectives,
                exclude=excluded,
                round_index=rnd,
                progress=progress,
                taken_ids={r[0] for r in read.records},  # a replicate's id too
            )
        record: dict[str, object] = {
            "seed": seed,
            "version": __version__,
            "input": name,
            "round": rnd,
        }
        # the alphabet and lengths given (not those inferred from the data, which the next
        # round's data may widen), so the file passed back as --config designs the same space
        given = {"alphabet": alphabet, "length": length, "min_length": min_length}
        given["max_length"] = max_length
        record.update({k: v for k, v in given.items() if v is not None})
        used = objectives or [Objective(k) for k in dataset.objectives]
        # the objectives and their directions, so the file passed back as --config models the
        # same ones the same way
        record["objective"] = [objective_spec(o.name, o.maximize) for o in used]
        resolved = settings.for_objectives(len(used))  # the kappa the round used
        write_outputs(output, result, to_toml(resolved, record) + constraints.to_toml())
        m = result.proxy_metrics
        log.info(
            "proposed %d in %.1f s; proxy held-out spearman %.3f, coverage(±2sd) %.2f%s",
            n,
            result.seconds,
            m.get("heldout_spearman", float("nan")),
            m.get("heldout_coverage_2sd", float("nan")),
            "; both strands read as one molecule" if m.get("reverse_complement") else "",
        )


def write_outputs(output: str, result: RoundResult, settings_toml: str) -> None:
    """FASTA (+ CSV sidecar + settings with the proxy metrics), each written atomically."""
    from seqdesign.io import atomic_write_text
    from seqdesign.io.output import proposal_texts

    texts = proposal_texts(result.table, result.proxy_metrics, settings_toml)
    if output == "-":
        sys.stdout.write(texts[".fasta"])
        sys.stdout.flush()
        return
    out = Path(output)
    csv_path, settings_path = sidecar_paths(out)
    atomic_write_text(csv_path, texts[".csv"])
    atomic_write_text(settings_path, texts[".settings.toml"])
    atomic_write_text(out, texts[".fasta"])
