"""Two TF-binding landscapes as a pair: bind one transcription factor, avoid the other.

Objective 0 is the binding of TF A (normalized E-score, :mod:`.tf_binding`); objective 1 is
"avoid B" = 1 - the normalized binding of TF B, so that both are maximized and lie in [0, 1].
All 65,536 8-mers are known, so the true Pareto front and its hypervolume are exact. The
trade-off region is above the reference point (0.5, 0.5): good binding of A, little of B.
"""

from __future__ import annotations

import functools

import numpy as np

from seqdesign.alphabet import DNA
from seqdesign.errors import ConfigError, SpaceTooSmallError
from seqdesign.oracles.base import Oracle, _check_n
from seqdesign.oracles.tf_binding import (
    LENGTH,
    SOURCE,
    _all_kmers,
    _normalized,
    kmer_indices,
    kmers_of,
    shipped_tfs,
)
from seqdesign.space import SequenceSpace

REFERENCE = (0.5, 0.5)
"""The reference point of the trade-off region (both objectives normalized and maximized)."""


def short_name(tf: str) -> str:
    """``SIX6_REF_R1`` -> ``SIX6``."""
    return tf.split("_")[0]


def resolve_tf(name: str) -> str:
    """A shipped TF table from its full or short name (``SIX6`` or ``SIX6_REF_R1``).

    Raises:
        ConfigError: no shipped table has that name.
    """
    for tf in shipped_tfs():
        if name in (tf, short_name(tf)):
            return tf
    raise ConfigError(
        f"unknown transcription factor {name!r}; expected one of "
        f"{', '.join(short_name(t) for t in shipped_tfs())}"
    )


@functools.cache
def _pair_scores(tf_a: str, tf_b: str) -> np.ndarray:
    """(65536, 2) read-only: binding of A, 1 - binding of B, indexed by k-mer index."""
    scores = np.stack([_normalized(tf_a), 1.0 - _normalized(tf_b)], axis=1)
    scores.setflags(write=False)
    return scores


class TFPairOracle(Oracle):
    """Bind transcription factor A, avoid B, on DNA 8-mers; two objectives in [0, 1].

    Args:
        tf_a: the TF to bind (full or short name).
        tf_b: the TF to avoid (full or short name, different from ``tf_a``).

    Raises:
        ConfigError: an unknown TF, or the same TF twice.
    """

    def __init__(self, tf_a: str, tf_b: str) -> None:
        a, b = resolve_tf(tf_a), resolve_tf(tf_b)
        if a == b:
            raise ConfigError(f"a TF pair needs two different TFs, got {tf_a!r} twice")
        sa, sb = short_name(a), short_name(b)
        super().__init__(
            name=f"tfpair-{sa}-{sb}",
            space=SequenceSpace(DNA, LENGTH, LENGTH),
            objectives=(f"bind_{sa}", f"avoid_{sb}"),
            description=f"bind {sa}, avoid {sb} (normalized E-scores; avoid = 1 - binding)",
            source=SOURCE,
        )
        self.tf_a, self.tf_b = a, b
        self._scores = _pair_scores(a, b)  # (65536, 2)

    def _evaluate(self, seqs: list[str]) -> np.ndarray:
        """Lookup, shape (N, 2)."""
        return self._scores[kmer_indices(seqs)]

    def landscape(self) -> tuple[list[str], np.ndarray]:
        """All 65,536 8-mers in base-4 order and their scores, shape (65536, 2); no cost."""
        return _all_kmers(), self._scores

    def reference_point(self) -> np.ndarray:
        """(0.5, 0.5): the trade-off region."""
        return np.array(REFERENCE)

    def sample_start(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` distinct 8-mers drawn uniformly from the bottom half of the first objective.

        Raises:
            ConfigError: ``n`` is negative.
            SpaceTooSmallError: ``n`` exceeds the size of the bottom half.
        """
        _check_n(n)
        first = self._scores[:, 0]
        pool = np.flatnonzero(first <= np.percentile(first, 50))
        if n > pool.size:
            raise SpaceTooSmallError(
                f"oracle {self.name}: asked for {n} distinct start sequences, "
                f"the bottom half of the first objective holds {pool.size}"
            )
        return kmers_of(rng.choice(pool, size=n, replace=False))


PAIRS = (("SIX6", "PAX6"), ("KLF1", "CRX"), ("FOXC1", "SIX6"), ("PAX6", "SIX6"), ("CRX", "KLF1"))
"""The pairs of the ``tfpair`` benchmark preset (the issue's bar)."""


def all_pairs() -> list[tuple[str, str]]:
    """Every ordered pair of two shipped TFs, :data:`PAIRS` first: each is an oracle
    ``tfpair-<A>-<B>`` (the other 15 form the ``tfpair-others`` preset, a check that the
    five were not chosen to pass)."""
    names = [short_name(t) for t in shipped_tfs()]
    rest = [(a, b) for a in names for b in names if a != b and (a, b) not in PAIRS]
    return [*PAIRS, *rest]
