"""The training shortcuts compute what the one-pass scoring computes, values and gradients.

The TB trainer differentiates the sampler's own log P_F (no second forward pass), the MLP
policy runs its network once per distinct short prefix, and the forced STOP at ``max_len`` is
not evaluated. Each must leave the loss, and its gradient, what scoring the same trajectories
with ``policy(tokens)`` gives.
"""

from __future__ import annotations

import pytest
import torch

from seqdesign.alphabet import DNA
from seqdesign.constraints import Constraints
from seqdesign.gflownet.conditioning import build_conditional_policy
from seqdesign.gflownet.masks import ActionRules
from seqdesign.gflownet.policy import SequencePolicy, build_policy
from seqdesign.gflownet.sampler import categorical, sample_trajectories, trajectory_log_pf
from seqdesign.space import SequenceSpace


def grads(policy: SequencePolicy, value: torch.Tensor) -> dict[str, torch.Tensor]:
    policy.zero_grad(set_to_none=True)
    value.backward()
    return {k: p.grad.clone() for k, p in policy.named_parameters() if p.grad is not None}


def sample_and_score(policy, n, min_len, max_len, rules=None, seed=0):
    """(sampler's log_pf and its grads, one-pass scoring's log_pf and its grads)."""
    gen = torch.Generator().manual_seed(seed)
    traj = sample_trajectories(
        policy, n, min_len, max_len, gen, epsilon=0.2, rules=rules, differentiable=True
    )
    weights = torch.linspace(-1.0, 1.0, n)  # a loss that weighs every trajectory differently
    g_sampler = grads(policy, (weights * traj.log_pf).sum())
    scored = trajectory_log_pf(policy, traj.tokens, traj.lengths, min_len, max_len, rules)
    g_scored = grads(policy, (weights * scored).sum())
    return traj, scored.detach(), g_sampler, g_scored


@pytest.mark.parametrize(
    ("kind", "min_len", "max_len"), [("mlp", 6, 6), ("mlp", 2, 7), ("transformer", 3, 6)]
)
def test_differentiable_sampling_has_the_gradient_of_one_pass_scoring(kind, min_len, max_len):
    net = build_policy(kind, 4, max_len, 32, 2, 4, seed=1)
    traj, scored, g_sampler, g_scored = sample_and_score(net, 64, min_len, max_len)
    assert traj.log_pf.requires_grad
    torch.testing.assert_close(traj.log_pf.detach(), scored, atol=1e-4, rtol=1e-5)
    assert g_sampler.keys() == g_scored.keys() and "log_z" not in g_sampler
    for name in g_scored:
        torch.testing.assert_close(g_sampler[name], g_scored[name], atol=1e-4, rtol=1e-4)


def test_differentiable_sampling_under_constraint_masks():
    constraints = Constraints(fixed=("2:G",), max_homopolymer=2)
    space = SequenceSpace(DNA, 6, 6, constraints)
    rules = ActionRules.from_space(space, "cpu")
    assert rules is not None
    net = build_policy("mlp", 4, 6, 32, 2, 4, seed=2)
    traj, scored, g_sampler, g_scored = sample_and_score(net, 64, 6, 6, rules)
    assert bool((traj.tokens[:, 1] == DNA.index("G")).all())
    torch.testing.assert_close(traj.log_pf.detach(), scored, atol=1e-4, rtol=1e-5)
    for name in g_scored:
        torch.testing.assert_close(g_sampler[name], g_scored[name], atol=1e-4, rtol=1e-4)


