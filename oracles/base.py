"""The Oracle interface: a ground truth that plays the lab.

An oracle scores sequences of its :class:`~seqdesign.space.SequenceSpace` on one or more
objectives, all of them maximized. Calling it validates the sequences, counts the cost (one unit
per sequence scored) and then asks the subclass's ``_evaluate`` for the scores. The design loop
never imports oracles; ``oracle``, ``simulate`` and ``benchmark`` plug one in where a person would
otherwise measure.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from seqdesign.errors import ConfigError, InputError, SeqDesignError, SpaceTooSmallError
from seqdesign.space import SequenceSpace

#: Spaces with at most this many sequences may be enumerated (``landscape``, ``top_k_mean``).
ENUMERABLE_LIMIT = 2**20


class Oracle(ABC):
    """A ground-truth scorer of sequences (abstract).

    Subclasses call ``super().__init__`` and implement :meth:`_evaluate`; they may override
    :meth:`sample_start` and :meth:`landscape` where they know better (a lookup table, a held-out
    data split).

    Attributes:
        name: registry name, e.g. ``tfbind8-SIX6_REF_R1``.
        space: the sequences the oracle accepts.
        objectives: the names of the K objectives (columns of the scores), all maximized.
        description: one line for humans.
        source: where the ground truth comes from (paper, data set, license).
        calls: the number of sequences scored so far (the cost).
    """

    def __init__(
        self,
        name: str,
        space: SequenceSpace,
        objectives: Sequence[str],
        description: str = "",
        source: str = "",
    ) -> None:
        if not objectives:
            raise ConfigError(f"oracle {name!r}: expected at least one objective, got none")
        self.name = name
        self.space = space
        self.objectives: tuple[str, ...] = tuple(objectives)
        self.description = description
        self.source = source
        self.calls = 0
        self._landscape: tuple[list[str], np.ndarray] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, calls={self.calls})"

    @property
    def n_objectives(self) -> int:
        """K, the number of objectives."""
        return len(self.objectives)

    def __call__(self, seqs: Sequence[str]) -> np.ndarray:
        """Scores of ``seqs``, after validating them and counting their cost.

        Args:
            seqs: N sequences of ``space`` (upper-case letters of its alphabet).

        Returns:
            float64 array of shape (N, K), one column per objective.

        Raises:
            InputError: a sequence is not a str, has a letter outside the alphabet or a length
                outside the range; the message names the first bad sequence's index (0-based).
        """
        if isinstance(seqs, (str, bytes)):
            raise InputError(
                f"oracle {self.name}: expected a list of sequences, got a single "
                f"{type(seqs).__name__} ({str(seqs)[:20]!r})"
            )
        seqs = list(seqs)
        self.validate(seqs)
        self.calls += len(seqs)
        if not seqs:
            return np.empty((0, self.n_objectives), dtype=np.float64)
        scores = np.asarray(self._evaluate(seqs), dtype=np.float64)
        expected = (len(seqs), self.n_objectives)
        if scores.shape != expected:
            raise SeqDesignError(
                f"oracle {self.name}: _evaluate returned shape {scores.shape}, expected {expected}"
            )
        return scores

    def validate(self, seqs: Sequence[str]) -> None:
        """Raise :class:`InputError` naming the first sequence that is not in ``space``.

        Args:
            seqs: the sequences to check.
        """
        space = self.space
        for i, seq in enumerate(seqs):
            if isinstance(seq, str) and space.contains(seq):
                continue
            raise InputError(f"oracle {self.name}: sequence at index {i}: {self._why_not(seq)}")

    def _why_not(self, seq: object) -> str:
        """What is wrong with ``seq``: expected ... , found ... ."""
        space = self.space
        letters = space.alphabet.letters
        if space.fixed_length:
            length = f"length {space.min_len}"
        else:
            length = f"length {space.min_len}-{space.max_len}"
        expected = f"expected a {space.alphabet.name} sequence ({letters}) of {length}"
        if not isinstance(seq, str):
            return f"{expected}, found an object of type {type(seq).__name__}"
        shown = seq if len(seq) <= 30 else seq[:27] + "..."
        bad = space.alphabet.invalid_letters(seq)
        if bad:
            return f"{expected}, found letter(s) {', '.join(map(repr, bad))} in {shown!r}"
        return f"{expected}, found length {len(seq)} ({shown!r})"

    @abstractmethod
    def _evaluate(self, seqs: list[str]) -> np.ndarray:
        """Scores of valid sequences, shape (N, K); called by ``__call__`` after validation."""

    def sample_start(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` distinct starting sequences, uniform over the space (the default).

        Args:
            n: how many sequences.
            rng: the random generator to draw from.

        Returns:
            ``n`` distinct sequences of ``space``, in the order drawn.

        Raises:
            ConfigError: ``n`` is negative.
            SpaceTooSmallError: the space holds fewer than ``n`` sequences.
        """
        _check_n(n)
        size = self.space.size()
        if n > size:
            raise SpaceTooSmallError(
                f"oracle {self.name}: asked for {n} distinct start sequences, "
                f"the space holds {size}"
            )
        chosen: dict[str, None] = {}  # insertion-ordered set: deterministic order
        while len(chosen) < n:
            for s in self.space.random(max(2 * (n - len(chosen)), 16), rng):
                chosen.setdefault(s)
                if len(chosen) == n:
                    break
        return list(chosen)

    def landscape(self) -> tuple[list[str], np.ndarray] | None:
        """Every sequence of the space and its scores, without counting any cost.

        The default enumerates the space (shortest first, then in alphabet order) and calls
        ``_evaluate`` on it once; the result is cached. Subclasses with a lookup table override
        it.

        Returns:
            ``(sequences, scores)`` with scores of shape (size, K), or None when the space holds
            more than ``ENUMERABLE_LIMIT`` sequences.
        """
        if self.space.size() > ENUMERABLE_LIMIT:
            return None
        if self._landscape is None:
            letters = self.space.alphabet.letters
            seqs = [
                "".join(t)
                for length in range(self.space.min_len, self.space.max_len + 1)
                for t in itertools.product(letters, repeat=length)
            ]
            scores = np.asarray(self._evaluate(seqs), dtype=np.float64)
            scores.setflags(write=False)
            self._landscape = (seqs, scores)
        return self._landscape

    def reachable(self, space: SequenceSpace | None = None) -> tuple[list[str], np.ndarray] | None:
        """:meth:`landscape`, less the sequences that ``space`` does not hold.

        A campaign run under constraints can reach only what they allow, so its best and its
        front are measured against theirs. None (or an unconstrained ``space``): the whole
        landscape.
        """
        land = self.landscape()
        if land is None or space is None or not space.constrained:
            return land
        seqs, scores = land
        keep = np.flatnonzero(space.check(seqs))
        return [seqs[i] for i in keep], scores[keep]

    def top_k_mean(self, k: int, space: SequenceSpace | None = None) -> float | None:
        """Mean of the ``k`` best scores of the whole space on objective 0.

        The denominator of "ratio to limit" in benchmarks. Costs nothing (no ``calls``).

        Args:
            k: how many of the best sequences to average (1 <= k <= space size).
            space: count only the sequences it holds (see :meth:`reachable`).

        Returns:
            The mean, or None when the space is too large to enumerate (or ``space`` allows
            fewer than ``k`` sequences).

        Raises:
            ConfigError: ``k`` is not in 1..size of the space.
        """
        if k < 1:
            raise ConfigError(f"top_k_mean: expected k >= 1, got {k}")
        land = self.reachable(space)
        if land is None:
            return None
        scores = land[1][:, 0]
        if k > scores.size:
            if space is not None and space.constrained:
                return None  # the constraints allow fewer than k: no k best to compare with
            raise ConfigError(f"top_k_mean: expected k <= {scores.size} (the space), got {k}")
        return float(np.partition(scores, scores.size - k)[scores.size - k :].mean())

    def reference_point(self) -> np.ndarray | None:
        """The hypervolume reference point (K,) for reports of several objectives.

        None (the default) means "not defined": simulate then measures above the starting
        data's per-objective minimum. Oracles with a natural trade-off region override it.
        """
        return None

    def true_front(self, space: SequenceSpace | None = None) -> tuple[list[str], np.ndarray] | None:
        """The sequences on the Pareto front of the whole space and their scores (no cost).

        ``space``: the front of only the sequences it holds (see :meth:`reachable`).

        Returns:
            ``(sequences, scores)`` with scores of shape (F, K), or None when the space is too
            large to enumerate.
        """
        from seqdesign.multiobjective import non_dominated

        land = self.reachable(space)
        if land is None:
            return None
        seqs, scores = land
        keep = np.flatnonzero(non_dominated(scores))
        return [seqs[i] for i in keep], scores[keep]

    def true_hypervolume(self, ref: np.ndarray, space: SequenceSpace | None = None) -> float | None:
        """Hypervolume of the whole space's Pareto front above ``ref`` (None: not enumerable).

        Exact for up to three objectives, else a seeded Monte-Carlo estimate. ``space``: of the
        front of only the sequences it holds (see :meth:`reachable`).
        """
        from seqdesign.multiobjective import hypervolume

        front = self.true_front(space)
        if front is None:
            return None
        return hypervolume(front[1], ref, rng=np.random.default_rng(0))


def _check_n(n: int) -> None:
    """Raise ConfigError unless ``n`` is a non-negative int."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ConfigError(f"expected a number of sequences >= 0, got {n!r}")
