"""Model-guided evolution in the style of AdaLead (Sinai et al. 2020, arXiv:2010.02141).

Seeds are the measured sequences whose reward is within ``threshold`` (a fraction of the reward
range) of the best. Walkers start from seeds (recombined pairwise with ``recombination_rate``),
mutate (rate 1/L per site by default), and keep walking while the reward does not drop; a walker
whose child is worse restarts from a seed. Every child is scored by the reward (the proxy's
acquisition) and kept; ``sample`` returns the best children found.

Constraints (``space.constraints``): mutations only pick letters allowed at their position (a
fixed position never mutates); children that break a whole-sequence rule (motif, G+C, run, edits,
or a fixed letter shifted by an indel) are not scored, count against the query budget, and send
their walker back to a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqdesign.dataset import Dataset
from seqdesign.encoding import decode_tokens, encode_tokens
from seqdesign.errors import ConfigError, NotFittedError, SpaceTooSmallError
from seqdesign.generators.base import RewardFn, measured_in
from seqdesign.space import SequenceSpace

BUDGETS = {"fast": 4_000, "default": 15_000, "thorough": 50_000}


@dataclass(frozen=True)
class EvolutionSettings:
    """Settings of the AdaLead-style evolution (``[evolution]`` in TOML).

    Attributes:
        queries: reward evaluations per round (the model-query budget).
        walkers: sequences mutated in parallel per generation.
        threshold: seeds are within this fraction of the reward range of the best.
        min_seeds: at least this many of the best measured sequences are seeds.
        mutation_rate: per-site mutation probability; 0 means 1/L.
        recombination_rate: probability of switching parent at each site in recombination.
        indel_rate: probability that a mutation step also inserts or deletes a letter
            (variable-length spaces only).
    """

    queries: int = BUDGETS["default"]
    walkers: int = 256
    threshold: float = 0.05
    min_seeds: int = 10
    mutation_rate: float = 0.0
    recombination_rate: float = 0.2
    indel_rate: float = 0.1

    @classmethod
    def for_budget(cls, budget: str) -> EvolutionSettings:
        return cls(queries=BUDGETS[budget])

    def validate(self) -> None:
        if self.queries < 1 or self.walkers < 1 or self.min_seeds < 1:
            raise ConfigError("evolution.queries, walkers and min_seeds must be >= 1")
        for name in ("threshold", "mutation_rate", "recombination_rate", "indel_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"evolution.{name} must be in [0, 1], got {getattr(self, name)}")


class EvolutionGenerator:
    """AdaLead-style model-guided evolution behind the Generator interface."""

    def __init__(self, settings: EvolutionSettings | None = None) -> None:
        self.settings = settings or EvolutionSettings()

    def fit(
        self, reward: RewardFn, dataset: Dataset, space: SequenceSpace, rng: np.random.Generator
    ) -> EvolutionGenerator:
        s = self.settings
        s.validate()
        self.space_ = space
        a, lmax = len(space.alphabet), space.max_len
        start = measured_in(dataset, space)
        if not start:
            start = space.random(s.walkers, rng)
        if not start:
            raise SpaceTooSmallError(
                "evolution found no starting sequence that meets the constraints "
                f"({space.constraints.describe()})"
            )
        start_r = np.asarray(reward(start), dtype=np.float64)
        lo, hi = float(start_r.min()), float(start_r.max())
        order = np.argsort(-start_r, kind="stable")
        n_seed = max(
            int((start_r >= hi - s.threshold * (hi - lo)).sum()), min(s.min_seeds, len(start))
        )
        seeds = encode_tokens([start[i] for i in order[:n_seed]], space.alphabet, lmax)  # (S, L)
        seed_r = start_r[order[:n_seed]]
        seed_len = (seeds < a).sum(axis=1)
        pool: dict[str, float] = {}
        seen = set(start)

        w_tok, w_len, w_r = self._restart(seeds, seed_len, seed_r, s.walkers, rng)
        used = 0
        while used < s.queries:
            c_tok, c_len = self._mutate(w_tok, w_len, rng)
            children = decode_tokens(c_tok, space.alphabet)
            c_r = self._score(reward, children)
            used += len(children)
            for q, r in zip(children, c_r):
                if q not in seen and r > -np.inf:
                    pool[q] = float(r)
            # keep walking where the reward did not drop, restart elsewhere
            keep = c_r >= w_r
            w_tok, w_len, w_r = c_tok, c_len, c_r
            r_tok, r_len, r_r = self._restart(seeds, seed_len, seed_r, int((~keep).sum()), rng)
            w_tok[~keep], w_len[~keep], w_r[~keep] = r_tok, r_len, r_r
        self.pool_ = pool
        return self

    def _score(self, reward: RewardFn, children: list[str]) -> np.ndarray:
        """(N,) rewards; ``-inf`` for children outside the space's constraints (not scored)."""
        space = self.space_
        if not space.constrained:
            return np.asarray(reward(children), dtype=np.float64)
        ok = space.check(children)
        out = np.full(len(children), -np.inf)
        if ok.any():
            out[ok] = np.asarray(reward([q for q, k in zip(children, ok) if k]), dtype=np.float64)
        return out

    def _restart(
        self,
        seeds: np.ndarray,
        seed_len: np.ndarray,
        seed_r: np.ndarray,
        k: int,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """k walkers from seeds, each recombined with a second seed. Returns tokens, lengths, reward."""
        i = rng.integers(0, len(seeds), size=k)
        j = rng.integers(0, len(seeds), size=k)
        tok, length = seeds[i].copy(), seed_len[i].copy()
        if self.settings.recombination_rate > 0 and k:
            # uniform-switch crossover: the parent changes at each site with recombination_rate
            switch = rng.random(tok.shape) < self.settings.recombination_rate
            from_j = np.cumsum(switch, axis=1) % 2 == 1
            overlap = np.arange(tok.shape[1])[None, :] < np.minimum(length, seed_len[j])[:, None]
            tok = np.where(from_j & overlap, seeds[j], tok)
        return tok, length, np.maximum(seed_r[i], seed_r[j]) if k else seed_r[i]

    def _mutate(
        self, tok: np.ndarray, length: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Point mutations (at least one per sequence), and indels in a variable-length space."""
        space, s = self.space_, self.settings
        a, (n, lmax) = len(space.alphabet), tok.shape
        tok, length = tok.copy(), length.copy()
        if not space.fixed_length and s.indel_rate > 0:
            tok, length = self._indel(tok, length, rng)
        pos = np.arange(lmax)[None, :]
        inside = pos < length[:, None]
        rate = s.mutation_rate or 1.0 / np.maximum(length, 1)[:, None]
        mask = space.rules.letter_mask  # (L, A) letters allowed per position
        if mask.all():
            hit = (rng.random((n, lmax)) < rate) & inside
            forced = rng.integers(0, np.maximum(length, 1))  # one guaranteed mutation per child
            hit[np.arange(n), forced] = True
            shift = rng.integers(1, a, size=(n, lmax))  # a different letter
            tok = np.where(hit, (tok + shift) % a, tok)
            return np.where(inside, tok, a), length
        mutable = inside & (mask.sum(1) > 1)[None, :]  # (n, L) positions with a choice
        hit = (rng.random((n, lmax)) < rate) & mutable
        # one guaranteed mutation per child, at a random mutable position
        score = np.where(mutable, rng.random((n, lmax)), -1.0)
        forced = score.argmax(1)
        hit[np.arange(n), forced] |= mutable[np.arange(n), forced]
        # a uniform choice among the position's other allowed letters
        u = rng.random((n, lmax, a))
        other = mask[None] & (np.arange(a)[None, None, :] != tok[..., None])
        new = np.where(other, u, -1.0).argmax(-1)
        tok = np.where(hit, new, tok)
        return np.where(inside, tok, a), length

    def _indel(
        self, tok: np.ndarray, length: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        space, s = self.space_, self.settings
        a, lmax = len(space.alphabet), tok.shape[1]
        for k in np.flatnonzero(rng.random(len(tok)) < s.indel_rate):
            row, n = tok[k, : length[k]].tolist(), int(length[k])
            if (rng.random() < 0.5 and n < space.max_len) or n <= space.min_len:
                row.insert(int(rng.integers(0, n + 1)), int(rng.integers(0, a)))
            else:
                del row[int(rng.integers(0, n))]
            row = row[: space.max_len]
            tok[k] = row + [a] * (lmax - len(row))
            length[k] = len(row)
        return tok, length

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """The ``n`` best children found (by reward), best first."""
        del rng
        if not hasattr(self, "pool_"):
            raise NotFittedError("EvolutionGenerator.sample called before fit")
        return sorted(self.pool_, key=lambda q: (-self.pool_[q], q))[:n]
