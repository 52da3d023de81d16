"""Acquisition functions on hand-made member predictions (values worked out by hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqdesign.acquisition import acquire, expected_improvement, thompson, ucb
from seqdesign.errors import ConfigError

# M=3 members, N=3 candidates
#   candidate 0: 1, 3, 5  -> mean 3, std (ddof=1) 2
#   candidate 1: 2, 2, 2  -> mean 2, std 0
#   candidate 2: 0, 6, 3  -> mean 3, std 3
SAMPLES = np.array([[1.0, 2.0, 0.0], [3.0, 2.0, 6.0], [5.0, 2.0, 3.0]])
PDF0 = 1 / math.sqrt(2 * math.pi)  # standard normal density at 0: 0.398942...


def test_mean():
    assert acquire("mean", SAMPLES).tolist() == [3.0, 2.0, 3.0]


def test_ucb_by_hand():
    np.testing.assert_allclose(acquire("ucb", SAMPLES, kappa=1.5), [3 + 1.5 * 2, 2.0, 3 + 1.5 * 3])
    np.testing.assert_allclose(ucb(SAMPLES, 0.0), [3.0, 2.0, 3.0])
    np.testing.assert_allclose(ucb(SAMPLES, -1.0), [1.0, 2.0, 0.0])  # a pessimistic bound


def test_ei_by_hand():
    # incumbent 3: candidates 0 and 2 sit on it (z=0): EI = sd * pdf(0); candidate 1 is 1 below
    # with no spread: EI = 0
    ei = acquire("ei", SAMPLES, incumbent=3.0)
    np.testing.assert_allclose(ei, [2 * PDF0, 0.0, 3 * PDF0], atol=1e-12)
    # incumbent 1: candidate 1 is a sure improvement of 1
    assert expected_improvement(SAMPLES, 1.0)[1] == pytest.approx(1.0)
    # candidate 0 at incumbent 1: mu - inc = 2, sd = 2, z = 1: 2*Phi(1) + 2*phi(1)
    phi1, Phi1 = math.exp(-0.5) / math.sqrt(2 * math.pi), 0.8413447460685429
    assert expected_improvement(SAMPLES, 1.0)[0] == pytest.approx(2 * Phi1 + 2 * phi1)


def test_ei_is_positive_and_grows_with_spread_at_equal_mean():
    ei = acquire("ei", SAMPLES, incumbent=4.0)
    assert (ei >= 0).all()
    assert ei[2] > ei[0] > ei[1]  # same mean for 0 and 2, more spread for 2


def test_thompson_picks_one_member_per_candidate():
    rng = np.random.default_rng(0)
    draws = np.stack([thompson(SAMPLES, rng) for _ in range(300)])  # (300, N)
    for n in range(3):
        assert set(draws[:, n]) == set(SAMPLES[:, n])  # every member's value, nothing else
    # reproducible: the same seed, the same member choices
    expected_members = np.random.default_rng(7).integers(0, 3, size=3)
    got = acquire("ts", SAMPLES, rng=np.random.default_rng(7))
    assert got.tolist() == SAMPLES[expected_members, np.arange(3)].tolist()


def test_missing_arguments_are_config_errors():
    with pytest.raises(ConfigError, match="incumbent"):
        acquire("ei", SAMPLES)
    with pytest.raises(ConfigError, match="random generator"):
        acquire("ts", SAMPLES)


@pytest.mark.parametrize("kind", ["ucb", "ei", "ts", "mean"])
def test_shapes(kind):
    s = np.random.default_rng(1).normal(size=(5, 11))
    out = acquire(kind, s, kappa=1.0, incumbent=0.0, rng=np.random.default_rng(0))
    assert out.shape == (11,)
    assert np.isfinite(out).all()
