"""The campaign ledger: schema and migrations, ingest rules, the lock, settings merge, rounds."""

from __future__ import annotations

import json
import os
import sqlite3
import time

import numpy as np
import pandas as pd
import pytest

from seqdesign.campaign import Campaign, CampaignLock
from seqdesign.campaign import ledger as ledger_mod
from seqdesign.campaign.ledger import LEDGER_NAME, SCHEMA_VERSION, connect, schema_version
from seqdesign.campaign.settings import init_settings, merge_settings
from seqdesign.errors import CampaignBusyError, ConfigError, InputError


def make(tmp_path, objectives=("binding",), length=4, **kw):
    root = tmp_path / "camp"
    root.mkdir()
    return Campaign.create(root, init_settings("dna", list(objectives), 0, length=length, **kw))


def count(c: Campaign, table: str) -> int:
    return c.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


# ----------------------------------------------------------------------------- schema
def test_create_sets_schema_wal_and_settings(tmp_path):
    c = make(tmp_path, objectives=("a", "b:min"))
    assert schema_version(c.conn) == SCHEMA_VERSION == 2
    assert c.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    meta = dict(c.conn.execute("SELECT key, value FROM meta").fetchall())
    assert meta["schema_version"] == "2"
    assert json.loads(meta["settings"])["objective"] == ["a:max", "b:min"]
    c.close()
    again = Campaign.open(c.root)
    assert again.objectives == [("a", True), ("b", False)] and again.length_range == (4, 4)
    with pytest.raises(ConfigError, match="already holds a campaign"):
        Campaign.create(c.root, again.settings)
    again.close()


def test_an_empty_v0_database_is_upgraded_only_on_create(tmp_path):
    path = tmp_path / LEDGER_NAME
    sqlite3.connect(path).close()  # an empty file: schema version 0
    with pytest.raises(InputError, match="empty ledger"):
        connect(path)
    conn = connect(path, create=True)
    assert schema_version(conn) == 2
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"meta", "sequences", "measurements", "sources", "rounds", "proposals"} <= tables
    assert "listed" in tables


def test_a_version_1_ledger_is_upgraded_keeping_its_data(tmp_path):
    """A ledger as seqdesign wrote it before version 2 (no ids of unmeasured records)."""
    root = tmp_path / "old"
    root.mkdir()
    raw = sqlite3.connect(root / LEDGER_NAME)
    ledger_mod._v0_to_v1(raw)
    settings = init_settings("dna", ["binding"], 0, length=4)
    raw.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)",
        [("settings", json.dumps(settings)), ("schema_version", "1")],
    )
    raw.execute("INSERT INTO sequences (sequence, added_at) VALUES ('ACGT', 't'), ('TTTT', 't')")
    raw.execute(
        "INSERT INTO sources (name, sha256, records, ingested_at) VALUES ('a', 'x', 2, 't')"
    )
    raw.execute(
        "INSERT INTO measurements (sequence_id, record_id, record_no, objective, value, "
        "replicate, source_id, measured_at) VALUES (1, 'r1', 1, 'binding', 1.5, 1, 1, 't')"
    )
    raw.execute("PRAGMA user_version = 1")
    raw.commit()
    raw.close()
    with Campaign.open(root) as c:
        assert schema_version(c.conn) == 2
        assert dict(c.conn.execute("SELECT key, value FROM meta"))["schema_version"] == "2"
        assert c.measured_records() == [("r1", "ACGT", {"binding": 1.5})]
        assert c.known_sequences() == {"ACGT", "TTTT"}
        assert c.record_ids() == {"r1"}  # version 1 did not keep TTTT's id
        c.ingest("b.csv", b"id,sequence,binding\nr2,GGGG,\n")
        assert c.record_ids() == {"r1", "r2"}


