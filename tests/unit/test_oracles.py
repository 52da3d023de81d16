"""Tests of the Oracle interface, the TFBind8 oracles and the oracle registry."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
from importlib.resources import files

import numpy as np
import pytest

from seqdesign.alphabet import DNA
from seqdesign.errors import ConfigError, InputError, SeqDesignError, SpaceTooSmallError
from seqdesign.oracles import OracleInfo, available, get_oracle, register
from seqdesign.oracles.base import Oracle
from seqdesign.oracles.tf_binding import TFBindingOracle, kmer_indices, kmers_of, shipped_tfs
from seqdesign.space import SequenceSpace

SHIPPED = ["CRX_REF_R1", "FOXC1_REF_R1", "KLF1_REF_R1", "PAX6_REF_R1", "SIX6_REF_R1"]
ALL_8MERS = ["".join(t) for t in itertools.product("ACGT", repeat=8)]
_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def revcomp(seq: str) -> str:
    return seq.translate(_COMPLEMENT)[::-1]


def raw_escores(tf: str) -> dict[str, float]:
    """E-score of every 8-mer read straight from the shipped file, independently of the oracle."""
    path = files("seqdesign.data").joinpath("tf_binding", f"{tf}_8mers.txt.gz")
    text = gzip.decompress(path.read_bytes()).decode("ascii")
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    assert rows[0] == ["8-mer", "8-mer", "E-score", "Median", "Z-score"]
    out: dict[str, float] = {}
    for kmer, rc, escore, _median, _z in rows[1:]:
        out[kmer] = out[rc] = float(escore)
    return out


@pytest.fixture(scope="module")
def six6_raw() -> dict[str, float]:
    return raw_escores("SIX6_REF_R1")


@pytest.fixture()
def six6() -> TFBindingOracle:
    return TFBindingOracle("SIX6_REF_R1")


class CountG(Oracle):
    """A toy oracle on DNA of length 1-3: the number of G's, and minus the length."""

    def __init__(self, max_len: int = 3) -> None:
        super().__init__("count-g", SequenceSpace(DNA, 1, max_len), ("g", "short"))

    def _evaluate(self, seqs: list[str]) -> np.ndarray:
        return np.array([[s.count("G"), -len(s)] for s in seqs], dtype=float)


class WrongShape(CountG):
    def _evaluate(self, seqs: list[str]) -> np.ndarray:
        return np.zeros(len(seqs))


# --- data ------------------------------------------------------------------------------------


def test_shipped_tfs() -> None:
    assert shipped_tfs() == SHIPPED


@pytest.mark.parametrize("tf", SHIPPED)
def test_file_covers_every_8mer(tf: str) -> None:
    assert len(raw_escores(tf)) == 4**8


def test_index_round_trip() -> None:
    idx = kmer_indices(ALL_8MERS)
    assert np.array_equal(idx, np.arange(4**8))
    assert kmers_of(idx) == ALL_8MERS
    assert kmer_indices(["AAAAAAAC", "CAAAAAAA", "TTTTTTTT"]).tolist() == [1, 4**7, 4**8 - 1]


# --- TFBind8 scores --------------------------------------------------------------------------


def test_known_values(six6: TFBindingOracle, six6_raw: dict[str, float]) -> None:
    lo, hi = min(six6_raw.values()), max(six6_raw.values())
    best = max(six6_raw, key=six6_raw.__getitem__)
    seqs = ["AAAAAAAA", "ACGTACGT", "GATTACAA", revcomp("GATTACAA"), best]
    expected = [(six6_raw[s] - lo) / (hi - lo) for s in seqs]
    scores = six6(seqs)
    assert scores.shape == (5, 1) and scores.dtype == np.float64
    np.testing.assert_allclose(scores[:, 0], expected, rtol=0, atol=1e-12)
    # two values written out, so a change of normalization cannot hide in both sides
    assert six6_raw["AAAAAAAA"] == pytest.approx(0.03)
    assert scores[0, 0] == pytest.approx((0.03 + 0.47907) / (0.49105 + 0.47907))
    assert scores[4, 0] == 1.0


@pytest.mark.parametrize("tf", SHIPPED)
def test_min_max_over_the_space(tf: str) -> None:
    scores = TFBindingOracle(tf)(ALL_8MERS)[:, 0]
    assert scores.min() == 0.0 and scores.max() == 1.0
    raw = raw_escores(tf)
    e = np.array([raw[s] for s in ALL_8MERS])
    np.testing.assert_allclose(scores, (e - e.min()) / (e.max() - e.min()), rtol=0, atol=1e-12)


def test_reverse_complement_symmetry(six6: TFBindingOracle) -> None:
    rng = np.random.default_rng(1)
    seqs = [ALL_8MERS[i] for i in rng.choice(4**8, size=500, replace=False)]
    assert np.array_equal(six6(seqs), six6([revcomp(s) for s in seqs]))


def test_landscape_matches_calls(six6: TFBindingOracle) -> None:
    seqs, scores = six6.landscape()
    assert seqs == ALL_8MERS and scores.shape == (4**8, 1)
    assert np.array_equal(scores, six6(seqs))


# --- validation and cost ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "found"),
    [("ACGTACGN", "'N'"), ("ACGTACG", "length 7"), ("ACGTACGTA", "length 9"), ("acgtacgt", "'a'")],
)
def test_invalid_sequence_names_index(six6: TFBindingOracle, bad: str, found: str) -> None:
    with pytest.raises(InputError, match=r"index 2\b") as err:
        six6(["ACGTACGT", "TTTTTTTT", bad, "ACGTACGX"])
    assert found in str(err.value) and "length 8" in str(err.value)
    assert six6.calls == 0  # a rejected batch costs nothing


