"""Ehrlich functions: closed-form test functions with motifs, epistasis and infeasible regions.

Stanton et al. 2024, "Closed-Form Test Functions for Biophysical Sequence Design"
(https://arxiv.org/abs/2407.00236); our own numpy implementation of the definition, with the
construction choices of the reference code (pytorch-holo) where the paper leaves them open:

- **Feasibility.** A random transition matrix ``P`` over the ``v`` states (softmax of Gaussian
  logits at temperature 0.5) is masked by a banded matrix of bandwidth ``int(0.4 v)`` (each row
  keeps ``2 * bandwidth + 1`` states, wrapping around), whose rows are shuffled; the diagonal is
  always kept (a state may repeat). The zero entries are the infeasible transitions. Draws are
  repeated until ``P`` is ergodic (every state reaches every other). A sequence is feasible iff
  none of its neighbouring pairs ``(x_l, x_{l+1})`` is infeasible.
- **Motifs.** ``c`` motifs of length ``k`` are one chain of ``c * k`` states sampled from the
  Markov chain ``P`` (from its stationary distribution) cut into ``c`` pieces, so each motif, and
  each motif followed by the next, is feasible.
- **Spacings.** Motif ``i`` puts its element ``j`` at offset ``s_ij`` from where it starts:
  ``s_i0 = 0`` and the ``k - 1`` gaps are ``1 + floor(w * ((L - c k) // c))`` for ``w`` uniform on
  the simplex, so every spaced motif spans at most ``L // c`` positions and all ``c`` fit side by
  side.
- **Objective.** ``h_q(x, a, s) = max_l floor(q * matches_l / k) / q`` where ``matches_l`` counts
  the ``j`` with ``x[l + s_j] == a_j``; ``f(x) = prod_i h_q(x, a_i, s_i)`` when ``x`` is
  feasible, else 0. ``f`` lies in [0, 1] and :meth:`EhrlichOracle.optimum` reaches 1.
"""

from __future__ import annotations

import numpy as np

from seqdesign.alphabet import PROTEIN, Alphabet
from seqdesign.errors import ConfigError, SpaceTooSmallError
from seqdesign.oracles.base import Oracle, _check_n
from seqdesign.space import SequenceSpace

SOURCE = "Ehrlich function (Stanton et al. 2024, arXiv:2407.00236), closed form"
_SOFTMAX_TEMP = 0.5
_BAND_FRACTION = 0.4


def _is_ergodic(feasible: np.ndarray) -> bool:
    """True when every state reaches every other state through feasible transitions, (v, v)."""
    v = feasible.shape[0]
    reach = feasible.copy()
    for _ in range(v):  # transitive closure by repeated squaring-like expansion
        nxt = reach | ((reach.astype(np.int64) @ reach.astype(np.int64)) > 0)
        if np.array_equal(nxt, reach):
            break
        reach = nxt
    return bool(reach.all())


def sample_transition_matrix(states: int, rng: np.random.Generator) -> np.ndarray:
    """A random ergodic transition matrix with banded infeasible entries (see module doc).

    Args:
        states: ``v``, the number of states (>= 2).
        rng: the generator to draw from.

    Returns:
        float64 array of shape (v, v); rows sum to 1; zeros are infeasible transitions; the
        diagonal is positive.
    """
    bandwidth = int(states * _BAND_FRACTION)
    offsets = (np.arange(states)[None, :] - np.arange(states)[:, None]) % states  # (v, v)
    band = (offsets <= bandwidth) | (offsets >= states - bandwidth)  # wraps around
    while True:
        logits = rng.standard_normal((states, states)) / _SOFTMAX_TEMP
        dense = np.exp(logits - logits.max(axis=1, keepdims=True))
        mask = band[rng.permutation(states)] | np.eye(states, dtype=bool)
        if _is_ergodic(mask):
            matrix = np.where(mask, dense, 0.0)
            return matrix / matrix.sum(axis=1, keepdims=True)


