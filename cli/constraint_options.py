"""The design-constraint options (``--fixed``, ``--forbid``, ``--gc``, ...), shared by commands.

Each is also a key of a ``[constraints]`` table in ``--config`` TOML (``parent`` there is a FASTA
path, relative to the TOML file; ``parents`` a list of sequences). Flags add to the TOML's lists
and replace its single values.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from seqdesign.errors import ConfigError

if TYPE_CHECKING:
    from seqdesign.alphabet import Alphabet
    from seqdesign.constraints import Constraints

FixedOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--fixed",
        help="Fixed letters, START-END:LETTERS or POS:LETTER, 1-based inclusive, one letter per "
        "position (e.g. 1-3:MKT). Repeatable.",
    ),
]
AllowedOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--allowed",
        help="Letters allowed at positions, POS:LETTERS or START-END:LETTERS (each position of "
        "the range takes one of them; e.g. 5:ACD, 10-12:ST). Repeatable; rules on one position "
        "intersect.",
    ),
]
ForbidOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--forbid",
        help="Forbidden motif in IUPAC codes (N, R, Y, S, W, K, M, B, D, H, V; X = any amino "
        "acid for proteins), searched on both strands for DNA/RNA. Repeatable or comma-separated.",
    ),
]
ForbidRegexOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--forbid-regex",
        help="Forbidden regular expression (Python syntax) over the upper-case sequence, both "
        "strands for DNA/RNA. Repeatable.",
    ),
]
ForbidSiteOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--forbid-site",
        help="Forbidden restriction sites by enzyme name, both strands, e.g. BsaI,BsmBI,BbsI,"
        "SapI,EcoRI,BamHI,XhoI,NotI,HindIII,NdeI,XbaI,SpeI,PstI,KpnI,NcoI (37 known). "
        "Repeatable or comma-separated.",
    ),
]
GcOpt = Annotated[
    str | None,
    typer.Option("--gc", help="G+C fraction of the whole sequence, MIN-MAX (e.g. 0.4-0.6)."),
]
GcWindowOpt = Annotated[
    str | None,
    typer.Option(
        "--gc-window",
        help="G+C fraction of every window, WIDTH:MIN-MAX (e.g. 20:0.3-0.7); a shorter "
        "sequence is checked whole.",
    ),
]
MaxHomopolymerOpt = Annotated[
    int | None,
    typer.Option("--max-homopolymer", help="Longest allowed run of one letter.", min=1),
]
ParentOpt = Annotated[
    Path | None,
    typer.Option(
        "--parent",
        help="FASTA of parent sequence(s) for --max-edits (edits count from the nearest).",
        dir_okay=False,
    ),
]
MaxEditsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-edits",
        help="At most K edits from a parent: Hamming when every length agrees, else Levenshtein.",
        min=0,
    ),
]


def read_parents(path: str | Path, alphabet: Alphabet) -> tuple[str, ...]:
    """The sequences of a parent FASTA (labels ignored), validated against ``alphabet``."""
    from seqdesign.io import read_records

    records, _ = read_records(path, alphabet=alphabet, objectives=[])
    return tuple(dict.fromkeys(q for _, q, _ in records))


def table_parent(table: dict | None, source: str) -> Path | None:
    """The parent FASTA a ``[constraints]`` table of ``source`` names, relative to that TOML
    file (None: it names none, or not as a path)."""
    path = (table or {}).get("parent")
    if not isinstance(path, str):
        return None
    base = Path(source).parent if source not in ("config", "") else Path()
    return base / path


def build_constraints(
    table: dict[str, Any] | None,
    source: str,
    alphabet: Alphabet,
    *,
    fixed: list[str] | None = None,
    allowed: list[str] | None = None,
    forbid: list[str] | None = None,
    forbid_regex: list[str] | None = None,
    forbid_site: list[str] | None = None,
    gc: str | None = None,
    gc_window: str | None = None,
    max_homopolymer: int | None = None,
    parent: Path | None = None,
    max_edits: int | None = None,
) -> Constraints:
    """The ``[constraints]`` table of ``source`` with the flags on top.

    Raises:
        ConfigError: a malformed rule (naming the flag or key).
        InputError: an unreadable or invalid parent FASTA.
    """
    from seqdesign.constraints import Constraints

    table = dict(table or {})
    if "parent" in table:
        if "parents" in table:
            raise ConfigError(f"{source} [constraints]: give parent (a FASTA) or parents, not both")
        path = table_parent(table, source)
        if path is None:
            raise ConfigError(f"{source} [constraints].parent: expected a FASTA path")
        del table["parent"]
        table["parents"] = list(read_parents(path, alphabet))
    base_set = Constraints.from_table(table, source)
    parents = read_parents(parent, alphabet) if parent is not None else None
    if parents is not None:  # a --parent flag replaces the config's parents
        k = max_edits if max_edits is not None else base_set.max_edits
        base_set = replace(base_set, parents=(), max_edits=None).merged(
            parents=parents, max_edits=k
        )
        max_edits = None
    return base_set.merged(
        fixed=fixed,
        allowed=allowed,
        forbid=forbid,
        forbid_regex=forbid_regex,
        forbid_site=forbid_site,
        gc=gc,
        gc_window=gc_window,
        max_homopolymer=max_homopolymer,
        max_edits=max_edits,
    )
