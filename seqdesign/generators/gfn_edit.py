"""The edit-process GFlowNet generator: designs as at most k substitutions of a parent.

For long sequences near a parent (``--parent WT.fasta --max-edits k``) a trajectory picks a
parent and makes up to k edits (position, letter), then STOPs, as MOGFN-AL did (Jain et al.
2023, https://arxiv.org/abs/2302.00615), instead of writing all L letters
(:mod:`seqdesign.generators.gfn`). The environment, masks and backward policy are in
:mod:`seqdesign.gflownet.edits`; the policy in :mod:`seqdesign.gflownet.edit_policy`.

Training follows GFlowNet-AL's conventions and :class:`~seqdesign.gflownet.settings.
GFlowNetSettings` (same presets, seeds, device, reward shaping): each step mixes on-policy
trajectories with ``gamma * batch_size`` labeled sequences within k edits of a parent, each
turned into a trajectory drawn from P_B (a reachable parent and a random order of its edits),
and takes one Adam step on trajectory balance with the backward term,

    (log Z + log P_F(tau) - log R(x) - log P_B(tau | x))^2,   log P_B = -log(n!) - log m(x)

(Malkin et al. 2022, https://arxiv.org/abs/2201.13259). ``policy``, ``heads``, ``loss``
(always TB) and the local-search settings of the autoregressive GFlowNet do not apply here.
The policy reads every position at each of the k + 1 states, so past ``edit_work`` (L = 50 with
k = 5) the steps shrink in proportion to L * (k + 1) (:func:`edit_steps`).
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

import numpy as np
import torch

from seqdesign.dataset import Dataset
from seqdesign.errors import ConfigError, NotFittedError, TrainingError
from seqdesign.generators.base import RewardFn, measured_in
from seqdesign.generators.gfn import floor_infeasible
from seqdesign.gflownet.edit_policy import EditPolicy, build_edit_policy, edit_log_pf, sample_edits
from seqdesign.gflownet.edits import EditEnv, EditTrajectories, log_pb, offline_trajectories
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.gflownet.shaping import ShapedReward
from seqdesign.gflownet.tokens import decode, encode
from seqdesign.gflownet.trainer import ProgressFn, TrainingHistory, adam_step
from seqdesign.space import SequenceSpace

_SEED_HIGH = 2**62
SAMPLE_CHUNK = 1024  # trajectories sampled per pass in ``sample``
_REACH_CELLS = 1 << 24  # (sequence, parent, position) cells per pass in ``reachable``


class GFlowNetEditGenerator:
    """A GFlowNet over edit sets of parents, sampling x in proportion to the shaped reward.

    Args:
        settings: how to build and train it (default: ``GFlowNetSettings()``); ``hidden`` and
            ``layers`` size the convolutional policy.
        on_step: optional progress callback ``(step, total, loss, log_z)``.

    Attributes (after ``fit``):
        policy_: the trained policy.
        env_: the edit process (parents, masks, k).
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

    def fit(
        self,
        reward: RewardFn,
        dataset: Dataset,
        space: SequenceSpace,
        rng: np.random.Generator,
    ) -> GFlowNetEditGenerator:
        """Train on ``reward``; offline data = the measured sequences of ``dataset`` in ``space``.

        Args:
            reward: acquisition values of a list of sequences, larger better.
            dataset: labeled data; its measured sequences inside ``space`` (all within k edits
                of a parent) are the offline trajectories and set the reward's scale.
            space: a space, with parents and ``max_edits`` or without (then the trust region
                around the best measured sequences: :func:`trust_region`).
            rng: the only source of randomness (same rng state: identical result on CPU).

        Returns:
            self.

        Raises:
            ConfigError: invalid settings, a space without (substitution) parents, or CUDA
                requested but unavailable.
            TrainingError: training diverged or the reward returned NaN / +inf.
        """
        s = self.settings
        s.validate()
        if s.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("GFlowNet settings: device 'cuda' requested but CUDA is unavailable")
        device = torch.device(s.device)
        if space.rules.max_edits is None:  # no parents: the trust region
            space = trust_region(space, dataset, reward, s)
        env = EditEnv.from_space(space, device)
        offline = reachable(env, space, dataset)
        init_seed, train_seed = (int(v) for v in rng.integers(0, _SEED_HIGH, size=2))
        policy = build_edit_policy(env, s.hidden, s.layers, init_seed).to(device)
        generator = torch.Generator(device=device).manual_seed(train_seed)
        shaped = ShapedReward(floor_infeasible(reward, space), s)
        if offline:
            shaped.calibrate(offline)
        self.history_ = train_edit_policy(
            policy, env, space, shaped, offline, s, generator, self.on_step
        )
        self.policy_: EditPolicy = policy
        self.env_ = env
        self.space_ = space
        assert shaped.lo is not None and shaped.hi is not None
        self.reward_scale_ = (shaped.lo, shaped.hi)
        self.offline_ = offline
        return self

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """Sequences from the trained policy (no exploration; ``settings.temperature``).

        Returns:
            The draws that meet the space's constraints (rules not masked per action, such as
            motifs or G+C, filter some out).

        Raises:
            NotFittedError: before ``fit``.
        """
        if not hasattr(self, "policy_"):
            raise NotFittedError("GFlowNetEditGenerator: call fit() before sample()")
        device = self.policy_.log_z.device
        generator = torch.Generator(device=device).manual_seed(int(rng.integers(0, _SEED_HIGH)))
        out: list[str] = []
        for start in range(0, n, SAMPLE_CHUNK):
            traj = sample_edits(
                self.policy_,
                self.env_,
                min(SAMPLE_CHUNK, n - start),
                generator,
                temperature=self.settings.temperature,
            )
            out += decode_edits(traj, self.env_, self.space_)
        return [q for q, ok in zip(out, self.space_.check(out)) if ok]


