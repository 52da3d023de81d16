"""GFlowNet training objectives on an append-only tree (P_B = 1), in log space.

* Trajectory balance (TB): Malkin, Jain, Bengio, Sun, Bengio, "Trajectory balance: Improved
  credit assignment in GFlowNets", NeurIPS 2022, https://arxiv.org/abs/2201.13259
* Sub-trajectory balance SubTB(lambda): Madan, Rector-Brooks, Korablyov, Bengio, Jain, Nica,
  Bosc, Bengio, Malkin, "Learning GFlowNets from partial episodes for improved convergence and
  stability", ICML 2023, https://arxiv.org/abs/2209.12782
"""

from __future__ import annotations

import torch

from seqdesign.errors import TrainingError


def trajectory_balance_loss(
    log_z: torch.Tensor, log_pf: torch.Tensor, log_reward: torch.Tensor
) -> torch.Tensor:
    """Trajectory balance, mean over the batch: ``(log Z + sum_t log P_F - log R(x))^2``.

    With P_B = 1 (each sequence has one trajectory) the backward term vanishes. At the optimum
    ``P_F(x) = R(x) / Z`` for every complete sequence x.

    Args:
        log_z: () the learned log partition function.
        log_pf: (B,) sum of log P_F along each trajectory, STOP included.
        log_reward: (B,) log R(x) of each terminal sequence.

    Returns:
        () the loss.
    """
    return (log_z + log_pf - log_reward).pow(2).mean()


def subtrajectory_balance_loss(
    log_z: torch.Tensor,
    step_log_pf: torch.Tensor,
    log_flow: torch.Tensor,
    lengths: torch.Tensor,
    log_reward: torch.Tensor,
    lam: float = 0.9,
) -> torch.Tensor:
    """SubTB(lambda), mean over the batch.

    A trajectory of a length-n sequence visits states ``u_0 = s_0, u_1, ..., u_n`` (prefixes)
    and, by STOP, the terminal ``u_{n+1} = x``. Flows: ``log F(u_0) = log Z``,
    ``log F(u_k) = log_flow[k]`` for ``1 <= k <= n`` and ``log F(u_{n+1}) = log R(x)``. Every
    sub-trajectory ``i < j`` contributes

        ``(log F(u_i) + sum_{i <= t < j} log P_F(a_t | u_t) - log F(u_j))^2``

    weighted by ``lam ** (j - i)``, normalized by the sum of weights of the trajectory. The pair
    ``(0, n+1)`` is trajectory balance; ``lam -> infinity`` approaches TB, ``lam -> 0`` detailed
    balance.

    Args:
        log_z: () learned log Z.
        step_log_pf: (B, T+1) log P_F of action ``t`` (0 after the STOP at ``t = length``).
        log_flow: (B, T+1) the flow head's log F of the prefix of length ``t``.
        lengths: (B,) sequence lengths n, each <= T.
        log_reward: (B,) log R(x).
        lam: lambda > 0.

    Returns:
        () the loss.
    """
    b, t1 = step_log_pf.shape
    k = t1 + 1  # states u_0 .. u_{T+1}
    device = step_log_pf.device
    idx = torch.arange(k, device=device)
    cum = torch.cat([step_log_pf.new_zeros(b, 1), step_log_pf.cumsum(1)], 1)  # (B, K): sum_{t<k}
    flow = torch.cat([log_flow, log_flow.new_zeros(b, 1)], 1)  # (B, K), u_k for k <= T
    flow = torch.where(idx == 0, log_z, flow)
    flow = torch.where(idx == (lengths + 1)[:, None], log_reward[:, None], flow)
    g = flow - cum  # (B, K): residual of pair (i, j) is g_i - g_j
    resid = g[:, :, None] - g[:, None, :]  # (B, K, K)
    span = (idx[None, :] - idx[:, None]).to(step_log_pf.dtype)  # (K, K): j - i
    valid = (span > 0) & (idx[None, :] <= (lengths + 1)[:, None, None])  # (B, K, K)
    weight = torch.where(valid, lam**span, 0.0)
    weight = weight / weight.sum((1, 2), keepdim=True)
    return (weight * resid.pow(2)).sum((1, 2)).mean()


def check_finite(loss: torch.Tensor, step: int) -> None:
    """Raise instead of taking a silent bad step.

    Args:
        loss: () the loss of training step ``step``.
        step: the step index (for the message).

    Raises:
        TrainingError: the loss is NaN or infinite.
    """
    if not bool(torch.isfinite(loss)):
        raise TrainingError(
            f"GFlowNet training diverged at step {step}: the loss is {float(loss.detach())}. "
            "Lower the learning rates or beta, or check the reward for NaN/inf values."
        )
