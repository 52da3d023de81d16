"""Generators behind one interface (see :mod:`seqdesign.generators.base`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from seqdesign.errors import ConfigError
from seqdesign.generators.base import Generator, RewardFn

if TYPE_CHECKING:
    from seqdesign.config import RoundSettings

NAMES = ("gfn", "evolution", "random")


def make_generator(
    name: str,
    settings: RoundSettings,
    progress: Callable[..., None] | None = None,
) -> Generator:
    """The generator called ``name``, configured from the round's settings.

    ``progress(stage, step, total, detail)`` is called as training advances (GFlowNet only;
    the detail shows the loss and log Z).
    """
    if name == "random":
        from seqdesign.generators.random import RandomGenerator

        return RandomGenerator()
    if name == "evolution":
        from seqdesign.generators.evolution import EvolutionGenerator

        return EvolutionGenerator(settings.evolution)
    if name == "gfn":
        from seqdesign.generators.gfn import GFlowNetGenerator

        on_step = None
        if progress is not None:
            report = progress

            def on_step(step: int, total: int, loss: float, log_z: float) -> None:
                report("gflownet", step, total, f"loss {loss:.3g} logZ {log_z:.3g}")

        return GFlowNetGenerator(settings.gflownet, on_step=on_step)
    raise ConfigError(f"unknown generator {name!r}; expected one of {', '.join(NAMES)}")


__all__ = ["NAMES", "Generator", "RewardFn", "make_generator"]
