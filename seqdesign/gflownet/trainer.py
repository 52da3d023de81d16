"""The GFlowNet training loop: on-policy trajectories mixed with offline ones, one Adam step each.

Each step (GFlowNet-AL, Jain et al. 2022):

1. sample ``(1 - gamma) * batch_size`` trajectories from the behavior policy (the model policy
   with ``train_temperature`` and ``epsilon``-uniform exploration);
2. optionally refine them by local search (Kim et al. 2023, "Local Search GFlowNets",
   https://arxiv.org/abs/2310.02710): back-track the last ``local_search_k`` tokens (on an
   append-only tree the backward policy is deterministic: that is truncation), rebuild with the
   behavior policy, keep a rebuilt sequence where its reward is higher; the refined sequences join
   the batch;
3. draw ``gamma * batch_size`` labeled sequences (offline data; on a tree a sequence's trajectory
   is unique, so its tokens are its trajectory);
4. score the whole batch with one call to the reward (cached), and take one Adam step on the TB or
   SubTB loss of all trajectories, computed in one forward pass, with gradient clipping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from seqdesign.errors import TrainingError
from seqdesign.gflownet.losses import (
    check_finite,
    subtrajectory_balance_loss,
    trajectory_balance_loss,
)
from seqdesign.gflownet.masks import ActionRules
from seqdesign.gflownet.policy import SequencePolicy
from seqdesign.gflownet.sampler import Trajectories, sample_trajectories, step_log_pf
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.gflownet.shaping import LogReward
from seqdesign.gflownet.tokens import decode, encode
from seqdesign.space import SequenceSpace

ProgressFn = Callable[[int, int, float, float], None]
"""``on_step(step, total, loss, log_z)``, called after each step; ``step`` counts from 1."""


@dataclass
class TrainingHistory:
    """What happened during training, one entry per step.

    Attributes:
        loss: the loss of each step.
        log_z: log Z after each step.
        mean_log_reward: mean log R of the on-policy samples of each step.
        local_search_accepted: fraction of local-search proposals kept, per step (if enabled).
    """

    loss: list[float] = field(default_factory=list)
    log_z: list[float] = field(default_factory=list)
    mean_log_reward: list[float] = field(default_factory=list)
    local_search_accepted: list[float] = field(default_factory=list)

    def record(
        self,
        loss: torch.Tensor,
        log_z: torch.Tensor,
        on_policy_log_r: torch.Tensor,
        step: int,
        steps: int,
        on_step: ProgressFn | None,
    ) -> None:
        """Append one step's loss, log Z and mean on-policy log R; report progress."""
        self.loss.append(float(loss.detach()))
        self.log_z.append(float(log_z.detach()))
        self.mean_log_reward.append(float(on_policy_log_r.mean()))
        if on_step is not None:
            on_step(step + 1, steps, self.loss[-1], self.log_z[-1])


