"""The deep-ensemble proxy: shapes, the not-fitted error, held-out metrics, and uncertainty."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from seqdesign.alphabet import DNA
from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError, InputError, NotFittedError
from seqdesign.proxy.ensemble import DeepEnsemble, ProxySettings

L = 6
ALL = ["".join(t) for t in itertools.product("ACGT", repeat=L)]
WEIGHT = {"A": 1.0, "C": 0.6, "G": 0.3, "T": 0.0}
SMALL = ProxySettings(members=5, hidden=32, max_steps=300, eval_every=50)


def smooth(seq: str) -> float:
    """A smooth additive landscape over DNA 6-mers."""
    return sum(WEIGHT[c] * (1 + 0.1 * i) for i, c in enumerate(seq))


def distance_to_a(seq: str) -> int:
    return sum(c != "A" for c in seq)


NEAR = [q for q in ALL if distance_to_a(q) <= 2]  # 154 sequences around AAAAAA
FAR = [q for q in ALL if distance_to_a(q) == L]  # 729 sequences with no A at all


def dataset(seqs, fns=(smooth,)) -> Dataset:
    names = ["y", "y2", "y3"][: len(fns)]
    return Dataset.from_records(
        [(f"s{i}", q, {n: f(q) for n, f in zip(names, fns)}) for i, q in enumerate(seqs)]
    )


@pytest.fixture(scope="module")
def fitted() -> DeepEnsemble:
    return DeepEnsemble(SMALL).fit(dataset(NEAR), DNA, L, np.random.default_rng(0))


def test_not_fitted_error_before_fit():
    with pytest.raises(NotFittedError):
        DeepEnsemble(SMALL).posterior(["ACGTAC"])


def test_posterior_shapes_one_objective(fitted):
    post = fitted.posterior(FAR[:7])
    assert post.samples.shape == (5, 7, 1)
    assert post.mean.shape == post.std.shape == (7, 1)
    np.testing.assert_allclose(post.mean, post.samples.mean(axis=0))


def test_posterior_of_no_sequences_is_empty(fitted):
    assert fitted.posterior([]).samples.shape == (5, 0, 1)


def test_posterior_shapes_several_objectives_and_missing_labels():
    seqs = NEAR[:40]
    ds = dataset(seqs, (smooth, lambda q: q.count("C"), lambda q: -smooth(q)))
    labels = ds.labels.copy()
    labels[::3, 1] = np.nan  # some objectives not measured
    ds = Dataset(ds.sequences, ds.ids, ds.objectives, labels, (~np.isnan(labels)).astype(np.int64))
    proxy = DeepEnsemble(ProxySettings(members=3, hidden=16, max_steps=100)).fit(
        ds, DNA, L + 2, np.random.default_rng(1)
    )
    post = proxy.posterior(["ACG", "ACGTACGT", "TTTTTT"])  # shorter ones are padded
    assert post.samples.shape == (3, 3, 3)
    assert np.isfinite(post.samples).all()


def test_heldout_metrics_exist_and_are_finite(fitted):
    m = fitted.metrics_
    assert set(m) >= {"heldout_spearman", "heldout_coverage_2sd", "std_scale"}
    assert all(np.isfinite(v) for v in m.values()), m
    assert -1 <= m["heldout_spearman"] <= 1 and 0 <= m["heldout_coverage_2sd"] <= 1
    assert m["std_scale"] >= 1
    assert m["heldout_spearman"] > 0.8  # a smooth additive function is easy
    assert 1 <= fitted.steps_ <= SMALL.max_steps


def test_predictions_near_the_data_are_accurate(fitted):
    post = fitted.posterior(NEAR)
    truth = np.array([smooth(q) for q in NEAR])
    assert np.corrcoef(post.mean[:, 0], truth)[0, 1] > 0.95


def test_members_disagree_more_far_from_the_data(fitted):
    near_std = fitted.posterior(NEAR).std[:, 0]
    far_std = fitted.posterior(FAR).std[:, 0]
    mid = [q for q in ALL if distance_to_a(q) == 4]
    mid_std = fitted.posterior(mid).std[:, 0]
    assert far_std.mean() > 3 * near_std.mean(), (near_std.mean(), far_std.mean())
    assert near_std.mean() < mid_std.mean() < far_std.mean()


def test_same_seed_same_predictions():
    ds = dataset(NEAR[:30])
    s = ProxySettings(members=2, hidden=8, max_steps=30)
    a = DeepEnsemble(s).fit(ds, DNA, L, np.random.default_rng(5)).posterior(FAR[:10]).samples
    b = DeepEnsemble(s).fit(ds, DNA, L, np.random.default_rng(5)).posterior(FAR[:10]).samples
    c = DeepEnsemble(s).fit(ds, DNA, L, np.random.default_rng(6)).posterior(FAR[:10]).samples
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_too_few_measurements_and_bad_settings():
    with pytest.raises(InputError, match="at least 2 measured"):
        DeepEnsemble(SMALL).fit(dataset(NEAR[:1]), DNA, L, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="members"):
        DeepEnsemble(ProxySettings(members=1)).fit(
            dataset(NEAR[:5]), DNA, L, np.random.default_rng(0)
        )
    with pytest.raises(ConfigError, match="arch"):
        DeepEnsemble(ProxySettings(arch="nope")).fit(
            dataset(NEAR[:5]), DNA, L, np.random.default_rng(0)
        )


def test_small_data_has_no_folds_and_no_metrics():
    # fewer than 2 * members measured sequences: no held-out fold, no metrics, still a posterior
    proxy = DeepEnsemble(ProxySettings(members=5, hidden=8, max_steps=20)).fit(
        dataset(NEAR[:6]), DNA, L, np.random.default_rng(0)
    )
    assert proxy.metrics_ == {}
    assert proxy.posterior(FAR[:2]).samples.shape == (5, 2, 1)


def test_kmer_counts_by_hand():
    import torch

    from seqdesign.encoding import encode_tokens, one_hot
    from seqdesign.proxy.nets import kmer_counts, kmer_sizes

    x = one_hot(torch.as_tensor(encode_tokens(["ACGT", "CCCCC", "GA"], DNA, 5)), 4)  # padded
    singles = kmer_counts(x, 1).numpy()
    np.testing.assert_array_equal(singles, [[1, 1, 1, 1], [0, 5, 0, 0], [1, 0, 1, 0]])
    pairs = kmer_counts(x, 2).numpy()  # code = 4 * first + second (A, C, G, T = 0..3)
    assert {int(i): int(pairs[0, i]) for i in np.flatnonzero(pairs[0])} == {1: 1, 6: 1, 11: 1}
    assert {int(i): int(pairs[1, i]) for i in np.flatnonzero(pairs[1])} == {5: 4}
    assert {int(i): int(pairs[2, i]) for i in np.flatnonzero(pairs[2])} == {8: 1}
    assert kmer_counts(x, 6).sum() == 0  # no window fits
    assert kmer_sizes(4, 512) == [1, 2, 3, 4] and kmer_sizes(20, 512) == [1, 2]
    assert kmer_sizes(20, 10) == [1] and kmer_sizes(4, 0) == []


def motif_score(seq: str) -> float:
    """Binding-like: how often GAT or ATC occurs, wherever it is."""
    return float(sum(seq[i : i + 3] in ("GAT", "ATC") for i in range(len(seq) - 2)))


def test_kmer_features_generalize_a_motif_anywhere():
    """Trained where the motif sits at the start, only the k-mer proxy finds it elsewhere."""
    rng = np.random.default_rng(0)
    early = [q for q in ALL if "GAT" in q[:4] or "ATC" in q[:4]]
    train = list(rng.choice(early, 150, replace=False)) + list(rng.choice(ALL, 150, replace=False))
    late = [q for q in ALL if q[:3] not in ("GAT", "ATC") and q not in train]
    test = list(rng.choice(late, 600, replace=False))
    truth = [motif_score(q) for q in test]
    rho = {}
    for dims in (0, 64):
        settings = ProxySettings(members=3, hidden=32, max_steps=600, kmer_dims=dims)
        model = DeepEnsemble(settings).fit(
            dataset(train, (motif_score,)), DNA, L, np.random.default_rng(1)
        )
        rho[dims] = np.corrcoef(model.posterior(test).mean[:, 0], truth)[0, 1]  # most are 0: ties
    assert rho[64] > 0.9 and rho[64] > rho[0] + 0.2, rho  # measured: 0.97 against 0.52


def test_one_spread_scale_the_largest_any_objective_needs(monkeypatch):
    """Recalibration scales every objective's spread by what the worst-covered one needs, so
    the order of the objectives does not matter and none is left overconfident."""
    from seqdesign.proxy.ensemble import Posterior

    rng = np.random.default_rng(0)
    n = 40
    y = rng.normal(size=(n, 2))
    fold = np.arange(n) % 2
    # the members disagree alike on both objectives, but on objective 1 they share an error
    # their spread does not show: objective 1 needs the larger scale
    samples = np.repeat(y[None], 2, axis=0) + rng.normal(scale=0.1, size=(2, n, 2))
    samples[..., 1] += rng.normal(scale=1.0, size=n)

    def scale(cols: list[int]) -> float:
        proxy = DeepEnsemble(ProxySettings(members=2))
        proxy.std_scale_ = 1.0
        monkeypatch.setattr(proxy, "posterior", lambda seqs: Posterior(samples[..., cols]))
        proxy._heldout_metrics(["A"] * n, y[:, cols], fold)
        return proxy.std_scale_

    both, swapped, first, second = scale([0, 1]), scale([1, 0]), scale([0]), scale([1])
    assert both == swapped == max(first, second) == second > first
