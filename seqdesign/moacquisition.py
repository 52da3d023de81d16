"""Acquisition and batch selection for several objectives, on the ensemble's member samples.

The proxy's posterior is M members' predictions (M, N, K). Each objective is first turned to be
maximized and normalized by the measured data (its minimum maps to 0, its maximum to 1), so that
objectives in different units weigh alike. Then:

* ``ucb`` / ``mean`` / ``ts``: one value per objective (mean + kappa * std, the mean, or one
  member drawn per candidate), (N, K). The scalar score is their equal-weight sum (the light
  default); MOGFN and NSGA-II use the vector itself.
* ``ehvi``: noisy expected hypervolume improvement over the measured Pareto front, the
  expectation taken over the ensemble members as posterior samples (Monte-Carlo NEHVI, as
  BoTorch's qNEHVI with ``X_baseline`` the measured sequences: each member is one joint sample
  of every objective of every candidate *and* of every measured sequence, and a candidate's
  gain under a member is over the front of that member's predictions at the measured
  sequences, not over the labels, so one lucky measurement does not set the bar and a
  sequence with only some objectives measured still counts), with the reference point a
  tenth of the measured range below the measured minimum (-0.1 after normalization; BoTorch's
  ``infer_reference_point`` likewise sets it a tenth of the range below the worst point), so
  the front's ends count and a candidate beyond an end gains. Without member predictions at
  the measured sequences (:meth:`MultiObjectiveAcquisition.with_noisy_front` not called) the
  front is the labels' for every member. With two objectives batch selection is greedy
  sequential EHVI: each pick is added to every member's front (its value under that member)
  before the next is chosen (q-EHVI by fantasies); candidates with no expected gain left follow
  front by front on the per-objective UCB, so they too spread along the front (with three,
  selection goes front by front on the UCB). Exact hypervolumes limit ``ehvi`` to two or three
  objectives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from seqdesign.distance import pairwise
from seqdesign.errors import ConfigError, TrainingError
from seqdesign.multiobjective import front_order, hypervolume_improvement, non_dominated

MULTI_KINDS = ("ucb", "mean", "ts", "ehvi")
"""Acquisitions available with several objectives (``ei`` is single-objective)."""

EHVI_MAX_OBJECTIVES = 3
"""``ehvi`` computes hypervolumes exactly, which this library does for up to 3 objectives."""

EHVI_REF_MARGIN = 0.1
"""The EHVI reference point: this far below the measured minimum, in units of the measured range."""


def check_kind(kind: str, objectives: int) -> None:
    """Refuse an acquisition that cannot score ``objectives`` (>= 2) objectives.

    Raises:
        ConfigError: ``kind`` is single-objective, or ``ehvi`` with more than
            :data:`EHVI_MAX_OBJECTIVES` objectives.
    """
    if kind not in MULTI_KINDS:
        raise ConfigError(
            f"acquisition {kind!r} is for one objective; with several use one of "
            f"{', '.join(MULTI_KINDS)}"
        )
    if kind == "ehvi" and objectives > EHVI_MAX_OBJECTIVES:
        raise ConfigError(
            f"acquisition 'ehvi' scores up to {EHVI_MAX_OBJECTIVES} objectives (exact "
            f"hypervolumes), the data has {objectives}; use ucb, mean or ts"
        )


@dataclass
class MultiObjectiveAcquisition:
    """Normalizes member samples and scores candidates on several objectives.

    Attributes:
        kind: ``ucb``, ``mean``, ``ts`` or ``ehvi``.
        kappa: UCB's weight on the members' standard deviation.
        signs: (K,) +1 to maximize an objective, -1 to minimize it.
        lo: (K,) measured minimum of each signed objective (maps to 0).
        span: (K,) measured range of each signed objective (maps to 1).
        front: (F, K) the measured Pareto front, normalized.
        rng: draws the member of ``ts``.
        member_fronts: ``ehvi``: one front per member, of its predictions at the measured
            sequences (None: ``front`` for every member); see :meth:`with_noisy_front`.
    """

    kind: str
    kappa: float
    signs: np.ndarray
    lo: np.ndarray
    span: np.ndarray
    front: np.ndarray
    rng: np.random.Generator
    member_fronts: list[np.ndarray] | None = None

    @classmethod
    def from_labels(
        cls,
        kind: str,
        kappa: float,
        signs: np.ndarray,
        labels: np.ndarray,
        rng: np.random.Generator,
    ) -> MultiObjectiveAcquisition:
        """Scales and front from measured labels (N, K) in label units (NaN: not measured).

        Raises:
            ConfigError: see :func:`check_kind`.
        """
        check_kind(kind, len(signs))
        signed = labels * signs
        lo, hi = np.nanmin(signed, axis=0), np.nanmax(signed, axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        full = signed[~np.isnan(signed).any(axis=1)]
        z = (full - lo) / span
        front = z[non_dominated(z)] if len(z) else np.zeros((0, len(signs)))
        return cls(kind, kappa, signs, lo, span, front, rng)

    def with_noisy_front(self, measured: np.ndarray) -> MultiObjectiveAcquisition:
        """This acquisition with each member's front taken from its own predictions.

        Args:
            measured: (M, B, K) normalized member samples at the measured sequences (B >= 1).

        Raises:
            ConfigError: ``measured`` is not (M, B, K) with B >= 1 and K objectives.
            TrainingError: the predictions are not finite (the proxy diverged).
        """
        measured = np.asarray(measured, dtype=np.float64)
        k = len(self.signs)
        if measured.ndim != 3 or measured.shape[1] < 1 or measured.shape[2] != k:
            raise ConfigError(
                f"with_noisy_front: expected member samples of shape (M, B >= 1, {k}), got "
                f"{measured.shape}"
            )
        if not np.isfinite(measured).all():
            raise TrainingError(
                "the proxy predicted non-finite values at the measured sequences; check the "
                "labels' scale"
            )
        fronts = [member[non_dominated(member)] for member in measured]
        return replace(self, member_fronts=fronts)

    def normalize(self, samples: np.ndarray) -> np.ndarray:
        """(M, N, K) label units -> (M, N, K) signed and normalized."""
        return (samples * self.signs - self.lo) / self.span

    def per_objective(self, z: np.ndarray) -> np.ndarray:
        """(M, N, K) normalized samples -> (N, K) per-objective acquisition (``ehvi``: UCB)."""
        if self.kind == "mean":
            return z.mean(axis=0)
        if self.kind == "ts":
            m, n, _ = z.shape
            return z[self.rng.integers(0, m, size=n), np.arange(n)]
        return z.mean(axis=0) + self.kappa * z.std(axis=0, ddof=1)

    def ehvi(self, z: np.ndarray, fronts: list[np.ndarray] | None = None) -> np.ndarray:
        """(M, N, K) normalized samples -> (N,) mean over members of the hypervolume gain.

        Args:
            z: member samples.
            fronts: one front per member (default: :meth:`fronts`).

        Raises:
            ConfigError: ``z`` has another number of members than the fronts.
        """
        fronts = self.fronts(z.shape[0]) if fronts is None else fronts
        if len(fronts) != z.shape[0]:
            raise ConfigError(
                f"ehvi: {z.shape[0]} member sample(s) against {len(fronts)} member front(s)"
            )
        ref = np.full(z.shape[-1], -EHVI_REF_MARGIN)
        gains = [hypervolume_improvement(z[m], fronts[m], ref) for m in range(z.shape[0])]
        return np.mean(gains, axis=0)

    def fronts(self, members: int) -> list[np.ndarray]:
        """One front per member: its own (:meth:`with_noisy_front`), else the measured one.

        The arrays are shared, not copied (this runs on every reward call): callers build new
        fronts (``np.vstack``) and never write into these.
        """
        if self.member_fronts is not None:
            return list(self.member_fronts)
        return [self.front] * members

    def score(self, z: np.ndarray) -> np.ndarray:
        """(M, N, K) normalized samples -> (N,) one score per candidate, larger better."""
        if self.kind == "ehvi":
            return self.ehvi(z)
        return self.per_objective(z).mean(axis=1)

    def order(self, z: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
        """The order in which batch selection considers candidates: spread along the front.

        ``ehvi`` (two objectives): greedy sequential EHVI over the 3n best by EHVI, then the
        rest by EHVI. Otherwise: front by front on the per-objective acquisition, most isolated
        (crowding distance) first within a front, so no batch sits in one objective's corner.

        Args:
            z: (M, N, K) normalized samples of the candidates.
            scores: (N,) their scalar scores.
            n: the batch size.

        Returns:
            (N,) a permutation of the candidates.
        """
        if self.kind == "ehvi" and z.shape[-1] == 2:
            return self._greedy_ehvi(z, scores, n)
        return front_order(self.per_objective(z))

    def _greedy_ehvi(self, z: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
        by_score = np.argsort(-scores, kind="stable")
        head = by_score[: 3 * n]
        fronts = self.fronts(z.shape[0])
        left = list(head)
        picks: list[int] = []
        while left and len(picks) < 3 * n:
            gain = self.ehvi(z[:, left], fronts)
            if not gain.max() > 0:
                break
            best = left.pop(int(np.argmax(gain)))
            picks.append(best)
            fronts = [np.vstack([f, z[m, best][None]]) for m, f in enumerate(fronts)]
        chosen = set(picks)
        gaining = [i for i in by_score if i not in chosen and scores[i] > 0]
        flat = np.array([i for i in by_score if i not in chosen and not scores[i] > 0], dtype=int)
        if len(flat):  # no expected gain: spread along the front rather than by tie-break
            flat = flat[front_order(self.per_objective(z[:, flat]))]
        return np.array(picks + gaining + flat.tolist(), dtype=np.int64)


@dataclass(frozen=True)
class ParentAim:
    """Each edit design's score: how far along its parent's ray to the ideal point it gets (MOEA/D).

    The equal-weight sum of :meth:`MultiObjectiveAcquisition.score` is flat along the front, so
    an edit GFlowNet trained on it pushes every parent toward the sum's peak and none of the
    front's ends outward. Here, as in MOEA/D's Tchebycheff decomposition (Zhang & Li 2007), each
    parent p of the trust region owns the subproblem whose ray from its acquisition vector u_p
    runs to the ideal point z*:

        z* = max over parents of u + margin,   g_p = z* - u_p  (> 0)
        t_p(x) = 1 - max_k (z*_k - u_k(x)) / g_pk     (parent 0, z* 1)
        score(x) = mean_k (u_p + t_p(x) g_p)_k        p: the parent nearest to x

    t_p is the Tchebycheff distance to z* with weights 1 / g_p, relative to the parent's own: a
    design gets further only by gaining on every objective in proportion to its parent's gaps,
    so a parent at one end of the front is pushed mostly along the objective it leads in. The
    score is the equal-weight sum of the point of the ray that x reaches (x dominates it), so
    it is in the units of the sum, no larger than x's own sum, and equal to it at each parent
    (when u is deterministic: ``ucb`` or ``mean``; ``ts`` draws anew per call): the reward's
    spread over the data, which sets how peaked the GFlowNet is, stays that of the sum (a
    score of t_p alone puts every parent at one value and the data in a sliver below it, and
    the GFlowNet collapses onto a few designs). The nearest parent is by Hamming distance among
    the parents of x's length (edits substitute); when several are equally near, the best
    score counts, and a sequence of no parent's length is scored against every parent.

    Attributes:
        parents: the parents, in the trust region's order.
        ideal: (K,) z*.
        gaps: (P, K) g_p.
    """

    parents: tuple[str, ...]
    ideal: np.ndarray
    gaps: np.ndarray

    @classmethod
    def from_parents(
        cls, parents: tuple[str, ...] | list[str], u: np.ndarray, margin: float = 0.1
    ) -> ParentAim:
        """The aim of parents with (P, K) acquisition vectors ``u`` (normalized objectives, so
        ``margin`` is in units of the measured range).

        Raises:
            ConfigError: no parents, ``u`` not (P, K) or not finite, or ``margin`` not a
                finite number > 0.
        """
        u = _parent_vectors(parents, u, "ParentAim")
        if not (np.isfinite(margin) and margin > 0):
            raise ConfigError(f"ParentAim: margin must be a finite number > 0, got {margin}")
        ideal = u.max(axis=0) + margin
        return cls(tuple(parents), ideal, ideal - u)

    def __call__(self, sequences: list[str], u: np.ndarray) -> np.ndarray:
        """(N,) scores of sequences with (N, K) acquisition vectors ``u``, larger better.

        Raises:
            ConfigError: ``u`` is not (N, K).
        """
        u = _design_vectors(sequences, u, self.gaps.shape[1], "ParentAim")
        t = 1.0 - ((self.ideal - u)[:, None] / self.gaps[None]).max(axis=2)  # (N, P)
        g = self.gaps.mean(axis=1)
        score = (self.ideal.mean() - g)[None] + t * g[None]  # mean(u_p) + t g_p
        return _by_nearest_parent(score, sequences, self.parents)


LOSS_WEIGHT = 3.0
"""How many times a loss on one objective counts against a gain on another (:class:`ParentGain`)."""


@dataclass(frozen=True)
class ParentGain:
    """Each edit design's score: its gains over its nearest parent, a loss counting 3 times.

    The equal-weight sum rewards trading one objective for another, so an edit GFlowNet
    trained on it moves a parent at one end of the front toward the sum's peak and leaves the
    end where it was. :class:`ParentAim` forbids the trade but scores nothing until a design
    gains on every objective at once, a plateau where one edit moves one objective. Here, per
    objective k, a design's change over its parent p counts as is when it is a gain and
    ``loss_weight`` times when it is a loss:

        d_k = u_k(x) - u_pk,   score(x) = mean_k u_pk + mean_k (max(d_k, 0) + w min(d_k, 0))

    so a gain on one objective with no loss scores as under the sum, a trade scores below it,
    and the score is in the sum's units (equal to it at each parent and wherever nothing is
    lost, below it otherwise). The nearest parent is that of :class:`ParentAim`.

    Attributes:
        parents: the parents, in the trust region's order.
        u: (P, K) their acquisition vectors.
        loss_weight: w (>= 1; 1 is the sum itself).
    """

    parents: tuple[str, ...]
    u: np.ndarray
    loss_weight: float = LOSS_WEIGHT

    @classmethod
    def from_parents(
        cls, parents: tuple[str, ...] | list[str], u: np.ndarray, loss_weight: float = LOSS_WEIGHT
    ) -> ParentGain:
        """The gain over parents with (P, K) acquisition vectors ``u``.

        Raises:
            ConfigError: no parents, ``u`` not (P, K) or not finite, or ``loss_weight`` not a
                finite number >= 1.
        """
        u = _parent_vectors(parents, u, "ParentGain")
        if not (np.isfinite(loss_weight) and loss_weight >= 1):
            raise ConfigError(
                f"ParentGain: loss_weight must be a finite number >= 1, got {loss_weight}"
            )
        return cls(tuple(parents), u, float(loss_weight))

    def __call__(self, sequences: list[str], u: np.ndarray) -> np.ndarray:
        """(N,) scores of sequences with (N, K) acquisition vectors ``u``, larger better.

        Raises:
            ConfigError: ``u`` is not (N, K).
        """
        u = _design_vectors(sequences, u, self.u.shape[1], "ParentGain")
        d = u[:, None] - self.u[None]  # (N, P, K)
        change = np.maximum(d, 0.0) + self.loss_weight * np.minimum(d, 0.0)
        score = self.u.mean(axis=1)[None] + change.mean(axis=2)
        return _by_nearest_parent(score, sequences, self.parents)


def _parent_vectors(parents: tuple[str, ...] | list[str], u: np.ndarray, who: str) -> np.ndarray:
    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 2 or u.shape[0] != len(parents) or not len(parents):
        raise ConfigError(
            f"{who}: expected one acquisition vector per parent, got shape {u.shape} "
            f"for {len(parents)} parent(s)"
        )
    if not np.isfinite(u).all():
        raise ConfigError(f"{who}: the parents' acquisition vectors must be finite")
    return u


def _design_vectors(sequences: list[str], u: np.ndarray, k: int, who: str) -> np.ndarray:
    u = np.asarray(u, dtype=np.float64)
    if u.shape != (len(sequences), k):
        raise ConfigError(
            f"{who}: expected acquisition vectors of shape ({len(sequences)}, {k}), got {u.shape}"
        )
    return u


def _by_nearest_parent(
    score: np.ndarray, sequences: list[str], parents: tuple[str, ...]
) -> np.ndarray:
    """(N,) each sequence's score (N, P) against its nearest parent by Hamming distance among
    the parents of its length (the best when several are equally near; every parent when
    none has its length)."""
    near = np.ones(score.shape, dtype=bool)
    by_length: dict[int, list[int]] = {}
    for j, p in enumerate(parents):
        by_length.setdefault(len(p), []).append(j)
    rows_of: dict[int, list[int]] = {}
    for i, q in enumerate(sequences):
        rows_of.setdefault(len(q), []).append(i)
    for length, rows in rows_of.items():
        cols = by_length.get(length)
        if cols is None:
            continue  # no parent of this length: every parent counts
        ham = pairwise([sequences[i] for i in rows], [parents[j] for j in cols])
        mask = np.zeros((len(rows), len(parents)), dtype=bool)
        mask[:, cols] = ham == ham.min(axis=1, keepdims=True)
        near[rows] = mask
    return np.where(near, score, -np.inf).max(axis=1, initial=-np.inf)
