"""Unit tests of the GFlowNet parts: tokens, policies, masks, losses, reward shaping."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqdesign.alphabet import DNA, PROTEIN
from seqdesign.errors import InputError, TrainingError
from seqdesign.gflownet.losses import (
    check_finite,
    subtrajectory_balance_loss,
    trajectory_balance_loss,
)
from seqdesign.gflownet.policy import action_mask, build_policy, masked_log_probs
from seqdesign.gflownet.sampler import step_log_pf
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.gflownet.shaping import ShapedReward
from seqdesign.gflownet.tokens import decode, encode


def test_tokens_round_trip_and_errors() -> None:
    seqs = ["ACGT", "G", "TTAC", "CA"]
    tokens, lengths = encode(seqs, DNA, 6)
    assert tokens.shape == (4, 6) and lengths.tolist() == [4, 1, 4, 2]
    assert tokens[1].tolist() == [2, 0, 0, 0, 0, 0]
    assert decode(tokens, lengths, DNA) == seqs
    assert encode([], DNA, 3)[0].shape == (0, 3)
    with pytest.raises(InputError, match="at most 3"):
        encode(["ACGT"], DNA, 3)
    with pytest.raises(InputError, match="'AXG'"):
        encode(["AC", "AXG"], DNA, 3)


def test_action_mask() -> None:
    mask = action_mask(torch.arange(5), 4, min_len=2, max_len=4)  # (5, 5)
    assert mask[:, 4].tolist() == [False, False, True, True, True]  # STOP
    assert mask[:, :4].all(1).tolist() == [True, True, True, True, False]  # letters
    assert mask[4].tolist() == [False] * 4 + [True]  # at max_len only STOP


@pytest.mark.parametrize("kind", ["mlp", "transformer"])
def test_cached_decoding_equals_the_one_pass_forward(kind: str) -> None:
    net = build_policy(kind, 20, 9, 32, 2, 4, seed=0)
    tokens = torch.randint(0, 20, (5, 9), generator=torch.Generator().manual_seed(0))
    logits, log_flow = net(tokens)
    assert logits.shape == (5, 10, 21) and log_flow.shape == (5, 10)
    cache, prev = net.init_cache(5), torch.zeros(5, dtype=torch.long)
    for t in range(10):
        step_logits, cache = net.step(cache, t, prev)
        torch.testing.assert_close(step_logits, logits[:, t], atol=1e-5, rtol=1e-5)
        prev = tokens[:, t] if t < 9 else prev


@pytest.mark.parametrize("kind", ["mlp", "transformer"])
def test_prefix_outputs_ignore_later_tokens(kind: str) -> None:
    """Causality: the state after t tokens does not see tokens t+1.. (padding is harmless)."""
    net = build_policy(kind, 4, 6, 32, 2, 4, seed=1)
    a = torch.tensor([[0, 1, 2, 3, 0, 1]])
    b = torch.tensor([[0, 1, 2, 0, 3, 3]])
    la, fa = net(a)
    lb, fb = net(b)
    torch.testing.assert_close(la[:, :4], lb[:, :4])
    torch.testing.assert_close(fa[:, :4], fb[:, :4])


def test_policy_init_is_seeded_and_leaves_the_global_rng_alone() -> None:
    state = torch.get_rng_state()
    w1 = build_policy("mlp", 4, 5, 16, 2, 4, seed=3).state_dict()
    w2 = build_policy("mlp", 4, 5, 16, 2, 4, seed=3).state_dict()
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(w1[k], w2[k]) for k in w1)
    with pytest.raises(ValueError, match="rnn"):
        build_policy("rnn", 4, 5, 16, 2, 4, seed=3)


def test_step_log_pf_includes_stop_and_zeroes_padding() -> None:
    logits = torch.randn(2, 4, 5, generator=torch.Generator().manual_seed(0))  # T = 3, A = 4
    tokens = torch.tensor([[1, 2, 0], [3, 0, 0]])
    lengths = torch.tensor([3, 1])
    lp = step_log_pf(logits, tokens, lengths, min_len=1, max_len=3)
    ref = masked_log_probs(logits, 1, 3).tolist()
    assert lp[0].tolist() == pytest.approx(
        [ref[0][0][1], ref[0][1][2], ref[0][2][0], 0.0]  # STOP at max_len is forced: log 1
    )
    assert lp[1].tolist() == pytest.approx([ref[1][0][3], ref[1][1][4], 0.0, 0.0])


def random_batch(b: int = 6, t: int = 5, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, t + 1, (b,), generator=g)
    steps = torch.arange(t + 1)
    step_lp = torch.where(steps <= lengths[:, None], -torch.rand(b, t + 1, generator=g), 0.0)
    return step_lp, torch.randn(b, t + 1, generator=g), lengths, torch.randn(b, generator=g)


def test_subtb_with_large_lambda_is_trajectory_balance() -> None:
    step_lp, log_flow, lengths, log_r = random_batch()
    log_z = torch.tensor(0.7)
    tb = trajectory_balance_loss(log_z, step_lp.sum(1), log_r)
    subtb = subtrajectory_balance_loss(log_z, step_lp, log_flow, lengths, log_r, lam=1e4)
    torch.testing.assert_close(subtb, tb, rtol=1e-3, atol=1e-5)


def test_subtb_is_zero_at_a_consistent_flow() -> None:
    """Flows F(s_t) = Z * prod P_F up to s_t, and R = F(s_n) * P(STOP): every pair balances."""
    step_lp, _, lengths, _ = random_batch(seed=1)
    log_z = torch.tensor(-0.3)
    cum = torch.cat([torch.zeros(len(lengths), 1), step_lp.cumsum(1)], 1)  # (B, T+2)
    log_flow = log_z + cum[:, :-1]  # flow of s_t, t = 0..T
    log_r = log_z + step_lp.sum(1)
    loss = subtrajectory_balance_loss(log_z, step_lp, log_flow, lengths, log_r, lam=0.9)
    assert float(loss) < 1e-10
    assert float(trajectory_balance_loss(log_z, step_lp.sum(1), log_r)) < 1e-10
    # and a wrong reward is penalized
    assert float(subtrajectory_balance_loss(log_z, step_lp, log_flow, lengths, log_r + 1)) > 0.01


def test_check_finite_names_the_step() -> None:
    check_finite(torch.tensor(1.0), 0)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(TrainingError, match="step 7"):
            check_finite(torch.tensor(bad), 7)


def test_shaping_scale_floor_beta_and_ramp() -> None:
    settings = GFlowNetSettings(beta=4.0, r_min=0.01, steps=100, beta_ramp=0.5)
    shaped = ShapedReward(lambda s: np.array([float(len(x)) for x in s]), settings)
    shaped.calibrate(["AA", "AAAA", "AAAAAA"])  # values 2, 4, 6: lo = 2, hi = 6
    assert (shaped.lo, shaped.hi) == (2.0, 6.0)
    vals = np.array([6.0, 4.0, 10.0, 2.0, -np.inf])
    np.testing.assert_allclose(
        shaped.shape(vals, step=100), 4 * np.log([1.0, 0.5, 2.0, 0.01, 0.01])
    )
    assert shaped.beta_at(0) == 1.0 and shaped.beta_at(25) == 2.5 and shaped.beta_at(50) == 4.0


def test_shaping_quantiles_constant_values_and_bad_rewards() -> None:
    settings = GFlowNetSettings(norm_quantiles=(0.1, 0.9))
    shaped = ShapedReward(lambda s: np.array([float(x.count("A")) for x in s]), settings)
    shaped.calibrate(["C" * 10 + "A" * k for k in range(11)])
    assert (shaped.lo, shaped.hi) == pytest.approx((1.0, 9.0))
    flat = ShapedReward(lambda s: np.full(len(s), 3.0), GFlowNetSettings())
    flat.calibrate(["A", "C"])
    assert (flat.lo, flat.hi) == (0.0, 3.0)  # all equal: they map to 1
    short = ShapedReward(lambda s: np.zeros(1), GFlowNetSettings())
    with pytest.raises(TrainingError, match="1 values for 2"):
        short.values(["A", "C"])
    inf = ShapedReward(lambda s: np.full(len(s), np.inf), GFlowNetSettings())
    with pytest.raises(TrainingError, match=r"\+inf"):
        inf.values(["A"])


def test_shaping_without_offline_data_calibrates_on_the_first_batch() -> None:
    shaped = ShapedReward(lambda s: np.array([float(len(x)) for x in s]), GFlowNetSettings())
    log_r = shaped.log_reward(["A", "AAA", "AA"], step=0)
    assert (shaped.lo, shaped.hi) == (1.0, 3.0)
    assert log_r[1] == 0.0 and np.isfinite(log_r).all()


def test_encode_handles_protein_and_long_batches() -> None:
    rng = np.random.default_rng(0)
    seqs = [
        "".join(rng.choice(list(PROTEIN.letters), size=rng.integers(1, 50))) for _ in range(300)
    ]
    tokens, lengths = encode(seqs, PROTEIN, 50)
    assert decode(tokens, lengths, PROTEIN) == seqs
