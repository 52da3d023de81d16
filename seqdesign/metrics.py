"""Campaign metrics of BENCHMARKS.md: top-K, max, diversity, novelty."""

from __future__ import annotations

import numpy as np

from seqdesign.distance import nearest, pairwise


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation; NaN, silently, where it is undefined (fewer than 3 pairs, or
    a constant side: every label of an objective equal, which scipy would warn about on stderr)."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x), np.asarray(y)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, best first (stable for ties)."""
    return np.argsort(-scores, kind="stable")[:k]


def top_k_mean(scores: np.ndarray, k: int) -> float:
    """Mean of the ``k`` largest scores (of all when fewer)."""
    if len(scores) == 0:
        return float("nan")
    return float(scores[top_k_indices(scores, k)].mean())


def diversity(seqs: list[str]) -> float:
    """Mean pairwise distance (Hamming for equal lengths, Levenshtein otherwise)."""
    if len(seqs) < 2:
        return 0.0
    d = pairwise(seqs, seqs)
    n = len(seqs)
    return float(d.sum() / (n * (n - 1)))


def novelty(seqs: list[str], reference: list[str]) -> float:
    """Mean distance from each sequence to its nearest sequence of ``reference``."""
    if not seqs or not reference:
        return float("nan")
    return float(nearest(seqs, reference).mean())


def campaign_metrics(
    proposed: list[str],
    true_scores: np.ndarray,
    start: list[str],
    k: int,
    limit: float | None = None,
) -> dict[str, float]:
    """Metrics over sequences proposed so far (unique, not in the starting data).

    Args:
        proposed: every proposed sequence of the campaign so far.
        true_scores: (len(proposed),) the oracle's score of each.
        start: the starting (labeled before round 1) sequences.
        k: K of top-K.
        limit: the mean of the K best scores of the whole space, when known.
    """
    start_set = set(start)
    seen: set[str] = set()
    keep = []
    for i, q in enumerate(proposed):
        if q not in start_set and q not in seen:
            seen.add(q)
            keep.append(i)
    waste = len(proposed) - len(keep)
    seqs = [proposed[i] for i in keep]
    scores = true_scores[keep]
    top = top_k_indices(scores, k)
    top_seqs = [seqs[i] for i in top]
    tk = top_k_mean(scores, k)
    return {
        "top_k": tk,
        "max": float(scores.max()) if len(scores) else float("nan"),
        "ratio_to_limit": tk / limit if limit else float("nan"),
        "diversity": diversity(top_seqs),
        "novelty": novelty(top_seqs, start),
        "waste": float(waste),
    }
