"""Tables summarizing a campaign's ledger, for ``status``, ``export`` and ``report``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from seqdesign.campaign.campaign import Campaign
from seqdesign.moacquisition import EHVI_REF_MARGIN, MultiObjectiveAcquisition
from seqdesign.multiobjective import hypervolume, non_dominated


def sequence_table(campaign: Campaign) -> pd.DataFrame:
    """One row per sequence the campaign knows.

    Columns: ``id`` (:meth:`Campaign.sequence_ids`), ``sequence``, ``round`` (0 when
    no round proposed it), ``rank``, ``proxy_mean``, ``proxy_std``, ``acquisition``, then per
    objective ``<name>`` (mean of the replicates, NaN when not measured), ``<name>_n`` (replicates)
    and ``pred_<name>`` (the proxy's prediction when a round proposed it).
    """
    objectives = campaign.objective_names
    rows = campaign.conn.execute(
        """
        SELECT s.id AS sid, s.sequence, p.round, p.rank, p.proxy_mean,
               p.proxy_std, p.acquisition, p.predictions
        FROM sequences s LEFT JOIN proposals p ON p.sequence_id = s.id
        ORDER BY s.id
        """
    ).fetchall()
    values = campaign.conn.execute(
        "SELECT sequence_id, objective, AVG(value), COUNT(*) FROM measurements "
        "GROUP BY sequence_id, objective"
    ).fetchall()
    means = {(sid, obj): (mean, count) for sid, obj, mean, count in values}
    ids = campaign.sequence_ids()
    out = []
    for r in rows:
        preds = json.loads(r["predictions"]) if r["predictions"] else {}
        row: dict[str, Any] = {
            "id": ids[r["sid"]],
            "sequence": r["sequence"],
            "round": int(r["round"] or 0),
            "rank": int(r["rank"] or 0),
            "proxy_mean": _nan(r["proxy_mean"]),
            "proxy_std": _nan(r["proxy_std"]),
            "acquisition": _nan(r["acquisition"]),
        }
        for obj in objectives:
            mean, count = means.get((r["sid"], obj), (math.nan, 0))
            row[obj] = float(mean)
            row[f"{obj}_n"] = int(count)
            row[f"pred_{obj}"] = _nan(preds.get(f"pred_{obj}"))
        out.append(row)
    columns = ["id", "sequence", "round", "rank", "proxy_mean", "proxy_std", "acquisition"]
    for obj in objectives:
        columns += [obj, f"{obj}_n", f"pred_{obj}"]
    return pd.DataFrame(out, columns=columns)


def _nan(v: object) -> float:
    return math.nan if v is None else float(v)  # type: ignore[arg-type]


def best(values: pd.Series, maximize: bool) -> float:
    """The best measured value (NaN when none)."""
    v = values.dropna()
    if v.empty:
        return math.nan
    return float(v.max() if maximize else v.min())


@dataclass
class CampaignStatus:
    """The status table and the campaign's totals.

    Attributes:
        rounds: one row per round (round 0 = sequences measured but never proposed, when any):
            round, status, seed, proposed, measured, then per objective ``best_<name>`` (in that
            round) and ``best_so_far_<name>`` (up to and including it), with several
            objectives ``front_size`` and ``hypervolume`` (see :func:`front_progress`), then
            ``heldout_spearman`` of the round's proxy and ``created``.
        totals: counts and the best measured sequence per objective.
    """

    rounds: pd.DataFrame
    totals: dict[str, Any] = field(default_factory=dict)


def campaign_status(campaign: Campaign) -> CampaignStatus:
    """Summarize the ledger (a consistent snapshot: one read transaction)."""
    conn = campaign.conn
    conn.execute("BEGIN")
    try:
        seqs = sequence_table(campaign)
        rounds = conn.execute(
            "SELECT idx, status, seed, n, proxy_metrics, created_at FROM rounds ORDER BY idx"
        ).fetchall()
        n_meas, n_src = conn.execute(
            "SELECT (SELECT COUNT(*) FROM measurements), (SELECT COUNT(*) FROM sources)"
        ).fetchone()
    finally:
        conn.execute("COMMIT")
    objectives = campaign.objectives
    names = [n for n, _ in objectives]
    measured = seqs[names].notna().any(axis=1) if names else pd.Series(False, index=seqs.index)
    rows = []
    entries: list[tuple[int, str, object, int, str, float]] = []
    if bool((measured & (seqs["round"] == 0)).any()):
        entries.append((0, "not proposed", "", 0, "", math.nan))
    for r in rounds:
        metrics = json.loads(r["proxy_metrics"])
        entries.append(
            (
                int(r["idx"]),
                r["status"],
                int(r["seed"]),
                int(r["n"]),
                r["created_at"],
                float(metrics.get("heldout_spearman", math.nan)),
            )
        )
    several = len(objectives) > 1
    if several:
        fronts = front_progress(seqs, objectives, [e[0] for e in entries])
    for idx, status, seed, n, created, rho in entries:
        in_round = seqs["round"] == idx
        so_far = seqs["round"] <= idx
        row: dict[str, Any] = {
            "round": idx,
            "status": status,
            "seed": seed,
            "proposed": n,
            "measured": int((measured & in_round).sum()),
        }
        for name, up in objectives:
            row[f"best_{name}"] = best(seqs.loc[in_round, name], up)
            row[f"best_so_far_{name}"] = best(seqs.loc[so_far, name], up)
        if several:
            row["front_size"], row["hypervolume"] = fronts[idx]
        row["heldout_spearman"] = rho
        row["created"] = created[:19].replace("T", " ")
        rows.append(row)
    totals: dict[str, Any] = {
        "alphabet": campaign.settings["alphabet"],
        "objectives": list(campaign.settings["objective"]),
        "length": campaign.length_range,
        "rounds": len(rounds),
        "sequences": len(seqs),
        "measured_sequences": int(measured.sum()),
        "measured_not_proposed": int((measured & (seqs["round"] == 0)).sum()),
        "measurements": int(n_meas),
        "files": int(n_src),
        "best": {},
    }
    for name, up in objectives:
        col = seqs[name]
        if col.notna().any():
            i = int(np.nanargmax(col.to_numpy()) if up else np.nanargmin(col.to_numpy()))
            totals["best"][name] = (
                float(col.iloc[i]),
                seqs["id"].iloc[i],
                seqs["sequence"].iloc[i],
            )
    columns = ["round", "status", "seed", "proposed", "measured"]
    for name, _ in objectives:
        columns += [f"best_{name}", f"best_so_far_{name}"]
    if several:
        columns += ["front_size", "hypervolume"]
    return CampaignStatus(
        pd.DataFrame(rows, columns=[*columns, "heldout_spearman", "created"]), totals
    )


def front_progress(
    seqs: pd.DataFrame, objectives: list[tuple[str, bool]], rounds: list[int]
) -> dict[int, tuple[int, float]]:
    """The measured Pareto front up to and including each round: its size and hypervolume.

    Only sequences measured on every objective count. Each objective is turned to be maximized
    and scaled so that everything measured in the campaign spans 0 to 1 (as the acquisition
    scales it), and the hypervolume is measured above a reference point 0.1 below that minimum
    (the EHVI's), so the front's ends count; as later rounds widen the measured range, earlier
    rows are rescaled with it. Beyond three objectives the hypervolume is a Monte-Carlo
    estimate with a fixed seed.

    Args:
        seqs: :func:`sequence_table`.
        objectives: (name, maximized) pairs.
        rounds: the round indices to report.

    Returns:
        round -> (front size, hypervolume); (0, NaN) before anything is measured on every
        objective.
    """
    names = [n for n, _ in objectives]
    full = seqs[seqs[names].notna().all(axis=1)]
    if full.empty:
        return {idx: (0, math.nan) for idx in rounds}
    signs = np.array([1.0 if up else -1.0 for _, up in objectives])
    labels = full[names].to_numpy(dtype=np.float64)
    # scaled as the acquisition scales them (the rng is unused by "mean")
    acq = MultiObjectiveAcquisition.from_labels(
        "mean", 0.0, signs, labels, np.random.default_rng(0)
    )
    z = acq.normalize(labels[None])[0]
    ref = np.full(len(names), -EHVI_REF_MARGIN)
    out: dict[int, tuple[int, float]] = {}
    for idx in rounds:
        pts = z[(full["round"] <= idx).to_numpy()]
        if not len(pts):
            out[idx] = (0, math.nan)
            continue
        front = pts[non_dominated(pts)]
        hv = hypervolume(front, ref, rng=np.random.default_rng(0))
        out[idx] = (len(front), float(hv))
    return out
