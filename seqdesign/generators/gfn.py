"""The GFlowNet generator of GFlowNet-AL (Jain et al. 2022, https://arxiv.org/abs/2203.04115).

``fit`` trains an autoregressive GFlowNet on the round's reward (acquisition values, shaped into
``R = max(norm(a), r_min) ** beta``), mixing on-policy trajectories with the labeled sequences;
``sample`` draws candidates from the trained policy, with probability proportional to R(x) at
``temperature = 1``.

Constraints (``space.constraints``): letters per position, homopolymer runs and, at a fixed
length, Hamming edits from parents are masked actions (:mod:`seqdesign.gflownet.masks`); the
rest (motifs, G+C, Levenshtein edits) are checked on whole sequences: a sequence that fails gets
the reward floor (it is never sent to the reward function), and ``sample`` drops it.
"""

from __future__ import annotations

import numpy as np
import torch

from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError, NotFittedError
from seqdesign.generators.base import RewardFn, measured_in
from seqdesign.gflownet.masks import ActionRules
from seqdesign.gflownet.policy import SequencePolicy, build_policy
from seqdesign.gflownet.sampler import sample_trajectories, trajectory_log_pf
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.gflownet.shaping import ShapedReward
from seqdesign.gflownet.tokens import decode, encode
from seqdesign.gflownet.trainer import ProgressFn, TrainingHistory, train_policy
from seqdesign.space import SequenceSpace

_SEED_HIGH = 2**62
_CHUNK = 4096  # sequences sampled per pass in ``sample``


class GFlowNetGenerator:
    """A GFlowNet that learns to sample sequences in proportion to the shaped reward.

    Args:
        settings: how to build and train it (default: ``GFlowNetSettings()``).
        on_step: optional progress callback ``(step, total, loss, log_z)``.

    Attributes (after ``fit``):
        policy_: the trained policy.
        space_: the space it samples from.
        history_: per-step loss, log Z and mean log-reward.
        reward_scale_: ``(lo, hi)``, the acquisition values mapped to 0 and 1.
        offline_: the labeled sequences used as offline trajectories.
    """

    def __init__(
        self, settings: GFlowNetSettings | None = None, *, on_step: ProgressFn | None = None
    ) -> None:
        self.settings = settings if settings is not None else GFlowNetSettings()
        self.on_step = on_step

    def _device(self) -> torch.device:
        if self.settings.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("GFlowNet settings: device 'cuda' requested but CUDA is unavailable")
        return torch.device(self.settings.device)

    def fit(
        self,
        reward: RewardFn,
        dataset: Dataset,
        space: SequenceSpace,
        rng: np.random.Generator,
    ) -> GFlowNetGenerator:
        """Train on ``reward``; offline data = the measured sequences of ``dataset`` in ``space``.

        Args:
            reward: acquisition values of a list of sequences, larger better (called about once
                per training step, on sequences it has not scored yet).
            dataset: labeled data; its measured sequences inside ``space`` are the offline
                trajectories and set the reward's scale (none: on-policy only, scaled by the
                first batch).
            space: alphabet and length range of the sequences to generate.
            rng: the only source of randomness (same rng state: identical result on CPU).

        Returns:
            self.

        Raises:
            ConfigError: invalid settings, or CUDA requested but unavailable.
            TrainingError: training diverged or the reward returned NaN / +inf.
        """
        s = self.settings
        s.validate()
        device = self._device()
        offline = measured_in(dataset, space)
        init_seed, train_seed = (int(v) for v in rng.integers(0, _SEED_HIGH, size=2))
        policy = build_policy(
            s.policy, len(space.alphabet), space.max_len, s.hidden, s.layers, s.heads, init_seed
        ).to(device)
        generator = torch.Generator(device=device).manual_seed(train_seed)
        shaped = ShapedReward(floor_infeasible(reward, space), s)
        if offline:
            shaped.calibrate(offline)
        history = train_policy(policy, space, shaped, offline, s, generator, self.on_step)
        self.policy_: SequencePolicy = policy
        self.space_ = space
        self.history_: TrainingHistory = history
        assert shaped.lo is not None and shaped.hi is not None
        self.reward_scale_ = (shaped.lo, shaped.hi)
        self.offline_ = offline
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "policy_"):
            raise NotFittedError("GFlowNetGenerator: call fit() before sample() or log_prob()")

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """Sequences from the trained policy (no exploration; ``settings.temperature``).

        Args:
            n: how many to draw (duplicates and labeled sequences may occur).
            rng: the source of randomness.

        Returns:
            The draws that meet the space's constraints: ``n`` of them without constraints.

        Raises:
            NotFittedError: before ``fit``.
        """
        self._check_fitted()
        space = self.space_
        device = self.policy_.log_z.device
        seed = int(rng.integers(0, _SEED_HIGH))
        generator = torch.Generator(device=device).manual_seed(seed)
        rules = ActionRules.from_space(space, device)
        out: list[str] = []
        for start in range(0, n, _CHUNK):
            traj = sample_trajectories(
                self.policy_,
                min(_CHUNK, n - start),
                space.min_len,
                space.max_len,
                generator,
                temperature=self.settings.temperature,
                rules=rules,
            )
            out += decode(traj.tokens, traj.lengths, space.alphabet)
        if space.constrained and space.rules.filters:
            out = [q for q, ok in zip(out, space.check(out)) if ok]
        return out

    @torch.no_grad()
    def log_prob(self, sequences: list[str]) -> np.ndarray:
        """Log-probability that the trained policy (temperature 1) generates each sequence.

        Args:
            sequences: N sequences in the space.

        Returns:
            (N,) float64 log P_T(x).

        Raises:
            NotFittedError: before ``fit``.
            InputError: a sequence is too long or has letters outside the alphabet.
        """
        self._check_fitted()
        space = self.space_
        device = self.policy_.log_z.device
        tokens, lengths = encode(sequences, space.alphabet, space.max_len, device)
        rules = ActionRules.from_space(space, device)
        out = [
            trajectory_log_pf(
                self.policy_,
                tokens[i : i + _CHUNK],
                lengths[i : i + _CHUNK],
                space.min_len,
                space.max_len,
                rules,
            )
            for i in range(0, len(sequences), _CHUNK)
        ]
        return torch.cat(out).double().cpu().numpy() if out else np.zeros(0)


def floor_infeasible(reward: RewardFn, space: SequenceSpace) -> RewardFn:
    """``reward`` where the space's constraints hold, ``-inf`` (the reward floor) elsewhere.

    Only feasible sequences reach ``reward`` (the proxy is not asked about the others).
    """
    if not space.constrained:
        return reward

    def constrained(seqs: list[str]) -> np.ndarray:
        ok = space.check(seqs)
        out = np.full(len(seqs), -np.inf)
        if ok.any():
            out[ok] = np.asarray(reward([q for q, k in zip(seqs, ok) if k]), dtype=np.float64)
        return out

    return constrained
