"""NSGA-II-style evolution for several objectives (Deb et al. 2002), model-guided.

A baseline for MOGFN: the population is scored on the round's *vector* reward (the proxy's
per-objective acquisition, the same values MOGFN trains on), not on measured data, so the two
spend the same kind of queries. Each generation: binary tournaments on (Pareto rank, crowding
distance) pick parents, uniform crossover mixes two parents site by site, point mutations hit each
site with probability 1/L (at least one per child); parents and children together are cut back to
the population size by non-dominated sorting and crowding distance. Every child is kept;
``sample`` returns the best front-by-front.
"""

from __future__ import annotations

import numpy as np

from seqdesign.dataset import Dataset
from seqdesign.encoding import decode_tokens, encode_tokens
from seqdesign.errors import NotFittedError
from seqdesign.generators.base import measured_in
from seqdesign.generators.evolution import EvolutionSettings
from seqdesign.generators.mogfn import VectorRewardFn
from seqdesign.multiobjective import crowding_distance, front_order, pareto_ranks
from seqdesign.space import SequenceSpace

CROSSOVER = 0.9
"""Probability that a child is a uniform crossover of its two parents (NSGA-II's usual 0.9)."""


class NSGA2Generator:
    """NSGA-II on the vector reward (fixed-length spaces mutate in place; variable-length ones
    keep each parent's length).

    Args:
        settings: ``queries`` (reward evaluations), ``walkers`` (population size),
            and ``mutation_rate`` (0: 1/L) of the evolution settings.
    """

    def __init__(self, settings: EvolutionSettings | None = None) -> None:
        self.settings = settings or EvolutionSettings()

    def fit(
        self,
        reward: VectorRewardFn,
        dataset: Dataset,
        space: SequenceSpace,
        rng: np.random.Generator,
    ) -> NSGA2Generator:
        s = self.settings
        s.validate()
        self.space_ = space
        a, lmax = len(space.alphabet), space.max_len
        start = measured_in(dataset, space)
        if len(start) < 2:
            start = list(dict.fromkeys(start + space.random(s.walkers, rng)))
        y = np.asarray(reward(start), dtype=np.float64)
        keep = front_order(y, s.walkers)
        pop = encode_tokens([start[i] for i in keep], space.alphabet, lmax)  # (P, L)
        pop_y = y[keep]
        seen = set(start)
        pool: dict[str, np.ndarray] = {}
        used = 0
        while used < s.queries:
            children = offspring(pop, pop_y, rng, a, s.mutation_rate)
            seqs = decode_tokens(children, space.alphabet)
            c_y = np.asarray(reward(seqs), dtype=np.float64)
            used += len(seqs)
            for q, v in zip(seqs, c_y):
                if q not in seen:
                    pool[q] = v
            both, both_y = np.vstack([pop, children]), np.vstack([pop_y, c_y])
            _, first = np.unique(both, axis=0, return_index=True)  # no clones in the population
            first = np.sort(first)
            keep = first[front_order(both_y[first], s.walkers)]
            pop, pop_y = both[keep], both_y[keep]
        self.pool_ = pool
        return self

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """The ``n`` best children found, front by front (most isolated first in a front)."""
        del rng
        if not hasattr(self, "pool_"):
            raise NotFittedError("NSGA2Generator.sample called before fit")
        seqs = list(self.pool_)
        if not seqs:
            return []
        order = front_order(np.stack([self.pool_[q] for q in seqs]), n)
        return [seqs[i] for i in order]


def offspring(
    pop: np.ndarray, pop_y: np.ndarray, rng: np.random.Generator, a: int, mutation_rate: float = 0.0
) -> np.ndarray:
    """One generation of NSGA-II children: tournaments, uniform crossover, point mutations.

    Binary tournaments on (Pareto rank, crowding distance) pick two parents per child; with
    probability :data:`CROSSOVER` the child takes each site from either parent (parents of equal
    length only), then each site mutates with probability ``mutation_rate`` (0: 1/L), at least
    one per child.

    Args:
        pop: (P, L) integer tokens of the population, padded with ``a``.
        pop_y: (P, K) their values, maximized.
        rng: the random generator.
        a: the alphabet size (also the padding token).
        mutation_rate: per-site mutation probability; 0 means 1/L of each child's length.

    Returns:
        (P, L) the children's tokens, padded like ``pop`` (each keeps its first parent's length).
    """
    n, lmax = pop.shape
    rank = pareto_ranks(pop_y)
    crowd = np.zeros(n)
    for r in np.unique(rank):
        crowd[rank == r] = crowding_distance(pop_y[rank == r])

    def tournament() -> np.ndarray:
        i, j = rng.integers(0, n, size=(2, n))
        better_i = (rank[i] < rank[j]) | ((rank[i] == rank[j]) & (crowd[i] >= crowd[j]))
        return np.where(better_i, i, j)

    p1, p2 = pop[tournament()], pop[tournament()]
    length = (p1 < a).sum(axis=1)  # (n,)
    cross = np.asarray(rng.random(n) < CROSSOVER)  # (n,) which children mix two parents
    mix = (rng.random((n, lmax)) < 0.5) & cross[:, None]
    same_len = ((p2 < a).sum(axis=1) == length)[:, None]
    child = np.where(mix & same_len, p2, p1)
    inside = np.arange(lmax)[None, :] < length[:, None]
    if mutation_rate > 0:
        rate = np.full((n, 1), mutation_rate)
    else:
        rate = 1.0 / np.maximum(length, 1)[:, None]  # (n, 1): 1/L
    hit = (rng.random((n, lmax)) < rate) & inside
    hit[np.arange(n), rng.integers(0, np.maximum(length, 1))] = True
    child = np.where(hit, (child + rng.integers(1, a, size=(n, lmax))) % a, child)
    return np.where(inside, child, a)
