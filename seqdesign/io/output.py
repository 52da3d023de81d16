"""Writing results: atomically, so that nothing half-written is ever left behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def format_value(v: object) -> str:
    """Numbers as short stable text (6 significant digits); everything else via str."""
    if isinstance(v, float):
        if v != v:
            return "nan"
        return f"{v:.6g}"
    return str(v)


def write_fasta_records(records: Iterable[tuple[str, dict[str, object], str]]) -> str:
    """FASTA text of ``(id, {key: value}, sequence)`` records, ``key=value`` in the header."""
    lines = []
    for rid, fields, seq in records:
        desc = " ".join(f"{k}={format_value(v)}" for k, v in fields.items())
        lines.append(f">{rid} {desc}".rstrip())
        lines.append(seq)
    return "\n".join(lines) + "\n"
