"""The exhaustive generator: it scores every sequence of a small space and returns the best."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from seqdesign.alphabet import DNA, PROTEIN
from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError, NotFittedError, TrainingError
from seqdesign.generators import make_generator
from seqdesign.generators.exhaustive import ExhaustiveGenerator, _shortlist, check_enumerable
from seqdesign.multiobjective import non_dominated, pareto_ranks
from seqdesign.space import SequenceSpace

SPACE = SequenceSpace(DNA, 4, 4)  # 256 sequences
EMPTY = Dataset.from_records([], ["y"])
RNG = np.random.default_rng(0)


def shares(seqs: list[str]) -> np.ndarray:
    """(N, 2): count of A, count of T (they disagree: a letter is one or the other)."""
    return np.array([[q.count("A"), q.count("T")] for q in seqs], dtype=np.float64)


def test_one_objective_returns_the_top_scores_best_first():
    def reward(seqs: list[str]) -> np.ndarray:
        return np.array([q.count("G") + 0.1 * q.count("C") for q in seqs])

    gen = ExhaustiveGenerator().fit(reward, EMPTY, SPACE, RNG)
    top = gen.sample(5, RNG)
    every = ["".join(p) for p in itertools.product("ACGT", repeat=4)]
    best = sorted(every, key=lambda q: (-reward([q])[0], every.index(q)))[:5]
    assert top == best
    assert top[0] == "GGGG" and all(q.count("G") == 3 for q in top[1:])
    assert gen.sample(5, np.random.default_rng(1)) == top  # deterministic


def test_vector_reward_returns_the_front_first():
    gen = ExhaustiveGenerator().fit(shares, EMPTY, SPACE, RNG)
    every = SPACE.enumerate()
    front = {q for q, ok in zip(every, non_dominated(shares(every)), strict=True) if ok}
    got = gen.sample(len(front), RNG)
    assert set(got) == front  # A/T-only 4-mers: the whole trade-off from AAAA to TTTT
    assert {"AAAA", "TTTT"} <= set(got)
    more = gen.sample(len(front) + 10, RNG)
    assert more[: len(front)] == got
    assert (pareto_ranks(shares(every))[[every.index(q) for q in more[len(front) :]]] == 2).all()


def test_shortlist_keeps_the_best_of_each_objective_and_of_the_sum():
    v = np.random.default_rng(3).random((1000, 3))
    keep = _shortlist(v, 40)
    assert len(keep) <= 40 and len(set(keep.tolist())) == len(keep)
    for column in (v[:, 0], v[:, 1], v[:, 2], v.sum(axis=1)):
        assert int(np.argmax(column)) in keep
    assert (_shortlist(v[:30], 40) == np.arange(30)).all()


def test_three_objectives_sample_front_by_front_from_the_shortlist(monkeypatch):
    import seqdesign.generators.exhaustive as exhaustive

    def three(seqs: list[str]) -> np.ndarray:
        return np.array([[q.count(c) for c in "ACG"] for q in seqs], dtype=np.float64)

    monkeypatch.setattr(exhaustive, "FRONT_SHORTLIST", 32)
    gen = ExhaustiveGenerator().fit(three, EMPTY, SPACE, RNG)
    got = gen.sample(100, RNG)
    every = SPACE.enumerate()
    listed = {every[i] for i in _shortlist(three(every), 32)}
    assert len(got) == len(listed) and set(got) == listed  # the shortlist, all of it
    ranks = pareto_ranks(three(got))
    assert (np.diff(ranks) >= 0).all()  # front by front
    assert all("T" not in q for q, r in zip(got, ranks, strict=True) if r == 1)  # on the front


def test_measured_sequences_are_not_offered():
    def reward(seqs: list[str]) -> np.ndarray:
        return np.array([q.count("G") for q in seqs], dtype=np.float64)

    data = Dataset.from_records([("m1", "GGGG", {"y": 1.0}), ("m2", "GGGA", {"y": 0.5})], ["y"])
    gen = ExhaustiveGenerator().fit(reward, data, SPACE, RNG)
    assert len(gen.sequences_) == 256 - 2
    got = gen.sample(4, RNG)
    assert "GGGG" not in got and "GGGA" not in got
    assert all(q.count("G") == 3 for q in got)


def test_a_space_too_large_is_refused():
    big = SequenceSpace(DNA, 10, 10)
    with pytest.raises(ConfigError, match="exhaustive.*up to 1,048,576, more than 200,000"):
        ExhaustiveGenerator().fit(shares, EMPTY, big, RNG)
    huge = SequenceSpace(PROTEIN, 300, 300)  # beyond a float: the count is still written
    with pytest.raises(ConfigError, match=r"up to about 10\^390,"):
        check_enumerable(huge)


def test_bad_rewards_and_misuse_are_typed_errors():
    with pytest.raises(NotFittedError):
        ExhaustiveGenerator().sample(3, RNG)
    with pytest.raises(TrainingError, match="shape"):
        ExhaustiveGenerator().fit(lambda s: np.zeros(len(s) - 1), EMPTY, SPACE, RNG)
    with pytest.raises(TrainingError, match="finite"):
        ExhaustiveGenerator().fit(lambda s: np.full(len(s), np.nan), EMPTY, SPACE, RNG)


def test_made_by_name():
    from seqdesign.config import build_settings

    gen = make_generator("exhaustive", build_settings("fast", {}, {"generator": "exhaustive"}))
    assert isinstance(gen, ExhaustiveGenerator)


def test_a_round_hands_it_the_per_objective_values(monkeypatch):
    """With several objectives run_round gives it the (N, K) vector, one objective a score."""
    from seqdesign.config import build_settings
    from seqdesign.loop import Objective, run_round

    seen_shapes = []
    fit = ExhaustiveGenerator.fit

    def spy(self, reward, dataset, space, rng):
        out = fit(self, reward, dataset, space, rng)
        seen_shapes.append(self.values_.shape)
        return out

    monkeypatch.setattr(ExhaustiveGenerator, "fit", spy)
    rng = np.random.default_rng(0)
    seqs = sorted(set(SPACE.random(40, rng)))
    y = shares(seqs)
    data = Dataset.from_records(
        [(f"s{i}", q, {"a": y[i, 0], "t": y[i, 1]}) for i, q in enumerate(seqs)], ["a", "t"]
    )
    settings = build_settings(
        "fast", {"proxy": {"members": 2, "hidden": 8, "max_steps": 20}}, {"generator": "exhaustive"}
    )
    res = run_round(data, SPACE, 6, settings, 0, [Objective("a"), Objective("t", False)])
    assert seen_shapes == [(256 - len(seqs), 2)]
    assert len(res.table) == 6 and "pareto_rank" in res.table.columns
    one = Dataset.from_records([(f"s{i}", q, {"a": y[i, 0]}) for i, q in enumerate(seqs)], ["a"])
    run_round(one, SPACE, 6, settings, 0)
    assert seen_shapes[-1] == (256 - len(seqs),)
