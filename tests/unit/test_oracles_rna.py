"""The RNA-binding oracles: targets, normalization, and the optional ViennaRNA extra."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from seqdesign.alphabet import RNA as RNA_ALPHABET
from seqdesign.errors import InputError, MissingExtraError
from seqdesign.oracles import get_oracle
from seqdesign.oracles.rna_binding import TARGETS, make_target, reverse_complement


def test_targets_are_regenerated_from_the_seed():
    for length, target in TARGETS.items():
        assert make_target(length) == target
        assert len(target) == length and RNA_ALPHABET.is_valid(target)
    assert make_target(14, seed=1) != TARGETS[14]


def test_reverse_complement():
    assert reverse_complement("AACGU") == "ACGUU"
    assert reverse_complement(reverse_complement(TARGETS[50])) == TARGETS[50]


@pytest.mark.parametrize("name", ["rna-binding-14", "rna-binding-50", "rnapair-14"])
def test_missing_vienna_names_the_extra(monkeypatch, name):
    monkeypatch.setitem(sys.modules, "RNA", None)  # `import RNA` now raises ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'seqdesign\[rna\]'"):
        get_oracle(name)


def test_listing_imports_neither_vienna_nor_sklearn():
    import subprocess

    code = (
        "import sys; from seqdesign.oracles import available; available(); "
        "print(sorted(m for m in ('RNA', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def vienna():
    return pytest.importorskip("RNA")


@pytest.mark.parametrize("length", [14, 50])
def test_perfect_complement_scores_one_and_poly_a_low(vienna, length):
    oracle = get_oracle(f"rna-binding-{length}")
    target = TARGETS[length]
    assert oracle.target == target and oracle.space.min_len == oracle.space.max_len == length
    assert oracle.best_energy == vienna.duplexfold(reverse_complement(target), target).energy < 0
    s = oracle([reverse_complement(target), "A" * length, target])[:, 0]
    assert s[0] == pytest.approx(1.0)
    assert s[1] < 0.1
    assert 0 <= s[2] < 1


def test_known_energies(vienna):
    # ViennaRNA >= 2.6 defaults (Turner 2004, 37 C): the 14-nt target's perfect duplex
    oracle = get_oracle("rna-binding-14")
    assert oracle.best_energy == pytest.approx(-25.1, abs=0.05)
    # a poly-A target: poly-U pairs perfectly, poly-A cannot pair at all (no duplex: score 0)
    from seqdesign.oracles import RNABindingOracle

    poly = RNABindingOracle("A" * 14)
    np.testing.assert_array_equal(poly(["U" * 14, "A" * 14])[:, 0], [1.0, 0.0])


def test_scores_match_the_energy_formula_and_starts(vienna):
    oracle = get_oracle("rna-binding-14")
    starts = oracle.sample_start(200, np.random.default_rng(0))
    assert len(set(starts)) == 200
    scores = oracle(starts)[:, 0]
    energies = np.array([vienna.duplexfold(s, TARGETS[14]).energy for s in starts])
    np.testing.assert_allclose(scores, np.maximum(energies / oracle.best_energy, 0.0))
    assert ((scores >= 0) & (scores < 1)).all() and oracle.calls == 200
    assert oracle.top_k_mean(10) is None  # 4**14 sequences: not enumerated


def test_validation(vienna):
    oracle = get_oracle("rna-binding-14")
    with pytest.raises(InputError, match="length 13"):
        oracle(["A" * 13])
    with pytest.raises(InputError, match="'T'"):
        oracle(["T" * 14])


def test_the_shipped_variant_is_regenerated_from_the_seed():
    from seqdesign.oracles.rna_pair import SUBSTITUTIONS, VARIANTS, make_variant

    for length, variant in VARIANTS.items():
        target = TARGETS[length]
        assert make_variant(target) == variant
        assert sum(a != b for a, b in zip(target, variant)) == SUBSTITUTIONS
    assert make_variant(TARGETS[14], seed=1) != VARIANTS[14]


def test_rna_pair_trades_binding_the_target_for_avoiding_the_variant(vienna):
    from seqdesign.oracles.rna_pair import VARIANTS

    oracle = get_oracle("rnapair-14")
    assert oracle.objectives == ("bind_target", "avoid_variant")
    np.testing.assert_array_equal(oracle.reference_point(), [0.5, 0.5])
    best_for_target, best_for_variant = (
        reverse_complement(TARGETS[14]),
        reverse_complement(VARIANTS[14]),
    )
    y = oracle([best_for_target, best_for_variant])
    single = get_oracle("rna-binding-14")([best_for_target, best_for_variant])[:, 0]
    np.testing.assert_allclose(y[:, 0], single)  # the same score as rna-binding-14
    assert y[0, 0] == pytest.approx(1.0) and 0.3 < y[0, 1] < 0.6  # binds, but not specific
    assert y[1, 1] == 0.0  # pairs perfectly with the variant
    starts = oracle.sample_start(300, np.random.default_rng(0))
    scores = oracle(starts)
    assert (scores[:, 0] >= 0).all() and (scores[:, 1] <= 1).all()  # the scores' clipped sides
    assert np.corrcoef(scores.T)[0, 1] < 0  # binding one means binding the other
