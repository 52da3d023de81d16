"""``seqdesign export``: a round's proposals (for ordering), or every measurement."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from seqdesign.cli.common import CampaignDir, Quiet, Verbose, errors_to_exit, log, setup_logging
from seqdesign.errors import ConfigError


class ExportFormat(str, Enum):
    fasta = "fasta"
    csv = "csv"


def export_command(
    directory: CampaignDir,
    output: Annotated[str, typer.Option("-o", "--output", help="Output file ('-' for stdout).")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            help="fasta or csv [default: csv when -o ends in .csv, fasta otherwise].",
            show_default=False,
        ),
    ] = None,
    round_index: Annotated[
        int | None,
        typer.Option(
            "--round",
            help="Export the proposals of round N [default: every measurement].",
            min=1,
        ),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Write round N's proposals as ordered (FASTA/CSV), or all measurements.

    Without --round: FASTA holds one record per measured sequence with its mean values (a valid
    `round` input); CSV holds one row per measurement with its replicate, source file, sha256 and
    time.
    """
    setup_logging(quiet, verbose)
    with errors_to_exit(verbose):
        from seqdesign.campaign import Campaign
        from seqdesign.campaign.campaign import ROUNDS_DIR
        from seqdesign.campaign.export import measurements_csv, measurements_fasta, round_text
        from seqdesign.campaign.ledger import LEDGER_NAME
        from seqdesign.io import atomic_write_text, check_output_path

        if fmt is None:
            csv_name = output != "-" and Path(output).suffix.lower() == ".csv"
            fmt = ExportFormat.csv if csv_name else ExportFormat.fasta
        if output != "-":  # never over the campaign's own files, nor where its rounds go
            root = Path(directory)
            inputs = [root / LEDGER_NAME, *sorted((root / ROUNDS_DIR).glob("*"))]
            check_output_path(output, "-o", inputs)
            if Path(output).resolve().parent == (root / ROUNDS_DIR).resolve():
                raise ConfigError(
                    f"-o {output}: is in {root / ROUNDS_DIR}, where the campaign writes its "
                    "rounds; name a file elsewhere"
                )
        with Campaign.open(directory) as campaign:
            if round_index is not None:
                text = round_text(campaign, round_index, f".{fmt.value}")
            elif fmt is ExportFormat.fasta:
                text = measurements_fasta(campaign)
            else:
                text = measurements_csv(campaign)
        if output == "-":
            sys.stdout.write(text)
        else:
            atomic_write_text(output, text)
            log.info("wrote %s", output)