def stationary_distribution(matrix: np.ndarray) -> np.ndarray:
    """The stationary distribution ``pi = pi P`` of an ergodic chain, shape (v,)."""
    v = matrix.shape[0]
    system = np.vstack([matrix.T - np.eye(v), np.ones((1, v))])  # (v + 1, v)
    rhs = np.zeros(v + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(system, rhs, rcond=None)[0]
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def sample_chain(
    matrix: np.ndarray, initial: np.ndarray, n: int, length: int, rng: np.random.Generator
) -> np.ndarray:
    """``n`` paths of a Markov chain, vectorized over paths.

    Args:
        matrix: transition matrix, shape (v, v).
        initial: distribution of the first state, shape (v,).
        n: the number of paths.
        length: the number of states per path.
        rng: the generator to draw from.

    Returns:
        int64 array of shape (n, length).
    """
    cum = np.cumsum(matrix, axis=1)  # (v, v)
    cum[:, -1] = 1.0
    out = np.empty((n, length), dtype=np.int64)
    out[:, 0] = rng.choice(initial.size, size=n, p=initial)
    u = rng.random((n, length))  # (n, L)
    for t in range(1, length):
        rows = cum[out[:, t - 1]]  # (n, v)
        out[:, t] = (rows < u[:, t, None]).sum(axis=1)
    return out


class EhrlichOracle(Oracle):
    """An Ehrlich function ``f: V^L -> [0, 1]`` (maximized; see the module docstring).

    Args:
        states: ``v``, the alphabet size (2..20); the letters are the first ``v`` of
            ``PROTEIN.letters`` (all 20: the protein alphabet).
        length: ``L``, the sequence length.
        motifs: ``c``, the number of motifs.
        motif_length: ``k``, the length of each motif.
        quantization: ``q`` (1..k), the number of levels of partial credit per motif.
        seed: the seed of everything random (matrix, motifs, spacings).
        name: registry name; default spells out the parameters.

    Attributes:
        transition_matrix: (v, v) float64, zeros are infeasible transitions.
        feasible: (v, v) bool, the allowed neighbouring pairs.
        motifs: (c, k) int64 states of each motif.
        offsets: (c, k) int64 offsets of each motif's elements (first column 0).
        max_score: 1.0, reached by :meth:`optimum`.

    Raises:
        ConfigError: a parameter is out of range, or ``c * k > L``.
    """

    max_score = 1.0

    def __init__(
        self,
        states: int = 20,
        length: int = 32,
        motifs: int = 4,
        motif_length: int = 4,
        quantization: int = 4,
        seed: int = 0,
        name: str | None = None,
    ) -> None:
        if not 2 <= states <= len(PROTEIN):
            raise ConfigError(f"Ehrlich: expected 2 <= states <= 20, got {states}")
        if motifs < 1 or motif_length < 2:
            raise ConfigError(
                f"Ehrlich: expected motifs >= 1 and motif_length >= 2, got {motifs}, {motif_length}"
            )
        if motifs * motif_length > length:
            raise ConfigError(
                f"Ehrlich: {motifs} motifs of length {motif_length} do not fit in length {length}"
            )
        if not 1 <= quantization <= motif_length:
            raise ConfigError(
                f"Ehrlich: expected 1 <= quantization <= motif_length ({motif_length}), "
                f"got {quantization}"
            )
        alphabet = (
            PROTEIN
            if states == len(PROTEIN)
            else Alphabet(f"ehrlich{states}", PROTEIN.letters[:states])
        )
        super().__init__(
            name=name
            or f"ehrlich-v{states}-L{length}-c{motifs}-k{motif_length}-q{quantization}-s{seed}",
            space=SequenceSpace(alphabet, length, length),
            objectives=("ehrlich",),
            description=f"Ehrlich function: {motifs} spaced motifs of {motif_length} in "
            f"{length} positions, {states} states, quantization {quantization}",
            source=SOURCE,
        )
        self.states, self.length, self.quantization, self.seed = states, length, quantization, seed
        rng = np.random.default_rng(seed)
        self.transition_matrix = sample_transition_matrix(states, rng)  # (v, v)
        self.feasible = self.transition_matrix > 0  # (v, v)
        self._stationary = stationary_distribution(self.transition_matrix)  # (v,)
        chain = sample_chain(
            self.transition_matrix, self._stationary, 1, motifs * motif_length, rng
        )
        self.motifs = chain.reshape(motifs, motif_length)  # (c, k)
        slack = (length - motifs * motif_length) // motifs
        weights = rng.random((motifs, motif_length - 1))  # (c, k-1)
        gaps = 1 + np.floor(slack * weights / weights.sum(axis=1, keepdims=True)).astype(np.int64)
        self.offsets = np.concatenate(
            [np.zeros((motifs, 1), dtype=np.int64), np.cumsum(gaps, axis=1)], axis=1
        )  # (c, k)
        self._letters = np.frombuffer(alphabet.letters.encode("ascii"), dtype=np.uint8)  # (v,)
        self._token_of_byte = np.full(256, 255, dtype=np.uint8)
        self._token_of_byte[self._letters] = np.arange(states, dtype=np.uint8)

    # -- conversions -----------------------------------------------------------------------------
    def encode(self, seqs: list[str]) -> np.ndarray:
        """Tokens of valid sequences, int64 of shape (N, L)."""
        buf = np.frombuffer("".join(seqs).encode("ascii"), dtype=np.uint8)
        return self._token_of_byte[buf.reshape(len(seqs), self.length)].astype(np.int64)

    def decode(self, tokens: np.ndarray) -> list[str]:
        """Sequences of tokens of shape (N, L)."""
        raw = np.ascontiguousarray(self._letters[np.asarray(tokens, dtype=np.int64)])  # (N, L)
        return raw.view(f"S{self.length}").ravel().astype(f"U{self.length}").tolist()

    # -- the function ----------------------------------------------------------------------------
    def is_feasible(self, tokens: np.ndarray) -> np.ndarray:
        """Whether every neighbouring pair is a feasible transition, bool of shape (N,)."""
        return self.feasible[tokens[:, :-1], tokens[:, 1:]].all(axis=1)

    def motif_presence(self, tokens: np.ndarray) -> np.ndarray:
        """``h_q`` of each motif in each sequence, float64 of shape (N, c), values in {0, 1/q, .., 1}."""
        k = self.motifs.shape[1]
        out = np.empty((tokens.shape[0], self.motifs.shape[0]))
        for i, (motif, offsets) in enumerate(zip(self.motifs, self.offsets)):
            starts = np.arange(self.length - offsets[-1])  # (P,)
            windows = tokens[:, starts[:, None] + offsets[None, :]]  # (N, P, k)
            matches = (windows == motif).sum(axis=2).max(axis=1)  # (N,)
            out[:, i] = (self.quantization * matches // k) / self.quantization
        return out

    def score_tokens(self, tokens: np.ndarray) -> np.ndarray:
        """``f`` of token sequences of shape (N, L), float64 of shape (N,)."""
        return np.where(self.is_feasible(tokens), self.motif_presence(tokens).prod(axis=1), 0.0)

    def _evaluate(self, seqs: list[str]) -> np.ndarray:
        return self.score_tokens(self.encode(seqs))[:, None]

    def optimum(self) -> str:
        """A sequence scoring 1.0: the spaced motifs side by side, gaps filled by repeats.

        Each motif element is repeated until the next one is due, and the last state of the last
        motif fills the tail; every transition is then a repeat, a step inside the sampled motif
        chain, or the step from one motif to the next in that chain, so all are feasible.
        """
        parts: list[np.ndarray] = []
        for motif, offsets in zip(self.motifs, self.offsets):
            run_lengths = np.diff(np.append(offsets, offsets[-1] + 1))  # (k,)
            parts.append(np.repeat(motif, run_lengths))
        body = np.concatenate(parts)
        tail = np.full(self.length - body.size, body[-1], dtype=np.int64)
        return self.decode(np.concatenate([body, tail])[None, :])[0]

    def top_k_mean(self, k: int, space: SequenceSpace | None = None) -> float | None:
        """Mean of the ``k`` best scores: exact where enumerable, else 1.0 once shown to be.

        The space is usually far too large to enumerate, but the maximum (1.0) is known, so the
        K best average 1.0 as soon as K distinct optima exist; :meth:`optima` finds them (never
        assumes them). None when fewer turned up (with a constrained ``space``: fewer that it
        holds).

        Raises:
            ConfigError: ``k < 1``.
        """
        if self.landscape() is not None:
            return super().top_k_mean(k, space)
        if k < 1:
            raise ConfigError(f"top_k_mean: expected k >= 1, got {k}")
        optima = self.optima(k)
        if space is not None and space.constrained:
            optima = [q for q, ok in zip(optima, space.check(optima)) if ok]
        return self.max_score if len(optima) >= k else None

    def optima(self, k: int, max_waves: int = 8, wave_size: int = 2000) -> list[str]:
        """Up to ``k`` distinct sequences that score 1.0, each checked by the function itself.

        A breadth-first walk over single substitutions from :meth:`optimum`: every mutant that
        scores 1.0 joins, and the next wave mutates the newcomers (at most ``wave_size`` of them,
        ``max_waves`` waves). Deterministic.
        """
        wave = self.encode([self.optimum()])  # (1, L)
        found = {wave[0].tobytes(): wave[0]}
        pos = np.arange(self.length)
        for _ in range(max_waves):
            if len(found) >= k or not len(wave):
                break
            mutants = np.repeat(wave[:, None, None, :], self.length, axis=1)  # (n, L, 1, L)
            mutants = np.repeat(mutants, self.states, axis=2)  # (n, L, v, L)
            mutants[:, pos, :, pos] = np.arange(self.states)[None, None, :]  # (L, n, v) view
            flat = mutants.reshape(-1, self.length)
            fresh: dict[bytes, np.ndarray] = {}
            for row in flat[self.score_tokens(flat) >= self.max_score]:
                key = row.tobytes()
                if key not in found and key not in fresh:
                    fresh[key] = row
            found.update(fresh)
            wave = np.array(list(fresh.values())[:wave_size], dtype=np.int64)
            wave = wave.reshape(-1, self.length)
        return self.decode(np.stack(list(found.values()))[:k])

    def sample_start(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` distinct feasible sequences: paths of the Markov chain from its stationary law.

        Args:
            n: how many sequences.
            rng: the random generator to draw from.

        Returns:
            ``n`` distinct feasible sequences, in the order drawn.

        Raises:
            ConfigError: ``n`` is negative.
            SpaceTooSmallError: fewer than ``n`` distinct paths turned up in many draws.
        """
        _check_n(n)
        chosen: dict[str, None] = {}  # insertion-ordered set: deterministic order
        for _ in range(100):
            if len(chosen) >= n:
                break
            paths = sample_chain(
                self.transition_matrix,
                self._stationary,
                2 * (n - len(chosen)) + 16,
                self.length,
                rng,
            )
            for s in self.decode(paths):
                chosen.setdefault(s)
                if len(chosen) == n:
                    break
        if len(chosen) < n:
            raise SpaceTooSmallError(
                f"oracle {self.name}: asked for {n} distinct feasible start sequences, "
                f"found {len(chosen)}"
            )
        return list(chosen)
