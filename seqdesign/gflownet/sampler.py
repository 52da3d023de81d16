"""Vectorized sampling of trajectories, and scoring of given sequences, under one policy.

The *model* policy is ``P_F = softmax(masked logits)``: the loss scores it,
:func:`trajectory_log_pf` computes it, and :func:`sample_trajectories` returns it as ``log_pf``.
During training, draws may come from a *behavior* policy instead, ``(1 - epsilon) *
softmax(masked logits / temperature) + epsilon * uniform(allowed actions)``; that is off-policy
exploration, which trajectory balance allows, and ``log_pf`` stays the model's. With
``temperature = 1`` and ``epsilon = 0`` the draws follow exactly the distribution the loss trains
(the reference code sampled with ``softmax(10 * logits / T)`` and scored ``log_softmax(logits)``:
two different policies).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from seqdesign.errors import TrainingError
from seqdesign.gflownet.masks import ActionRules
from seqdesign.gflownet.policy import (
    NEG_INF,
    MLPPolicy,
    SequencePolicy,
    action_mask,
    masked_log_probs,
)


@dataclass(frozen=True)
class Trajectories:
    """A batch of complete trajectories (each ends with STOP, forced at ``max_len``).

    Attributes:
        tokens: (B, max_len) int64, padded with 0 after each length.
        lengths: (B,) int64.
        log_pf: (B,) float, sum over the trajectory of log P_F under the model policy
            (temperature 1, no exploration), STOP included.
        step_log_pf: (B, W+1) float, log P_F of each step's action (W the longest length in
            the batch; 0 after a trajectory's STOP): what :func:`step_log_pf` computes from
            ``policy(tokens[:, :W])``.
    """

    tokens: torch.Tensor
    lengths: torch.Tensor
    log_pf: torch.Tensor
    step_log_pf: torch.Tensor


def sample_trajectories(
    policy: SequencePolicy,
    n: int,
    min_len: int,
    max_len: int,
    generator: torch.Generator,
    temperature: float = 1.0,
    epsilon: float = 0.0,
    prefix: torch.Tensor | None = None,
    prefix_lengths: torch.Tensor | None = None,
    rules: ActionRules | None = None,
    differentiable: bool = False,
) -> Trajectories:
    """Sample ``n`` trajectories, one token per step for all of them at once.

    Args:
        policy: the forward policy.
        n: batch size B.
        min_len: shortest allowed sequence.
        max_len: longest allowed sequence (<= ``policy.max_len``).
        generator: the source of every random draw (on the policy's device).
        temperature: divides the logits of the behavior policy (> 0).
        epsilon: probability of a uniform draw among the allowed actions (training only).
        prefix: optional (B, >=P) tokens to force at the start of each trajectory.
        prefix_lengths: (B,) how many prefix tokens to force per row (each ``< max_len`` or
            ``<= max_len``; a row whose prefix is already ``max_len`` long just stops).
        rules: constraint masks (letters per position, runs, edits) applied at every step.
        differentiable: keep the autograd graph of ``log_pf`` and ``step_log_pf`` (the draws
            themselves are never differentiated), so a loss on these trajectories needs no
            second forward pass over them.

    Returns:
        The trajectories; ``log_pf`` scores the whole trajectory, forced steps included.

    Raises:
        TrainingError: the policy's logits are NaN or infinite (its weights diverged).
    """
    with torch.set_grad_enabled(differentiable):
        return _sample(
            policy, n, min_len, max_len, generator, temperature, epsilon, prefix, prefix_lengths,
            rules,
        )  # fmt: skip


NOISE_BLOCK = 1 << 20
"""Floats of Exp(1) noise the sampler draws per call (a few steps' worth at a time)."""


def exponential_noise(
    shape: tuple[int, ...], generator: torch.Generator, device: torch.device | str
) -> torch.Tensor:
    """Independent Exp(1) draws, as ``-log(U)`` with U uniform: on CPU 4x cheaper than
    ``exponential_``. U is kept above 0 (``torch.rand`` returns exactly 0 about once in 2^24
    draws), so every draw is finite: infinite noise would zero a row's only allowed weight, or
    sink its only allowed logit below the masked ones, and draw a forbidden action."""
    u = torch.rand(shape, generator=generator, device=device)
    return u.clamp_min_(torch.finfo(u.dtype).tiny).log_().neg_()


def categorical(probs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """(B,) one draw per row of (B, C) non-negative weights (need not sum to 1).

    The exponential race that ``torch.multinomial(probs, 1)`` also runs: the argmax of
    ``probs / E`` with E ~ Exp(1) per entry picks entry c with probability ``probs[c] / sum``.
    No check of the input: a NaN row gives some index (callers check their logits).
    """
    return (probs / exponential_noise(tuple(probs.shape), generator, probs.device)).argmax(-1)


class _Noise:
    """The random draws of :func:`_sample`, made a block of steps at a time (one call per block
    rather than one per step: on CPU each call costs more than its numbers).

    Per step and row: Gumbel noise for every action, whether the row explores (probability
    epsilon) and, if so, its uniform pick among the allowed actions (known in advance when the
    same actions are blocked in every row: ``blocked``, (T+1, A+1); else picked per step).
    """

    def __init__(
        self,
        n: int,
        width: int,
        steps: int,
        epsilon: float,
        blocked: torch.Tensor | None,
        generator: torch.Generator,
    ) -> None:
        self.n, self.width, self.steps, self.epsilon = n, width, steps, epsilon
        self.blocked, self.generator = blocked, generator
        self.per_draw = max(1, NOISE_BLOCK // max(1, n * width))
        self.start = -1  # the first step of the current block

    def _draw(self, t: int) -> None:
        start = t - t % self.per_draw
        if start == self.start:
            return
        self.start, k = start, min(self.per_draw, self.steps - start)
        g, shape = self.generator, (k, self.n, self.width)
        device = g.device
        self._gumbel = exponential_noise(shape, g, device).log_().neg_()  # -log E: Gumbel(0, 1)
        if self.epsilon > 0.0:
            self._explores = torch.rand((k, self.n), generator=g, device=device) < self.epsilon
            self._picks = torch.rand(shape, generator=g, device=device)  # argmax: uniform pick
            if self.blocked is not None:
                blocked = self.blocked[start : start + k, None, :]
                self._uniform = self._picks.masked_fill(blocked, -1.0).argmax(-1)  # (k, B)

    def gumbel(self, t: int) -> torch.Tensor:
        """(B, A+1) Gumbel noise of step t."""
        self._draw(t)
        return self._gumbel[t - self.start]

    def explores(self, t: int) -> torch.Tensor:
        """(B,) whether each row explores at step t."""
        self._draw(t)
        return self._explores[t - self.start]

    def uniform(self, t: int, mask: torch.Tensor) -> torch.Tensor:
        """(B,) a uniform pick among the actions ``mask`` leaves allowed, per row."""
        self._draw(t)
        if self.blocked is not None:
            return self._uniform[t - self.start]
        return self._picks[t - self.start].masked_fill(mask, -1.0).argmax(-1)


def _sample(
    policy: SequencePolicy,
    n: int,
    min_len: int,
    max_len: int,
    generator: torch.Generator,
    temperature: float,
    epsilon: float,
    prefix: torch.Tensor | None,
    prefix_lengths: torch.Tensor | None,
    rules: ActionRules | None,
) -> Trajectories:
    device = policy.log_z.device
    a = policy.n_letters
    differentiable = torch.is_grad_enabled()
    # the MLP policy runs its steps without autograd and differentiates them in one batched
    # pass afterwards (MLPPolicy.replay); other policies build the graph step by step
    replayed = (
        policy
        if differentiable
        and isinstance(policy, MLPPolicy)
        and policy.replays
        and type(policy)._head is MLPPolicy._head  # a subclass's own network: step by step
        else None
    )
    allowed = action_mask(torch.arange(max_len + 1, device=device), a, min_len, max_len)
    blocked = ~allowed  # (T+1, A+1)
    actions: list[torch.Tensor] = []  # (B,) the action of each step; after STOP: ignored
    outs: list[torch.Tensor] = []  # (B, A+1) logits (differentiable) or log-probabilities
    masks: list[torch.Tensor] = []  # (B, A+1) actions blocked by the rules
    done = torch.zeros(n, dtype=torch.bool, device=device)
    prev = torch.zeros(n, dtype=torch.long, device=device)
    cache = replayed.init_cache(n, record=True) if replayed else policy.init_cache(n)
    state = rules.initial(n, device) if rules is not None else None
    noise = _Noise(n, a + 1, max_len, epsilon, blocked if rules is None else None, generator)
    for t in range(max_len):
        with torch.set_grad_enabled(differentiable and replayed is None):
            logits, cache = policy.step(cache, t, prev)  # (B, A+1)
        # the draw is never differentiated: only the policy's own ops join the graph, and the
        # log-softmax of the whole trajectory is taken once, after the loop
        with torch.no_grad():
            if rules is not None and state is not None:
                mask = ~rules.actions_at(t, state, allowed[t])  # (B, A+1) blocked
                masks.append(mask)
            else:
                mask = blocked[t]
            masked = logits.masked_fill(mask, NEG_INF)
            if not differentiable:  # the model policy's log-probabilities are the output
                log_p = torch.log_softmax(masked, dim=-1)
            # Gumbel-max: argmax(logits / T + G) is a draw from softmax(logits / T); with
            # probability epsilon the row explores instead, uniformly among its allowed actions
            action = torch.add(noise.gumbel(t), masked, alpha=1.0 / temperature).argmax(-1)
            if epsilon > 0.0:
                action = torch.where(noise.explores(t), noise.uniform(t, mask), action)
            if prefix is not None and prefix_lengths is not None and t < prefix.shape[1]:
                action = torch.where(t < prefix_lengths, prefix[:, t], action)
        actions.append(action)
        if replayed is None:
            outs.append(logits if differentiable else log_p)
        if rules is not None and state is not None:
            state = rules.advance(t, state, action)
        if t >= min_len:  # STOP is allowed from here on
            done = done | (action == a)
            if bool(done.all()):
                break
        prev = action.clamp(max=a - 1)
    width = len(actions)  # steps where the policy was evaluated
    if replayed is not None:
        stacked = replayed.replay(cache)  # (B, W', A+1)
    else:
        stacked = torch.stack(outs, 1)
    if not bool(torch.isfinite(stacked).all()):
        step = int((~torch.isfinite(stacked)).any(2).any(0).int().argmax())
        raise TrainingError(f"the policy produced NaN or infinite logits at step {step}")
    if differentiable:
        block = torch.stack(masks, 1) if masks else blocked[:width]  # (B or 1, W', A+1)
        stacked = torch.log_softmax(stacked.masked_fill(block, NEG_INF), dim=-1)
    acts = torch.stack(actions, 1)  # (B, W')
    taken = stacked.gather(2, acts[:, :, None]).squeeze(2)  # (B, W') log P_F of each action
    if width == max_len:
        # at max_len only STOP is allowed: log P_F(STOP) = 0 exactly (its gradient too), so the
        # policy is not evaluated there
        acts = torch.cat([acts, acts.new_full((n, 1), a)], 1)
        taken = torch.cat([taken, taken.new_zeros(n, 1)], 1)
    steps = torch.arange(acts.shape[1], device=device)  # (W+1,)
    lengths = (acts == a).int().argmax(1)  # (B,) the first STOP: every row has one
    step_lp = torch.where(steps <= lengths[:, None], taken, 0.0)  # (B, W+1)
    tokens = torch.zeros(n, max_len, dtype=torch.long, device=device)
    w = acts.shape[1] - 1
    tokens[:, :w] = torch.where(steps[:w] < lengths[:, None], acts[:, :w], 0)
    return Trajectories(tokens, lengths.long(), step_lp.sum(1), step_lp)


def step_log_pf(
    logits: torch.Tensor,
    tokens: torch.Tensor,
    lengths: torch.Tensor,
    min_len: int,
    max_len: int,
    rules: ActionRules | None = None,
) -> torch.Tensor:
    """Log P_F of each action along each sequence's unique trajectory.

    Args:
        logits: (B, T+1, A+1) from ``policy(tokens)``.
        tokens: (B, T) int64.
        lengths: (B,) int64, each <= T.
        min_len: shortest allowed sequence.
        max_len: longest allowed sequence.
        rules: the constraint masks the sampler applied (the same ones, so the scores agree).

    Returns:
        (B, T+1): entry ``t`` is log P_F(x_{t+1} | s_t) for ``t < length``, log P_F(STOP | s_t)
        at ``t == length``, and 0 after.
    """
    b, t = tokens.shape
    steps = torch.arange(t + 1, device=tokens.device)  # (T+1,)
    if rules is None:
        log_p = masked_log_probs(logits, min_len, max_len)  # (B, T+1, A+1)
    else:
        base = action_mask(steps, logits.shape[-1] - 1, min_len, max_len)  # (T+1, A+1)
        mask = rules.prefix_masks(tokens, base)  # (B, T+1, A+1)
        log_p = torch.log_softmax(logits.masked_fill(~mask, NEG_INF), dim=-1)
    stop = torch.full((b, 1), logits.shape[-1] - 1, dtype=torch.long, device=tokens.device)
    actions = torch.cat([tokens, stop], 1)  # (B, T+1)
    actions = torch.where(steps == lengths[:, None], stop, actions)
    taken = log_p.gather(2, actions.unsqueeze(2)).squeeze(2)  # (B, T+1)
    return torch.where(steps <= lengths[:, None], taken, 0.0)


def trajectory_log_pf(
    policy: SequencePolicy,
    tokens: torch.Tensor,
    lengths: torch.Tensor,
    min_len: int,
    max_len: int,
    rules: ActionRules | None = None,
) -> torch.Tensor:
    """Log P_F(x) of complete sequences: the log-probability that the policy generates each one.

    On a tree (each sequence has one trajectory) this is also log P_T(x), the terminal
    distribution of the model policy.

    Args:
        policy: the forward policy.
        tokens: (B, T) int64, T <= max_len.
        lengths: (B,) int64.
        min_len: shortest allowed sequence.
        max_len: longest allowed sequence.
        rules: constraint masks, as given to the sampler.

    Returns:
        (B,) log-probabilities (differentiable).
    """
    width = int(lengths.max()) if len(lengths) else 0
    tokens = tokens[:, :width]
    logits, _ = policy(tokens)
    return step_log_pf(logits, tokens, lengths, min_len, max_len, rules).sum(1)
