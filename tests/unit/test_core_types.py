"""Alphabet, SequenceSpace, encoding, Dataset and metrics: the small core types."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from seqdesign.alphabet import DNA, PROTEIN, RNA, Alphabet, get_alphabet, infer_alphabet
from seqdesign.dataset import Dataset
from seqdesign.encoding import decode_tokens, encode_tokens, one_hot
from seqdesign.errors import ConfigError, InputError
from seqdesign.metrics import campaign_metrics, diversity, novelty, top_k_indices, top_k_mean
from seqdesign.space import SequenceSpace


def test_alphabets():
    assert DNA.letters == "ACGT" and RNA.letters == "ACGU" and len(PROTEIN) == 20
    assert get_alphabet("DNA") is DNA and get_alphabet("rna") is RNA
    with pytest.raises(ConfigError, match="unknown alphabet"):
        get_alphabet("xna")
    assert Alphabet("ab", "ab").letters == "AB"
    with pytest.raises(ConfigError):
        Alphabet("bad", "AAB")
    assert DNA.invalid_letters("ACGUX") == ["U", "X"]
    assert DNA.is_valid("ACGT") and not DNA.is_valid("") and not DNA.is_valid("acgt")


@pytest.mark.parametrize(
    "seqs,expected",
    [
        (["ACGT"], DNA),
        (["ACGU"], RNA),
        (["ACG"], None),
        (["ACGTU"], None),
        (["MKV"], PROTEIN),
        (["ACGT", "W"], PROTEIN),
        (["B"], None),
        ([], None),
    ],
)
def test_infer_alphabet(seqs, expected):
    assert infer_alphabet(seqs) is expected


def test_space_contains_size_and_random():
    space = SequenceSpace(DNA, 2, 3)
    assert space.size() == 16 + 64
    assert space.contains("ACG") and not space.contains("A") and not space.contains("ACGU")
    draws = space.random(4000, np.random.default_rng(0))
    assert all(space.contains(q) for q in draws)
    share_long = np.mean([len(q) == 3 for q in draws])
    assert share_long == pytest.approx(64 / 80, abs=0.03)  # lengths weighted by their counts
    assert space.random(5, np.random.default_rng(1)) == space.random(5, np.random.default_rng(1))
    assert SequenceSpace(PROTEIN, 100, 400).size() > 20**399  # a Python int, no overflow
    with pytest.raises(ConfigError):
        SequenceSpace(DNA, 0, 3)
    with pytest.raises(ConfigError):
        SequenceSpace(DNA, 4, 3)


def test_encoding():
    tokens = encode_tokens(["ACGT", "TG"], DNA, 5)
    assert tokens.tolist() == [[0, 1, 2, 3, 4], [3, 2, 4, 4, 4]]
    assert decode_tokens(tokens, DNA) == ["ACGT", "TG"]
    oh = one_hot(torch.as_tensor(tokens), 4)
    assert oh.shape == (2, 5, 4)
    assert oh[1, 2:].sum() == 0 and oh[0, :4].sum() == 4
    with pytest.raises(ValueError, match="longer"):
        encode_tokens(["ACGTA"], DNA, 4)
    with pytest.raises(ValueError, match="outside"):
        encode_tokens(["ACGU"], DNA, 4)
    assert encode_tokens([], DNA, 3).shape == (0, 3)


def test_dataset_from_records_subset_and_select():
    ds = Dataset.from_records(
        [("a", "AC", {"x": 1.0, "y": 2.0}), ("b", "GT", {"x": math.nan}), ("c", "AC", {"x": 3.0})]
    )
    assert ds.sequences == ["AC", "GT"] and ds.ids == ["a", "b"]
    assert ds.objectives == ("x", "y")
    assert ds.labels[0].tolist() == [2.0, 2.0]
    assert ds.counts.tolist() == [[2, 1], [0, 0]]
    assert ds.measured.tolist() == [True, False]
    sub = ds.subset(ds.measured)
    assert len(sub) == 1 and sub.sequences == ["AC"]
    only_y = ds.select_objectives(["y"])
    assert only_y.objectives == ("y",) and only_y.counts.tolist() == [[1], [0]]
    with pytest.raises(InputError, match="'z' not found"):
        ds.select_objectives(["z"])
    with pytest.raises(ValueError):
        Dataset(["A"], [], ("x",), np.zeros((1, 1)), np.zeros((1, 1), dtype=np.int64))


def test_dataset_check_fittable_names_the_source():
    rows = [("a", "AC", {"x": 1.0, "y": math.nan}), ("b", "GT", {"x": 2.0, "y": math.nan})]
    with pytest.raises(InputError, match=r"^lab.csv: objective 'y' has no value in any record"):
        Dataset.from_records(rows).check_fittable("lab.csv")
    one = Dataset.from_records([rows[0], ("b", "GT", {"x": math.nan, "y": math.nan})])
    with pytest.raises(InputError, match=r"^1 record\(s\) with a measurement; expected at least 2"):
        one.check_fittable()
    rows[1][2]["y"] = 5.0  # one value of y is enough
    Dataset.from_records(rows).check_fittable()


def test_metrics_by_hand():
    s = np.array([0.1, 0.9, 0.5, 0.9])
    assert top_k_indices(s, 2).tolist() == [1, 3]  # stable for ties
    assert top_k_mean(s, 2) == pytest.approx(0.9)
    assert top_k_mean(s, 10) == pytest.approx(0.6)
    assert math.isnan(top_k_mean(np.array([]), 3))
    assert diversity(["AAAA", "AATT", "TTTT"]) == pytest.approx((2 + 4 + 2) * 2 / 6)
    assert diversity(["AAAA"]) == 0.0
    assert novelty(["AAAA", "CCCC"], ["AAAT", "CCCC"]) == pytest.approx(0.5)
    assert math.isnan(novelty([], ["A"]))


def test_campaign_metrics_by_hand():
    proposed = ["AAAA", "CCCC", "AAAA", "GGGG", "TTTT"]  # AAAA twice; TTTT was in the start
    scores = np.array([0.2, 0.8, 0.2, 0.6, 1.0])
    m = campaign_metrics(proposed, scores, start=["TTTT", "ACGT"], k=2, limit=1.0)
    assert m["waste"] == 2.0  # the repeat and the start sequence
    assert m["top_k"] == pytest.approx(0.7)  # CCCC, GGGG
    assert m["max"] == pytest.approx(0.8)
    assert m["ratio_to_limit"] == pytest.approx(0.7)
    assert m["diversity"] == pytest.approx(4.0)
    assert m["novelty"] == pytest.approx(np.mean([3, 3]))  # CCCC, GGGG to their nearest start


def test_all_2mers_space_size_matches_enumeration():
    space = SequenceSpace(RNA, 1, 2)
    all_seqs = ["".join(t) for n in (1, 2) for t in itertools.product("ACGU", repeat=n)]
    assert space.size() == len(all_seqs) == 20
    assert set(space.random(2000, np.random.default_rng(0))) == set(all_seqs)
