"""The Ehrlich function: construction, feasibility, quantized motifs, the optimum, starts."""

from __future__ import annotations

import numpy as np
import pytest

from seqdesign.alphabet import PROTEIN
from seqdesign.errors import ConfigError
from seqdesign.oracles import EhrlichOracle, get_oracle


@pytest.fixture(scope="module")
def ehrlich():
    return get_oracle("ehrlich")


def naive_score(oracle: EhrlichOracle, seq: str) -> float:
    """The definition, written with plain loops (the reference for the vectorized code)."""
    x = [oracle.space.alphabet.index(c) for c in seq]
    if any(not oracle.feasible[a, b] for a, b in zip(x, x[1:])):
        return 0.0
    q, k = oracle.quantization, oracle.motifs.shape[1]
    total = 1.0
    for motif, offsets in zip(oracle.motifs.tolist(), oracle.offsets.tolist()):
        best = 0
        for start in range(len(x) - offsets[-1]):
            best = max(best, sum(x[start + o] == m for o, m in zip(offsets, motif)))
        total *= (q * best // k) / q
    return total


def test_preset(ehrlich):
    assert ehrlich.name == "ehrlich" and ehrlich.objectives == ("ehrlich",)
    assert (
        ehrlich.space.alphabet == PROTEIN and ehrlich.space.min_len == ehrlich.space.max_len == 32
    )
    assert ehrlich.motifs.shape == ehrlich.offsets.shape == (4, 4)
    assert ehrlich.max_score == 1.0


def test_transition_matrix(ehrlich):
    p = ehrlich.transition_matrix
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (np.diag(p) > 0).all()  # a state may always repeat
    zeros = (p == 0).sum(axis=1)
    assert (zeros >= 1).all() and (zeros <= 3).all()  # 20 - (2 * 8 + 1) band, diagonal added
    reach = np.linalg.matrix_power((p > 0).astype(np.float64), 19) > 0  # ergodic
    assert reach.all()
    # motifs are feasible chains, and so is each motif followed by the next
    chain = ehrlich.motifs.ravel()
    assert ehrlich.feasible[chain[:-1], chain[1:]].all()
    # every spaced motif spans at most L // c positions
    assert (ehrlich.offsets[:, 0] == 0).all() and (np.diff(ehrlich.offsets, axis=1) >= 1).all()
    assert (ehrlich.offsets[:, -1] + 1 <= 32 // 4).all()


def test_optimum_scores_one(ehrlich):
    opt = ehrlich.optimum()
    assert len(opt) == 32 and ehrlich([opt])[0, 0] == 1.0
    for kwargs in (
        dict(states=4, length=8, motifs=2, motif_length=2, quantization=2, seed=1),
        dict(states=20, length=64, motifs=2, motif_length=8, quantization=4, seed=3),
        dict(states=10, length=12, motifs=3, motif_length=4, quantization=4, seed=7),
    ):
        o = EhrlichOracle(**kwargs)
        assert o([o.optimum()])[0, 0] == 1.0


def test_matches_the_naive_definition(ehrlich):
    rng = np.random.default_rng(5)
    seqs = ehrlich.sample_start(150, rng) + ehrlich.space.random(50, rng)
    seqs.append(ehrlich.optimum())
    got = ehrlich(seqs)[:, 0]
    want = [naive_score(ehrlich, s) for s in seqs]
    np.testing.assert_array_equal(got, want)
    assert (got > 0).any() and (got == 0).any()


def test_an_infeasible_transition_scores_zero(ehrlich):
    tokens = ehrlich.encode([ehrlich.optimum()])
    last = tokens[0, -2]
    bad = int(np.flatnonzero(~ehrlich.feasible[last])[0])
    tokens[0, -1] = bad  # the tail is outside every motif: the motifs stay complete
    assert ehrlich.motif_presence(tokens).prod() == 1.0
    assert not ehrlich.is_feasible(tokens)[0]
    assert ehrlich(ehrlich.decode(tokens))[0, 0] == 0.0


def test_partial_motif_scores_its_quantized_fraction(ehrlich):
    tokens = ehrlich.encode([ehrlich.optimum()])  # motif 0 starts at position 0
    first = ehrlich.motifs[0, 0]
    swap = next(
        c for c in range(20) if c != first and ehrlich.feasible[c, tokens[0, 1]]
    )  # position 0 has no left neighbour: only the step to position 1 must stay feasible
    tokens[0, 0] = swap
    seq = ehrlich.decode(tokens)
    assert ehrlich(seq)[0, 0] == 0.75  # 3 of 4 elements, quantization 4
    coarse = EhrlichOracle(20, 32, 4, 4, quantization=2, seed=0)  # same motifs and matrix
    np.testing.assert_array_equal(coarse.motifs, ehrlich.motifs)
    assert coarse(seq)[0, 0] == 0.5  # floor(2 * 3 / 4) / 2
    assert coarse([ehrlich.optimum()])[0, 0] == 1.0


def test_deterministic_given_the_seed(ehrlich):
    again = EhrlichOracle(20, 32, 4, 4, 4, seed=0)
    np.testing.assert_array_equal(again.transition_matrix, ehrlich.transition_matrix)
    np.testing.assert_array_equal(again.motifs, ehrlich.motifs)
    np.testing.assert_array_equal(again.offsets, ehrlich.offsets)
    other = EhrlichOracle(20, 32, 4, 4, 4, seed=1)
    assert not np.array_equal(other.motifs, ehrlich.motifs)


def test_starts_are_distinct_feasible_and_reproducible(ehrlich):
    calls = ehrlich.calls
    starts = ehrlich.sample_start(200, np.random.default_rng(0))
    assert len(set(starts)) == 200
    assert ehrlich.is_feasible(ehrlich.encode(starts)).all()
    assert starts == ehrlich.sample_start(200, np.random.default_rng(0))
    assert ehrlich.calls == calls  # drawing starts costs nothing
    # uniform sequences are almost never feasible: the starts need the chain
    uniform = ehrlich.space.random(1000, np.random.default_rng(0))
    assert ehrlich.is_feasible(ehrlich.encode(uniform)).mean() < 0.05


def test_small_space_is_enumerable():
    o = EhrlichOracle(states=4, length=6, motifs=2, motif_length=2, quantization=2, seed=2)
    assert o.top_k_mean(1) == 1.0
    seqs, scores = o.landscape()
    assert len(seqs) == 4**6
    np.testing.assert_array_equal(scores[:, 0], [naive_score(o, s) for s in seqs])


def test_top_k_limit_is_certified_by_optima_the_function_scores_one(ehrlich):
    optima = ehrlich.optima(100)
    assert len(set(optima)) == 100
    np.testing.assert_array_equal(ehrlich(optima)[:, 0], 1.0)
    assert ehrlich.top_k_mean(100) == 1.0
    # on an enumerable space the walk finds only true optima, and the limit is the exact one
    o = EhrlichOracle(states=4, length=7, motifs=2, motif_length=2, quantization=2, seed=3)
    seqs, scores = o.landscape()
    true_optima = {s for s, v in zip(seqs, scores[:, 0]) if v == 1.0}
    walked = o.optima(10**6)
    assert set(walked) <= true_optima and len(walked) > 1
    assert o.top_k_mean(len(true_optima)) == 1.0
    assert o.top_k_mean(len(true_optima) + 1) < 1.0
    tiny = EhrlichOracle(states=4, length=8, motifs=2, motif_length=4, seed=0, name="tiny")
    assert len(tiny.optima(10)) < 10  # few optima: the walk does not invent more


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(motifs=5, motif_length=8, length=32), "do not fit"),
        (dict(quantization=5), "quantization"),
        (dict(states=21), "states"),
        (dict(motif_length=1), "motif_length"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        EhrlichOracle(**kwargs)
