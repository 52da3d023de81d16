"""The design space: which sequences a round may propose."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from seqdesign.alphabet import Alphabet
from seqdesign.errors import ConfigError


@dataclass(frozen=True)
class SequenceSpace:
    """Sequences over ``alphabet`` with ``min_len <= len <= max_len``.

    Attributes:
        alphabet: the letters allowed.
        min_len: shortest allowed length (>= 1).
        max_len: longest allowed length (>= min_len).
    """

    alphabet: Alphabet
    min_len: int
    max_len: int

    def __post_init__(self) -> None:
        if self.min_len < 1 or self.max_len < self.min_len:
            raise ConfigError(
                f"length range must satisfy 1 <= min <= max, got min={self.min_len}, max={self.max_len}"
            )

    @property
    def fixed_length(self) -> bool:
        return self.min_len == self.max_len

    def contains(self, seq: str) -> bool:
        """True when ``seq`` has an allowed length and only allowed letters."""
        return self.min_len <= len(seq) <= self.max_len and self.alphabet.is_valid(seq)

    def size(self) -> int:
        """The number of sequences in the space (a Python int: it can be astronomically large)."""
        a = len(self.alphabet)
        return sum(a**n for n in range(self.min_len, self.max_len + 1))

    def enumerate(self) -> list[str]:
        """Every sequence of the space, shortest first (call only when ``size()`` is small)."""
        letters = self.alphabet.letters
        return [
            "".join(p)
            for n in range(self.min_len, self.max_len + 1)
            for p in itertools.product(letters, repeat=n)
        ]

    def random(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` uniform draws from the space (with replacement), lengths weighted by their counts."""
        a = len(self.alphabet)
        lengths = np.arange(self.min_len, self.max_len + 1)
        # weight each length by a**len, computed in log space to avoid overflow
        logw = lengths * np.log(a)
        p = np.exp(logw - logw.max())
        p /= p.sum()
        lens = rng.choice(lengths, size=n, p=p)
        tokens = rng.integers(0, a, size=(n, self.max_len))  # (n, Lmax)
        letters = np.array(list(self.alphabet.letters))
        rows = letters[tokens]
        return ["".join(r[:k]) for r, k in zip(rows, lens)]
