"""Networks for a deep ensemble, with the members stacked so one forward pass runs all of them.

Each member has its own weights (a leading M dimension); members never share parameters, so
training them together with one optimizer is the same as training them apart (Adam is
per-parameter), only faster.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class StackedLinear(nn.Module):
    """M independent linear layers: (M, B, I) -> (M, B, O)."""

    def __init__(self, members: int, d_in: int, d_out: int, gen: torch.Generator) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(d_in)
        self.weight = nn.Parameter(
            torch.empty(members, d_in, d_out).uniform_(-bound, bound, generator=gen)
        )
        self.bias = nn.Parameter(
            torch.empty(members, 1, d_out).uniform_(-bound, bound, generator=gen)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


def kmer_sizes(letters: int, max_dims: int) -> list[int]:
    """Every k >= 1 with ``letters**k <= max_dims``, and 1 if none (``max_dims`` 0: none)."""
    if max_dims <= 0:
        return []
    sizes = [1]
    while letters ** (sizes[-1] + 1) <= max_dims:
        sizes.append(sizes[-1] + 1)
    return sizes


def kmer_counts(x: torch.Tensor, k: int) -> torch.Tensor:
    """How often each k-mer occurs anywhere in each sequence: (..., L, A) one-hot -> (..., A^k).

    A window that reaches into the padding (an all-zero row) counts for nothing.
    """
    *lead, length, a = x.shape
    width = length - k + 1
    counts = x.new_zeros(*lead, a**k)
    if width < 1:
        return counts
    letter, present = x.argmax(-1), x.sum(-1)  # (..., L)
    code = letter[..., :width].clone()
    whole = present[..., :width].clone()
    for i in range(1, k):
        code = code * a + letter[..., i : i + width]
        whole = whole * present[..., i : i + width]
    return counts.scatter_add_(-1, code, whole)


class EnsembleMLP(nn.Module):
    """MLP on the flattened one-hot sequence: (M, B, L, A) -> (M, B, K).

    With ``kmer_dims`` > 0 the input also counts the k-mers of the sequence, wherever they
    occur, for every k with ``A**k <= kmer_dims`` (DNA at 512: k = 1..4; protein: k = 1, 2): the
    one-hot says what is where, the counts what is present at all, which a motif-like property
    (binding, composition) generalizes from with far fewer measurements.
    """

    def __init__(
        self,
        members: int,
        length: int,
        letters: int,
        outputs: int,
        hidden: int,
        layers: int,
        gen: torch.Generator,
        kmer_dims: int = 0,
    ) -> None:
        super().__init__()
        self.kmers = kmer_sizes(letters, kmer_dims)
        features = length * letters + sum(letters**k for k in self.kmers)
        dims = [features] + [hidden] * layers
        self.hidden = nn.ModuleList(
            StackedLinear(members, a, b, gen) for a, b in zip(dims[:-1], dims[1:])
        )
        self.out = StackedLinear(members, dims[-1], outputs, gen)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.flatten(2)  # (M, B, L*A)
        if self.kmers:
            h = torch.cat([h] + [kmer_counts(x, k) for k in self.kmers], -1)
        for layer in self.hidden:
            h = torch.relu(layer(h))
        return self.out(h)


class EnsembleCNN(nn.Module):
    """1-D CNN (two convolutions, masked global max-pool, MLP head): (M, B, L, A) -> (M, B, K).

    The members are the groups of grouped convolutions.
    """

    def __init__(
        self,
        members: int,
        length: int,
        letters: int,
        outputs: int,
        hidden: int,
        layers: int,
        gen: torch.Generator,
        channels: int = 64,
        kernel: int = 5,
    ) -> None:
        super().__init__()
        del length, layers  # the CNN is length-agnostic
        self.members = members
        self.conv1 = nn.Conv1d(
            members * letters, members * channels, kernel, padding=kernel // 2, groups=members
        )
        self.conv2 = nn.Conv1d(
            members * channels, members * channels, kernel, padding=kernel // 2, groups=members
        )
        for conv in (self.conv1, self.conv2):
            fan_in = conv.in_channels // members * kernel
            bound = 1.0 / math.sqrt(fan_in)
            with torch.no_grad():
                conv.weight.uniform_(-bound, bound, generator=gen)
                assert conv.bias is not None  # created with bias=True
                conv.bias.uniform_(-bound, bound, generator=gen)
        self.head = StackedLinear(members, channels, hidden, gen)
        self.out = StackedLinear(members, hidden, outputs, gen)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, b, length, a = x.shape
        present = x.sum(-1) > 0  # (M, B, L): False at padding
        h = x.permute(1, 0, 3, 2).reshape(b, m * a, length)  # (B, M*A, L)
        h = torch.relu(self.conv1(h))
        h = torch.relu(self.conv2(h))  # (B, M*C, L)
        h = h.reshape(b, m, -1, length).permute(1, 0, 3, 2)  # (M, B, L, C)
        h = h.masked_fill(~present.unsqueeze(-1), float("-inf")).amax(dim=2)  # (M, B, C)
        return self.out(torch.relu(self.head(h)))


ARCHITECTURES = {"mlp": EnsembleMLP, "cnn": EnsembleCNN}