def test_rejects_bare_string_and_non_str(six6: TFBindingOracle) -> None:
    with pytest.raises(InputError, match="single str"):
        six6("ACGTACGT")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="index 1.*int"):
        six6(["ACGTACGT", 7])  # type: ignore[list-item]
    with pytest.raises(InputError, match="index 0"):
        six6([""])


def test_cost_counter(six6: TFBindingOracle) -> None:
    assert six6.calls == 0
    six6(["ACGTACGT"] * 3)
    six6(("AAAAAAAA", "CCCCCCCC"))
    assert six6.calls == 5
    assert six6([]).shape == (0, 1)
    six6.landscape(), six6.top_k_mean(10), six6.sample_start(10, np.random.default_rng(0))
    assert six6.calls == 5  # looking at the landscape is free
    assert get_oracle("tfbind8").calls == 0  # each lookup builds a fresh oracle


# --- starting data ---------------------------------------------------------------------------


def test_sample_start_bottom_half(six6: TFBindingOracle) -> None:
    scores = six6(ALL_8MERS)[:, 0]
    median = np.median(scores)
    bottom = {s for s, v in zip(ALL_8MERS, scores, strict=True) if v <= median}
    assert 4**8 // 2 <= len(bottom) <= 4**8 // 2 + 10
    start = six6.sample_start(2000, np.random.default_rng(0))
    assert len(start) == 2000 == len(set(start))
    assert set(start) <= bottom
    assert six6(start).max() <= median


def test_sample_start_deterministic(six6: TFBindingOracle) -> None:
    a = six6.sample_start(200, np.random.default_rng(7))
    b = TFBindingOracle("SIX6_REF_R1").sample_start(200, np.random.default_rng(7))
    c = six6.sample_start(200, np.random.default_rng(8))
    assert a == b and a != c


def test_sample_start_limits(six6: TFBindingOracle) -> None:
    assert six6.sample_start(0, np.random.default_rng(0)) == []
    with pytest.raises(SpaceTooSmallError, match="bottom half"):
        six6.sample_start(4**8, np.random.default_rng(0))
    with pytest.raises(ConfigError):
        six6.sample_start(-1, np.random.default_rng(0))


# --- top-k -----------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 10, 128, 4**8])
def test_top_k_mean_brute_force(six6: TFBindingOracle, six6_raw: dict[str, float], k: int) -> None:
    e = np.sort(np.array(list(six6_raw.values())))[::-1]
    brute = ((e[:k] - e.min()) / (e.max() - e.min())).mean()
    assert six6.top_k_mean(k) == pytest.approx(brute, abs=1e-12)


def test_top_k_mean_bad_k(six6: TFBindingOracle) -> None:
    for k in (0, 4**8 + 1):
        with pytest.raises(ConfigError):
            six6.top_k_mean(k)


# --- the base class's defaults ---------------------------------------------------------------


def test_base_defaults_on_a_toy_space() -> None:
    oracle = CountG()
    seqs, scores = oracle.landscape()  # type: ignore[misc]
    assert len(seqs) == 4 + 16 + 64 == len(set(seqs)) and scores.shape == (84, 2)
    assert oracle.top_k_mean(5) == pytest.approx(np.mean([3, 2, 2, 2, 2]))
    assert oracle.calls == 0
    start = oracle.sample_start(84, np.random.default_rng(3))
    assert sorted(start) == sorted(seqs)
    a, b = (oracle.sample_start(20, np.random.default_rng(5)) for _ in range(2))
    assert a == b and len(set(a)) == 20
    with pytest.raises(SpaceTooSmallError):
        oracle.sample_start(85, np.random.default_rng(0))
    assert oracle(["G", "GGA"]).tolist() == [[1, -1], [2, -3]]


def test_base_large_space_and_shape_check() -> None:
    big = CountG(max_len=30)
    assert big.landscape() is None and big.top_k_mean(10) is None
    start = big.sample_start(50, np.random.default_rng(0))
    assert len(set(start)) == 50 and all(big.space.contains(s) for s in start)
    with pytest.raises(SeqDesignError, match="shape"):
        WrongShape()(["ACG"])


# --- registry --------------------------------------------------------------------------------


def test_registry_names() -> None:
    infos = {info.name: info for info in available()}
    assert {f"tfbind8-{tf}" for tf in SHIPPED} | {"tfbind8"} <= set(infos)
    info = infos["tfbind8-PAX6_REF_R1"]
    assert (info.alphabet, info.min_len, info.max_len) == ("dna", 8, 8)
    assert info.objectives == ("binding",) and "Barrera" in info.source
    assert infos["tfbind8"].alias_of == "tfbind8-SIX6_REF_R1"
    for tf in SHIPPED:
        oracle = get_oracle(f"tfbind8-{tf}")
        assert oracle.name == f"tfbind8-{tf}" and oracle.objectives == ("binding",)


def test_alias_is_six6(six6: TFBindingOracle) -> None:
    oracle = get_oracle("tfbind8")
    assert oracle.name == "tfbind8-SIX6_REF_R1"
    assert np.array_equal(oracle(ALL_8MERS[:1000]), six6(ALL_8MERS[:1000]))
    assert get_oracle("TFBIND8-pax6_ref_r1").name == "tfbind8-PAX6_REF_R1"


def test_unknown_name() -> None:
    with pytest.raises(ConfigError, match="unknown oracle 'nope'.*tfbind8-SIX6_REF_R1"):
        get_oracle("nope")
    with pytest.raises(ConfigError, match="SIX6_REF_R1"):
        TFBindingOracle("NOPE_REF_R1")


def test_register_refuses_duplicates() -> None:
    info = OracleInfo("tfbind8", "dna", 8, 8, ("binding",), "test")
    with pytest.raises(ConfigError, match="already registered"):
        register(info, CountG)
