"""MOGFN-PC over edits: a preference-conditioned edit GFlowNet for several objectives.

The edit GFlowNet (:mod:`seqdesign.generators.gfn_edit`) designs long sequences as at most k
substitutions of a parent; with several objectives, trained on one scalar (the equal-weight sum
of the objectives' acquisitions), its designs gather where that sum is largest: the middle of
the front, not its ends. Here, as in MOGFN-PC (Jain et al. 2023,
https://arxiv.org/abs/2210.12765), each training trajectory draws its own preference
w ~ Dirichlet(alpha), its reward is the scalarization of the per-objective acquisition u(x) at w,

    log R(x | w) = beta * log max(s(u(x), w), r_min)

(:func:`seqdesign.generators.mogfn.log_reward`), and the policy, the parent choice and log Z read
w (:class:`~seqdesign.gflownet.edit_policy.EditPolicy` with ``n_prefs``). ``sample`` draws
candidates from a spread of preferences (the simplex grid for K <= 3), so every part of the
front gets designs of its own. Trajectory balance with P_B and offline trajectories as in
:func:`~seqdesign.generators.gfn_edit.train_edit_policy`; offline trajectories get preferences
drawn the same way.
"""

from __future__ import annotations

import numpy as np
import torch

from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError, NotFittedError
from seqdesign.generators.base import measured_in
from seqdesign.generators.gfn_edit import (
    SAMPLE_CHUNK,
    around,
    decode_edits,
    reachable,
    train_edit_policy,
)
from seqdesign.generators.mogfn import (
    VectorCache,
    VectorRewardFn,
    log_reward,
    spread_preferences,
)
from seqdesign.gflownet.edit_policy import EditPolicy, build_edit_policy, sample_edits
from seqdesign.gflownet.edits import EditEnv
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.gflownet.trainer import ProgressFn
from seqdesign.multiobjective import (
    MultiObjectiveSettings,
    Scalarization,
    front_order,
    sample_preferences,
)
from seqdesign.space import SequenceSpace

_SEED_HIGH = 2**62


class ScalarizedReward:
    """log R(x | w) of sequences at their preferences, for the edit trainer.

    Sequences that break the space's whole-sequence rules get the floor (all objectives 0),
    without asking the proxy.

    Args:
        cache: the per-objective values u(x), each sequence scored once.
        space: the space (its constraints).
        kind: the scalarization.
        settings: ``beta`` and ``r_min``.
        ideal: (K,) the best u seen so far on each objective (Tchebycheff), updated as training
            sees better.
        rng: draws the training preferences.
        alpha: their Dirichlet concentration.
    """

    def __init__(
        self,
        cache: VectorCache,
        space: SequenceSpace,
        kind: Scalarization,
        settings: GFlowNetSettings,
        ideal: np.ndarray,
        rng: np.random.Generator,
        alpha: float,
    ) -> None:
        self.cache, self.space, self.kind, self.settings = cache, space, kind, settings
        self.ideal, self.rng, self.alpha = ideal, rng, alpha

    @property
    def n_objectives(self) -> int:
        return len(self.ideal)

    def draw(self, n: int) -> np.ndarray:
        return sample_preferences(n, self.n_objectives, self.rng, self.alpha)

    def values(self, sequences: list[str]) -> np.ndarray:
        """(N, K) u(x); 0 where the space's rules fail."""
        ok = (
            self.space.check(sequences) if self.space.constrained else np.ones(len(sequences), bool)
        )
        u = np.zeros((len(sequences), self.n_objectives))
        if ok.any():
            u[ok] = self.cache.values([q for q, k in zip(sequences, ok, strict=True) if k])
        return u

    def log_reward(self, sequences: list[str], step: int, prefs: np.ndarray) -> np.ndarray:
        del step
        u = self.values(sequences)
        self.ideal = np.maximum(self.ideal, u.max(axis=0))
        s = self.settings
        return log_reward(u, prefs, self.kind, s.beta, s.r_min, self.ideal)


