"""``seqdesign status``: the campaign's rounds, counts, best so far and proxy quality."""

from __future__ import annotations

import math
import sys
from typing import Any

from seqdesign.cli.common import CampaignDir, Quiet, Verbose, errors_to_exit, setup_logging


def status_command(directory: CampaignDir, quiet: Quiet = False, verbose: Verbose = False) -> None:
    """Show campaign DIR as a table on stdout: rounds, proposed and measured counts, best so far."""
    setup_logging(quiet, verbose)
    with errors_to_exit(verbose):
        from rich.console import Console

        from seqdesign.campaign import Campaign
        from seqdesign.campaign.status import campaign_status

        with Campaign.open(directory) as campaign:
            status = campaign_status(campaign)
        table = status_table(status, str(directory))
        # wide enough for every header and cell in full (a pipe or a file has no width of its
        # own, and a truncated 'best_so_far_...' names no objective)
        frame = status.rounds
        need = sum(
            max([len(str(c)), *(len(fmt(v)) for v in frame[c].tolist())]) + 3 for c in frame.columns
        )
        console = Console(file=sys.stdout, width=max(160, Console().width, need + 4))
        console.print(table)
        for line in status_lines(status):
            console.print(line, markup=False, highlight=False)


def fmt(value: Any) -> str:
    """A table cell: numbers to 4 significant digits, NaN as '-'."""
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def status_table(status: Any, title: str) -> Any:
    from rich.table import Table

    table = Table(title=f"campaign {title}")
    frame = status.rounds
    for c in frame.columns:
        table.add_column(c, justify="left" if c in ("status", "created") else "right")
    for _, row in frame.iterrows():
        cells = [fmt(v) for v in row.tolist()]
        if row["round"] == 0:
            cells[0] = "-"
        table.add_row(*cells)
    return table


def status_lines(status: Any) -> list[str]:
    """The totals under the table, one line each."""
    t = status.totals
    lo, hi = t["length"]
    length = "from the data" if lo is None and hi is None else f"{lo or 1}-{hi or 'any'}"
    lines = [
        f"alphabet {t['alphabet']}, length {length}, objectives {', '.join(t['objectives'])}",
        f"{_count(t['rounds'], 'round')}, {_count(t['sequences'], 'sequence')}, "
        f"{t['measured_sequences']} measured ({_count(t['measurements'], 'measurement')} from "
        f"{_count(t['files'], 'file')}); "
        f"{t['measured_not_proposed']} measured but never proposed",
    ]
    for name, (value, rid, seq) in t["best"].items():
        lines.append(f"best {name}: {value:.4g} ({rid} {seq})")
    return lines


def _count(k: int, noun: str) -> str:
    return f"{k} {noun}{'' if k == 1 else 's'}"