def clip_gradients(params: list[torch.nn.Parameter], max_norm: float) -> torch.Tensor:
    """Scale the gradients so that their global L2 norm is at most ``max_norm``; return the norm.

    What ``torch.nn.utils.clip_grad_norm_(params, max_norm)`` does (the same coefficient,
    ``min(1, max_norm / (norm + 1e-6))``), at half its cost for the few tensors of a policy:
    the GFlowNet takes thousands of small steps.
    """
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    coef = (max_norm / (norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef)
    return norm


def adam_step(
    loss: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    params: list[torch.nn.Parameter],
    grad_clip: float,
    step: int,
) -> None:
    """One optimizer step on ``loss`` with gradient clipping.

    Raises:
        TrainingError: the loss or the gradient norm is NaN or infinite.
    """
    check_finite(loss, step)
    for p in params:  # optimizer.zero_grad(set_to_none=True), without its per-call overhead
        p.grad = None
    loss.backward()
    norm = clip_gradients(params, grad_clip)
    if not bool(torch.isfinite(norm)):
        raise TrainingError(
            f"GFlowNet training diverged at step {step}: the gradient norm is {float(norm)}"
        )
    optimizer.step()


def _local_search(
    policy: SequencePolicy,
    traj: Trajectories,
    space: SequenceSpace,
    settings: GFlowNetSettings,
    generator: torch.Generator,
    rules: ActionRules | None,
    differentiable: bool,
) -> Trajectories:
    """Back-track ``local_search_k`` tokens of each sequence of ``traj`` and rebuild them."""
    cut = (traj.lengths - settings.local_search_k).clamp(min=0)
    return sample_trajectories(
        policy,
        len(cut),
        space.min_len,
        space.max_len,
        generator,
        temperature=settings.train_temperature,
        epsilon=settings.epsilon,
        prefix=traj.tokens,
        prefix_lengths=cut,
        rules=rules,
        differentiable=differentiable,
    )


def _offline_log_pf(
    policy: SequencePolicy,
    tokens: torch.Tensor,
    lengths: torch.Tensor,
    space: SequenceSpace,
    rules: ActionRules | None,
) -> torch.Tensor:
    """(B, W+1) per-step log P_F of given (B, L) sequences, in one forward pass."""
    width = int(lengths.max())
    tokens = tokens[:, :width]
    if width < space.max_len:
        logits, _ = policy(tokens)  # (B, W+1, A+1)
    else:
        # after max_len letters only STOP is allowed: log P_F = 0 whatever the logits, so the
        # full-length prefixes are not evaluated (zero logits stand in for them)
        logits, _ = policy(tokens[:, :-1])  # (B, W, A+1)
        logits = torch.cat([logits, logits.new_zeros(len(logits), 1, logits.shape[-1])], 1)
    return step_log_pf(logits, tokens, lengths, space.min_len, space.max_len, rules)


def train_policy(
    policy: SequencePolicy,
    space: SequenceSpace,
    reward: LogReward,
    offline: list[str],
    settings: GFlowNetSettings,
    generator: torch.Generator,
    on_step: ProgressFn | None = None,
) -> TrainingHistory:
    """Train ``policy`` in place so that it samples x with probability proportional to R(x).

    Args:
        policy: the policy to train (on the device of ``generator``).
        space: the sequences allowed (lengths and alphabet; ``policy.max_len == space.max_len``).
        reward: gives log R of a batch of sequences (see :class:`~.shaping.ShapedReward`).
        offline: labeled sequences in the space, mixed into every batch (may be empty: then the
            batch is all on-policy).
        settings: the training settings (validated by the caller).
        generator: the source of every random draw.
        on_step: progress callback ``(step, total, loss, log_z)``.

    Returns:
        The per-step history.

    Raises:
        TrainingError: a loss or gradient became NaN or infinite, or the reward misbehaved.
    """
    device = policy.log_z.device
    s = settings
    n_off = min(round(s.gamma * s.batch_size), s.batch_size - 1) if offline else 0
    n_on = s.batch_size - n_off
    off_tokens, off_lengths = encode(offline, space.alphabet, space.max_len, device)
    rules = ActionRules.from_space(space, device)  # constraint masks, sampling and scoring alike
    optimizer = torch.optim.Adam(
        [
            {"params": policy.body_parameters(), "lr": s.lr},
            {"params": [policy.log_z], "lr": s.lr_logz},
        ],
        fused=True,  # one kernel per step for all parameters (the same update, 3x faster on CPU)
    )
    params = list(policy.parameters())
    history = TrainingHistory()
    policy.train()
    # TB reuses the sampler's log P_F (drawn with autograd on): only the offline trajectories
    # need a forward pass of their own. SubTB also needs the state flows of every prefix, so it
    # scores the whole batch in one pass.
    reuse = s.loss == "tb"
    for step in range(s.steps):
        traj = sample_trajectories(
            policy,
            n_on,
            space.min_len,
            space.max_len,
            generator,
            temperature=s.train_temperature,
            epsilon=s.epsilon,
            rules=rules,
            differentiable=reuse,
        )
        tokens, lengths, on_lp = [traj.tokens], [traj.lengths], [traj.log_pf]
        if s.local_search:
            ls = _local_search(policy, traj, space, s, generator, rules, reuse)
            tokens.append(ls.tokens)
            lengths.append(ls.lengths)
            on_lp.append(ls.log_pf)
        seqs = decode(torch.cat(tokens), torch.cat(lengths), space.alphabet)
        if n_off:
            idx = torch.randint(len(offline), (n_off,), generator=generator, device=device)
            tokens.append(off_tokens[idx])
            lengths.append(off_lengths[idx])
            seqs += [offline[i] for i in idx.tolist()]
        log_r_np = reward.log_reward(seqs, step)  # one reward call per step
        if not np.isfinite(log_r_np).all():
            raise TrainingError(f"log-reward is not finite at step {step}: {log_r_np}")
        batch_tokens, batch_lengths = torch.cat(tokens), torch.cat(lengths)
        log_r = torch.as_tensor(log_r_np, dtype=torch.float32, device=device)
        if s.local_search:
            # keep a rebuilt sequence only where it improves on the sequence it came from
            old, new = slice(0, n_on), slice(n_on, 2 * n_on)
            better = log_r[new] > log_r[old]  # (n_on,)
            batch_tokens[new] = torch.where(better[:, None], batch_tokens[new], batch_tokens[old])
            batch_lengths[new] = torch.where(better, batch_lengths[new], batch_lengths[old])
            log_r[new] = torch.where(better, log_r[new], log_r[old])
            on_lp[1] = torch.where(better, on_lp[1], on_lp[0])
            history.local_search_accepted.append(float(better.float().mean()))

        if reuse:
            log_pf = torch.cat(on_lp)  # (B - n_off,)
            if n_off:
                off = slice(len(batch_lengths) - n_off, None)
                lp_off = _offline_log_pf(
                    policy, batch_tokens[off], batch_lengths[off], space, rules
                )
                log_pf = torch.cat([log_pf, lp_off.sum(1)])  # (B,)
        else:
            width = int(batch_lengths.max())
            batch_tokens = batch_tokens[:, :width]
            logits, log_flow = policy(batch_tokens)  # (B, W+1, A+1), (B, W+1)
            lp = step_log_pf(
                logits, batch_tokens, batch_lengths, space.min_len, space.max_len, rules
            )
            log_pf = lp.sum(1)
        if step == 0:
            # start log Z (and the state flows) at a lower bound of the true log Z (Jensen)
            policy.init_log_z(float((log_r - log_pf).mean().detach()))
        if reuse:
            loss = trajectory_balance_loss(policy.log_z, log_pf, log_r)
        else:
            loss = subtrajectory_balance_loss(
                policy.log_z, lp, log_flow, batch_lengths, log_r, s.subtb_lambda
            )
        adam_step(loss, optimizer, params, s.grad_clip, step)
        history.record(loss, policy.log_z, log_r[:n_on], step, s.steps, on_step)
    policy.eval()
    return history
