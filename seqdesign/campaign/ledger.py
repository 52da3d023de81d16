"""The campaign ledger: one SQLite file (standard library ``sqlite3``) holding every sequence,
measurement, round, proposal and setting of a campaign.

Durability: WAL journal, ``synchronous=FULL``, and every change in one explicit transaction
(:func:`transaction`), so a process killed at any moment leaves the file as it was before or
after the change. The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` maps a
version to the function that upgrades it by one, and :func:`connect` applies them in order, in
one transaction, or refuses a ledger it cannot read.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from seqdesign.errors import InputError

LEDGER_NAME = "ledger.sqlite"
SCHEMA_VERSION = 2
"""The version this seqdesign writes and reads."""

_SCHEMA_V1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE sequences (
    id INTEGER PRIMARY KEY,
    sequence TEXT NOT NULL UNIQUE,
    added_at TEXT NOT NULL
);
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    records INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE measurements (
    id INTEGER PRIMARY KEY,
    sequence_id INTEGER NOT NULL REFERENCES sequences(id),
    record_id TEXT NOT NULL,
    record_no INTEGER NOT NULL,
    objective TEXT NOT NULL,
    value REAL NOT NULL,
    replicate INTEGER NOT NULL CHECK (replicate >= 1),
    source_id INTEGER NOT NULL REFERENCES sources(id),
    measured_at TEXT NOT NULL,
    UNIQUE (sequence_id, objective, replicate)
);
CREATE TABLE rounds (
    idx INTEGER PRIMARY KEY CHECK (idx >= 1),
    status TEXT NOT NULL CHECK (status IN ('committed', 'done')),
    seed INTEGER NOT NULL,
    n INTEGER NOT NULL,
    settings TEXT NOT NULL,
    proxy_metrics TEXT NOT NULL,
    created_at TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE proposals (
    round INTEGER NOT NULL REFERENCES rounds(idx),
    rank INTEGER NOT NULL CHECK (rank >= 1),
    id TEXT NOT NULL UNIQUE,
    sequence_id INTEGER NOT NULL UNIQUE REFERENCES sequences(id),
    proxy_mean REAL,
    proxy_std REAL,
    acquisition REAL,
    min_dist_to_labeled INTEGER,
    predictions TEXT NOT NULL,
    PRIMARY KEY (round, rank)
);
CREATE TABLE round_files (
    round INTEGER NOT NULL REFERENCES rounds(idx),
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (round, name)
);
CREATE INDEX measurements_by_sequence ON measurements(sequence_id);
"""


def _v0_to_v1(conn: sqlite3.Connection) -> None:
    """An empty database (version 0) gets the tables of version 1."""
    for statement in _SCHEMA_V1.split(";"):
        if statement.strip():
            conn.execute(statement)


_LISTED_V2 = """
CREATE TABLE listed (
    sequence_id INTEGER NOT NULL REFERENCES sequences(id),
    record_id TEXT NOT NULL,
    record_no INTEGER NOT NULL,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    PRIMARY KEY (source_id, record_no)
)
"""


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Version 2 keeps the ids of records ingested without a value (table ``listed``), so no
    round gives their ids to other sequences. Version 1 kept only their sequences, so a ledger
    upgraded from it starts the table empty."""
    conn.execute(_LISTED_V2)
    conn.execute("CREATE INDEX listed_by_sequence ON listed(sequence_id)")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")


#: version -> the function that upgrades a ledger of that version by one
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {0: _v0_to_v1, 1: _v1_to_v2}


def now() -> str:
    """The current UTC time, ISO 8601 to the millisecond."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; any exception rolls everything back."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows}


def connect(path: Path, create: bool = False) -> sqlite3.Connection:
    """Open (or, with ``create``, create) the ledger at ``path`` and bring its schema up to date.

    Args:
        path: the ledger file.
        create: make a new, empty ledger when the file holds no tables yet.

    Returns:
        A connection in autocommit mode (changes go through :func:`transaction`), WAL journal,
        foreign keys on, rows as :class:`sqlite3.Row`.

    Raises:
        InputError: the file is not a SQLite database or is damaged, is not a seqdesign ledger,
            or has a schema version this seqdesign cannot read or upgrade.
    """
    where = str(path)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    except sqlite3.Error as e:
        raise InputError(f"{where}: cannot open the campaign ledger: {e}") from None
    try:
        conn.row_factory = sqlite3.Row
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise InputError(
                f"{where}: the campaign ledger is damaged (SQLite integrity check: {check}); "
                "restore it from a backup"
            )
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        _upgrade(conn, where, create)
    except sqlite3.DatabaseError as e:
        conn.close()
        raise InputError(
            f"{where}: not a readable campaign ledger ({e}); expected the SQLite file "
            "`seqdesign init` creates (restore it from a backup)"
        ) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _upgrade(conn: sqlite3.Connection, where: str, create: bool) -> None:
    """Apply :data:`MIGRATIONS` from the ledger's version up to :data:`SCHEMA_VERSION`."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{where}: the ledger has schema version {version}, newer than this seqdesign reads "
            f"(up to {SCHEMA_VERSION}); upgrade seqdesign"
        )
    if version == SCHEMA_VERSION:
        return
    if version == 0:
        tables = _tables(conn)
        if tables:
            raise InputError(
                f"{where}: a SQLite database that is not a seqdesign ledger (tables: "
                f"{', '.join(sorted(tables))}); expected the file `seqdesign init` creates"
            )
        if not create:
            raise InputError(f"{where}: an empty ledger; expected a campaign (run seqdesign init)")
    with transaction(conn):
        # another process may have upgraded it between the read above and this lock
        version = schema_version(conn)
        while version < SCHEMA_VERSION:
            step = MIGRATIONS.get(version)
            if step is None:
                raise InputError(
                    f"{where}: no upgrade path from ledger schema version {version} to "
                    f"{SCHEMA_VERSION}; use the seqdesign version that wrote it"
                )
            step(conn)
            version += 1
            conn.execute(f"PRAGMA user_version = {version}")
