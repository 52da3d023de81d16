"""The one interface every generator implements.

A generator proposes candidate sequences for a round. ``fit`` sees the round's reward (the
acquisition on the proxy posterior, larger is better) and the labeled data; ``sample`` returns
candidates, which selection then filters (valid, unseen, unique, diverse) and ranks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from seqdesign.dataset import Dataset
from seqdesign.space import SequenceSpace

RewardFn = Callable[[list[str]], np.ndarray]
"""Maps sequences to a (N,) float array; larger is better. May be costly: batch the calls."""


def measured_in(dataset: Dataset, space: SequenceSpace) -> list[str]:
    """The measured sequences of ``dataset`` that lie in ``space``, in the dataset's order."""
    return [
        q
        for q, ok in zip(dataset.sequences, dataset.measured, strict=True)
        if ok and space.contains(q)
    ]


class Generator(Protocol):
    """Proposes sequences in a :class:`SequenceSpace`.

    Attributes:
        space_: after :meth:`fit`, the space it proposes from: the space it was given, or a part
            of it (a trust region around measured sequences).
    """

    space_: SequenceSpace

    def fit(
        self,
        reward: RewardFn,
        dataset: Dataset,
        space: SequenceSpace,
        rng: np.random.Generator,
    ) -> Generator:
        """Learn (or search) on ``reward``, starting from ``dataset``; returns self."""
        ...

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """Up to ``n`` candidate sequences (may contain duplicates or labeled ones)."""
        ...
