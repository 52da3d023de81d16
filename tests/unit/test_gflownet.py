"""The GFlowNet learns R(x)/Z (checked exactly on an enumerable space), and the generator behaves.

THE correctness test enumerates every sequence of a small space and checks that the policy's
exact terminal distribution P_T(x) (the product of its action probabilities along x's unique
trajectory, STOP included) is within L1 distance ``L1_TOL`` of R(x)/Z, for TB and SubTB.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from seqdesign.alphabet import DNA
from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError, NotFittedError, TrainingError
from seqdesign.generators.gfn import GFlowNetGenerator
from seqdesign.gflownet import sampler
from seqdesign.gflownet.policy import build_policy
from seqdesign.gflownet.sampler import sample_trajectories, trajectory_log_pf
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.gflownet.tokens import decode, encode
from seqdesign.gflownet.trainer import train_policy
from seqdesign.space import SequenceSpace

# L1 measured over seeds 0-4 (600 steps, MLP): TB 0.007-0.009, SubTB 0.035-0.042; transformer
# (300 steps): TB 0.007-0.012. The tolerance leaves more than a factor 2 of margin.
L1_TOL = 0.1
ENUM_SPACE = SequenceSpace(DNA, 2, 4)  # 16 + 64 + 256 = 336 sequences


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models gain nothing from 2 threads, and oversubscribed OpenMP can stall for minutes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def enumerate_space(space: SequenceSpace) -> list[str]:
    letters = space.alphabet.letters
    return [
        "".join(p)
        for n in range(space.min_len, space.max_len + 1)
        for p in itertools.product(letters, repeat=n)
    ]


def exact_pt(policy, space: SequenceSpace, seqs: list[str]) -> np.ndarray:
    """P_T(x) of every x, exactly: exp of the sum of log-probabilities along its trajectory."""
    tokens, lengths = encode(seqs, space.alphabet, space.max_len)
    with torch.no_grad():
        return (
            trajectory_log_pf(policy, tokens, lengths, space.min_len, space.max_len)
            .exp()
            .double()
            .numpy()
        )


def empirical(samples: list[str], seqs: list[str]) -> np.ndarray:
    index = {s: i for i, s in enumerate(seqs)}
    counts = np.bincount([index[s] for s in samples], minlength=len(seqs))
    return counts / counts.sum()


class ExactLogReward:
    """A fixed positive reward: per-position letter weights, a motif bonus and a length term."""

    def __init__(self, max_len: int, seed: int = 123) -> None:
        self.w = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(max_len, 4))

    def log_reward(self, sequences: list[str], step: int) -> np.ndarray:
        return np.array(
            [
                sum(self.w[j, DNA.index(c)] for j, c in enumerate(s)) + s.count("AC") + 0.3 * len(s)
                for s in sequences
            ]
        )


def train_enum(loss: str, policy: str = "mlp", seed: int = 0, steps: int = 600):
    hidden = 128 if policy == "mlp" else 64
    settings = GFlowNetSettings(
        policy=policy, loss=loss, hidden=hidden, layers=2, lr=1e-3, lr_logz=0.1, batch_size=64,
        epsilon=0.05, steps=steps,
    )  # fmt: skip
    net = build_policy(policy, 4, ENUM_SPACE.max_len, settings.hidden, 2, 4, seed)
    reward = ExactLogReward(ENUM_SPACE.max_len)
    history = train_policy(
        net, ENUM_SPACE, reward, [], settings, torch.Generator().manual_seed(seed)
    )
    return net, reward, history


@pytest.mark.parametrize("loss", ["tb", "subtb"])
def test_learned_distribution_matches_reward_exactly(loss: str) -> None:
    net, reward, history = train_enum(loss)
    seqs = enumerate_space(ENUM_SPACE)
    log_r = reward.log_reward(seqs, 0)
    target = np.exp(log_r - log_r.max())
    target /= target.sum()
    pt = exact_pt(net, ENUM_SPACE, seqs)
    assert abs(pt.sum() - 1.0) < 1e-4  # masks are right: all mass on valid sequences
    l1 = np.abs(pt - target).sum()
    assert l1 < L1_TOL, f"{loss}: L1(P_T, R/Z) = {l1:.4f}"
    log_z = np.log(np.exp(log_r).sum())
    assert abs(history.log_z[-1] - log_z) < 0.1
    # and the sampler draws from P_T: 100k draws, expected L1 about 0.04 here
    traj = sample_trajectories(net, 100_000, 2, 4, torch.Generator().manual_seed(1))
    freq = empirical(decode(traj.tokens, traj.lengths, DNA), seqs)
    assert np.abs(freq - pt).sum() < 0.07


def test_transformer_learns_the_distribution_too() -> None:
    net, reward, _ = train_enum("tb", policy="transformer", steps=300)
    seqs = enumerate_space(ENUM_SPACE)
    log_r = reward.log_reward(seqs, 0)
    target = np.exp(log_r - log_r.max())
    target /= target.sum()
    assert np.abs(exact_pt(net, ENUM_SPACE, seqs) - target).sum() < L1_TOL


def test_generator_matches_shaped_reward_with_offline_data() -> None:
    """End to end: shaping, offline mixing (gamma 0.5) and training leave P_T = R/Z."""
    space = SequenceSpace(DNA, 1, 3)
    seqs = enumerate_space(space)
    w = np.random.default_rng(5).normal(size=(3, 4))

    def acquisition(batch: list[str]) -> np.ndarray:
        return np.array([sum(w[j, DNA.index(c)] for j, c in enumerate(s)) for s in batch])

    labeled = space.random(30, np.random.default_rng(2))
    data = Dataset.from_records([(f"s{i}", s, {"y": 0.0}) for i, s in enumerate(labeled)])
    settings = GFlowNetSettings(
        hidden=128, lr=1e-3, lr_logz=0.1, steps=600, beta=2.0, r_min=0.05, epsilon=0.05
    )
    gen = GFlowNetGenerator(settings).fit(acquisition, data, space, np.random.default_rng(0))
    lo, hi = gen.reward_scale_
    vals = acquisition(labeled)
    assert (lo, hi) == (vals.min(), vals.max())
    norm = (acquisition(seqs) - lo) / (hi - lo)
    target = np.maximum(norm, settings.r_min) ** settings.beta
    target /= target.sum()
    pt = np.exp(gen.log_prob(seqs))
    assert np.abs(pt - target).sum() < L1_TOL


@pytest.mark.parametrize(("min_len", "max_len"), [(2, 5), (6, 6), (1, 1)])
@pytest.mark.parametrize("kind", ["mlp", "transformer"])
def test_samples_respect_length_masks(kind: str, min_len: int, max_len: int) -> None:
    net = build_policy(kind, 4, max_len, 32, 2, 4, seed=0)
    with torch.no_grad():
        net.head.bias[-1] = 5.0 if min_len < max_len else -5.0  # eager or reluctant STOP
    traj = sample_trajectories(
        net, 2000, min_len, max_len, torch.Generator().manual_seed(0), epsilon=0.3
    )
    lengths = traj.lengths
    assert int(lengths.min()) >= min_len and int(lengths.max()) <= max_len
    if min_len < max_len:
        assert int(lengths.min()) == min_len  # STOP is eager: the shortest length occurs
    past_end = torch.arange(max_len) >= lengths[:, None]
    assert bool((traj.tokens[past_end] == 0).all())


@pytest.mark.parametrize("kind", ["mlp", "transformer"])
def test_sampler_scores_with_the_policy_the_loss_trains(kind: str) -> None:
    """log_pf from sampling (any temperature/epsilon) equals the loss's one-pass scoring."""
    net = build_policy(kind, 4, 7, 32, 2, 4, seed=3)
    traj = sample_trajectories(
        net, 256, 3, 7, torch.Generator().manual_seed(0), temperature=0.5, epsilon=0.1
    )
    with torch.no_grad():
        scored = trajectory_log_pf(net, traj.tokens, traj.lengths, 3, 7)
    torch.testing.assert_close(traj.log_pf, scored, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("block", [sampler.NOISE_BLOCK, 1])
def test_untrained_sampler_draws_from_its_exact_distribution(block, monkeypatch) -> None:
    monkeypatch.setattr(sampler, "NOISE_BLOCK", block)  # 1: a fresh draw of noise every step
    space = SequenceSpace(DNA, 1, 3)
    net = build_policy("mlp", 4, 3, 32, 2, 4, seed=1)
    seqs = enumerate_space(space)
    pt = exact_pt(net, space, seqs)
    traj = sample_trajectories(net, 50_000, 1, 3, torch.Generator().manual_seed(0))
    freq = empirical(decode(traj.tokens, traj.lengths, DNA), seqs)
    assert abs(pt.sum() - 1) < 1e-4
    assert np.abs(freq - pt).sum() < 0.05  # expected about 0.03 for 84 cells and 50k draws


@pytest.mark.parametrize("differentiable", [False, True])
def test_behavior_policy_is_the_tempered_policy_mixed_with_uniform_exploration(differentiable):
    """First draws follow (1 - eps) softmax(logits / T) + eps uniform(allowed actions)."""
    net = build_policy("mlp", 4, 3, 32, 2, 4, seed=2)
    with torch.no_grad():
        net.head.bias.copy_(torch.tensor([2.0, 0.0, -1.0, 0.5, 3.0]))  # STOP (masked) highest
        logits, _ = net.step(net.init_cache(1), 0, torch.zeros(1, dtype=torch.long))
    temperature, eps = 0.5, 0.3
    expected = (1 - eps) * torch.softmax(logits[0, :4] / temperature, -1) + eps / 4
    traj = sample_trajectories(
        net, 40_000, 1, 3, torch.Generator().manual_seed(1), temperature, eps,
        differentiable=differentiable,
    )  # fmt: skip
    freq = torch.bincount(traj.tokens[:, 0], minlength=4).double() / 40_000
    assert float((freq - expected).abs().sum()) < 0.02  # about 0.006 expected from 40k draws


def fast_settings(**kw) -> GFlowNetSettings:
    base = {"hidden": 64, "steps": 40, "batch_size": 32, "lr": 2e-3, "lr_logz": 0.1}
    return GFlowNetSettings(**{**base, **kw})


def measured(seqs: list[str], values: list[float] | None = None) -> Dataset:
    vals = values if values is not None else [0.0] * len(seqs)
    return Dataset.from_records(
        [(f"r{i}", s, {"y": v}) for i, (s, v) in enumerate(zip(seqs, vals))]
    )


def g_fraction(batch: list[str]) -> np.ndarray:
    return np.array([s.count("G") / len(s) for s in batch])


def test_reward_preferring_a_letter_moves_samples_toward_it() -> None:
    space = SequenceSpace(DNA, 8, 8)
    settings = fast_settings(steps=150, beta=4.0)
    gen = GFlowNetGenerator(settings)
    gen.fit(
        g_fraction,
        measured(space.random(50, np.random.default_rng(0))),
        space,
        np.random.default_rng(1),
    )
    samples = gen.sample(1000, np.random.default_rng(2))
    assert all(space.contains(s) for s in samples)
    # the exact target: k G's among 8 letters, R = max((k/8 - lo) / (hi - lo), r_min) ** beta
    lo, hi = gen.reward_scale_
    k = np.arange(9)
    norm = np.maximum((k / 8 - lo) / (hi - lo), settings.r_min)
    weight = np.array([math.comb(8, int(i)) * 3.0 ** (8 - i) for i in k]) * norm**settings.beta
    target_mean = float((k / 8 * weight).sum() / weight.sum())  # about 0.5 here
    assert abs(g_fraction(samples).mean() - target_mean) < 0.05  # uniform sampling: 0.25


def test_offline_data_is_mixed_into_every_batch() -> None:
    space = SequenceSpace(DNA, 8, 8)
    offline = ["GATTACAG", "CCCCAAAA", "TTTTGGGG"]
    batches: list[list[str]] = []

    class Spy:
        def log_reward(self, sequences: list[str], step: int) -> np.ndarray:
            batches.append(list(sequences))
            return np.zeros(len(sequences))

    net = build_policy("mlp", 4, 8, 32, 2, 4, seed=0)
    settings = fast_settings(steps=5, batch_size=32, gamma=0.5)
    train_policy(net, space, Spy(), offline, settings, torch.Generator().manual_seed(0))
    assert len(batches) == 5  # one reward call per step
    for batch in batches:
        assert len(batch) == 32 and set(batch[16:]) <= set(offline)


def test_offline_data_teaches_a_needle_that_exploration_misses() -> None:
    """Only the labeled data contains the one rewarded 8-mer (1 in 65,536)."""
    space = SequenceSpace(DNA, 8, 8)
    needle = "GATTACAG"
    labeled = [needle, *space.random(15, np.random.default_rng(0))]
    data = measured(labeled + ["ACG", "GATTACAX"], [1.0] * 16 + [np.nan, 0.0])

    def reward(batch: list[str]) -> np.ndarray:
        return np.array([1.0 if s == needle else 0.0 for s in batch])

    p_needle = {}
    for gamma in (0.5, 0.0):
        gen = GFlowNetGenerator(fast_settings(steps=100, gamma=gamma))
        gen.fit(reward, data, space, np.random.default_rng(0))
        assert gen.offline_ == labeled  # unmeasured and out-of-space rows are left out
        p_needle[gamma] = float(np.exp(gen.log_prob([needle])[0]))
    assert p_needle[0.5] > 0.5 and p_needle[0.0] < 1e-3, p_needle


def test_rewards_are_cached_and_called_once_per_step() -> None:
    space = SequenceSpace(DNA, 4, 6)
    labeled = space.random(40, np.random.default_rng(0))
    calls: list[list[str]] = []

    def reward(batch: list[str]) -> np.ndarray:
        calls.append(batch)
        return g_fraction(batch)

    steps = 20
    GFlowNetGenerator(fast_settings(steps=steps)).fit(
        reward, measured(labeled), space, np.random.default_rng(0)
    )
    assert len(calls) <= steps + 1  # calibration on the offline data, then at most one per step
    assert sorted(calls[0]) == sorted(set(labeled))
    seen = [s for batch in calls for s in batch]
    assert len(seen) == len(set(seen))  # nothing scored twice


def test_same_seed_gives_identical_training_and_samples() -> None:
    space = SequenceSpace(DNA, 3, 6)
    data = measured(space.random(20, np.random.default_rng(0)))
    global_state = torch.get_rng_state()
    runs = []
    for seed in (7, 7, 8):
        gen = GFlowNetGenerator(fast_settings(steps=15, policy="transformer", hidden=32))
        gen.fit(g_fraction, data, space, np.random.default_rng(seed))
        runs.append((gen.sample(200, np.random.default_rng(seed)), gen.policy_.state_dict()))
    assert torch.equal(torch.get_rng_state(), global_state)  # the global torch RNG is untouched
    (s1, w1), (s2, w2), (s3, _) = runs
    assert s1 == s2 and s1 != s3
    assert all(torch.equal(w1[k], w2[k]) for k in w1)


def test_sample_before_fit_raises() -> None:
    gen = GFlowNetGenerator()
    with pytest.raises(NotFittedError):
        gen.sample(3, np.random.default_rng(0))
    with pytest.raises(NotFittedError):
        gen.log_prob(["ACGT"])


def test_non_finite_loss_or_reward_raises_training_error() -> None:
    space = SequenceSpace(DNA, 4, 4)

    class Huge:  # finite log-rewards whose squared TB residual overflows float32
        def log_reward(self, sequences: list[str], step: int) -> np.ndarray:
            return np.full(len(sequences), 1e30)

    net = build_policy("mlp", 4, 4, 16, 2, 4, seed=0)
    with pytest.raises(TrainingError, match="diverged at step 0"):
        train_policy(net, space, Huge(), [], fast_settings(), torch.Generator().manual_seed(0))

    def nan_reward(batch: list[str]) -> np.ndarray:
        return np.where(np.arange(len(batch)) == 3, np.nan, 0.0)

    with pytest.raises(TrainingError, match="NaN"):
        GFlowNetGenerator(fast_settings()).fit(
            nan_reward, measured([]), space, np.random.default_rng(0)
        )


def test_minus_infinity_is_an_allowed_reward_floor() -> None:
    space = SequenceSpace(DNA, 4, 4)

    def reward(batch: list[str]) -> np.ndarray:
        return np.array([-np.inf if s.startswith("A") else s.count("C") for s in batch], float)

    gen = GFlowNetGenerator(fast_settings(steps=60))
    gen.fit(reward, measured(["CCCC", "GGGG", "ACGT"]), space, np.random.default_rng(0))
    samples = gen.sample(400, np.random.default_rng(0))
    assert np.mean([s.startswith("A") for s in samples]) < 0.1


def test_progress_callback_sees_every_step() -> None:
    seen: list[tuple[int, int, float, float]] = []
    gen = GFlowNetGenerator(fast_settings(steps=12), on_step=lambda *a: seen.append(a))
    gen.fit(g_fraction, measured([]), SequenceSpace(DNA, 2, 5), np.random.default_rng(0))
    assert [s[0] for s in seen] == list(range(1, 13)) and {s[1] for s in seen} == {12}
    assert all(isinstance(s[2], float) and isinstance(s[3], float) for s in seen)


def test_local_search_option_refines_and_trains() -> None:
    space = SequenceSpace(DNA, 6, 8)
    settings = fast_settings(steps=30, local_search=True, local_search_k=3)
    data = measured(space.random(10, np.random.default_rng(0)))
    gen = GFlowNetGenerator(settings).fit(g_fraction, data, space, np.random.default_rng(0))
    accepted = gen.history_.local_search_accepted
    assert len(accepted) == 30 and 0.0 < np.mean(accepted) < 1.0
    assert all(space.contains(s) for s in gen.sample(100, np.random.default_rng(0)))


def test_settings_presets_and_validation() -> None:
    for name in ("fast", "default", "thorough"):
        GFlowNetSettings.for_budget(name).validate()
    assert GFlowNetSettings.for_budget("fast", loss="subtb").loss == "subtb"
    assert GFlowNetSettings(norm_quantiles=[0.05, 0.95]).norm_quantiles == (0.05, 0.95)
    with pytest.raises(ConfigError, match="budget"):
        GFlowNetSettings.for_budget("huge")
    with pytest.raises(ConfigError, match="unknown GFlowNet setting"):
        GFlowNetSettings.for_budget("fast", stepz=3)
    for bad in (
        {"policy": "rnn"},
        {"gamma": 1.0},
        {"r_min": 0.0},
        {"hidden": 30, "policy": "transformer", "heads": 4},
    ):
        with pytest.raises(ConfigError):
            GFlowNetSettings(**bad).validate()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
def test_cuda_without_cuda_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="CUDA"):
        GFlowNetGenerator(fast_settings(device="cuda")).fit(
            g_fraction, measured([]), SequenceSpace(DNA, 4, 4), np.random.default_rng(0)
        )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("kind", ["mlp", "transformer"])
def test_trains_and_samples_on_cuda(kind: str) -> None:
    space = SequenceSpace(DNA, 3, 8)
    gen = GFlowNetGenerator(fast_settings(device="cuda", policy=kind, hidden=32, steps=20))
    data = measured(space.random(20, np.random.default_rng(0)))
    gen.fit(g_fraction, data, space, np.random.default_rng(0))
    samples = gen.sample(300, np.random.default_rng(0))
    assert all(space.contains(s) for s in samples)
    assert np.isfinite(gen.log_prob(samples)).all()


@pytest.mark.parametrize("differentiable", [False, True])
def test_an_empty_batch_samples_nothing(differentiable):
    net = build_policy("mlp", 4, 5, 16, 2, 1, seed=0)
    gen = torch.Generator().manual_seed(0)
    traj = sample_trajectories(net, 0, 2, 5, gen, epsilon=0.1, differentiable=differentiable)
    assert traj.tokens.shape == (0, 5) and traj.log_pf.shape == (0,)
