"""Exhaustive search: score every sequence of a small space with the round's reward.

When the space is small enough to enumerate (DNA 8-mers: 65,536), any sampler, a GFlowNet
included, can at best hand selection the sequences that the reward ranks highest; scoring them
all gives selection exactly that, and costs one proxy pass over the space instead of training.
``fit`` scores the space less the measured sequences; ``sample(n)`` returns the ``n`` best: by
score for one objective, front by front (the NSGA-II order,
:func:`~seqdesign.multiobjective.front_order`) for a vector reward.
"""

from __future__ import annotations

import logging

import numpy as np

from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError, NotFittedError, TrainingError
from seqdesign.generators.base import RewardFn, measured_in
from seqdesign.multiobjective import front_order
from seqdesign.space import SequenceSpace

log = logging.getLogger(__name__)

EXHAUSTIVE_LIMIT = 200_000
"""The largest space (``SequenceSpace.size()``) the exhaustive generator scores."""

FRONT_SHORTLIST = 4096
"""Three or more objectives: the fronts are peeled from at most this many sequences, the best of
each objective and of their sum in equal shares (non-dominated sorting is quadratic there), so
``sample`` returns at most this many."""


def check_enumerable(space: SequenceSpace) -> None:
    """Refuse a space the exhaustive generator cannot score.

    Raises:
        ConfigError: the space holds more than :data:`EXHAUSTIVE_LIMIT` sequences.
    """
    size = space.size()
    if size > EXHAUSTIVE_LIMIT:
        count = f"{size:,}" if size < 10**12 else f"about 10^{len(str(size)) - 1}"
        edits = (
            " (--max-edits does not narrow this count)" if space.rules.max_edits is not None else ""
        )
        raise ConfigError(
            f"generator 'exhaustive' scores every sequence, and the space holds up to {count}"
            f"{edits}, more than {EXHAUSTIVE_LIMIT:,}; use another generator or narrow the space "
            "(--length, --fixed, --allowed)"
        )


class ExhaustiveGenerator:
    """Scores every sequence of the space once per ``fit``; ``sample`` returns the best.

    The reward may be a score (N,) or a vector (N, K), larger better on each column.
    """

    def fit(
        self, reward: RewardFn, dataset: Dataset, space: SequenceSpace, rng: np.random.Generator
    ) -> ExhaustiveGenerator:
        """Score the whole space but the measured sequences of ``dataset`` (selection would
        drop them, and a proxy ranks what it was fit on high).

        Raises:
            ConfigError: the space holds more than :data:`EXHAUSTIVE_LIMIT` sequences.
            TrainingError: the reward returned the wrong shape or values that are not finite.
        """
        del rng
        check_enumerable(space)
        measured = set(measured_in(dataset, space))
        seqs = [q for q in space.enumerate() if q not in measured]
        values = np.asarray(reward(seqs), dtype=np.float64) if seqs else np.zeros(0)
        if values.shape[:1] != (len(seqs),) or values.ndim > 2 or not np.isfinite(values).all():
            raise TrainingError(
                f"the reward returned shape {values.shape} (finite: "
                f"{bool(np.isfinite(values).all())}) for {len(seqs)} sequences"
            )
        log.info("exhaustive: scored all %d unmeasured sequences of the space", len(seqs))
        self.space_, self.sequences_, self.values_ = space, seqs, values
        return self

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """The ``n`` best sequences, best first (the same every call; ``rng`` is not used); with
        three or more objectives at most :data:`FRONT_SHORTLIST`."""
        del rng
        if not hasattr(self, "values_"):
            raise NotFittedError("ExhaustiveGenerator.sample called before fit")
        v, n = self.values_, min(n, len(self.sequences_))
        if v.ndim == 1:
            order = np.lexsort((np.arange(len(v)), -v))[:n]
        else:
            keep = _shortlist(v, FRONT_SHORTLIST) if v.shape[1] > 2 else np.arange(len(v))
            order = keep[front_order(v[keep], n)]
        return [self.sequences_[i] for i in order]


def _shortlist(v: np.ndarray, size: int) -> np.ndarray:
    """Indices of at most ``size`` rows of (N, K) ``v``: the best of each column and of the
    row sums, ``size // (K + 1)`` each (the union; fewer when they overlap)."""
    if len(v) <= size:
        return np.arange(len(v))
    share = max(1, size // (v.shape[1] + 1))
    columns = [v[:, k] for k in range(v.shape[1])] + [v.sum(axis=1)]
    picked = [np.argsort(-c, kind="stable")[:share] for c in columns]
    return np.unique(np.concatenate(picked))
