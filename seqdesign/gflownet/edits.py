"""The edit process: a GFlowNet that designs by substituting letters of a parent sequence.

For long sequences with at most k edits from a parent (``--parent WT.fasta --max-edits k``),
writing all L letters left to right (:mod:`seqdesign.gflownet.sampler`) spends L steps to decide
k changes. Here a trajectory makes the changes themselves, as MOGFN-AL did (Jain et al. 2023,
https://arxiv.org/abs/2302.00615):

    s_0 --choose a parent p--> (p, {}) --edit (i, a)--> (p, {(i, a)}) --...--> (p, E) --STOP--> x

* **State**: a parent p and the set E of edits made so far (position, new letter); the current
  sequence is p with E applied. The parent is part of the trajectory (its first action, with
  its own learned logits): a uniform fixed choice could not let the flow through each parent
  follow the reward.
* **Actions**: an edit ``(i, a)`` with ``i`` not yet edited and ``a != p[i]``, or STOP. At ``k``
  edits only STOP is left (forced). Flattened, action ``i * A + a`` is an edit, ``L * A`` STOP.
* **Masks** (:meth:`EditEnv.action_mask`): letters allowed per position (``--fixed``,
  ``--allowed``); where a parent breaks a fixed letter, that position must be edited (STOP waits
  for it, and other edits are masked once the budget only covers the forced ones); homopolymer
  runs (an edit that would make a run longer than the limit is masked). Other rules (motifs,
  G+C) are checked on the finished sequence, whose reward is then the floor.
* **Lengths**: parents may differ in length (a variable-length space); an edit substitutes, so
  every sequence keeps its parent's length. Tensors are padded to the longest parent, and the
  positions past a row's length are masked (no edits there, no letters in runs or distances).
* **Backward policy**: the edits form a set, so any order of them reaches the same state. P_B is
  uniform over the edited positions, ``log P_B = -log |E|`` per step, ``-log(n!)`` over a
  trajectory of n edits (:func:`log_pb`). A sequence x within k of m parents has m terminal
  predecessors ``(p, diff(x, p))``; P_B picks among them uniformly (``-log m``). With that, TB
  makes P(x) proportional to R(x) whichever parent and order reached it. (Under a homopolymer
  mask some orders of an edit set can be blocked; P_B still counts them, so such x are slightly
  under-sampled.)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from seqdesign.errors import ConfigError
from seqdesign.gflownet.tokens import encode
from seqdesign.space import SequenceSpace


@dataclass(frozen=True)
class EditState:
    """A batch of states of the edit process.

    Attributes:
        parent: (B,) int64 index of each row's parent.
        tokens: (B, L) int64 the current sequence (the parent with the edits applied; 0 past
            its length).
        edited: (B, L) bool positions edited so far.
        n_edits: (B,) int64 edits made so far.
        lengths: (B,) int64 each row's length (its parent's).
    """

    parent: torch.Tensor
    tokens: torch.Tensor
    edited: torch.Tensor
    n_edits: torch.Tensor
    lengths: torch.Tensor

    def inside(self) -> torch.Tensor:
        """(B, L) bool: the positions within each row's length."""
        return within(self.lengths, self.tokens.shape[1])


