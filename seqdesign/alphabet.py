"""Alphabets: the letters a sequence may use, and validation against them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from seqdesign.errors import ConfigError


@dataclass(frozen=True)
class Alphabet:
    """An ordered set of upper-case letters.

    Attributes:
        name: short name (``dna``, ``rna``, ``protein`` or a custom one).
        letters: the letters, in token order (token ``i`` is ``letters[i]``).
    """

    name: str
    letters: str
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        letters = self.letters.upper()
        if len(set(letters)) != len(letters) or not letters.isalpha():
            raise ConfigError(
                f"alphabet {self.name!r}: letters must be distinct letters, got {self.letters!r}"
            )
        object.__setattr__(self, "letters", letters)
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(letters)})

    def __len__(self) -> int:
        return len(self.letters)

    def index(self, letter: str) -> int:
        return self._index[letter]

    def invalid_letters(self, seq: str) -> list[str]:
        """The distinct letters of ``seq`` (already upper-case) not in this alphabet, sorted."""
        return sorted(set(seq) - self._index.keys())

    def is_valid(self, seq: str) -> bool:
        return len(seq) > 0 and not (set(seq) - self._index.keys())


DNA = Alphabet("dna", "ACGT")
RNA = Alphabet("rna", "ACGU")
PROTEIN = Alphabet("protein", "ACDEFGHIKLMNPQRSTVWY")
BUILTIN = {a.name: a for a in (DNA, RNA, PROTEIN)}


def get_alphabet(name: str) -> Alphabet:
    """The built-in alphabet called ``name`` (case-insensitive)."""
    try:
        return BUILTIN[name.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown alphabet {name!r}; expected one of {', '.join(BUILTIN)}"
        ) from None


def infer_alphabet(sequences: Iterable[str]) -> Alphabet | None:
    """The smallest built-in alphabet that holds every letter, or None when none or several fit.

    DNA and RNA are told apart by T and U. A sequence set that uses only A, C and G fits both (and
    protein): that is ambiguous, and so is any set that fits no alphabet at all.
    """
    used: set[str] = set()
    for s in sequences:
        used.update(s)
    fits = [a for a in (DNA, RNA, PROTEIN) if used <= set(a.letters)]
    if not fits:
        return None
    nucleic = [a for a in fits if a is not PROTEIN]
    if len(nucleic) == 1:
        return nucleic[0]
    if len(nucleic) == 2:
        return None  # only A, C, G: DNA or RNA cannot be told
    return PROTEIN