def trust_region(
    space: SequenceSpace, dataset: Dataset, reward: RewardFn, settings: GFlowNetSettings
) -> SequenceSpace:
    """``space`` narrowed to k edits of the best measured sequences (no ``--parent`` given).

    The parents are the ``trust_parents`` measured sequences of ``space`` with the highest
    acquisition (the proxy's optimism about what was measured); see :func:`around` for k. Far
    from the data the proxy is a guess; near the best of it, a few edits are where its ranking
    holds (AdaLead's and MOGFN-AL's lesson, measured in the commit that added this).

    Raises:
        ConfigError: nothing measured lies in ``space``.
    """
    measured = measured_in(dataset, space)
    values = np.asarray(reward(measured), dtype=np.float64) if measured else np.zeros(0)
    order = np.lexsort((np.array(measured), -np.nan_to_num(values, nan=-np.inf)))
    return around(space, [measured[i] for i in order], settings)


def around(space: SequenceSpace, ranked: list[str], settings: GFlowNetSettings) -> SequenceSpace:
    """``space`` narrowed to k substitutions of the first ``trust_parents`` of ``ranked``.

    ``k = max(1, min(round(trust_radius * L), trust_max_edits))`` with L the parents' median
    length (edits substitute: each design keeps its parent's length).

    Raises:
        ConfigError: ``ranked`` is empty (nothing measured to edit).
    """
    parents = tuple(ranked[: settings.trust_parents])
    if not parents:
        raise ConfigError("generator 'gfn-edit': no measured sequence in the space to edit")
    length = float(np.median([len(p) for p in parents]))
    k = max(1, min(round(settings.trust_radius * length), settings.trust_max_edits))
    constraints = dataclasses.replace(space.constraints, parents=parents, max_edits=k)
    return dataclasses.replace(space, constraints=constraints)


