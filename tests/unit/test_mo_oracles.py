"""Oracles of several objectives: the TF pair, the n-gram task, and physicochemical helpers."""

from __future__ import annotations

import numpy as np
import pytest

from seqdesign.constraints import Constraints
from seqdesign.errors import ConfigError
from seqdesign.multiobjective import dominance_matrix, hypervolume
from seqdesign.oracles import available, get_oracle
from seqdesign.oracles.ngrams import NGramOracle, count_ngrams, max_count
from seqdesign.oracles.physchem import hydrophobicity, net_charge
from seqdesign.space import SequenceSpace


@pytest.fixture(scope="module")
def pair():
    return get_oracle("tfpair-SIX6-PAX6")


def test_tf_pair_is_bind_a_and_one_minus_bind_b(pair):
    seqs = ["AAAAAAAA", "ACGTACGT", "GATTACAA"]
    a, b = get_oracle("tfbind8-SIX6_REF_R1"), get_oracle("tfbind8-PAX6_REF_R1")
    y = pair(seqs)
    np.testing.assert_allclose(y[:, 0], a(seqs)[:, 0])
    np.testing.assert_allclose(y[:, 1], 1 - b(seqs)[:, 0])
    assert pair.objectives == ("bind_SIX6", "avoid_PAX6") and pair.calls == 3
    names = {i.name for i in available()}
    assert {"tfpair-SIX6-PAX6", "tfpair-KLF1-CRX", "tfpair-FOXC1-SIX6"} <= names


def test_tf_pair_true_front_is_the_non_dominated_set(pair):
    calls = pair.calls
    seqs, front = pair.true_front()
    _, land = pair.landscape()
    assert not dominance_matrix(front).any()  # nothing on the front dominates another
    rng = np.random.default_rng(0)
    sample = land[rng.choice(len(land), 3000, replace=False)]
    # no point of the space dominates a front point
    ge = (sample[:, None, :] >= front[None]).all(-1) & (sample[:, None, :] > front[None]).any(-1)
    assert not ge.any()
    ref = pair.reference_point()
    np.testing.assert_allclose(ref, [0.5, 0.5])
    hv = pair.true_hypervolume(ref)
    assert hv == pytest.approx(hypervolume(land, ref)) and 0 < hv < 0.25
    assert pair.calls == calls  # the landscape costs nothing


def test_limits_under_constraints_are_those_of_the_reachable_sequences(pair):
    """A campaign that may only write sequences starting with A is judged against their front."""
    space = SequenceSpace(pair.space.alphabet, 8, 8, Constraints(fixed=("1:A",)))
    seqs, land = pair.landscape()
    first_a = np.array([q[0] == "A" for q in seqs])
    ref = pair.reference_point()
    hv = pair.true_hypervolume(ref, space)
    assert hv == pytest.approx(hypervolume(land[first_a], ref))
    assert hv < pair.true_hypervolume(ref)  # the best of the whole space starts otherwise
    front_seqs, _ = pair.true_front(space)
    assert front_seqs and all(q[0] == "A" for q in front_seqs)
    best = np.sort(land[first_a, 0])[::-1][:10].mean()
    assert pair.top_k_mean(10, space) == pytest.approx(best)
    assert best < pair.top_k_mean(10)
    # no constraints: the whole landscape
    plain = SequenceSpace(pair.space.alphabet, 8, 8)
    assert pair.true_hypervolume(ref, plain) == pair.true_hypervolume(ref)


def test_tf_pair_starts_in_the_bottom_half_of_the_first_objective(pair):
    start = pair.sample_start(200, np.random.default_rng(0))
    first = pair.landscape()[1][:, 0]
    assert len(set(start)) == 200
    assert pair(start)[:, 0].max() <= np.median(first)
    with pytest.raises(ConfigError, match="two different"):
        type(pair)("SIX6", "SIX6_REF_R1")


def test_ngram_counts_by_hand():
    assert max_count("AV", 32) == 16 and max_count("AA", 32) == 31 and max_count("ABA", 7) == 3
    np.testing.assert_array_equal(
        count_ngrams(["AVAVC", "AAAA", "C"], ["AV", "VC", "AA"]),
        [[2, 1, 0], [0, 0, 3], [0, 0, 0]],
    )
    o = get_oracle("ngrams-AV-VC")
    y = o(["AVCAVCAVCAVCAVCA", "AV" * 16, "AV" * 8])
    np.testing.assert_allclose(y, [[5 / 16, 5 / 16], [1, 0], [0.5, 0]])
    assert o.landscape() is None and o.true_front() is None  # 20^32 strings: not enumerable
    with pytest.raises(ConfigError):
        NGramOracle(["AV"])


def test_physicochemical_helpers_by_hand():
    # four lysines (pKa 10.5) nearly all charged, plus the termini (+1 - 1 at pH 7)
    q = net_charge(["KKKK", "DDDD", "GG"])
    assert q[0] == pytest.approx(4.0, abs=0.01) and q[1] == pytest.approx(-4.0, abs=0.01)
    assert abs(q[2]) < 0.01
    assert net_charge(["HHHH"], ph=3.0)[0] > net_charge(["HHHH"], ph=9.0)[0]
    np.testing.assert_allclose(hydrophobicity(["IIII", "RA"]), [1.38, (-2.53 + 0.62) / 2])