class MOGFNEditGenerator:
    """The preference-conditioned edit GFlowNet behind the generator interface (vector reward).

    Args:
        settings: the GFlowNet's settings (size, training, trust region).
        mo: the multi-objective settings (scalarization, alpha, divisions).
        on_step: optional progress callback ``(step, total, loss, mean log Z)``.

    Attributes (after ``fit``):
        policy_, env_, space_, history_, offline_: as :class:`~.gfn_edit.GFlowNetEditGenerator`.
        n_objectives_: K.
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
    ) -> MOGFNEditGenerator:
        """Train on the (N, K) ``reward``; offline data = the measured sequences in reach.

        Args:
            reward: per-objective acquisition values, larger better (measured data in [0, 1]).
            dataset: labeled data.
            space: a space with parents and ``max_edits``, or without (then k edits of the
                measured sequences on the front of ``reward``, front by front).
            rng: the only source of randomness.

        Raises:
            ConfigError: invalid settings, nothing measured to edit, or CUDA unavailable.
            TrainingError: training diverged or the reward misbehaved.
        """
        s, mo = self.settings, self.mo
        s.validate()
        mo.validate()
        if s.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("GFlowNet settings: device 'cuda' requested but CUDA is unavailable")
        device = torch.device(s.device)
        cache = VectorCache(reward, s.cache_size)
        if space.rules.max_edits is None:  # no parents: k edits of the predicted front
            measured = measured_in(dataset, space)
            if not measured:
                raise ConfigError("generator 'mogfn-edit': no measured sequence in the space")
            order = front_order(cache.values(measured, pin=True), s.trust_parents)
            space = around(space, [measured[i] for i in order], s)
        env = EditEnv.from_space(space, device)
        offline = reachable(env, space, dataset)
        probe = cache.values(offline or list(space.constraints.parents[:8]), pin=bool(offline))
        init_seed, train_seed = (int(v) for v in rng.integers(0, _SEED_HIGH, size=2))
        k = probe.shape[1]
        policy = build_edit_policy(env, s.hidden, s.layers, init_seed, n_prefs=k).to(device)
        generator = torch.Generator(device=device).manual_seed(train_seed)
        ideal = np.maximum(probe.max(axis=0), 1.0)
        scalarized = ScalarizedReward(
            cache, space, Scalarization(mo.scalarization), s, ideal, rng, mo.alpha
        )
        self.history_ = train_edit_policy(
            policy, env, space, scalarized, offline, s, generator, self.on_step
        )
        self.policy_: EditPolicy = policy
        self.env_, self.space_, self.offline_, self.n_objectives_ = env, space, offline, k
        return self

    def preferences(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, K) preferences to sample at (:func:`spread_preferences`)."""
        return spread_preferences(n, self.n_objectives_, self.mo, rng)

    def sample(
        self, n: int, rng: np.random.Generator, preferences: np.ndarray | None = None
    ) -> list[str]:
        """``n`` draws spread over preferences (or at the (n, K) ``preferences`` given).

        Returns:
            The draws that meet the space's constraints.

        Raises:
            NotFittedError: before ``fit``.
        """
        if not hasattr(self, "policy_"):
            raise NotFittedError("MOGFNEditGenerator: call fit() before sample()")
        w = self.preferences(n, rng) if preferences is None else np.asarray(preferences)
        device = self.policy_.log_z.device
        generator = torch.Generator(device=device).manual_seed(int(rng.integers(0, _SEED_HIGH)))
        out: list[str] = []
        for start in range(0, len(w), SAMPLE_CHUNK):
            chunk = torch.as_tensor(
                w[start : start + SAMPLE_CHUNK], dtype=torch.float32, device=device
            )
            traj = sample_edits(
                self.policy_,
                self.env_,
                len(chunk),
                generator,
                temperature=self.settings.temperature,
                prefs=chunk,
            )
            out += decode_edits(traj, self.env_, self.space_)
        return [q for q, ok in zip(out, self.space_.check(out), strict=True) if ok]
