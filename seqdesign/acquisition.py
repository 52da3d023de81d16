"""Acquisition functions: a proxy posterior in, one score per candidate out (larger is better).

Pure functions over per-member predictions ``samples`` of shape (M, N): member m's prediction of
the (scalar, to be maximized) objective for candidate n.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from scipy.stats import norm

from seqdesign.errors import ConfigError


class AcquisitionKind(str, Enum):
    ucb = "ucb"
    ei = "ei"
    ts = "ts"
    mean = "mean"


def ucb(samples: np.ndarray, kappa: float) -> np.ndarray:
    """Upper confidence bound: mean + kappa * std over members. (M, N) -> (N,)."""
    return samples.mean(axis=0) + kappa * samples.std(axis=0, ddof=1)


def expected_improvement(samples: np.ndarray, incumbent: float) -> np.ndarray:
    """Expected improvement over ``incumbent`` under a Gaussian fit to the members. (M, N) -> (N,)."""
    mu = samples.mean(axis=0)
    sd = np.maximum(samples.std(axis=0, ddof=1), 1e-12)
    z = (mu - incumbent) / sd
    return (mu - incumbent) * norm.cdf(z) + sd * norm.pdf(z)


def thompson(samples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thompson sampling: each candidate scored by one member drawn at random. (M, N) -> (N,)."""
    m, n = samples.shape
    return samples[rng.integers(0, m, size=n), np.arange(n)]


def acquire(
    kind: AcquisitionKind | str,
    samples: np.ndarray,
    *,
    kappa: float = 1.0,
    incumbent: float | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Score candidates with the acquisition ``kind``.

    Args:
        kind: ``ucb``, ``ei``, ``ts`` or ``mean``.
        samples: (M, N) per-member predictions (larger is better).
        kappa: UCB's weight on the standard deviation.
        incumbent: EI's reference value (the best measured value); required for ``ei``.
        rng: required for ``ts``.

    Returns:
        (N,) float64 scores.
    """
    kind = AcquisitionKind(kind)
    if kind is AcquisitionKind.ucb:
        return ucb(samples, kappa)
    if kind is AcquisitionKind.mean:
        return samples.mean(axis=0)
    if kind is AcquisitionKind.ei:
        if incumbent is None:
            raise ConfigError("acquisition 'ei' needs an incumbent (the best measured value)")
        return expected_improvement(samples, incumbent)
    if rng is None:
        raise ConfigError("acquisition 'ts' needs a random generator")
    return thompson(samples, rng)
