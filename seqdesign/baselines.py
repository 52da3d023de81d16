"""Model-free baselines of BENCHMARKS.md: they propose without a proxy.

``random`` draws uniform valid sequences that are not yet measured; ``evolution`` mutates
(about 1/L per site) and recombines (uniform crossover) the top 10% of the measured sequences;
``nsga2-free`` is NSGA-II (Deb et al. 2002) run by the lab: each round is one generation bred
from the measured sequences by Pareto rank and crowding distance. Each returns a
:class:`~seqdesign.loop.RoundResult` so a simulated campaign can run them in place of
:func:`~seqdesign.loop.run_round`. The model-guided evolution (AdaLead-style, on the proxy) is
the ``evolution`` *generator* of ``round``; these are the yardsticks below it, and ``nsga2``
(NSGA-II on the proxy) is the model-guided counterpart of ``nsga2-free``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pandas as pd

from seqdesign.dataset import Dataset
from seqdesign.encoding import decode_tokens, encode_tokens
from seqdesign.errors import ConfigError, SpaceTooSmallError
from seqdesign.generators.nsga2 import offspring
from seqdesign.loop import ENUMERATE_LIMIT, Objective, RoundResult, maximizing, proposal_ids
from seqdesign.multiobjective import front_order
from seqdesign.space import SequenceSpace

MODEL_FREE = ("random", "evolution", "nsga2-free")
"""Names of the model-free baselines."""

PARENT_FRACTION = 0.1
"""Share of the measured sequences (best first) that evolution recombines."""


def propose_model_free(
    method: str,
    dataset: Dataset,
    space: SequenceSpace,
    n: int,
    rng: np.random.Generator,
    objectives: list[Objective] | None = None,
    round_index: int = 1,
) -> RoundResult:
    """``n`` new valid sequences, not in ``dataset``, from a model-free baseline.

    Args:
        method: ``random``, ``evolution`` or ``nsga2-free``.
        dataset: the sequences measured so far (evolution's parents come from it).
        space: the sequences allowed.
        n: the batch size.
        rng: the random generator.
        objectives: directions of the dataset's objectives (default: all maximized); several
            objectives are ranked by the mean of their standardized, signed values.
        round_index: used in the ids (``sd_r{round}_{i:04d}``).

    Raises:
        ConfigError: unknown method.
        SpaceTooSmallError: fewer than ``n`` unseen valid sequences could be found.
    """
    t0 = time.perf_counter()
    seen = set(dataset.sequences)
    if method == "random":
        chosen = _random_unseen(space, n, seen, rng)
    elif method == "evolution":
        chosen = _evolve(dataset, space, n, seen, rng, objectives)
    elif method == "nsga2-free":
        chosen = _nsga2(dataset, space, n, seen, rng, objectives)
    else:
        raise ConfigError(f"unknown model-free method {method!r}; expected one of {MODEL_FREE}")
    table = pd.DataFrame(
        {
            "id": proposal_ids(round_index, len(chosen)),
            "sequence": chosen,
        }
    )
    return RoundResult(table, {}, time.perf_counter() - t0)


def _random_unseen(
    space: SequenceSpace, n: int, seen: set[str], rng: np.random.Generator
) -> list[str]:
    """``n`` distinct uniform sequences of ``space`` that are not in ``seen``."""
    chosen: dict[str, None] = {}
    for _ in range(50):
        for q in space.random(max(4 * n, 64), rng):
            if q not in seen:
                chosen.setdefault(q)
                if len(chosen) == n:
                    return list(chosen)
    if space.size() <= ENUMERATE_LIMIT:  # a nearly exhausted small space
        free = [q for q in space.enumerate() if q not in seen and q not in chosen]
        need = n - len(chosen)
        if len(free) >= need:
            picks = rng.choice(len(free), size=need, replace=False)
            return list(chosen) + [free[i] for i in sorted(picks)]
    raise SpaceTooSmallError(f"random: found only {len(chosen)} unseen sequences for {n}")


def _maximized(dataset: Dataset, objectives: list[Objective] | None) -> np.ndarray:
    """(N, K) the labels, each objective turned to be maximized (default: all are)."""
    objectives = objectives or [Objective(o) for o in dataset.objectives]
    return dataset.labels * maximizing(objectives)


def _ranking_score(dataset: Dataset, objectives: list[Objective] | None) -> np.ndarray:
    """(N,) one maximized score per measured sequence (NaN rows get -inf)."""
    labels = _maximized(dataset, objectives)
    with np.errstate(all="ignore"):
        z = (labels - np.nanmean(labels, axis=0)) / (np.nanstd(labels, axis=0) + 1e-12)
        score = np.nanmean(z, axis=1)
    return np.where(np.isnan(score), -np.inf, score)


def _evolve(
    dataset: Dataset,
    space: SequenceSpace,
    n: int,
    seen: set[str],
    rng: np.random.Generator,
    objectives: list[Objective] | None,
) -> list[str]:
    """Children of the top measured sequences: uniform crossover, then ~1/L mutations per site."""
    score = _ranking_score(dataset, objectives)
    ok = np.isfinite(score) & np.array([space.contains(q) for q in dataset.sequences], dtype=bool)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return _random_unseen(space, n, seen, rng)
    k = max(2, int(np.ceil(PARENT_FRACTION * idx.size)))
    order = idx[np.argsort(-score[idx], kind="stable")][:k]
    parents = [dataset.sequences[i] for i in order]
    letters = space.alphabet.letters

    def children() -> Iterator[list[str]]:
        for _ in range(200 * n):
            a, b = (parents[i] for i in rng.choice(len(parents), size=2, replace=False))
            child = list(a)
            take_b = rng.random(min(len(a), len(b))) < 0.5
            for j in np.flatnonzero(take_b):
                child[j] = b[j]
            for j in np.flatnonzero(rng.random(len(child)) < 1.0 / len(child)):
                others = letters.replace(child[j], "")
                child[j] = others[rng.integers(len(others))]
            yield ["".join(child)]

    return _first_new(children(), space, n, seen, rng)


def _first_new(
    batches: Iterator[list[str]],
    space: SequenceSpace,
    n: int,
    seen: set[str],
    rng: np.random.Generator,
) -> list[str]:
    """The first ``n`` distinct valid unseen sequences of ``batches`` (drawn lazily, no more than
    needed); when they run out (the parents' neighbourhood is exhausted), uniform ones."""
    chosen: dict[str, None] = {}
    for batch in batches:
        for q in batch:
            if q not in seen and q not in chosen and space.contains(q):
                chosen.setdefault(q)
                if len(chosen) == n:
                    return list(chosen)
    rest = _random_unseen(space, n - len(chosen), seen | set(chosen), rng)
    return list(chosen) + rest


def _nsga2(
    dataset: Dataset,
    space: SequenceSpace,
    n: int,
    seen: set[str],
    rng: np.random.Generator,
    objectives: list[Objective] | None,
) -> list[str]:
    """One NSGA-II generation bred from the measured data, with no model.

    The population is the ``n`` best measured sequences, front by front and most isolated first
    within a front (NSGA-II's elitist cut over everything measured so far); its children
    (binary tournaments on rank and crowding, uniform crossover, ~1/L point mutations:
    :func:`~seqdesign.generators.nsga2.offspring`) that are valid and unseen are the batch,
    in the order they were bred.
    """
    y = _maximized(dataset, objectives)  # (N, K)
    ok = ~np.isnan(y).any(axis=1) & np.array([space.contains(q) for q in dataset.sequences])
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return _random_unseen(space, n, seen, rng)
    keep = idx[front_order(y[idx], n)]
    alphabet = space.alphabet
    pop = encode_tokens([dataset.sequences[i] for i in keep], alphabet, space.max_len)  # (P, L)
    generations = (
        decode_tokens(offspring(pop, y[keep], rng, len(alphabet)), alphabet) for _ in range(200)
    )
    return _first_new(generations, space, n, seen, rng)
