"""A campaign round, all or nothing: compute, then one transaction, then the files.

Order of events (a SIGKILL may land between any two):

1. compute the round in memory (nothing on disk changes);
2. write the files to temporary names in ``DIR/rounds`` (fsynced);
3. ONE transaction: the round (status ``committed``), its proposals and its file texts;
4. rename the temporary files to ``round_NNN.*``; mark the round ``done``.

Killed before 3 commits: the ledger is as before the round (stale temporary files are removed
by the next run) and a rerun computes the same round again (same data, same seed, same output).
Killed after 3: the round is in the ledger; a rerun (:func:`finish_pending`) writes its files
from the stored texts, byte for byte, and does not start another round.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqdesign import __version__
from seqdesign.campaign.campaign import ROUNDS_DIR, Campaign
from seqdesign.campaign.ledger import now, transaction
from seqdesign.config import RoundSettings, to_toml
from seqdesign.constraints import Constraints
from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError, InputError
from seqdesign.io.output import PROPOSAL_FIELDS, proposal_texts
from seqdesign.loop import Objective, run_round
from seqdesign.space import SequenceSpace

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".settings.toml", ".fasta")
"""Files of a round, in the order they are renamed into place (the FASTA last)."""


@dataclass
class RoundOutcome:
    """What :func:`run_campaign_round` did.

    Attributes:
        index: the round number.
        seed: the master seed the round used.
        paths: the files written (FASTA, CSV, settings).
        proxy_metrics: the proxy's held-out metrics.
        measured: measured sequences the round learned from.
        seconds: wall time of the computation.
    """

    index: int
    seed: int
    paths: list[Path]
    proxy_metrics: dict[str, float]
    measured: int
    seconds: float


def round_seed(campaign_seed: int, index: int) -> int:
    """The master seed of round ``index``: derived from the campaign's seed, the same on reruns."""
    return int(np.random.SeedSequence([campaign_seed, index]).generate_state(1)[0])


def campaign_dataset(campaign: Campaign, objectives: list[str]) -> Dataset:
    """Everything measured so far, replicates averaged, for ``objectives`` (in that order)."""
    return Dataset.from_records(campaign.measured_records(), objectives)


def campaign_space(
    campaign: Campaign, merged: dict, dataset: Dataset, constraints: Constraints | None = None
) -> SequenceSpace:
    """The length range of the round: the merged settings, else the range measured so far.

    Measured sequences may break ``constraints`` (they were measured); proposals will not.

    Raises:
        ConfigError: a measured sequence lies outside the range asked for.
    """
    lengths = [len(q) for q in dataset.sequences]
    length = merged.get("length")
    lo = length if length is not None else merged.get("min_length")
    hi = length if length is not None else merged.get("max_length")
    lo = lo if lo is not None else min(lengths)
    hi = hi if hi is not None else max(lengths)
    space = SequenceSpace(campaign.alphabet, lo, hi, constraints or Constraints())
    for rid, q in zip(dataset.ids, dataset.sequences):
        if not lo <= len(q) <= hi:
            want = f"length {lo}" if lo == hi else f"length {lo}-{hi}"
            raise ConfigError(
                f"campaign {campaign.root}: measured sequence {rid} has length {len(q)}; the "
                f"round asks for {want}, which must include every measured sequence"
            )
    return space


def run_campaign_round(
    campaign: Campaign,
    n: int,
    settings: RoundSettings,
    merged: dict,
    exclude: set[str] | None = None,
    seed: int | None = None,
    progress: Callable[..., None] | None = None,
    constraints: Constraints | None = None,
) -> RoundOutcome:
    """Compute the next round from everything measured, then commit it and write its files.

    Args:
        campaign: the open campaign (its lock held by the caller).
        n: the batch size.
        settings: the algorithm settings of the round.
        merged: the campaign's settings with the round's flags on top (objective, lengths).
        exclude: sequences never to propose, besides every sequence the campaign knows.
        seed: the round's master seed (default: derived from the campaign's seed).
        progress: progress callback of :func:`seqdesign.loop.run_round`.
        constraints: design constraints every proposal meets (default: none).

    Raises:
        InputError: fewer than 2 measured sequences.
        SpaceTooSmallError: fewer than ``n`` new sequences exist.
    """
    created = now()
    index = campaign.next_round()
    seed = round_seed(int(merged["seed"]), index) if seed is None else seed
    objectives = [Objective(*_spec(s)) for s in merged["objective"]]
    dataset = campaign_dataset(campaign, [o.name for o in objectives])
    dataset = dataset.subset(dataset.labeled)
    if len(dataset) < 2:
        raise InputError(
            f"campaign {campaign.root}: {len(dataset)} measured sequence(s) for "
            f"{', '.join(o.name for o in objectives)}; a round needs at least 2 (add them with "
            f"seqdesign ingest {campaign.root} FILE)"
        )
    dataset.check_fittable(f"campaign {campaign.root}")  # every objective measured once
    constraints = constraints or Constraints()
    space = campaign_space(campaign, merged, dataset, constraints)
    known = campaign.known_sequences() | (exclude or set())
    result = run_round(
        dataset,
        space,
        n,
        settings,
        seed,
        objectives,
        known,
        index,
        progress=progress,
        taken_ids=campaign.record_ids(),
    )
    record = {
        "seed": seed,
        "version": __version__,
        "input": "campaign",
        "round": index,
        "n": n,
        "alphabet": campaign.alphabet.name,
        "min_length": space.min_len,
        "max_length": space.max_len,
        "objective": list(merged["objective"]),
    }
    texts = proposal_texts(
        result.table,
        result.proxy_metrics,
        to_toml(settings.for_objectives(len(objectives)), record) + constraints.to_toml(),
    )
    paths = commit_round(
        campaign, index, seed, n, result.table, result.proxy_metrics, texts, created
    )
    return RoundOutcome(
        index, seed, paths, dict(result.proxy_metrics), len(dataset), result.seconds
    )


