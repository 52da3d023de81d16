"""Sequences as integer tokens (N, L) and one-hot tensors (N, L, A); padding for variable length."""

from __future__ import annotations

import numpy as np
import torch

from seqdesign.alphabet import Alphabet

_PAD_CHAR = "."


def lookup_table(alphabet: Alphabet) -> np.ndarray:
    """(256,) int64: byte -> token; the pad character -> ``len(alphabet)``; anything else -> -1."""
    lut = np.full(256, -1, dtype=np.int64)
    for i, c in enumerate(alphabet.letters):
        lut[ord(c)] = i
        lut[ord(c.lower())] = i
    lut[ord(_PAD_CHAR)] = len(alphabet)
    return lut


def encode_tokens(seqs: list[str], alphabet: Alphabet, max_len: int) -> np.ndarray:
    """Integer tokens, right-padded with ``len(alphabet)``.

    Args:
        seqs: N sequences over ``alphabet``, each at most ``max_len`` long.
        alphabet: the letters; token i is ``alphabet.letters[i]``.
        max_len: L, the padded width.

    Returns:
        (N, L) int64 array.

    Raises:
        ValueError: a sequence is longer than ``max_len`` or has a letter outside the alphabet.
    """
    if not seqs:
        return np.zeros((0, max_len), dtype=np.int64)
    joined = "".join(s.ljust(max_len, _PAD_CHAR) for s in seqs)
    if len(joined) != len(seqs) * max_len:
        raise ValueError(f"a sequence is longer than max_len={max_len}")
    raw = np.frombuffer(joined.encode("ascii", errors="replace"), dtype=np.uint8)
    tokens = lookup_table(alphabet)[raw].reshape(len(seqs), max_len)
    if (tokens < 0).any():
        row = int(np.flatnonzero((tokens < 0).any(axis=1))[0])
        raise ValueError(
            f"sequence {row} ({seqs[row]!r}) has letters outside the {alphabet.name} alphabet"
        )
    return tokens


def decode_tokens(tokens: np.ndarray, alphabet: Alphabet) -> list[str]:
    """Inverse of :func:`encode_tokens`: (N, L) tokens -> N strings (padding dropped)."""
    letters = np.array(list(alphabet.letters) + [""], dtype=object)
    return ["".join(row) for row in letters[np.asarray(tokens)]]


def one_hot(tokens: torch.Tensor, n_letters: int) -> torch.Tensor:
    """(N, L) int tokens -> (N, L, A) float32 one-hot, all zeros at padding (token == A)."""
    return torch.nn.functional.one_hot(tokens, n_letters + 1)[..., :n_letters].float()
