"""Autoregressive forward policies P_F(a | s) for sequences built one token at a time.

A state is a prefix ``s_t = x_1..x_t``. An action appends one of the A letters (tokens ``0..A-1``)
or STOPs (token ``A``). STOP is masked while ``t < min_len``; letters are masked at
``t == max_len``, where STOP is then the only action (probability 1: a fixed-length space has, in
effect, no stop). Every state has one parent, so the backward policy is P_B = 1.

Two networks share one interface (:class:`SequencePolicy`):

* :class:`MLPPolicy` reads the padded one-hot prefix (position-aware: one weight per position and
  letter) plus the prefix length, as in GFlowNet-AL (Jain et al. 2022).
* :class:`TransformerPolicy` is a small causal transformer as in MOGFN (Jain et al. 2023).

Both return the logits of every prefix ``s_0..s_T`` of a (B, T) batch in one forward pass (so the
loss on complete trajectories costs one pass), and both decode step by step with a cache for
sampling. Each also carries a state-flow head log F(s) (used by SubTB) and the learned log Z.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

NEG_INF = -1e9  # masked logit: exp() underflows to exactly 0, and no inf - inf NaNs


def action_mask(t: int | torch.Tensor, n_letters: int, min_len: int, max_len: int) -> torch.Tensor:
    """Which actions are allowed at prefix length ``t``.

    Args:
        t: a prefix length, or a tensor of them of any shape S.
        n_letters: A, the number of letters; STOP is action A.
        min_len: shortest allowed sequence (STOP allowed once ``t >= min_len``).
        max_len: longest allowed sequence (letters allowed while ``t < max_len``).

    Returns:
        bool (A+1,) for an int ``t``, else (*S, A+1).
    """
    t = torch.as_tensor(t)
    letters = (t < max_len).unsqueeze(-1).expand(*t.shape, n_letters)
    stop = (t >= min_len).unsqueeze(-1)
    return torch.cat([letters, stop], dim=-1)


def masked_log_probs(logits: torch.Tensor, min_len: int, max_len: int) -> torch.Tensor:
    """Log-softmax of the logits of every prefix, masked.

    Args:
        logits: (B, T+1, A+1) logits of the prefixes of length 0..T.
        min_len: shortest allowed sequence.
        max_len: longest allowed sequence (T <= max_len).

    Returns:
        (B, T+1, A+1) log-probabilities; masked actions get about -1e9.
    """
    t = torch.arange(logits.shape[1], device=logits.device)
    mask = action_mask(t, logits.shape[-1] - 1, min_len, max_len)  # (T+1, A+1)
    return torch.log_softmax(logits.masked_fill(~mask, NEG_INF), dim=-1)


class ShortPrefixes(NamedTuple):
    """Every prefix shorter than S, run through :class:`MLPPolicy` once for a whole batch.

    Attributes:
        sums: for each length s < S, (A^s, H) the first-layer sums of every prefix of that
            length (the length's own weight excluded), in lexicographic order, the last letter
            varying fastest.
        logits: (R, A+1) the logits of all of them, by length (R = sum of A^s).
        acts: what each linear layer read (see :class:`TapeStep`) when recording, else None.
    """

    sums: list[torch.Tensor]
    logits: torch.Tensor
    acts: list[torch.Tensor] | None


class PrefixCache(NamedTuple):
    """What :class:`MLPPolicy` carries from one decoding step to the next.

    While the prefixes are short (A^t <= B/2 possible ones), the network runs once per possible
    prefix rather than once per sequence (all the short lengths in one pass, at step 0:
    ``short``) and ``pid`` (B,) says which prefix each sequence is at; after that, ``pre``
    (B, H) holds each sequence's own first-layer sum.

    In the decoding steps the first layer's weights are read through views made once per batch
    (``letters``, ``lengths``: one ``unbind`` each), so under step-by-step autograd each step
    adds a small gradient to one view and the full weight gradients are assembled once.

    Attributes:
        pre: (B, H) first-layer sums of the prefixes (row mode), else None.
        short: the short prefixes (table mode, from step 0 on), else None.
        pid: (B,) each sequence's prefix, as a row of its length in ``short`` (table mode),
            else None.
        letters: max_len views (A, H): the input weights of each position's letters.
        lengths: max_len + 1 views (H,): the weight of each prefix length.
        tape: when recording (``init_cache(..., record=True)``; the steps then run under
            ``torch.no_grad``), what each step computed, for :meth:`MLPPolicy.replay`; else
            None.
    """

    pre: torch.Tensor | None
    short: ShortPrefixes | None
    pid: torch.Tensor | None
    letters: tuple[torch.Tensor, ...]
    lengths: tuple[torch.Tensor, ...]
    tape: list[TapeStep] | None = None


class TapeStep(NamedTuple):
    """One decoding step of :class:`MLPPolicy`, kept for its batched backward pass.

    Attributes:
        acts: the inputs of the network's linear layers for the rows it ran: ``relu(pre)``,
            then each hidden layer's output (after its ReLU), each (R, H).
        logits: (B, A+1) the step's logits, per sequence.
        pid: (B,) the row of each sequence when the rows were the prefix table, else None
            (then R == B).
        prev: (B,) the token the step appended (the sequences' token ``t - 1``; unused at t = 0).
    """

    acts: list[torch.Tensor]
    logits: torch.Tensor
    pid: torch.Tensor | None
    prev: torch.Tensor


class SequencePolicy(nn.Module):
    """The interface of an autoregressive policy over sequences of at most ``max_len`` tokens.

    Attributes:
        n_letters: A; the network has A+1 outputs (letters, then STOP).
        max_len: the longest prefix the network reads.
        log_z: the learned log partition function (a scalar parameter with its own learning rate).
    """

    def __init__(self, n_letters: int, max_len: int) -> None:
        super().__init__()
        self.n_letters = n_letters
        self.max_len = max_len
        self.log_z = nn.Parameter(torch.zeros(()))
        self.flow: nn.Linear  # the state-flow head log F(s), set by subclasses

    @torch.no_grad()
    def init_log_z(self, value: float) -> None:
        """Set log Z, and the bias of the state-flow head, to ``value`` (a warm start)."""
        self.log_z.fill_(value)
        self.flow.bias.fill_(value)

    def body_parameters(self) -> list[nn.Parameter]:
        """Every parameter except ``log_z`` (they share the network's learning rate)."""
        return [p for name, p in self.named_parameters() if name != "log_z"]

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and state flows of every prefix.

        Args:
            tokens: (B, T) int64 tokens, T <= max_len; values past a sequence's end are ignored
                by every prefix that matters (any valid token may sit there).

        Returns:
            ``logits`` (B, T+1, A+1) and ``log_flow`` (B, T+1): row ``t`` belongs to the prefix
            of length ``t`` (``t = 0`` is the empty state s_0).
        """
        raise NotImplementedError

    def init_cache(self, batch: int) -> Any:
        """A fresh decoding cache for ``batch`` sequences (see :meth:`step`)."""
        raise NotImplementedError

    def step(self, cache: Any, t: int, prev: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """Logits of the prefixes of length ``t``, given the token that made them.

        Call with ``t = 0, 1, ...`` in order; the result equals ``forward(tokens)[0][:, t]``.

        Args:
            cache: from :meth:`init_cache` or the previous call.
            t: the prefix length.
            prev: (B,) the ``t``-th token ``x_t`` (ignored when ``t == 0``).

        Returns:
            ``logits`` (B, A+1) and the updated cache.
        """
        raise NotImplementedError


class MLPPolicy(SequencePolicy):
    """An MLP on the padded one-hot prefix plus a one-hot of the prefix length.

    The first layer is linear in the one-hot input, so the pre-activations of all prefixes are an
    exclusive cumulative sum of per-position contributions: O(B T A H), one pass.

    Args:
        n_letters: A.
        max_len: longest prefix.
        hidden: width H of every hidden layer.
        layers: number of hidden layers (>= 1), the first being the one-hot input layer.
    """

    shares_prefixes = True  # the logits of a prefix depend on nothing else (see PrefixCache)
    replays = True  # differentiable sampling records its steps and replays them (see replay())

    def __init__(self, n_letters: int, max_len: int, hidden: int = 256, layers: int = 2) -> None:
        super().__init__(n_letters, max_len)
        self.inp = nn.Embedding(max_len * n_letters, hidden)  # weight of (position, letter)
        self.length = nn.Embedding(max_len + 1, hidden)  # one-hot of t, plus the first bias
        nn.init.normal_(self.inp.weight, std=1.0 / math.sqrt(max_len))
        nn.init.normal_(self.length.weight, std=0.1)
        blocks: list[nn.Module] = []
        for _ in range(layers - 1):
            blocks += [nn.Linear(hidden, hidden), nn.ReLU()]
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(hidden, n_letters + 1)
        self.flow = nn.Linear(hidden, 1)

    def _out(self, pre: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(torch.relu(pre))
        return self.head(h), self.flow(h).squeeze(-1)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t = tokens.shape
        pos = torch.arange(t, device=tokens.device) * self.n_letters
        contrib = self.inp(tokens + pos)  # (B, T, H)
        # prefix sums over T, taken along the last (unit-stride) dimension: the same sums, bit
        # for bit, forward and backward, and ~3x faster on CPU than cumsum over dim 1
        cum = contrib.transpose(1, 2).cumsum(-1).transpose(1, 2)  # (B, T, H)
        pre = torch.cat([contrib.new_zeros(b, 1, contrib.shape[-1]), cum], 1)
        pre = pre + self.length.weight[: t + 1]  # (B, T+1, H)
        levels = self._shared_levels(b, t)
        if not levels:
            return self._out(pre)
        # the short prefixes repeat across the batch: run the network once per distinct one
        table, rows = self._prefix_table(tokens, levels)  # (R, H), (B, S)
        t_logits, t_flow = self._out(table)
        logits, log_flow = self._out(pre[:, levels:])
        return torch.cat([t_logits[rows], logits], 1), torch.cat([t_flow[rows], log_flow], 1)

    def _shared_levels(self, batch: int, width: int) -> int:
        """S: prefixes shorter than S (A^s <= B/2 possible ones) get one network row each."""
        levels = 0
        while self.shares_prefixes and levels < width and self.n_letters**levels <= batch // 2:
            levels += 1
        return levels

    def _short_sums(self, levels: int) -> list[torch.Tensor]:
        """For each length s < ``levels``, (A^s, H): the first-layer sums of every prefix of
        length s (length weight excluded), the last letter varying fastest."""
        a = self.n_letters
        sums = [self.length.weight.new_zeros(1, self.length.weight.shape[1])]  # (1, H)
        for s in range(1, levels):
            letters = self.inp.weight[(s - 1) * a : s * a]  # (A, H)
            sums.append((sums[-1][:, None, :] + letters[None, :, :]).flatten(0, 1))  # (A^s, H)
        return sums

    def _prefix_table(self, tokens: torch.Tensor, levels: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Every prefix of length < S, and where each sequence's prefixes are in that table.

        Args:
            tokens: (B, T) int64, T >= S.
            levels: S.

        Returns:
            ``table`` (R, H): the first pre-activation of every prefix of length 0..S-1 (R =
            sum of A^s), by length, then in lexicographic order (the last letter varying
            fastest); ``rows`` (B, S): the row of each sequence's prefix of length s.
        """
        a = self.n_letters
        pid = tokens.new_zeros(len(tokens))
        rows, offset = [pid], 1
        for s in range(1, levels):
            pid = pid * a + tokens[:, s - 1]
            rows.append(pid + offset)
            offset += a**s
        sums = self._short_sums(levels)
        table = torch.cat([x + self.length.weight[s] for s, x in enumerate(sums)])
        return table, torch.stack(rows, 1)

    def init_cache(self, batch: int, record: bool = False) -> PrefixCache:
        """A fresh decoding cache; ``record``: keep a tape for :meth:`replay` (only where
        :attr:`replays` is true; the steps must then run under ``torch.no_grad``)."""
        if record and not self.replays:
            raise ValueError(f"{type(self).__name__} does not replay its steps")
        h = self.length.weight.shape[1]
        letters = self.inp.weight.view(self.max_len, self.n_letters, h).unbind(0)
        lengths = self.length.weight.unbind(0)
        tape: list[TapeStep] | None = [] if record else None
        if not self._shared_levels(batch, self.max_len):
            zeros = self.length.weight.new_zeros(batch, h)
            return PrefixCache(zeros, None, None, letters, lengths, tape)
        pid = torch.zeros(batch, dtype=torch.long, device=self.length.weight.device)
        return PrefixCache(None, None, pid, letters, lengths, tape)

    def _run_short(self, batch: int, cache: PrefixCache) -> ShortPrefixes:
        """Run the network once on every prefix shorter than S (all lengths in one pass)."""
        sums = self._short_sums(self._shared_levels(batch, self.max_len))
        rows = torch.cat([x + cache.lengths[s] for s, x in enumerate(sums)])  # (R, H)
        if cache.tape is None:
            return ShortPrefixes(sums, self._head(rows), None)
        acts = self._acts(rows)
        return ShortPrefixes(sums, self.head(acts[-1]), acts)

    def step(
        self, cache: PrefixCache, t: int, prev: torch.Tensor
    ) -> tuple[torch.Tensor, PrefixCache]:
        pre, short, pid, letters, _, tape = cache
        if tape is not None and torch.is_grad_enabled():
            raise RuntimeError(
                "a recording cache steps under torch.no_grad (replay() differentiates)"
            )
        if pid is not None:  # table mode
            a = self.n_letters
            if short is None:  # step 0
                short = self._run_short(len(prev), cache)
            if t < len(short.sums):  # the prefixes of length t are rows of the short table
                now = pid * a + prev if t > 0 else pid  # (B,) each sequence's prefix
                offset = sum(a**s for s in range(t))
                logits = short.logits[offset + now]  # (B, A+1)
                if tape is not None and short.acts is not None:
                    rows = [x[offset : offset + a**t] for x in short.acts]
                    tape.append(TapeStep(rows, logits, now, prev))
                return logits, cache._replace(short=short, pid=now)
            # leaving the table: the same sums, row by row
            pre = short.sums[t - 1][pid] + letters[t - 1].index_select(0, prev)
        elif pre is not None and t > 0:
            pre = pre + letters[t - 1].index_select(0, prev)
        assert pre is not None
        if tape is None:
            logits = self._head(pre + cache.lengths[t])
        else:
            acts = self._acts(pre + cache.lengths[t])
            logits = self.head(acts[-1])
            tape.append(TapeStep(acts, logits, None, prev))
        return logits, cache._replace(pre=pre, short=None, pid=None)

    def _head(self, pre: torch.Tensor) -> torch.Tensor:
        """(N, H) first pre-activations -> (N, A+1) logits."""
        return self.head(self.body(torch.relu(pre)))

    def _acts(self, pre: torch.Tensor) -> list[torch.Tensor]:
        """The input of every linear layer of :meth:`_head`: the same ops, kept."""
        acts = [torch.relu(pre)]
        for layer in self.body:
            if isinstance(layer, nn.Linear):
                acts.append(torch.relu(layer(acts[-1])))
        return acts

    def replay(self, cache: PrefixCache) -> torch.Tensor:
        """(B, W, A+1) the logits of the W steps recorded in ``cache``, differentiable.

        The steps ran without autograd; the backward pass of all of them is one batched pass
        over the rows they evaluated (:class:`_Replay`): a few large matrix products instead of
        a graph of small ones per step.
        """
        if not cache.tape:
            raise ValueError(
                "replay() needs a cache made with record=True and stepped at least once"
            )
        linears = [m for m in self.body if isinstance(m, nn.Linear)] + [self.head]
        weights = [self.inp.weight, self.length.weight]
        weights += [p for lin in linears for p in (lin.weight, lin.bias)]
        # the first layer's letter rows are read when a step appends a letter, or when the
        # short-prefix table holds prefixes of length 1 or more (even if no step used them)
        reads_letters = len(cache.tape) > 1 or (
            cache.short is not None and len(cache.short.sums) > 1
        )
        out = _Replay.apply(self.n_letters, reads_letters, cache.tape, *weights)
        assert isinstance(out, torch.Tensor)
        return out


class _Replay(torch.autograd.Function):
    """The recorded steps of :class:`MLPPolicy` as one autograd node.

    Forward returns the logits the steps computed. Backward takes the gradient of every step's
    logits at once: it pools the rows all steps evaluated (table rows stay table rows: a
    sequence's gradient is added to its row), runs the head and hidden layers backward in one
    matrix product each, then hands each row's gradient to the first layer's tables: the prefix
    length's row, and the row of every (position, letter) the prefix holds.
    """

    @staticmethod
    def forward(
        ctx: Any, n_letters: int, reads_letters: bool, tape: list[TapeStep], *weights: torch.Tensor
    ) -> Any:
        ctx.n_letters, ctx.reads_letters, ctx.tape = n_letters, reads_letters, tape
        ctx.save_for_backward(*weights)
        return torch.stack([st.logits for st in tape], 1)  # (B, W, A+1)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, *grads: torch.Tensor) -> Any:
        tape: list[TapeStep] | None = ctx.tape
        if tape is None:
            raise RuntimeError(
                "the replayed steps were already differentiated (their tape is freed)"
            )
        ctx.tape = None  # the activations go with this pass, as autograd's saved tensors do
        inp_w, len_w, *layers = ctx.saved_tensors
        a = ctx.n_letters
        (grad,) = grads  # (B, W, A+1)
        b, width, h = grad.shape[0], len(tape), inp_w.shape[1]
        first = sum(st.pid is not None for st in tape)  # the table steps come first
        # the gradient of each evaluated row's logits: table rows (a sequence's gradient added
        # to its prefix's row), then the sequence rows of steps first..W-1, step by step
        g = torch.cat(
            [
                grad.new_zeros(len(st.acts[0]), grad.shape[-1]).index_add_(0, st.pid, grad[:, t])
                for t, st in enumerate(tape[:first])
                if st.pid is not None
            ]
            + [grad[:, first:].transpose(0, 1).reshape(-1, grad.shape[-1])]
        )  # (N, A+1)
        n_layers = len(tape[0].acts)
        out: list[torch.Tensor] = []
        for i in reversed(range(n_layers)):  # linear layer i reads acts[i] (N, H)
            acts = torch.cat([st.acts[i] for st in tape])
            out = [g.T @ acts, g.sum(0)] + out
            # through the ReLU that made acts[i] (as autograd does; a bool mask is 20x slower)
            g = torch.ops.aten.threshold_backward(g @ layers[2 * i], acts, 0.0)
        # g (N, H): the gradient of each row's first pre-activation, the sum of its prefix's
        # length row and (position, letter) rows
        g_len, g_inp = torch.zeros_like(len_w), torch.zeros_like(inp_w)
        offset = 0
        for t, st in enumerate(tape[:first]):  # table row r: letters of positions 0..t-1
            level = g[offset : offset + len(st.acts[0])]  # (A^t, H), the last letter fastest
            offset += len(level)
            g_len[t] = level.sum(0)
            for s in range(t):
                g_inp[s * a : (s + 1) * a] += level.view(a**s, a, a ** (t - 1 - s), h).sum((0, 2))
        if width > first:
            rows = g[offset:].view(width - first, b, h)  # steps first..W-1
            g_len[first:width] = rows.sum(1)
            after = torch.empty_like(rows)  # after[k]: the sum over steps >= first + k
            after[-1] = rows[-1]
            for k in range(len(rows) - 2, -1, -1):  # (cumsum over dim 0 is 30x slower on CPU)
                torch.add(after[k + 1], rows[k], out=after[k])
            if width > 1:
                # the letter at position s is in every prefix of a step t >= max(s + 1, first)
                tokens = torch.stack([st.prev for st in tape[1:]])  # (W-1, B): position s
                pos = torch.arange(width - 1, device=g.device)[:, None]
                idx = pos * a + tokens  # (W-1, B)
                s0 = max(first - 1, 0)  # positions s0..W-2 read after[s + 1 - first]
                g_inp.index_add_(0, idx[s0:].reshape(-1), after[s0 + 1 - first :].reshape(-1, h))
                for s in range(s0):  # positions inside the table levels read every step
                    g_inp.index_add_(0, idx[s], after[0])
        # no letter row read (one step, no table of prefixes of length >= 1): no gradient, as
        # step-by-step autograd gives none
        return (None, None, None, g_inp if ctx.reads_letters else None, g_len, *out)


class _Block(nn.Module):
    """A pre-norm causal self-attention block with a key/value cache for decoding."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.ff = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(
        self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x: (B, T, D); with a cache, feed one new position (T = 1): it attends to all."""
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, d // self.heads).unbind(2)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # (B, heads, T, Dh)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=cache is None and t > 1)
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.ff(self.ln2(x)), (k, v)


class TransformerPolicy(SequencePolicy):
    """A small causal transformer; input ``[BOS, x_1, ..., x_T]``, output ``t`` is state s_t.

    Args:
        n_letters: A.
        max_len: longest prefix.
        hidden: model width (divisible by ``heads``).
        layers: number of transformer blocks.
        heads: attention heads.
    """

    def __init__(
        self, n_letters: int, max_len: int, hidden: int = 64, layers: int = 3, heads: int = 4
    ) -> None:
        super().__init__(n_letters, max_len)
        self.width, self.heads = hidden, heads
        self.embed = nn.Embedding(n_letters + 1, hidden)  # letters, then BOS
        self.pos = nn.Embedding(max_len + 1, hidden)
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.blocks = nn.ModuleList(_Block(hidden, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(hidden)
        self.head = nn.Linear(hidden, n_letters + 1)
        self.flow = nn.Linear(hidden, 1)

    def _out(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.ln(h)
        return self.head(h), self.flow(h).squeeze(-1)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t = tokens.shape
        bos = tokens.new_full((b, 1), self.n_letters)
        x = self.embed(torch.cat([bos, tokens], 1)) + self.pos.weight[: t + 1]  # (B, T+1, D)
        for block in self.blocks:
            x, _ = block(x)
        return self._out(x)

    def init_cache(self, batch: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        empty = self.pos.weight.new_zeros(batch, self.heads, 0, self.width // self.heads)
        return [(empty, empty) for _ in self.blocks]

    def step(
        self, cache: list[tuple[torch.Tensor, torch.Tensor]], t: int, prev: torch.Tensor
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        tok = torch.full_like(prev, self.n_letters) if t == 0 else prev
        x = (self.embed(tok) + self.pos.weight[t]).unsqueeze(1)  # (B, 1, D)
        new_cache = []
        for block, kv in zip(self.blocks, cache, strict=True):
            x, kv = block(x, kv)
            new_cache.append(kv)
        return self.head(self.ln(x[:, 0])), new_cache


def build_policy(
    kind: str, n_letters: int, max_len: int, hidden: int, layers: int, heads: int, seed: int
) -> SequencePolicy:
    """Build a policy with weights drawn from ``seed`` (the global torch RNG is left untouched).

    Args:
        kind: ``"mlp"`` or ``"transformer"``.
        n_letters: A.
        max_len: longest sequence.
        hidden: width.
        layers: hidden layers (MLP) or blocks (transformer).
        heads: attention heads (transformer only).
        seed: the initialization seed.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if kind == "mlp":
            return MLPPolicy(n_letters, max_len, hidden, layers)
        if kind == "transformer":
            return TransformerPolicy(n_letters, max_len, hidden, layers, heads)
    raise ValueError(f"unknown policy {kind!r}; expected 'mlp' or 'transformer'")