def _spec(spec: str) -> tuple[str, bool]:
    name, _, direction = spec.partition(":")
    return name, direction != "min"


def commit_round(
    campaign: Campaign,
    index: int,
    seed: int,
    n: int,
    table,
    proxy_metrics: dict[str, float],
    texts: dict[str, str],
    created: str,
) -> list[Path]:
    """Stage the files, commit the round in one transaction, then move the files into place."""
    staged = {
        suffix: _stage(campaign.round_path(index, suffix), texts[suffix]) for suffix in SUFFIXES
    }
    try:
        conn = campaign.conn
        pred_cols = [c for c in table.columns if c.startswith("pred_")]
        with transaction(conn):
            conn.execute(
                "INSERT INTO rounds (idx, status, seed, n, settings, proxy_metrics, created_at, "
                "committed_at) VALUES (?, 'committed', ?, ?, ?, ?, ?, ?)",
                (
                    index,
                    seed,
                    n,
                    texts[".settings.toml"],
                    json.dumps({k: float(v) for k, v in proxy_metrics.items()}),
                    created,
                    now(),
                ),
            )
            t = now()
            for rank, r in enumerate(table.to_dict("records"), start=1):
                conn.execute(
                    "INSERT OR IGNORE INTO sequences (sequence, added_at) VALUES (?, ?)",
                    (r["sequence"], t),
                )
                conn.execute(
                    "INSERT INTO proposals (round, rank, id, sequence_id, proxy_mean, proxy_std, "
                    "acquisition, min_dist_to_labeled, predictions) VALUES (?, ?, ?, "
                    "(SELECT id FROM sequences WHERE sequence = ?), ?, ?, ?, ?, ?)",
                    (
                        index,
                        rank,
                        r["id"],
                        r["sequence"],
                        *(_number(r[k]) for k in PROPOSAL_FIELDS),
                        json.dumps({c: _number(r[c]) for c in pred_cols}),
                    ),
                )
            conn.executemany(
                "INSERT INTO round_files (round, name, text) VALUES (?, ?, ?)",
                [(index, suffix, text) for suffix, text in texts.items()],
            )
    except BaseException:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise
    for suffix in SUFFIXES:
        os.replace(staged[suffix], campaign.round_path(index, suffix))
    _fsync_dir(campaign.root / ROUNDS_DIR)
    _mark_done(campaign, index)
    return [campaign.round_path(index, s) for s in (".fasta", ".csv", ".settings.toml")]


def _number(v: object) -> float | int | None:
    x = float(v)  # type: ignore[arg-type]
    if x != x:
        return None
    return int(x) if isinstance(v, (int, np.integer)) else x


def _stage(final: Path, text: str) -> Path:
    """Write ``text`` to a hidden temporary file beside ``final`` (fsynced); return its path."""
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    return tmp


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mark_done(campaign: Campaign, index: int) -> None:
    with transaction(campaign.conn):
        campaign.conn.execute(
            "UPDATE rounds SET status = 'done', finished_at = ? WHERE idx = ?", (now(), index)
        )


def write_round_files(campaign: Campaign, index: int) -> list[Path]:
    """(Re)write the files of a committed round from the texts stored in the ledger."""
    rows = campaign.conn.execute(
        "SELECT name, text FROM round_files WHERE round = ?", (index,)
    ).fetchall()
    texts = {name: text for name, text in rows}
    for suffix in SUFFIXES:
        tmp = _stage(campaign.round_path(index, suffix), texts[suffix])
        os.replace(tmp, campaign.round_path(index, suffix))
    _fsync_dir(campaign.root / ROUNDS_DIR)
    return [campaign.round_path(index, s) for s in (".fasta", ".csv", ".settings.toml")]


def remove_stale_files(campaign: Campaign) -> list[Path]:
    """Delete temporary files a killed round left in ``DIR/rounds`` (call with the lock held)."""
    stale = sorted((campaign.root / ROUNDS_DIR).glob(".round_*.tmp"))
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def finish_pending(campaign: Campaign) -> list[int]:
    """Write the files of rounds committed but not finished (a run killed after its commit)."""
    pending = [
        int(r[0])
        for r in campaign.conn.execute(
            "SELECT idx FROM rounds WHERE status = 'committed' ORDER BY idx"
        )
    ]
    for index in pending:
        write_round_files(campaign, index)
        _mark_done(campaign, index)
    return pending


def restore_missing_files(campaign: Campaign) -> list[int]:
    """Rewrite the files of finished rounds when any of them is missing from ``DIR/rounds``."""
    missing = []
    for (index,) in campaign.conn.execute("SELECT idx FROM rounds WHERE status = 'done'"):
        if not all(campaign.round_path(index, s).exists() for s in SUFFIXES):
            missing.append(int(index))
    for index in missing:
        write_round_files(campaign, index)
    return missing
