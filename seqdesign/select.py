"""Batch selection: from scored candidates to exactly n valid, unseen, unique, diverse sequences."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from seqdesign.distance import pairwise
from seqdesign.errors import ConfigError, SpaceTooSmallError
from seqdesign.space import SequenceSpace


@dataclass(frozen=True)
class SelectionSettings:
    """Settings of batch selection.

    Attributes:
        min_distance: the smallest edit distance allowed between two picks; relaxed one step at a
            time only when too few candidates satisfy it. 0 means automatic:
            ``max(2, round(0.1 * max_len))``.
    """

    min_distance: int = 0

    def validate(self) -> None:
        if self.min_distance < 0:
            raise ConfigError(
                f"selection.min_distance must be >= 0 (0: automatic), got {self.min_distance}"
            )

    def resolve(self, space: SequenceSpace) -> int:
        if self.min_distance > 0:
            return self.min_distance
        return max(2, round(0.1 * space.max_len))


def eligible(
    candidates: list[str], scores: np.ndarray, space: SequenceSpace, exclude: Collection[str]
) -> tuple[list[str], np.ndarray]:
    """Valid, unseen, unique candidates (the best score kept for a duplicate), best first.

    Valid: the space's alphabet, length range and constraints (checked again here, whatever
    the generator did).
    """
    best: dict[str, float] = {}
    inside = space.check(candidates)
    for seq, sc, ok in zip(candidates, scores, inside):
        if not ok or seq in exclude:
            continue
        if seq not in best or sc > best[seq]:
            best[seq] = float(sc)
    seqs = sorted(best, key=lambda q: (-best[q], q))  # ties broken by sequence: deterministic
    return seqs, np.array([best[q] for q in seqs], dtype=np.float64)


def select_diverse(seqs: list[str], scores: np.ndarray, n: int, min_distance: int) -> list[int]:
    """Greedy diverse top-n of candidates already sorted best first.

    A candidate is taken, in score order, when its distance to every pick so far is at least d;
    d starts at ``min_distance`` and drops by one only when a full pass found too few.

    Returns:
        Indices into ``seqs`` of the picks, in pick order (best first).

    Raises:
        SpaceTooSmallError: fewer than ``n`` candidates.
    """
    if len(seqs) < n:
        raise SpaceTooSmallError(f"only {len(seqs)} eligible candidates for a batch of {n}")
    nearest = np.full(len(seqs), np.iinfo(np.int64).max)  # distance to the nearest pick
    taken = np.zeros(len(seqs), dtype=bool)
    picks: list[int] = []
    for d in range(max(min_distance, 1), 0, -1):
        for i in range(len(seqs)):
            if len(picks) == n:
                return picks
            if taken[i] or nearest[i] < d:
                continue
            taken[i] = True
            picks.append(i)
            nearest = np.minimum(nearest, pairwise([seqs[i]], seqs)[0])
    return picks
