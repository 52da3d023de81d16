"""Sequences to padded token tensors and back, for the GFlowNet policy.

Token ``i`` is ``alphabet.letters[i]``; the STOP action is token ``len(alphabet)``. Padding
positions (at and after a sequence's length) hold token 0: every consumer masks them by length.
"""

from __future__ import annotations

import numpy as np
import torch

from seqdesign.alphabet import Alphabet
from seqdesign.encoding import encode_tokens
from seqdesign.errors import InputError


def encode(
    sequences: list[str], alphabet: Alphabet, max_len: int, device: str | torch.device = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Encode sequences as a padded integer tensor.

    Args:
        sequences: N sequences over ``alphabet``, each at most ``max_len`` long.
        alphabet: the letters; token ``i`` is ``alphabet.letters[i]``.
        max_len: the padded width.
        device: where the tensors go.

    Returns:
        ``tokens`` (N, max_len) int64, padded with 0, and ``lengths`` (N,) int64.

    Raises:
        InputError: a sequence is longer than ``max_len`` or uses a letter outside the alphabet.
    """
    try:
        padded = encode_tokens(sequences, alphabet, max_len)  # (N, L), padded with A
    except ValueError as e:
        raise InputError(
            f"{e}; the policy takes at most {max_len} {alphabet.name} letters"
        ) from None
    pad = padded == len(alphabet)
    lengths = (~pad).sum(axis=1)
    tokens = np.where(pad, 0, padded)
    return (
        torch.as_tensor(tokens, device=device),
        torch.as_tensor(lengths, device=device),
    )


def decode(tokens: torch.Tensor, lengths: torch.Tensor, alphabet: Alphabet) -> list[str]:
    """Decode a padded token tensor.

    Args:
        tokens: (N, L) integer tokens; positions at and after each length are ignored.
        lengths: (N,) sequence lengths.
        alphabet: the letters.

    Returns:
        N strings.
    """
    letters = np.frombuffer(alphabet.letters.encode("ascii"), dtype=np.uint8)
    tok = tokens.detach().cpu().numpy()
    lens = lengths.detach().cpu().numpy()
    if tok.size == 0:
        return ["" for _ in range(len(lens))]
    grid = letters[np.clip(tok, 0, len(letters) - 1)]  # (N, L) uint8
    raw = grid.tobytes()
    width = tok.shape[1]
    return [raw[i * width : i * width + int(n)].decode("ascii") for i, n in enumerate(lens)]
