"""Edit distances between sequence sets: Hamming when all lengths agree, Levenshtein otherwise."""

from __future__ import annotations

import numpy as np
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist


def _same_length(*groups: list[str]) -> bool:
    lengths = {len(s) for g in groups for s in g}
    return len(lengths) <= 1


def _as_bytes(seqs: list[str]) -> np.ndarray:
    """(N, L) uint8 view of equal-length sequences."""
    if not seqs:
        return np.zeros((0, 0), dtype=np.uint8)
    return np.frombuffer("".join(seqs).encode("ascii"), dtype=np.uint8).reshape(len(seqs), -1)


def pairwise(a: list[str], b: list[str], workers: int = 1) -> np.ndarray:
    """(len(a), len(b)) int64 distances: Hamming if every length is equal, else Levenshtein."""
    if not a or not b:
        return np.zeros((len(a), len(b)), dtype=np.int64)
    if _same_length(a, b):
        xa, xb = _as_bytes(a), _as_bytes(b)
        out = np.empty((len(a), len(b)), dtype=np.int64)
        step = max(1, 2_000_000 // max(1, len(b) * xa.shape[1]))  # bound the (chunk, B, L) temp
        for i in range(0, len(a), step):
            out[i : i + step] = (xa[i : i + step, None, :] != xb[None, :, :]).sum(-1)
        return out
    return cdist(a, b, scorer=Levenshtein.distance, dtype=np.int64, workers=workers)


def nearest(a: list[str], b: list[str]) -> np.ndarray:
    """(len(a),) distance from each sequence of ``a`` to its nearest in ``b`` (b non-empty)."""
    out = np.empty(len(a), dtype=np.int64)
    step = max(1, 4096 * 64 // max(1, len(b)))
    for i in range(0, len(a), step):
        out[i : i + step] = pairwise(a[i : i + step], b).min(axis=1)
    return out
