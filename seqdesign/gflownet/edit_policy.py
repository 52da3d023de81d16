"""The forward policy of the edit process, and sampling / scoring of its trajectories.

:class:`EditPolicy` reads the current sequence (one-hot), which positions are edited, and the
fraction of the edit budget used, through a learned position embedding and a few residual 1-D
convolutions (cheap on a CPU for L in the hundreds), and gives one logit per (position, letter)
plus a STOP logit from pooled features. The choice of parent at ``s_0`` has its own logits.
Positions past a row's length (parents of several lengths) are zero in every layer, as the
convolutions' own padding is, and left out of the pooling.

With several objectives the policy may be conditioned on a preference w (MOGFN-PC's idea, Jain
et al. 2023, applied to edits): w is mapped to one more input vector added at every position,
to a shift of the parent logits and to a shift of log Z, all three linear in w. The shifts start
at zero, so at initialization every preference behaves alike.

As in :mod:`seqdesign.gflownet.sampler`, the *model* policy is ``softmax(masked logits)``: the
loss scores it (:func:`edit_log_pf`); the behavior policy of training adds a temperature and
epsilon-uniform exploration over the allowed actions, which TB allows (off-policy).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqdesign.errors import TrainingError
from seqdesign.gflownet.edits import EditEnv, EditState, EditTrajectories
from seqdesign.gflownet.policy import NEG_INF
from seqdesign.gflownet.sampler import categorical

_KERNEL = 5
MAX_WIDTH = 64
"""Channels are capped here: the convolutions run at every position of every state of a batch,
so wider costs far more than in the autoregressive MLP (measured on 2 busy CPU cores:
64 channels trained 3x faster than 128 at L = 32, with the same best score)."""


class EditPolicy(nn.Module):
    """P_F over edits of a length-L sequence, a parent choice at ``s_0``, and log Z.

    Args:
        n_letters: A.
        length: L.
        n_parents: P.
        max_edits: k (the budget fraction used is an input).
        hidden: channels of the convolutions.
        layers: residual convolution blocks (kernel 5).
        n_prefs: K > 0 conditions the policy, the parent choice and log Z on a (B, K)
            preference (``prefs`` of every call); 0 (default) is unconditioned.
    """

    def __init__(
        self,
        n_letters: int,
        length: int,
        n_parents: int,
        max_edits: int,
        hidden: int,
        layers: int,
        n_prefs: int = 0,
    ) -> None:
        super().__init__()
        self.n_letters, self.length, self.max_edits = n_letters, length, max_edits
        self.n_prefs = n_prefs
        self.embed = nn.Linear(n_letters + 2, hidden)
        self.position = nn.Parameter(0.02 * torch.randn(length, hidden))
        self.convs = nn.ModuleList(
            nn.Conv1d(hidden, hidden, _KERNEL, padding=_KERNEL // 2) for _ in range(layers)
        )
        self.letter_head = nn.Linear(hidden, n_letters)
        self.stop_head = nn.Sequential(
            nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)
        )
        self.parent_logits = nn.Parameter(torch.zeros(n_parents))
        self.log_z = nn.Parameter(torch.zeros(()))
        if n_prefs:
            self.pref_embed = nn.Linear(n_prefs, hidden)
            self.pref_parent = nn.Linear(n_prefs, n_parents, bias=False)
            self.pref_log_z = nn.Linear(n_prefs, 1, bias=False)
            nn.init.zeros_(self.pref_parent.weight)
            nn.init.zeros_(self.pref_log_z.weight)

    def body_parameters(self) -> list[nn.Parameter]:
        """Every parameter except those of log Z (which train at their own learning rate)."""
        return [p for name, p in self.named_parameters() if name not in _LOG_Z]

    def log_z_parameters(self) -> list[nn.Parameter]:
        """log Z, and its dependence on the preference when conditioned."""
        return [p for name, p in self.named_parameters() if name in _LOG_Z]

    def log_z_of(self, prefs: torch.Tensor | None) -> torch.Tensor:
        """log Z, () unconditioned, (B,) at (B, K) preferences."""
        if prefs is None:
            return self.log_z
        return self.log_z + self.pref_log_z(prefs).squeeze(-1)

    def _check_prefs(self, prefs: torch.Tensor | None) -> None:
        if (prefs is None) != (self.n_prefs == 0):
            raise ValueError(
                f"the edit policy takes {self.n_prefs or 'no'} preference weights; got "
                f"{'none' if prefs is None else tuple(prefs.shape)}"
            )

    def forward(self, state: EditState, prefs: torch.Tensor | None = None) -> torch.Tensor:
        """(B, L*A + 1) unmasked logits: edits (position-major), then STOP.

        ``prefs``: (B, K) preferences, exactly when the policy is conditioned.
        """
        self._check_prefs(prefs)
        b, length = state.tokens.shape
        budget = (state.n_edits.float() / max(self.max_edits, 1))[:, None, None]
        x = torch.cat(
            [
                F.one_hot(state.tokens, self.n_letters).float(),
                state.edited[:, :, None].float(),
                budget.expand(b, length, 1),
            ],
            2,
        )  # (B, L, A+2)
        inside = state.inside()  # (B, L)
        ragged = not bool(inside.all())
        keep = inside[:, None, :].float()  # (B, 1, L)
        h = self.embed(x) + self.position  # (B, L, H)
        if prefs is not None:
            h = h + self.pref_embed(prefs)[:, None, :]
        h = h.transpose(1, 2)  # (B, H, L)
        if ragged:
            h = h * keep
        for conv in self.convs:
            h = h + torch.relu(conv(h))
            if ragged:
                h = h * keep
        h = h.transpose(1, 2)  # (B, L, H)
        edits = self.letter_head(h).reshape(b, length * self.n_letters)
        if ragged:
            mean = h.sum(1) / state.lengths[:, None].clamp(min=1).float()
            peak = h.masked_fill(~inside[:, :, None], NEG_INF).amax(1)
        else:
            mean, peak = h.mean(1), h.amax(1)
        stop = self.stop_head(torch.cat([mean, peak], 1))  # (B, 1)
        return torch.cat([edits, stop], 1)

    def parent_log_probs(self, env: EditEnv, prefs: torch.Tensor | None = None) -> torch.Tensor:
        """Log-probabilities of the first action (unusable parents masked): (P,), or (B, P) at
        (B, K) preferences."""
        self._check_prefs(prefs)
        logits = self.parent_logits
        if prefs is not None:
            logits = logits + self.pref_parent(prefs)  # (B, P)
        return torch.log_softmax(logits.masked_fill(~env.usable, NEG_INF), -1)


_LOG_Z = ("log_z", "pref_log_z.weight")


def build_edit_policy(
    env: EditEnv, hidden: int, layers: int, seed: int, n_prefs: int = 0
) -> EditPolicy:
    """An :class:`EditPolicy` for ``env`` with weights drawn from ``seed`` (global RNG untouched).

    ``hidden`` is capped at :data:`MAX_WIDTH` channels; ``n_prefs`` > 0 conditions it on
    preferences over that many objectives.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        width = min(hidden, MAX_WIDTH)
        return EditPolicy(
            env.n_letters, env.length, len(env.parents), env.max_edits, width, layers, n_prefs
        )


