"""Pareto utilities against hand-computed fronts, volumes and scalarizations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqdesign.errors import ConfigError
from seqdesign.multiobjective import (
    _non_dominated_by_blocks,
    crowding_distance,
    dominance_matrix,
    front_order,
    hypervolume,
    hypervolume_improvement,
    hypervolume_mc,
    non_dominated,
    pareto_ranks,
    preference_grid,
    r2_indicator,
    sample_preferences,
    scalarize,
)

STAIRS = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])


def test_hypervolume_2d_by_hand():
    assert hypervolume(STAIRS, [0, 0]) == pytest.approx(6.0)  # 3 + 2 + 1 by columns
    # a dominated point, a duplicate and a point below the reference change nothing
    more = np.vstack([STAIRS, [[1.0, 1.0], [2.0, 2.0], [-1.0, 5.0]]])
    assert hypervolume(more, [0, 0]) == pytest.approx(6.0)
    assert hypervolume(STAIRS, [1.5, 1.5]) == pytest.approx(0.5 * 0.5)
    assert hypervolume(STAIRS, [5, 5]) == 0.0


def test_hypervolume_3d_by_hand():
    assert hypervolume(np.array([[1.0, 1.0, 1.0]]), [0, 0, 0]) == pytest.approx(1.0)
    y = np.array([[2.0, 1, 1], [1, 2, 1], [1, 1, 2]])
    # three boxes of 2, pairwise and triple overlaps of 1: 6 - 3 + 1
    assert hypervolume(y, [0, 0, 0]) == pytest.approx(4.0)
    assert hypervolume(y, [1, 1, 0]) == pytest.approx(0.0)
    # boxes of 1.5 x 0.5 x 0.5, every overlap 0.5 ** 3: 3 * 0.375 - 3 * 0.125 + 0.125
    assert hypervolume(y, [0.5, 0.5, 0.5]) == pytest.approx(0.875)


def test_monte_carlo_matches_exact_in_3d():
    rng = np.random.default_rng(0)
    y = rng.random((30, 3))
    y /= np.linalg.norm(y, axis=1, keepdims=True)  # a curved front
    exact = hypervolume(y, [0, 0, 0])
    est = hypervolume_mc(y, np.zeros(3), np.random.default_rng(1), samples=200_000)
    assert est == pytest.approx(exact, rel=0.01)
    assert hypervolume(np.hstack([y, np.ones((30, 1))]), [0, 0, 0, 0], rng=rng) == pytest.approx(
        exact, rel=0.02
    )
    with pytest.raises(ConfigError, match="rng"):
        hypervolume(np.ones((2, 4)), np.zeros(4))


def test_hypervolume_2d_matches_inclusion_exclusion_on_random_fronts():
    rng = np.random.default_rng(3)
    for _ in range(20):
        y = rng.random((6, 2))
        ref = np.array([0.1, 0.05])
        total = 0.0  # inclusion-exclusion over every subset of boxes
        for mask in range(1, 2**6):
            sub = y[[i for i in range(6) if mask >> i & 1]]
            side = np.maximum(sub.min(axis=0) - ref, 0)
            total += (-1) ** (len(sub) + 1) * side.prod()
        assert hypervolume(y, ref) == pytest.approx(total)


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)), max_size=12))
def test_improvement_is_a_difference_of_hypervolumes(rows):
    front = np.array(rows, dtype=float).reshape(-1, 3)
    points = np.array([[1.0, 2, 3], [4, 4, 0.5], [0, 0, 0], [2.5, 2.5, 2.5]])
    ref = np.array([-0.5, -0.5, -0.5])
    for k in (2, 3):
        base = hypervolume(front[:, :k], ref[:k]) if len(front) else 0.0
        want = [hypervolume(np.vstack([front[:, :k], p[None, :k]]), ref[:k]) - base for p in points]
        got = hypervolume_improvement(points[:, :k], front[:, :k], ref[:k])
        np.testing.assert_allclose(got, want, atol=1e-9)


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)), max_size=40),
    st.integers(1, 8),
)
def test_blockwise_front_equals_the_dominance_matrix(rows, block):
    """Ties, duplicates and blocks smaller than the front (3 and 4 objectives)."""
    y3 = np.array(rows, dtype=float).reshape(-1, 3)
    for y in (y3, np.hstack([y3, y3[:, :1] - y3[:, 1:2]])):
        want = ~dominance_matrix(y).any(axis=0) if len(y) else np.zeros(0, bool)
        np.testing.assert_array_equal(non_dominated(y), want)
        if len(y):
            np.testing.assert_array_equal(_non_dominated_by_blocks(y, block), want)


def test_blockwise_front_with_infinities_and_huge_values():
    """Sums that would be NaN (+inf and -inf) or overflow must not put a dominator last."""
    inf = np.inf
    cases = [
        [[0.0, -inf, 0.0], [inf, -inf, 0.0]],
        [[1e308, 1e308, -inf], [1e308, 1e308, -1.0], [np.nan, 1, 2], [0, 0, 0]],
        [[inf, k, -inf] for k in range(300)] + [[0.0, -inf, 0.0], [inf, -inf, 0.0]],
    ]
    for rows in cases:
        y = np.array(rows, dtype=float)
        want = ~dominance_matrix(y).any(axis=0)
        np.testing.assert_array_equal(non_dominated(y), want)
        np.testing.assert_array_equal(_non_dominated_by_blocks(y, 1), want)


def test_3d_improvement_of_many_points_against_a_large_front():
    """Continuous values, more points than one chunk holds (F = 150: 88 points a chunk)."""
    rng = np.random.default_rng(7)
    u = np.abs(rng.standard_normal((3000, 3)))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    front = u[non_dominated(u)][:150]
    assert len(front) == 150
    points = np.abs(rng.standard_normal((200, 3))) * 0.7
    ref = np.array([-0.1, 0.0, -0.2])
    base = hypervolume(front, ref)
    want = [hypervolume(np.vstack([front, p[None]]), ref) - base for p in points]
    got = hypervolume_improvement(points, front, ref)
    assert (got > 0).sum() > 50  # not a test of zeros
    np.testing.assert_allclose(got, np.maximum(want, 0), atol=1e-12)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=30))
def test_fast_2d_front_equals_the_dominance_matrix(rows):
    y = np.array(rows, dtype=float).reshape(-1, 2)
    want = ~dominance_matrix(y).any(axis=0) if len(y) else np.zeros(0, bool)
    np.testing.assert_array_equal(non_dominated(y), want)


def test_pareto_ranks_and_crowding_by_hand():
    y = np.array([[3.0, 1], [1, 3], [2, 2], [1, 1], [0, 0], [2, 0.5]])
    np.testing.assert_array_equal(pareto_ranks(y), [1, 1, 1, 2, 3, 2])
    np.testing.assert_array_equal(non_dominated(y), [True, True, True, False, False, False])
    cd = crowding_distance(STAIRS)
    assert np.isinf(cd[[0, 2]]).all() and cd[1] == pytest.approx(2.0)


def test_tchebycheff_utility_falls_as_the_distance_to_the_ideal_rises():
    ideal = np.array([1.0, 1.0])
    y = np.array([[0.9, 0.9], [0.5, 0.9], [0.1, 0.1]])  # nearest to the ideal first
    u = scalarize(y, np.array([0.5, 0.5]), "tchebycheff", ideal=ideal)
    np.testing.assert_allclose(u, [-0.05, -0.25, -0.45])
    assert u[0] > u[1] > u[2]
    # a preference for objective 0 ranks the point that is good on 0 higher
    a = np.array([[0.9, 0.2], [0.2, 0.9]])
    assert np.argmax(scalarize(a, [0.9, 0.1], "tchebycheff", ideal=ideal)) == 0
    assert np.argmax(scalarize(a, [0.1, 0.9], "tchebycheff", ideal=ideal)) == 1


def test_weighted_sums_by_hand():
    y = np.array([[0.5, 0.25], [1.0, 1.0]])
    np.testing.assert_allclose(scalarize(y, [0.5, 0.5], "weighted-sum"), [0.375, 1.0])
    np.testing.assert_allclose(
        scalarize(y, [0.5, 0.5], "log-weighted-sum"), [0.5 * np.log(0.5) + 0.5 * np.log(0.25), 0]
    )
    w = np.array([[1.0, 0.0], [0.0, 1.0]])  # one preference per point
    np.testing.assert_allclose(scalarize(y, w), [0.5, 1.0])


def test_r2_by_hand():
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert r2_indicator(y, np.array([[0.5, 0.5]]), np.ones(2)) == pytest.approx(0.5)
    w = np.array([[1.0, 0.0], [0.0, 1.0]])  # each corner is perfect for one preference
    assert r2_indicator(y, w, np.ones(2)) == pytest.approx(0.0)


def test_preferences():
    g = preference_grid(2, 4)
    np.testing.assert_allclose(g[:, 0], [0, 0.25, 0.5, 0.75, 1])
    g3 = preference_grid(3, 2)
    assert g3.shape == (6, 3) and np.allclose(g3.sum(1), 1) and len(np.unique(g3, axis=0)) == 6
    p = sample_preferences(500, 3, np.random.default_rng(0), alpha=1.0)  # a scalar alpha works
    assert p.shape == (500, 3) and np.allclose(p.sum(1), 1) and (p >= 0).all()
    np.testing.assert_allclose(p.mean(0), 1 / 3, atol=0.03)
    skew = sample_preferences(500, 2, np.random.default_rng(0), alpha=np.array([8.0, 1.0]))
    assert skew[:, 0].mean() > 0.8
    with pytest.raises(ConfigError):
        sample_preferences(2, 2, np.random.default_rng(0), alpha=0.0)


def test_front_order_peels_fronts_and_spreads_within_one():
    y = np.array([[3.0, 1], [1, 3], [2, 2], [1, 1], [0, 0], [2, 0.5], [2.5, 1.5]])
    order = front_order(y)
    ranks = pareto_ranks(y)
    assert list(ranks[order]) == sorted(ranks)  # fronts in order
    assert set(order[:2]) == {0, 1}  # a front's corners (infinite crowding) come first
    assert len(front_order(y, 3)) == 3
    big = np.random.default_rng(0).random((500, 3))
    np.testing.assert_array_equal(non_dominated(big), ~dominance_matrix(big).any(axis=0))
