"""Generators behind one interface (see :mod:`seqdesign.generators.base`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from seqdesign.errors import ConfigError
from seqdesign.generators.base import Generator, RewardFn

if TYPE_CHECKING:
    from seqdesign.config import RoundSettings
    from seqdesign.space import SequenceSpace

NAMES = (
    "gfn",
    "gfn-edit",
    "mogfn",
    "mogfn-edit",
    "nsga2",
    "exhaustive",
    "evolution",
    "random",
)
VECTOR_GENERATORS = ("mogfn", "mogfn-edit", "nsga2")
"""Generators whose ``fit`` takes per-objective values (N, K) rather than one score (N,)."""
EDIT_GENERATORS = ("gfn-edit", "mogfn-edit")
"""Generators that design by substitutions of parents (given, or the trust region's)."""
EDIT_MIN_LENGTH = 64
"""``auto`` picks ``gfn-edit`` over ``gfn`` from this length on, when the space has parents with
``max_edits`` (substitutions: a fixed length). Measured on Ehrlich landscapes (20 letters,
k in {4, 8}, the same budget): see ``benchmarks/edit_gfn.py`` and its commit message."""


TRUST_MIN_LENGTH = 24
"""Without parents, ``auto`` picks ``gfn-edit`` in a trust region around the best measured
sequences (``GFlowNetSettings.trust_parents`` / ``trust_radius``) when the longest allowed length
is at least this: the GFlowNet writing from scratch led at lengths 8 and 14 but found nothing
better than random on Ehrlich (32 letters), barely beat model-free evolution at RNA length 50
and trailed it on antimicrobial peptides (lengths 12-50), where proposals far from the data are
proxy guesses (docs/benchmarks.md and the commits that set this). With lengths that vary, the
edits substitute: each design keeps the length of the measured sequence it edits."""


def prefers_edits(space: SequenceSpace | None) -> bool:
    """True when ``auto`` should design by edits.

    Either parents of the fixed length (``--parent``/``--max-edits``) at a length of at least
    :data:`EDIT_MIN_LENGTH`, or no parents and a longest length of at least
    :data:`TRUST_MIN_LENGTH` (the trust region around the data).
    """
    if space is None:
        return False
    if space.rules.max_edits is None:
        return space.max_len >= TRUST_MIN_LENGTH
    return space.rules.parent_tokens is not None and space.max_len >= EDIT_MIN_LENGTH


def make_generator(
    name: str,
    settings: RoundSettings,
    progress: Callable[..., None] | None = None,
) -> Generator:
    """The generator called ``name``, configured from the round's settings.

    ``progress(stage, step, total, detail)`` is called as training advances (GFlowNets only;
    the detail shows the loss and log Z). ``mogfn`` and ``nsga2`` take a vector reward
    (:data:`VECTOR_GENERATORS`).
    """
    if name == "random":
        from seqdesign.generators.random import RandomGenerator

        return RandomGenerator()
    if name == "evolution":
        from seqdesign.generators.evolution import EvolutionGenerator

        return EvolutionGenerator(settings.evolution)
    if name == "exhaustive":
        from seqdesign.generators.exhaustive import ExhaustiveGenerator

        return ExhaustiveGenerator()
    if name == "nsga2":
        from seqdesign.generators.nsga2 import NSGA2Generator

        return NSGA2Generator(settings.evolution)
    on_step = None
    if progress is not None:
        report = progress

        def on_step(step: int, total: int, loss: float, log_z: float) -> None:
            report("gflownet", step, total, f"loss {loss:.3g} logZ {log_z:.3g}")

    if name == "gfn":
        from seqdesign.generators.gfn import GFlowNetGenerator

        return GFlowNetGenerator(settings.gflownet, on_step=on_step)
    if name == "gfn-edit":
        from seqdesign.generators.gfn_edit import GFlowNetEditGenerator

        return GFlowNetEditGenerator(settings.gflownet, on_step=on_step)
    if name == "mogfn":
        from seqdesign.generators.mogfn import MOGFNGenerator

        return MOGFNGenerator(settings.gflownet, settings.multiobjective, on_step=on_step)
    if name == "mogfn-edit":
        from seqdesign.generators.mogfn_edit import MOGFNEditGenerator

        return MOGFNEditGenerator(settings.gflownet, settings.multiobjective, on_step=on_step)
    raise ConfigError(f"unknown generator {name!r}; expected one of {', '.join(NAMES)}")


__all__ = [
    "EDIT_GENERATORS",
    "EDIT_MIN_LENGTH",
    "TRUST_MIN_LENGTH",
    "NAMES",
    "VECTOR_GENERATORS",
    "Generator",
    "RewardFn",
    "make_generator",
    "prefers_edits",
]