def test_conditional_policy_samples_differentiably_without_sharing_prefixes():
    net = build_conditional_policy(4, 5, 2, 32, 2, "film", seed=0)
    net.condition(torch.rand(32, 2, generator=torch.Generator().manual_seed(0)))
    traj, scored, g_sampler, g_scored = sample_and_score(net, 32, 5, 5)
    torch.testing.assert_close(traj.log_pf.detach(), scored, atol=1e-4, rtol=1e-5)
    for name in g_scored:
        torch.testing.assert_close(g_sampler[name], g_scored[name], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("letters", [4, 20])
def test_shared_short_prefixes_give_the_per_sequence_outputs(letters):
    """forward() and step() with the prefix table equal the same network run row by row."""
    net = build_policy("mlp", letters, 7, 32, 2, 4, seed=3)
    tokens = torch.randint(0, letters, (64, 7), generator=torch.Generator().manual_seed(1))
    assert net._shared_levels(64, 7) == (3 if letters == 4 else 2)  # A^s <= 32
    shared = net(tokens)
    cache, prev, steps = net.init_cache(64), torch.zeros(64, dtype=torch.long), []
    for t in range(8):
        logits, cache = net.step(cache, t, prev)
        steps.append(logits)
        prev = tokens[:, t] if t < 7 else prev
    assert cache.short is None and cache.pid is None  # it left the table for longer prefixes
    net.shares_prefixes = False  # the instance only
    rowwise = net(tokens)
    for got, want in zip(shared, rowwise, strict=True):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(torch.stack(steps, 1), rowwise[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    ("layers", "n", "min_len", "max_len"),
    [(1, 64, 5, 5), (3, 64, 2, 6), (2, 1, 3, 5), (2, 3, 4, 4), (2, 64, 1, 1), (2, 200, 2, 9)],
)
def test_replayed_backward_equals_step_by_step_autograd(layers, n, min_len, max_len):
    """The MLP policy's batched backward (MLPPolicy.replay) gives autograd's gradients, for
    any depth, batch (table of short prefixes or not) and length range, forced prefixes too."""
    net = build_policy("mlp", 4, max_len, 32, layers, 4, seed=5)
    prefix = torch.randint(0, 4, (n, max_len), generator=torch.Generator().manual_seed(2))
    cut = torch.randint(0, max_len, (n,), generator=torch.Generator().manual_seed(3))
    weights = torch.linspace(-1.0, 1.0, n)
    runs = []
    for replays in (True, False):
        net.replays = replays  # the instance only: False builds the graph step by step
        for forced in (None, prefix):
            traj = sample_trajectories(
                net, n, min_len, max_len, torch.Generator().manual_seed(0), epsilon=0.2,
                prefix=forced, prefix_lengths=None if forced is None else cut,
                differentiable=True,
            )  # fmt: skip
            runs.append((traj, grads(net, (weights * traj.log_pf).sum())))
    for (t_replay, g_replay), (t_auto, g_auto) in zip(runs[:2], runs[2:], strict=True):
        assert torch.equal(t_replay.tokens, t_auto.tokens)  # the same draws
        torch.testing.assert_close(t_replay.log_pf, t_auto.log_pf, atol=1e-5, rtol=1e-5)
        assert g_replay.keys() == g_auto.keys()
        for name in g_auto:
            torch.testing.assert_close(g_replay[name], g_auto[name], atol=1e-5, rtol=1e-4)


def test_replay_gives_no_letter_gradient_exactly_when_autograd_gives_none():
    """Every row stops at t = 0 (min_len 0): only the short-prefix table may read letters."""
    for batch in (64, 1):  # a table of prefixes of length 0-2, and no table
        net = build_policy("mlp", 4, 6, 16, 2, 4, seed=0)
        with torch.no_grad():
            net.head.bias[-1] = 50.0  # STOP at once
        got = {}
        for replays in (True, False):
            net.replays = replays
            gen = torch.Generator().manual_seed(0)
            traj = sample_trajectories(net, batch, 0, 6, gen, differentiable=True)
            assert int(traj.lengths.max()) == 0
            got[replays] = grads(net, traj.log_pf.sum())
        assert got[True].keys() == got[False].keys()
        assert ("inp.weight" in got[True]) == (batch == 64)


def test_uniform_draws_of_exactly_zero_never_pick_a_forbidden_action(monkeypatch):
    """torch.rand returns 0.0 about once in 2^24 draws: -log(0) noise must not win."""
    zeros = torch.zeros
    monkeypatch.setattr(torch, "rand", lambda shape, **kw: zeros(shape))
    space = SequenceSpace(DNA, 6, 6, Constraints(fixed=("2:G",)))
    rules = ActionRules.from_space(space, "cpu")
    net = build_policy("mlp", 4, 6, 32, 2, 4, seed=2)
    for differentiable in (False, True):
        gen = torch.Generator().manual_seed(0)
        traj = sample_trajectories(net, 8, 6, 6, gen, rules=rules, differentiable=differentiable)
        assert bool((traj.tokens[:, 1] == DNA.index("G")).all())
        assert bool((traj.log_pf > -1e6).all())
    assert int(categorical(torch.tensor([[0.0, 0.0, 1.0]]), gen)) == 2
