"""MOGFN-PC: a preference-conditioned GFlowNet for several objectives (Jain et al. 2023).

Paper: "Multi-Objective GFlowNets", ICML 2023, https://arxiv.org/abs/2210.12765.

``fit`` sees a *vector* reward: per-objective acquisition values u(x) (N, K), normalized by the
round so that the measured data spans [0, 1] on each objective (larger better). Each training
trajectory draws its own preference w ~ Dirichlet(alpha); its log-reward is

    log R(x | w) = beta * log max(s(u(x), w), r_min)

with s the scalarization (``weighted-sum``: w.u; ``log-weighted-sum``: prod u_i^w_i;
``tchebycheff``: exp(-max_i w_i (z_i - u_i)), z the best u seen so far on each objective, so the
reward falls as the Tchebycheff distance to the ideal point rises). The policy and log Z(w) read
w (:mod:`seqdesign.gflownet.conditioning`); the loss is trajectory balance, with labeled
sequences mixed into every batch as in GFlowNet-AL. ``sample`` draws candidates from a spread of
preferences: a simplex grid (K <= 3) or Dirichlet draws.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError, NotFittedError, TrainingError
from seqdesign.generators.base import measured_in
from seqdesign.gflownet.conditioning import ConditionalMLPPolicy, build_conditional_policy
from seqdesign.gflownet.losses import check_finite, trajectory_balance_loss
from seqdesign.gflownet.sampler import sample_trajectories, step_log_pf
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.gflownet.tokens import decode, encode
from seqdesign.gflownet.trainer import ProgressFn, TrainingHistory
from seqdesign.multiobjective import (
    MultiObjectiveSettings,
    Scalarization,
    preference_grid,
    sample_preferences,
)
from seqdesign.space import SequenceSpace

VectorRewardFn = Callable[[list[str]], np.ndarray]
"""Maps N sequences to (N, K) per-objective values, larger better, measured data in [0, 1]."""

_SEED_HIGH = 2**62


class VectorCache:
    """Per-sequence reward vectors, each sequence scored once per round (``pin``: kept for the
    whole round; the rest is cleared when it outgrows ``size``)."""

    def __init__(self, reward: VectorRewardFn, size: int) -> None:
        self.reward, self.size = reward, size
        self._pinned: dict[str, np.ndarray] = {}
        self._cache: dict[str, np.ndarray] = {}

    def values(self, seqs: list[str], pin: bool = False) -> np.ndarray:
        new = [q for q in dict.fromkeys(seqs) if q not in self._pinned and q not in self._cache]
        if new:
            got = np.asarray(self.reward(new), dtype=np.float64)
            if got.ndim != 2 or got.shape[0] != len(new) or not np.isfinite(got).all():
                raise TrainingError(
                    f"the vector reward returned shape {got.shape} (finite: "
                    f"{bool(np.isfinite(got).all())}) for {len(new)} sequences"
                )
            if len(self._cache) + len(new) > self.size:
                self._cache.clear()
            (self._pinned if pin else self._cache).update(zip(new, got, strict=True))
        return np.stack([self._pinned[q] if q in self._pinned else self._cache[q] for q in seqs])


def log_reward(
    u: np.ndarray,
    w: np.ndarray,
    kind: Scalarization,
    beta: float,
    r_min: float,
    ideal: np.ndarray,
) -> np.ndarray:
    """log R(x | w) of (B, K) normalized values under (B, K) preferences -> (B,)."""
    u = np.maximum(u, 0.0)
    if kind is Scalarization.weighted_sum:
        r = np.log(np.maximum((w * u).sum(-1), r_min))
    elif kind is Scalarization.log_weighted_sum:
        r = np.maximum((w * np.log(np.maximum(u, r_min))).sum(-1), np.log(r_min))
    else:
        r = np.maximum(-(w * (ideal - u)).max(-1), np.log(r_min))
    return beta * r


def spread_preferences(
    n: int, k: int, mo: MultiObjectiveSettings, rng: np.random.Generator
) -> np.ndarray:
    """(n, K) preferences to sample candidates at: the simplex grid of ``mo.divisions`` repeated
    (K <= 3, when it fits in n), else Dirichlet(``mo.alpha``) draws."""
    grid = preference_grid(k, mo.divisions) if k <= 3 else None
    if grid is None or len(grid) > n:
        return sample_preferences(n, k, rng, mo.alpha)
    return grid[np.arange(n) % len(grid)]


class MOGFNGenerator:
    """MOGFN-PC behind the generator interface (its ``fit`` takes a vector reward).

    Args:
        settings: the GFlowNet's settings (MLP policy; ``loss`` must be ``tb``).
        mo: the multi-objective settings.
        on_step: optional progress callback ``(step, total, loss, mean log Z)``.
    """

    def __init__(
        self,
        settings: GFlowNetSettings | None = None,
        mo: MultiObjectiveSettings | None = None,
        *,
        on_step: ProgressFn | None = None,
    ) -> None:
        self.settings = settings if settings is not None else GFlowNetSettings()
        self.mo = mo if mo is not None else MultiObjectiveSettings()
        self.on_step = on_step

    def fit(
        self,
        reward: VectorRewardFn,
        dataset: Dataset,
        space: SequenceSpace,
        rng: np.random.Generator,
    ) -> MOGFNGenerator:
        """Train the conditional GFlowNet on ``reward``; offline data = measured sequences.

        Raises:
            ConfigError: invalid settings (a transformer policy or SubTB are not supported here).
            TrainingError: training diverged or the reward misbehaved.
        """
        s, mo = self.settings, self.mo
        s.validate()
        mo.validate()
        if s.policy != "mlp" or s.loss != "tb":
            raise ConfigError("mogfn: only the MLP policy and the TB loss are supported")
        if s.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("GFlowNet settings: device 'cuda' requested but CUDA is unavailable")
        device = torch.device(s.device)
        offline = measured_in(dataset, space)
        cache = VectorCache(reward, s.cache_size)
        probe = cache.values(offline, pin=True) if offline else cache.values(space.random(8, rng))
        k = probe.shape[1]
        init_seed, train_seed = (int(v) for v in rng.integers(0, _SEED_HIGH, size=2))
        policy = build_conditional_policy(
            len(space.alphabet), space.max_len, k, s.hidden, s.layers, mo.conditioning, init_seed
        ).to(device)
        gen = torch.Generator(device=device).manual_seed(train_seed)
        kind = Scalarization(mo.scalarization)
        ideal = np.maximum(probe.max(axis=0), 1.0)  # (K,) best seen so far (tchebycheff)
        n_off = min(round(s.gamma * s.batch_size), s.batch_size - 1) if offline else 0
        n_on = s.batch_size - n_off
        off_tokens, off_lengths = encode(offline, space.alphabet, space.max_len, device)
        opt = torch.optim.Adam(
            [
                {"params": policy.body_parameters(), "lr": s.lr},
                {"params": policy.log_z_parameters(), "lr": s.lr_logz},
            ]
        )
        params = list(policy.parameters())
        history = TrainingHistory()
        policy.train()
        for step in range(s.steps):
            w = sample_preferences(s.batch_size, k, rng, mo.alpha)  # (B, K)
            w_t = torch.as_tensor(w, dtype=torch.float32, device=device)
            policy.condition(w_t[:n_on])
            traj = sample_trajectories(
                policy,
                n_on,
                space.min_len,
                space.max_len,
                gen,
                temperature=s.train_temperature,
                epsilon=s.epsilon,
            )
            tokens, lengths = [traj.tokens], [traj.lengths]
            seqs = decode(traj.tokens, traj.lengths, space.alphabet)
            if n_off:
                idx = torch.randint(len(offline), (n_off,), generator=gen, device=device)
                tokens.append(off_tokens[idx])
                lengths.append(off_lengths[idx])
                seqs += [offline[i] for i in idx.tolist()]
            u = cache.values(seqs)  # (B, K)
            ideal = np.maximum(ideal, u.max(axis=0))
            log_r = torch.as_tensor(
                log_reward(u, w, kind, s.beta, s.r_min, ideal), dtype=torch.float32, device=device
            )
            batch_tokens, batch_lengths = torch.cat(tokens), torch.cat(lengths)
            batch_tokens = batch_tokens[:, : int(batch_lengths.max())]
            policy.condition(w_t)
            logits, _ = policy(batch_tokens)
            lp = step_log_pf(logits, batch_tokens, batch_lengths, space.min_len, space.max_len)
            if step == 0:
                policy.init_log_z(float((log_r - lp.sum(1)).mean().detach()))
            log_z = policy.log_z_of(w_t)  # (B,)
            loss = trajectory_balance_loss(log_z, lp.sum(1), log_r)
            check_finite(loss, step)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(params, s.grad_clip)
            if not bool(torch.isfinite(norm)):
                raise TrainingError(f"MOGFN training diverged at step {step}")
            opt.step()
            history.loss.append(float(loss.detach()))
            history.log_z.append(float(log_z.mean().detach()))
            history.mean_log_reward.append(float(log_r[:n_on].mean()))
            if self.on_step is not None:
                self.on_step(step + 1, s.steps, history.loss[-1], history.log_z[-1])
        policy.eval()
        self.policy_: ConditionalMLPPolicy = policy
        self.space_, self.history_, self.n_objectives_ = space, history, k
        return self

    def preferences(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, K) preferences to sample at (:func:`spread_preferences`)."""
        return spread_preferences(n, self.n_objectives_, self.mo, rng)

    def sample(
        self, n: int, rng: np.random.Generator, preferences: np.ndarray | None = None
    ) -> list[str]:
        """``n`` candidates, spread over preferences (or at the (n, K) ``preferences`` given)."""
        if not hasattr(self, "policy_"):
            raise NotFittedError("MOGFNGenerator: call fit() before sample()")
        space, policy = self.space_, self.policy_
        w = self.preferences(n, rng) if preferences is None else np.asarray(preferences)
        device = policy.log_z.device
        gen = torch.Generator(device=device).manual_seed(int(rng.integers(0, _SEED_HIGH)))
        out: list[str] = []
        for start in range(0, n, 4096):
            chunk = torch.as_tensor(w[start : start + 4096], dtype=torch.float32, device=device)
            policy.condition(chunk)
            traj = sample_trajectories(
                policy,
                len(chunk),
                space.min_len,
                space.max_len,
                gen,
                temperature=self.settings.temperature,
            )
            out += decode(traj.tokens, traj.lengths, space.alphabet)
        return out
