"""Ground-truth oracles behind one interface, and the registry the CLI looks them up in.

Usage::

    from seqdesign.oracles import available, get_oracle

    oracle = get_oracle("tfbind8")        # alias of tfbind8-SIX6_REF_R1
    scores = oracle(["ACGTACGT"])         # (1, 1) float64, oracle.calls == 1

Adding an oracle: write a module with an :class:`Oracle` subclass, then call :func:`register`
below with its :class:`OracleInfo` and a zero-argument factory. The factory is only called by
:func:`get_oracle`, so listing oracles never loads data, trains a model or imports an optional
extra; import heavy or optional modules inside the factory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from seqdesign.alphabet import DNA, PROTEIN, RNA
from seqdesign.errors import ConfigError
from seqdesign.oracles import amp as _amp
from seqdesign.oracles import ehrlich as _ehrlich
from seqdesign.oracles import rna_binding as _rna
from seqdesign.oracles import rna_pair as _rna_pair
from seqdesign.oracles.amp import AMPOracle
from seqdesign.oracles.base import Oracle
from seqdesign.oracles.ehrlich import EhrlichOracle
from seqdesign.oracles.ngrams import GRAM_SETS, NGramOracle
from seqdesign.oracles.ngrams import SOURCE as _NGRAM_SOURCE
from seqdesign.oracles.rna_binding import RNABindingOracle
from seqdesign.oracles.tf_binding import SOURCE as _TF_SOURCE
from seqdesign.oracles.tf_binding import TFBindingOracle, shipped_tfs
from seqdesign.oracles.tf_pair import TFPairOracle, all_pairs

__all__ = [
    "AMPOracle",
    "EhrlichOracle",
    "NGramOracle",
    "Oracle",
    "OracleInfo",
    "RNABindingOracle",
    "TFBindingOracle",
    "TFPairOracle",
    "available",
    "get_oracle",
    "names",
    "register",
    "register_alias",
]


@dataclass(frozen=True)
class OracleInfo:
    """What ``seqdesign oracle --list`` shows about an oracle, known without building it.

    Attributes:
        name: the registry name.
        alphabet: the alphabet's name (``dna``, ``rna``, ``protein`` or a custom one).
        min_len: shortest sequence accepted.
        max_len: longest sequence accepted.
        objectives: the objective names, all maximized.
        source: where the ground truth comes from.
        description: one line for humans.
        alias_of: for an alias, the name it stands for; else None.
    """

    name: str
    alphabet: str
    min_len: int
    max_len: int
    objectives: tuple[str, ...]
    source: str
    description: str = ""
    alias_of: str | None = None


_REGISTRY: dict[str, tuple[OracleInfo, Callable[[], Oracle]]] = {}


def register(info: OracleInfo, factory: Callable[[], Oracle], *, replace: bool = False) -> None:
    """Add an oracle to the registry.

    Args:
        info: its description (``info.name`` is the key).
        factory: builds a fresh oracle (its own ``calls`` counter) with no arguments.
        replace: allow overwriting an existing name.

    Raises:
        ConfigError: the name is taken and ``replace`` is False.
    """
    if info.name in _REGISTRY and not replace:
        raise ConfigError(f"oracle {info.name!r} is already registered")
    _REGISTRY[info.name] = (info, factory)


def register_alias(alias: str, target: str) -> None:
    """Register ``alias`` as another name of the registered oracle ``target``.

    Raises:
        ConfigError: ``target`` is not registered, or ``alias`` is taken.
    """
    if target not in _REGISTRY:
        raise ConfigError(f"cannot alias {alias!r}: no oracle {target!r}")
    info, factory = _REGISTRY[target]
    alias_info = OracleInfo(
        name=alias,
        alphabet=info.alphabet,
        min_len=info.min_len,
        max_len=info.max_len,
        objectives=info.objectives,
        source=info.source,
        description=f"alias of {target}",
        alias_of=target,
    )
    register(alias_info, factory)


def names() -> list[str]:
    """Every registered name (aliases included), in registration order."""
    return list(_REGISTRY)


def available() -> list[OracleInfo]:
    """What each registered oracle is, in registration order (aliases included)."""
    return [info for info, _ in _REGISTRY.values()]


def get_oracle(name: str) -> Oracle:
    """A fresh oracle by registry name (exact, else case-insensitive).

    Args:
        name: e.g. ``tfbind8`` or ``tfbind8-PAX6_REF_R1``.

    Returns:
        A new oracle with ``calls == 0``.

    Raises:
        ConfigError: no oracle has that name; the message lists the known names.
    """
    entry = _REGISTRY.get(name)
    if entry is None:
        folded = [k for k in _REGISTRY if k.lower() == name.lower()]
        if len(folded) == 1:
            entry = _REGISTRY[folded[0]]
    if entry is None:
        raise ConfigError(f"unknown oracle {name!r}; known oracles: {', '.join(_REGISTRY)}")
    return entry[1]()


def _tf_factory(tf: str) -> Callable[[], Oracle]:
    def build() -> Oracle:
        return TFBindingOracle(tf)

    return build


def _register_tf_binding() -> None:
    for tf in shipped_tfs():
        info = OracleInfo(
            name=f"tfbind8-{tf}",
            alphabet=DNA.name,
            min_len=8,
            max_len=8,
            objectives=("binding",),
            source=_TF_SOURCE,
            description=f"{tf} binding to DNA 8-mers (min-max normalized E-score)",
        )
        register(info, _tf_factory(tf))
    register_alias("tfbind8", "tfbind8-SIX6_REF_R1")


def _build_amp() -> Oracle:
    return AMPOracle()


def _register_amp() -> None:
    info = OracleInfo(
        name="amp",
        alphabet=PROTEIN.name,
        min_len=_amp.MIN_LEN,
        max_len=_amp.MAX_LEN,
        objectives=("amp",),
        source=_amp.SOURCE,
        description="P(antimicrobial peptide) from a random forest on composition",
    )
    register(info, _build_amp)


def _build_amp_hydrophobicity() -> Oracle:
    from seqdesign.oracles.amp_pair import AMPHydrophobicityOracle

    return AMPHydrophobicityOracle()


def _register_amp_hydrophobicity() -> None:
    info = OracleInfo(
        name="amp-hydrophobicity",
        alphabet=PROTEIN.name,
        min_len=_amp.MIN_LEN,
        max_len=_amp.MAX_LEN,
        objectives=("amp", "low_hydrophobicity"),
        source=_amp.SOURCE + "; Eisenberg hydrophobicity scale",
        description="P(AMP) against low hydrophobicity (two objectives, reference point (0, 0))",
    )
    register(info, _build_amp_hydrophobicity)


def _rna_factory(length: int) -> Callable[[], Oracle]:
    def build() -> Oracle:
        return RNABindingOracle(_rna.TARGETS[length])

    return build


def _register_rna_binding() -> None:
    for length in sorted(_rna.TARGETS):
        info = OracleInfo(
            name=f"rna-binding-{length}",
            alphabet=RNA.name,
            min_len=length,
            max_len=length,
            objectives=("binding",),
            source=f"{_rna.SOURCE}; needs {_rna.INSTALL_HINT}",
            description=f"duplex binding to a fixed {length}-nt RNA target (1 = perfect)",
        )
        register(info, _rna_factory(length))


def _build_ehrlich() -> Oracle:
    return EhrlichOracle(
        states=20, length=32, motifs=4, motif_length=4, quantization=4, seed=0, name="ehrlich"
    )


def _register_ehrlich() -> None:
    info = OracleInfo(
        name="ehrlich",
        alphabet=PROTEIN.name,
        min_len=32,
        max_len=32,
        objectives=("ehrlich",),
        source=_ehrlich.SOURCE,
        description="Ehrlich function: 20 states, length 32, 4 motifs x 4, quantization 4, seed 0",
    )
    register(info, _build_ehrlich)


_register_tf_binding()
_register_amp()
_register_amp_hydrophobicity()
_register_rna_binding()
_register_ehrlich()


def _pair_factory(a: str, b: str) -> Callable[[], Oracle]:
    def build() -> Oracle:
        return TFPairOracle(a, b)

    return build


def _register_tf_pairs() -> None:
    for a, b in all_pairs():
        info = OracleInfo(
            name=f"tfpair-{a}-{b}",
            alphabet=DNA.name,
            min_len=8,
            max_len=8,
            objectives=(f"bind_{a}", f"avoid_{b}"),
            source=_TF_SOURCE,
            description=f"bind {a}, avoid {b}: two objectives, an enumerable Pareto front",
        )
        register(info, _pair_factory(a, b))


_register_tf_pairs()


def _ngram_factory(grams: tuple[str, ...]) -> Callable[[], Oracle]:
    def build() -> Oracle:
        return NGramOracle(list(grams))

    return build


def _register_ngrams() -> None:
    for grams in GRAM_SETS:
        info = OracleInfo(
            name="ngrams-" + "-".join(grams),
            alphabet=PROTEIN.name,
            min_len=16,
            max_len=32,
            objectives=tuple(f"count_{g}" for g in grams),
            source=_NGRAM_SOURCE,
            description=f"occurrences of {', '.join(grams)} (MOGFN's n-gram task)",
        )
        register(info, _ngram_factory(grams))


_register_ngrams()


def _rna_pair_factory(length: int) -> Callable[[], Oracle]:
    def build() -> Oracle:
        return _rna_pair.RNAPairOracle(length)

    return build


def _register_rna_pairs() -> None:
    for length in sorted(_rna_pair.VARIANTS):
        info = OracleInfo(
            name=f"rnapair-{length}",
            alphabet=RNA.name,
            min_len=length,
            max_len=length,
            objectives=("bind_target", "avoid_variant"),
            source="ViennaRNA duplexfold energies to a fixed random target and to a variant "
            f"{_rna_pair.SUBSTITUTIONS} letters away (Lorenz et al. 2011), normalized; needs "
            f"{_rna.INSTALL_HINT}",
            description=f"bind the {length}-nt RNA target, avoid its {_rna_pair.SUBSTITUTIONS}-letter "
            "variant (allele-specific binding, reference point (0.5, 0.5))",
        )
        register(info, _rna_pair_factory(length))


_register_rna_pairs()
