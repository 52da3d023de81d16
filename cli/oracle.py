"""``seqdesign oracle``: label sequences with a built-in ground truth (an in-silico lab)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from seqdesign.cli.common import Quiet, Verbose, errors_to_exit, read_input_text, setup_logging
from seqdesign.errors import ConfigError, InputError


def oracle_command(
    name: Annotated[str | None, typer.Argument(help="Oracle name (see --list).")] = None,
    input: Annotated[
        str | None, typer.Argument(help="Sequences to label: FASTA, CSV or TSV; '-' for stdin.")
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            help="Labeled output: a table for .csv/.tsv, FASTA for any other name ('-': FASTA on "
            "stdout).",
        ),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the oracles and exit.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Score sequences with oracle NAME and write them labeled, in the input format of `round`."""
    setup_logging(quiet, verbose)
    with errors_to_exit(verbose):
        from seqdesign.io import (
            atomic_write_text,
            check_output_path,
            read_records,
            sniff_format,
            write_fasta_records,
        )
        from seqdesign.oracles import available, get_oracle

        if list_:
            for info in available():
                lengths = (
                    f"{info.min_len}"
                    if info.min_len == info.max_len
                    else f"{info.min_len}-{info.max_len}"
                )
                alias = f" (alias of {info.alias_of})" if info.alias_of else ""
                sys.stdout.write(
                    f"{info.name}\t{info.alphabet}\tlength {lengths}\t{','.join(info.objectives)}\t"
                    f"{info.source}{alias}\n"
                )
            return
        if not name or not input or not output:
            raise ConfigError("usage: seqdesign oracle NAME IN -o OUT (or --list)")
        if output != "-":
            check_output_path(output, "-o", [input])
        oracle = get_oracle(name)
        src, text = read_input_text(input)
        records, _ = read_records(src, text=text, alphabet=oracle.space.alphabet, objectives=[])
        for i, (rid, seq, _) in enumerate(records, start=1):
            if not oracle.space.contains(seq):
                sp = oracle.space
                want = f"{sp.min_len}" if sp.fixed_length else f"{sp.min_len}-{sp.max_len}"
                raise InputError(
                    f"{src}: record {i} ({rid}): length {len(seq)}; oracle {oracle.name} expects "
                    f"length {want}"
                )
        seqs = [q for _, q, _ in records]
        scores = oracle(seqs)
        names = list(oracle.objectives)
        fmt = "fasta" if output == "-" else sniff_format(output, ">")
        if fmt == "fasta":
            text_out = write_fasta_records(
                (rid, dict(zip(names, map(float, row))), q)
                for (rid, q, _), row in zip(records, scores)
            )
        else:
            import pandas as pd

            df = pd.DataFrame({"id": [r[0] for r in records], "sequence": seqs})
            for k, obj in enumerate(names):
                df[obj] = scores[:, k]
            text_out = df.to_csv(
                index=False, sep="\t" if fmt == "tsv" else ",", float_format="%.6g"
            )
        if output == "-":
            sys.stdout.write(text_out)
        else:
            atomic_write_text(output, text_out)
