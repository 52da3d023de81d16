"""Allele-specific RNA binding: pair with a target, not with a variant two letters away from it.

A probe or antisense design that must tell a target RNA from a variant (a SNP allele, a paralog)
trades binding for specificity: the target's perfect partner still pairs with the variant
through two mismatches. Both objectives use the ``rna-binding`` score (ViennaRNA duplex energy
normalized by the perfect duplex's, :mod:`.rna_binding`: 1 for the target's reverse complement;
a few designs pair a little more strongly, up to about 1.05, so ``avoid_variant`` can dip just
below 0) and are maximized:

    bind_target(x)   = score(x, target)
    avoid_variant(x) = 1 - score(x, variant)

The target is the 14-nt ``rna-binding-14`` target; the variant is made from it by
:func:`make_variant` (two substitutions, fixed seed) and shipped in :data:`VARIANTS` (a test
checks that the two agree). The target's reverse complement scores (1, 0.45). The space (4^14)
is too large to enumerate, so there is no true front; hypervolume is measured above the
reference point (0.5, 0.5), the trade-off region as for the TF pairs. Starts are uniform random
14-mers, as for ``rna-binding-14``. Needs ViennaRNA (``pip install 'seqdesign[rna]'``).
"""

from __future__ import annotations

import numpy as np

from seqdesign.alphabet import RNA
from seqdesign.oracles.base import Oracle
from seqdesign.oracles.rna_binding import (
    SOURCE,
    TARGET_SEED,
    TARGETS,
    RNABindingOracle,
)

SUBSTITUTIONS = 2
REFERENCE = (0.5, 0.5)
#: The shipped variants, by length: ``make_variant(TARGETS[length])`` (checked by a test).
VARIANTS = {14: "GGGACUUCAGAGUU"}


def make_variant(target: str, substitutions: int = SUBSTITUTIONS, seed: int = TARGET_SEED) -> str:
    """``target`` with ``substitutions`` letters changed, at distinct positions.

    The generator is ``default_rng([seed, len(target), substitutions])``: it picks the positions
    (``choice`` without replacement, then sorted), then for each, in order, one of the three
    other letters (``integers(0, 3)`` over them in ACGU order).
    """
    rng = np.random.default_rng([seed, len(target), substitutions])
    letters = list(target)
    for pos in np.sort(rng.choice(len(target), size=substitutions, replace=False)):
        others = [c for c in RNA.letters if c != letters[pos]]
        letters[pos] = others[int(rng.integers(0, 3))]
    return "".join(letters)


class RNAPairOracle(Oracle):
    """Bind the ``length``-nt target, avoid its variant; two objectives, both maximized.

    Raises:
        MissingExtraError: ViennaRNA is not installed.
    """

    def __init__(self, length: int = 14) -> None:
        self._target = RNABindingOracle(TARGETS[length], name="target")
        self._variant = RNABindingOracle(VARIANTS[length], name="variant")
        super().__init__(
            name=f"rnapair-{length}",
            space=self._target.space,
            objectives=("bind_target", "avoid_variant"),
            description=(
                f"bind a {length}-nt RNA target, avoid its {SUBSTITUTIONS}-substitution variant"
            ),
            source=SOURCE,
        )

    def _evaluate(self, seqs: list[str]) -> np.ndarray:
        bind = self._target._evaluate(seqs)[:, 0]
        return np.stack([bind, 1.0 - self._variant._evaluate(seqs)[:, 0]], axis=1)

    def reference_point(self) -> np.ndarray:
        """(0.5, 0.5): the trade-off region."""
        return np.array(REFERENCE)


__all__ = ["REFERENCE", "VARIANTS", "RNAPairOracle", "make_variant"]
