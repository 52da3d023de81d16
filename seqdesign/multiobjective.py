"""Pareto utilities for several objectives, all maximized: fronts, hypervolume, R2, scalarizations.

Every function takes objective values ``y`` of shape (N, K), larger better on every column (turn a
minimized objective around before calling). Hypervolumes are measured above a reference point
``ref`` (K,): only the part of the space that dominates ``ref`` counts.

Scalarizations follow Multi-Objective GFlowNets (Jain et al. 2023, https://arxiv.org/abs/2210.12765)
with one correction: the reference code maximized the Tchebycheff distance; here the Tchebycheff
utility is its negative, so it falls as the distance to the ideal point rises.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum

import numpy as np

from seqdesign.errors import ConfigError

MC_SAMPLES = 100_000
"""Default number of Monte-Carlo points of :func:`hypervolume` beyond three objectives."""


CONDITIONING = ("concat", "film")
"""How MOGFN's policy reads the preference (see :mod:`seqdesign.gflownet.conditioning`)."""


class Scalarization(str, Enum):
    weighted_sum = "weighted-sum"
    log_weighted_sum = "log-weighted-sum"
    tchebycheff = "tchebycheff"


FRONT_REWARDS = ("parent-gain", "sum", "per-parent")
"""What the edit GFlowNet on the measured front trains on (``[multiobjective] front_reward``)."""


@dataclass(frozen=True)
class MultiObjectiveSettings:
    """Settings of several objectives (``[multiobjective]`` in TOML).

    Attributes:
        scalarization: ``weighted-sum``, ``log-weighted-sum`` or ``tchebycheff`` (MOGFN's reward).
        alpha: Dirichlet concentration of the training preferences (one value for every
            objective; 1 is uniform on the simplex).
        conditioning: ``concat`` or ``film`` (how the policy reads the preference).
        divisions: steps per simplex edge of the preference grid used when sampling (K <= 3).
        front_hops: ``gfn-edit`` on the measured front (MOGFN-AL's design, no ``--parent``):
            how many times a round trains it. After each hop but the last, the designs of the
            predicted front become the parents of the next (the trust region moves on the
            proxy's belief, k more edits each hop); the candidates of every hop are pooled.
        hop_steps: ... and each hop trains this fraction of ``[gflownet] steps`` (with 3 hops
            and 2/3, a round trains as much as two full fits).
        hop_oversample: ... and each hop samples this many candidates per proposed sequence (in
            place of the round's ``oversample``): only a small share of a hop's samples lie on
            the predicted front, and those become the next hop's parents and the batch.
        front_reward: ... and what each hop trains it on: ``parent-gain`` (each design by its
            gains over its nearest parent, a loss counting 3 times, in the units of the sum:
            :class:`~seqdesign.moacquisition.ParentGain`), ``sum`` (the equal-weight sum of
            the per-objective acquisitions, the round's score) or ``per-parent`` (each design
            by how far along its nearest parent's ray to the ideal point it gets, as MOEA/D
            decomposes a front: :class:`~seqdesign.moacquisition.ParentAim`); ``ehvi`` always
            trains on its own score.
    """

    scalarization: str = Scalarization.weighted_sum.value
    alpha: float = 1.0
    conditioning: str = "concat"
    divisions: int = 10
    front_hops: int = 3
    hop_steps: float = 2 / 3
    hop_oversample: int = 60
    front_reward: str = "parent-gain"

    def validate(self) -> None:
        try:
            Scalarization(self.scalarization)
        except ValueError:
            choices = ", ".join(s.value for s in Scalarization)
            raise ConfigError(
                f"multiobjective.scalarization must be one of {choices}, got {self.scalarization!r}"
            ) from None
        if not self.alpha > 0:
            raise ConfigError(f"multiobjective.alpha must be > 0, got {self.alpha}")
        if self.conditioning not in CONDITIONING:
            raise ConfigError(
                f"multiobjective.conditioning must be one of {', '.join(CONDITIONING)}, "
                f"got {self.conditioning!r}"
            )
        if self.divisions < 1:
            raise ConfigError(f"multiobjective.divisions must be >= 1, got {self.divisions}")
        if self.front_hops < 1:
            raise ConfigError(f"multiobjective.front_hops must be >= 1, got {self.front_hops}")
        if not 0 < self.hop_steps <= 1:
            raise ConfigError(f"multiobjective.hop_steps must be in (0, 1], got {self.hop_steps}")
        if self.hop_oversample < 1:
            raise ConfigError(
                f"multiobjective.hop_oversample must be >= 1, got {self.hop_oversample}"
            )
        if self.front_reward not in FRONT_REWARDS:
            raise ConfigError(
                f"multiobjective.front_reward must be one of {', '.join(FRONT_REWARDS)}, "
                f"got {self.front_reward!r}"
            )


