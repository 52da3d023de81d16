"""Writing results: atomically, so that nothing half-written is ever left behind."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from seqdesign.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd


def _umask() -> int:
    """The process's file-creation mask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    The file gets the permissions a plain ``open(path, "w")`` would give (0666 less the umask),
    not the private 0600 of a temporary file: results are shared in a lab.
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def _entry(path: str | Path) -> str:
    """The folder entry a rename onto ``path`` replaces: the folder resolved, the name kept."""
    p = Path(path)
    return os.path.join(os.path.realpath(p.parent), p.name)


def check_output_path(
    path: str | Path, flag: str = "-o", inputs: Iterable[str | Path | None] = ()
) -> None:
    """Refuse, before any work, an output file that cannot be written as promised.

    Outputs are written to a temporary file renamed onto ``path``: the rename replaces the
    entry ``path`` (a symbolic link there is replaced, not followed), so what it could destroy
    is an input reached through that entry.

    Args:
        path: the file to be written (``-`` for stdout is the caller's to handle).
        flag: the option that named it, for the message.
        inputs: files the command reads (None and ``-`` skipped): writing one of them would
            destroy what was read, a measurement file above all.

    Raises:
        ConfigError: the folder does not exist; ``path`` is a folder, or exists as something
            other than a regular file (a device, a pipe, or a link to one: ``-o -`` writes to
            stdout); or writing it replaces one of ``inputs``.
    """
    p = Path(path)
    if not p.parent.exists():
        raise ConfigError(f"{flag} {path}: the folder {p.parent} does not exist")
    if p.is_dir():
        raise ConfigError(f"{flag} {path}: is a folder; expected a file name")
    if p.exists() and not p.is_file():
        raise ConfigError(
            f"{flag} {path}: is not a regular file (a device or a pipe); name a file, or "
            "'-' for stdout"
        )
    out = _entry(p)
    for src in inputs:
        if src is None:
            continue
        if str(src) == "-":
            replaces, src = _is_stdin_file(out), "redirected to stdin"
        else:
            replaces = out in (_entry(src), os.path.realpath(src))
        if replaces:
            raise ConfigError(
                f"{flag} {path}: is the input file {src}; writing it would replace what was "
                "read. Name another output"
            )


def _is_stdin_file(entry: str) -> bool:
    """Whether standard input is read from the file at ``entry`` (``cmd - < entry``)."""
    try:
        here, stdin = os.stat(entry), os.fstat(0)
    except OSError:  # no such file, or no standard input
        return False
    return stat.S_ISREG(stdin.st_mode) and (here.st_dev, here.st_ino) == (
        stdin.st_dev,
        stdin.st_ino,
    )


def check_output_folder(path: str | Path, flag: str = "--out-dir") -> None:
    """Refuse, before any work, a folder for results that cannot be made or written.

    Raises:
        ConfigError: ``path`` is a file or a dangling link, or its nearest existing ancestor
            is not a writable folder.
    """
    p = Path(path)
    if p.is_symlink() and not p.exists():
        raise ConfigError(f"{flag} {path}: is a link to nothing; expected a folder")
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{flag} {path}: is a file; expected a folder")
    existing = p
    while not existing.exists():
        if existing.is_symlink():
            raise ConfigError(f"{flag} {path}: {existing} is a link to nothing")
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{flag} {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{flag} {path}: cannot write in {existing}")


@contextmanager
def fresh_folder(path: str | Path, flag: str = "--out-dir") -> Iterator[Path]:
    """An empty folder for one command's outputs, left as it was found if the command fails.

    Made, with any missing parents, on entry. On an error or Ctrl-C inside the block its
    contents are removed (the caller has checked it was empty or missing: all of it is this
    command's), and so are the folders made here.

    Raises:
        ConfigError: ``path`` exists and is not an empty folder, or cannot be made (see
            :func:`check_output_folder`).
    """
    path = Path(path)
    check_output_folder(path, flag)
    if path.exists() and any(path.iterdir()):
        raise ConfigError(f"{flag} {path}: exists and is not empty; choose a new folder")
    made = []  # the folders this call makes, deepest first
    p = path
    while not p.exists():
        if p.name not in ("..", "."):  # 'a/..' names an existing folder, not one made here
            made.append(p)
        p = p.parent
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except BaseException:
        for child in path.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        for folder in made:  # none existed before: each goes if it is empty
            try:
                folder.rmdir()
            except OSError:
                continue
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            os.fchmod(f.fileno(), 0o666 & ~_umask())
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


#: the header fields of a proposal in the FASTA written by a round
PROPOSAL_FIELDS = ("proxy_mean", "proxy_std", "acquisition", "min_dist_to_labeled")


def header_fields(table: pd.DataFrame) -> list[str]:
    """The FASTA header keys of a round's proposals: :data:`PROPOSAL_FIELDS`, and with several
    objectives (a ``pareto_rank`` column) the rank and every ``pred_*`` column too, so FASTA
    alone (``-o -``) keeps the trade-off; the predictions only when every key can be read back
    (no whitespace or '=' in an objective's name)."""
    fields = list(PROPOSAL_FIELDS)
    if "pareto_rank" in table.columns:
        fields.append("pareto_rank")
        preds = [c for c in table.columns if c.startswith("pred_")]
        if all(
            c.isprintable() and "=" not in c and not any(ch.isspace() for ch in c) for c in preds
        ):
            fields += preds
    return fields


def proposal_texts(
    table: pd.DataFrame, proxy_metrics: dict[str, float], settings_toml: str
) -> dict[str, str]:
    """The files of a round as text, keyed by suffix: ``.fasta``, ``.csv``, ``.settings.toml``.

    Args:
        table: the proposals, best first (``RoundResult.table``).
        proxy_metrics: the proxy's held-out metrics, appended to the settings.
        settings_toml: the round's settings as TOML.
    """
    fields = header_fields(table)
    fasta = write_fasta_records(
        (row["id"], {k: _plain(row[k]) for k in fields}, row["sequence"])
        for _, row in table.iterrows()
    )
    metrics = "\n[proxy_metrics]\n" + "".join(f"{k} = {v!r}\n" for k, v in proxy_metrics.items())
    return {
        ".fasta": fasta,
        ".csv": table.to_csv(index=False, float_format="%.6g"),
        ".settings.toml": settings_toml + metrics,
    }


def _plain(v: object) -> object:
    item = getattr(v, "item", None)
    return item() if callable(item) else v
