"""A campaign folder: its ledger, its settings, and ingesting what the lab measured.

Layout of ``DIR``::

    DIR/ledger.sqlite            every sequence, measurement, round and proposal (see ledger.py)
    DIR/.lock                    held by the one process changing the campaign (see lock.py)
    DIR/rounds/round_NNN.fasta   the proposals of round NNN, best first (+ .csv, .settings.toml)
    DIR/report/                  plots and report.html (seqdesign report)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from seqdesign import __version__
from seqdesign.alphabet import Alphabet, get_alphabet
from seqdesign.campaign.ledger import LEDGER_NAME, SCHEMA_VERSION, connect, now, transaction
from seqdesign.campaign.settings import split_objective
from seqdesign.errors import ConfigError, InputError
from seqdesign.io.labeled import (
    UNCLOSED_QUOTE,
    decode,
    read_measurements,
    sniff_format,
    unclosed_quote_line,
)
from seqdesign.io.records import short

ROUNDS_DIR = "rounds"


@dataclass
class IngestReport:
    """What :meth:`Campaign.ingest` did.

    Attributes:
        source: the file name given.
        sha256: the hex digest of the file's bytes.
        duplicate_of: ``(name, time)`` of the earlier ingest of the same bytes (nothing added).
        records: records read.
        measurements: measurement rows added (one per record and objective measured).
        new_sequences: sequences the campaign did not know before.
        matched: records whose sequence was proposed by a round of this campaign.
        unproposed: ids of measured records whose sequence no round proposed (flagged).
        unmeasured: records with no value (their sequences and ids are stored without a
            measurement, so no round reuses the ids).
        id_clashes: ``(id, earlier sequence, this sequence)`` for each record whose id (not a
            proposal's) an earlier file gave to another sequence; both are stored, and exports
            give each sequence one id (see :meth:`Campaign.sequence_ids`).
        ignored: columns (FASTA: header keys) of the file that are not objectives of the
            campaign, in file order: neither read nor stored.
        repeated: measured records each of whose values equals, to 6 significant digits (the
            precision of ``export``), the mean of the earlier files' values of the same sequence
            and objective (their only value, when there is one): they are stored as
            replicates, but the same results ingested again in another file (this campaign's
            own export, which writes those means, say) look like this.
    """

    source: str
    sha256: str
    duplicate_of: tuple[str, str] | None = None
    records: int = 0
    measurements: int = 0
    new_sequences: int = 0
    matched: int = 0
    unproposed: list[str] = field(default_factory=list)
    unmeasured: int = 0
    ignored: list[str] = field(default_factory=list)
    repeated: int = 0
    id_clashes: list[tuple[str, str, str]] = field(default_factory=list)


class Campaign:
    """An open campaign. Use :meth:`create` or :meth:`open`; close it (or use ``with``).

    Attributes:
        root: the campaign folder.
        conn: the ledger connection.
        settings: the settings ``init`` stored (see settings.py).
    """

    def __init__(self, root: Path, conn: Any, settings: dict[str, Any]) -> None:
        self.root = Path(root)
        self.conn = conn
        self.settings = settings

    # ----------------------------------------------------------------- opening
    @classmethod
    def create(cls, root: Path, settings: dict[str, Any]) -> Campaign:
        """Create the campaign's ledger in ``root`` (which must exist and hold no campaign).

        Raises:
            ConfigError: ``root`` already holds a campaign.
        """
        root = Path(root)
        path = root / LEDGER_NAME
        if path.exists() and path.stat().st_size > 0:
            conn = connect(path)  # raises when damaged or foreign: never overwrite it
            has = conn.execute("SELECT 1 FROM meta WHERE key = 'settings'").fetchone()
            conn.close()
            if has:
                raise ConfigError(f"{root} already holds a campaign ({path}); choose a new folder")
        rounds = sorted((root / ROUNDS_DIR).glob("round_[0-9][0-9][0-9]*.*"))
        if rounds:
            raise ConfigError(
                f"{root} holds round files of an earlier campaign ({rounds[0]}) but no ledger "
                "with its data; choose a new folder (or restore that campaign's ledger.sqlite)"
            )
        conn = connect(path, create=True)
        with transaction(conn):
            conn.execute("DELETE FROM meta")
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("settings", json.dumps(settings, sort_keys=True)),
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("created_at", now()),
                    ("created_by", f"seqdesign {__version__}"),
                ],
            )
        (root / ROUNDS_DIR).mkdir(exist_ok=True)
        return cls(root, conn, settings)

    @classmethod
    def open(cls, root: Path) -> Campaign:
        """Open the campaign in ``root``.

        Raises:
            InputError: no such folder, not a campaign, or a damaged/unreadable ledger.
        """
        root = Path(root)
        if not root.exists():
            raise InputError(f"campaign {root}: no such folder; create one with seqdesign init")
        if not root.is_dir():
            raise InputError(f"campaign {root}: is a file; expected a campaign folder")
        path = root / LEDGER_NAME
        if path.exists() and path.stat().st_size == 0:
            raise InputError(
                f"{path}: empty file (0 bytes): the campaign's ledger is lost or init did not "
                f"finish; restore it from a backup, or run seqdesign init {root} if nothing was "
                "ingested yet"
            )
        if not path.exists():
            raise InputError(
                f"{root} is not a seqdesign campaign (no {LEDGER_NAME}); create one with "
                f"seqdesign init {root}"
            )
        conn = connect(path)
        row = conn.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
        if row is None:
            conn.close()
            raise InputError(
                f"{root} is not a seqdesign campaign (its ledger has no settings: init did not "
                f"finish); run seqdesign init {root} again"
            )
        try:
            settings = json.loads(row[0])
        except json.JSONDecodeError as e:
            conn.close()
            raise InputError(f"{path}: the stored settings are not valid JSON ({e})") from None
        (root / ROUNDS_DIR).mkdir(exist_ok=True)
        return cls(root, conn, settings)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Campaign:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- settings
    @property
    def alphabet(self) -> Alphabet:
        return get_alphabet(self.settings["alphabet"])

    @property
    def objectives(self) -> list[tuple[str, bool]]:
        """``(name, maximize)`` of each objective, in the order given at init (read as stored:
        a campaign made before a name rule was added still opens)."""
        return [split_objective(s) for s in self.settings["objective"]]

    @property
    def objective_names(self) -> list[str]:
        return [n for n, _ in self.objectives]

    @property
    def length_range(self) -> tuple[int | None, int | None]:
        s = self.settings
        if s.get("length") is not None:
            return s["length"], s["length"]
        return s.get("min_length"), s.get("max_length")

    # ----------------------------------------------------------------- reading
    def known_sequences(self) -> set[str]:
        """Every sequence the campaign holds: measured, listed, or proposed."""
        return {r[0] for r in self.conn.execute("SELECT sequence FROM sequences")}

    def measured_records(self) -> list[tuple[str, str, dict[str, float]]]:
        """``(id, sequence, {objective: value})`` per measurement row, in ingest order.

        The id is the proposal's id when a round proposed the sequence, otherwise the record id
        of its first measurement; replicates are separate rows (``Dataset.from_records``
        averages them).
        """
        rows = self.conn.execute(
            """
            SELECT COALESCE(p.id, (SELECT m2.record_id FROM measurements m2
                                   WHERE m2.sequence_id = m.sequence_id ORDER BY m2.id LIMIT 1)),
                   s.sequence, m.objective, m.value
            FROM measurements m JOIN sequences s ON s.id = m.sequence_id
            LEFT JOIN proposals p ON p.sequence_id = m.sequence_id
            ORDER BY m.id
            """
        ).fetchall()
        return [(rid, seq, {obj: float(v)}) for rid, seq, obj, v in rows]

    def record_ids(self) -> set[str]:
        """Every id the campaign knows: its proposals', its measured records' and those of
        records ingested without a value."""
        rows = self.conn.execute(
            "SELECT id FROM proposals UNION SELECT record_id FROM measurements "
            "UNION SELECT record_id FROM listed"
        ).fetchall()
        return {r[0] for r in rows}

    def sequence_ids(self) -> dict[int, str]:
        """Sequence row id -> one id per sequence, unique in the campaign (what exports write).

        A proposed sequence keeps its proposal's id. Every other sequence, in the order of its
        first record (measured or listed without a value), takes that record's id, or when an
        earlier sequence already holds it, ``<id>_2`` (``_3``, ...: the first free); one with
        no record is ``seq<N>``. Later ingests never change an id given out: they only add
        sequences after the earlier ones.
        """
        return self._sequence_ids(self._records_in_order())

    def _records_in_order(self) -> list[tuple[int, str]]:
        """``(sequence row id, record id)`` of every ingested record, measured (once per
        objective) or listed without a value, in ingest order."""
        rows = self.conn.execute(
            """
            SELECT sequence_id, record_id FROM (
                SELECT sequence_id, record_id, source_id, record_no FROM measurements
                UNION ALL SELECT sequence_id, record_id, source_id, record_no FROM listed
            ) ORDER BY source_id, record_no
            """
        )
        return [(int(sid), str(rid)) for sid, rid in rows]

    def _sequence_ids(self, records: list[tuple[int, str]]) -> dict[int, str]:
        """:meth:`sequence_ids` from :meth:`_records_in_order`'s rows."""
        conn = self.conn
        out = {
            int(sid): str(pid) for pid, sid in conn.execute("SELECT id, sequence_id FROM proposals")
        }
        taken = set(out.values())
        first: dict[int, str] = {}
        for sid, rid in records:
            first.setdefault(sid, rid)
        everyone = [int(r[0]) for r in conn.execute("SELECT id FROM sequences ORDER BY id")]
        in_order = list(first) + [sid for sid in everyone if sid not in first]
        for sid in in_order:
            if sid in out:
                continue
            want = first.get(sid, f"seq{sid}")
            rid, k = want, 2
            while rid in taken:
                rid, k = f"{want}_{k}", k + 1
            taken.add(rid)
            out[sid] = rid
        return out

    def next_round(self) -> int:
        row = self.conn.execute("SELECT COALESCE(MAX(idx), 0) FROM rounds").fetchone()
        return int(row[0]) + 1

    def round_path(self, idx: int, suffix: str) -> Path:
        """``DIR/rounds/round_NNN<suffix>`` (suffix ``.fasta``, ``.csv`` or ``.settings.toml``)."""
        return self.root / ROUNDS_DIR / f"round_{idx:03d}{suffix}"

    # ----------------------------------------------------------------- ingest
    def ingest(self, name: str, data: bytes) -> IngestReport:
        """Add the measurements of one file (FASTA/CSV/TSV bytes) in one transaction.

        Ids of earlier proposals are checked against their sequences (and a CSV/TSV with an
        ``id`` column but no ``sequence`` column takes the proposals' sequences); a sequence no
        round proposed is accepted and reported. Each value is one measurement row with its
        replicate number (1 + those of the same sequence and objective before it), the source
        file's name and sha256, and the time. The same bytes ingested again add nothing.

        Only the campaign's objectives are read (any subset of them); other columns or header
        keys (a lab's notes, plate, well, ...) are not validated and are listed in
        ``report.ignored``.

        Raises:
            InputError: the file breaks the input rules, has none of the campaign's
                objectives, has letters outside the alphabet or lengths outside the range, or
                reuses a proposal's id for another sequence.
        """
        digest = hashlib.sha256(data).hexdigest()
        report = IngestReport(source=name, sha256=digest)
        prev = self.conn.execute(
            "SELECT name, ingested_at FROM sources WHERE sha256 = ?", (digest,)
        ).fetchone()
        if prev is not None:
            report.duplicate_of = (prev[0], prev[1])
            return report
        text = decode(data, name)
        proposals = {
            r[0]: (r[1], r[2])
            for r in self.conn.execute(
                "SELECT p.id, s.sequence, p.round FROM proposals p "
                "JOIN sequences s ON s.id = p.sequence_id"
            )
        }
        text = _fill_sequences(name, text, {k: v[0] for k, v in proposals.items()})
        read = read_measurements(
            name, text=text, alphabet=self.alphabet, objectives=self.objective_names, partial=True
        )
        records = read.records
        report.ignored = read.ignored
        self._check_records(name, records, proposals)
        proposed = {seq for seq, _ in proposals.values()}
        t = now()
        with transaction(self.conn):
            earlier = {
                (r[0], r[1]): float(r[2])
                for r in self.conn.execute(
                    "SELECT sequence_id, objective, AVG(value) FROM measurements "
                    "GROUP BY sequence_id, objective"
                )
            }
            cur = self.conn.execute(
                "INSERT INTO sources (name, sha256, records, ingested_at) VALUES (?, ?, ?, ?)",
                (name, digest, len(records), t),
            )
            source_id = cur.lastrowid
            # id -> the sequence it named first: each record's id that is not a proposal's,
            # then the ids exports gave out
            seq_of = {
                int(r[0]): str(r[1])
                for r in self.conn.execute("SELECT id, sequence FROM sequences")
            }
            before = self._records_in_order()
            named: dict[str, str] = {}
            for sid, rid in before:
                if rid not in proposals:
                    named.setdefault(rid, seq_of[sid])
            for sid, eid in self._sequence_ids(before).items():
                named.setdefault(eid, seq_of[sid])
            for no, (rid, seq, values) in enumerate(records, start=1):
                seq_id, new = self._sequence_id(seq, t)
                report.new_sequences += new
                if rid not in proposals:
                    first = named.setdefault(rid, seq)
                    if first != seq:
                        report.id_clashes.append((rid, first, seq))
                measured = {k: v for k, v in values.items() if not math.isnan(v)}
                if not measured:
                    report.unmeasured += 1
                    self.conn.execute(
                        "INSERT INTO listed (sequence_id, record_id, record_no, source_id) "
                        "VALUES (?, ?, ?, ?)",
                        (seq_id, rid, no, source_id),
                    )
                    continue
                if seq in proposed:
                    report.matched += 1
                else:
                    report.unproposed.append(rid)
                repeats = True
                for obj in self.objective_names:
                    if obj not in measured:
                        continue
                    (rep,) = self.conn.execute(
                        "SELECT COALESCE(MAX(replicate), 0) + 1 FROM measurements "
                        "WHERE sequence_id = ? AND objective = ?",
                        (seq_id, obj),
                    ).fetchone()
                    mean = earlier.get((seq_id, obj))
                    # equal to 6 significant digits (export's precision), either way
                    repeats &= mean is not None and math.isclose(measured[obj], mean, rel_tol=1e-5)
                    self.conn.execute(
                        "INSERT INTO measurements (sequence_id, record_id, record_no, objective, "
                        "value, replicate, source_id, measured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (seq_id, rid, no, obj, measured[obj], rep, source_id, t),
                    )
                    report.measurements += 1
                report.repeated += repeats
        report.records = len(records)
        return report

    def _sequence_id(self, seq: str, t: str) -> tuple[int, int]:
        """(row id, 1 if it was added now else 0) of ``seq`` in the sequences table."""
        row = self.conn.execute("SELECT id FROM sequences WHERE sequence = ?", (seq,)).fetchone()
        if row is not None:
            return int(row[0]), 0
        cur = self.conn.execute(
            "INSERT INTO sequences (sequence, added_at) VALUES (?, ?)", (seq, t)
        )
        return int(cur.lastrowid or 0), 1

    def _check_records(
        self,
        name: str,
        records: list[tuple[str, str, dict[str, float]]],
        proposals: dict[str, tuple[str, int]],
    ) -> None:
        lo, hi = self.length_range
        for i, (rid, seq, _) in enumerate(records, start=1):
            where = f"{name}: record {i} ({short(rid)})"
            if (lo is not None and len(seq) < lo) or (hi is not None and len(seq) > hi):
                want = f"{lo}" if lo == hi else f"{lo or 1}-{hi if hi is not None else 'any'}"
                raise InputError(
                    f"{where}: length {len(seq)}; this campaign's sequences have length {want}"
                )
            if rid in proposals and proposals[rid][0] != seq:
                pseq, rnd = proposals[rid]
                raise InputError(
                    f"{where}: id {rid} was proposed in round {rnd} as {short(pseq)}, but this "
                    f"record's sequence is {short(seq)}; expected the proposed sequence"
                )


def _fill_sequences(name: str, text: str, proposals: dict[str, str]) -> str:
    """A CSV/TSV with an ``id`` column but no ``sequence`` column gets the proposals' sequences."""
    fmt = sniff_format(name, text)
    if fmt == "fasta":
        return text
    sep = "\t" if fmt == "tsv" else ","
    # read as read_measurements reads it, so quoted free text (a, "b, c") keeps its fields
    body = text.lstrip("\ufeff")
    bad = unclosed_quote_line(body, sep)
    if bad is not None:
        raise InputError(f"{name}: line {bad}: {UNCLOSED_QUOTE}")
    reader = csv.reader(io.StringIO(body), delimiter=sep, skipinitialspace=True)
    try:
        rows = list(reader)
    except csv.Error as e:
        raise InputError(f"{name}: line {reader.line_num}: malformed table: {e}") from None
    if not rows:
        return text
    lower = [c.strip().lower() for c in rows[0]]
    if "sequence" in lower or "id" not in lower:
        return text
    col = lower.index("id")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(["sequence", *rows[0]])
    for line, row in enumerate(rows[1:], start=2):
        if not row or (len(row) == 1 and not row[0].strip()):
            writer.writerow([])  # keep the line numbers of error messages
            continue
        rid = row[col].strip() if col < len(row) else ""
        if rid not in proposals:
            raise InputError(
                f"{name}: line {line} ({short(rid)}): no sequence column, and {short(rid)!r} is "
                "not the id of a proposal of this campaign; expected a sequence column or "
                "proposal ids (sd_rN_NNNN)"
            )
        writer.writerow([proposals[rid], *row])
    return out.getvalue()
