"""From acquisition values to GFlowNet log-rewards, with a per-round cache of scored sequences.

The round's reward function returns acquisition values ``a(x)``: any real numbers, larger better.
A GFlowNet needs ``R(x) > 0``, and the spread of R decides how peaked the learned distribution is,
so the values are shaped as in GFlowNet-AL (Jain et al. 2022):

    norm(x) = (a(x) - lo) / (hi - lo)        lo, hi: quantiles of a() over the offline data
    log R(x) = beta * log(max(norm(x), r_min))

so the offline data spans [0, 1], better sequences exceed 1, and everything at or below the
offline minimum shares the floor ``r_min ** beta``. ``a(x) = -inf`` is allowed (an infeasible
sequence: reward floor); NaN and +inf are errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from seqdesign.errors import TrainingError
from seqdesign.generators.base import RewardFn
from seqdesign.gflownet.settings import GFlowNetSettings


class LogReward(Protocol):
    """What the trainer needs: log R of sequences at a training step."""

    def log_reward(self, sequences: list[str], step: int) -> np.ndarray:
        """(N,) float64 log R(x), finite."""
        ...


class ShapedReward:
    """Normalizes, floors and tempers a :data:`RewardFn`, scoring each sequence once.

    Args:
        reward: the round's acquisition function (list of N sequences -> (N,) values). It is
            called at most once per :meth:`log_reward` call, on the sequences not seen before.
        settings: beta, its ramp, r_min, the normalization quantiles and the cache size.
    """

    def __init__(self, reward: RewardFn, settings: GFlowNetSettings) -> None:
        self.reward = reward
        self.settings = settings
        self.lo: float | None = None
        self.hi: float | None = None
        self.calls = 0
        self.scored = 0
        self._pinned: dict[str, float] = {}  # offline data: never evicted
        self._cache: dict[str, float] = {}

    def values(self, sequences: Sequence[str]) -> np.ndarray:
        """(N,) acquisition values, from the cache or one call to the reward function."""
        new = [
            s for s in dict.fromkeys(sequences) if s not in self._pinned and s not in self._cache
        ]
        if new:
            got = np.asarray(self.reward(new), dtype=np.float64).reshape(-1)
            self.calls += 1
            self.scored += len(new)
            if got.shape != (len(new),):
                raise TrainingError(
                    f"the reward function returned {got.size} values for {len(new)} sequences"
                )
            bad = np.isnan(got) | (got == np.inf)
            if bad.any():
                i = int(np.argmax(bad))
                raise TrainingError(
                    f"the reward function returned {int(bad.sum())} NaN or +inf value(s), "
                    f"e.g. {got[i]} for {new[i]!r}"
                )
            if len(self._cache) + len(new) > self.settings.cache_size:
                self._cache.clear()
            self._cache.update(zip(new, got.tolist(), strict=True))
        return np.array(
            [self._pinned[s] if s in self._pinned else self._cache[s] for s in sequences],
            dtype=np.float64,
        )

    def calibrate(self, offline: list[str]) -> np.ndarray:
        """Score the offline sequences (kept for the whole round) and fit ``lo`` and ``hi``.

        Returns:
            (N,) their acquisition values.
        """
        vals = self.values(offline)
        self._pinned.update(zip(offline, vals.tolist(), strict=True))
        self._fit_scale(vals)
        return vals

    def _fit_scale(self, vals: np.ndarray) -> None:
        finite = vals[np.isfinite(vals)]
        if finite.size == 0:
            self.lo, self.hi = 0.0, 1.0
            return
        q_lo, q_hi = self.settings.norm_quantiles
        lo, hi = (float(v) for v in np.quantile(finite, [q_lo, q_hi]))
        if not hi - lo > 1e-12 * max(1.0, abs(hi)):
            # every value equal: they map to 1, and the scale is their magnitude (or 1)
            lo = hi - (abs(hi) if hi != 0 else 1.0)
        self.lo, self.hi = lo, hi

    def beta_at(self, step: int) -> float:
        """Beta at a training step: ramps linearly from 1 over ``beta_ramp * steps`` steps."""
        s = self.settings
        ramp = s.beta_ramp * s.steps
        if ramp <= 0 or step >= ramp:
            return s.beta
        return 1.0 + (s.beta - 1.0) * step / ramp

    def shape(self, vals: np.ndarray, step: int) -> np.ndarray:
        """(N,) log R of acquisition values (requires ``lo``/``hi``)."""
        assert self.lo is not None and self.hi is not None
        norm = (vals - self.lo) / (self.hi - self.lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.beta_at(step) * np.log(np.maximum(norm, self.settings.r_min))

    def log_reward(self, sequences: list[str], step: int) -> np.ndarray:
        """(N,) log R; calibrates on this batch first when no offline data did."""
        vals = self.values(sequences)
        if self.lo is None:
            self._fit_scale(vals)
        return self.shape(vals, step)
