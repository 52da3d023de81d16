"""Acquisition for several objectives: EHVI against hand-computed gains, and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

from seqdesign.alphabet import DNA
from seqdesign.config import build_settings
from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError, InputError
from seqdesign.loop import resolve_generator, run_round
from seqdesign.moacquisition import MultiObjectiveAcquisition, check_kind
from seqdesign.space import SequenceSpace

# measured (0, 10), (10, 0), (5, 5): normalized front (0, 1), (1, 0), (0.5, 0.5)
LABELS = np.array([[0.0, 10.0], [10.0, 0.0], [5.0, 5.0]])


def acquisition(kind: str = "ehvi", labels: np.ndarray = LABELS) -> MultiObjectiveAcquisition:
    signs = np.ones(labels.shape[1])
    return MultiObjectiveAcquisition.from_labels(kind, 0.1, signs, labels, np.random.default_rng(0))


def certain(points: list[list[float]], members: int = 3) -> np.ndarray:
    """(M, N, K) samples on which every member agrees."""
    return np.repeat(np.asarray(points, dtype=float)[None], members, axis=0)


def test_ehvi_counts_the_ends_of_the_measured_front():
    acq = acquisition()
    # the reference point sits 0.1 below the measured minimum: shifted, the front is
    # (0.1, 1.1), (0.6, 0.6), (1.1, 0.1). (1.5, 0) replaces the strip of the end point
    # (1.0, 0.0) of width 0.5 by one of width 1.0, height 0.1: a gain of 0.05. (1.5, 0.5)
    # dominates two of the three: 0.11 + 1.5 * 0.6 against 0.11 + 0.3 + 0.05
    gains = acq.ehvi(certain([[1.5, 0.0], [1.5, 0.5], [0.5, 0.55], [0.4, 0.4]]))
    assert gains == pytest.approx([0.05, 0.55, 0.5 * 0.05, 0.0])


def test_candidates_without_expected_gain_spread_along_the_front():
    acq = acquisition(labels=np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.9]]))
    t = np.linspace(0.0, 1.0, 21)
    rng = np.random.default_rng(3)
    shuffle = rng.permutation(len(t))  # the candidates' order says nothing of their place
    line = np.stack([0.8 * t, 0.8 * (1 - t)], axis=1)[shuffle]  # all dominated by the front
    z = certain(line.tolist())
    scores = acq.score(z)
    assert (scores == 0).all()
    order = acq.order(z, scores, 4)
    assert sorted(order.tolist()) == list(range(len(t)))
    ends = {int(np.argmin(line[:, 0])), int(np.argmax(line[:, 0]))}
    assert set(order[:2].tolist()) == ends  # the two ends first, not the first two indices


def test_gaining_candidates_come_before_the_rest():
    acq = acquisition()
    z = certain([[0.2, 0.2], [1.5, 0.0], [0.1, 0.1], [0.0, 1.4]])
    order = acq.order(z, acq.score(z), 1)
    assert set(order[:2].tolist()) == {1, 3}


def test_ehvi_is_refused_beyond_three_objectives():
    check_kind("ehvi", 3)
    with pytest.raises(ConfigError, match="'ehvi' scores up to 3 objectives"):
        check_kind("ehvi", 4)
    with pytest.raises(ConfigError, match="'ei' is for one objective"):
        check_kind("ei", 2)
    check_kind("ucb", 5)
    with pytest.raises(ConfigError, match="up to 3"):
        acquisition(labels=np.eye(4))
    settings = build_settings("fast", {}, {"acquisition": "ehvi"})
    assert resolve_generator(settings, 3) == "gfn"
    with pytest.raises(ConfigError, match="up to 3"):
        resolve_generator(settings, 4)


def test_run_round_names_an_objective_with_no_measurement():
    space = SequenceSpace(DNA, 6, 6)
    rng = np.random.default_rng(0)
    seqs = space.random(30, rng)
    records = [
        (f"s{i}", q, {"a": float(q.count("A")), "b": float("nan")}) for i, q in enumerate(seqs)
    ]
    data = Dataset.from_records(records, ["a", "b"])
    settings = build_settings("fast", {}, {"generator": "nsga2"})
    with pytest.raises(InputError, match="objective 'b' has no value in any record"):
        run_round(data, space, 5, settings, 0)
