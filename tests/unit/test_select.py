"""Batch selection: eligibility (valid, unseen, unique) and greedy diverse top-n."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqdesign.alphabet import DNA, PROTEIN
from seqdesign.distance import nearest, pairwise
from seqdesign.errors import SpaceTooSmallError
from seqdesign.select import SelectionSettings, eligible, select_diverse
from seqdesign.space import SequenceSpace

SPACE4 = SequenceSpace(DNA, 4, 4)


def test_eligible_drops_invalid_seen_and_duplicates_and_sorts_best_first():
    cands = ["AAAA", "CCCC", "AAAA", "GGGG", "ACGU", "ACG", "TTTT", "ACGTA", "GGGG"]
    scores = np.array([1.0, 5.0, 3.0, 2.0, 9.0, 9.0, 4.0, 9.0, 0.5])
    seqs, sc = eligible(cands, scores, SPACE4, exclude={"TTTT"})
    assert seqs == ["CCCC", "AAAA", "GGGG"]  # ACGU: bad letter, ACG/ACGTA: bad length, TTTT: seen
    assert sc.tolist() == [5.0, 3.0, 2.0]  # the best score of a duplicate is kept


def test_eligible_breaks_ties_by_sequence():
    seqs, _ = eligible(["TTTT", "AAAA", "CCCC"], np.zeros(3), SPACE4, exclude=set())
    assert seqs == ["AAAA", "CCCC", "TTTT"]


def test_select_diverse_raises_when_too_few_candidates():
    with pytest.raises(SpaceTooSmallError, match="only 2 eligible candidates for a batch of 3"):
        select_diverse(["AAAA", "CCCC"], np.array([2.0, 1.0]), 3, 2)


def test_select_diverse_honours_min_distance_when_possible():
    # best first: the 2nd and 3rd are one mutation from the 1st
    seqs = ["AAAA", "AAAC", "AACA", "CCCC", "GGGG", "AAGG"]
    picks = select_diverse(seqs, np.arange(6.0)[::-1], 3, 3)
    assert [seqs[i] for i in picks] == ["AAAA", "CCCC", "GGGG"]


def test_select_diverse_relaxes_only_as_far_as_needed():
    seqs = ["AAAA", "AAAC", "AACC", "CCCC"]  # chain with steps of 1, 1, 2 (AAAA-CCCC: 4)
    picks = select_diverse(seqs, np.array([4.0, 3.0, 2.0, 1.0]), 3, 4)
    # d=4: AAAA, CCCC; d=3: none; d=2: AACC (2 from both); AAAC (1 from AAAA) never needed
    assert [seqs[i] for i in picks] == ["AAAA", "CCCC", "AACC"]
    # every candidate needed: all taken, d relaxed down to 1
    picks = select_diverse(seqs, np.array([4.0, 3.0, 2.0, 1.0]), 4, 4)
    assert sorted(picks) == [0, 1, 2, 3]


def test_select_diverse_with_min_distance_one_is_plain_top_n():
    seqs = ["AAAA", "AAAC", "AACA", "CCCC"]
    assert select_diverse(seqs, np.array([4.0, 3.0, 2.0, 1.0]), 3, 1) == [0, 1, 2]
    assert select_diverse(seqs, np.array([4.0, 3.0, 2.0, 1.0]), 3, 0) == [0, 1, 2]


def test_select_diverse_variable_length_uses_levenshtein():
    seqs = ["ACGT", "ACGTA", "TTTTTT", "CCCC"]  # ACGT -> ACGTA is one insertion
    picks = select_diverse(seqs, np.array([4.0, 3.0, 2.0, 1.0]), 3, 2)
    assert [seqs[i] for i in picks] == ["ACGT", "TTTTTT", "CCCC"]


def greedy_reference(seqs: list[str], n: int, d0: int) -> list[int]:
    """The documented rule, written plainly: passes at d = d0, d0-1, ..., 1 in score order."""
    picks: list[int] = []
    for d in range(max(d0, 1), 0, -1):
        for i, q in enumerate(seqs):
            if len(picks) == n:
                return picks
            if i in picks:
                continue
            if all(sum(a != b for a, b in zip(q, seqs[j])) >= d for j in picks):
                picks.append(i)
    return picks


@settings(max_examples=150)
@given(
    st.lists(
        st.text(st.sampled_from("ACGT"), min_size=5, max_size=5),
        min_size=1,
        max_size=40,
        unique=True,
    ),
    st.integers(1, 40),
    st.integers(0, 6),
)
def test_select_diverse_matches_the_documented_greedy_rule(seqs, n, d0):
    n = min(n, len(seqs))
    picks = select_diverse(seqs, np.linspace(1, 0, len(seqs)), n, d0)
    assert len(picks) == n == len(set(picks))
    assert picks == greedy_reference(seqs, n, d0)
    # min_distance is honoured whenever one pass at it can fill the batch
    if len(greedy_reference_strict(seqs, d0)) >= n:
        d = pairwise([seqs[i] for i in picks], [seqs[i] for i in picks])
        assert (d[~np.eye(n, dtype=bool)] >= max(d0, 1)).all()


def greedy_reference_strict(seqs: list[str], d: int) -> list[int]:
    picks: list[int] = []
    for i, q in enumerate(seqs):
        if all(sum(a != b for a, b in zip(q, seqs[j])) >= d for j in picks):
            picks.append(i)
    return picks


def test_selection_settings_resolve():
    assert SelectionSettings().resolve(SequenceSpace(DNA, 8, 8)) == 2
    assert SelectionSettings().resolve(SequenceSpace(PROTEIN, 50, 60)) == 6
    assert SelectionSettings(min_distance=5).resolve(SequenceSpace(DNA, 8, 8)) == 5


def test_pairwise_and_nearest():
    a, b = ["AAAA", "ACGT"], ["AAAA", "TTTT", "ACGA"]
    assert pairwise(a, b).tolist() == [[0, 4, 2], [3, 3, 1]]
    assert nearest(a, b).tolist() == [0, 1]
    assert pairwise(["ACGT"], ["ACGTT", "CGT"]).tolist() == [[1, 1]]  # Levenshtein
    assert pairwise([], b).shape == (0, 3)


def test_pairwise_is_exhaustive_on_a_small_space():
    all3 = ["".join(t) for t in itertools.product("ACGT", repeat=3)]
    d = pairwise(all3, all3)
    ref = np.array([[sum(x != y for x, y in zip(p, q)) for q in all3] for p in all3])
    np.testing.assert_array_equal(d, ref)