def within(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """(N, width) bool: the positions before each of the (N,) ``lengths``."""
    return torch.arange(width, device=lengths.device)[None, :] < lengths[:, None]


def substitution_parents(space: SequenceSpace, generator: str = "gfn-edit") -> list[str]:
    """The parents of ``space`` that substitutions can edit: those of an allowed length.

    ``generator``: the name the messages give (``gfn-edit`` or ``mogfn-edit``).

    Raises:
        ConfigError: the space has no parents with ``max_edits``, or none of an allowed length.
    """
    rules = space.rules
    if not rules.parents or rules.max_edits is None:
        raise ConfigError(
            f"generator {generator!r} needs --parent sequences with --max-edits (or a space "
            "without them, where it edits the best measured sequences); use "
            f"{generator.removesuffix('-edit')!r} otherwise"
        )
    kept = [p for p in rules.parents if space.min_len <= len(p) <= space.max_len]
    if not kept:
        raise ConfigError(
            f"generator {generator!r} edits by substitution: no --parent sequence has a length "
            f"in {space.min_len}-{space.max_len}; use {generator.removesuffix('-edit')!r} otherwise"
        )
    return kept


@dataclass(frozen=True)
class EditTrajectories:
    """Complete trajectories: a parent, then ``n_edits`` edits in order, then STOP.

    Attributes:
        parent: (B,) int64 parent indices.
        positions: (B, k) int64 edited positions in the order made (padding 0 past ``n_edits``).
        letters: (B, k) int64 their new letters (padding 0).
        n_edits: (B,) int64.
        tokens: (B, L) int64 the final sequences.
    """

    parent: torch.Tensor
    positions: torch.Tensor
    letters: torch.Tensor
    n_edits: torch.Tensor
    tokens: torch.Tensor


@dataclass(frozen=True)
class EditEnv:
    """The edit process of a space with parents (substitutions: each keeps its parent's length).

    Attributes:
        parents: (P, L) int64 parent tokens, padded with 0 to the longest (L).
        lengths: (P,) int64 parent lengths.
        letters: (L, A) bool letters allowed at each position.
        max_edits: k.
        max_run: the longest allowed run of one letter (0: no limit).
        usable: (P,) bool parents that can meet the letter rules within k edits.
    """

    parents: torch.Tensor
    lengths: torch.Tensor
    letters: torch.Tensor
    max_edits: int
    max_run: int
    usable: torch.Tensor

    @classmethod
    def from_space(cls, space: SequenceSpace, device: torch.device | str) -> EditEnv:
        """The edit process of ``space``.

        Parents outside the space's length range are left out (a substitution cannot reach it).

        Raises:
            ConfigError: the space has no parents with ``max_edits``, or none of an allowed length.
        """
        rules = space.rules
        kept = substitution_parents(space)
        width = max(len(p) for p in kept)
        parents, lengths = encode(kept, space.alphabet, width, device)  # (P, L), (P,)
        letters = torch.as_tensor(rules.letter_mask[:width], device=device)  # (L, A)
        inside = within(lengths, width)  # (P, L)
        forced = (~letters.gather(1, parents.T).T & inside).sum(1)  # (P,) edits each needs
        assert rules.max_edits is not None  # substitution_parents checked it
        k = int(rules.max_edits)
        return cls(parents, lengths, letters, k, rules.max_run, forced <= k)

    @property
    def length(self) -> int:
        return int(self.parents.shape[1])

    @property
    def n_letters(self) -> int:
        return int(self.letters.shape[1])

    @property
    def n_actions(self) -> int:
        """L * A edits + STOP."""
        return self.length * self.n_letters + 1

    def initial(self, parent: torch.Tensor) -> EditState:
        """The states ``(p, {})`` of a (B,) batch of parent indices."""
        tokens = self.parents[parent]  # (B, L)
        return EditState(
            parent=parent,
            tokens=tokens,
            edited=torch.zeros_like(tokens, dtype=torch.bool),
            n_edits=torch.zeros_like(parent),
            lengths=self.lengths[parent],
        )

    def apply(
        self, state: EditState, position: torch.Tensor, letter: torch.Tensor, active: torch.Tensor
    ) -> EditState:
        """The states after editing ``position`` to ``letter`` (each (B,)) where ``active``."""
        rows = torch.arange(len(position), device=position.device)
        tokens, edited = state.tokens.clone(), state.edited.clone()
        tokens[rows, position] = torch.where(active, letter, tokens[rows, position])
        edited[rows, position] |= active
        return EditState(state.parent, tokens, edited, state.n_edits + active.long(), state.lengths)

    def action_mask(self, state: EditState) -> torch.Tensor:
        """(B, L*A + 1) bool actions allowed in each state (the last column is STOP).

        A row where the rules leave nothing (a dead end, e.g. a forced edit blocked by a run)
        may STOP; the sequence then fails the whole-sequence check and gets the floor reward.
        """
        b, length = state.tokens.shape
        a = self.n_letters
        pos = torch.arange(length, device=state.tokens.device)
        inside = state.inside()  # (B, L)
        parent_letter = F.one_hot(self.parents[state.parent], a).bool()  # (B, L, A)
        ok = self.letters[None] & ~parent_letter & (inside & ~state.edited)[:, :, None]
        broken = ~self.letters[pos[None, :], state.tokens] & inside  # (B, L) must change
        n_broken = broken.sum(1)  # (B,)
        spare = state.n_edits + 1 + n_broken <= self.max_edits  # (B,) room for a free edit
        ok &= (broken | spare[:, None])[:, :, None]
        ok &= (state.n_edits < self.max_edits)[:, None, None]
        if self.max_run:
            ok &= self._run_ok(state.tokens, inside)
        stop = n_broken == 0  # (B,)
        ok_flat = ok.reshape(b, length * a)
        stop = stop | ~ok_flat.any(1)
        return torch.cat([ok_flat, stop[:, None]], 1)

    def _run_ok(self, tokens: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
        """(B, L, A) bool: writing letter a at position i keeps every run within ``max_run``.

        The run through i is the run of a ending at i-1, plus one, plus the run starting at i+1
        (padding past a row's length holds no letter).
        """
        a = self.n_letters
        is_a = F.one_hot(tokens, a).bool() & inside[:, :, None]  # (B, L, A)
        ends = _run_ending(is_a)  # (B, L, A) run of a ending at each position
        starts = _run_ending(is_a.flip(1)).flip(1)  # (B, L, A) run of a starting there
        left = F.pad(ends[:, :-1], (0, 0, 1, 0))  # shifted right by one position
        right = F.pad(starts[:, 1:], (0, 0, 0, 1))  # shifted left by one position
        return left + 1 + right <= self.max_run

    def terminal_parents(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(N, P) bool: the usable parents of each sequence's length within k substitutions.

        Args:
            tokens: (N, L) int64 sequences, padded to the parents' width.
            lengths: (N,) int64 their lengths.
        """
        inside = within(lengths, tokens.shape[1])  # (N, L)
        differ = (tokens[:, None, :] != self.parents[None, :, :]) & inside[:, None, :]
        same = lengths[:, None] == self.lengths[None, :]  # (N, P)
        return (differ.sum(2) <= self.max_edits) & same & self.usable[None, :]


def _run_ending(is_a: torch.Tensor) -> torch.Tensor:
    """(B, L, A) int64 length of the run of each letter ending at each position (0 if absent)."""
    idx = torch.arange(is_a.shape[1], device=is_a.device)[None, :, None]  # (1, L, 1)
    last_other = torch.where(is_a, -1, idx).cummax(1).values  # last position not holding a
    return idx - last_other


def log_pb_steps(n_edits: torch.Tensor, k: int) -> torch.Tensor:
    """(B, k) log P_B of each edit step: ``-log t`` for the state with t edits, 0 past ``n``.

    Backward from a state with t edits, any of its t edited positions may have been the last,
    uniformly.
    """
    t = torch.arange(1, k + 1, device=n_edits.device, dtype=torch.float32)  # (k,)
    return torch.where(t[None, :] <= n_edits[:, None], -torch.log(t)[None, :], 0.0)


def log_pb(env: EditEnv, traj: EditTrajectories) -> torch.Tensor:
    """(B,) log P_B of whole trajectories: ``-log(n!) - log m(x)``.

    ``m(x)`` is the number of usable parents within k edits of the final sequence (the terminal
    state's predecessors); the edit steps contribute ``-log n!`` (:func:`log_pb_steps`).
    """
    m = env.terminal_parents(traj.tokens, env.lengths[traj.parent]).sum(1).clamp(min=1)  # (B,)
    return log_pb_steps(traj.n_edits, env.max_edits).sum(1) - torch.log(m.float())


def offline_trajectories(
    env: EditEnv, tokens: torch.Tensor, lengths: torch.Tensor, generator: torch.Generator
) -> EditTrajectories:
    """Trajectories of given sequences, drawn from P_B: a random reachable parent, a random order.

    Args:
        env: the edit process.
        tokens: (N, L) int64 sequences padded to the parents' width, each within k
            substitutions of a usable parent of its length.
        lengths: (N,) int64 their lengths.
        generator: the source of the random parent and order.

    Raises:
        ConfigError: a sequence is more than k substitutions from every usable parent.
    """
    n, length = tokens.shape
    k = env.max_edits
    reach = env.terminal_parents(tokens, lengths)  # (N, P)
    if not bool(reach.any(1).all()):
        raise ConfigError("offline sequence more than --max-edits edits from every parent")
    u = torch.rand(reach.shape, generator=generator, device=tokens.device)
    parent = torch.where(reach, u, -1.0).argmax(1)  # (N,) uniform among the reachable
    diff = tokens != env.parents[parent]  # (N, L): 0 past the length on both sides
    keys = torch.rand((n, length), generator=generator, device=tokens.device)
    order = torch.where(diff, keys, 2.0).argsort(1)[:, :k]  # (N, k) edited positions first
    if order.shape[1] < k:  # L < k: pad (never read: n_edits <= L)
        order = F.pad(order, (0, k - order.shape[1]))
    n_edits = diff.sum(1)
    used = torch.arange(k, device=tokens.device)[None, :] < n_edits[:, None]
    positions = torch.where(used, order, 0)
    letters = torch.where(used, tokens.gather(1, positions), 0)
    return EditTrajectories(parent, positions, letters, n_edits, tokens)