def _as_2d(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2:
        raise ConfigError(f"expected objective values of shape (N, K), got shape {y.shape}")
    return y


def dominance_matrix(y: np.ndarray) -> np.ndarray:
    """``d[i, j]`` is True when point i dominates point j (>= everywhere, > somewhere).

    Args:
        y: (N, K) values, maximized.

    Returns:
        (N, N) bool.
    """
    y = _as_2d(y)
    ge = (y[:, None, :] >= y[None, :, :]).all(-1)
    gt = (y[:, None, :] > y[None, :, :]).any(-1)
    return np.asarray(ge & gt, dtype=bool)


def non_dominated(y: np.ndarray) -> np.ndarray:
    """Mask of the points no other point dominates (the Pareto front; duplicates all kept).

    Args:
        y: (N, K) values, maximized.

    Returns:
        (N,) bool.
    """
    y = _as_2d(y)
    if len(y) == 0:
        return np.zeros(0, dtype=bool)
    if y.shape[1] == 2:  # O(N log N): sort by y0 falling (ties: y1 falling), sweep
        order = np.lexsort((-y[:, 1], -y[:, 0]))
        y0, y1 = y[order, 0], y[order, 1]
        new_block = np.concatenate([[True], y0[1:] != y0[:-1]])  # blocks of equal y0
        block = np.cumsum(new_block) - 1
        block_max = y1[new_block]  # (blocks,) first of each block holds its largest y1
        before = np.concatenate([[-np.inf], np.maximum.accumulate(block_max)[:-1]])
        # dominated: a point with a larger y0 has y1 >= mine, or one with my y0 has a larger y1
        dom = (before[block] >= y1) | (y1 < block_max[block])
        out = np.empty(len(y), dtype=bool)
        out[order] = ~dom
        return out
    return _non_dominated_by_blocks(y)


def _non_dominated_by_blocks(y: np.ndarray, block: int = 256) -> np.ndarray:
    """:func:`non_dominated` for any K in O(N F K) (F: the front's size), not O(N^2 K).

    A dominator has a sum no smaller and comes first in lexicographic order on ties, so in that
    order a point can be dominated only by points before it, and only by non-dominated ones
    among them (dominance is transitive). Blocks of points are checked against the front found
    so far, then among themselves.
    """
    # clipped, the sums neither overflow nor meet +inf with -inf, and still never fall as the
    # values rise (NaN values dominate nothing and are never dominated: their place is moot)
    total = np.clip(y, -1e300, 1e300).sum(axis=1)
    order = np.lexsort((*(-y[:, k] for k in range(y.shape[1] - 1, -1, -1)), -total))
    keep = np.zeros(len(y), dtype=bool)
    front = np.zeros((0, y.shape[1]))
    for i in range(0, len(y), block):
        idx = order[i : i + block]
        b = y[idx]
        alive = np.ones(len(b), dtype=bool)
        if len(front):
            alive = ~_dominated_by(front, b)
        b_idx, b = idx[alive], b[alive]
        own = ~dominance_matrix(b).any(axis=0)
        keep[b_idx[own]] = True
        front = np.vstack([front, b[own]])
    return keep


def _dominated_by(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(b),) whether some point of ``a`` dominates each point of ``b`` (chunked over a)."""
    out = np.zeros(len(b), dtype=bool)
    chunk = max(1, 4_000_000 // max(len(b) * b.shape[1], 1))
    for i in range(0, len(a), chunk):
        blk = a[i : i + chunk, None, :]
        out |= ((blk >= b[None]).all(-1) & (blk > b[None]).any(-1)).any(axis=0)
    return out


def pareto_ranks(y: np.ndarray) -> np.ndarray:
    """Non-dominated sorting: rank 1 is the front, rank 2 the front once rank 1 is removed, ...

    Args:
        y: (N, K) values, maximized.

    Returns:
        (N,) int64 ranks >= 1.
    """
    y = _as_2d(y)
    ranks = np.zeros(len(y), dtype=np.int64)
    if len(y) == 0:
        return ranks
    dom = dominance_matrix(y)  # (N, N)
    count = dom.sum(axis=0)  # how many points dominate each
    rank = 1
    current = np.flatnonzero(count == 0)
    while current.size:
        ranks[current] = rank
        count = count - dom[current].sum(axis=0)
        count[ranks > 0] = -1
        current = np.flatnonzero(count == 0)
        rank += 1
    return ranks


def front_order(y: np.ndarray, n: int | None = None) -> np.ndarray:
    """Indices ordered front by front (rank 1 first), most isolated first within a front.

    The NSGA-II order: peels non-dominated fronts until ``n`` indices are placed (all when
    None), each sorted by crowding distance, largest first (ties: by index).

    Args:
        y: (N, K) values, maximized.
        n: how many indices are needed.

    Returns:
        (min(n, N),) int64 indices.
    """
    y = _as_2d(y)
    n = len(y) if n is None else min(n, len(y))
    left = np.arange(len(y))
    out: list[np.ndarray] = []
    placed = 0
    while placed < n and left.size:
        mask = non_dominated(y[left])
        front = left[mask]
        cd = crowding_distance(y[front])
        out.append(front[np.lexsort((front, -cd))])
        placed += front.size
        left = left[~mask]
    return np.concatenate(out)[:n] if out else np.zeros(0, dtype=np.int64)


def crowding_distance(y: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance within one set of points (boundary points get +inf).

    Args:
        y: (N, K) values.

    Returns:
        (N,) float64, larger = more isolated.
    """
    y = _as_2d(y)
    n, k = y.shape
    out = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(k):
        order = np.argsort(y[:, j], kind="stable")
        col = y[order, j]
        span = col[-1] - col[0]
        out[order[0]] = out[order[-1]] = np.inf
        if span > 0:
            out[order[1:-1]] += (col[2:] - col[:-2]) / span
    return out


def _clean(y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """The points strictly above ``ref`` on every objective, non-dominated, unique."""
    y = y[(y > ref).all(axis=1)]
    if len(y) == 0:
        return y
    y = np.unique(y, axis=0)
    return y[non_dominated(y)]


def _hv2(y: np.ndarray, ref: np.ndarray) -> float:
    """Exact 2-D hypervolume of clean points (a sweep)."""
    y = y[np.argsort(-y[:, 0], kind="stable")]  # y0 falling, so y1 rising on a front
    steps = np.diff(np.concatenate([[ref[1]], y[:, 1]]))
    return float(((y[:, 0] - ref[0]) * steps).sum())


def _hv3(y: np.ndarray, ref: np.ndarray) -> float:
    """Exact 3-D hypervolume by slicing along the last objective (HSO, one slice per level)."""
    y = y[np.argsort(-y[:, 2], kind="stable")]
    levels = np.concatenate([y[:, 2], [ref[2]]])
    total = 0.0
    for i in range(len(y)):
        depth = levels[i] - levels[i + 1]
        if depth > 0:
            top = y[: i + 1, :2]
            total += depth * _hv2(_clean(top, ref[:2]), ref[:2])
    return total


def hypervolume(
    y: np.ndarray,
    ref: np.ndarray | list[float],
    *,
    rng: np.random.Generator | None = None,
    samples: int = MC_SAMPLES,
) -> float:
    """Hypervolume dominated by the points of ``y`` above the reference point ``ref``.

    Exact for 1-3 objectives; a Monte-Carlo estimate beyond (uniform points in the box between
    ``ref`` and the points' maximum; standard error about ``box * sqrt(p (1 - p) / samples)``).

    Args:
        y: (N, K) values, maximized.
        ref: (K,) reference point.
        rng: required when K > 3.
        samples: Monte-Carlo points when K > 3.

    Returns:
        The hypervolume (0 when no point dominates ``ref``).

    Raises:
        ConfigError: shapes disagree, or K > 3 without an ``rng``.
    """
    y = _as_2d(y)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    if y.shape[1] != ref.size:
        raise ConfigError(f"reference point has {ref.size} values for {y.shape[1]} objectives")
    pts = _clean(y, ref)
    if len(pts) == 0:
        return 0.0
    k = ref.size
    if k == 1:
        return float(pts[:, 0].max() - ref[0])
    if k == 2:
        return _hv2(pts, ref)
    if k == 3:
        return _hv3(pts, ref)
    if rng is None:
        raise ConfigError(f"the hypervolume of {k} objectives is estimated: pass an rng")
    return hypervolume_mc(pts, ref, rng, samples)


def hypervolume_mc(
    y: np.ndarray, ref: np.ndarray, rng: np.random.Generator, samples: int = MC_SAMPLES
) -> float:
    """Monte-Carlo hypervolume: the box volume times the share of uniform points dominated.

    Args:
        y: (N, K) values, maximized.
        ref: (K,) reference point.
        rng: the source of the uniform points.
        samples: how many points (in chunks, so memory stays small).
    """
    y = _clean(_as_2d(y), np.asarray(ref, dtype=np.float64))
    if len(y) == 0:
        return 0.0
    hi = y.max(axis=0)
    box = float(np.prod(hi - ref))
    hit = 0
    chunk = max(1, 2_000_000 // max(len(y) * y.shape[1], 1))
    for start in range(0, samples, chunk):
        u = ref + rng.random((min(chunk, samples - start), ref.size)) * (hi - ref)  # (S, K)
        hit += int((y[None, :, :] >= u[:, None, :]).all(-1).any(-1).sum())
    return box * hit / samples


def hypervolume_improvement_2d(
    points: np.ndarray, front: np.ndarray, ref: np.ndarray
) -> np.ndarray:
    """Hypervolume each 2-D point adds to ``front``, vectorized over points.

    Uses HVI(p) = vol(box[ref, p]) - HV(front clipped to p): clipping keeps the order of a sorted
    front, so every clipped front's hypervolume is one sweep, done for all points at once.

    Args:
        points: (P, 2) candidate points.
        front: (F, 2) current points (any; dominated ones are dropped).
        ref: (2,) reference point.

    Returns:
        (P,) improvements >= 0.
    """
    points = _as_2d(points)
    ref = np.asarray(ref, dtype=np.float64)
    box = np.prod(np.maximum(points - ref, 0.0), axis=1)  # (P,)
    f = _clean(_as_2d(front), ref) if len(front) else np.zeros((0, 2))
    if len(f) == 0:
        return box
    f = f[np.argsort(-f[:, 0], kind="stable")]  # (F, 2): y0 falling, y1 rising
    c0 = np.maximum(np.minimum(f[None, :, 0], points[:, None, 0]) - ref[0], 0.0)  # (P, F)
    c1 = np.maximum(np.minimum(f[None, :, 1], points[:, None, 1]) - ref[1], 0.0)  # (P, F)
    steps = np.diff(np.concatenate([np.zeros((len(points), 1)), c1], axis=1), axis=1)
    return np.maximum(box - (c0 * steps).sum(axis=1), 0.0)


def hypervolume_improvement_3d(
    points: np.ndarray, front: np.ndarray, ref: np.ndarray
) -> np.ndarray:
    """Hypervolume each 3-D point adds to ``front``, vectorized over points.

    As in 2-D, HVI(p) = vol(box[ref, p]) - HV(front clipped to p). With the front sorted by its
    last objective (falling), the clipped front's hypervolume is a sum of slices: the slice
    between the i-th and (i+1)-th levels has the 2-D area of the first i+1 points. Every
    prefix's area is one sweep in the order of the first objective (the running maximum of the
    second, with the points past the prefix at zero), for all points and prefixes at once:
    (P, F, F) numbers, in chunks of points.

    Args:
        points: (P, 3) candidate points.
        front: (F, 3) current points (any; dominated ones are dropped).
        ref: (3,) reference point.

    Returns:
        (P,) improvements >= 0.
    """
    points = _as_2d(points)
    ref = np.asarray(ref, dtype=np.float64)
    p = np.maximum(points - ref, 0.0)  # (P, 3)
    box = p.prod(axis=1)
    f = _clean(_as_2d(front), ref) if len(front) else np.zeros((0, 3))
    if len(f) == 0:
        return box
    f = f[np.argsort(-f[:, 2], kind="stable")] - ref  # (F, 3): last objective falling
    by_x = np.argsort(-f[:, 0], kind="stable")  # the sweep order of every prefix
    n = len(f)
    active = np.arange(n)[:, None] >= np.arange(n)[None, by_x]  # (prefix i, sweep j)
    clipped_hv = np.zeros(len(p))
    chunk = max(1, 2_000_000 // (n * n))
    for at in range(0, len(p), chunk):
        q = p[at : at + chunk, None, :]  # (C, 1, 3)
        c = np.minimum(f[None], q)  # (C, F, 3), clipped, still falling on the last objective
        depth = c[:, :, 2] - np.concatenate([c[:, 1:, 2], np.zeros((len(c), 1))], axis=1)
        x, y = c[:, by_x, 0], c[:, by_x, 1]  # (C, F) in sweep order
        top = np.maximum.accumulate(y[:, None, :] * active[None], axis=2)  # (C, F, F)
        rise = np.diff(top, axis=2, prepend=0.0)
        area = (rise * x[:, None, :]).sum(axis=2)  # (C, F): each prefix's 2-D area
        clipped_hv[at : at + chunk] = (depth * area).sum(axis=1)
    return np.maximum(box - clipped_hv, 0.0)


def hypervolume_improvement(points: np.ndarray, front: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Hypervolume each point adds to ``front`` (exact; vectorized for 2 and 3 objectives).

    Args:
        points: (P, K) candidate points.
        front: (F, K) current points.
        ref: (K,) reference point (K <= 3).

    Returns:
        (P,) improvements >= 0; exactly 0 for a point that a front point weakly dominates (the
        volumes' difference would leave rounding noise of about 1e-17 there).
    """
    points = _as_2d(points)
    ref = np.asarray(ref, dtype=np.float64)
    if points.shape[1] == 2:
        gain = hypervolume_improvement_2d(points, front, ref)
    elif points.shape[1] == 3:
        gain = hypervolume_improvement_3d(points, front, ref)
    else:
        base = hypervolume(front, ref) if len(front) else 0.0
        gain = np.array(
            [hypervolume(np.vstack([front, p[None]]), ref) - base for p in points],
            dtype=np.float64,
        ).clip(min=0.0)
    if len(front):
        covered = np.any(np.all(_as_2d(front)[None] >= points[:, None], axis=2), axis=1)
        gain[covered] = 0.0
    return gain


def r2_indicator(y: np.ndarray, weights: np.ndarray, ideal: np.ndarray) -> float:
    """R2 indicator: mean over preferences of the best weighted Tchebycheff distance (lower is better).

    ``R2 = mean_w min_x max_i w_i |ideal_i - y_i(x)|`` (Brockhoff et al. 2012).

    Args:
        y: (N, K) values.
        weights: (W, K) preferences.
        ideal: (K,) the ideal (utopian) point.
    """
    y, weights = _as_2d(y), _as_2d(weights)
    dist = (weights[:, None, :] * np.abs(np.asarray(ideal)[None, None, :] - y[None])).max(-1)
    return float(dist.min(axis=1).mean())


def scalarize(
    y: np.ndarray,
    weights: np.ndarray,
    kind: Scalarization | str = Scalarization.weighted_sum,
    ideal: np.ndarray | None = None,
) -> np.ndarray:
    """One utility per point under a preference (larger is better).

    * ``weighted-sum``: ``sum_i w_i y_i``.
    * ``log-weighted-sum``: ``sum_i w_i log y_i`` (needs ``y > 0``; the log of a weighted
      geometric mean).
    * ``tchebycheff``: ``-max_i w_i |ideal_i - y_i|``: it falls as the weighted Tchebycheff
      distance to the ideal point rises.

    Args:
        y: (N, K) values.
        weights: (K,) one preference, or (N, K) one per point.
        kind: the scalarization.
        ideal: (K,) ideal point, for ``tchebycheff`` (default: the column maxima of ``y``).

    Returns:
        (N,) float64.
    """
    y = _as_2d(y)
    w = np.asarray(weights, dtype=np.float64)
    kind = Scalarization(kind)
    if kind is Scalarization.weighted_sum:
        return (y * w).sum(axis=-1)
    if kind is Scalarization.log_weighted_sum:
        with np.errstate(divide="ignore"):
            return (w * np.log(y)).sum(axis=-1)
    z = y.max(axis=0) if ideal is None else np.asarray(ideal, dtype=np.float64)
    return -(w * np.abs(z - y)).max(axis=-1)


def sample_preferences(
    n: int, k: int, rng: np.random.Generator, alpha: float | np.ndarray = 1.0
) -> np.ndarray:
    """``n`` preferences ~ Dirichlet(alpha) on the K-simplex.

    Args:
        n: how many.
        k: objectives.
        rng: the source of randomness.
        alpha: concentration, a scalar (used for every objective) or a (K,) vector.

    Returns:
        (n, K) float64 rows summing to 1.
    """
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (k,))
    if (a <= 0).any():
        raise ConfigError(f"Dirichlet alpha must be > 0, got {alpha}")
    return rng.dirichlet(a, size=n)


def preference_grid(k: int, divisions: int) -> np.ndarray:
    """Every preference on the simplex lattice with step ``1 / divisions``.

    Args:
        k: objectives.
        divisions: lattice steps per edge (>= 1); K=2 gives ``divisions + 1`` points.

    Returns:
        (C(divisions + k - 1, k - 1), K) rows summing to 1, in lexicographic order.
    """
    if k < 1 or divisions < 1:
        raise ConfigError(f"preference_grid needs k >= 1 and divisions >= 1, got {k}, {divisions}")
    rows = [c for c in itertools.product(range(divisions + 1), repeat=k - 1) if sum(c) <= divisions]
    grid = np.array([(*c, divisions - sum(c)) for c in rows], dtype=np.float64)
    return grid / divisions
