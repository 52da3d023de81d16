"""``seqdesign ingest``: add the lab's measurements to a campaign's ledger."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from seqdesign.cli.common import (
    CampaignDir,
    Quiet,
    Verbose,
    WaitOpt,
    err_console,
    errors_to_exit,
    setup_logging,
)
from seqdesign.errors import InputError


def ingest_command(
    directory: CampaignDir,
    measurements: Annotated[
        str,
        typer.Argument(
            help="Measurements: FASTA (key=value headers), CSV or TSV ('-' for stdin). A CSV/TSV "
            "may give proposal ids without a sequence column. Only the campaign's objectives are "
            "read (any subset); other columns/keys (notes, plate, ...) are ignored and named."
        ),
    ],
    wait: WaitOpt = 0.0,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Add MEASUREMENTS to campaign DIR (every replicate kept, with its file, sha256 and time).

    The same file twice adds nothing. A file whose measured records mostly repeat the values
    the campaign already holds (its own export, say) is added, with a warning, as is a record
    whose id an earlier file gave another sequence.
    """
    setup_logging(quiet, verbose)
    with errors_to_exit(verbose):
        from seqdesign.campaign import Campaign, CampaignLock
        from seqdesign.io.records import short

        if measurements == "-":
            name, data = "<stdin>", sys.stdin.buffer.read()
        else:
            name = measurements
            try:
                data = Path(measurements).read_bytes()
            except OSError as e:
                raise InputError(f"{measurements}: cannot read: {e.strerror or e}") from None
        Campaign.open(directory).close()  # a missing or broken campaign is reported before waiting
        with CampaignLock(directory, wait), Campaign.open(directory) as campaign:
            report = campaign.ingest(Path(name).name if name != "<stdin>" else name, data)
        say = (lambda msg: None) if quiet else _say
        if report.duplicate_of is not None:
            prev, when = report.duplicate_of
            _say(
                f"{name}: already ingested ({prev}, {when}; sha256 {report.sha256[:12]}); "
                "nothing added"
            )
            return
        say(
            f"{name}: {report.records} records, {report.measurements} measurements added "
            f"({report.new_sequences} new sequences); {report.matched} match proposals"
            + (f"; {report.unmeasured} without a value" if report.unmeasured else "")
            + (f"; ignored column(s): {', '.join(report.ignored)}" if report.ignored else "")
        )
        measured = report.records - report.unmeasured
        if report.repeated and 2 * report.repeated >= measured:
            _say(
                f"{name}: warning: {report.repeated} of {measured} measured records repeat "
                "(to 6 significant digits) the values an earlier file gave the same sequence; "
                "added as replicates. If these are the same results again (an export of this "
                "campaign, a re-saved file), the campaign now counts them twice"
            )
        if report.id_clashes:
            rid, first, seq = report.id_clashes[0]
            more = len(report.id_clashes) - 1
            _say(
                f"{name}: warning: id {rid} names {short(seq)} here but {short(first)} in an "
                "earlier record"
                + (f" (and {more} more id(s) like it)" if more else "")
                + "; both are kept (exports give each sequence one id, suffixed _2, _3, ... where "
                "two share one)"
            )
        if report.unproposed:
            ids = ", ".join(report.unproposed[:5]) + (", ..." if len(report.unproposed) > 5 else "")
            _say(
                f"{name}: flagged: {len(report.unproposed)} measured sequence(s) never proposed "
                f"by this campaign ({ids})"
            )


def _say(msg: str) -> None:
    err_console.print(msg, markup=False, highlight=False, soft_wrap=True)
