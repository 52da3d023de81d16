"""A campaign's stored settings, and how a round's own flags are layered on top of them.

``init`` stores its options as one JSON object in the ledger (``meta.settings``)::

    {"alphabet": "dna", "objective": ["binding:max"], "length": null, "min_length": 8,
     "max_length": 8, "seed": 0, "config": {"budget": "fast", "proxy": {"members": 3}}}

Keys are the command's option names (``--min-length`` -> ``min_length``); ``config`` holds the
algorithm settings of a ``--config`` TOML (tables as in ``round --config``). Any other key a later
feature adds (constraints, for example) is kept and passed through as is. ``round DIR`` merges
these with its own flags with :func:`merge_settings`: flags win.
"""

from __future__ import annotations

import re
from typing import Any

from seqdesign.alphabet import get_alphabet
from seqdesign.config import check_seed
from seqdesign.errors import ConfigError
from seqdesign.io.records import objective_clash

LENGTH_KEYS = ("length", "min_length", "max_length")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def split_objective(spec: str) -> tuple[str, bool]:
    """``NAME[:max|:min]`` -> ``(name, maximize)``, any name (a CSV column may hold spaces).

    The direction follows the last ``:``, so a column named ``tox:min`` is ``tox:min:max``.

    Raises:
        ConfigError: no name, or a direction other than ``max`` and ``min``.
    """
    name, colon, direction = spec.rpartition(":")
    if not colon:
        name, direction = spec, ""
    if not name or direction not in ("", "max", "min") or (colon and not direction):
        raise ConfigError(f"--objective {spec!r}: expected NAME, NAME:max or NAME:min")
    return name, direction != "min"


def objective_spec(name: str, maximize: bool) -> str:
    """``(name, maximize)`` -> ``NAME:max`` or ``NAME:min``, what :func:`split_objective` reads."""
    return f"{name}:{'max' if maximize else 'min'}"


def parse_objective(spec: str) -> tuple[str, bool]:
    """``NAME[:max|:min]`` -> ``(name, maximize)``.

    Raises:
        ConfigError: a malformed spec, or a name that cannot be a FASTA key / CSV column.
    """
    name, maximize = split_objective(spec)
    if not _NAME.match(name):
        raise ConfigError(
            f"--objective {spec!r}: expected a name of letters, digits, '_', '.' or '-'"
        )
    clash = objective_clash([name], campaign=True)
    if clash:
        raise ConfigError(f"--objective {spec!r}: {clash}")
    return name, maximize


def objective_specs(specs: list[str]) -> list[str]:
    """Normalized ``name:max|min`` specs; each name once, no two writing the same column."""
    parsed = [parse_objective(s) for s in specs]
    check_once([n for n, _ in parsed])
    clash = objective_clash([n for n, _ in parsed], campaign=True)
    if clash:
        raise ConfigError(f"--objective: {clash}")
    return [objective_spec(n, up) for n, up in parsed]


def check_once(names: list[str]) -> None:
    """Raises ConfigError naming the first objective given twice."""
    twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if twice is not None:
        raise ConfigError(f"--objective: {twice!r} is named twice")


def init_settings(
    alphabet: str,
    objectives: list[str],
    seed: int,
    length: int | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    config: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The validated settings blob ``init`` stores.

    Raises:
        ConfigError: unknown alphabet, no objective, bad length range or seed.
    """
    get_alphabet(alphabet)
    if not objectives:
        raise ConfigError("init: at least one --objective NAME[:max|:min] is required")
    if length is not None and (min_length is not None or max_length is not None):
        raise ConfigError("--length cannot be combined with --min-length/--max-length")
    lo = length if length is not None else min_length
    hi = length if length is not None else max_length
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"--min-length {lo} is larger than --max-length {hi}")
    for key, v in (("length", length), ("min_length", min_length), ("max_length", max_length)):
        if v is not None and v < 1:
            raise ConfigError(f"--{key.replace('_', '-')} {v}: expected at least 1")
    check_seed(seed, ledger=True)
    return {
        **(extra or {}),
        "alphabet": alphabet.lower(),
        "objective": objective_specs(objectives),
        "length": length,
        "min_length": min_length,
        "max_length": max_length,
        "seed": seed,
        "config": dict(config or {}),
    }


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def merge_settings(stored: dict[str, Any], flags: dict[str, Any]) -> dict[str, Any]:
    """The campaign's settings with a round's flags on top (flags win; None means "not given").

    Any of ``length``/``min_length``/``max_length`` given replaces the stored length range as a
    whole; ``config`` tables merge key by key; ``alphabet`` cannot change within a campaign, and
    objectives given must be among the campaign's.

    Raises:
        ConfigError: a flag that contradicts the campaign (alphabet, unknown objective).
    """
    given = {k: v for k, v in flags.items() if v is not None}
    out = dict(stored)
    if any(k in given for k in LENGTH_KEYS):
        for k in LENGTH_KEYS:
            out[k] = given.pop(k, None)
    if "alphabet" in given:
        a = str(given.pop("alphabet")).lower()
        if a != stored["alphabet"]:
            raise ConfigError(
                f"--alphabet {a}: this campaign's alphabet is {stored['alphabet']}; it cannot "
                "change between rounds"
            )
    if "objective" in given:
        specs = objective_specs(list(given.pop("objective")))
        known = {split_objective(s)[0] for s in stored["objective"]}
        for s in specs:
            if split_objective(s)[0] not in known:
                raise ConfigError(
                    f"--objective {s}: not an objective of this campaign; expected one of "
                    f"{', '.join(sorted(known))}"
                )
        out["objective"] = specs
    if "config" in given:
        out["config"] = _deep_merge(stored.get("config") or {}, given.pop("config"))
    out.update(given)
    return out
