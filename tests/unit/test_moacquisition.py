"""Acquisition for several objectives: EHVI against hand-computed gains, and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

from seqdesign.alphabet import DNA
from seqdesign.config import build_settings
from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError, InputError, TrainingError
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


def test_noisy_ehvi_measures_each_member_against_its_own_front():
    acq = acquisition()
    candidate = certain([[0.5, 0.5]], members=2)
    assert acq.ehvi(candidate) == pytest.approx([0.0])  # on the measured front: no gain
    # member 0 reproduces the labels; member 1 predicts the measured (0.5, 0.5) at (0.3, 0.3),
    # a lucky measurement it does not believe. Shifted by the reference point (-0.1), member
    # 1's front is (0.1, 1.1), (1.1, 0.1), (0.4, 0.4) and the candidate's box is 0.6 x 0.6 =
    # 0.36, of which the two end strips cover 0.06 + 0.06 - 0.01 and the (0.4, 0.4) box
    # another 0.16 - 0.07: a gain of 0.36 - 0.2 = 0.16 under member 1, 0 under member 0
    measured = np.array(
        [[[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [1.0, 0.0], [0.3, 0.3]]]
    )
    noisy = acq.with_noisy_front(measured)
    assert noisy.ehvi(candidate) == pytest.approx([0.08])
    kept = [f.copy() for f in noisy.member_fronts]
    # greedy selection starts from the members' fronts too: against the labels' front the
    # third candidate gains nothing and comes last; against member 1's it gains and comes second
    z = certain([[0.83, 0.06], [0.83, 0.16], [0.38, 0.32]], members=2)
    assert acq.order(z, acq.score(z), 3).tolist() == [1, 0, 2]
    assert noisy.order(z, noisy.score(z), 3).tolist() == [1, 2, 0]
    for before, after in zip(kept, noisy.member_fronts):  # scoring and picking copy the fronts
        np.testing.assert_array_equal(before, after)
    with pytest.raises(ConfigError, match="2 member front"):
        noisy.ehvi(certain([[0.5, 0.5]], members=3))


@pytest.mark.parametrize(
    "measured, match",
    [
        (np.zeros((2, 0, 2)), "shape"),
        (np.zeros((2, 3, 3)), "shape"),
        (np.zeros((3, 2)), "shape"),
    ],
)
def test_noisy_front_refuses_malformed_samples(measured, match):
    with pytest.raises(ConfigError, match=match):
        acquisition().with_noisy_front(measured)
    with pytest.raises(TrainingError, match="non-finite"):  # the proxy's failure, not the user's
        acquisition().with_noisy_front(np.full((2, 3, 2), np.nan))


def test_run_round_scores_ehvi_against_the_members_predictions(monkeypatch):
    """--acquisition ehvi: the fronts come from the proxy at every measured sequence, those
    with one objective missing included."""
    space = SequenceSpace(DNA, 6, 6)
    seqs = space.random(40, np.random.default_rng(0))
    records = [
        (f"s{i}", q, {"a": float(q.count("A")), "b": float(q.count("C")) if i % 4 else np.nan})
        for i, q in enumerate(seqs)
    ]
    data = Dataset.from_records(records, ["a", "b"])
    seen: list[np.ndarray] = []
    scored: list[MultiObjectiveAcquisition] = []
    real_front, real_score = (
        MultiObjectiveAcquisition.with_noisy_front,
        MultiObjectiveAcquisition.score,
    )

    def spy_front(self, measured):
        seen.append(np.asarray(measured))
        return real_front(self, measured)

    def spy_score(self, z):
        scored.append(self)
        return real_score(self, z)

    monkeypatch.setattr(MultiObjectiveAcquisition, "with_noisy_front", spy_front)
    monkeypatch.setattr(MultiObjectiveAcquisition, "score", spy_score)
    settings = build_settings("fast", {}, {"acquisition": "ehvi", "generator": "exhaustive"})
    result = run_round(data, space, 5, settings, 0)
    assert len(result.table) == 5
    assert len(seen) == 1 and seen[0].shape == (settings.proxy.members, 40, 2)
    # normalized as the candidates are: the labels' measured range maps to about [0, 1]
    assert -0.5 < seen[0].min() < 0.5 < seen[0].max() < 1.5
    # and the round scored with the members' fronts, not the labels'
    assert scored and all(a.member_fronts is not None for a in scored)
    seen.clear()
    run_round(data, space, 5, build_settings("fast", {}, {"generator": "exhaustive"}), 0)
    assert seen == []  # ucb has no front to take


def test_proxy_mean_of_several_objectives_ignores_their_offsets():
    """proxy_mean is the mean of the standardized objectives: shifting one objective by a
    constant moves neither it nor the designs (it used to move by the shift / sd)."""
    space = SequenceSpace(DNA, 5, 5)
    seqs = space.random(40, np.random.default_rng(2))

    def data(shift: float) -> Dataset:
        return Dataset.from_records(
            [(f"s{i}", q, {"a": q.count("A") / 5, "b": shift + q.count("G") / 5})
             for i, q in enumerate(seqs)],
            ["a", "b"],
        )  # fmt: skip

    settings = build_settings("fast", {}, {"generator": "exhaustive"})
    base = run_round(data(0.0), space, 6, settings, 0).table
    moved = run_round(data(300.0), space, 6, settings, 0).table
    assert moved["sequence"].tolist() == base["sequence"].tolist()
    np.testing.assert_allclose(moved["proxy_mean"], base["proxy_mean"], atol=1e-3)
    assert (base["proxy_mean"].abs() < 10).all()
