"""The model-free baselines: valid, unseen, distinct proposals; evolution stays near its parents."""

from __future__ import annotations

import numpy as np
import pytest

from seqdesign.alphabet import DNA, PROTEIN
from seqdesign.baselines import propose_model_free
from seqdesign.dataset import Dataset
from seqdesign.distance import nearest
from seqdesign.errors import ConfigError, SpaceTooSmallError
from seqdesign.space import SequenceSpace


def _data(seqs, ys):
    return Dataset.from_records(
        [(f"s{i}", q, {"y": float(y)}) for i, (q, y) in enumerate(zip(seqs, ys))], ["y"]
    )


@pytest.mark.parametrize("method", ["random", "evolution", "nsga2-free"])
def test_proposals_are_valid_unseen_and_distinct(method):
    space = SequenceSpace(DNA, 6, 6)
    rng = np.random.default_rng(0)
    seqs = space.random(60, rng)
    data = _data(seqs, rng.random(len(seqs)))
    res = propose_model_free(method, data, space, 40, np.random.default_rng(1), round_index=3)
    out = res.table["sequence"].tolist()
    assert len(out) == 40 == len(set(out))
    assert not set(out) & set(data.sequences)
    assert all(space.contains(q) for q in out)
    assert res.table["id"].iloc[0] == "sd_r3_0001"


def test_evolution_children_descend_from_the_best():
    space = SequenceSpace(PROTEIN, 30, 30)
    rng = np.random.default_rng(0)
    seqs = space.random(100, rng)
    ys = np.arange(100.0)  # the last 10 are the top 10%
    res = propose_model_free("evolution", _data(seqs, ys), space, 50, np.random.default_rng(2))
    out = res.table["sequence"].tolist()
    top = seqs[90:]
    # uniform crossover of two top parents + ~1 mutation: every letter comes from a parent
    # except a few; random sequences would share ~1/20 of letters with the nearest parent.
    d = nearest(out, top)
    assert np.median(d) < 20
    d_random = nearest(space.random(50, np.random.default_rng(3)), top)
    assert np.median(d) < np.median(d_random) - 3


@pytest.mark.parametrize("maximize", [True, False])
def test_nsga2_free_breeds_from_the_measured_front(maximize):
    from seqdesign.loop import Objective

    space = SequenceSpace(PROTEIN, 30, 30)
    seqs = space.random(100, np.random.default_rng(0))
    # the first 10 trade one objective for the other; the other 90 sit below them all
    ys = [(float(i), float(9 - i)) for i in range(10)] + [(-1.0, -1.0)] * 90
    data = Dataset.from_records(
        [(f"s{i}", q, {"a": y[0], "b": y[1]}) for i, (q, y) in enumerate(zip(seqs, ys))],
        ["a", "b"],
    )
    objectives = [Objective("a", maximize), Objective("b", maximize)]
    res = propose_model_free(
        "nsga2-free", data, space, 10, np.random.default_rng(2), objectives=objectives
    )
    out = res.table["sequence"].tolist()
    assert len(out) == 10 == len(set(out)) and not set(out) & set(seqs)
    # the population is the 10 best front by front: the trade-off set when maximized, 10 of
    # the others when minimized; crossover of two parents + ~1 mutation stays near them
    d = np.median(nearest(out, seqs[:10]))
    if maximize:
        assert d < 20
    else:
        assert d >= 25


def test_minimized_objectives_choose_the_other_end():
    space = SequenceSpace(DNA, 12, 12)
    rng = np.random.default_rng(0)
    good = ["A" * 12, "A" * 11 + "C"]
    seqs = good + space.random(18, rng)  # top 10% of 20: the two A-rich ones
    ys = [0.0, 0.0] + [10.0] * 18
    from seqdesign.loop import Objective

    res = propose_model_free(
        "evolution",
        _data(seqs, ys),
        space,
        10,
        np.random.default_rng(1),
        objectives=[Objective("y", maximize=False)],
    )
    # the best (lowest) are the A-rich pair: children are mostly A
    assert np.mean([q.count("A") for q in res.table["sequence"]]) > 9


def test_a_nearly_exhausted_space_is_filled_then_refused():
    space = SequenceSpace(DNA, 3, 3)  # 64 sequences
    all_seqs = space.enumerate()
    data = _data(all_seqs[:60], np.arange(60.0))
    res = propose_model_free("evolution", data, space, 4, np.random.default_rng(0))
    assert sorted(res.table["sequence"]) == sorted(all_seqs[60:])
    with pytest.raises(SpaceTooSmallError):
        propose_model_free("random", data, space, 5, np.random.default_rng(0))


def test_unknown_method():
    space = SequenceSpace(DNA, 4, 4)
    with pytest.raises(ConfigError, match="magic"):
        propose_model_free(
            "magic", _data(["ACGT", "AAAA"], [1, 2]), space, 1, np.random.default_rng(0)
        )
