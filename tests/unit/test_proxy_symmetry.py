"""Reverse-complement invariance of the proxy: built in when asked, chosen by the data on auto."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from seqdesign.alphabet import DNA, PROTEIN, RNA
from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError
from seqdesign.loop import one_strand
from seqdesign.motifs import reverse_complement
from seqdesign.proxy.ensemble import DeepEnsemble, ProxySettings
from seqdesign.space import SequenceSpace

L = 6
ALL = ["".join(t) for t in itertools.product("ACGT", repeat=L)]
SETTINGS = ProxySettings(members=5, hidden=32, max_steps=400, eval_every=50)
POS = np.linspace(1.0, 2.0, L)


def one_strand_score(seq: str) -> float:
    """Position-weighted A and C content: the two strands of one molecule score differently."""
    return float(sum(w * (c == "A") + 0.5 * w * (c == "C") for w, c in zip(POS, seq)))


def both_strands_score(seq: str) -> float:
    """The same read on both strands and added: a duplex's score, equal for x and rc(x)."""
    return one_strand_score(seq) + one_strand_score(reverse_complement(seq, DNA))


def data(seqs: list[str], fn) -> Dataset:
    return Dataset.from_records([(f"s{i}", q, {"y": fn(q)}) for i, q in enumerate(seqs)])


def sample(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [ALL[i] for i in rng.choice(len(ALL), size=n, replace=False)]


def test_forced_invariance_predicts_both_strands_alike():
    settings = dataclasses.replace(SETTINGS, symmetry="reverse-complement")
    proxy = DeepEnsemble(settings).fit(
        data(sample(120, 0), one_strand_score), DNA, L, np.random.default_rng(0)
    )
    queries = sample(50, 1)
    a = proxy.posterior(queries).samples
    b = proxy.posterior([reverse_complement(q, DNA) for q in queries]).samples
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert proxy.symmetric_ and proxy.metrics_["reverse_complement"] == 1.0


@pytest.mark.parametrize("seed", [0, 1])
def test_auto_follows_the_data(seed):
    seqs = sample(300, 10 + seed)
    auto = dataclasses.replace(SETTINGS, symmetry="auto")
    duplex = DeepEnsemble(auto).fit(
        data(seqs, both_strands_score), DNA, L, np.random.default_rng(seed)
    )
    strand = DeepEnsemble(auto).fit(
        data(seqs, one_strand_score), DNA, L, np.random.default_rng(seed)
    )
    assert duplex.symmetric_ and duplex.metrics_["reverse_complement"] == 1.0
    assert not strand.symmetric_ and strand.metrics_["reverse_complement"] == 0.0
    # the plain fit on one strand is not invariant
    q = ["AAACCA"]
    assert not np.allclose(
        strand.posterior(q).mean, strand.posterior([reverse_complement(q[0], DNA)]).mean
    )


def test_a_sequence_and_its_reverse_complement_share_a_fold():
    seqs = sample(60, 2)
    seqs += [reverse_complement(q, DNA) for q in seqs[:30]]
    proxy = DeepEnsemble(SETTINGS)
    proxy.alphabet_ = DNA
    fold = proxy._folds(seqs, np.random.default_rng(0), grouped=True)
    where = dict(zip(seqs, fold))
    assert all(where[q] == where[reverse_complement(q, DNA)] for q in seqs[:30])
    assert set(fold) == set(range(SETTINGS.members))


def test_other_alphabets_read_as_they_are():
    rna = ["".join(t) for t in itertools.product("ACGU", repeat=4)][:60]
    proxy = DeepEnsemble(SETTINGS).fit(
        Dataset.from_records([(f"s{i}", q, {"y": float(q.count("A"))}) for i, q in enumerate(rna)]),
        RNA,
        4,
        np.random.default_rng(0),
    )
    assert not proxy.symmetric_ and "reverse_complement" not in proxy.metrics_
    forced = dataclasses.replace(SETTINGS, symmetry="reverse-complement")
    with pytest.raises(ConfigError, match="DNA"):
        DeepEnsemble(forced).fit(
            Dataset.from_records([("p", "MKV", {"y": 1.0}), ("q", "MKL", {"y": 2.0})]),
            PROTEIN,
            3,
            np.random.default_rng(0),
        )
    with pytest.raises(ConfigError, match="symmetry"):
        DeepEnsemble(dataclasses.replace(SETTINGS, symmetry="mirror")).fit(
            data(sample(20, 0), one_strand_score), DNA, L, np.random.default_rng(0)
        )


def test_one_strand_drops_designs_already_made():
    space = SequenceSpace(DNA, 4, 4)
    seen = {"AACG"}  # its reverse complement is CGTT
    pool = ["CGTT", "ACGT", "GGCA", "TGCC", "AAAA"]  # ACGT is its own; TGCC is GGCA's
    scores = np.arange(5.0)[::-1].copy()
    kept, kept_scores = one_strand(pool, scores, seen, space, 3)
    assert kept == ["ACGT", "GGCA", "AAAA"]
    np.testing.assert_array_equal(kept_scores, [3.0, 2.0, 0.0])
    # fewer than n would be left: every candidate stays (the batch size is a promise)
    kept, _ = one_strand(pool, scores, seen, space, 4)
    assert kept == pool


@pytest.mark.parametrize(
    ("symmetry", "grouped"), [("auto", True), ("reverse-complement", True), ("none", False)]
)
def test_folds_are_grouped_whenever_an_invariant_fit_runs(symmetry, grouped, monkeypatch):
    calls = []
    real = DeepEnsemble._folds

    def spy(self, seqs, rng, grouped):  # type: ignore[no-untyped-def]
        calls.append(grouped)
        return real(self, seqs, rng, grouped)

    monkeypatch.setattr(DeepEnsemble, "_folds", spy)
    settings = dataclasses.replace(SETTINGS, symmetry=symmetry, max_steps=50)
    DeepEnsemble(settings).fit(
        data(sample(40, 3), one_strand_score), DNA, L, np.random.default_rng(0)
    )
    assert calls == [grouped]  # drawn once, shared by every fit
