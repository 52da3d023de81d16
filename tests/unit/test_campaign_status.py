"""The measured Pareto front per round in a campaign's status, against hand-computed values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from seqdesign.campaign.status import front_progress


def test_front_size_and_hypervolume_per_round_by_hand():
    # a maximized, b minimized. Signed and scaled by everything measured (a 0..10, -b -10..0):
    # s1 (0, 1), s2 (1, 0), s3 (0.5, 1), s5 (1, 0.5); s4 lacks a and does not count. Above the
    # reference point (-0.1, -0.1): round 0's front s1, s2 covers 0.11 + 0.11 - 0.01; round 1's
    # s3 dominates s1: 0.66 + 0.11 - 0.06; round 2's s5 dominates s2: 0.66 + 0.66 - 0.36
    seqs = pd.DataFrame(
        {
            "round": [0, 0, 1, 1, 2],
            "a": [0.0, 10.0, 5.0, math.nan, 10.0],
            "b": [0.0, 10.0, 0.0, 1.0, 5.0],
        }
    )
    got = front_progress(seqs, [("a", True), ("b", False)], [0, 1, 2])
    assert {k: v[0] for k, v in got.items()} == {0: 2, 1: 2, 2: 2}
    assert [got[k][1] for k in (0, 1, 2)] == pytest.approx([0.21, 0.71, 0.96])


def test_nothing_measured_on_every_objective_has_no_front():
    seqs = pd.DataFrame({"round": [1, 1], "a": [1.0, math.nan], "b": [math.nan, 2.0]})
    size, hv = front_progress(seqs, [("a", True), ("b", True)], [1])[1]
    assert size == 0 and math.isnan(hv)


def test_four_objectives_are_estimated_the_same_every_time():
    seqs = pd.DataFrame(
        {"round": [1, 1, 2], **{k: [0.0, 1.0, 0.5] for k in "abc"}, "d": [1.0, 0.0, 0.5]}
    )
    objectives = [(k, True) for k in "abcd"]
    first = front_progress(seqs, objectives, [1, 2])
    assert first == front_progress(seqs, objectives, [1, 2])
    assert first[2][0] == 3 and first[2][1] > first[1][1] > 0
