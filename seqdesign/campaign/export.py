"""Exports of a campaign: a round's proposals, or every measurement with its provenance."""

from __future__ import annotations

import math

import pandas as pd

from seqdesign.campaign.campaign import Campaign
from seqdesign.campaign.status import sequence_table
from seqdesign.errors import ConfigError
from seqdesign.io.output import write_fasta_records


def round_text(campaign: Campaign, index: int, suffix: str) -> str:
    """The file ``round_NNN<suffix>`` as the round wrote it (from the ledger, not the folder).

    Raises:
        ConfigError: no such round.
    """
    row = campaign.conn.execute(
        "SELECT text FROM round_files WHERE round = ? AND name = ?", (index, suffix)
    ).fetchone()
    if row is None:
        done = [r[0] for r in campaign.conn.execute("SELECT idx FROM rounds ORDER BY idx")]
        have = f"rounds {done[0]}-{done[-1]}" if done else "no rounds yet"
        raise ConfigError(f"--round {index}: campaign {campaign.root} has {have}")
    return str(row[0])


def measurements_fasta(campaign: Campaign) -> str:
    """One record per measured sequence: ``>id obj=mean ...`` (replicates averaged)."""
    seqs = sequence_table(campaign)
    names = campaign.objective_names
    seqs = seqs[seqs[names].notna().any(axis=1)]
    return write_fasta_records(
        (
            row["id"],
            {n: float(row[n]) for n in names if not math.isnan(row[n])},
            row["sequence"],
        )
        for _, row in seqs.iterrows()
    )


MEASUREMENT_COLUMNS = [
    "id",
    "sequence",
    "objective",
    "value",
    "replicate",
    "round",
    "record_id",
    "source_file",
    "sha256",
    "measured_at",
]


def measurements_table(campaign: Campaign) -> pd.DataFrame:
    """One row per measurement, in ingest order, with :data:`MEASUREMENT_COLUMNS`: ``id`` is
    the sequence's (:meth:`Campaign.sequence_ids`), ``record_id`` the id its file gave it."""
    ids = campaign.sequence_ids()
    rows = campaign.conn.execute(
        """
        SELECT m.sequence_id, s.sequence, m.objective, m.value, m.replicate,
               COALESCE(p.round, 0), m.record_id, src.name, src.sha256, m.measured_at
        FROM measurements m
        JOIN sequences s ON s.id = m.sequence_id
        JOIN sources src ON src.id = m.source_id
        LEFT JOIN proposals p ON p.sequence_id = m.sequence_id
        ORDER BY m.id
        """
    ).fetchall()
    return pd.DataFrame([(ids[r[0]], *tuple(r)[1:]) for r in rows], columns=MEASUREMENT_COLUMNS)


def measurements_csv(campaign: Campaign) -> str:
    return measurements_table(campaign).to_csv(index=False, float_format="%.10g")