def _behavior(
    log_p: torch.Tensor, mask: torch.Tensor, temperature: float, epsilon: float
) -> torch.Tensor:
    """Probabilities of the behavior policy from the model's masked log-probabilities."""
    probs = torch.softmax(log_p / temperature, -1) if temperature != 1.0 else log_p.exp()
    if epsilon > 0.0:
        probs = (1.0 - epsilon) * probs + epsilon * mask / mask.sum(-1, keepdim=True)
    return probs


@torch.no_grad()
def sample_edits(
    policy: EditPolicy,
    env: EditEnv,
    n: int,
    generator: torch.Generator,
    temperature: float = 1.0,
    epsilon: float = 0.0,
    prefs: torch.Tensor | None = None,
) -> EditTrajectories:
    """Sample ``n`` trajectories, one action per step for the whole batch (at most k + 1 steps).

    Args:
        policy: the forward policy.
        env: the edit process (parents, masks, k).
        n: batch size B.
        generator: the source of every random draw (on the policy's device).
        temperature: divides the log-probabilities of the behavior policy (> 0).
        epsilon: probability of a uniform draw among the allowed actions (training only).
        prefs: (B, K) the preference of each trajectory (a conditioned policy only).

    Raises:
        TrainingError: the policy's logits are NaN or infinite.
    """
    device = policy.log_z.device
    k, a = env.max_edits, env.n_letters
    usable = env.usable.float()
    parent_p = _behavior(policy.parent_log_probs(env, prefs), usable, temperature, epsilon)
    if prefs is None:
        parent = torch.multinomial(parent_p, n, replacement=True, generator=generator)  # (B,)
    else:
        parent = categorical(parent_p, generator)  # (B,)
    state = env.initial(parent)
    positions = torch.zeros(n, k, dtype=torch.long, device=device)
    letters = torch.zeros(n, k, dtype=torch.long, device=device)
    alive = torch.ones(n, dtype=torch.bool, device=device)
    for t in range(k + 1):
        mask = env.action_mask(state)  # (B, L*A+1)
        logits = policy(state, prefs)
        if not bool(torch.isfinite(logits).all()):
            raise TrainingError(f"the edit policy produced NaN or infinite logits at step {t}")
        log_p = torch.log_softmax(logits.masked_fill(~mask, NEG_INF), -1)
        probs = _behavior(log_p, mask.float(), temperature, epsilon)
        action = categorical(probs, generator)  # (B,)
        edit = alive & (action < env.n_actions - 1)
        pos, letter = action // a, action % a
        if t < k:
            positions[:, t] = torch.where(edit, pos, 0)
            letters[:, t] = torch.where(edit, letter, 0)
        state = env.apply(state, pos.clamp(max=env.length - 1), letter, edit)
        alive = edit
        if not bool(alive.any()):
            break
    return EditTrajectories(parent, positions, letters, state.n_edits, state.tokens)


