"""Shared validation of one labeled record, whatever file format it came from."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from seqdesign.errors import InputError

MISSING = {"", "nan", "na", "n/a", "none", "null"}
#: header keys seqdesign itself writes on proposals; never read back as measurements
ANNOTATIONS = frozenset(
    {"proxy_mean", "proxy_std", "acquisition", "min_dist_to_labeled", "pareto_rank", "round"}
)


def is_annotation(key: str) -> bool:
    """Keys seqdesign writes on its proposals (proxy_mean, pred_<objective>, ...): not labels."""
    return key in ANNOTATIONS or key.startswith("pred_")


#: columns of a campaign's tables (status, export) besides the annotations and per-objective ones
CAMPAIGN_COLUMNS = frozenset({"rank"})


def objective_clash(names: Sequence[str], campaign: bool = False) -> str | None:
    """Why objectives of these names cannot be written side by side, or None when they can.

    Each objective writes ``pred_<name>`` and ``pred_<name>_std`` in a round's table, and in a
    campaign's tables also ``<name>`` and ``<name>_n``. A name may not be a column seqdesign
    writes itself (``id``, ``sequence``, the annotations, ``pred_*``; in a campaign ``rank``),
    and no two objectives may write the same column (``a`` and ``a_std`` both write
    ``pred_a_std``).
    """
    fixed = {"id", "sequence"}
    for name in names:
        if name.lower() in fixed or is_annotation(name) or (campaign and name in CAMPAIGN_COLUMNS):
            return (
                f"objective {name!r} is a column seqdesign writes itself (id, sequence, "
                f"{', '.join(sorted(ANNOTATIONS | (CAMPAIGN_COLUMNS if campaign else set())))}, "
                "pred_*); rename it"
            )
    owner: dict[str, str] = {}
    for name in names:
        written = [f"pred_{name}", f"pred_{name}_std"]
        if campaign:
            written += [name, f"{name}_n"]
        for column in written:
            if owner.setdefault(column, name) != name:
                return (
                    f"objectives {owner[column]!r} and {name!r} would both write the column "
                    f"{column!r}; rename one"
                )
    return None


_WS = re.compile(r"\s+")
MAX_ID = 1000


def clean_sequence(raw: str, where: str) -> str:
    """Upper-case ``raw`` with all whitespace removed; an empty result is an error."""
    seq = _WS.sub("", raw).upper()
    if not seq:
        raise InputError(f"{where}: empty sequence; expected at least one letter")
    return seq


def parse_value(text: str, where: str, key: str, *, hint: str = "") -> float:
    """A measurement: a finite float, or NaN for the spellings of "not measured".

    ``hint`` is appended to the message when ``text`` is not a number.
    """
    t = text.strip()
    if t.lower() in MISSING:
        return math.nan
    try:
        v = float(t)
    except ValueError:
        raise InputError(
            f"{where}: {key}={_short(t)!s} is not a number; expected a number, or empty/nan/NA "
            "for not measured" + hint
        ) from None
    if math.isinf(v):
        raise InputError(f"{where}: {key}={t} is infinite; expected a finite number")
    if math.isnan(v):
        return math.nan
    return v


def check_id(rid: str, where: str) -> str:
    """A record id: at most MAX_ID characters, no whitespace or control characters."""
    if len(rid) > MAX_ID:
        raise InputError(f"{where}: id is {len(rid)} characters long; expected at most {MAX_ID}")
    if any(c.isspace() or not c.isprintable() for c in rid):
        raise InputError(
            f"{where}: id {short(rid)!r} contains whitespace or control characters; expected "
            "one word (it becomes a FASTA header)"
        )
    return rid


def _short(text: str, n: int = 40) -> str:
    text = text if len(text) <= n else text[:n] + "..."
    # keep error messages on one line whatever the input holds
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def short(text: str, n: int = 40) -> str:
    """``text`` cut to ``n`` characters for an error message."""
    return _short(text, n)