def reachable(env: EditEnv, space: SequenceSpace, dataset: Dataset) -> list[str]:
    """The measured sequences of ``space`` within k substitutions of a usable parent."""
    seqs = [q for q in measured_in(dataset, space) if len(q) <= env.length]
    rows = max(1, _REACH_CELLS // (len(env.parents) * env.length))  # bound the (N, P, L) mask
    keep: list[str] = []
    for start in range(0, len(seqs), rows):
        chunk = seqs[start : start + rows]
        tokens, lengths = encode(chunk, space.alphabet, env.length, env.parents.device)
        reach = env.terminal_parents(tokens, lengths).any(1).tolist()
        keep += [q for q, ok in zip(chunk, reach, strict=True) if ok]
    return keep


def decode_edits(traj: EditTrajectories, env: EditEnv, space: SequenceSpace) -> list[str]:
    """The final sequences of ``traj`` (each keeps its parent's length)."""
    return decode(traj.tokens, env.lengths[traj.parent], space.alphabet)


def _cat(parts: list[EditTrajectories]) -> EditTrajectories:
    return EditTrajectories(
        *(torch.cat([getattr(p, f) for p in parts]) for f in EditTrajectories.__dataclass_fields__)
    )


class PreferenceReward(Protocol):
    """The reward of a preference-conditioned edit GFlowNet (:mod:`.mogfn_edit`)."""

    def draw(self, n: int) -> np.ndarray:
        """(n, K) training preferences."""
        ...

    def log_reward(self, sequences: list[str], step: int, prefs: np.ndarray) -> np.ndarray:
        """(N,) log R(x | w) of each sequence at its (N, K) preference."""
        ...


def edit_steps(settings: GFlowNetSettings, length: int, max_edits: int) -> int:
    """Training steps of the edit GFlowNet for sequences of ``length`` and ``max_edits`` = k.

    A step costs about L * (k + 1) policy positions per trajectory: the full ``steps`` up to
    ``edit_work``, beyond it proportionally fewer, never under a tenth of ``steps``.
    """
    work = length * (max_edits + 1)
    if work <= settings.edit_work:
        return settings.steps
    return max(1, settings.steps // 10, round(settings.steps * settings.edit_work / work))


def train_edit_policy(
    policy: EditPolicy,
    env: EditEnv,
    space: SequenceSpace,
    reward: ShapedReward | PreferenceReward,
    offline: list[str],
    settings: GFlowNetSettings,
    generator: torch.Generator,
    on_step: ProgressFn | None = None,
) -> TrainingHistory:
    """Train ``policy`` in place by trajectory balance with P_B (see the module docstring).

    Args:
        policy: the policy (on the device of ``generator``).
        env: the edit process of ``space``.
        space: the space (for decoding).
        reward: log R of sequences; for a conditioned policy a :class:`PreferenceReward`, which
            draws each trajectory's preference (offline ones too) and scores at it, and log Z
            is ``policy.log_z_of(w)``.
        offline: labeled sequences in the space (may be empty: all on-policy).
        settings: validated settings (batch size, gamma, learning rates, steps, exploration).
        generator: the source of every random draw.
        on_step: progress callback ``(step, total, loss, log_z)``.

    Raises:
        TrainingError: a loss or gradient became NaN or infinite, or the reward misbehaved.
    """
    s = settings
    steps = edit_steps(s, env.length, env.max_edits)
    device = policy.log_z.device
    n_off = min(round(s.gamma * s.batch_size), s.batch_size - 1) if offline else 0
    n_on = s.batch_size - n_off
    off_tokens, off_lengths = encode(offline, space.alphabet, env.length, device)
    optimizer = torch.optim.Adam(
        [
            {"params": policy.body_parameters(), "lr": s.lr},
            {"params": policy.log_z_parameters(), "lr": s.lr_logz},
        ]
    )
    params = list(policy.parameters())
    history = TrainingHistory()
    policy.train()
    for step in range(steps):
        w_np = w = None
        if not isinstance(reward, ShapedReward):  # conditioned: one preference per trajectory
            w_np = reward.draw(n_on + n_off)
            w = torch.as_tensor(w_np, dtype=torch.float32, device=device)
        w_on = None if w is None else w[:n_on]
        parts = [sample_edits(policy, env, n_on, generator, s.train_temperature, s.epsilon, w_on)]
        if n_off:
            idx = torch.randint(len(offline), (n_off,), generator=generator, device=device)
            parts.append(offline_trajectories(env, off_tokens[idx], off_lengths[idx], generator))
        batch = _cat(parts)
        seqs = decode_edits(batch, env, space)
        if isinstance(reward, ShapedReward):  # one reward call per step
            log_r_np = reward.log_reward(seqs, step)
        else:
            assert w_np is not None
            log_r_np = reward.log_reward(seqs, step, w_np)
        if not np.isfinite(log_r_np).all():
            raise TrainingError(f"log-reward is not finite at step {step}: {log_r_np}")
        log_r = torch.as_tensor(log_r_np, dtype=torch.float32, device=device)
        log_pf, legal = edit_log_pf(policy, env, batch, w)
        target = log_r + log_pb(env, batch)  # (B,) log R(x) + log P_B(tau | x)
        weight = legal.float() / legal.float().sum().clamp(min=1.0)
        if step == 0:  # start log Z at a lower bound of the true log Z (Jensen)
            with torch.no_grad():
                policy.log_z.fill_(float((weight * (target - log_pf)).sum()))
        log_z = policy.log_z_of(w)  # () or (B,)
        loss = (weight * (log_z + log_pf - target).pow(2)).sum()
        adam_step(loss, optimizer, params, s.grad_clip, step)
        history.record(loss, log_z.mean(), log_r[:n_on], step, steps, on_step)
    policy.eval()
    return history