def edit_log_pf(
    policy: EditPolicy,
    env: EditEnv,
    traj: EditTrajectories,
    prefs: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Log P_F of whole trajectories (parent choice, edits, STOP), in one forward pass.

    The states along each trajectory are rebuilt from its parent and edits (k + 1 of them at
    most), the rows of every state are stacked, and the policy reads them all at once.

    Args:
        policy: the forward policy.
        env: the edit process.
        traj: B trajectories.
        prefs: (B, K) the preference of each trajectory (a conditioned policy only).

    Returns:
        (B,) log P_F (differentiable), and (B,) bool: every action was allowed by the masks
        (a trajectory built in another order than the sampler's may break a run rule).
    """
    b = len(traj.parent)
    k = env.max_edits
    device = traj.parent.device
    steps = torch.arange(k + 1, device=device)
    state = env.initial(traj.parent)
    states: list[EditState] = []
    for t in range(k + 1):  # state t: the first t edits applied
        states.append(state)
        if t < k:
            state = env.apply(state, traj.positions[:, t], traj.letters[:, t], t < traj.n_edits)
    stacked = EditState(*(torch.cat([getattr(s, f) for s in states]) for f in _FIELDS))
    row_step = steps.repeat_interleave(b)  # (K*B,) the step of each stacked row
    row_traj = torch.arange(b, device=device).repeat(k + 1)
    live = row_step <= traj.n_edits[row_traj]  # rows on the trajectory (STOP included)
    sub = EditState(*(getattr(stacked, f)[live] for f in _FIELDS))
    mask = env.action_mask(sub)
    sub_prefs = None if prefs is None else prefs[row_traj[live]]
    log_p = torch.log_softmax(policy(sub, sub_prefs).masked_fill(~mask, NEG_INF), -1)
    t_live, i_live = row_step[live], row_traj[live]
    is_stop = t_live == traj.n_edits[i_live]
    if k > 0:
        t_edit = t_live.clamp(max=k - 1)
        edit_action = traj.positions[i_live, t_edit] * env.n_letters + traj.letters[i_live, t_edit]
    else:  # no edit allowed (--max-edits 0): every row is the STOP of its parent
        edit_action = torch.zeros_like(t_live)
    action = torch.where(is_stop, env.n_actions - 1, edit_action)
    taken = log_p.gather(1, action[:, None]).squeeze(1)
    allowed = mask.gather(1, action[:, None]).squeeze(1)
    log_pf = torch.zeros(b, device=device).index_add(0, i_live, taken)
    broken = torch.zeros(b, device=device).index_add(0, i_live, (~allowed).float())
    parent_lp = policy.parent_log_probs(env, prefs)
    if prefs is None:
        log_pf = log_pf + parent_lp[traj.parent]
    else:
        log_pf = log_pf + parent_lp.gather(1, traj.parent[:, None]).squeeze(1)
    return log_pf, broken == 0


_FIELDS = ("parent", "tokens", "edited", "n_edits", "lengths")
