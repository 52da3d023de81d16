"""Preference-conditioned policies for MOGFN-PC (Jain et al. 2023, https://arxiv.org/abs/2210.12765).

A conditional GFlowNet learns one sampler per preference w (a point of the K-simplex): its
forward policy P_F(a | s, w) and its partition function log Z(w) both read w. Two ways to feed w:

* ``concat``: w is concatenated to the policy's input. With the MLP policy's one-hot input layer
  that is a learned vector ``W w`` added to the first pre-activation of every prefix.
* ``film``: feature-wise linear modulation (Perez et al. 2018, https://arxiv.org/abs/1709.07871):
  every hidden layer h becomes ``h * (1 + gamma(w)) + beta(w)``.

The policy keeps the interface of :class:`~seqdesign.gflownet.policy.SequencePolicy`, so the
unconditional sampler drives it unchanged: set the batch's preferences with :meth:`condition`
before sampling or scoring a batch.
"""

from __future__ import annotations

import torch
from torch import nn

from seqdesign.gflownet.policy import MLPPolicy
from seqdesign.multiobjective import CONDITIONING as MODES


class ConditionalMLPPolicy(MLPPolicy):
    """The MLP policy of GFlowNet-AL, conditioned on a vector (a preference) per trajectory.

    Rows with the same prefix differ by their conditioning, so none is shared (see
    :class:`~seqdesign.gflownet.policy.PrefixCache`).

    Args:
        n_letters: A.
        max_len: longest prefix.
        cond_dim: C, the size of the conditioning vector (K for a preference).
        hidden: width H.
        layers: hidden layers (>= 1).
        mode: ``concat`` or ``film``.
    """

    shares_prefixes = False
    replays = False  # its steps read the conditioning: autograd differentiates them step by step

    def __init__(
        self,
        n_letters: int,
        max_len: int,
        cond_dim: int,
        hidden: int = 256,
        layers: int = 2,
        mode: str = "concat",
    ) -> None:
        super().__init__(n_letters, max_len, hidden, layers)
        if mode not in MODES:
            raise ValueError(f"unknown conditioning {mode!r}; expected one of {MODES}")
        self.mode, self.cond_dim = mode, cond_dim
        if mode == "concat":
            self.cond_in = nn.Linear(cond_dim, hidden)
        else:
            film = [nn.Linear(cond_dim, 2 * hidden) for _ in range(layers)]
            for f in film:  # start as the identity modulation
                nn.init.zeros_(f.weight)
                nn.init.zeros_(f.bias)
            self.film = nn.ModuleList(film)
        self.log_z_net = nn.Sequential(nn.Linear(cond_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self._cond: torch.Tensor | None = None  # (B, C)

    def condition(self, cond: torch.Tensor) -> None:
        """Set the conditioning of the next batch: (B, C), one row per trajectory."""
        self._cond = cond

    def _c(self, like: torch.Tensor) -> torch.Tensor:
        if self._cond is None:
            raise RuntimeError("ConditionalMLPPolicy: call condition(w) before using the policy")
        c = self._cond
        return c[:, None, :] if like.dim() == 3 else c  # (B, 1, C) for all prefixes at once

    def _modulate(self, h: torch.Tensor, i: int, c: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.film[i](c).chunk(2, dim=-1)
        return h * (1.0 + gamma) + beta

    def _trunk(self, pre: torch.Tensor) -> torch.Tensor:
        """(B, [T+1,] H) first pre-activation -> last hidden layer, conditioned."""
        c = self._c(pre)
        if self.mode == "concat":
            return self.body(torch.relu(pre + self.cond_in(c)))
        h = self._modulate(torch.relu(pre), 0, c)
        blocks = list(self.body)
        for i in range(0, len(blocks), 2):  # (Linear, ReLU) pairs
            h = self._modulate(blocks[i + 1](blocks[i](h)), i // 2 + 1, c)
        return h

    def _out(self, pre: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self._trunk(pre)
        return self.head(h), self.flow(h).squeeze(-1)

    def _head(self, pre: torch.Tensor) -> torch.Tensor:
        return self.head(self._trunk(pre))

    def log_z_of(self, cond: torch.Tensor) -> torch.Tensor:
        """log Z(w) for each row of (B, C) -> (B,)."""
        return self.log_z_net(cond).squeeze(-1)

    @torch.no_grad()
    def init_log_z(self, value: float) -> None:
        """Start log Z(w) (and the state flows) at ``value`` for every w."""
        super().init_log_z(value)
        last = self.log_z_net[-1]
        assert isinstance(last, nn.Linear)
        last.weight.mul_(0.1)
        last.bias.fill_(value)

    def body_parameters(self) -> list[nn.Parameter]:
        """Every parameter of the network (log Z(w) excluded: it has its own learning rate)."""
        return [
            p
            for name, p in self.named_parameters()
            if name != "log_z" and not name.startswith("log_z_net.")
        ]

    def log_z_parameters(self) -> list[nn.Parameter]:
        """The parameters of log Z(w)."""
        return list(self.log_z_net.parameters())


def build_conditional_policy(
    n_letters: int,
    max_len: int,
    cond_dim: int,
    hidden: int,
    layers: int,
    mode: str,
    seed: int,
) -> ConditionalMLPPolicy:
    """A conditional policy with weights drawn from ``seed`` (global torch RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ConditionalMLPPolicy(n_letters, max_len, cond_dim, hidden, layers, mode)