def test_migrations_run_in_order_and_roll_back_on_failure(tmp_path, monkeypatch):
    c = make(tmp_path)
    c.ingest("m.csv", b"sequence,binding\nACGT,1.5\n")
    c.close()
    path = c.root / LEDGER_NAME

    def broken(conn):
        conn.execute("ALTER TABLE sequences ADD COLUMN note TEXT")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(ledger_mod, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(ledger_mod.MIGRATIONS, 2, broken)
    with pytest.raises(RuntimeError, match="migration bug"):
        connect(path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 2  # rolled back as a whole
    assert "note" not in [r[1] for r in raw.execute("PRAGMA table_info(sequences)")]
    raw.close()

    def v2_to_v3(conn):
        conn.execute("ALTER TABLE sequences ADD COLUMN note TEXT")
        conn.execute("UPDATE sequences SET note = 'from v2'")

    monkeypatch.setitem(ledger_mod.MIGRATIONS, 2, v2_to_v3)
    conn = connect(path)
    assert schema_version(conn) == 3
    rows = conn.execute("SELECT sequence, note FROM sequences").fetchall()
    assert [tuple(r) for r in rows] == [("ACGT", "from v2")]
    conn.close()


def test_an_upgrade_another_process_finished_first_is_not_run_twice(tmp_path, monkeypatch):
    c = make(tmp_path)
    c.close()
    real = ledger_mod.schema_version
    calls = []

    def stale(conn):  # the first read sees version 1; another process upgrades before BEGIN
        calls.append(1)
        return 1 if len(calls) == 1 else real(conn)

    monkeypatch.setattr(ledger_mod, "schema_version", stale)
    conn = connect(c.root / LEDGER_NAME)  # no "table listed already exists"
    assert real(conn) == SCHEMA_VERSION and len(calls) == 2
    conn.close()


def test_a_missing_migration_or_a_newer_ledger_is_refused(tmp_path, monkeypatch):
    c = make(tmp_path)
    c.close()
    path = c.root / LEDGER_NAME
    monkeypatch.setattr(ledger_mod, "SCHEMA_VERSION", 4)
    with pytest.raises(InputError, match="no upgrade path from ledger schema version 2"):
        connect(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2
    monkeypatch.setattr(ledger_mod, "SCHEMA_VERSION", 2)
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 7")
    raw.close()
    with pytest.raises(InputError, match="schema version 7, newer than this seqdesign reads"):
        connect(path)


def test_an_emptied_ledger_is_named_and_its_round_files_are_not_overwritten(tmp_path):
    c = make(tmp_path)
    c.round_path(1, ".fasta").write_text(">sd_r1_0001\nACGT\n")
    c.close()
    (c.root / LEDGER_NAME).write_bytes(b"")  # lost: a full disk, a bad copy
    with pytest.raises(InputError, match=r"ledger.sqlite: empty file \(0 bytes\)"):
        Campaign.open(c.root)
    with pytest.raises(ConfigError, match="holds round files of an earlier campaign"):
        Campaign.create(c.root, init_settings("dna", ["binding"], 0, length=4))
    assert c.round_path(1, ".fasta").read_text() == ">sd_r1_0001\nACGT\n"
    c.round_path(1, ".fasta").rename(c.root / "rounds" / "round_notes.txt")  # not a round file
    Campaign.create(c.root, init_settings("dna", ["binding"], 0, length=4)).close()


def test_foreign_and_damaged_databases_are_refused(tmp_path):
    foreign = tmp_path / "foreign.sqlite"
    raw = sqlite3.connect(foreign)
    raw.execute("CREATE TABLE users (name TEXT)")
    raw.commit()
    raw.close()
    with pytest.raises(InputError, match="not a seqdesign ledger.*users"):
        connect(foreign, create=True)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match="not a readable campaign ledger"):
        connect(junk)


# ----------------------------------------------------------------------------- ingest
def test_ingest_keeps_replicates_with_provenance_and_detects_the_same_file(tmp_path):
    c = make(tmp_path)
    data = b"id,sequence,binding\na,ACGT,1.0\nb,acgt,3.0\nc,TTTT,NA\nd,GGGG,2\n"
    rep = c.ingest("lab1.csv", data)
    assert (rep.records, rep.measurements, rep.new_sequences, rep.unmeasured) == (4, 3, 3, 1)
    assert rep.unproposed == ["a", "b", "d"]  # measured, never proposed: flagged
    rows = c.conn.execute(
        "SELECT s.sequence, m.record_id, m.value, m.replicate, src.name, src.sha256 "
        "FROM measurements m JOIN sequences s ON s.id = m.sequence_id "
        "JOIN sources src ON src.id = m.source_id ORDER BY m.id"
    ).fetchall()
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    assert [tuple(r) for r in rows] == [
        ("ACGT", "a", 1.0, 1, "lab1.csv", sha),
        ("ACGT", "b", 3.0, 2, "lab1.csv", sha),
        ("GGGG", "d", 2.0, 1, "lab1.csv", sha),
    ]
    assert "TTTT" in c.known_sequences()  # known, unmeasured
    listed = c.conn.execute(
        "SELECT s.sequence, l.record_id, l.record_no FROM listed l "
        "JOIN sequences s ON s.id = l.sequence_id"
    ).fetchall()
    assert [tuple(r) for r in listed] == [("TTTT", "c", 3)]
    assert c.record_ids() == {"a", "b", "c", "d"} and rep.id_clashes == []
    again = c.ingest("renamed.csv", data)
    assert again.duplicate_of is not None and again.duplicate_of[0] == "lab1.csv"
    assert count(c, "measurements") == 3 and count(c, "sources") == 1
    # another file measuring ACGT again: replicate 3
    c.ingest("lab2.fasta", b">x binding=5\nACGT\n")
    assert c.conn.execute("SELECT MAX(replicate) FROM measurements").fetchone()[0] == 3
    means = {q: v["binding"] for _, q, v in c.measured_records()}
    assert set(means) == {"ACGT", "GGGG"}


@pytest.mark.parametrize(
    "data, message",
    [
        (
            b"sequence,potency,notes\nACGT,1,x\n",
            "line 1: no measurements found; expected a column for at least one of the objectives "
            "binding; the columns are sequence, potency, notes",
        ),
        (b'sequence,binding,notes\nACGT,inf,"a, b"\n', "binding=inf is infinite"),
        (b"sequence,binding,notes\nACGT,1,a,b\n", "line 2: 4 fields; expected 3"),
        (b">a binding=1\nACGT\n>b binding=2\nACXT\n", "record 2 (b): letter(s) X not in the dna"),
        (b"sequence,binding\nACGTA,1\n", "length 5; this campaign's sequences have length 4"),
        (b"sequence,note\nACGT,\n", "no measurements found"),
        (b">a\nACGT\n", "no measurements found"),
        (b"sequence,binding\nACGT,abc\n", "binding=abc is not a number"),
    ],
)
def test_bad_measurements_change_nothing(tmp_path, data, message):
    c = make(tmp_path)
    c.ingest("ok.csv", b"sequence,binding\nAAAA,1\n")
    with pytest.raises(InputError) as err:
        c.ingest("bad.csv" if data[:1] != b">" else "bad.fasta", data)
    assert message in str(err.value) and str(err.value).startswith("bad.")
    assert count(c, "measurements") == 1 and count(c, "sources") == 1
    assert count(c, "sequences") == 1


def test_columns_that_are_not_objectives_are_ignored_and_reported(tmp_path):
    c = make(tmp_path, objectives=("binding", "stability:min"))
    data = (
        b"well,id,sequence,binding,notes,plate\n"
        b'A01,a,ACGT,1.5,"smear, redo",P1\n'
        b'A02,b,ACGA,,"fine",P1\n'
        b'A03,c,ACGG,2,"said ""ok"", then no",P2\n'
    )
    rep = c.ingest("lab.csv", data)
    assert rep.ignored == ["well", "notes", "plate"]
    assert (rep.records, rep.measurements, rep.unmeasured) == (3, 2, 1)
    rows = c.conn.execute("SELECT record_id, objective, value FROM measurements ORDER BY id")
    assert [tuple(r) for r in rows] == [("a", "binding", 1.5), ("c", "binding", 2.0)]
    rep = c.ingest("lab.fasta", b">d stability=-2 operator=jo binding=NA date=2024-05-01\nTTTT\n")
    assert rep.ignored == ["operator", "date"] and rep.measurements == 1
    # every objective read: nothing ignored
    assert c.ingest("full.tsv", b"sequence\tbinding\tstability\nGGGG\t1\t2\n").ignored == []


def test_ids_given_to_another_sequence_are_reported_per_record(tmp_path):
    c = make(tmp_path)
    c.ingest("one.csv", b"id,sequence,binding\na,ACGT,1\nb,TTTT,\n")
    rep = c.ingest("two.csv", b"id,sequence,binding\na,ACGT,2\nb,GGGG,1\nx,AAAA,1\n")
    assert rep.id_clashes == [("b", "TTTT", "GGGG")]  # b was listed (no value) as TTTT
    rep = c.ingest("three.csv", b"id,sequence,binding\nx,AAAT,\na,CCCC,3\n")
    assert rep.id_clashes == [("x", "AAAA", "AAAT"), ("a", "ACGT", "CCCC")]
    assert count(c, "measurements") == 5 and count(c, "listed") == 2  # everything kept


def test_export_ids_are_unique_and_never_change_once_given(tmp_path):
    from seqdesign.campaign.status import sequence_table

    c = make(tmp_path)

    def ids() -> dict[str, str]:
        t = sequence_table(c)
        assert t["id"].is_unique
        return dict(zip(t["sequence"], t["id"]))

    c.ingest("1.csv", b"id,sequence,binding\nA,AAAA,1\nX,TTTT,\n")
    c.ingest("2.csv", b"id,sequence,binding\nA,CCCC,2\n")
    assert ids() == {"AAAA": "A", "TTTT": "X", "CCCC": "A_2"}
    # a file using the suffixed id for a third sequence: warned, and CCCC keeps A_2
    rep = c.ingest("3.csv", b"id,sequence,binding\nA_2,GGGG,3\nA,TTTT,4\n")
    assert rep.id_clashes == [("A_2", "CCCC", "GGGG"), ("A", "AAAA", "TTTT")]
    assert ids() == {"AAAA": "A", "TTTT": "X", "CCCC": "A_2", "GGGG": "A_2_2"}
    _fake_round(c, 1, ["ACGT"])
    assert ids()["ACGT"] == "sd_r1_0001"


def test_proposal_ids_are_matched_to_their_sequences(tmp_path):
    c = make(tmp_path)
    c.ingest("start.csv", b"sequence,binding\nAAAA,1\nCCCC,2\n")
    _fake_round(c, 1, ["GGGG", "TTTT"])
    # ids only, no sequence column: the proposals' sequences are used
    rep = c.ingest("ids.tsv", b"id\tbinding\nsd_r1_0002\t0.5\n")
    assert rep.matched == 1 and rep.unproposed == []
    seq = c.conn.execute(
        "SELECT s.sequence FROM measurements m JOIN sequences s ON s.id = m.sequence_id "
        "WHERE m.record_id = 'sd_r1_0002'"
    ).fetchone()[0]
    assert seq == "TTTT"
    # ids only, with a lab's quoted free text after spaces: the text is ignored, not split
    rep = c.ingest("notes.csv", b'id, binding, notes\nsd_r1_0001, 0.7, "smear, redo"\n')
    assert (rep.matched, rep.measurements, rep.ignored) == (1, 1, ["notes"])
    with pytest.raises(InputError, match="line 2 \\(nope\\): no sequence column"):
        c.ingest("ids2.csv", b"id,binding\nnope,1\n")
    with pytest.raises(InputError, match="sd_r1_0001 was proposed in round 1 as GGGG"):
        c.ingest("wrong.fasta", b">sd_r1_0001 binding=1\nGGGA\n")


def _fake_round(c: Campaign, index: int, seqs: list[str]) -> None:
    """Commit a round by hand (no model): the proposals' rows and files."""
    from seqdesign.campaign.ledger import now
    from seqdesign.campaign.rounds import commit_round
    from seqdesign.io.output import proposal_texts

    table = pd.DataFrame(
        {
            "id": [f"sd_r{index}_{i + 1:04d}" for i in range(len(seqs))],
            "sequence": seqs,
            "proxy_mean": np.linspace(1, 0, len(seqs)),
            "proxy_std": 0.1,
            "acquisition": np.linspace(1, 0, len(seqs)),
            "min_dist_to_labeled": 1,
            "pred_binding": 0.5,
            "pred_binding_std": 0.1,
        }
    )
    texts = proposal_texts(table, {"heldout_spearman": 0.5}, "seed = 1\n")
    commit_round(c, index, 1, len(seqs), table, {"heldout_spearman": 0.5}, texts, now())


# ----------------------------------------------------------------------------- rounds
def test_a_round_killed_after_its_commit_is_finished_from_the_ledger(tmp_path, monkeypatch):
    from seqdesign.campaign import rounds

    c = make(tmp_path)
    real_replace = os.replace

    def crash(src, dst):
        raise KeyboardInterrupt  # the process dies between the commit and the renames

    monkeypatch.setattr(rounds.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        _fake_round(c, 1, ["GGGG", "TTTT"])
    monkeypatch.setattr(rounds.os, "replace", real_replace)
    assert [r[0] for r in c.conn.execute("SELECT status FROM rounds")] == ["committed"]
    assert not c.round_path(1, ".fasta").exists()
    assert len(list((c.root / "rounds").glob(".round_001*.tmp"))) == 3
    assert len(rounds.remove_stale_files(c)) == 3
    assert rounds.finish_pending(c) == [1]
    assert rounds.finish_pending(c) == []
    stored = dict(c.conn.execute("SELECT name, text FROM round_files WHERE round = 1"))
    for suffix, text in stored.items():
        assert c.round_path(1, suffix).read_text() == text
    assert [r[0] for r in c.conn.execute("SELECT status FROM rounds")] == ["done"]
    c.round_path(1, ".csv").unlink()  # a user deleted a file: restored, byte for byte
    assert rounds.restore_missing_files(c) == [1]
    assert c.round_path(1, ".csv").read_text() == stored[".csv"]


def test_a_failed_commit_leaves_nothing(tmp_path):
    c = make(tmp_path)
    _fake_round(c, 1, ["GGGG"])
    with pytest.raises(sqlite3.IntegrityError):
        _fake_round(c, 2, ["CCCC", "GGGG"])  # GGGG was proposed in round 1: the UNIQUE rejects it
    assert count(c, "rounds") == 1 and count(c, "proposals") == 1
    assert count(c, "round_files") == 3
    assert not list((c.root / "rounds").glob("*round_002*"))


def test_round_seed_is_stable_and_differs_by_round():
    from seqdesign.campaign.rounds import round_seed

    assert round_seed(0, 1) == round_seed(0, 1)
    assert len({round_seed(0, 1), round_seed(0, 2), round_seed(1, 1)}) == 3


# ----------------------------------------------------------------------------- lock
def test_the_lock_refuses_names_the_holder_and_waits(tmp_path):
    root = tmp_path
    with CampaignLock(root):
        assert (root / ".lock").read_text().strip() == str(os.getpid())
        with pytest.raises(
            CampaignBusyError, match=f"busy: another seqdesign process \\(pid {os.getpid()}\\)"
        ):
            with CampaignLock(root):
                pass
        t0 = time.monotonic()
        with pytest.raises(CampaignBusyError, match="after waiting 0.3 s"):
            with CampaignLock(root, wait=0.3):
                pass
        assert time.monotonic() - t0 >= 0.3
    with CampaignLock(root, wait=0.3):  # released: taken at once
        pass


# ----------------------------------------------------------------------------- settings
def test_round_flags_win_over_the_stored_settings():
    stored = init_settings(
        "dna",
        ["a", "b:min"],
        3,
        min_length=5,
        max_length=9,
        config={"proxy": {"members": 3}},
        extra={"gc": [0.3, 0.7]},
    )
    merged = merge_settings(
        stored,
        {"length": 6, "objective": ["b:max"], "config": {"proxy": {"hidden": 8}}, "alphabet": None},
    )
    assert (merged["length"], merged["min_length"], merged["max_length"]) == (6, None, None)
    assert merged["objective"] == ["b:max"]
    assert merged["config"] == {"proxy": {"members": 3, "hidden": 8}}
    assert merged["gc"] == [0.3, 0.7] and merged["seed"] == 3  # extra settings pass through
    assert merge_settings(stored, {"gc": [0.4, 0.6]})["gc"] == [0.4, 0.6]
    with pytest.raises(ConfigError, match="alphabet is dna; it cannot change"):
        merge_settings(stored, {"alphabet": "rna"})
    with pytest.raises(ConfigError, match="not an objective of this campaign"):
        merge_settings(stored, {"objective": ["c"]})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"alphabet": "xna", "objectives": ["a"]}, "unknown alphabet"),
        ({"objectives": []}, "at least one --objective"),
        ({"objectives": ["a", "a:min"]}, "named twice"),
        ({"objectives": ["pred_a"]}, "a column seqdesign writes itself"),
        ({"objectives": ["a b"]}, "expected a name"),
        ({"objectives": ["a"], "length": 4, "min_length": 2}, "cannot be combined"),
        ({"objectives": ["a"], "min_length": 9, "max_length": 3}, "larger than"),
        ({"objectives": ["a"], "seed": -1}, "--seed -1"),
    ],
)
def test_init_settings_are_validated(kwargs, message):
    args = {"alphabet": "dna", "seed": 0, **kwargs}
    with pytest.raises(ConfigError, match=message):
        init_settings(**args)


def test_a_campaign_made_before_a_name_rule_still_opens(tmp_path):
    """'rank' became a refused objective name; a campaign that already has it keeps working."""
    settings = init_settings("dna", ["binding", "other"], 0, length=4)
    settings["objective"] = ["binding:max", "rank:min"]  # as an older version stored it
    root = tmp_path / "old"
    root.mkdir()
    Campaign.create(root, settings).close()
    with Campaign.open(root) as c:
        assert c.objectives == [("binding", True), ("rank", False)]
        rep = c.ingest("m.csv", b"sequence,binding,rank\nACGT,1,2\nAAAA,2,3\n")
        assert rep.measurements == 4
